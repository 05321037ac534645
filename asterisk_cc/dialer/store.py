"""The dialer's database side: running campaigns, leads taken for dialling with every check a
call must pass at dial time, attempts and their outcomes, the abandon counts of each
campaign's regulatory window, and callback requests turned into calls.

Every attempt row is written *before* its call is placed and gets its outcome when the call
ends; a dialer that stopped in between closes its open attempts when it starts again
(:meth:`DialerStore.recover`), so no attempt is left without an outcome and no lead stays
claimed.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.ari.controller import OUTBOUND_CHANNEL_PREFIX
from asterisk_cc.core.dialer import pacing
from asterisk_cc.core.dialer.abandons import AbandonTally
from asterisk_cc.core.dialer.calling_window import lead_zones, may_call, next_opening
from asterisk_cc.core.dialer.campaign import CampaignSettings
from asterisk_cc.core.dialer.retry import RetryRules, phone_is_dead
from asterisk_cc.core.phone import format_for_lookup
from asterisk_cc.core.vocabulary import (
    AbandonDefinition,
    CallbackStatus,
    CallDirection,
    CallOutcome,
    CampaignStatus,
    DialMode,
    LeadStatus,
)
from asterisk_cc.db.campaigns import campaign_agent_ids, load_campaign_settings
from asterisk_cc.db.dnc import blocked_numbers
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.lead_outcomes import settle_lead
from asterisk_cc.db.leads import claim_leads
from asterisk_cc.db.models import (
    Agent,
    CallAttempt,
    CallbackRequest,
    Campaign,
    Interaction,
    Lead,
    LeadPhone,
    Queue,
)
from asterisk_cc.db.preview import PREVIEW_DIAL_PREFIX

__all__ = ["AttemptResult", "CampaignPlan", "Dial", "DialerStore"]

logger = logging.getLogger(__name__)

# A lead whose scheduled agent is busy is looked at again after this long.
AGENT_BUSY_RETRY = timedelta(seconds=30)
DEFAULT_AMD_FALSE_POSITIVE_RATIO = 0.02
STATS_HISTORY_LIMIT = 20_000
MACHINE_DISPOSITION = "answering_machine"
"""The disposition of an agent who was put through to an answering machine (no AMD)."""


@dataclass(frozen=True)
class CampaignPlan:
    """A running campaign as the dialer uses it between two reads of the database."""

    id: int
    name: str
    mode: DialMode
    settings: CampaignSettings
    queue: str | None
    agent_logins: tuple[str, ...]
    pacing: pacing.PacingSettings
    amd_false_positive_ratio: float = DEFAULT_AMD_FALSE_POSITIVE_RATIO
    """Share of people AMD takes for machines (they are hung up on: abandoned calls that
    nobody sees). Measure it on your own calls; campaigns set it in ``amd_options``."""

    @property
    def caller_id(self) -> str | None:
        return self.settings.caller_id

    @property
    def ring_timeout_s(self) -> int:
        return self.settings.ring_timeout_s

    @property
    def amd_enabled(self) -> bool:
        return self.settings.amd_enabled

    @property
    def machine_action(self) -> str:
        return self.settings.machine_action

    @property
    def machine_message(self) -> str | None:
        return self.settings.machine_message

    @property
    def abandon_message(self) -> str | None:
        return self.settings.abandon_message

    @property
    def grace_from_answer(self) -> bool:
        """Ofcom counts the 2 s from the answer; the FTC and FCC from the end of the greeting."""
        return self.settings.abandon_definition == AbandonDefinition.OFCOM_DAILY

    def window_seconds(self, now: datetime) -> tuple[float, float]:
        """Seconds of today's calling window (in the campaign's zone) gone and left: the
        Ofcom budget is a calendar day's, spread over the hours that can still be called."""
        local = now.astimezone(ZoneInfo(self.settings.timezone))
        window = self.settings.window
        opens = local.replace(
            hour=window.start.hour, minute=window.start.minute, second=0, microsecond=0
        )
        closes = local.replace(
            hour=window.end.hour, minute=window.end.minute, second=0, microsecond=0
        )
        gone = (min(max(local, opens), closes) - opens).total_seconds()
        left = (closes - max(min(local, closes), opens)).total_seconds()
        return gone, left

    def stats_key(self, at: datetime) -> str:
        """Answer rates are learnt per local hour of the day (people answer more at 18:00
        than at 10:00)."""
        return f"h{at.astimezone(ZoneInfo(self.settings.timezone)).hour:02d}"


@dataclass(frozen=True)
class Dial:
    """One call to place: the attempt row is written, the lead is claimed."""

    attempt_id: int
    campaign_id: int
    lead_id: int
    lead_phone_id: int | None
    phone: str
    channel_id: str
    customer_id: int | None
    agent_login: str | None = None
    """The only agent who may take the call (a preview, or a callback for that agent)."""


@dataclass(frozen=True)
class AttemptResult:
    outcome: CallOutcome
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime
    agent_login: str | None
    abandoned: bool
    amd_status: str | None
    amd_cause: str | None
    hangup_cause: int | None


def dial_kind(
    outcome: CallOutcome, *, abandoned: bool, amd_status: str | None
) -> pacing.DialOutcome:
    """How the pacing reads a finished dial: an abandoned answer that AMD did not hear is
    ``dropped`` (a person or a machine, nobody knows); the rest by their outcome."""
    if abandoned and amd_status is None:
        return "dropped"
    return cast(pacing.DialOutcome, outcome.value)  # observe_dial reads every CallOutcome


def channel_prefix(dialer_id: str) -> str:
    """Channel ids of one dialer's calls start with this (safe in ARI URLs)."""
    return OUTBOUND_CHANNEL_PREFIX + re.sub(r"[^a-z0-9-]", "-", dialer_id.lower())[:40] + "-"


class DialerStore:
    """:class:`asterisk_cc.dialer.live.Dialer`'s database, over the shared engine."""

    def __init__(self, engine: Engine) -> None:
        self.sessions: sessionmaker[Session] = session_factory(engine, immediate=True)
        self._refused: dict[str, str] = {}

    def _refuse(self, campaign: str, problem: str) -> None:
        """Log a campaign that cannot run, once per distinct problem (it is read every few
        seconds)."""
        if self._refused.get(campaign) != problem:
            self._refused[campaign] = problem
            logger.error("campaign %r is not dialled: %s", campaign, problem)

    @staticmethod
    def endpoint(template: str, phone_e164: str) -> str:
        """The dial string of ``phone_e164`` by ``[dialer] dial_template``."""
        return template.format(
            e164=phone_e164,
            digits=phone_e164.lstrip("+"),
            national=format_for_lookup(phone_e164, "national"),
        )

    # --- campaigns ---------------------------------------------------------------------------

    def running_campaigns(self, now: datetime) -> list[CampaignPlan]:
        """The active campaigns. One whose stored settings the checks refuse (edited by hand
        or by another tool) is left out and named in the log: it must not be dialled as it
        is, and it must not stop the others."""
        with self.sessions() as session:
            campaigns = session.scalars(
                select(Campaign)
                .where(Campaign.status == CampaignStatus.ACTIVE)
                .order_by(Campaign.id)
            ).all()
            plans = []
            for campaign in campaigns:
                agent_ids = campaign_agent_ids(session, campaign.id)
                logins = tuple(
                    sorted(
                        session.scalars(select(Agent.login).where(Agent.id.in_(agent_ids))).all()
                    )
                )
                queue = session.get(Queue, campaign.queue_id) if campaign.queue_id else None
                try:
                    settings = load_campaign_settings(campaign)
                except ValueError as exc:
                    self._refuse(campaign.name, str(exc))
                    continue
                plans.append(
                    CampaignPlan(
                        id=campaign.id,
                        name=campaign.name,
                        mode=campaign.dial_mode,
                        settings=settings,
                        queue=queue.name if queue else None,
                        agent_logins=logins,
                        pacing=pacing.PacingSettings(
                            max_lines_per_agent=campaign.max_lines_per_agent,
                            ring_timeout_s=float(campaign.ring_timeout_s),
                        ),
                        amd_false_positive_ratio=_false_positive_ratio(campaign),
                    )
                )
            return plans

    def abandon_tally(self, plan: CampaignPlan, now: datetime) -> AbandonTally:
        """The answered calls of the campaign's regulatory window so far (the local calendar
        day for Ofcom, the last 30 days for the FTC and FCC), as the budget counts them."""
        if plan.settings.abandon_definition == AbandonDefinition.OFCOM_DAILY:
            local = now.astimezone(ZoneInfo(plan.settings.timezone))
            since = local.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            since = now - timedelta(days=30)
        tally = AbandonTally()
        with self.sessions() as session:
            rows = session.execute(
                select(
                    CallAttempt.started_at,
                    CallAttempt.answered_at,
                    CallAttempt.connected_at,
                    CallAttempt.abandoned,
                    CallAttempt.amd_result,
                    CallAttempt.disposition,
                ).where(
                    CallAttempt.campaign_id == plan.id,
                    CallAttempt.started_at >= since,
                    CallAttempt.answered_at.is_not(None),
                )
            )
            for row in rows:
                if row.abandoned and row.amd_result is None:
                    ring_s = (row.answered_at - row.started_at).total_seconds()
                    tally.drops.append((plan.stats_key(row.started_at), ring_s))
                elif row.abandoned:
                    tally.known_abandons += 1
                elif row.amd_result == "MACHINE":
                    tally.machine_verdicts += 1
                elif row.connected_at is not None and row.disposition == MACHINE_DISPOSITION:
                    tally.machines_handled += 1
                elif row.connected_at is not None:
                    tally.people_handled += 1
        return tally

    def seed_stats(self, plan: CampaignPlan) -> pacing.PacingStats:
        """Answer rates, ring and talk times learnt from the campaign's recent attempts, so a
        restarted dialer does not start from the priors."""
        with self.sessions() as session:
            rows = session.execute(
                select(
                    CallAttempt.started_at,
                    CallAttempt.answered_at,
                    CallAttempt.connected_at,
                    CallAttempt.ended_at,
                    CallAttempt.outcome,
                    CallAttempt.abandoned,
                    CallAttempt.amd_result,
                    Interaction.wrapup_s,
                )
                .outerjoin(Interaction, Interaction.id == CallAttempt.interaction_id)
                .where(
                    CallAttempt.campaign_id == plan.id,
                    CallAttempt.outcome.is_not(None),
                    CallAttempt.ended_at.is_not(None),
                )
                .order_by(CallAttempt.started_at.desc())
                .limit(STATS_HISTORY_LIMIT)
            ).all()
        dials: list[tuple[str, pacing.DialOutcome, float]] = []
        calls: list[tuple[float, float]] = []
        for row in reversed(rows):
            ended: datetime = row.ended_at
            ring_s = ((row.answered_at or ended) - row.started_at).total_seconds()
            kind = dial_kind(row.outcome, abandoned=row.abandoned, amd_status=row.amd_result)
            dials.append((plan.stats_key(row.started_at), kind, max(0.0, ring_s)))
            if row.connected_at is not None:
                talk_s = (ended - row.connected_at).total_seconds()
                calls.append((talk_s, float(row.wrapup_s or 0)))
        return pacing.PacingStats.from_history(dials, calls)

    # --- taking leads --------------------------------------------------------------------------

    def take_leads(
        self,
        plan: CampaignPlan,
        count: int,
        dialer_id: str,
        now: datetime,
        free_agents: frozenset[str],
    ) -> list[Dial]:
        """Claim up to ``count`` due leads and write an attempt for each one that may be called
        now. A lead that may not is put back for later (outside its calling hours: at the next
        opening; its number on a DNC list: the next number, or the lead is DNC; called and
        abandoned in the lockout: when it ends; scheduled for a busy agent: shortly)."""
        dials: list[Dial] = []
        with self.sessions.begin() as session:
            for lead in claim_leads(session, plan.id, count, dialer_id, now):
                dial = self._check_and_attempt(session, plan, lead, dialer_id, now, free_agents)
                if dial is not None:
                    dials.append(dial)
        return dials

    def _check_and_attempt(
        self,
        session: Session,
        plan: CampaignPlan,
        lead: Lead,
        dialer_id: str,
        now: datetime,
        free_agents: frozenset[str],
    ) -> Dial | None:
        settings = plan.settings
        live_phones = [p for p in lead.phones if not phone_is_dead(p.last_outcome)]
        blocked = blocked_numbers(session, [p.phone_e164 for p in live_phones], plan.id, now)
        for phone in live_phones:
            if phone.phone_e164 in blocked:
                phone.last_outcome = "dnc"
        live_phones = [p for p in live_phones if p.phone_e164 not in blocked]
        if not live_phones:
            _release(lead, LeadStatus.DNC if blocked else LeadStatus.INVALID, None, now)
            return None
        phone = min(live_phones, key=lambda p: (p.attempts, p.position))
        agent_login = None
        if lead.callback_agent_id is not None:
            agent_login = session.scalar(
                select(Agent.login).where(Agent.id == lead.callback_agent_id)
            )
            if agent_login is not None and agent_login not in free_agents:
                _release(lead, LeadStatus.PENDING, now + AGENT_BUSY_RETRY, now)
                return None
        zones = lead_zones(lead.timezone, phone.phone_e164, settings.timezone)
        if not may_call(now, settings.window, zones):
            opening = next_opening(now, settings.window, zones)
            if opening is None:
                _release(lead, LeadStatus.EXHAUSTED, None, now, reason="no_calling_hours")
            else:
                _release(lead, LeadStatus.PENDING, opening, now)
            return None
        lockout = RetryRules.for_campaign(settings).abandon_lockout
        if lockout:
            last_abandon = session.scalar(
                select(func.max(CallAttempt.started_at)).where(
                    CallAttempt.phone_e164 == phone.phone_e164,
                    CallAttempt.abandoned.is_(True),
                    CallAttempt.started_at > now - lockout,
                )
            )
            if last_abandon is not None:
                _release(lead, LeadStatus.PENDING, last_abandon + lockout, now)
                return None
        attempt = CallAttempt(
            campaign_id=plan.id,
            lead_id=lead.id,
            lead_phone_id=phone.id,
            phone_e164=phone.phone_e164,
            dialer_id=dialer_id,
            started_at=now,
        )
        session.add(attempt)
        session.flush()
        attempt.channel_id = f"{channel_prefix(dialer_id)}{attempt.id}"
        lead.attempts += 1
        lead.last_attempt_at = now
        phone.attempts += 1
        phone.last_attempt_at = now
        return Dial(
            attempt_id=attempt.id,
            campaign_id=plan.id,
            lead_id=lead.id,
            lead_phone_id=phone.id,
            phone=phone.phone_e164,
            channel_id=attempt.channel_id,
            customer_id=lead.customer_id,
            agent_login=agent_login,
        )

    def take_preview_dials(self, dialer_id: str, now: datetime) -> list[tuple[CampaignPlan, Dial]]:
        """Leads agents asked to dial (``preview-dial:<login>``, see db/preview.py): each is
        claimed by this dialer and gets its attempt; its call goes to that agent only."""
        taken: list[tuple[CampaignPlan, Dial]] = []
        asked = (
            select(Lead)
            .where(
                Lead.status == LeadStatus.DIALING, Lead.locked_by.like(PREVIEW_DIAL_PREFIX + "%")
            )
            .with_for_update(skip_locked=True)
        )
        with self.sessions() as session:  # most ticks: nobody asked, nothing to write
            if session.scalars(asked.limit(1)).first() is None:
                return taken
        plans = {plan.id: plan for plan in self.running_campaigns(now)}
        with self.sessions.begin() as session:
            requested = session.scalars(asked).all()
            for lead in requested:
                login = (lead.locked_by or "").removeprefix(PREVIEW_DIAL_PREFIX)
                plan = plans.get(lead.campaign_id)
                if plan is None:  # the campaign was paused meanwhile
                    _release(lead, LeadStatus.PENDING, now, now)
                    continue
                lead.locked_by = dialer_id
                lead.locked_at = now
                dial = self._check_and_attempt(
                    session, plan, lead, dialer_id, now, frozenset({login})
                )
                if dial is not None:
                    taken.append((plan, dataclasses.replace(dial, agent_login=login)))
        return taken

    # --- the call's life ---------------------------------------------------------------------

    def open_interaction(self, dial: Dial, answered_at: datetime | None) -> None:
        """The answered call as the reports and the agent's screen see it (outbound, linked
        to its campaign, its customer and its attempt)."""
        if answered_at is None:
            return
        with self.sessions.begin() as session:
            attempt = session.get(CallAttempt, dial.attempt_id)
            campaign = session.get(Campaign, dial.campaign_id)
            if attempt is None or campaign is None or attempt.interaction_id is not None:
                return
            interaction = Interaction(
                uniqueid=dial.channel_id,
                linkedid=dial.channel_id,
                direction=CallDirection.OUTBOUND,
                customer_id=dial.customer_id,
                campaign_id=dial.campaign_id,
                queue_id=campaign.queue_id,
                called_number=dial.phone,
                caller_e164=dial.phone,
                started_at=answered_at,
            )
            session.add(interaction)
            session.flush()
            attempt.interaction_id = interaction.id
            attempt.answered_at = answered_at

    def mark_connected(self, dial: Dial, agent_login: str, at: datetime) -> None:
        with self.sessions.begin() as session:
            agent_id = session.scalar(select(Agent.id).where(Agent.login == agent_login))
            session.execute(
                update(CallAttempt)
                .where(CallAttempt.id == dial.attempt_id)
                .values(connected_at=at, agent_id=agent_id)
            )

    def finish(self, dial: Dial, result: AttemptResult, now: datetime) -> None:
        """The call is over: its attempt gets the outcome, the lead its next step, and a
        callback request its state (:func:`asterisk_cc.db.lead_outcomes.settle_lead`)."""
        with self.sessions.begin() as session:
            attempt = session.get(CallAttempt, dial.attempt_id)
            if attempt is None or attempt.outcome is not None:
                return
            agent_id = (
                session.scalar(select(Agent.id).where(Agent.login == result.agent_login))
                if result.agent_login
                else None
            )
            attempt.outcome = result.outcome
            attempt.answered_at = result.answered_at or attempt.answered_at
            attempt.connected_at = result.connected_at or attempt.connected_at
            attempt.ended_at = result.ended_at
            attempt.abandoned = result.abandoned
            attempt.amd_result = result.amd_status
            attempt.amd_cause = result.amd_cause
            attempt.hangup_cause = result.hangup_cause
            attempt.agent_id = agent_id or attempt.agent_id
            _close_interaction(session, attempt, result)
            settle_lead(session, attempt, now)

    # --- start-up ------------------------------------------------------------------------------

    def open_attempts(self, dialer_id: str) -> list[tuple[str, bool]]:
        """The calls a previous run of ``dialer_id`` left open: (channel id, with an agent)."""
        with self.sessions() as session:
            return [
                (row.channel_id, row.connected_at is not None)
                for row in session.execute(
                    select(CallAttempt.channel_id, CallAttempt.connected_at).where(
                        CallAttempt.dialer_id == dialer_id,
                        CallAttempt.outcome.is_(None),
                        CallAttempt.channel_id.is_not(None),
                    )
                )
            ]

    def recover(self, dialer_id: str, now: datetime) -> int:
        """Close what a stopped dialer left: each open attempt gets an outcome (HUMAN if it was
        answered, else CANCELLED) and its lead the next step as for any such call; leads it
        still held go back to the pool. → the attempts closed."""
        closed = 0
        with self.sessions.begin() as session:
            attempts = session.scalars(
                select(CallAttempt).where(
                    CallAttempt.dialer_id == dialer_id, CallAttempt.outcome.is_(None)
                )
            ).all()
            for attempt in attempts:
                outcome = CallOutcome.HUMAN if attempt.answered_at else CallOutcome.CANCELLED
                result = AttemptResult(
                    outcome=outcome,
                    answered_at=attempt.answered_at,
                    connected_at=attempt.connected_at,
                    ended_at=now,
                    agent_login=None,
                    abandoned=attempt.answered_at is not None and attempt.connected_at is None,
                    amd_status=attempt.amd_result,
                    amd_cause=attempt.amd_cause,
                    hangup_cause=None,
                )
                attempt.outcome = outcome
                attempt.ended_at = now
                attempt.abandoned = result.abandoned
                _close_interaction(session, attempt, result)
                settle_lead(session, attempt, now)
                closed += 1
            session.execute(
                update(Lead)
                .where(Lead.status == LeadStatus.DIALING, Lead.locked_by == dialer_id)
                .values(status=LeadStatus.PENDING, locked_by=None, locked_at=None, updated_at=now)
            )
        return closed

    # --- callbacks -----------------------------------------------------------------------------

    def promote_callbacks(self, now: datetime) -> int:
        """Callback requests that are due become leads of their queue's ``callbacks``
        campaign (made on first use: progressive, the queue's agents). → how many."""
        promoted = 0
        with self.sessions.begin() as session:
            due = session.scalars(
                select(CallbackRequest)
                .where(
                    CallbackRequest.status.in_([CallbackStatus.PENDING, CallbackStatus.SCHEDULED]),
                    func.coalesce(CallbackRequest.preferred_at, CallbackRequest.requested_at)
                    <= now,
                    CallbackRequest.queue_id.is_not(None),
                )
                .with_for_update(skip_locked=True)
            ).all()
            for request in due:
                campaign = _callbacks_campaign(session, request.queue_id or 0, now)
                if campaign.status != CampaignStatus.ACTIVE:
                    continue
                lead = Lead(
                    campaign_id=campaign.id,
                    customer_id=request.customer_id,
                    external_ref=f"callback-{request.id}",
                    fields={"callback_request": request.id, "note": request.note or ""},
                    callback_request_id=request.id,
                    callback_agent_id=request.agent_id,
                    next_attempt_at=now,
                )
                lead.phones.append(LeadPhone(phone_e164=request.phone_e164, position=0))
                session.add(lead)
                request.status = CallbackStatus.IN_PROGRESS
                promoted += 1
        return promoted


def _callbacks_campaign(session: Session, queue_id_: int, now: datetime) -> Campaign:
    campaign = session.scalars(
        select(Campaign).where(Campaign.purpose == "callbacks", Campaign.queue_id == queue_id_)
    ).first()
    if campaign is not None:
        return campaign
    queue = session.get(Queue, queue_id_)
    campaign = Campaign(
        name=f"callbacks-{queue.name if queue else queue_id_}",
        dial_mode=DialMode.PROGRESSIVE,
        status=CampaignStatus.ACTIVE,
        queue_id=queue_id_,
        purpose="callbacks",
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    return campaign


def _false_positive_ratio(campaign: Campaign) -> float:
    value = (campaign.amd_options or {}).get("false_positive_ratio")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1:
        return float(value)
    return DEFAULT_AMD_FALSE_POSITIVE_RATIO


def _release(
    lead: Lead,
    status: LeadStatus,
    next_attempt_at: datetime | None,
    now: datetime,
    *,
    reason: str | None = None,
) -> None:
    lead.status = status
    lead.locked_by = None
    lead.locked_at = None
    if next_attempt_at is not None:
        lead.next_attempt_at = next_attempt_at
    if reason is not None:
        lead.last_outcome = reason
    lead.updated_at = now


def _close_interaction(session: Session, attempt: CallAttempt, result: AttemptResult) -> None:
    if attempt.interaction_id is None:
        return
    interaction = session.get(Interaction, attempt.interaction_id)
    if interaction is None or interaction.ended_at is not None:
        return
    interaction.ended_at = max(result.ended_at, interaction.started_at)
    if result.abandoned:
        interaction.end_reason = "abandoned"
    elif result.outcome == CallOutcome.MACHINE:
        interaction.end_reason = "machine"
