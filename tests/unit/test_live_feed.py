"""The live feed with fakes for its sources, its database figures on a real SQLite database,
and its AMI source against a small fake AMI server."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from asterisk_cc.config import AmiSettings, AriSettings, Settings, WebSettings
from asterisk_cc.core.live_state import LiveAlert, QueueFigures
from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import Agent, Alert, Queue, QueueCall
from asterisk_cc.web import live
from asterisk_cc.web.live import (
    AmiQueueStatus,
    ControllerStatus,
    DatabaseFigures,
    DatabaseSnapshot,
    LiveFeed,
    LiveSources,
    SourceDown,
    build_live_feed,
)
from tests.web_fixtures import WEB_SECRET

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
SHANGHAI = "Asia/Shanghai"


def queue_events(*waits: int) -> list[dict[str, str]]:
    events = [{"Event": "QueueParams", "Queue": "sales"}]
    events += [
        {
            "Event": "QueueEntry",
            "Queue": "sales",
            "Position": str(n),
            "Uniqueid": f"17.{n}",
            "CallerIDNum": f"1380000000{n}",
            "Wait": str(wait),
            "Priority": "0",
        }
        for n, wait in enumerate(waits, 1)
    ]
    return events


class Fakes:
    """Sources a test drives: what each answers, or the error it raises."""

    def __init__(self) -> None:
        self.now = NOW
        self.tick = 0.0
        self.queue: list[dict[str, str]] | BaseException = queue_events()
        self.controller: Mapping[str, Any] | BaseException = {
            "link_up": True,
            "agents": {
                "1002": {
                    "state": "ready",
                    "reason": None,
                    "since": "2026-11-23T09:55:00+00:00",
                    "call": None,
                    "queues": ["sales"],
                }
            },
        }
        self.database: DatabaseSnapshot | BaseException = DatabaseSnapshot(
            today={"sales": QueueFigures(offered=10, answered=9, service_level=0.9)}
        )
        self.names: Mapping[str, str] | BaseException = {"1002": "Bob Li"}
        self.calls = {"queue": 0, "controller": 0, "database": 0, "names": 0}
        self.closed = False

    def _answer(self, what: str, value: Any) -> Any:
        self.calls[what] += 1
        if isinstance(value, BaseException):
            raise value
        return value

    def sources(self) -> LiveSources:
        return LiveSources(
            queue_status=lambda: self._answer("queue", self.queue),
            controller_status=lambda: self._answer("controller", self.controller),
            database=lambda _now: self._answer("database", self.database),
            agent_names=lambda: self._answer("names", self.names),
            close=self.close,
        )

    def close(self) -> None:
        self.closed = True

    def feed(self, **kw: Any) -> LiveFeed:
        return LiveFeed(self.sources(), clock=lambda: self.now, monotonic=lambda: self.tick, **kw)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.tick += seconds


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


def test_the_first_poll_publishes_every_source(fakes: Fakes) -> None:
    feed = fakes.feed()
    assert feed.current().version == 0 and not feed.current().link.all_up
    state = feed.poll_once()
    assert state.version == 1
    assert state.link.all_up and state.link.detail == ""
    assert state.queues["sales"].waiting == ()
    agent = state.agents["1002"]
    assert (agent.name, agent.state, agent.queues) == ("Bob Li", "ready", ("sales",))
    assert agent.since == NOW - timedelta(minutes=5)
    assert state.today["sales"].service_level == 0.9


def test_a_new_state_only_when_something_changed(fakes: Fakes) -> None:
    feed = fakes.feed()
    feed.poll_once()
    fakes.queue = queue_events(3)
    fakes.advance(0.5)
    state = feed.poll_once()
    assert state.version == 2
    (call,) = state.queues["sales"].waiting
    assert call.entered_at == fakes.now - timedelta(seconds=3)
    assert call.caller == "13800000001" and call.position == 1
    # The call only waits longer (AMI's whole seconds barely move): no new version, a
    # fresher time.
    for wait in (3, 4, 4, 5):
        fakes.advance(0.5)
        fakes.queue = queue_events(wait)
        state = feed.poll_once()
        assert state.version == 2 and state.at == fakes.now
    assert state.queues["sales"].waiting[0].entered_at == call.entered_at
    # It is answered: gone, a new version.
    fakes.queue = queue_events()
    fakes.advance(0.5)
    assert feed.poll_once().version == 3


def test_the_database_is_read_every_few_seconds_and_names_every_minute(fakes: Fakes) -> None:
    feed = fakes.feed()
    for _ in range(21):  # 10 s in 0.5 s steps
        feed.poll_once()
        fakes.advance(0.5)
    assert fakes.calls["queue"] == fakes.calls["controller"] == 21
    assert fakes.calls["database"] == 3  # at 0, 5 and 10 s
    assert fakes.calls["names"] == 1
    fakes.advance(60)
    feed.poll_once()
    assert fakes.calls["names"] == 2


def test_ami_down_marks_its_link_and_keeps_the_others_data(fakes: Fakes) -> None:
    feed = fakes.feed()
    fakes.queue = queue_events(10)
    feed.poll_once()
    fakes.queue = SourceDown("AMI 127.0.0.1:5038: connection refused")
    fakes.advance(0.5)
    state = feed.poll_once()
    assert state.version == 2
    assert (state.link.ami, state.link.controller, state.link.asterisk) == (False, True, True)
    assert state.link.detail == "AMI 127.0.0.1:5038: connection refused"
    assert state.agents["1002"].state == "ready"
    assert state.today["sales"].offered == 10
    # The last queues stay a few seconds (one slow answer does not blank the board)...
    assert len(state.queues["sales"].waiting) == 1
    fakes.advance(live.STALE_AFTER_S)
    state = feed.poll_once()
    # ...then they are dropped: nothing is known of them.
    assert state.queues == {} and state.agents["1002"].state == "ready"
    # Back: the link is up again and the queues return.
    fakes.queue = queue_events(1)
    fakes.advance(0.5)
    state = feed.poll_once()
    assert state.link.all_up and state.link.detail == ""
    assert len(state.queues["sales"].waiting) == 1


def test_any_error_of_a_source_is_told_with_its_name(fakes: Fakes) -> None:
    feed = fakes.feed()
    fakes.queue = ConnectionResetError("peer reset")
    fakes.controller = RuntimeError("bad answer")
    state = feed.poll_once()
    assert not state.link.ami and not state.link.controller and not state.link.asterisk
    assert state.link.detail == "AMI: peer reset; ARI controller: bad answer"


def test_the_controller_down_or_its_asterisk_link_down(fakes: Fakes) -> None:
    feed = fakes.feed()
    feed.poll_once()
    fakes.controller = {"link_up": False, "agents": {}}
    state = feed.poll_once()
    assert (state.link.ami, state.link.controller, state.link.asterisk) == (True, True, False)
    assert "its link to Asterisk (ARI events) is down" in state.link.detail
    assert state.agents == {}
    fakes.controller = SourceDown("ARI controller http://127.0.0.1:8090: connection refused")
    state = feed.poll_once()
    assert (state.link.controller, state.link.asterisk) == (False, False)
    assert state.link.detail == "ARI controller http://127.0.0.1:8090: connection refused"


def test_monitorings_follow_the_controller_and_go_when_it_stays_down(fakes: Fakes) -> None:
    feed = fakes.feed()
    assert feed.poll_once().monitorings == ()
    listening = {
        "session": "sup-1",
        "user_id": 2,
        "agent": "1002",
        "mode": "listen",
        "endpoint": "PJSIP/2001",
        "requested_at": "2026-11-23T09:59:50+00:00",
        "connected_at": None,
    }
    fakes.controller = {**dict(fakes.controller), "monitorings": [listening]}  # type: ignore[arg-type]
    fakes.advance(0.5)
    state = feed.poll_once()
    assert state.version == 2  # a new session is news for the supervisors' pages
    (session,) = state.monitorings
    assert (session.session, session.user_id, session.agent) == ("sup-1", 2, "1002")
    fakes.controller = SourceDown("ARI controller http://127.0.0.1:8091: connection refused")
    fakes.advance(0.5)
    assert feed.poll_once().monitorings == (session,)  # one failed answer: kept
    fakes.advance(live.STALE_AFTER_S)
    assert feed.poll_once().monitorings == ()  # nothing is known of them any more


def test_a_database_failure_keeps_the_last_figures(fakes: Fakes) -> None:
    feed = fakes.feed()
    feed.poll_once()
    fakes.database = SourceDown("database: could not connect to server")
    fakes.names = SourceDown("database: could not connect to server")
    fakes.advance(61)
    state = feed.poll_once()
    assert state.link.ami and state.link.controller  # no flag of its own
    assert state.link.detail == "database: could not connect to server"
    assert state.today["sales"].service_level == 0.9
    assert state.agents["1002"].name == "Bob Li"  # the names read before


def test_alerts_come_with_the_figures(fakes: Fakes) -> None:
    feed = fakes.feed()
    feed.poll_once()
    alert = LiveAlert(1, "waiting_calls", "sales", NOW, "5 calls waiting", "critical")
    fakes.database = dataclasses.replace(fakes.database, alerts=(alert,))
    fakes.advance(live.DATABASE_EVERY_S)
    state = feed.poll_once()
    assert state.version == 2 and state.alerts == (alert,)


def test_the_threads_publish_and_wake_waiters_at_once(fakes: Fakes) -> None:
    feed = LiveFeed(fakes.sources(), poll_s=0.02)  # the real clocks
    feed.start()
    try:
        first = feed.wait_newer(0, timeout_s=5)
        assert first.version >= 1 and first.agents  # never a state without the live sources
        deadline = time.monotonic() + 5
        while not feed.current().today and time.monotonic() < deadline:
            feed.wait_newer(feed.current().version, timeout_s=0.1)
        settled = feed.current()
        assert settled.today["sales"].offered == 10
        # Nothing new: the waiter waits its time out, and the version stays.
        assert feed.wait_newer(settled.version, timeout_s=0.1).version == settled.version
        fakes.queue = queue_events(0)
        started = time.monotonic()
        newer = feed.wait_newer(settled.version, timeout_s=5)
        assert time.monotonic() - started < 1.0
        assert len(newer.queues["sales"].waiting) == 1
    finally:
        feed.stop()
    assert feed.stopped and fakes.closed
    # A stopped feed answers at once.
    started = time.monotonic()
    feed.wait_newer(feed.current().version, timeout_s=5)
    assert time.monotonic() - started < 0.5


def test_the_thread_survives_a_bad_answer(fakes: Fakes) -> None:
    fakes.queue = [{"Event": "QueueEntry"}, None]  # type: ignore[list-item]
    feed = LiveFeed(fakes.sources(), poll_s=0.01)
    feed.start()
    try:
        state = feed.wait_newer(0, timeout_s=5)
        assert not state.link.ami and state.link.detail.startswith("AMI: ")
        fakes.queue = queue_events(1)
        deadline = time.monotonic() + 5
        while not feed.current().link.ami and time.monotonic() < deadline:
            feed.wait_newer(feed.current().version, timeout_s=0.1)
        assert feed.current().link.ami
    finally:
        feed.stop()


# --- the database's figures -------------------------------------------------------------------


def visit(queue: str, entered: datetime, outcome: str, wait_s: float) -> QueueCall:
    return QueueCall(
        callid=f"{queue}-{entered.timestamp()}-{outcome}-{wait_s}",
        queue=queue,
        entered_at=entered,
        ended_at=None if outcome == "in_queue" else entered + timedelta(seconds=wait_s),
        outcome=outcome,
        wait_s=wait_s,
    )


def test_database_figures_match_the_kpi_definitions(web_engine: Engine) -> None:
    midnight = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # 00:00 on the 23rd in Shanghai
    rows = [
        # sales (its own target: 30 s, short abandons under 10 s)
        visit("sales", NOW - timedelta(hours=5), "answered", 25),  # within 30 s
        visit("sales", NOW - timedelta(hours=4), "answered", 45),
        visit("sales", NOW - timedelta(hours=3), "abandoned", 8),  # short
        visit("sales", NOW - timedelta(hours=2), "abandoned", 40),
        visit("sales", NOW - timedelta(minutes=10), "answered", 5),
        visit("sales", NOW - timedelta(minutes=5), "timeout", 300),
        visit("sales", NOW - timedelta(minutes=1), "in_queue", 0),  # not offered yet
        visit("sales", midnight - timedelta(seconds=1), "abandoned", 60),  # yesterday
        visit("sales", midnight, "answered", 2),  # today's first instant
        # support (no row in queues: 20 s and 5 s)
        visit("support", NOW - timedelta(minutes=3), "answered", 25),
        visit("support", NOW - timedelta(minutes=2), "abandoned", 4),
        visit("support", NOW - timedelta(minutes=1), "lost", 4),
    ]
    with session_factory(web_engine)() as session:
        session.add(Queue(name="sales", service_level_threshold_s=30, short_abandon_s=10))
        session.add_all(rows)
        session.add(Agent(login="1002", name="Bob Li"))
        session.add(
            Alert(
                rule="waiting_calls",
                scope="sales",
                severity="warning",
                raised_at=NOW - timedelta(minutes=4),
                value=6,
                threshold=5,
                message="6 calls waiting in sales",
            )
        )
        session.add(
            Alert(
                rule="longest_wait",
                scope="sales",
                severity="warning",
                raised_at=NOW - timedelta(hours=1),
                cleared_at=NOW - timedelta(minutes=30),
                value=0,
                threshold=60,
                message="cleared",
            )
        )
        session.commit()
    source = DatabaseFigures(session_factory(web_engine), live.ZoneInfo(SHANGHAI))
    snapshot = source(NOW)

    def expected(queue: str, start: datetime, threshold: float, short: float) -> QueueFigures:
        visits = [
            QueueVisit(
                callid=r.callid,
                queue=r.queue,
                entered_at=r.entered_at,
                outcome=VisitOutcome(r.outcome),
                wait_s=r.wait_s,
            )
            for r in rows
            if r.queue == queue and start <= r.entered_at <= NOW
        ]
        f = kpi.queue_figures(visits, threshold, short)
        return QueueFigures(f.offered, f.answered, f.abandoned, f.service_level, f.abandon_rate)

    assert snapshot.today == {
        "sales": expected("sales", midnight, 30, 10),
        "support": expected("support", midnight, 20, 5),
    }
    assert snapshot.today["sales"] == QueueFigures(
        offered=7, answered=4, abandoned=1, service_level=3 / 7, abandon_rate=1 / 6
    )
    fifteen = NOW - timedelta(minutes=15)
    assert snapshot.last_15_min == {
        "sales": expected("sales", fifteen, 30, 10),
        "support": expected("support", fifteen, 20, 5),
    }
    # Support's only abandon was short: 0 abandoned of one call that counts.
    assert snapshot.last_15_min["support"] == QueueFigures(2, 1, 0, 0.0, 0.0)
    assert [(a.rule, a.message) for a in snapshot.alerts] == [
        ("waiting_calls", "6 calls waiting in sales")
    ]
    assert source.agent_names() == {"1002": "Bob Li"}


def test_database_down_is_a_short_reason(tmp_path: Any) -> None:
    from asterisk_cc.config import DatabaseSettings
    from asterisk_cc.db.engine import make_engine

    engine = make_engine(DatabaseSettings(url=f"sqlite:///{tmp_path}/missing/none.sqlite3"))
    try:
        source = DatabaseFigures(session_factory(engine), live.ZoneInfo(SHANGHAI))
        with pytest.raises(SourceDown, match=r"^database: "):
            source(NOW)
        with pytest.raises(SourceDown, match=r"^database: "):
            source.agent_names()
    finally:
        engine.dispose()


# --- AMI against a fake server ------------------------------------------------------------------


class FakeAmi:
    """A loopback AMI that logs anyone in and answers QueueStatus with ``entries`` waiting
    calls; ``drop_next`` closes the connection instead of answering once."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.entries = 1
        self.drop_next = False
        self.connections = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        self.server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            conn.sendall(b"Asterisk Call Manager/9.0.0\r\n")
            buffer = b""
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    raw, buffer = buffer.split(b"\r\n\r\n", 1)
                    fields = dict(
                        line.split(": ", 1) for line in raw.decode().split("\r\n") if ": " in line
                    )
                    if not self._answer(conn, fields):
                        return

    def _answer(self, conn: socket.socket, fields: dict[str, str]) -> bool:
        action, action_id = fields.get("Action"), fields.get("ActionID", "")

        def send(*messages: dict[str, str]) -> None:
            conn.sendall(
                b"".join(
                    ("".join(f"{k}: {v}\r\n" for k, v in m.items()) + "\r\n").encode()
                    for m in messages
                )
            )

        if action == "Login":
            send(
                {"Response": "Success", "ActionID": action_id, "Message": "Authentication accepted"}
            )
        elif action == "QueueStatus":
            if self.drop_next:
                self.drop_next = False
                return False
            entries = [
                {
                    "Event": "QueueEntry",
                    "ActionID": action_id,
                    "Queue": "sales",
                    "Position": str(n),
                    "Uniqueid": f"17.{n}",
                    "CallerIDNum": "<script>",
                    "Wait": "3",
                    "Priority": "0",
                }
                for n in range(1, self.entries + 1)
            ]
            send(
                {"Response": "Success", "ActionID": action_id, "EventList": "start"},
                {"Event": "FullyBooted", "Status": "Fully Booted"},  # not ours: ignored
                {"Event": "QueueParams", "ActionID": action_id, "Queue": "sales"},
                *entries,
                {
                    "Event": "QueueStatusComplete",
                    "ActionID": action_id,
                    "EventList": "Complete",
                    "ListItems": str(1 + self.entries),
                },
            )
        elif action == "Logoff":
            send({"Response": "Goodbye", "ActionID": action_id})
            return False
        return True

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self._accepting.join(timeout=2)
        for thread in self._threads:
            thread.join(timeout=2)


@pytest.fixture
def fake_ami() -> Iterator[FakeAmi]:
    server = FakeAmi()
    yield server
    server.close()


def test_queue_status_over_one_connection(fake_ami: FakeAmi) -> None:
    source = AmiQueueStatus(AmiSettings(port=fake_ami.port, secret="s"))
    try:
        first = source()
        assert [e["Event"] for e in first] == ["QueueParams", "QueueEntry"]
        assert first[1]["CallerIDNum"] == "<script>"
        fake_ami.entries = 3
        assert len(source()) == 4
        assert fake_ami.connections == 1  # the same connection
    finally:
        source.close()


def test_a_dropped_connection_is_made_again_after_a_pause(fake_ami: FakeAmi) -> None:
    clock = [100.0]
    source = AmiQueueStatus(AmiSettings(port=fake_ami.port, secret="s"), monotonic=lambda: clock[0])
    try:
        source()
        fake_ami.drop_next = True
        with pytest.raises(SourceDown, match=rf"^AMI 127.0.0.1:{fake_ami.port}: "):
            source()
        # Within the pause: the last reason at once, no new connection.
        with pytest.raises(SourceDown):
            source()
        assert fake_ami.connections == 1
        clock[0] += live.BACKOFF_FIRST_S
        assert len(source()) == 2
        assert fake_ami.connections == 2
    finally:
        source.close()


def test_an_unreachable_ami_says_where_and_why() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = [0.0]
    source = AmiQueueStatus(AmiSettings(port=port, secret="s"), monotonic=lambda: clock[0])
    with pytest.raises(SourceDown) as raised:
        source()
    assert str(raised.value).startswith(f"AMI at 127.0.0.1:{port} does not answer")
    assert "Fix:" not in str(raised.value)
    # The pause doubles while it keeps failing, up to its maximum.
    pauses = []
    for _ in range(8):
        clock[0] = source._retry_at
        with pytest.raises(SourceDown):
            source()
        pauses.append(source._backoff_s)
    assert pauses[:4] == [1.0, 2.0, 4.0, 8.0] and pauses[-1] == live.BACKOFF_MAX_S


# --- the controller and the whole feed -------------------------------------------------------


def settings_with(**ari: Any) -> Settings:
    return dataclasses.replace(
        Settings(),
        ari=dataclasses.replace(AriSettings(), **ari),
        web=dataclasses.replace(WebSettings(), secret_key=WEB_SECRET, live_poll_ms=250),
        ami=AmiSettings(port=1, secret="s"),
    )


def test_a_controller_that_is_off_or_silent_is_told() -> None:
    off = ControllerStatus(settings_with(status_port=0))
    with pytest.raises(SourceDown, match=r"^ARI controller: not configured"):
        off()
    off.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    silent = ControllerStatus(settings_with(status_bind="127.0.0.1", status_port=port))
    try:
        with pytest.raises(SourceDown, match=rf"^ARI controller http://127.0.0.1:{port}"):
            silent()
    finally:
        silent.close()


def test_build_live_feed_polls_as_configured(web_engine: Engine) -> None:
    feed = build_live_feed(settings_with(status_port=0), web_engine)
    try:
        assert feed.poll_s == 0.25
        state = feed.poll_once()
        assert not state.link.ami and not state.link.controller
        assert "AMI at 127.0.0.1:1" in state.link.detail
        assert "ARI controller: not configured" in state.link.detail
    finally:
        feed.stop()
