"""IVR flows, read-only: the flows of ``[ivr] flows_dir`` with their validation findings, and
each flow as a tree with every node's findings beside it.

The checks are those of ``asterisk-cc ivr check`` (and of the FastAGI server when it loads a
flow): structure, prompts, queues in queues.conf, sounds installed. Sounds and queues are
checked only when ``[ivr] sounds_dirs`` and ``[ivr] queues_conf`` are on this host; the page
says when they are not. Flows are edited as files (docs/ivr.md), not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import abort, render_template

from asterisk_cc.agi.flows import FLOW_SUFFIX, FlowLibrary, flow_library, load_flow_file
from asterisk_cc.core.ivr.flow import Flow, FlowError
from asterisk_cc.core.ivr.tree import FlowFinding, FlowTree, classify, flow_tree
from asterisk_cc.core.ivr.validate import validate_flow
from asterisk_cc.web.access import admins_only
from asterisk_cc.web.admin_base import blueprint
from asterisk_cc.web.context import web_context
from asterisk_cc.web.i18n import gettext

FLOW_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class FlowSummary:
    name: str
    description: str
    nodes: int
    errors: int
    warnings: int
    problems: tuple[str, ...]
    """Why the file cannot be read at all (empty when it parses)."""
    findings: tuple[FlowFinding, ...]


def _library() -> FlowLibrary:
    settings = web_context().settings
    return flow_library(settings.ivr, default_timezone=settings.site.timezone)


def _load(library: FlowLibrary, name: str) -> Flow:
    return load_flow_file(
        library.directory / f"{name}{FLOW_SUFFIX}", default_timezone=library.default_timezone
    )


def _findings(library: FlowLibrary, flow: Flow) -> list[FlowFinding]:
    found = validate_flow(
        flow, sound_exists=library.sound_exists, queues=library.queues, flows=library.names()
    )
    return [classify(f) for f in found]


def _summary(library: FlowLibrary, name: str) -> FlowSummary:
    try:
        flow = _load(library, name)
    except FlowError as exc:
        return FlowSummary(name, "", 0, len(exc.problems), 0, tuple(exc.problems), ())
    findings = _findings(library, flow)
    return FlowSummary(
        name=name,
        description=flow.description,
        nodes=len(flow.nodes),
        errors=sum(f.severity == "error" for f in findings),
        warnings=sum(f.severity == "warning" for f in findings),
        problems=(),
        findings=tuple(findings),
    )


def _checks_made(library: FlowLibrary) -> list[str]:
    """What could not be checked on this host, said plainly."""
    notes = []
    if library.sound_exists is None:
        notes.append(
            gettext(
                "None of [ivr] sounds_dirs is on this host: prompts' sounds are not checked here."
            )
        )
    if library.queues is None:
        notes.append(
            gettext("None of [ivr] queues_conf is on this host: queue names are not checked here.")
        )
    return notes


@blueprint.route("/ivr")
@admins_only
def ivr() -> str:
    library = _library()
    directory: Path = library.directory
    exists = directory.is_dir()
    flows = [_summary(library, name) for name in library.names()] if exists else []
    return render_template(
        "admin/ivr.html",
        flows=flows,
        directory=str(directory),
        exists=exists,
        notes=_checks_made(library),
    )


@blueprint.route("/ivr/<name>")
@admins_only
def ivr_flow(name: str) -> str:
    library = _library()
    if not FLOW_NAME.match(name) or name not in library.names():
        abort(404)
    tree: FlowTree | None = None
    problems: tuple[str, ...] = ()
    try:
        flow = _load(library, name)
    except FlowError as exc:
        problems = tuple(exc.problems)
    else:
        found = validate_flow(
            flow, sound_exists=library.sound_exists, queues=library.queues, flows=library.names()
        )
        tree = flow_tree(flow, found)
    return render_template(
        "admin/ivr_flow.html",
        name=name,
        tree=tree,
        file_problems=problems,
        notes=_checks_made(library),
        kinds=node_kind_names(),
    )


def node_kind_names() -> dict[str, str]:
    """Each node kind in the user's language."""
    return {
        "play": gettext("play"),
        "menu": gettext("menu"),
        "collect": gettext("collect digits"),
        "lookup": gettext("look up"),
        "condition": gettext("condition"),
        "say": gettext("say"),
        "language": gettext("choose language"),
        "set": gettext("set variables"),
        "queue": gettext("queue"),
        "transfer": gettext("transfer"),
        "voicemail": gettext("voicemail"),
        "callback": gettext("callback"),
        "complaint": gettext("complaint"),
        "survey": gettext("survey"),
        "hangup": gettext("hang up"),
    }
