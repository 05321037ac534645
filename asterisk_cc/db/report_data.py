"""One day of records, read from the database for the daily pack and the KPI reports.

:func:`load_day` gathers what :class:`~asterisk_cc.core.reports.daily.DayData` holds: the
day's calls in queues, agents' time (from the ARI controller's state changes, or from queue_log
for agents on plain phones), the IVR sessions, surveys, QA, complaints, callbacks, outbound
attempts and the staffing forecast. The day is a local day of the site; everything inside is
UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit
from asterisk_cc.core.reports.daily import AgentInfo, CampaignDay, DayData, QueueTargets
from asterisk_cc.core.reports.forecast import day_bounds
from asterisk_cc.core.reports.pack import Cell
from asterisk_cc.db.models import (
    Agent,
    AgentStateChange,
    CallAttempt,
    CallbackRequest,
    Campaign,
    ComplaintTicket,
    Customer,
    Interaction,
    IvrSession,
    Lead,
    QaEvaluation,
    Queue,
    QueueCall,
    QueueLogEvent,
    Schedule,
    SurveyAnswer,
    Team,
)
from asterisk_cc.db.queue_calls import visits_between

__all__ = ["DayOptions", "hold_wrapup_of", "load_day", "tiers_between"]

_OPEN_CALLBACKS = ("pending", "scheduled", "in_progress")
_MEMBER_EVENTS = ("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL")


@dataclass(frozen=True)
class DayOptions:
    fcr_window_days: int = 7
    cost_per_agent_hour: float = 0.0


def _fmt(at: datetime | None, zone: ZoneInfo) -> str | None:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else None


def _queue_targets(session: Session) -> dict[str, QueueTargets]:
    return {
        q.name: QueueTargets(
            threshold_s=q.service_level_threshold_s,
            target_ratio=q.service_level_target_ratio,
            short_abandon_s=q.short_abandon_s,
        )
        for q in session.scalars(select(Queue))
    }


def _agents(session: Session) -> tuple[dict[str, AgentInfo], dict[int, str], dict[str, str]]:
    """Agents by login (their queue member name), logins by id, logins by interface."""
    infos, logins, by_interface = {}, {}, {}
    rows = session.execute(select(Agent, Team.name).outerjoin(Team, Agent.team_id == Team.id))
    for agent, team in rows:
        infos[agent.login] = AgentInfo(name=agent.name, team=team)
        logins[agent.id] = agent.login
        if agent.interface:
            by_interface[agent.interface] = agent.login
    return infos, logins, by_interface


def _ari_states(
    session: Session, start: datetime, end: datetime, logins: dict[int, str]
) -> dict[str, list[tuple[datetime, str]]]:
    """The state changes of the day per agent, with the last one before the day."""
    states: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    last_before = (
        select(AgentStateChange.agent_id, func.max(AgentStateChange.at).label("at"))
        .where(AgentStateChange.at < start)
        .group_by(AgentStateChange.agent_id)
        .subquery()
    )
    opening = session.execute(
        select(AgentStateChange.agent_id, AgentStateChange.at, AgentStateChange.state).join(
            last_before,
            (AgentStateChange.agent_id == last_before.c.agent_id)
            & (AgentStateChange.at == last_before.c.at),
        )
    )
    during = session.execute(
        select(AgentStateChange.agent_id, AgentStateChange.at, AgentStateChange.state)
        .where(AgentStateChange.at >= start, AgentStateChange.at < end)
        .order_by(AgentStateChange.at, AgentStateChange.id)
    )
    for agent_id, at, state in [*opening, *during]:
        login = logins.get(agent_id)
        if login is not None:
            states[login].append((at, str(state)))
    return states


def _queue_log_states(
    session: Session,
    start: datetime,
    end: datetime,
    visits: Sequence[QueueVisit],
    by_interface: dict[str, str],
) -> dict[str, list[tuple[datetime, str]]]:
    """Agent states of members that only queue_log knows (plain phones): logged in while a
    member of at least one queue (ADDMEMBER..REMOVEMEMBER), paused between PAUSE and UNPAUSE,
    talking during their answered visits. Member events of the day before are read too, for
    agents who stayed logged in across midnight."""
    rows = session.execute(
        select(QueueLogEvent.at, QueueLogEvent.queue, QueueLogEvent.agent, QueueLogEvent.event)
        .where(
            QueueLogEvent.event.in_(_MEMBER_EVENTS),
            QueueLogEvent.at >= start - timedelta(days=1),
            QueueLogEvent.at < end,
        )
        .order_by(QueueLogEvent.id)
    )
    changes: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    for at, queue, agent, event in rows:
        changes[by_interface.get(agent, agent)].append((at, queue, event))
    talks: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for visit in visits:
        if visit.answered and visit.agent and visit.talk_s is not None:
            begin = visit.entered_at + timedelta(seconds=visit.wait_s)
            talks[visit.agent].append((begin, begin + timedelta(seconds=visit.talk_s)))
    timelines: dict[str, list[tuple[datetime, str]]] = {}
    for agent, events in changes.items():
        queues: set[str] = set()
        paused = False
        base: list[tuple[datetime, str]] = []
        for at, queue, event in events:
            if event == "ADDMEMBER":
                queues.add(queue)
            elif event == "REMOVEMEMBER":
                queues.discard(queue)
            elif event in ("PAUSE", "PAUSEALL"):
                paused = True
            elif event in ("UNPAUSE", "UNPAUSEALL"):
                paused = False
            state = "logged_out" if not queues else ("paused" if paused else "ready")
            base.append((at, state))
        # Talk periods override the base state while they last.
        points = sorted(
            [(at, 0, state) for at, state in base]
            + [(b, 1, "talking") for b, _ in talks.get(agent, [])]
            + [(e, 2, "") for _, e in talks.get(agent, [])]
        )
        current, talking, merged = "logged_out", False, []
        for at, kind, state in points:
            if kind == 0:
                current = state
            elif kind == 1:
                talking = True
            else:
                talking = False
            merged.append((at, "talking" if talking else current))
        timelines[agent] = merged
    return timelines


def hold_wrapup_of(
    session: Session, start: datetime, end: datetime
) -> dict[str, tuple[float, float]]:
    """Measured (hold, wrap-up) seconds of the answered calls around [start, end), by
    uniqueid and by linkedid, for AHT (the same inputs for the pack and the dashboard)."""
    rows = session.execute(
        select(
            Interaction.uniqueid, Interaction.linkedid, Interaction.hold_s, Interaction.wrapup_s
        ).where(
            Interaction.started_at >= start - timedelta(hours=1),
            Interaction.started_at < end + timedelta(hours=6),
            Interaction.answered_at.is_not(None),
        )
    )
    measured: dict[str, tuple[float, float]] = {}
    for uniqueid, linkedid, hold, wrapup in rows:
        value = (float(hold or 0), float(wrapup or 0))
        measured[uniqueid] = value
        measured[linkedid] = value
    return measured


def tiers_between(session: Session, start: datetime, end: datetime) -> dict[str, str]:
    """Tier by callid: the IVR session of the same channel (or call) identified the caller."""
    rows = session.execute(
        select(IvrSession.uniqueid, IvrSession.linkedid, Customer.tier)
        .join(Customer, IvrSession.customer_id == Customer.id)
        .where(
            IvrSession.started_at >= start - timedelta(hours=1),
            IvrSession.started_at < end,
        )
    )
    tiers: dict[str, str] = {}
    for uniqueid, linkedid, tier in rows:
        tiers[uniqueid] = str(tier)
        tiers[linkedid] = str(tier)
    return tiers


def _campaigns(session: Session, start: datetime, end: datetime) -> list[CampaignDay]:
    days = []
    attempts_by_campaign: dict[int, list[kpi.Attempt]] = defaultdict(list)
    for attempt in session.scalars(
        select(CallAttempt).where(CallAttempt.started_at >= start, CallAttempt.started_at < end)
    ):
        attempts_by_campaign[attempt.campaign_id].append(
            kpi.Attempt(
                lead_id=attempt.lead_id,
                outcome=str(attempt.outcome) if attempt.outcome else None,
                connected=attempt.connected_at is not None,
                abandoned=attempt.abandoned,
                disposition=attempt.disposition,
            )
        )
    for campaign in session.scalars(select(Campaign).order_by(Campaign.name)):
        attempts = attempts_by_campaign.get(campaign.id, [])
        leads_total = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.campaign_id == campaign.id)
        )
        if not attempts and not leads_total:
            continue
        attempted = session.scalar(
            select(func.count(func.distinct(CallAttempt.lead_id))).where(
                CallAttempt.campaign_id == campaign.id, CallAttempt.started_at < end
            )
        )
        days.append(
            CampaignDay(
                name=campaign.name,
                definition=str(campaign.abandon_definition),
                attempts=tuple(attempts),
                leads_total=leads_total or 0,
                leads_attempted=attempted or 0,
            )
        )
    return days


def _due_lists(
    session: Session, end: datetime, zone: ZoneInfo
) -> tuple[list[tuple[Cell, ...]], list[datetime], list[tuple[Cell, ...]], list[datetime]]:
    complaints, complaint_ages = [], []
    for ticket, customer in session.execute(
        select(ComplaintTicket, Customer.name)
        .outerjoin(Customer, ComplaintTicket.customer_id == Customer.id)
        .where(ComplaintTicket.received_at < end, ComplaintTicket.closed_at.is_(None))
        .order_by(ComplaintTicket.due_at.is_(None), ComplaintTicket.due_at)
    ):
        complaint_ages.append(ticket.received_at)
        complaints.append(
            (
                f"#{ticket.id}",
                str(ticket.state),
                ticket.category,
                customer,
                _fmt(ticket.received_at, zone),
                _fmt(ticket.due_at, zone),
                (end - ticket.received_at).total_seconds(),
                "yes" if ticket.due_at is not None and ticket.due_at < end else "no",
            )
        )
    callbacks, callback_ages = [], []
    for request, queue in session.execute(
        select(CallbackRequest, Queue.name)
        .outerjoin(Queue, CallbackRequest.queue_id == Queue.id)
        .where(CallbackRequest.requested_at < end, CallbackRequest.status.in_(_OPEN_CALLBACKS))
        .order_by(CallbackRequest.preferred_at.is_(None), CallbackRequest.preferred_at)
    ):
        callback_ages.append(request.requested_at)
        callbacks.append(
            (
                f"#{request.id}",
                request.phone_e164,
                queue,
                _fmt(request.requested_at, zone),
                _fmt(request.preferred_at, zone),
                request.attempts,
                (end - request.requested_at).total_seconds(),
            )
        )
    return complaints, complaint_ages, callbacks, callback_ages


def _shifts_and_sessions(
    session: Session,
    start: datetime,
    end: datetime,
    logins_by_id: dict[int, str],
    states: dict[str, list[tuple[datetime, str]]],
) -> tuple[
    dict[str, tuple[tuple[datetime, datetime], ...]],
    dict[str, tuple[tuple[datetime, datetime | None], ...]],
]:
    shifts: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for schedule in session.scalars(
        select(Schedule).where(
            Schedule.starts_at >= start, Schedule.starts_at < end, Schedule.activity == "shift"
        )
    ):
        login = logins_by_id.get(schedule.agent_id)
        if login:
            shifts[login].append((schedule.starts_at, schedule.ends_at))
    sessions: dict[str, tuple[tuple[datetime, datetime | None], ...]] = {}
    for login, timeline in states.items():
        spans: list[tuple[datetime, datetime | None]] = []
        began: datetime | None = None
        for at, state in timeline:
            if state != "logged_out" and began is None:
                began = at
            elif state == "logged_out" and began is not None:
                spans.append((began, at))
                began = None
        if began is not None:
            spans.append((began, None))
        sessions[login] = tuple(spans)
    return {k: tuple(v) for k, v in shifts.items()}, sessions


def _ring_no_answer(
    session: Session, start: datetime, end: datetime, by_interface: dict[str, str]
) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for agent, count in session.execute(
        select(QueueLogEvent.agent, func.count())
        .where(
            QueueLogEvent.event == "RINGNOANSWER",
            QueueLogEvent.at >= start,
            QueueLogEvent.at < end,
        )
        .group_by(QueueLogEvent.agent)
    ):
        counts[by_interface.get(agent, agent)] += count
    return dict(counts)


def _attrition(session: Session, end: datetime) -> tuple[int, int, int]:
    since = end - timedelta(days=30)
    active_now = session.scalar(select(func.count()).select_from(Agent).where(Agent.active)) or 0
    left = (
        session.scalar(
            select(func.count())
            .select_from(Agent)
            .where(~Agent.active, Agent.updated_at >= since, Agent.updated_at < end)
        )
        or 0
    )
    joined = (
        session.scalar(
            select(func.count()).select_from(Agent).where(Agent.created_at >= since, Agent.active)
        )
        or 0
    )
    return left, active_now - joined + left, active_now


def load_day(
    session: Session, day: date, zone: ZoneInfo, options: DayOptions = DayOptions()
) -> DayData:
    """Everything the daily pack shows about ``day`` (local to ``zone``)."""
    start, end = day_bounds(day, zone)
    visits = visits_between(session, start, end)
    infos, logins_by_id, by_interface = _agents(session)
    states = _queue_log_states(session, start, end, visits, by_interface)
    states.update(_ari_states(session, start, end, logins_by_id))  # ARI records win
    agent_time = {
        login: kpi.agent_time_from_states(timeline, start, end)
        for login, timeline in states.items()
    }
    agent_time = {k: v for k, v in agent_time.items() if v.staffed_s > 0}
    shifts, sessions = _shifts_and_sessions(session, start, end, logins_by_id, states)
    window = timedelta(days=options.fcr_window_days)
    later = session.execute(
        select(QueueCall.caller_number, QueueCall.entered_at).where(
            QueueCall.entered_at >= end,
            QueueCall.entered_at < end + window,
            QueueCall.caller_number.is_not(None),
        )
    )
    surveys = [
        (question, score, logins_by_id.get(agent_id) if agent_id else None)
        for question, score, agent_id in session.execute(
            select(SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.agent_id).where(
                SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end
            )
        )
    ]
    qa = [
        (logins_by_id.get(agent_id, str(agent_id)), kpi.QaResult(score, critical))
        for agent_id, score, critical in session.execute(
            select(QaEvaluation.agent_id, QaEvaluation.score, QaEvaluation.critical_failed).where(
                QaEvaluation.evaluated_at >= start, QaEvaluation.evaluated_at < end
            )
        )
    ]
    trips = [
        kpi.IvrTrip(path=tuple(str(node) for node in path or ()), outcome=outcome)
        for path, outcome in session.execute(
            select(IvrSession.path, IvrSession.outcome).where(
                IvrSession.started_at >= start, IvrSession.started_at < end
            )
        )
    ]
    callbacks = [
        kpi.CallbackReq(requested_at=r, status=str(s), fulfilled_at=f)
        for r, s, f in session.execute(
            select(
                CallbackRequest.requested_at, CallbackRequest.status, CallbackRequest.fulfilled_at
            ).where(CallbackRequest.requested_at >= start, CallbackRequest.requested_at < end)
        )
    ]
    tickets = [
        kpi.Ticket(received_at=r, closed_at=c, due_at=d)
        for r, c, d in session.execute(
            select(
                ComplaintTicket.received_at, ComplaintTicket.closed_at, ComplaintTicket.due_at
            ).where(
                ComplaintTicket.received_at < end,
                (ComplaintTicket.closed_at.is_(None)) | (ComplaintTicket.closed_at >= start),
            )
        )
    ]
    complaints_due, open_complaints, callbacks_due, open_callbacks = _due_lists(session, end, zone)
    campaigns = _campaigns(session, start, end)
    notes: list[str] = []
    if any(v.outcome.value == "in_queue" for v in visits):
        notes.append("calls_still_waiting")
    return DayData(
        day=day,
        start=start,
        end=end,
        timezone=zone.key,
        visits=tuple(visits),
        queue_targets=_queue_targets(session),
        hold_wrapup=hold_wrapup_of(session, start, end),
        agents=infos,
        agent_time=agent_time,
        shifts=shifts,
        sessions=sessions,
        tiers=tiers_between(session, start, end),
        later_contacts=tuple((str(n), at) for n, at in later),
        fcr_window=window,
        surveys=tuple(surveys),
        qa=tuple(qa),
        ivr_trips=tuple(trips),
        callbacks=tuple(callbacks),
        tickets=tuple(tickets),
        complaints_due=tuple(complaints_due),
        callbacks_due=tuple(callbacks_due),
        open_complaints=tuple(open_complaints),
        open_callbacks=tuple(open_callbacks),
        campaigns=tuple(campaigns),
        outbound_connected=sum(
            1 for c in campaigns for a in c.attempts if a.connected and not a.abandoned
        ),
        attrition=_attrition(session, end),
        cost_per_agent_hour=options.cost_per_agent_hour,
        ring_no_answer=_ring_no_answer(session, start, end, by_interface),
        notes=tuple(notes),
    )
