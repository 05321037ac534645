"""Call recording by the queue's policy on the real Asterisk 22 sandbox: ``all`` records every
call an agent answers (the agent's bridge: both parties) into the recording directory, with
the file's reference on the call's interaction; ``none`` records nothing and refuses a
recording on demand; ``on_demand`` records once the agent (or a supervisor) asks."""

from __future__ import annotations

import array
import re
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from asterisk_cc.ari.service import controller_in_thread
from asterisk_cc.config import load_settings
from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import Interaction, Queue, User
from asterisk_cc.db.recordings import recording_path
from asterisk_cc.sandbox import CallerScript, PlacedCall, Speak, Wait
from tests.asterisk_fixtures import AsteriskSandbox
from tests.integration.test_ari_agents import LOGIN, Floor, log_in_by_phone, log_out_everyone, seed

pytestmark = pytest.mark.asterisk


# The caller waits to be connected, says "hello world" twice, and hangs up.
SPEAKING_CALLER = CallerScript((Wait(3), Speak("hello-world"), Speak("hello-world"), Wait(1)))
# 16-bit samples louder than this are speech, not silence.
SPEECH_LEVEL = 1000


@dataclass
class Studio:
    floor: Floor
    directory: Path
    supervisor: int

    @property
    def engine(self) -> Engine:
        return self.floor.engine

    def set_policy(self, policy: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(update(Queue).where(Queue.name == "sales").values(recording=policy))

    def call(self, script: CallerScript = SPEAKING_CALLER) -> PlacedCall:
        caller = self.floor.asterisk.call("sales@asterisk-cc-queue", script)
        self.floor.wait_until(
            "the call at the agent", lambda: self.floor.agent_state() == "talking"
        )
        return caller

    def recording_ref(self, linkedid: str) -> str | None:
        with Session(self.engine) as session:
            return session.scalar(
                select(Interaction.recording_ref).where(Interaction.linkedid == linkedid)
            )

    def recording_live(self, linkedid: str) -> bool:
        """ARI has a live recording of the call (the Recorder channel in the agent's bridge is
        ARI's own: it is listed neither in the bridge nor in the channels)."""
        for path in self.recorded(linkedid):
            name = quote(str(path.relative_to(self.directory).with_suffix("")), safe="")
            response = self.floor.asterisk.ari.get(f"/recordings/live/{name}")
            if response.status_code == 200 and response.json()["state"] == "recording":
                return True
        return False

    def recorded(self, linkedid: str) -> list[Path]:
        return sorted(self.directory.glob(f"asterisk-cc/*/*/*/{linkedid}.*"))


@pytest.fixture
def studio(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[Studio]:
    config = asterisk.sandbox.write_config(
        tmp_path / "cc.toml", database_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    )
    settings = load_settings(config, needed_by="ari")
    engine = make_engine(settings.database)
    upgrade(engine)
    seed(engine)
    with Session(engine) as session, session.begin():
        user = User(username="li.na", password_hash="x", role=UserRole.SUPERVISOR)
        session.add(user)
        session.flush()
        supervisor = user.id
    directory = asterisk.sandbox.tree / "spool" / "recording"
    assert directory.is_dir()  # made by the sandbox: Asterisk does not make it
    before = set(directory.rglob("*"))
    with controller_in_thread(settings) as controller:
        floor = Floor(asterisk, engine, controller)
        floor.wait_until("the event link", lambda: floor.snapshot()["link_up"])
        try:
            yield Studio(floor, directory, supervisor)
        finally:
            # The next test finds no agent's bridge or phone of this one.
            controller.call(log_out_everyone(controller.controller))
            for path in sorted(set(directory.rglob("*")) - before, reverse=True):
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
    engine.dispose()


def loudest_sample(path: Path) -> int:
    with wave.open(str(path), "rb") as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        samples = array.array("h", audio.readframes(audio.getnframes()))
    return max((abs(s) for s in samples), default=0)


def test_policy_all_records_every_answered_call(studio: Studio) -> None:
    studio.set_policy("all")
    floor = studio.floor
    phone = log_in_by_phone(floor)
    floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
    caller = studio.call()
    floor.wait_until("the recording", lambda: studio.recording_live(caller.linkedid))

    # The caller hangs up: the recording stops with the call, the bridge stays for the next.
    floor.wait_until("wrap-up", lambda: floor.agent_state() == "wrap_up", timeout_s=20)
    floor.wait_until("the recording stopped", lambda: not studio.recording_live(caller.linkedid))
    floor.wait_until("the reference", lambda: studio.recording_ref(caller.linkedid) is not None)
    ref = studio.recording_ref(caller.linkedid)
    assert ref is not None
    assert re.fullmatch(rf"asterisk-cc/\d{{4}}/\d{{2}}/\d{{2}}/{caller.linkedid}\.wav", ref)
    (path,) = studio.recorded(caller.linkedid)
    assert path == studio.directory / ref
    # Two "hello world"s and more: 8 kHz, 16-bit mono, and speech in it.
    with wave.open(str(path), "rb") as audio:
        assert audio.getframerate() == 8000
        assert audio.getnframes() / audio.getframerate() >= 2.0
    assert loudest_sample(path) > SPEECH_LEVEL

    # A supervisor is given the file (and that is audited); see tests/db/test_audit.py.
    with Session(studio.engine) as session, session.begin():
        given = recording_path(session, caller.linkedid, studio.supervisor, root=studio.directory)
    assert given == path
    floor.asterisk.hang_up(phone)


def test_policy_none_records_nothing_and_refuses_a_recording_on_demand(studio: Studio) -> None:
    floor = studio.floor
    phone = log_in_by_phone(floor)
    floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
    caller = studio.call(CallerScript((Wait(3), Speak("hello-world"), Wait(10))))
    with pytest.raises(PermissionError, match="recording policy 'none'"):
        floor.controller.call(floor.controller.controller.record(LOGIN))
    floor.asterisk.hang_up(caller)
    floor.wait_until("wrap-up", lambda: floor.agent_state() == "wrap_up", timeout_s=20)
    floor.wait_until("the interaction", lambda: interaction_exists(studio, caller.linkedid))
    assert studio.recording_ref(caller.linkedid) is None
    assert studio.recorded(caller.linkedid) == []
    floor.asterisk.hang_up(phone)


def test_policy_on_demand_records_once_asked(studio: Studio) -> None:
    studio.set_policy("on_demand")
    floor = studio.floor
    agents = floor.controller.controller
    phone = log_in_by_phone(floor)
    floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
    script = CallerScript((Wait(3), Speak("hello-world"), Wait(1), *[Speak("hello-world")] * 2))
    caller = studio.call(script)
    time.sleep(1)
    assert studio.recorded(caller.linkedid) == []  # not before it is asked for
    ref = floor.controller.call(agents.record(LOGIN))
    assert floor.controller.call(agents.record(LOGIN)) == ref  # asked again: the same recording
    assert studio.recording_live(caller.linkedid)
    floor.wait_until("wrap-up", lambda: floor.agent_state() == "wrap_up", timeout_s=30)
    floor.wait_until("the recording stopped", lambda: not studio.recording_live(caller.linkedid))
    floor.wait_until("the reference", lambda: studio.recording_ref(caller.linkedid) == ref)
    (path,) = studio.recorded(caller.linkedid)
    assert path == studio.directory / ref
    assert loudest_sample(path) > SPEECH_LEVEL
    floor.asterisk.hang_up(phone)


def interaction_exists(studio: Studio, linkedid: str) -> bool:
    with Session(studio.engine) as session:
        found = session.scalar(select(Interaction.id).where(Interaction.linkedid == linkedid))
    return found is not None
