"""The PDF pack, checked the way a reader meets it: pages rendered by poppler, text extracted."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from asterisk_cc.core.reports.labels import HEADLINE_KEYS
from asterisk_cc.core.reports.pack import Column, DailyPack, Table, Unit
from asterisk_cc.reports import charts
from asterisk_cc.reports.charts import ChartFontMissing, chart_pngs
from asterisk_cc.reports.render_pdf import render_pdf
from tests.report_fixtures import CHINESE_AGENT, sample_pack


@pytest.fixture(scope="module", autouse=True)
def _poppler() -> None:
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return
    message = "poppler-utils (pdftoppm, pdftotext) is not installed: scripts/setup.sh installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _pdf(pack: DailyPack, language: str) -> bytes:
    return render_pdf(pack, language, charts=chart_pngs(pack, language), currency="CNY")


def _pages(pdf: bytes, folder: Path) -> list[Path]:
    source = folder / "pack.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(source), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def _text(pdf: bytes, folder: Path, page: int | None = None) -> str:
    source = folder / "text.pdf"
    source.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(
        ["pdftotext", "-layout", *pages, str(source), "-"],
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    return result.stdout


def _info(pdf: bytes, folder: Path) -> dict[str, str]:
    source = folder / "info.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(
        ["pdfinfo", "-isodates", str(source)], check=True, capture_output=True, text=True
    )
    pairs = (line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_page_is_a4_and_drawn(language: str, tmp_path: Path) -> None:
    pdf = _pdf(sample_pack(), language)
    info = _info(pdf, tmp_path)
    pages = _pages(pdf, tmp_path)
    assert len(pages) == int(info["Pages"]) == 3
    assert info["Page size"].startswith("595.28 x 841.89")
    for page in pages:
        pixels = image.imread(page)
        ink = np.any(pixels[:, :, :3] < 0.85, axis=2).mean()
        assert ink > 0.03, f"{page.name} is blank ({ink:.3f} drawn)"


def test_english_headline_labels_values_and_page_numbers(tmp_path: Path) -> None:
    pdf = _pdf(sample_pack(), "en")
    first = _text(pdf, tmp_path, 1)
    for words in (
        "Daily report 2026-11-22",
        "Service level",
        "83.4 %",
        "≥ 80.0 %",
        "On target",
        "+2.1 pt",
        "Abandon rate",
        "Near target",
        "ASA (avg speed of answer)",
        "0:25",
        "Off target",
        "1,284",
        "CNY 18.50",
        "1:02:05",
        "Page 1 of 3",
        "KPI definitions: docs/kpi.md",
    ):
        assert words in first, words
    everything = _text(pdf, tmp_path)
    assert CHINESE_AGENT in everything  # Chinese names print in the English pack too
    assert "<script>alert('x')</script>" in everything  # text, printed as it is
    assert "Page 3 of 3" in everything


def test_chinese_headline_labels_values_and_page_numbers(tmp_path: Path) -> None:
    pdf = _pdf(sample_pack(), "zh")
    first = _text(pdf, tmp_path, 1)
    for words in (
        "日报 2026-11-22",
        "核心指标",
        "服务水平",
        "83.4 %",
        "达标",
        "放弃率",
        "接近目标",
        "平均应答速度",
        "未达标",
        "+2.1 个百分点",
        "第 1 页，共 3 页",
        "指标定义：docs/kpi.md",
    ):
        assert words in first, words
    assert "坐席" in _text(pdf, tmp_path, 2)


def test_a_long_table_continues_with_its_header_repeated(tmp_path: Path) -> None:
    short = _pdf(sample_pack(), "en")
    long = _pdf(sample_pack(agent_count=70), "en")
    assert int(_info(long, tmp_path)["Pages"]) > int(_info(short, tmp_path)["Pages"])
    pages = [_text(long, tmp_path, n) for n in range(1, int(_info(long, tmp_path)["Pages"]) + 1)]
    # "Transfer" heads the agents table's last column and appears nowhere else.
    with_header = [n for n, text in enumerate(pages, 1) if "Transfer" in text]
    with_agents = [n for n, text in enumerate(pages, 1) if "Agent 3" in text or "Agent 6" in text]
    assert len(with_agents) >= 2
    assert set(with_agents) <= set(with_header)
    assert "Agent 70" in _text(long, tmp_path)


def test_a_table_too_wide_for_the_page_is_split_repeating_its_first_column(
    tmp_path: Path,
) -> None:
    keys = [k for k in HEADLINE_KEYS if k.endswith(("_rate", "_s"))][:22]
    columns = (Column("campaign", Unit.TEXT), *(Column(k, Unit.COUNT) for k in keys))
    wide = Table("campaigns", columns, (("Winter-renewals", *range(1001, 1001 + len(keys))),))
    pack = dataclasses.replace(sample_pack(), tables=(wide,))
    text = _text(_pdf(pack, "en"), tmp_path)
    for number in range(1001, 1001 + len(keys)):
        assert f"{number:,}" in text
    assert text.count("Winter-renewals") >= 2
    assert text.count("Campaign") >= 2


def test_the_same_pack_gives_the_same_pdf_dated_when_it_was_generated(tmp_path: Path) -> None:
    pack = sample_pack()
    assert _pdf(pack, "zh") == _pdf(pack, "zh")
    info = _info(_pdf(pack, "en"), tmp_path)
    assert info["CreationDate"].startswith("2026-11-22T22:30:05")
    assert info["Title"] == "Shanghai Hotline 上海热线 — Daily report 2026-11-22"


def test_the_chinese_pack_without_a_cjk_font_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pack = sample_pack()
    pngs = chart_pngs(pack, "zh")
    monkeypatch.setattr(charts, "CJK_FONT_PATHS", (tmp_path / "absent.ttf",))
    with pytest.raises(ChartFontMissing, match="fonts-droid-fallback"):
        render_pdf(pack, "zh", charts=pngs)


def test_every_chart_is_needed() -> None:
    with pytest.raises(ValueError, match="service_level_by_interval"):
        render_pdf(sample_pack(), "en", charts={"offered_vs_answered": b""})
