"""The staffing forecast (人力预测) of a day, made from the database and stored in it.

The scheduler runs :func:`forecast_day` every morning at ``[reports] forecast_at`` for the
next day; the daily pack reads the stored rows back (:func:`staffing_of_day`, the table
``staffing``), and the early-warning check compares the calls that come with them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from asterisk_cc.config import Settings
from asterisk_cc.core.reports.forecast import (
    ForecastRow,
    ForecastSettings,
    IntervalHistory,
    QueueTarget,
    day_bounds,
    day_intervals,
    forecast_queue_day,
    history_days,
    sample_days,
    scheduled_agents,
    staffing_table,
)
from asterisk_cc.core.reports.pack import Table
from asterisk_cc.db.forecasts import (
    forecast_between,
    queue_agents,
    queue_targets,
    read_history,
    read_schedule,
    store_forecast,
)

__all__ = ["MAX_PLANNED_SL_RATIO", "forecast_day", "forecast_settings", "staffing_of_day"]

log = logging.getLogger(__name__)

MAX_PLANNED_SL_RATIO = 0.999
"""A queue aiming at 100 % is planned for 99.9 %: no finite staff answers every call within
the threshold, and Erlang C's requirement grows without bound as the target nears 1."""


def forecast_settings(settings: Settings) -> ForecastSettings:
    """How forecasts are made, from ``[reports]``: the pack's interval length, the weeks of
    history, the occupancy target as the ceiling of planned occupancy (0: none), and the
    shrinkage."""
    occupancy = settings.reports.occupancy_target
    return ForecastSettings(
        interval_s=settings.reports.interval_min * 60,
        weeks=settings.reports.forecast_weeks,
        max_occupancy=occupancy if 0 < occupancy <= 1 else None,
        shrinkage=settings.reports.shrinkage,
    )


def _planned(target: QueueTarget) -> QueueTarget:
    if target.target_sl_ratio < 1:
        return target
    log.warning(
        "queue %s aims at a service level of %.0f %%: planned for %.1f %% instead",
        target.queue,
        target.target_sl_ratio * 100,
        MAX_PLANNED_SL_RATIO * 100,
    )
    return QueueTarget(target.queue, target.threshold_s, MAX_PLANNED_SL_RATIO)


def _read_enough_history(
    session: Session, day: date, zone: ZoneInfo, how: ForecastSettings
) -> list[IntervalHistory]:
    """The history of the same weekday, one day at a time going back, until every queue
    met so far has ``weeks`` usable days (so a holiday or a closed day costs one more day
    read, not ``weeks`` more), at most ``2 × weeks`` days."""
    history: list[IntervalHistory] = []
    by_queue: dict[str, list[IntervalHistory]] = defaultdict(list)
    for read, past in enumerate(history_days(day, how.weeks), start=1):
        rows = read_history(session, [past], zone, how.interval_s)
        history += rows
        for row in rows:
            by_queue[row.queue].append(row)
        if read >= how.weeks and all(
            len(sample_days(queue_rows, day, how)) >= how.weeks for queue_rows in by_queue.values()
        ):
            break
    return history


def forecast_day(
    session: Session, settings: Settings, day: date, now: datetime
) -> list[ForecastRow]:
    """Forecast every queue for the local ``day`` (site time zone) and store the rows,
    replacing the day's earlier forecast (of every queue); the caller commits.

    The queues are the active ones of ``queues`` (with their service-level goal) and those
    calls came to in the history read that have no row there (20 s / 80 %). Scheduled agents
    per queue are the scheduled agents who take its calls (by skills, as they are logged in);
    a queue without skills, or a day without any schedule, has none (NULL)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    zone = ZoneInfo(settings.site.timezone)
    how = forecast_settings(settings)
    start, end = day_bounds(day, zone)
    history = _read_enough_history(session, day, zone, how)
    targets = [_planned(t) for t in queue_targets(session, seen={h.queue for h in history})]

    intervals = day_intervals(day, zone, how.interval_s)
    spans = [(i.start, i.end) for i in intervals]
    blocks = read_schedule(session, start, end)
    agents_of = queue_agents(session) if blocks else {}

    rows: list[ForecastRow] = []
    for target in targets:
        members = agents_of.get(target.queue)
        scheduled = (
            scheduled_agents(spans, [b for b in blocks if b[0] in members])
            if members is not None
            else None
        )
        rows += forecast_queue_day(target, day, zone, history, how, scheduled=scheduled)
    store_forecast(session, rows, start=start, end=end, now=now)
    log.info(
        "staffing forecast for %s: %d queues, %d intervals of %d min, %d history rows",
        day.isoformat(),
        len(targets),
        len(intervals),
        how.interval_s // 60,
        len(history),
    )
    return rows


def staffing_of_day(session: Session, settings: Settings, day: date) -> Table:
    """The daily pack's ``staffing`` table: the stored forecast of the local ``day``."""
    zone = ZoneInfo(settings.site.timezone)
    start, end = day_bounds(day, zone)
    rows = [r for r in forecast_between(session, start, end) if r.interval_start >= start]
    return staffing_table(rows, zone)
