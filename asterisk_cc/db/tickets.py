"""Complaint tickets in the database: the moves of :mod:`asterisk_cc.core.tickets`, persisted
with the time of each stage and one history event per move."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from asterisk_cc.core.tickets import TicketProgress, TicketState, open_ticket, transition
from asterisk_cc.db.models import ComplaintTicket, TicketEvent

__all__ = ["move_ticket", "open_complaint", "progress_of"]

_STAMPS = ("received_at", "confirmed_at", "planned_at", "executing_at", "follow_up_at", "closed_at")


def progress_of(ticket: ComplaintTicket) -> TicketProgress:
    """The ticket's place in the workflow, as the pure state machine sees it."""
    return TicketProgress(
        state=TicketState(ticket.state),
        received_at=ticket.received_at,
        confirmed_at=ticket.confirmed_at,
        planned_at=ticket.planned_at,
        executing_at=ticket.executing_at,
        follow_up_at=ticket.follow_up_at,
        closed_at=ticket.closed_at,
        reopen_count=ticket.reopen_count,
    )


def open_complaint(
    session: Session,
    *,
    description: str,
    now: datetime,
    user_id: int | None = None,
    **fields: object,
) -> ComplaintTicket:
    """Record a new complaint, received at ``now``; ``fields`` are other ticket columns
    (customer_id, interaction_id, owner_agent_id, caller_e164, category, recording_ref, due_at).
    """
    progress = open_ticket(now)
    ticket = ComplaintTicket(
        description=description,
        state=progress.state,
        received_at=progress.received_at,
        reopen_count=0,
        **fields,
    )
    ticket.events.append(
        TicketEvent(at=now, from_state=None, to_state=progress.state, user_id=user_id)
    )
    session.add(ticket)
    return ticket


def move_ticket(
    session: Session,
    ticket: ComplaintTicket,
    target: TicketState,
    now: datetime,
    *,
    user_id: int | None = None,
    note: str | None = None,
) -> TicketEvent:
    """Move the ticket to ``target`` at ``now`` (IllegalTransition if the workflow forbids it),
    updating its stage times and adding the event to its history."""
    before = progress_of(ticket)
    after = transition(before, target, now)
    ticket.state = after.state
    for stamp in _STAMPS:
        setattr(ticket, stamp, getattr(after, stamp))
    ticket.reopen_count = after.reopen_count
    event = TicketEvent(
        at=now, from_state=before.state, to_state=after.state, user_id=user_id, note=note
    )
    ticket.events.append(event)
    session.add(ticket)
    return event
