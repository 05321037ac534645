"""Queues and skills, agents and teams: who takes which calls.

A queue here is the project's record of an app_queue queue (its name in queues.conf) with the
targets it is reported against (service level, short abandons, wrap-up) and the skills it
needs. app_queue's own configuration (strategy, music on hold, announcements, timeouts) stays
in queues.conf: these pages do not write it. Agents serve the queues whose skills they have
(docs/agents.md), so skills are set here instead of member lists in queues.conf.

Nothing is deleted: queues and agents are deactivated (call history points at them); a skill
is taken from an agent or a queue. Every change is in the audit log with what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from asterisk_cc.core.admin_forms import (
    RECORDING_POLICIES,
    FormInvalid,
    NamedFields,
    agent_fields,
    queue_fields,
    queue_skill_fields,
    skill_fields,
    skill_level_fields,
    team_fields,
)
from asterisk_cc.db.models import Agent, AgentSkill, Queue, QueueSkill, Skill, Team
from asterisk_cc.web.access import admins_only, audit
from asterisk_cc.web.admin_base import (
    PAGE_SIZE,
    blueprint,
    changes_of,
    form_values,
    page_number,
    problem_messages,
)
from asterisk_cc.web.context import db
from asterisk_cc.web.i18n import gettext

T = TypeVar("T")
MAX_ROWS = 1000
"""Queues, skills and teams are listed whole up to this many (a centre has tens of them)."""


def _labels() -> dict[str, str]:
    return {
        "name": gettext("Name"),
        "display_name": gettext("Display name"),
        "service_level_threshold_s": gettext("Service-level threshold (s)"),
        "service_level_target_percent": gettext("Service-level target (%)"),
        "short_abandon_s": gettext("Short abandon under (s)"),
        "wrapup_limit_s": gettext("Wrap-up time (s)"),
        "language": gettext("Language"),
        "recording": gettext("Recording"),
        "description": gettext("Description"),
        "login": gettext("Login"),
        "interface": gettext("Interface"),
        "team_id": gettext("Team"),
        "skill_id": gettext("Skill"),
        "level": gettext("Level"),
        "min_level": gettext("Minimum level"),
        "penalty": gettext("Penalty"),
    }


def recording_names() -> dict[str, str]:
    return {
        "none": gettext("no recording"),
        "all": gettext("record every call"),
        "on_demand": gettext("record on demand"),
    }


def _parsed(parse: Callable[[Any], T], name_label: str = "") -> tuple[T | None, list[str]]:
    """The form read by ``parse``, or its problems as sentences (``name_label``: what the
    form's ``name`` field is called on the page)."""
    try:
        return parse(request.form), []
    except FormInvalid as exc:
        labels = _labels()
        if name_label:
            labels["name"] = name_label
        return None, problem_messages(exc.problems, labels)


def _one(model: type[T], row_id: int) -> T:
    row = db().get(model, row_id)
    if row is None:
        abort(404)
    return row


def _taken(model: Any, column: Any, value: str, row_id: int | None = None) -> bool:
    """Another row of ``model`` has ``value`` in the unique ``column``."""
    query = select(model.id).where(column == value)
    if row_id is not None:
        query = query.where(model.id != row_id)
    return db().scalar(query.limit(1)) is not None


def _save(action: str, target: str, **details: Any) -> bool:
    """Audit and commit; False (rolled back) when a concurrent change broke a unique name."""
    try:
        db().flush()
        audit(action, target, **details)
        db().commit()
    except IntegrityError:
        db().rollback()
        return False
    return True


def _skills() -> list[Skill]:
    return list(db().scalars(select(Skill).order_by(Skill.name).limit(MAX_ROWS)))


# --- queues ------------------------------------------------------------------------------------


def _queue_values(queue: Queue) -> dict[str, Any]:
    return {
        "name": queue.name,
        "display_name": queue.display_name,
        "service_level_threshold_s": queue.service_level_threshold_s,
        "service_level_target_ratio": queue.service_level_target_ratio,
        "short_abandon_s": queue.short_abandon_s,
        "wrapup_limit_s": queue.wrapup_limit_s,
        "language": queue.language,
        "recording": queue.recording,
        "active": queue.active,
    }


def _queue_form_values(queue: Queue) -> dict[str, Any]:
    """A queue as its form shows it (the target in percent)."""
    values = {k: v for k, v in _queue_values(queue).items() if v is not None}
    values["service_level_target_percent"] = f"{queue.service_level_target_ratio * 100:g}"
    return values


NEW_QUEUE = {
    "service_level_threshold_s": "20",
    "service_level_target_percent": "80",
    "short_abandon_s": "5",
    "wrapup_limit_s": "30",
    "recording": "none",
    "active": "1",
}


def _queues_page(
    *, problems: list[str] | None = None, values: dict[str, Any] | None = None, status: int = 200
) -> tuple[str, int]:
    needs = (
        select(QueueSkill.queue_id, func.count().label("skills"))
        .group_by(QueueSkill.queue_id)
        .subquery()
    )
    rows = (
        db()
        .execute(
            select(Queue, func.coalesce(needs.c.skills, 0))
            .outerjoin(needs, needs.c.queue_id == Queue.id)
            .order_by(Queue.active.desc(), Queue.name)
            .limit(MAX_ROWS)
        )
        .all()
    )
    return (
        render_template(
            "admin/queues.html",
            rows=rows,
            values=values or NEW_QUEUE,
            problems=problems or [],
            recordings=recording_names(),
        ),
        status,
    )


@blueprint.route("/queues")
@admins_only
def queues() -> tuple[str, int]:
    return _queues_page()


@blueprint.route("/queues", methods=["POST"])
@admins_only
def create_queue() -> Any:
    fields, problems = _parsed(queue_fields, gettext("Queue name"))
    if fields is not None and _taken(Queue, Queue.name, fields.name):
        problems.append(gettext("A queue named {name} exists already.", name=fields.name))
    if fields is None or problems:
        return _queues_page(problems=problems, values=form_values(), status=400)
    queue = Queue(**asdict(fields))
    db().add(queue)
    if not _save("queue_create", f"queue:{queue.name}", **_queue_values(queue)):
        return _queues_page(
            problems=[gettext("A queue named {name} exists already.", name=fields.name)],
            values=form_values(),
            status=409,
        )
    flash(gettext("Queue {name} created.", name=fields.name), "ok")
    return redirect(url_for("admin.queue", queue_id=queue.id))


def _queue_page(
    queue: Queue,
    *,
    problems: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    needed = (
        db()
        .execute(
            select(QueueSkill, Skill.name)
            .join(Skill, Skill.id == QueueSkill.skill_id)
            .where(QueueSkill.queue_id == queue.id)
            .order_by(Skill.name)
        )
        .all()
    )
    return (
        render_template(
            "admin/queue.html",
            queue=queue,
            values=values or _queue_form_values(queue),
            needed=needed,
            skills=_skills(),
            problems=problems or [],
            recordings=recording_names(),
            policies=RECORDING_POLICIES,
        ),
        status,
    )


@blueprint.route("/queues/<int:queue_id>")
@admins_only
def queue(queue_id: int) -> tuple[str, int]:
    return _queue_page(_one(Queue, queue_id))


@blueprint.route("/queues/<int:queue_id>", methods=["POST"])
@admins_only
def update_queue(queue_id: int) -> Any:
    queue = _one(Queue, queue_id)
    fields, problems = _parsed(queue_fields, gettext("Queue name"))
    if fields is not None and _taken(Queue, Queue.name, fields.name, queue.id):
        problems.append(gettext("A queue named {name} exists already.", name=fields.name))
    if fields is None or problems:
        return _queue_page(queue, problems=problems, values=form_values(), status=400)
    before = _queue_values(queue)
    for key, value in asdict(fields).items():
        setattr(queue, key, value)
    changes = changes_of(before, _queue_values(queue))
    if changes and not _save("queue_update", f"queue:{before['name']}", **changes):
        return _queue_page(
            _one(Queue, queue_id),
            problems=[gettext("A queue named {name} exists already.", name=fields.name)],
            values=form_values(),
            status=409,
        )
    flash(gettext("Queue {name} saved.", name=queue.name), "ok")
    return redirect(url_for("admin.queue", queue_id=queue.id))


@blueprint.route("/queues/<int:queue_id>/skills", methods=["POST"])
@admins_only
def set_queue_skill(queue_id: int) -> Any:
    queue = _one(Queue, queue_id)
    fields, problems = _parsed(queue_skill_fields)
    skill = db().get(Skill, fields.skill_id) if fields is not None else None
    if fields is not None and skill is None:
        problems.append(gettext("Choose a skill."))
    if fields is None or skill is None or problems:
        return _queue_page(queue, problems=problems, status=400)
    need = db().get(QueueSkill, (queue.id, skill.id))
    if need is None:
        need = QueueSkill(queue_id=queue.id, skill_id=skill.id)
        db().add(need)
    need.min_level, need.penalty = fields.level, fields.penalty
    _save(
        "queue_skill_set",
        f"queue:{queue.name}",
        skill=skill.name,
        min_level=fields.level,
        penalty=fields.penalty,
    )
    flash(gettext("Queue {name} needs skill {skill}.", name=queue.name, skill=skill.name), "ok")
    return redirect(url_for("admin.queue", queue_id=queue.id))


@blueprint.route("/queues/<int:queue_id>/skills/<int:skill_id>/remove", methods=["POST"])
@admins_only
def remove_queue_skill(queue_id: int, skill_id: int) -> Any:
    queue = _one(Queue, queue_id)
    need = db().get(QueueSkill, (queue.id, skill_id))
    if need is not None:
        skill_name = db().scalar(select(Skill.name).where(Skill.id == skill_id))
        db().delete(need)
        _save("queue_skill_remove", f"queue:{queue.name}", skill=skill_name)
    return redirect(url_for("admin.queue", queue_id=queue.id))


# --- skills and teams ---------------------------------------------------------------------------


def _skills_page(
    *, problems: list[str] | None = None, values: dict[str, Any] | None = None, status: int = 200
) -> tuple[str, int]:
    agents = (
        select(AgentSkill.skill_id, func.count().label("n"))
        .group_by(AgentSkill.skill_id)
        .subquery()
    )
    queues = (
        select(QueueSkill.skill_id, func.count().label("n"))
        .group_by(QueueSkill.skill_id)
        .subquery()
    )
    rows = (
        db()
        .execute(
            select(Skill, func.coalesce(agents.c.n, 0), func.coalesce(queues.c.n, 0))
            .outerjoin(agents, agents.c.skill_id == Skill.id)
            .outerjoin(queues, queues.c.skill_id == Skill.id)
            .order_by(Skill.name)
            .limit(MAX_ROWS)
        )
        .all()
    )
    return (
        render_template(
            "admin/skills.html", rows=rows, problems=problems or [], values=values or {}
        ),
        status,
    )


@blueprint.route("/skills")
@admins_only
def skills() -> tuple[str, int]:
    return _skills_page()


@dataclass(frozen=True)
class _NamedKind:
    """Skills and teams: rows of a name and a description, created and edited alike."""

    model: Any
    kind: str
    """``skill`` or ``team``: the audit actions (``skill_create``...) and targets."""
    parse: Callable[[Any], NamedFields]
    name_label: Callable[[], str]
    taken: Callable[[str], str]
    created: Callable[[str], str]
    saved: Callable[[str], str]
    page: Callable[..., tuple[str, int]]
    list_endpoint: str


def _create_named(kind: _NamedKind) -> Any:
    fields, problems = _parsed(kind.parse, kind.name_label())
    if fields is not None and _taken(kind.model, kind.model.name, fields.name):
        problems.append(kind.taken(fields.name))
    if fields is None or problems:
        return kind.page(problems=problems, values=form_values(), status=400)
    row = kind.model(name=fields.name, description=fields.description)
    db().add(row)
    if not _save(f"{kind.kind}_create", f"{kind.kind}:{row.name}", description=row.description):
        return kind.page(problems=[kind.taken(fields.name)], values=form_values(), status=409)
    flash(kind.created(fields.name), "ok")
    return redirect(url_for(kind.list_endpoint))


def _update_named(kind: _NamedKind, row_id: int) -> Any:
    row = _one(kind.model, row_id)
    fields, problems = _parsed(kind.parse, kind.name_label())
    if fields is not None and _taken(kind.model, kind.model.name, fields.name, row.id):
        problems.append(kind.taken(fields.name))
    if fields is None or problems:
        return kind.page(problems=problems, status=400)
    before = {"name": row.name, "description": row.description}
    row.name, row.description = fields.name, fields.description
    changes = changes_of(before, {"name": row.name, "description": row.description})
    if changes and not _save(f"{kind.kind}_update", f"{kind.kind}:{before['name']}", **changes):
        return kind.page(problems=[kind.taken(fields.name)], status=409)
    flash(kind.saved(fields.name), "ok")
    return redirect(url_for(kind.list_endpoint))


SKILLS = _NamedKind(
    model=Skill,
    kind="skill",
    parse=skill_fields,
    name_label=lambda: gettext("Skill name"),
    taken=lambda name: gettext("A skill named {name} exists already.", name=name),
    created=lambda name: gettext("Skill {name} created.", name=name),
    saved=lambda name: gettext("Skill {name} saved.", name=name),
    page=_skills_page,
    list_endpoint="admin.skills",
)


@blueprint.route("/skills", methods=["POST"])
@admins_only
def create_skill() -> Any:
    return _create_named(SKILLS)


@blueprint.route("/skills/<int:skill_id>", methods=["POST"])
@admins_only
def update_skill(skill_id: int) -> Any:
    return _update_named(SKILLS, skill_id)


def _teams_page(
    *, problems: list[str] | None = None, values: dict[str, Any] | None = None, status: int = 200
) -> tuple[str, int]:
    members = (
        select(Agent.team_id, func.count().label("n"))
        .where(Agent.active.is_(True))
        .group_by(Agent.team_id)
        .subquery()
    )
    rows = (
        db()
        .execute(
            select(Team, func.coalesce(members.c.n, 0))
            .outerjoin(members, members.c.team_id == Team.id)
            .order_by(Team.name)
            .limit(MAX_ROWS)
        )
        .all()
    )
    return (
        render_template(
            "admin/teams.html", rows=rows, problems=problems or [], values=values or {}
        ),
        status,
    )


@blueprint.route("/teams")
@admins_only
def teams() -> tuple[str, int]:
    return _teams_page()


TEAMS = _NamedKind(
    model=Team,
    kind="team",
    parse=team_fields,
    name_label=lambda: gettext("Team name"),
    taken=lambda name: gettext("A team named {name} exists already.", name=name),
    created=lambda name: gettext("Team {name} created.", name=name),
    saved=lambda name: gettext("Team {name} saved.", name=name),
    page=_teams_page,
    list_endpoint="admin.teams",
)


@blueprint.route("/teams", methods=["POST"])
@admins_only
def create_team() -> Any:
    return _create_named(TEAMS)


@blueprint.route("/teams/<int:team_id>", methods=["POST"])
@admins_only
def update_team(team_id: int) -> Any:
    return _update_named(TEAMS, team_id)


# --- agents ------------------------------------------------------------------------------------


def _teams() -> list[Team]:
    return list(db().scalars(select(Team).order_by(Team.name).limit(MAX_ROWS)))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _agents_page(
    *, problems: list[str] | None = None, values: dict[str, Any] | None = None, status: int = 200
) -> tuple[str, int]:
    search = request.args.get("q", "").strip()[:64]
    team = request.args.get("team", "")
    page = page_number()
    query = select(Agent, Team.name).outerjoin(Team, Team.id == Agent.team_id)
    if search:
        pattern = _like(search)
        query = query.where(
            or_(Agent.login.like(pattern, escape="\\"), Agent.name.like(pattern, escape="\\"))
        )
    if team.isdigit():
        query = query.where(Agent.team_id == int(team))
    rows = (
        db()
        .execute(
            query.order_by(Agent.active.desc(), Agent.login)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
        .all()
    )
    return (
        render_template(
            "admin/agents.html",
            rows=rows[:PAGE_SIZE],
            more=len(rows) > PAGE_SIZE,
            page=page,
            search=search,
            team=team,
            teams=_teams(),
            problems=problems or [],
            values=values or {"active": "1"},
        ),
        status,
    )


@blueprint.route("/agents")
@admins_only
def agents() -> tuple[str, int]:
    return _agents_page()


def _agent_values(agent: Agent) -> dict[str, Any]:
    return {
        "login": agent.login,
        "name": agent.name,
        "interface": agent.interface,
        "team_id": agent.team_id,
        "active": agent.active,
    }


def _team_problems(team_id: int | None) -> list[str]:
    if team_id is not None and db().get(Team, team_id) is None:
        return [gettext("Choose a team.")]
    return []


@blueprint.route("/agents", methods=["POST"])
@admins_only
def create_agent() -> Any:
    fields, problems = _parsed(agent_fields)
    if fields is not None:
        problems += _team_problems(fields.team_id)
        if _taken(Agent, Agent.login, fields.login):
            problems.append(
                gettext("An agent with login {login} exists already.", login=fields.login)
            )
    if fields is None or problems:
        return _agents_page(problems=problems, values=form_values(), status=400)
    agent = Agent(**asdict(fields))
    db().add(agent)
    if not _save("agent_create", f"agent:{agent.login}", **_agent_values(agent)):
        return _agents_page(
            problems=[gettext("An agent with login {login} exists already.", login=fields.login)],
            values=form_values(),
            status=409,
        )
    flash(gettext("Agent {login} created.", login=fields.login), "ok")
    return redirect(url_for("admin.agent", agent_id=agent.id))


def _agent_page(
    agent: Agent,
    *,
    problems: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    has = (
        db()
        .execute(
            select(AgentSkill, Skill.name)
            .join(Skill, Skill.id == AgentSkill.skill_id)
            .where(AgentSkill.agent_id == agent.id)
            .order_by(Skill.name)
        )
        .all()
    )
    current = {k: v for k, v in _agent_values(agent).items() if v is not None}
    return (
        render_template(
            "admin/agent.html",
            agent=agent,
            values=values or current,
            has=has,
            skills=_skills(),
            teams=_teams(),
            problems=problems or [],
        ),
        status,
    )


@blueprint.route("/agents/<int:agent_id>")
@admins_only
def agent(agent_id: int) -> tuple[str, int]:
    return _agent_page(_one(Agent, agent_id))


@blueprint.route("/agents/<int:agent_id>", methods=["POST"])
@admins_only
def update_agent(agent_id: int) -> Any:
    agent = _one(Agent, agent_id)
    fields, problems = _parsed(agent_fields)
    if fields is not None:
        problems += _team_problems(fields.team_id)
        if _taken(Agent, Agent.login, fields.login, agent.id):
            problems.append(
                gettext("An agent with login {login} exists already.", login=fields.login)
            )
    if fields is None or problems:
        return _agent_page(agent, problems=problems, values=form_values(), status=400)
    before = _agent_values(agent)
    for key, value in asdict(fields).items():
        setattr(agent, key, value)
    changes = changes_of(before, _agent_values(agent))
    if changes and not _save("agent_update", f"agent:{before['login']}", **changes):
        return _agent_page(
            _one(Agent, agent_id),
            problems=[gettext("An agent with login {login} exists already.", login=fields.login)],
            values=form_values(),
            status=409,
        )
    flash(gettext("Agent {login} saved.", login=agent.login), "ok")
    return redirect(url_for("admin.agent", agent_id=agent.id))


@blueprint.route("/agents/<int:agent_id>/skills", methods=["POST"])
@admins_only
def set_agent_skill(agent_id: int) -> Any:
    agent = _one(Agent, agent_id)
    fields, problems = _parsed(skill_level_fields)
    skill = db().get(Skill, fields.skill_id) if fields is not None else None
    if fields is not None and skill is None:
        problems.append(gettext("Choose a skill."))
    if fields is None or skill is None or problems:
        return _agent_page(agent, problems=problems, status=400)
    has = db().get(AgentSkill, (agent.id, skill.id))
    if has is None:
        has = AgentSkill(agent_id=agent.id, skill_id=skill.id)
        db().add(has)
    has.level, has.penalty = fields.level, fields.penalty
    _save(
        "agent_skill_set",
        f"agent:{agent.login}",
        skill=skill.name,
        level=fields.level,
        penalty=fields.penalty,
    )
    flash(
        gettext(
            "Agent {login} has skill {skill} at level {level}.",
            login=agent.login,
            skill=skill.name,
            level=fields.level,
        ),
        "ok",
    )
    return redirect(url_for("admin.agent", agent_id=agent.id))


@blueprint.route("/agents/<int:agent_id>/skills/<int:skill_id>/remove", methods=["POST"])
@admins_only
def remove_agent_skill(agent_id: int, skill_id: int) -> Any:
    agent = _one(Agent, agent_id)
    has = db().get(AgentSkill, (agent.id, skill_id))
    if has is not None:
        skill_name = db().scalar(select(Skill.name).where(Skill.id == skill_id))
        db().delete(has)
        _save("agent_skill_remove", f"agent:{agent.login}", skill=skill_name)
    return redirect(url_for("admin.agent", agent_id=agent.id))
