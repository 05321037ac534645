"""The pack's three interval charts as PNG bytes: offered against answered calls, service level
against its target, abandon rate against its target.

matplotlib draws them off-screen (the Agg canvas, never a display) with a fixed size and
resolution and no software/date metadata, so the same pack gives the same bytes: a mail, the
HTML file and the PDF show the very same pictures, and a test can compare them. Chinese titles
need a CJK font: Debian's fonts-droid-fallback, registered with matplotlib when a chart is
drawn and used behind DejaVu Sans (which has the Latin letters and digits the CJK font lacks).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from asterisk_cc.core.reports.labels import check_language, label
from asterisk_cc.core.reports.pack import DailyPack, IntervalRow
from asterisk_cc.errors import AsteriskCCError

__all__ = [
    "CHART_KEYS",
    "CJK_FONT_PATHS",
    "ChartFontMissing",
    "chart_pngs",
    "cjk_font_path",
    "latin_font_path",
]

CHART_KEYS: Final = ("offered_vs_answered", "service_level_by_interval", "abandon_by_interval")
"""The charts of a pack, in the order they are shown; each key is also its title's label."""

CJK_FONT_PATHS: Final = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),  # fonts-droid-fallback
)
LATIN_FONT_PATHS: Final = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # fonts-dejavu-core
    Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf",
)

WIDTH_IN: Final = 8.0
HEIGHT_IN: Final = 2.8
DPI: Final = 150

# Colours that stay apart for the common colour-vision deficiencies (Okabe-Ito) and on paper.
OFFERED_COLOUR: Final = "#9aa5b1"
ANSWERED_COLOUR: Final = "#0072b2"
LINE_COLOUR: Final = "#0072b2"
ABANDON_COLOUR: Final = "#d55e00"
TARGET_COLOUR: Final = "#009e73"
GRID_COLOUR: Final = "#e3e7eb"
TEXT_COLOUR: Final = "#1f2933"

_DRAW_LOCK = threading.Lock()
"""matplotlib's rc settings are process-wide: one chart is drawn at a time."""


class ChartFontMissing(AsteriskCCError):
    """The font the report needs is not installed."""


def cjk_font_path() -> Path:
    """The CJK TrueType font the Chinese pack is drawn with, or a clear error naming the
    Debian package that provides it."""
    for path in CJK_FONT_PATHS:
        if path.is_file():
            return path
    raise ChartFontMissing(
        "the Chinese report needs a CJK font: install Debian's fonts-droid-fallback "
        f"(expected {CJK_FONT_PATHS[0]})"
    )


def latin_font_path() -> Path:
    """DejaVu Sans: Debian's copy, else the one matplotlib ships."""
    for path in LATIN_FONT_PATHS:
        if path.is_file():
            return path
    raise ChartFontMissing(
        "the report needs DejaVu Sans: install Debian's fonts-dejavu-core "
        f"(expected {LATIN_FONT_PATHS[0]})"
    )


@dataclass(frozen=True)
class _Targets:
    service_level: float | None
    abandon_rate: float | None


def _targets(pack: DailyPack) -> _Targets:
    found = {h.key: h.target for h in pack.headline}
    return _Targets(found.get("service_level"), found.get("abandon_rate"))


_REGISTERED: dict[Path, str] = {}
"""Fonts already added to matplotlib's font manager (path -> family), once per process."""


def _font_families(language: str) -> list[str]:
    families = ["DejaVu Sans"]
    if language == "zh":
        path = cjk_font_path()
        if path not in _REGISTERED:
            font_manager.fontManager.addfont(str(path))
            _REGISTERED[path] = font_manager.FontProperties(fname=str(path)).get_name()
        families.append(_REGISTERED[path])
    return families


def chart_pngs(pack: DailyPack, language: str) -> dict[str, bytes]:
    """The three charts of ``pack`` with titles and axes in ``language``, keyed by
    :data:`CHART_KEYS`. A day without intervals still gets its charts, saying "no data"."""
    check_language(language)
    targets = _targets(pack)
    rows = pack.intervals
    with _DRAW_LOCK:
        rc: dict[str, Any] = {
            # A list of families, not the generic "sans-serif": matplotlib falls back glyph by
            # glyph only along an explicit list.
            "font.family": _font_families(language),
            "font.size": 9,
            "axes.edgecolor": "#9aa5b1",
            "axes.labelcolor": TEXT_COLOUR,
            "xtick.color": TEXT_COLOUR,
            "ytick.color": TEXT_COLOUR,
        }
        with matplotlib.rc_context(rc):  # type: ignore[arg-type]
            return {
                key: _render(key, _DRAWINGS[key], rows, language, targets) for key in CHART_KEYS
            }


_Draw = Callable[[Axes, Sequence[IntervalRow], str, _Targets], None]


def _render(
    key: str, draw: _Draw, rows: Sequence[IntervalRow], language: str, targets: _Targets
) -> bytes:
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(label(key, language), loc="left", fontsize=11, color=TEXT_COLOUR, pad=8)
    if rows:
        draw(axes, rows, language, targets)
        _time_axis(axes, rows, language)
    else:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(
            0.5,
            0.5,
            label("no_data", language),
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=12,
            color="#7b8794",
        )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout(pad=0.6)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _hours(row: IntervalRow) -> float:
    return row.start.hour + row.start.minute / 60


def _width_h(rows: Sequence[IntervalRow]) -> float:
    return min(row.length_s for row in rows) / 3600


def _time_axis(axes: Axes, rows: Sequence[IntervalRow], language: str) -> None:
    width = _width_h(rows)
    first = math.floor(_hours(rows[0]))
    last = math.ceil(_hours(rows[-1]) + width)
    span = max(last - first, 1)
    step = 1 if span <= 12 else 2
    axes.set_xlim(first, first + span)
    axes.set_xticks([float(h) for h in range(first, first + span + 1, step)])
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{int(x) % 24:02d}:00"))
    axes.set_xlabel(label("time_of_day", language))
    axes.grid(axis="y", color=GRID_COLOUR, linewidth=0.8)
    axes.set_axisbelow(True)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _offered_vs_answered(
    axes: Axes, rows: Sequence[IntervalRow], language: str, targets: _Targets
) -> None:
    width = _width_h(rows)
    bar = width * 0.42
    starts = [_hours(row) for row in rows]
    axes.bar(
        [s + width / 2 - bar / 2 for s in starts],
        [row.offered for row in rows],
        width=bar,
        color=OFFERED_COLOUR,
        label=label("offered", language),
    )
    axes.bar(
        [s + width / 2 + bar / 2 for s in starts],
        [row.answered for row in rows],
        width=bar,
        color=ANSWERED_COLOUR,
        label=label("answered", language),
    )
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.set_ylabel(label("calls", language))
    # Beside the title, above the plot: never over the bars of the morning peak.
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, ncols=2, fontsize=8)


def _ratio_line(
    axes: Axes,
    rows: Sequence[IntervalRow],
    values: Sequence[float | None],
    colour: str,
    target: float | None,
    language: str,
    key: str,
) -> None:
    width = _width_h(rows)
    xs = [_hours(row) + width / 2 for row in rows]
    ys = [_nan(value) for value in values]
    axes.plot(
        xs, ys, color=colour, linewidth=1.8, marker="o", markersize=3, label=label(key, language)
    )
    present = [y for y in ys if not math.isnan(y)]
    top = max([*present, target or 0.0, 0.0])
    if target is not None:
        axes.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
        axes.annotate(
            f"{label('target', language)} {target * 100:.0f} %",
            xy=(1.0, target),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=8,
            color=TARGET_COLOUR,
        )
    # Service level is read against the whole 0-100 % scale; an abandon rate of a few percent
    # would be a flat line on it, so its scale follows the day's worst interval.
    full_scale = key == "service_level"
    axes.set_ylim(0, 1.05 if full_scale else (min(1.0, top * 1.2) if top > 0 else 0.1))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
    axes.yaxis.set_major_formatter(FuncFormatter(_percent_tick))
    axes.set_ylabel(label(key, language))


def _percent_tick(y: float, _pos: int | None) -> str:
    percent = round(y * 100, 1)
    return f"{percent:.0f} %" if float(percent).is_integer() else f"{percent:.1f} %"


def _service_level(
    axes: Axes, rows: Sequence[IntervalRow], language: str, targets: _Targets
) -> None:
    values = [row.service_level for row in rows]
    _ratio_line(axes, rows, values, LINE_COLOUR, targets.service_level, language, "service_level")


def _abandon_rate(
    axes: Axes, rows: Sequence[IntervalRow], language: str, targets: _Targets
) -> None:
    values = [row.abandon_rate for row in rows]
    _ratio_line(axes, rows, values, ABANDON_COLOUR, targets.abandon_rate, language, "abandon_rate")


_DRAWINGS: Final[dict[str, _Draw]] = {
    "offered_vs_answered": _offered_vs_answered,
    "service_level_by_interval": _service_level,
    "abandon_by_interval": _abandon_rate,
}
