"""``asterisk-cc ivr check|show|prompts``: IVR flows on the command line.

* ``check [FILE ...]`` validates the flows of ``[ivr] flows_dir`` (or the files given) against
  this PBX: structure, prompts installed, queues defined. Exit 0 when all are good, 2 with
  every finding when one is not.
* ``show NAME|FILE`` draws a flow as a tree.
* ``prompts`` builds every prompt that has no sound yet from its text (espeak-ng and sox) into
  the first of ``[ivr] sounds_dirs``; ``--dry-run`` only lists them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from asterisk_cc.agi.flows import (
    FLOW_SUFFIX,
    FlowLibrary,
    flow_library,
    load_flow_file,
    prompts_to_build,
)
from asterisk_cc.agi.prompts import build_missing, find_sound
from asterisk_cc.config import Settings
from asterisk_cc.core.ivr.flow import Flow, FlowError
from asterisk_cc.core.ivr.show import draw_flow
from asterisk_cc.errors import ConfigError

EXIT_OK = 0
EXIT_FINDINGS = 2

SettingsFor = Callable[[argparse.Namespace], Settings]


def add_ivr_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    settings_for: SettingsFor,
) -> None:
    ivr = subparsers.add_parser(
        "ivr",
        help="IVR flows: check, show, build prompts",
        description="IVR flows (TOML files in [ivr] flows_dir; docs/ivr.md).",
    )
    actions = ivr.add_subparsers(dest="ivr_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        parents=[common],
        help="validate flows against this PBX (exit 2 with the findings)",
        description="Validate every flow of [ivr] flows_dir, or the FILEs given: nodes and "
        "links, prompts installed in [ivr] sounds_dirs, queues defined in [ivr] queues_conf.",
    )
    check.add_argument("files", nargs="*", metavar="FILE", help="flow files to check")
    check.set_defaults(func=lambda args: cmd_check(args, settings_for(args)))
    show = actions.add_parser("show", parents=[common], help="draw a flow as a tree")
    show.add_argument("flow", metavar="NAME|FILE", help="a flow name of flows_dir, or a file")
    show.set_defaults(func=lambda args: cmd_show(args, settings_for(args)))
    prompts = actions.add_parser(
        "prompts",
        parents=[common],
        help="build missing prompts from their text (espeak-ng, sox)",
        description="Build every prompt of the flows that has no sound file yet, in each "
        "language, from its text, into the first of [ivr] sounds_dirs. Recordings already "
        "there (any format Asterisk plays) are kept.",
    )
    prompts.add_argument("--dry-run", action="store_true", help="only list what is missing")
    prompts.set_defaults(func=lambda args: cmd_prompts(args, settings_for(args)))


def _library(settings: Settings, directory: Path | None = None) -> FlowLibrary:
    library = flow_library(settings.ivr, default_timezone=settings.site.timezone)
    if directory is not None:
        library.directory = directory
    return library


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    reports: dict[str, list[str]] = {}
    if args.files:
        for file in args.files:
            path = Path(file)
            if path.suffix != FLOW_SUFFIX or not path.is_file():
                raise ConfigError(f"{file} is not a flow file (<name>{FLOW_SUFFIX})")
            report = _library(settings, path.parent).check()
            reports[str(path)] = report.get(path.stem, [])
    else:
        library = _library(settings)
        if not library.directory.is_dir():
            raise ConfigError(
                f"[ivr] flows_dir {library.directory} in {settings.source} does not exist. Fix: "
                "create it and put the flow files there (conf/ivr/ has samples)."
            )
        reports = library.check()
        if not reports:
            print(f"no flow files (*{FLOW_SUFFIX}) in {library.directory}")
            return EXIT_FINDINGS
    bad = 0
    for name, findings in reports.items():
        print(f"{'OK' if not findings else 'FAIL':5} {name}")
        for finding in findings:
            print(f"      {finding}")
        bad += bool(findings)
    return EXIT_FINDINGS if bad else EXIT_OK


def _flow(settings: Settings, name_or_file: str) -> Flow:
    path = Path(name_or_file)
    if path.suffix != FLOW_SUFFIX:
        path = Path(settings.ivr.flows_dir) / f"{name_or_file}{FLOW_SUFFIX}"
    if not path.is_file():
        raise ConfigError(f"no flow file {path}")
    return load_flow_file(path, default_timezone=settings.site.timezone)


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    try:
        flow = _flow(settings, args.flow)
    except FlowError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_FINDINGS
    print(draw_flow(flow))
    return EXIT_OK


def cmd_prompts(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.ivr.sounds_dirs:
        raise ConfigError(f"[ivr] sounds_dirs in {settings.source} is empty")
    sounds_dir = Path(settings.ivr.sounds_dirs[0])
    items = prompts_to_build(_library(settings).all_flows())
    missing = [i for i in items if find_sound(sounds_dir, i.lang, i.name) is None]
    if args.dry_run:
        for item in missing:
            print(f"{item.lang} {item.name}: {item.text}")
        print(f"{len(missing)} of {len(items)} prompt(s) missing in {sounds_dir}")
        return EXIT_OK

    def progress(message: str) -> None:
        print(f"building {message}", file=sys.stderr, flush=True)

    report = build_missing(missing, sounds_dir, progress=progress)
    print(f"{report.summary()} in {sounds_dir}")
    return EXIT_OK
