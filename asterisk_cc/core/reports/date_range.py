"""The days a report covers, as a person types them: checked, with a reason when they cannot
be used (not a date, the end before the start, longer than a report may cover). Pure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

__all__ = ["MAX_RANGE_DAYS", "DateRange", "RangeProblem", "parse_day", "parse_range"]

MAX_RANGE_DAYS: Final = 366
"""The longest range a report covers: a year, so that one request cannot ask the server for
every call ever recorded."""


class RangeProblem(ValueError):
    """Why the days cannot be used: ``code`` is ``not_a_date``, ``to_before_from`` or
    ``too_long``; ``values`` fill the message's placeholders."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __iter__(self) -> Iterator[date]:
        return (self.first + timedelta(days=n) for n in range(self.days))


def parse_day(text: str | None, default: date) -> date:
    """``YYYY-MM-DD``, or ``default`` when empty; :class:`RangeProblem` ``not_a_date`` else."""
    text = (text or "").strip()
    if not text:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise RangeProblem("not_a_date", given=text[:40]) from None


def parse_range(
    first_text: str | None,
    last_text: str | None,
    *,
    default_first: date,
    max_days: int = MAX_RANGE_DAYS,
) -> DateRange:
    """The range from ``first_text`` to ``last_text`` (both days included; the last defaults
    to the first, the first to ``default_first``)."""
    first = parse_day(first_text, default_first)
    last = parse_day(last_text, first)
    if last < first:
        raise RangeProblem("to_before_from", first=first.isoformat(), last=last.isoformat())
    days = (last - first).days + 1
    if days > max_days:
        raise RangeProblem("too_long", days=days, max_days=max_days)
    return DateRange(first, last)
