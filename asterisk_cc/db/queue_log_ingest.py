"""Asterisk's queue_log file into ``queue_log_events``, following the file as it grows and
across log rotation, from where the last run stopped (:mod:`asterisk_cc.db.file_follow`).

Each run stores the lines added since the last one and moves the cursor in the caller's
transaction: a run that fails stores nothing, and running again never stores a line twice.
A line Asterisk is still writing waits for the next run; a malformed line is reported with its
line number and reason and skipped, and the run goes on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.queue_log import QueueLogLineError, QueueLogRecord, parse_line
from asterisk_cc.db.file_follow import IngestReport, cursor_name, follow_file
from asterisk_cc.db.models import QueueLogEvent

__all__ = ["IngestReport", "event_row", "ingest_queue_log_file", "store_events"]

BATCH_ROWS = 5000
DATA_COLUMNS = 5


def event_row(record: QueueLogRecord) -> dict[str, object]:
    """The ``queue_log_events`` row of a record: data fields in data1..data5 (the sixth field
    of an ATTENDEDTRANSFER LINK shares data5 with the fifth, ``|``-joined)."""
    data: list[str | None] = list(record.data)
    if len(data) > DATA_COLUMNS:
        data = [*record.data[: DATA_COLUMNS - 1], "|".join(record.data[DATA_COLUMNS - 1 :])]
    data += [None] * (DATA_COLUMNS - len(data))
    return {
        "at": record.at,
        "callid": record.callid,
        "queue": record.queue,
        "agent": record.agent,
        "event": record.event,
        **{f"data{n + 1}": (value[:255] if value else value) for n, value in enumerate(data)},
    }


def store_events(session: Session, rows: list[dict[str, object]]) -> int:
    """Insert ``queue_log_events`` rows made by :func:`event_row`; → how many."""
    if rows:
        # Core, not ORM, insert: one executemany for the batch (the ORM splits a batch
        # wherever the None columns change).
        session.execute(insert(QueueLogEvent.__table__), rows)
    return len(rows)


class _EventSink:
    """Parses lines into events and inserts them in batches."""

    def __init__(self, session: Session, report: IngestReport) -> None:
        self._session = session
        self._report = report
        self._rows: list[dict[str, object]] = []

    def line(self, number: int, text: str) -> None:
        try:
            self._rows.append(event_row(parse_line(text, number)))
        except QueueLogLineError as refused:
            self._report.errors.append(refused)
        if len(self._rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        self._report.stored += store_events(self._session, self._rows)
        self._rows = []


def ingest_queue_log_file(
    session: Session, path: Path, now: datetime, *, name: str | None = None
) -> IngestReport:
    """Read what ``path`` has gained since the cursor ``name`` (default ``queue_log:<path>``)
    and store it; the caller commits (lines and cursor together)."""
    report = IngestReport()
    cursor = name or cursor_name("queue_log", str(path))
    follow_file(session, path, now, cursor, _EventSink(session, report), report)
    return report
