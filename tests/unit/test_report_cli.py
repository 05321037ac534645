"""``asterisk-cc report ...`` on a temporary SQLite database holding the golden queue_log day:
KPIs of a range by queue, interval and week, bad dates refused, runs recorded."""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asterisk_cc.config import DatabaseSettings, ReportsSettings, Settings, SiteSettings
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.queue_calls import rebuild_queue_calls
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from asterisk_cc.reports.report_cli import add_report_parser

GOLDEN = Path(__file__).parent.parent / "golden" / "queue_log_day"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    path = tmp_path_factory.mktemp("report-cli") / "cc.sqlite3"
    database = DatabaseSettings(url=f"sqlite:///{path}")
    engine = make_engine(database)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        ingest_queue_log_file(session, GOLDEN, datetime(2026, 11, 23, tzinfo=UTC))
        rebuild_queue_calls(session)
    engine.dispose()
    yield Settings(
        database=database,
        site=SiteSettings(timezone="UTC"),
        reports=ReportsSettings(interval_min=60, output_dir=str(path.parent / "out")),
        source=str(path.parent / "asterisk-cc.toml"),
    )


def run(settings: Settings, *argv: str) -> int:
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(prog="asterisk-cc")
    sub = parser.add_subparsers(dest="command", required=True)
    add_report_parser(sub, common, lambda args: settings)
    args = parser.parse_args(argv)
    return int(args.func(args))


def csv_rows(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_kpis_by_queue_match_the_golden_day(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "report", "kpis", "--from", "2026-11-22", "--by", "queue", "--csv") == 0
    rows = {row["queue"]: row for row in csv_rows(capsys)}
    assert (rows["support"]["offered"], rows["support"]["answered"]) == ("12", "6")
    assert rows["support"]["service_level"] == "33.3%"
    assert rows["support"]["abandon_rate"] == "9.1%"
    assert (rows["sales"]["offered"], rows["sales"]["answered"]) == ("1", "1")


def test_kpis_by_interval_and_by_week_count_calls(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        settings,
        "report",
        "kpis",
        "--from",
        "2026-11-21",
        "--to",
        "2026-11-22",
        "--by",
        "interval",
        "--csv",
    )
    rows = {row["interval"]: row for row in csv_rows(capsys)}
    assert rows["2026-11-21 23:00"]["offered"] == "1"  # c12, the day before
    assert rows["2026-11-22 00:00"]["offered"] == "11"
    assert rows["2026-11-22 23:00"]["offered"] == "1"
    run(
        settings,
        "report",
        "kpis",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-22",
        "--by",
        "week",
        "--csv",
    )
    (week,) = csv_rows(capsys)
    assert (week["week"], week["offered"], week["answered"]) == ("2026-W47", "13", "7")


def test_bad_input_is_named(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(settings, "report", "kpis", "--from", "22/11/2026")
    assert "is not a date: write it as YYYY-MM-DD" in capsys.readouterr().err
    assert run(settings, "report", "kpis", "--from", "2026-11-22", "--to", "2026-11-01") == 2
    assert "before --from" in capsys.readouterr().err


def test_runs_are_recorded_and_listed(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    run(settings, "report", "kpis", "--from", "2026-11-22", "--by", "agent")
    capsys.readouterr()
    assert run(settings, "report", "runs") == 0
    listing = capsys.readouterr().out
    assert "kpis:agent" in listing and "2026-11-22" in listing and "succeeded" in listing
