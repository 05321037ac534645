"""A flow as a tree of nodes with their validation findings, for the dashboard's flow view.

The same walk as :func:`asterisk_cc.core.ivr.show.draw_flow`: each node is drawn once, under
the first edge that reaches it, and later edges to it point back to it ("see above"), so loops
stay readable. Nodes no caller can reach follow as roots of their own. Every finding of
:func:`~asterisk_cc.core.ivr.validate.validate_flow` is put next to the node its key names
(``nodes.<id>...``); the others (prompts, the flow's start, number words) belong to the flow.

Findings are sorted into errors and warnings. Errors break a caller's path (a target, prompt
or queue that does not exist, a node with no way out); warnings do not by themselves (a node
no caller reaches, a prompt no node plays, a sound not installed or built yet). The FastAGI
server refuses a flow with any finding, so both must be fixed before a change goes live.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from asterisk_cc.core.ivr.flow import Callback, Flow, Node, QueueRoute
from asterisk_cc.core.ivr.show import describe_node, edge_label
from asterisk_cc.core.ivr.validate import Finding, reachable

__all__ = [
    "FlowFinding",
    "FlowTree",
    "TreeNode",
    "classify",
    "flow_tree",
    "node_kind",
    "node_queues",
]

Severity = Literal["error", "warning"]
Shown = Literal["here", "above", "missing"]

WARNING_MESSAGES: Final = ("no caller can reach this node", "not played by any node")


@dataclass(frozen=True)
class FlowFinding:
    key: str
    message: str
    severity: Severity
    node: str | None
    """The node the finding is about, if it is about one."""


@dataclass(frozen=True)
class TreeNode:
    node_id: str
    edge: str
    """The key that leads here from the parent (``key 1``, ``next``, ``if open office``);
    empty for a root."""
    shown: Shown
    """``here``: drawn here with its children; ``above``: drawn earlier in the tree;
    ``missing``: the target does not exist."""
    kind: str = ""
    """The node's kind as the flow file names it (``menu``, ``queue``...)."""
    summary: str = ""
    """What the node does, in one line (:func:`describe_node`)."""
    queues: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()
    findings: tuple[FlowFinding, ...] = ()
    children: tuple[TreeNode, ...] = ()


@dataclass(frozen=True)
class FlowTree:
    name: str
    description: str
    start: TreeNode
    unreachable: tuple[TreeNode, ...]
    flow_findings: tuple[FlowFinding, ...]
    """Findings that are about no single node."""
    errors: int
    warnings: int


def classify(finding: Finding) -> FlowFinding:
    """The finding with its severity and node."""
    key, message = finding.key, finding.message
    is_sound = key == "say" or (key.startswith("prompts.") and " sound" in message)
    severity: Severity = "warning" if message in WARNING_MESSAGES or is_sound else "error"
    node = key.split(".")[1] if key.startswith("nodes.") and key.count(".") >= 1 else None
    return FlowFinding(key, message, severity, node)


_KINDS: Final = {
    "Play": "play",
    "Menu": "menu",
    "Collect": "collect",
    "Lookup": "lookup",
    "Condition": "condition",
    "Say": "say",
    "Language": "language",
    "SetVars": "set",
    "QueueRoute": "queue",
    "TransferTo": "transfer",
    "VoicemailTo": "voicemail",
    "Callback": "callback",
    "Complaint": "complaint",
    "Survey": "survey",
    "Hangup": "hangup",
}


def node_kind(node: Node) -> str:
    """The node's kind, as ``kind = ...`` writes it in the flow file."""
    name = type(node).__name__
    return _KINDS.get(name, name.lower())


def node_queues(node: Node) -> tuple[str, ...]:
    """The app_queue queues a node sends callers to (or queues a callback into)."""
    if isinstance(node, QueueRoute):
        return (node.queue, *(q for q in node.by_tier.values() if q != node.queue))
    if isinstance(node, Callback):
        return (node.queue,)
    return ()


def flow_tree(flow: Flow, findings: Iterable[Finding]) -> FlowTree:
    classified = [classify(f) for f in findings]
    by_node: dict[str, list[FlowFinding]] = {}
    for finding in classified:
        if finding.node is not None and finding.node in flow.nodes:
            by_node.setdefault(finding.node, []).append(finding)
    drawn: set[str] = set()

    def walk(node_id: str, edge: str) -> TreeNode:
        node = flow.nodes.get(node_id)
        if node is None:
            return TreeNode(node_id, edge, "missing")
        if node_id in drawn:
            return TreeNode(node_id, edge, "above", kind=node_kind(node))
        drawn.add(node_id)
        children = tuple(
            walk(target, edge_label(flow, key, node)) for key, target in flow.targets(node)
        )
        return TreeNode(
            node_id,
            edge,
            "here",
            kind=node_kind(node),
            summary=describe_node(node),
            queues=node_queues(node),
            prompts=tuple(dict.fromkeys(prompt for _, prompt in flow.prompt_ids(node))),
            findings=tuple(by_node.get(node_id, ())),
            children=children,
        )

    start = walk(flow.start, "")
    # Unreachable nodes, each with what hangs below it (that is not drawn yet).
    seen = reachable(flow)
    unreachable = tuple(
        walk(node_id, "") for node_id in flow.nodes if node_id not in seen and node_id not in drawn
    )
    flow_findings = tuple(f for f in classified if f.node is None or f.node not in flow.nodes)
    return FlowTree(
        name=flow.name,
        description=flow.description,
        start=start,
        unreachable=unreachable,
        flow_findings=flow_findings,
        errors=sum(f.severity == "error" for f in classified),
        warnings=sum(f.severity == "warning" for f in classified),
    )
