"""Asterisk's queue_log file into ``queue_log_events``, following the file as it grows and
across log rotation, from where the last run stopped.

A cursor (``ingest_cursors``) keeps the file's identity (device:inode), the byte offset after
the last whole line read, and the number of lines read. Each run reads what was added since,
stores the lines and moves the cursor in the caller's transaction: a run that fails stores
nothing, and running again never stores a line twice.

- A line Asterisk is still writing (no newline yet) is left for the next run.
- A malformed line is reported with its line number and reason and skipped; the run goes on.
- Rotation (logrotate moves the file and Asterisk opens a new one): the rest of the old file
  is read first, found next to the new one by its inode (``queue_log.1``, ``queue_log-DATE``),
  then the new file from its start. A file cut short in place (``copytruncate``) is read again
  from its start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.queue_log import QueueLogLineError, QueueLogRecord, parse_line
from asterisk_cc.db.models import IngestCursor, QueueLogEvent

__all__ = ["IngestReport", "ingest_queue_log_file"]

CHUNK_BYTES = 4 * 1024 * 1024
BATCH_ROWS = 5000
DATA_COLUMNS = 5


@dataclass
class IngestReport:
    """What one run read: lines stored, lines refused (with their numbers and reasons), and
    whether a rotation was followed (``rotated_from``: the old file, if found)."""

    stored: int = 0
    errors: list[QueueLogLineError] = field(default_factory=list)
    rotated: bool = False
    rotated_from: Path | None = None
    notes: list[str] = field(default_factory=list)


def _identity(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}"


def _rotated_copy(path: Path, identity: str) -> Path | None:
    """The old file ``identity`` next to ``path`` after a rotation, if it is still there."""
    for candidate in sorted(path.parent.glob(path.name + "*")):
        if candidate != path and candidate.is_file() and _identity(candidate.stat()) == identity:
            return candidate
    return None


def _row(record: QueueLogRecord) -> dict[str, object]:
    data: list[str | None] = list(record.data)
    if len(data) > DATA_COLUMNS:  # ATTENDEDTRANSFER LINK: six fields, the last two share one
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


def _read_from(
    session: Session, path: Path, offset: int, first_line: int, report: IngestReport
) -> tuple[int, int]:
    """Store the whole lines of ``path`` after ``offset``; → (new offset, lines read)."""
    rows: list[dict[str, object]] = []
    line_number = first_line
    rest = b""
    with path.open("rb") as stream:
        stream.seek(offset)
        while chunk := stream.read(CHUNK_BYTES):
            *lines, rest = (rest + chunk).split(b"\n")
            for raw in lines:
                line_number += 1
                offset += len(raw) + 1
                line = raw.decode("utf-8", errors="replace")
                if not line.strip():
                    continue
                try:
                    rows.append(_row(parse_line(line, line_number)))
                except QueueLogLineError as refused:
                    report.errors.append(refused)
                if len(rows) >= BATCH_ROWS:
                    session.execute(insert(QueueLogEvent), rows)
                    report.stored += len(rows)
                    rows = []
    if rows:
        session.execute(insert(QueueLogEvent), rows)
        report.stored += len(rows)
    return offset, line_number


def ingest_queue_log_file(
    session: Session, path: Path, now: datetime, *, name: str | None = None
) -> IngestReport:
    """Read what ``path`` has gained since the cursor ``name`` (default ``queue_log:<path>``)
    and store it; the caller commits (lines and cursor together)."""
    report = IngestReport()
    cursor_name = name or f"queue_log:{path}"
    cursor = session.get(IngestCursor, cursor_name, with_for_update=True)
    if cursor is None:
        cursor = IngestCursor(name=cursor_name, source_id=None, position=0, line=0)
        session.add(cursor)
    if not path.exists():
        report.notes.append(f"{path} does not exist (yet): nothing to read")
        return report
    stat = path.stat()
    identity = _identity(stat)
    position, line = cursor.position or 0, cursor.line or 0
    if cursor.source_id is not None and cursor.source_id != identity:
        report.rotated = True
        old = _rotated_copy(path, cursor.source_id)
        if old is not None:
            report.rotated_from = old
            _read_from(session, old, position, line, report)
        else:
            report.notes.append(
                f"{path} was rotated and the old file is gone: lines it got after byte "
                f"{position} could not be read"
            )
        position, line = 0, 0
    elif stat.st_size < position:
        report.notes.append(f"{path} was cut short (copytruncate?): read again from its start")
        position, line = 0, 0
    position, line = _read_from(session, path, position, line, report)
    cursor.source_id = identity
    cursor.position = position
    cursor.line = line
    cursor.updated_at = now
    return report
