"""CDR ingestion: Master.csv followed as it grows, a half-written line, broken lines reported by
number, rotation and copytruncate; a CDR table in another database read by time with its
look-back; and no record ever stored twice, even with the cursor reset."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, column, create_engine, delete, func, insert, select, table, text
from sqlalchemy.orm import Session

from asterisk_cc.db.cdr_ingest import LOOKBACK_S, ingest_cdr_file, ingest_cdr_table
from asterisk_cc.db.file_follow import IngestReport
from asterisk_cc.db.models import CdrRecord, IngestCursor

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LINE = (
    '"","5551234","{dst}","from-pstn","""Ann"" <5551234>","PJSIP/trunk-00000001",'
    '"PJSIP/200-00000002","Dial","PJSIP/200,30","2026-11-22 09:00:00","2026-11-22 09:00:05",'
    '"2026-11-22 09:01:05",65,60,"ANSWERED","DOCUMENTATION","{uid}","","","{uid}",{seq}\n'
)


def line(uid: str, seq: int = 0, dst: str = "200") -> str:
    return LINE.format(uid=uid, seq=seq, dst=dst)


def run_file(engine: Engine, path: Path, name: str) -> tuple[int, list[tuple[int, str]]]:
    with Session(engine) as session, session.begin():
        report = ingest_cdr_file(session, path, NOW, name=name)
        return report.stored, [(e.line_number, e.reason) for e in report.errors]


def stored(engine: Engine, uniqueid: str) -> list[tuple[str, int | None, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(CdrRecord.dst, CdrRecord.sequence, CdrRecord.source)
            .where(CdrRecord.uniqueid == uniqueid)
            .order_by(CdrRecord.sequence, CdrRecord.dst)
        )
        return [(r.dst, r.sequence, r.source) for r in rows]


def uid() -> str:
    return f"1795354923.{secrets.randbelow(10**9)}"


def test_the_file_is_followed_as_it_grows(engine: Engine, tmp_path: Path) -> None:
    name, call = f"cdr-{secrets.token_hex(4)}", uid()
    path = tmp_path / "Master.csv"
    half = line(call, 1)
    path.write_text(line(call, 0) + half[:50], encoding="utf-8")
    assert run_file(engine, path, name) == (1, [])  # the half-written record waits
    with path.open("a", encoding="utf-8") as csv_file:
        csv_file.write(half[50:] + line(call, 2))
    assert run_file(engine, path, name) == (2, [])
    assert run_file(engine, path, name) == (0, [])
    assert stored(engine, call) == [("200", n, f"file:{path}") for n in range(3)]
    with Session(engine) as session:
        record = session.scalars(
            select(CdrRecord).where(CdrRecord.uniqueid == call, CdrRecord.sequence == 0)
        ).one()
    assert (record.start_at, record.answer_at) == (
        datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 9, 0, 5, tzinfo=UTC),
    )
    assert (record.clid, record.duration_s, record.billsec_s, record.linkedid) == (
        '"Ann" <5551234>',
        65,
        60,
        call,
    )
    assert len(record.row_hash) == 64


def test_broken_lines_are_reported_by_number_and_the_rest_is_stored(
    engine: Engine, tmp_path: Path
) -> None:
    name, call = f"cdr-{secrets.token_hex(4)}", uid()
    path = tmp_path / "Master.csv"
    path.write_text(
        line(call, 0)
        + '"","5551234","200","truncated\n'
        + "\n"
        + line(call, 1).replace(",65,60,", ",65,sixty,")
        + line(call, 2),
        encoding="utf-8",
    )
    count, errors = run_file(engine, path, name)
    assert count == 2
    assert [number for number, _ in errors] == [2, 4]
    assert "not a CSV record" in errors[0][1]
    assert errors[1][1] == "the billsec 'sixty' is not a whole number"
    assert [seq for _, seq, _ in stored(engine, call)] == [0, 2]
    with path.open("a", encoding="utf-8") as csv_file:
        csv_file.write(line(call, 3).replace('"ANSWERED"', '"HUNG UP"'))
    assert run_file(engine, path, name) == (
        0,
        [(6, "'HUNG UP' is not a disposition Asterisk writes")],
    )


def test_rotation_reads_the_rest_of_the_old_file_then_the_new_one(
    engine: Engine, tmp_path: Path
) -> None:
    name, before, late, after = f"cdr-{secrets.token_hex(4)}", uid(), uid(), uid()
    path = tmp_path / "Master.csv"
    path.write_text(line(before), encoding="utf-8")
    assert run_file(engine, path, name)[0] == 1
    with path.open("a", encoding="utf-8") as csv_file:
        csv_file.write(line(late))
    path.rename(tmp_path / "Master.csv-20261123")
    path.write_text(line(after), encoding="utf-8")
    with Session(engine) as session, session.begin():
        report = ingest_cdr_file(session, path, NOW, name=name)
    assert report.rotated and report.rotated_from == tmp_path / "Master.csv-20261123"
    assert report.stored == 2 and not report.errors
    assert all(len(stored(engine, call)) == 1 for call in (before, late, after))


def test_copytruncate_and_a_reset_cursor_never_store_a_record_twice(
    engine: Engine, tmp_path: Path
) -> None:
    name, first, second = f"cdr-{secrets.token_hex(4)}", uid(), uid()
    path = tmp_path / "Master.csv"
    path.write_text(line(first, 0) + line(first, 1) + line(first, 2), encoding="utf-8")
    assert run_file(engine, path, name)[0] == 3
    path.write_text(line(second), encoding="utf-8")  # copytruncate, then a new record
    with Session(engine) as session, session.begin():
        report = ingest_cdr_file(session, path, NOW, name=name)
    assert report.stored == 1 and "cut short" in report.notes[0]
    # The cursor is lost (or another name reads the same file): every record is known already.
    path.write_text(line(first, 0) + line(first, 1) + line(first, 2) + line(second))
    with Session(engine) as session, session.begin():
        session.execute(delete(IngestCursor).where(IngestCursor.name == name))
    assert run_file(engine, path, name) == (0, [])
    assert run_file(engine, path, f"{name}-other") == (0, [])
    assert len(stored(engine, first)) == 3 and len(stored(engine, second)) == 1


def test_a_record_twice_in_one_read_is_stored_once(engine: Engine, tmp_path: Path) -> None:
    call = uid()
    path = tmp_path / "Master.csv"
    path.write_text(line(call) * 3, encoding="utf-8")
    assert run_file(engine, path, f"cdr-{secrets.token_hex(4)}") == (1, [])


def test_a_failed_run_stores_nothing_and_the_next_reads_it_all(
    engine: Engine, tmp_path: Path
) -> None:
    name, call = f"cdr-{secrets.token_hex(4)}", uid()
    path = tmp_path / "Master.csv"
    path.write_text(line(call, 0) + line(call, 1), encoding="utf-8")
    with Session(engine) as session:
        session.begin()
        ingest_cdr_file(session, path, NOW, name=name)
        session.rollback()
    assert stored(engine, call) == []
    assert run_file(engine, path, name)[0] == 2


def test_local_file_times(engine: Engine, tmp_path: Path) -> None:
    call = uid()
    path = tmp_path / "Master.csv"
    path.write_text(line(call), encoding="utf-8")
    with Session(engine) as session, session.begin():
        ingest_cdr_file(
            session, path, NOW, name=f"cdr-{secrets.token_hex(4)}", zone=ZoneInfo("Asia/Shanghai")
        )
    with Session(engine) as session:
        start = session.scalar(select(CdrRecord.start_at).where(CdrRecord.uniqueid == call))
    assert start == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


# --- a CDR table in another database ------------------------------------------------------------

# Asterisk's alembic cdr table (contrib/realtime/postgresql/postgresql_cdr.sql).
CDR_COLUMNS = [
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "userfield",
    "uniqueid",
    "linkedid",
    "peeraccount",
    "sequence",
]
BLANK = {
    "accountcode": "",
    "src": "5551234",
    "dst": "200",
    "dcontext": "from-pstn",
    "clid": "",
    "channel": "PJSIP/trunk-1",
    "dstchannel": "PJSIP/200-2",
    "lastapp": "Dial",
    "lastdata": "PJSIP/200",
    "amaflags": "DOCUMENTATION",
    "userfield": "",
    "peeraccount": "",
}
CDR_DDL = """CREATE TABLE {table} (
    accountcode VARCHAR(80), src VARCHAR(80), dst VARCHAR(80), dcontext VARCHAR(80),
    clid VARCHAR(80), channel VARCHAR(80), dstchannel VARCHAR(80), lastapp VARCHAR(80),
    lastdata VARCHAR(80), start TIMESTAMP, answer TIMESTAMP, "end" TIMESTAMP, duration INTEGER,
    billsec INTEGER, disposition VARCHAR(45), amaflags VARCHAR(45), userfield VARCHAR(256),
    uniqueid VARCHAR(150), linkedid VARCHAR(150), peeraccount VARCHAR(80), sequence INTEGER)"""


@dataclass
class SourceTable:
    engine: Engine
    table: str

    def add(
        self,
        uniqueid: str,
        start: str,
        end: str,
        *,
        sequence: int = 0,
        answer: str | None = None,
        disposition: str = "NO ANSWER",
    ) -> None:
        """A row as cdr_adaptive_odbc inserts it (times as text: the database converts)."""
        duration = int(
            (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        )
        billsec = (
            int((datetime.fromisoformat(end) - datetime.fromisoformat(answer)).total_seconds())
            if answer
            else 0
        )
        with self.engine.begin() as connection:
            connection.execute(
                insert(table(self.table, *(column(name) for name in CDR_COLUMNS))),
                {
                    **BLANK,
                    "start": start,
                    "answer": answer,
                    "end": end,
                    "duration": duration,
                    "billsec": billsec,
                    "disposition": disposition,
                    "uniqueid": uniqueid,
                    "linkedid": uniqueid,
                    "sequence": sequence,
                },
            )

    def read(
        self, target: Engine, name: str, *, zone: tzinfo = UTC, lookback_s: int = LOOKBACK_S
    ) -> IngestReport:
        with self.engine.connect() as source, Session(target) as session, session.begin():
            return ingest_cdr_table(
                session, source, self.table, NOW, name=name, zone=zone, lookback_s=lookback_s
            )


@pytest.fixture
def cdr_table(
    request: pytest.FixtureRequest, engine_backend: str, tmp_path: Path
) -> Iterator[SourceTable]:
    """Asterisk's cdr table: in a SQLite file of its own, or in the PostgreSQL test database."""
    table = f"cdr_{secrets.token_hex(4)}"
    if engine_backend == "sqlite":
        source = create_engine(f"sqlite:///{tmp_path / 'asterisk-cdr.sqlite3'}")
    else:
        source = request.getfixturevalue("postgres_engine")
    with source.begin() as connection:
        connection.execute(text(CDR_DDL.format(table=table)))
    yield SourceTable(source, table)
    with source.begin() as connection:
        connection.execute(text(f"DROP TABLE {table}"))
    if engine_backend == "sqlite":
        source.dispose()


def test_a_cdr_table_is_read_by_time_with_late_rows_caught(
    engine: Engine, cdr_table: SourceTable
) -> None:
    name, a, b = f"cdrt-{secrets.token_hex(4)}", uid(), uid()
    cdr_table.add(a, "2026-11-22 10:00:00", "2026-11-22 10:05:00")
    cdr_table.add(b, "2026-11-22 10:05:30", "2026-11-22 10:06:00", answer="2026-11-22 10:05:31")
    first = cdr_table.read(engine, name)
    assert (first.stored, first.errors) == (2, [])
    # Written late: a dial attempt of a call that went on (it is inserted when the caller hangs
    # up), and a row of the same second as the last one read.
    attempt, same_second = uid(), uid()
    cdr_table.add(attempt, "2026-11-22 10:00:30", "2026-11-22 10:01:00")
    cdr_table.add(same_second, "2026-11-22 10:05:50", "2026-11-22 10:06:00")
    assert cdr_table.read(engine, name).stored == 2
    assert cdr_table.read(engine, name).stored == 0
    for call in (a, b, attempt, same_second):
        assert len(stored(engine, call)) == 1
    with Session(engine) as session:
        answered = session.scalars(select(CdrRecord).where(CdrRecord.uniqueid == b)).one()
    assert answered.answer_at == datetime(2026, 11, 22, 10, 5, 31, tzinfo=UTC)
    assert (answered.billsec_s, answered.source) == (29, f"table:{cdr_table.table}")
    # A reset cursor reads the whole table again and stores nothing twice.
    assert cdr_table.read(engine, f"{name}-reset").stored == 0


def test_the_look_back_bounds_how_late_a_row_may_come(
    engine: Engine, cdr_table: SourceTable
) -> None:
    name, first, too_late = f"cdrt-{secrets.token_hex(4)}", uid(), uid()
    cdr_table.add(first, "2026-11-22 10:00:00", "2026-11-22 10:10:00")
    assert cdr_table.read(engine, name, lookback_s=60).stored == 1
    cdr_table.add(too_late, "2026-11-22 10:00:00", "2026-11-22 10:08:00")  # 2 min before
    assert cdr_table.read(engine, name, lookback_s=60).stored == 0
    assert cdr_table.read(engine, name, lookback_s=300).stored == 1


def test_a_row_stamped_in_the_future_does_not_move_the_window_past_now(
    engine: Engine, cdr_table: SourceTable
) -> None:
    name, future, late = f"cdrt-{secrets.token_hex(4)}", uid(), uid()
    cdr_table.add(future, "2030-01-01 00:00:00", "2030-01-01 00:01:00")
    assert cdr_table.read(engine, name).stored == 1
    cdr_table.add(late, "2026-11-23 07:00:00", "2026-11-23 07:30:00")  # NOW is 08:00
    assert cdr_table.read(engine, name).stored == 1


def test_a_broken_row_is_reported_once_then_counted(engine: Engine, cdr_table: SourceTable) -> None:
    name, good, bad = f"cdrt-{secrets.token_hex(4)}", uid(), uid()
    cdr_table.add(good, "2026-11-22 10:00:00", "2026-11-22 10:01:00")
    cdr_table.add(bad, "2026-11-22 10:00:00", "2026-11-22 10:02:00", disposition="HUNG UP")
    report = cdr_table.read(engine, name)
    assert report.stored == 1
    [refused] = report.errors
    assert refused.line_number == 2  # its place in the read: the table has no ids
    assert refused.reason == "'HUNG UP' is not a disposition Asterisk writes"
    assert f"uniqueid={bad}" in str(refused)
    again = cdr_table.read(engine, name)
    assert (again.stored, again.errors) == (0, [])
    assert again.notes and again.notes[0].startswith("1 row(s) of the look-back window")


def test_local_times_of_a_table(engine: Engine, cdr_table: SourceTable) -> None:
    call = uid()
    cdr_table.add(call, "2026-11-22 18:00:00", "2026-11-22 18:01:00")
    cdr_table.read(engine, f"cdrt-{secrets.token_hex(4)}", zone=ZoneInfo("Asia/Shanghai"))
    with Session(engine) as session:
        start = session.scalar(select(CdrRecord.start_at).where(CdrRecord.uniqueid == call))
    assert start == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_a_freepbx_table_with_calldate(engine: Engine, tmp_path: Path) -> None:
    """FreePBX's asteriskcdrdb.cdr: ``calldate`` (start) and no answer or end column."""
    source = create_engine(f"sqlite:///{tmp_path / 'asteriskcdrdb.sqlite3'}")
    call = uid()
    with source.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE cdr (calldate DATETIME, clid VARCHAR(80), src VARCHAR(80), "
                "dst VARCHAR(80), dcontext VARCHAR(80), channel VARCHAR(80), "
                "dstchannel VARCHAR(80), lastapp VARCHAR(80), lastdata VARCHAR(80), "
                "duration INT, billsec INT, disposition VARCHAR(45), amaflags INT, "
                "accountcode VARCHAR(20), uniqueid VARCHAR(32), userfield VARCHAR(255), "
                "did VARCHAR(50), recordingfile VARCHAR(255), linkedid VARCHAR(32), "
                "sequence INT)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO cdr (calldate, src, dst, duration, billsec, disposition, amaflags, "
                "uniqueid, linkedid, sequence, did) VALUES ('2026-11-22 10:00:00', '5551234', "
                "'200', 70, 60, 'ANSWERED', 3, :uid, :uid, 7, '4008001234')"
            ),
            {"uid": call},
        )
    try:
        with source.connect() as connection, Session(engine) as session, session.begin():
            report = ingest_cdr_table(
                session, connection, "cdr", NOW, name=f"cdrt-{secrets.token_hex(4)}", zone=UTC
            )
    finally:
        source.dispose()
    assert (report.stored, report.errors) == (1, [])
    with Session(engine) as session:
        record = session.scalars(select(CdrRecord).where(CdrRecord.uniqueid == call)).one()
    assert record.end_at == datetime(2026, 11, 22, 10, 1, 10, tzinfo=UTC)
    assert record.answer_at == datetime(2026, 11, 22, 10, 0, 10, tzinfo=UTC)
    assert (record.amaflags, record.dstchannel, record.sequence) == ("DOCUMENTATION", "", 7)


def test_a_table_name_is_checked_and_never_pasted_into_sql(
    engine: Engine, cdr_table: SourceTable
) -> None:
    with pytest.raises(ValueError, match="is not a table name"):
        _read_named(engine, cdr_table, f"{cdr_table.table}; DROP TABLE {cdr_table.table}")
    with pytest.raises(LookupError, match="does not exist"):
        _read_named(engine, cdr_table, "no_such_cdr_table")
    with cdr_table.engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(table(cdr_table.table)))
    assert count == 0  # still there


def _read_named(engine: Engine, cdr_table: SourceTable, table: str) -> IngestReport:
    with cdr_table.engine.connect() as source, Session(engine) as session, session.begin():
        return ingest_cdr_table(session, source, table, NOW, name="cdrt-named", zone=UTC)


def test_stored_records_count(engine: Engine, cdr_table: SourceTable) -> None:
    calls = [uid() for _ in range(5)]
    for n, call in enumerate(calls):
        cdr_table.add(call, f"2026-11-22 11:0{n}:00", f"2026-11-22 11:0{n}:30")
    assert cdr_table.read(engine, f"cdrt-{secrets.token_hex(4)}").stored == 5
    with Session(engine) as session:
        total = session.scalar(
            select(func.count()).select_from(CdrRecord).where(CdrRecord.uniqueid.in_(calls))
        )
    assert total == 5


def test_a_caller_name_with_a_line_break_is_one_record(engine: Engine, tmp_path: Path) -> None:
    """Asterisk writes a caller name holding a line break as it is, inside its quotes."""
    first, second, third = uid(), uid(), uid()
    broken = line(second).replace('"""Ann"" <5551234>"', '"""Ann\nLee"" <5551234>"')
    unclosed = line(third).replace('"""Ann"" <5551234>"', '"""Ann')
    path = tmp_path / "Master.csv"
    path.write_text(line(first) + broken + line(first, seq=1), encoding="utf-8")
    assert run_file(engine, path, f"cdr-{first}") == (3, [])
    with Session(engine) as session:
        clid = session.scalar(select(CdrRecord.clid).where(CdrRecord.uniqueid == second))
    assert clid == '"Ann\nLee" <5551234>'
    with path.open("a", encoding="utf-8") as csv_file:
        csv_file.write(unclosed)  # a quote that never closes: refused by its line number
    stored_count, errors = run_file(engine, path, f"cdr-{first}")
    assert stored_count == 0 and [number for number, _ in errors] == [5]
