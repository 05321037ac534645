"""KPIs of any period broken down by queue, agent, customer tier, or by time: intervals of
15/30/60 minutes, days, ISO weeks (Monday first) or months, in the site's time zone (§6 of
docs/kpi.md). Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit

__all__ = ["BREAKDOWNS", "BreakdownRow", "breakdown", "time_key"]

BREAKDOWNS = ("queue", "agent", "tier", "interval", "day", "week", "month")


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    figures: kpi.QueueFigures
    aht_s: float | None


def time_key(by: str, zone: ZoneInfo, interval: timedelta) -> Callable[[QueueVisit], str]:
    def key(visit: QueueVisit) -> str:
        local = visit.entered_at.astimezone(zone)
        if by == "day":
            return local.strftime("%Y-%m-%d")
        if by == "week":
            year, week, _ = local.isocalendar()
            return f"{year}-W{week:02d}"
        if by == "month":
            return local.strftime("%Y-%m")
        minutes = int(interval.total_seconds() // 60)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        slot = int((local - midnight).total_seconds() // 60) // minutes * minutes
        return f"{local:%Y-%m-%d} {slot // 60:02d}:{slot % 60:02d}"

    return key


def breakdown(
    visits: Sequence[QueueVisit],
    by: str,
    *,
    zone: ZoneInfo,
    interval: timedelta = timedelta(minutes=30),
    threshold_s: kpi.Threshold = 20,
    short_abandon_s: kpi.Threshold = 5,
    tiers: Mapping[str, str] | None = None,
    handle: Callable[[Sequence[QueueVisit]], list[kpi.HandleTime]] | None = None,
) -> list[BreakdownRow]:
    """One row per group, in label order. Queue and agent rows count visits (a call that
    visited two queues is in both); tier and time rows count calls (§1.11)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break down by {by!r}: choose one of {', '.join(BREAKDOWNS)}")
    groups: dict[str, list[QueueVisit]] = defaultdict(list)
    if by == "queue":
        for visit in visits:
            groups[visit.queue].append(visit)
    elif by == "agent":
        for visit in visits:
            if visit.answered and visit.agent:
                groups[visit.agent].append(visit)
    else:
        calls = kpi.calls_of(visits)
        if by == "tier":
            known = tiers or {}
            for call in calls:
                groups[known.get(call.callid, "unknown")].append(call)
        else:
            key = time_key(by, zone, interval)
            for call in calls:
                groups[key(call)].append(call)
    handle_of = handle or (
        lambda part: [kpi.HandleTime(v.talk_s) for v in part if v.answered and v.talk_s is not None]
    )
    return [
        BreakdownRow(
            label=label,
            figures=kpi.queue_figures(groups[label], threshold_s, short_abandon_s),
            aht_s=kpi.handle_time_s(handle_of(groups[label]))["aht_s"],
        )
        for label in sorted(groups)
    ]
