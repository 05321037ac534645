"""Staffing forecast (人力预测): the calls each interval of a local day will bring, their
handle time, the agents Erlang C needs for them, and the agents scheduled (排班).

**Intervals.** A local day runs from its first instant to the next day's (23 hours when the
clocks go forward, 25 when they go back) and is cut into intervals of ``interval_s``
(15, 30 or 60 minutes) counted from its start; interval ``index`` 0 is the first. Each
interval is known by the wall-clock time it starts at; the second 01:00 of a night when the
clocks go back is a *repeated* interval. A day whose length is not a whole number of
intervals (a 30-minute clock change with 60-minute intervals) ends with a shorter one.

**Forecast of an interval** (see docs/forecast-and-alerts.md):

- history: the same weekday in earlier weeks, per queue. A day with no call at all in the
  queue (closed, holiday, no data yet) is skipped and an older week is taken instead, and so is
  a day with fewer than ``low_day_ratio`` of the median day's calls (a holiday or an outage:
  it would drag the mean down). Dates in ``skip_days`` are skipped too. The ``weeks`` most
  recent days left are the samples; fewer when history is short.
- calls = the mean of the interval's offered calls over the sample days that have that
  wall-clock interval (a day whose clocks went forward has no 02:00, and is left out of that
  interval's mean only); a repeated interval of the target day (clocks going back) takes the
  samples of the first one when the history has none of its own.
- AHT = handled seconds ÷ answered calls over the same samples; with no answered call there,
  the queue's AHT over all the sample days; with none at all, ``default_aht_s``.
- required agents: :func:`~asterisk_cc.core.reports.erlang.required_agents` with the queue's
  service-level threshold and target, ``max_occupancy`` and ``shrinkage``.
- scheduled agents: :func:`scheduled_agents`; ``gap = scheduled − required`` (negative: short).

Pure: no I/O, no clock.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as TimeOfDay

from asterisk_cc.core.reports.erlang import required_agents
from asterisk_cc.core.reports.pack import Column, Table, Unit

__all__ = [
    "ON_PHONES_ACTIVITY",
    "DayInterval",
    "ForecastRow",
    "ForecastSettings",
    "IntervalHistory",
    "QueueTarget",
    "ShiftBlock",
    "day_bounds",
    "day_intervals",
    "forecast_queue_day",
    "history_days",
    "sample_days",
    "scheduled_agents",
    "staffing_table",
]

ON_PHONES_ACTIVITY = "shift"
"""The schedule activity that puts an agent on the phones; every other one (``break``,
``training``, a meeting...) takes the agent off them for its time."""

ShiftBlock = tuple[Hashable, datetime, datetime, str]
"""A schedule entry as plain data: (agent, starts_at, ends_at, activity)."""


@dataclass(frozen=True, slots=True)
class DayInterval:
    """One interval of a local day: ``start`` in UTC, ``length_s`` long (shorter only at the
    end of an odd day), known by the wall-clock minute it starts at (``local_minute`` after
    local midnight) and whether that wall-clock time is the second one of the night
    (``repeated``: the clocks went back)."""

    index: int
    start: datetime
    length_s: int
    local_minute: int
    repeated: bool

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.length_s)

    @property
    def slot(self) -> tuple[int, bool]:
        """What makes the interval "the same" on another day: its wall-clock start."""
        return (self.local_minute, self.repeated)


@dataclass(frozen=True, slots=True)
class IntervalHistory:
    """What one interval of one past day brought a queue: ``index`` as in
    :func:`day_intervals` of ``day``; ``handled_s`` is the handle time of the
    ``answered_calls`` (those whose handle time is known)."""

    queue: str
    day: date
    index: int
    offered_calls: int
    answered_calls: int = 0
    handled_s: float = 0.0


@dataclass(frozen=True, slots=True)
class QueueTarget:
    """A queue and its service-level goal: ``target_sl_ratio`` answered within
    ``threshold_s``."""

    queue: str
    threshold_s: float = 20.0
    target_sl_ratio: float = 0.8


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """How the forecast is made (see the module docstring)."""

    interval_s: int = 1800
    weeks: int = 8
    default_aht_s: float = 180.0
    max_occupancy: float | None = None
    shrinkage: float = 0.0
    low_day_ratio: float = 0.25

    def __post_init__(self) -> None:
        if self.interval_s <= 0 or 86400 % self.interval_s:
            raise ValueError(
                f"interval_s must divide a day (900, 1800, 3600...), got {self.interval_s!r}"
            )
        if self.weeks < 1:
            raise ValueError(f"weeks must be at least 1, got {self.weeks!r}")
        if not self.default_aht_s > 0:
            raise ValueError(f"default_aht_s must be greater than 0, got {self.default_aht_s!r}")
        if not 0 <= self.low_day_ratio < 1:
            raise ValueError(f"low_day_ratio must be in [0, 1), got {self.low_day_ratio!r}")


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """The forecast of one queue for one interval (``interval_start`` UTC). ``calls`` is a
    mean (not whole); ``scheduled_agents`` is None when no schedule says who works then;
    ``gap = scheduled_agents − required_agents`` (negative: agents missing)."""

    queue: str
    interval_start: datetime
    interval_s: int
    calls: float
    aht_s: float
    required_agents: int
    scheduled_agents: int | None
    gap: int | None


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first instant of the local ``day`` and of the next one, in UTC (a midnight the
    clocks skip starts the day at the first time that exists)."""

    def start_of(d: date) -> datetime:
        return datetime.combine(d, TimeOfDay(0), tzinfo=zone).astimezone(UTC)

    return start_of(day), start_of(day + timedelta(days=1))


def day_intervals(day: date, zone: tzinfo, interval_s: int) -> tuple[DayInterval, ...]:
    """The intervals of the local ``day`` in ``zone``: 96/48/24 on most days, 92/46/23 when
    the clocks go forward, 100/50/25 when they go back."""
    if interval_s <= 0:
        raise ValueError(f"interval_s must be greater than 0, got {interval_s!r}")
    start, end = day_bounds(day, zone)
    intervals: list[DayInterval] = []
    at = start
    while at < end:
        length_s = int(min(interval_s, (end - at).total_seconds()))
        local = at.astimezone(zone)
        intervals.append(
            DayInterval(
                index=len(intervals),
                start=at,
                length_s=length_s,
                local_minute=local.hour * 60 + local.minute,
                repeated=bool(local.fold),
            )
        )
        at += timedelta(seconds=interval_s)
    return tuple(intervals)


def history_days(day: date, weeks: int) -> tuple[date, ...]:
    """The days whose history a forecast of ``day`` may use, most recent first: the same
    weekday in the ``2 × weeks`` weeks before (twice as many as needed, so that skipped days
    can be replaced by older ones)."""
    return tuple(day - timedelta(weeks=k) for k in range(1, 2 * weeks + 1))


def sample_days(
    history: Iterable[IntervalHistory],
    day: date,
    settings: ForecastSettings,
    *,
    skip_days: Collection[date] = (),
) -> list[date]:
    """The days (of one queue's ``history``) the forecast of ``day`` averages, most recent
    first: same weekday, before ``day``, not in ``skip_days``, with calls, not a low day."""
    totals: dict[date, int] = defaultdict(int)
    for sample in history:
        if sample.day < day and sample.day.weekday() == day.weekday():
            totals[sample.day] += sample.offered_calls
    candidates = [d for d, total in totals.items() if total > 0 and d not in skip_days]
    if not candidates:
        return []
    floor = settings.low_day_ratio * statistics.median(totals[d] for d in candidates)
    kept = sorted((d for d in candidates if totals[d] >= floor), reverse=True)
    return kept[: settings.weeks]


def _check_target(target: QueueTarget) -> None:
    if not 0 <= target.target_sl_ratio < 1:
        raise ValueError(
            f"queue {target.queue!r}: target_sl_ratio must be in [0, 1), got "
            f"{target.target_sl_ratio!r}"
        )
    if target.threshold_s < 0:
        raise ValueError(
            f"queue {target.queue!r}: threshold_s cannot be negative, got {target.threshold_s!r}"
        )


def forecast_queue_day(
    target: QueueTarget,
    day: date,
    zone: tzinfo,
    history: Iterable[IntervalHistory],
    settings: ForecastSettings,
    *,
    scheduled: Sequence[int | None] | None = None,
    skip_days: Collection[date] = (),
) -> list[ForecastRow]:
    """One row per interval of ``day`` for ``target.queue``.

    ``history`` may hold other queues and other days: only this queue's same-weekday days
    before ``day`` are read. ``scheduled`` has one entry per interval of the day (from
    :func:`scheduled_agents`), or is None when nobody was scheduled."""
    _check_target(target)
    intervals = day_intervals(day, zone, settings.interval_s)
    if scheduled is not None and len(scheduled) != len(intervals):
        raise ValueError(
            f"scheduled has {len(scheduled)} entries but {day} has {len(intervals)} intervals"
        )
    own = [s for s in history if s.queue == target.queue]
    days = sample_days(own, day, settings, skip_days=skip_days)
    chosen = set(days)
    # slot -> how many sample days have it; slot -> [offered, answered, handled] over them
    slot_days: dict[tuple[int, bool], int] = defaultdict(int)
    slot_sums: dict[tuple[int, bool], list[float]] = {}
    slots_of_day: dict[date, tuple[DayInterval, ...]] = {}
    for past in days:
        slots_of_day[past] = day_intervals(past, zone, settings.interval_s)
        for interval in slots_of_day[past]:
            slot_days[interval.slot] += 1
    queue_answered = 0.0
    queue_handled = 0.0
    for sample in own:
        if sample.day not in chosen:
            continue
        past_intervals = slots_of_day[sample.day]
        if not 0 <= sample.index < len(past_intervals):
            raise ValueError(
                f"history of queue {target.queue!r} on {sample.day} has interval index "
                f"{sample.index}, but that day has {len(past_intervals)} intervals of "
                f"{settings.interval_s} s"
            )
        sums = slot_sums.setdefault(past_intervals[sample.index].slot, [0.0, 0.0, 0.0])
        sums[0] += sample.offered_calls
        sums[1] += sample.answered_calls
        sums[2] += sample.handled_s
        queue_answered += sample.answered_calls
        queue_handled += sample.handled_s
    queue_aht_s = queue_handled / queue_answered if queue_answered > 0 else None

    rows: list[ForecastRow] = []
    for interval in intervals:
        slot = interval.slot
        if slot_days.get(slot, 0) == 0 and interval.repeated:
            slot = (interval.local_minute, False)
        n_days = slot_days.get(slot, 0)
        offered, answered, handled = slot_sums.get(slot, (0.0, 0.0, 0.0))
        calls = offered / n_days if n_days else 0.0
        if answered > 0:
            aht_s = handled / answered
        elif queue_aht_s is not None and queue_aht_s > 0:
            aht_s = queue_aht_s
        else:
            aht_s = settings.default_aht_s
        if aht_s <= 0:
            aht_s = settings.default_aht_s
        need = required_agents(
            calls,
            aht_s,
            interval.length_s,
            target.target_sl_ratio,
            target.threshold_s,
            max_occupancy=settings.max_occupancy,
            shrinkage=settings.shrinkage,
        )
        staffed = None if scheduled is None else scheduled[interval.index]
        rows.append(
            ForecastRow(
                queue=target.queue,
                interval_start=interval.start,
                interval_s=interval.length_s,
                calls=calls,
                aht_s=aht_s,
                required_agents=need.agents,
                scheduled_agents=staffed,
                gap=None if staffed is None else staffed - need.agents,
            )
        )
    return rows


def _overlap_s(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> float:
    return max(0.0, (min(a_end, b_end) - max(a_start, b_start)).total_seconds())


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def scheduled_agents(
    intervals: Sequence[tuple[datetime, datetime]], blocks: Iterable[ShiftBlock]
) -> list[int]:
    """How many agents are on the phones in each ``(start, end)`` interval, from schedule
    ``blocks`` (agent, starts_at, ends_at, activity).

    An agent counts in an interval when on shift (:data:`ON_PHONES_ACTIVITY`) and not on
    another activity (break, training...) for at least half of it; so one agent counts once
    however the shift is cut, and a shift starting at :15 counts from the 30-minute
    interval it covers most of."""
    on: dict[Hashable, list[tuple[datetime, datetime]]] = defaultdict(list)
    away: dict[Hashable, list[tuple[datetime, datetime]]] = defaultdict(list)
    for agent, starts_at, ends_at, activity in blocks:
        if ends_at <= starts_at:
            raise ValueError(
                f"schedule of agent {agent!r} ends ({ends_at.isoformat()}) before it starts "
                f"({starts_at.isoformat()})"
            )
        kind = on if activity.strip().lower() == ON_PHONES_ACTIVITY else away
        kind[agent].append((starts_at, ends_at))
    shifts = {agent: _merged(spans) for agent, spans in on.items()}
    absences = {agent: _merged(spans) for agent, spans in away.items()}
    counts: list[int] = []
    for start, end in intervals:
        half_s = (end - start).total_seconds() / 2
        present = 0
        for agent, spans in shifts.items():
            on_s = 0.0
            for shift_start, shift_end in spans:
                s, e = max(start, shift_start), min(end, shift_end)
                if e <= s:
                    continue
                on_s += (e - s).total_seconds()
                for away_start, away_end in absences.get(agent, ()):
                    on_s -= _overlap_s(s, e, away_start, away_end)
            if on_s > 0 and on_s >= half_s:
                present += 1
        counts.append(present)
    return counts


def _interval_label(start: datetime, zone: tzinfo) -> str:
    local = start.astimezone(zone)
    ambiguous = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return local.strftime("%H:%M %Z" if ambiguous else "%H:%M")


def staffing_table(rows: Iterable[ForecastRow], zone: tzinfo) -> Table:
    """The daily pack's ``staffing`` table: one line per queue and interval with calls or
    agents (empty night intervals are left out), local start times (a wall-clock time that
    occurs twice names its zone abbreviation)."""
    columns = (
        Column("queue", Unit.TEXT),
        Column("interval", Unit.TEXT),
        Column("calls", Unit.COUNT),
        Column("aht_s", Unit.SECONDS),
        Column("required_agents", Unit.COUNT),
        Column("scheduled_agents", Unit.COUNT),
        Column("gap", Unit.COUNT),
    )
    lines = tuple(
        (
            row.queue,
            _interval_label(row.interval_start, zone),
            round(row.calls, 1),
            round(row.aht_s),
            row.required_agents,
            row.scheduled_agents,
            row.gap,
        )
        for row in sorted(rows, key=lambda r: (r.queue, r.interval_start))
        if row.calls > 0 or row.required_agents > 0 or row.scheduled_agents
    )
    return Table(key="staffing", columns=columns, rows=lines)
