"""The async ARI client (asterisk_cc.ari.rest) against the real Asterisk 22 sandbox.

Channels only enter Stasis while a websocket holds the application, so every test opens the
sandbox's event stream itself and waits for the events Asterisk sends. The calls are scripted
agents of the sandbox's dialplan (``Local/answer-0-30@asterisk-cc-sandbox-agents/n`` answers
at once and stays up 30 s); every channel and bridge a test makes is gone when it ends.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from asterisk_cc.ari.client import AriClient
from asterisk_cc.ari.events import events_url
from asterisk_cc.ari.rest import (
    AriRequestFailed,
    AriRest,
    CallerId,
    Channel,
    NotFound,
)
from asterisk_cc.errors import AsteriskUnreachable
from asterisk_cc.sandbox import CallerScript, Speak, Wait, answering_agent
from asterisk_cc.sandbox.render import CALLER_CONTEXT, CALLER_SCRIPT_VARIABLE
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports

pytestmark = [pytest.mark.asterisk, pytest.mark.anyio]

# Text a caller controls, with everything that could change a request or a dialplan string.
HOSTILE_NAME = ' O\'Brien "VIP" <boss> & co=1; 100% \\ back\nline 王小明 '
HOSTILE_NUMBER = "+86 (10) 1234&5678=%\"'>"
HOSTILE_TEXT = "a&b=c%20d+e \"quoted\" 'single' \\ ;,|\nnew line\r\t王小明 <x> ?#"
EVENT_TIMEOUT_S = 10.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class AppEvents:
    """The Stasis application's events, as they arrive on its websocket."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()

    async def add(self, event: dict[str, Any]) -> None:
        async with self._arrived:
            self.received.append(event)
            self._arrived.notify_all()

    async def wait_for(
        self, event_type: str, timeout_s: float = EVENT_TIMEOUT_S, **fields: str
    ) -> dict[str, Any]:
        """The first event of ``event_type`` whose fields match: ``channel="id"`` matches the
        id of the event's ``channel``, ``recording="name"`` the recording's name, plain
        values (``dialstatus="ANSWER"``) match as they are."""

        def matches(event: dict[str, Any]) -> bool:
            if event.get("type") != event_type:
                return False
            for key, expected in fields.items():
                value = event.get(key)
                if isinstance(value, dict):
                    value = value.get("id", value.get("name"))
                if value != expected:
                    return False
            return True

        def found() -> dict[str, Any] | None:
            return next((e for e in self.received if matches(e)), None)

        async with self._arrived:
            try:
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: found() is not None), timeout_s
                )
            except TimeoutError:
                seen = [(e.get("type"), _ident(e)) for e in self.received[-15:]]
                raise AssertionError(
                    f"no {event_type} {fields} within {timeout_s:g} s; last events: {seen}"
                ) from None
            event = found()
            assert event is not None
            return event


def _ident(event: dict[str, Any]) -> str:
    for key in ("channel", "peer", "bridge", "recording", "playback"):
        if isinstance(event.get(key), dict):
            return str(event[key].get("id", event[key].get("name")))
    return ""


@dataclass
class Stage:
    """The client under test, the application's events, and what the test made."""

    rest: AriRest
    events: AppEvents
    app: str
    sandbox: AsteriskSandbox
    channels: list[str] = field(default_factory=list)
    bridges: list[str] = field(default_factory=list)

    def new_id(self, label: str) -> str:
        return f"t-{label}-{uuid.uuid4().hex[:10]}"

    def made_channel(self, label: str) -> str:
        channel_id = self.new_id(label)
        self.channels.append(channel_id)
        return channel_id

    def made_bridge(self, label: str) -> str:
        bridge_id = self.new_id(label)
        self.bridges.append(bridge_id)
        return bridge_id

    async def agent(
        self, label: str = "agent", endpoint: str = answering_agent(0, 30), **originate: Any
    ) -> Channel:
        """An answered scripted party, in Stasis (its StasisStart channel)."""
        channel_id = self.made_channel(label)
        await self.rest.originate(endpoint, app=self.app, channel_id=channel_id, **originate)
        event = await self.events.wait_for("StasisStart", channel=channel_id)
        return Channel.from_json(event["channel"])


def _recording_dir(stage: Stage) -> Path:
    """Where ARI puts recordings: <astspooldir>/recording, as the host sees it."""
    return stage.sandbox.sandbox.tree / "spool" / "recording"


@pytest.fixture
def recording_dir(stage: Stage) -> Path:
    """Asterisk's recording directory, made: neither Debian's package nor Asterisk makes it."""
    directory = _recording_dir(stage)
    directory.mkdir(exist_ok=True)
    return directory


@pytest.fixture
async def stage(asterisk: AsteriskSandbox) -> AsyncIterator[Stage]:
    sandbox = asterisk.sandbox
    spec = sandbox.spec
    token = base64.b64encode(f"{spec.ari_user}:{spec.ari_password}".encode()).decode()
    events = AppEvents()
    async with websockets.connect(
        events_url(sandbox.ari_url, spec.ari_app),
        additional_headers={"Authorization": f"Basic {token}"},
    ) as websocket:

        async def read() -> None:
            async for frame in websocket:
                await events.add(json.loads(frame))

        reader = asyncio.create_task(read())
        async with AriRest(sandbox.ari_url, spec.ari_user, spec.ari_password) as rest:
            stage = Stage(rest=rest, events=events, app=spec.ari_app, sandbox=asterisk)
            try:
                yield stage
            finally:
                await _clean_up(stage)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _clean_up(stage: Stage) -> None:
    for bridge_id in stage.bridges:
        await stage.rest.destroy_bridge(bridge_id)
    for channel_id in stage.channels:
        await stage.rest.hangup(channel_id)
    # Hanging up a Local ;1 ends its ;2 as well: wait until nothing of the test is left.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        snapshot = await stage.rest.snapshot()
        left = [
            name
            for name in [*snapshot.channels, *snapshot.bridges]
            if any(name.startswith(made) for made in stage.channels + stage.bridges)
        ]
        if not left:
            return
        assert asyncio.get_running_loop().time() < deadline, f"still there: {left}"
        await asyncio.sleep(0.1)


async def eventually(
    read: Callable[[], Awaitable[Any]], expected: Any, timeout_s: float = 2.0
) -> None:
    """Wait until ``read()`` gives ``expected``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while (value := await read()) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"{value!r} != {expected!r}"
        await asyncio.sleep(0.01)


def refuse_requests() -> httpx.MockTransport:
    """A transport for tests that must not send anything."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, got {request.method} {request.url}")

    return httpx.MockTransport(handler)


# --- Asterisk itself -----------------------------------------------------------------------


async def test_ping_and_asterisk_info(stage: Stage) -> None:
    ping = await stage.rest.ping()
    assert ping["ping"] == "pong" and ping["asterisk_id"]
    info = await stage.rest.asterisk_info()
    assert info["system"]["version"].startswith("22.")
    only_build = await stage.rest.asterisk_info(only=("build",))
    assert "build" in only_build and "system" not in only_build


async def test_a_wrong_password_is_refused_with_the_fix(asterisk: AsteriskSandbox) -> None:
    url, user = asterisk.sandbox.ari_url, asterisk.sandbox.spec.ari_user
    async with AriRest(url, user, "wrong-password") as rest:
        with pytest.raises(AriRequestFailed, match=r"ari\.conf") as refused:
            await rest.ping()
    assert refused.value.status_code == 401
    assert refused.value.message == "Authentication required"
    assert not isinstance(refused.value, NotFound | AsteriskUnreachable)
    assert "wrong-password" not in str(refused.value)
    # The synchronous client (asterisk-cc check) translates the same way.
    with (
        AriClient(url, user, "wrong-password") as client,
        pytest.raises(AriRequestFailed, match=r"type=user section of ari\.conf"),
    ):
        client.asterisk_info()


async def test_an_ari_that_does_not_answer(asterisk: AsteriskSandbox) -> None:
    (port,) = free_loopback_ports(1)
    spec = asterisk.sandbox.spec
    async with AriRest(f"http://127.0.0.1:{port}/ari", spec.ari_user, "x") as rest:
        with pytest.raises(AsteriskUnreachable, match="does not answer") as down:
            await rest.ping()
    assert not isinstance(down.value, AriRequestFailed)
    assert "http.conf" in str(down.value)
    # Asterisk's web server answers on that port, but this URL is not ARI: its 404 is a page.
    not_ari = f"http://127.0.0.1:{asterisk.ports.http}/not-ari"
    async with AriRest(not_ari, spec.ari_user, spec.ari_password) as rest:
        with pytest.raises(AsteriskUnreachable, match="ARI is not served") as wrong_url:
            await rest.ping()
    assert not isinstance(wrong_url.value, NotFound)


# --- channels ------------------------------------------------------------------------------


async def test_an_originated_call_enters_the_application_when_answered(stage: Stage) -> None:
    rest = stage.rest
    channel_id = stage.made_channel("orig")
    other_id = f"{channel_id}-2"
    created = await rest.originate(
        answering_agent(0, 30),
        app=stage.app,
        app_args=("agent", "1001"),
        channel_id=channel_id,
        other_channel_id=other_id,
    )
    assert (created.id, created.state) == (channel_id, "Down")
    assert created.name.startswith("Local/answer-0-30@asterisk-cc-sandbox-agents-")
    assert created.name.endswith(";1")
    start = await stage.events.wait_for("StasisStart", channel=channel_id)
    assert start["args"] == ["agent", "1001"]
    assert start["channel"]["state"] == "Up"

    channel = await rest.get_channel(channel_id)
    assert channel is not None and channel.state == "Up" and channel.app_name == "Stasis"
    assert channel.linkedid == channel_id
    assert channel.creation_time is not None
    assert abs(datetime.now(UTC) - channel.creation_time) < timedelta(minutes=1)
    assert channel_id in {c.id for c in await rest.list_channels()}
    assert channel_id in (await rest.application(stage.app))["channel_ids"]
    half = await rest.get_channel(other_id)
    assert half is not None and half.name.endswith(";2") and half.exten == "answer-0-30"

    assert await rest.hangup(channel_id) is True
    destroyed = await stage.events.wait_for("ChannelDestroyed", channel=channel_id)
    assert destroyed["cause"] == 16
    assert await rest.hangup(channel_id) is False
    assert await rest.get_channel(channel_id) is None


async def test_a_queue_call_for_an_ari_agent_rings_and_is_answered(stage: Stage) -> None:
    # What app_queue does to an ARI agent's member Local/<agent>@asterisk-cc-agent/n: the ;2
    # half enters the controller's application unanswered, with the agent's number.
    rest = stage.rest
    member_id = stage.made_channel("member")
    delivered_id = f"{member_id}-2"
    await rest.originate(
        "Local/1001@asterisk-cc-agent/n",
        app=stage.app,
        channel_id=member_id,
        other_channel_id=delivered_id,
    )
    start = await stage.events.wait_for("StasisStart", channel=delivered_id)
    assert start["args"] == ["queue-member", "1001"]
    assert start["channel"]["state"] == "Ring"
    await rest.ring(delivered_id)
    await stage.events.wait_for("Dial", peer=member_id, dialstatus="RINGING")
    await rest.answer(delivered_id)
    await stage.events.wait_for("Dial", peer=member_id, dialstatus="ANSWER")
    # The originated ;1 half is answered now, so it enters the application too.
    await stage.events.wait_for("StasisStart", channel=member_id)
    delivered = await rest.get_channel(delivered_id)
    assert delivered is not None and delivered.state == "Up"

    # Back to the dialplan: the ;2 half leaves Stasis and runs a scripted agent.
    await rest.continue_in_dialplan(delivered_id, "asterisk-cc-sandbox-agents", "answer-0-30")
    await stage.events.wait_for("StasisEnd", channel=delivered_id)
    moved = await rest.get_channel(delivered_id)
    assert moved is not None and moved.context == "asterisk-cc-sandbox-agents"


async def test_a_created_channel_is_in_the_application_before_it_is_dialled(
    stage: Stage, recording_dir: Path
) -> None:
    rest = stage.rest
    channel_id = stage.made_channel("create")
    await rest.create_channel(
        answering_agent(0, 30),
        app=stage.app,
        app_args=("outbound",),
        channel_id=channel_id,
        variables={"ASTERISK_CC_NOTE": HOSTILE_TEXT},
    )
    start = await stage.events.wait_for("StasisStart", channel=channel_id)
    assert start["args"] == ["outbound"] and start["channel"]["state"] == "Down"
    assert await rest.get_variable(channel_id, "ASTERISK_CC_NOTE") == HOSTILE_TEXT
    await rest.dial(channel_id, timeout_s=5)
    await stage.events.wait_for("Dial", peer=channel_id, dialstatus="ANSWER")
    channel = await rest.get_channel(channel_id)
    assert channel is not None and channel.state == "Up"
    # Dialled, such a channel counts as bridged for recording: ARI accepts (201), then fails.
    name = stage.new_id("rec-dialled")
    await rest.record(channel_id, name, max_duration_s=1)
    failed = await stage.events.wait_for("RecordingFailed", recording=name)
    assert failed["recording"]["state"] == "failed"


async def test_hold_music_on_hold_and_playback(stage: Stage) -> None:
    rest = stage.rest
    agent = await stage.agent()
    await rest.hold(agent.id)
    await rest.unhold(agent.id)
    await rest.start_moh(agent.id)
    await rest.stop_moh(agent.id)
    playback_id = stage.new_id("beep")
    playback = await rest.play(agent.id, "sound:beep", playback_id=playback_id, lang="en")
    assert playback["id"] == playback_id and playback["target_uri"] == f"channel:{agent.id}"
    await stage.events.wait_for("PlaybackFinished", playback=playback_id)
    assert await rest.stop_playback(playback_id) is False
    with pytest.raises(ValueError, match="without commas"):
        await rest.play(agent.id, "sound:beep,sound:beep")


async def test_variables_and_the_linkedid(stage: Stage) -> None:
    rest = stage.rest
    first = await stage.agent("first")
    await rest.set_variable(first.id, "ASTERISK_CC_NOTE", HOSTILE_TEXT)
    assert await rest.get_variable(first.id, "ASTERISK_CC_NOTE") == HOSTILE_TEXT
    assert await rest.get_variable(first.id, "ASTERISK_CC_NEVER_SET") is None
    assert await rest.get_variable(first.id, "CHANNEL(linkedid)") == first.id
    # A call made on behalf of another one shares its linkedid (one CDR/CEL call).
    second = await stage.agent("second", originator=first.id)
    assert await rest.get_variable(second.id, "CHANNEL(linkedid)") == first.id
    assert second.linkedid == first.id
    # A gone channel is not "variable not set".
    with pytest.raises(NotFound, match="channel"):
        await rest.get_variable(stage.new_id("gone"), "ASTERISK_CC_NOTE")


async def test_snoop_to_listen_and_to_whisper(stage: Stage) -> None:
    rest = stage.rest
    agent = await stage.agent()
    listen_id = stage.made_channel("listen")
    listen = await rest.snoop(
        agent.id, spy="both", app=stage.app, app_args=("supervise", "listen"), snoop_id=listen_id
    )
    assert listen.id == listen_id and listen.name.startswith(f"Snoop/{agent.id}-")
    start = await stage.events.wait_for("StasisStart", channel=listen_id)
    assert start["args"] == ["supervise", "listen"]
    whisper_id = stage.made_channel("whisper")
    await rest.snoop(
        agent.id,
        spy="both",
        whisper="out",
        app=stage.app,
        app_args=("supervise", "whisper"),
        snoop_id=whisper_id,
    )
    await stage.events.wait_for("StasisStart", channel=whisper_id)
    assert await rest.hangup(listen_id) and await rest.hangup(whisper_id)

    async with AriRest("http://127.0.0.1:1/ari", "u", "p", transport=refuse_requests()) as idle:
        with pytest.raises(ValueError, match="'sideways' is not one of none, both, out, in"):
            await idle.snoop(agent.id, spy="sideways", app=stage.app)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="spy or whisper"):
            await idle.snoop(agent.id, app=stage.app)


async def test_recording_without_the_recording_directory_names_the_fix(stage: Stage) -> None:
    # Debian's package does not create <astspooldir>/recording, and Asterisk does not either:
    # every ARI recording then fails with a bare 500.
    directory = _recording_dir(stage)
    aside = directory.with_name("recording.aside")
    if directory.exists():
        os.rename(directory, aside)
    try:
        agent = await stage.agent()
        with pytest.raises(AriRequestFailed, match="recording directory") as failed:
            await stage.rest.record(agent.id, stage.new_id("rec"), max_duration_s=1)
        assert failed.value.status_code == 500
    finally:
        if aside.exists():
            os.rename(aside, directory)


async def test_record_a_channel_and_a_bridge(stage: Stage, recording_dir: Path) -> None:
    rest = stage.rest
    directory = recording_dir
    # A party that talks for the whole test: a recording's maximum duration only counts while
    # audio arrives (a silent 1 s recording ends after about 4 s, with a header and no audio).
    talking = CallerScript((*[Speak("hello-world")] * 5, Wait(30)))
    speaker = await stage.agent(
        "speaker",
        endpoint=f"Local/s@{CALLER_CONTEXT}/n",
        variables={CALLER_SCRIPT_VARIABLE: talking.encode()},
    )
    channel_name = stage.new_id("rec-channel")
    bridge_name = f"{stage.new_id('calls')}/{stage.new_id('rec-bridge')}"
    try:
        live = await rest.record(speaker.id, channel_name, max_duration_s=1, if_exists="overwrite")
        assert live["name"] == channel_name and live["target_uri"] == f"channel:{speaker.id}"
        finished = await stage.events.wait_for("RecordingFinished", recording=channel_name)
        assert finished["recording"]["format"] == "wav"
        # About a second of 8 kHz 16-bit audio after the 44-byte header.
        assert (directory / f"{channel_name}.wav").stat().st_size > 8000
        assert await rest.stop_recording(channel_name) is False

        # The call's mix: record the bridge (a channel in a bridge cannot be recorded alone).
        bridge = await rest.create_bridge(stage.made_bridge("rec"))
        await rest.add_channel(bridge.id, speaker.id)
        await rest.record_bridge(bridge.id, bridge_name, max_duration_s=1, beep=True)
        await stage.events.wait_for("RecordingFinished", recording=bridge_name)
        # Sub-directories of the name are created.
        assert (directory / f"{bridge_name}.wav").stat().st_size > 8000
        with pytest.raises(ValueError, match=r"no '\.\.'"):
            await rest.record_bridge(bridge.id, "../outside")
        with pytest.raises(ValueError, match="if_exists"):
            await rest.record_bridge(bridge.id, bridge_name, if_exists="replace")
    finally:
        (directory / f"{channel_name}.wav").unlink(missing_ok=True)
        (directory / f"{bridge_name}.wav").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (directory / bridge_name).parent.rmdir()


async def test_gone_channels_and_bridges(stage: Stage) -> None:
    rest = stage.rest
    gone = stage.new_id("gone")
    assert await rest.hangup(gone) is False
    assert await rest.get_channel(gone) is None
    assert await rest.destroy_bridge(gone) is False
    assert await rest.get_bridge(gone) is None
    assert await rest.stop_recording(gone) is False
    with pytest.raises(NotFound, match="Bridge not found") as missing:
        await rest.add_channel(gone, gone)
    assert missing.value.status_code == 404
    with pytest.raises(NotFound):
        await rest.application("no-such-application")
    with pytest.raises(ValueError, match="hangup reason"):
        await rest.hangup(gone, reason="because")


async def test_device_states_for_queue_members(stage: Stage) -> None:
    rest = stage.rest
    device = f"Stasis:{stage.new_id('agent')}"
    try:
        await rest.set_device_state(device, "INUSE")
        assert await rest.get_device_state(device) == "INUSE"
        await rest.set_device_state(device, "NOT_INUSE")
        assert await rest.get_device_state(device) == "NOT_INUSE"
    finally:
        await rest.delete_device_state(device)
    assert await rest.get_device_state(device) == "UNKNOWN"
    with pytest.raises(ValueError, match="device state"):
        await rest.set_device_state(device, "IDLE")
    with pytest.raises(ValueError, match="Stasis:<name>"):
        await rest.set_device_state("Custom:agent-1001", "INUSE")


# --- bridges -------------------------------------------------------------------------------


async def test_a_bridge_with_two_channels(stage: Stage) -> None:
    rest = stage.rest
    agent, customer = await stage.agent("agent"), await stage.agent("customer")
    bridge_id = stage.made_bridge("bridge")
    bridge = await rest.create_bridge(bridge_id, name="agent-1001")
    assert (bridge.id, bridge.bridge_type, bridge.channels, bridge.name) == (
        bridge_id,
        "mixing",
        (),
        "agent-1001",
    )
    await rest.add_channel(bridge_id, agent.id, customer.id)
    for channel_id in (agent.id, customer.id):
        await stage.events.wait_for("ChannelEnteredBridge", channel=channel_id, bridge=bridge_id)
    now = await rest.get_bridge(bridge_id)
    assert now is not None and set(now.channels) == {agent.id, customer.id}
    assert bridge_id in (await rest.application(stage.app))["bridge_ids"]
    await rest.bridge_moh_start(bridge_id)
    await rest.bridge_moh_stop(bridge_id)

    await rest.remove_channel(bridge_id, customer.id)
    await stage.events.wait_for("ChannelLeftBridge", channel=customer.id, bridge=bridge_id)
    now = await rest.get_bridge(bridge_id)
    assert now is not None and now.channels == (agent.id,)
    assert bridge_id in {b.id for b in await rest.list_bridges()}

    assert await rest.destroy_bridge(bridge_id) is True
    # No BridgeDestroyed comes for a bridge the application destroys itself; its channels
    # leave it. A bridge that had music on hold stays listed, empty, for a few milliseconds.
    await stage.events.wait_for("ChannelLeftBridge", channel=agent.id, bridge=bridge_id)
    await eventually(lambda: rest.get_bridge(bridge_id), None)
    assert bridge_id not in {b.id for b in await rest.list_bridges()}
    assert await rest.destroy_bridge(bridge_id) is False
    # Destroying a bridge leaves its channels up, in the application.
    still = await rest.get_channel(agent.id)
    assert still is not None and still.app_name == "Stasis"


async def test_the_snapshot_shows_what_asterisk_has(stage: Stage) -> None:
    rest = stage.rest
    agent, idle = await stage.agent("agent"), await stage.agent("idle")
    bridge_id = stage.made_bridge("snap")
    await rest.create_bridge(bridge_id, type="mixing,dtmf_events")
    await rest.add_channel(bridge_id, agent.id)
    await stage.events.wait_for("ChannelEnteredBridge", channel=agent.id)

    snapshot = await rest.snapshot()
    assert {agent.id, idle.id} <= set(snapshot.channels)
    channel = snapshot.channels[agent.id]
    assert (channel.context, channel.exten, channel.state) == (
        "asterisk-cc-sandbox-agents",
        "answer-0-30",
        "Up",
    )
    assert channel.creation_time is not None and channel.creation_time.tzinfo is not None
    bridge = snapshot.bridge_of(agent.id)
    assert bridge is not None and bridge.id == bridge_id and bridge.channels == (agent.id,)
    assert snapshot.bridge_of(idle.id) is None
    assert snapshot.bridges[bridge_id].bridge_type == "mixing"

    await rest.hangup(idle.id)
    await stage.events.wait_for("ChannelDestroyed", channel=idle.id)
    assert idle.id not in (await rest.snapshot()).channels


# --- caller-controlled text ----------------------------------------------------------------


async def test_a_hostile_caller_id_round_trips_literally(stage: Stage) -> None:
    rest = stage.rest
    channel_id = stage.made_channel("cid")
    other_id = f"{channel_id}-2"
    await rest.originate(
        answering_agent(0, 30),
        app=stage.app,
        channel_id=channel_id,
        other_channel_id=other_id,
        caller_id=CallerId(number=HOSTILE_NUMBER, name=HOSTILE_NAME),
    )
    start = await stage.events.wait_for("StasisStart", channel=channel_id)
    assert start["channel"]["caller"] == {"name": HOSTILE_NAME, "number": HOSTILE_NUMBER}
    channel = await rest.get_channel(channel_id)
    assert channel is not None
    assert (channel.caller_name, channel.caller_number) == (HOSTILE_NAME, HOSTILE_NUMBER)
    # The dialplan side of the call sees the same caller.
    assert await rest.get_variable(other_id, "CALLERID(name)") == HOSTILE_NAME
    assert await rest.get_variable(other_id, "CALLERID(num)") == HOSTILE_NUMBER

    # Ids and names are encoded too: this is one bridge id, not a path or a query.
    bridge_id = stage.made_bridge("q/r?s=t&u%v w;2#x")
    bridge = await rest.create_bridge(bridge_id, name=HOSTILE_TEXT)
    assert bridge.id == bridge_id
    seen = await rest.get_bridge(bridge_id)
    assert seen is not None and seen.name == HOSTILE_TEXT
    await rest.add_channel(bridge_id, channel_id)
    await stage.events.wait_for("ChannelEnteredBridge", channel=channel_id, bridge=bridge_id)

    # What Asterisk would re-parse is refused before anything is sent.
    async with AriRest("http://127.0.0.1:1/ari", "u", "p", transport=refuse_requests()) as idle:
        with pytest.raises(ValueError, match="'<'"):
            await idle.originate("Local/x@y", app=stage.app, caller_id=CallerId("12<34"))
        for arg in ('a"b', "a,b", "x(y)", "a\\b", "王", " "):
            with pytest.raises(ValueError, match="Stasis application argument"):
                await idle.originate("Local/x@y", app=stage.app, app_args=(arg,))
        with pytest.raises(ValueError, match="must not be empty"):
            await idle.hangup("")
