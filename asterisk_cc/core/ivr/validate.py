"""Does a flow hold together, and does everything it names exist on this PBX?

Checks a parsed :class:`Flow` for what a typo or a half-finished edit leaves behind: a target
node or prompt that does not exist, a node no caller can reach, a node from which no caller can
ever leave the IVR (a menu that only loops back), a prompt with no sound in a language the flow
speaks, a queue that app_queue does not define. Which sounds and queues exist is given as data
by the caller (the adapter looks at the disk and queues.conf), so this stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from asterisk_cc.core.ivr.flow import (
    FINAL_NODES,
    Callback,
    Collect,
    Flow,
    Lookup,
    Node,
    QueueRoute,
    Say,
    Survey,
)
from asterisk_cc.core.ivr.say import BUILT_WORDS, EN_STOCK_SOUNDS

__all__ = ["Finding", "reachable", "validate_flow"]

SoundExists = Callable[[str, str], bool]


@dataclass(frozen=True)
class Finding:
    """One problem: where in the flow file, and what is wrong."""

    flow: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.flow}: {self.key}: {self.message}"


def reachable(flow: Flow) -> set[str]:
    """Node ids a caller can reach from the start."""
    seen: set[str] = set()
    todo = [flow.start]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in flow.nodes:
            continue
        seen.add(node_id)
        todo.extend(target for _, target in flow.targets(flow.nodes[node_id]))
    return seen


def _can_leave(flow: Flow) -> set[str]:
    """Node ids from which some path ends the IVR (a queue, transfer, voicemail, hang-up)."""
    leaving = {nid for nid, node in flow.nodes.items() if isinstance(node, FINAL_NODES)}
    changed = True
    while changed:
        changed = False
        for node_id, node in flow.nodes.items():
            if node_id not in leaving and any(
                target in leaving for _, target in flow.targets(node)
            ):
                leaving.add(node_id)
                changed = True
    return leaving


def validate_flow(
    flow: Flow,
    *,
    sound_exists: SoundExists | None = None,
    queues: Collection[str] | None = None,
    flows: Collection[str] | None = None,
) -> list[Finding]:
    """Every finding, in file order. ``sound_exists(language, name)`` and ``queues`` (names
    defined in queues.conf) are checked only when given; ``flows`` names the flows a queue's
    survey may run."""
    findings = list(_structure(flow))
    if sound_exists is not None:
        findings.extend(_sounds(flow, sound_exists))
    if queues is not None:
        findings.extend(_queues(flow, queues))
    if flows is not None:
        for node_id, node in flow.nodes.items():
            if isinstance(node, QueueRoute) and node.survey and node.survey not in flows:
                findings.append(
                    Finding(flow.name, f"nodes.{node_id}.survey", f"no flow {node.survey!r}")
                )
    return findings


def _structure(flow: Flow) -> Iterator[Finding]:
    def finding(key: str, message: str) -> Finding:
        return Finding(flow.name, key, message)

    if flow.start not in flow.nodes:
        yield finding("flow.start", f"no node {flow.start!r}")
    for node_id, node in flow.nodes.items():
        for key, target in flow.targets(node):
            if target not in flow.nodes:
                yield finding(f"nodes.{node_id}.{key}", f"no node {target!r}")
            elif target == node_id and key != "other_number":
                yield finding(f"nodes.{node_id}.{key}", "points at itself")
        for key, prompt in flow.prompt_ids(node):
            if prompt not in flow.prompts:
                yield finding(f"nodes.{node_id}.{key}", f"no prompt {prompt!r} in [prompts]")
        yield from (finding(f"nodes.{node_id}", m) for m in _node_rules(flow, node))
    if flow.start not in flow.nodes:
        return
    seen = reachable(flow)
    for node_id in flow.nodes:
        if node_id not in seen:
            yield finding(f"nodes.{node_id}", "no caller can reach this node")
    leaving = _can_leave(flow)
    for node_id in flow.nodes:
        if node_id in seen and node_id not in leaving:
            yield finding(
                f"nodes.{node_id}",
                "no way out: every path from here loops back without reaching a queue, "
                "transfer, voicemail or hang-up",
            )
    used = {prompt for node in flow.nodes.values() for _, prompt in flow.prompt_ids(node)}
    for prompt_id in flow.prompts:
        if prompt_id not in used:
            yield finding(f"prompts.{prompt_id}", "not played by any node")


def _node_rules(flow: Flow, node: Node) -> Iterator[str]:
    if isinstance(node, Collect) and node.validate == "crm_account" and not node.on_error:
        yield "a collect with validate = crm_account needs on_error (the CRM may be down)"
    if isinstance(node, Lookup) and node.by == "ticket" and not node.on_error:
        yield "a ticket lookup needs on_error (the database may be down)"
    if isinstance(node, Callback | Survey) and not node.prompts:
        yield "needs prompts (the caller must be told what to do)"


def _sounds(flow: Flow, sound_exists: SoundExists) -> Iterator[Finding]:
    for prompt_id, prompt in flow.prompts.items():
        for language in flow.languages:
            for sound in prompt.sounds(flow.name, language):
                if not sound_exists(language, sound):
                    how = (
                        "a stock sound file that is not installed"
                        if prompt.files.get(language)
                        else "not built yet: run asterisk-cc ivr prompts"
                    )
                    yield Finding(
                        flow.name,
                        f"prompts.{prompt_id}",
                        f"no {language} sound {sound!r} ({how})",
                    )
    says = any(isinstance(node, Say | Collect | Callback) for node in flow.nodes.values())
    if says:
        for language in flow.languages:
            words = sorted(BUILT_WORDS.get(language, {}))
            if language == "en":
                words += sorted(EN_STOCK_SOUNDS)
            missing = [w for w in words if not sound_exists(language, w)]
            if missing:
                yield Finding(
                    flow.name,
                    "say",
                    f"{len(missing)} {language} sound(s) for saying numbers are missing, e.g. "
                    f"{missing[0]!r}: run asterisk-cc ivr prompts",
                )


def _queues(flow: Flow, queues: Collection[str]) -> Iterator[Finding]:
    for node_id, node in flow.nodes.items():
        names: list[tuple[str, str]] = []
        if isinstance(node, QueueRoute):
            names = [("queue", node.queue), *((f"by_tier.{t}", q) for t, q in node.by_tier.items())]
        elif isinstance(node, Callback):
            names = [("queue", node.queue)]
        for key, name in names:
            if name not in queues:
                known = ", ".join(sorted(queues)) or "none"
                yield Finding(
                    flow.name,
                    f"nodes.{node_id}.{key}",
                    f"queue {name!r} is not defined in the queues configuration (defined: {known})",
                )
