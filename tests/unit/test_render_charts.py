"""The interval charts: real PNGs, drawn, in both languages, the same bytes every time."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from asterisk_cc.reports import charts
from asterisk_cc.reports.charts import CHART_KEYS, ChartFontMissing, chart_pngs
from tests.report_fixtures import sample_pack

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png.startswith(PNG_SIGNATURE)
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        data = png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + data) == crc
        chunks.append((kind, data))
        at += 12 + length
    return chunks


def _pixels(png: bytes) -> np.ndarray:
    return image.imread(io.BytesIO(png), format="png")


def _has_colour(pixels: np.ndarray, hex_colour: str, *, at_least: int) -> bool:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    close = np.all(np.abs(pixels[:, :, :3] - rgb) < 0.02, axis=2)
    return int(close.sum()) >= at_least


@pytest.fixture(scope="module")
def english() -> dict[str, bytes]:
    return chart_pngs(sample_pack(), "en")


@pytest.fixture(scope="module")
def chinese() -> dict[str, bytes]:
    return chart_pngs(sample_pack(), "zh")


def test_three_charts_decode_at_a_fixed_size_and_are_drawn(english: dict[str, bytes]) -> None:
    assert list(english) == list(CHART_KEYS)
    for png in english.values():
        pixels = _pixels(png)
        assert pixels.shape[:2] == (420, 1200)
        ink = np.any(pixels[:, :, :3] < 0.9, axis=2).mean()
        assert 0.02 < ink < 0.6, f"{ink:.3f} of the chart is drawn"


def test_the_bars_and_lines_are_there(english: dict[str, bytes]) -> None:
    bars = _pixels(english["offered_vs_answered"])
    assert _has_colour(bars, charts.ANSWERED_COLOUR, at_least=5000)
    assert _has_colour(bars, charts.OFFERED_COLOUR, at_least=5000)
    service = _pixels(english["service_level_by_interval"])
    assert _has_colour(service, charts.LINE_COLOUR, at_least=500)
    assert _has_colour(service, charts.TARGET_COLOUR, at_least=300)  # the 80 % target line
    abandon = _pixels(english["abandon_by_interval"])
    assert _has_colour(abandon, charts.ABANDON_COLOUR, at_least=500)


def test_the_same_pack_gives_the_same_bytes_without_dates_or_software(
    english: dict[str, bytes],
) -> None:
    assert chart_pngs(sample_pack(), "en") == english
    for png in english.values():
        kinds = {kind for kind, _ in _chunks(png)}
        assert b"tIME" not in kinds
        texts = b"".join(data for kind, data in _chunks(png) if kind in {b"tEXt", b"iTXt"})
        assert b"Software" not in texts and b"matplotlib" not in texts


def test_chinese_titles_are_drawn_not_missing_glyph_boxes(
    english: dict[str, bytes], chinese: dict[str, bytes]
) -> None:
    # A glyph missing from the fonts is a matplotlib warning, which pytest turns into an error:
    # the fixture drawing the Chinese charts would fail.
    for key in CHART_KEYS:
        assert chinese[key] != english[key]
        title_band = _pixels(chinese[key])[:45, :400, :3]
        assert np.any(title_band < 0.5), "the Chinese title is drawn"


def test_a_day_without_intervals_still_has_its_charts_saying_no_data() -> None:
    empty = chart_pngs(sample_pack(intervals=False), "en")
    assert list(empty) == list(CHART_KEYS)
    for png in empty.values():
        pixels = _pixels(png)
        assert pixels.shape[:2] == (420, 1200)
        assert np.any(pixels[150:270, 450:750, :3] < 0.8), "the no-data words are drawn"


def test_a_missing_cjk_font_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(charts, "CJK_FONT_PATHS", (tmp_path / "absent.ttf",))
    with pytest.raises(ChartFontMissing, match="fonts-droid-fallback"):
        chart_pngs(sample_pack(), "zh")
    assert set(chart_pngs(sample_pack(), "en")) == set(CHART_KEYS)  # English needs no CJK font
