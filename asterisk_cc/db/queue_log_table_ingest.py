"""Asterisk's realtime ``queue_log`` table (another database: ``extconfig.conf`` ``queue_log =>
odbc,...``) into ``queue_log_events``, read on from the last ``id`` stored.

The table is Asterisk's (``contrib/realtime/*/..._queue_log.sql``): ``id, time, callid,
queuename, agent, event, data1..data5``, or a single ``data`` column holding every field
``|``-separated (Asterisk writes that form when the table has no data1). ``time`` is the
Asterisk host's local time unless ``queue_log_realtime_use_gmt=yes``: the caller gives its zone.

Rows become events exactly as file lines do (:func:`~asterisk_cc.db.queue_log_ingest.event_row`),
in ``id`` order, with the cursor (the last ``id`` read) moved in the caller's transaction. A row
that cannot be read is reported by its ``id`` and skipped. Ids are taken to grow in the order
rows are committed, which holds with res_odbc's one connection per DSN (its default); a table
emptied or recreated (its ids start again) is read from its start.

The table's name comes from the configuration: it is checked to be a plain (optionally
schema-qualified) name and always quoted by SQLAlchemy, never pasted into SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, column, func, inspect, select, table
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause, TableClause

from asterisk_cc.core.reports.queue_log import QueueLogLineError, record_from_row
from asterisk_cc.db.engine import describe_url
from asterisk_cc.db.file_follow import IngestReport, locked_cursor
from asterisk_cc.db.queue_log_ingest import event_row, store_events

__all__ = ["SourceTable", "ingest_queue_log_table", "source_table"]

BATCH_ROWS = 5000
DATA_COLUMNS: Final = tuple(f"data{n}" for n in range(1, 6))
_NAME_PART: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


@dataclass(frozen=True)
class SourceTable:
    """A table of another database as reflected: its columns by lower-case name (databases
    differ in the case they report), selected as plain columns so that values come back as
    the driver gives them (a bad value is then one refused row, not a failed read)."""

    table: TableClause
    columns: Mapping[str, str]
    shown: str

    def has(self, name: str) -> bool:
        return name in self.columns

    def column(self, name: str) -> ColumnClause[Any]:
        return self.table.c[self.columns[name]]

    def require(self, *names: str) -> None:
        missing = [name for name in names if not self.has(name)]
        if missing:
            raise LookupError(
                f"the table {self.shown} has no column {', '.join(missing)} (its columns: "
                f"{', '.join(self.columns.values())}): is it Asterisk's table?"
            )


def source_table(connection: Connection, name: str) -> SourceTable:
    """Reflect the table ``name`` (``table`` or ``schema.table``) of ``connection``; a name
    that is not a plain identifier raises ValueError, a missing table LookupError."""
    text = name.strip()
    parts = text.split(".")
    if len(parts) > 2 or not all(_NAME_PART.match(part) for part in parts):
        raise ValueError(
            f"{name!r} is not a table name: write it as name or schema.name, with letters, "
            "digits and _ (at most 63 characters each)"
        )
    schema = parts[0] if len(parts) == 2 else None
    try:
        reflected = inspect(connection).get_columns(parts[-1], schema=schema)
    except NoSuchTableError:
        reflected = []
    if not reflected:
        raise LookupError(
            f"the table {text} does not exist in {describe_url(connection.engine)}: check the "
            "table's name (and schema), and that this is the database Asterisk writes to"
        )
    names = [str(col["name"]) for col in reflected]
    clause = table(parts[-1], *(column(col) for col in names), schema=schema)
    return SourceTable(clause, {col.lower(): col for col in names}, text)


def _data_columns(source: SourceTable) -> list[str]:
    present = [name for name in DATA_COLUMNS if source.has(name)]
    if present:
        return present
    if source.has("data"):
        return ["data"]
    raise LookupError(
        f"the table {source.shown} has neither data1..data5 nor a data column: is it "
        "Asterisk's queue_log table?"
    )


def _data(row: Mapping[Any, Any], columns: list[str]) -> list[str | None]:
    if columns == ["data"]:
        value = row["data"]
        return [] if value is None else list[str | None](str(value).split("|"))
    return [None if row[name] is None else str(row[name]) for name in columns]


def _query(source: SourceTable, data_columns: list[str], after_id: int) -> Select[Any]:
    fields = ["id", "time", "callid", "queuename", "agent", "event", *data_columns]
    return (
        select(*(source.column(name).label(name) for name in fields))
        .where(source.column("id") > after_id)
        .order_by(source.column("id"))
        .limit(BATCH_ROWS)
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def ingest_queue_log_table(
    session: Session,
    source: Connection,
    table: str,
    now: datetime,
    *,
    name: str,
    zone: ZoneInfo,
) -> IngestReport:
    """Store the rows of ``table`` (in the database of ``source``) added since the cursor
    ``name``; ``zone`` is the zone of the ``time`` column. The caller commits ``session``."""
    report = IngestReport()
    reflected = source_table(source, table)
    reflected.require("id", "time", "callid", "queuename", "agent", "event")
    data_columns = _data_columns(reflected)
    cursor = locked_cursor(session, name)
    last_id = cursor.position or 0
    highest = source.scalar(select(func.max(reflected.column("id"))))
    if highest is not None and int(highest) < last_id:
        report.notes.append(
            f"the table {reflected.shown} ends at id {highest}, before the {last_id} read "
            "last time (emptied or recreated?): read again from its start"
        )
        last_id = 0
    while True:
        rows = source.execute(_query(reflected, data_columns, last_id)).mappings().all()
        events: list[dict[str, object]] = []
        for row in rows:
            row_id = int(row["id"])
            last_id = row_id
            try:
                if row["time"] is None or row["event"] is None:
                    raise QueueLogLineError(
                        row_id, "the time or the event is empty", f"id={row_id}"
                    )
                record = record_from_row(
                    time=row["time"] if isinstance(row["time"], datetime) else str(row["time"]),
                    callid=_text(row["callid"]),
                    queuename=_text(row["queuename"]),
                    agent=_text(row["agent"]),
                    event=str(row["event"]),
                    data=_data(row, data_columns),
                    zone=zone,
                    row_number=row_id,
                )
            except QueueLogLineError as refused:
                report.errors.append(refused)
                continue
            events.append(event_row(record))
        report.stored += store_events(session, events)
        if len(rows) < BATCH_ROWS:
            break
    cursor.source_id = f"table:{reflected.shown}"[:128]
    cursor.position = last_id
    cursor.updated_at = now
    return report
