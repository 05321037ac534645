"""The pack as one self-contained HTML document that mail clients show as intended.

Mail clients drop ``<style>`` blocks, external CSS and scripts, and many ignore flexbox and
grid; so the layout is nested tables with inline styles and fixed widths, and nothing is
fetched from elsewhere. Red/amber/green is a coloured cell *with its word* (colour alone fails
colour-blind readers and black-and-white printers). Charts are ``cid:`` references to images
attached to the same mail, or ``data:`` URIs for the file kept on disk: the one document serves
both (:data:`ImageMode`).

Every text that reaches the page goes through Jinja2's autoescaping: agent names, customer
names, notes, the site name are data, never markup.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from jinja2 import Environment, PackageLoader, select_autoescape

from asterisk_cc.core.reports.labels import (
    MISSING,
    HeadlineText,
    format_value,
    headline_text,
    label,
    rag_label,
)
from asterisk_cc.core.reports.pack import DailyPack, Rag, Table, Unit
from asterisk_cc.reports.charts import CHART_KEYS
from asterisk_cc.reports.render_tables import RAG_COLOURS, local_time, pack_tables

__all__ = ["ImageMode", "chart_content_id", "render_html"]

ImageMode = Literal["cid", "data"]
"""``cid``: charts referenced by Content-ID (the mail); ``data``: embedded (the file)."""

_ENV: Final = Environment(
    loader=PackageLoader("asterisk_cc.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


_NOWRAP_CHARS: Final = 20


def chart_content_id(pack: DailyPack, key: str) -> str:
    """The Content-ID (without angle brackets) the mail gives chart ``key`` of ``pack``."""
    return f"{key}.{pack.day.isoformat()}@asterisk-cc"


@dataclass(frozen=True)
class _CellView:
    text: str
    numeric: bool
    nowrap: bool = True
    background: str | None = None
    colour: str | None = None


@dataclass(frozen=True)
class _TableView:
    key: str
    title: str
    headers: tuple[tuple[str, bool], ...]  # (label, numeric)
    rows: tuple[tuple[_CellView, ...], ...]
    total: tuple[_CellView, ...] | None


@dataclass(frozen=True)
class _ChartView:
    key: str
    title: str
    src: str


def _rag_colours(rag: Rag | None) -> tuple[str | None, str | None]:
    return RAG_COLOURS[rag] if rag is not None else (None, None)


def _cell(
    value: str | int | float | None, unit: Unit, key: str, language: str, currency: str | None
) -> _CellView:
    if key == "status" and isinstance(value, str) and value in {r.value for r in Rag}:
        background, colour = _rag_colours(Rag(value))
        return _CellView(rag_label(Rag(value), language), False, True, background, colour)
    numeric = not unit.is_text and not isinstance(value, str)
    text = format_value(value, unit, language, currency=currency)
    # Short words (a team, a date, a ticket number) read better whole; long names may wrap.
    return _CellView(text, numeric, nowrap=numeric or len(text) <= _NOWRAP_CHARS)


def _table_view(table: Table, language: str, currency: str | None) -> _TableView:
    def row_view(row: tuple[str | int | float | None, ...]) -> tuple[_CellView, ...]:
        return tuple(
            _cell(value, column.unit, column.key, language, currency)
            for column, value in zip(table.columns, row, strict=True)
        )

    total = None
    if table.total is not None:
        first, *rest = table.total
        total = row_view((label("total", language) if first in (None, "") else first, *rest))
    return _TableView(
        key=table.key,
        title=label(table.key, language),
        headers=tuple((label(c.key, language), not c.unit.is_text) for c in table.columns),
        rows=tuple(row_view(row) for row in table.rows),
        total=total,
    )


def _chart_src(pack: DailyPack, key: str, images: ImageMode, charts: Mapping[str, bytes]) -> str:
    if images == "cid":
        return "cid:" + chart_content_id(pack, key)
    return "data:image/png;base64," + base64.b64encode(charts[key]).decode("ascii")


def render_html(
    pack: DailyPack,
    language: str,
    *,
    images: ImageMode,
    charts: Mapping[str, bytes] | None = None,
    currency: str | None = None,
) -> str:
    """The pack in ``language`` as an HTML document. ``images="data"`` needs the chart PNGs
    (:func:`asterisk_cc.reports.charts.chart_pngs`) in ``charts``; ``images="cid"`` only names
    them, the mail attaches them under :func:`chart_content_id`."""
    if images not in ("cid", "data"):
        raise ValueError(f"images must be 'cid' or 'data', not {images!r}")
    if images == "data":
        missing = [key for key in CHART_KEYS if key not in (charts or {})]
        if missing:
            raise ValueError(f"images='data' needs the PNG of every chart; missing: {missing}")
    headline: list[HeadlineText] = [
        headline_text(h, language, currency=currency) for h in pack.headline
    ]
    status_colours = {h.key: _rag_colours(h.status) for h in headline}
    return _ENV.get_template("pack.html.j2").render(
        lang="zh-CN" if language == "zh" else "en",
        t=lambda key: label(key, language),
        pack=pack,
        day=pack.day.isoformat(),
        generated_at=local_time(pack.generated_at, pack.timezone),
        headline=headline,
        status_colours=status_colours,
        charts=[
            _ChartView(key, label(key, language), _chart_src(pack, key, images, charts or {}))
            for key in CHART_KEYS
        ],
        tables=[_table_view(t, language, currency) for t in pack_tables(pack)],
        missing=MISSING,
    )
