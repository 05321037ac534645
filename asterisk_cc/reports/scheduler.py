"""``asterisk-cc scheduler``: the process that runs ingestion, early warning, the staffing
forecast and the daily report pack on time, and after downtime.

APScheduler 3 runs the jobs; they are kept in the database (table ``scheduler_jobs``) with
their next run time, so a run that fell due while the process was down is still known when it
comes back. Whether it then runs is the misfire rule: a run missed by at most ``[scheduler]
misfire_grace_s`` runs once as soon as the scheduler is back (several missed runs of one job
are coalesced into one), an older one is skipped and logged.

The trap this module exists to avoid: adding the configured jobs at every start with
``replace_existing=True`` recomputes their next run time from *now*, which silently drops the
run that was missed. So :meth:`JobScheduler.start` starts APScheduler paused, compares what is
stored with what the configuration asks for, and touches a stored job only as much as needed:

* same schedule: kept with its stored next run time (other changes, such as the grace time or
  the configuration path, are applied in place and keep it too);
* changed schedule: rescheduled from now (the old schedule's missed run no longer means
  anything);
* not configured any more: removed; configured but not stored: added.

Then it logs one line per job (its next run, and "missed run at ..., will run now" or
"... skipped" when it was down) and lets APScheduler go.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from asterisk_cc.config import (
    DatabaseSettings,
    Settings,
    load_settings,
    resolve_config_path,
)
from asterisk_cc.db.engine import check_database, database_error, describe_url, make_engine
from asterisk_cc.errors import AsteriskCCError

__all__ = [
    "JOBSTORE_TABLE",
    "JobScheduler",
    "JobSpec",
    "JobStatus",
    "JobView",
    "cmd_scheduler",
    "configured_jobs",
    "run_scheduler",
    "serve_jobs",
    "stored_jobs",
]

logger = logging.getLogger(__name__)

JOBSTORE_TABLE = "scheduler_jobs"
JOBS_MODULE = "asterisk_cc.reports.jobs"
EXIT_OK = 0
PLAIN_TYPES = (str, int, float, bool, type(None))
"""What a job's arguments may be: they are stored and must mean the same after an upgrade."""


@dataclass(frozen=True)
class JobSpec:
    """One job as the configuration wants it.

    ``func_ref`` is ``"module:function"`` and ``kwargs`` plain data only: both are stored in
    the database and must mean the same thing after a restart or an upgrade.
    """

    job_id: str
    func_ref: str
    trigger: BaseTrigger
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        module, _, function = self.func_ref.partition(":")
        if not module or not function:
            raise ValueError(
                f"job {self.job_id}: func_ref {self.func_ref!r} must be 'module:function'"
            )
        for key, value in self.kwargs.items():
            if not isinstance(value, PLAIN_TYPES):
                raise ValueError(
                    f"job {self.job_id}: argument {key} is a {type(value).__name__}; only "
                    "text, numbers, booleans and None are stored with a job"
                )


@dataclass(frozen=True)
class JobStatus:
    """What the start did with one job, and when it runs; one log line each."""

    job_id: str
    action: str
    """``added``, ``kept``, ``updated`` (kept, options changed), ``rescheduled`` or ``removed``."""
    schedule: str
    next_run_time: datetime | None
    """The next regular run, after any missed run that is about to run now."""
    missed_runs: int = 0
    last_missed_at: datetime | None = None
    runs_now: bool = False
    """A missed run (the latest, if several) runs as soon as the scheduler goes."""
    previous_schedule: str = ""

    def describe(self, misfire_grace_s: int) -> str:
        head = f"job {self.job_id} ({self.schedule})"
        if self.action == "removed":
            return f"{head} removed: it is no longer configured"
        when = self.next_run_time.isoformat() if self.next_run_time else "never"
        if self.action == "added":
            return f"{head} added: next run at {when}"
        if self.action == "rescheduled":
            return f"{head} rescheduled (was {self.previous_schedule}): next run at {when}"
        if self.last_missed_at is None:
            return f"{head}: next run at {when}"
        missed = self.last_missed_at.isoformat()
        several = (
            f" ({self.missed_runs} runs missed, coalesced into one)" if self.missed_runs > 1 else ""
        )
        if self.runs_now:
            return f"{head}: missed run at {missed}{several} will run now; next run at {when}"
        return (
            f"{head}: missed run at {missed}{several} is older than the grace time "
            f"([scheduler] misfire_grace_s = {misfire_grace_s}) and is skipped; "
            f"next run at {when}"
        )


@dataclass(frozen=True)
class JobView:
    """A stored job as it may be shown."""

    job_id: str
    func_ref: str
    schedule: str
    kwargs: Mapping[str, Any]
    next_run_time: datetime | None
    misfire_grace_s: int | None


def configured_jobs(settings: Settings, config_path: str | None) -> list[JobSpec]:
    """The jobs ``settings`` ask for, with stable ids, on the site's time zone.

    ``config_path`` is stored with each job (made absolute) so every run reads the
    configuration file again; None stores the path ``--config`` would default to.
    """
    tz = ZoneInfo(settings.site.timezone)
    path = str(resolve_config_path(config_path, os.environ).absolute())
    kwargs = {"config_path": path}

    def daily_at(hour_minute: str) -> CronTrigger:
        hour, minute = hour_minute.split(":")
        return CronTrigger(hour=int(hour), minute=int(minute), timezone=tz)

    return [
        JobSpec(
            "ingest",
            f"{JOBS_MODULE}:ingest",
            IntervalTrigger(seconds=settings.scheduler.ingest_every_s, timezone=tz),
            kwargs,
        ),
        JobSpec(
            "early_warning",
            f"{JOBS_MODULE}:early_warning",
            IntervalTrigger(seconds=settings.alerts.every_s, timezone=tz),
            kwargs,
        ),
        JobSpec(
            "forecast", f"{JOBS_MODULE}:forecast", daily_at(settings.reports.forecast_at), kwargs
        ),
        JobSpec(
            "daily_pack", f"{JOBS_MODULE}:daily_pack", daily_at(settings.reports.daily_at), kwargs
        ),
    ]


def describe_trigger(trigger: BaseTrigger) -> str:
    """The schedule in a few words: ``cron[hour='6', minute='30'] Asia/Shanghai``."""
    tz = getattr(trigger, "timezone", None)
    return f"{trigger} {tz}" if tz is not None else str(trigger)


def trigger_signature(trigger: BaseTrigger) -> str:
    """What makes two triggers the same schedule.

    An interval trigger's start date is the moment it was made (now + interval), so it is left
    out: the same interval from the same configuration is the same schedule.
    """
    if isinstance(trigger, IntervalTrigger):
        return (
            f"interval {trigger.interval_length}s tz={trigger.timezone} "
            f"end={trigger.end_date} jitter={trigger.jitter}"
        )
    return repr(trigger)


def _missed_runs(job: Job, now: datetime) -> tuple[int, datetime | None, datetime | None]:
    """How many runs of ``job`` fell due up to ``now``, the latest, and the next one after.

    The same walk APScheduler makes when it picks the job up, so what is logged is what it does.
    """
    count, latest = 0, None
    next_run: datetime | None = job.next_run_time
    while next_run is not None and next_run <= now:
        count, latest = count + 1, next_run
        next_run = job.trigger.get_next_fire_time(next_run, now)
    return count, latest, next_run


class JobScheduler:
    """APScheduler's background scheduler on the database job store (see the module doc)."""

    def __init__(
        self,
        database: DatabaseSettings,
        *,
        timezone: tzinfo,
        misfire_grace_s: int,
        table: str = JOBSTORE_TABLE,
        max_workers: int = 4,
    ) -> None:
        self.misfire_grace_s = misfire_grace_s
        self.table = table
        self.timezone = timezone
        self.engine = make_engine(database)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=table)},
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults=self.job_options,
            timezone=timezone,
        )

    @property
    def job_options(self) -> dict[str, Any]:
        """Every job: missed runs coalesced, never two at once, the configured grace time."""
        return {"coalesce": True, "max_instances": 1, "misfire_grace_time": self.misfire_grace_s}

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self, specs: Sequence[JobSpec]) -> list[JobStatus]:
        """Open the job store, bring the stored jobs in line with ``specs``, then run them.

        Raises :class:`~asterisk_cc.errors.DatabaseError` when the job store cannot be used.
        """
        try:
            self._scheduler.start(paused=True)
            statuses = self._reconcile(specs, datetime.now(self.timezone))
        except (SQLAlchemyError, OSError) as exc:
            self._stop_quietly()
            raise database_error(self.engine, exc) from None
        except BaseException:
            self._stop_quietly()
            raise
        for status in statuses:
            skipped = status.last_missed_at is not None and not status.runs_now
            logger.log(
                logging.WARNING if skipped else logging.INFO,
                "%s",
                status.describe(self.misfire_grace_s),
            )
        self._scheduler.resume()
        return statuses

    def shutdown(self) -> None:
        """Stop taking new runs, wait for the running ones to finish, close the job store."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self.engine.dispose()

    def _stop_quietly(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self.engine.dispose()

    def _reconcile(self, specs: Sequence[JobSpec], now: datetime) -> list[JobStatus]:
        ids = [spec.job_id for spec in specs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"job ids must be unique, got {ids}")
        stored: dict[str, Job] = {job.id: job for job in self._scheduler.get_jobs()}
        statuses = [self._bring_in_line(spec, stored.get(spec.job_id), now) for spec in specs]
        for job_id, job in stored.items():
            if job_id in ids:
                continue
            self._scheduler.remove_job(job_id)
            statuses.append(JobStatus(job_id, "removed", describe_trigger(job.trigger), None))
        return statuses

    def _bring_in_line(self, spec: JobSpec, job: Job | None, now: datetime) -> JobStatus:
        schedule = describe_trigger(spec.trigger)
        if job is None:
            job = self._scheduler.add_job(
                spec.func_ref,
                trigger=spec.trigger,
                id=spec.job_id,
                name=spec.job_id,
                kwargs=dict(spec.kwargs),
                **self.job_options,
            )
            return JobStatus(spec.job_id, "added", schedule, job.next_run_time)
        changes: dict[str, Any] = {}
        if job.func_ref != spec.func_ref:
            changes["func"] = spec.func_ref
        if job.args or dict(job.kwargs) != dict(spec.kwargs):
            changes.update(args=(), kwargs=dict(spec.kwargs))
        changes.update(
            (key, value) for key, value in self.job_options.items() if getattr(job, key) != value
        )
        if changes:
            # modify_job keeps next_run_time: the pending run survives an option change.
            job = self._scheduler.modify_job(spec.job_id, **changes)
        if job.next_run_time is None or trigger_signature(job.trigger) != trigger_signature(
            spec.trigger
        ):
            previous = describe_trigger(job.trigger) if job.next_run_time else "paused"
            job = self._scheduler.reschedule_job(spec.job_id, trigger=spec.trigger)
            return JobStatus(
                spec.job_id, "rescheduled", schedule, job.next_run_time, previous_schedule=previous
            )
        action = "updated" if changes else "kept"
        count, latest, next_regular = _missed_runs(job, now)
        if latest is None:
            return JobStatus(spec.job_id, action, schedule, job.next_run_time)
        late_s = (now - latest).total_seconds()
        return JobStatus(
            spec.job_id,
            action,
            schedule,
            next_regular,
            missed_runs=count,
            last_missed_at=latest,
            runs_now=late_s <= self.misfire_grace_s,
        )


def _view(job: Job) -> JobView:
    return JobView(
        job.id,
        job.func_ref,
        describe_trigger(job.trigger),
        dict(job.kwargs),
        job.next_run_time,
        job.misfire_grace_time,
    )


def stored_jobs(
    database: DatabaseSettings, *, table: str = JOBSTORE_TABLE, timezone: tzinfo | None = None
) -> list[JobView]:
    """The jobs in the job store, read without running them (an empty list if it has none)."""
    engine = make_engine(database)
    try:
        if not inspect(engine).has_table(table):
            return []
        store = SQLAlchemyJobStore(engine=engine, tablename=table)
        # A job store reads jobs on behalf of a scheduler; this one is never started.
        store.start(BackgroundScheduler(timezone=timezone or ZoneInfo("UTC")), "default")
        return [_view(job) for job in store.get_all_jobs()]
    except (SQLAlchemyError, OSError) as exc:
        raise database_error(engine, exc) from None
    finally:
        engine.dispose()


def serve_jobs(
    settings: Settings,
    specs: Sequence[JobSpec],
    stop: threading.Event,
    *,
    table: str = JOBSTORE_TABLE,
) -> int:
    """Run ``specs`` until ``stop`` is set; the exit code (3 when the database is unusable)."""
    try:
        engine = make_engine(settings.database)
        try:
            check_database(engine, settings.source)
        finally:
            engine.dispose()
        scheduler = JobScheduler(
            settings.database,
            timezone=ZoneInfo(settings.site.timezone),
            misfire_grace_s=settings.scheduler.misfire_grace_s,
            table=table,
        )
        scheduler.start(specs)
    except AsteriskCCError as exc:
        logger.error("scheduler cannot start: %s", exc)
        return exc.exit_code
    logger.info(
        "scheduler running %d job(s) from table %s of %s (time zone %s)",
        len(specs),
        table,
        describe_url(scheduler.engine),
        settings.site.timezone,
    )
    try:
        while not stop.wait(1.0):
            pass
        logger.info("scheduler stopping: waiting for the running jobs to finish")
    finally:
        scheduler.shutdown()
    logger.info("scheduler stopped")
    return EXIT_OK


def run_scheduler(
    settings: Settings,
    config_path: str | None,
    *,
    stop: threading.Event | None = None,
    table: str = JOBSTORE_TABLE,
) -> int:
    """Run the configured jobs until ``stop`` is set, or until SIGTERM/SIGINT without one.

    Returns the exit code: 0 after a clean stop (running jobs finished), 3 when the database
    cannot be reached or is not migrated.
    """
    specs = configured_jobs(settings, config_path)
    if stop is not None:
        return serve_jobs(settings, specs, stop, table=table)
    if threading.current_thread() is not threading.main_thread():
        raise ValueError("run_scheduler needs a stop event when it runs outside the main thread")
    with _stop_on_signals() as own_stop:
        return serve_jobs(settings, specs, own_stop, table=table)


class _stop_on_signals:
    """SIGTERM and SIGINT set an event instead of killing the process; restored on exit."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> threading.Event:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._on_signal)
        return self.event

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        # Only set the event: logging here could re-enter a handler the main thread is in.
        self.event.set()


def cmd_scheduler(args: argparse.Namespace) -> int:
    """``asterisk-cc scheduler``: read the configuration, then :func:`run_scheduler`."""
    config_path = getattr(args, "config", None)
    settings = load_settings(resolve_config_path(config_path, os.environ), needed_by="scheduler")
    logging.getLogger().setLevel(getattr(args, "log_level", None) or settings.logging.level)
    return run_scheduler(settings, config_path)
