"""The campaign pages' figures, aggregated in SQL for a page of campaigns at a time.

Lead counts use the leads' ``(campaign_id, status, ...)`` index and attempts the call
attempts' ``(campaign_id, started_at)`` index; each figure is one query for the whole page of
campaigns (never one per campaign). "Today" is the campaign's own calendar day, in its time
zone, as ``campaign show`` and the Ofcom daily rule count it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from asterisk_cc.core.campaign_view import DIALABLE_STATUSES, LeadProgress, Page, page_of
from asterisk_cc.core.vocabulary import CallOutcome, CampaignStatus
from asterisk_cc.db.campaigns import AttemptSummary, attempt_summary, local_day_start
from asterisk_cc.db.models import Agent, CallAttempt, Campaign, Lead

PAGE_SIZE = 50


def _day_start(now: datetime, timezone: str) -> datetime:
    """The start of the campaign's day; UTC's for a zone this machine does not know (a
    campaign row written by another tool), so that the page still shows."""
    try:
        return local_day_start(now, timezone)
    except (ValueError, LookupError):
        return local_day_start(now, "UTC")


@dataclass(frozen=True)
class CampaignFigures:
    """A campaign's progress: its leads, and today's attempts, contacts (calls a person
    answered) and drops (contacts no agent took within 2 s)."""

    leads: LeadProgress
    attempts_today: int
    contacts_today: int
    drops_today: int

    @property
    def drop_rate_today(self) -> float | None:
        return self.drops_today / self.contacts_today if self.contacts_today else None


def search_campaigns(
    session: Session, text: str, status: str | None, page_number: str | None
) -> tuple[list[Campaign], Page]:
    """A page of the campaigns whose name contains ``text`` (as plain text: ``%`` and ``_``
    match themselves), of ``status`` when given, by name."""
    conditions = []
    if text:
        conditions.append(Campaign.name.contains(text, autoescape=True))
    if status in {s.value for s in CampaignStatus}:
        conditions.append(Campaign.status == CampaignStatus(status))
    total = session.scalar(select(func.count(Campaign.id)).where(*conditions)) or 0
    page = page_of(page_number, PAGE_SIZE, total)
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(*conditions)
            .order_by(Campaign.name)
            .offset(page.offset)
            .limit(page.size)
        )
    )
    return campaigns, page


class FiguresCache:
    """Figures kept for a few seconds, shared by every request: a list that several
    supervisors poll every few seconds counts a campaign's leads once per :attr:`ttl_s`, not
    once per screen. Changes made from the dashboard drop the campaign's entry at once."""

    def __init__(self, ttl_s: float = 10.0) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._entries: dict[object, tuple[float, Any]] = {}

    def get(self, key: object) -> Any:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl_s:
            return None
        return entry[1]

    def put(self, key: object, value: Any) -> None:
        with self._lock:
            if len(self._entries) > _CACHE_MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)

    def forget_campaign(self, campaign_id: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if isinstance(k, tuple) and k[1] == campaign_id]:
                del self._entries[key]


_CACHE_MAX_ENTRIES = 10_000


def lead_progress_by_campaign(
    session: Session, campaign_ids: Sequence[int], cache: FiguresCache | None = None
) -> dict[int, LeadProgress]:
    """Each campaign's leads: all of them, and those still to call. One statement for the
    campaigns not in ``cache``: per campaign, a count over its range of the leads' index and
    one over its pending and dialing ranges (about twice as quick as grouping by status)."""
    found: dict[int, LeadProgress] = {}
    missing = []
    for campaign_id in campaign_ids:
        cached = cache.get(("leads", campaign_id)) if cache else None
        if cached is None:
            missing.append(campaign_id)
        else:
            found[campaign_id] = cached
    if missing:
        counts = union_all(
            *(
                select(
                    literal(campaign_id).label("campaign_id"),
                    select(func.count())
                    .select_from(Lead)
                    .where(Lead.campaign_id == campaign_id)
                    .scalar_subquery()
                    .label("total"),
                    select(func.count())
                    .select_from(Lead)
                    .where(Lead.campaign_id == campaign_id, Lead.status.in_(DIALABLE_STATUSES))
                    .scalar_subquery()
                    .label("dialable"),
                )
                for campaign_id in missing
            )
        )
        for campaign_id, total, dialable in session.execute(counts):
            progress = LeadProgress(int(total), int(dialable), int(total) - int(dialable))
            found[campaign_id] = progress
            if cache:
                cache.put(("leads", campaign_id), progress)
    return found


def campaign_figures(
    session: Session,
    campaigns: Sequence[Campaign],
    now: datetime,
    cache: FiguresCache | None = None,
) -> dict[int, CampaignFigures]:
    """The figures of each campaign, in two statements whatever the number of campaigns."""
    if not campaigns:
        return {}
    ids = [campaign.id for campaign in campaigns]
    leads = lead_progress_by_campaign(session, ids, cache)
    # One range of the (campaign_id, started_at) index per campaign, from the earliest of the
    # campaigns' midnights; each campaign's own midnight is applied in the counts (time zones
    # differ by a day at most, so little is read twice).
    starts = {c.id: _day_start(now, c.timezone).astimezone(UTC) for c in campaigns}
    column_type = CallAttempt.started_at.type
    own_start = case(
        *(
            (CallAttempt.campaign_id == cid, literal(start, column_type))
            for cid, start in starts.items()
        )
    )
    today = CallAttempt.started_at >= own_start
    rows = session.execute(
        select(
            CallAttempt.campaign_id,
            func.count(CallAttempt.id).filter(today),
            func.count(CallAttempt.id).filter(today, CallAttempt.outcome == CallOutcome.HUMAN),
            func.count(CallAttempt.id).filter(today, CallAttempt.abandoned.is_(True)),
        )
        .where(
            CallAttempt.campaign_id.in_(ids),
            CallAttempt.started_at >= min(starts.values()),
            CallAttempt.started_at < now,
        )
        .group_by(CallAttempt.campaign_id)
    )
    attempts = {campaign_id: (a, c, d) for campaign_id, a, c, d in rows}
    figures = {}
    for campaign_id in ids:
        attempted, contacts, drops = attempts.get(campaign_id, (0, 0, 0))
        figures[campaign_id] = CampaignFigures(
            leads=leads[campaign_id],
            attempts_today=int(attempted),
            contacts_today=int(contacts),
            drops_today=int(drops),
        )
    return figures


@dataclass(frozen=True)
class DropFigures:
    """The drop rate a campaign's rule measures, for the detail page: today's (the
    campaign's calendar day) and, for the US rules, the last 30 days."""

    today: AttemptSummary
    last_30_days: AttemptSummary | None


def drop_figures(
    session: Session,
    campaign: Campaign,
    now: datetime,
    *,
    daily: bool,
    cache: FiguresCache | None = None,
) -> DropFigures:
    """Today's figure, and the last 30 days' for the US rules (kept in ``cache`` for a few
    seconds: it reads a month of attempts)."""
    today = attempt_summary(session, campaign.id, _day_start(now, campaign.timezone), now)
    month = None
    if not daily:
        month = cache.get(("month", campaign.id)) if cache else None
        if month is None:
            month = attempt_summary(session, campaign.id, now - timedelta(days=30), now)
            if cache:
                cache.put(("month", campaign.id), month)
    return DropFigures(today=today, last_30_days=month)


def outcomes_today(session: Session, campaign: Campaign, now: datetime) -> list[tuple[str, int]]:
    """Today's attempts by outcome (``""``: still in progress), most frequent first."""
    rows = session.execute(
        select(CallAttempt.outcome, func.count(CallAttempt.id))
        .where(
            CallAttempt.campaign_id == campaign.id,
            CallAttempt.started_at >= _day_start(now, campaign.timezone),
            CallAttempt.started_at < now,
        )
        .group_by(CallAttempt.outcome)
    )
    shown = [(str(outcome.value) if outcome else "", int(count)) for outcome, count in rows]
    return sorted(shown, key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class AttemptRow:
    started_at: datetime
    phone: str
    outcome: str | None
    abandoned: bool
    talk_s: float | None
    agent: str | None
    disposition: str | None
    lead_id: int


def recent_attempts(
    session: Session, campaign_id: int, page_number: str | None, now: datetime
) -> tuple[list[AttemptRow], Page]:
    """A page of the campaign's attempts, newest first, with the agent's login (one query;
    the total counts only the last 30 days, so that a long campaign's page stays quick)."""
    since = now - timedelta(days=30)
    where = (CallAttempt.campaign_id == campaign_id, CallAttempt.started_at >= since)
    total = session.scalar(select(func.count(CallAttempt.id)).where(*where)) or 0
    page = page_of(page_number, PAGE_SIZE, total)
    rows = session.execute(
        select(CallAttempt, Agent.login)
        .outerjoin(Agent, Agent.id == CallAttempt.agent_id)
        .where(*where)
        .order_by(CallAttempt.started_at.desc(), CallAttempt.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    attempts = []
    for attempt, login in rows:
        talk = None
        if attempt.connected_at is not None and attempt.ended_at is not None:
            talk = (attempt.ended_at - attempt.connected_at).total_seconds()
        attempts.append(
            AttemptRow(
                started_at=attempt.started_at,
                phone=attempt.phone_e164,
                outcome=attempt.outcome.value if attempt.outcome else None,
                abandoned=attempt.abandoned,
                talk_s=talk,
                agent=login,
                disposition=attempt.disposition,
                lead_id=attempt.lead_id,
            )
        )
    return attempts, page
