"""Administration: queues, skills, agents and teams are created and edited with validation,
and every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import Agent, AgentSkill, AuditLogEntry, Queue, QueueSkill, Skill, Team
from tests.web_fixtures import WebUser, post

Clients = Callable[[str | None], FlaskClient]

QUEUE = {
    "name": "support",
    "display_name": "Customer support",
    "service_level_threshold_s": "20",
    "service_level_target_percent": "80",
    "short_abandon_s": "5",
    "wrapup_limit_s": "30",
    "language": "zh",
    "recording": "all",
    "active": "1",
}


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def audit_of(engine: Engine, action: str) -> list[AuditLogEntry]:
    with session_factory(engine)() as session:
        return list(
            session.scalars(
                select(AuditLogEntry)
                .where(AuditLogEntry.action == action)
                .order_by(AuditLogEntry.id)
            )
        )


def one(engine: Engine, model: Any, *where: Any) -> Any:
    with session_factory(engine)() as session:
        return session.scalars(select(model).where(*where)).one_or_none()


@pytest.fixture
def admin(web_client: Clients, web_users: dict[str, WebUser]) -> FlaskClient:
    return web_client("admin")


# --- queues ------------------------------------------------------------------------------------


def test_a_queue_is_created_with_its_targets_and_audited(
    admin: FlaskClient, web_engine: Engine
) -> None:
    response = post(admin, "/admin/queues", QUEUE)
    assert response.status_code == 302
    queue = one(web_engine, Queue, Queue.name == "support")
    assert response.headers["Location"] == f"/admin/queues/{queue.id}"
    assert (
        queue.display_name,
        queue.service_level_threshold_s,
        queue.service_level_target_ratio,
        queue.short_abandon_s,
        queue.wrapup_limit_s,
        queue.language,
        queue.recording,
        queue.active,
    ) == ("Customer support", 20, 0.8, 5, 30, "zh", "all", True)
    (entry,) = audit_of(web_engine, "queue_create")
    assert entry.target == "queue:support" and entry.details["service_level_target_ratio"] == 0.8
    page = text_of(admin.get("/admin/queues"))
    assert "Customer support" in page and "80% within 20 s" in page
    assert "stays in queues.conf" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Support Line"}, "Queue name: use letters, digits"),
        ({"name": ""}, "Queue name: required."),
        ({"service_level_threshold_s": "0"}, "Service-level threshold (s): between 1 and 3600."),
        ({"service_level_target_percent": "150"}, "Service-level target (%): between 0 and 100."),
        ({"short_abandon_s": "five"}, "Short abandon under (s): a whole number is needed."),
        ({"recording": "sometimes"}, "Recording: choose one of the options."),
    ],
)
def test_a_bad_queue_is_refused_and_the_form_kept(
    admin: FlaskClient, web_engine: Engine, changes: dict[str, str], message: str
) -> None:
    form = {**QUEUE, **changes}
    response = post(admin, "/admin/queues", form)
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    assert 'value="Customer support"' in page
    with session_factory(web_engine)() as session:
        assert session.scalars(select(Queue)).all() == []
    assert audit_of(web_engine, "queue_create") == []


def test_a_queue_edit_is_saved_and_audited_with_what_changed(
    admin: FlaskClient, web_engine: Engine
) -> None:
    post(admin, "/admin/queues", QUEUE)
    queue = one(web_engine, Queue, Queue.name == "support")
    form = {**QUEUE, "service_level_threshold_s": "30", "service_level_target_percent": "90"}
    del form["active"]
    response = post(admin, f"/admin/queues/{queue.id}", form)
    assert response.status_code == 302
    queue = one(web_engine, Queue, Queue.id == queue.id)
    assert (queue.service_level_threshold_s, queue.service_level_target_ratio, queue.active) == (
        30,
        0.9,
        False,
    )
    (entry,) = audit_of(web_engine, "queue_update")
    assert entry.details == {
        "service_level_threshold_s": [20, 30],
        "service_level_target_ratio": [0.8, 0.9],
        "active": [True, False],
    }
    page = text_of(admin.get(f"/admin/queues/{queue.id}"))
    assert 'value="30"' in page and 'value="90"' in page


def test_two_queues_cannot_share_a_name(admin: FlaskClient, web_engine: Engine) -> None:
    post(admin, "/admin/queues", QUEUE)
    post(admin, "/admin/queues", {**QUEUE, "name": "sales"})
    response = post(admin, "/admin/queues", QUEUE)
    assert response.status_code == 400
    assert "A queue named support exists already." in text_of(response)
    sales = one(web_engine, Queue, Queue.name == "sales")
    response = post(admin, f"/admin/queues/{sales.id}", QUEUE)
    assert response.status_code == 400
    assert one(web_engine, Queue, Queue.id == sales.id).name == "sales"


def test_a_queue_needs_skills_which_can_be_removed(admin: FlaskClient, web_engine: Engine) -> None:
    post(admin, "/admin/queues", QUEUE)
    post(admin, "/admin/skills", {"name": "mandarin", "description": "Speaks Mandarin"})
    queue = one(web_engine, Queue, Queue.name == "support")
    skill = one(web_engine, Skill, Skill.name == "mandarin")
    url = f"/admin/queues/{queue.id}/skills"
    response = post(admin, url, {"skill_id": str(skill.id), "min_level": "11", "penalty": "0"})
    assert response.status_code == 400
    assert "Minimum level: between 1 and 10." in text_of(response)
    assert (
        post(admin, url, {"skill_id": str(skill.id), "min_level": "3", "penalty": "2"}).status_code
        == 302
    )
    need = one(web_engine, QueueSkill, QueueSkill.queue_id == queue.id)
    assert (need.skill_id, need.min_level, need.penalty) == (skill.id, 3, 2)
    # The same skill again changes the level instead of adding a second row.
    post(admin, url, {"skill_id": str(skill.id), "min_level": "4", "penalty": ""})
    need = one(web_engine, QueueSkill, QueueSkill.queue_id == queue.id)
    assert (need.min_level, need.penalty) == (4, 0)
    assert "mandarin" in text_of(admin.get(f"/admin/queues/{queue.id}"))
    assert post(admin, f"{url}/{skill.id}/remove").status_code == 302
    assert one(web_engine, QueueSkill, QueueSkill.queue_id == queue.id) is None
    assert [e.details for e in audit_of(web_engine, "queue_skill_set")] == [
        {"skill": "mandarin", "min_level": 3, "penalty": 2},
        {"skill": "mandarin", "min_level": 4, "penalty": 0},
    ]
    assert [e.details for e in audit_of(web_engine, "queue_skill_remove")] == [
        {"skill": "mandarin"}
    ]


def test_an_unknown_skill_or_queue_is_refused(admin: FlaskClient, web_engine: Engine) -> None:
    post(admin, "/admin/queues", QUEUE)
    queue = one(web_engine, Queue, Queue.name == "support")
    response = post(admin, f"/admin/queues/{queue.id}/skills", {"skill_id": "77", "min_level": "1"})
    assert response.status_code == 400 and "Choose a skill." in text_of(response)
    assert admin.get("/admin/queues/999").status_code == 404
    assert post(admin, "/admin/queues/999", QUEUE).status_code == 404


# --- skills and teams ---------------------------------------------------------------------------


def test_skills_are_created_renamed_and_audited(admin: FlaskClient, web_engine: Engine) -> None:
    assert post(admin, "/admin/skills", {"name": "billing", "description": ""}).status_code == 302
    response = post(admin, "/admin/skills", {"name": "billing"})
    assert response.status_code == 400 and "A skill named billing exists already." in text_of(
        response
    )
    skill = one(web_engine, Skill, Skill.name == "billing")
    response = post(
        admin, f"/admin/skills/{skill.id}", {"name": "invoices", "description": "Bills"}
    )
    assert response.status_code == 302
    assert one(web_engine, Skill, Skill.id == skill.id).name == "invoices"
    assert [e.target for e in audit_of(web_engine, "skill_create")] == ["skill:billing"]
    (update,) = audit_of(web_engine, "skill_update")
    assert update.target == "skill:billing"
    assert update.details == {"name": ["billing", "invoices"], "description": [None, "Bills"]}


def test_teams_are_created_and_edited_and_names_are_escaped(
    admin: FlaskClient, web_engine: Engine
) -> None:
    name = "<script>alert(1)</script>"
    assert (
        post(admin, "/admin/teams", {"name": name, "description": "Night shift"}).status_code == 302
    )
    page = text_of(admin.get("/admin/teams"))
    assert name not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    team = one(web_engine, Team, Team.name == name)
    assert post(admin, f"/admin/teams/{team.id}", {"name": "Night"}).status_code == 302
    assert one(web_engine, Team, Team.id == team.id).description is None
    response = post(admin, f"/admin/teams/{team.id}", {"name": ""})
    assert response.status_code == 400 and "Team name: required." in text_of(response)
    assert len(audit_of(web_engine, "team_create")) == 1
    assert len(audit_of(web_engine, "team_update")) == 1


# --- agents -------------------------------------------------------------------------------------


def test_an_agent_is_created_in_a_team_with_skills(admin: FlaskClient, web_engine: Engine) -> None:
    post(admin, "/admin/teams", {"name": "Day"})
    post(admin, "/admin/skills", {"name": "english"})
    team = one(web_engine, Team, Team.name == "Day")
    skill = one(web_engine, Skill, Skill.name == "english")
    form = {
        "login": "2001",
        "name": "Carl Chen",
        "interface": "PJSIP/2001",
        "team_id": str(team.id),
        "active": "1",
    }
    response = post(admin, "/admin/agents", form)
    assert response.status_code == 302
    agent = one(web_engine, Agent, Agent.login == "2001")
    assert (agent.name, agent.interface, agent.team_id, agent.active) == (
        "Carl Chen",
        "PJSIP/2001",
        team.id,
        True,
    )
    url = f"/admin/agents/{agent.id}/skills"
    assert (
        post(admin, url, {"skill_id": str(skill.id), "level": "7", "penalty": "1"}).status_code
        == 302
    )
    has = one(web_engine, AgentSkill, AgentSkill.agent_id == agent.id)
    assert (has.skill_id, has.level, has.penalty) == (skill.id, 7, 1)
    page = text_of(admin.get("/admin/agents"))
    assert "Carl Chen" in page and "Day" in page and "PJSIP/2001" in page
    assert post(admin, f"{url}/{skill.id}/remove").status_code == 302
    assert one(web_engine, AgentSkill, AgentSkill.agent_id == agent.id) is None
    assert [e.target for e in audit_of(web_engine, "agent_create")] == ["agent:2001"]
    assert [e.details for e in audit_of(web_engine, "agent_skill_set")] == [
        {"skill": "english", "level": 7, "penalty": 1}
    ]
    assert len(audit_of(web_engine, "agent_skill_remove")) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"login": "1001"}, "An agent with login 1001 exists already."),
        ({"login": "a b"}, "Login: use letters, digits"),
        ({"interface": "PJSIP/20 01"}, "Interface: use letters, digits"),
        ({"name": ""}, "Name: required."),
        ({"team_id": "42"}, "Choose a team."),
    ],
)
def test_a_bad_agent_is_refused(
    admin: FlaskClient, web_engine: Engine, changes: dict[str, str], message: str
) -> None:
    form = {"login": "2001", "name": "Carl Chen", "interface": "PJSIP/2001", **changes}
    response = post(admin, "/admin/agents", form)
    assert response.status_code == 400
    assert message in text_of(response)
    with session_factory(web_engine)() as session:
        assert session.scalars(select(Agent.login)).all() == ["1001"]


def test_an_agent_is_deactivated_and_the_change_audited(
    admin: FlaskClient, web_engine: Engine
) -> None:
    agent = one(web_engine, Agent, Agent.login == "1001")
    form = {"login": "1001", "name": "Ann Agent", "interface": "PJSIP/1001", "team_id": ""}
    assert post(admin, f"/admin/agents/{agent.id}", form).status_code == 302
    assert one(web_engine, Agent, Agent.id == agent.id).active is False
    (entry,) = audit_of(web_engine, "agent_update")
    assert entry.target == "agent:1001" and entry.details == {"active": [True, False]}


def test_agent_search_treats_sql_as_text(admin: FlaskClient) -> None:
    page = text_of(admin.get("/admin/agents", query_string={"q": "' OR 1=1 --"}))
    assert "No agents found." in page and "Ann Agent" not in page
    assert "Ann Agent" in text_of(admin.get("/admin/agents", query_string={"q": "ann"}))
