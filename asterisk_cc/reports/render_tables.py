"""The pack's tables as data files: CSV for tools, a spreadsheet (XLSX) for people.

CSV: one file per table (plus ``headline.csv``), packed in one zip per pack so that the mail
carries one attachment and the report folder one file per day. Each file starts with a UTF-8
byte-order mark (Excel then reads Chinese correctly) and has ONE header row of the column
*keys* (``service_level``, ``asa_s``), not of labels: the CSV is the machine-readable copy, its
columns stay the same whatever the language, match the KPI definitions, and a single header row
is what every CSV reader expects (a second header row would be read as data). Numbers are raw
(ratios 0..1, seconds, counts); an unknown value is an empty field. The spreadsheet is the
human copy: labels in the pack's language, numbers as numbers with number formats (percent,
[m]:ss), status cells coloured and worded.

Text that came from callers or agents (names, categories) could start with ``=``, ``+``, ``-``
or ``@`` and be run as a formula by a spreadsheet: in CSV it is prefixed with an apostrophe, in
the XLSX it is stored as text, never as a formula.

This module also holds what the HTML and PDF renderers share with it: the list of tables a
pack shows (:func:`pack_tables`) and the colours of red/amber/green.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from asterisk_cc.core.reports.labels import format_change, label, rag_label
from asterisk_cc.core.reports.pack import Cell, Column, DailyPack, Headline, Rag, Table, Unit

__all__ = [
    "RAG_COLOURS",
    "csv_files",
    "csv_zip",
    "local_time",
    "pack_tables",
    "safe_text",
    "xlsx_bytes",
]

RAG_COLOURS: Final[dict[Rag, tuple[str, str]]] = {
    Rag.GREEN: ("#d3f0dc", "#0f5132"),
    Rag.AMBER: ("#ffe8a8", "#664d03"),
    Rag.RED: ("#f8d0d3", "#842029"),
}
"""Red/amber/green as (background, text) colours: soft fills with dark text, readable printed
in grey too, and always next to the word."""

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

_INTERVAL_COLUMNS: Final = (
    Column("interval_start", Unit.TEXT),
    Column("offered", Unit.COUNT),
    Column("answered", Unit.COUNT),
    Column("abandoned", Unit.COUNT),
    Column("service_level", Unit.RATIO),
    Column("abandon_rate", Unit.RATIO),
    Column("asa_s", Unit.SECONDS),
    Column("aht_s", Unit.SECONDS),
)


def pack_tables(pack: DailyPack) -> tuple[Table, ...]:
    """The tables every output shows, in order: the pack's own, then the intervals behind the
    charts (unless the pack already has an ``intervals`` table) so the numbers are readable too.
    Tables without rows are kept: "no data" is an answer."""
    tables = list(pack.tables)
    if pack.intervals and pack.table("intervals") is None:
        rows = tuple(
            (
                row.start.strftime("%H:%M"),
                row.offered,
                row.answered,
                row.abandoned,
                row.service_level,
                row.abandon_rate,
                row.asa_s,
                row.aht_s,
            )
            for row in pack.intervals
        )
        tables.append(Table("intervals", _INTERVAL_COLUMNS, rows))
    return tuple(tables)


def safe_text(text: str) -> str:
    """Text a spreadsheet will not run as a formula (the OWASP advice for CSV files)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_cell(cell: Cell) -> str | int | float:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return safe_text(cell)
    return cell


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _total_row(table: Table) -> tuple[Cell, ...] | None:
    """The total row, its empty first cell saying ``total`` so that a tool can tell it apart."""
    if table.total is None:
        return None
    first, *rest = table.total
    return ("total" if first in (None, "") else first, *rest)


def csv_files(pack: DailyPack) -> dict[str, bytes]:
    """File name -> CSV bytes: ``headline.csv`` and one ``<table key>.csv`` per table."""
    headline_rows = [
        (
            h.key,
            h.value,
            h.unit.value,
            h.target,
            h.status.value if h.status else None,
            "yes" if h.higher_is_better else "no",
            h.day_before,
            h.week_before,
        )
        for h in pack.headline
    ]
    files = {
        "headline.csv": _csv_text(
            (
                "key",
                "value",
                "unit",
                "target",
                "status",
                "higher_is_better",
                "day_before",
                "week_before",
            ),
            headline_rows,
        )
    }
    for table in pack_tables(pack):
        total = _total_row(table)
        rows = [*table.rows, *([total] if total is not None else [])]
        files[f"{table.key}.csv"] = _csv_text([c.key for c in table.columns], rows)
    return files


def csv_zip(pack: DailyPack) -> bytes:
    """The CSV files in one zip, every entry dated ``pack.generated_at`` so that the same pack
    gives the same bytes."""
    stamp = pack.generated_at.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in csv_files(pack).items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


# --- spreadsheet -----------------------------------------------------------------------------

_HEADER_FILL: Final = PatternFill("solid", fgColor="1F3A5F")
_HEADER_FONT: Final = Font(bold=True, color="FFFFFF")
_TOTAL_FONT: Final = Font(bold=True)
_TITLE_FONT: Final = Font(bold=True, size=14)
_THIN: Final = Side(style="thin", color="D9DEE3")
_TOTAL_BORDER: Final = Border(top=Side(style="thin", color="1F3A5F"))
_SHEET_NAME_BAD: Final = re.compile(r"[\[\]:*?/\\]")
_CURRENCY_OK: Final = re.compile(r"[A-Za-z¥$€£]{1,5}")


def _seconds_format(values: Sequence[Cell]) -> str:
    longest = max((abs(v) for v in values if isinstance(v, int | float)), default=0)
    return "[h]:mm:ss" if longest >= 3600 else "[m]:ss"


def _number_format(unit: Unit, values: Sequence[Cell], currency: str | None) -> str:
    if unit is Unit.RATIO:
        return "0.0%"
    if unit is Unit.SECONDS:
        return _seconds_format(values)
    if unit is Unit.SCORE:
        return "0.0"
    if unit is Unit.MONEY:
        if currency and _CURRENCY_OK.fullmatch(currency):
            return f'"{currency}" #,##0.00'
        return "#,##0.00"
    if unit is Unit.COUNT:
        whole = all(float(v).is_integer() for v in values if isinstance(v, int | float))
        return "#,##0" if whole else "#,##0.0"
    return "General"


def _put(sheet: Worksheet, row: int, column: int, value: Cell, unit: Unit, fmt: str) -> SheetCell:
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return cell
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell
    cell.value = value / 86400 if unit is Unit.SECONDS else value
    cell.number_format = fmt
    cell.alignment = Alignment(horizontal="right")
    return cell


def _header(sheet: Worksheet, row: int, titles: Sequence[str]) -> None:
    for column, title in enumerate(titles, 1):
        cell = sheet.cell(row=row, column=column, value=title)
        cell.data_type = "s"
        cell.fill = _HEADER_FILL
        cell.font = _HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _text_width(text: str) -> int:
    """Display width in Excel character units: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _fit_columns(sheet: Worksheet, widths: dict[int, int]) -> None:
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 48)


def _sheet_name(title: str, taken: set[str]) -> str:
    name = _SHEET_NAME_BAD.sub(" ", title).strip()[:31] or "sheet"
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" {n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def _rag(cell: SheetCell, rag: Rag | None) -> None:
    if rag is None:
        return
    background, text = RAG_COLOURS[rag]
    cell.fill = PatternFill("solid", fgColor=background.lstrip("#").upper())
    cell.font = Font(color=text.lstrip("#").upper(), bold=True)


def _headline_sheet(sheet: Worksheet, pack: DailyPack, language: str, currency: str | None) -> None:
    sheet.cell(
        row=1,
        column=1,
        value=f"{pack.site_name} — {label('title', language)} {pack.day.isoformat()}",
    ).font = _TITLE_FONT
    sheet["A1"].data_type = "s"
    sheet.cell(
        row=2,
        column=1,
        value=f"{label('generated_at', language)}: {local_time(pack.generated_at, pack.timezone)}",
    )
    titles = [
        label("kpi", language),
        label("value", language),
        label("target", language),
        label("status", language),
        label("day_before", language),
        label("vs_day_before", language),
        label("week_before", language),
        label("vs_week_before", language),
        label("key", language),
    ]
    _header(sheet, 4, titles)
    widths = {i: _text_width(t) for i, t in enumerate(titles, 1)}
    for r, h in enumerate(pack.headline, 5):
        fmt = _number_format(h.unit, [h.value, h.target, h.day_before, h.week_before], currency)
        text = label(h.key, language)
        sheet.cell(row=r, column=1, value=text).data_type = "s"
        widths[1] = max(widths[1], _text_width(text))
        _put(sheet, r, 2, h.value, h.unit, fmt).font = Font(bold=True)
        _put(sheet, r, 3, h.target, h.unit, fmt)
        status = sheet.cell(row=r, column=4, value=rag_label(h.status, language))
        _rag(status, h.status)
        _put(sheet, r, 5, h.day_before, h.unit, fmt)
        _change(sheet.cell(row=r, column=6), h, h.day_before, language)
        _put(sheet, r, 7, h.week_before, h.unit, fmt)
        _change(sheet.cell(row=r, column=8), h, h.week_before, language)
        sheet.cell(row=r, column=9, value=h.key)
    last = 4 + len(pack.headline)
    if pack.notes:
        sheet.cell(row=last + 2, column=1, value=label("notes", language)).font = _TOTAL_FONT
        for n, note in enumerate(pack.notes, last + 3):
            sheet.cell(row=n, column=1, value=note).data_type = "s"
    sheet.cell(row=last + 4 + len(pack.notes), column=1, value=label("definitions", language))
    sheet.freeze_panes = "B5"
    _fit_columns(sheet, widths)


def _change(cell: SheetCell, h: Headline, before: float | None, language: str) -> None:
    """The change as a number where it is one (points of a ratio, relative otherwise), so a
    reader can sort by it; the same rule and rounding as the other outputs."""
    if h.value is None or before is None or h.unit.is_text:
        return
    if h.unit is Unit.RATIO:
        cell.value = h.value - before
        cell.number_format = "+0.0%;-0.0%;0.0%"
    elif h.unit is Unit.SCORE:
        cell.value = h.value - before
        cell.number_format = "+0.0;-0.0;0.0"
    elif before != 0:
        cell.value = (h.value - before) / abs(before)
        cell.number_format = "+0%;-0%;0%"
    else:
        cell.value = format_change(h.value, before, h.unit, language)
        cell.data_type = "s"
    cell.alignment = Alignment(horizontal="right")


def _table_sheet(sheet: Worksheet, table: Table, language: str, currency: str | None) -> None:
    titles = [label(c.key, language) for c in table.columns]
    _header(sheet, 1, titles)
    widths = {i: _text_width(t) for i, t in enumerate(titles, 1)}
    rows: list[tuple[Cell, ...]] = [*table.rows]
    if table.total is not None:
        first, *rest = table.total
        rows.append((label("total", language) if first in (None, "") else first, *rest))
    formats = [
        _number_format(col.unit, [row[i] for row in rows], currency)
        for i, col in enumerate(table.columns)
    ]
    for r, row in enumerate(rows, 2):
        is_total = table.total is not None and r == len(rows) + 1
        for c, (column, value) in enumerate(zip(table.columns, row, strict=True), 1):
            if column.unit is Unit.CODE and isinstance(value, str):
                value = label(value, language)
            cell = _put(sheet, r, c, value, column.unit, formats[c - 1])
            if isinstance(value, str):
                widths[c] = max(widths[c], _text_width(value))
                if column.key == "status" and value in {rag.value for rag in Rag}:
                    cell.value = rag_label(Rag(value), language)
                    _rag(cell, Rag(value))
            else:
                widths[c] = max(widths[c], 10)
            if is_total:
                cell.font = _TOTAL_FONT
                cell.border = _TOTAL_BORDER
    if not rows:
        sheet.cell(row=2, column=1, value=label("no_data", language))
    sheet.freeze_panes = "B2" if len(table.columns) > 1 else "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(rows) + 1}"
    _fit_columns(sheet, widths)


def local_time(moment: datetime, timezone: str) -> str:
    """A stored UTC moment as the site reads it: "2026-11-23 06:30 CST"."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def xlsx_bytes(pack: DailyPack, language: str, *, currency: str | None = None) -> bytes:
    """The spreadsheet: a headline sheet, then one sheet per table, named in ``language``."""
    book = Workbook()
    taken: set[str] = set()
    headline = book.active
    assert headline is not None
    headline.title = _sheet_name(label("headline", language), taken)
    _headline_sheet(headline, pack, language, currency)
    for table in pack_tables(pack):
        sheet = book.create_sheet(_sheet_name(label(table.key, language), taken))
        _table_sheet(sheet, table, language, currency)
    created = pack.generated_at.astimezone(UTC).replace(tzinfo=None)
    book.properties.created = created
    book.properties.modified = created
    book.properties.creator = pack.site_name
    book.properties.title = f"{label('title', language)} {pack.day.isoformat()}"
    book.properties.language = "zh-CN" if language == "zh" else "en"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
