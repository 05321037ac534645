"""What the report pages show, read from the database and computed by the reports engine:
the daily pack (:func:`~asterisk_cc.reports.daily.build_day_pack`), the KPI table of any range
(:func:`~asterisk_cc.core.reports.breakdown.breakdown`, as ``asterisk-cc report kpis``) and the
calls behind a figure (:mod:`~asterisk_cc.core.reports.drilldown`). Each builder opens its own
database session: it runs in a background thread (:mod:`asterisk_cc.web.reports_cache`), not
in a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.config import Settings
from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.breakdown import BreakdownRow, breakdown
from asterisk_cc.core.reports.calls import QueueVisit
from asterisk_cc.core.reports.daily import DEFAULT_TARGETS, QueueTargets
from asterisk_cc.core.reports.drilldown import Scope, measure_count, members, scope_visits
from asterisk_cc.core.reports.forecast import day_bounds
from asterisk_cc.core.reports.pack import DailyPack
from asterisk_cc.db.models import Queue
from asterisk_cc.db.queue_calls import visits_between
from asterisk_cc.db.report_data import hold_wrapup_of, tiers_between
from asterisk_cc.reports.daily import build_day_pack

__all__ = [
    "CallsResult",
    "RangeResult",
    "build_calls",
    "build_pack",
    "build_range",
    "period_bounds",
]

Sessions = Callable[[], Session]


def period_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start of ``first``, end of ``last``) in UTC, local days of the site."""
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(last, zone)
    return start, end


def build_pack(sessions: Sessions, settings: Settings, day: date, now: datetime) -> DailyPack:
    with sessions() as session:
        return build_day_pack(session, settings, day, now)


@dataclass(frozen=True)
class _Limits:
    """The per-queue thresholds the daily pack uses (queues not in the table: defaults)."""

    targets: Mapping[str, QueueTargets]

    def threshold_s(self, visit: QueueVisit) -> float:
        return self.targets.get(visit.queue, DEFAULT_TARGETS).threshold_s

    def short_abandon_s(self, visit: QueueVisit) -> float:
        return self.targets.get(visit.queue, DEFAULT_TARGETS).short_abandon_s


def _limits(session: Session) -> _Limits:
    return _Limits(
        {
            name: QueueTargets(threshold, ratio, short)
            for name, threshold, ratio, short in session.execute(
                select(
                    Queue.name,
                    Queue.service_level_threshold_s,
                    Queue.service_level_target_ratio,
                    Queue.short_abandon_s,
                )
            )
        }
    )


def _handle_times(
    measured: Mapping[str, tuple[float, float]],
) -> Callable[[Sequence[QueueVisit]], list[kpi.HandleTime]]:
    """AHT as the daily pack counts it: talk + the hold and wrap-up the ARI controller measured."""

    def handle(part: Sequence[QueueVisit]) -> list[kpi.HandleTime]:
        return [
            kpi.HandleTime(v.talk_s, *measured.get(v.callid, (0.0, 0.0)))
            for v in part
            if v.answered and v.talk_s is not None
        ]

    return handle


@dataclass(frozen=True)
class RangeResult:
    first: date
    last: date
    by: str
    rows: tuple[BreakdownRow, ...]
    total: BreakdownRow
    """Every call of the range (§1.11), as the pack's headline counts them."""
    built_at: datetime


def build_range(
    sessions: Sessions, settings: Settings, first: date, last: date, by: str, now: datetime
) -> RangeResult:
    """The call KPIs of the local days ``first``..``last`` broken down ``by``."""
    zone = ZoneInfo(settings.site.timezone)
    start, end = period_bounds(first, last, zone)
    with sessions() as session:
        visits = visits_between(session, start, end)
        limits = _limits(session)
        tiers = tiers_between(session, start, end) if by == "tier" else {}
        handle = _handle_times(hold_wrapup_of(session, start, end))
    rows = breakdown(
        visits,
        by,
        zone=zone,
        interval=timedelta(minutes=settings.reports.interval_min),
        threshold_s=limits.threshold_s,
        short_abandon_s=limits.short_abandon_s,
        tiers=tiers,
        handle=handle,
    )
    calls = kpi.calls_of(visits)
    total = BreakdownRow(
        label="",
        figures=kpi.queue_figures(calls, limits.threshold_s, limits.short_abandon_s),
        aht_s=kpi.handle_time_s(handle(calls))["aht_s"],
    )
    return RangeResult(first, last, by, tuple(rows), total, now)


@dataclass(frozen=True)
class CallsResult:
    """The calls (or visits) ``measure`` counts in ``scope``, and the figure the report shows
    for them, computed by the KPI functions over the same group."""

    members: tuple[QueueVisit, ...]
    figure: int
    group_size: int
    built_at: datetime


def build_calls(
    sessions: Sessions,
    settings: Settings,
    first: date,
    last: date,
    scope: Scope,
    measure: str,
    now: datetime,
) -> CallsResult:
    zone = ZoneInfo(settings.site.timezone)
    start, end = period_bounds(first, last, zone)
    with sessions() as session:
        queues = [scope.label] if scope.by == "queue" and scope.label else None
        visits = visits_between(session, start, end, queues=queues)
        limits = _limits(session)
        tiers = tiers_between(session, start, end) if scope.by == "tier" else {}
    group = scope_visits(
        visits,
        scope,
        zone=zone,
        interval=timedelta(minutes=settings.reports.interval_min),
        tiers=tiers,
    )
    chosen = members(
        group,
        measure,
        threshold_s=limits.threshold_s,
        short_abandon_s=limits.short_abandon_s,
    )
    figures = kpi.queue_figures(group, limits.threshold_s, limits.short_abandon_s)
    return CallsResult(tuple(chosen), measure_count(figures, measure), len(group), now)
