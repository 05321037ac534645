"""Scripted callers through the project's IVR context to a FastAGI server, over real Asterisk.

Each call is a Local channel: one half runs the project's dialplan (asterisk-cc-ivr → AGI), the
other half is the scripted caller that presses keys. What the FastAGI handler saw is handed back
to the test through a queue, with a deadline.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest

from asterisk_cc.agi.server import AgiSession, run_server_in_thread
from asterisk_cc.sandbox import answering_agent
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

HANDLER_DEADLINE_S = 20.0


class Seen:
    """What the handler observed, collected across the server's thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()

    def put(self, **observed: Any) -> None:
        self._queue.put(observed)

    def get(self) -> dict[str, Any]:
        try:
            return self._queue.get(timeout=HANDLER_DEADLINE_S)
        except queue.Empty:
            pytest.fail(f"the FastAGI handler reported nothing within {HANDLER_DEADLINE_S} s")


def test_caller_digits_arrive_at_the_fastagi_server(asterisk: AsteriskSandbox) -> None:
    seen = Seen()

    async def handler(session: AgiSession) -> None:
        await session.answer()
        first = await session.wait_for_digit(8000)
        entered = await session.get_data("beep", 8000, 5)
        await session.set_variable("ASTERISK_CC_DIGITS", entered)
        seen.put(env=dict(session.env), first=first, entered=entered)

    with run_server_in_thread(handler, port=asterisk.agi_port):
        call = asterisk.call_ivr("dtmftest", ["1", "42#"], first_delay_s=1, gap_s=1, hold_s=2)
        observed = seen.get()
        asterisk.wait_for_hangup(call)

    # WAIT FOR DIGIT answers an ASCII code and GET DATA the text: the session gives both as text.
    assert observed["first"] == "1"
    assert observed["entered"] == "42"
    env = observed["env"]
    assert env["agi_network_script"] == "dtmftest"
    assert env["agi_request"] == f"agi://127.0.0.1:{asterisk.agi_port}/dtmftest"
    assert env["agi_context"] == "asterisk-cc-ivr"
    assert env["agi_uniqueid"] == call.callee_id
    assert env["agi_version"].startswith("22.")


def test_a_caller_who_waits_times_out_to_none(asterisk: AsteriskSandbox) -> None:
    seen = Seen()

    async def handler(session: AgiSession) -> None:
        await session.answer()
        seen.put(digit=await session.wait_for_digit(500))

    with run_server_in_thread(handler, port=asterisk.agi_port):
        call = asterisk.call_ivr("silent", [], first_delay_s=0, hold_s=3)
        assert seen.get() == {"digit": None}
        asterisk.wait_for_hangup(call)


@pytest.fixture
def support_agent(asterisk: AsteriskSandbox) -> Iterator[str]:
    """An agent in the failover's default queue (support) who answers at once."""
    name = "Failover Agent"
    with asterisk.queue_member("support", answering_agent(ring_s=0, talk_s=1), name):
        yield name


def test_no_fastagi_server_means_failover_to_the_default_queue(
    asterisk: AsteriskSandbox, support_agent: str
) -> None:
    # Nothing listens on the FastAGI port: AGI() fails, and the caller must reach an agent of
    # the default queue instead of dead air.
    queue_log = asterisk.queue_log()
    call = asterisk.call_ivr("anything", [], first_delay_s=0, hold_s=15)
    lines = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE", "CONNECT"], timeout_s=20)
    assert {line.queue for line in lines} == {"support"}
    assert [line.agent for line in lines if line.event == "CONNECT"] == [support_agent]
    asterisk.wait_for_hangup(call)


def test_a_failing_flow_sends_the_caller_to_the_failover(
    asterisk: AsteriskSandbox, support_agent: str
) -> None:
    async def broken_flow(session: AgiSession) -> None:
        await session.answer()
        raise RuntimeError("the CRM is down")

    queue_log = asterisk.queue_log()
    with run_server_in_thread(
        broken_flow, port=asterisk.agi_port, failover_context="asterisk-cc-failover"
    ):
        call = asterisk.call_ivr("ivr", [], first_delay_s=0, hold_s=15)
        lines = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE", "CONNECT"], timeout_s=20)
    assert [line.agent for line in lines if line.event == "CONNECT"] == [support_agent]
    asterisk.wait_for_hangup(call)


def test_the_flow_routes_the_caller_into_a_queue(asterisk: AsteriskSandbox) -> None:
    # The IVR's job ends by moving the caller: SET CONTEXT/EXTENSION/PRIORITY into the
    # project's queue context, where app_queue connects an agent.
    async def route_to_answering_queue(session: AgiSession) -> None:
        await session.answer()
        await session.goto("asterisk-cc-queue", "sandbox-answering", "1")

    queue_log, cdr = asterisk.queue_log(), asterisk.cdr()
    with run_server_in_thread(route_to_answering_queue, port=asterisk.agi_port):
        call = asterisk.call_ivr("vip", [], first_delay_s=0, hold_s=10)
        lines = queue_log.wait_for_events(
            call.callee_id, ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"], timeout_s=20
        )
    assert {line.queue for line in lines} == {"sandbox-answering"}
    rows = cdr.wait_for_linkedid(call.linkedid, count=3)
    queue_rows = [row for row in rows if row["lastapp"] == "Queue"]
    assert [row["disposition"] for row in queue_rows] == ["ANSWERED"]
    assert queue_rows[0]["uniqueid"] == call.callee_id
    asterisk.wait_for_hangup(call)


def test_a_priority_caller_goes_ahead_of_those_waiting(asterisk: AsteriskSandbox) -> None:
    # QUEUE_PRIO set by the flow (a VIP tier) puts the caller before callers already waiting:
    # ENTERQUEUE's last field is the position the caller got.
    async def route_vip(session: AgiSession) -> None:
        await session.answer()
        await session.set_variable("QUEUE_PRIO", "10")
        await session.set_variable("ASTERISK_CC_QUEUE_TIMEOUT", "3")
        await session.goto("asterisk-cc-queue", "sandbox-empty", "1")

    queue_log = asterisk.queue_log()
    waiting = asterisk.call_queue("sandbox-empty", hold_s=20, queue_timeout_s=5)
    (entered,) = queue_log.wait_for_events(waiting.callee_id, ["ENTERQUEUE"])
    assert entered.data[-1] == "1"
    with run_server_in_thread(route_vip, port=asterisk.agi_port):
        vip = asterisk.call_ivr("vip", [], first_delay_s=0, hold_s=20)
        vip_lines = queue_log.wait_for_events(vip.callee_id, ["ENTERQUEUE", "EXITWITHTIMEOUT"])
    assert [line.data[-1] for line in vip_lines if line.event == "ENTERQUEUE"] == ["1"]
    # The caller who was first is now second.
    queue_log.wait_for_events(waiting.callee_id, ["EXITWITHTIMEOUT"])
    asterisk.hang_up(waiting, vip)
