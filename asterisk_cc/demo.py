"""``asterisk-cc demo``: the product working end to end on a real Asterisk 22, in one command.

It brings up a private Asterisk (the sandbox), migrates an embedded SQLite database, starts the
FastAGI server on it, adds a scripted agent to the ``support`` queue, and places a scripted call
through the ``demo`` IVR flow: the caller hears the greeting, presses keys, hears them read
back and is queued; the agent answers, talks and hangs up. Then it prints what each part
recorded (the FastAGI server's IVR session in the database, app_queue's queue_log lines,
the CDR rows) and checks that they agree with what the caller did. Exit 0 only when they do.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import select

from asterisk_cc.agi.demo import DEFAULT_QUEUE
from asterisk_cc.agi.server import run_server_in_thread
from asterisk_cc.agi.service import default_routes, make_router, trip_recorder
from asterisk_cc.config import load_settings
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import IvrSession
from asterisk_cc.sandbox import CallerScript, PlacedCall, Sandbox, SandboxPorts, answering_agent
from asterisk_cc.sandbox.records import CdrRow, QueueLogLine
from asterisk_cc.sandbox.render import parse_dtmf_groups

logger = logging.getLogger(__name__)

DEMO_SANDBOX = "demo"
DEMO_AGENT = "Demo Agent"
# The greeting (hello-world, about 1.5 s) is not interruptible: keys pressed before it ends
# are lost, so the caller waits this long before pressing.
FIRST_KEY_DELAY_S = 3.0
KEY_GROUP_GAP_S = 1.0
AGENT_RING_S = 1.0
AGENT_TALK_S = 3.0
CALL_TIMEOUT_S = 90.0
QUEUE_EVENTS = ("ENTERQUEUE", "CONNECT")
CALL_END_EVENTS = {"COMPLETEAGENT", "COMPLETECALLER"}

Progress = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class DemoResult:
    """What the parts of the system recorded about the demo call."""

    call: PlacedCall
    expected_digits: str
    ivr_sessions: list[IvrSession]
    queue_log: list[QueueLogLine]
    cdr: list[CdrRow]

    def problems(self) -> list[str]:
        """Where the records disagree with what the scripted caller and agent did."""
        found = []
        if len(self.ivr_sessions) != 1:
            found.append(f"expected 1 IVR session in the database, found {len(self.ivr_sessions)}")
        else:
            ivr = self.ivr_sessions[0]
            if ivr.inputs.get("digits") != self.expected_digits:
                found.append(
                    f"the caller pressed {self.expected_digits!r}, the FastAGI server "
                    f"recorded {ivr.inputs.get('digits')!r}"
                )
            if ivr.outcome != "queue":
                found.append(f"the IVR session ended in {ivr.outcome!r}, not in the queue")
        events = [line.event for line in self.queue_log]
        if events[:2] != list(QUEUE_EVENTS) or not CALL_END_EVENTS & set(events):
            found.append(f"queue_log shows {events}, expected ENTERQUEUE, CONNECT, COMPLETE*")
        agents = {line.agent for line in self.queue_log if line.event == "CONNECT"}
        if agents != {DEMO_AGENT}:
            found.append(f"the call was connected to {sorted(agents)}, not to {DEMO_AGENT!r}")
        if not any(
            row["lastapp"] == "Queue" and row["disposition"] == "ANSWERED" for row in self.cdr
        ):
            found.append("no CDR row shows the queue call ANSWERED")
        return found


def run_demo(
    *,
    dtmf: str = "1234#",
    keep: bool = False,
    name: str = DEMO_SANDBOX,
    ports: SandboxPorts | None = None,
    out: TextIO = sys.stdout,
    progress: Progress = _to_stderr,
) -> int:
    """Run the demo; 0 when every record agrees with the call, 1 when one does not."""
    groups = parse_dtmf_groups(dtmf)
    expected_digits = "".join(ch for ch in "".join(groups) if ch in "0123456789*")
    # One INFO line per ARI request would bury the demo's own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sandbox = Sandbox(name, ports=ports, progress=progress)
    sandbox.up()
    try:
        result = _place_demo_call(sandbox, groups, expected_digits, progress)
    finally:
        if keep:
            progress(f"the sandbox keeps running: asterisk-cc sandbox down --name {name}")
        else:
            progress("stopping Asterisk")
            sandbox.down()
    _print_result(result, out)
    problems = result.problems()
    for problem in problems:
        print(f"MISMATCH  {problem}", file=out)
    print(
        "demo: every record agrees with the call" if not problems else "demo: records disagree",
        file=out,
    )
    return 0 if not problems else 1


def _place_demo_call(
    sandbox: Sandbox, groups: Sequence[str], expected_digits: str, progress: Progress
) -> DemoResult:
    config_path = sandbox.write_config(sandbox.state_dir / "asterisk-cc.toml")
    settings = load_settings(config_path, needed_by="agi")
    engine = make_engine(settings.database)
    try:
        progress(f"migrating the embedded database ({settings.database.url})")
        upgrade(engine)
        sessions = session_factory(engine)
        record = trip_recorder(sessions, default_region=settings.site.default_region)
        router = make_router(default_routes(record))
        queue_log, cdr = sandbox.queue_log(), sandbox.cdr()
        with (
            run_server_in_thread(
                router,
                host=settings.agi.bind,
                port=settings.agi.port,
                failover_context=settings.agi.failover_context,
            ),
            sandbox.queue_member(
                DEFAULT_QUEUE,
                answering_agent(ring_s=AGENT_RING_S, talk_s=AGENT_TALK_S),
                DEMO_AGENT,
            ),
        ):
            progress(
                f"FastAGI server on {settings.agi.bind}:{settings.agi.port}; {DEMO_AGENT} "
                f"in queue {DEFAULT_QUEUE}; calling the demo flow, pressing {', '.join(groups)}"
            )
            script = CallerScript.pressing(
                groups,
                first_delay_s=FIRST_KEY_DELAY_S,
                gap_s=KEY_GROUP_GAP_S,
                hold_s=CALL_TIMEOUT_S,
            )
            call = sandbox.place_call(
                "demo@asterisk-cc-ivr", script, caller_id='"Demo Caller" <+8613800138000>'
            )
            queue_log.wait_for(
                lambda lines: _call_ended(lines, call.callee_id),
                timeout_s=CALL_TIMEOUT_S,
                why=f"the demo call {call.callee_id} to be answered and completed",
            )
            progress("the agent has answered and hung up; collecting the records")
            sandbox.wait_for_hangup(call, timeout_s=15)
        rows = cdr.settled_rows(call.linkedid)
        with sessions() as session:
            ivr = list(
                session.scalars(select(IvrSession).where(IvrSession.linkedid == call.linkedid))
            )
            for row in ivr:
                _ = row.steps  # loaded now, read after the session closes
        lines = [line for line in queue_log.records() if line.callid == call.callee_id]
        return DemoResult(call, expected_digits, ivr, lines, rows)
    finally:
        engine.dispose()


def _call_ended(lines: Sequence[QueueLogLine], callid: str) -> bool:
    return any(line.callid == callid and line.event in CALL_END_EVENTS for line in lines)


def _print_result(result: DemoResult, out: TextIO) -> None:
    def show(section: str, lines: Sequence[str]) -> None:
        print(f"\n{section}", file=out)
        for line in lines or ["(nothing)"]:
            print(f"  {line}", file=out)

    call = result.call
    show("call", [f"linkedid {call.linkedid}", f"channel  {call.callee_id} (IVR side)"])
    show(
        "IVR session (FastAGI server → SQLite)",
        [
            f"flow={ivr.flow} caller={ivr.caller_number} e164={ivr.caller_e164} "
            f"digits={ivr.inputs.get('digits')!r} path={' > '.join(ivr.path)} "
            f"outcome={ivr.outcome}"
            for ivr in result.ivr_sessions
        ],
    )
    show("queue_log (app_queue)", [line.summary() for line in result.queue_log])
    show("CDR (Master.csv)", [row.summary() for row in result.cdr])
    print(file=out)
