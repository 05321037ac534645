"""ARI agents on the real Asterisk 22 sandbox: log-in by feature code, a queue call delivered
into the agent's bridge, wrap-up and pause in app_queue, log-out, and every state recorded."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.agi.demo import make_demo_route
from asterisk_cc.agi.server import run_server_in_thread
from asterisk_cc.agi.service import make_router
from asterisk_cc.ari.controller import AgentController
from asterisk_cc.ari.service import ControllerThread, controller_in_thread
from asterisk_cc.config import Settings, load_settings
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.agents import hash_pin
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    AgentStateChange,
    Interaction,
    Queue,
    QueueSkill,
    Skill,
)
from asterisk_cc.sandbox import CallerScript, Dtmf, PlacedCall, Wait
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

LOGIN, PIN = "1001", "4821"
MEMBER = "Local/sales.1001@asterisk-cc-agent/n"


@dataclass
class Floor:
    asterisk: AsteriskSandbox
    engine: Engine
    controller: ControllerThread
    published: list[dict[str, Any]] = field(default_factory=list)
    settings: Settings | None = None

    def snapshot(self) -> dict[str, Any]:
        async def take() -> dict[str, Any]:
            return self.controller.controller.snapshot()

        return self.controller.call(take())

    def wait_until(self, what: str, check: Callable[[], bool], timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"waited {timeout_s} s for {what}; controller: {self.snapshot()}")
            time.sleep(0.2)

    def agent_state(self) -> str | None:
        agent = self.snapshot()["agents"].get(LOGIN)
        return agent["state"] if agent else None

    def member_line(self) -> str:
        for line in self.asterisk.cli("queue show sales").splitlines():
            if MEMBER in line:
                return line
        return ""

    def states(self) -> list[tuple[AgentState, str | None]]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(AgentStateChange).order_by(AgentStateChange.at, AgentStateChange.id)
            )
            return [(row.state, row.reason) for row in rows]


async def log_out_everyone(agents: AgentController) -> None:
    """Agents still logged in at the end of a test are logged out: their bridges, phones and
    queue memberships go, so the next test starts from an empty floor."""
    for login in list(agents.sessions):
        await agents.log_out(login)


def seed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        skill = Skill(name="sales")
        queue = Queue(name="sales", wrapup_limit_s=60)
        agent = Agent(login=LOGIN, name="Zhao Min", pin_hash=hash_pin(PIN))
        session.add_all([skill, queue, agent])
        session.flush()
        session.add_all(
            [
                QueueSkill(queue_id=queue.id, skill_id=skill.id, min_level=1, penalty=0),
                AgentSkill(agent_id=agent.id, skill_id=skill.id, level=5, penalty=0),
            ]
        )


@contextlib.contextmanager
def running_floor(
    asterisk: AsteriskSandbox,
    directory: Path,
    *,
    adjust: Callable[[Settings], Settings] = lambda settings: settings,
) -> Iterator[Floor]:
    """A seeded database in ``directory`` and the controller running on it, its event link
    up; whoever is still logged in at the end is logged out."""
    config = asterisk.sandbox.write_config(
        directory / "cc.toml", database_url=f"sqlite:///{directory / 'cc.sqlite3'}"
    )
    settings = adjust(load_settings(config, needed_by="all"))
    engine = make_engine(settings.database)
    upgrade(engine)
    seed(engine)
    published: list[dict[str, Any]] = []
    with controller_in_thread(settings, publish=published.append) as controller:
        floor = Floor(asterisk, engine, controller, published, settings)
        floor.wait_until("the event link", lambda: floor.snapshot()["link_up"])
        try:
            yield floor
        finally:
            controller.call(log_out_everyone(controller.controller))
    engine.dispose()


@pytest.fixture
def floor(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[Floor]:
    with running_floor(asterisk, tmp_path) as running:
        yield running


def log_in_by_phone(floor: Floor, pin: str = PIN) -> PlacedCall:
    """The agent's phone dials *45, keys the agent number and the PIN, and stays on."""
    script = CallerScript((Wait(2), Dtmf(f"{LOGIN}#"), Wait(3), Dtmf(f"{pin}#"), Wait(300)))
    return floor.asterisk.call("*45@asterisk-cc-agent-features", script)


def test_an_agent_logs_in_takes_a_queue_call_and_logs_out(floor: Floor) -> None:
    phone = log_in_by_phone(floor)
    floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
    floor.wait_until("the queue membership", lambda: floor.member_line() != "")
    assert "paused" not in floor.member_line()

    queue_log = floor.asterisk.queue_log()
    caller = floor.asterisk.call_queue("sales", hold_s=6)
    (connect,) = [
        line
        for line in queue_log.wait_for_events(caller.callee_id, ["CONNECT"], timeout_s=20)
        if line.event == "CONNECT"
    ]
    assert connect.agent == LOGIN
    floor.wait_until("the call at the agent", lambda: floor.agent_state() == "talking")
    # Agent and caller share the agent's bridge.
    bridges = floor.asterisk.ari.get("/bridges").json()
    (bridge,) = [b for b in bridges if b["name"] == f"agent-{LOGIN}"]
    assert phone.callee_id in bridge["channels"] and len(bridge["channels"]) == 2
    floor.wait_until(
        "the screen pop", lambda: any(m["type"] == "screen_pop" for m in floor.published)
    )

    # The caller hangs up: wrap-up, during which app_queue does not offer calls.
    floor.wait_until("wrap-up", lambda: floor.agent_state() == "wrap_up", timeout_s=20)
    floor.wait_until("the paused membership", lambda: "paused" in floor.member_line())
    floor.controller.call(floor.controller.controller.ready(LOGIN))
    floor.wait_until("ready again", lambda: "paused" not in floor.member_line())

    floor.controller.call(floor.controller.controller.pause(LOGIN, "break"))
    floor.wait_until("the break", lambda: "paused" in floor.member_line())
    floor.controller.call(floor.controller.controller.unpause(LOGIN))
    floor.wait_until("back from the break", lambda: "paused" not in floor.member_line())

    # Hanging up the phone ends the session.
    floor.asterisk.hang_up(phone)
    floor.wait_until("the log-out", lambda: floor.agent_state() is None)
    floor.wait_until("the membership removed", lambda: floor.member_line() == "")

    S = AgentState
    assert floor.states() == [
        (S.READY, None),
        (S.RINGING, None),
        (S.TALKING, None),
        (S.WRAP_UP, None),
        (S.READY, None),
        (S.PAUSED, "break"),
        (S.READY, None),
        (S.LOGGED_OUT, "hangup"),
    ]
    with Session(floor.engine) as session:
        (call,) = session.scalars(
            select(Interaction).where(Interaction.linkedid == caller.linkedid)
        )
        assert call.agent_id is not None and call.talk_s is not None and call.talk_s >= 3
        assert call.wrapup_s is not None  # the agent said ready after some after-call work


def test_a_caller_goes_through_the_ivr_into_the_queue_and_to_the_agent(floor: Floor) -> None:
    phone = log_in_by_phone(floor)
    floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
    queue_log = floor.asterisk.queue_log()
    ivr = make_router({"demo": make_demo_route(queue="sales")})
    with run_server_in_thread(ivr, port=floor.asterisk.agi_port):
        caller = floor.asterisk.call_ivr("demo", ["42#"], first_delay_s=3, hold_s=12)
        lines = queue_log.wait_for_events(caller.callee_id, ["ENTERQUEUE", "CONNECT"], timeout_s=30)
    assert [line.agent for line in lines if line.event == "CONNECT"] == [LOGIN]
    floor.wait_until("the call at the agent", lambda: floor.agent_state() == "talking")
    bridges = floor.asterisk.ari.get("/bridges").json()
    (bridge,) = [b for b in bridges if b["name"] == f"agent-{LOGIN}"]
    assert phone.callee_id in bridge["channels"] and len(bridge["channels"]) == 2
    floor.asterisk.hang_up(caller, phone)
    floor.wait_until("the log-out", lambda: floor.agent_state() is None)


def test_a_wrong_pin_is_refused(floor: Floor) -> None:
    phone = log_in_by_phone(floor, pin="0000")
    # "Incorrect", then no second try within the time allowed: the controller hangs up.
    floor.asterisk.wait_for_hangup(phone, timeout_s=60)
    assert floor.agent_state() is None
    assert floor.states() == []
