"""The scheduler on a real database (SQLite file and PostgreSQL): a run missed while it was
down runs once when it is back within the grace time and not again after; missed runs
coalesce; a run older than the grace time is skipped and said so; the stored jobs follow the
configuration without losing a pending run; a failing job stops nothing; SIGTERM and SIGINT
end the process with 0 after the running job; an unusable database is exit 3.

Cron triggers with seconds keep each test to a few seconds of wall time. Jobs are the probe
functions of tests/scheduler_probe.py, which leave one line per run in a file.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, MetaData, Table, select
from sqlalchemy.orm import Session

from asterisk_cc.config import (
    DatabaseSettings,
    SchedulerSettings,
    Settings,
    SiteSettings,
    load_settings,
)
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.models import QueueLogEvent
from asterisk_cc.errors import ConfigError
from asterisk_cc.reports import jobs
from asterisk_cc.reports.jobs import site_day
from asterisk_cc.reports.scheduler import (
    JOBSTORE_TABLE,
    JobScheduler,
    JobSpec,
    JobStatus,
    configured_jobs,
    run_scheduler,
    serve_jobs,
    stored_jobs,
)
from tests.scheduler_probe import runs

SOURCE = "/etc/asterisk-cc/asterisk-cc.toml"
WAIT_S = 10.0


# --- helpers ------------------------------------------------------------------------------------


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def database(engine: Engine) -> DatabaseSettings:
    return DatabaseSettings(url=url_of(engine))


@pytest.fixture
def table(database: DatabaseSettings) -> Iterator[str]:
    """A job table of this test's own in the shared database; dropped afterwards."""
    name = f"scheduler_jobs_{secrets.token_hex(4)}"
    yield name
    drop_table(database, name)


def drop_table(database: DatabaseSettings, name: str) -> None:
    engine = make_engine(database)
    try:
        Table(name, MetaData()).drop(engine, checkfirst=True)
    finally:
        engine.dispose()


def settings_for(database: DatabaseSettings, *, grace_s: int = 60, tz: str = "UTC") -> Settings:
    return Settings(
        database=database,
        site=SiteSettings(timezone=tz),
        scheduler=SchedulerSettings(misfire_grace_s=grace_s),
        source=SOURCE,
    )


def scheduler(database: DatabaseSettings, table: str, *, grace_s: int = 60) -> JobScheduler:
    """A new scheduler, as a restarted process would make it."""
    return JobScheduler(database, timezone=UTC, misfire_grace_s=grace_s, table=table)


def start_and_stop(sched: JobScheduler, specs: list[JobSpec]) -> list[JobStatus]:
    try:
        return sched.start(specs)
    finally:
        sched.shutdown()


def second_ahead(seconds: int) -> datetime:
    """A whole second at least ``seconds`` from now (cron triggers fire on whole seconds)."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds + 1)


def daily_at(moment: datetime) -> CronTrigger:
    return CronTrigger(hour=moment.hour, minute=moment.minute, second=moment.second, timezone=UTC)


def probe(job_id: str, func: str, trigger: CronTrigger, path: Path, label: str) -> JobSpec:
    return JobSpec(
        job_id, f"tests.scheduler_probe:{func}", trigger, {"path": str(path), "label": label}
    )


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {WAIT_S} s for {what}")
        time.sleep(0.05)


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


# --- (a) a run missed while down runs once --------------------------------------------------------


def test_a_daily_run_missed_while_down_runs_once_when_back_and_not_again(
    database: DatabaseSettings, table: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path = tmp_path / "runs"
    due = second_ahead(3)
    spec = probe("daily_pack", "record", daily_at(due), path, "pack")

    [added] = start_and_stop(scheduler(database, table), [spec])
    assert (added.action, added.next_run_time) == ("added", due)

    sleep_until(due + timedelta(seconds=1))  # the scheduler is down at the job's time
    assert runs(path) == []

    back = scheduler(database, table)
    try:
        [status] = back.start([spec])
        assert status.action == "kept"  # not re-added: that would forget the missed run
        assert (status.last_missed_at, status.missed_runs, status.runs_now) == (due, 1, True)
        assert status.next_run_time == due + timedelta(days=1)
        wait_for(lambda: runs(path) == ["pack"], "the missed run")
    finally:
        back.shutdown()
    assert f"missed run at {due.isoformat()} will run now" in "\n".join(messages(caplog))

    [again] = start_and_stop(scheduler(database, table), [spec])
    assert (again.action, again.last_missed_at) == ("kept", None)
    assert again.next_run_time == due + timedelta(days=1)
    assert runs(path) == ["pack"]


# --- (b) missed runs coalesce -----------------------------------------------------------------


def test_two_missed_runs_of_a_job_run_once(
    database: DatabaseSettings, table: str, tmp_path: Path
) -> None:
    path = tmp_path / "runs"
    first = second_ahead(3)
    if (first + timedelta(seconds=1)).minute != first.minute:
        first += timedelta(seconds=2)  # keep both in one minute: one cron expression
    second = first + timedelta(seconds=1)
    trigger = CronTrigger(
        hour=first.hour, minute=first.minute, second=f"{first.second},{second.second}", timezone=UTC
    )
    spec = probe("twice", "record", trigger, path, "run")

    start_and_stop(scheduler(database, table), [spec])
    sleep_until(second + timedelta(seconds=1))

    back = scheduler(database, table)
    try:
        [status] = back.start([spec])
        assert (status.missed_runs, status.last_missed_at, status.runs_now) == (2, second, True)
        wait_for(lambda: runs(path) == ["run"], "the coalesced run")
    finally:
        back.shutdown()  # waits for any run under way: the count below is final
    assert runs(path) == ["run"]


# --- (c) beyond the grace time ----------------------------------------------------------------


def test_a_run_missed_by_more_than_the_grace_time_is_skipped_and_logged(
    database: DatabaseSettings, table: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path = tmp_path / "runs"
    due = second_ahead(2)
    spec = probe("late", "record", daily_at(due), path, "late")

    start_and_stop(scheduler(database, table, grace_s=1), [spec])
    sleep_until(due + timedelta(seconds=3))  # down well past the grace time of 1 s

    back = scheduler(database, table, grace_s=1)
    try:
        [status] = back.start([spec])
        assert (status.last_missed_at, status.runs_now) == (due, False)
        assert status.next_run_time == due + timedelta(days=1)
        wait_for(
            lambda: any("was missed by" in m for m in messages(caplog)),
            "APScheduler to drop the missed run",
        )
    finally:
        back.shutdown()
    assert runs(path) == []
    [warning] = [
        r for r in caplog.records if r.name == "asterisk_cc.reports.scheduler" and r.levelno >= 30
    ]
    assert f"missed run at {due.isoformat()} is older than the grace time" in warning.getMessage()
    assert "misfire_grace_s = 1" in warning.getMessage()


# --- (d) the stored jobs follow the configuration -----------------------------------------------


def write_config(
    path: Path, database: DatabaseSettings, *, daily_at: str, forecast_at: str, reports: str = ""
) -> None:
    """A configuration file; ``reports`` is more of the [reports] section, as TOML lines."""
    url = database.url.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        f'[database]\nurl = "{url}"\n\n[site]\ntimezone = "Asia/Shanghai"\n\n'
        f'[reports]\ndaily_at = "{daily_at}"\nforecast_at = "{forecast_at}"\n{reports}'
        "\n[scheduler]\ningest_every_s = 120\n",
        encoding="utf-8",
    )


def run_once(config: Path, table: str) -> int:
    """Start the real scheduler on ``config``, bring its jobs in line, stop."""
    stop = threading.Event()
    stop.set()  # checked only once the jobs are in line: start, reconcile, stop
    return run_scheduler(
        load_settings(config, needed_by="scheduler"), str(config), stop=stop, table=table
    )


def test_the_configured_jobs_are_stored_with_text_references_and_the_config_path(
    database: DatabaseSettings, table: str, tmp_path: Path
) -> None:
    config = tmp_path / "asterisk-cc.toml"
    write_config(config, database, daily_at="06:30", forecast_at="05:30")
    assert run_once(config, table) == 0

    jobs = {job.job_id: job for job in stored_jobs(database, table=table)}
    assert set(jobs) == {"ingest", "early_warning", "forecast", "daily_pack"}
    for job_id, job in jobs.items():
        assert job.func_ref == f"asterisk_cc.reports.jobs:{job_id}"
        assert job.kwargs == {"config_path": str(config)}
        assert job.misfire_grace_s == 43200
    assert jobs["daily_pack"].schedule == "cron[hour='6', minute='30'] Asia/Shanghai"
    assert jobs["forecast"].schedule == "cron[hour='5', minute='30'] Asia/Shanghai"
    assert jobs["ingest"].schedule == "interval[0:02:00] Asia/Shanghai"
    assert jobs["early_warning"].schedule == "interval[0:01:00] Asia/Shanghai"
    pack_at = jobs["daily_pack"].next_run_time
    assert pack_at is not None
    local = pack_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.hour, local.minute, local.second) == (6, 30, 0)
    assert timedelta(0) < pack_at - datetime.now(UTC) <= timedelta(days=1)


def test_a_changed_schedule_replaces_the_stored_job_and_the_unchanged_keep_their_time(
    database: DatabaseSettings, table: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config = tmp_path / "asterisk-cc.toml"
    write_config(config, database, daily_at="06:30", forecast_at="05:30")
    assert run_once(config, table) == 0
    before = {job.job_id: job for job in stored_jobs(database, table=table)}

    write_config(config, database, daily_at="07:15", forecast_at="05:30")
    caplog.clear()
    assert run_once(config, table) == 0
    after = {job.job_id: job for job in stored_jobs(database, table=table)}

    assert after["daily_pack"].schedule == "cron[hour='7', minute='15'] Asia/Shanghai"
    moved = after["daily_pack"].next_run_time
    assert moved is not None
    assert moved.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == "07:15"
    for job_id in ("forecast", "ingest", "early_warning"):
        assert after[job_id] == before[job_id]  # same schedule, same pending run
    logged = "\n".join(messages(caplog))
    assert "job daily_pack (cron[hour='7', minute='15'] Asia/Shanghai) rescheduled" in logged
    assert "(was cron[hour='6', minute='30'] Asia/Shanghai)" in logged


def test_a_job_no_longer_configured_is_removed_and_option_changes_keep_the_pending_run(
    database: DatabaseSettings, table: str, tmp_path: Path
) -> None:
    path = tmp_path / "runs"
    due = second_ahead(3600)
    keep = probe("keep", "record", daily_at(due), path, "old label")
    gone = probe("gone", "record", daily_at(due), path, "gone")
    start_and_stop(scheduler(database, table), [keep, gone])

    relabelled = probe("keep", "record", daily_at(due), path, "new label")
    statuses = start_and_stop(scheduler(database, table, grace_s=900), [relabelled])

    assert [(s.job_id, s.action) for s in statuses] == [("keep", "updated"), ("gone", "removed")]
    [job] = stored_jobs(database, table=table)
    assert job.job_id == "keep"
    assert job.kwargs == {"path": str(path), "label": "new label"}
    assert job.misfire_grace_s == 900
    assert job.next_run_time == due  # the pending run is still the one computed before


# --- (e) a failing job ------------------------------------------------------------------------


def test_a_failing_job_is_logged_with_its_traceback_and_the_others_still_run(
    database: DatabaseSettings, table: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path = tmp_path / "runs"
    due = second_ahead(2)
    specs = [
        probe("broken", "fail", daily_at(due), path, "broken"),
        probe("fine", "record", daily_at(due + timedelta(seconds=1)), path, "fine"),
    ]
    sched = scheduler(database, table)
    try:
        sched.start(specs)
        wait_for(lambda: runs(path) == ["broken", "fine"], "both jobs")
        assert sched.running
    finally:
        sched.shutdown()
    [failure] = [r for r in caplog.records if "raised an exception" in r.getMessage()]
    assert failure.exc_info is not None
    assert str(failure.exc_info[1]) == "probe failure in broken"
    assert "broken" in failure.getMessage()


# --- (f) stopping ---------------------------------------------------------------------------


def test_a_stop_waits_for_the_running_job_and_exits_0(
    database: DatabaseSettings, table: str, tmp_path: Path
) -> None:
    path = tmp_path / "runs"
    spec = probe("slow", "slow", daily_at(second_ahead(1)), path, "slow")
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(serve_jobs(settings_for(database), [spec], stop, table=table))
    )
    runner.start()
    try:
        wait_for(lambda: runs(path) == ["slow start"], "the slow job to start")
        stop.set()
    finally:
        stop.set()
        runner.join(WAIT_S)
    assert not runner.is_alive()
    assert result == [0]
    assert runs(path) == ["slow start", "slow end"]  # finished before the scheduler returned


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


def test_an_unreachable_database_at_start_is_exit_3_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"postgresql+psycopg://cc:secret@127.0.0.1:{free_port()}/asterisk_cc"
    settings = settings_for(DatabaseSettings(url=url, connect_timeout_s=2))
    stop = threading.Event()
    assert run_scheduler(settings, SOURCE, stop=stop) == 3
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "scheduler cannot start: The database cannot be used" in error.getMessage()
    assert "secret" not in error.getMessage()  # the password is masked


def test_a_database_without_the_schema_is_exit_3_naming_the_fix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = DatabaseSettings(url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert run_scheduler(settings_for(database), SOURCE, stop=threading.Event()) == 3
    assert any("db upgrade" in m for m in messages(caplog))


def test_run_scheduler_without_a_stop_event_outside_the_main_thread_is_refused(
    database: DatabaseSettings,
) -> None:
    errors: list[BaseException] = []

    def call() -> None:
        try:
            run_scheduler(settings_for(database), SOURCE)
        except ValueError as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    worker.join(WAIT_S)
    assert [str(e) for e in errors] == [
        "run_scheduler needs a stop event when it runs outside the main thread"
    ]


def scheduler_command(config: Path) -> list[str]:
    """``asterisk-cc scheduler``, as systemd runs it."""
    return [sys.executable, "-m", "asterisk_cc", "scheduler", "--config", str(config)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_scheduler_process_stops_on_a_signal_with_exit_0(
    database: DatabaseSettings, tmp_path: Path, signum: signal.Signals
) -> None:
    config = tmp_path / "asterisk-cc.toml"
    write_config(config, database, daily_at="06:30", forecast_at="05:30")
    lines: queue.Queue[str] = queue.Queue()
    env = {**os.environ, "ASTERISK_CC_CONFIG": ""}
    seen: list[str] = []
    with subprocess.Popen(
        scheduler_command(config), stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        stderr = process.stderr
        assert stderr is not None
        reader = threading.Thread(target=lambda: [lines.put(line) for line in stderr])
        reader.start()
        try:
            while not any("scheduler running 4 job(s)" in line for line in seen):
                seen.append(lines.get(timeout=WAIT_S * 2))
            process.send_signal(signum)
            assert process.wait(WAIT_S) == 0
        finally:
            if process.poll() is None:
                process.kill()
            reader.join(WAIT_S)
    while not lines.empty():
        seen.append(lines.get())
    assert any("scheduler stopped" in line for line in seen), seen
    try:
        stored = {job.job_id for job in stored_jobs(database, table=JOBSTORE_TABLE)}
        assert stored == {"ingest", "early_warning", "forecast", "daily_pack"}
    finally:
        drop_table(database, JOBSTORE_TABLE)


# --- the days the jobs work on ------------------------------------------------------------------


def test_the_jobs_days_are_the_sites_days() -> None:
    settings = Settings(site=SiteSettings(timezone="Asia/Shanghai"))
    late_evening_utc = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 01:00 on the 24th there
    assert str(site_day(settings, late_evening_utc)) == "2026-11-24"
    assert str(site_day(settings, late_evening_utc, days_from_today=-1)) == "2026-11-23"
    assert str(site_day(settings, late_evening_utc, days_from_today=1)) == "2026-11-25"


def test_a_job_takes_only_a_text_reference_and_plain_arguments() -> None:
    trigger = CronTrigger(hour=6, minute=30, timezone=UTC)
    with pytest.raises(ValueError, match=r"func_ref 'tests\.scheduler_probe\.record' must be"):
        JobSpec("x", "tests.scheduler_probe.record", trigger)
    with pytest.raises(ValueError, match="job x: argument path is a PosixPath; only text"):
        JobSpec("x", "tests.scheduler_probe:record", trigger, {"path": Path("/tmp/runs")})


def test_without_config_the_jobs_keep_the_path_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASTERISK_CC_CONFIG", "conf/cc.toml")
    specs = configured_jobs(Settings(), None)
    assert {spec.job_id for spec in specs} == {"ingest", "early_warning", "forecast", "daily_pack"}
    assert {spec.kwargs["config_path"] for spec in specs} == {str(tmp_path / "conf" / "cc.toml")}


# --- the real jobs ------------------------------------------------------------------------------


def test_the_ingest_job_reads_the_configured_queue_log_into_the_database(
    engine: Engine, database: DatabaseSettings, tmp_path: Path
) -> None:
    call = f"1.{secrets.token_hex(4)}"
    queue_log = tmp_path / "queue_log"
    queue_log.write_text(
        f"1795354843|{call}|support|NONE|ENTERQUEUE||5551234|1\n"
        f"1795354845|{call}|support|Agent One|CONNECT|2|1795354843.4|1\n",
        encoding="utf-8",
    )
    config = tmp_path / "asterisk-cc.toml"
    sources = f'queue_log_file = "{queue_log}"\ncdr_csv_file = ""\n'
    write_config(config, database, daily_at="06:30", forecast_at="05:30", reports=sources)

    jobs.ingest(str(config))

    with Session(engine) as session:
        events = session.scalars(
            select(QueueLogEvent.event).where(QueueLogEvent.callid == call)
        ).all()
    assert sorted(events) == ["CONNECT", "ENTERQUEUE"]


def test_a_job_whose_configuration_is_gone_fails_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.toml does not exist"):
        jobs.daily_pack(str(tmp_path / "missing.toml"))
