"""Asterisk's call detail records into ``cdr_records``: from Master.csv (cdr_csv) or from a CDR
table in another database (cdr_adaptive_odbc, cdr_pgsql), from where the last run stopped.

**Master.csv** is followed like queue_log (:mod:`asterisk_cc.db.file_follow`): growth, a
half-written last line, rotation and copytruncate. A malformed line is reported by its number
and skipped.

**A CDR table** usually has no id column (Asterisk's alembic ``cdr`` table has none), so it is
read by time. Asterisk writes all the CDRs of a channel when that channel hangs up
(``cdr_object_dispatch`` at the end of the channel's life): a call that dialled an agent at
10:00 and talked until 11:30 inserts its 10:00-10:01 dial attempt at 11:30, after rows of
other calls that ended at 11:00. No cursor on a time column can be exact, and neither can
(end, uniqueid, sequence): the late row sorts before rows already read. So each run reads the
rows whose time column (``end``, else ``start``/``calldate``) is at or after the latest one
seen so far minus a look-back (:data:`LOOKBACK_S`, default 4 hours, longer than any call a
contact centre keeps), and stores those it does not have yet. A row written late within the
same second, or a few minutes or hours late, is in the window; only a CDR inserted more than
the look-back after its time would be missed. The cursor never moves past the present, so a
row stamped in the future (a wrong clock or zone) cannot make the window skip rows.

**Never twice**: every record is stored under :attr:`~asterisk_cc.core.reports.cdr.CdrRow.
row_hash` (unique); a run inserts only hashes not already present (looked up first, and
``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL for a run in parallel), so re-reading the
look-back window, a file read again after its cursor was reset, or a failed run repeated never
stores a record twice. Rows and cursor move together in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Insert, String, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.cdr import (
    CdrLineError,
    CdrRow,
    RecordJoiner,
    cdr_from_row,
    parse_cdr_line,
)
from asterisk_cc.db.file_follow import IngestReport, cursor_name, follow_file, locked_cursor
from asterisk_cc.db.models import CdrRecord
from asterisk_cc.db.queue_log_table_ingest import SourceTable, source_table

__all__ = [
    "LOOKBACK_S",
    "cdr_record_row",
    "ingest_cdr_file",
    "ingest_cdr_table",
    "store_cdr_rows",
]

LOOKBACK_S: Final = 4 * 3600
BATCH_ROWS: Final = 2000
HASH_LOOKUP_CHUNK: Final = 500
SOURCE_CHARS: Final = 255
_EPOCH: Final = datetime(1970, 1, 1)
"""Naive: a table's naive times are kept in the cursor as microseconds after it."""
_MICROSECOND: Final = timedelta(microseconds=1)


def cdr_record_row(row: CdrRow, source: str) -> dict[str, object]:
    """The ``cdr_records`` row of a record read from ``source``."""
    return {
        "row_hash": row.row_hash,
        "source": source[:SOURCE_CHARS],
        "accountcode": row.accountcode,
        "src": row.src,
        "dst": row.dst,
        "dcontext": row.dcontext,
        "clid": row.clid,
        "channel": row.channel,
        "dstchannel": row.dstchannel,
        "lastapp": row.lastapp,
        "lastdata": row.lastdata,
        "start_at": row.start_at,
        "answer_at": row.answer_at,
        "end_at": row.end_at,
        "duration_s": row.duration_s,
        "billsec_s": row.billsec_s,
        "disposition": row.disposition,
        "amaflags": row.amaflags,
        "uniqueid": row.uniqueid,
        "userfield": row.userfield,
        "peeraccount": row.peeraccount,
        "linkedid": row.linkedid,
        "sequence": row.sequence,
    }


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_new(session: Session) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(CdrRecord).on_conflict_do_nothing(index_elements=["row_hash"])
    if dialect == "sqlite":
        return sqlite.insert(CdrRecord).on_conflict_do_nothing(index_elements=["row_hash"])
    return insert(CdrRecord)


def store_cdr_rows(session: Session, rows: Iterable[dict[str, object]]) -> int:
    """Insert the rows (from :func:`cdr_record_row`) whose hash is not stored yet; → how many
    were new."""
    fresh: dict[str, dict[str, object]] = {}
    for row in rows:
        fresh.setdefault(str(row["row_hash"]), row)
    for chunk in _chunks(list(fresh), HASH_LOOKUP_CHUNK):
        for known in session.scalars(
            select(CdrRecord.row_hash).where(CdrRecord.row_hash.in_(chunk))
        ):
            fresh.pop(known, None)
    if fresh:
        session.execute(_insert_new(session), list(fresh.values()))
    return len(fresh)


class _CdrSink:
    """Parses Master.csv lines and stores them in batches."""

    def __init__(self, session: Session, report: IngestReport, source: str, zone: tzinfo) -> None:
        self._session = session
        self._report = report
        self._source = source
        self._zone = zone
        self._rows: list[dict[str, object]] = []
        self._records = RecordJoiner()

    def line(self, number: int, text: str) -> None:
        for first, record in self._records.push(number, text):
            self._record(first, record)

    def _record(self, number: int, text: str) -> None:
        try:
            self._rows.append(
                cdr_record_row(parse_cdr_line(text, number, self._zone), self._source)
            )
        except CdrLineError as refused:
            self._report.errors.append(refused)
        if len(self._rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        for first, record in self._records.finish():  # a quote never closed: refused
            self._record(first, record)
        self._report.stored += store_cdr_rows(self._session, self._rows)
        self._rows = []


def ingest_cdr_file(
    session: Session,
    path: Path,
    now: datetime,
    *,
    name: str | None = None,
    zone: tzinfo = UTC,
) -> IngestReport:
    """Read what Master.csv ``path`` has gained since the cursor ``name`` (default
    ``cdr:<path>``) and store the records not stored yet; ``zone`` is the zone of its times
    (UTC with cdr.conf ``usegmtime=yes``). The caller commits (records and cursor together)."""
    report = IngestReport()
    sink = _CdrSink(session, report, f"file:{path}", zone)
    follow_file(session, path, now, name or cursor_name("cdr", str(path)), sink, report)
    return report


# --- a CDR table -------------------------------------------------------------------------------


def _since_value(connection: Connection, micros: int) -> object:
    """The lower bound of the window in the form the column compares with: text on SQLite
    (which stores ``YYYY-MM-DD HH:MM:SS`` as text and would compare a datetime parameter's
    ``.ffffff`` tail as text too), a naive datetime elsewhere."""
    since = _EPOCH + micros * _MICROSECOND
    if connection.dialect.name == "sqlite":
        return since.strftime("%Y-%m-%d %H:%M:%S")
    return since


def _time_column(reflected: SourceTable) -> str:
    for name in ("end", "start", "calldate"):
        if reflected.has(name):
            return name
    raise LookupError(
        f"the table {reflected.shown} has no end, start or calldate column: is it a CDR table?"
    )


def ingest_cdr_table(
    session: Session,
    source: Connection,
    table: str,
    now: datetime,
    *,
    name: str,
    zone: tzinfo,
    lookback_s: int = LOOKBACK_S,
) -> IngestReport:
    """Store the CDRs of ``table`` (in the database of ``source``) written since the cursor
    ``name`` (with the look-back the module describes); ``zone`` is the zone of its naive times
    (the Asterisk host's, unless cdr_adaptive_odbc has ``usegmtime=yes``). The caller commits
    ``session``."""
    if lookback_s < 0:
        raise ValueError(f"lookback_s is {lookback_s}: it cannot be negative")
    report = IngestReport()
    reflected = source_table(source, table)
    time_name = _time_column(reflected)
    reflected.require("billsec", "disposition")
    if time_name != "end":
        reflected.require("duration")
    cursor = locked_cursor(session, name)
    marker = f"table:{reflected.shown}:{time_name}"[:128]
    since: int | None = cursor.position if cursor.source_id == marker else None
    order = [reflected.column(time_name)] + [
        reflected.column(key) for key in ("uniqueid", "sequence") if reflected.has(key)
    ]
    query = select(*(reflected.column(key).label(key) for key in reflected.columns)).order_by(
        *order
    )
    if since is not None:
        window_start = _since_value(source, since - lookback_s * 1_000_000)
        query = query.where(
            reflected.column(time_name)
            >= bindparam("since", window_start, type_=_bind_type(source))
        )
    latest = since
    late_refused = 0
    source_name = f"table:{reflected.shown}"
    result = source.execution_options(stream_results=True).execute(query)
    ordinal = 0  # rows have no id: a refused one is named by its place in this run's read
    for part in result.mappings().partitions(BATCH_ROWS):
        rows: list[dict[str, object]] = []
        for mapping in part:
            ordinal += 1
            read_at = _naive_micros_of(mapping.get(time_name), zone)
            if read_at is not None:
                latest = read_at if latest is None else max(latest, read_at)
            try:
                record = cdr_from_row(dict(mapping), zone, row_number=ordinal)
            except CdrLineError as refused:
                if since is not None and read_at is not None and read_at <= since:
                    late_refused += 1  # in the look-back window: listed when first read
                else:
                    report.errors.append(refused)
                continue
            rows.append(cdr_record_row(record, source_name))
        report.stored += store_cdr_rows(session, rows)
    if late_refused:
        report.notes.append(
            f"{late_refused} row(s) of the look-back window, at or before the last run's end, "
            "were refused (not listed again: those read then were listed then)"
        )
    if latest is not None:
        newest = min(latest, _micros(now, zone))
        cursor.position = newest if since is None else max(since, newest)
    cursor.source_id = marker
    cursor.updated_at = now
    return report


def _bind_type(connection: Connection) -> Any:
    return String() if connection.dialect.name == "sqlite" else None


def _naive_micros_of(value: object, zone: tzinfo) -> int | None:
    """A row's time as the cursor keeps it (naive in ``zone``, microseconds from 1970), or
    None when it is not a time."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    return _micros(moment, zone)


def _micros(moment: datetime, zone: tzinfo) -> int:
    """A time as the table writes it (naive, an aware one taken into ``zone``), as
    microseconds from 1970."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return (moment - _EPOCH) // _MICROSECOND
