"""Preview dialing, the agent's side: take the next lead to look at, skip it with a reason, or
ask for it to be dialled.

The agent desktop calls these; the dialer process places the call (it polls for leads whose
``locked_by`` is ``preview-dial:<login>``), so the dashboard needs no link to Asterisk. A lead
being previewed is held by ``preview:<login>`` and no dialer takes it meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import LeadStatus
from asterisk_cc.db.audit import audit_start
from asterisk_cc.db.leads import claim_leads
from asterisk_cc.db.models import CallAttempt, Lead

__all__ = ["PreviewLead", "dial_preview_lead", "next_preview_lead", "skip_preview_lead"]

PREVIEW_PREFIX = "preview:"
PREVIEW_DIAL_PREFIX = "preview-dial:"
HISTORY_LIMIT = 10
SKIP_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class PreviewLead:
    """What the agent sees before choosing: the lead's fields, numbers and past attempts."""

    lead_id: int
    campaign_id: int
    fields: dict[str, Any]
    phones: list[str]
    attempts: int
    history: list[dict[str, Any]]


def next_preview_lead(
    session: Session, campaign_id: int, login: str, now: datetime
) -> PreviewLead | None:
    """The next due lead of the preview campaign, held for agent ``login`` (the one they hold
    already, if any); None when none is due."""
    held = session.scalars(
        select(Lead).where(
            Lead.campaign_id == campaign_id,
            Lead.status == LeadStatus.DIALING,
            Lead.locked_by == PREVIEW_PREFIX + login,
        )
    ).first()
    leads = (
        [held]
        if held is not None
        else claim_leads(session, campaign_id, 1, PREVIEW_PREFIX + login, now)
    )
    if not leads:
        return None
    lead = leads[0]
    attempts = session.scalars(
        select(CallAttempt)
        .where(CallAttempt.lead_id == lead.id)
        .order_by(CallAttempt.started_at.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return PreviewLead(
        lead_id=lead.id,
        campaign_id=lead.campaign_id,
        fields=dict(lead.fields or {}),
        phones=[p.phone_e164 for p in lead.phones],
        attempts=lead.attempts,
        history=[
            {
                "started_at": a.started_at.isoformat(),
                "phone": a.phone_e164,
                "outcome": a.outcome.value if a.outcome else None,
                "disposition": a.disposition,
            }
            for a in attempts
        ],
    )


def _held_lead(session: Session, lead_id: int, login: str) -> Lead:
    lead = session.get(Lead, lead_id, with_for_update=True)
    if lead is None or lead.locked_by != PREVIEW_PREFIX + login:
        raise LookupError(f"agent {login} is not previewing lead {lead_id}")
    return lead


def dial_preview_lead(session: Session, lead_id: int, login: str, now: datetime) -> None:
    """The agent chose to dial: the dialer places the call on its next tick and connects it
    to this agent only."""
    lead = _held_lead(session, lead_id, login)
    lead.locked_by = PREVIEW_DIAL_PREFIX + login
    lead.locked_at = now


def skip_preview_lead(
    session: Session, lead_id: int, login: str, reason: str, now: datetime
) -> None:
    """The agent chose not to call now: the lead goes back for later (an hour) and the reason
    is kept in the audit log."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is needed to skip a lead")
    lead = _held_lead(session, lead_id, login)
    lead.status = LeadStatus.PENDING
    lead.locked_by = None
    lead.locked_at = None
    lead.next_attempt_at = now + SKIP_DELAY
    lead.last_outcome = "skipped"
    audit_start(
        session,
        user_id=None,
        action="lead.skip",
        target=f"lead:{lead_id}",
        details={"reason": reason[:200], "agent": login},
        at=now,
    )
