"""``asterisk-cc campaign ...`` and ``asterisk-cc dnc ...``: outbound campaigns, their lead
lists and the do-not-call lists, from the command line.

* ``campaign create NAME [options]`` / ``campaign update NAME [options]`` (or ``--file
  CAMPAIGN.toml``), ``campaign list``, ``campaign show NAME``, ``campaign start|pause|stop
  NAME``, ``campaign import NAME FILE --phone COL ...``;
* ``dnc add|remove|check NUMBER``, ``dnc import FILE``.

Exit codes: 0 done; 2 an input was refused (a setting, a file, a number, a row of a file: the
message names each problem). An import that refuses some rows still imports the others, and
exits 2 so that a script notices. Database and configuration failures end as the rest of the
command line's do (3, 2).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from asterisk_cc.config import Settings
from asterisk_cc.core.dialer.campaign import (
    CampaignError,
    campaign_from_mapping,
    campaign_to_mapping,
    campaign_warnings,
)
from asterisk_cc.core.dialer.lead_csv import (
    LeadColumns,
    LeadFileError,
    RejectedRow,
    escape_formula,
)
from asterisk_cc.core.dialer.retry import MACHINE_ACTIONS, RETRY_DELAY_KEYS
from asterisk_cc.core.phone import InvalidPhoneNumber, normalize_e164
from asterisk_cc.core.vocabulary import AbandonDefinition, DialMode, LeadStatus
from asterisk_cc.db.campaigns import (
    CampaignNotFound,
    attempt_summary,
    find_campaign,
    lead_counts,
    list_campaigns,
    load_campaign_settings,
    local_day_start,
    save_campaign,
    set_campaign_status,
)
from asterisk_cc.db.dnc import add_dnc, blocked_numbers, dnc_entries, import_dnc, remove_dnc
from asterisk_cc.db.engine import check_database, database_error, make_engine, session_factory
from asterisk_cc.db.lead_import import import_leads

__all__ = ["add_campaign_parser", "add_dnc_parser"]

EXIT_OK = 0
EXIT_REJECTED = 2
WARNINGS_SHOWN = 100

SettingsFor = Callable[[argparse.Namespace], Settings]
Command = Callable[[argparse.Namespace, Settings], int]
if TYPE_CHECKING:  # argparse's class is not subscriptable at run time
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


# --- plumbing -----------------------------------------------------------------------------------


def _say(message: str) -> None:
    print(f"asterisk-cc: {message}", file=sys.stderr)


def _refusals(command: Command) -> Command:
    """Refused input → each problem on stderr and exit 2 (no traceback)."""

    @wraps(command)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return command(args, settings)
        except CampaignError as exc:
            for problem in exc.problems:
                _say(problem)
            return EXIT_REJECTED
        except (ValueError, LookupError, OSError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            _say(str(message))
            return EXIT_REJECTED

    return run


@contextmanager
def _database(settings: Settings) -> Iterator[Session]:
    """One transaction on the configured database, committed when the block ends well. The
    schema is checked first, so an unmigrated database says to run ``db upgrade``."""
    engine = make_engine(settings.database)
    try:
        check_database(engine, settings.source)
        with session_factory(engine, immediate=True).begin() as session:
            yield session
    except SQLAlchemyError as exc:
        raise database_error(engine, exc, settings.source) from None
    finally:
        engine.dispose()


def _bind(parser: argparse.ArgumentParser, command: Command, settings_for: SettingsFor) -> None:
    parser.set_defaults(func=lambda args: command(args, settings_for(args)))


def _now() -> datetime:
    return datetime.now(UTC)


# --- campaign -----------------------------------------------------------------------------------


def add_campaign_parser(
    subparsers: SubParsers, common: argparse.ArgumentParser, settings_for: SettingsFor
) -> None:
    """``asterisk-cc campaign ...``; ``settings_for`` reads the configuration (the database
    and the site's time zone and region are used)."""
    campaign = subparsers.add_parser(
        "campaign",
        help="outbound campaigns: create, list, show, start/pause/stop, import leads",
        description="Outbound campaigns (docs/dialer.md).",
    )
    actions = campaign.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        parents=[common],
        help="create a campaign",
        description="Create a campaign from options, or from a TOML file (--file) whose keys "
        "are the settings of docs/dialer.md; options given override the file.",
    )
    _settings_options(create, creating=True)
    _bind(create, cmd_campaign_create, settings_for)

    update = actions.add_parser(
        "update",
        parents=[common],
        help="change settings of a campaign (only the options given)",
    )
    _settings_options(update, creating=False)
    _bind(update, cmd_campaign_update, settings_for)

    listing = actions.add_parser("list", parents=[common], help="list the campaigns")
    _bind(listing, cmd_campaign_list, settings_for)

    show = actions.add_parser(
        "show",
        parents=[common],
        help="settings, leads by status, today's attempts and abandon rate",
    )
    show.add_argument("name", metavar="NAME")
    _bind(show, cmd_campaign_show, settings_for)

    for action, text in (
        ("start", "start dialing (from draft or paused)"),
        ("pause", "pause dialing (an active campaign)"),
        ("stop", "finish the campaign for good"),
    ):
        sub = actions.add_parser(action, parents=[common], help=text)
        sub.add_argument("name", metavar="NAME")
        sub.set_defaults(campaign_action=action)
        _bind(sub, cmd_campaign_status, settings_for)

    importing = actions.add_parser(
        "import",
        parents=[common],
        help="import a CSV lead list into a campaign",
        description="Import a CSV lead file (header row first). Every rejected row is printed "
        "with its line number (the header is line 1) and the reason; the good rows are "
        "imported anyway. Exit 0 when every row was imported, 2 when some were rejected.",
    )
    importing.add_argument("name", metavar="NAME", help="the campaign")
    importing.add_argument("file", metavar="FILE", help="the CSV file (- for standard input)")
    importing.add_argument(
        "--phone",
        action="append",
        required=True,
        metavar="COL",
        help="a phone column; repeat for more numbers per lead, in the order to try them",
    )
    importing.add_argument("--ref", metavar="COL", help="the column with your lead reference")
    importing.add_argument("--tz", metavar="COL", help="the column with the lead's time zone")
    importing.add_argument(
        "--field",
        action="append",
        metavar="COL",
        help="keep only these columns as lead fields (default: every other column)",
    )
    importing.add_argument(
        "--region",
        metavar="CC",
        help="country of numbers without a country code (default: [site] default_region)",
    )
    importing.add_argument(
        "--rejects", metavar="FILE.csv", help="also write the rejected rows to this CSV file"
    )
    _bind(importing, cmd_campaign_import, settings_for)


def _settings_options(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument("name", metavar="NAME")
    if creating:
        parser.add_argument("--file", metavar="CAMPAIGN.toml", help="read the settings from it")
    parser.add_argument("--mode", choices=[m.value for m in DialMode], help="how it dials")
    parser.add_argument("--queue", help="the app_queue queue its agents serve")
    parser.add_argument("--caller-id", help="the number shown to the people called")
    parser.add_argument("--window", metavar="HH:MM-HH:MM", help="calling hours, lead's time")
    parser.add_argument("--days", metavar="DAYS", help="calling days, e.g. mon-fri or mon-sat")
    parser.add_argument("--holidays", metavar="DATES", help="no calls, e.g. 2026-12-25,...")
    parser.add_argument(
        "--timezone", help="zone of leads whose own is unknown (default: [site] timezone)"
    )
    parser.add_argument("--max-attempts", type=int, metavar="N", help="dials per lead")
    parser.add_argument(
        "--retry",
        metavar="OUTCOME=S,...",
        help=f"seconds before calling again after: {', '.join(RETRY_DELAY_KEYS)}",
    )
    parser.add_argument("--ring-timeout", type=int, metavar="S", help="ring time (>= 15 s)")
    parser.add_argument(
        "--amd", action=argparse.BooleanOptionalAction, help="answering machine detection"
    )
    parser.add_argument("--machine-action", choices=MACHINE_ACTIONS, help="when AMD hears one")
    parser.add_argument("--machine-message", metavar="SOUND", help="the message to leave")
    parser.add_argument(
        "--abandon-target", metavar="RATIO", help="abandon rate aimed at, e.g. 0.03 or 3%%"
    )
    parser.add_argument(
        "--definition",
        choices=[d.value for d in AbandonDefinition],
        help="the rule the abandon rate is held to",
    )
    parser.add_argument("--abandon-message", metavar="SOUND", help="played when no agent is free")
    parser.add_argument("--max-lines", metavar="N", help="lines per agent at most (1-5)")
    parser.add_argument("--recording", choices=("all", "none", "on_demand"))
    parser.add_argument("--agents", metavar="LOGINS", help="agents who work it, e.g. 1001,1002")
    parser.add_argument("--teams", metavar="NAMES", help="teams who work it")


# Option (argparse dest) → campaign setting.
_OPTION_KEYS = {
    "mode": "dial_mode",
    "queue": "queue",
    "caller_id": "caller_id",
    "window": "window",
    "days": "days",
    "holidays": "holidays",
    "timezone": "timezone",
    "max_attempts": "max_attempts",
    "ring_timeout": "ring_timeout_s",
    "amd": "amd_enabled",
    "machine_action": "machine_action",
    "machine_message": "machine_message",
    "abandon_target": "abandon_target_ratio",
    "definition": "abandon_definition",
    "abandon_message": "abandon_message",
    "max_lines": "max_lines_per_agent",
    "recording": "recording",
    "agents": "agents",
    "teams": "teams",
}


def _given_options(args: argparse.Namespace) -> dict[str, Any]:
    given = {
        key: getattr(args, dest)
        for dest, key in _OPTION_KEYS.items()
        if getattr(args, dest, None) is not None
    }
    if args.retry is not None:
        given["retry_delays_s"] = _parse_retry(args.retry)
    return given


def _parse_retry(text: str) -> dict[str, Any]:
    delays: dict[str, Any] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, equals, value = part.partition("=")
        if not equals:
            raise ValueError(f"--retry: {part.strip()!r} is not OUTCOME=SECONDS, e.g. busy=900")
        value = value.strip()
        delays[key.strip()] = int(value) if value.isdigit() else value
    return delays


def _print_saved(verb: str, settings_name: str, warnings: Sequence[str]) -> None:
    print(f"campaign {settings_name} {verb}")
    for warning in warnings:
        print(f"warning: {warning}")


@_refusals
def cmd_campaign_create(args: argparse.Namespace, settings: Settings) -> int:
    data: dict[str, Any] = {}
    if args.file:
        with Path(args.file).open("rb") as handle:
            try:
                data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{args.file} is not valid TOML: {exc}") from None
    given = _given_options(args)
    if "retry_delays_s" in given and isinstance(data.get("retry_delays_s"), dict):
        given["retry_delays_s"] = {**data["retry_delays_s"], **given["retry_delays_s"]}
    data.update(given)
    data["name"] = args.name
    campaign_settings = campaign_from_mapping(data, default_timezone=settings.site.timezone)
    with _database(settings) as session:
        try:
            find_campaign(session, args.name)
        except CampaignNotFound:
            pass
        else:
            raise ValueError(
                f"a campaign named {args.name!r} exists; change it with: campaign update"
            )
        save_campaign(session, campaign_settings, _now())
    _print_saved(
        "created (draft: start it with campaign start)",
        args.name,
        campaign_warnings(campaign_settings),
    )
    return EXIT_OK


@_refusals
def cmd_campaign_update(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as session:
        campaign = find_campaign(session, args.name)
        data = campaign_to_mapping(load_campaign_settings(campaign, session))
        given = _given_options(args)
        if "retry_delays_s" in given:  # --retry busy=600 changes that delay, not the others
            given["retry_delays_s"] = {**data["retry_delays_s"], **given["retry_delays_s"]}
        data.update(given)
        campaign_settings = campaign_from_mapping(data, default_timezone=settings.site.timezone)
        save_campaign(session, campaign_settings, _now())
    _print_saved("updated", args.name, campaign_warnings(campaign_settings))
    return EXIT_OK


@_refusals
def cmd_campaign_list(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as session:
        campaigns = list_campaigns(session)
        if not campaigns:
            print("no campaigns (create one with: asterisk-cc campaign create NAME --mode ...)")
            return EXIT_OK
        print(f"{'NAME':24} {'MODE':12} {'STATUS':9} {'PENDING':>8} {'LEADS':>8}")
        for campaign in campaigns:
            counts = lead_counts(session, campaign.id)
            print(
                f"{campaign.name:24} {campaign.dial_mode.value:12} {campaign.status.value:9} "
                f"{counts[LeadStatus.PENDING]:>8} {sum(counts.values()):>8}"
            )
    return EXIT_OK


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


@_refusals
def cmd_campaign_show(args: argparse.Namespace, settings: Settings) -> int:
    now = _now()
    with _database(settings) as session:
        campaign = find_campaign(session, args.name)
        campaign_settings = load_campaign_settings(campaign, session)
        print(f"campaign {campaign.name} ({campaign.status.value})")
        for key, value in campaign_to_mapping(campaign_settings).items():
            if key != "name":
                print(f"  {key} = {_shown(value)}")
        counts = lead_counts(session, campaign.id)
        print(f"leads: {sum(counts.values())}")
        for status, count in counts.items():
            print(f"  {status.value:10} {count}")
        today = attempt_summary(
            session, campaign.id, local_day_start(now, campaign_settings.timezone), now
        )
        print(
            f"today ({campaign_settings.timezone}): {today.attempts} attempts, "
            f"{today.live_answers} answered by a person, {today.abandoned} abandoned "
            f"({_ratio(today.abandon_ratio)})"
        )
        if campaign_settings.abandon_definition is not AbandonDefinition.OFCOM_DAILY:
            month = attempt_summary(session, campaign.id, now - timedelta(days=30), now)
            print(
                f"last 30 days: {month.attempts} attempts, {month.live_answers} answered by a "
                f"person, {month.abandoned} abandoned ({_ratio(month.abandon_ratio)})"
            )
    return EXIT_OK


def _shown(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


@_refusals
def cmd_campaign_status(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as session:
        campaign = find_campaign(session, args.name)
        before = campaign.status
        after = set_campaign_status(session, campaign, args.campaign_action, _now())
    print(f"campaign {args.name}: {before.value} → {after.value}")
    return EXIT_OK


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise ValueError(f"no file {name}")
    return path.read_bytes()


@_refusals
def cmd_campaign_import(args: argparse.Namespace, settings: Settings) -> int:
    columns = LeadColumns(
        phones=tuple(args.phone),
        external_ref=args.ref,
        timezone=args.tz,
        fields=tuple(args.field) if args.field else None,
    )
    data = _read_input(args.file)
    region = args.region or settings.site.default_region
    with _database(settings) as session:
        campaign = find_campaign(session, args.name)
        try:
            report = import_leads(session, campaign.id, data, columns, region, _now())
        except LeadFileError as exc:
            raise ValueError(f"{args.file}: {exc}") from None
    print(
        f"{args.file}: {report.rows} rows, {report.inserted} imported into {args.name}, "
        f"{len(report.rejected)} rejected"
    )
    for row in report.rejected:
        print(f"line {row.line}: {row.reason}")
    for warning in report.warnings[:WARNINGS_SHOWN]:
        where = f"line {warning.line}" if warning.line else "file"
        print(f"warning, {where}: {warning.message}")
    if len(report.warnings) > WARNINGS_SHOWN:
        print(f"... and {len(report.warnings) - WARNINGS_SHOWN} more warnings")
    if args.rejects:
        _write_rejects(Path(args.rejects), report.header, report.rejected)
        print(f"rejected rows written to {args.rejects}")
    return EXIT_REJECTED if report.rejected else EXIT_OK


def _write_rejects(path: Path, header: Sequence[str], rejected: Sequence[RejectedRow]) -> None:
    """line, reason, then the row's cells under the file's own header; a BOM so that
    spreadsheets read UTF-8, and cells that look like formulas escaped (they are the caller's
    data, never something to run)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "reason", *map(escape_formula, header)])
        for row in rejected:
            writer.writerow([row.line, escape_formula(row.reason), *map(escape_formula, row.raw)])


# --- dnc ----------------------------------------------------------------------------------------


def add_dnc_parser(
    subparsers: SubParsers, common: argparse.ArgumentParser, settings_for: SettingsFor
) -> None:
    """``asterisk-cc dnc ...``: the do-not-call lists."""
    dnc = subparsers.add_parser(
        "dnc",
        help="do-not-call lists: add, import, remove, check numbers",
        description="Do-not-call lists: the global one (every campaign) and per campaign.",
    )
    actions = dnc.add_subparsers(dest="dnc_command", metavar="ACTION", required=True)

    def number_parser(name: str, text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[common], help=text)
        sub.add_argument("number", metavar="NUMBER")
        sub.add_argument(
            "--campaign", metavar="NAME", help="that campaign's list (default: global)"
        )
        sub.add_argument(
            "--region", metavar="CC", help="country of a national number ([site] default_region)"
        )
        return sub

    add = number_parser("add", "put a number on a do-not-call list")
    add.add_argument("--reason", help="why (kept with the entry)")
    add.add_argument(
        "--expires",
        metavar="YYYY-MM-DD",
        help="listed until this date begins, UTC (default: for ever)",
    )
    _bind(add, cmd_dnc_add, settings_for)

    remove = number_parser("remove", "take a number off a do-not-call list")
    remove.add_argument("--all", action="store_true", help="off every list it is on")
    _bind(remove, cmd_dnc_remove, settings_for)

    check = number_parser("check", "show whether a number may be called")
    _bind(check, cmd_dnc_check, settings_for)

    importing = actions.add_parser(
        "import",
        parents=[common],
        help="add every number of a file to a do-not-call list",
        description="One number per line, or a CSV whose header names a phone column (phone, "
        "number, msisdn...) and optionally a reason column. Exit 2 when lines were rejected "
        "(the others are added).",
    )
    importing.add_argument("file", metavar="FILE", help="the file (- for standard input)")
    importing.add_argument("--campaign", metavar="NAME", help="that campaign's list")
    importing.add_argument("--region", metavar="CC", help="country of national numbers")
    importing.add_argument("--source", default="import", help="recorded with each entry")
    _bind(importing, cmd_dnc_import, settings_for)


def _number(args: argparse.Namespace, settings: Settings) -> str:
    try:
        return normalize_e164(args.number, args.region or settings.site.default_region)
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None


def _campaign_id(session: Session, name: str | None) -> int | None:
    return None if name is None else find_campaign(session, name).id


def _list_name(name: str | None) -> str:
    return "the global do-not-call list" if name is None else f"campaign {name}'s list"


@_refusals
def cmd_dnc_add(args: argparse.Namespace, settings: Settings) -> int:
    phone = _number(args, settings)
    expires_at = None
    if args.expires:
        try:
            day = date.fromisoformat(args.expires)
        except ValueError:
            raise ValueError(f"--expires {args.expires!r} is not a date like 2027-01-31") from None
        expires_at = datetime.combine(day, time(), UTC)
    with _database(settings) as session:
        add_dnc(
            session,
            phone,
            campaign_id=_campaign_id(session, args.campaign),
            source="admin",
            reason=args.reason,
            expires_at=expires_at,
            now=_now(),
        )
    print(f"{phone} is on {_list_name(args.campaign)}")
    return EXIT_OK


@_refusals
def cmd_dnc_remove(args: argparse.Namespace, settings: Settings) -> int:
    phone = _number(args, settings)
    with _database(settings) as session:
        removed = remove_dnc(
            session,
            phone,
            campaign_id=_campaign_id(session, args.campaign),
            everywhere=args.all,
            now=_now(),
        )
        left = len(dnc_entries(session, phone))
    where = "every list" if args.all else _list_name(args.campaign)
    if not removed:
        print(f"{phone} was not on {where}")
    else:
        print(f"{phone} removed from {where}")
    if left:
        print(f"{phone} is still on {left} other list(s): see asterisk-cc dnc check {phone}")
    return EXIT_OK


@_refusals
def cmd_dnc_check(args: argparse.Namespace, settings: Settings) -> int:
    phone = _number(args, settings)
    now = _now()
    with _database(settings) as session:
        entries = dnc_entries(session, phone)
        if args.campaign is not None:
            campaign_id = find_campaign(session, args.campaign).id
            blocked = phone in blocked_numbers(session, [phone], campaign_id, now)
            verdict = "must NOT be called" if blocked else "may be called"
            print(f"{phone} {verdict} by campaign {args.campaign}")
        elif not entries:
            print(f"{phone} is on no do-not-call list")
        for entry, campaign_name in entries:
            expired = entry.expires_at is not None and entry.expires_at <= now
            until = f", until {entry.expires_at:%Y-%m-%d}" if entry.expires_at else ""
            state = " (expired)" if expired else ""
            reason = f": {entry.reason}" if entry.reason else ""
            print(
                f"  {_list_name(campaign_name)}{state}, since {entry.created_at:%Y-%m-%d}"
                f"{until}, from {entry.source}{reason}"
            )
    return EXIT_OK


@_refusals
def cmd_dnc_import(args: argparse.Namespace, settings: Settings) -> int:
    data = _read_input(args.file)
    region = args.region or settings.site.default_region
    with _database(settings) as session:
        try:
            report = import_dnc(
                session,
                data,
                region,
                _campaign_id(session, args.campaign),
                args.source,
                now=_now(),
            )
        except LeadFileError as exc:
            raise ValueError(f"{args.file}: {exc}") from None
    print(
        f"{args.file}: {report.added} added to {_list_name(args.campaign)}, {report.updated} "
        f"already there, {report.repeated} repeated in the file, {len(report.rejected)} rejected"
    )
    for row in report.rejected:
        print(f"line {row.line}: {row.reason}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    return EXIT_REJECTED if report.rejected else EXIT_OK
