"""Campaigns in the database: saved from and read back into
:class:`~asterisk_cc.core.dialer.campaign.CampaignSettings`, who works them, their status, and
the figures ``campaign show`` prints.

The settings are checked in core before anything is written; here they are only mapped onto
the ``campaigns`` columns (``retry_delays_s`` holds the per-outcome delays as a JSON object,
``holidays`` a list of ``YYYY-MM-DD`` texts, ``call_days`` ``mon,tue,...``). The queue is the
app_queue queue of that name; its row is created on first use, as the IVR does (queues are
declared in queues.conf, not in the database). Agents and teams are named by login and team
name and must exist.

Who works a campaign (:func:`campaign_agent_ids`): the agents assigned to it and the members
of the teams assigned to it; a campaign with neither uses the agents skilled for its queue
(the same skill rule as :func:`asterisk_cc.db.agents.agent_profile`).

Every change of settings or status leaves an audit log entry. Every function takes a
:class:`~sqlalchemy.orm.Session` and leaves the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from asterisk_cc.core.dialer.calling_window import (
    CallingWindow,
    format_days,
    parse_days,
    parse_holidays,
)
from asterisk_cc.core.dialer.campaign import (
    CampaignError,
    CampaignSettings,
    campaign_to_mapping,
    campaign_transition,
)
from asterisk_cc.core.dialer.retry import RETRY_DELAY_KEYS, MachineAction
from asterisk_cc.core.vocabulary import CallOutcome, CampaignStatus, LeadStatus
from asterisk_cc.db.audit import audit_start
from asterisk_cc.db.ivr_store import queue_id
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    CallAttempt,
    Campaign,
    CampaignAgent,
    CampaignTeam,
    Lead,
    Queue,
    QueueSkill,
    Team,
)

__all__ = [
    "AttemptSummary",
    "CampaignNotFound",
    "attempt_summary",
    "campaign_agent_ids",
    "find_campaign",
    "lead_counts",
    "list_campaigns",
    "load_campaign_settings",
    "local_day_start",
    "save_campaign",
    "set_campaign_status",
]

_NAMES_SHOWN = 20


class CampaignNotFound(LookupError):
    """No campaign has that name."""


def find_campaign(session: Session, name: str) -> Campaign:
    """The campaign called ``name``; :class:`CampaignNotFound` names the existing ones."""
    campaign = session.scalars(select(Campaign).where(Campaign.name == name.strip())).one_or_none()
    if campaign is None:
        names = session.scalars(select(Campaign.name).order_by(Campaign.name).limit(_NAMES_SHOWN))
        known = ", ".join(names) or "none yet"
        raise CampaignNotFound(f"no campaign named {name!r}; campaigns: {known}")
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.name)))


# --- settings ⇄ columns ------------------------------------------------------------------------


def save_campaign(
    session: Session, settings: CampaignSettings, now: datetime, *, user_id: int | None = None
) -> Campaign:
    """Create the campaign ``settings.name``, or update it when it exists (its status and
    leads are kept). Its agents and teams become exactly ``settings.agents``/``teams``.

    Raises :class:`CampaignError` naming every agent login or team name that does not exist.
    """
    agents = _agents_by_login(session, settings.agents)
    teams = _teams_by_name(session, settings.teams)
    problems = [
        f"agents: no agent with login {login!r}" for login in settings.agents if login not in agents
    ] + [f"teams: no team named {name!r}" for name in settings.teams if name not in teams]
    if problems:
        raise CampaignError(problems)
    campaign = session.scalars(select(Campaign).where(Campaign.name == settings.name)).one_or_none()
    created = campaign is None
    if campaign is None:
        campaign = Campaign(name=settings.name, dial_mode=settings.dial_mode, created_at=now)
        session.add(campaign)
    window = settings.window
    campaign.dial_mode = settings.dial_mode
    campaign.queue_id = queue_id(session, settings.queue) if settings.queue else None
    campaign.caller_id = settings.caller_id
    campaign.timezone = settings.timezone
    campaign.window_start = window.start
    campaign.window_end = window.end
    campaign.call_days = format_days(window.days)
    campaign.holidays = [day.isoformat() for day in sorted(window.holidays)]
    campaign.max_attempts = settings.max_attempts
    # A JSON object {outcome: seconds}; the column is declared as a list (its first design
    # was one delay per attempt), JSON holds either.
    campaign.retry_delays_s = dict(settings.retry_delays_s)
    campaign.ring_timeout_s = settings.ring_timeout_s
    campaign.amd_enabled = settings.amd_enabled
    campaign.machine_action = settings.machine_action
    campaign.machine_message = settings.machine_message
    campaign.abandon_target_ratio = settings.abandon_target_ratio
    campaign.abandon_definition = settings.abandon_definition
    campaign.abandon_message = settings.abandon_message
    campaign.max_lines_per_agent = settings.max_lines_per_agent
    campaign.recording = settings.recording
    campaign.purpose = settings.purpose
    campaign.updated_at = now
    campaign.agents = [agents[login] for login in settings.agents]
    campaign.teams = [teams[name] for name in settings.teams]
    session.flush()
    audit_start(
        session,
        user_id=user_id,
        action="campaign_created" if created else "campaign_updated",
        at=now,
        target=f"campaign:{campaign.name}",
        details=campaign_to_mapping(settings),
    )
    return campaign


def _agents_by_login(session: Session, logins: Iterable[str]) -> dict[str, Agent]:
    wanted = list(logins)
    if not wanted:
        return {}
    return {a.login: a for a in session.scalars(select(Agent).where(Agent.login.in_(wanted)))}


def _teams_by_name(session: Session, names: Iterable[str]) -> dict[str, Team]:
    wanted = list(names)
    if not wanted:
        return {}
    return {t.name: t for t in session.scalars(select(Team).where(Team.name.in_(wanted)))}


def load_campaign_settings(campaign: Campaign, session: Session | None = None) -> CampaignSettings:
    """The settings of a stored campaign (``session``: the campaign's own when not given).

    Raises :class:`CampaignError` when the row holds values the checks refuse (written by
    another tool, or by hand): the dialer must not run such a campaign.
    """
    session = session or object_session(campaign)
    queue_name = None
    if campaign.queue_id is not None:
        if session is None:
            raise ValueError(f"campaign {campaign.name!r} is detached: pass its session")
        queue_name = session.scalar(select(Queue.name).where(Queue.id == campaign.queue_id))
    try:
        window = CallingWindow(
            start=campaign.window_start,
            end=campaign.window_end,
            days=parse_days(campaign.call_days or ""),
            holidays=_dates(campaign.holidays),
        )
    except ValueError as exc:
        raise CampaignError([f"window: {exc}"]) from None
    return CampaignSettings(
        name=campaign.name,
        dial_mode=campaign.dial_mode,
        queue=queue_name,
        caller_id=campaign.caller_id or None,
        timezone=campaign.timezone,
        window=window,
        max_attempts=campaign.max_attempts,
        retry_delays_s=_stored_delays(campaign.retry_delays_s),
        ring_timeout_s=campaign.ring_timeout_s,
        amd_enabled=campaign.amd_enabled,
        machine_action=cast(MachineAction, campaign.machine_action),
        machine_message=campaign.machine_message or None,
        abandon_target_ratio=campaign.abandon_target_ratio,
        abandon_definition=campaign.abandon_definition,
        abandon_message=campaign.abandon_message or None,
        max_lines_per_agent=campaign.max_lines_per_agent,
        recording=campaign.recording,
        purpose=campaign.purpose,
        agents=tuple(sorted(agent.login for agent in campaign.agents)),
        teams=tuple(sorted(team.name for team in campaign.teams)),
    )


def _dates(values: object) -> frozenset[date]:
    if not isinstance(values, list):
        return frozenset()
    return parse_holidays([str(value) for value in values])


def _stored_delays(value: object) -> Mapping[str, int]:
    """The per-outcome delays of the column; anything else there (the empty list of a
    campaign made elsewhere, the old per-attempt list) means the defaults."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items() if k in RETRY_DELAY_KEYS}
    return {}


# --- who works a campaign ----------------------------------------------------------------------


def campaign_agent_ids(session: Session, campaign_id: int) -> set[int]:
    """The active agents who work the campaign: assigned ones and members of assigned teams;
    with no assignment at all, the agents skilled for the campaign's queue (an agent serves a
    queue when they have one of its skills at the queue's minimum level or above)."""
    assigned = select(CampaignAgent.agent_id).where(CampaignAgent.campaign_id == campaign_id)
    teams = select(CampaignTeam.team_id).where(CampaignTeam.campaign_id == campaign_id)
    has_assignment = session.scalar(select(assigned.exists())) or session.scalar(
        select(teams.exists())
    )
    if has_assignment:
        rows = session.scalars(
            select(Agent.id).where(
                Agent.active.is_(True),
                Agent.id.in_(assigned) | Agent.team_id.in_(teams),
            )
        )
        return set(rows)
    queue = session.scalar(select(Campaign.queue_id).where(Campaign.id == campaign_id))
    if queue is None:
        return set()
    rows = session.scalars(
        select(AgentSkill.agent_id)
        .join(QueueSkill, QueueSkill.skill_id == AgentSkill.skill_id)
        .join(Agent, Agent.id == AgentSkill.agent_id)
        .where(
            QueueSkill.queue_id == queue,
            AgentSkill.level >= QueueSkill.min_level,
            Agent.active.is_(True),
        )
        .distinct()
    )
    return set(rows)


# --- status -------------------------------------------------------------------------------------


def set_campaign_status(
    session: Session, campaign: Campaign, action: str, now: datetime, *, user_id: int | None = None
) -> CampaignStatus:
    """Take ``action`` (start, pause, stop, archive) on the campaign; → its new status.

    Raises :class:`ValueError` when the action is not allowed from the current status, and
    when a campaign without anyone to take its calls is started.
    """
    before = campaign.status
    after = campaign_transition(before, action)
    if after is CampaignStatus.ACTIVE and not campaign_agent_ids(session, campaign.id):
        raise ValueError(
            f"campaign {campaign.name!r} has no active agent to take its calls: assign agents "
            "or teams, or give it a queue whose skills agents have"
        )
    campaign.status = after
    campaign.updated_at = now
    session.flush()
    audit_start(
        session,
        user_id=user_id,
        action=f"campaign_{action}",
        at=now,
        target=f"campaign:{campaign.name}",
        details={"from": before.value, "to": after.value},
    )
    return after


# --- figures ------------------------------------------------------------------------------------


def lead_counts(session: Session, campaign_id: int) -> dict[LeadStatus, int]:
    """How many of the campaign's leads are in each status (every status, zeros included)."""
    rows = session.execute(
        select(Lead.status, func.count(Lead.id))
        .where(Lead.campaign_id == campaign_id)
        .group_by(Lead.status)
    )
    counts = dict.fromkeys(LeadStatus, 0)
    for status, count in rows:
        counts[LeadStatus(status)] = int(count)
    return counts


@dataclass(frozen=True)
class AttemptSummary:
    """Dials from ``since`` to ``until``: ``live_answers`` are calls a person answered
    (abandoned ones included), ``abandon_ratio`` = abandoned / live answers (None without
    live answers). The compliance figure proper (per regulator window, AMD false positives
    estimated for Ofcom) is the dialer's; this one is for a quick look."""

    since: datetime
    until: datetime
    attempts: int
    live_answers: int
    abandoned: int

    @property
    def abandon_ratio(self) -> float | None:
        return self.abandoned / self.live_answers if self.live_answers else None


def attempt_summary(
    session: Session, campaign_id: int, since: datetime, until: datetime
) -> AttemptSummary:
    window = (
        CallAttempt.campaign_id == campaign_id,
        CallAttempt.started_at >= since,
        CallAttempt.started_at < until,
    )
    attempts, live, abandoned = session.execute(
        select(
            func.count(CallAttempt.id),
            func.count(CallAttempt.id).filter(CallAttempt.outcome == CallOutcome.HUMAN),
            func.count(CallAttempt.id).filter(CallAttempt.abandoned.is_(True)),
        ).where(*window)
    ).one()
    return AttemptSummary(since, until, int(attempts), int(live), int(abandoned))


def local_day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of ``now``'s day in ``timezone`` (the campaign's), as an aware datetime: the
    start of "today" for a campaign's daily figures."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
