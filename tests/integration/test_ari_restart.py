"""Asterisk restarts mid-shift: the controller reconnects by itself, logs the agents whose
phones were cut off out exactly once, and takes their next log-in as if nothing happened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from asterisk_cc.core.vocabulary import AgentState
from tests.asterisk_fixtures import AsteriskSandbox
from tests.integration.test_ari_agents import Floor, log_in_by_phone, running_floor

pytestmark = pytest.mark.asterisk


@pytest.fixture
def floor(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[Floor]:
    with running_floor(asterisk, tmp_path) as running:
        yield running


def test_the_controller_recovers_from_an_asterisk_restart(floor: Floor) -> None:
    log_in_by_phone(floor)
    floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")

    sandbox = floor.asterisk.sandbox
    sandbox.down()
    sandbox.up()
    floor.wait_until("the link back up", lambda: floor.snapshot()["link_up"], timeout_s=60)
    floor.wait_until("the agent logged out", lambda: floor.agent_state() is None)
    assert floor.member_line() == ""

    # The agent logs in again on the new Asterisk and is offered calls again.
    log_in_by_phone(floor)
    floor.wait_until("the new log-in", lambda: floor.agent_state() == "ready")
    floor.wait_until("the queue membership", lambda: floor.member_line() != "")
    queue_log = floor.asterisk.queue_log()
    caller = floor.asterisk.call_queue("sales", hold_s=8)
    queue_log.wait_for_events(caller.callee_id, ["CONNECT"], timeout_s=20)

    states = [state for state, _ in floor.states()]
    assert states[:3] == [AgentState.READY, AgentState.LOGGED_OUT, AgentState.READY]
    assert states.count(AgentState.LOGGED_OUT) == 1
