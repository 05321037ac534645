"""The daily supervisor pack as data: what every output (HTML, PDF, CSV, spreadsheet, mail)
shows, already computed, so that the renderers only lay it out and translate its labels.

Every number is in the unit its key says (``_s`` seconds, ``_rate``/ratio 0..1, counts); a
number that cannot be computed (no calls, no surveys) is ``None`` and shows as "–", never as 0.
Labels are not here: renderers look keys up in :mod:`asterisk_cc.core.reports.labels`.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

__all__ = [
    "Column",
    "DailyPack",
    "Headline",
    "IntervalRow",
    "Rag",
    "Table",
    "Unit",
    "rag_status",
]


class Unit(StrEnum):
    """How a value is shown: a count, a ratio (as a percentage), seconds (as m:ss), money,
    a score (one decimal), agents (a count of people, whole)."""

    COUNT = "count"
    RATIO = "ratio"
    SECONDS = "seconds"
    MONEY = "money"
    SCORE = "score"
    TEXT = "text"
    CODE = "code"
    """A code from a fixed list (a tier, a ticket state, an IVR outcome): shown translated."""

    @property
    def is_text(self) -> bool:
        return self in (Unit.TEXT, Unit.CODE)


class Rag(StrEnum):
    """Red/amber/green against a target."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def rag_status(
    value: float | None, target: float | None, *, higher_is_better: bool, amber_band: float
) -> Rag | None:
    """Green when the target is met; amber when missed by at most ``amber_band`` (in the
    value's own unit, e.g. 0.05 = five points of a ratio); red beyond. None without both."""
    if value is None or target is None:
        return None
    shortfall = (target - value) if higher_is_better else (value - target)
    if shortfall <= 0:
        return Rag.GREEN
    if shortfall <= amber_band:
        return Rag.AMBER
    return Rag.RED


@dataclass(frozen=True)
class Headline:
    """A headline KPI of the day, its target and status, and the same KPI the day before and
    the same weekday a week before (for the day-over-day and week-over-week changes)."""

    key: str
    value: float | None
    unit: Unit
    target: float | None = None
    status: Rag | None = None
    higher_is_better: bool = True
    day_before: float | None = None
    week_before: float | None = None


@dataclass(frozen=True)
class IntervalRow:
    """One interval of the day (local time ``start``, ``length_s`` long) for the charts."""

    start: datetime
    length_s: int
    offered: int
    answered: int
    abandoned: int
    service_level: float | None
    abandon_rate: float | None
    asa_s: float | None
    aht_s: float | None


@dataclass(frozen=True)
class Column:
    """A column of a table: its key (looked up for the label) and unit."""

    key: str
    unit: Unit


Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """A table of the pack (``key`` names it: ``queues``, ``agents``, ``tiers``, ``ivr_funnel``,
    ``campaigns``, ``complaints_due``, ``callbacks_due``, ``surveys``, ``staffing``...); each row
    has one cell per column. ``total`` is an optional last row (sums or overall values)."""

    key: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None


@dataclass(frozen=True)
class DailyPack:
    """The pack of one day (``day`` in the site's ``timezone``), built at ``generated_at``."""

    site_name: str
    day: date
    timezone: str
    generated_at: datetime
    headline: tuple[Headline, ...]
    intervals: tuple[IntervalRow, ...]
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = field(default=())

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def headline_value(self, key: str) -> float | None:
        return next((h.value for h in self.headline if h.key == key), None)
