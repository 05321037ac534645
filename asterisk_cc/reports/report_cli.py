"""``asterisk-cc report ...``: any report for any day or range, from the command line.

* ``report daily [--date D] [--lang en,zh] [--format html,pdf,csv,xlsx] [--out DIR]
  [--no-mail] [--force]``: the daily pack of a day (default: yesterday in the site's time zone);
* ``report kpis --from D [--to D] [--by queue|agent|tier|interval|day|week|month] [--csv]``:
  the call KPIs of a range, broken down;
* ``report runs [--limit N]``: the recorded report runs, newest first;
* ``report forecast [--date D]``: the staffing forecast of a day (default: tomorrow);
* ``report alerts``: the early-warning alerts raised now.

Every ``daily`` and ``kpis`` run is recorded in ``report_runs``. Exit codes: 0 done; 2 a bad
date or option (named); 1 the report failed (the run records why).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.config import REPORT_FORMATS, REPORT_LANGUAGES, Settings
from asterisk_cc.core.reports.breakdown import BREAKDOWNS, breakdown
from asterisk_cc.core.reports.daily import DEFAULT_TARGETS, QueueTargets
from asterisk_cc.core.reports.forecast import day_bounds
from asterisk_cc.core.vocabulary import ReportStatus
from asterisk_cc.db.engine import check_database, make_engine, session_factory
from asterisk_cc.db.models import Queue, ReportRun
from asterisk_cc.db.queue_calls import visits_between

__all__ = ["add_report_parser"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REJECTED = 2

SettingsFor = Callable[[argparse.Namespace], Settings]
Command = Callable[[argparse.Namespace, Settings], int]
if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _say(message: str) -> None:
    print(f"asterisk-cc: {message}", file=sys.stderr)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-22"
        ) from None


def _choices(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        values = [v.strip() for v in text.split(",") if v.strip()]
        wrong = [v for v in values if v not in allowed]
        if wrong or not values:
            raise argparse.ArgumentTypeError(
                f"{text!r}: choose among {', '.join(allowed)} (comma-separated)"
            )
        return values

    return parse


def _bind(parser: argparse.ArgumentParser, command: Command, settings_for: SettingsFor) -> None:
    parser.set_defaults(func=lambda args: command(args, settings_for(args)))


def _factory(settings: Settings) -> Callable[[], Session]:
    engine = make_engine(settings.database)
    check_database(engine, settings.source)
    return session_factory(engine)


def _today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.site.timezone)).date()


def add_report_parser(
    subparsers: SubParsers, common: argparse.ArgumentParser, settings_for: SettingsFor
) -> None:
    report = subparsers.add_parser(
        "report",
        help="reports: the daily pack, KPIs of any range, runs, forecast, alerts",
        description="Reports (docs/reports.md; KPI definitions in docs/kpi.md).",
    )
    actions = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)

    daily = actions.add_parser("daily", parents=[common], help="the daily pack of a day")
    daily.add_argument("--date", type=_day, help="the day (default: yesterday, site time)")
    daily.add_argument(
        "--lang", type=_choices(REPORT_LANGUAGES), help="languages (default: [reports])"
    )
    daily.add_argument(
        "--format", type=_choices(REPORT_FORMATS), help="files (default: [reports] formats)"
    )
    daily.add_argument("--out", type=Path, help="directory (default: [reports] output_dir)")
    daily.add_argument("--no-mail", action="store_true", help="write the files, send no mail")
    daily.add_argument("--force", action="store_true", help="again, even if already produced")
    _bind(daily, cmd_report_daily, settings_for)

    kpis = actions.add_parser("kpis", parents=[common], help="call KPIs of any range")
    kpis.add_argument("--from", dest="first", type=_day, required=True, help="first day")
    kpis.add_argument("--to", dest="last", type=_day, help="last day (default: --from)")
    kpis.add_argument("--by", choices=BREAKDOWNS, default="queue", help="break down by")
    kpis.add_argument("--csv", action="store_true", help="CSV on standard output")
    _bind(kpis, cmd_report_kpis, settings_for)

    runs = actions.add_parser("runs", parents=[common], help="recorded report runs")
    runs.add_argument("--limit", type=int, default=20)
    _bind(runs, cmd_report_runs, settings_for)

    forecast = actions.add_parser("forecast", parents=[common], help="staffing forecast")
    forecast.add_argument("--date", type=_day, help="the day (default: tomorrow, site time)")
    _bind(forecast, cmd_report_forecast, settings_for)

    alerts = actions.add_parser("alerts", parents=[common], help="alerts raised now")
    _bind(alerts, cmd_report_alerts, settings_for)


def cmd_report_daily(args: argparse.Namespace, settings: Settings) -> int:
    from asterisk_cc.reports.daily import produce_daily_pack

    day = args.date or _today(settings) - timedelta(days=1)
    try:
        result = produce_daily_pack(
            _factory(settings),
            settings,
            day,
            datetime.now(UTC),
            languages=args.lang,
            formats=args.format,
            out_dir=args.out,
            send=not args.no_mail,
            force=args.force,
        )
    except Exception as error:  # recorded in report_runs; said here in one line
        _say(f"the daily pack of {day} failed: {error}")
        return EXIT_FAILED
    if result.skipped:
        print(f"daily pack of {day}: {result.skipped} (run {result.run_id}; --force to redo)")
        return EXIT_OK
    print(f"daily pack of {day} (run {result.run_id}):")
    for path in result.files:
        print(f"  {path}")
    if result.mailed_to:
        print(f"  mailed to {', '.join(result.mailed_to)}")
    return EXIT_OK


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    if kind == "s":
        return f"{value:.1f}"
    return f"{value:g}"


def cmd_report_kpis(args: argparse.Namespace, settings: Settings) -> int:
    last = args.last or args.first
    if last < args.first:
        _say(f"--to {last} is before --from {args.first}")
        return EXIT_REJECTED
    zone = ZoneInfo(settings.site.timezone)
    start, _ = day_bounds(args.first, zone)
    _, end = day_bounds(last, zone)
    factory = _factory(settings)
    now = datetime.now(UTC)
    with factory() as session, session.begin():
        run = ReportRun(
            report=f"kpis:{args.by}",
            period_start=start,
            period_end=end,
            status=ReportStatus.RUNNING,
            started_at=now,
        )
        session.add(run)
    with factory() as session:
        visits = visits_between(session, start, end)
        targets = {
            q.name: QueueTargets(
                q.service_level_threshold_s, q.service_level_target_ratio, q.short_abandon_s
            )
            for q in session.scalars(select(Queue))
        }
        tiers: dict[str, str] = {}
        if args.by == "tier":
            from asterisk_cc.db.report_data import tiers_between

            tiers = tiers_between(session, start, end)
    rows = breakdown(
        visits,
        args.by,
        zone=zone,
        interval=timedelta(minutes=settings.reports.interval_min),
        threshold_s=lambda v: targets.get(v.queue, DEFAULT_TARGETS).threshold_s,
        short_abandon_s=lambda v: targets.get(v.queue, DEFAULT_TARGETS).short_abandon_s,
        tiers=tiers,
    )
    header = [
        args.by,
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "abandon_rate",
        "asa_s",
        "aht_s",
        "max_wait_s",
    ]
    lines = [
        [
            row.label,
            str(row.figures.offered),
            str(row.figures.answered),
            str(row.figures.abandoned),
            _fmt(row.figures.service_level, "ratio"),
            _fmt(row.figures.abandon_rate, "ratio"),
            _fmt(row.figures.asa_s, "s"),
            _fmt(row.aht_s, "s"),
            _fmt(row.figures.max_wait_s, "s"),
        ]
        for row in rows
    ]
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(lines)
    else:
        widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
        for line in [header, *lines]:
            print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
        if not lines:
            print(f"(no calls from {args.first} to {last})")
    with factory() as session, session.begin():
        recorded = session.get(ReportRun, run.id)
        if recorded is not None:
            recorded.status = ReportStatus.SUCCEEDED
            recorded.finished_at = datetime.now(UTC)
    return EXIT_OK


def cmd_report_runs(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.site.timezone)
    with _factory(settings)() as session:
        runs = session.scalars(select(ReportRun).order_by(ReportRun.id.desc()).limit(args.limit))
        for run in runs:
            period = f"{run.period_start.astimezone(zone):%Y-%m-%d}"
            last_day = (run.period_end - timedelta(seconds=1)).astimezone(zone)
            if f"{last_day:%Y-%m-%d}" != period:
                period += f"..{last_day:%Y-%m-%d}"
            started = f"{run.started_at.astimezone(zone):%Y-%m-%d %H:%M}" if run.started_at else "-"
            line = f"{run.id:>5}  {run.report:<16} {period:<22} {run.status!s:<9} {started}"
            if run.output_path:
                line += f"  {run.output_path}"
            if run.error:
                line += f"  error: {run.error.splitlines()[0]}"
            print(line)
    return EXIT_OK


def cmd_report_forecast(args: argparse.Namespace, settings: Settings) -> int:
    from asterisk_cc.reports.forecasting import forecast_day

    day = args.date or _today(settings) + timedelta(days=1)
    zone = ZoneInfo(settings.site.timezone)
    with _factory(settings)() as session, session.begin():
        rows = forecast_day(session, settings, day, datetime.now(UTC))
    print("interval  queue            calls   aht_s  required  scheduled  gap")
    for row in rows:
        if row.calls <= 0 and row.required_agents == 0:
            continue
        scheduled = "-" if row.scheduled_agents is None else str(row.scheduled_agents)
        gap = (
            "-" if row.scheduled_agents is None else str(row.scheduled_agents - row.required_agents)
        )
        print(
            f"{row.interval_start.astimezone(zone):%H:%M}     {row.queue:<16} {row.calls:>6.1f}"
            f"  {row.aht_s:>6.0f}  {row.required_agents:>8}  {scheduled:>9}  {gap:>3}"
        )
    return EXIT_OK


def cmd_report_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from asterisk_cc.db.alerts import active_alerts

    zone = ZoneInfo(settings.site.timezone)
    with _factory(settings)() as session:
        alerts = list(active_alerts(session))
    if not alerts:
        print("no alert raised")
    for alert in alerts:
        print(
            f"{alert.raised_at.astimezone(zone):%Y-%m-%d %H:%M}  {alert.severity:<8} "
            f"{alert.rule:<22} {alert.scope:<16} {alert.message}"
        )
    return EXIT_OK
