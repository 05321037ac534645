"""A flow drawn as a tree, for `asterisk-cc ivr show` and the dashboard's flow view.

Each node is drawn once, under the first edge that reaches it; later edges to it say
``(see above)``, so loops (a menu's "back to the main menu") stay readable.
"""

from __future__ import annotations

from asterisk_cc.core.ivr.flow import (
    Callback,
    Collect,
    Complaint,
    Condition,
    Flow,
    Language,
    Lookup,
    Menu,
    Node,
    QueueRoute,
    Say,
    Survey,
    TransferTo,
    VoicemailTo,
)

__all__ = ["describe_node", "draw_flow", "edge_label"]


def describe_node(node: Node) -> str:
    """One line: the node's kind and what it does."""
    if isinstance(node, Menu):
        return f"menu, {node.max_tries} tries, {node.timeout_s:g} s"
    if isinstance(node, Collect):
        check = f", {node.validate}" if node.validate else ""
        return f"collect {node.min_digits}-{node.max_digits} digits into {node.store}{check}"
    if isinstance(node, Lookup):
        return f"lookup by {node.by}" + (f" ({node.var})" if node.var else "")
    if isinstance(node, Condition):
        return "condition"
    if isinstance(node, Say):
        return f"say {node.what} of {node.var}"
    if isinstance(node, Language):
        return "language: " + ", ".join(f"{k}={v}" for k, v in node.choices.items())
    if isinstance(node, QueueRoute):
        tiers = "".join(f", {t}→{q}" for t, q in node.by_tier.items())
        return f"queue {node.queue}{tiers}" + (f", survey {node.survey}" if node.survey else "")
    if isinstance(node, TransferTo):
        return f"transfer to {node.extension}@{node.context}"
    if isinstance(node, VoicemailTo):
        return f"voicemail {node.mailbox}"
    if isinstance(node, Callback):
        return f"callback request into {node.queue}"
    if isinstance(node, Complaint):
        return f"complaint ({node.category}), up to {node.max_s} s"
    if isinstance(node, Survey):
        return f"survey {node.question} (1-5)"
    return type(node).__name__.lower()


def edge_label(flow: Flow, key: str, node: Node) -> str:
    if isinstance(node, Condition) and key.startswith("when["):
        index = int(key[5 : key.index("]")])
        test = node.cases[index][0]
        if test.kind == "var":
            value = "" if test.op in ("exists", "missing") else f" {test.value}"
            return f"if {test.var} {test.op}{value}"
        return f"if {test.kind} {test.calendar}"
    if key.startswith("choices."):
        return f"key {key[len('choices.') :]}"
    return key


def draw_flow(flow: Flow) -> str:
    lines = [f"{flow.name}" + (f" — {flow.description}" if flow.description else "")]
    seen: set[str] = set()

    def walk(node_id: str, prefix: str, label: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        head = f"{prefix}{branch}{label + ' → ' if label else ''}{node_id}"
        node = flow.nodes.get(node_id)
        if node is None:
            lines.append(f"{head}  (missing node)")
            return
        if node_id in seen:
            lines.append(f"{head}  (see above)")
            return
        seen.add(node_id)
        lines.append(f"{head}  [{describe_node(node)}]")
        edges = list(flow.targets(node))
        child_prefix = prefix if top else prefix + ("   " if last else "│  ")
        for index, (key, target) in enumerate(edges):
            walk(target, child_prefix, edge_label(flow, key, node), index == len(edges) - 1, False)

    walk(flow.start, "", "", True, True)
    unreachable = [n for n in flow.nodes if n not in seen]
    if unreachable:
        lines.append("not reachable: " + ", ".join(unreachable))
    return "\n".join(lines)
