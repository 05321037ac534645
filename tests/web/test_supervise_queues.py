"""The supervisor's complaints and callbacks queues: urgency order, SLA timers for a fixed
clock, filters and search, ticket moves with their history, assignment, callbacks done and
cancelled."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.core.sla import complaint_urgency
from asterisk_cc.core.tickets import TicketState
from asterisk_cc.core.vocabulary import CallbackStatus, DialMode, LeadStatus
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import (
    Agent,
    AuditLogEntry,
    CallbackRequest,
    Campaign,
    ComplaintTicket,
    Customer,
    Lead,
    TicketEvent,
)
from asterisk_cc.db.tickets import move_ticket, open_complaint
from tests.web_fixtures import START, WebUser, post

Clients = Callable[[str | None], FlaskClient]
SCRIPT = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"


def in_db(engine: Engine) -> Session:
    return session_factory(engine)()


def seed_tickets(engine: Engine) -> dict[str, int]:
    """Four open complaints and a closed one; → their ids by name."""
    with in_db(engine) as session:
        wang = Customer(name="Wang Fang")
        hacker = Customer(name=SCRIPT)
        session.add_all([wang, hacker])
        session.flush()

        def ticket(name: str, received: timedelta, due: timedelta | None, **fields: Any) -> Any:
            return open_complaint(
                session,
                description=fields.pop("description", f"complaint {name}"),
                now=START - received,
                due_at=START + due if due is not None else None,
                **fields,
            )

        tickets = {
            "no_deadline": ticket("no_deadline", timedelta(days=2), None, customer_id=wang.id),
            "due_in_2h": ticket(
                "due_in_2h", timedelta(hours=5), timedelta(hours=2), caller_e164="+8613800000001"
            ),
            "overdue_30m": ticket(
                "overdue_30m",
                timedelta(days=1),
                timedelta(minutes=-30),
                customer_id=hacker.id,
                description=f"the agent was rude {SCRIPT}",
                category="billing",
            ),
            "due_in_1d": ticket("due_in_1d", timedelta(hours=1), timedelta(days=1)),
            "closed": ticket("closed", timedelta(days=3), timedelta(days=-1)),
        }
        session.flush()
        move_ticket(session, tickets["closed"], TicketState.CLOSED, START - timedelta(days=2))
        session.commit()
        return {name: t.id for name, t in tickets.items()}


def order_of(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/supervise/complaints/(\d+)"', page)]


def test_open_complaints_come_most_urgent_first_with_their_sla_timers(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_tickets(web_engine)
    page = web_client("supervisor").get("/supervise/complaints").get_data(as_text=True)
    expected = [ids["overdue_30m"], ids["due_in_2h"], ids["due_in_1d"], ids["no_deadline"]]
    assert order_of(page) == expected
    # The same order as the pure urgency key.
    with in_db(web_engine) as session:
        open_tickets = session.scalars(
            select(ComplaintTicket).where(ComplaintTicket.state != TicketState.CLOSED)
        ).all()
        by_key = sorted(
            open_tickets, key=lambda t: complaint_urgency(t.due_at, t.received_at, t.id)
        )
        assert [t.id for t in by_key] == expected
    # Timers for the fixed clock, and the deadlines the browser keeps counting to.
    assert "overdue by 30:00" in page
    assert "2:00:00 left" in page and "24:00:00 left" in page
    assert f'data-deadline="{(START + timedelta(hours=2)).isoformat()}"' in page
    assert "No deadline" in page
    assert "4 open" in page and "1 overdue" in page
    # Caller-supplied text is shown escaped.
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_complaints_filter_by_stage_and_assignee_and_search(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_tickets(web_engine)
    with in_db(web_engine) as session:
        ticket = session.get(ComplaintTicket, ids["due_in_1d"])
        assert ticket is not None
        move_ticket(session, ticket, TicketState.CONFIRMED, START)
        ticket.owner_agent_id = session.scalar(select(Agent.id).where(Agent.login == "1001"))
        agent_id = ticket.owner_agent_id
        session.commit()
    client = web_client("supervisor")

    def listed(query: str) -> list[int]:
        return order_of(client.get(f"/supervise/complaints?{query}").get_data(as_text=True))

    assert listed("stage=confirmed") == [ids["due_in_1d"]]
    assert listed("stage=closed") == [ids["closed"]]
    assert listed(f"assignee={agent_id}") == [ids["due_in_1d"]]
    assert ids["due_in_1d"] not in listed("assignee=none")
    assert listed(f"q=%23{ids['due_in_2h']}") == [ids["due_in_2h"]]
    assert listed("q=wang") == [ids["no_deadline"]]
    assert listed("q=8613800000001") == [ids["due_in_2h"]]
    assert listed("q=billing") == [ids["overdue_30m"]]
    # SQL-looking input and wildcards are only text: they match nothing here.
    response = client.get("/supervise/complaints", query_string={"q": SQL})
    assert response.status_code == 200 and order_of(response.get_data(as_text=True)) == []
    assert "&#39; OR 1=1 --" in response.get_data(as_text=True)
    assert listed("q=%25") == [] and listed("q=_") == []


def test_the_complaints_list_pages(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    with in_db(web_engine) as session:
        for n in range(60):
            open_complaint(
                session,
                description=f"complaint {n}",
                now=START - timedelta(hours=1),
                due_at=START + timedelta(minutes=n),
            )
        session.commit()
    client = web_client("supervisor")
    first = client.get("/supervise/complaints").get_data(as_text=True)
    assert len(order_of(first)) == 50 and "page=2" in first
    second = client.get("/supervise/complaints?page=2").get_data(as_text=True)
    assert len(order_of(second)) == 10 and "page=3" not in second
    assert set(order_of(first)).isdisjoint(order_of(second))


def events_of(
    engine: Engine, ticket_id: int
) -> list[tuple[str | None, str, int | None, str | None]]:
    with in_db(engine) as session:
        return [
            (
                e.from_state.value if e.from_state else None,
                e.to_state.value,
                e.user_id,
                e.note,
            )
            for e in session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
        ]


def test_a_ticket_moves_only_as_the_workflow_allows_with_its_history(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_tickets(web_engine)
    ticket_id = ids["overdue_30m"]
    url = f"/supervise/complaints/{ticket_id}"
    client = web_client("supervisor")
    page = client.get(url).get_data(as_text=True)
    assert "Move to Confirmed" in page and "Move to Closed" in page
    assert "Move to Executing" not in page
    assert SCRIPT not in page and "the agent was rude &lt;script&gt;" in page

    # An illegal move (received → executing) is refused; nothing changes.
    response = post(client, f"{url}/move", {"target": "executing"})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "The complaint was not moved" in page and "from received it can go to" in page
    supervisor = web_users["supervisor"].id
    assert events_of(web_engine, ticket_id) == [(None, "received", None, None)]

    post(client, f"{url}/move", {"target": "confirmed", "note": "checked the recording"})
    post(client, f"{url}/move", {"target": "planned"})
    with in_db(web_engine) as session:
        ticket = session.get(ComplaintTicket, ticket_id)
        assert ticket is not None
        assert ticket.state == TicketState.PLANNED
        assert ticket.confirmed_at == START and ticket.planned_at == START
    assert events_of(web_engine, ticket_id)[1:] == [
        ("received", "confirmed", supervisor, "checked the recording"),
        ("confirmed", "planned", supervisor, None),
    ]
    page = client.get(url).get_data(as_text=True)
    assert f"Complaint #{ticket_id} moved to Planned." in page
    assert "checked the recording" in page and "Received → Confirmed" in page
    assert "Move to Executing" in page and "Move to Closed" not in page


def test_closing_after_the_follow_up_keeps_the_resolution_and_reopening_is_offered(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_tickets(web_engine)
    ticket_id = ids["due_in_2h"]
    url = f"/supervise/complaints/{ticket_id}"
    client = web_client("admin")
    for target in ("confirmed", "planned", "executing", "follow_up"):
        post(client, f"{url}/move", {"target": target})
    page = client.get(url).get_data(as_text=True)
    assert "Reopen: back to Executing" in page
    post(client, f"{url}/move", {"target": "closed", "note": f"refunded {SCRIPT}"})
    with in_db(web_engine) as session:
        ticket = session.get(ComplaintTicket, ticket_id)
        assert ticket is not None and ticket.state == TicketState.CLOSED
        assert ticket.closed_at == START and ticket.resolution == f"refunded {SCRIPT}"
    page = client.get(url).get_data(as_text=True)
    assert "The complaint is closed." in page and "refunded &lt;script&gt;" in page
    assert "No deadline" in page  # a closed ticket's timer stops


def test_a_ticket_is_assigned_and_given_a_deadline(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_tickets(web_engine)
    ticket_id = ids["no_deadline"]
    url = f"/supervise/complaints/{ticket_id}"
    client = web_client("supervisor")
    with in_db(web_engine) as session:
        agent_id = session.scalar(select(Agent.id).where(Agent.login == "1001"))
    post(client, f"{url}/assign", {"agent_id": str(agent_id)})
    post(client, f"{url}/assign", {"agent_id": "999"})
    assert "Choose an active agent." in client.get(url).get_data(as_text=True)
    # The deadline is typed in the site's time (Shanghai, UTC+8).
    post(client, f"{url}/due", {"due": "2026-11-24T18:00"})
    post(client, f"{url}/due", {"due": "tomorrow"})
    page = client.get(url).get_data(as_text=True)
    assert "The deadline tomorrow is not a date and time" in page
    with in_db(web_engine) as session:
        ticket = session.get(ComplaintTicket, ticket_id)
        assert ticket is not None
        assert ticket.owner_agent_id == agent_id
        assert ticket.due_at == datetime(2026, 11, 24, 10, 0, tzinfo=START.tzinfo)
        assert ticket.state == TicketState.RECEIVED
    notes = [note for _, _, _, note in events_of(web_engine, ticket_id)[1:]]
    assert notes == [
        "Assigned to 1001 Ann Agent.",
        "Deadline set to 2026-11-24 18:00 (Asia/Shanghai).",
    ]
    assert "24:00:00 left" in page and 'value="2026-11-24T18:00"' in page


def test_an_unknown_ticket_is_not_found(web_client: Clients, web_users: dict[str, WebUser]) -> None:
    client = web_client("supervisor")
    assert client.get("/supervise/complaints/4242").status_code == 404
    assert post(client, "/supervise/complaints/4242/move", {"target": "closed"}).status_code == 404


# --- callbacks ---------------------------------------------------------------------------------


def seed_callbacks(engine: Engine) -> dict[str, int]:
    with in_db(engine) as session:
        customer = Customer(name=SCRIPT)
        session.add(customer)
        session.flush()

        def request(
            phone: str, requested: timedelta, preferred: timedelta | None, **kw: Any
        ) -> CallbackRequest:
            callback = CallbackRequest(
                phone_e164=phone,
                requested_at=START - requested,
                preferred_at=START + preferred if preferred is not None else None,
                attempts=kw.pop("attempts", 0),
                status=kw.pop("status", CallbackStatus.PENDING),
                **kw,
            )
            session.add(callback)
            return callback

        callbacks = {
            "in_1h": request("+8613900000001", timedelta(minutes=5), timedelta(hours=1)),
            "asap": request("+8613900000002", timedelta(minutes=20), None, customer_id=customer.id),
            "dialling": request(
                "+8613900000003",
                timedelta(hours=2),
                timedelta(minutes=-90),
                status=CallbackStatus.IN_PROGRESS,
                attempts=2,
            ),
            "done": request("+8613900000004", timedelta(days=1), None, status=CallbackStatus.DONE),
        }
        session.flush()
        campaign = Campaign(
            name="callbacks-sales", purpose="callbacks", dial_mode=DialMode.PROGRESSIVE
        )
        session.add(campaign)
        session.flush()
        session.add(
            Lead(
                campaign_id=campaign.id,
                callback_request_id=callbacks["dialling"].id,
                status=LeadStatus.PENDING,
                next_attempt_at=START,
            )
        )
        session.commit()
        return {name: c.id for name, c in callbacks.items()}


def callback_order(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"<td>#(\d+)", page)]


def test_open_callbacks_come_by_due_time_with_their_timers(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_callbacks(web_engine)
    page = web_client("supervisor").get("/supervise/callbacks").get_data(as_text=True)
    assert callback_order(page) == [ids["dialling"], ids["asap"], ids["in_1h"]]
    assert "3 open" in page
    assert "overdue by 1:30:00" in page  # due 90 minutes ago
    assert "overdue by 20:00" in page  # asked to be called as soon as possible, 20 minutes ago
    assert "1:00:00 left" in page
    assert f'data-since="{(START - timedelta(minutes=20)).isoformat()}"' in page
    assert SCRIPT not in page and "&lt;script&gt;" in page
    closed = web_client("supervisor").get("/supervise/callbacks?status=done")
    assert callback_order(closed.get_data(as_text=True)) == [ids["done"]]


def test_callbacks_search_by_phone_or_customer_as_text(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_callbacks(web_engine)
    client = web_client("supervisor")

    def listed(q: str) -> list[int]:
        response = client.get("/supervise/callbacks", query_string={"q": q})
        assert response.status_code == 200
        return callback_order(response.get_data(as_text=True))

    assert listed("13900000001") == [ids["in_1h"]]
    assert listed("<script>") == [ids["asap"]]
    assert listed(SQL) == [] and listed("%") == []


def test_a_callback_marked_done_leaves_the_queue_and_the_dialler(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_callbacks(web_engine)
    client = web_client("supervisor")
    response = post(
        client,
        f"/supervise/callbacks/{ids['dialling']}/done",
        {"back": "/supervise/callbacks?q=139"},
    )
    assert response.headers["Location"] == "/supervise/callbacks?q=139"
    with in_db(web_engine) as session:
        callback = session.get(CallbackRequest, ids["dialling"])
        assert callback is not None
        assert callback.status == CallbackStatus.DONE and callback.fulfilled_at == START
        lead = session.scalar(select(Lead).where(Lead.callback_request_id == ids["dialling"]))
        assert lead is not None and lead.status == LeadStatus.CANCELLED
        entry = session.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "callback_done"))
        assert entry is not None and entry.target == f"callback:{ids['dialling']}"
        assert (entry.details or {})["lead_withdrawn"] is True
    page = client.get("/supervise/callbacks").get_data(as_text=True)
    assert ids["dialling"] not in callback_order(page)
    assert f"Callback #{ids['dialling']} is marked done." in page


def test_a_callback_is_cancelled_once(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_callbacks(web_engine)
    client = web_client("supervisor")
    post(client, f"/supervise/callbacks/{ids['asap']}/cancel")
    post(client, f"/supervise/callbacks/{ids['asap']}/cancel")
    post(client, f"/supervise/callbacks/{ids['done']}/done")
    page = client.get("/supervise/callbacks").get_data(as_text=True)
    assert f"Callback #{ids['asap']} is already Cancelled." in page
    assert f"Callback #{ids['done']} is already Done." in page
    with in_db(web_engine) as session:
        assert session.get(CallbackRequest, ids["asap"]).status == CallbackStatus.CANCELLED  # type: ignore[union-attr]
        actions = session.scalars(
            select(AuditLogEntry.action).where(AuditLogEntry.action.like("callback_%"))
        ).all()
    assert actions == ["callback_cancelled"]
    # The back link cannot send the browser off the supervisor's pages.
    response = post(
        client, f"/supervise/callbacks/{ids['in_1h']}/cancel", {"back": "//evil.example/"}
    )
    assert response.headers["Location"] == "/supervise/callbacks"


def test_a_callback_is_assigned_to_an_agent_and_its_lead_waits_for_them(
    web_client: Clients, web_users: dict[str, WebUser], web_engine: Engine
) -> None:
    ids = seed_callbacks(web_engine)
    client = web_client("supervisor")
    with in_db(web_engine) as session:
        agent_id = session.scalar(select(Agent.id).where(Agent.login == "1001"))
    post(client, f"/supervise/callbacks/{ids['dialling']}/assign", {"agent": "1001"})
    post(client, f"/supervise/callbacks/{ids['in_1h']}/assign", {"agent": "abc"})
    page = client.get("/supervise/callbacks").get_data(as_text=True)
    assert f"Callback #{ids['dialling']} is assigned to 1001 Ann Agent." in page
    assert "Choose an active agent." in page
    with in_db(web_engine) as session:
        assert session.get(CallbackRequest, ids["dialling"]).agent_id == agent_id  # type: ignore[union-attr]
        assert session.get(CallbackRequest, ids["in_1h"]).agent_id is None  # type: ignore[union-attr]
        lead = session.scalar(select(Lead).where(Lead.callback_request_id == ids["dialling"]))
        assert lead is not None and lead.callback_agent_id == agent_id
    mine = client.get(f"/supervise/callbacks?assignee={agent_id}").get_data(as_text=True)
    assert callback_order(mine) == [ids["dialling"]]
    post(client, f"/supervise/callbacks/{ids['dialling']}/assign", {"agent": ""})
    with in_db(web_engine) as session:
        assert session.get(CallbackRequest, ids["dialling"]).agent_id is None  # type: ignore[union-attr]
