"""Calling hours in the lead's local time: which zone, may we call now, and when next —
across weekends, holidays, several zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as TimeOfDay
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterisk_cc.core.dialer.calling_window import (
    CallingWindow,
    format_days,
    format_window,
    lead_zones,
    may_call,
    next_opening,
    parse_days,
    parse_holidays,
    parse_window,
    zone_or_none,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")
EVERY_DAY = frozenset(range(7))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- the window as a value -----------------------------------------------------------------


def test_the_default_window_is_8_to_21_monday_to_friday() -> None:
    window = CallingWindow()
    assert (window.start, window.end) == (TimeOfDay(8), TimeOfDay(21))
    assert window.days == frozenset({0, 1, 2, 3, 4})
    assert window.holidays == frozenset()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": TimeOfDay(21), "end": TimeOfDay(8)}, "crosses midnight"),
        ({"start": TimeOfDay(9), "end": TimeOfDay(9)}, "empty"),
        ({"start": TimeOfDay(9, tzinfo=UTC)}, "plain clock time"),
        ({"days": frozenset({7})}, r"0 \(Monday\) to 6 \(Sunday\), not 7"),
        ({"holidays": frozenset({datetime(2026, 12, 25, tzinfo=UTC)})}, "must be dates"),
    ],
)
def test_a_bad_window_is_refused_naming_the_problem(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CallingWindow(**kwargs)  # type: ignore[arg-type]


def test_settings_text_is_read_and_written_back() -> None:
    assert parse_window("08:00-21:00") == (TimeOfDay(8), TimeOfDay(21))
    assert parse_window(" 9:30 - 17:45 ") == (TimeOfDay(9, 30), TimeOfDay(17, 45))
    assert parse_window("00:00-24:00")[1] == TimeOfDay.max
    assert format_window(*parse_window("00:00-24:00")) == "00:00-24:00"
    for bad in ("8-21", "25:00-26:00", "08:60-21:00", "08:00-24:30", ""):
        with pytest.raises(ValueError, match="calling window"):
            parse_window(bad)
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("Monday, sat") == frozenset({0, 5})
    assert parse_days(["tue", "thu"]) == frozenset({1, 3})
    assert parse_days("all") == EVERY_DAY
    assert parse_days("none") == frozenset()
    assert format_days(parse_days("sun,mon-wed")) == "mon,tue,wed,sun"
    with pytest.raises(ValueError, match="'funday' is not a day"):
        parse_days("mon,funday")
    assert parse_holidays("2026-12-25, 2026-12-26") == {date(2026, 12, 25), date(2026, 12, 26)}
    assert parse_holidays([date(2027, 1, 1), "2027-01-02"]) == {
        date(2027, 1, 1),
        date(2027, 1, 2),
    }
    with pytest.raises(ValueError, match="'2026-13-01' is not a date"):
        parse_holidays("2026-13-01")


# --- which zone ------------------------------------------------------------------------------


def test_zone_names_from_a_file_are_data() -> None:
    assert zone_or_none("Europe/London") == LONDON
    assert zone_or_none("  america/new_york ") == NEW_YORK  # case and spaces forgiven
    for bad in ("../../etc/passwd", "/etc/localtime", "", "Mars/Base", "x" * 500, None, 42):
        assert zone_or_none(bad) is None  # type: ignore[arg-type]


def test_the_leads_own_zone_wins() -> None:
    assert lead_zones("Asia/Shanghai", "+12125550143", "UTC") == (SHANGHAI,)


def test_without_a_valid_own_zone_the_numbers_area_decides() -> None:
    assert lead_zones(None, "+12125550143", "UTC") == (NEW_YORK,)
    assert lead_zones("Nowhere/Land", "+14155550143", "UTC") == (LOS_ANGELES,)
    assert lead_zones("", "+8613812345678", "UTC") == (SHANGHAI,)


def test_a_number_spanning_several_zones_gives_all_of_them() -> None:
    toll_free = lead_zones(None, "+18005550100", "UTC")
    australian_mobile = lead_zones(None, "+61412345678", "UTC")
    assert {NEW_YORK, LOS_ANGELES} <= set(toll_free)
    assert {ZoneInfo("Australia/Perth"), ZoneInfo("Australia/Sydney")} <= set(australian_mobile)


def test_a_number_with_no_known_zone_falls_back_to_the_site() -> None:
    assert lead_zones(None, "+15555550100", "Europe/London") == (LONDON,)
    assert lead_zones(None, "not a number", "Europe/London") == (LONDON,)
    with pytest.raises(ValueError, match="Moon/Base"):
        lead_zones(None, "not a number", "Moon/Base")


# --- may we call now -----------------------------------------------------------------------


def test_the_start_is_inside_and_the_end_is_outside() -> None:
    window = CallingWindow()
    monday_8_ny = utc(2026, 11, 2, 13, 0)  # 08:00 EST
    assert may_call(monday_8_ny, window, [NEW_YORK])
    assert not may_call(monday_8_ny - timedelta(seconds=1), window, [NEW_YORK])
    assert may_call(utc(2026, 11, 3, 1, 59, 59), window, [NEW_YORK])  # Mon 20:59:59 EST
    assert not may_call(utc(2026, 11, 3, 2, 0), window, [NEW_YORK])  # Mon 21:00 EST


def test_the_weekday_and_holiday_are_the_leads_local_ones() -> None:
    window = CallingWindow(holidays=frozenset({date(2026, 12, 25)}))
    # Friday 25 December 10:00 in New York (15:00 UTC): a holiday there.
    assert not may_call(utc(2026, 12, 25, 15, 0), window, [NEW_YORK])
    # Thursday 24 December 19:00 in New York is already the 25th in UTC: still callable.
    assert may_call(utc(2026, 12, 25, 0, 0), window, [NEW_YORK])
    # Saturday in Shanghai while still Friday in New York.
    friday_evening_ny = utc(2026, 11, 7, 0, 30)  # Fri 19:30 EST, Sat 08:30 in Shanghai
    assert may_call(friday_evening_ny, window, [NEW_YORK])
    assert not may_call(friday_evening_ny, window, [SHANGHAI])


def test_every_zone_must_be_inside_the_window() -> None:
    window = CallingWindow()
    monday = utc(2026, 11, 2, 15, 0)  # 10:00 in New York, 07:00 in Los Angeles
    assert may_call(monday, window, [NEW_YORK])
    assert not may_call(monday, window, [NEW_YORK, LOS_ANGELES])
    assert may_call(monday + timedelta(hours=1), window, [NEW_YORK, LOS_ANGELES])


def test_a_naive_time_or_no_zone_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        may_call(datetime(2026, 11, 2, 15, 0), CallingWindow(), [NEW_YORK])
    with pytest.raises(ValueError, match="no time zone"):
        may_call(utc(2026, 11, 2, 15, 0), CallingWindow(), [])


# --- when next -------------------------------------------------------------------------------


def test_inside_the_window_the_next_opening_is_now() -> None:
    now = utc(2026, 11, 2, 15, 17, 3)
    assert next_opening(now, CallingWindow(), [NEW_YORK]) == now


def test_after_friday_evening_the_next_opening_is_monday_morning() -> None:
    friday_night = utc(2026, 11, 7, 2, 30)  # Fri 21:30 EST
    assert next_opening(friday_night, CallingWindow(), [NEW_YORK]) == utc(2026, 11, 9, 13, 0)


def test_holidays_are_skipped() -> None:
    window = CallingWindow(holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
    thursday_night = utc(2026, 12, 25, 3, 0)  # Thu 24th 22:00 EST
    # Friday 25th is a holiday, then the weekend, Monday 28th a holiday: Tuesday 29th 08:00.
    assert next_opening(thursday_night, window, [NEW_YORK]) == utc(2026, 12, 29, 13, 0)


def test_several_zones_open_when_the_last_one_does() -> None:
    monday_early = utc(2026, 11, 2, 12, 0)  # 07:00 New York, 04:00 Los Angeles
    assert next_opening(monday_early, CallingWindow(), [NEW_YORK, LOS_ANGELES]) == utc(
        2026, 11, 2, 16, 0
    )


def test_never_when_no_day_is_allowed_or_the_zones_never_overlap() -> None:
    now = utc(2026, 11, 2, 12, 0)
    assert next_opening(now, CallingWindow(days=frozenset()), [NEW_YORK]) is None
    morning = CallingWindow(TimeOfDay(9), TimeOfDay(12), EVERY_DAY)
    assert next_opening(now, morning, [NEW_YORK, SHANGHAI]) is None  # 12-13 hours apart


def test_new_york_fall_back_day_opens_at_8_local_under_the_new_offset() -> None:
    window = CallingWindow(days=EVERY_DAY)
    # Sunday 1 November 2026: 02:00 EDT becomes 01:00 EST. 08:00 EST is 13:00 UTC, not 12:00.
    midnight_edt = utc(2026, 11, 1, 4, 0)
    assert next_opening(midnight_edt, window, [NEW_YORK]) == utc(2026, 11, 1, 13, 0)


def test_new_york_spring_forward_day_opens_at_8_local_under_the_new_offset() -> None:
    window = CallingWindow(days=EVERY_DAY)
    # Sunday 8 March 2026: 02:00 EST becomes 03:00 EDT. 08:00 EDT is 12:00 UTC.
    assert next_opening(utc(2026, 3, 8, 5, 0), window, [NEW_YORK]) == utc(2026, 3, 8, 12, 0)


def test_a_window_opening_inside_the_skipped_hour_opens_at_the_jump() -> None:
    # New York, 8 March 2026: 02:30 never happens; the clock jumps from 02:00 EST to 03:00 EDT
    # at 07:00 UTC, and from that instant the local time is past 02:30.
    window = CallingWindow(TimeOfDay(2, 30), TimeOfDay(21), EVERY_DAY)
    opening = next_opening(utc(2026, 3, 8, 6, 0), window, [NEW_YORK])
    assert opening == utc(2026, 3, 8, 7, 0)
    assert not may_call(opening - timedelta(seconds=1), window, [NEW_YORK])
    # London, 29 March 2026: 01:00 GMT becomes 02:00 BST at 01:00 UTC; 01:30 never happens.
    london = CallingWindow(TimeOfDay(1, 30), TimeOfDay(21), EVERY_DAY)
    assert next_opening(utc(2026, 3, 29, 0, 10), london, [LONDON]) == utc(2026, 3, 29, 1, 0)


def test_a_window_opening_inside_the_repeated_hour_opens_at_its_first_occurrence() -> None:
    # London, 25 October 2026: 02:00 BST becomes 01:00 GMT at 01:00 UTC, so 01:30 happens at
    # 00:30 UTC (BST) and again at 01:30 UTC (GMT). The first one opens the window.
    window = CallingWindow(TimeOfDay(1, 30), TimeOfDay(21), EVERY_DAY)
    assert next_opening(utc(2026, 10, 25, 0, 0), window, [LONDON]) == utc(2026, 10, 25, 0, 30)


def test_a_window_closing_inside_the_repeated_hour_opens_again_when_the_clock_goes_back() -> None:
    # London, 25 October 2026, window 00:00-01:30 by the wall clock: it closes at 01:30 BST
    # (00:30 UTC), and the clock going back to 01:00 GMT (01:00 UTC) opens it again.
    window = CallingWindow(TimeOfDay(0), TimeOfDay(1, 30), EVERY_DAY)
    after_close = utc(2026, 10, 25, 0, 31)
    assert not may_call(after_close, window, [LONDON])
    assert next_opening(after_close, window, [LONDON]) == utc(2026, 10, 25, 1, 0)
    assert not may_call(utc(2026, 10, 25, 1, 30), window, [LONDON])  # 01:30 GMT: closed again


ZONES = [LONDON, NEW_YORK, LOS_ANGELES, SHANGHAI, ZoneInfo("Australia/Lord_Howe")]


@settings(max_examples=60, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=2, unique=True),
    start_minute=st.integers(0, 22 * 60),
    length_minutes=st.integers(30, 14 * 60),
    days=st.frozensets(st.integers(0, 6), min_size=1),
)
def test_the_next_opening_is_callable_and_nothing_before_it_is(
    now: datetime,
    zones: list[ZoneInfo],
    start_minute: int,
    length_minutes: int,
    days: frozenset[int],
) -> None:
    end_minute = min(start_minute + length_minutes, 24 * 60 - 1)
    window = CallingWindow(
        TimeOfDay(start_minute // 60, start_minute % 60),
        TimeOfDay(end_minute // 60, end_minute % 60),
        days,
    )
    opening = next_opening(now, window, zones)
    horizon = now + timedelta(days=8) if opening is None else opening
    probe = now
    while probe < horizon:  # nothing callable before the answer (sampled every 10 minutes)
        assert not may_call(probe, window, zones), probe
        probe += timedelta(minutes=10)
    if opening is not None:
        assert opening >= now
        assert may_call(opening, window, zones)
        if opening > now:
            assert not may_call(opening - timedelta(seconds=1), window, zones)
