"""How long a report built for a period may be shown again before it is built anew. Pure.

A period's figures stop changing once ingestion has passed its end and the calls that were
still talking at midnight have ended: a report built ``settle`` after the period's end is
*final* and kept until the cache needs the room. A report of a period that is still going on
(today), or built too soon after its end, is kept only for ``live`` and then rebuilt, so it
follows the calls as they are ingested.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

__all__ = ["LIVE_FOR", "SETTLE", "keep_for"]

SETTLE: Final = timedelta(hours=2)
"""After a period's end: ingestion (every minute) has read its lines and calls that entered
before midnight have ended."""

LIVE_FOR: Final = timedelta(minutes=5)
"""How long a report of a period still changing is shown before it is built again."""


def keep_for(
    period_end: datetime,
    built_at: datetime,
    *,
    settle: timedelta = SETTLE,
    live: timedelta = LIVE_FOR,
) -> timedelta | None:
    """None when a report of the period ending at ``period_end`` built at ``built_at`` is
    final; else how long it may be shown."""
    return None if built_at >= period_end + settle else live
