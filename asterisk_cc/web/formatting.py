"""How the pages show times, durations and rates (Jinja filters).

Times are stored in UTC and shown in the site's time zone (``[site] timezone``): a supervisor
in Shanghai reads Shanghai time whatever the server's clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asterisk_cc.web.context import web_context


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(web_context().site_zone).strftime(fmt)


def duration(seconds: float | None) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour; empty for none."""
    if seconds is None:
        return ""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def percent(ratio: float | None, digits: int = 1) -> str:
    if ratio is None:
        return "–"
    return f"{ratio * 100:.{digits}f}%"


FILTERS: dict[str, Any] = {"local_time": local_time, "duration": duration, "percent": percent}
