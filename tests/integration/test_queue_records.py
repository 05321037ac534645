"""app_queue's own records of scripted calls: queue_log events and cdr_csv rows.

The sandbox's queues have scripted members (asterisk_cc.sandbox.render.SANDBOX_QUEUES); the
project's queues get dynamic members through AMI, as the ARI controller will add them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from asterisk_cc.core.reports.queue_log import parse_line
from asterisk_cc.sandbox import CdrRow, answering_agent
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk


def test_an_answered_queue_call(asterisk: AsteriskSandbox) -> None:
    queue_log, cdr = asterisk.queue_log(), asterisk.cdr()
    call = asterisk.call_queue("sandbox-answering", hold_s=15)
    lines = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"])
    assert [line.event for line in lines] == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    assert {line.queue for line in lines} == {"sandbox-answering"}
    connect = lines[1]
    assert connect.agent == "Sandbox Answering Agent"
    # CONNECT: holdtime | member channel uniqueid | ringtime (the agent rings 1 s)
    hold_s, member_uniqueid, ring_s = connect.data
    assert int(hold_s) <= 3 and member_uniqueid and int(ring_s) in (0, 1, 2)
    # COMPLETEAGENT: holdtime | calltime | origpos (the agent talks 2 s, then hangs up)
    assert int(lines[2].data[1]) in (1, 2, 3)

    asterisk.wait_for_hangup(call)
    rows = cdr.wait_for_linkedid(call.linkedid, count=3)
    (queue_row,) = [row for row in rows if row["lastapp"] == "Queue"]
    assert queue_row["uniqueid"] == call.callee_id
    assert queue_row["dcontext"] == "asterisk-cc-queue"
    assert queue_row["dstchannel"].startswith("Local/answer-1-2@asterisk-cc-sandbox-agents-")
    assert queue_row["disposition"] == "ANSWERED"
    assert int(queue_row["billsec"]) >= 1


def test_no_agents_and_the_queue_timeout_runs_out(asterisk: AsteriskSandbox) -> None:
    queue_log = asterisk.queue_log()
    call = asterisk.call_queue("sandbox-empty", hold_s=20, queue_timeout_s=2)
    lines = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE", "EXITWITHTIMEOUT"])
    (timeout,) = [line for line in lines if line.event == "EXITWITHTIMEOUT"]
    # pos | origpos | waittime
    assert timeout.agent == "NONE" and int(timeout.data[2]) >= 2
    asterisk.hang_up(call)


def test_no_agents_and_the_caller_hangs_up(asterisk: AsteriskSandbox) -> None:
    queue_log, cdr = asterisk.queue_log(), asterisk.cdr()
    call = asterisk.call_queue("sandbox-empty", hold_s=1.5)
    lines = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE", "ABANDON"])
    assert [line.event for line in lines] == ["ENTERQUEUE", "ABANDON"]
    rows = cdr.wait_for_linkedid(call.linkedid, count=2)
    assert any(row["lastapp"] == "Queue" and row["uniqueid"] == call.callee_id for row in rows)


def test_an_agent_who_does_not_answer(asterisk: AsteriskSandbox) -> None:
    queue_log = asterisk.queue_log()
    call = asterisk.call_queue("sandbox-ringout", hold_s=20, queue_timeout_s=4)
    lines = queue_log.wait_for_events(call.callee_id, ["RINGNOANSWER", "EXITWITHTIMEOUT"])
    ring = next(line for line in lines if line.event == "RINGNOANSWER")
    assert ring.agent == "Sandbox Ringout Agent"
    # RINGNOANSWER is in milliseconds: the sandbox queue rings a member 3 s.
    assert 2000 <= int(ring.data[0]) <= 4000
    asterisk.hang_up(call)


def test_a_dynamic_member_of_a_project_queue(asterisk: AsteriskSandbox) -> None:
    queue_log = asterisk.queue_log()
    with asterisk.queue_member("sales", answering_agent(ring_s=0, talk_s=1), "Sales Agent"):
        call = asterisk.call_queue("sales", hold_s=15)
        lines = queue_log.wait_for_events(call.callee_id, ["CONNECT", "COMPLETEAGENT"])
        asterisk.wait_for_hangup(call)
    assert {line.agent for line in lines if line.event != "ENTERQUEUE"} == {"Sales Agent"}
    assert "No Members" in asterisk.cli("queue show sales")


def test_a_busy_agent(asterisk: AsteriskSandbox) -> None:
    queue_log, cdr = asterisk.queue_log(), asterisk.cdr()
    call = asterisk.call_queue("sandbox-busy", hold_s=20)
    lines = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE", "RINGNOANSWER"])
    ring = next(line for line in lines if line.event == "RINGNOANSWER")
    assert (ring.agent, ring.data) == ("Sandbox Busy Agent", ("0",))
    # The caller's CDR rows (one per dial attempt) are written when the caller's channel ends.
    asterisk.hang_up(call)

    def callee_rows(rows: Sequence[CdrRow]) -> list[CdrRow]:
        return [row for row in rows if row["uniqueid"] == call.callee_id]

    rows = cdr.wait_for(lambda rows: bool(callee_rows(rows)), why=f"CDR rows of {call.callee_id}")
    attempts = callee_rows(rows)
    assert {row["lastapp"] for row in attempts} == {"Queue"}
    assert {row["disposition"] for row in attempts} == {"BUSY"}


def test_the_reports_parser_reads_every_line_asterisk_wrote(asterisk: AsteriskSandbox) -> None:
    """The whole queue_log of this run (the calls above and every other test's so far):
    each line is one the reports' parser reads, none refused."""
    queue_log = asterisk.queue_log()
    call = asterisk.call_queue("sandbox-ringout", hold_s=4, queue_timeout_s=2)
    queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE", "EXITWITHTIMEOUT"])
    text = asterisk.sandbox.queue_log_path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    lines = text.splitlines()
    records = [parse_line(line, number) for number, line in enumerate(lines, 1)]
    events = {record.event for record in records}
    assert {"QUEUESTART", "ENTERQUEUE", "EXITWITHTIMEOUT"} <= events
    assert all(record.known for record in records)
