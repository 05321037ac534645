"""A flow as a tree for the dashboard, each node's findings beside it."""

from __future__ import annotations

from typing import Any

from asterisk_cc.core.ivr.flow import parse_flow
from asterisk_cc.core.ivr.tree import TreeNode, classify, flow_tree
from asterisk_cc.core.ivr.validate import Finding, validate_flow

FLOW: dict[str, Any] = {
    "flow": {"start": "menu", "description": "Test line"},
    "prompts": {
        "hello": {"en": "Hello"},
        "unused": {"en": "Never played"},
    },
    "nodes": {
        "menu": {
            "kind": "menu",
            "prompts": ["hello"],
            "choices": {"1": "sales", "2": "menu_again", "9": "bye"},
            "on_exhausted": "bye",
        },
        "menu_again": {"kind": "play", "prompts": ["hello"], "next": "menu"},
        "sales": {"kind": "queue", "queue": "sales", "by_tier": {"vip": "vip"}},
        "bye": {"kind": "hangup"},
        "orphan": {"kind": "transfer", "extension": "100", "context": "internal"},
    },
}


def by_id(node: TreeNode) -> dict[str, TreeNode]:
    found = {node.node_id + ("@" + node.edge if node.shown != "here" else ""): node}
    for child in node.children:
        found.update(by_id(child))
    return found


def test_the_tree_follows_the_keys_and_draws_each_node_once() -> None:
    flow = parse_flow("test", FLOW)
    tree = flow_tree(flow, validate_flow(flow, queues={"sales"}))
    assert tree.start.node_id == "menu" and tree.start.kind == "menu"
    assert [(c.edge, c.node_id, c.shown) for c in tree.start.children] == [
        ("key 1", "sales", "here"),
        ("key 2", "menu_again", "here"),
        ("key 9", "bye", "here"),
        ("on_exhausted", "bye", "above"),
    ]
    again = tree.start.children[1]
    assert [(c.edge, c.node_id, c.shown) for c in again.children] == [("next", "menu", "above")]
    sales = tree.start.children[0]
    assert sales.queues == ("sales", "vip") and sales.summary == "queue sales, vip→vip"
    assert tree.start.prompts == ("hello",)
    assert [n.node_id for n in tree.unreachable] == ["orphan"]


def test_findings_sit_next_to_their_node_or_on_the_flow() -> None:
    flow = parse_flow("test", FLOW)
    tree = flow_tree(flow, validate_flow(flow, queues={"sales"}))
    sales = tree.start.children[0]
    assert [(f.severity, f.key) for f in sales.findings] == [("error", "nodes.sales.by_tier.vip")]
    (orphan,) = tree.unreachable
    assert [(f.severity, f.message) for f in orphan.findings] == [
        ("warning", "no caller can reach this node")
    ]
    assert [(f.severity, f.key) for f in tree.flow_findings] == [("warning", "prompts.unused")]
    assert (tree.errors, tree.warnings) == (1, 2)


def test_a_missing_target_is_shown_missing() -> None:
    data = {
        **FLOW,
        "nodes": {**FLOW["nodes"], "bye": {"kind": "play", "prompts": ["hello"], "next": "gone"}},
    }
    flow = parse_flow("test", data)
    tree = flow_tree(flow, validate_flow(flow))
    bye = tree.start.children[2]
    assert bye.children[0].shown == "missing" and bye.children[0].node_id == "gone"
    assert any(f.message == "no node 'gone'" and f.severity == "error" for f in bye.findings)


def test_sound_findings_are_warnings_and_structure_findings_errors() -> None:
    assert (
        classify(Finding("f", "prompts.hi", "no en sound 'x' (not built yet)")).severity
        == "warning"
    )
    assert (
        classify(Finding("f", "say", "3 en sound(s) for saying numbers are missing")).severity
        == "warning"
    )
    assert classify(Finding("f", "nodes.a.next", "no node 'b'")).node == "a"
    assert classify(Finding("f", "flow.start", "no node 'x'")).severity == "error"
    assert classify(Finding("f", "flow.start", "no node 'x'")).node is None
