"""System health: Asterisk, ARI, AMI, the database, the ARI controller, the FastAGI port and
the scheduler, each up or down with the reason.

The probes that reach another process run at the same time, each with a short timeout
(``extras["health_timeout_s"]`` of the web context, 2 s by default), and the page waits for
them no longer than that: a service that hangs is shown "no answer within 2 s" instead of
holding the page. A probe never raises: whatever went wrong is its "down" reason. The
scheduler's part is read from the database (its job table, report runs, ingestion cursors).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from flask import render_template
from sqlalchemy import Engine, column, func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from asterisk_cc.ami.client import AmiClient
from asterisk_cc.ari.client import AriClient
from asterisk_cc.ari.control import controller_url_of
from asterisk_cc.config import Settings
from asterisk_cc.core.health_view import job_overdue, uptime_parts
from asterisk_cc.db.engine import check_database
from asterisk_cc.db.models import IngestCursor, ReportRun
from asterisk_cc.errors import AsteriskCCError
from asterisk_cc.health import check_agi_bind
from asterisk_cc.reports.scheduler import JOBSTORE_TABLE
from asterisk_cc.web.access import admins_only
from asterisk_cc.web.admin_base import blueprint
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import gettext

DEFAULT_TIMEOUT_S: Final = 2.0
MAX_REPORT_KINDS: Final = 50


@dataclass(frozen=True)
class Outcome:
    """What a probe found: up or down, a sentence, and facts for the Asterisk row."""

    up: bool
    detail: str
    facts: dict[str, Any] = field(default_factory=dict)


Probe = Callable[[Settings, Engine, float], Outcome]


def probe_ari(settings: Settings, _engine: Engine, timeout_s: float) -> Outcome:
    ari = settings.ari
    with AriClient(ari.url, ari.user, ari.password, timeout_s=timeout_s) as client:
        info = client.asterisk_info()
    version = str(info.get("system", {}).get("version", "")) or "?"
    facts: dict[str, Any] = {"version": version}
    started = info.get("status", {}).get("startup_time")
    if isinstance(started, str):
        try:
            facts["started"] = datetime.fromisoformat(started).astimezone(UTC)
        except ValueError:
            facts["started_text"] = started
    return Outcome(True, f"{ari.url} answers user {ari.user!r}", facts)


def probe_ami(settings: Settings, _engine: Engine, timeout_s: float) -> Outcome:
    ami = settings.ami
    with AmiClient.connect(ami.host, ami.port, ami.user, ami.secret, timeout_s=timeout_s) as client:
        version = client.action("CoreSettings").get("AsteriskVersion") or "?"
        status = client.action("CoreStatus")
    started = f"{status.get('CoreStartupDate') or ''} {status.get('CoreStartupTime') or ''}"
    facts = {"version": version, "started_text": started.strip()}
    return Outcome(True, f"{ami.host}:{ami.port} accepts user {ami.user!r}", facts)


def probe_database(settings: Settings, engine: Engine, _timeout_s: float) -> Outcome:
    return Outcome(True, check_database(engine, settings.source))


def probe_controller(settings: Settings, _engine: Engine, timeout_s: float) -> Outcome:
    url = controller_url_of(settings).rstrip("/")
    try:
        response = httpx.get(f"{url}/health", timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise AsteriskCCError(
            f"{url} does not answer ({exc or type(exc).__name__}): is asterisk-cc ari running?"
        ) from None
    if response.status_code == 200:
        return Outcome(True, f"{url}/health: the controller's link to Asterisk is up")
    if response.status_code == 503:
        return Outcome(False, f"{url}/health: the controller runs but its link to Asterisk is down")
    return Outcome(False, f"{url}/health answers {response.status_code}")


def probe_agi(settings: Settings, _engine: Engine, _timeout_s: float) -> Outcome:
    detail = check_agi_bind(settings)
    # The address can be bound: nothing serves FastAGI there on this host.
    in_use = "in use" in detail
    if in_use:
        return Outcome(True, detail)
    return Outcome(False, f"no FastAGI server listens on {settings.agi.bind}:{settings.agi.port}")


PROBES: Final[dict[str, Probe]] = {
    "ari": probe_ari,
    "ami": probe_ami,
    "database": probe_database,
    "controller": probe_controller,
    "agi": probe_agi,
}


@dataclass(frozen=True)
class ProbeRow:
    name: str
    label: str
    up: bool | None
    """None: no answer in time."""
    detail: str
    elapsed_ms: int


def _run(probe: Probe, settings: Settings, engine: Engine, timeout_s: float) -> tuple[Outcome, int]:
    started = time.monotonic()
    try:
        outcome = probe(settings, engine, timeout_s)
    except AsteriskCCError as exc:
        outcome = Outcome(False, str(exc))
    except (OSError, ValueError, KeyError, TypeError, SQLAlchemyError) as exc:
        outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
    return outcome, int((time.monotonic() - started) * 1000)


def run_probes(
    settings: Settings, engine: Engine, timeout_s: float
) -> dict[str, tuple[Outcome | None, int]]:
    """Every probe at once; a probe not done within ``timeout_s`` (and a little) is None."""
    executor = ThreadPoolExecutor(max_workers=len(PROBES), thread_name_prefix="health-probe")
    try:
        futures: dict[str, Future[tuple[Outcome, int]]] = {
            name: executor.submit(_run, probe, settings, engine, timeout_s)
            for name, probe in PROBES.items()
        }
        wait(futures.values(), timeout=timeout_s + 0.25)
    finally:
        # Probes still running finish on their own timeouts; the page does not wait for them.
        executor.shutdown(wait=False, cancel_futures=True)
    results: dict[str, tuple[Outcome | None, int]] = {}
    for name, future in futures.items():
        if future.done() and not future.cancelled():
            results[name] = future.result()
        else:
            results[name] = (None, int(timeout_s * 1000))
    return results


def _labels() -> dict[str, str]:
    return {
        "asterisk": gettext("Asterisk"),
        "ari": gettext("ARI (REST interface)"),
        "ami": gettext("AMI (manager interface)"),
        "database": gettext("Database"),
        "controller": gettext("ARI controller"),
        "agi": gettext("FastAGI server (IVR)"),
    }


def _uptime(started: datetime, now: datetime) -> str:
    days, hours, minutes = uptime_parts(started, now)
    return gettext("up {days} d {hours} h {minutes} min", days=days, hours=hours, minutes=minutes)


def _asterisk_row(results: dict[str, tuple[Outcome | None, int]], now: datetime) -> ProbeRow:
    """Asterisk's version and uptime, from ARI if it answered, else from AMI."""
    for source in ("ari", "ami"):
        outcome, elapsed = results[source]
        if outcome is not None and outcome.up:
            facts = outcome.facts
            when = (
                _uptime(facts["started"], now)
                if "started" in facts
                else gettext("started {when}", when=facts.get("started_text") or "?")
            )
            detail = gettext(
                "Asterisk {version}, {uptime} (from {source})",
                version=facts.get("version", "?"),
                uptime=when,
                source=source.upper(),
            )
            return ProbeRow("asterisk", _labels()["asterisk"], True, detail, elapsed)
    return ProbeRow(
        "asterisk",
        _labels()["asterisk"],
        False,
        gettext("Neither ARI nor AMI answers."),
        0,
    )


def probe_rows(timeout_s: float) -> list[ProbeRow]:
    context = web_context()
    results = run_probes(context.settings, context.engine, timeout_s)
    labels = _labels()
    rows = [_asterisk_row(results, context.now())]
    for name in PROBES:
        outcome, elapsed = results[name]
        if outcome is None:
            detail = gettext("no answer within {seconds} s", seconds=f"{timeout_s:g}")
            rows.append(ProbeRow(name, labels[name], None, detail, elapsed))
        else:
            rows.append(ProbeRow(name, labels[name], outcome.up, outcome.detail, elapsed))
    return rows


# --- the scheduler, from the database ------------------------------------------------------------


@dataclass(frozen=True)
class JobRow:
    job_id: str
    next_run: datetime | None
    overdue: bool


def scheduler_jobs(engine: Engine, now: datetime) -> list[JobRow] | None:
    """APScheduler's jobs and their next run times; None when the table cannot be read, an
    empty list when the scheduler never started (no table)."""
    jobs = table(JOBSTORE_TABLE, column("id"), column("next_run_time"))
    try:
        if not inspect(engine).has_table(JOBSTORE_TABLE):
            return []
        rows = db().execute(select(jobs.c.id, jobs.c.next_run_time).order_by(jobs.c.id)).all()
    except SQLAlchemyError:
        db().rollback()
        return None
    result = []
    for job_id, next_run_time in rows:
        next_run = (
            datetime.fromtimestamp(float(next_run_time), UTC) if next_run_time is not None else None
        )
        result.append(JobRow(str(job_id), next_run, job_overdue(next_run, now)))
    return result


def last_report_runs() -> list[ReportRun]:
    """The newest run of each report."""
    newest = select(func.max(ReportRun.id)).group_by(ReportRun.report).scalar_subquery()
    return list(
        db().scalars(
            select(ReportRun)
            .where(ReportRun.id.in_(newest))
            .order_by(ReportRun.report)
            .limit(MAX_REPORT_KINDS)
        )
    )


def live_link() -> Any:
    live = web_context().live
    return live.current().link if live is not None else None


@blueprint.route("/health")
@admins_only
def health() -> str:
    context = web_context()
    timeout_s = float(context.extras.get("health_timeout_s", DEFAULT_TIMEOUT_S))
    now = context.now()
    return render_template(
        "admin/health.html",
        probes=probe_rows(timeout_s),
        jobs=scheduler_jobs(context.engine, now),
        runs=last_report_runs(),
        cursors=db().scalars(select(IngestCursor).order_by(IngestCursor.name).limit(100)).all(),
        link=live_link(),
        controller_configured=context.controller is not None,
        checked_at=now,
        run_states={
            "queued": gettext("queued"),
            "running": gettext("running"),
            "succeeded": gettext("succeeded"),
            "failed": gettext("failed"),
        },
    )
