"""The calls behind a figure: from a KPI of the pack or of a range table to the list of calls
(or visits) it counts.

A figure is a *measure* (offered, abandoned, answered within the service level...) over a
*scope* (the whole day, a queue, an agent, a tier, an interval...). The scope is built exactly
as the table that shows the figure builds its group — queue and agent rows count visits, the
centre's totals, tiers and time rows count calls (docs/kpi.md §1.11) — and a visit belongs to
a measure when the KPI function of docs/kpi.md counts it: the predicate of each measure *is*
the KPI function applied to that one visit, so the list and the figure cannot disagree.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.breakdown import BREAKDOWNS, time_key
from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome

__all__ = [
    "MEASURES",
    "SCOPES",
    "Scope",
    "measure_count",
    "members",
    "scope_visits",
]

SCOPES: Final = ("all", *BREAKDOWNS, "slot")
"""``all``: every call of the period (the headline and the queue table's total row); the
breakdowns of :mod:`~asterisk_cc.core.reports.breakdown` (``interval`` is the range table's
local clock slot); ``slot``: one interval of the daily pack, named by its local start with its
UTC offset (``2026-11-22T08:30:00+08:00``), as long as the pack's intervals."""

_VISIT_SCOPES: Final = frozenset({"queue", "agent"})
"""Scopes whose rows count visits (a call that visited two queues is in both); the others
count calls."""


def _is_offered(visit: QueueVisit, _limits: _Limits) -> bool:
    return kpi.offered([visit]) == 1


def _is_answered(visit: QueueVisit, _limits: _Limits) -> bool:
    return kpi.answered([visit]) == 1


def _is_abandoned(visit: QueueVisit, limits: _Limits) -> bool:
    return kpi.abandoned([visit], limits.short_abandon_s) == 1


def _is_short_abandoned(visit: QueueVisit, limits: _Limits) -> bool:
    return kpi.short_abandoned([visit], limits.short_abandon_s) == 1


def _is_timed_out(visit: QueueVisit, _limits: _Limits) -> bool:
    # kpi.queue_figures counts timed_out with this very test.
    return visit.outcome is VisitOutcome.TIMEOUT


def _is_within_sl(visit: QueueVisit, limits: _Limits) -> bool:
    # Over answered calls the service level of one visit is 1 when it was answered within T.
    return kpi.service_level([visit], limits.threshold_s, kpi.SlVariant.ANSWERED) == 1.0


def _is_sl_missed(visit: QueueVisit, limits: _Limits) -> bool:
    return _is_offered(visit, limits) and not _is_within_sl(visit, limits)


def _is_transferred(visit: QueueVisit, _limits: _Limits) -> bool:
    return kpi.transfer_rate([visit]) == 1.0


@dataclass(frozen=True)
class _Limits:
    threshold_s: kpi.Threshold
    short_abandon_s: kpi.Threshold


_PREDICATES: Final[dict[str, Callable[[QueueVisit, _Limits], bool]]] = {
    "offered": _is_offered,
    "answered": _is_answered,
    "abandoned": _is_abandoned,
    "short_abandoned": _is_short_abandoned,
    "timed_out": _is_timed_out,
    "sl_met": _is_within_sl,
    "sl_missed": _is_sl_missed,
    "transferred": _is_transferred,
}
MEASURES: Final = tuple(_PREDICATES)
"""What a list can show: the calls counted by ``offered``, ``answered``, ``abandoned``,
``short_abandoned``, ``timed_out``; those answered within the service-level threshold
(``sl_met``, the numerator of the service level) or offered and not (``sl_missed``); the
answered calls that ended in a transfer (``transferred``, the numerator of the transfer rate)."""


@dataclass(frozen=True)
class Scope:
    """Which group of a table: ``by`` one of :data:`SCOPES`, ``label`` the row's label (none
    for ``all``)."""

    by: str
    label: str | None = None

    def __post_init__(self) -> None:
        if self.by not in SCOPES:
            raise ValueError(f"unknown scope {self.by!r}: choose one of {', '.join(SCOPES)}")
        if self.by != "all" and not self.label:
            raise ValueError(f"the scope {self.by!r} needs the label of its row")

    @property
    def counts_visits(self) -> bool:
        return self.by in _VISIT_SCOPES


def _slot_start(label: str) -> datetime:
    start = datetime.fromisoformat(label)
    if start.tzinfo is None:
        raise ValueError(f"the interval {label!r} needs its UTC offset")
    return start


def scope_visits(
    visits: Sequence[QueueVisit],
    scope: Scope,
    *,
    zone: ZoneInfo,
    interval: timedelta,
    tiers: Mapping[str, str] | None = None,
) -> list[QueueVisit]:
    """The visits (queue, agent) or calls (the others) of ``scope`` among ``visits`` — the
    group the daily pack's tables and :func:`~asterisk_cc.core.reports.breakdown.breakdown`
    compute that row's figures over."""
    if scope.by == "queue":
        return [v for v in visits if v.queue == scope.label]
    if scope.by == "agent":
        return [v for v in visits if v.answered and v.agent and v.agent == scope.label]
    calls = kpi.calls_of(visits)
    if scope.by == "all":
        return calls
    if scope.by == "tier":
        known = tiers or {}
        return [c for c in calls if known.get(c.callid, "unknown") == scope.label]
    if scope.by == "slot":
        start = _slot_start(scope.label or "")
        end = start + interval
        return [c for c in calls if start <= c.entered_at < end]
    key = time_key(scope.by, zone, interval)
    return [c for c in calls if key(c) == scope.label]


def members(
    group: Sequence[QueueVisit],
    measure: str,
    *,
    threshold_s: kpi.Threshold,
    short_abandon_s: kpi.Threshold,
) -> list[QueueVisit]:
    """The visits or calls of ``group`` that ``measure`` counts, oldest first."""
    try:
        predicate = _PREDICATES[measure]
    except KeyError:
        raise ValueError(
            f"unknown measure {measure!r}: choose one of {', '.join(MEASURES)}"
        ) from None
    limits = _Limits(threshold_s, short_abandon_s)
    chosen = [v for v in group if predicate(v, limits)]
    chosen.sort(key=lambda v: (v.entered_at, v.queue, v.callid))
    return chosen


def measure_count(figures: kpi.QueueFigures, measure: str) -> int:
    """The figure the report shows for ``measure`` over a group, from the group's
    :class:`~asterisk_cc.core.reports.kpi.QueueFigures` (the numerators of the service level
    and the transfer rate are given back from their ratios)."""
    if measure in ("offered", "answered", "abandoned", "short_abandoned", "timed_out"):
        return int(getattr(figures, measure))
    within = round((figures.service_level or 0.0) * figures.offered)
    if measure == "sl_met":
        return within
    if measure == "sl_missed":
        return figures.offered - within
    if measure == "transferred":
        return round((figures.transfer_rate or 0.0) * figures.answered)
    raise ValueError(f"unknown measure {measure!r}: choose one of {', '.join(MEASURES)}")
