"""``asterisk-cc ingest``: read Asterisk's records into the database now (the scheduler does the
same every ``[scheduler] ingest_every_s``).

* ``ingest``: every source ``[reports]`` configures (queue_log file and table, Master.csv and
  CDR table), then the calls in queues are rebuilt;
* ``ingest queue-log [--file PATH]``: the configured queue_log sources, or only the file PATH;
* ``ingest cdr [--file PATH] [--zone TZ]``: the configured CDR sources, or only the Master.csv
  PATH; ``--zone`` is the zone of the CDR times (default: UTC for a file, as cdr.conf
  ``usegmtime=yes`` writes it; the site's zone for a table).

A file given with ``--file`` has its own cursor, the same one the scheduler uses for that path,
so reading it by hand and then by the scheduler never stores a line twice.

Prints one line per source (records stored, records refused), then each refused line with its
number and reason. Exit codes: 0 all read; 2 some lines were refused (the others were stored)
or an option is wrong; 1 a source could not be read at all (a file that cannot be opened, a
table that is not there); 3 a database (this project's, or a source's) cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine, session_factory
from asterisk_cc.reports.ingest import (
    IngestSource,
    Kind,
    SourceReport,
    cdr_file_source,
    configured_sources,
    ingest_sources,
    queue_log_file_source,
)

__all__ = ["add_ingest_parser", "exit_code", "print_reports"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_DATABASE = 3
REFUSED_SHOWN = 100
"""Refused lines printed per source; a file broken throughout is summarised after these."""

SettingsFor = Callable[[argparse.Namespace], Settings]
if TYPE_CHECKING:  # argparse's class is not subscriptable at run time
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_ingest_parser(
    subparsers: SubParsers, common: argparse.ArgumentParser, settings_for: SettingsFor
) -> None:
    """``asterisk-cc ingest [queue-log|cdr]``; ``settings_for`` reads the configuration (the
    database, ``[reports]`` and the site's time zone are used)."""
    ingest = subparsers.add_parser(
        "ingest",
        parents=[common],
        help="read queue_log and CDRs into the database now",
        description="Read Asterisk's queue_log and CDRs (the [reports] sources) into the "
        "database, from where the last run stopped. Exit 0 when all was read, 2 when lines "
        "were refused (the others are stored), 1 when a source cannot be read, 3 when a "
        "database cannot be reached.",
    )
    ingest.set_defaults(func=lambda args: cmd_ingest(args, settings_for(args)))
    sources = ingest.add_subparsers(
        dest="ingest_source", metavar="SOURCE", help="without one: every configured source"
    )

    queue_log = sources.add_parser(
        "queue-log",
        parents=[common],
        help="read queue_log only",
        description="Read the configured queue_log sources (file and realtime table), or "
        "only the file given, then rebuild the calls in queues.",
    )
    queue_log.add_argument(
        "--file", type=Path, metavar="PATH", help="this queue_log file instead of the configured"
    )
    queue_log.set_defaults(func=lambda args: cmd_ingest_queue_log(args, settings_for(args)))

    cdr = sources.add_parser(
        "cdr",
        parents=[common],
        help="read CDRs only",
        description="Read the configured CDR sources (Master.csv and table), or only the "
        "Master.csv given.",
    )
    cdr.add_argument(
        "--file", type=Path, metavar="PATH", help="this Master.csv instead of the configured"
    )
    cdr.add_argument(
        "--zone",
        metavar="TZ",
        help="IANA time zone of the CDR times (default UTC for a file, as usegmtime=yes "
        "writes them; the site's zone for a table)",
    )
    cdr.set_defaults(func=lambda args: cmd_ingest_cdr(args, settings_for(args)))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    return _ingest_configured(settings, ("queue_log", "cdr"))


def cmd_ingest_queue_log(args: argparse.Namespace, settings: Settings) -> int:
    if args.file is not None:
        if not args.file.is_file():
            return _refuse(f"--file {args.file}: no such file")
        return _ingest(settings, [queue_log_file_source(args.file)])
    return _ingest_configured(settings, ("queue_log",))


def cmd_ingest_cdr(args: argparse.Namespace, settings: Settings) -> int:
    zone: tzinfo | None = None
    if args.zone is not None:
        try:
            zone = ZoneInfo(args.zone)
        except (ZoneInfoNotFoundError, ValueError):
            return _refuse(
                f"--zone {args.zone!r} is not an IANA time zone: use a name such as UTC, "
                "Asia/Shanghai or Europe/London"
            )
    if args.file is not None:
        if not args.file.is_file():
            return _refuse(f"--file {args.file}: no such file")
        return _ingest(settings, [cdr_file_source(args.file, zone or UTC)])
    return _ingest_configured(settings, ("cdr",), cdr_zone=zone)


def _ingest_configured(
    settings: Settings, kinds: Sequence[Kind], *, cdr_zone: tzinfo | None = None
) -> int:
    sources = configured_sources(settings, kinds=kinds, cdr_zone=cdr_zone)
    if not sources:
        keys = {
            "queue_log": "queue_log_file, queue_log_table_url",
            "cdr": "cdr_csv_file, cdr_table_url",
        }
        wanted = ", ".join(keys[kind] for kind in kinds)
        print(f"asterisk-cc: nothing to read: [reports] {wanted} are all empty", file=sys.stderr)
        return EXIT_OK
    return _ingest(settings, sources)


def _ingest(settings: Settings, sources: Sequence[IngestSource]) -> int:
    """Read ``sources`` into the configured database (checked first: an unreachable or
    unmigrated database is a DatabaseError, exit 3), print what happened."""
    engine = make_engine(settings.database)
    try:
        check_database(engine, settings.source)
        reports = ingest_sources(session_factory(engine, immediate=True), sources, _now())
    finally:
        engine.dispose()
    print_reports(reports, sys.stdout)
    return exit_code(reports)


def print_reports(reports: Sequence[SourceReport], out: TextIO) -> None:
    """One line per source, then its refused records (number and reason) and notes."""
    for report in reports:
        if report.failure is not None:
            print(f"{report.source}: NOT READ: {report.failure}", file=out)
            continue
        refused = f", {len(report.errors)} refused" if report.errors else ""
        print(f"{report.source}: {report.stored} stored{refused}", file=out)
        for error in report.errors[:REFUSED_SHOWN]:
            text = f" ({error.text})" if error.text else ""
            print(f"  {report.numbered_by} {error.number}: {error.reason}{text}", file=out)
        if len(report.errors) > REFUSED_SHOWN:
            print(f"  ... and {len(report.errors) - REFUSED_SHOWN} more refused", file=out)
        for note in report.notes:
            print(f"  note: {note}", file=out)


def exit_code(reports: Sequence[SourceReport]) -> int:
    """3 a database could not be reached; else 1 a source could not be read; else 2 lines
    were refused; else 0."""
    if any(report.unreachable for report in reports):
        return EXIT_DATABASE
    if any(report.failure is not None for report in reports):
        return EXIT_FAILED
    if any(report.errors for report in reports):
        return EXIT_REFUSED
    return EXIT_OK


def _refuse(message: str) -> int:
    print(f"asterisk-cc: {message}", file=sys.stderr)
    return EXIT_REFUSED


def _now() -> datetime:
    return datetime.now(UTC)
