"""ARI agents under load on a real Asterisk 22: 20 agents logged in by phone take 100 queue
calls, against plain app_queue members that answer themselves.

A sandbox of its own (``bench-ari``, free loopback ports) and the ARI controller
(``controller_in_thread``, a migrated SQLite database in a temporary directory, seeded with
the agents, their PINs and one skill per queue). The same arrival schedule runs twice:

1. **ARI agents.** Every agent logs in by phone: a scripted phone channel dials ``*45``, keys
   the agent number and the PIN, and stays on the line; the controller puts it in the agent's
   bridge and the agent into the queues (``Local/<queue>.<login>@asterisk-cc-agent/n``). Then
   the calls: Poisson arrivals, each a scripted caller entering ``<queue>@asterisk-cc-queue``
   that waits its talk time and hangs up. The controller answers each member channel app_queue
   rings and adds it to the agent's bridge; the agent goes to wrap-up, then back to ready.
   At the end the phones hang up (log-out).
2. **Baseline.** The same queues, the same callers, with plain app_queue members that answer
   at once: the sandbox's scripted ``answering_agent(ring_s=0, ...)`` Local members, one per
   agent, talking longer than any caller stays (the caller hangs up, as in part 1).

Checked and reported per part: calls placed; calls connected to an agent (queue_log
CONNECT); calls the caller ended by its own timing before an agent took it (ABANDON); calls
lost (neither: must be 0); calls cut (connected, but the agent side hung up before the caller:
must be 0); unanswered rings (a member channel that rang 1 s or more unanswered, RINGNOANSWER
or RINGCANCELED: must be 0); stuck agents (after the last call and the wrap-up, an agent not
ready in the controller's ``snapshot()`` or its app_queue member not "Not in use", or paused:
must be 0); the agents' state records (each talking preceded by ringing and followed by
wrap-up, wrap-up by ready, and the log-out last), and from them how busy the agents were
(ringing, talking or in wrap-up); the ARI events per second the controller handled (its
``stats.events`` over the run); Asterisk's CPU time. The exit status is 1 when a check fails.

The latency is measured on Asterisk's clock only, from the events of a websocket of the
benchmark's own (another Stasis application, ``subscribeAll=true``: every event of every
channel and bridge), so it does not depend on this process. ARI agents: from the member
channel's entry into Stasis to its ChannelEnteredBridge into the agent's bridge. Asterisk
sends StasisStart only to the application that owns the channel, so the entry is the
ChannelDialplan event that starts ``Stasis(asterisk-cc,queue-member,...)`` on that channel: the
same instant, the same millisecond timestamp. Baseline: from the member channel's creation to
its answer (ChannelStateChange to Up). For both, the time from the member channel's creation
until the caller is connected to the agent -- app_queue has bridged the caller with the member
channel and, for an ARI agent, the member channel is in the agent's bridge too -- and the
caller's wait in the queue (Queue() starting to that same moment).

Run (as root; about 4 minutes on 2 cores)::

    .venv/bin/python bench/ari_load.py

Options: ``--agents``, ``--calls``, ``--rate`` (calls per second), ``--talk-min``,
``--talk-max`` (the caller's stay, seconds), ``--queues``, ``--wrapup`` (the queues'
after-call work, seconds), ``--sandbox-name``, ``--json``, ``--seed``. Results go in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from machine_info import describe_machine
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from asterisk_cc.ari.service import ControllerThread, controller_in_thread
from asterisk_cc.config import load_settings
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.agents import hash_pin
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import Agent, AgentSkill, AgentStateChange, Queue, QueueSkill, Skill
from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox import (
    CallerScript,
    Dtmf,
    PlacedCall,
    QueueLogLine,
    Sandbox,
    SandboxPorts,
    Wait,
    answering_agent,
    free_loopback_ports,
)

QUEUE_CONTEXT = "asterisk-cc-queue"
LOGIN_CODE = "*45@asterisk-cc-agent-features"
FIRST_LOGIN = 2001
TAP_APP = "asterisk-cc-bench-tap"
BASELINE_TALK_S = 600  # longer than any caller stays: the caller always hangs up first
ARI_MEMBER = re.compile(r"^Local/[^@]+@asterisk-cc-agent-[0-9a-f]+;2$")
BASELINE_MEMBER = re.compile(r"^Local/answer-[^@]+@asterisk-cc-sandbox-agents-[0-9a-f]+;2$")
OK_LINE_STATUS = "(Not in use)"
UNANSWERED_RING_MS = 1000
S = AgentState
# What may follow each state in an agent's records during the run (None: the first record).
NEXT_STATES: dict[AgentState | None, set[AgentState]] = {
    None: {S.READY},
    S.READY: {S.RINGING, S.LOGGED_OUT},
    S.RINGING: {S.TALKING, S.READY},
    S.TALKING: {S.WRAP_UP, S.READY},
    S.WRAP_UP: {S.READY, S.LOGGED_OUT},
}


# --- the load --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    at_s: float
    queue: str
    hold_s: float


def schedule(args: argparse.Namespace, queues: Sequence[str], rng: random.Random) -> list[Arrival]:
    """Poisson arrivals at ``args.rate`` per second; each caller stays a uniform random time."""
    arrivals, clock = [], 0.0
    for _ in range(args.calls):
        arrivals.append(
            Arrival(
                round(clock, 3),
                rng.choice(list(queues)),
                round(rng.uniform(args.talk_min, args.talk_max), 1),
            )
        )
        clock += rng.expovariate(args.rate)
    return arrivals


@dataclass(frozen=True)
class AgentLogin:
    login: str
    pin: str


def seed(
    engine: Engine, queues: Sequence[str], agents: int, wrapup_s: int, rng: random.Random
) -> list[AgentLogin]:
    """One skill per queue; every agent has every skill (so every agent serves every queue)."""
    logins = [
        AgentLogin(str(FIRST_LOGIN + i), f"{rng.randint(0, 9999):04d}") for i in range(agents)
    ]
    with Session(engine) as session, session.begin():
        skills = []
        for name in queues:
            skill, queue = Skill(name=name), Queue(name=name, wrapup_limit_s=wrapup_s)
            session.add_all([skill, queue])
            session.flush()
            session.add(QueueSkill(queue_id=queue.id, skill_id=skill.id, min_level=1, penalty=0))
            skills.append(skill)
        for agent_login in logins:
            agent = Agent(
                login=agent_login.login,
                name=f"Agent {agent_login.login}",
                pin_hash=hash_pin(agent_login.pin),
            )
            session.add(agent)
            session.flush()
            session.add_all(
                AgentSkill(agent_id=agent.id, skill_id=s.id, level=5, penalty=0) for s in skills
            )
    return logins


# --- Asterisk's own view: a websocket subscribed to everything --------------------------------


def asterisk_time(stamp: str) -> float:
    """``2026-11-23T04:16:38.480+0000`` (ARI's timestamps, milliseconds) as epoch seconds."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


@dataclass
class ChannelTrace:
    """When one channel did what, on Asterisk's clock (epoch seconds)."""

    name: str
    created: float
    linkedid: str | None = None
    stasis: float | None = None  # the dialplan starts Stasis()
    queue: float | None = None  # the dialplan starts Queue()
    up: float | None = None
    bridged: float | None = None  # first ChannelEnteredBridge, any bridge
    agent_bridge: float | None = None  # first ChannelEnteredBridge into an agent's bridge
    destroyed: float | None = None


class EventTap:
    """Every event of every channel and bridge, through a Stasis application of its own
    (``subscribeAll=true``). It owns no channel: it only listens."""

    def __init__(self, sandbox: Sandbox) -> None:
        parts = sandbox.ari_url.split("://", 1)
        scheme = "wss" if parts[0] == "https" else "ws"
        url = f"{scheme}://{parts[1].rstrip('/')}/events?app={TAP_APP}&subscribeAll=true"
        token = base64.b64encode(
            f"{sandbox.spec.ari_user}:{sandbox.spec.ari_password}".encode()
        ).decode()
        self._socket: ClientConnection = connect(
            url, additional_headers={"Authorization": f"Basic {token}"}, max_size=None
        )
        self._lock = threading.Lock()
        self.channels: dict[str, ChannelTrace] = {}
        self.count = 0
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="event-tap", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for frame in self._socket:
                self._take(json.loads(frame))
        except ConnectionClosed:
            pass
        except Exception as exc:  # reported at the end
            self.failure = exc

    def _take(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.count += 1
            channel = event.get("channel")
            if not channel or "timestamp" not in event:
                return
            at = asterisk_time(event["timestamp"])
            trace = self.channels.get(channel["id"])
            if trace is None:
                trace = ChannelTrace(channel["name"], asterisk_time(channel["creationtime"]))
                self.channels[channel["id"]] = trace
            # The first linkedid seen is the call's: a channel that joins a bridge takes the
            # oldest linkedid there (a member leg in an agent's bridge, the phone session's).
            trace.linkedid = trace.linkedid or (channel.get("channelvars") or {}).get(
                "CHANNEL(linkedid)"
            )
            kind = event["type"]
            if kind == "ChannelDialplan":
                app = event.get("dialplan_app")
                if app == "Stasis" and trace.stasis is None:
                    trace.stasis = at
                elif app == "Queue" and trace.queue is None:
                    trace.queue = at
            elif kind == "ChannelStateChange" and channel.get("state") == "Up":
                trace.up = trace.up or at
            elif kind == "ChannelEnteredBridge":
                trace.bridged = trace.bridged or at
                if (event.get("bridge") or {}).get("name", "").startswith("agent-"):
                    trace.agent_bridge = trace.agent_bridge or at
            elif kind == "ChannelDestroyed":
                trace.destroyed = at

    def gone(self, channel_id: str) -> bool:
        with self._lock:
            trace = self.channels.get(channel_id)
            return trace is not None and trace.destroyed is not None

    def traces(self) -> dict[str, ChannelTrace]:
        with self._lock:
            return dict(self.channels)

    def close(self) -> None:
        self._socket.close()
        self._thread.join(timeout=5)


# --- one part of the run -----------------------------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    latency_what: str
    placed: int = 0
    connected: int = 0
    abandoned: int = 0
    lost: int = 0
    cut: int = 0
    unanswered: int = 0
    stuck: int = 0
    agents: int = 0
    records_ok: int | None = None
    talking_records: int | None = None
    controller_events: int | None = None
    tap_events: int = 0
    run_s: float = 0.0
    asterisk_cpu_s: float = 0.0
    offers: int = 0
    refused: int | None = None
    latency_ms: list[float] = field(default_factory=list)
    answer_ms: list[float] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)
    wait_ms: list[float] = field(default_factory=list)
    late_s: float = 0.0
    login_s: float | None = None
    busy_share: float | None = None  # mean share of the agents on a call or in wrap-up
    busy_peak: int | None = None
    window: tuple[float, float] = (0.0, 0.0)  # the calls' run, epoch seconds
    problems: list[str] = field(default_factory=list)

    @property
    def events_per_s(self) -> float | None:
        if self.controller_events is None or not self.run_s:
            return None
        return self.controller_events / self.run_s

    def as_json(self) -> dict[str, object]:
        def quantiles(samples: list[float]) -> dict[str, float | None]:
            return {
                f"{name}_ms": quantile(samples, q)
                for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
            }

        return {
            "mode": self.mode,
            "latency": self.latency_what,
            "agents": self.agents,
            "calls_placed": self.placed,
            "connected": self.connected,
            "abandoned_by_caller": self.abandoned,
            "lost": self.lost,
            "cut": self.cut,
            "rings_unanswered": self.unanswered,
            "stuck_agents": self.stuck,
            "agents_with_consistent_records": self.records_ok,
            "talking_records": self.talking_records,
            "controller_events": self.controller_events,
            "controller_events_per_s": self.events_per_s,
            "asterisk_events": self.tap_events,
            "run_s": round(self.run_s, 1),
            "asterisk_cpu_s": round(self.asterisk_cpu_s, 2),
            "member_channels": self.offers,
            "offers_refused": self.refused,
            "login_s": self.login_s,
            "agents_busy_share": None if self.busy_share is None else round(self.busy_share, 3),
            "agents_busy_peak": self.busy_peak,
            "latency_samples": len(self.latency_ms),
            **{f"latency_{k}": v for k, v in quantiles(self.latency_ms).items()},
            **{f"answer_{k}": v for k, v in quantiles(self.answer_ms).items()},
            **{f"connect_{k}": v for k, v in quantiles(self.connect_ms).items()},
            **{f"queue_wait_{k}": v for k, v in quantiles(self.wait_ms).items()},
            "placement_late_max_s": round(self.late_s, 3),
            "problems": self.problems,
        }


def quantile(samples: Sequence[float], q: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def asterisk_cpu_s(sandbox: Sandbox) -> float:
    """User + system CPU seconds of the sandbox's Asterisk so far (all its threads)."""
    pid = sandbox.running_pid()
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(what: str, check: Any, timeout_s: float, interval_s: float = 0.2) -> float:
    """Poll ``check()`` until true; the seconds it took. Raises on timeout."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"waited {timeout_s:g} s for {what}")
        time.sleep(interval_s)
    return time.monotonic() - started


def member_lines(sandbox: Sandbox, queues: Sequence[str]) -> dict[tuple[str, str], str]:
    """``queue show`` lines of every member, by (queue, interface)."""
    lines = {}
    for queue in queues:
        for line in sandbox.cli(f"queue show {queue}").splitlines():
            found = re.search(r"\((Local/[^\s)]+)", line)
            if found:
                lines[(queue, found.group(1))] = line.strip()
    return lines


def member_idle(line: str | None) -> bool:
    return line is not None and OK_LINE_STATUS in line and "paused" not in line.lower()


def place_calls(
    sandbox: Sandbox, arrivals: Sequence[Arrival], result: ModeResult
) -> list[tuple[Arrival, PlacedCall]]:
    placed = []
    started = time.monotonic()
    for arrival in arrivals:
        delay = started + arrival.at_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        result.late_s = max(result.late_s, -delay)
        try:
            call = sandbox.place_call(
                f"{arrival.queue}@{QUEUE_CONTEXT}", CallerScript((Wait(arrival.hold_s),))
            )
        except SandboxError as exc:
            result.problems.append(f"call at {arrival.at_s:.1f} s not placed: {exc}")
            continue
        placed.append((arrival, call))
    result.placed = len(placed)
    print(f"  {len(placed)} calls placed in {time.monotonic() - started:.0f} s", flush=True)
    return placed


def wait_for_calls(
    tap: EventTap, placed: Sequence[tuple[Arrival, PlacedCall]], result: ModeResult
) -> None:
    longest = max((arrival.hold_s for arrival, _ in placed), default=0.0)
    try:
        wait_until(
            "every call to end",
            lambda: all(
                tap.gone(call.caller_id) and tap.gone(call.callee_id) for _, call in placed
            ),
            longest + 60,
        )
    except TimeoutError:
        up = [c.linkedid for _, c in placed if not tap.gone(c.callee_id)]
        result.problems.append(f"{len(up)} call(s) still up {longest + 60:.0f} s after: {up[:5]}")


def classify(
    queue_log: Sequence[QueueLogLine], placed: Sequence[tuple[Arrival, PlacedCall]]
) -> Counter[str]:
    """connected (CONNECT, then the caller hung up), cut (CONNECT, then the agent side hung
    up), abandoned (the caller hung up waiting: its own timing), lost (anything else); and
    unanswered: a member that rang a second or more without answering (RINGNOANSWER or
    RINGCANCELED) -- neither kind of member here should ever let a call ring."""
    events: dict[str, set[str]] = {}
    outcomes: Counter[str] = Counter()
    callids = {call.callee_id for _, call in placed}
    for line in queue_log:
        events.setdefault(line.callid, set()).add(line.event)
        if (
            line.callid in callids
            and line.event in ("RINGNOANSWER", "RINGCANCELED")
            and line.data[:1]
            and line.data[0].isdigit()
            and int(line.data[0]) >= UNANSWERED_RING_MS
        ):
            outcomes["unanswered"] += 1
    for _, call in placed:
        logged = events.get(call.callee_id, set())
        if "CONNECT" in logged:
            outcomes["cut" if "COMPLETEAGENT" in logged else "connected"] += 1
        elif "ABANDON" in logged:
            outcomes["abandoned"] += 1
        else:
            outcomes["lost"] += 1
    return outcomes


def measure_latency(
    tap: EventTap,
    placed: Sequence[tuple[Arrival, PlacedCall]],
    member: re.Pattern[str],
    result: ModeResult,
    *,
    ari: bool,
) -> None:
    traces = tap.traces()
    members: dict[str, list[ChannelTrace]] = {}
    for trace in traces.values():
        if member.match(trace.name) and trace.linkedid:
            members.setdefault(trace.linkedid, []).append(trace)
    for _, call in placed:
        rung = members.get(call.linkedid, [])
        result.offers += len(rung)
        callee = traces.get(call.callee_id)
        if ari:
            delivered = [t for t in rung if t.agent_bridge is not None and t.stasis is not None]
        else:
            delivered = [t for t in rung if t.up is not None]
        if not delivered:
            continue
        leg = delivered[0]
        if ari:
            assert leg.agent_bridge is not None and leg.stasis is not None
            result.latency_ms.append(round((leg.agent_bridge - leg.stasis) * 1000, 3))
            if leg.up is not None:
                result.answer_ms.append(round((leg.up - leg.stasis) * 1000, 3))
        else:
            assert leg.up is not None
            result.latency_ms.append(round((leg.up - leg.created) * 1000, 3))
        if callee is not None and callee.bridged is not None:
            # The caller hears the agent once both bridges hold their channels: app_queue's
            # (caller and the member's first half) and, for an ARI agent, the agent's.
            connected = max(callee.bridged, leg.agent_bridge or 0.0)
            result.connect_ms.append(round((connected - leg.created) * 1000, 3))
            if callee.queue is not None:
                result.wait_ms.append(round((connected - callee.queue) * 1000, 3))


def check_records(
    engine: Engine, logins: Sequence[AgentLogin], wrapup_s: int, result: ModeResult
) -> None:
    allowed = dict(NEXT_STATES)
    if wrapup_s > 0:
        allowed[S.TALKING] = {S.WRAP_UP}  # a call with wrap-up time always ends in wrap-up
    with Session(engine) as session:
        ids = {
            agent.id: agent.login
            for agent in session.scalars(
                select(Agent).where(Agent.login.in_([a.login for a in logins]))
            )
        }
        rows = session.scalars(
            select(AgentStateChange).order_by(
                AgentStateChange.agent_id, AgentStateChange.at, AgentStateChange.id
            )
        ).all()
    by_agent: dict[str, list[AgentState]] = {login: [] for login in ids.values()}
    timelines: dict[str, list[tuple[float, AgentState]]] = {login: [] for login in ids.values()}
    for row in rows:
        by_agent[ids[row.agent_id]].append(row.state)
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        timelines[ids[row.agent_id]].append((at.timestamp(), row.state))
    result.busy_share, result.busy_peak = busy_agents(timelines, *result.window)
    ok, talking = 0, 0
    for login, states in sorted(by_agent.items()):
        talking += states.count(S.TALKING)
        previous: AgentState | None = None
        wrong = ""
        for state in states:
            if state not in allowed.get(previous, set()):
                wrong = f"{previous.value if previous else 'start'} -> {state.value}"
                break
            previous = state
        if not wrong and previous is not S.LOGGED_OUT:
            wrong = f"ends in {previous.value if previous else 'nothing'}, not logged_out"
        if wrong:
            result.problems.append(
                f"agent {login}: state records inconsistent ({wrong}): "
                + " ".join(s.value for s in states)
            )
        else:
            ok += 1
    result.records_ok, result.talking_records = ok, talking
    if talking != result.connected + result.cut:
        result.problems.append(
            f"{talking} talking records for {result.connected + result.cut} connected calls"
        )


def busy_agents(
    timelines: dict[str, list[tuple[float, AgentState]]], start: float, end: float
) -> tuple[float | None, int]:
    """From the state records: the mean share of the agents ringing, talking or in wrap-up
    between ``start`` and ``end``, and the most at once."""
    if end <= start or not timelines:
        return None, 0
    changes: list[tuple[float, int]] = []
    for states in timelines.values():
        since: float | None = None
        for at, state in states:
            busy = state in (S.RINGING, S.TALKING, S.WRAP_UP)
            if busy and since is None:
                since = at
            elif not busy and since is not None:
                changes += [(since, 1), (at, -1)]
                since = None
        if since is not None:
            changes += [(since, 1), (end, -1)]
    level = peak = 0
    total, last = 0.0, start
    for at, step in sorted(changes):
        clipped = min(max(at, start), end)
        total += level * (clipped - last)
        last = clipped
        level += step
        if start <= at <= end:
            peak = max(peak, level)
    return total / ((end - start) * len(timelines)), peak


def snapshot(controller: ControllerThread) -> dict[str, Any]:
    async def take() -> dict[str, Any]:
        return controller.controller.snapshot()

    return controller.call(take())


def run_ari_agents(
    sandbox: Sandbox,
    tap: EventTap,
    controller: ControllerThread,
    app: str,
    engine: Engine,
    logins: Sequence[AgentLogin],
    queues: Sequence[str],
    arrivals: Sequence[Arrival],
    args: argparse.Namespace,
) -> ModeResult:
    result = ModeResult("ARI agents", "StasisStart -> in the agent's bridge", agents=len(logins))
    interfaces = {
        (queue, f"Local/{queue}.{agent.login}@asterisk-cc-agent/n"): agent.login
        for queue in queues
        for agent in logins
    }
    print(f"\n== ARI agents: {len(logins)} agents log in by phone", flush=True)
    phones = [
        sandbox.place_call(
            LOGIN_CODE,
            CallerScript((Wait(2), Dtmf(f"{a.login}#"), Wait(3), Dtmf(f"{a.pin}#"), Wait(3600))),
        )
        for a in logins
    ]

    def all_ready() -> bool:
        agents = snapshot(controller)["agents"]
        if not all(agents.get(a.login, {}).get("state") == "ready" for a in logins):
            return False
        lines = member_lines(sandbox, queues)
        return all(member_idle(lines.get(key)) for key in interfaces)

    try:
        result.login_s = round(wait_until("the agents' log-in", all_ready, 90), 1)
    except TimeoutError:
        raise RuntimeError(
            f"the agents did not all log in within 90 s; controller: "
            f"{snapshot(controller)['agents']}; app_queue: {member_lines(sandbox, queues)}"
        ) from None
    print(f"  all ready and unpaused in {len(queues)} queue(s) after {result.login_s} s")

    queue_log = sandbox.queue_log()
    events_before = snapshot(controller)["events"]
    stats_before = controller.controller.stats.calls_refused
    tap_before, cpu_before = tap.count, asterisk_cpu_s(sandbox)
    started, window_start = time.monotonic(), time.time()
    placed = place_calls(sandbox, arrivals, result)
    wait_for_calls(tap, placed, result)

    stuck: set[str] = set()

    def back_to_ready() -> bool:
        agents = snapshot(controller)["agents"]
        lines = member_lines(sandbox, queues)
        stuck.clear()
        stuck.update(a.login for a in logins if agents.get(a.login, {}).get("state") != "ready")
        stuck.update(login for key, login in interfaces.items() if not member_idle(lines.get(key)))
        return not stuck

    with contextlib.suppress(TimeoutError):
        wait_until("the agents back to ready", back_to_ready, args.wrapup + 20)
    result.run_s = time.monotonic() - started
    result.window = (window_start, time.time())
    result.controller_events = snapshot(controller)["events"] - events_before
    result.refused = controller.controller.stats.calls_refused - stats_before
    result.tap_events = tap.count - tap_before
    result.asterisk_cpu_s = asterisk_cpu_s(sandbox) - cpu_before
    result.stuck = len(stuck)
    with sandbox.ari_client() as ari:
        if ari.get(f"/applications/{app}").status_code != 200:
            result.problems.append(
                f"Stasis application {app} is gone: the controller's event websocket closed "
                f"(controller snapshot: link_up {snapshot(controller)['link_up']})"
            )
    if stuck:
        agents = snapshot(controller)["agents"]
        lines = member_lines(sandbox, queues)
        for login in sorted(stuck):
            result.problems.append(
                f"agent {login} stuck: controller {agents.get(login)}; app_queue "
                + "; ".join(
                    lines.get((q, f"Local/{q}.{login}@asterisk-cc-agent/n"), "-") for q in queues
                )
            )
    time.sleep(1)  # the last COMPLETE lines follow the hang-ups by a few milliseconds
    outcomes = classify(queue_log.records(), placed)
    result.connected, result.cut = outcomes["connected"], outcomes["cut"]
    result.abandoned, result.lost = outcomes["abandoned"], outcomes["lost"]
    result.unanswered = outcomes["unanswered"]
    measure_latency(tap, placed, ARI_MEMBER, result, ari=True)

    print("  the agents hang up their phones (log-out)", flush=True)
    for phone in phones:
        with contextlib.suppress(SandboxError):
            sandbox.hang_up(phone)
    try:
        wait_until(
            "the log-outs",
            lambda: not snapshot(controller)["agents"] and not member_lines(sandbox, queues),
            30,
        )
    except TimeoutError:
        result.problems.append(f"log-out incomplete: {snapshot(controller)['agents']}")
    with contextlib.suppress(TimeoutError):
        wait_until("the last records", lambda: not snapshot(controller)["pending_records"], 10)
    check_records(engine, logins, args.wrapup, result)
    for error in controller.controller.stats.errors:
        result.problems.append(f"controller error: {error}")
    return result


def baseline_interface(index: int, talk_s: int) -> str:
    """``answering_agent(0, talk_s)`` with a fourth field the dialplan ignores: app_queue needs
    one interface per member."""
    return answering_agent(0, talk_s).replace("@", f"-{index}@", 1)


def run_baseline(
    sandbox: Sandbox,
    tap: EventTap,
    agents: int,
    queues: Sequence[str],
    arrivals: Sequence[Arrival],
    args: argparse.Namespace,
) -> ModeResult:
    result = ModeResult("baseline: app_queue members", "created -> answered", agents=agents)
    interfaces = [baseline_interface(i, BASELINE_TALK_S) for i in range(agents)]
    print(f"\n== baseline: {agents} answering_agent(ring_s=0) members", flush=True)
    with sandbox.ami_client() as ami:
        # Members the ARI part left behind (a failed log-out) would take calls here too.
        for queue, interface in member_lines(sandbox, queues):
            result.problems.append(f"{interface} was still a member of {queue}: removed")
            ami.action("QueueRemove", Queue=queue, Interface=interface)
        for queue in queues:
            for index, interface in enumerate(interfaces):
                ami.action(
                    "QueueAdd",
                    Queue=queue,
                    Interface=interface,
                    MemberName=f"answering-{index}",
                    Penalty="0",
                    Paused="false",
                )
    try:
        queue_log = sandbox.queue_log()
        tap_before, cpu_before = tap.count, asterisk_cpu_s(sandbox)
        started = time.monotonic()
        placed = place_calls(sandbox, arrivals, result)
        wait_for_calls(tap, placed, result)
        keys = [(queue, interface) for queue in queues for interface in interfaces]
        idle: list[tuple[str, str]] = []

        def all_idle() -> bool:
            lines = member_lines(sandbox, queues)
            idle[:] = [key for key in keys if member_idle(lines.get(key))]
            return len(idle) == len(keys)

        with contextlib.suppress(TimeoutError):
            wait_until("the members idle", all_idle, args.wrapup + 20)
        result.run_s = time.monotonic() - started
        result.tap_events = tap.count - tap_before
        result.asterisk_cpu_s = asterisk_cpu_s(sandbox) - cpu_before
        result.stuck = len({interface for _, interface in keys} - {i for _, i in idle})
        time.sleep(1)
        outcomes = classify(queue_log.records(), placed)
        result.connected, result.cut = outcomes["connected"], outcomes["cut"]
        result.abandoned, result.lost = outcomes["abandoned"], outcomes["lost"]
        result.unanswered = outcomes["unanswered"]
        measure_latency(tap, placed, BASELINE_MEMBER, result, ari=False)
    finally:
        with sandbox.ami_client() as ami:
            for queue in queues:
                for interface in interfaces:
                    ami.action("QueueRemove", Queue=queue, Interface=interface)
    return result


# --- output ----------------------------------------------------------------------------------


def print_table(results: Sequence[ModeResult]) -> None:
    def ms(samples: list[float], q: float) -> str:
        value = quantile(samples, q)
        return "-" if value is None else f"{value:.0f}"

    header = (
        f"{'mode':<27} {'placed':>6} {'conn.':>5} {'aband.':>6} {'lost':>4} {'cut':>3} "
        f"{'unans.':>6} {'stuck':>5} {'records':>7} {'ctl ev/s':>8} {'lat p50':>7} {'p95':>5} {'p99':>5} "
        f"{'max':>5} {'conn p50':>8} {'p99':>5} {'wait p99':>8} {'ast CPU':>7}"
    )
    print(
        "\nlatency (ms, Asterisk's clock): ARI agents = member channel's StasisStart -> in the "
        "agent's bridge;\nbaseline = member channel created -> answered. conn = member channel "
        "created -> the caller connected to the agent\n(app_queue's bridge, and for an ARI agent "
        "also the agent's bridge); wait = caller's Queue() start -> connected.\nunans. = "
        "member rings of 1 s or more that nobody answered. ast CPU = Asterisk's CPU seconds "
        "during the calls."
    )
    print(header)
    print("-" * len(header))
    for r in results:
        records = "-" if r.records_ok is None else f"{r.records_ok}/{r.agents}"
        rate = "-" if r.events_per_s is None else f"{r.events_per_s:.1f}"
        print(
            f"{r.mode:<27} {r.placed:>6} {r.connected:>5} {r.abandoned:>6} {r.lost:>4} "
            f"{r.cut:>3} {r.unanswered:>6} {r.stuck:>5} {records:>7} {rate:>8} {ms(r.latency_ms, 0.5):>7} "
            f"{ms(r.latency_ms, 0.95):>5} {ms(r.latency_ms, 0.99):>5} "
            f"{ms(r.latency_ms, 1.0):>5} {ms(r.connect_ms, 0.5):>8} "
            f"{ms(r.connect_ms, 0.99):>5} {ms(r.wait_ms, 0.99):>8} {r.asterisk_cpu_s:>7.1f}"
        )
    for r in results:
        extra = f"  {r.mode}: {r.offers} member channels rung for {r.placed} calls"
        if r.refused is not None:
            extra += f" ({r.refused} offers refused by the controller)"
        if r.answer_ms:
            extra += (
                f"; StasisStart -> answered p50 {ms(r.answer_ms, 0.5)} ms, "
                f"p99 {ms(r.answer_ms, 0.99)} ms"
            )
        if r.talking_records is not None:
            extra += f"; {r.talking_records} talking records"
        if r.busy_share is not None:
            extra += (
                f"; agents ringing, talking or in wrap-up: {r.busy_share:.0%} on average, "
                f"{r.busy_peak} of {r.agents} at most"
            )
        extra += (
            f"; run {r.run_s:.0f} s, all Asterisk events {r.tap_events / r.run_s:.0f}/s"
            if r.run_s
            else ""
        )
        print(extra)
        for problem in r.problems:
            print(f"    PROBLEM {problem}")


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    del frame
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def sandbox_of_our_own(name: str) -> Iterator[Sandbox]:
    http, ami, agi = free_loopback_ports(3)
    sandbox = Sandbox(name, ports=SandboxPorts(http=http, ami=ami, agi=agi))
    sandbox.down()  # one left running by an interrupted run would hold other ports
    try:
        print(f"starting sandbox {name} (HTTP/ARI {http}, AMI {ami})", flush=True)
        sandbox.up()
        yield sandbox
    finally:
        print(f"stopping sandbox {name}", flush=True)
        sandbox.down()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1.0, help="calls per second (Poisson)")
    parser.add_argument("--talk-min", type=float, default=5.0, help="caller's stay, seconds")
    parser.add_argument("--talk-max", type=float, default=15.0)
    parser.add_argument(
        "--queues",
        type=lambda text: [q.strip() for q in text.split(",") if q.strip()],
        default=["sales", "support"],
        help="queues of the shipped queues_asterisk_cc.conf, comma-separated; every agent "
        "serves all, callers pick one at random (default sales,support)",
    )
    parser.add_argument("--wrapup", type=int, default=5, help="the queues' wrap-up, seconds")
    parser.add_argument("--sandbox-name", default="bench-ari")
    parser.add_argument("--json", action="store_true", help="end with one JSON object per mode")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    if args.talk_min > args.talk_max or args.rate <= 0 or args.agents < 1 or args.calls < 1:
        parser.error("need --talk-min <= --talk-max, --rate > 0, --agents and --calls >= 1")

    warnings = _Warnings()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger().addHandler(warnings)
    signal.signal(signal.SIGTERM, _interrupt)
    run_started = time.perf_counter()
    rng = random.Random(args.seed)
    arrivals = schedule(args, args.queues, rng)
    print(f"machine: {describe_machine()}", flush=True)
    print(
        f"{args.calls} calls over {arrivals[-1].at_s:.0f} s (Poisson, {args.rate:g}/s) into "
        f"{', '.join(args.queues)}; callers stay {args.talk_min:g}-{args.talk_max:g} s; "
        f"{args.agents} agents; wrap-up {args.wrapup} s"
    )
    results: list[ModeResult] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="ari-load-") as workdir,
            sandbox_of_our_own(args.sandbox_name) as sandbox,
        ):
            print(" ".join(sandbox.cli("core show version").split()[:2]))
            config = sandbox.write_config(
                Path(workdir) / "cc.toml", database_url=f"sqlite:///{workdir}/cc.sqlite3"
            )
            settings = load_settings(config, needed_by="ari")
            engine = make_engine(settings.database)
            tap = EventTap(sandbox)
            try:
                upgrade(engine)
                logins = seed(engine, args.queues, args.agents, args.wrapup, rng)
                with controller_in_thread(settings) as controller:
                    wait_until("the event link", lambda: snapshot(controller)["link_up"], 30)
                    results.append(
                        run_ari_agents(
                            sandbox,
                            tap,
                            controller,
                            settings.ari.app,
                            engine,
                            logins,
                            args.queues,
                            arrivals,
                            args,
                        )
                    )
                    results.append(
                        run_baseline(sandbox, tap, args.agents, args.queues, arrivals, args)
                    )
            finally:
                tap.close()
                engine.dispose()
            if tap.failure is not None and results:
                results[-1].problems.append(f"event websocket failed: {tap.failure!r}")
    except KeyboardInterrupt:
        print("\ninterrupted: sandbox stopped", file=sys.stderr)
        return 130
    except (RuntimeError, SandboxError, TimeoutError) as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        for line in warnings.lines[:10]:
            print(f"    {line}", file=sys.stderr)
        return 1
    for result in results:
        for what, count in (
            ("lost", result.lost),
            ("cut", result.cut),
            ("unanswered rings", result.unanswered),
        ):
            if count:
                result.problems.insert(0, f"{count} call(s) {what}")
    print_table(results)
    if warnings.lines:
        print(f"\n{len(warnings.lines)} warning(s) logged, the first ones:")
        for line in warnings.lines[:10]:
            print(f"    {line}")
    print(f"\nwhole run: {time.perf_counter() - run_started:.0f} s")
    if args.json:
        for result in results:
            print(json.dumps(result.as_json()))
    return 0 if all(not r.problems for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
