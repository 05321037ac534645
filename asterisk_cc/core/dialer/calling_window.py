"""Calling hours in the *lead's* local time: may this lead be called now, and if not, when?

A campaign calls between ``start`` and ``end`` (wall-clock time, end excluded) on its calling
days, never on its holidays, all read in the local time of the person called. The zone comes
from :func:`lead_zones`: the lead's own time zone when the list gives a valid one, else every
zone the number's country or area code spans, else the campaign's (the site's) zone. When a
number spans several zones (a toll-free or an Australian mobile number), the call must be
inside the window in *every* one of them: calling someone at 07:00 because the number might
also be an hour later elsewhere is the mistake the rules are about (US: 08:00-21:00 local time
of the called person, 47 CFR 64.1200(c)(1)).

Everything is wall-clock time, so daylight-saving changes need care: on a spring-forward day
a window that opens inside the skipped hour opens at the jump; on a fall-back day the repeated
hour is read as it is shown on the called person's clock (a window ending at 01:30 is open
again for the second 01:00-01:30). :func:`next_opening` is exact under these rules because it
checks every candidate instant with :func:`may_call` itself.

Pure: no clock reads (``now`` is an argument), no I/O beyond the time zone database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as TimeOfDay
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from phonenumbers import NumberParseException
from phonenumbers import timezone as phone_timezones

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_END",
    "DEFAULT_START",
    "WEEKDAYS",
    "CallingWindow",
    "format_days",
    "format_window",
    "lead_zones",
    "may_call",
    "next_opening",
    "parse_days",
    "parse_holidays",
    "parse_window",
    "zone_or_none",
]

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names as campaigns write them; the index is :meth:`datetime.weekday` (Monday = 0)."""

DEFAULT_START: Final = TimeOfDay(8, 0)
DEFAULT_END: Final = TimeOfDay(21, 0)
"""08:00-21:00 is the US federal calling window (TCPA, TSR) and within what UK practice uses."""
DEFAULT_DAYS: Final = frozenset(range(5))
"""Monday to Friday."""

MAX_ZONE_NAME_CHARS: Final = 64
# Far enough to see every daylight-saving rule of a year after the last holiday; beyond it
# nothing new can happen, so "no opening" is final.
_SEARCH_DAYS_AFTER_HOLIDAYS: Final = 372
_MAX_SEARCH_DAYS: Final = 3 * 366
_UNKNOWN_ZONE: Final = "Etc/Unknown"
_DAY_NAMES: Final = {
    **{name: index for index, name in enumerate(WEEKDAYS)},
    **{
        name: index
        for index, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_TIME_RANGE: Final = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class CallingWindow:
    """When leads may be called, in their local time: from ``start`` (included) to ``end``
    (excluded) on ``days`` (0 = Monday ... 6 = Sunday), except on ``holidays`` (local dates).

    The window lies within one day (``start < end``): calls past midnight are not what any
    calling rule allows, and refusing them keeps "which day is it" unambiguous.
    """

    start: TimeOfDay = DEFAULT_START
    end: TimeOfDay = DEFAULT_END
    days: frozenset[int] = DEFAULT_DAYS
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, TimeOfDay):
                raise ValueError(f"calling window {name} must be a time of day, not {value!r}")
            if value.tzinfo is not None:
                raise ValueError(
                    f"calling window {name} {value} must be a plain clock time: it is read in "
                    "each lead's own time zone"
                )
        if self.start >= self.end:
            raise ValueError(
                f"calling window {format_window(self.start, self.end)} is empty or crosses "
                "midnight: the start must be before the end, within one day"
            )
        days = frozenset(self.days)
        bad_days = sorted(repr(d) for d in days if not isinstance(d, int) or not 0 <= d <= 6)
        if bad_days:
            raise ValueError(
                f"calling days must be 0 (Monday) to 6 (Sunday), not {', '.join(bad_days)}"
            )
        holidays = frozenset(self.holidays)
        bad = sorted(
            repr(d) for d in holidays if not isinstance(d, date) or isinstance(d, datetime)
        )
        if bad:
            raise ValueError(f"holidays must be dates, not {', '.join(bad)}")
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "holidays", holidays)

    def allows(self, local: datetime) -> bool:
        """True when the local wall-clock time ``local`` is inside the window."""
        clock = local.timetz().replace(tzinfo=None)
        return (
            local.weekday() in self.days
            and local.date() not in self.holidays
            and self.start <= clock < self.end
        )


# --- reading and writing the settings ------------------------------------------------------


def parse_window(text: str) -> tuple[TimeOfDay, TimeOfDay]:
    """``"08:00-21:00"`` → (08:00, 21:00). ``24:00`` is accepted as an end (end of day)."""
    match = _TIME_RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a calling window like 08:00-21:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise ValueError(f"{text!r} is not a calling window: hours 00-23, minutes 00-59")
    end = TimeOfDay.max if h2 == 24 else TimeOfDay(h2, m2)
    return TimeOfDay(h1, m1), end


def format_window(start: TimeOfDay, end: TimeOfDay) -> str:
    """(08:00, 21:00) → ``"08:00-21:00"`` (the form :func:`parse_window` reads)."""
    end_text = "24:00" if end == TimeOfDay.max else end.strftime("%H:%M")
    return f"{start.strftime('%H:%M')}-{end_text}"


def parse_days(spec: str | Iterable[str]) -> frozenset[int]:
    """``"mon-fri"``, ``"mon-fri,sat"``, ``"mon,wed,fri"``, ``["mon", "tue"]``, ``"all"``.

    A range wraps past Sunday (``"fri-mon"`` is Friday to Monday). ``"none"`` or an empty
    text means no calling day at all (the campaign never calls).
    """
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    days: set[int] = set()
    for raw in parts:
        if not isinstance(raw, str):
            raise ValueError(f"calling day {raw!r} is not text like mon or mon-fri")
        part = raw.strip().lower()
        if part in ("", "none"):
            continue
        if part in ("all", "daily", "every day"):
            days.update(range(7))
            continue
        first, dash, last = part.partition("-")
        begin = _day_index(first, raw)
        stop = _day_index(last, raw) if dash else begin
        days.update((begin + step) % 7 for step in range((stop - begin) % 7 + 1))
    return frozenset(days)


def _day_index(name: str, spec: str) -> int:
    key = name.strip()
    index = _DAY_NAMES.get(key)
    if index is None:
        raise ValueError(
            f"calling day {spec.strip()!r} is not a day: use {', '.join(WEEKDAYS)} or a range "
            "such as mon-fri"
        )
    return index


def format_days(days: Iterable[int]) -> str:
    """{0, 1, 2, 3, 4} → ``"mon,tue,wed,thu,fri"`` (the ``campaigns.call_days`` column)."""
    return ",".join(WEEKDAYS[d] for d in sorted(set(days)))


def parse_holidays(spec: str | Iterable[str | date]) -> frozenset[date]:
    """``"2026-12-25,2026-12-26"`` or a list of dates or ``YYYY-MM-DD`` texts."""
    items: Iterable[str | date] = spec.split(",") if isinstance(spec, str) else spec
    holidays: set[date] = set()
    for item in items:
        if isinstance(item, datetime):
            raise ValueError(f"holiday {item!r} must be a date without a time")
        if isinstance(item, date):
            holidays.add(item)
            continue
        if not isinstance(item, str):
            raise ValueError(f"holiday {item!r} is not a date like 2026-12-25")
        text = item.strip()
        if not text:
            continue
        try:
            holidays.add(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"holiday {text!r} is not a date like 2026-12-25") from None
    return frozenset(holidays)


# --- which zone(s) a lead lives in ----------------------------------------------------------


@lru_cache(maxsize=1)
def _zone_names_by_lower_case() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The IANA time zone ``name`` (case-insensitive), or None when it is not one.

    ``name`` may come from a lead file, so it is data: anything that is not a known zone name
    (a path, an empty text, a very long text) is simply "no zone".
    """
    if not isinstance(name, str):
        return None
    key = name.strip()
    if not key or len(key) > MAX_ZONE_NAME_CHARS:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    canonical = _zone_names_by_lower_case().get(key.lower())
    return ZoneInfo(canonical) if canonical is not None else None


def lead_zones(
    lead_timezone: str | None, phone_e164: str, fallback_timezone: str
) -> tuple[ZoneInfo, ...]:
    """The zone(s) whose local time decides when this lead may be called.

    1. the lead's own zone, when it is a valid IANA name;
    2. else the zone(s) of the number's country or area code (all of them when the number
       spans several, e.g. a toll-free or an Australian mobile number);
    3. else ``fallback_timezone`` (the campaign's, usually the site's); this one must be valid.
    """
    own = zone_or_none(lead_timezone)
    if own is not None:
        return (own,)
    from_number = _number_zones(phone_e164)
    if from_number:
        return from_number
    fallback = zone_or_none(fallback_timezone)
    if fallback is None:
        raise ValueError(f"fallback time zone {fallback_timezone!r} is not an IANA time zone")
    return (fallback,)


def _number_zones(phone_e164: str) -> tuple[ZoneInfo, ...]:
    if not isinstance(phone_e164, str) or not phone_e164.startswith("+"):
        return ()
    try:
        number = phonenumbers.parse(phone_e164, None)
    except NumberParseException:
        return ()
    names = sorted(set(phone_timezones.time_zones_for_number(number)) - {_UNKNOWN_ZONE})
    zones = (zone_or_none(name) for name in names)
    return tuple(zone for zone in zones if zone is not None)


# --- may we call now, and when next ---------------------------------------------------------


def _check_inputs(now_utc: datetime, zones: Sequence[ZoneInfo]) -> None:
    if not isinstance(now_utc, datetime) or now_utc.utcoffset() is None:
        raise ValueError(f"now must be a timezone-aware datetime, not {now_utc!r}")
    if not zones:
        raise ValueError("no time zone given: lead_zones() always gives at least one")


def may_call(now_utc: datetime, window: CallingWindow, zones: Sequence[ZoneInfo]) -> bool:
    """True when ``now_utc`` is inside the window in every one of ``zones``."""
    _check_inputs(now_utc, zones)
    return all(window.allows(now_utc.astimezone(zone)) for zone in zones)


def next_opening(
    now_utc: datetime, window: CallingWindow, zones: Sequence[ZoneInfo]
) -> datetime | None:
    """The earliest UTC instant at or after ``now_utc`` at which :func:`may_call` is true;
    ``now_utc`` itself when it already is. None when the window never opens in every zone at
    once (no calling day, or zones too far apart for the window to overlap).

    Why this is exact: the callable instants of one zone are a union of intervals closed on
    the left, so the first callable instant of all zones together is ``now_utc`` or one of the
    instants at which some zone's window opens. A zone's window opens only where its wall clock
    reaches ``start`` or where the clock jumps (a daylight-saving change). Those instants are
    listed in time order and the first that :func:`may_call` accepts is the answer.
    """
    _check_inputs(now_utc, zones)
    now_utc = now_utc.astimezone(UTC)
    if may_call(now_utc, window, zones):
        return now_utc
    if not window.days:
        return None
    unique = tuple({zone.key: zone for zone in zones}.values())
    first_day = now_utc.date()
    for offset in range(_search_days(window, first_day)):
        day_start = datetime.combine(first_day + timedelta(days=offset), TimeOfDay(), UTC)
        day_end = day_start + timedelta(days=1)
        candidates = sorted(
            {
                instant
                for zone in unique
                for instant in _openings_between(zone, window.start, day_start, day_end)
                if instant > now_utc
            }
        )
        for instant in candidates:
            if may_call(instant, window, unique):
                return instant
    return None


def _search_days(window: CallingWindow, first_day: date) -> int:
    last_holiday = max(window.holidays, default=first_day)
    days = max((last_holiday - first_day).days, 0) + _SEARCH_DAYS_AFTER_HOLIDAYS
    return min(days, _MAX_SEARCH_DAYS)


def _openings_between(
    zone: ZoneInfo, start: TimeOfDay, since: datetime, until: datetime
) -> Iterator[datetime]:
    """UTC instants in [since, until) where ``zone``'s window may open: each instant its wall
    clock shows ``start`` (twice on a fall-back day, never on a spring-forward day when
    ``start`` is skipped) and each instant its clock jumps."""
    first_local = since.astimezone(zone).date() - timedelta(days=1)
    last_local = until.astimezone(zone).date() + timedelta(days=1)
    local_day = first_local
    while local_day <= last_local:
        for instant in _wall_clock_instants(zone, datetime.combine(local_day, start)):
            if since <= instant < until:
                yield instant
        local_day += timedelta(days=1)
    yield from _offset_changes(zone, since, until)


def _wall_clock_instants(zone: ZoneInfo, wall: datetime) -> Iterator[datetime]:
    """The UTC instants at which ``zone``'s clock shows ``wall`` (0, 1 or 2 of them)."""
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            yield instant


_PROBE_STEP: Final = timedelta(hours=1)
_ONE_SECOND: Final = timedelta(seconds=1)


def _offset_changes(zone: ZoneInfo, since: datetime, until: datetime) -> Iterator[datetime]:
    """The instants in [since, until) at which ``zone``'s UTC offset changes, to the second.

    Probed hourly: two changes less than an hour apart do not exist in the time zone
    database's rules for the years a campaign runs.
    """
    probe = since
    offset = since.astimezone(zone).utcoffset()
    while probe < until:
        following = min(probe + _PROBE_STEP, until)
        next_offset = following.astimezone(zone).utcoffset()
        if next_offset != offset:
            low, high = probe, following  # offset(low) == offset, offset(high) != offset
            while high - low > _ONE_SECOND:
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            if since <= high < until:
                yield high
        probe, offset = following, next_offset
