"""Agent sessions that start from the dashboard, and that outlive a controller restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from asterisk_cc.ari.service import controller_in_thread
from asterisk_cc.config import Settings, load_settings
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.sandbox import answering_agent
from tests.asterisk_fixtures import AsteriskSandbox
from tests.integration.test_ari_agents import LOGIN, Floor, log_in_by_phone, log_out_everyone, seed

pytestmark = pytest.mark.asterisk


def prepare(asterisk: AsteriskSandbox, directory: Path) -> Settings:
    config = asterisk.sandbox.write_config(
        directory / "cc.toml", database_url=f"sqlite:///{directory / 'cc.sqlite3'}"
    )
    settings = load_settings(config, needed_by="ari")
    engine = make_engine(settings.database)
    upgrade(engine)
    seed(engine)
    engine.dispose()
    return settings


def test_the_dashboard_logs_an_agent_in_by_calling_their_phone(
    asterisk: AsteriskSandbox, tmp_path: Path
) -> None:
    settings = prepare(asterisk, tmp_path)
    engine = make_engine(settings.database)
    with controller_in_thread(settings) as controller:
        floor = Floor(asterisk, engine, controller)
        floor.wait_until("the event link", lambda: floor.snapshot()["link_up"])
        # The agent's phone: a channel that answers after a ring and stays on.
        phone = answering_agent(ring_s=1, talk_s=300)
        controller.call(controller.controller.call_in(LOGIN, phone))
        floor.wait_until("the agent's session", lambda: floor.agent_state() == "ready")
        queue_log = asterisk.queue_log()
        caller = asterisk.call_queue("sales", hold_s=8)
        (connect,) = [
            line
            for line in queue_log.wait_for_events(caller.callee_id, ["CONNECT"], timeout_s=20)
            if line.event == "CONNECT"
        ]
        assert connect.agent == LOGIN
        controller.call(controller.controller.log_out(LOGIN))
        floor.wait_until("the log-out", lambda: floor.agent_state() is None)
        controller.call(log_out_everyone(controller.controller))
    engine.dispose()


def test_a_restarted_controller_takes_its_agents_back(
    asterisk: AsteriskSandbox, tmp_path: Path
) -> None:
    settings = prepare(asterisk, tmp_path)
    engine = make_engine(settings.database)
    with controller_in_thread(settings) as first:
        floor = Floor(asterisk, engine, first)
        floor.wait_until("the event link", lambda: floor.snapshot()["link_up"])
        phone = log_in_by_phone(floor)
        floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
        first.call(first.controller.pause(LOGIN, "training"))
    # The controller is gone; the agent's phone is still in its bridge in Asterisk.
    assert asterisk.sandbox.channel_exists(phone.callee_id)
    with controller_in_thread(settings) as second:
        floor = Floor(asterisk, engine, second)
        floor.wait_until("the agent taken back", lambda: floor.agent_state() == "paused")
        second.call(second.controller.unpause(LOGIN))
        queue_log = asterisk.queue_log()
        caller = asterisk.call_queue("sales", hold_s=8)
        queue_log.wait_for_events(caller.callee_id, ["CONNECT"], timeout_s=20)
        floor.wait_until("the call", lambda: floor.agent_state() in ("talking", "wrap_up"))
        asterisk.hang_up(phone)
        floor.wait_until("the log-out", lambda: floor.agent_state() is None)
        second.call(log_out_everyone(second.controller))
    S = AgentState
    states = floor.states()
    # One record per real change: no second "ready" or "paused" for the restart itself.
    assert states[:5] == [
        (S.READY, None),
        (S.PAUSED, "training"),
        (S.READY, None),
        (S.RINGING, None),
        (S.TALKING, None),
    ]
    assert states[-1] == (S.LOGGED_OUT, "hangup")
    engine.dispose()
