"""The morning report, end to end: the scheduler is down when the daily pack is due; when it
comes back it makes yesterday's pack once and mails it through a real SMTP server on loopback,
in English and Chinese, with the charts inline and the PDF and workbook attached; a further
restart sends nothing again."""

from __future__ import annotations

import io
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from openpyxl import load_workbook
from sqlalchemy import select

from asterisk_cc.config import DatabaseSettings
from asterisk_cc.core.vocabulary import ReportStatus
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import ReportRun
from asterisk_cc.db.queue_calls import rebuild_queue_calls
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from asterisk_cc.reports.scheduler import JobScheduler, JobSpec
from tests.smtp_fixtures import SmtpServer

GOLDEN = Path(__file__).parent.parent / "golden" / "queue_log_day"
GOLDEN_MIDNIGHT = 1795305600  # the golden file's day, 2026-11-22 00:00 UTC


def shifted_golden(tmp_path: Path, midnight: datetime) -> Path:
    """The golden day moved to ``midnight`` (yesterday: the job reports on yesterday)."""
    offset = int(midnight.timestamp()) - GOLDEN_MIDNIGHT
    lines = []
    for line in GOLDEN.read_text().splitlines():
        epoch, rest = line.split("|", 1)
        lines.append(f"{int(epoch) + offset}|{rest}")
    path = tmp_path / "queue_log"
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_for(condition: object, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout_s} s for {what}")
        time.sleep(0.1)


def test_a_pack_missed_while_down_is_mailed_once_when_the_scheduler_is_back(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    database = DatabaseSettings(url=f"sqlite:///{tmp_path / 'cc.sqlite3'}")
    engine = make_engine(database)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        ingest_queue_log_file(session, shifted_golden(tmp_path, yesterday), now)
        rebuild_queue_calls(session)
    config = tmp_path / "asterisk-cc.toml"
    config.write_text(
        f'[database]\nurl = "{database.url}"\n'
        '[site]\ntimezone = "UTC"\nname = "Shanghai Care"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsender = "cc@example.test"\n'
        '[reports]\nrecipients = ["lead@example.test", "ops@example.test"]\n'
        'languages = ["en", "zh"]\nformats = ["html", "pdf", "xlsx", "csv"]\n'
        f'output_dir = "{tmp_path / "packs"}"\ninterval_min = 60\nqueue_log_file = ""\n',
        encoding="utf-8",
    )
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    trigger = CronTrigger(hour=due.hour, minute=due.minute, second=due.second, timezone=UTC)
    spec = JobSpec(
        "daily_pack", "asterisk_cc.reports.jobs:daily_pack", trigger, {"config_path": str(config)}
    )

    def scheduler() -> JobScheduler:
        return JobScheduler(database, timezone=UTC, misfire_grace_s=3600, table="jobs")

    first = scheduler()
    first.start([spec])
    first.shutdown()  # down before the pack is due ...
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 1)
    assert smtp_server.received == []

    back = scheduler()  # ... and back after: the missed run is made now
    try:
        back.start([spec])
        wait_for(lambda: len(smtp_server.received) == 2, "the two mails (en, zh)")
    finally:
        back.shutdown()

    day = yesterday.date().isoformat()
    by_language = {}
    for received in smtp_server.received:
        assert set(received.rcpt_tos) == {"lead@example.test", "ops@example.test"}
        by_language["zh" if "日报" in received.message["Subject"] else "en"] = received.message
    assert set(by_language) == {"en", "zh"}
    english = by_language["en"]
    assert day in english["Subject"] and "Shanghai Care" in english["Subject"]
    html = english.get_body(("html",))
    assert html is not None
    inline = [p for p in english.walk() if p.get_content_type() == "image/png"]
    assert len(inline) == 3  # the three interval charts, referenced from the HTML by cid
    for image in inline:
        assert f"cid:{image['Content-ID'].strip('<>')}" in html.get_content()
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    attachments = {part.get_filename(): part for part in english.iter_attachments()}
    pdf = attachments[f"pack-{day}-en.pdf"].get_content()
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Service level" in text and "33.3 %" in text  # 4 of 12 within 20 s
    workbook = load_workbook(io.BytesIO(attachments[f"pack-{day}-en.xlsx"].get_content()))
    assert len(workbook.sheetnames) >= 5
    chinese_pdf = {p.get_filename(): p for p in by_language["zh"].iter_attachments()}[
        f"pack-{day}-zh.pdf"
    ].get_content()
    chinese = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=chinese_pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "服务水平" in chinese and "33.3 %" in chinese

    again = scheduler()  # a further restart: nothing missed, nothing sent again
    try:
        again.start([spec])
        time.sleep(2)
    finally:
        again.shutdown()
    assert len(smtp_server.received) == 2
    with session_factory(engine)() as session:
        runs = list(session.scalars(select(ReportRun).where(ReportRun.report == "daily_pack")))
    assert [run.status for run in runs] == [ReportStatus.SUCCEEDED]
    assert Path(runs[0].output_path or "").is_dir()
    engine.dispose()


@pytest.fixture(autouse=True)
def _mpl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
