"""What the IVR writes and reads besides customers: the call, callbacks, surveys, tickets.

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the commit to the caller, so
the IVR can record one step of a call in one transaction. The writes are safe to repeat: a
caller who goes through the IVR twice in one call keeps one interaction, asks for one callback
and answers each survey question once. Where two processes may create the same row at the same
time (a queue the database has not seen yet, an interaction), the insert runs in a SAVEPOINT:
the loser rolls back only the savepoint, reads the winner's row, and its own transaction goes
on.

On SQLite a transaction that has read and then writes while another process writes fails
with "database is locked" instead of waiting; processes that call these functions there use
``session_factory(engine, immediate=True)`` (see docs/database.md).

Complaints are opened with :func:`asterisk_cc.db.tickets.open_complaint`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Final, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from asterisk_cc.core.customers import Tier
from asterisk_cc.core.vocabulary import CallbackStatus, CallDirection
from asterisk_cc.db.models import (
    Agent,
    CallbackRequest,
    ComplaintTicket,
    Interaction,
    Queue,
    SurveyAnswer,
)

__all__ = [
    "OPEN_CALLBACK_STATUSES",
    "latest_ticket",
    "open_interaction",
    "queue_id",
    "request_callback",
    "save_survey_answer",
]

OPEN_CALLBACK_STATUSES: Final = (
    CallbackStatus.PENDING,
    CallbackStatus.SCHEDULED,
    CallbackStatus.IN_PROGRESS,
)
"""A callback request in one of these states is still to be made: asking again joins it."""

_E164: Final = re.compile(r"^\+[1-9][0-9]{6,14}$")

_Row = TypeVar("_Row")


def _insert_or_read(
    session: Session, row: _Row, read: Callable[[], _Row | None]
) -> tuple[_Row, bool]:
    """Insert ``row`` in a SAVEPOINT; if a unique key says another transaction got there first,
    roll back the savepoint only and return ``read()`` instead. ``(row, True)`` if inserted.

    Any other integrity error (a foreign key, a CHECK) finds nothing to read and is raised.
    """
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = read()
        if existing is None:
            raise
        return existing, False
    return row, True


# --- queues ----------------------------------------------------------------------------------


def queue_id(session: Session, name: str) -> int:
    """The id of the ``queues`` row for the app_queue queue ``name`` (its name in queues.conf),
    created with the default targets if the database has not seen it yet.

    Queues are declared in Asterisk, not in the database, so the first call through a new queue
    creates its row (its service-level targets are edited later in the dashboard). Two
    processes meeting a new queue at once both get the one row: on PostgreSQL the second insert
    waits for the first transaction and, once it commits, reads its row.
    """
    name = name.strip()
    if not name:
        raise ValueError("a queue name is needed (the app_queue queue, as in queues.conf)")

    found = session.scalar(select(Queue.id).where(Queue.name == name))
    if found is not None:
        return found

    def read() -> Queue | None:
        return session.scalars(select(Queue).where(Queue.name == name)).one_or_none()

    queue, _ = _insert_or_read(session, Queue(name=name), read)
    return queue.id


# --- the call ----------------------------------------------------------------------------------


def open_interaction(
    session: Session,
    *,
    uniqueid: str,
    linkedid: str,
    caller_number: str | None,
    caller_e164: str | None,
    customer_id: int | None,
    customer_tier: Tier | None,
    queue_name: str | None,
    started_at: datetime,
) -> Interaction:
    """The inbound call ``linkedid`` as the KPI reports count it: created on the IVR's first
    visit, updated on the next ones.

    A caller who goes through the IVR twice in one call (a transfer back to the menu, a second
    flow) keeps one interaction: what the later visit learnt (the queue it sends the caller to,
    a customer identified by an account number) replaces what the row had; what it did not
    learn (None) leaves the row as it was. The call's start, first channel and caller stay.

    ``customer_id`` is a built-in CRM customer (``customers.id``); callers with another CRM
    pass None and their tier, which the row keeps as it was at call time.
    """
    if not linkedid:
        raise ValueError("an interaction needs the call's linkedid")
    queue = queue_id(session, queue_name) if queue_name else None

    def read() -> Interaction | None:
        return session.scalars(
            select(Interaction).where(Interaction.linkedid == linkedid)
        ).one_or_none()

    existing = read()
    if existing is None:
        new = Interaction(
            uniqueid=uniqueid,
            linkedid=linkedid,
            direction=CallDirection.INBOUND,
            caller_number=caller_number or None,
            caller_e164=caller_e164,
            customer_id=customer_id,
            customer_tier=customer_tier,
            queue_id=queue,
            started_at=started_at,
        )
        interaction, inserted = _insert_or_read(session, new, read)
        if inserted:
            return interaction
        existing = interaction
    if queue is not None:
        existing.queue_id = queue
    if customer_id is not None:
        existing.customer_id = customer_id
    if customer_tier is not None:
        existing.customer_tier = customer_tier
    if existing.caller_number is None and caller_number:
        existing.caller_number = caller_number
    if existing.caller_e164 is None and caller_e164 is not None:
        existing.caller_e164 = caller_e164
    return existing


def _interaction_id(session: Session, linkedid: str | None) -> int | None:
    if not linkedid:
        return None
    return session.scalar(select(Interaction.id).where(Interaction.linkedid == linkedid))


# --- callbacks -------------------------------------------------------------------------------


def request_callback(
    session: Session,
    *,
    phone_e164: str,
    customer_id: int | None,
    queue_name: str | None,
    linkedid: str | None,
    requested_at: datetime,
    preferred_at: datetime | None = None,
) -> CallbackRequest:
    """Record that the caller at ``phone_e164`` wants to be called back, linked to the call
    ``linkedid`` when that call has an interaction.

    A number that already has a request still to be made (:data:`OPEN_CALLBACK_STATUSES`) gets
    that request back, not a second one: callbacks are made oldest first, so the caller keeps
    their place (the original ``requested_at``). A new ``preferred_at`` replaces the old one
    (the caller's latest wish); a customer, queue or call the open request lacks is filled in.
    """
    if not _E164.match(phone_e164):
        raise ValueError(f"a callback number must be E.164 (+8613812345678), not {phone_e164!r}")
    queue = queue_id(session, queue_name) if queue_name else None
    interaction = _interaction_id(session, linkedid)
    open_request = session.scalars(
        select(CallbackRequest)
        .where(
            CallbackRequest.phone_e164 == phone_e164,
            CallbackRequest.status.in_(OPEN_CALLBACK_STATUSES),
        )
        .order_by(CallbackRequest.requested_at, CallbackRequest.id)
        .limit(1)
    ).first()
    if open_request is not None:
        if preferred_at is not None:
            open_request.preferred_at = preferred_at
        if open_request.customer_id is None:
            open_request.customer_id = customer_id
        if open_request.queue_id is None:
            open_request.queue_id = queue
        if open_request.interaction_id is None:
            open_request.interaction_id = interaction
        return open_request
    request = CallbackRequest(
        phone_e164=phone_e164,
        customer_id=customer_id,
        queue_id=queue,
        interaction_id=interaction,
        requested_at=requested_at,
        preferred_at=preferred_at,
        status=CallbackStatus.PENDING,
        attempts=0,
    )
    session.add(request)
    session.flush()
    return request


# --- complaints --------------------------------------------------------------------------------


def latest_ticket(session: Session, customer_id: int) -> ComplaintTicket | None:
    """The customer's most recently received complaint ticket, whatever its state (the IVR
    tells the caller where their complaint stands), or None."""
    return session.scalars(
        select(ComplaintTicket)
        .where(ComplaintTicket.customer_id == customer_id)
        .order_by(ComplaintTicket.received_at.desc(), ComplaintTicket.id.desc())
        .limit(1)
    ).first()


# --- surveys -----------------------------------------------------------------------------------


def save_survey_answer(
    session: Session,
    *,
    linkedid: str,
    question: str,
    score: int,
    answered_at: datetime,
    agent_login: str | None,
    queue_name: str | None,
) -> SurveyAnswer:
    """Store the caller's post-call answer (1 = bad .. 5 = good) to ``question`` for the call
    ``linkedid``.

    The agent (by app_queue member name) and the queue are those the caller was surveyed
    about, for the per-agent and per-queue reports; without them, the call's own are used. A
    login the database does not know is stored as no agent rather than guessed. The customer is
    the call's. Answering the same question again in the same call replaces the score.

    Raises :class:`ValueError` for a score outside 1..5 and :class:`LookupError` when the call
    has no interaction (it must be opened with :func:`open_interaction` first).
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValueError(f"survey score {score!r} is outside 1..5")
    question = question.strip()
    if not question:
        raise ValueError("a survey answer needs the question it answers")
    interaction = session.scalars(
        select(Interaction).where(Interaction.linkedid == linkedid)
    ).one_or_none()
    if interaction is None:
        raise LookupError(
            f"no interaction for linkedid {linkedid!r}: the survey's call was never recorded "
            "(open_interaction must run when the call enters the IVR)"
        )
    if agent_login is not None:
        agent_id = session.scalar(select(Agent.id).where(Agent.login == agent_login.strip()))
    else:
        agent_id = interaction.agent_id
    queue = queue_id(session, queue_name) if queue_name else interaction.queue_id
    answer = session.scalars(
        select(SurveyAnswer).where(
            SurveyAnswer.interaction_id == interaction.id, SurveyAnswer.question == question
        )
    ).one_or_none()
    if answer is None:
        answer = SurveyAnswer(interaction_id=interaction.id, question=question)
        session.add(answer)
    answer.score = score
    answer.answered_at = answered_at
    answer.agent_id = agent_id
    answer.queue_id = queue
    answer.customer_id = interaction.customer_id
    session.flush()
    return answer
