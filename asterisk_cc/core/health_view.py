"""Judging what the system health page shows: how long Asterisk has been up, and whether the
scheduler's jobs are on time.

The scheduler keeps each job's next run time in its job store (``scheduler_jobs``); a next run
well in the past means no scheduler process is running the jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

__all__ = ["LATE_TOLERANCE", "job_overdue", "uptime_parts"]

LATE_TOLERANCE: Final = timedelta(minutes=2)
"""A job this much past its next run time is overdue (a busy scheduler starts a few seconds
late; one that is down does not start at all)."""


def job_overdue(next_run: datetime | None, now: datetime) -> bool:
    """A job whose next run is more than :data:`LATE_TOLERANCE` in the past."""
    return next_run is not None and now - next_run > LATE_TOLERANCE


def uptime_parts(started: datetime, now: datetime) -> tuple[int, int, int]:
    """(days, hours, minutes) since ``started``; zeros when ``started`` is in the future."""
    total = max(0, int((now - started).total_seconds()) // 60)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes
