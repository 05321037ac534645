"""The staffing forecast: intervals of local days (DST too), the mean of past weeks, skipped
days, AHT fallbacks, Erlang requirements, scheduled agents and the pack's staffing table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from asterisk_cc.core.reports.erlang import required_agents
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
from asterisk_cc.core.reports.pack import Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 11, 23)
HALF_HOUR = ForecastSettings(interval_s=1800, weeks=3)
SUPPORT = QueueTarget("support", threshold_s=20, target_sl_ratio=0.8)


def weeks_before(day: date, k: int) -> date:
    return day - timedelta(weeks=k)


def sample(
    day: date, index: int, offered: int, answered: int = 0, handled_s: float = 0.0
) -> IntervalHistory:
    return IntervalHistory("support", day, index, offered, answered, handled_s)


def row_at(
    rows: list[ForecastRow], local_hh_mm: str, zone: ZoneInfo, *, second: bool = False
) -> ForecastRow:
    found = [r for r in rows if r.interval_start.astimezone(zone).strftime("%H:%M") == local_hh_mm]
    return found[1 if second else 0]


# --- intervals of a local day ------------------------------------------------------------------


def test_an_ordinary_day_has_48_half_hours_from_local_midnight() -> None:
    intervals = day_intervals(MONDAY, SHANGHAI, 1800)
    assert len(intervals) == 48
    assert intervals[0].start == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # 00:00 +08:00
    assert intervals[20].local_minute == 600 and intervals[20].length_s == 1800
    assert len(day_intervals(MONDAY, SHANGHAI, 900)) == 96
    assert len(day_intervals(MONDAY, SHANGHAI, 3600)) == 24


def test_the_day_the_clocks_go_forward_has_23_hours() -> None:
    intervals = day_intervals(date(2026, 3, 29), LONDON, 1800)
    assert len(intervals) == 46
    local = [i.start.astimezone(LONDON).strftime("%H:%M") for i in intervals[:4]]
    assert local == ["00:00", "00:30", "02:00", "02:30"]  # 01:00-01:59 does not exist


def test_the_day_the_clocks_go_back_has_25_hours_and_a_repeated_hour() -> None:
    intervals = day_intervals(date(2026, 10, 25), LONDON, 3600)
    assert len(intervals) == 25
    assert [(i.local_minute, i.repeated) for i in intervals[:4]] == [
        (0, False),
        (60, False),
        (60, True),
        (120, False),
    ]
    start, end = day_bounds(date(2026, 10, 25), LONDON)
    assert end - start == timedelta(hours=25)


def test_a_day_whose_midnight_does_not_exist_starts_at_one() -> None:
    # Chile moves its clocks at midnight: 2026-09-06 begins at 01:00 local.
    santiago = ZoneInfo("America/Santiago")
    intervals = day_intervals(date(2026, 9, 6), santiago, 3600)
    assert intervals[0].start.astimezone(santiago).strftime("%H:%M") == "01:00"
    assert len(intervals) == 23


# --- which past days -----------------------------------------------------------------------


def test_history_days_are_the_same_weekday_twice_as_far_back_as_needed() -> None:
    days = history_days(MONDAY, 3)
    assert days == tuple(weeks_before(MONDAY, k) for k in range(1, 7))
    assert all(d.weekday() == MONDAY.weekday() for d in days)


def test_days_without_calls_and_holidays_are_replaced_by_older_weeks() -> None:
    history = [
        sample(weeks_before(MONDAY, 1), 20, 40),
        # week 2: no call at all (closed): skipped
        sample(weeks_before(MONDAY, 3), 20, 2),  # a holiday: under a quarter of the median
        sample(weeks_before(MONDAY, 4), 20, 44),
        sample(weeks_before(MONDAY, 5), 20, 38),
        sample(weeks_before(MONDAY, 6), 20, 90),  # beyond the 3 weeks wanted
        sample(MONDAY, 20, 500),  # the day itself is not history
        sample(MONDAY - timedelta(days=1), 20, 500),  # another weekday
    ]
    assert sample_days(history, MONDAY, HALF_HOUR) == [
        weeks_before(MONDAY, 1),
        weeks_before(MONDAY, 4),
        weeks_before(MONDAY, 5),
    ]
    skipped = sample_days(history, MONDAY, HALF_HOUR, skip_days={weeks_before(MONDAY, 4)})
    assert weeks_before(MONDAY, 4) not in skipped and weeks_before(MONDAY, 6) in skipped


# --- the forecast ----------------------------------------------------------------------------


def test_calls_are_the_mean_of_the_weeks_and_aht_their_handle_time() -> None:
    history = [
        sample(weeks_before(MONDAY, 1), 20, 10, answered=10, handled_s=1500),
        sample(weeks_before(MONDAY, 2), 20, 20, answered=18, handled_s=3600),
        sample(weeks_before(MONDAY, 3), 20, 30, answered=30, handled_s=6000),
        sample(weeks_before(MONDAY, 3), 21, 6, answered=6, handled_s=600),
    ]
    rows = forecast_queue_day(SUPPORT, MONDAY, SHANGHAI, history, HALF_HOUR)
    assert len(rows) == 48
    ten = rows[20]
    assert ten.interval_start == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 +08:00
    assert ten.calls == pytest.approx(20.0)  # (10 + 20 + 30) / 3
    assert ten.aht_s == pytest.approx((1500 + 3600 + 6000) / 58)
    need = required_agents(20.0, ten.aht_s, 1800, 0.8, 20)
    assert ten.required_agents == need.agents > 0
    # an interval that only one week had calls in: the others had none (a mean of 2)
    assert rows[21].calls == pytest.approx(2.0) and rows[21].aht_s == pytest.approx(100.0)
    # night: no calls, no agents; AHT falls back to the queue's over the sample days
    assert rows[3].calls == 0.0 and rows[3].required_agents == 0
    assert rows[3].aht_s == pytest.approx((1500 + 3600 + 6000 + 600) / 64)
    assert all(r.scheduled_agents is None and r.gap is None for r in rows)


def test_without_any_answered_call_the_default_aht_is_used() -> None:
    history = [sample(weeks_before(MONDAY, 1), 20, 12)]  # all abandoned
    rows = forecast_queue_day(
        SUPPORT, MONDAY, SHANGHAI, history, ForecastSettings(weeks=2, default_aht_s=240)
    )
    assert rows[20].calls == 12 and rows[20].aht_s == 240
    assert rows[20].required_agents == required_agents(12, 240, 1800, 0.8, 20).agents


def test_other_queues_history_is_not_mixed_in() -> None:
    history = [
        sample(weeks_before(MONDAY, 1), 20, 10),
        IntervalHistory("sales", weeks_before(MONDAY, 1), 20, 1000, 1000, 100_000),
    ]
    rows = forecast_queue_day(SUPPORT, MONDAY, SHANGHAI, history, HALF_HOUR)
    assert {r.queue for r in rows} == {"support"} and rows[20].calls == 10


def test_no_history_forecasts_no_calls() -> None:
    rows = forecast_queue_day(SUPPORT, MONDAY, SHANGHAI, [], HALF_HOUR)
    assert len(rows) == 48 and all(r.calls == 0 and r.required_agents == 0 for r in rows)


def test_occupancy_cap_and_shrinkage_reach_the_rows() -> None:
    history = [sample(weeks_before(MONDAY, 1), 20, 100, answered=100, handled_s=18_000)]
    plain = forecast_queue_day(SUPPORT, MONDAY, SHANGHAI, history, HALF_HOUR)[20]
    padded = forecast_queue_day(
        SUPPORT,
        MONDAY,
        SHANGHAI,
        history,
        ForecastSettings(weeks=3, max_occupancy=0.6, shrinkage=0.3),
    )[20]
    assert plain.required_agents == 14  # the classic: 100 calls, 180 s, 80/20
    assert padded.required_agents == 25  # ceil(10 / 0.6) = 17 on the phones, ÷ 0.7 → 25


def test_forecasting_the_day_the_clocks_go_forward() -> None:
    # Sundays before 2026-03-29 (London): calls at 01:00 (index 2) and 02:00 (index 4).
    target = date(2026, 3, 29)
    history = [
        sample(weeks_before(target, k), index, calls, calls, calls * 100.0)
        for k in (1, 2)
        for index, calls in ((2, 6), (4, 8))
    ]
    rows = forecast_queue_day(SUPPORT, target, LONDON, history, ForecastSettings(weeks=2))
    assert len(rows) == 46
    assert not [r for r in rows if r.interval_start.astimezone(LONDON).hour == 1]
    assert row_at(rows, "02:00", LONDON).calls == 8


def test_forecasting_the_day_the_clocks_go_back() -> None:
    target = date(2026, 10, 25)
    history = [sample(weeks_before(target, k), 2, 6, 6, 600.0) for k in (1, 2)]  # 01:00
    rows = forecast_queue_day(SUPPORT, target, LONDON, history, ForecastSettings(weeks=2))
    assert len(rows) == 50
    first, second = row_at(rows, "01:00", LONDON), row_at(rows, "01:00", LONDON, second=True)
    assert second.interval_start - first.interval_start == timedelta(hours=1)
    assert first.calls == second.calls == 6  # the repeated hour takes the hour's history


def test_a_short_day_in_history_counts_only_for_the_hours_it_had() -> None:
    # Sunday 2026-04-05 from 03-29 (no 01:00) and 03-22 (normal).
    target = date(2026, 4, 5)
    spring, normal = date(2026, 3, 29), date(2026, 3, 22)
    history = [
        sample(normal, 2, 10, 10, 1000.0),  # 01:00
        sample(normal, 20, 30, 30, 3000.0),  # 10:00
        sample(spring, 18, 50, 50, 5000.0),  # 10:00 on the 23-hour day (index 18)
    ]
    rows = forecast_queue_day(SUPPORT, target, LONDON, history, ForecastSettings(weeks=2))
    assert row_at(rows, "01:00", LONDON).calls == 10  # not halved: 03-29 had no 01:00
    assert row_at(rows, "10:00", LONDON).calls == 40  # (30 + 50) / 2


def test_scheduled_agents_give_the_gap() -> None:
    history = [sample(weeks_before(MONDAY, 1), 20, 100, 100, 18_000.0)]
    scheduled = [0] * 48
    scheduled[20] = 11
    rows = forecast_queue_day(SUPPORT, MONDAY, SHANGHAI, history, HALF_HOUR, scheduled=scheduled)
    assert (rows[20].scheduled_agents, rows[20].required_agents, rows[20].gap) == (11, 14, -3)
    assert rows[0].gap == 0
    with pytest.raises(ValueError, match="48 intervals"):
        forecast_queue_day(SUPPORT, MONDAY, SHANGHAI, history, HALF_HOUR, scheduled=[1] * 47)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="interval index 60"):
        forecast_queue_day(
            SUPPORT, MONDAY, SHANGHAI, [sample(weeks_before(MONDAY, 1), 60, 3)], HALF_HOUR
        )
    with pytest.raises(ValueError, match="target_sl_ratio"):
        forecast_queue_day(QueueTarget("x", 20, 1.0), MONDAY, SHANGHAI, [], HALF_HOUR)
    with pytest.raises(ValueError, match="interval_s"):
        ForecastSettings(interval_s=1700)
    with pytest.raises(ValueError, match="weeks"):
        ForecastSettings(weeks=0)


# --- scheduled agents ------------------------------------------------------------------------


def at(hh_mm: str) -> datetime:
    hour, minute = (int(p) for p in hh_mm.split(":"))
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


def spans(*starts: str) -> list[tuple[datetime, datetime]]:
    return [(at(s), at(s) + timedelta(minutes=30)) for s in starts]


def test_an_agent_counts_when_on_the_phones_half_the_interval_or_more() -> None:
    blocks = [
        ("ann", at("09:00"), at("17:00"), "shift"),
        ("ann", at("12:00"), at("12:15"), "break"),  # 15 of 30 minutes left: counts
        ("bob", at("09:15"), at("17:00"), "shift"),  # 15 of 30 minutes: counts
        ("cy", at("09:20"), at("17:00"), "shift"),  # 10 of 30 minutes: not yet
        ("cy", at("12:00"), at("12:30"), "training"),
        ("dee", at("12:00"), at("12:20"), "break"),  # no shift: never counts
    ]
    counts = scheduled_agents(spans("08:30", "09:00", "09:30", "12:00", "17:00"), blocks)
    assert counts == [0, 2, 3, 2, 0]


def test_overlapping_shift_entries_count_one_agent_once() -> None:
    blocks = [
        (7, at("09:00"), at("13:00"), "shift"),
        (7, at("12:00"), at("18:00"), "Shift"),
    ]
    assert scheduled_agents(spans("12:00", "12:30", "17:30"), blocks) == [1, 1, 1]


def test_a_schedule_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="agent 'ann'"):
        scheduled_agents(spans("09:00"), [("ann", at("10:00"), at("09:00"), "shift")])


# --- the pack's table --------------------------------------------------------------------------


def test_staffing_table_shows_busy_intervals_in_local_time() -> None:
    target = date(2026, 10, 25)
    history = [sample(weeks_before(target, 1), 2, 6, 6, 600.0)]
    rows = forecast_queue_day(SUPPORT, target, LONDON, history, ForecastSettings(weeks=1))
    table = staffing_table(rows, LONDON)
    assert table.key == "staffing"
    assert [c.key for c in table.columns] == [
        "queue",
        "interval",
        "calls",
        "aht_s",
        "required_agents",
        "scheduled_agents",
        "gap",
    ]
    assert table.columns[3].unit is Unit.SECONDS
    # only 01:00 had calls, and that night 01:00 came twice (summer time, then winter time)
    assert [r[1] for r in table.rows] == ["01:00 BST", "01:00 GMT"]
    assert table.rows[0][0] == "support" and table.rows[0][2] == 6.0
