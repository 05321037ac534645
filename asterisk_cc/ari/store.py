"""The ARI controller's database side: agents, their state records, the calls they take, and
what the agent's screen shows when a call arrives (the screen pop).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.core import agents as fsm
from asterisk_cc.core.tickets import TicketState
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.agents import (
    AgentProfile,
    agent_profile,
    check_agent_pin,
    complete_interaction,
    last_agent_states,
    record_agent_state,
    set_disposition,
    set_wrapup,
    wrapup_limit_s,
)
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.lead_outcomes import apply_disposition
from asterisk_cc.db.models import (
    Agent,
    CallAttempt,
    Campaign,
    ComplaintTicket,
    Customer,
    Interaction,
    IvrSession,
    Lead,
)

RECENT_CALLS = 5


def _lead_of(session: Session, interaction_id: int) -> dict[str, Any] | None:
    """An outbound call's lead, for the agent: its campaign, fields and earlier attempts."""
    attempt = session.scalars(
        select(CallAttempt).where(CallAttempt.interaction_id == interaction_id)
    ).first()
    lead = session.get(Lead, attempt.lead_id) if attempt else None
    if attempt is None or lead is None:
        return None
    campaign = session.get(Campaign, lead.campaign_id)
    return {
        "id": lead.id,
        "campaign": campaign.name if campaign else None,
        "phone": attempt.phone_e164,
        "fields": dict(lead.fields or {}),
        "attempts": lead.attempts,
    }


class DatabaseAgentStore:
    """:class:`asterisk_cc.ari.controller.AgentStore` over the shared database."""

    def __init__(self, engine: Engine) -> None:
        # Read-then-write transactions: on SQLite take the write lock at BEGIN.
        self.sessions: sessionmaker[Session] = session_factory(engine, immediate=True)

    def profile(self, login: str) -> AgentProfile | None:
        with self.sessions() as session:
            return agent_profile(session, login)

    def pin_ok(self, login: str, pin: str) -> bool:
        with self.sessions() as session:
            return check_agent_pin(session, login, pin) is not None

    def record_state(self, agent_id: int, record: fsm.RecordState, linkedid: str | None) -> None:
        with self.sessions.begin() as session:
            record_agent_state(
                session,
                agent_id=agent_id,
                state=record.state,
                reason=record.reason,
                at=record.at,
                queue_name=record.queue,
                linkedid=linkedid,
            )

    def last_states(self) -> dict[str, tuple[AgentState, str | None, datetime]]:
        """Each agent's newest state record (state, reason, time), by login."""
        with self.sessions() as session:
            newest = last_agent_states(session)
            logins = {
                agent_id: login
                for agent_id, login in session.execute(
                    select(Agent.id, Agent.login).where(Agent.id.in_(list(newest)))
                )
            }
            return {
                logins[agent_id]: (row.state, row.reason, row.at)
                for agent_id, row in newest.items()
                if agent_id in logins
            }

    def wrapup_limit_s(self, queue: str | None) -> int:
        with self.sessions() as session:
            return wrapup_limit_s(session, queue)

    def complete_call(
        self,
        *,
        linkedid: str,
        agent_id: int,
        queue: str | None,
        answered_at: datetime | None,
        ended_at: datetime,
        hold_s: int,
    ) -> None:
        with self.sessions.begin() as session:
            complete_interaction(
                session,
                linkedid=linkedid,
                agent_id=agent_id,
                queue_name=queue,
                answered_at=answered_at,
                ended_at=ended_at,
                hold_s=hold_s,
            )

    def set_wrapup(self, *, linkedid: str, wrapup_s: int) -> None:
        with self.sessions.begin() as session:
            set_wrapup(session, linkedid=linkedid, wrapup_s=wrapup_s)

    def set_disposition(
        self,
        *,
        linkedid: str,
        agent_id: int,
        disposition: str,
        callback_at: datetime | None = None,
        callback_for_anyone: bool = False,
    ) -> None:
        """On the interaction; on an outbound call also on its attempt and lead (a callback
        at ``callback_at``, the do-not-call list...: see asterisk_cc.db.lead_outcomes)."""
        with self.sessions.begin() as session:
            set_disposition(session, linkedid=linkedid, disposition=disposition, agent_id=agent_id)
            apply_disposition(
                session,
                linkedid=linkedid,
                disposition=disposition,
                now=datetime.now(UTC),
                callback_at=callback_at,
                callback_for_anyone=callback_for_anyone,
            )

    def screen_pop(self, linkedid: str) -> dict[str, Any]:
        """Who is calling and what they did: the customer and tier, the IVR path and what
        was entered there (masked), open tickets, the customer's recent calls."""
        with self.sessions() as session:
            call = session.scalars(
                select(Interaction).where(Interaction.linkedid == linkedid)
            ).first()
            ivr = session.scalars(
                select(IvrSession)
                .where(IvrSession.linkedid == linkedid)
                .order_by(IvrSession.started_at.desc())
            ).first()
            pop: dict[str, Any] = {
                "caller": call.caller_e164 or call.caller_number if call else None,
                "tier": call.customer_tier.value if call and call.customer_tier else None,
                "ivr_path": list(ivr.path) if ivr else [],
                "ivr_inputs": dict(ivr.inputs) if ivr else {},
                "language": ivr.language if ivr else None,
                "customer": None,
                "open_tickets": [],
                "recent_calls": [],
                "lead": _lead_of(session, call.id) if call and call.campaign_id else None,
            }
            customer_id = call.customer_id if call else None
            if customer_id is None:
                return pop
            customer = session.get(Customer, customer_id)
            if customer is not None:
                pop["customer"] = {
                    "id": customer.id,
                    "name": customer.name,
                    "account": customer.account_number,
                    "tier": customer.tier.value,
                    "language": customer.language,
                    "fields": dict(customer.attributes or {}),
                }
            tickets = session.scalars(
                select(ComplaintTicket)
                .where(
                    ComplaintTicket.customer_id == customer_id,
                    ComplaintTicket.state != TicketState.CLOSED,
                )
                .order_by(ComplaintTicket.received_at.desc())
            )
            pop["open_tickets"] = [
                {"id": t.id, "state": t.state.value, "received_at": t.received_at.isoformat()}
                for t in tickets
            ]
            recent = session.scalars(
                select(Interaction)
                .where(Interaction.customer_id == customer_id, Interaction.linkedid != linkedid)
                .order_by(Interaction.started_at.desc())
                .limit(RECENT_CALLS)
            )
            pop["recent_calls"] = [
                {
                    "linkedid": r.linkedid,
                    "started_at": r.started_at.isoformat(),
                    "direction": r.direction.value,
                    "disposition": r.disposition,
                    "talk_s": r.talk_s,
                }
                for r in recent
            ]
            return pop
