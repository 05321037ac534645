"""The realtime queue_log table (extconfig.conf ``queue_log => odbc,...``) read into
queue_log_events from the last id: stored exactly as the file's lines are, broken rows
reported by id, both table forms (data1..data5 and a single data column)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, column, create_engine, delete, insert, select, table, text
from sqlalchemy.orm import Session

from asterisk_cc.db.file_follow import IngestReport
from asterisk_cc.db.models import QueueLogEvent
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from asterisk_cc.db.queue_log_table_ingest import ingest_queue_log_table

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")

# Asterisk's table (contrib/realtime/postgresql/postgresql_queue_log.sql), and the variant
# with one data column that Asterisk fills when data1 is missing.
ADAPTIVE_DDL = """CREATE TABLE {table} (
    id {id_type}, time TIMESTAMP, callid VARCHAR(80), queuename VARCHAR(256),
    agent VARCHAR(80), event VARCHAR(32), data1 VARCHAR(100), data2 VARCHAR(100),
    data3 VARCHAR(100), data4 VARCHAR(100), data5 VARCHAR(100))"""
SINGLE_DDL = """CREATE TABLE {table} (
    id {id_type}, time TIMESTAMP, callid VARCHAR(80), queuename VARCHAR(256),
    agent VARCHAR(80), event VARCHAR(32), data VARCHAR(400))"""
ID_TYPES = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "BIGSERIAL PRIMARY KEY"}
CALL_LINES = [
    "{at}|{call}|support|NONE|ENTERQUEUE||5551234|1",
    "{at}|{call}|support|Agent One|CONNECT|2|1795354843.4|1",
    "{at}|{call}|support|Agent One|COMPLETEAGENT|2|55|1",
    "{at}|{call}|support|Agent One|ATTENDEDTRANSFER|LINK|c1|c2|4|30|1",
]


@dataclass
class QueueLogTable:
    engine: Engine
    table: str
    single_data: bool

    def add(
        self, time: str | None, call: str, queue: str, agent: str, event: str | None, *data: str
    ) -> None:
        """A row as Asterisk's realtime queue_log writes it (``time`` as local-time text)."""
        row: dict[str, object] = {
            "time": time,
            "callid": call,
            "queuename": queue,
            "agent": agent,
            "event": event,
        }
        if self.single_data:
            row["data"] = "|".join(data)
            names = [*row]
        else:
            fields = list(data[:5])
            row.update({f"data{n + 1}": value for n, value in enumerate(fields)})
            names = [
                "time",
                "callid",
                "queuename",
                "agent",
                "event",
                *(f"data{n}" for n in range(1, 6)),
            ]
        with self.engine.begin() as connection:
            connection.execute(insert(table(self.table, *(column(name) for name in names))), row)

    def add_line(self, line: str) -> None:
        """The same event as a file line ``epoch|callid|queue|agent|event|data...``."""
        epoch, call, queue, agent, event, *data = line.split("|")
        at = datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.add(at, call, queue, agent, event, *data)

    def read(self, target: Engine, name: str, zone: ZoneInfo = UTC_ZONE) -> IngestReport:
        with self.engine.connect() as source, Session(target) as session, session.begin():
            return ingest_queue_log_table(session, source, self.table, NOW, name=name, zone=zone)


def make_table(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, *, single_data: bool
) -> Iterator[QueueLogTable]:
    name = f"queue_log_{secrets.token_hex(4)}"
    if backend == "sqlite":
        source = create_engine(f"sqlite:///{tmp_path / 'asterisk-realtime.sqlite3'}")
    else:
        source = request.getfixturevalue("postgres_engine")
    ddl = SINGLE_DDL if single_data else ADAPTIVE_DDL
    with source.begin() as connection:
        connection.execute(text(ddl.format(table=name, id_type=ID_TYPES[source.dialect.name])))
    yield QueueLogTable(source, name, single_data)
    with source.begin() as connection:
        connection.execute(text(f"DROP TABLE {name}"))
    if backend == "sqlite":
        source.dispose()


@pytest.fixture
def adaptive_table(
    request: pytest.FixtureRequest, engine_backend: str, tmp_path: Path
) -> Iterator[QueueLogTable]:
    """data1..data5: in a SQLite file of its own, or in the PostgreSQL test database."""
    yield from make_table(request, engine_backend, tmp_path, single_data=False)


@pytest.fixture
def single_table(
    request: pytest.FixtureRequest, engine_backend: str, tmp_path: Path
) -> Iterator[QueueLogTable]:
    yield from make_table(request, engine_backend, tmp_path, single_data=True)


def events(engine: Engine, call: str) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.execute(
            select(QueueLogEvent).where(QueueLogEvent.callid == call).order_by(QueueLogEvent.id)
        ).scalars()
        return [
            (e.at, e.callid, e.queue, e.agent, e.event, e.data1, e.data2, e.data3, e.data4, e.data5)
            for e in rows
        ]


def test_rows_are_stored_as_the_files_lines_are(
    engine: Engine, adaptive_table: QueueLogTable, tmp_path: Path
) -> None:
    in_table, in_file = f"7.{secrets.token_hex(3)}", f"8.{secrets.token_hex(3)}"
    lines = [text.format(at=1795354843 + n, call="{call}") for n, text in enumerate(CALL_LINES)]
    for line in lines:
        adaptive_table.add_line(line.format(call=in_table))
    path = tmp_path / "queue_log"
    path.write_text("".join(line.format(call=in_file) + "\n" for line in lines[:3]))
    report = adaptive_table.read(engine, f"qlt-{secrets.token_hex(4)}")
    assert (report.stored, report.errors) == (4, [])
    with Session(engine) as session, session.begin():
        ingest_queue_log_file(session, path, NOW, name=f"ql-{secrets.token_hex(4)}")
    from_table, from_file = events(engine, in_table), events(engine, in_file)
    assert [row[2:] for row in from_table[:3]] == [row[2:] for row in from_file]
    assert [row[0] for row in from_table[:3]] == [row[0] for row in from_file]
    assert from_table[0][0] == datetime(2026, 11, 22, 13, 40, 43, tzinfo=UTC)
    # The table keeps five data fields: the sixth of an ATTENDEDTRANSFER LINK is lost there.
    assert from_table[3][5:] == ("LINK", "c1", "c2", "4", "30")


def test_the_id_cursor_reads_on_and_never_twice(
    engine: Engine, adaptive_table: QueueLogTable
) -> None:
    name, call = f"qlt-{secrets.token_hex(4)}", f"9.{secrets.token_hex(3)}"
    adaptive_table.add("2026-11-22 13:40:43", call, "support", "NONE", "ENTERQUEUE", "", "555", "1")
    assert adaptive_table.read(engine, name).stored == 1
    adaptive_table.add(
        "2026-11-22 13:40:45.250000", call, "support", "A", "CONNECT", "2", "1.4", "1"
    )
    assert adaptive_table.read(engine, name).stored == 1
    assert adaptive_table.read(engine, name).stored == 0
    stored = events(engine, call)
    assert [row[4] for row in stored] == ["ENTERQUEUE", "CONNECT"]
    assert stored[1][0] == datetime(2026, 11, 22, 13, 40, 45, 250000, tzinfo=UTC)
    assert stored[0][5:8] == ("", "555", "1")


def test_broken_rows_are_reported_by_id_and_skipped(
    engine: Engine, adaptive_table: QueueLogTable
) -> None:
    name, call = f"qlt-{secrets.token_hex(4)}", f"10.{secrets.token_hex(3)}"
    adaptive_table.add("2026-11-22 13:40:43", call, "support", "NONE", "ENTERQUEUE", "", "555", "1")
    adaptive_table.add("2026-11-22 13:40:44", call, "support", "A", "CONNECT", "x", "1.4", "1")
    adaptive_table.add(None, call, "support", "A", "PAUSE")
    adaptive_table.add("2026-11-22 13:40:46", call, "support", "A", "COMPLETEAGENT", "2", "5", "1")
    report = adaptive_table.read(engine, name)
    assert report.stored == 2
    with adaptive_table.engine.connect() as connection:
        ids = list(
            connection.scalars(
                select(column("id")).select_from(table(adaptive_table.table)).order_by(column("id"))
            )
        )
    assert [(e.line_number, e.reason) for e in report.errors] == [
        (ids[1], "CONNECT field 1 is not a number"),
        (ids[2], "the time or the event is empty"),
    ]
    assert [row[4] for row in events(engine, call)] == ["ENTERQUEUE", "COMPLETEAGENT"]


def test_a_single_data_column_is_split(engine: Engine, single_table: QueueLogTable) -> None:
    call = f"11.{secrets.token_hex(3)}"
    single_table.add("2026-11-22 13:40:43", call, "support", "NONE", "ENTERQUEUE", "", "555", "1")
    single_table.add(
        "2026-11-22 13:40:45",
        call,
        "support",
        "A",
        "ATTENDEDTRANSFER",
        "LINK",
        "c1",
        "c2",
        "4",
        "30",
        "1",
    )
    single_table.add("2026-11-22 13:40:50", call, "support", "A", "UNPAUSE")
    report = single_table.read(engine, f"qlt-{secrets.token_hex(4)}")
    assert (report.stored, report.errors) == (3, [])
    stored = events(engine, call)
    assert stored[0][5:8] == ("", "555", "1")
    assert stored[1][5:] == ("LINK", "c1", "c2", "4", "30|1")  # as a file line is stored
    assert stored[2][5:] == (None, None, None, None, None)


def test_local_times(engine: Engine, adaptive_table: QueueLogTable) -> None:
    call = f"12.{secrets.token_hex(3)}"
    adaptive_table.add("2026-11-22 21:40:43", call, "support", "NONE", "ENTERQUEUE", "", "555", "1")
    adaptive_table.read(engine, f"qlt-{secrets.token_hex(4)}", ZoneInfo("Asia/Shanghai"))
    assert events(engine, call)[0][0] == datetime(2026, 11, 22, 13, 40, 43, tzinfo=UTC)


def test_an_emptied_table_is_read_from_its_start(engine: Engine, tmp_path: Path) -> None:
    """SQLite without AUTOINCREMENT reuses ids once the table is emptied, as a recreated
    table does anywhere."""
    source = create_engine(f"sqlite:///{tmp_path / 'realtime.sqlite3'}")
    with source.begin() as connection:
        connection.execute(
            text(ADAPTIVE_DDL.format(table="queue_log", id_type="INTEGER PRIMARY KEY"))
        )
    realtime = QueueLogTable(source, "queue_log", single_data=False)
    name, first, second = (
        f"qlt-{secrets.token_hex(4)}",
        f"13.{secrets.token_hex(3)}",
        f"14.{secrets.token_hex(3)}",
    )
    try:
        for _ in range(3):
            realtime.add("2026-11-22 13:40:43", first, "support", "A", "PAUSE", "Lunch")
        assert realtime.read(engine, name).stored == 3
        with source.begin() as connection:
            connection.execute(delete(table("queue_log")))
        realtime.add("2026-11-22 14:00:00", second, "support", "A", "UNPAUSE")
        report = realtime.read(engine, name)
    finally:
        source.dispose()
    assert report.stored == 1 and "read again from its start" in report.notes[0]
    assert [row[4] for row in events(engine, second)] == ["UNPAUSE"]


def test_a_table_that_is_not_asterisks_is_refused(
    engine: Engine, adaptive_table: QueueLogTable
) -> None:
    with adaptive_table.engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {adaptive_table.table}_x (id INTEGER, note TEXT)"))
    try:
        with pytest.raises(LookupError, match="has no column time, callid, queuename"):
            QueueLogTable(adaptive_table.engine, f"{adaptive_table.table}_x", False).read(
                engine, "qlt-x"
            )
        with pytest.raises(ValueError, match="is not a table name"):
            QueueLogTable(adaptive_table.engine, "queue_log where 1=1", False).read(engine, "qlt-x")
        with pytest.raises(LookupError, match="does not exist"):
            QueueLogTable(adaptive_table.engine, "no_such_queue_log", False).read(engine, "qlt-x")
    finally:
        with adaptive_table.engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {adaptive_table.table}_x"))
