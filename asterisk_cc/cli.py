"""``asterisk-cc``: one command for every process of the contact centre.

Exit codes (stable, for scripts):
    0  success
    1  a check failed, or an unexpected error (the log has the details)
    2  the configuration (file, environment or command line) is wrong
    3  the database cannot be reached or is not migrated
    4  Asterisk (ARI, AMI) cannot be reached
    5  the Asterisk sandbox cannot be built, started or stopped
    6  the process asked for is not available in this version
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence

from asterisk_cc import __version__
from asterisk_cc.config import (
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG_PATH,
    Settings,
    load_settings,
    render_sample,
    resolve_config_path,
)
from asterisk_cc.errors import AsteriskCCError

logger = logging.getLogger("asterisk_cc")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    from asterisk_cc.agi.ivr_cli import add_ivr_parser
    from asterisk_cc.dialer.campaign_cli import add_campaign_parser, add_dnc_parser
    from asterisk_cc.reports.ingest_cli import add_ingest_parser
    from asterisk_cc.reports.report_cli import add_report_parser
    from asterisk_cc.sandbox.cli import add_sandbox_parser
    from asterisk_cc.web.user_cli import add_user_parser

    # --config and --log-level are accepted before and after the command (`asterisk-cc check
    # --config FILE`). The parsers share these option objects, so their default must stay
    # SUPPRESS (an option not given sets nothing, and a value given before the command is not
    # reset by the command's parser); read them with getattr(args, ..., None).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help=f"configuration file (default: ${CONFIG_ENV_VAR} or {DEFAULT_CONFIG_PATH})",
    )
    common.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default=argparse.SUPPRESS,
        help="override [logging] level",
    )
    parser = argparse.ArgumentParser(
        prog="asterisk-cc",
        parents=[common],
        description="A contact centre on a stock Asterisk 22 PBX: IVR (FastAGI), ARI agent "
        "controller, outbound dialer, KPI reports and a web dashboard over a shared CRM database.",
        # Preformatted, so the exit codes read the same at any terminal width.
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"configuration file: --config FILE, else ${CONFIG_ENV_VAR}, else "
        f"{DEFAULT_CONFIG_PATH}\n"
        "exit codes:\n"
        "  0 ok, 1 failed, 2 bad configuration, 3 database, 4 Asterisk unreachable,\n"
        "  5 sandbox, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"asterisk-cc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def process(name: str, help_text: str, func: Callable[[argparse.Namespace], int]) -> None:
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(func=func)

    process("agi", "run the FastAGI server that runs the IVR", cmd_agi)
    process("ari", "run the ARI controller (agent sessions, inbound delivery)", cmd_ari)
    process("dialer", "run the outbound dialer", cmd_dialer)
    process("scheduler", "run the report scheduler", cmd_scheduler)
    process("web", "run the web dashboard", cmd_web)
    process("run-all", "run every process in one (for a small site)", cmd_run_all)

    check = sub.add_parser(
        "check",
        parents=[common],
        help="validate the configuration and reach the database, ARI, AMI",
        description="Validate the configuration file, then reach the database, ARI and AMI and "
        "test the FastAGI address. Prints one line per check; exit 0 when all pass, 1 when "
        "any fails, 2 when the configuration is invalid.",
    )
    check.set_defaults(func=cmd_check)

    config = sub.add_parser("config", help="print the sample or the effective configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser(
        "sample", help="print the fully commented sample configuration"
    ).set_defaults(func=cmd_config_sample)
    config_sub.add_parser(
        "show", parents=[common], help="print the effective configuration, secrets masked"
    ).set_defaults(func=cmd_config_show)

    db = sub.add_parser("db", help="database schema management")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser(
        "upgrade", parents=[common], help="create or migrate the schema to the newest version"
    ).set_defaults(func=cmd_db_upgrade)
    db_sub.add_parser("current", parents=[common], help="print the schema version").set_defaults(
        func=cmd_db_current
    )

    agent = sub.add_parser("agent", help="agents: set the PIN for the phone log-in (*45)")
    agent_sub = agent.add_subparsers(dest="agent_command", metavar="ACTION", required=True)
    set_pin = agent_sub.add_parser(
        "set-pin",
        parents=[common],
        help="set an agent's PIN (4-12 digits), asked for twice, or read from standard input",
        description="Set the PIN an agent keys after their agent number when logging in by "
        "phone (*45). Without a terminal, the PIN is read from standard input.",
    )
    set_pin.add_argument("login", help="the agent's login (agent number)")
    set_pin.set_defaults(func=cmd_agent_set_pin)

    add_ivr_parser(sub, common, lambda args: settings_for(args, needed_by="ivr"))
    add_campaign_parser(sub, common, lambda args: settings_for(args, needed_by="db"))
    add_dnc_parser(sub, common, lambda args: settings_for(args, needed_by="db"))
    add_report_parser(sub, common, lambda args: settings_for(args, needed_by="scheduler"))
    add_ingest_parser(sub, common, lambda args: settings_for(args, needed_by="db"))
    add_user_parser(sub, common, lambda args: settings_for(args, needed_by="db"))
    add_sandbox_parser(sub)

    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="the whole contact centre on a private Asterisk, with simulated traffic",
        description="Bring up the real Asterisk sandbox and every process of asterisk-cc on an "
        "embedded SQLite database with demo data; simulated callers, agents and a predictive "
        "campaign make traffic; then the daily report pack, checked against the traffic. "
        "Without --minutes the traffic plays until Ctrl-C. Exit 0 when the report agrees "
        "and nothing was lost (docs/demo.md).",
    )
    demo.add_argument(
        "--minutes", type=_positive_minutes, help="minutes of traffic, then report and exit"
    )
    demo.add_argument("--agents", type=int, default=8, help="simulated agents (default 8)")
    demo.add_argument("--seed", type=int, default=7, help="the traffic's random seed")
    demo.add_argument("--web-port", type=int, help="the dashboard's port (default 8080 if free)")
    demo.add_argument("--keep", action="store_true", help="leave the sandbox running afterwards")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    set_log_level(getattr(args, "log_level", None) or "INFO")
    try:
        return int(args.func(args))
    except AsteriskCCError as exc:
        print(f"asterisk-cc: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("asterisk-cc: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def settings_for(args: argparse.Namespace, needed_by: str = "all") -> Settings:
    path = resolve_config_path(getattr(args, "config", None), os.environ)
    settings = load_settings(path, needed_by=needed_by)
    set_log_level(getattr(args, "log_level", None) or settings.logging.level)
    return settings


def set_log_level(level: str) -> None:
    logging.getLogger().setLevel(level)
    # One line per HTTP request (the dashboard and the dialer ask the controller twice a
    # second) would bury what the processes have to say; at DEBUG they are shown.
    logging.getLogger("httpx").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def cmd_check(args: argparse.Namespace) -> int:
    from asterisk_cc.health import run_checks

    settings = settings_for(args)
    print(f"OK    config    {settings.source} is valid")
    results = run_checks(settings)
    for result in results:
        print(f"{'OK' if result.ok else 'FAIL':5} {result.name:9} {result.detail}")
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def cmd_config_sample(args: argparse.Namespace) -> int:
    sys.stdout.write(render_sample())
    return EXIT_OK


def cmd_config_show(args: argparse.Namespace) -> int:
    import dataclasses

    from asterisk_cc.core.settings_view import hide_url_passwords, shown_setting

    settings = settings_for(args)
    for section in dataclasses.fields(settings):
        values = getattr(settings, section.name)
        if not dataclasses.is_dataclass(values):
            continue
        print(f"[{section.name}]")
        for f in dataclasses.fields(values):
            value = getattr(values, f.name)
            secret = bool(f.metadata.get("secret"))
            # repr keeps the quotes that tell text from numbers; a password written into a URL
            # ([database] url) is hidden as on the dashboard's settings page.
            shown = shown_setting(value, secret=True) if secret else hide_url_passwords(repr(value))
            print(f"{f.name} = {shown}")
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from asterisk_cc.db.engine import make_engine
    from asterisk_cc.db.migrate import current_revision, upgrade

    settings = settings_for(args, needed_by="db")
    engine = make_engine(settings.database)
    try:
        before = current_revision(engine)
        print(f"database schema: {before or 'empty'} → upgrading", file=sys.stderr)
        upgrade(engine)
        print(f"database schema is at {current_revision(engine)}")
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace) -> int:
    from asterisk_cc.db.engine import make_engine
    from asterisk_cc.db.migrate import current_revision

    settings = settings_for(args, needed_by="db")
    engine = make_engine(settings.database)
    try:
        print(current_revision(engine) or "empty (run: asterisk-cc db upgrade)")
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_agent_set_pin(args: argparse.Namespace) -> int:
    import getpass

    from asterisk_cc.db.agents import set_agent_pin
    from asterisk_cc.db.engine import make_engine, session_factory

    if sys.stdin.isatty():
        pin = getpass.getpass(f"PIN for agent {args.login}: ")
        if getpass.getpass("the same PIN again: ") != pin:
            print("asterisk-cc: the two PINs differ; nothing changed", file=sys.stderr)
            return EXIT_CONFIG
    else:
        pin = sys.stdin.readline().strip()
    settings = settings_for(args, needed_by="db")
    engine = make_engine(settings.database)
    try:
        with session_factory(engine).begin() as session:
            set_agent_pin(session, args.login, pin)
    except (ValueError, LookupError) as exc:
        print(f"asterisk-cc: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        engine.dispose()
    print(f"agent {args.login} can now log in by phone (*45)")
    return EXIT_OK


def cmd_agi(args: argparse.Namespace) -> int:
    from asterisk_cc.agi.service import serve

    asyncio.run(serve(settings_for(args, needed_by="agi")))
    return EXIT_OK


def cmd_ari(args: argparse.Namespace) -> int:
    from asterisk_cc.ari.service import serve

    asyncio.run(serve(settings_for(args, needed_by="ari")))
    return EXIT_OK


def cmd_dialer(args: argparse.Namespace) -> int:
    from asterisk_cc.dialer.service import serve

    asyncio.run(serve(settings_for(args, needed_by="dialer")))
    return EXIT_OK


def cmd_scheduler(args: argparse.Namespace) -> int:
    from asterisk_cc.reports.scheduler import cmd_scheduler as run_scheduler

    return run_scheduler(args)


def cmd_run_all(args: argparse.Namespace) -> int:
    from asterisk_cc.agi import service as agi_service
    from asterisk_cc.ari import service as ari_service

    settings = settings_for(args, needed_by="run-all")

    async def run_all() -> None:
        await asyncio.gather(agi_service.serve(settings), ari_service.serve(settings))

    asyncio.run(run_all())
    return EXIT_OK


def cmd_web(args: argparse.Namespace) -> int:
    from asterisk_cc.web.server import serve

    return serve(settings_for(args, needed_by="web"))


def _positive_minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 < value <= 24 * 60:
        raise argparse.ArgumentTypeError(f"{text} minutes: give more than 0, at most 1440")
    return value


def cmd_demo(args: argparse.Namespace) -> int:
    from asterisk_cc.demo.run import run_demo

    return run_demo(
        minutes=args.minutes,
        agents=args.agents,
        seed=args.seed,
        web_port=args.web_port,
        keep=args.keep,
    )
