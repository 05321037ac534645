"""queue_log ingestion: following the file as it grows, a half-written line, broken lines
reported by number, rotation and copytruncate, and runs that never store a line twice."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from asterisk_cc.db.models import QueueLogEvent
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ENTER = "1795354843|{call}|support|NONE|ENTERQUEUE||5551234|1\n"
CONNECT = "1795354845|{call}|support|Agent One|CONNECT|2|1795354843.4|1\n"
COMPLETE = "1795354900|{call}|support|Agent One|COMPLETEAGENT|2|55|1\n"


def lines_for(call: str) -> str:
    return (ENTER + CONNECT + COMPLETE).format(call=call)


def run(engine: Engine, path: Path, name: str) -> tuple[int, list[tuple[int, str]]]:
    with Session(engine) as session, session.begin():
        report = ingest_queue_log_file(session, path, NOW, name=name)
        return report.stored, [(e.line_number, e.reason) for e in report.errors]


def stored(engine: Engine, call: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(QueueLogEvent.event)
                .where(QueueLogEvent.callid == call)
                .order_by(QueueLogEvent.id)
            )
        )


def test_the_file_is_followed_as_it_grows_and_never_read_twice(
    engine: Engine, tmp_path: Path
) -> None:
    name, call = f"ql-{secrets.token_hex(4)}", f"1.{secrets.token_hex(3)}"
    path = tmp_path / "queue_log"
    path.write_text(ENTER.format(call=call) + CONNECT.format(call=call)[:20], encoding="utf-8")
    assert run(engine, path, name) == (1, [])  # the half-written CONNECT waits
    with path.open("a", encoding="utf-8") as log:
        log.write(CONNECT.format(call=call)[20:] + COMPLETE.format(call=call))
    assert run(engine, path, name) == (2, [])
    assert run(engine, path, name) == (0, [])  # nothing new: nothing stored again
    assert stored(engine, call) == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    with Session(engine) as session:
        connect = session.scalars(
            select(QueueLogEvent).where(
                QueueLogEvent.callid == call, QueueLogEvent.event == "CONNECT"
            )
        ).one()
        assert (connect.data1, connect.data2, connect.data3, connect.data4) == (
            "2",
            "1795354843.4",
            "1",
            None,
        )
        assert connect.at == datetime(2026, 11, 22, 13, 40, 45, tzinfo=UTC)


def test_broken_lines_are_reported_by_number_and_the_rest_is_stored(
    engine: Engine, tmp_path: Path
) -> None:
    name, call = f"ql-{secrets.token_hex(4)}", f"2.{secrets.token_hex(3)}"
    path = tmp_path / "queue_log"
    path.write_bytes(
        (
            ENTER.format(call=call) + "1795354844|truncated\n" + "\n" + CONNECT.format(call=call)
        ).encode()
        + b"1795354846|\xff\xfe|q|A|PAUSE|bad bytes\n"
        + COMPLETE.format(call=call).encode()
    )
    count, errors = run(engine, path, name)
    assert count == 4
    assert errors == [(2, "fewer than 5 fields (truncated?)")]
    assert stored(engine, call) == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    # Line numbers go on from the cursor in the next run.
    with path.open("a", encoding="utf-8") as log:
        log.write("1795354950|x|q|A|CONNECT|1\n")
    assert run(engine, path, name) == (
        0,
        [(7, "CONNECT has 3 data fields, this line 1 (truncated?)")],
    )


def test_rotation_reads_the_rest_of_the_old_file_then_the_new_one(
    engine: Engine, tmp_path: Path
) -> None:
    name = f"ql-{secrets.token_hex(4)}"
    before, late, after = (f"3.{secrets.token_hex(3)}" for _ in range(3))
    path = tmp_path / "queue_log"
    path.write_text(lines_for(before), encoding="utf-8")
    assert run(engine, path, name)[0] == 3
    # Asterisk wrote one more call, then logrotate moved the file and a new one began.
    with path.open("a", encoding="utf-8") as log:
        log.write(lines_for(late))
    path.rename(tmp_path / "queue_log.1")
    path.write_text(lines_for(after), encoding="utf-8")
    with Session(engine) as session, session.begin():
        report = ingest_queue_log_file(session, path, NOW, name=name)
    assert report.rotated and report.rotated_from == tmp_path / "queue_log.1"
    assert report.stored == 6 and not report.errors
    for call in (before, late, after):
        assert stored(engine, call) == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]


def test_a_file_cut_short_in_place_is_read_from_its_start(engine: Engine, tmp_path: Path) -> None:
    name, first, second = f"ql-{secrets.token_hex(4)}", "4.a", f"4.{secrets.token_hex(3)}"
    path = tmp_path / "queue_log"
    path.write_text(lines_for(first) * 3, encoding="utf-8")
    run(engine, path, name)
    path.write_text(lines_for(second), encoding="utf-8")  # copytruncate, then new lines
    with Session(engine) as session, session.begin():
        report = ingest_queue_log_file(session, path, NOW, name=name)
    assert report.stored == 3 and "cut short" in report.notes[0]
    assert stored(engine, second) == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]


def test_a_failed_run_stores_nothing_and_the_next_run_reads_it_all(
    engine: Engine, tmp_path: Path
) -> None:
    name, call = f"ql-{secrets.token_hex(4)}", f"5.{secrets.token_hex(3)}"
    path = tmp_path / "queue_log"
    path.write_text(lines_for(call), encoding="utf-8")
    with Session(engine) as session:
        session.begin()
        ingest_queue_log_file(session, path, NOW, name=name)
        session.rollback()  # e.g. the database went away before the commit
    assert stored(engine, call) == []
    assert run(engine, path, name)[0] == 3
    with Session(engine) as session:
        total = session.scalar(
            select(func.count()).select_from(QueueLogEvent).where(QueueLogEvent.callid == call)
        )
    assert total == 3


def test_a_missing_file_is_said_not_failed(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session, session.begin():
        report = ingest_queue_log_file(session, tmp_path / "nope", NOW, name="ql-missing")
    assert report.stored == 0 and "does not exist" in report.notes[0]
