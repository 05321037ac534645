"""Supervisors listen to, whisper to and barge in on an agent on the real Asterisk 22 sandbox:
a snoop channel on the agent's phone channel with the mode's directions, bridged with the
supervisor's phone; torn down when the supervisor hangs up, when supervision is stopped and
when the agent logs out; refused to agents; every session in the audit log with its duration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.ari.controller import AgentSession
from asterisk_cc.ari.service import controller_in_thread
from asterisk_cc.ari.supervision import (
    Mode,
    Supervision,
)
from asterisk_cc.config import load_settings
from asterisk_cc.core.agents import AgentError
from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import AuditLogEntry, User
from asterisk_cc.sandbox import (
    CallerScript,
    Dtmf,
    PlacedCall,
    Speak,
    Wait,
    answering_agent,
    ringing_agent,
)
from tests.asterisk_fixtures import AsteriskSandbox
from tests.integration.test_ari_agents import LOGIN, PIN, Floor, log_out_everyone, seed

pytestmark = pytest.mark.asterisk


# The supervisor's phone: answers at once and stays on until hung up (or 5 minutes pass).
SUPERVISOR_PHONE = answering_agent(0, 300)


@dataclass
class Watch:
    floor: Floor
    supervision: Supervision
    supervisor: int
    agent_user: int

    @property
    def engine(self) -> Engine:
        return self.floor.engine

    def agent(self) -> AgentSession:
        async def get() -> AgentSession:
            return self.floor.controller.controller.sessions[LOGIN]

        return self.floor.controller.call(get())

    def start(
        self, mode: Mode, *, user_id: int | None = None, endpoint: str = SUPERVISOR_PHONE
    ) -> str:
        return self.floor.controller.call(
            self.supervision.start(
                user_id=self.supervisor if user_id is None else user_id,
                agent=self.agent(),
                mode=mode,
                endpoint=endpoint,
            )
        )

    def stop(self, session_id: str) -> bool:
        return self.floor.controller.call(self.supervision.stop(session_id))

    def active(self) -> set[str]:
        async def ids() -> set[str]:
            return set(self.supervision.sessions)

        return self.floor.controller.call(ids())

    def channels(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.floor.asterisk.ari.get("/channels").json()}

    def bridge(self, bridge_id: str) -> dict[str, Any] | None:
        response = self.floor.asterisk.ari.get(f"/bridges/{bridge_id}")
        return response.json() if response.status_code == 200 else None

    def audit(self) -> list[AuditLogEntry]:
        with Session(self.engine) as session:
            return list(session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id)))


def seed_users(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session, session.begin():
        supervisor = User(username="li.na", password_hash="x", role=UserRole.SUPERVISOR)
        agent = User(username="zhao.min", password_hash="x", role=UserRole.AGENT)
        session.add_all([supervisor, agent])
        session.flush()
        return supervisor.id, agent.id


@pytest.fixture
def watch(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[Watch]:
    config = asterisk.sandbox.write_config(
        tmp_path / "cc.toml", database_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    )
    settings = load_settings(config, needed_by="ari")
    engine = make_engine(settings.database)
    upgrade(engine)
    seed(engine)
    supervisor, agent_user = seed_users(engine)
    with controller_in_thread(settings) as controller:
        floor = Floor(asterisk, engine, controller)
        floor.wait_until("the event link", lambda: floor.snapshot()["link_up"])

        supervision = controller.supervision
        try:
            yield Watch(floor, supervision, supervisor, agent_user)
        finally:
            controller.call(supervision.close())
            controller.call(log_out_everyone(controller.controller))
    engine.dispose()


def log_in_by_phone(watch: Watch) -> PlacedCall:
    """The agent's phone dials *45, keys the agent number and PIN, then talks and stays on.

    A real phone sends audio all the time; a scripted one only while it plays something. A
    snoop channel that is hung up goes only once audio has passed its agent's channel again
    (Asterisk detaches the snoop's audio hooks there), so this agent keeps talking.
    """
    talking = [Speak("demo-instruct")] * 4
    script = CallerScript(
        (Wait(2), Dtmf(f"{LOGIN}#"), Wait(3), Dtmf(f"{PIN}#"), Wait(2), *talking, Wait(300))
    )
    phone = watch.floor.asterisk.call("*45@asterisk-cc-agent-features", script)
    watch.floor.wait_until("the agent's log-in", lambda: watch.floor.agent_state() == "ready")
    return phone


def agent_with_a_call(watch: Watch) -> tuple[str, Any]:
    """The agent logged in by phone and talking to a queue caller: (agent's channel, caller)."""
    floor = watch.floor
    phone = log_in_by_phone(watch)
    caller = floor.asterisk.call_queue("sales", hold_s=120)
    floor.wait_until("the call at the agent", lambda: floor.agent_state() == "talking")
    assert watch.agent().phone_channel == phone.callee_id
    return phone.callee_id, (phone, caller)


def wait_connected(watch: Watch, session_id: str) -> dict[str, Any]:
    """Wait until the session's bridge holds the supervisor's call and the snoop; → the snoop
    channel as ARI shows it."""
    bridge_id, snoop_id = f"{session_id}-bridge", f"{session_id}-snoop"
    expected = {f"{session_id}-phone", snoop_id}

    def connected() -> bool:
        bridge = watch.bridge(bridge_id)
        return bridge is not None and set(bridge["channels"]) == expected

    watch.floor.wait_until(f"monitoring {session_id} connected", connected)
    return watch.channels()[snoop_id]


def wait_torn_down(watch: Watch, session_id: str) -> None:
    def gone() -> bool:
        left = [
            what
            for what, there in (
                ("session", session_id in watch.active()),
                ("bridge", watch.bridge(f"{session_id}-bridge") is not None),
                ("channels", any(c.startswith(session_id) for c in watch.channels())),
                ("audit", not any(audited(e, session_id) for e in watch.audit())),
            )
            if there
        ]
        return not left

    watch.floor.wait_until(f"monitoring {session_id} torn down", gone)


def audited(entry: AuditLogEntry, session_id: str) -> bool:
    """The entry of the session, completed at its end."""
    details = entry.details or {}
    return details.get("session") == session_id and "ended_at" in details


def test_a_supervisor_listens_whispers_and_barges(watch: Watch) -> None:
    agent_channel, (phone, caller) = agent_with_a_call(watch)
    agent_bridge = watch.agent().bridge_id
    sessions: dict[str, str] = {}
    for mode, whisper in (("listen", "none"), ("whisper", "out"), ("barge", "both")):
        session_id = watch.start(mode)  # type: ignore[arg-type]
        sessions[mode] = session_id
        snoop = wait_connected(watch, session_id)
        # A snoop on the agent's own channel, with the mode's directions.
        assert snoop["name"].startswith(f"Snoop/{agent_channel}-")
        assert snoop["dialplan"]["app_name"] == "Stasis"
        assert snoop["dialplan"]["app_data"] == (
            f"asterisk-cc,supervisor-snoop,{session_id},{mode},spy=both,whisper={whisper}"
        )
        # The agent and the caller still talk in the agent's bridge, untouched.
        bridge = watch.bridge(agent_bridge or "")
        assert bridge is not None and agent_channel in bridge["channels"]
        assert len(bridge["channels"]) == 2
        time.sleep(1.2)  # a second of monitoring, for the audit's duration
        if mode == "barge":
            # The supervisor hangs up.
            watch.floor.asterisk.ari.delete(f"/channels/{session_id}-phone")
        else:
            assert watch.stop(session_id) is True
        wait_torn_down(watch, session_id)
        assert watch.stop(session_id) is False
    assert watch.floor.agent_state() == "talking"  # the call went on throughout

    entries = watch.audit()
    assert [(e.action, e.username, e.user_id, e.target) for e in entries] == [
        (f"supervise_{mode}", "li.na", watch.supervisor, f"agent:{LOGIN}")
        for mode in ("listen", "whisper", "barge")
    ]
    for entry, mode in zip(entries, ("listen", "whisper", "barge"), strict=True):
        details = entry.details or {}
        assert details["session"] == sessions[mode] and details["mode"] == mode
        assert details["agent"] == LOGIN and details["endpoint"] == SUPERVISOR_PHONE
        assert details["linkedid"] == caller.linkedid
        assert details["connected_at"] is not None and details["ended_at"] is not None
        assert 1 <= details["duration_s"] <= 10
        assert details["end_reason"] == ("supervisor_hangup" if mode == "barge" else "stopped")
    watch.floor.asterisk.hang_up(caller, phone)


def test_an_agent_may_not_listen_and_an_agent_without_a_phone_cannot_be_listened_to(
    watch: Watch,
) -> None:
    log_in_by_phone(watch)
    with pytest.raises(PermissionError, match="only active supervisors and admins"):
        watch.start("listen", user_id=watch.agent_user)
    with pytest.raises(PermissionError):
        watch.start("barge", user_id=987654)
    agent = watch.agent()
    phoneless = AgentSession(agent.profile, agent.status)
    with pytest.raises(AgentError, match="no phone channel"):
        watch.floor.controller.call(
            watch.supervision.start(
                user_id=watch.supervisor, agent=phoneless, mode="listen", endpoint=SUPERVISOR_PHONE
            )
        )
    with pytest.raises(ValueError, match="not one of listen, whisper, barge"):
        watch.start("eavesdrop")  # type: ignore[arg-type]
    assert watch.audit() == []
    assert not [c for c in watch.channels().values() if c["name"].startswith("Snoop/")]


def test_everything_goes_when_the_agent_logs_out(watch: Watch) -> None:
    agent_channel, (phone, caller) = agent_with_a_call(watch)
    session_id = watch.start("listen")
    wait_connected(watch, session_id)
    watch.floor.controller.call(watch.floor.controller.controller.log_out(LOGIN))
    wait_torn_down(watch, session_id)
    assert agent_channel not in watch.channels()
    (entry,) = watch.audit()
    assert entry.details is not None and entry.details["end_reason"] == "agent_logged_out"
    watch.floor.asterisk.hang_up(caller, phone)


def test_a_supervisor_who_does_not_answer_is_audited_with_no_time(watch: Watch) -> None:
    log_in_by_phone(watch)
    watch.supervision.ring_timeout_s = 2
    session_id = watch.start("whisper", endpoint=ringing_agent())
    wait_torn_down(watch, session_id)
    (entry,) = watch.audit()
    assert entry.action == "supervise_whisper" and entry.details is not None
    assert entry.details["end_reason"] == "not_answered"
    assert entry.details["duration_s"] == 0 and entry.details["connected_at"] is None
