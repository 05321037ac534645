"""The dialers' hopper: taking due leads so that two dialers never call the same lead.

:func:`claim_leads` marks up to *n* due, pending leads of a campaign as ``dialing`` for one
dialer in a single ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``.
On PostgreSQL concurrent dialers skip each other's rows instead of waiting for them; on SQLite
the statement is one write transaction (SQLite has a single writer), which gives the same
guarantee.

A claimed lead goes back to the pool with :func:`release_claims` (the dialer restarted) or
:func:`release_stale_claims` (the dialer died); the dialer itself records the outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import LeadStatus
from asterisk_cc.db.models import Lead

__all__ = ["claim_leads", "release_claims", "release_stale_claims"]

_leads: Table = Lead.__table__  # type: ignore[assignment]


def claim_leads(
    session: Session, campaign_id: int, n: int, dialer_id: str, now: datetime
) -> list[Lead]:
    """Take up to ``n`` leads of the campaign that are pending and due at ``now``, oldest due
    first, for ``dialer_id``; return them in that order. Commit to make the claim visible."""
    if n <= 0:
        return []
    if not dialer_id:
        raise ValueError("claim_leads needs the claiming dialer's id")
    due = (
        select(_leads.c.id)
        .where(
            _leads.c.campaign_id == campaign_id,
            _leads.c.status == LeadStatus.PENDING,
            _leads.c.next_attempt_at <= now,
        )
        .order_by(_leads.c.next_attempt_at, _leads.c.id)
        .limit(n)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(_leads)
        .where(_leads.c.id.in_(due.scalar_subquery()), _leads.c.status == LeadStatus.PENDING)
        .values(status=LeadStatus.DIALING, locked_by=dialer_id, locked_at=now, updated_at=now)
        .returning(_leads.c.id)
    )
    ids = list(session.execute(claim).scalars())
    if not ids:
        return []
    claimed = (
        select(Lead)
        .where(Lead.id.in_(ids))
        .order_by(Lead.next_attempt_at, Lead.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(claimed))


def release_claims(session: Session, dialer_id: str, now: datetime) -> int:
    """Give back every lead ``dialer_id`` holds (e.g. when that dialer starts again)."""
    return _release(session, _leads.c.locked_by == dialer_id, now)


def release_stale_claims(session: Session, now: datetime, older_than: timedelta) -> int:
    """Give back leads claimed more than ``older_than`` ago by a dialer that never finished."""
    return _release(session, _leads.c.locked_at < now - older_than, now)


def _release(session: Session, condition: object, now: datetime) -> int:
    statement = (
        update(_leads)
        .where(_leads.c.status == LeadStatus.DIALING, condition)  # type: ignore[arg-type]
        .values(status=LeadStatus.PENDING, locked_by=None, locked_at=None, updated_at=now)
    )
    return session.execute(statement).rowcount  # type: ignore[attr-defined,no-any-return]
