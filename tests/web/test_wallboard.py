"""The wallboard page, its JSON and its live stream, over a test feed (StaticLiveFeed)."""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from asterisk_cc.core.live_state import (
    AgentLive,
    LinkStatus,
    LiveAlert,
    QueueFigures,
    QueueLive,
    QueueMember,
    WaitingCall,
)
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import Queue
from asterisk_cc.web import wallboard
from tests.web_fixtures import START, FixedClock, StaticLiveFeed, post

Clients = Callable[[str | None], FlaskClient]
SCRIPT = "<script>alert(1)</script>"
ALL_UP = LinkStatus(ami=True, controller=True, asterisk=True)


@pytest.fixture
def without_feed(web_context: dict[str, Any]) -> None:
    """The dashboard with no live feed (asked for before the client)."""
    web_context["live"] = None


@pytest.fixture
def feed(web_context: dict[str, Any]) -> Iterator[StaticLiveFeed]:
    live: StaticLiveFeed = web_context["live"]
    yield live
    live.stop()  # ends any stream still waiting


def busy_centre(feed: StaticLiveFeed, *, caller: str = "13800138000", name: str = "Bob Li") -> None:
    """Sales: two calls waiting (the first for 95 s), one agent talking, a phone ready;
    85 % answered in time today, 50 % in the last 15 minutes; one critical alert."""
    feed.publish(
        at=START,
        link=ALL_UP,
        agents={
            "1002": AgentLive(
                login="1002",
                name=name,
                state="talking",
                reason=None,
                since=START - timedelta(minutes=3, seconds=5),
                call="1700000000.42",
                queues=("sales",),
            ),
            "1003": AgentLive(
                login="1003",
                name="Cai Wen",
                state="paused",
                reason="lunch",
                since=START - timedelta(minutes=12),
                call=None,
                queues=("sales", "support"),
            ),
        },
        queues={
            "sales": QueueLive(
                name="sales",
                waiting=(
                    WaitingCall("sales", 1, caller, 0, START - timedelta(seconds=95)),
                    WaitingCall("sales", 2, "", 0, START - timedelta(seconds=10)),
                ),
                members=(
                    QueueMember(
                        "1002", "Local/sales.1002@asterisk-cc-agent/n", "in_use", False, "", True
                    ),
                    QueueMember("desk-7", "PJSIP/desk-7", "available", False, "", False),
                ),
            ),
            "support": QueueLive(name="support"),
        },
        today={
            "sales": QueueFigures(
                offered=120, answered=110, abandoned=6, service_level=0.85, abandon_rate=0.05
            ),
            "support": QueueFigures(
                offered=40, answered=30, abandoned=9, service_level=0.6, abandon_rate=0.2
            ),
        },
        last_15_min={
            "sales": QueueFigures(
                offered=10, answered=8, abandoned=2, service_level=0.5, abandon_rate=0.2
            )
        },
        alerts=(
            LiveAlert(
                id=7,
                rule="longest_wait",
                scope="sales",
                raised_at=START - timedelta(minutes=2),
                message="Longest wait 95 s in sales (limit 60 s)",
                severity="critical",
            ),
        ),
    )


def page(client: FlaskClient, url: str = "/wallboard/") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def card(html: str, queue_name: str) -> str:
    match = re.search(
        rf'<article class="card wb-queue" data-queue="{queue_name}">(.*?)</article>', html, re.S
    )
    assert match, f"no card for {queue_name}"
    return match.group(1)


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/wallboard/", "/wallboard/api/state", "/wallboard/stream"])
def test_agents_are_refused_and_visitors_sent_to_log_in(web_client: Clients, url: str) -> None:
    assert web_client("agent").get(url).status_code == 403
    anonymous = web_client(None).get(url)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=/wallboard/")
    as_script = web_client(None).get(url, headers={"Accept": "application/json"})
    assert as_script.status_code == 401


def test_supervisors_and_admins_see_it(web_client: Clients, feed: StaticLiveFeed) -> None:
    busy_centre(feed)
    for role in ("supervisor", "admin"):
        assert "sales" in page(web_client(role))


def test_the_wallboard_takes_no_posts(web_client: Clients) -> None:
    client = web_client("supervisor")
    assert client.post("/wallboard/").status_code == 400  # no CSRF token: refused first
    assert post(client, "/wallboard/").status_code == 405


# --- the page ----------------------------------------------------------------------------


def test_the_page_shows_the_published_numbers(web_client: Clients, feed: StaticLiveFeed) -> None:
    busy_centre(feed)
    html = page(web_client("supervisor"))
    sales = card(html, "sales")
    assert re.search(r'data-field="waiting">2<', sales)
    # The longest wait ticks in the browser from the time the call entered.
    since = (START - timedelta(seconds=95)).isoformat()
    assert f'data-since="{since}">1:35<' in sales
    # Service level today 85 % against the default 80 %: green; last 15 min 50 %: red.
    assert re.search(
        r'class="num rag-green" data-field="today.service_level_text"[^>]*>85.0%<', sales
    )
    assert re.search(
        r'class="num rag-red" data-field="last_15_min.service_level_text"[^>]*>50.0%<', sales
    )
    # Abandon rate today 5 % against the site's 5 %: green; 20 % in 15 minutes: red.
    assert re.search(
        r'class="num rag-green" data-field="today.abandon_rate_text"[^>]*>5.0%<', sales
    )
    assert re.search(
        r'class="num rag-red" data-field="last_15_min.abandon_rate_text"[^>]*>20.0%<', sales
    )
    assert re.search(r'data-field="today.offered">120<', sales)
    assert re.search(r'data-field="target.service_level_text">80%<', sales)
    assert "within 20 s" in sales
    # Agents by column: the controller's agent talking and paused, the plain phone ready.
    assert re.search(r'data-field="agents.talking">1</span> Talking', sales)
    assert re.search(r'data-field="agents.paused">1</span> Paused', sales)
    assert re.search(r'data-field="agents.ready">1</span> Ready', sales)
    # Support: nothing waiting, 60 % against 80 %: red.
    support = card(html, "support")
    assert re.search(r'data-field="waiting">0<', support)
    assert re.search(
        r'class="num rag-red" data-field="today.service_level_text"[^>]*>60.0%<', support
    )
    # The agents, with their state translated, time in state ticking and their queues.
    agent_row = re.search(r"<tr><td>Bob Li</td><td>1002</td>(.*?)</tr>", html, re.S)
    assert agent_row
    assert "Talking" in agent_row.group(1)
    assert f'data-since="{(START - timedelta(minutes=3, seconds=5)).isoformat()}">3:05<' in (
        agent_row.group(1)
    )
    assert "<td>lunch</td>" in html and "<td>sales, support</td>" in html
    # The waiting calls, an unknown caller said so.
    assert "<td>13800138000</td>" in html and "<td>Unknown</td>" in html
    # The alert, its time in the site's zone (Shanghai, UTC+8).
    assert "Longest wait 95 s in sales (limit 60 s)" in html
    assert "2026-11-23 17:58" in html and "Critical" in html
    # No link banner while every link is up.
    assert re.search(r'<div id="wb-links" class="wb-links" role="alert" hidden>', html)


def test_a_queue_s_own_target_sets_its_colour(
    web_client: Clients, feed: StaticLiveFeed, web_engine: Engine
) -> None:
    with session_factory(web_engine)() as session:
        session.add(
            Queue(name="sales", service_level_threshold_s=30, service_level_target_ratio=0.88)
        )
        session.commit()
    busy_centre(feed)
    sales = card(page(web_client("supervisor")), "sales")
    # 85 % against 88 %: missed by 3 points, amber.
    assert re.search(r'class="num rag-amber" data-field="today.service_level_text"', sales)
    assert re.search(r'data-field="target.service_level_text">88%<', sales)
    assert "within 30 s" in sales


def test_caller_ids_names_and_messages_are_shown_escaped(
    web_client: Clients, feed: StaticLiveFeed
) -> None:
    busy_centre(feed, caller=SCRIPT, name=SCRIPT)
    html = page(web_client("supervisor"))
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The JSON carries the text as it is: the script puts it in the page as text.
    state = web_client("supervisor").get("/wallboard/api/state").get_json()
    assert state["queues"][0]["calls"][0]["caller"] == SCRIPT


def test_a_link_down_shows_the_banner_with_the_reason(
    web_client: Clients, feed: StaticLiveFeed
) -> None:
    busy_centre(feed)
    feed.publish(
        link=LinkStatus(
            ami=False,
            controller=True,
            asterisk=True,
            detail="AMI 127.0.0.1:5038: connection refused",
        )
    )
    html = page(web_client("supervisor"))
    banner = re.search(r'<div id="wb-links" class="wb-links" role="alert">(.*?)</div>', html, re.S)
    assert banner, "the banner is hidden"
    assert "Live data incomplete: Asterisk Manager (AMI) down." in banner.group(1)
    assert "AMI 127.0.0.1:5038: connection refused" in banner.group(1)


def test_the_controller_down_is_named_and_not_its_asterisk_link(
    web_client: Clients, feed: StaticLiveFeed
) -> None:
    feed.publish(
        link=LinkStatus(ami=True, controller=False, asterisk=False, detail="ARI controller down")
    )
    state = web_client("supervisor").get("/wallboard/api/state").get_json()
    assert state["links"]["down"] == ["controller"]
    assert state["links"]["banner"] == "Live data incomplete: ARI controller down."


def test_without_a_live_feed_the_page_says_so(without_feed: None, web_client: Clients) -> None:
    html = page(web_client("supervisor"))
    assert "the live feed is not running" in html
    assert "No queues to show." in html and "No agents logged in." in html


def test_the_page_in_chinese(web_client: Clients, feed: StaticLiveFeed) -> None:
    busy_centre(feed)
    client = web_client("supervisor")
    post(client, "/language", {"language": "zh", "next": "/wallboard/"})
    html = page(client)
    assert "排队来电" in html and "服务水平" in html and "（20 秒内接通）" in html
    assert re.search(r'<span class="badge state-talking">通话中</span>', html)


def test_big_screen_mode(web_client: Clients, feed: StaticLiveFeed) -> None:
    busy_centre(feed)
    html = page(web_client("supervisor"), "/wallboard/?tv=1")
    assert '<body class="wallboard tv">' in html
    assert 'href="/wallboard/"' in html  # back to the normal view


def test_a_queue_filter_keeps_those_queues_and_their_agents(
    web_client: Clients, feed: StaticLiveFeed
) -> None:
    busy_centre(feed)
    client = web_client("supervisor")
    state = client.get("/wallboard/api/state?queue=support").get_json()
    assert [q["name"] for q in state["queues"]] == ["support"]
    assert [a["login"] for a in state["agents"]] == ["1003"]
    assert state["alerts"] == []
    html = page(client, "/wallboard/?queue=support")
    assert 'data-stream="/wallboard/stream?queue=support"' in html


def test_sql_looking_input_is_only_a_queue_name(web_client: Clients, feed: StaticLiveFeed) -> None:
    busy_centre(feed)
    client = web_client("supervisor")
    state = client.get("/wallboard/api/state", query_string={"queue": "' OR 1=1 --"}).get_json()
    assert state["queues"] == [] and state["agents"] == []
    html = page(client, "/wallboard/?queue=%27+OR+1%3D1+--")
    assert "No queues to show." in html


def test_the_json_view(web_client: Clients, feed: StaticLiveFeed) -> None:
    busy_centre(feed)
    state = web_client("admin").get("/wallboard/api/state").get_json()
    assert state["version"] == feed.current().version
    sales = state["queues"][0]
    assert sales["name"] == "sales" and sales["waiting"] == 2
    assert (
        sales["today"]["service_level"] == 0.85 and sales["today"]["service_level_rag"] == "green"
    )
    assert sales["agents"] == {
        "ready": 1,
        "ringing": 0,
        "talking": 1,
        "wrap_up": 0,
        "paused": 1,
        "logged_out": 0,
    }
    assert state["totals"] == {
        "waiting": 2,
        "agents": {
            "ready": 1,
            "ringing": 0,
            "talking": 1,
            "wrap_up": 0,
            "paused": 1,
            "logged_out": 0,
        },
    }
    assert [a["login"] for a in state["agents"]] == ["1002", "1003", "desk-7"]
    assert state["alerts"][0]["rule_label"] == "Longest wait"


# --- the stream --------------------------------------------------------------------------


class StreamReader:
    """Reads a streamed response chunk by chunk in a helper thread, so that a stream that
    never answers fails the test instead of hanging it."""

    def __init__(self, response: TestResponse) -> None:
        self.response = response
        self._chunks: Iterator[bytes] = iter(response.response)
        self._results: queue.Queue[bytes | BaseException | None] = queue.Queue()
        self._reading = False

    def next(self, timeout_s: float = 5.0) -> str:
        if not self._reading:
            self._reading = True
            threading.Thread(target=self._read_one, daemon=True).start()
        result = self._results.get(timeout=timeout_s)
        self._reading = False
        if isinstance(result, BaseException):
            raise result
        assert result is not None, "the stream ended"
        return result.decode()

    def _read_one(self) -> None:
        try:
            self._results.put(next(self._chunks))
        except StopIteration:
            self._results.put(None)
        except BaseException as exc:  # handed to the test's thread
            self._results.put(exc)

    def ended(self, timeout_s: float = 5.0) -> bool:
        if not self._reading:
            self._reading = True
            threading.Thread(target=self._read_one, daemon=True).start()
        ended = self._results.get(timeout=timeout_s) is None
        self._reading = False
        return ended

    def close(self) -> None:
        self.response.close()


def event_data(chunk: str) -> dict[str, Any]:
    assert chunk.startswith("event: wallboard\ndata: "), chunk
    assert chunk.endswith("\n\n")
    data: dict[str, Any] = json.loads(chunk.removeprefix("event: wallboard\ndata: "))
    return data


@pytest.fixture
def open_stream(web_client: Clients) -> Iterator[Callable[[str], StreamReader]]:
    readers: list[StreamReader] = []

    def opener(url: str = "/wallboard/stream") -> StreamReader:
        response = web_client("supervisor").get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Accel-Buffering"] == "no"
        reader = StreamReader(response)
        readers.append(reader)
        return reader

    yield opener
    for reader in readers:
        reader.close()


def test_the_stream_sends_the_view_at_once_and_on_each_change(
    open_stream: Callable[[str], StreamReader], feed: StaticLiveFeed
) -> None:
    busy_centre(feed)
    stream = open_stream("/wallboard/stream")
    first = event_data(stream.next())
    assert first["version"] == feed.current().version
    assert first["queues"][0]["waiting"] == 2
    assert first["queues"][0]["today"]["service_level_text"] == "85.0%"
    # A third call arrives: a new event carries it.
    sales = feed.current().queues["sales"]
    third = WaitingCall("sales", 3, "13900139000", 0, START)
    feed.publish(
        queues={
            **feed.current().queues,
            "sales": QueueLive(
                name="sales", waiting=(*sales.waiting, third), members=sales.members
            ),
        }
    )
    second = event_data(stream.next())
    assert second["queues"][0]["waiting"] == 3
    assert second["queues"][0]["calls"][2]["caller_text"] == "13900139000"
    # A link goes down: the banner comes with the next event.
    feed.publish(
        link=LinkStatus(ami=False, controller=True, asterisk=True, detail="AMI x: refused")
    )
    third_event = event_data(stream.next())
    assert third_event["links"]["banner"] == "Live data incomplete: Asterisk Manager (AMI) down."


def test_the_stream_keeps_alive_and_skips_news_of_other_queues(
    open_stream: Callable[[str], StreamReader],
    feed: StaticLiveFeed,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wallboard, "KEEP_ALIVE_S", 0.05)
    busy_centre(feed)
    stream = open_stream("/wallboard/stream?queue=support")
    assert event_data(stream.next())["queues"][0]["name"] == "support"
    assert stream.next() == ": keep-alive\n\n"
    # A change in sales only: the support screen gets no event for it.
    feed.publish(today={**feed.current().today, "sales": QueueFigures(offered=121)})
    assert stream.next() == ": keep-alive\n\n"


def test_the_stream_ends_when_the_feed_stops(
    open_stream: Callable[[str], StreamReader], feed: StaticLiveFeed
) -> None:
    stream = open_stream("/wallboard/stream")
    event_data(stream.next())
    feed.stop()
    assert stream.ended()


def test_the_stream_without_a_feed_sends_one_view(
    without_feed: None, open_stream: Callable[[str], StreamReader]
) -> None:
    stream = open_stream("/wallboard/stream")
    assert event_data(stream.next())["links"]["detail"] == "the live feed is not running"
    assert stream.ended()


def test_an_open_stream_reads_the_targets_again_every_minute(
    open_stream: Callable[[str], StreamReader],
    feed: StaticLiveFeed,
    web_engine: Engine,
    web_clock: FixedClock,
) -> None:
    busy_centre(feed)
    stream = open_stream("/wallboard/stream")
    assert event_data(stream.next())["queues"][0]["target"]["service_level"] == 0.8
    with session_factory(web_engine)() as session:
        session.add(Queue(name="sales", service_level_target_ratio=0.9))
        session.commit()
    web_clock.advance(seconds=wallboard.TARGETS_EVERY_S)
    feed.publish(today={**feed.current().today, "sales": QueueFigures(offered=121)})
    sales = event_data(stream.next())["queues"][0]
    assert sales["target"]["service_level"] == 0.9
    assert sales["target"]["service_level_text"] == "90%"
