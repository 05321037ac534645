"""The live feed against a real Asterisk: a caller waiting in a queue reaches the feed within
a second of entering the queue and leaves it when they hang up; a member's pause is seen; an
AMI that refuses or does not answer is a link down with its reason.

The controller and the database are stand-ins here (the feed's AMI side is under test).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from asterisk_cc.config import AmiSettings
from asterisk_cc.core.live_state import LiveState
from asterisk_cc.sandbox import ringing_agent
from asterisk_cc.web.live import AmiQueueStatus, DatabaseSnapshot, LiveFeed, LiveSources
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

EMPTY_QUEUE = "sandbox-empty"


def ami_settings(asterisk: AsteriskSandbox, **changes: object) -> AmiSettings:
    spec = asterisk.sandbox.spec
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": asterisk.ports.ami,
        "user": spec.ami_user,
        "secret": spec.ami_secret,
        **changes,
    }
    return AmiSettings(**values)  # type: ignore[arg-type]


def feed_on(settings: AmiSettings, poll_s: float = 0.5) -> LiveFeed:
    ami = AmiQueueStatus(settings)
    return LiveFeed(
        LiveSources(
            queue_status=ami,
            controller_status=lambda: {"link_up": True, "agents": {}},
            database=lambda _now: DatabaseSnapshot(),
            agent_names=dict,
            close=ami.close,
        ),
        poll_s=poll_s,
    )


@pytest.fixture
def running_feed(asterisk: AsteriskSandbox) -> Iterator[LiveFeed]:
    feed = feed_on(ami_settings(asterisk))
    feed.start()
    try:
        state = feed.wait_newer(0, timeout_s=10)
        assert state.link.ami, state.link.detail
        yield feed
    finally:
        feed.stop()


class Watcher:
    """Follows the feed in a thread and notes when a condition on its state first held."""

    def __init__(self, feed: LiveFeed, condition: Callable[[LiveState], bool]) -> None:
        self.feed = feed
        self.condition = condition
        self.seen_at: float | None = None
        self.state: LiveState | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        state = self.feed.current()
        while not self._done.is_set() and not self.feed.stopped:
            if self.condition(state):
                self.seen_at, self.state = time.monotonic(), state
                return
            state = self.feed.wait_newer(state.version, timeout_s=0.2)

    def wait(self, timeout_s: float) -> LiveState | None:
        self._thread.join(timeout=timeout_s)
        self._done.set()
        self._thread.join(timeout=1)
        return self.state


def waiting_in(queue: str) -> Callable[[LiveState], bool]:
    def condition(state: LiveState) -> bool:
        live = state.queues.get(queue)
        return bool(live and live.waiting)

    return condition


def test_a_waiting_call_is_published_within_a_second_and_leaves_on_hang_up(
    asterisk: AsteriskSandbox, running_feed: LiveFeed
) -> None:
    assert EMPTY_QUEUE in running_feed.current().queues
    assert running_feed.current().queues[EMPTY_QUEUE].waiting == ()
    # A second AMI connection hears app_queue's own QueueCallerJoin: the moment the call
    # entered the queue, to measure the feed against.
    with asterisk.ami_connect() as events:
        events.action("Events", EventMask="agent")
        events.events.clear()
        appears = Watcher(running_feed, waiting_in(EMPTY_QUEUE))
        call = asterisk.call_queue(EMPTY_QUEUE, hold_s=30)
        joined_at = None
        deadline = time.monotonic() + 10
        while joined_at is None and time.monotonic() < deadline:
            events.action("Ping")
            for event in events.events:
                if event.get("Event") == "QueueCallerJoin" and event.get("Queue") == EMPTY_QUEUE:
                    joined_at = time.monotonic()
            events.events.clear()
            time.sleep(0.01)
    try:
        assert joined_at is not None, "app_queue never said the caller joined"
        state = appears.wait(timeout_s=5)
        assert state is not None and appears.seen_at is not None, "the feed never showed it"
        latency = appears.seen_at - joined_at
        print(f"waiting call published {latency * 1000:.0f} ms after it entered the queue")
        assert latency < 1.0
        (waiting,) = state.queues[EMPTY_QUEUE].waiting
        assert waiting.queue == EMPTY_QUEUE and waiting.position == 1
        assert abs((state.at - waiting.entered_at).total_seconds()) < 2.5
    finally:
        gone = Watcher(running_feed, lambda s: not waiting_in(EMPTY_QUEUE)(s))
        asterisk.hang_up(call)
    assert gone.wait(timeout_s=3) is not None, "the call stayed on the wallboard after hang-up"


def test_a_paused_member_is_seen(asterisk: AsteriskSandbox, running_feed: LiveFeed) -> None:
    def member_of(state: LiveState) -> bool:
        live = state.queues.get("support")
        return bool(live and any(m.name == "Wallboard Member" for m in live.members))

    joined = Watcher(running_feed, member_of)
    with asterisk.queue_member("support", ringing_agent(), "Wallboard Member", paused=True):
        state = joined.wait(timeout_s=5)
        assert state is not None
        (member,) = [m for m in state.queues["support"].members if m.name == "Wallboard Member"]
        assert member.paused and not member.in_call
        assert member.interface == ringing_agent()
        assert member.status in ("available", "unknown", "in_use", "ringing")
    left = Watcher(running_feed, lambda s: not member_of(s))
    assert left.wait(timeout_s=5) is not None


def test_an_ami_that_refuses_or_does_not_answer_is_a_link_down(
    asterisk: AsteriskSandbox,
) -> None:
    refused = feed_on(ami_settings(asterisk, secret="wrong-secret-0123456789"))
    try:
        state = refused.poll_once()
        assert not state.link.ami
        assert f"127.0.0.1:{asterisk.ports.ami}" in state.link.detail
        assert "refused user" in state.link.detail
        assert state.link.controller  # the other sources keep going
    finally:
        refused.stop()
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        silent_port = probe.getsockname()[1]
    silent = feed_on(ami_settings(asterisk, port=silent_port))
    try:
        state = silent.poll_once()
        assert not state.link.ami
        assert state.link.detail.startswith(f"AMI at 127.0.0.1:{silent_port} does not answer")
    finally:
        silent.stop()
