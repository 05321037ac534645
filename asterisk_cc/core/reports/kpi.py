"""The KPI dictionary, implemented: each function computes exactly what docs/kpi.md defines.

Inputs are plain records (queue visits, agent time, surveys, tickets...), never the database;
every function is pure and returns ``None`` when its denominator is empty ("no calls" is not
"0 % abandoned"). Ratios are 0..1, durations seconds. The section of docs/kpi.md a function
implements is named in its docstring.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome

__all__ = [
    "AgentTime",
    "Attempt",
    "CallbackReq",
    "IvrTrip",
    "QaResult",
    "QueueFigures",
    "SlVariant",
    "Threshold",
    "Ticket",
    "abandon_rate",
    "abandoned",
    "agent_time_from_states",
    "answered",
    "asa_s",
    "attendance",
    "attrition_rate",
    "avg_abandon_wait_s",
    "avg_wait_s",
    "backlog_by_age",
    "callback_fulfilment",
    "calls_of",
    "complaint_figures",
    "cost_per_call",
    "csat",
    "fcr_rate",
    "handle_time_s",
    "ivr_containment",
    "ivr_drop_off",
    "max_wait_s",
    "mean",
    "occupancy",
    "offered",
    "outbound_figures",
    "qa_figures",
    "queue_figures",
    "service_level",
    "short_abandoned",
    "transfer_rate",
    "utilisation",
]


Threshold = float | Callable[[QueueVisit], float]
"""A limit in seconds: one for every visit, or one per visit (each queue its own)."""


def _per_visit(limit: Threshold) -> Callable[[QueueVisit], float]:
    if callable(limit):
        return limit
    return lambda _visit: limit


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- calls in queues (docs/kpi.md §1) ---------------------------------------------------------

# Visits whose end is unknown (Asterisk restarted) or not yet come are not offered calls.
_NOT_OFFERED = (VisitOutcome.IN_QUEUE, VisitOutcome.LOST)


def offered(visits: Iterable[QueueVisit]) -> int:
    """§1.1 Offered: visits that entered the queue and ended (answered or not)."""
    return sum(1 for v in visits if v.outcome not in _NOT_OFFERED)


def answered(visits: Iterable[QueueVisit]) -> int:
    """§1.2 Answered: visits connected to an agent (CONNECT), transferred ones included."""
    return sum(1 for v in visits if v.outcome is VisitOutcome.ANSWERED)


def abandoned(visits: Iterable[QueueVisit], short_abandon_s: Threshold = 0) -> int:
    """§1.3 Abandoned: the caller hung up while waiting (ABANDON), after at least
    ``short_abandon_s`` seconds. Timeouts, exits by key, empty-queue exits and withdrawals are
    not abandons: the system, not the caller, ended the wait."""
    short = _per_visit(short_abandon_s)
    return sum(1 for v in visits if v.outcome is VisitOutcome.ABANDONED and v.wait_s >= short(v))


def short_abandoned(visits: Iterable[QueueVisit], short_abandon_s: Threshold) -> int:
    """§1.3 Short abandons: abandoned in under ``short_abandon_s`` seconds (misdials, callers
    who hang up at the greeting)."""
    short = _per_visit(short_abandon_s)
    return sum(1 for v in visits if v.outcome is VisitOutcome.ABANDONED and v.wait_s < short(v))


def abandon_rate(visits: Sequence[QueueVisit], short_abandon_s: Threshold = 0) -> float | None:
    """§1.4 Abandon rate = abandoned ÷ (offered − short abandons)."""
    short = short_abandoned(visits, short_abandon_s)
    return _ratio(abandoned(visits, short_abandon_s), offered(visits) - short)


def avg_abandon_wait_s(
    visits: Iterable[QueueVisit], short_abandon_s: Threshold = 0
) -> float | None:
    """§1.5 Average abandon wait: mean wait of the abandons counted by :func:`abandoned`."""
    short = _per_visit(short_abandon_s)
    return mean(
        [v.wait_s for v in visits if v.outcome is VisitOutcome.ABANDONED and v.wait_s >= short(v)]
    )


class SlVariant(StrEnum):
    """§1.6 The three service-level formulas in use; the pack shows ``offered``."""

    OFFERED = "offered"
    """answered within T ÷ offered (every unanswered call counts against)"""
    ANSWERED = "answered"
    """answered within T ÷ answered (Wazo's quality of service; ignores abandons)"""
    EXCLUDING_SHORT = "excluding_short"
    """answered within T ÷ (offered − short abandons)"""


def service_level(
    visits: Sequence[QueueVisit],
    threshold_s: Threshold,
    variant: SlVariant = SlVariant.OFFERED,
    short_abandon_s: Threshold = 0,
) -> float | None:
    """§1.6 Service level: the share of calls answered within ``threshold_s`` (wait ≤ T)."""
    limit = _per_visit(threshold_s)
    within = sum(1 for v in visits if v.answered and v.wait_s <= limit(v))
    if variant is SlVariant.ANSWERED:
        return _ratio(within, answered(visits))
    base = offered(visits)
    if variant is SlVariant.EXCLUDING_SHORT:
        base -= short_abandoned(visits, short_abandon_s)
    return _ratio(within, base)


def asa_s(visits: Iterable[QueueVisit]) -> float | None:
    """§1.7 Average speed of answer: mean wait of answered visits."""
    return mean([v.wait_s for v in visits if v.answered])


def avg_wait_s(visits: Iterable[QueueVisit]) -> float | None:
    """§1.8 Average wait: mean wait of all offered visits, answered or not."""
    return mean([v.wait_s for v in visits if v.outcome not in _NOT_OFFERED])


def max_wait_s(visits: Iterable[QueueVisit]) -> float | None:
    """§1.8 Longest wait of an offered visit."""
    waits = [v.wait_s for v in visits if v.outcome not in _NOT_OFFERED]
    return max(waits) if waits else None


def transfer_rate(visits: Sequence[QueueVisit]) -> float | None:
    """§1.10 Transfer rate = answered visits that ended in a transfer ÷ answered."""
    return _ratio(sum(1 for v in visits if v.answered and v.transferred), answered(visits))


@dataclass(frozen=True)
class HandleTime:
    """The talk, hold and wrap-up seconds of one handled call (hold and wrap-up are measured
    for agents on ARI sessions; 0 for plain phones, which Asterisk does not report)."""

    talk_s: float
    hold_s: float = 0.0
    wrapup_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.talk_s + self.hold_s + self.wrapup_s


def handle_time_s(calls: Sequence[HandleTime]) -> dict[str, float | None]:
    """§1.9 AHT = mean(talk + hold + wrap-up) over handled calls, with its three parts."""
    return {
        "aht_s": mean([c.total_s for c in calls]),
        "avg_talk_s": mean([c.talk_s for c in calls]),
        "avg_hold_s": mean([c.hold_s for c in calls]),
        "avg_wrapup_s": mean([c.wrapup_s for c in calls]),
    }


def calls_of(visits: Iterable[QueueVisit]) -> list[QueueVisit]:
    """§1.11 Calls, not visits: the visits of one call (same callid) merged into one, so a call
    that overflowed from queue A to B is offered once and answered once. The merged call
    entered when its first visit did, waited from then until answered (or until it left the
    last queue), ended as its last visit did (answered if any visit was), and is attributed
    to the queue where it was answered, else to the last queue."""
    by_call: dict[str, list[QueueVisit]] = defaultdict(list)
    for visit in visits:
        by_call[visit.callid].append(visit)
    merged = []
    for parts in by_call.values():
        parts.sort(key=lambda v: v.entered_at)
        first = parts[0]
        answered_part = next((v for v in parts if v.answered), None)
        final = answered_part or parts[-1]
        final_wait_end = final.entered_at + timedelta(seconds=final.wait_s)
        wait = (final_wait_end - first.entered_at).total_seconds()
        merged.append(
            replace(
                final,
                entered_at=first.entered_at,
                wait_s=max(0.0, wait),
                caller_number=first.caller_number,
                ring_no_answer=sum(v.ring_no_answer for v in parts),
            )
        )
    return merged


@dataclass(frozen=True)
class QueueFigures:
    """The call KPIs of one set of visits (a queue, a tier, an interval, the whole day)."""

    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    service_level: float | None
    service_level_answered: float | None
    service_level_excl_short: float | None
    abandon_rate: float | None
    avg_abandon_wait_s: float | None
    asa_s: float | None
    avg_wait_s: float | None
    max_wait_s: float | None
    transfer_rate: float | None


def queue_figures(
    visits: Sequence[QueueVisit], threshold_s: Threshold, short_abandon_s: Threshold
) -> QueueFigures:
    """All of §1 for ``visits`` with one service-level threshold and short-abandon limit."""
    return QueueFigures(
        offered=offered(visits),
        answered=answered(visits),
        abandoned=abandoned(visits, short_abandon_s),
        short_abandoned=short_abandoned(visits, short_abandon_s),
        timed_out=sum(1 for v in visits if v.outcome is VisitOutcome.TIMEOUT),
        service_level=service_level(visits, threshold_s),
        service_level_answered=service_level(visits, threshold_s, SlVariant.ANSWERED),
        service_level_excl_short=service_level(
            visits, threshold_s, SlVariant.EXCLUDING_SHORT, short_abandon_s
        ),
        abandon_rate=abandon_rate(visits, short_abandon_s),
        avg_abandon_wait_s=avg_abandon_wait_s(visits, short_abandon_s),
        asa_s=asa_s(visits),
        avg_wait_s=avg_wait_s(visits),
        max_wait_s=max_wait_s(visits),
        transfer_rate=transfer_rate(visits),
    )


def fcr_rate(
    resolved_candidates: Sequence[tuple[str, datetime]],
    contacts: Sequence[tuple[str, datetime]],
    window: timedelta,
) -> float | None:
    """§1.12 First-contact resolution: of the answered calls from identified callers
    (``resolved_candidates``: caller key, answered time), the share after which the same
    caller made no other contact (``contacts``: every call of the caller, answered or not,
    from any channel) within ``window``."""
    times: dict[str, list[datetime]] = defaultdict(list)
    for caller, at in contacts:
        times[caller].append(at)
    resolved = 0
    for caller, at in resolved_candidates:
        if not any(at < other <= at + window for other in times.get(caller, ())):
            resolved += 1
    return _ratio(resolved, len(resolved_candidates))


# --- agents' time (docs/kpi.md §2) ------------------------------------------------------------


@dataclass(frozen=True)
class AgentTime:
    """Seconds an agent spent in each state over a period (§2.1). ``staffed_s`` = logged in."""

    staffed_s: float = 0.0
    paused_s: float = 0.0
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrapup_s: float = 0.0

    @property
    def handling_s(self) -> float:
        return self.talk_s + self.hold_s + self.wrapup_s

    def __add__(self, other: AgentTime) -> AgentTime:
        return AgentTime(
            self.staffed_s + other.staffed_s,
            self.paused_s + other.paused_s,
            self.talk_s + other.talk_s,
            self.hold_s + other.hold_s,
            self.wrapup_s + other.wrapup_s,
        )


_STATE_BUCKET = {
    "paused": "paused_s",
    "talking": "talk_s",
    "hold": "hold_s",
    "wrap_up": "wrapup_s",
}


def agent_time_from_states(
    states: Sequence[tuple[datetime, str]], start: datetime, end: datetime
) -> AgentTime:
    """§2.1 One agent's time in [start, end) from its state changes (time, state) in order,
    the last one before ``start`` included: each state lasts until the next change, clipped to
    the period (so a shift across midnight is split between the days). Every state but
    ``logged_out`` is staffed time."""
    totals: dict[str, float] = defaultdict(float)
    for index, (at, state) in enumerate(states):
        until = states[index + 1][0] if index + 1 < len(states) else end
        begin, finish = max(at, start), min(until, end)
        seconds = (finish - begin).total_seconds()
        if seconds <= 0 or state == "logged_out":
            continue
        totals["staffed_s"] += seconds
        bucket = _STATE_BUCKET.get(state)
        if bucket:
            totals[bucket] += seconds
    return AgentTime(**totals)


def occupancy(time: AgentTime) -> float | None:
    """§2.2 Occupancy = handling time (talk + hold + wrap-up) ÷ (staffed − paused): how busy
    agents were while available for calls."""
    return _ratio(time.handling_s, time.staffed_s - time.paused_s)


def utilisation(time: AgentTime) -> float | None:
    """§2.3 Utilisation = handling time ÷ staffed time (pauses count against it)."""
    return _ratio(time.handling_s, time.staffed_s)


def attendance(
    shifts: Sequence[tuple[datetime, datetime]],
    sessions: Sequence[tuple[datetime, datetime | None]],
    grace: timedelta = timedelta(minutes=5),
) -> float | None:
    """§2.4 On-time attendance = scheduled shifts for which the agent was logged in at the
    shift's start + ``grace`` ÷ scheduled shifts. ``sessions``: (logged in, logged out or None
    when still in) of the agent."""
    on_time = 0
    for shift_start, _shift_end in shifts:
        due = shift_start + grace
        if any(begin <= due and (end is None or end > due) for begin, end in sessions):
            on_time += 1
    return _ratio(on_time, len(shifts))


def cost_per_call(staffed_s: float, handled_calls: int, cost_per_agent_hour: float) -> float | None:
    """§2.5 Cost per call = staffed hours × cost per agent hour ÷ handled calls (inbound
    answered + outbound connected); None when no cost is configured."""
    if cost_per_agent_hour <= 0:
        return None
    return _ratio(staffed_s / 3600 * cost_per_agent_hour, handled_calls)


def attrition_rate(left: int, headcount_start: int, headcount_end: int) -> float | None:
    """§2.6 Attrition = agents who left in the period ÷ average headcount
    ((start + end) ÷ 2)."""
    return _ratio(left, (headcount_start + headcount_end) / 2)


# --- quality (docs/kpi.md §3) -----------------------------------------------------------------


def csat(scores: Sequence[int]) -> dict[str, float | None]:
    """§3.1 CSAT: the mean score (1..5) and the share of satisfied answers (4 or 5)."""
    return {
        "csat": mean([float(s) for s in scores]),
        "csat_satisfied_rate": _ratio(sum(1 for s in scores if s >= 4), len(scores)),
        "csat_responses": float(len(scores)),
    }


@dataclass(frozen=True)
class QaResult:
    score: float
    critical_failed: bool


def qa_figures(results: Sequence[QaResult]) -> dict[str, float | None]:
    """§3.2 Quality score = mean evaluation score (0..100); major-error rate = evaluations
    with a critical item failed ÷ evaluations."""
    return {
        "qa_score": mean([r.score for r in results]),
        "qa_major_error_rate": _ratio(sum(1 for r in results if r.critical_failed), len(results)),
    }


# --- IVR, callbacks, complaints (docs/kpi.md §4) ----------------------------------------------

CONTAINED_OUTCOMES = frozenset({"self_served"})
"""IVR outcomes that end the call without an agent because the IVR served the caller."""
GAVE_UP_OUTCOMES = frozenset({"abandoned", "no_input"})
"""IVR outcomes where the caller hung up, or stopped answering, in the menus."""


@dataclass(frozen=True)
class IvrTrip:
    path: tuple[str, ...]
    outcome: str | None


def ivr_containment(trips: Sequence[IvrTrip]) -> float | None:
    """§4.1 Containment = sessions served entirely in the IVR (outcome ``self_served``) ÷
    sessions."""
    return _ratio(sum(1 for t in trips if t.outcome in CONTAINED_OUTCOMES), len(trips))


def ivr_drop_off(trips: Sequence[IvrTrip]) -> list[tuple[str, int, int]]:
    """§4.2 Drop-off per node: (node, sessions that reached it, sessions whose caller hung up
    there — the node was their last and the outcome ``abandoned``, ``no_input`` or none), in order of first
    appearance."""
    entered: dict[str, int] = {}
    left: dict[str, int] = defaultdict(int)
    for trip in trips:
        for node in dict.fromkeys(trip.path):
            entered[node] = entered.get(node, 0) + 1
        if trip.path and (trip.outcome is None or trip.outcome in GAVE_UP_OUTCOMES):
            left[trip.path[-1]] += 1
    return [(node, count, left[node]) for node, count in entered.items()]


@dataclass(frozen=True)
class CallbackReq:
    requested_at: datetime
    status: str
    fulfilled_at: datetime | None


def callback_fulfilment(requests: Sequence[CallbackReq]) -> float | None:
    """§4.3 Callback fulfilment = requests called back (status ``done``) ÷ requests, over the
    requests made in the period, cancelled ones excluded."""
    counted = [r for r in requests if r.status != "cancelled"]
    return _ratio(sum(1 for r in counted if r.status == "done"), len(counted))


@dataclass(frozen=True)
class Ticket:
    received_at: datetime
    closed_at: datetime | None
    due_at: datetime | None


def complaint_figures(
    tickets: Sequence[Ticket], start: datetime, end: datetime
) -> dict[str, float | None]:
    """§4.4 Over the period [start, end): complaints received; mean resolution time of those
    closed (closed − received); SLA breaches = tickets closed in the period after their due time
    + tickets still open at ``end`` past their due time."""
    closed = [t for t in tickets if t.closed_at is not None and start <= t.closed_at < end]
    breaches = sum(
        1
        for t in closed
        if t.due_at is not None and t.closed_at is not None and t.closed_at > t.due_at
    ) + sum(
        1
        for t in tickets
        if t.received_at < end
        and (t.closed_at is None or t.closed_at >= end)
        and t.due_at is not None
        and t.due_at < end
    )
    return {
        "complaints_received": float(sum(1 for t in tickets if start <= t.received_at < end)),
        "complaint_resolution_s": mean(
            [(t.closed_at - t.received_at).total_seconds() for t in closed if t.closed_at]
        ),
        "complaint_sla_breaches": float(breaches),
    }


AGE_BANDS = (
    ("under_1d", timedelta(days=1)),
    ("d1_to_3", timedelta(days=3)),
    ("d3_to_7", timedelta(days=7)),
    ("over_7d", timedelta.max),
)


def backlog_by_age(opened_at: Iterable[datetime], at: datetime) -> dict[str, int]:
    """§4.5 Backlog: items open at ``at`` counted by age band (under 1 day, 1–3, 3–7, over 7)."""
    counts = {name: 0 for name, _ in AGE_BANDS}
    for opened in opened_at:
        age = at - opened
        name = next(name for name, limit in AGE_BANDS if age < limit)
        counts[name] += 1
    return counts


# --- outbound (docs/kpi.md §5) ----------------------------------------------------------------

NOT_RIGHT_PARTY = frozenset({"wrong_number", "answering_machine", "no_answer_by_agent"})
CONVERSIONS = frozenset({"sale"})


@dataclass(frozen=True)
class Attempt:
    lead_id: int
    outcome: str | None
    connected: bool
    abandoned: bool
    disposition: str | None


def outbound_figures(
    attempts: Sequence[Attempt],
    leads_total: int,
    leads_attempted_ever: int,
    is_conversion: Callable[[str], bool] = CONVERSIONS.__contains__,
) -> dict[str, float | None]:
    """§5 Outbound over a period: attempts; contacts (a person answered: outcome ``human``);
    contact rate = contacts ÷ attempts; right-party contacts = contacts put through to an agent
    whose disposition is not wrong number / machine / no answer; drops = live answers abandoned
    (no agent in time); drop rate = drops ÷ contacts (the day's figure; the regulatory figure
    per campaign is in §5.4); conversions = dispositions counted as a conversion (``sale``);
    list penetration = leads dialled at least once ÷ leads in the list."""
    contacts = [a for a in attempts if a.outcome == "human"]
    rpc = [a for a in contacts if a.connected and (a.disposition or "") not in NOT_RIGHT_PARTY]
    drops = sum(1 for a in contacts if a.abandoned)
    conversions = sum(1 for a in attempts if a.disposition and is_conversion(a.disposition))
    return {
        "outbound_attempts": float(len(attempts)),
        "contacts": float(len(contacts)),
        "contact_rate": _ratio(len(contacts), len(attempts)),
        "rpc": float(len(rpc)),
        "rpc_rate": _ratio(len(rpc), len(contacts)),
        "drops": float(drops),
        "drop_rate": _ratio(drops, len(contacts)),
        "conversions": float(conversions),
        "conversion_rate": _ratio(conversions, len(rpc)),
        "list_penetration": _ratio(leads_attempted_ever, leads_total),
    }
