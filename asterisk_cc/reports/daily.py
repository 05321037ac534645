"""The daily pack job: build the pack of a day, write its files, mail it, record the run.

:func:`produce_daily_pack` is what the scheduler runs every morning for the day before and what
``asterisk-cc report daily`` runs for any day. A day already produced and sent is skipped (the
scheduler may run a missed job after a restart; nobody gets the pack twice) unless ``force``.
Every run is recorded in ``report_runs`` with its files or its error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.config import Settings
from asterisk_cc.core.reports.daily import SiteTargets, build_pack, headline_values
from asterisk_cc.core.reports.forecast import day_bounds
from asterisk_cc.core.reports.pack import DailyPack
from asterisk_cc.core.vocabulary import ReportStatus
from asterisk_cc.db.models import ReportRun
from asterisk_cc.db.report_data import DayOptions, load_day
from asterisk_cc.reports.forecasting import staffing_of_day

__all__ = ["REPORT_NAME", "PackRun", "build_day_pack", "produce_daily_pack"]

logger = logging.getLogger(__name__)

REPORT_NAME = "daily_pack"


@dataclass
class PackRun:
    """What one run did: its ``report_runs`` id, the files, who got mail, or why it skipped."""

    day: date
    run_id: int | None = None
    files: list[Path] = field(default_factory=list)
    mailed_to: list[str] = field(default_factory=list)
    skipped: str | None = None
    pack: DailyPack | None = None


def _options(settings: Settings) -> DayOptions:
    return DayOptions(
        fcr_window_days=settings.reports.fcr_window_days,
        cost_per_agent_hour=settings.reports.cost_per_agent_hour,
    )


def build_day_pack(session: Session, settings: Settings, day: date, now: datetime) -> DailyPack:
    """The pack of ``day`` (site time zone), with the day before and the same weekday a week
    before for the changes."""
    zone = ZoneInfo(settings.site.timezone)
    options = _options(settings)
    data = load_day(session, day, zone, options)
    before = headline_values(load_day(session, day - timedelta(days=1), zone, options))
    week = headline_values(load_day(session, day - timedelta(days=7), zone, options))
    reports = settings.reports
    return build_pack(
        data,
        site_name=settings.site.name,
        generated_at=now,
        interval=timedelta(minutes=reports.interval_min),
        site=SiteTargets(
            abandon_rate=reports.abandon_rate_target,
            asa_s=reports.asa_target_s,
            occupancy=reports.occupancy_target,
            csat=reports.csat_target,
        ),
        day_before=before,
        week_before=week,
        staffing=staffing_of_day(session, settings, day + timedelta(days=1)),
    )


def _send_default(settings: Settings) -> Callable[[EmailMessage], object]:
    from asterisk_cc.reports.mail import send_message

    return lambda message: send_message(settings.smtp, message)


def produce_daily_pack(
    session_factory: Callable[[], Session],
    settings: Settings,
    day: date,
    now: datetime,
    *,
    languages: Sequence[str] | None = None,
    formats: Sequence[str] | None = None,
    out_dir: Path | None = None,
    send: bool = True,
    force: bool = False,
    send_mail: Callable[[EmailMessage], object] | None = None,
) -> PackRun:
    """Build, write and (``send``) mail the pack of ``day``; record the run."""
    from asterisk_cc.reports.render import mail_message, render_pack

    zone = ZoneInfo(settings.site.timezone)
    start, end = day_bounds(day, zone)
    result = PackRun(day=day)
    with session_factory() as session, session.begin():
        done = session.scalar(
            select(ReportRun.id).where(
                ReportRun.report == REPORT_NAME,
                ReportRun.period_start == start,
                ReportRun.status == ReportStatus.SUCCEEDED,
            )
        )
        if done is not None and not force:
            result.run_id, result.skipped = done, "already produced"
            logger.info("daily pack of %s already produced (run %s): skipped", day, done)
            return result
        run = ReportRun(
            report=REPORT_NAME,
            period_start=start,
            period_end=end,
            status=ReportStatus.RUNNING,
            started_at=now,
        )
        session.add(run)
        session.flush()
        result.run_id = run.id
    target = Path(out_dir or settings.reports.output_dir) / day.isoformat()
    try:
        target.mkdir(parents=True, exist_ok=True)
        with session_factory() as session:
            pack = build_day_pack(session, settings, day, now)
        result.pack = pack
        recipients = list(settings.reports.recipients) if send else []
        sender = send_mail or (_send_default(settings) if recipients else None)
        for language in languages or settings.reports.languages:
            files = render_pack(
                pack,
                language,
                formats or settings.reports.formats,
                target,
                currency=settings.reports.currency,
            )
            result.files.extend(files)
            if recipients and sender is not None:
                sender(
                    mail_message(
                        pack,
                        language,
                        sender=settings.smtp.sender,
                        recipients=recipients,
                        attachments=[f for f in files if f.suffix in (".pdf", ".xlsx")],
                        currency=settings.reports.currency,
                    )
                )
                result.mailed_to = recipients
    except Exception as error:
        _finish(session_factory, result.run_id, ReportStatus.FAILED, target, str(error))
        raise
    _finish(session_factory, result.run_id, ReportStatus.SUCCEEDED, target, None)
    logger.info(
        "daily pack of %s: %d files in %s, mailed to %d",
        day,
        len(result.files),
        target,
        len(result.mailed_to),
    )
    return result


def _finish(
    session_factory: Callable[[], Session],
    run_id: int | None,
    status: ReportStatus,
    target: Path,
    error: str | None,
) -> None:
    with session_factory() as session, session.begin():
        run = session.get(ReportRun, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = datetime.now(UTC)
        run.output_path = str(target)
        run.error = error[:2000] if error else None
