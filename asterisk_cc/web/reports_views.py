"""The report pages' tables as the templates show them: every value formatted in the reader's
language by the pack's own formatter (:mod:`asterisk_cc.core.reports.labels`), every KPI name
linked to its definition, and every figure that counts calls linked to the list of those calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import g, url_for

from asterisk_cc.core.reports.breakdown import BreakdownRow
from asterisk_cc.core.reports.definitions import DEFINITIONS
from asterisk_cc.core.reports.labels import format_value, headline_text, label, rag_label
from asterisk_cc.core.reports.pack import Cell, DailyPack, Rag, Table, Unit
from asterisk_cc.reports.render_tables import pack_tables
from asterisk_cc.web.reports_data import RangeResult

__all__ = [
    "CellView",
    "HeaderView",
    "HeadlineView",
    "TableView",
    "calls_url",
    "definition_url",
    "headline_views",
    "pack_table_views",
    "range_table_view",
]

DRILLABLE: dict[str, str] = {
    "offered": "offered",
    "answered": "answered",
    "handled": "answered",
    "abandoned": "abandoned",
    "short_abandoned": "short_abandoned",
    "abandon_rate": "abandoned",
    "timed_out": "timed_out",
    "service_level": "sl_missed",
    "transfer_rate": "transferred",
}
"""KPI key -> the measure of the calls behind it (a service level opens the calls that missed
it; an abandon rate, the abandoned calls; a transfer rate, the transferred calls)."""

ROWS_SHOWN = 100
"""Rows of a pack table shown on the page: lists of open complaints and callbacks run into
thousands on a busy site; the downloads hold every row."""

_ROW_SCOPES: dict[str, str] = {"queues": "queue", "tiers": "tier", "agents": "agent"}
"""Pack tables whose rows are a group the drill-down can rebuild (intervals: by their start)."""


@dataclass(frozen=True)
class CellView:
    text: str
    numeric: bool = False
    href: str | None = None
    rag: str | None = None


@dataclass(frozen=True)
class HeaderView:
    text: str
    numeric: bool
    definition: str | None


@dataclass(frozen=True)
class TableView:
    key: str
    title: str
    headers: tuple[HeaderView, ...]
    rows: tuple[tuple[CellView, ...], ...]
    total: tuple[CellView, ...] | None = None
    hidden: int = 0
    """Rows of the table not shown on the page (they are in the downloads)."""


@dataclass(frozen=True)
class HeadlineView:
    key: str
    label: str
    value: str
    target: str
    status: str | None
    status_word: str
    day_before: str
    change_day: str
    week_before: str
    change_week: str
    definition: str | None
    href: str | None


def _base(endpoint: str) -> str:
    """The path of ``endpoint``, worked out once per request: a pack page links a few thousand
    figures, and ``url_for`` for each would cost more than the rest of the page."""
    bases: dict[str, str] = g.setdefault("report_url_bases", {})
    if endpoint not in bases:
        bases[endpoint] = url_for(endpoint)
    return bases[endpoint]


def definition_url(key: str) -> str | None:
    return f"{_base('reports.definitions')}#{key}" if key in DEFINITIONS else None


def calls_url(first: date, last: date, by: str, row: str | None, measure: str) -> str:
    args: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "by": by,
        "measure": measure,
    }
    if row:
        args["label"] = row
    return f"{_base('reports.calls')}?{urlencode(args)}"


def headline_views(pack: DailyPack, language: str, currency: str | None) -> list[HeadlineView]:
    views = []
    for headline in pack.headline:
        text = headline_text(headline, language, currency=currency)
        measure = DRILLABLE.get(headline.key)
        views.append(
            HeadlineView(
                key=headline.key,
                label=text.label,
                value=text.value,
                target=text.target,
                status=headline.status.value if headline.status else None,
                status_word=text.status_word,
                day_before=text.day_before,
                change_day=text.change_day,
                week_before=text.week_before,
                change_week=text.change_week,
                definition=definition_url(headline.key),
                href=(
                    calls_url(pack.day, pack.day, "all", None, measure)
                    if measure and headline.value is not None
                    else None
                ),
            )
        )
    return views


def _cell(value: Cell, unit: Unit, key: str, language: str, currency: str | None) -> CellView:
    if key == "status" and isinstance(value, str) and value in {r.value for r in Rag}:
        return CellView(rag_label(Rag(value), language), rag=value)
    numeric = not unit.is_text and not isinstance(value, str)
    return CellView(format_value(value, unit, language, currency=currency), numeric)


def _headers(table: Table, language: str) -> tuple[HeaderView, ...]:
    return tuple(
        HeaderView(label(c.key, language), not c.unit.is_text, definition_url(c.key))
        for c in table.columns
    )


def _linked(
    cells: Sequence[CellView],
    table: Table,
    values: Sequence[Cell],
    link: Callable[[str], str] | None,
) -> tuple[CellView, ...]:
    if link is None:
        return tuple(cells)
    out = []
    for cell, column, value in zip(cells, table.columns, values, strict=True):
        measure = DRILLABLE.get(column.key)
        if measure and isinstance(value, int | float) and not isinstance(value, bool):
            cell = CellView(cell.text, cell.numeric, link(measure), cell.rag)
        out.append(cell)
    return tuple(out)


def pack_table_views(
    pack: DailyPack,
    language: str,
    currency: str | None,
    agent_logins: Mapping[str, str],
) -> list[TableView]:
    """Every table of the pack (the intervals behind the charts last); ``agent_logins`` maps
    the names the agents table shows to the logins queue_log knows them by."""
    day = pack.day
    slots = [row.start.isoformat() for row in pack.intervals]
    views = []
    for table in pack_tables(pack):
        scope = _ROW_SCOPES.get(table.key)
        rows = []
        for index, row in enumerate(table.rows[:ROWS_SHOWN]):
            cells = [
                _cell(value, column.unit, column.key, language, currency)
                for column, value in zip(table.columns, row, strict=True)
            ]
            if cells and table.columns[0].unit is Unit.CODE and isinstance(row[0], str):
                cells[0] = CellView(label(row[0], language))
            link: Callable[[str], str] | None = None
            if scope == "agent":
                login = agent_logins.get(str(row[0]))
                if login:
                    link = _bind(day, "agent", login)
            elif scope and isinstance(row[0], str):
                link = _bind(day, scope, row[0])
            elif table.key == "intervals" and index < len(slots):
                link = _bind(day, "slot", slots[index])
            rows.append(_linked(cells, table, row, link))
        total = None
        if table.total is not None:
            first, *rest = table.total
            values = (label("total", language) if first in (None, "") else first, *rest)
            cells = [
                _cell(value, column.unit, column.key, language, currency)
                for column, value in zip(table.columns, values, strict=True)
            ]
            link = _bind(day, "all", None) if table.key == "queues" else None
            total = _linked(cells, table, table.total, link)
        views.append(
            TableView(
                key=table.key,
                title=label(table.key, language),
                headers=_headers(table, language),
                rows=tuple(rows),
                total=total,
                hidden=max(0, len(table.rows) - ROWS_SHOWN),
            )
        )
    return views


def _bind(day: date, by: str, row: str | None) -> Callable[[str], str]:
    return lambda measure: calls_url(day, day, by, row, measure)


_RANGE_COLUMNS: tuple[tuple[str, Unit], ...] = (
    ("offered", Unit.COUNT),
    ("answered", Unit.COUNT),
    ("abandoned", Unit.COUNT),
    ("service_level", Unit.RATIO),
    ("abandon_rate", Unit.RATIO),
    ("asa_s", Unit.SECONDS),
    ("aht_s", Unit.SECONDS),
    ("max_wait_s", Unit.SECONDS),
)
RANGE_CSV_HEADER = ("offered", "answered", "abandoned", *(k for k, _ in _RANGE_COLUMNS[3:]))


def range_values(row: BreakdownRow) -> tuple[int | float | None, ...]:
    """The numbers of a range row, raw (ratios 0..1, seconds), in the table's column order."""
    f = row.figures
    return (
        f.offered,
        f.answered,
        f.abandoned,
        f.service_level,
        f.abandon_rate,
        f.asa_s,
        row.aht_s,
        f.max_wait_s,
    )


def range_table_view(
    result: RangeResult, language: str, first_column: str, total_label: str
) -> TableView:
    headers = (
        HeaderView(first_column, False, None),
        *(
            HeaderView(label(key, language), True, definition_url(key))
            for key, _unit in _RANGE_COLUMNS
        ),
    )

    def cells(row: BreakdownRow, by: str, name: str | None, shown: str) -> tuple[CellView, ...]:
        out = [CellView(shown)]
        for (key, unit), value in zip(_RANGE_COLUMNS, range_values(row), strict=True):
            measure = DRILLABLE.get(key)
            href = None
            if measure and value is not None:
                href = calls_url(result.first, result.last, by, name, measure)
            out.append(CellView(format_value(value, unit, language), True, href))
        return tuple(out)

    shown_label = (lambda text: label(text, language)) if result.by == "tier" else str
    return TableView(
        key=f"range_{result.by}",
        title="",
        headers=headers,
        rows=tuple(cells(row, result.by, row.label, shown_label(row.label)) for row in result.rows),
        total=cells(result.total, "all", None, total_label),
    )
