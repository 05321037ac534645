"""Following a log file that Asterisk appends to (queue_log, Master.csv) from where the last run
stopped, across log rotation, and the report every ingestion run gives.

A cursor (``ingest_cursors``) keeps the file's identity (device:inode), the byte offset after
the last whole line read, and the number of lines read. Each run hands the lines added since to
a :class:`LineSink` and moves the cursor, in the caller's transaction: a run that fails stores
nothing and moves nothing, and the next run reads the same lines again.

- A line Asterisk is still writing (no newline yet) is left for the next run.
- Rotation (logrotate moves the file and Asterisk opens a new one): the rest of the old file
  is read first, found next to the new one by its inode (``queue_log.1``, ``Master.csv-DATE``;
  a compressed copy cannot be found: use ``delaycompress``), then the new file from its start.
- A file cut short in place (``copytruncate``) is read again from its start.

Line numbers go on from the cursor, so a broken line is reported by its number in the file
without reading the file from its start again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from asterisk_cc.core.reports.cdr import CdrLineError
from asterisk_cc.core.reports.queue_log import QueueLogLineError
from asterisk_cc.db.models import IngestCursor

__all__ = [
    "CHUNK_BYTES",
    "CURSOR_NAME_CHARS",
    "IngestReport",
    "LineError",
    "LineSink",
    "cursor_name",
    "follow_file",
    "locked_cursor",
]

CHUNK_BYTES = 4 * 1024 * 1024
CURSOR_NAME_CHARS = 64
"""Width of ``ingest_cursors.name``."""

LineError = QueueLogLineError | CdrLineError
"""A record refused by an ingestion: ``line_number`` (a file's line, or a table row's id) and
``reason``."""


@dataclass
class IngestReport:
    """What one ingestion run read (a file or a table): records stored, records refused (with
    their line numbers, or row ids for a table, and reasons), and whether a rotation was
    followed (``rotated_from``: the old file, if found)."""

    stored: int = 0
    errors: list[LineError] = field(default_factory=list)
    rotated: bool = False
    rotated_from: Path | None = None
    notes: list[str] = field(default_factory=list)


class LineSink(Protocol):
    """Takes a file's lines in order and stores them (in batches, at ``flush``)."""

    def line(self, number: int, text: str) -> None:
        """One whole line (without its newline), ``number`` counted from 1 in its file."""
        ...

    def flush(self) -> None:
        """Store what is still held; called at the end of each file read."""
        ...


def cursor_name(kind: str, identity: str) -> str:
    """``kind:identity`` (e.g. ``queue_log:/var/log/asterisk/queue_log``), or, when that does
    not fit the cursor's column, ``kind:`` with the identity's end and a digest of the whole."""
    name = f"{kind}:{identity}"
    if len(name) <= CURSOR_NAME_CHARS:
        return name
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:12]
    room = CURSOR_NAME_CHARS - len(kind) - len(digest) - 3
    return f"{kind}:~{identity[-room:]}#{digest}" if room > 0 else f"{kind}#{digest}"[:64]


def locked_cursor(session: Session, name: str) -> IngestCursor:
    """The cursor ``name``, locked for this transaction (PostgreSQL: two runs of one source
    wait for each other instead of storing the same lines twice); a new one at the start."""
    cursor = session.get(IngestCursor, name, with_for_update=True)
    if cursor is None:
        cursor = IngestCursor(name=name, source_id=None, position=0, line=0)
        session.add(cursor)
    return cursor


def follow_file(
    session: Session,
    path: Path,
    now: datetime,
    name: str,
    sink: LineSink,
    report: IngestReport,
) -> None:
    """Hand ``sink`` the whole lines ``path`` gained since the cursor ``name`` and move the
    cursor; notes and rotation go into ``report``. The caller commits."""
    cursor = locked_cursor(session, name)
    if not path.exists():
        report.notes.append(f"{path} does not exist (yet): nothing to read")
        return
    stat = path.stat()
    identity = _identity(stat)
    position, line = cursor.position or 0, cursor.line or 0
    if cursor.source_id is not None and cursor.source_id != identity:
        report.rotated = True
        old = _rotated_copy(path, cursor.source_id)
        if old is not None:
            report.rotated_from = old
            _read_from(old, position, line, sink)
        else:
            report.notes.append(
                f"{path} was rotated and the old file is gone: lines it got after byte "
                f"{position} could not be read"
            )
        position, line = 0, 0
    elif stat.st_size < position:
        report.notes.append(f"{path} was cut short (copytruncate?): read again from its start")
        position, line = 0, 0
    position, line = _read_from(path, position, line, sink)
    cursor.source_id = identity
    cursor.position = position
    cursor.line = line
    cursor.updated_at = now


def _identity(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}"


def _rotated_copy(path: Path, identity: str) -> Path | None:
    """The old file ``identity`` next to ``path`` after a rotation, if it is still there."""
    for candidate in sorted(path.parent.glob(path.name + "*")):
        if candidate != path and candidate.is_file() and _identity(candidate.stat()) == identity:
            return candidate
    return None


def _read_from(path: Path, offset: int, first_line: int, sink: LineSink) -> tuple[int, int]:
    """Hand over the whole lines of ``path`` after byte ``offset``; → (new offset, lines read).
    Blank lines are counted, not handed over."""
    line_number = first_line
    rest = b""
    with path.open("rb") as stream:
        stream.seek(offset)
        while chunk := stream.read(CHUNK_BYTES):
            *lines, rest = (rest + chunk).split(b"\n")
            for raw in lines:
                line_number += 1
                offset += len(raw) + 1
                text = raw.decode("utf-8", errors="replace")
                if text.strip():
                    sink.line(line_number, text)
    sink.flush()
    return offset, line_number
