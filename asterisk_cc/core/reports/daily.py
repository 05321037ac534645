"""The daily supervisor pack, assembled from one day's records with the KPI dictionary.

:class:`DayData` is everything the pack needs about a day, already read from the database
(:mod:`asterisk_cc.db.report_data` reads it); :func:`build_pack` turns it into a
:class:`~asterisk_cc.core.reports.pack.DailyPack`: headline against targets, intervals,
and the tables. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit
from asterisk_cc.core.reports.pack import (
    Cell,
    Column,
    DailyPack,
    Headline,
    IntervalRow,
    Table,
    Unit,
    rag_status,
)

__all__ = [
    "AgentInfo",
    "CampaignDay",
    "DayData",
    "QueueTargets",
    "SiteTargets",
    "build_pack",
    "headline_values",
    "interval_starts",
]


@dataclass(frozen=True)
class QueueTargets:
    threshold_s: float = 20.0
    target_ratio: float = 0.8
    short_abandon_s: float = 5.0


@dataclass(frozen=True)
class SiteTargets:
    abandon_rate: float = 0.05
    asa_s: float = 30.0
    occupancy: float = 0.85
    csat: float = 4.0


@dataclass(frozen=True)
class AgentInfo:
    name: str
    team: str | None = None


@dataclass(frozen=True)
class CampaignDay:
    name: str
    definition: str
    attempts: tuple[kpi.Attempt, ...]
    leads_total: int
    leads_attempted: int


@dataclass(frozen=True)
class DayData:
    """One local day [start, end) of the site, with what happened in it."""

    day: date
    start: datetime
    end: datetime
    timezone: str
    visits: tuple[QueueVisit, ...] = ()
    queue_targets: Mapping[str, QueueTargets] = field(default_factory=dict)
    hold_wrapup: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Measured hold and wrap-up seconds of answered calls, by callid (ARI agents)."""
    agents: Mapping[str, AgentInfo] = field(default_factory=dict)
    """By the name an agent has in queue_log (the member name: the agent's login)."""
    agent_time: Mapping[str, kpi.AgentTime] = field(default_factory=dict)
    shifts: Mapping[str, tuple[tuple[datetime, datetime], ...]] = field(default_factory=dict)
    sessions: Mapping[str, tuple[tuple[datetime, datetime | None], ...]] = field(
        default_factory=dict
    )
    """Log-in sessions (in, out or None) per agent, for attendance."""
    tiers: Mapping[str, str] = field(default_factory=dict)
    """Customer tier by callid, as the IVR identified the caller."""
    later_contacts: tuple[tuple[str, datetime], ...] = ()
    """Calls (caller number, time) from the day to ``fcr_window`` after it, for FCR."""
    fcr_window: timedelta = timedelta(days=7)
    surveys: tuple[tuple[str, int, str | None], ...] = ()
    """(question, score 1..5, agent)."""
    qa: tuple[tuple[str, kpi.QaResult], ...] = ()
    ivr_trips: tuple[kpi.IvrTrip, ...] = ()
    callbacks: tuple[kpi.CallbackReq, ...] = ()
    tickets: tuple[kpi.Ticket, ...] = ()
    complaints_due: tuple[tuple[Cell, ...], ...] = ()
    """(ticket, state, category, customer, received_at, due_at, age_s, overdue)."""
    callbacks_due: tuple[tuple[Cell, ...], ...] = ()
    """(callback, phone, queue, requested_at, preferred_at, attempts, age_s)."""
    open_complaints: tuple[datetime, ...] = ()
    open_callbacks: tuple[datetime, ...] = ()
    campaigns: tuple[CampaignDay, ...] = ()
    outbound_connected: int = 0
    attrition: tuple[int, int, int] = (0, 0, 0)
    """Agents who left in the last 30 days, headcount 30 days ago, headcount now."""
    cost_per_agent_hour: float = 0.0
    ring_no_answer: Mapping[str, int] = field(default_factory=dict)
    """Calls each agent let ring out (RINGNOANSWER lines naming the agent)."""
    notes: tuple[str, ...] = ()

    @cached_property
    def calls(self) -> list[QueueVisit]:
        """The day's calls (§1.11), merged once for every table that counts calls."""
        return kpi.calls_of(self.visits)


DEFAULT_TARGETS = QueueTargets()
HIGHER_IS_BETTER = {
    "service_level": True,
    "abandon_rate": False,
    "asa_s": False,
    "occupancy": True,
    "csat": True,
}


def _targets(data: DayData) -> Callable[[QueueVisit], QueueTargets]:
    return lambda visit: data.queue_targets.get(visit.queue, DEFAULT_TARGETS)


def _figures(data: DayData, visits: Sequence[QueueVisit]) -> kpi.QueueFigures:
    targets = _targets(data)
    return kpi.queue_figures(
        visits,
        threshold_s=lambda v: targets(v).threshold_s,
        short_abandon_s=lambda v: targets(v).short_abandon_s,
    )


def _handled(data: DayData, visits: Sequence[QueueVisit]) -> list[kpi.HandleTime]:
    handled = []
    for visit in visits:
        if visit.answered and visit.talk_s is not None:
            hold, wrapup = data.hold_wrapup.get(visit.callid, (0.0, 0.0))
            handled.append(kpi.HandleTime(talk_s=visit.talk_s, hold_s=hold, wrapup_s=wrapup))
    return handled


def _sl_target(data: DayData, calls: Sequence[QueueVisit]) -> float | None:
    """The centre's service-level target: the queues' targets weighted by offered calls."""
    counted = [c for c in calls if kpi.offered([c])]
    if not counted:
        return None
    targets = _targets(data)
    return sum(targets(c).target_ratio for c in counted) / len(counted)


def headline_values(data: DayData) -> dict[str, float | None]:
    """Every headline KPI of the day by key (also used for the day before and the week
    before, for the changes)."""
    calls = data.calls
    figures = _figures(data, calls)
    handle = kpi.handle_time_s(_handled(data, calls))
    total_time = sum(data.agent_time.values(), kpi.AgentTime())
    candidates = [(c.caller_number, c.entered_at) for c in calls if c.answered and c.caller_number]
    contacts = [(c.caller_number, c.entered_at) for c in calls if c.caller_number]
    surveys = kpi.csat([score for _, score, _ in data.surveys])
    qa = kpi.qa_figures([result for _, result in data.qa])
    complaints = kpi.complaint_figures(data.tickets, data.start, data.end)
    attempts = [a for c in data.campaigns for a in c.attempts]
    outbound = kpi.outbound_figures(
        attempts,
        leads_total=sum(c.leads_total for c in data.campaigns),
        leads_attempted_ever=sum(c.leads_attempted for c in data.campaigns),
    )
    shifts = [s for agent_shifts in data.shifts.values() for s in agent_shifts]
    on_time = [
        kpi.attendance(data.shifts[agent], data.sessions.get(agent, ())) for agent in data.shifts
    ]
    attended = sum(
        round((rate or 0) * len(data.shifts[agent]))
        for agent, rate in zip(data.shifts, on_time, strict=True)
    )
    return {
        "offered": figures.offered,
        "answered": figures.answered,
        "abandoned": figures.abandoned,
        "short_abandoned": figures.short_abandoned,
        "timed_out": figures.timed_out,
        "abandon_rate": figures.abandon_rate,
        "avg_abandon_wait_s": figures.avg_abandon_wait_s,
        "service_level": figures.service_level,
        "service_level_answered": figures.service_level_answered,
        "service_level_excl_short": figures.service_level_excl_short,
        "asa_s": figures.asa_s,
        "avg_wait_s": figures.avg_wait_s,
        "max_wait_s": figures.max_wait_s,
        **handle,
        "transfer_rate": figures.transfer_rate,
        "fcr_rate": kpi.fcr_rate(candidates, contacts + list(data.later_contacts), data.fcr_window),
        "occupancy": kpi.occupancy(total_time),
        "utilisation": kpi.utilisation(total_time),
        "attendance_rate": (attended / len(shifts)) if shifts else None,
        "cost_per_call": kpi.cost_per_call(
            total_time.staffed_s,
            figures.answered + data.outbound_connected,
            data.cost_per_agent_hour,
        ),
        "csat": surveys["csat"],
        "csat_responses": surveys["csat_responses"],
        **qa,
        "ivr_sessions": float(len(data.ivr_trips)),
        "ivr_containment": kpi.ivr_containment(data.ivr_trips),
        "callbacks_requested": float(len(data.callbacks)),
        "callback_fulfilment": kpi.callback_fulfilment(data.callbacks),
        **complaints,
        "backlog_complaints": float(len(data.open_complaints)),
        "backlog_callbacks": float(len(data.open_callbacks)),
        "attrition_rate": kpi.attrition_rate(*data.attrition),
        **{k: v for k, v in outbound.items() if k != "conversion_rate"},
    }


HEADLINE: tuple[tuple[str, Unit], ...] = (
    ("offered", Unit.COUNT),
    ("answered", Unit.COUNT),
    ("service_level", Unit.RATIO),
    ("abandon_rate", Unit.RATIO),
    ("asa_s", Unit.SECONDS),
    ("aht_s", Unit.SECONDS),
    ("avg_abandon_wait_s", Unit.SECONDS),
    ("max_wait_s", Unit.SECONDS),
    ("transfer_rate", Unit.RATIO),
    ("fcr_rate", Unit.RATIO),
    ("occupancy", Unit.RATIO),
    ("utilisation", Unit.RATIO),
    ("attendance_rate", Unit.RATIO),
    ("cost_per_call", Unit.MONEY),
    ("csat", Unit.SCORE),
    ("qa_score", Unit.SCORE),
    ("qa_major_error_rate", Unit.RATIO),
    ("ivr_containment", Unit.RATIO),
    ("callback_fulfilment", Unit.RATIO),
    ("complaint_resolution_s", Unit.SECONDS),
    ("complaint_sla_breaches", Unit.COUNT),
    ("outbound_attempts", Unit.COUNT),
    ("contact_rate", Unit.RATIO),
    ("drop_rate", Unit.RATIO),
    ("conversions", Unit.COUNT),
    ("list_penetration", Unit.RATIO),
    ("attrition_rate", Unit.RATIO),
)
_AMBER = {Unit.RATIO: 0.05, Unit.SCORE: 0.3}


def _headline(
    data: DayData,
    site: SiteTargets,
    today: Mapping[str, float | None],
    day_before: Mapping[str, float | None],
    week_before: Mapping[str, float | None],
) -> tuple[Headline, ...]:
    targets: dict[str, float | None] = {
        "service_level": _sl_target(data, data.calls),
        "abandon_rate": site.abandon_rate,
        "asa_s": site.asa_s,
        "occupancy": site.occupancy,
        "csat": site.csat,
    }
    lines = []
    for key, unit in HEADLINE:
        value = today.get(key)
        target = targets.get(key)
        higher = HIGHER_IS_BETTER.get(key, True)
        band = _AMBER.get(unit, (target or 0) * 0.2)
        lines.append(
            Headline(
                key=key,
                value=value,
                unit=unit,
                target=target,
                status=rag_status(value, target, higher_is_better=higher, amber_band=band),
                higher_is_better=higher,
                day_before=day_before.get(key),
                week_before=week_before.get(key),
            )
        )
    return tuple(lines)


def interval_starts(data: DayData, length: timedelta) -> list[datetime]:
    """The starts (UTC) of the day's intervals: a DST day has 23 or 25 hours of them."""
    starts, at = [], data.start
    while at < data.end:
        starts.append(at)
        at += length
    return starts


def _intervals(data: DayData, length: timedelta) -> tuple[IntervalRow, ...]:
    zone = ZoneInfo(data.timezone)
    calls = data.calls
    buckets: dict[int, list[QueueVisit]] = defaultdict(list)
    for call in calls:
        buckets[int((call.entered_at - data.start) / length)].append(call)
    rows = []
    for index, start in enumerate(interval_starts(data, length)):
        part = buckets.get(index, [])
        figures = _figures(data, part)
        rows.append(
            IntervalRow(
                start=start.astimezone(zone),
                length_s=int(length.total_seconds()),
                offered=figures.offered,
                answered=figures.answered,
                abandoned=figures.abandoned,
                service_level=figures.service_level,
                abandon_rate=figures.abandon_rate,
                asa_s=figures.asa_s,
                aht_s=kpi.handle_time_s(_handled(data, part))["aht_s"],
            )
        )
    return tuple(rows)


def _queue_table(data: DayData) -> Table:
    by_queue: dict[str, list[QueueVisit]] = defaultdict(list)
    for visit in data.visits:
        by_queue[visit.queue].append(visit)

    def row(name: str | None, visits: Sequence[QueueVisit]) -> tuple[Cell, ...]:
        f = _figures(data, visits)
        aht = kpi.handle_time_s(_handled(data, visits))["aht_s"]
        return (
            name,
            f.offered,
            f.answered,
            f.abandoned,
            f.short_abandoned,
            f.timed_out,
            f.service_level,
            f.abandon_rate,
            f.asa_s,
            f.avg_wait_s,
            f.max_wait_s,
            aht,
            f.transfer_rate,
        )

    columns = (
        Column("queue", Unit.TEXT),
        Column("offered", Unit.COUNT),
        Column("answered", Unit.COUNT),
        Column("abandoned", Unit.COUNT),
        Column("short_abandoned", Unit.COUNT),
        Column("timed_out", Unit.COUNT),
        Column("service_level", Unit.RATIO),
        Column("abandon_rate", Unit.RATIO),
        Column("asa_s", Unit.SECONDS),
        Column("avg_wait_s", Unit.SECONDS),
        Column("max_wait_s", Unit.SECONDS),
        Column("aht_s", Unit.SECONDS),
        Column("transfer_rate", Unit.RATIO),
    )
    rows = tuple(row(name, by_queue[name]) for name in sorted(by_queue))
    total = row(None, data.calls) if by_queue else None
    return Table("queues", columns, rows, total)


def _agent_rows(
    data: DayData,
) -> tuple[dict[str, list[QueueVisit]], dict[str, list[int]], dict[str, list[float]]]:
    handled: dict[str, list[QueueVisit]] = defaultdict(list)
    for visit in data.visits:
        if visit.answered and visit.agent:
            handled[visit.agent].append(visit)
    surveys: dict[str, list[int]] = defaultdict(list)
    for _, score, agent in data.surveys:
        if agent:
            surveys[agent].append(score)
    qa: dict[str, list[float]] = defaultdict(list)
    for agent, result in data.qa:
        qa[agent].append(result.score)
    return handled, surveys, qa


def _agent_table(data: DayData) -> Table:
    handled, surveys, qa = _agent_rows(data)
    keys = sorted(
        set(handled) | set(data.agent_time) | set(surveys) | set(qa) | set(data.ring_no_answer)
    )
    rows = []
    for key in keys:
        info = data.agents.get(key, AgentInfo(name=key))
        visits = handled.get(key, [])
        times = kpi.handle_time_s(_handled(data, visits))
        time = data.agent_time.get(key, kpi.AgentTime())
        rows.append(
            (
                info.name,
                info.team,
                len(visits),
                times["avg_talk_s"],
                times["avg_hold_s"],
                times["avg_wrapup_s"],
                times["aht_s"],
                kpi.transfer_rate(visits),
                data.ring_no_answer.get(key, 0),
                time.staffed_s if key in data.agent_time else None,
                time.paused_s if key in data.agent_time else None,
                kpi.occupancy(time),
                kpi.utilisation(time),
                kpi.csat(surveys.get(key, []))["csat"],
                kpi.mean(qa.get(key, [])),
            )
        )
    columns = (
        Column("agent", Unit.TEXT),
        Column("team", Unit.TEXT),
        Column("handled", Unit.COUNT),
        Column("avg_talk_s", Unit.SECONDS),
        Column("avg_hold_s", Unit.SECONDS),
        Column("avg_wrapup_s", Unit.SECONDS),
        Column("aht_s", Unit.SECONDS),
        Column("transfer_rate", Unit.RATIO),
        Column("ring_no_answer", Unit.COUNT),
        Column("staffed_s", Unit.SECONDS),
        Column("paused_s", Unit.SECONDS),
        Column("occupancy", Unit.RATIO),
        Column("utilisation", Unit.RATIO),
        Column("csat", Unit.SCORE),
        Column("qa_score", Unit.SCORE),
    )
    return Table("agents", columns, tuple(rows))


def _team_table(data: DayData) -> Table:
    handled, surveys, _ = _agent_rows(data)
    teams: dict[str, list[str]] = defaultdict(list)
    for key in set(handled) | set(data.agent_time):
        team = data.agents.get(key, AgentInfo(name=key)).team
        if team:
            teams[team].append(key)
    rows = []
    for team in sorted(teams):
        members = teams[team]
        visits = [v for m in members for v in handled.get(m, [])]
        time = sum((data.agent_time.get(m, kpi.AgentTime()) for m in members), kpi.AgentTime())
        rows.append(
            (
                team,
                len(visits),
                kpi.handle_time_s(_handled(data, visits))["aht_s"],
                time.staffed_s,
                kpi.occupancy(time),
                kpi.utilisation(time),
                kpi.csat([s for m in members for s in surveys.get(m, [])])["csat"],
            )
        )
    columns = (
        Column("team", Unit.TEXT),
        Column("handled", Unit.COUNT),
        Column("aht_s", Unit.SECONDS),
        Column("staffed_s", Unit.SECONDS),
        Column("occupancy", Unit.RATIO),
        Column("utilisation", Unit.RATIO),
        Column("csat", Unit.SCORE),
    )
    return Table("teams", columns, tuple(rows))


def _tier_table(data: DayData) -> Table:
    by_tier: dict[str, list[QueueVisit]] = defaultdict(list)
    for call in data.calls:
        by_tier[data.tiers.get(call.callid, "unknown")].append(call)
    rows = []
    for tier in sorted(by_tier):
        f = _figures(data, by_tier[tier])
        rows.append(
            (tier, f.offered, f.answered, f.abandoned, f.service_level, f.abandon_rate, f.asa_s)
        )
    columns = (
        Column("tier", Unit.CODE),
        Column("offered", Unit.COUNT),
        Column("answered", Unit.COUNT),
        Column("abandoned", Unit.COUNT),
        Column("service_level", Unit.RATIO),
        Column("abandon_rate", Unit.RATIO),
        Column("asa_s", Unit.SECONDS),
    )
    return Table("tiers", columns, tuple(rows))


def _ivr_tables(data: DayData) -> tuple[Table, Table]:
    funnel = tuple(
        (node, entered, left, (left / entered) if entered else None)
        for node, entered, left in kpi.ivr_drop_off(data.ivr_trips)
    )
    outcomes: dict[str, int] = defaultdict(int)
    for trip in data.ivr_trips:
        outcomes[trip.outcome or "abandoned"] += 1
    total = len(data.ivr_trips)
    return (
        Table(
            "ivr_funnel",
            (
                Column("node", Unit.TEXT),
                Column("entered", Unit.COUNT),
                Column("left_here", Unit.COUNT),
                Column("drop_off_rate", Unit.RATIO),
            ),
            funnel,
        ),
        Table(
            "ivr_outcomes",
            (
                Column("outcome", Unit.CODE),
                Column("sessions", Unit.COUNT),
                Column("share", Unit.RATIO),
            ),
            tuple(
                (outcome, count, count / total)
                for outcome, count in sorted(outcomes.items(), key=lambda kv: -kv[1])
            ),
        ),
    )


def _campaign_table(data: DayData) -> Table:
    rows = []
    for campaign in data.campaigns:
        f = kpi.outbound_figures(campaign.attempts, campaign.leads_total, campaign.leads_attempted)
        rows.append(
            (
                campaign.name,
                f["outbound_attempts"],
                f["contacts"],
                f["contact_rate"],
                f["rpc"],
                f["drops"],
                f["drop_rate"],
                campaign.definition,
                f["conversions"],
                f["conversion_rate"],
                campaign.leads_total,
                campaign.leads_attempted,
                f["list_penetration"],
            )
        )
    columns = (
        Column("campaign", Unit.TEXT),
        Column("outbound_attempts", Unit.COUNT),
        Column("contacts", Unit.COUNT),
        Column("contact_rate", Unit.RATIO),
        Column("rpc", Unit.COUNT),
        Column("drops", Unit.COUNT),
        Column("drop_rate", Unit.RATIO),
        Column("drop_definition", Unit.CODE),
        Column("conversions", Unit.COUNT),
        Column("conversion_rate", Unit.RATIO),
        Column("leads", Unit.COUNT),
        Column("leads_attempted", Unit.COUNT),
        Column("list_penetration", Unit.RATIO),
    )
    return Table("campaigns", columns, tuple(rows))


def _survey_table(data: DayData) -> Table:
    by_question: dict[str, list[int]] = defaultdict(list)
    for question, score, _ in data.surveys:
        by_question[question].append(score)
    rows = []
    for question in sorted(by_question):
        figures = kpi.csat(by_question[question])
        rows.append(
            (question, len(by_question[question]), figures["csat"], figures["csat_satisfied_rate"])
        )
    columns = (
        Column("question", Unit.TEXT),
        Column("responses", Unit.COUNT),
        Column("avg_score", Unit.SCORE),
        Column("share", Unit.RATIO),
    )
    return Table("surveys", columns, tuple(rows))


def _backlog_table(data: DayData) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for kind, opened in (
        ("backlog_complaints", data.open_complaints),
        ("backlog_callbacks", data.open_callbacks),
    ):
        bands = kpi.backlog_by_age(opened, data.end)
        rows.append((kind, *bands.values()))
    columns = (
        Column("kind", Unit.CODE),
        *(Column(name, Unit.COUNT) for name, _ in kpi.AGE_BANDS),
    )
    return Table("backlog", columns, tuple(rows))


def _listed(
    key: str, columns: tuple[tuple[str, Unit], ...], rows: Sequence[tuple[Cell, ...]]
) -> Table:
    return Table(key, tuple(Column(k, u) for k, u in columns), tuple(rows))


def build_pack(
    data: DayData,
    *,
    site_name: str,
    generated_at: datetime,
    interval: timedelta,
    site: SiteTargets,
    day_before: Mapping[str, float | None],
    week_before: Mapping[str, float | None],
    staffing: Table | None = None,
) -> DailyPack:
    """The pack of ``data``'s day; ``day_before``/``week_before`` are :func:`headline_values`
    of those days (empty when unknown); ``staffing`` the next day's forecast table."""
    today = headline_values(data)
    ivr_funnel, ivr_outcomes = _ivr_tables(data)
    tables = (
        _queue_table(data),
        _agent_table(data),
        _team_table(data),
        _tier_table(data),
        ivr_funnel,
        ivr_outcomes,
        _campaign_table(data),
        _listed(
            "complaints_due",
            (
                ("ticket", Unit.TEXT),
                ("state", Unit.CODE),
                ("category", Unit.TEXT),
                ("customer", Unit.TEXT),
                ("received_at", Unit.TEXT),
                ("due_at", Unit.TEXT),
                ("age_s", Unit.SECONDS),
                ("overdue", Unit.CODE),
            ),
            data.complaints_due,
        ),
        _listed(
            "callbacks_due",
            (
                ("callback", Unit.TEXT),
                ("phone", Unit.TEXT),
                ("queue", Unit.TEXT),
                ("requested_at", Unit.TEXT),
                ("preferred_at", Unit.TEXT),
                ("attempts", Unit.COUNT),
                ("age_s", Unit.SECONDS),
            ),
            data.callbacks_due,
        ),
        _backlog_table(data),
        _survey_table(data),
        staffing or Table("staffing", (), ()),
    )
    return DailyPack(
        site_name=site_name,
        day=data.day,
        timezone=data.timezone,
        generated_at=generated_at,
        headline=_headline(data, site, today, day_before, week_before),
        intervals=_intervals(data, interval),
        tables=tables,
        notes=data.notes,
    )
