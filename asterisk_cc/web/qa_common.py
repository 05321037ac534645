"""What the quality pages share: the blueprint, the period and paging of the lists, and where
the call recordings are.

The pages themselves are in :mod:`~asterisk_cc.web.qa_calls` (calls to grade, evaluating,
playing a recording), :mod:`~asterisk_cc.web.qa_scorecards` and
:mod:`~asterisk_cc.web.qa_results` (results per agent, an agent's own evaluations);
:mod:`asterisk_cc.web.qa` gathers them for the application.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

from flask import Blueprint, flash, request

from asterisk_cc.core.reports.forecast import day_bounds
from asterisk_cc.web.context import web_context
from asterisk_cc.web.i18n import gettext

blueprint = Blueprint("qa", __name__, url_prefix="/qa")

PAGE_SIZE: Final = 50
LONGEST_PERIOD_DAYS: Final = 366


@dataclass(frozen=True)
class Period:
    """Local calendar days ``first`` to ``last`` (both included) and their UTC bounds."""

    first: date
    last: date
    start: datetime
    end: datetime


def today() -> date:
    return web_context().now().astimezone(web_context().site_zone).date()


def period_from_request(default_days: int) -> Period:
    """The period of the ``from`` and ``to`` query arguments (local dates, ``YYYY-MM-DD``);
    the last ``default_days`` days up to today when absent. A wrong date is said and replaced
    by the default."""
    last_default = today()
    first_default = last_default - timedelta(days=default_days - 1)
    first = _date_arg("from", first_default)
    last = _date_arg("to", last_default)
    if first > last:
        flash(gettext("The period's first day is after its last day: they were swapped."), "error")
        first, last = last, first
    if (last - first).days >= LONGEST_PERIOD_DAYS:
        flash(gettext("A period is at most a year: it was shortened."), "error")
        first = last - timedelta(days=LONGEST_PERIOD_DAYS - 1)
    zone = web_context().site_zone
    return Period(first, last, day_bounds(first, zone)[0], day_bounds(last, zone)[1])


def _date_arg(name: str, default: date) -> date:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        flash(gettext("Not a date: {value}. Use the form YYYY-MM-DD.", value=text[:40]), "error")
        return default


def int_arg(name: str) -> int | None:
    """A whole number query argument; None when absent or not a number."""
    text = request.args.get(name, "").strip()
    return int(text) if text.isdigit() and len(text) < 18 else None


def page_arg() -> int:
    """The page number (from 1) of an offset-paged list."""
    page = int_arg("page") or 1
    return max(1, min(page, 10_000))


def recordings_root() -> Path:
    """The folder call recordings are served from: ``[web] recordings_dir``, where ARI
    records calls (``recording_ref`` is relative to it)."""
    return Path(web_context().settings.web.recordings_dir)


def direction_label(direction: str) -> str:
    labels = {
        "inbound": gettext("Inbound"),
        "outbound": gettext("Outbound"),
        "internal": gettext("Internal"),
    }
    return labels.get(direction, direction)
