"""``asterisk-cc ingest``, ``ingest queue-log`` and ``ingest cdr`` on a real (temporary SQLite)
database: what they print and the exit codes scripts rely on."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from asterisk_cc.config import DatabaseSettings, ReportsSettings, Settings
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import CdrRecord, QueueLogEvent
from asterisk_cc.errors import DatabaseError
from asterisk_cc.reports.ingest import RefusedRecord, SourceReport
from asterisk_cc.reports.ingest_cli import add_ingest_parser, exit_code

QUEUE_LOG = (
    "1795354843|31.1|support|NONE|ENTERQUEUE||5551234|1\n"
    "1795354844|31.1|support|truncated\n"
    "1795354900|31.1|support|NONE|ABANDON|1|1|57\n"
)
CDR = (
    '"","5551234","200","from-pstn","","PJSIP/trunk-1","PJSIP/200-2","Dial","PJSIP/200",'
    '"2026-11-22 09:00:00","2026-11-22 09:00:05","2026-11-22 09:01:05",65,60,"ANSWERED",'
    '"DOCUMENTATION","31.{n}",""\n'
)


@pytest.fixture(autouse=True)
def rebuilt_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The calls in queues are rebuilt by their own module (tested there): here, one call."""
    monkeypatch.setattr("asterisk_cc.db.queue_calls.rebuild_queue_calls", lambda session: 1)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    path = tmp_path / "cc.sqlite3"
    database = DatabaseSettings(url=f"sqlite:///{path}")
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    (tmp_path / "queue_log").write_text(QUEUE_LOG, encoding="utf-8")
    (tmp_path / "Master.csv").write_text(CDR.format(n=1) + CDR.format(n=2), encoding="utf-8")
    yield Settings(
        database=database,
        reports=ReportsSettings(
            queue_log_file=str(tmp_path / "queue_log"), cdr_csv_file=str(tmp_path / "Master.csv")
        ),
        source=str(tmp_path / "asterisk-cc.toml"),
    )


def run(settings: Settings, *argv: str) -> int:
    """The commands as ``asterisk-cc`` wires them (cli.py is not edited here)."""
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(prog="asterisk-cc")
    sub = parser.add_subparsers(dest="command", required=True)
    add_ingest_parser(sub, common, lambda args: settings)
    args = parser.parse_args(argv)
    return int(args.func(args))


def stored(settings: Settings) -> tuple[int, int]:
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            events = session.scalar(select(func.count()).select_from(QueueLogEvent))
            cdrs = session.scalar(select(func.count()).select_from(CdrRecord))
    finally:
        engine.dispose()
    return int(events or 0), int(cdrs or 0)


def test_ingest_reads_every_source_and_reports_refused_lines(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "ingest") == 2  # a line was refused, the others stored
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"queue_log file {tmp_path / 'queue_log'}: 2 stored, 1 refused",
        "  line 2: fewer than 5 fields (truncated?)",
        "queue_calls (rebuilt from the queue_log events): 1 stored",
        f"CDR file {tmp_path / 'Master.csv'}: 2 stored",
    ]
    assert stored(settings) == (2, 2)
    # Nothing new: nothing stored again, and the refused line is not read again.
    assert run(settings, "ingest") == 0
    assert "queue_log: 0 stored" in capsys.readouterr().out
    assert stored(settings) == (2, 2)


def test_one_kind_or_one_file(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "ingest", "cdr") == 0
    assert capsys.readouterr().out == f"CDR file {tmp_path / 'Master.csv'}: 2 stored\n"
    assert stored(settings) == (0, 2)
    other = tmp_path / "other.csv"
    other.write_text(CDR.format(n=3).replace(" 09:", " 10:"), encoding="utf-8")
    assert run(settings, "ingest", "cdr", "--file", str(other), "--zone", "Asia/Shanghai") == 0
    assert capsys.readouterr().out == f"CDR file {other}: 1 stored\n"
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            start = session.scalar(select(CdrRecord.start_at).where(CdrRecord.uniqueid == "31.3"))
    finally:
        engine.dispose()
    assert start is not None and (start.hour, start.minute) == (2, 0)  # 10:00 in UTC+8
    assert run(settings, "ingest", "queue-log", "--file", str(tmp_path / "queue_log")) == 2
    assert stored(settings) == (2, 3)


def test_wrong_options_are_refused(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "ingest", "cdr", "--zone", "Mars/Olympus") == 2
    assert "--zone 'Mars/Olympus' is not an IANA time zone" in capsys.readouterr().err
    assert run(settings, "ingest", "queue-log", "--file", str(tmp_path / "nope")) == 2
    assert "no such file" in capsys.readouterr().err
    assert stored(settings) == (0, 0)


def test_a_source_that_cannot_be_read(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-directory").mkdir()
    unreadable = replace(
        settings,
        reports=replace(settings.reports, queue_log_file=str(tmp_path / "a-directory")),
    )
    assert run(unreadable, "ingest") == 1
    assert f"queue_log file {tmp_path / 'a-directory'}: NOT READ: cannot be read" in (
        capsys.readouterr().out
    )
    assert stored(settings) == (0, 2)  # the CDRs were still read
    gone = replace(
        settings,
        reports=replace(
            settings.reports,
            cdr_csv_file="",
            cdr_table_url=f"sqlite:///{tmp_path / 'gone.sqlite3'}",
        ),
    )
    assert run(gone, "ingest", "cdr") == 3
    assert "CDR table cdr in sqlite:///" in capsys.readouterr().out


def test_the_projects_database_unreachable(settings: Settings, tmp_path: Path) -> None:
    elsewhere = replace(
        settings, database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    )
    with pytest.raises(DatabaseError, match="db upgrade") as failure:
        run(elsewhere, "ingest")
    assert failure.value.exit_code == 3


def test_nothing_configured(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    empty = replace(settings, reports=ReportsSettings(queue_log_file="", cdr_csv_file=""))
    assert run(empty, "ingest", "queue-log") == 0
    assert "nothing to read: [reports] queue_log_file, queue_log_table_url" in (
        capsys.readouterr().err
    )


def test_exit_codes_worst_first() -> None:
    refused = SourceReport("a", errors=(RefusedRecord(1, "bad"),))
    failed = SourceReport("b", failure="cannot be read")
    unreachable = SourceReport("c", failure="cannot be reached", unreachable=True)
    assert exit_code([SourceReport("ok", stored=3)]) == 0
    assert exit_code([SourceReport("ok"), refused]) == 2
    assert exit_code([refused, failed]) == 1
    assert exit_code([refused, failed, unreachable]) == 3
    assert exit_code([]) == 0
