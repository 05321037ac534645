"""The scheduler's jobs: thin functions that read the configuration, open the database and
hand over to the reports services.

The scheduler stores each job as a text reference to one of these functions with one keyword
argument, the configuration file's path, so a stored job survives restarts and upgrades, and
each run reads the configuration as it is *now* (a changed recipient list or target applies at
the next run without restarting the scheduler).

The services are imported inside the functions: this module must import cleanly whatever
state they are in, because a job store that cannot resolve a job's function drops the job,
and with it the run it was waiting for.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from asterisk_cc.config import Settings, load_settings, resolve_config_path
from asterisk_cc.db.engine import make_engine, session_factory

__all__ = ["daily_pack", "early_warning", "forecast", "ingest", "site_day"]

logger = logging.getLogger(__name__)


def ingest(config_path: str | None) -> None:
    """Read new queue_log lines and CDRs into the database."""
    from asterisk_cc.reports.ingest import ingest_all

    with _job("ingest", config_path) as (settings, engine, now):
        outcome = ingest_all(session_factory(engine, immediate=True), settings, now)
        _log_outcome("ingest", outcome)


def early_warning(config_path: str | None) -> None:
    """Check the call-volume early-warning rules; raise or clear alerts."""
    from asterisk_cc.reports.warning import check_alerts

    with _job("early_warning", config_path) as (settings, engine, now):
        with session_factory(engine, immediate=True).begin() as session:
            outcome = check_alerts(session, settings, now)
        _log_outcome("early_warning", outcome)


def forecast(config_path: str | None) -> None:
    """Forecast tomorrow's calls and staffing (tomorrow in the site's time zone)."""
    from asterisk_cc.reports.forecasting import forecast_day

    with _job("forecast", config_path) as (settings, engine, now):
        day = site_day(settings, now, days_from_today=1)
        with session_factory(engine, immediate=True).begin() as session:
            rows = forecast_day(session, settings, day, now)
        logger.info("forecast of %s: %d intervals stored", day, len(rows))


def daily_pack(config_path: str | None) -> None:
    """Produce and send yesterday's report pack (yesterday in the site's time zone).

    The pack records its own run and skips a day already sent, so a run repeated after a crash
    sends nothing twice.
    """
    from asterisk_cc.reports.daily import produce_daily_pack

    with _job("daily_pack", config_path) as (settings, engine, now):
        day = site_day(settings, now, days_from_today=-1)
        outcome = produce_daily_pack(session_factory(engine, immediate=True), settings, day, now)
        _log_outcome(f"daily pack of {day}", outcome)


def site_day(settings: Settings, now: datetime, *, days_from_today: int = 0) -> date:
    """The calendar day ``days_from_today`` away from ``now``'s day at the site."""
    local = now.astimezone(ZoneInfo(settings.site.timezone))
    return local.date() + timedelta(days=days_from_today)


@contextmanager
def _job(name: str, config_path: str | None) -> Iterator[tuple[Settings, Engine, datetime]]:
    """Settings as they are now, an engine for this run only, and the run's clock reading."""
    started = time.monotonic()
    settings = load_settings(resolve_config_path(config_path, os.environ), needed_by="scheduler")
    engine = make_engine(settings.database)
    try:
        yield settings, engine, datetime.now(UTC)
    finally:
        engine.dispose()
    logger.debug("job %s took %.1f s", name, time.monotonic() - started)


def _log_outcome(what: str, outcome: object, limit: int = 300) -> None:
    """One line with what the service returned (its summary), cut to ``limit`` characters."""
    if outcome is None:
        return
    text = str(outcome)
    logger.info("%s: %s", what, text if len(text) <= limit else text[:limit] + "…")
