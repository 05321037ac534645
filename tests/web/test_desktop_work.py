"""The agent desktop's work on calls: dispositions and notes, callbacks, complaints and their
stages, transfers, and preview dialing — each only on the agent's own call, tickets and leads."""

# The fixtures (controller, feed, floor) are test_desktop's, imported by name, so test arguments
# of the same names "redefine" them for the linter.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from asterisk_cc.core.tickets import TicketState
from asterisk_cc.core.vocabulary import (
    CallbackStatus,
    CallDirection,
    CallOutcome,
    CampaignStatus,
    DialMode,
    LeadStatus,
)
from asterisk_cc.db.call_notes import add_call_note
from asterisk_cc.db.models import (
    AuditLogEntry,
    CallAttempt,
    CallbackRequest,
    CallNote,
    Campaign,
    CampaignAgent,
    ComplaintTicket,
    Interaction,
    Lead,
    LeadPhone,
    User,
)
from asterisk_cc.db.preview import PREVIEW_DIAL_PREFIX, PREVIEW_PREFIX
from asterisk_cc.db.users import create_user
from tests.web.test_desktop import (  # noqa: F401 (controller: the autouse stand-in)
    LOGIN,
    OTHER_LOGIN,
    FakeController,
    Floor,
    agent_live,
    controller,
    feed,
    floor,
    session_of,
)
from tests.web_fixtures import (
    START,
    FixedClock,
    StaticLiveFeed,
    WebUser,
    log_in,
    post,
    post_json,
)

Clients = Callable[[str | None], FlaskClient]


def flashed(client: FlaskClient) -> str:
    return client.get("/desktop/").get_data(as_text=True)


# --- disposition and notes ---------------------------------------------------------------------


def test_a_disposition_and_a_note_are_saved_for_the_current_call(
    web_client: Clients,
    web_engine: Engine,
    web_users: dict[str, WebUser],
    floor: Floor,
    feed: StaticLiveFeed,
    controller: FakeController,
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    client = web_client("agent")
    note = "Promised a refund <b>today</b>; ' OR 1=1 --"
    response = post(client, "/desktop/call/wrap-up", {"disposition": "resolved", "note": note})
    assert response.status_code == 303
    assert controller.calls == [(LOGIN, "disposition", {"disposition": "resolved"})]
    with session_of(web_engine) as session:
        saved = session.scalars(select(CallNote)).one()
        interaction_id = session.scalar(
            select(Interaction.id).where(Interaction.linkedid == floor.call)
        )
        # A note is work data about the call: it is not in the audit log.
        audited = session.scalars(
            select(AuditLogEntry.action).where(AuditLogEntry.target == f"call:{floor.call}")
        ).all()
    assert (saved.linkedid, saved.text, saved.at) == (floor.call, note, START)
    assert saved.user_id == web_users["agent"].id and saved.agent_id == floor.agent_id
    assert saved.interaction_id == interaction_id is not None
    assert audited == []
    text = flashed(client)
    assert "Saved for the call." in text
    assert "Promised a refund &lt;b&gt;today&lt;/b&gt;; &#39; OR 1=1 --" in text


def test_a_note_on_a_call_not_recorded_yet_is_kept_by_the_calls_id(
    web_client: Clients, web_engine: Engine, feed: StaticLiveFeed, web_clock: FixedClock
) -> None:
    # The call's interactions row comes later (queue_log, CDR): the note waits under the id.
    feed.publish(agents=agent_live("talking", call="1700000099.5"))
    client = web_client("agent")
    post(client, "/desktop/call/wrap-up", {"note": "first"})
    web_clock.advance(minutes=1)
    post(client, "/desktop/call/wrap-up", {"note": "second\nline"})
    with session_of(web_engine) as session:
        saved = session.execute(
            select(CallNote.linkedid, CallNote.interaction_id, CallNote.text).order_by(CallNote.id)
        ).all()
    assert saved == [("1700000099.5", None, "first"), ("1700000099.5", None, "second\nline")]
    text = flashed(client)
    assert text.index("second") < text.index("first")  # newest first


def test_a_note_longer_than_2000_characters_is_cut_to_2000(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    post(web_client("agent"), "/desktop/call/wrap-up", {"note": "x" * 2500})
    with session_of(web_engine) as session:
        assert session.scalars(select(CallNote.text)).one() == "x" * 2000


def other_agents_client(web_app: Flask, web_engine: Engine) -> FlaskClient:
    """Agent 1002's own user, logged in."""
    with session_of(web_engine) as session:
        user = create_user(
            session,
            username="bo",
            password="bo-password-123",
            role="agent",
            agent_login=OTHER_LOGIN,
        )
        session.commit()
        bo = WebUser(user.id, "bo", "bo-password-123", "agent")
    client = web_app.test_client()
    assert log_in(client, bo).status_code == 302
    return client


def test_an_agent_never_sees_another_agents_notes(
    web_app: Flask,
    web_client: Clients,
    web_engine: Engine,
    floor: Floor,
    feed: StaticLiveFeed,
) -> None:
    earlier = "1690000000.7"  # the customer's earlier call, in both agents' screen pops
    with session_of(web_engine) as session:
        ann = session.scalars(select(User).where(User.username == "agent")).one()
        add_call_note(
            session,
            linkedid=earlier,
            user_id=ann.id,
            agent_id=floor.agent_id,
            text="Ann's note on the earlier call",
            at=START - timedelta(days=2),
        )
        session.commit()
    feed.publish(agents=agent_live("talking", call=floor.call))
    post(web_client("agent"), "/desktop/call/wrap-up", {"note": "Ann's note on this call"})

    # Agent 1002 then takes the same customer's call: neither note is theirs to read.
    feed.publish(agents=agent_live("talking", call=floor.call, login=OTHER_LOGIN))
    bo = other_agents_client(web_app, web_engine)
    text = bo.get("/desktop/").get_data(as_text=True)
    assert "Wang Fang" in text and "Recent calls" in text  # the pop is there...
    assert "Ann&#39;s note" not in text and "Ann's note" not in text  # ...without Ann's notes
    post(bo, "/desktop/call/wrap-up", {"note": "Bo's note"})
    text = bo.get("/desktop/").get_data(as_text=True)
    assert "Bo&#39;s note" in text and "Ann&#39;s note" not in text

    # Ann sees her own notes (this call's, and the earlier call's in the pop), not Bo's.
    feed.publish(agents=agent_live("talking", call=floor.call))
    text = web_client("agent").get("/desktop/").get_data(as_text=True)
    assert "Ann&#39;s note on this call" in text
    assert "Ann&#39;s note on the earlier call" in text and "Your notes" in text
    assert "Bo&#39;s note" not in text


def test_an_inbound_call_takes_only_inbound_dispositions(
    web_client: Clients, floor: Floor, feed: StaticLiveFeed, controller: FakeController
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    client = web_client("agent")
    response = post_json(client, "/desktop/call/wrap-up", {"disposition": "sale"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "Choose a disposition from the list for this call."
    response = post_json(client, "/desktop/call/wrap-up", {})
    assert response.status_code == 400
    assert controller.calls == []


def test_with_no_call_there_is_nothing_to_disposition(
    web_client: Clients, controller: FakeController
) -> None:
    response = post_json(web_client("agent"), "/desktop/call/wrap-up", {"disposition": "resolved"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "You have had no call yet."
    assert controller.calls == []


def test_between_calls_the_last_call_is_the_agents_own(
    web_client: Clients, web_engine: Engine, floor: Floor
) -> None:
    # The IVR's call became agent 1002's: agent 1001 has had no call of their own.
    with session_of(web_engine) as session:
        for call in session.scalars(select(Interaction)):
            call.agent_id = floor.other_agent_id
        session.commit()
    client = web_client("agent")
    text = flashed(client)
    assert "You have had no call yet." in text and "Wang Fang" not in text
    with session_of(web_engine) as session:
        call = session.scalars(select(Interaction).where(Interaction.linkedid == floor.call)).one()
        call.agent_id = floor.agent_id
        session.commit()
    text = flashed(client)
    assert "Last call" in text and "Wang Fang" in text


# --- callbacks ---------------------------------------------------------------------------------


def test_an_inbound_callers_callback_is_requested_for_the_agent(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    client = web_client("agent")
    # 2026-11-23 10:00 UTC is 18:00 in Shanghai: tomorrow 09:30 there is 01:30 UTC.
    response = post(
        client,
        "/desktop/callback",
        {"when": "2026-11-24T09:30", "queue": "support", "note": "after the bill arrives"},
    )
    assert response.status_code == 303
    assert "Callback planned for 2026-11-24 09:30." in flashed(client)
    with session_of(web_engine) as session:
        request = session.scalars(select(CallbackRequest)).one()
        assert request.phone_e164 == "+8613812345678"
        assert request.preferred_at == START.replace(day=24, hour=1, minute=30)
        assert request.agent_id == floor.agent_id and request.customer_id == floor.customer_id
        assert request.note == "after the bill arrives"
        assert request.status is CallbackStatus.PENDING and request.queue_id is not None
    # Asked again (from a script, for any agent): the open request is updated, not doubled.
    response = post_json(
        client, "/desktop/callback", {"when": "2026-11-24T11:00", "for_anyone": True}
    )
    assert response.status_code == 200
    with session_of(web_engine) as session:
        request = session.scalars(select(CallbackRequest)).one()
        assert request.agent_id is None
        assert request.preferred_at == START.replace(day=24, hour=3, minute=0)


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"when": "2026-11-23T17:00"}, "The callback time is in the past."),
        ({"when": "tomorrow"}, "Give the callback's date and time."),
        ({"when": "2027-06-01T10:00"}, "The callback time is more than 90 days ahead."),
        ({"when": "2026-11-24T09:30", "number": "' OR 1=1 --"}, "Give a valid phone number"),
        ({"when": "2026-11-24T09:30", "queue": "sales"}, "Choose the queue"),
    ],
)
def test_a_bad_callback_is_refused_and_nothing_is_saved(
    web_client: Clients,
    web_engine: Engine,
    floor: Floor,
    feed: StaticLiveFeed,
    form: dict[str, str],
    error: str,
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    response = post_json(web_client("agent"), "/desktop/callback", form)
    assert response.status_code == 400
    assert error in response.get_json()["error"]
    with session_of(web_engine) as session:
        assert session.scalars(select(CallbackRequest)).all() == []


def outbound_call(engine: Engine, floor: Floor) -> str:
    """A dialer call of the preview campaign, connected to agent 1001."""
    with session_of(engine) as session:
        lead = session.get(Lead, floor.lead_ids[0])
        assert lead is not None
        call = Interaction(
            uniqueid="dial-1",
            linkedid="dial-1",
            direction=CallDirection.OUTBOUND,
            campaign_id=floor.campaign_id,
            caller_e164="+8613900000001",
            started_at=START - timedelta(minutes=1),
        )
        session.add(call)
        session.flush()
        session.add(
            CallAttempt(
                campaign_id=floor.campaign_id,
                lead_id=lead.id,
                phone_e164="+8613900000001",
                interaction_id=call.id,
                started_at=START - timedelta(minutes=1),
                outcome=CallOutcome.HUMAN,
            )
        )
        session.commit()
    return "dial-1"


def test_an_outbound_callback_goes_to_the_controller_as_the_campaigns_disposition(
    web_client: Clients,
    web_engine: Engine,
    floor: Floor,
    feed: StaticLiveFeed,
    controller: FakeController,
) -> None:
    feed.publish(agents=agent_live("talking", call=outbound_call(web_engine, floor)))
    client = web_client("agent")
    text = flashed(client)
    assert 'value="sale" data-kind="outbound">' in text
    assert 'value="resolved" data-kind="inbound" hidden disabled>' in text
    response = post(client, "/desktop/callback", {"when": "2026-11-24T09:30", "for_anyone": "1"})
    assert response.status_code == 303
    assert controller.calls == [
        (
            LOGIN,
            "disposition",
            {
                "disposition": "callback",
                "callback_at": "2026-11-24T01:30:00+00:00",
                "callback_for_anyone": True,
            },
        )
    ]
    # A callback disposition needs its time: it is not taken from the disposition list.
    response = post_json(client, "/desktop/call/wrap-up", {"disposition": "callback"})
    assert response.status_code == 400
    assert post_json(client, "/desktop/call/wrap-up", {"disposition": "sale"}).status_code == 200
    assert controller.calls[-1] == (LOGIN, "disposition", {"disposition": "sale"})
    with session_of(web_engine) as session:
        assert session.scalars(select(CallbackRequest)).all() == []


# --- transfers ---------------------------------------------------------------------------------


def test_a_call_is_transferred_to_a_queue_and_a_number_needs_a_context(
    web_client: Clients, floor: Floor, controller: FakeController
) -> None:
    client = web_client("agent")
    response = post(client, "/desktop/transfer", {"kind": "queue", "target": "sales"})
    assert response.status_code == 303
    assert controller.calls == [
        (LOGIN, "transfer", {"context": "asterisk-cc-queue", "extension": "sales"})
    ]
    assert "The call is transferred to sales." in flashed(client)
    for form in (
        {"kind": "queue", "target": "nowhere"},
        {"kind": "queue", "target": "sales;Dial(x)"},
        {"kind": "number", "target": "1234,Hangup"},
        {"kind": "fax", "target": "1"},
    ):
        assert post_json(client, "/desktop/transfer", form).status_code == 400, form
    # This site has no context for numbers: refused with the reason.
    response = post_json(client, "/desktop/transfer", {"kind": "number", "target": "8001"})
    assert response.status_code == 409
    assert "not set up" in response.get_json()["error"]
    assert len(controller.calls) == 1


def test_a_number_is_transferred_in_the_sites_transfer_context(
    web_app: Flask, web_client: Clients, floor: Floor, controller: FakeController
) -> None:
    context = web_app.extensions["asterisk_cc"]
    context.settings = dataclasses.replace(
        context.settings,
        web=dataclasses.replace(context.settings.web, transfer_context="from-internal"),
    )
    client = web_client("agent")
    assert (
        post_json(client, "/desktop/transfer", {"kind": "number", "target": "8001"}).status_code
        == 200
    )
    assert controller.calls == [
        (LOGIN, "transfer", {"context": "from-internal", "extension": "8001"})
    ]


# --- complaints --------------------------------------------------------------------------------


def test_a_complaint_is_opened_for_the_current_callers_customer(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    client = web_client("agent")
    description = "<script>alert(1)</script> ' OR 1=1 --"
    response = post_json(
        client, "/desktop/complaints", {"description": description, "category": "billing"}
    )
    assert response.status_code == 200
    ticket_id = response.get_json()["ticket_id"]
    with session_of(web_engine) as session:
        ticket = session.get(ComplaintTicket, ticket_id)
        assert ticket is not None
        assert ticket.description == description and ticket.category == "billing"
        assert ticket.customer_id == floor.customer_id
        assert ticket.owner_agent_id == floor.agent_id
        assert ticket.caller_e164 == "+8613812345678"
        assert ticket.interaction_id is not None and ticket.state is TicketState.RECEIVED
        assert [e.to_state for e in ticket.events] == [TicketState.RECEIVED]
        # Due [ivr] complaint_due_hours (24 by default) after it was received, as from the IVR.
        assert ticket.due_at is not None
        assert ticket.due_at - ticket.received_at == timedelta(hours=24)
    text = flashed(client)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # in "My open complaints"
    assert post_json(client, "/desktop/complaints", {"description": " "}).status_code == 400


def test_a_complaint_moves_only_as_its_workflow_allows(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    client = web_client("agent")
    url = f"/desktop/complaints/{floor.ticket_id}/move"
    response = post(client, url, {"target": "confirmed", "note": "checked the bill"})
    assert response.status_code == 303
    assert f"Complaint {floor.ticket_id} is now Confirmed." in flashed(client)
    response = post_json(client, url, {"target": "follow_up"})
    assert response.status_code == 409
    assert "cannot move from Confirmed to Follow-up" in response.get_json()["error"]
    assert post_json(client, url, {"target": "' OR 1=1 --"}).status_code == 400
    with session_of(web_engine) as session:
        ticket = session.get(ComplaintTicket, floor.ticket_id)
        assert ticket is not None and ticket.state is TicketState.CONFIRMED
        assert [(e.to_state, e.note) for e in ticket.events] == [
            (TicketState.RECEIVED, None),
            (TicketState.CONFIRMED, "checked the bill"),
        ]


def test_an_agent_cannot_touch_another_agents_ticket(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    feed.publish(agents=agent_live("talking", call=floor.call))
    client = web_client("agent")
    assert f"#{floor.other_ticket_id}" not in flashed(client)
    url = f"/desktop/complaints/{floor.other_ticket_id}/move"
    assert post(client, url, {"target": "confirmed"}).status_code == 404
    assert (
        post(client, "/desktop/complaints/999999/move", {"target": "confirmed"}).status_code == 404
    )
    # The caller's own ticket is the agent's to work only while that caller is their call.
    feed.publish(agents=agent_live("ready"))
    url = f"/desktop/complaints/{floor.ticket_id}/move"
    assert post(client, url, {"target": "confirmed"}).status_code == 404
    with session_of(web_engine) as session:
        states = {t.id: t.state for t in session.scalars(select(ComplaintTicket))}
    assert states == {
        floor.ticket_id: TicketState.RECEIVED,
        floor.other_ticket_id: TicketState.RECEIVED,
    }


# --- preview dialing ---------------------------------------------------------------------------


def lead_of(engine: Engine, lead_id: int) -> Lead:
    with session_of(engine) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead


def test_the_next_preview_lead_is_held_for_the_agent_and_shown(
    web_client: Clients, web_engine: Engine, floor: Floor
) -> None:
    client = web_client("agent")
    text = flashed(client)
    assert "Renewals" in text and "Next lead" in text
    response = post_json(client, f"/desktop/preview/{floor.campaign_id}/next")
    assert response.status_code == 200
    first = floor.lead_ids[0]
    assert response.get_json()["lead_id"] == first
    lead = lead_of(web_engine, first)
    assert lead.status is LeadStatus.DIALING and lead.locked_by == PREVIEW_PREFIX + LOGIN
    text = flashed(client)
    assert "Zhou Jie" in text and "+8613900000001" in text and "Sun Li" not in text
    # One lead at a time.
    response = post_json(client, f"/desktop/preview/{floor.campaign_id}/next")
    assert response.status_code == 409
    assert lead_of(web_engine, floor.lead_ids[1]).status is LeadStatus.PENDING


def test_a_skipped_lead_comes_back_in_an_hour_with_the_reason_audited(
    web_client: Clients, web_engine: Engine, floor: Floor
) -> None:
    client = web_client("agent")
    post(client, f"/desktop/preview/{floor.campaign_id}/next")
    first = floor.lead_ids[0]
    assert (
        post_json(client, f"/desktop/preview/leads/{first}/skip", {"reason": ""}).status_code == 400
    )
    response = post(client, f"/desktop/preview/leads/{first}/skip", {"reason": "' OR 1=1 --"})
    assert response.status_code == 303
    lead = lead_of(web_engine, first)
    assert lead.status is LeadStatus.PENDING and lead.locked_by is None
    assert lead.next_attempt_at == START + timedelta(hours=1)
    with session_of(web_engine) as session:
        entry = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "lead.skip")
        ).one()
    assert entry.details == {"reason": "' OR 1=1 --", "agent": LOGIN}


def test_a_dialled_lead_is_handed_to_the_dialer_for_this_agent(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    client = web_client("agent")
    post(client, f"/desktop/preview/{floor.campaign_id}/next")
    first = floor.lead_ids[0]
    response = post_json(client, f"/desktop/preview/leads/{first}/dial")
    assert response.status_code == 409  # logged out: the call could not reach the agent
    assert lead_of(web_engine, first).locked_by == PREVIEW_PREFIX + LOGIN
    feed.publish(agents=agent_live("ready"))
    assert post(client, f"/desktop/preview/leads/{first}/dial").status_code == 303
    assert lead_of(web_engine, first).locked_by == PREVIEW_DIAL_PREFIX + LOGIN
    assert "Dialling…" in flashed(client)


def test_an_agent_cannot_take_dial_or_skip_another_agents_lead_or_campaign(
    web_client: Clients, web_engine: Engine, floor: Floor, feed: StaticLiveFeed
) -> None:
    feed.publish(agents=agent_live("ready"))
    with session_of(web_engine) as session:
        lead = session.get(Lead, floor.lead_ids[1])
        assert lead is not None
        lead.status, lead.locked_by, lead.locked_at = (
            LeadStatus.DIALING,
            PREVIEW_PREFIX + OTHER_LOGIN,
            START,
        )
        theirs = Campaign(name="Theirs", dial_mode=DialMode.PREVIEW, status=CampaignStatus.ACTIVE)
        session.add(theirs)
        session.flush()
        session.add(CampaignAgent(campaign_id=theirs.id, agent_id=floor.other_agent_id))
        session.commit()
        theirs_id = theirs.id
    client = web_client("agent")
    other = floor.lead_ids[1]
    assert post(client, f"/desktop/preview/leads/{other}/dial").status_code == 404
    assert post(client, f"/desktop/preview/leads/{other}/skip", {"reason": "x"}).status_code == 404
    assert post(client, f"/desktop/preview/{theirs_id}/next").status_code == 404
    assert "Theirs" not in flashed(client)
    assert lead_of(web_engine, other).locked_by == PREVIEW_PREFIX + OTHER_LOGIN


def test_a_script_in_a_lead_field_is_shown_as_text(
    web_client: Clients, web_engine: Engine, floor: Floor
) -> None:
    with session_of(web_engine) as session:
        lead = session.get(Lead, floor.lead_ids[0])
        assert lead is not None
        lead.fields = {"name": "<script>alert(1)</script>", "<img src=x>": "x"}
        session.commit()
    client = web_client("agent")
    post(client, f"/desktop/preview/{floor.campaign_id}/next")
    text = flashed(client)
    assert "<script>alert(1)</script>" not in text and "<img src=x>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_desktop_lists_leads_phones_in_order(
    web_client: Clients, web_engine: Engine, floor: Floor
) -> None:
    with session_of(web_engine) as session:
        session.add(LeadPhone(lead_id=floor.lead_ids[0], phone_e164="+8613900000009", position=1))
        session.commit()
    client = web_client("agent")
    post(client, f"/desktop/preview/{floor.campaign_id}/next")
    assert "+8613900000001, +8613900000009" in flashed(client)
