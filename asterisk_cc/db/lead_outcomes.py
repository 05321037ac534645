"""What an outbound call does to its lead: the next attempt, a callback, the end of the lead,
a number marked dead or put on the do-not-call list.

Two things decide it: the call's network outcome (the dialer, when the call ends) and the
agent's disposition (the controller, when the agent sets it, during or after the call). They
may arrive in either order, so both go through :func:`settle_lead`, which lets the
disposition win: a person who asked not to be called again is never dialled again because
the call's end was written after the disposition.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.core.dialer.retry import (
    DNC_SOURCE_AGENT,
    LeadProgress,
    NextStep,
    PhoneProgress,
    RetryRules,
    disposition_step,
    next_step,
    phone_is_dead,
)
from asterisk_cc.core.vocabulary import CallbackStatus, DncScope, LeadStatus
from asterisk_cc.db.campaigns import load_campaign_settings
from asterisk_cc.db.dnc import add_dnc
from asterisk_cc.db.models import CallAttempt, CallbackRequest, Campaign, Interaction, Lead

__all__ = ["apply_disposition", "settle_lead"]


def settle_lead(
    session: Session,
    attempt: CallAttempt,
    now: datetime,
    *,
    callback_at: datetime | None = None,
    callback_for_anyone: bool = False,
) -> NextStep | None:
    """Give the attempt's lead its next step, from the agent's disposition when there is one,
    else from the outcome. Only an attempt that has ended (an outcome) settles its lead.
    → the step taken, or None when the attempt is still under way."""
    if attempt.outcome is None:
        return None
    lead = session.get(Lead, attempt.lead_id)
    campaign = session.get(Campaign, attempt.campaign_id)
    if lead is None or campaign is None:
        return None
    rules = RetryRules.for_campaign(load_campaign_settings(campaign))
    phones = list(lead.phones)
    index = next((i for i, p in enumerate(phones) if p.id == attempt.lead_phone_id), 0)
    progress = LeadProgress(
        attempts=max(lead.attempts, 1),
        phones=tuple(PhoneProgress(p.phone_e164, p.attempts, p.last_outcome) for p in phones),
    )
    if attempt.disposition:
        step = disposition_step(
            attempt.disposition,
            rules=rules,
            lead=progress,
            phone_index=index,
            now=now,
            callback_at=callback_at,
            callback_agent_id=None if callback_for_anyone else attempt.agent_id,
        )
    else:
        step = next_step(
            rules,
            progress,
            index,
            attempt.outcome,
            attempt.abandoned,
            now,
            connected=attempt.connected_at is not None,
        )
    phone = phones[index] if phones else None
    if phone is not None:
        if step.add_to_dnc is not None:
            phone.last_outcome = "dnc"
            add_dnc(
                session,
                phone.phone_e164,
                campaign_id=campaign.id if step.add_to_dnc == DncScope.CAMPAIGN else None,
                source=DNC_SOURCE_AGENT,
                reason=f"disposition of call attempt {attempt.id}",
                now=now,
            )
        elif step.phone_dead:
            phone.last_outcome = step.disposition or attempt.outcome.value
        elif not phone_is_dead(phone.last_outcome):
            phone.last_outcome = attempt.outcome.value
    lead.status = step.status
    lead.locked_by = None
    lead.locked_at = None
    lead.last_outcome = attempt.outcome.value
    if step.next_attempt_at is not None:
        lead.next_attempt_at = step.next_attempt_at
    if step.disposition is not None:
        lead.disposition = step.disposition
    lead.callback_agent_id = step.callback_agent_id
    lead.updated_at = now
    _settle_callback_request(session, lead, attempt, step, now)
    return step


def _settle_callback_request(
    session: Session, lead: Lead, attempt: CallAttempt, step: NextStep, now: datetime
) -> None:
    if lead.callback_request_id is None:
        return
    request = session.get(CallbackRequest, lead.callback_request_id)
    if request is None:
        return
    request.last_attempt_at = now
    if attempt.connected_at is not None:
        request.status = CallbackStatus.DONE
        request.fulfilled_at = request.fulfilled_at or now
    elif step.status != LeadStatus.PENDING:
        request.status = CallbackStatus.FAILED


def apply_disposition(
    session: Session,
    *,
    linkedid: str,
    disposition: str,
    now: datetime,
    callback_at: datetime | None = None,
    callback_for_anyone: bool = False,
) -> NextStep | None:
    """The agent's disposition of the outbound call ``linkedid`` goes on its attempt; if the
    call has ended the lead is settled now, else when the dialer ends it. Inbound calls
    (no attempt) are left alone. A ``callback`` needs ``callback_at``; it is for the same
    agent unless ``callback_for_anyone``. → the lead's step when it was settled."""
    attempt = session.scalars(
        select(CallAttempt)
        .join(Interaction, Interaction.id == CallAttempt.interaction_id)
        .where(Interaction.linkedid == linkedid)
    ).first()
    if attempt is None:
        return None
    attempt.disposition = disposition.strip()[:64]
    return settle_lead(
        session, attempt, now, callback_at=callback_at, callback_for_anyone=callback_for_anyone
    )
