"""Opening hours and holidays: is the contact centre open at ``now``?

A calendar is read in its own time zone (the site's unless the flow names another), so a
holiday or a closing time means the local day and the local clock, whatever the server's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as TimeOfDay
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["WEEKDAYS", "Calendar", "CalendarError", "parse_hours"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")

Span = tuple[TimeOfDay, TimeOfDay]


class CalendarError(ValueError):
    """A calendar that cannot be read; the message names the bad value."""


def parse_hours(text: str) -> tuple[Span, ...]:
    """``"08:00-12:00, 13:00-20:00"`` → two spans; ``""`` or ``"closed"`` → none.
    ``"22:00-02:00"`` runs past midnight; ``"00:00-24:00"`` is the whole day."""
    spans: list[Span] = []
    cleaned = text.strip().lower()
    if cleaned in ("", "closed"):
        return ()
    for part in cleaned.split(","):
        match = _RANGE.match(part.strip())
        if match is None:
            raise CalendarError(f"{part.strip()!r} is not a time range like 08:00-20:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise CalendarError(f"{part.strip()!r} is not a time of day")
        start = TimeOfDay(h1, m1)
        end = TimeOfDay(23, 59, 59, 999999) if h2 == 24 else TimeOfDay(h2, m2)
        if start == end:
            raise CalendarError(f"{part.strip()!r} is empty: start and end are the same")
        spans.append((start, end))
    return tuple(spans)


@dataclass(frozen=True)
class Calendar:
    """Weekly opening hours (``hours[0]`` = Monday) and closed dates, in ``timezone``."""

    name: str
    timezone: str
    hours: tuple[tuple[Span, ...], ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise CalendarError(f"calendar {self.name}: hours must have 7 days")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(
                f"calendar {self.name}: timezone {self.timezone!r} is not an IANA time zone "
                "such as Asia/Shanghai"
            ) from None

    @classmethod
    def from_mapping(cls, name: str, data: Mapping[str, object], default_timezone: str) -> Calendar:
        """Read ``{timezone?, mon..sun: "08:00-20:00", holidays: ["2026-10-01", ...]}``;
        a day that is not named is closed."""
        unknown = set(data) - {*WEEKDAYS, "timezone", "holidays"}
        if unknown:
            raise CalendarError(
                f"calendar {name}: unknown key(s) {', '.join(sorted(unknown))}; use timezone, "
                f"holidays and the days {', '.join(WEEKDAYS)}"
            )
        timezone = data.get("timezone", default_timezone)
        if not isinstance(timezone, str):
            raise CalendarError(f"calendar {name}: timezone must be text")
        hours = []
        for day in WEEKDAYS:
            value = data.get(day, "")
            if not isinstance(value, str):
                raise CalendarError(f'calendar {name}: {day} must be text like "08:00-20:00"')
            try:
                hours.append(parse_hours(value))
            except CalendarError as exc:
                raise CalendarError(f"calendar {name}: {day}: {exc}") from None
        holidays = data.get("holidays", [])
        if not isinstance(holidays, Sequence) or isinstance(holidays, str):
            raise CalendarError(f'calendar {name}: holidays must be a list like ["2026-10-01"]')
        days = set()
        for item in holidays:
            if isinstance(item, date) and not isinstance(item, datetime):
                days.add(item)
                continue
            try:
                days.add(date.fromisoformat(str(item)))
            except ValueError:
                raise CalendarError(
                    f"calendar {name}: holiday {item!r} is not a date like 2026-10-01"
                ) from None
        return cls(name, timezone, tuple(hours), frozenset(days))

    def local(self, now: datetime) -> datetime:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(ZoneInfo(self.timezone))

    def is_holiday(self, now: datetime) -> bool:
        return self.local(now).date() in self.holidays

    def is_open(self, now: datetime) -> bool:
        """Open at ``now``: not a holiday, and inside one of the day's spans (a span past
        midnight counts on the day it starts and, after midnight, on the next one)."""
        local = self.local(now)
        if local.date() in self.holidays:
            return False
        clock = local.timetz().replace(tzinfo=None)
        weekday = local.weekday()
        for start, end in self.hours[weekday]:
            if start < end and start <= clock < end:
                return True
            if start > end and clock >= start:
                return True
        yesterday = self.hours[(weekday - 1) % 7]
        return any(start > end and clock < end for start, end in yesterday)
