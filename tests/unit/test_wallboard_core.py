"""The wallboard's pure decisions: AMI and controller answers parsed, figures, what is a
change, and the view of a state."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome
from asterisk_cc.core.wallboard import (
    DEVICE_STATUS,
    QueueTarget,
    VisitCounts,
    agent_bucket,
    changed,
    figures_of,
    member_bucket,
    member_status,
    parse_controller_status,
    parse_monitorings,
    parse_queue_status,
    wallboard_view,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def queue_status(*entries: dict[str, str]) -> list[dict[str, str]]:
    """One QueueStatus answer: sales with two members and the given entries, support empty."""
    return [
        {"Event": "QueueParams", "Queue": "sales", "Calls": str(len(entries))},
        {
            "Event": "QueueMember",
            "Queue": "sales",
            "Name": "1002",
            "Location": "Local/sales.1002@asterisk-cc-agent/n",
            "Status": "2",
            "Paused": "0",
            "PausedReason": "",
            "InCall": "1",
        },
        {
            "Event": "QueueMember",
            "Queue": "sales",
            "Name": "desk-7",
            "Location": "PJSIP/desk-7",
            "Status": "1",
            "Paused": "1",
            "PausedReason": "meeting",
            "InCall": "0",
        },
        *entries,
        {"Event": "QueueParams", "Queue": "support", "Calls": "0"},
    ]


def entry(uniqueid: str, position: int, wait: int, caller: str = "13800138000") -> dict[str, str]:
    return {
        "Event": "QueueEntry",
        "Queue": "sales",
        "Position": str(position),
        "Uniqueid": uniqueid,
        "CallerIDNum": caller,
        "CallerIDName": "x",
        "Wait": str(wait),
        "Priority": "0",
    }


# --- AMI -----------------------------------------------------------------------------------


def test_device_states_map_to_member_statuses() -> None:
    assert [member_status(str(n)) for n in range(9)] == [
        "unknown",
        "available",
        "in_use",
        "busy",
        "invalid",
        "unavailable",
        "ringing",
        "ringing",
        "in_use",
    ]
    assert member_status("42") == "unknown" and member_status("") == "unknown"
    assert set(DEVICE_STATUS.values()) == {
        "available",
        "in_use",
        "busy",
        "ringing",
        "unavailable",
        "invalid",
        "unknown",
    }


def test_queue_status_events_become_queues() -> None:
    queues = parse_queue_status(
        queue_status(entry("1.2", 2, 5, caller="<unknown>"), entry("1.1", 1, 95)), NOW
    )
    assert list(queues) == ["sales", "support"]
    sales = queues["sales"]
    assert [(e.uniqueid, e.position, e.caller) for e in sales.waiting] == [
        ("1.1", 1, "13800138000"),
        ("1.2", 2, ""),
    ]
    assert sales.waiting[0].entered_at == NOW - timedelta(seconds=95)
    assert [(m.name, m.status, m.paused, m.paused_reason, m.in_call) for m in sales.members] == [
        ("1002", "in_use", False, "", True),
        ("desk-7", "available", True, "meeting", False),
    ]
    assert queues["support"].waiting == () and queues["support"].members == ()


def test_a_waiting_call_keeps_its_entry_time_between_polls() -> None:
    first = parse_queue_status(queue_status(entry("1.1", 1, 10)), NOW)
    known = {e.uniqueid: e.entered_at for e in first["sales"].waiting}
    # 0.6 s later AMI still says 10 s (whole seconds): the same time, so no change.
    later = parse_queue_status(
        queue_status(entry("1.1", 1, 10)), NOW + timedelta(seconds=0.6), known
    )
    assert later["sales"].waiting[0].entered_at == NOW - timedelta(seconds=10)
    assert not changed(first["sales"], later["sales"])
    # A call far off its known time (another call with the same id after a restart): new estimate.
    moved = parse_queue_status(queue_status(entry("1.1", 1, 1)), NOW + timedelta(seconds=30), known)
    assert moved["sales"].waiting[0].entered_at == NOW + timedelta(seconds=29)


def test_other_events_and_garbage_are_ignored() -> None:
    queues = parse_queue_status(
        [
            {"Event": "QueueStatusComplete", "EventList": "Complete"},
            {"Event": "QueueEntry", "Queue": "", "Position": "1"},
            {"Event": "QueueEntry", "Queue": "x", "Position": "first", "Wait": "?"},
            {"Event": "Newchannel", "Queue": "y"},
        ],
        NOW,
    )
    assert list(queues) == ["x"]
    assert queues["x"].waiting[0].position == 0
    assert queues["x"].waiting[0].entered_at == NOW


# --- the controller ----------------------------------------------------------------------------


def test_controller_status_becomes_agents_named_from_the_directory() -> None:
    link_up, agents = parse_controller_status(
        {
            "link_up": True,
            "agents": {
                "1003": {
                    "state": "paused",
                    "reason": "lunch",
                    "since": "2026-11-23T09:48:00+00:00",
                    "call": None,
                    "queues": ["support", "sales"],
                },
                "1002": {
                    "state": "talking",
                    "reason": None,
                    "since": "2026-11-23T17:56:55+08:00",
                    "call": "1700000000.42",
                    "queues": ["sales"],
                },
            },
        },
        {"1002": "Bob Li"},
        NOW,
    )
    assert link_up is True
    assert list(agents) == ["1002", "1003"]
    bob, cai = agents["1002"], agents["1003"]
    assert (bob.name, bob.state, bob.call, bob.queues) == (
        "Bob Li",
        "talking",
        "1700000000.42",
        ("sales",),
    )
    assert bob.since == NOW - timedelta(minutes=3, seconds=5)
    assert (cai.name, cai.reason, cai.queues) == ("1003", "lunch", ("sales", "support"))


def test_a_malformed_controller_answer_does_not_fail() -> None:
    link_up, agents = parse_controller_status(
        {
            "link_up": "yes",
            "agents": {
                "a": "talking",
                "b": {"state": ""},
                "c": {"state": "ready", "since": "yesterday", "queues": "sales"},
                "d": {"state": "ready", "since": "2026-11-23T09:00:00"},
            },
        },
        {},
        NOW,
    )
    assert link_up is False  # only a true ``true`` is up
    assert list(agents) == ["c", "d"]
    assert agents["c"].since == NOW and agents["c"].queues == ()
    assert agents["d"].since == NOW  # no offset: not trusted
    assert parse_controller_status({}, {}, NOW) == (False, {})


def test_monitorings_come_oldest_first_with_who_started_them() -> None:
    sessions = parse_monitorings(
        {
            "monitorings": [
                {
                    "session": "sup-b",
                    "user_id": 7,
                    "agent": "1002",
                    "mode": "barge",
                    "endpoint": "PJSIP/2002",
                    "requested_at": "2026-11-23T09:59:30+00:00",
                    "connected_at": None,
                },
                {
                    "session": "sup-a",
                    "user_id": 3,
                    "agent": "1001",
                    "mode": "listen",
                    "endpoint": "PJSIP/2001",
                    "requested_at": "2026-11-23T17:58:00+08:00",
                    "connected_at": "2026-11-23T09:58:05+00:00",
                },
            ]
        },
        NOW,
    )
    assert [(m.session, m.user_id, m.agent, m.mode, m.endpoint) for m in sessions] == [
        ("sup-a", 3, "1001", "listen", "PJSIP/2001"),
        ("sup-b", 7, "1002", "barge", "PJSIP/2002"),
    ]
    assert sessions[0].requested_at == NOW - timedelta(minutes=2)
    assert sessions[0].connected_at == NOW - timedelta(minutes=1, seconds=55)
    assert sessions[1].connected_at is None  # still ringing the supervisor's phone


def test_a_monitoring_without_its_session_user_agent_or_mode_is_left_out() -> None:
    whole = {"session": "sup-ok", "user_id": 3, "agent": "1001", "mode": "listen"}
    broken = [
        {**whole, "session": ""},
        {**whole, "user_id": "3"},
        {**whole, "user_id": True},
        {**whole, "agent": None},
        {**whole, "mode": 1},
        "sup-x",
    ]
    (kept,) = parse_monitorings({"monitorings": [*broken, whole]}, NOW)
    assert kept.session == "sup-ok" and kept.endpoint == "" and kept.requested_at == NOW
    assert parse_monitorings({"monitorings": "sup-ok"}, NOW) == ()
    assert parse_monitorings({}, NOW) == ()


# --- figures --------------------------------------------------------------------------------


def test_figures_from_counts() -> None:
    figures = figures_of(
        VisitCounts(offered=100, answered=90, answered_within=80, abandoned=6, short_abandoned=4)
    )
    assert figures.service_level == 0.8
    assert figures.abandon_rate == 6 / 96
    empty = figures_of(VisitCounts())
    assert empty.service_level is None and empty.abandon_rate is None


def test_figures_agree_with_the_kpi_dictionary() -> None:
    """The counts the database makes (each visit against its queue's limits), turned into
    figures, equal the daily pack's per-queue figures of the same visits."""
    rng = random.Random(7)
    outcomes = list(VisitOutcome)
    visits = [
        QueueVisit(
            callid=f"c{i}",
            queue="sales",
            entered_at=NOW,
            outcome=rng.choice(outcomes),
            wait_s=float(rng.randint(0, 60)),
        )
        for i in range(500)
    ]
    threshold, short = 20, 5
    offered = [v for v in visits if v.outcome not in (VisitOutcome.IN_QUEUE, VisitOutcome.LOST)]
    counts = VisitCounts(
        offered=len(offered),
        answered=sum(v.outcome is VisitOutcome.ANSWERED for v in visits),
        answered_within=sum(
            v.outcome is VisitOutcome.ANSWERED and v.wait_s <= threshold for v in visits
        ),
        abandoned=sum(v.outcome is VisitOutcome.ABANDONED and v.wait_s >= short for v in visits),
        short_abandoned=sum(
            v.outcome is VisitOutcome.ABANDONED and v.wait_s < short for v in visits
        ),
    )
    ours = figures_of(counts)
    pack = kpi.queue_figures(visits, threshold, short)
    assert (ours.offered, ours.answered, ours.abandoned) == (
        pack.offered,
        pack.answered,
        pack.abandoned,
    )
    assert ours.service_level == pytest.approx(pack.service_level)
    assert ours.abandon_rate == pytest.approx(pack.abandon_rate)


# --- changes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    version: int
    at: datetime
    waiting: tuple[str, ...] = ()
    figures: dict[str, float] = field(default_factory=dict)


def test_only_news_is_a_change() -> None:
    state = State(1, NOW, ("a",), {"sales": 0.8})
    assert not changed(state, replace(state, version=2, at=NOW + timedelta(seconds=1)))
    assert changed(state, replace(state, waiting=("a", "b")))
    assert changed(state, replace(state, figures={"sales": 0.7}))
    assert changed(state, None)


# --- the view ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    ami: bool = True
    controller: bool = True
    asterisk: bool = True
    database: bool = True
    detail: str = ""


@dataclass(frozen=True)
class Agent:
    login: str
    name: str
    state: str
    reason: str | None = None
    since: datetime = NOW
    call: str | None = None
    queues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Call:
    queue: str
    position: int
    caller: str
    priority: int
    entered_at: datetime


@dataclass(frozen=True)
class Member:
    name: str
    interface: str
    status: str
    paused: bool = False
    paused_reason: str = ""
    in_call: bool = False


@dataclass(frozen=True)
class LiveQueue:
    name: str
    waiting: tuple[Call, ...] = ()
    members: tuple[Member, ...] = ()


@dataclass(frozen=True)
class Figures:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    service_level: float | None = None
    abandon_rate: float | None = None


@dataclass(frozen=True)
class Alert:
    id: int
    rule: str
    scope: str
    raised_at: datetime
    message: str
    severity: str = "warning"


@dataclass(frozen=True)
class Live:
    version: int = 3
    at: datetime = NOW
    link: Link = Link()
    agents: dict[str, Agent] = field(default_factory=dict)
    queues: dict[str, LiveQueue] = field(default_factory=dict)
    today: dict[str, Figures] = field(default_factory=dict)
    last_15_min: dict[str, Figures] = field(default_factory=dict)
    alerts: tuple[Alert, ...] = ()


def centre() -> Live:
    return Live(
        agents={
            "1002": Agent("1002", "Bob", "talking", call="x", queues=("sales",)),
            "1003": Agent("1003", "Cai", "hold", queues=("sales", "support")),
            "1004": Agent("1004", "Dee", "wrap_up", queues=("support",)),
            "1005": Agent("1005", "Eve", "reserved", queues=("sales",)),
        },
        queues={
            "sales": LiveQueue(
                "sales",
                waiting=(
                    Call("sales", 1, "111", 0, NOW - timedelta(seconds=40)),
                    Call("sales", 2, "222", 0, NOW - timedelta(seconds=5)),
                ),
                members=(
                    Member("1002", "Local/sales.1002@asterisk-cc-agent/n", "in_use", in_call=True),
                    Member("desk-7", "PJSIP/desk-7", "available"),
                    Member("desk-8", "PJSIP/desk-8", "unavailable"),
                    Member("desk-9", "PJSIP/desk-9", "ringing", paused=True, paused_reason="break"),
                ),
            ),
            "support": LiveQueue(
                "support", members=(Member("desk-9", "PJSIP/desk-9", "ringing", paused=True),)
            ),
        },
        today={
            "sales": Figures(100, 90, 5, 0.76, 0.05),
            "billing": Figures(3, 3, 0, 1.0, 0.0),
        },
        last_15_min={"sales": Figures(10, 7, 3, 0.6, 0.3)},
        alerts=(
            Alert(1, "waiting_calls", "sales", NOW, "2 waiting", "critical"),
            Alert(2, "volume_over_forecast", "*", NOW, "busy day"),
            Alert(3, "longest_wait", "support", NOW, "slow"),
        ),
    )


def view_of(state: Live, **kw: Any) -> dict[str, Any]:
    return wallboard_view(
        state, targets={"sales": QueueTarget(30, 0.8)}, abandon_rate_target=0.05, **kw
    )


def test_agents_are_counted_by_state_per_queue() -> None:
    assert [agent_bucket(s) for s in ("ready", "reserved", "hold", "wrap_up", "nonsense")] == [
        "ready",
        "ringing",
        "talking",
        "wrap_up",
        "logged_out",
    ]
    assert member_bucket("available", False, False) == "ready"
    assert member_bucket("busy", False, False) == "talking"
    assert member_bucket("available", True, False) == "paused"
    assert member_bucket("unavailable", True, False) == "logged_out"
    view = view_of(centre())
    by_name = {q["name"]: q for q in view["queues"]}
    # sales: Bob talking, Cai on hold (talking), Eve reserved (ringing); phones: desk-7
    # ready, desk-8 logged out, desk-9 paused. 1002's membership is Bob's, not counted twice.
    assert by_name["sales"]["agents"] == {
        "ready": 1,
        "ringing": 1,
        "talking": 2,
        "wrap_up": 0,
        "paused": 1,
        "logged_out": 1,
    }
    assert by_name["support"]["agents"] == {
        "ready": 0,
        "ringing": 0,
        "talking": 1,
        "wrap_up": 1,
        "paused": 1,
        "logged_out": 0,
    }


def test_queues_figures_and_colours() -> None:
    view = view_of(centre())
    assert [q["name"] for q in view["queues"]] == ["billing", "sales", "support"]
    sales = view["queues"][1]
    assert sales["waiting"] == 2
    assert sales["longest_since"] == (NOW - timedelta(seconds=40)).isoformat()
    assert [c["caller"] for c in sales["calls"]] == ["111", "222"]
    assert sales["target"] == {"service_level": 0.8, "threshold_s": 30, "abandon_rate": 0.05}
    # 76 % against 80 %: amber; abandon 5 % against 5 %: green.
    assert sales["today"]["service_level_rag"] == "amber"
    assert sales["today"]["abandon_rate_rag"] == "green"
    # 60 % and 30 %: red.
    assert sales["last_15_min"]["service_level_rag"] == "red"
    assert sales["last_15_min"]["abandon_rate_rag"] == "red"
    # Billing has figures but no live queue, and the default target.
    billing = view["queues"][0]
    assert billing["waiting"] == 0 and billing["longest_since"] is None
    assert billing["target"]["service_level"] == 0.8 and billing["target"]["threshold_s"] == 20
    assert billing["last_15_min"]["service_level"] is None
    assert billing["last_15_min"]["service_level_rag"] is None
    assert view["totals"]["waiting"] == 2


def test_agents_list_controller_agents_and_plain_phones() -> None:
    agents = view_of(centre())["agents"]
    assert [(a["login"], a["bucket"], a["source"]) for a in agents] == [
        ("1002", "talking", "controller"),
        ("1003", "talking", "controller"),
        ("1004", "wrap_up", "controller"),
        ("1005", "ringing", "controller"),
        ("desk-7", "ready", "phone"),
        ("desk-8", "logged_out", "phone"),
        ("desk-9", "paused", "phone"),
    ]
    desk9 = agents[-1]
    assert desk9["queues"] == ["sales", "support"] and desk9["reason"] == "break"
    assert desk9["since"] is None
    assert agents[0]["on_call"] is True and agents[0]["since"] == NOW.isoformat()


def test_alerts_and_the_queue_filter() -> None:
    view = view_of(centre())
    assert [(a["rule"], a["scope"], a["severity"]) for a in view["alerts"]] == [
        ("waiting_calls", "sales", "critical"),
        ("volume_over_forecast", "*", "warning"),
        ("longest_wait", "support", "warning"),
    ]
    support = view_of(centre(), only_queues=["support", "nowhere"])
    assert [q["name"] for q in support["queues"]] == ["support"]
    assert [a["login"] for a in support["agents"]] == ["1003", "1004", "desk-9"]
    assert [a["id"] for a in support["alerts"]] == [2, 3]


def test_links_down_name_what_is_known() -> None:
    up = view_of(centre())["links"]
    assert up["all_up"] is True and up["down"] == []
    ami_down = view_of(replace(centre(), link=Link(ami=False, detail="AMI h:1: refused")))["links"]
    assert ami_down["down"] == ["ami"] and ami_down["detail"] == "AMI h:1: refused"
    # With the controller down its own link to Asterisk is unknown: not named.
    controller_down = view_of(replace(centre(), link=Link(controller=False, asterisk=False)))
    assert controller_down["links"]["down"] == ["controller"]
    asterisk_down = view_of(replace(centre(), link=Link(asterisk=False)))
    assert asterisk_down["links"]["down"] == ["asterisk"]
    assert asterisk_down["links"]["all_up"] is False
    database_down = view_of(replace(centre(), link=Link(database=False, detail="database: locked")))
    assert database_down["links"]["down"] == ["database"]
    assert database_down["links"]["all_up"] is False
