"""The HTML pack: safe for hostile text, nothing fetched from elsewhere, readable in mail."""

from __future__ import annotations

import base64
import dataclasses
from html.parser import HTMLParser

import pytest

from asterisk_cc.core.reports.pack import Column, Rag, Table, Unit
from asterisk_cc.reports.charts import CHART_KEYS, chart_pngs
from asterisk_cc.reports.render_html import chart_content_id, render_html
from asterisk_cc.reports.render_tables import RAG_COLOURS
from tests.report_fixtures import CHINESE_AGENT, HOSTILE_NAME, sample_pack

HOSTILE_SITE = '"><img src=x onerror=alert(1)><a href="http://evil.example/">'


class _Page(HTMLParser):
    """Every start tag with its attributes; the innermost table cells with their text, and
    the rows of innermost cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[tuple[dict[str, str | None], str]] = []
        self.rows: list[list[str]] = []
        self._open_cells: list[tuple[dict[str, str | None], list[str], bool]] = []
        self._open_rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("td", "th"):
            self._open_cells.append((dict(attrs), [], False))
        elif tag == "tr":
            self._open_rows.append([])
        elif tag == "br" and self._open_cells:
            self._open_cells[-1][1].append(" ")
        elif tag == "table" and self._open_cells:
            attrs_, text, _ = self._open_cells[-1]
            self._open_cells[-1] = (attrs_, text, True)  # holds a table: not innermost

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._open_cells:
            attrs, text, outer = self._open_cells.pop()
            if not outer:
                words = " ".join("".join(text).split())
                self.cells.append((attrs, words))
                if self._open_rows:
                    self._open_rows[-1].append(words)
        elif tag == "tr" and self._open_rows:
            row = self._open_rows.pop()
            if row:
                self.rows.append(row)

    def handle_data(self, data: str) -> None:
        if self._open_cells:
            self._open_cells[-1][1].append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def hostile_pack():  # type: ignore[no-untyped-def]
    return dataclasses.replace(
        sample_pack(), site_name=HOSTILE_SITE, notes=("<script>steal()</script> note",)
    )


def test_hostile_text_is_escaped_everywhere(hostile_pack) -> None:  # type: ignore[no-untyped-def]
    html = render_html(hostile_pack, "en", images="cid")
    page = _parse(html)
    assert not [tag for tag, _ in page.tags if tag in {"script", "a", "iframe", "object"}]
    img_sources = [attrs.get("src") for tag, attrs in page.tags if tag == "img"]
    assert "x" not in img_sources
    assert all("onerror" not in attrs for _, attrs in page.tags)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "&lt;script&gt;steal()" in html
    cells = [text for _, text in page.cells]
    assert HOSTILE_NAME in cells  # shown as the text it is
    assert CHINESE_AGENT in cells


def test_nothing_is_fetched_from_elsewhere() -> None:
    pack = sample_pack()
    for images, charts in (("cid", None), ("data", chart_pngs(pack, "en"))):
        html = render_html(pack, "en", images=images, charts=charts)  # type: ignore[arg-type]
        page = _parse(html)
        tags = {tag for tag, _ in page.tags}
        assert not tags & {"script", "link", "style", "iframe", "object", "embed", "base"}
        for tag, attrs in page.tags:
            assert "href" not in attrs, tag
            assert "background" not in attrs, tag
            style = attrs.get("style") or ""
            assert "url(" not in style and "flex" not in style and "grid" not in style
            if tag == "img":
                assert (attrs["src"] or "").startswith(("cid:", "data:image/png;base64,"))
            assert not any("http" in (value or "") for value in attrs.values()), (tag, attrs)


def test_mail_version_names_the_charts_by_content_id() -> None:
    pack = sample_pack()
    page = _parse(render_html(pack, "en", images="cid"))
    sources = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert sources == [f"cid:{chart_content_id(pack, key)}" for key in CHART_KEYS]
    alts = [attrs["alt"] for tag, attrs in page.tags if tag == "img"]
    assert alts == [
        "Offered vs answered calls",
        "Service level by interval",
        "Abandon rate by interval",
    ]


def test_file_version_embeds_the_very_same_pngs() -> None:
    pack = sample_pack()
    charts = chart_pngs(pack, "zh")
    page = _parse(render_html(pack, "zh", images="data", charts=charts))
    sources = [attrs["src"] or "" for tag, attrs in page.tags if tag == "img"]
    embedded = [base64.b64decode(src.split(",", 1)[1]) for src in sources]
    assert embedded == [charts[key] for key in CHART_KEYS]


def test_the_embedded_version_needs_every_chart() -> None:
    pack = sample_pack()
    with pytest.raises(ValueError, match="abandon_by_interval"):
        render_html(pack, "en", images="data", charts={"offered_vs_answered": b"png"})
    with pytest.raises(ValueError, match="'cid' or 'data'"):
        render_html(pack, "en", images="link")  # type: ignore[arg-type]


def test_status_is_a_coloured_cell_with_its_word() -> None:
    page = _parse(render_html(sample_pack(), "en", images="cid"))
    status = {text: attrs for attrs, text in page.cells if attrs.get("bgcolor")}
    green, _ = RAG_COLOURS[next(iter(RAG_COLOURS))]
    assert status["On target"]["bgcolor"] == green
    assert "Near target" in status and "Off target" in status
    assert "color:" in (status["Off target"]["style"] or "")


def test_headline_values_targets_and_changes_are_formatted() -> None:
    page = _parse(render_html(sample_pack(), "en", images="cid", currency="CNY"))
    rows = page.rows[
        page.rows.index(["KPI", "Value", "Target", "Status", "vs day before", "vs last week"]) :
    ]
    by_kpi = {row[0]: row for row in rows[1:14]}
    assert by_kpi["Service level"] == [
        "Service level",
        "83.4 %",
        "≥ 80.0 %",
        "On target",
        "+2.1 pt 81.3 %",
        "-2.7 pt 86.1 %",
    ]
    assert by_kpi["Offered"][1] == "1,284"
    assert by_kpi["Cost per call"][1] == "CNY 18.50"
    assert by_kpi["Callbacks fulfilled"][1] == "–"  # unknown, not 0


def test_chinese_page_and_the_definitions_footer() -> None:
    html = render_html(sample_pack(), "zh", images="cid")
    page = _parse(html)
    assert page.tags[0] == ("html", {"lang": "zh-CN"})
    cells = [text for _, text in page.cells]
    assert "服务水平" in cells and "平均应答速度" in cells and "达标" in cells
    assert "指标定义：docs/kpi.md" in html
    english = render_html(sample_pack(), "en", images="cid")
    assert "KPI definitions: docs/kpi.md" in english


def test_an_empty_table_says_no_data_and_totals_are_labelled() -> None:
    empty = Table("surveys", (Column("question", Unit.TEXT), Column("avg_score", Unit.SCORE)), ())
    pack = dataclasses.replace(sample_pack(), tables=(*sample_pack().tables, empty))
    cells = [text for _, text in _parse(render_html(pack, "en", images="cid")).cells]
    assert "Satisfaction surveys" in render_html(pack, "en", images="cid")
    assert "No data" in cells
    assert "Total" in cells


def test_a_status_column_in_a_table_is_coloured_and_worded() -> None:
    table = Table(
        "queues",
        (
            Column("queue", Unit.TEXT),
            Column("service_level", Unit.RATIO),
            Column("status", Unit.TEXT),
        ),
        (("support", 0.61, "red"), ("sales", 0.9, "green"), ("vip", None, None)),
    )
    pack = dataclasses.replace(sample_pack(), tables=(table,))
    page = _parse(render_html(pack, "zh", images="cid"))
    rows = page.rows[page.rows.index(["队列", "服务水平", "状态"]) :]
    assert rows[1:4] == [
        ["support", "61.0 %", "未达标"],
        ["sales", "90.0 %", "达标"],
        ["vip", "–", "–"],
    ]
    coloured = {text: attrs["bgcolor"] for attrs, text in page.cells if attrs.get("bgcolor")}
    assert coloured["未达标"] == RAG_COLOURS[Rag.RED][0]
