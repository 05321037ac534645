"""The supervisor's agents page (live states, listen / whisper / barge and stopping it, pause
and log-out), the alerts page, and who may reach any of the supervisor's pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from asterisk_cc.ari.control import ControllerRefused
from asterisk_cc.core.live_state import AgentLive, LinkStatus, LiveState, MonitoringLive
from asterisk_cc.core.vocabulary import CallDirection
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import Alert, AuditLogEntry, Interaction, Queue
from asterisk_cc.db.users import create_user
from asterisk_cc.errors import AsteriskUnreachable
from tests.web_fixtures import START, StaticLiveFeed, WebUser, csrf_of, post

Clients = Callable[[str | None], FlaskClient]
SCRIPT = "<script>alert(1)</script>"
LINKEDID = "1763892000.17"


@dataclass
class StandInController:
    """Records what the dashboard asks of the ARI controller; refuses when told to."""

    failure: Exception | None = None
    supervised: list[dict[str, Any]] = field(default_factory=list)
    actions: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    """Sessions that ended at the controller before the dashboard asked to stop them."""

    def supervise(self, *, user_id: int, agent: str, mode: str, endpoint: str) -> str:
        if self.failure is not None:
            raise self.failure
        self.supervised.append(
            {"user_id": user_id, "agent": agent, "mode": mode, "endpoint": endpoint}
        )
        return "sup-0001"

    def agent(self, login: str, action: str, **data: Any) -> dict[str, Any]:
        if self.failure is not None:
            raise self.failure
        self.actions.append((login, action, data))
        return {"ok": True, "result": None}

    def stop_supervising(self, session_id: str) -> bool:
        if self.failure is not None:
            raise self.failure
        if session_id in self.ended:
            return False
        self.stopped.append(session_id)
        return True


def talking_ann() -> AgentLive:
    return AgentLive(
        login="1001",
        name="Ann Agent",
        state="talking",
        reason=None,
        since=START - timedelta(seconds=95),
        call=LINKEDID,
        queues=("sales",),
    )


@pytest.fixture
def controller() -> StandInController:
    return StandInController()


@pytest.fixture
def feed() -> StaticLiveFeed:
    return StaticLiveFeed(
        LiveState(
            version=1,
            at=START,
            link=LinkStatus(ami=True, controller=True, asterisk=True),
            agents={"1001": talking_ann()},
        )
    )


@pytest.fixture
def web_context(
    web_context: dict[str, Any], controller: StandInController, feed: StaticLiveFeed
) -> dict[str, Any]:
    web_context.update(controller=controller, live=feed)
    return web_context


def supervise_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of every route of the supervisor's pages."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("supervise."):
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1001", rule.rule)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                routes.append((rule.endpoint, method, url))
    return routes


def test_every_supervisor_route_needs_a_supervisor(
    web_app: Flask, web_client: Clients, controller: StandInController
) -> None:
    routes = supervise_routes(web_app)
    assert len(routes) >= 14
    anonymous = web_app.test_client()
    agent = web_client("agent")
    for endpoint, method, url in routes:
        if method == "GET":
            response = anonymous.get(url)
            assert response.status_code == 302, endpoint
            assert response.headers["Location"].startswith("/login"), endpoint
            assert agent.get(url).status_code == 403, endpoint
        else:
            response = anonymous.post(url, data={"csrf_token": csrf_of(anonymous)})
            assert response.status_code == 401, endpoint
            assert post(agent, url, {"mode": "listen", "action": "logout"}).status_code == 403
    assert controller.supervised == [] and controller.actions == [] and controller.stopped == []


def test_every_form_needs_the_csrf_token(
    web_app: Flask, web_client: Clients, controller: StandInController
) -> None:
    supervisor = web_client("supervisor")
    with supervisor.session_transaction() as session:
        session["supervisor_endpoint"] = "PJSIP/2001"
    for endpoint, method, url in supervise_routes(web_app):
        if method == "POST":
            response = supervisor.post(url, data={"mode": "listen", "action": "logout"})
            assert response.status_code == 400, endpoint
            assert "CSRF" in response.get_data(as_text=True)
    assert controller.supervised == [] and controller.actions == [] and controller.stopped == []


def seed_call(engine: Engine, caller: str) -> None:
    with session_factory(engine)() as session:
        queue = Queue(name="sales")
        session.add(queue)
        session.flush()
        session.add(
            Interaction(
                uniqueid=LINKEDID,
                linkedid=LINKEDID,
                direction=CallDirection.INBOUND,
                queue_id=queue.id,
                caller_number=caller,
                started_at=START - timedelta(minutes=2),
            )
        )
        session.commit()


def test_the_agents_page_shows_live_states_and_the_call_escaped(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    seed_call(web_engine, SCRIPT)
    page = web_client("supervisor").get("/supervise/").get_data(as_text=True)
    row = page[page.index('data-login="1001"') :]
    assert "Ann Agent" in row and "state-talking" in row
    # The time in state ticks from the state's start, in the browser.
    assert f'data-since="{(START - timedelta(seconds=95)).isoformat()}"' in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt; · sales" in row
    assert SCRIPT not in page
    assert "1 logged in" in page
    # No phone yet: the monitoring buttons are off until one is saved.
    assert re.search(r'value="listen" class="live-only" disabled', row)


def test_the_page_speaks_chinese(web_client: Clients, web_users: dict[str, WebUser]) -> None:
    client = web_client("supervisor")
    post(client, "/language", {"language": "zh", "next": "/supervise/"})
    page = client.get("/supervise/").get_data(as_text=True)
    assert "监听" in page and "强插" in page and "通话中" in page


def test_an_agent_whose_name_is_a_script_is_shown_escaped(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    from asterisk_cc.db.models import Agent

    with session_factory(web_engine)() as session:
        session.add(Agent(login="1002", name=SCRIPT))
        session.commit()
    page = web_client("admin").get("/supervise/").get_data(as_text=True)
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def save_phone(client: FlaskClient, endpoint: str) -> Any:
    return post(client, "/supervise/phone", {"endpoint": endpoint})


def test_the_supervisors_phone_is_checked_and_remembered(
    web_client: Clients, web_users: dict[str, WebUser]
) -> None:
    client = web_client("supervisor")
    response = save_phone(client, " pjsip/2001 ")
    assert response.status_code == 303
    page = client.get("/supervise/").get_data(as_text=True)
    assert "Your phone is PJSIP/2001." in page
    assert 'value="PJSIP/2001"' in page
    assert not re.search(r'value="listen" class="live-only" disabled', page)
    with client.session_transaction() as session:
        assert session["supervisor_endpoint"] == "PJSIP/2001"


@pytest.mark.parametrize(
    "endpoint", ["PJSIP/2001&Local/x", "PJSIP/2001)", "PJSIP/${EXTEN}", "Console/dsp", ""]
)
def test_a_phone_that_is_not_a_plain_endpoint_is_refused(
    web_client: Clients, web_users: dict[str, WebUser], endpoint: str
) -> None:
    client = web_client("supervisor")
    save_phone(client, "PJSIP/2001")
    response = save_phone(client, endpoint)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your phone was not saved" in page
    # What was typed stays in the field (escaped) to be corrected.
    assert 'name="endpoint" value="{}"'.format(endpoint.replace("&", "&amp;")) in page
    with client.session_transaction() as session:
        assert session["supervisor_endpoint"] == "PJSIP/2001"


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
def test_listen_whisper_and_barge_reach_the_controller_for_the_current_user(
    web_client: Clients,
    web_users: dict[str, WebUser],
    controller: StandInController,
    mode: str,
) -> None:
    client = web_client("supervisor")
    save_phone(client, "PJSIP/2001")
    response = post(client, "/supervise/agents/1001/monitor", {"mode": mode, "user_id": "1"})
    assert response.status_code == 303
    assert controller.supervised == [
        {
            "user_id": web_users["supervisor"].id,
            "agent": "1001",
            "mode": mode,
            "endpoint": "PJSIP/2001",
        }
    ]
    page = client.get("/supervise/").get_data(as_text=True)
    assert "Calling PJSIP/2001: answer to" in page


def test_an_admin_may_listen_too(
    web_client: Clients, web_users: dict[str, WebUser], controller: StandInController
) -> None:
    client = web_client("admin")
    save_phone(client, "SIP/boss")
    post(client, "/supervise/agents/1001/monitor", {"mode": "listen"})
    assert controller.supervised[0]["user_id"] == web_users["admin"].id


def test_monitoring_needs_a_phone_a_logged_in_agent_and_a_known_mode(
    web_client: Clients, web_users: dict[str, WebUser], controller: StandInController
) -> None:
    client = web_client("supervisor")
    post(client, "/supervise/agents/1001/monitor", {"mode": "listen"})
    assert "Enter your phone first" in client.get("/supervise/").get_data(as_text=True)
    save_phone(client, "PJSIP/2001")
    post(client, "/supervise/agents/1002/monitor", {"mode": "listen"})
    assert "Agent 1002 is not logged in." in client.get("/supervise/").get_data(as_text=True)
    response = post(client, "/supervise/agents/1001/monitor", {"mode": "spy"})
    assert response.status_code == 400
    assert controller.supervised == []


def test_an_endpoint_forged_into_the_session_is_not_used(
    web_client: Clients, web_users: dict[str, WebUser], controller: StandInController
) -> None:
    client = web_client("supervisor")
    with client.session_transaction() as session:
        session["supervisor_endpoint"] = "PJSIP/2001&Local/evil@default"
    post(client, "/supervise/agents/1001/monitor", {"mode": "barge"})
    assert controller.supervised == []


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            ControllerRefused("agent 1001 has no phone channel (not logged in by phone)", 409),
            "The controller refused: agent 1001 has no phone channel",
        ),
        (
            AsteriskUnreachable("the ARI controller at http://127.0.0.1:8091 does not answer"),
            "The ARI controller cannot be reached: the ARI controller at",
        ),
    ],
)
def test_a_controller_refusal_is_a_message_not_an_error(
    web_client: Clients,
    web_users: dict[str, WebUser],
    controller: StandInController,
    failure: Exception,
    message: str,
) -> None:
    controller.failure = failure
    client = web_client("supervisor")
    save_phone(client, "PJSIP/2001")
    response = post(client, "/supervise/agents/1001/monitor", {"mode": "listen"})
    assert response.status_code == 303
    page = client.get("/supervise/").get_data(as_text=True)
    assert message in page


def test_without_a_controller_the_page_says_so(
    web_app: Flask, web_client: Clients, web_users: dict[str, WebUser]
) -> None:
    web_app.extensions["asterisk_cc"].controller = None
    client = web_client("supervisor")
    save_phone(client, "PJSIP/2001")
    page = client.get("/supervise/").get_data(as_text=True)
    assert "The ARI controller is not configured" in page
    post(client, "/supervise/agents/1001/monitor", {"mode": "listen"})
    assert "monitoring is not available" in client.get("/supervise/").get_data(as_text=True)


def audit_entries(engine: Engine) -> list[AuditLogEntry]:
    with session_factory(engine)() as session:
        return list(
            session.scalars(
                select(AuditLogEntry)
                .where(AuditLogEntry.action.not_in(["login", "logout"]))
                .order_by(AuditLogEntry.id)
            )
        )


def test_a_supervisor_pauses_unpauses_and_logs_out_an_agent_audited(
    web_client: Clients,
    web_users: dict[str, WebUser],
    web_engine: Engine,
    controller: StandInController,
) -> None:
    client = web_client("supervisor")
    post(client, "/supervise/agents/1001/action", {"action": "pause", "reason": "training"})
    post(client, "/supervise/agents/1001/action", {"action": "unpause", "reason": "lunch"})
    post(client, "/supervise/agents/1001/action", {"action": "logout"})
    assert controller.actions == [
        ("1001", "pause", {"reason": "training"}),
        ("1001", "unpause", {}),
        ("1001", "logout", {}),
    ]
    entries = audit_entries(web_engine)
    assert [(e.action, e.target, e.username) for e in entries] == [
        ("agent_pause", "agent:1001", "supervisor"),
        ("agent_unpause", "agent:1001", "supervisor"),
        ("agent_logout", "agent:1001", "supervisor"),
    ]
    assert (entries[0].details or {})["reason"] == "training"
    assert "Agent 1001 is logged out." in client.get("/supervise/").get_data(as_text=True)


def test_a_refused_or_unknown_agent_action_changes_nothing(
    web_client: Clients,
    web_users: dict[str, WebUser],
    web_engine: Engine,
    controller: StandInController,
) -> None:
    client = web_client("supervisor")
    post(client, "/supervise/agents/1001/action", {"action": "pause", "reason": "nap; DROP"})
    assert "Choose a pause reason." in client.get("/supervise/").get_data(as_text=True)
    assert post(client, "/supervise/agents/1001/action", {"action": "hangup"}).status_code == 400
    controller.failure = ControllerRefused("agent 1001 is not logged in", 404)
    post(client, "/supervise/agents/1001/action", {"action": "logout"})
    assert "The controller refused: agent 1001 is not logged in" in client.get(
        "/supervise/"
    ).get_data(as_text=True)
    assert controller.actions == []
    assert audit_entries(web_engine) == []


# --- stopping a monitoring ---------------------------------------------------------------------


def monitoring(session: str, user_id: int, *, connected: bool = True) -> MonitoringLive:
    return MonitoringLive(
        session=session,
        user_id=user_id,
        agent="1001",
        mode="whisper",
        endpoint="PJSIP/2001",
        requested_at=START - timedelta(seconds=40),
        connected_at=START - timedelta(seconds=30) if connected else None,
    )


def other_supervisor(engine: Engine) -> int:
    with session_factory(engine)() as session:
        user = create_user(
            session,
            username="wang.fang",
            password="wang.fang-password-1",
            role="supervisor",
            display_name="Wang Fang",
        )
        session.commit()
        return user.id


def stop(client: FlaskClient, session: str) -> Any:
    return post(client, f"/supervise/monitorings/{session}/stop")


def test_a_supervisor_sees_and_stops_only_their_own_monitoring_audited(
    web_client: Clients,
    web_users: dict[str, WebUser],
    web_engine: Engine,
    controller: StandInController,
    feed: StaticLiveFeed,
) -> None:
    wang = other_supervisor(web_engine)
    mine = monitoring("sup-mine", web_users["supervisor"].id)
    feed.publish(monitorings=(mine, monitoring("sup-wang", wang, connected=False)))
    client = web_client("supervisor")
    page = client.get("/supervise/").get_data(as_text=True)
    section = page[page.index('<section id="monitorings"') : page.index("</section>")]
    rows = section[: section.index("<template")]
    assert 'action="/supervise/monitorings/sup-mine/stop"' in rows
    assert "The supervisor" in rows and "Whisper" in rows and "Connected" in rows
    assert f'data-since="{(START - timedelta(seconds=30)).isoformat()}"' in rows
    assert "sup-wang" not in page and "Wang Fang" not in page

    response = stop(client, "sup-mine")
    assert response.status_code == 303
    assert controller.stopped == ["sup-mine"]
    (entry,) = audit_entries(web_engine)
    assert (entry.action, entry.target, entry.username) == (
        "monitor_stop",
        "agent:1001",
        "supervisor",
    )
    assert entry.details == {
        "session": "sup-mine",
        "mode": "whisper",
        "started_by": web_users["supervisor"].id,
    }
    assert "Monitoring of 1001 stopped." in client.get("/supervise/").get_data(as_text=True)


def test_another_supervisors_monitoring_is_refused_and_an_agent_may_stop_none(
    web_client: Clients,
    web_users: dict[str, WebUser],
    web_engine: Engine,
    controller: StandInController,
    feed: StaticLiveFeed,
) -> None:
    wang = other_supervisor(web_engine)
    feed.publish(
        monitorings=(monitoring("sup-wang", wang), monitoring("sup-admin", web_users["admin"].id))
    )
    supervisor = web_client("supervisor")
    assert stop(supervisor, "sup-wang").status_code == 403
    assert stop(supervisor, "sup-admin").status_code == 403
    assert stop(web_client("agent"), "sup-wang").status_code == 403
    assert controller.stopped == []
    assert audit_entries(web_engine) == []


def test_an_admin_sees_and_stops_anyones_monitoring(
    web_client: Clients,
    web_users: dict[str, WebUser],
    web_engine: Engine,
    controller: StandInController,
    feed: StaticLiveFeed,
) -> None:
    wang = other_supervisor(web_engine)
    feed.publish(monitorings=(monitoring("sup-wang", wang, connected=False),))
    client = web_client("admin")
    page = client.get("/supervise/").get_data(as_text=True)
    assert 'action="/supervise/monitorings/sup-wang/stop"' in page
    assert "Wang Fang" in page and "Ringing" in page
    assert stop(client, "sup-wang").status_code == 303
    assert controller.stopped == ["sup-wang"]
    (entry,) = audit_entries(web_engine)
    assert (entry.action, entry.username) == ("monitor_stop", "admin")
    assert (entry.details or {})["started_by"] == wang


def test_a_monitoring_that_already_ended_is_said_and_not_audited(
    web_client: Clients,
    web_users: dict[str, WebUser],
    web_engine: Engine,
    controller: StandInController,
    feed: StaticLiveFeed,
) -> None:
    client = web_client("supervisor")
    # Not (or no longer) in the live state: the controller is not asked.
    stop(client, "sup-gone")
    assert "This monitoring is not running any more." in client.get("/supervise/").get_data(
        as_text=True
    )
    assert controller.stopped == []
    # Still in the state, but the supervisor hung up meanwhile.
    feed.publish(monitorings=(monitoring("sup-hung-up", web_users["supervisor"].id),))
    controller.ended.add("sup-hung-up")
    stop(client, "sup-hung-up")
    assert "This monitoring is not running any more." in client.get("/supervise/").get_data(
        as_text=True
    )
    assert audit_entries(web_engine) == []


def test_a_refusal_to_stop_is_a_message(
    web_client: Clients,
    web_users: dict[str, WebUser],
    web_engine: Engine,
    controller: StandInController,
    feed: StaticLiveFeed,
) -> None:
    feed.publish(monitorings=(monitoring("sup-mine", web_users["supervisor"].id),))
    controller.failure = AsteriskUnreachable("the ARI controller at http://127.0.0.1:8091 down")
    client = web_client("supervisor")
    assert stop(client, "sup-mine").status_code == 303
    page = client.get("/supervise/").get_data(as_text=True)
    assert "The ARI controller cannot be reached: the ARI controller at" in page
    assert audit_entries(web_engine) == []


def read_event(chunks: Any) -> str:
    text = ""
    while not text.endswith("\n\n"):
        text += next(chunks).decode()
    return text


def test_the_agents_stream_sends_changes(
    web_client: Clients, web_users: dict[str, WebUser], feed: StaticLiveFeed
) -> None:
    client = web_client("supervisor")
    response = client.get("/supervise/agents/stream", buffered=False)
    try:
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Accel-Buffering"] == "no"
        chunks = iter(response.response)
        first = read_event(chunks)
        assert first.startswith("event: agents\ndata: ")
        assert '"1001": {"state": "talking", "state_label": "talking"' in first
        paused = AgentLive("1001", "Ann Agent", "paused", "lunch", START, None, ("sales",))
        feed.publish(agents={"1001": paused})
        second = read_event(chunks)
        assert '"state": "paused"' in second and '"reason": "lunch"' in second
        feed.publish(at=START + timedelta(seconds=1))  # nothing this page shows changed
        assert read_event(chunks) == ": keep-alive\n\n"
        # A monitoring the supervisor started: in the stream, with its supervisor's name.
        feed.publish(monitorings=(monitoring("sup-mine", web_users["supervisor"].id),))
        third = read_event(chunks)
        assert (
            '"monitorings": [{"session": "sup-mine", "agent": "1001", "mode": "Whisper", '
            '"supervisor": "The supervisor", "endpoint": "PJSIP/2001", "status": "Connected", '
            f'"since": "{(START - timedelta(seconds=30)).isoformat()}"}}]'
        ) in third
        feed.publish(monitorings=())
        assert '"monitorings": []' in read_event(chunks)
        feed.stop()
        assert list(chunks) == []
    finally:
        response.close()


def seed_alerts(engine: Engine) -> None:
    def alert(**values: Any) -> Alert:
        defaults: dict[str, Any] = {
            "severity": "warning",
            "cleared_at": None,
            "threshold": 0.0,
            "message": "",
            "notified_at": None,
            "notifications": 0,
        }
        return Alert(**{**defaults, **values})

    with session_factory(engine)() as session:
        session.add_all(
            [
                alert(
                    rule="longest_wait",
                    scope="sales",
                    severity="critical",
                    raised_at=START - timedelta(minutes=10),
                    value=185,
                    threshold=90,
                    message=f"sales: {SCRIPT} waited 3:05",
                ),
                alert(
                    rule="service_level_15m",
                    scope="support",
                    raised_at=START - timedelta(hours=2),
                    cleared_at=START - timedelta(hours=1),
                    value=0.62,
                    threshold=0.8,
                    message="cleared: support back to normal",
                ),
                alert(
                    rule="waiting_calls",
                    scope="billing",
                    raised_at=START - timedelta(days=3),
                    cleared_at=START - timedelta(days=3, minutes=-20),
                    value=12,
                    threshold=10,
                    message="three days ago",
                ),
            ]
        )
        session.commit()


def test_the_alerts_page_shows_raised_and_recent_alerts(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    seed_alerts(web_engine)
    client = web_client("supervisor")
    page = client.get("/supervise/alerts").get_data(as_text=True)
    raised, recent = page.split("Recent alerts", 1)
    assert "Longest wait" in raised and "3:05" in raised and "1:30" in raised
    assert "severity-critical" in raised and "Service level" not in raised
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # Raised 10:00 UTC - 10 min = 17:50 Shanghai time; the support alert lasted an hour.
    assert "2026-11-23 17:50" in recent
    assert "Service level, last 15 minutes" in recent and "62.0%" in recent
    assert "1:00:00" in recent
    assert "three days ago" not in recent
    week = client.get("/supervise/alerts?hours=168").get_data(as_text=True)
    assert "three days ago" in week
