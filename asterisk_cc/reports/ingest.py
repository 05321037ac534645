"""Reading every configured record source of Asterisk into the database, one transaction each.

The sources are the ``[reports]`` keys: ``queue_log_file``, ``queue_log_table_url`` +
``queue_log_table``, ``cdr_csv_file``, ``cdr_table_url`` + ``cdr_table`` (an empty value leaves
a source out). Each is read in a transaction of its own, so a source that fails (a file that
cannot be read, a database that cannot be reached, a table that is not there) is reported and
rolled back while the others are still read and stored. After the queue_log sources the calls
in queues are rebuilt from the new events (:func:`asterisk_cc.db.queue_calls.
rebuild_queue_calls`), in a transaction of its own too.

Zones: a realtime queue_log table is in ``[reports] queue_log_table_timezone`` (else the site's
zone); Master.csv in UTC (cdr.conf ``usegmtime=yes``, Debian's setting; the command line's
``--zone`` says otherwise); a CDR table in the site's zone (cdr_adaptive_odbc writes local time
unless ``usegmtime=yes``).

Database URLs of the sources may hold passwords: they are shown only with the password masked.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.config import Settings
from asterisk_cc.db.cdr_ingest import ingest_cdr_file, ingest_cdr_table
from asterisk_cc.db.engine import describe_url, sqlite_path
from asterisk_cc.db.file_follow import IngestReport, cursor_name
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from asterisk_cc.db.queue_log_table_ingest import ingest_queue_log_table
from asterisk_cc.errors import DatabaseError

__all__ = [
    "IngestSource",
    "Kind",
    "RefusedRecord",
    "SourceReport",
    "cdr_file_source",
    "cdr_table_source",
    "configured_sources",
    "ingest_all",
    "ingest_sources",
    "queue_log_file_source",
    "queue_log_table_source",
]

log = logging.getLogger(__name__)

Kind = Literal["queue_log", "cdr"]
QUEUE_CALLS_SOURCE = "queue_calls (rebuilt from the queue_log events)"


@dataclass(frozen=True)
class RefusedRecord:
    """A line (file) or row (table) that was not stored, and why; ``text`` is the record as
    read when the number alone cannot find it (a row of a CDR table)."""

    number: int
    reason: str
    text: str = ""


@dataclass(frozen=True)
class SourceReport:
    """What reading one source did: records ``stored`` (new ones), the ones ``errors`` refused
    (each by its ``line`` number, its ``row id`` in a queue_log table, or, a CDR table having
    no ids, its ``row`` number in this run's read, with its text: ``numbered_by`` says which), ``notes`` (rotation, a missing file...), and
    ``failure`` when the source could not be read at all (then nothing of it was stored this
    run); ``unreachable`` when that failure is a database that could not be used."""

    source: str
    stored: int = 0
    errors: tuple[RefusedRecord, ...] = ()
    notes: tuple[str, ...] = ()
    failure: str | None = None
    unreachable: bool = False
    numbered_by: str = "line"

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.errors


Reader = Callable[[Session, datetime], IngestReport]


@dataclass(frozen=True)
class IngestSource:
    """One place Asterisk's records are read from: ``read(session, now)`` stores what is new."""

    kind: Kind
    label: str
    read: Reader = field(repr=False)
    numbered_by: str = "line"


def queue_log_file_source(path: Path) -> IngestSource:
    """The queue_log file ``path``, under the same cursor whoever reads it."""

    def read(session: Session, now: datetime) -> IngestReport:
        return ingest_queue_log_file(session, path, now, name=cursor_name("queue_log", str(path)))

    return IngestSource("queue_log", f"queue_log file {path}", read)


def cdr_file_source(path: Path, zone: tzinfo = UTC) -> IngestSource:
    """Master.csv at ``path``, its times in ``zone``, under the same cursor whoever reads it."""

    def read(session: Session, now: datetime) -> IngestReport:
        return ingest_cdr_file(session, path, now, name=cursor_name("cdr", str(path)), zone=zone)

    return IngestSource("cdr", f"CDR file {path}", read)


def queue_log_table_source(
    url: str, table: str, zone: ZoneInfo, *, connect_timeout_s: int = 5, key: str = "url"
) -> IngestSource:
    """The realtime queue_log ``table`` of the database at ``url`` (``key`` names the setting
    in messages; a URL that cannot be used fails this source when it is read)."""
    parsed = _parse_url(url)

    def read(session: Session, now: datetime) -> IngestReport:
        with _source_connection(parsed, connect_timeout_s, key) as connection:
            name = _table_cursor("queue_log", connection.engine.url, table)
            return ingest_queue_log_table(session, connection, table, now, name=name, zone=zone)

    return IngestSource("queue_log", _table_label("queue_log", table, parsed), read, "row id")


def cdr_table_source(
    url: str, table: str, zone: tzinfo, *, connect_timeout_s: int = 5, key: str = "url"
) -> IngestSource:
    """The CDR ``table`` of the database at ``url``."""
    parsed = _parse_url(url)

    def read(session: Session, now: datetime) -> IngestReport:
        with _source_connection(parsed, connect_timeout_s, key) as connection:
            name = _table_cursor("cdr", connection.engine.url, table)
            return ingest_cdr_table(session, connection, table, now, name=name, zone=zone)

    return IngestSource("cdr", _table_label("CDR", table, parsed), read, "row")


def _table_label(what: str, table: str, url: URL | None) -> str:
    return f"{what} table {table}" + (f" in {describe_url(url)}" if url is not None else "")


def configured_sources(
    settings: Settings,
    *,
    kinds: Iterable[Kind] = ("queue_log", "cdr"),
    cdr_zone: tzinfo | None = None,
) -> list[IngestSource]:
    """The sources ``[reports]`` names, of the ``kinds`` asked for; ``cdr_zone`` overrides the
    zone of the CDR sources."""
    reports, wanted = settings.reports, set(kinds)
    timeout_s = settings.database.connect_timeout_s
    sources: list[IngestSource] = []
    if "queue_log" in wanted:
        if reports.queue_log_file.strip():
            sources.append(queue_log_file_source(Path(reports.queue_log_file.strip())))
        if reports.queue_log_table_url.strip():
            zone = ZoneInfo(reports.queue_log_table_timezone or settings.site.timezone)
            sources.append(
                queue_log_table_source(
                    reports.queue_log_table_url.strip(),
                    reports.queue_log_table,
                    zone,
                    connect_timeout_s=timeout_s,
                    key="[reports] queue_log_table_url",
                )
            )
    if "cdr" in wanted:
        if reports.cdr_csv_file.strip():
            sources.append(
                cdr_file_source(
                    Path(reports.cdr_csv_file.strip()),
                    cdr_zone or ZoneInfo(reports.cdr_csv_timezone),
                )
            )
        if reports.cdr_table_url.strip():
            sources.append(
                cdr_table_source(
                    reports.cdr_table_url.strip(),
                    reports.cdr_table,
                    cdr_zone or ZoneInfo(reports.cdr_table_timezone or settings.site.timezone),
                    connect_timeout_s=timeout_s,
                    key="[reports] cdr_table_url",
                )
            )
    return sources


def ingest_sources(
    session_factory: sessionmaker[Session], sources: Sequence[IngestSource], now: datetime
) -> list[SourceReport]:
    """Read each source in its own transaction, the queue_log ones first; then, if any
    queue_log source was read, rebuild the calls in queues; then the CDR sources."""
    queue_logs = [source for source in sources if source.kind == "queue_log"]
    reports = [_read(session_factory, source, now) for source in queue_logs]
    if queue_logs:
        reports.append(_rebuild_queue_calls(session_factory))
    reports += [_read(session_factory, source, now) for source in sources if source.kind == "cdr"]
    return reports


def ingest_all(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime
) -> list[SourceReport]:
    """Read every source ``[reports]`` configures (see the module), each in its own
    transaction; one report per source, and one for the rebuilt calls in queues."""
    return ingest_sources(session_factory, configured_sources(settings), now)


# --- one source -------------------------------------------------------------------------------


def _read(
    session_factory: sessionmaker[Session], source: IngestSource, now: datetime
) -> SourceReport:
    try:
        with session_factory.begin() as session:
            report = source.read(session, now)
    except DatabaseError as exc:
        return _failed(source, str(exc), unreachable=True)
    except SQLAlchemyError as exc:
        return _failed(source, f"the database failed: {_first_line(exc)}", unreachable=True)
    except OSError as exc:
        return _failed(source, f"cannot be read: {exc.strerror or exc}" + _filename(exc))
    except (ValueError, LookupError) as exc:
        return _failed(source, str(exc))
    except Exception as exc:  # a fault reading one source must not stop the others
        log.exception("%s: not read", source.label)
        return _failed(source, f"unexpected error: {exc!r} (the log has the details)")
    result = SourceReport(
        source=source.label,
        stored=report.stored,
        errors=tuple(
            RefusedRecord(
                e.line_number,
                e.reason,
                getattr(e, "text", "") if source.numbered_by == "row" else "",
            )
            for e in report.errors
        ),
        notes=tuple(report.notes),
        numbered_by=source.numbered_by,
    )
    log.info(
        "%s: %d stored, %d refused%s",
        source.label,
        result.stored,
        len(result.errors),
        "".join(f"; {note}" for note in result.notes),
    )
    return result


def _failed(source: IngestSource, why: str, *, unreachable: bool = False) -> SourceReport:
    log.warning("%s: not read: %s", source.label, why)
    return SourceReport(
        source=source.label, failure=why, unreachable=unreachable, numbered_by=source.numbered_by
    )


def _rebuild_queue_calls(session_factory: sessionmaker[Session]) -> SourceReport:
    from asterisk_cc.db.queue_calls import rebuild_queue_calls

    try:
        with session_factory.begin() as session:
            count = rebuild_queue_calls(session)
    except SQLAlchemyError as exc:
        why = f"the database failed: {_first_line(exc)}"
        log.warning("%s: not rebuilt: %s", QUEUE_CALLS_SOURCE, why)
        return SourceReport(source=QUEUE_CALLS_SOURCE, failure=why, unreachable=True)
    except Exception as exc:  # the CDR sources are still read
        log.exception("%s: not rebuilt", QUEUE_CALLS_SOURCE)
        why = f"unexpected error: {exc!r} (the log has the details)"
        return SourceReport(source=QUEUE_CALLS_SOURCE, failure=why)
    return SourceReport(source=QUEUE_CALLS_SOURCE, stored=count)


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(original).__name__


def _filename(exc: OSError) -> str:
    return f" ({exc.filename})" if exc.filename else ""


# --- source databases -------------------------------------------------------------------------


def _parse_url(url: str) -> URL | None:
    try:
        return make_url(url)
    except ArgumentError:
        return None


def _table_cursor(kind: str, url: URL, table: str) -> str:
    """The cursor of a table: its name and a digest of its database (host, port, database;
    not the user or password), so that pointing the setting at another database starts a new
    cursor."""
    where = f"{url.drivername}://{url.host or ''}:{url.port or ''}/{url.database or ''}"
    digest = hashlib.sha256(where.encode("utf-8")).hexdigest()[:8]
    return cursor_name(f"{kind}_table", f"{table}@{digest}")


@contextmanager
def _source_connection(url: URL | None, timeout_s: int, key: str) -> Iterator[Connection]:
    """A read connection to a source database, its engine disposed afterwards. Failing to
    connect is a DatabaseError naming the (masked) URL; a SQLite file must already exist (it
    is Asterisk's: never created here)."""
    if url is None:
        raise ValueError(
            f"{key} is not a database URL: write it like "
            "postgresql+psycopg://USER:PASSWORD@HOST/asterisk or "
            "mysql+pymysql://USER:PASSWORD@HOST/asteriskcdrdb"
        )
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.is_file():
            raise DatabaseError(
                f"{key} = {describe_url(url)}: the SQLite file {path} does not exist"
            )
        connect_args["timeout"] = timeout_s
    elif backend in ("postgresql", "mysql", "mariadb"):
        connect_args["connect_timeout"] = timeout_s
    try:
        engine = create_engine(url, connect_args=connect_args)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise ValueError(
            f"{key} = {describe_url(url)} cannot be used: {exc} (is its database driver installed?)"
        ) from None
    try:
        try:
            connection = engine.connect()
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"{key} = {describe_url(url)} cannot be reached: {_first_line(exc)}"
            ) from None
        with connection:
            yield connection
    finally:
        engine.dispose()
