"""What the agent desktop reads from the database, always for one agent: the call they are on
or last had, their notes on calls, their complaint tickets, their preview campaigns and the
lead they hold.

Every function takes the agent from its arguments (the desktop passes the signed-in user's
agent), so an id sent by a browser is only ever looked up *within* that agent's own work.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.core.tickets import TicketState
from asterisk_cc.core.vocabulary import CampaignStatus, DialMode, LeadStatus
from asterisk_cc.db.agents import agent_profile, wrapup_limit_s
from asterisk_cc.db.call_notes import NoteRow, notes_of_user, notes_of_user_on_calls
from asterisk_cc.db.campaigns import campaign_agent_ids
from asterisk_cc.db.models import (
    Agent,
    CallAttempt,
    Campaign,
    ComplaintTicket,
    Customer,
    Interaction,
    Lead,
    Queue,
)
from asterisk_cc.db.preview import PREVIEW_DIAL_PREFIX, PREVIEW_PREFIX, PreviewLead
from asterisk_cc.db.preview import next_preview_lead as _held_or_next

MY_TICKETS_LIMIT: Final = 20
NOTES_LIMIT: Final = 10
RECENT_NOTES_PER_CALL: Final = 3


@dataclass(frozen=True)
class WorkingCall:
    """The call the agent's dispositions, notes, callbacks and complaints are about: the one
    they are on, else the last one they took."""

    linkedid: str
    current: bool
    interaction_id: int | None = None
    customer_id: int | None = None
    customer_name: str | None = None
    caller: str | None = None
    caller_e164: str | None = None
    queue_id: int | None = None
    queue_name: str | None = None
    started_at: datetime | None = None
    disposition: str | None = None
    outbound: bool = False
    """A dialer's call (it has a lead): the campaign's dispositions apply."""


def working_call(session: Session, agent_id: int, live_call: str | None) -> WorkingCall | None:
    """The agent's current call (``live_call``, the linkedid the live state gives for this
    agent) or, between calls, the last call whose interaction names the agent."""
    query = select(Interaction, Queue.name, Customer.name).outerjoin(
        Queue, Queue.id == Interaction.queue_id
    )
    query = query.outerjoin(Customer, Customer.id == Interaction.customer_id)
    if live_call:
        row = session.execute(query.where(Interaction.linkedid == live_call)).first()
        if row is None:  # not recorded yet: the call is known only by its id
            return WorkingCall(linkedid=live_call, current=True)
    else:
        row = session.execute(
            query.where(Interaction.agent_id == agent_id)
            .order_by(Interaction.started_at.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
    call: Interaction = row[0]
    outbound = call.campaign_id is not None and (
        session.scalar(select(CallAttempt.id).where(CallAttempt.interaction_id == call.id).limit(1))
        is not None
    )
    return WorkingCall(
        linkedid=call.linkedid,
        current=bool(live_call),
        interaction_id=call.id,
        customer_id=call.customer_id,
        customer_name=row[2],
        caller=call.caller_e164 or call.caller_number,
        caller_e164=call.caller_e164,
        queue_id=call.queue_id,
        queue_name=row[1],
        started_at=call.started_at,
        disposition=call.disposition,
        outbound=outbound,
    )


def agent_phone(session: Session, agent_id: int) -> str | None:
    """The endpoint the controller calls for a log-in from the desktop (``PJSIP/1001``)."""
    return session.scalar(select(Agent.interface).where(Agent.id == agent_id))


def agent_queues(session: Session, login: str) -> list[str]:
    """The queues the agent serves (by skill), by name."""
    profile = agent_profile(session, login)
    return [name for name, _ in profile.queues] if profile else []


def transfer_queues(session: Session) -> list[str]:
    """Every active queue: a caller may be sent to any of them."""
    return list(
        session.scalars(select(Queue.name).where(Queue.active.is_(True)).order_by(Queue.name))
    )


def queue_by_name(session: Session, name: str) -> int | None:
    return session.scalar(select(Queue.id).where(Queue.name == name, Queue.active.is_(True)))


def wrapup_limit_of_last_call(session: Session, agent_id: int) -> int:
    """The wrap-up time the queue of the agent's last call allows, in seconds."""
    queue = session.scalar(
        select(Queue.name)
        .join(Interaction, Interaction.queue_id == Queue.id)
        .where(Interaction.agent_id == agent_id)
        .order_by(Interaction.started_at.desc())
        .limit(1)
    )
    return wrapup_limit_s(session, queue)


# --- complaint tickets -------------------------------------------------------------------------


def my_open_tickets(session: Session, agent_id: int) -> list[ComplaintTicket]:
    """The open complaints the agent owns, oldest due first."""
    return list(
        session.scalars(
            select(ComplaintTicket)
            .where(
                ComplaintTicket.owner_agent_id == agent_id,
                ComplaintTicket.state != TicketState.CLOSED,
            )
            .order_by(ComplaintTicket.received_at)
            .limit(MY_TICKETS_LIMIT)
        )
    )


def ticket_of_agent(
    session: Session, ticket_id: int, agent_id: int, call: WorkingCall | None
) -> ComplaintTicket:
    """The complaint ``ticket_id`` if it is the agent's to work: one they own, or one of the
    customer on their current or last call (the screen pop shows those). LookupError for any
    other, so another agent's ticket looks the same as no ticket."""
    ticket = session.get(ComplaintTicket, ticket_id)
    if ticket is None:
        raise LookupError(f"no complaint {ticket_id}")
    mine = ticket.owner_agent_id == agent_id
    of_my_caller = (
        call is not None and call.customer_id is not None and ticket.customer_id == call.customer_id
    )
    if not (mine or of_my_caller):
        raise LookupError(f"no complaint {ticket_id}")
    return ticket


# --- preview dialing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldLead:
    lead: PreviewLead
    campaign: str
    dialing: bool
    """The agent asked to dial it: the dialer places the call on its next tick."""


def preview_campaigns(session: Session, agent_id: int) -> list[tuple[int, str]]:
    """The running preview campaigns the agent works, as (id, name)."""
    campaigns = session.execute(
        select(Campaign.id, Campaign.name)
        .where(
            Campaign.dial_mode == DialMode.PREVIEW,
            Campaign.status == CampaignStatus.ACTIVE,
            Campaign.purpose == "list",
        )
        .order_by(Campaign.name)
    ).all()
    return [(c.id, c.name) for c in campaigns if agent_id in campaign_agent_ids(session, c.id)]


def held_lead(session: Session, login: str, now: datetime) -> HeldLead | None:
    """The lead the agent is previewing or has asked to dial, with its fields and history;
    nothing is claimed here."""
    # Leads are looked up by campaign and status (the dialers' index), never by scanning all.
    previews = select(Campaign.id).where(Campaign.dial_mode == DialMode.PREVIEW)
    lead = session.scalars(
        select(Lead)
        .where(
            Lead.campaign_id.in_(previews.scalar_subquery()),
            Lead.status == LeadStatus.DIALING,
            Lead.locked_by.in_([PREVIEW_PREFIX + login, PREVIEW_DIAL_PREFIX + login]),
        )
        .order_by(Lead.locked_at)
        .limit(1)
    ).first()
    if lead is None:
        return None
    dialing = lead.locked_by == PREVIEW_DIAL_PREFIX + login
    campaign = session.scalar(select(Campaign.name).where(Campaign.id == lead.campaign_id)) or ""
    if not dialing:
        preview = _held_or_next(session, lead.campaign_id, login, now)  # the held one: no claim
        if preview is not None:
            return HeldLead(preview, campaign, dialing=False)
    return HeldLead(
        PreviewLead(
            lead_id=lead.id,
            campaign_id=lead.campaign_id,
            fields=dict(lead.fields or {}),
            phones=[p.phone_e164 for p in lead.phones],
            attempts=lead.attempts,
            history=[],
        ),
        campaign,
        dialing=True,
    )


# --- call notes --------------------------------------------------------------------------------


def call_notes(session: Session, user_id: int, call: WorkingCall) -> list[NoteRow]:
    """The notes the user wrote on the call, newest first: never another user's."""
    return notes_of_user(session, call.linkedid, user_id, NOTES_LIMIT)


def recent_call_notes(
    session: Session, user_id: int, linkedids: Collection[str]
) -> dict[str, list[NoteRow]]:
    """The user's own last notes on each of the screen pop's recent calls (one query)."""
    return notes_of_user_on_calls(session, linkedids, user_id, RECENT_NOTES_PER_CALL)
