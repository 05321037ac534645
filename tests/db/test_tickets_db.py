"""Complaint tickets: every move of the state machine is stored with its time and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from asterisk_cc.core.tickets import IllegalTransition, TicketState
from asterisk_cc.db.models import ComplaintTicket, Customer, TicketEvent
from asterisk_cc.db.tickets import move_ticket, open_complaint, progress_of

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
S = TicketState


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def test_the_workflow_is_persisted_with_stage_times_and_history(db_session: Session) -> None:
    customer = Customer(name="Wang Fang")
    db_session.add(customer)
    db_session.flush()
    ticket = open_complaint(
        db_session,
        description="billed twice",
        now=T0,
        customer_id=customer.id,
        caller_e164="+8613812345678",
        due_at=hours(48),
    )
    db_session.commit()
    for n, target in enumerate([S.CONFIRMED, S.PLANNED, S.EXECUTING, S.FOLLOW_UP], start=1):
        move_ticket(db_session, ticket, target, hours(n), note=f"step {n}")
        db_session.commit()
    move_ticket(db_session, ticket, S.EXECUTING, hours(5), note="customer not satisfied")
    move_ticket(db_session, ticket, S.FOLLOW_UP, hours(6))
    move_ticket(db_session, ticket, S.CLOSED, hours(7))
    db_session.commit()

    db_session.expire_all()
    stored = db_session.scalars(
        select(ComplaintTicket).where(ComplaintTicket.id == ticket.id)
    ).one()
    assert stored.state is S.CLOSED
    assert (stored.received_at, stored.confirmed_at, stored.planned_at) == (T0, hours(1), hours(2))
    assert (stored.executing_at, stored.follow_up_at, stored.closed_at) == (
        hours(5),
        hours(6),
        hours(7),
    )
    assert stored.due_at == hours(48) and stored.reopen_count == 1
    assert all(t.tzinfo is not None for t in (stored.received_at, stored.closed_at))  # type: ignore[union-attr]
    history = [(e.from_state, e.to_state, e.at) for e in stored.events]
    assert history == [
        (None, S.RECEIVED, T0),
        (S.RECEIVED, S.CONFIRMED, hours(1)),
        (S.CONFIRMED, S.PLANNED, hours(2)),
        (S.PLANNED, S.EXECUTING, hours(3)),
        (S.EXECUTING, S.FOLLOW_UP, hours(4)),
        (S.FOLLOW_UP, S.EXECUTING, hours(5)),
        (S.EXECUTING, S.FOLLOW_UP, hours(6)),
        (S.FOLLOW_UP, S.CLOSED, hours(7)),
    ]
    assert stored.events[5].note == "customer not satisfied"
    assert progress_of(stored).is_open is False


def test_an_illegal_move_changes_nothing(db_session: Session) -> None:
    ticket = open_complaint(db_session, description="rude agent", now=T0)
    db_session.commit()
    with pytest.raises(IllegalTransition, match="from received to executing"):
        move_ticket(db_session, ticket, S.EXECUTING, hours(1))
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(ComplaintTicket, ticket.id)
    assert stored is not None and stored.state is S.RECEIVED and stored.executing_at is None
    count = db_session.scalar(
        select(TicketEvent.id)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())
    )
    assert count is not None and len(stored.events) == 1


def test_the_database_refuses_a_closed_ticket_without_a_close_time(db_session: Session) -> None:
    ticket = open_complaint(db_session, description="lost parcel", now=T0)
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(
            text("UPDATE complaint_tickets SET state = 'closed' WHERE id = :id"), {"id": ticket.id}
        )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(
            text("UPDATE complaint_tickets SET state = 'solved' WHERE id = :id"), {"id": ticket.id}
        )
