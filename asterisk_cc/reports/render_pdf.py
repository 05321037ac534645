"""The pack as an A4 PDF (fpdf2, pure Python): the headline, the three charts, every table,
page numbers; Chinese drawn with the CJK TrueType font.

Tables are sized to their content: text columns wrap, number columns do not; a table too wide
for the page is set in a smaller type, and a table still too wide is split into column groups
that repeat its first (name) column. A table longer than the page continues on the next one
with its header row repeated. The PDF's dates come from ``pack.generated_at``, so the same pack
gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TableCellFillMode, VAlign, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from asterisk_cc.core.reports.labels import (
    format_value,
    headline_text,
    label,
    page_label,
    rag_label,
)
from asterisk_cc.core.reports.pack import Cell, DailyPack, Rag, Table, Unit
from asterisk_cc.reports.charts import (
    CHART_KEYS,
    HEIGHT_IN,
    WIDTH_IN,
    ChartFontMissing,
    cjk_font_path,
    latin_font_path,
)
from asterisk_cc.reports.render_tables import RAG_COLOURS, local_time, pack_tables

__all__ = ["render_pdf"]

MARGIN_MM: Final = 12.0
FONT: Final = "dejavu"
CJK_FONT: Final = "cjk"
NAVY: Final = (31, 58, 95)
INK: Final = (31, 41, 51)
GREY: Final = (123, 135, 148)
RULE: Final = (217, 222, 227)
STRIPE: Final = (247, 249, 251)
BODY_PT: Final = 8.0
SMALLEST_PT: Final = 6.5
BOLD_EXTRA_PT: Final = 1.5
TEXT_COLUMN_MAX_MM: Final = 48.0
CELL_PAD_MM: Final = 1.2


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _bold_path(regular: Path) -> Path:
    bold = regular.with_name(regular.stem + "-Bold" + regular.suffix)
    return bold if bold.is_file() else regular


class _PackPdf(FPDF):
    """An A4 page with the pack's running header (from page 2) and numbered footer."""

    def __init__(self, pack: DailyPack, language: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.pack = pack
        self.language = language
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=MARGIN_MM + 4)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*GREY)
        self.cell(
            0,
            4,
            f"{self.pack.site_name} — {label('title', self.language)} {self.pack.day.isoformat()}",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_draw_color(*RULE)
        self.line(MARGIN_MM, self.get_y() + 0.5, self.w - MARGIN_MM, self.get_y() + 0.5)
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-MARGIN_MM)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*GREY)
        self.cell(0, 4, label("definitions", self.language), align="L")
        self.set_x(MARGIN_MM)
        self.cell(0, 4, page_label(self.page_no(), "{nb}", self.language), align="R")


def _new_pdf(pack: DailyPack, language: str) -> _PackPdf:
    pdf = _PackPdf(pack, language)
    latin = latin_font_path()
    pdf.add_font(FONT, "", str(latin))
    pdf.add_font(FONT, "B", str(_bold_path(latin)))
    try:
        cjk: Path | None = cjk_font_path()
    except ChartFontMissing:
        if language == "zh":
            _close_fonts(pdf)
            raise
        cjk = None  # an English pack without CJK names reads fine without the font
    if cjk is not None:
        pdf.add_font(CJK_FONT, "", str(cjk))
        pdf.set_fallback_fonts([CJK_FONT], exact_match=False)
    pdf.set_creation_date(pack.generated_at)
    pdf.set_creator("asterisk_cc")
    pdf.set_producer("asterisk_cc")
    pdf.set_title(f"{pack.site_name} — {label('title', language)} {pack.day.isoformat()}")
    pdf.set_author(pack.site_name)
    pdf.set_lang("zh-CN" if language == "zh" else "en")
    pdf.alias_nb_pages()
    return pdf


def _title_block(pdf: _PackPdf) -> None:
    pack, language = pdf.pack, pdf.language
    width = pdf.w - 2 * MARGIN_MM
    top = pdf.get_y()
    pdf.set_fill_color(*NAVY)
    pdf.rect(MARGIN_MM, top, width, 24, style="F")
    pdf.set_text_color(201, 214, 227)
    pdf.set_xy(MARGIN_MM + 5, top + 3)
    pdf.set_font(FONT, "", 9)
    pdf.cell(width - 10, 4.5, pack.site_name, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 17)
    pdf.cell(
        width - 10,
        9,
        f"{label('title', language)} {pack.day.isoformat()}",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(201, 214, 227)
    pdf.set_font(FONT, "", 8)
    pdf.cell(
        width - 10,
        4.5,
        f"{label('timezone', language)}: {pack.timezone} · {label('generated_at', language)}: "
        f"{local_time(pack.generated_at, pack.timezone)}",
    )
    pdf.set_xy(MARGIN_MM, top + 24 + 4)


def _section(pdf: _PackPdf, title: str, *, keep_mm: float = 30.0) -> None:
    """A section title, moved to the next page with what follows when too little room is
    left (a title alone at the foot of a page helps nobody)."""
    if pdf.get_y() + keep_mm > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*NAVY)
    pdf.cell(0, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _heading_style() -> FontFace:
    return FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=NAVY)


def _rag_style(rag: Rag) -> FontFace:
    background, text = RAG_COLOURS[rag]
    return FontFace(emphasis="BOLD", color=_rgb(text), fill_color=_rgb(background))


def _table_options(width_mm: float, col_widths: Sequence[float], size_pt: float) -> dict[str, Any]:
    return {
        "width": width_mm,
        "col_widths": tuple(col_widths),
        "align": "LEFT",
        "borders_layout": TableBordersLayout.HORIZONTAL_LINES,
        "cell_fill_color": STRIPE,
        "cell_fill_mode": TableCellFillMode.EVEN_ROWS,
        "headings_style": _heading_style(),
        "line_height": size_pt * 0.3528 * 1.35,
        "padding": (1.0, CELL_PAD_MM),
        "v_align": VAlign.M,
        "wrapmode": WrapMode.WORD,
        "repeat_headings": 1,
        "text_align": "LEFT",
    }


def _headline_text(pack: DailyPack, language: str, currency: str | None) -> _Text:
    texts = [headline_text(h, language, currency=currency) for h in pack.headline]
    return _Text(
        headers=(
            label("kpi", language),
            label("value", language),
            label("target", language),
            label("status", language),
            label("day_before", language),
            label("change", language),
            label("week_before", language),
            label("change", language),
        ),
        align=("L", "R", "R", "C", "R", "R", "R", "R"),
        rows=tuple(
            (
                t.label,
                t.value,
                t.target,
                t.status_word,
                t.day_before,
                t.change_day,
                t.week_before,
                t.change_week,
            )
            for t in texts
        ),
        rags=tuple((None, None, None, t.status, None, None, None, None) for t in texts),
        total=None,
        bold=(False, True, False, False, False, False, False, False),
        muted=(False, False, True, True, True, False, True, False),
    )


def _charts(pdf: _PackPdf, charts: Mapping[str, bytes]) -> None:
    width = pdf.w - 2 * MARGIN_MM
    height = width * HEIGHT_IN / WIDTH_IN
    _section(pdf, label("charts", pdf.language), keep_mm=height + 10)
    for key in CHART_KEYS:
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        pdf.image(
            io.BytesIO(charts[key]),
            x=MARGIN_MM,
            w=width,
            h=height,
            alt_text=label(key, pdf.language),
        )
        pdf.ln(2)


def _no_data(pdf: _PackPdf) -> None:
    pdf.set_font(FONT, "", BODY_PT)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 6, label("no_data", pdf.language), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


@dataclass(frozen=True)
class _Text:
    """A table as the PDF prints it: every cell in words and digits already."""

    headers: tuple[str, ...]
    align: tuple[str, ...]  # L: text that may wrap; R: a number; C: a status word
    rows: tuple[tuple[str, ...], ...]
    rags: tuple[tuple[Rag | None, ...], ...]
    total: tuple[str, ...] | None
    bold: tuple[bool, ...] = ()
    muted: tuple[bool, ...] = ()


def _table_text(table: Table, language: str, currency: str | None) -> _Text:
    def cell(value: Cell, unit: Unit, key: str) -> tuple[str, Rag | None]:
        if key == "status" and isinstance(value, str) and value in {r.value for r in Rag}:
            return rag_label(Rag(value), language), Rag(value)
        return format_value(value, unit, language, currency=currency), None

    rows: list[tuple[str, ...]] = []
    rags: list[tuple[Rag | None, ...]] = []
    for row in table.rows:
        cells = [cell(v, c.unit, c.key) for c, v in zip(table.columns, row, strict=True)]
        rows.append(tuple(text for text, _ in cells))
        rags.append(tuple(rag for _, rag in cells))
    total = None
    if table.total is not None:
        first, *rest = table.total
        values = (label("total", language) if first in (None, "") else first, *rest)
        total = tuple(cell(v, c.unit, c.key)[0] for c, v in zip(table.columns, values, strict=True))

    align = tuple(
        "C" if any(r[n] for r in rags) else ("L" if column.unit.is_text else "R")
        for n, column in enumerate(table.columns)
    )
    return _Text(
        headers=tuple(label(c.key, language) for c in table.columns),
        align=align,
        rows=tuple(rows),
        rags=tuple(rags),
        total=total,
    )


def _pieces(text: str) -> list[str]:
    """The unbreakable pieces of ``text``: words, and each CJK character on its own."""
    pieces: list[str] = []
    for word in text.split():
        if any(ord(ch) > 0x2E80 for ch in word):
            pieces.extend(word)
        else:
            pieces.append(word)
    return pieces


@dataclass(frozen=True)
class _Widths:
    """A column's narrowest width (its longest word; numbers never wrap) and its natural
    width (everything on one line, long text capped)."""

    least: float
    natural: float
    ideal: float  # header on one line too


def _measure(pdf: _PackPdf, text: _Text, size_pt: float) -> list[_Widths]:
    pad = 2 * CELL_PAD_MM + 0.8
    lines = [*text.rows, *([text.total] if text.total else [])]
    measured: list[_Widths] = []
    for n, header in enumerate(text.headers):
        pdf.set_font(FONT, "B", size_pt)
        header_line = pdf.get_string_width(header)
        # A header may wrap, but into three lines at most (CJK breaks between any characters).
        header_word = max(
            max((pdf.get_string_width(p) for p in _pieces(header)), default=0.0),
            header_line / 3,
        )
        if text.bold and text.bold[n]:
            pdf.set_font(FONT, "B", size_pt + BOLD_EXTRA_PT)
        elif text.align[n] == "C":
            pdf.set_font(FONT, "B", size_pt)  # status words are printed bold
        else:
            pdf.set_font(FONT, "", size_pt)
        content = max((pdf.get_string_width(line[n]) for line in lines), default=0.0)
        if text.align[n] != "L":
            # Numbers and status words stay on one line; their header may take two.
            least = max(header_word, content)
            natural = max(least, header_line / 2 + pad)
            ideal = max(natural, header_line)
        else:
            content_word = max(
                (pdf.get_string_width(p) for line in lines for p in _pieces(line[n])),
                default=0.0,
            )
            least = max(header_word, min(content_word, TEXT_COLUMN_MAX_MM))
            natural = max(least, min(max(content, header_line), TEXT_COLUMN_MAX_MM))
            ideal = natural
        measured.append(_Widths(least + pad, natural + pad, ideal + pad))
    return measured


def _fit(measured: Sequence[_Widths], room: float, align: Sequence[str]) -> list[float]:
    """Widths filling ``room``. Every column gets at least its narrowest width; the room left
    goes first to the columns that want the least more (a short team name or a two-line
    header is made whole before a long name, which can wrap), then to one-line headers; what
    is left goes to the text columns."""
    widths = [m.least for m in measured]
    spare = room - sum(widths)
    for n in sorted(range(len(measured)), key=lambda i: measured[i].natural - measured[i].least):
        give = min(measured[n].natural - measured[n].least, spare)
        widths[n] += give
        spare -= give
    for n in sorted(range(len(measured)), key=lambda i: measured[i].ideal - measured[i].natural):
        give = max(0.0, min(measured[n].ideal - widths[n], spare))
        widths[n] += give
        spare -= give
    if spare > 0:
        flexible = [n for n, a in enumerate(align) if a == "L"] or list(range(len(measured)))
        for n in flexible:
            widths[n] += spare / len(flexible)
    return widths


def _column_groups(least: Sequence[float], room: float) -> list[list[int]]:
    """Columns split into groups that fit ``room``, each group starting with column 0."""
    groups: list[list[int]] = [[0]]
    used = least[0]
    for n in range(1, len(least)):
        if used + least[n] > room and len(groups[-1]) > 1:
            groups.append([0])
            used = least[0]
        groups[-1].append(n)
        used += least[n]
    return groups


def _subset(text: _Text, columns: Sequence[int]) -> _Text:
    def pick(values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(values[n] for n in columns) if values else ()

    return _Text(
        headers=pick(text.headers),
        align=pick(text.align),
        rows=tuple(pick(row) for row in text.rows),
        rags=tuple(pick(rag) for rag in text.rags),
        total=pick(text.total) if text.total is not None else None,
        bold=pick(text.bold),
        muted=pick(text.muted),
    )


def _print_table(pdf: _PackPdf, text: _Text) -> None:
    """``text`` across the page: in a smaller type when wide, in column groups when still
    too wide."""
    room = pdf.epw - 0.01  # a hair under: fpdf2 refuses a table a rounding error too wide
    size = BODY_PT
    measured = _measure(pdf, text, size)
    while sum(m.least for m in measured) > room and size > SMALLEST_PT:
        size = max(SMALLEST_PT, size - 0.5)
        measured = _measure(pdf, text, size)
    if sum(m.least for m in measured) <= room:
        _table_part(pdf, text, _fit(measured, room, text.align), size)
        return
    for number, group in enumerate(_column_groups([m.least for m in measured], room)):
        if number:
            pdf.ln(3)
        part = _subset(text, group)
        _table_part(pdf, part, _fit(_measure(pdf, part, size), room, part.align), size)


def _table(pdf: _PackPdf, table: Table, currency: str | None) -> None:
    _section(pdf, label(table.key, pdf.language))
    text = _table_text(table, pdf.language, currency)
    if not text.rows and text.total is None:
        _no_data(pdf)
        return
    _print_table(pdf, text)


def _table_part(pdf: _PackPdf, text: _Text, widths: Sequence[float], size_pt: float) -> None:
    pdf.set_font(FONT, "", size_pt)
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(255, 255, 255)  # the unstriped rows take the current fill colour
    pdf.set_text_color(*INK)
    columns = range(len(text.headers))

    def style(n: int) -> FontFace | None:
        if text.bold and text.bold[n]:
            return FontFace(emphasis="BOLD", size_pt=size_pt + BOLD_EXTRA_PT)
        if text.muted and text.muted[n]:
            return FontFace(color=GREY)
        return None

    with pdf.table(**_table_options(sum(widths), widths, size_pt)) as table:
        heading = table.row()
        for n in columns:
            heading.cell(text.headers[n], align=text.align[n])
        for values, rags in zip(text.rows, text.rags, strict=True):
            row = table.row()
            for n in columns:
                rag = rags[n]
                if rag is not None:
                    row.cell(values[n], align="C", style=_rag_style(rag))
                else:
                    row.cell(values[n], align=text.align[n], style=style(n))
        if text.total is not None:
            row = table.row()
            for n in columns:
                row.cell(
                    text.total[n],
                    align=text.align[n],
                    style=FontFace(emphasis="BOLD", fill_color=(232, 237, 243)),
                )


def _notes(pdf: _PackPdf) -> None:
    if not pdf.pack.notes:
        return
    _section(pdf, label("notes", pdf.language), keep_mm=15)
    pdf.set_font(FONT, "", BODY_PT)
    for note in pdf.pack.notes:
        pdf.multi_cell(0, 4.2, f"• {note}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(
    pack: DailyPack, language: str, *, charts: Mapping[str, bytes], currency: str | None = None
) -> bytes:
    """The pack in ``language`` as PDF bytes; ``charts`` are the PNGs of
    :func:`asterisk_cc.reports.charts.chart_pngs` for the same pack and language."""
    missing = [key for key in CHART_KEYS if key not in charts]
    if missing:
        raise ValueError(f"the PDF needs the PNG of every chart; missing: {missing}")
    pdf = _new_pdf(pack, language)
    try:
        pdf.add_page()
        _title_block(pdf)
        _section(pdf, label("headline", language))
        if pack.headline:
            _print_table(pdf, _headline_text(pack, language, currency))
        else:
            _no_data(pdf)
        _charts(pdf, charts)
        for table in pack_tables(pack):
            _table(pdf, table, currency)
        _notes(pdf)
        return bytes(pdf.output())
    finally:
        _close_fonts(pdf)


def _close_fonts(pdf: FPDF) -> None:
    """fpdf2 reads fonts lazily and keeps their files open until garbage collection: a
    scheduler producing packs every day would hold them all; close them now."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()
