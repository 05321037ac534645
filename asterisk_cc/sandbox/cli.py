"""``asterisk-cc sandbox up|down|status|call``: the sandbox on the command line.

Contract with the main command line (``asterisk_cc.cli``):

* ``add_sandbox_parser(subparsers)`` adds the ``sandbox`` command with its four actions to an
  ``argparse`` sub-parsers object and returns the ``sandbox`` parser. Every action sets
  ``func``: the main command line calls ``args.func(args)`` and exits with the ``int`` it
  returns. Only the options added here are read from ``args``.
* Exit codes: 0 success (``status``: the sandbox runs), 1 ``status`` of a stopped sandbox.
  Failures raise :class:`asterisk_cc.errors.SandboxError` (exit code 5), whose message says
  what failed and how to fix it; the main command line prints it without a traceback.
* Progress of long steps (building the rootfs, starting Asterisk) goes to stderr, one line per
  step; results (status, call ids, records) go to stdout.

Examples::

    asterisk-cc sandbox up --name demo --write-config /tmp/demo.toml
    asterisk-cc sandbox status --name demo
    asterisk-cc sandbox call --name demo --to demo --dtmf 1,42# --wait
    asterisk-cc sandbox down --name demo
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox.instance import DEFAULT_NAME, PlacedCall, Sandbox
from asterisk_cc.sandbox.render import CallerScript, SandboxPorts, Wait, parse_dtmf_groups

EXIT_OK = 0
EXIT_STOPPED = 1
DEFAULT_IVR_CONTEXT = "asterisk-cc-ivr"


def add_sandbox_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register ``sandbox up|down|status|call`` on ``subparsers`` (see the module docstring)."""
    sandbox = subparsers.add_parser(
        "sandbox",
        help="a private Asterisk 22 for tests and demos (up, down, status, call)",
        description="A private Asterisk 22 (Debian sid, in a chroot) with the project's dialplan "
        "and queues, its own loopback ports and random ARI/AMI secrets. Needs root. The rootfs "
        "is built on first use (about a minute) and cached in /var/cache/asterisk-cc/sandbox "
        "(ASTERISK_CC_SANDBOX_CACHE).",
    )
    actions = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text, description=help_text)
        parser.add_argument(
            "--name", default=DEFAULT_NAME, help=f"instance name (default: {DEFAULT_NAME})"
        )
        parser.set_defaults(func=run_sandbox_command)
        return parser

    up = action("up", "build (first time), start and wait until Asterisk has fully booted")
    defaults = SandboxPorts()
    up.add_argument("--http-port", type=int, help=f"HTTP/ARI port (default {defaults.http})")
    up.add_argument("--ami-port", type=int, help=f"AMI port (default {defaults.ami})")
    up.add_argument(
        "--agi-port",
        type=int,
        help=f"FastAGI port the dialplan calls (default {defaults.agi}); run asterisk-cc agi there",
    )
    up.add_argument(
        "--write-config",
        metavar="FILE",
        type=Path,
        help="also write an asterisk-cc configuration for this sandbox to FILE (mode 0600)",
    )
    up.add_argument("--boot-timeout", type=float, default=60.0, help="seconds (default 60)")

    action("down", "stop Asterisk (core stop now; killed after 15 s)")
    action("status", "print whether it runs, its ARI URL and ports (exit 1 when stopped)")

    call = action("call", "place a scripted call: answer, press keys, hang up")
    call.add_argument(
        "--to",
        required=True,
        metavar="EXTEN[@CONTEXT]",
        help=f"where the call goes; without @CONTEXT an IVR flow in {DEFAULT_IVR_CONTEXT} "
        "(e.g. demo), else e.g. support@asterisk-cc-queue",
    )
    call.add_argument(
        "--dtmf", default="", help="key groups to press, comma-separated (e.g. 1,42#)"
    )
    call.add_argument(
        "--first-delay", type=float, default=2.0, help="seconds before the first key (default 2)"
    )
    call.add_argument("--gap", type=float, default=1.5, help="seconds between groups (default 1.5)")
    call.add_argument(
        "--hold", type=float, default=5.0, help="seconds to stay after the last key (default 5)"
    )
    call.add_argument("--caller-id", default="", help='caller ID, e.g. "Alice" <5551234>')
    call.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="channel variable for the call (repeatable), e.g. ASTERISK_CC_QUEUE_TIMEOUT=10",
    )
    call.add_argument(
        "--wait",
        action="store_true",
        help="wait until the call ends, then print its queue_log lines and CDR rows",
    )
    return sandbox


def run_sandbox_command(args: argparse.Namespace) -> int:
    """Dispatch ``args.sandbox_command``; the exit code of the command line."""

    def progress(message: str) -> None:
        print(f"sandbox: {message}", file=sys.stderr, flush=True)

    # One INFO line per ARI request would bury the progress lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    command = args.sandbox_command
    ports = None
    if command == "up":
        ports = _ports_from_args(args, Sandbox(args.name).ports)
    sandbox = Sandbox(args.name, ports=ports, progress=progress)
    if command == "up":
        status = sandbox.up(boot_timeout_s=args.boot_timeout)
        if args.write_config:
            sandbox.write_config(args.write_config)
            progress(f"wrote {args.write_config}: asterisk-cc --config {args.write_config} check")
        print(status.describe())
        return EXIT_OK
    if command == "down":
        sandbox.down()
        progress(f"{args.name} is stopped")
        return EXIT_OK
    if command == "status":
        status = sandbox.status()
        print(status.describe())
        return EXIT_OK if status.running else EXIT_STOPPED
    if command == "call":
        return _call(sandbox, args)
    raise SandboxError(f"unknown sandbox action {command!r}")


def _ports_from_args(args: argparse.Namespace, saved: SandboxPorts) -> SandboxPorts:
    """Ports given on the command line, the rest as the instance had them."""
    return SandboxPorts(
        http=args.http_port or saved.http,
        ami=args.ami_port or saved.ami,
        agi=args.agi_port or saved.agi,
    )


def _call(sandbox: Sandbox, args: argparse.Namespace) -> int:
    if not sandbox.status().running:
        raise SandboxError(
            f"sandbox {sandbox.name} is not running. Fix: asterisk-cc sandbox up --name "
            f"{sandbox.name}"
        )
    destination = args.to if "@" in args.to else f"{args.to}@{DEFAULT_IVR_CONTEXT}"
    script = CallerScript.pressing(
        parse_dtmf_groups(args.dtmf),
        first_delay_s=args.first_delay,
        gap_s=args.gap,
        hold_s=args.hold,
    )
    variables = {}
    for assignment in args.var:
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise SandboxError(f"--var {assignment!r} must be NAME=VALUE")
        variables[name] = value
    queue_log, cdr = sandbox.queue_log(), sandbox.cdr()
    call = sandbox.place_call(destination, script, caller_id=args.caller_id, variables=variables)
    _print_call(call)
    if args.wait:
        sandbox.wait_for_hangup(call, timeout_s=_script_length_s(script) + 60)
        cdr.wait_for_linkedid(call.linkedid, timeout_s=10)
        rows = cdr.settled_rows(call.linkedid)
        for line in queue_log.records():
            if line.callid in (call.callee_id, call.caller_id):
                print("queue_log", line.summary())
        for row in rows:
            print("cdr", row.summary())
    return EXIT_OK


def _print_call(call: PlacedCall) -> None:
    print(f"call to {call.destination}")
    print(f"linkedid  {call.linkedid}")
    print(f"callee    {call.callee_id}  (runs {call.destination}: agi_uniqueid, queue_log callid)")
    print(f"caller    {call.caller_id}  (the scripted caller)")


def _script_length_s(script: CallerScript) -> float:
    return sum(step.seconds for step in script.steps if isinstance(step, Wait))
