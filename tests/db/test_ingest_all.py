"""Every configured source read, each in its own transaction: the queue_log sources, then the
calls in queues rebuilt, then the CDR sources; a source that fails is reported and the others
are still stored."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, column, create_engine, func, insert, select, table, text
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.config import ReportsSettings, Settings, SiteSettings
from asterisk_cc.db.models import CdrRecord, QueueCall, QueueLogEvent
from asterisk_cc.reports.ingest import ingest_all

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
QUEUE_LOG = (
    "1795354843|{call}|support|NONE|ENTERQUEUE||5551234|1\n"
    "1795354845|{call}|support|Agent One|CONNECT|2|1795354843.4|1\n"
    "1795354900|{call}|support|Agent One|COMPLETEAGENT|2|55|1\n"
)
CDR_LINE = (
    '"","5551234","200","from-pstn","","PJSIP/trunk-1","PJSIP/200-2","Dial","PJSIP/200",'
    '"2026-11-22 09:00:00","2026-11-22 09:00:05","2026-11-22 09:01:05",65,60,"ANSWERED",'
    '"DOCUMENTATION","{uid}",""\n'
)


def asterisk_database(path: Path, call: str, uid: str) -> str:
    """A SQLite database as Asterisk's realtime queue_log and cdr_adaptive_odbc fill it."""
    source = create_engine(f"sqlite:///{path}")
    with source.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE queue_log (id INTEGER PRIMARY KEY AUTOINCREMENT, time TIMESTAMP, "
                "callid VARCHAR(80), queuename VARCHAR(256), agent VARCHAR(80), event VARCHAR(32), "
                "data1 VARCHAR(100), data2 VARCHAR(100), data3 VARCHAR(100), data4 VARCHAR(100), "
                "data5 VARCHAR(100))"
            )
        )
        connection.execute(
            text(
                'CREATE TABLE cdr (src VARCHAR(80), dst VARCHAR(80), start TIMESTAMP, "end" '
                "TIMESTAMP, answer TIMESTAMP, duration INTEGER, billsec INTEGER, "
                "disposition VARCHAR(45), uniqueid VARCHAR(150), sequence INTEGER)"
            )
        )
        names = ("time", "callid", "queuename", "agent", "event")
        connection.execute(
            insert(table("queue_log", *(column(name) for name in names))),
            {
                "time": "2026-11-22 13:41:00",
                "callid": call,
                "queuename": "support",
                "agent": "Agent One",
                "event": "PAUSE",
            },
        )
        names = ("src", "dst", "start", "end", "duration", "billsec", "disposition", "uniqueid")
        connection.execute(
            insert(table("cdr", *(column(name) for name in names))),
            {
                "src": "5551234",
                "dst": "300",
                "start": "2026-11-22 10:00:00",
                "end": "2026-11-22 10:00:09",
                "duration": 9,
                "billsec": 0,
                "disposition": "BUSY",
                "uniqueid": uid,
            },
        )
    source.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Settings, str, str]:
    call, uid = f"21.{secrets.token_hex(3)}", f"1795354923.{secrets.randbelow(10**9)}"
    (tmp_path / "queue_log").write_text(QUEUE_LOG.format(call=call), encoding="utf-8")
    (tmp_path / "Master.csv").write_text(CDR_LINE.format(uid=uid), encoding="utf-8")
    url = asterisk_database(tmp_path / "asterisk.sqlite3", call, uid)
    settings = Settings(
        site=SiteSettings(timezone="UTC"),
        reports=ReportsSettings(
            queue_log_file=str(tmp_path / "queue_log"),
            queue_log_table_url=url,
            queue_log_table="queue_log",
            cdr_csv_file=str(tmp_path / "Master.csv"),
            cdr_table_url=url,
            cdr_table="cdr",
        ),
    )
    return settings, call, uid


def counts(engine: Engine, call: str, uid: str) -> tuple[int, int]:
    with Session(engine) as session:
        events = session.scalar(
            select(func.count()).select_from(QueueLogEvent).where(QueueLogEvent.callid == call)
        )
        cdrs = session.scalar(
            select(func.count()).select_from(CdrRecord).where(CdrRecord.uniqueid == uid)
        )
    return int(events or 0), int(cdrs or 0)


def test_every_source_is_read_and_the_calls_rebuilt_between(
    engine: Engine, sources: tuple[Settings, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, call, uid = sources
    seen_by_rebuild: list[tuple[int, int]] = []

    def rebuild(session: Session) -> int:
        # Called after the queue_log sources were committed, before the CDRs were read.
        seen_by_rebuild.append(counts(engine, call, uid))
        return 7

    monkeypatch.setattr("asterisk_cc.db.queue_calls.rebuild_queue_calls", rebuild)
    reports = ingest_all(sessionmaker(bind=engine), settings, NOW)
    assert [(r.source.split(" ")[:2], r.stored, r.failure) for r in reports] == [
        (["queue_log", "file"], 3, None),
        (["queue_log", "table"], 1, None),
        (["queue_calls", "(rebuilt"], 7, None),
        (["CDR", "file"], 1, None),
        (["CDR", "table"], 1, None),
    ]
    assert seen_by_rebuild == [(4, 0)]
    assert counts(engine, call, uid) == (4, 2)
    assert all(r.ok for r in reports)
    # The passwords of source URLs are never shown; the table's database is named.
    assert reports[1].source.startswith("queue_log table queue_log in sqlite:///")
    assert reports[1].numbered_by == "row id" and reports[0].numbered_by == "line"
    # A second run finds nothing new.
    again = ingest_all(sessionmaker(bind=engine), settings, NOW)
    assert [r.stored for r in again] == [0, 0, 7, 0, 0]


def test_a_failing_source_is_reported_and_the_others_still_stored(
    engine: Engine,
    sources: tuple[Settings, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, call, uid = sources
    monkeypatch.setattr("asterisk_cc.db.queue_calls.rebuild_queue_calls", lambda session: 0)
    (tmp_path / "a-directory").mkdir()
    broken = Settings(
        site=settings.site,
        reports=ReportsSettings(
            queue_log_file=str(tmp_path / "a-directory"),  # cannot be read as a file
            queue_log_table_url=settings.reports.queue_log_table_url,
            queue_log_table="queue_log",
            cdr_csv_file=settings.reports.cdr_csv_file,
            cdr_table_url=f"sqlite:///{tmp_path / 'gone.sqlite3'}",  # unreachable
            cdr_table="cdr",
        ),
    )
    reports = {
        r.source.split(" in ")[0]: r for r in ingest_all(sessionmaker(bind=engine), broken, NOW)
    }
    file_failure = reports[f"queue_log file {tmp_path / 'a-directory'}"]
    assert file_failure.failure is not None and file_failure.failure.startswith("cannot be read")
    assert not file_failure.unreachable
    table_failure = reports["CDR table cdr"]
    assert table_failure.unreachable and "does not exist" in (table_failure.failure or "")
    assert not (tmp_path / "gone.sqlite3").exists()  # never created by reading it
    assert reports["queue_log table queue_log"].stored == 1
    assert reports[f"CDR file {tmp_path / 'Master.csv'}"].stored == 1
    assert counts(engine, call, uid) == (1, 1)


def test_a_bad_table_name_fails_that_source_alone(
    engine: Engine, sources: tuple[Settings, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, call, uid = sources
    monkeypatch.setattr("asterisk_cc.db.queue_calls.rebuild_queue_calls", lambda session: 0)
    reports_settings = ReportsSettings(
        queue_log_file="",
        queue_log_table_url=settings.reports.queue_log_table_url,
        queue_log_table="queue_log; DELETE FROM queue_log",
        cdr_csv_file="",
        cdr_table_url=settings.reports.cdr_table_url,
        cdr_table="cdr",
    )
    reports = ingest_all(
        sessionmaker(bind=engine), Settings(site=settings.site, reports=reports_settings), NOW
    )
    assert [(r.stored, r.unreachable) for r in reports] == [(0, False), (0, False), (1, False)]
    assert "is not a table name" in (reports[0].failure or "")
    assert counts(engine, call, uid) == (0, 1)


def test_nothing_configured_reads_nothing(engine: Engine) -> None:
    empty = ReportsSettings(queue_log_file="", cdr_csv_file="")
    assert ingest_all(sessionmaker(bind=engine), Settings(reports=empty), NOW) == []


def test_a_source_url_that_is_not_a_url_fails_that_source_alone(
    engine: Engine, sources: tuple[Settings, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _, _ = sources
    monkeypatch.setattr("asterisk_cc.db.queue_calls.rebuild_queue_calls", lambda session: 0)
    reports = ingest_all(
        sessionmaker(bind=engine),
        Settings(
            reports=ReportsSettings(
                queue_log_file=settings.reports.queue_log_file,
                cdr_csv_file="",
                cdr_table_url="::nope",
            )
        ),
        NOW,
    )
    assert [(r.source, r.stored) for r in reports[1:]] == [
        ("queue_calls (rebuilt from the queue_log events)", 0),
        ("CDR table cdr", 0),
    ]
    assert reports[0].stored == 3
    failure = reports[2].failure or ""
    assert failure.startswith("[reports] cdr_table_url is not a database URL")
    assert "::nope" not in failure  # a URL may hold a password: never echoed


def test_the_calls_in_queues_are_built_from_what_was_read(
    engine: Engine, sources: tuple[Settings, str, str]
) -> None:
    settings, call, _ = sources
    reports = ingest_all(sessionmaker(bind=engine), settings, NOW)
    assert reports[2].failure is None
    with Session(engine) as session:
        visit = session.scalars(select(QueueCall).where(QueueCall.callid == call)).one()
    assert (visit.queue, visit.agent) == ("support", "Agent One")
