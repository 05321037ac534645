"""What an agent does with a call, through the controller, on real Asterisk: hold, unhold,
blind transfer to another queue, disposition, hang up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.models import Interaction
from asterisk_cc.sandbox import ringing_agent
from tests.asterisk_fixtures import AsteriskSandbox
from tests.integration.test_ari_agents import LOGIN, Floor, log_in_by_phone, running_floor

pytestmark = pytest.mark.asterisk


@pytest.fixture
def floor(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[Floor]:
    with running_floor(asterisk, tmp_path) as running:
        yield running


def test_hold_transfer_and_disposition(floor: Floor) -> None:
    agents = floor.controller.controller
    phone = log_in_by_phone(floor)
    floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
    queue_log = floor.asterisk.queue_log()
    caller = floor.asterisk.call_queue("sales", hold_s=60)
    queue_log.wait_for_events(caller.callee_id, ["CONNECT"], timeout_s=20)
    floor.wait_until("the call", lambda: floor.agent_state() == "talking")

    floor.controller.call(agents.hold(LOGIN))
    assert floor.agent_state() == "hold"
    floor.controller.call(agents.unhold(LOGIN))
    assert floor.agent_state() == "talking"

    # Blind transfer into the support queue, where another agent's phone rings.
    with floor.asterisk.queue_member("support", ringing_agent(), "Support"):
        floor.controller.call(
            agents.transfer(LOGIN, context="asterisk-cc-queue", extension="support")
        )
        floor.wait_until("wrap-up after the transfer", lambda: floor.agent_state() == "wrap_up")
        entered = queue_log.wait_for(
            lambda lines: any(
                line.event == "ENTERQUEUE" and line.queue == "support" for line in lines
            ),
            timeout_s=20,
            why="the transferred caller in the support queue",
        )
        assert entered
        # The caller is still on the line, now waiting for support.
        assert floor.asterisk.sandbox.channel_exists(caller.caller_id)
        floor.asterisk.hang_up(caller)

    floor.controller.call(agents.set_disposition(LOGIN, "transferred_to_support"))
    floor.asterisk.hang_up(phone)
    floor.wait_until("the log-out", lambda: floor.agent_state() is None)
    states = [state for state, _ in floor.states()]
    assert states == [
        AgentState.READY,
        AgentState.RINGING,
        AgentState.TALKING,
        AgentState.HOLD,
        AgentState.TALKING,
        AgentState.WRAP_UP,
        AgentState.LOGGED_OUT,
    ]
    with Session(floor.engine) as session:
        (call,) = session.scalars(
            select(Interaction).where(Interaction.linkedid == caller.linkedid)
        )
        assert call.disposition == "transferred_to_support"
        assert call.hold_s is not None and call.agent_id is not None
