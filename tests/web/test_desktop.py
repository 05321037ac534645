"""The agent desktop: the page, the agent's own state through the controller, the screen pop
and its live stream. (The helpers here, a stand-in controller and a seeded floor, are shared
with test_desktop_work.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from asterisk_cc.ari.control import ControllerRefused
from asterisk_cc.core.customers import Tier
from asterisk_cc.core.live_state import AgentLive, LinkStatus
from asterisk_cc.core.vocabulary import CallDirection, CampaignStatus, DialMode
from asterisk_cc.db.call_notes import add_call_note
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    AuditLogEntry,
    Campaign,
    CampaignAgent,
    Customer,
    Interaction,
    IvrSession,
    Lead,
    LeadPhone,
    Queue,
    QueueSkill,
    Skill,
    User,
)
from asterisk_cc.db.tickets import open_complaint
from asterisk_cc.errors import AsteriskUnreachable
from asterisk_cc.web.context import EXTENSION_KEY
from tests.web_fixtures import START, StaticLiveFeed, WebUser, post, post_json

LOGIN = "1001"
OTHER_LOGIN = "1002"


class FakeController:
    """Records each action as (login, action, body); ``refuse`` makes the next calls raise."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.refuse: Exception | None = None

    def agent(self, login: str, action: str, **body: Any) -> dict[str, Any]:
        self.calls.append((login, action, body))
        if self.refuse is not None:
            raise self.refuse
        return {"ok": True, "result": "2026/11/23/call-1.wav" if action == "record" else None}


@pytest.fixture(autouse=True)
def controller(web_context: dict[str, Any]) -> FakeController:
    fake = FakeController()
    web_context["controller"] = fake
    return fake


@pytest.fixture
def feed(web_context: dict[str, Any]) -> StaticLiveFeed:
    live: StaticLiveFeed = web_context["live"]
    return live


def agent_live(
    state: str = "ready",
    *,
    call: str | None = None,
    reason: str | None = None,
    since: datetime = START,
    login: str = LOGIN,
) -> dict[str, AgentLive]:
    return {
        login: AgentLive(
            login=login,
            name="Ann Agent",
            state=state,
            reason=reason,
            since=since,
            call=call,
            queues=("support",),
        )
    }


@dataclass(frozen=True)
class Floor:
    agent_id: int
    other_agent_id: int
    customer_id: int
    other_customer_id: int
    call: str
    ticket_id: int
    other_ticket_id: int
    campaign_id: int
    lead_ids: tuple[int, ...]


def seed_floor(
    engine: Engine, users: dict[str, WebUser], *, customer_name: str = "Wang Fang"
) -> Floor:
    """Agent 1001 (the agent user's) serves the queue support; a VIP customer's call from
    the IVR is up, with an open complaint and an earlier call; agent 1002 owns a complaint of
    another customer; a preview campaign worked by 1001 has two due leads."""
    with session_factory(engine)() as session:
        agent = session.scalars(select(Agent).where(Agent.login == LOGIN)).one()
        other = Agent(login=OTHER_LOGIN, name="Bo Agent", interface="PJSIP/1002")
        skill = Skill(name="support")
        queue = Queue(name="support", wrapup_limit_s=45)
        session.add_all([other, skill, queue, Queue(name="sales")])
        session.flush()
        session.add_all(
            [
                QueueSkill(queue_id=queue.id, skill_id=skill.id, min_level=1, penalty=0),
                AgentSkill(agent_id=agent.id, skill_id=skill.id, level=3, penalty=0),
            ]
        )
        customer = Customer(
            name=customer_name,
            account_number="A-100",
            tier=Tier.VIP,
            language="zh",
            attributes={"balance": "128.50"},
        )
        stranger = Customer(name="Li Lei", account_number="B-200")
        session.add_all([customer, stranger])
        session.flush()
        call = "1700000000.42"
        session.add_all(
            [
                _interaction(call, customer, queue, START - timedelta(minutes=3)),
                _interaction("1690000000.7", customer, queue, START - timedelta(days=2), talk_s=95),
                IvrSession(
                    uniqueid=call,
                    linkedid=call,
                    caller_e164="+8613812345678",
                    customer_id=customer.id,
                    flow="main",
                    language="zh",
                    path=["welcome", "menu", "billing"],
                    inputs={"account": "****0100"},
                    started_at=START - timedelta(minutes=4),
                ),
            ]
        )
        ticket = open_complaint(
            session,
            description="Billed twice for November",
            now=START - timedelta(days=1),
            customer_id=customer.id,
        )
        other_ticket = open_complaint(
            session,
            description="Another agent's complaint",
            now=START - timedelta(days=1),
            customer_id=stranger.id,
            owner_agent_id=None,
        )
        session.flush()
        other_ticket.owner_agent_id = other.id
        campaign = Campaign(
            name="Renewals",
            dial_mode=DialMode.PREVIEW,
            status=CampaignStatus.ACTIVE,
            queue_id=queue.id,
        )
        session.add(campaign)
        session.flush()
        session.add(CampaignAgent(campaign_id=campaign.id, agent_id=agent.id))
        leads = []
        for n, (name, phone) in enumerate(
            [("Zhou Jie", "+8613900000001"), ("Sun Li", "+8613900000002")]
        ):
            lead = Lead(
                campaign_id=campaign.id,
                fields={"name": name, "plan": "gold"},
                next_attempt_at=START - timedelta(hours=2 - n),
            )
            lead.phones.append(LeadPhone(phone_e164=phone, position=0))
            session.add(lead)
            leads.append(lead)
        session.commit()
        return Floor(
            agent_id=agent.id,
            other_agent_id=other.id,
            customer_id=customer.id,
            other_customer_id=stranger.id,
            call=call,
            ticket_id=ticket.id,
            other_ticket_id=other_ticket.id,
            campaign_id=campaign.id,
            lead_ids=tuple(lead.id for lead in leads),
        )


def _interaction(
    linkedid: str, customer: Customer, queue: Queue, started: datetime, talk_s: int | None = None
) -> Interaction:
    return Interaction(
        uniqueid=linkedid,
        linkedid=linkedid,
        direction=CallDirection.INBOUND,
        customer_id=customer.id,
        customer_tier=customer.tier,
        queue_id=queue.id,
        caller_number="013812345678",
        caller_e164="+8613812345678",
        started_at=started,
        talk_s=talk_s,
        disposition="resolved" if talk_s else None,
    )


def session_of(engine: Engine) -> Session:
    return session_factory(engine)()


# --- the tests ---------------------------------------------------------------------------------

Clients = Callable[[str | None], FlaskClient]


@pytest.fixture
def floor(web_engine: Engine, web_users: dict[str, WebUser]) -> Floor:
    return seed_floor(web_engine, web_users)


def page(client: FlaskClient) -> str:
    response = client.get("/desktop/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_anonymous_visitor_is_sent_to_log_in_and_refused_every_action(
    web_client: Clients,
) -> None:
    client = web_client(None)
    assert client.get("/desktop/").headers["Location"].startswith("/login")
    assert client.get("/desktop/stream").headers["Location"].startswith("/login")
    for url in ("/desktop/agent/pause", "/desktop/agent/ready", "/desktop/call/wrap-up"):
        assert post(client, url, {"reason": "lunch"}).status_code == 401


def test_supervisors_and_admins_are_refused_the_desktop(
    web_client: Clients, controller: FakeController
) -> None:
    for role in ("supervisor", "admin"):
        client = web_client(role)
        assert client.get("/desktop/").status_code == 403
        assert client.get("/desktop/stream").status_code == 403
        assert post(client, "/desktop/agent/pause", {"reason": "lunch"}).status_code == 403
        assert post_json(client, "/desktop/agent/hangup").status_code == 403
    assert controller.calls == []


def test_actions_without_the_csrf_token_are_refused(
    web_client: Clients, controller: FakeController
) -> None:
    client = web_client("agent")
    assert client.post("/desktop/agent/pause", data={"reason": "lunch"}).status_code == 400
    assert client.post("/desktop/agent/logout").status_code == 400
    assert client.post("/desktop/complaints", data={"description": "x"}).status_code == 400
    assert controller.calls == []


def test_a_logged_out_agent_sees_how_to_log_in_and_can_have_their_phone_called(
    web_client: Clients, web_engine: Engine, controller: FakeController
) -> None:
    client = web_client("agent")
    text = page(client)
    assert 'data-state="logged_out"' in text and "*45" in text
    assert "Call my phone (PJSIP/1001)" in text
    response = post(client, "/desktop/agent/call-in", {"endpoint": "PJSIP/9999"})
    assert response.status_code == 303
    # The endpoint is the agent's own phone from the database, never one from the request.
    assert controller.calls == [(LOGIN, "call-in", {"endpoint": "PJSIP/1001"})]
    assert "Your phone is ringing" in client.get("/desktop/").get_data(as_text=True)


def test_call_in_without_a_phone_says_what_to_do(
    web_client: Clients, web_engine: Engine, controller: FakeController
) -> None:
    with session_of(web_engine) as session:
        session.scalars(select(Agent).where(Agent.login == LOGIN)).one().interface = None
        session.commit()
    client = web_client("agent")
    assert "No phone is set for your agent" in page(client)
    response = post_json(client, "/desktop/agent/call-in")
    assert response.status_code == 409
    assert "dial *45" in response.get_json()["error"]
    assert controller.calls == []


def test_the_page_shows_the_state_reason_and_time_in_state(
    web_client: Clients, feed: StaticLiveFeed
) -> None:
    since = START - timedelta(minutes=7)
    feed.publish(agents=agent_live("paused", reason="lunch", since=since))
    text = page(web_client("agent"))
    assert 'data-state="paused"' in text
    assert "state-paused" in text and "Lunch" in text
    assert f'data-since="{since.isoformat()}"' in text
    # In Chinese, the state is translated.
    client = web_client("agent")
    post(client, "/language", {"language": "zh", "next": "/desktop/"})
    text = page(client)
    assert "小休" in text and "午餐" in text


def test_pause_with_a_reason_reaches_the_controller_for_the_agents_own_login(
    web_client: Clients, feed: StaticLiveFeed, controller: FakeController
) -> None:
    feed.publish(agents=agent_live("ready"))
    client = web_client("agent")
    response = post(client, "/desktop/agent/pause", {"reason": "lunch", "login": OTHER_LOGIN})
    assert response.status_code == 303
    assert "Paused: Lunch." in client.get("/desktop/").get_data(as_text=True)
    # Free words under "other" become a reason code; the same from a script's JSON.
    response = post_json(
        client, "/desktop/agent/pause", {"reason": "other", "reason_text": "Team coaching!"}
    )
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert controller.calls == [
        (LOGIN, "pause", {"reason": "lunch"}),
        (LOGIN, "pause", {"reason": "team_coaching"}),
    ]


def test_an_unknown_pause_reason_is_refused_before_the_controller(
    web_client: Clients, controller: FakeController
) -> None:
    client = web_client("agent")
    response = post_json(client, "/desktop/agent/pause", {"reason": "' OR 1=1 --"})
    assert response.status_code == 400
    assert "pause reason" in response.get_json()["error"]
    assert controller.calls == []


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("unpause", "Pause ended."),
        ("ready", "You are ready for calls."),
        ("logout", "You are logged out."),
        ("hold", "The caller is on hold."),
        ("unhold", "The caller is back from hold."),
        ("hangup", "The call is ended."),
    ],
)
def test_state_and_call_controls_go_to_the_controller(
    web_client: Clients, controller: FakeController, action: str, message: str
) -> None:
    client = web_client("agent")
    response = post(client, f"/desktop/agent/{action}")
    assert response.status_code == 303
    assert controller.calls == [(LOGIN, action, {})]
    assert message in client.get("/desktop/").get_data(as_text=True)


def test_an_unknown_action_is_not_found(web_client: Clients, controller: FakeController) -> None:
    assert post(web_client("agent"), "/desktop/agent/supervise").status_code == 404
    assert controller.calls == []


def test_recording_on_demand_is_audited(
    web_client: Clients, web_engine: Engine, controller: FakeController
) -> None:
    response = post_json(web_client("agent"), "/desktop/agent/record")
    assert response.status_code == 200
    with session_of(web_engine) as session:
        entry = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "call.record")
        ).one()
    assert entry.target == f"agent:{LOGIN}"
    assert entry.details == {"recording": "2026/11/23/call-1.wav"}


def test_controller_refusals_and_outages_are_clear_messages_not_errors(
    web_client: Clients, controller: FakeController
) -> None:
    client = web_client("agent")
    controller.refuse = ControllerRefused("agent 1001 is not logged in", 409)
    response = post_json(client, "/desktop/agent/ready")
    assert response.status_code == 409
    assert response.get_json()["error"] == "The controller refused: agent 1001 is not logged in"
    response = post(client, "/desktop/agent/hold")
    assert response.status_code == 303
    assert "agent 1001 is not logged in" in client.get("/desktop/").get_data(as_text=True)
    controller.refuse = AsteriskUnreachable(
        "the ARI controller at http://127.0.0.1:8091 does not answer"
    )
    response = post_json(client, "/desktop/agent/unpause")
    assert response.status_code == 503
    assert "cannot be reached" in response.get_json()["error"]


def test_no_controller_configured_is_a_clear_message(web_app: Flask, web_client: Clients) -> None:
    web_app.extensions[EXTENSION_KEY].controller = None
    response = post_json(web_client("agent"), "/desktop/agent/ready")
    assert response.status_code == 503
    assert "not configured" in response.get_json()["error"]


def test_an_agent_user_without_an_agent_is_told_so(
    web_client: Clients, web_engine: Engine, controller: FakeController
) -> None:
    with session_of(web_engine) as session:
        session.scalars(select(User).where(User.username == "agent")).one().agent_id = None
        session.commit()
    client = web_client("agent")
    assert "not linked to an agent" in page(client)
    assert post_json(client, "/desktop/agent/ready").status_code == 409
    assert controller.calls == []


def test_wrap_up_shows_the_time_left_from_the_queue_limit(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    with session_of(web_engine) as session:
        call = session.scalars(select(Interaction).where(Interaction.linkedid == floor.call)).one()
        call.agent_id = floor.agent_id
        session.commit()
    since = START - timedelta(seconds=10)
    feed.publish(agents=agent_live("wrap_up", since=since))
    text = page(web_client("agent"))
    assert f'data-until="{(since + timedelta(seconds=45)).isoformat()}"' in text
    assert 'data-state="wrap_up"' in text


def test_the_screen_pop_shows_the_callers_customer_ivr_path_tickets_and_calls(
    web_client: Clients, floor: Floor, feed: StaticLiveFeed
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    text = page(web_client("agent"))
    assert "Wang Fang" in text and "A-100" in text and "128.50" in text
    assert "tier-vip" in text and "VIP" in text
    assert "welcome" in text and "billing" in text and "****0100" in text
    assert f"#{floor.ticket_id}" in text
    # Only the moves the complaint's workflow allows from "received".
    moves = re.findall(
        rf'action="/desktop/complaints/{floor.ticket_id}/move".*?</form>', text, re.S
    )[0]
    assert re.findall(r'<option value="(\w+)"', moves) == ["confirmed", "closed"]
    assert "Resolved" in text  # the earlier call's disposition
    assert "Current call" in text


def test_a_script_in_a_customer_name_is_shown_as_text(
    web_client: Clients,
    web_engine: Engine,
    web_users: dict[str, WebUser],
    feed: StaticLiveFeed,
) -> None:
    floor = seed_floor(web_engine, web_users, customer_name="<script>alert(1)</script>")
    feed.publish(agents=agent_live("talking", call=floor.call))
    text = page(web_client("agent"))
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def read_events(response: TestResponse, count: int) -> list[tuple[str, Any]]:
    """The next ``count`` events of a server-sent-events response (comments skipped)."""
    events: list[tuple[str, Any]] = []
    chunks = response.response
    while len(events) < count:
        chunk = next(chunks)  # type: ignore[call-overload]
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if text.startswith(":"):
            continue
        name, payload = text.strip().split("\n")
        events.append((name.removeprefix("event: "), json.loads(payload.removeprefix("data: "))))
    return events


def test_the_stream_sends_the_state_then_the_pop_when_a_call_is_published(
    web_client: Clients,
    web_engine: Engine,
    web_users: dict[str, WebUser],
    floor: Floor,
    feed: StaticLiveFeed,
) -> None:
    feed.publish(agents=agent_live("ready"))
    with session_of(web_engine) as session:
        add_call_note(
            session,
            linkedid="1690000000.7",
            user_id=web_users["agent"].id,
            agent_id=floor.agent_id,
            text="Wants paper bills",
            at=START - timedelta(days=2),
        )
        session.commit()
    response = web_client("agent").get("/desktop/stream", buffered=False)
    try:
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Accel-Buffering"] == "no"
        ((name, state),) = read_events(response, 1)
        assert name == "state" and state["state"] == "ready" and state["call"] is None

        feed.publish(agents=agent_live("talking", call=floor.call))
        (name, state), (pop_name, pop) = read_events(response, 2)
        assert (name, state["state"], state["call"]) == ("state", "talking", floor.call)
        assert pop_name == "pop" and pop["linkedid"] == floor.call
        assert pop["customer"]["name"] == "Wang Fang" and pop["tier"] == "vip"
        assert pop["ivr_path"] == ["welcome", "menu", "billing"]
        assert [t["id"] for t in pop["open_tickets"]] == [floor.ticket_id]
        assert pop["open_tickets"][0]["moves"] == ["confirmed", "closed"]
        (recent,) = pop["recent_calls"]
        assert recent["linkedid"] == "1690000000.7"
        assert recent["notes"] == [
            {"at": (START - timedelta(days=2)).isoformat(), "text": "Wants paper bills"}
        ]

        # Another agent's change is not this agent's news: only a keep-alive.
        feed.publish(
            agents={
                **agent_live("talking", call=floor.call),
                **agent_live("ready", login=OTHER_LOGIN),
            }
        )
        assert next(response.response) == b": keep-alive\n\n"  # type: ignore[call-overload]

        feed.publish(agents=agent_live("wrap_up"))
        (name, state), (pop_name, pop) = read_events(response, 2)
        assert state["state"] == "wrap_up" and pop == {"linkedid": None}
        feed.stop()
        assert list(response.response) == []
    finally:
        response.close()


def test_the_stream_tells_a_logged_out_agent_and_a_link_down(
    web_client: Clients, feed: StaticLiveFeed
) -> None:
    feed.publish(link=LinkStatus(ami=True, controller=False, asterisk=False, detail="refused"))
    response = web_client("agent").get("/desktop/stream", buffered=False)
    try:
        ((_name, state),) = read_events(response, 1)
        assert state == {
            "logged_in": False,
            "state": "logged_out",
            "reason": None,
            "since": None,
            "call": None,
            "link_up": False,
            "wrapup_until": None,
        }
        feed.stop()
    finally:
        response.close()
