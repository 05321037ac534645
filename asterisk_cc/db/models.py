"""The project's own tables, for the whole product (SQLAlchemy 2.x typed models).

One database holds the CRM side (customers and their phones), the contact centre's set-up
(teams, agents, queues, skills, campaigns, users), what happened (calls, IVR sessions, dialer
attempts, agent states, surveys, complaints, notes on calls, the audit log) and the work
queues the processes share (leads to dial, callbacks to make, report runs).

Conventions, the same in every table:

- Times are :class:`~asterisk_cc.db.types.UTCDateTime` (timezone-aware UTC). Durations are
  integer seconds named ``*_s``; ratios are floats 0..1 named ``*_ratio``.
- Phone numbers are stored once, in E.164 (``+8613812345678``), in columns named ``*_e164``;
  what the caller presented is kept as text in ``caller_number``.
- Closed vocabularies (tier, direction, states, outcomes) are text with a CHECK constraint, so
  other tools reading the shared database see words, not codes.
- History rows (calls, attempts, state changes) refer to agents, queues and campaigns without
  ``ON DELETE``: those are deactivated or archived, never deleted while history points at them.
  References to customers are ``ON DELETE SET NULL`` so that a customer can be erased (privacy)
  without losing the call statistics.
- Every constraint and index has a predictable name (:data:`NAMING_CONVENTION`), which is what
  lets migrations alter them on SQLite too.

The schema is created and changed only by the Alembic migrations in
``asterisk_cc/db/migrations``; a test checks that they produce exactly these models.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from asterisk_cc.core.customers import Tier
from asterisk_cc.core.tickets import TicketState
from asterisk_cc.core.vocabulary import (
    AbandonDefinition,
    AgentState,
    CallbackStatus,
    CallDirection,
    CallOutcome,
    CampaignStatus,
    DialMode,
    DncScope,
    LeadStatus,
    ReportStatus,
    UserRole,
)
from asterisk_cc.db.types import BigIntId, JSONDoc, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

E164_CHECK = "{col} LIKE '+%' AND length({col}) BETWEEN 8 AND 16"
"""A stored number is E.164: a + and 7 to 15 digits (the digits are checked in code)."""

RECORDING_POLICIES = ("all", "none", "on_demand")
"""A queue's or campaign's recording policy: every answered call is recorded, none is, or the
agent or a supervisor starts it (``queues.recording``, ``campaigns.recording``)."""
RECORDING_POLICY_CHECK = "recording IN ('all', 'none', 'on_demand')"

CALL_NOTE_MAX = 2000
"""The longest note on a call, in characters (``call_notes.text``, the desktop's form)."""


def vocabulary(enum: type[Enum], name: str, length: int = 16) -> SAEnum:
    """A closed vocabulary column: text in the database with a CHECK, the enum in Python."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def created_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), server_default=func.now())


def updated_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), server_default=func.now(), onupdate=func.now())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        datetime: UTCDateTime(),
        dict[str, Any]: JSONDoc,
        list[Any]: JSONDoc,
        time: Time(),
    }


# --- organisation ----------------------------------------------------------------------------


class Team(Base):
    """A team of agents with one supervisor; reports and the wallboard group agents by team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()


class Agent(Base):
    """A person who takes calls. ``login`` is the agent's identity in app_queue and queue_log
    (the member name); ``interface`` is the phone or ``Local/...`` channel the agent is reached
    on. Agents are deactivated, never deleted, because call history points at them."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    interface: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    """The PIN for logging in by phone (feature code ``*45``: agent number, then PIN), as a
    salted hash from :func:`asterisk_cc.db.agents.hash_pin`, never the PIN itself. NULL: the
    agent cannot log in by phone."""
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    skills: Mapped[list[AgentSkill]] = relationship(
        back_populates="agent", cascade="all, delete-orphan"
    )


class Queue(Base):
    """An app_queue queue (``name`` is its name in queues.conf) and the targets it is reported
    against: service level = answered within ``service_level_threshold_s``, aimed at
    ``service_level_target_ratio``; abandons quicker than ``short_abandon_s`` are counted apart;
    agents get ``wrapup_limit_s`` of after-call work."""

    __tablename__ = "queues"
    __table_args__ = (
        CheckConstraint("service_level_threshold_s > 0", name="sl_threshold_positive"),
        CheckConstraint(
            "service_level_target_ratio >= 0 AND service_level_target_ratio <= 1",
            name="sl_target_ratio",
        ),
        CheckConstraint("short_abandon_s >= 0", name="short_abandon_not_negative"),
        CheckConstraint("wrapup_limit_s >= 0", name="wrapup_not_negative"),
        CheckConstraint(RECORDING_POLICY_CHECK, name="recording_policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(128))
    service_level_threshold_s: Mapped[int] = mapped_column(Integer, server_default=text("20"))
    service_level_target_ratio: Mapped[float] = mapped_column(Float, server_default=text("0.8"))
    short_abandon_s: Mapped[int] = mapped_column(Integer, server_default=text("5"))
    wrapup_limit_s: Mapped[int] = mapped_column(Integer, server_default=text("30"))
    language: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    recording: Mapped[str] = mapped_column(String(16), server_default="none")
    """Which calls the queue's agents answer are recorded: ``all``, ``none`` or ``on_demand``
    (when the agent or a supervisor starts it); see :data:`RECORDING_POLICIES`."""
    created_at: Mapped[datetime] = created_at()


class Skill(Base):
    """A skill for skills-based routing (a language, a product, a tier of service)."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)


class AgentSkill(Base):
    """How well an agent has a skill (``level`` 1..10) and the app_queue ``penalty`` the agent
    joins a queue needing that skill with (0 = offered calls first)."""

    __tablename__ = "agent_skills"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),
        CheckConstraint("penalty >= 0", name="penalty_not_negative"),
    )

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    penalty: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    agent: Mapped[Agent] = relationship(back_populates="skills")


class QueueSkill(Base):
    """A skill a queue needs, the minimum level an agent must have, and the penalty the
    agent's membership gets for it."""

    __tablename__ = "queue_skills"
    __table_args__ = (
        CheckConstraint("min_level BETWEEN 1 AND 10", name="min_level_range"),
        CheckConstraint("penalty >= 0", name="penalty_not_negative"),
    )

    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    min_level: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    penalty: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class Schedule(Base):
    """A planned stretch of an agent's time (a shift, a break, training), against which
    attendance and adherence are measured and Erlang staffing is checked."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index(None, "agent_id", "starts_at"),
        Index(None, "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    activity: Mapped[str] = mapped_column(String(32), server_default="shift")
    note: Mapped[str | None] = mapped_column(Text)


# --- customers (the CRM side) ----------------------------------------------------------------


class Customer(Base):
    """A customer of the built-in CRM (``[crm] source = "builtin"``). The tier sets the
    caller's priority in the queues; language and time zone pick prompts and calling hours;
    ``attributes`` holds any other CRM field (balance, segment...) the IVR may use."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    tier: Mapped[Tier] = mapped_column(vocabulary(Tier, "tier"), server_default=Tier.STANDARD)
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDoc, server_default=text("'{}'"))
    """Free-form CRM fields, e.g. ``{"balance": "128.50", "segment": "smb"}``: whatever the
    IVR branches on or says beyond the columns above, without a migration per field."""
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.id"
    )


class CustomerPhone(Base):
    """A customer's phone number. The unique index on ``phone_e164`` is what the IVR's caller
    lookup uses: one index probe per call, and one customer per number."""

    __tablename__ = "customer_phones"
    __table_args__ = (
        CheckConstraint(E164_CHECK.format(col="phone_e164"), name="phone_e164_format"),
        Index("ux_customer_phones_phone_e164", "phone_e164", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    phone_e164: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at()

    customer: Mapped[Customer] = relationship(back_populates="phones")


# --- outbound: campaigns, leads, attempts, do-not-call -----------------------------------------


class Campaign(Base):
    """An outbound campaign: how it dials (``dial_mode``), when (``window_start``..
    ``window_end`` on ``call_days``, in each *lead's* local time; ``timezone`` for leads without
    one), how often (``max_attempts``, ``retry_delays_s`` = seconds to wait after each outcome),
    the ring time, answering-machine detection, and the abandon rate it is held to
    (``abandon_target_ratio`` under ``abandon_definition``)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        CheckConstraint("ring_timeout_s > 0", name="ring_timeout_positive"),
        CheckConstraint(
            "abandon_target_ratio >= 0 AND abandon_target_ratio <= 1", name="abandon_target_ratio"
        ),
        CheckConstraint("max_lines_per_agent >= 1", name="max_lines_per_agent"),
        CheckConstraint("window_start < window_end", name="window_order"),
        CheckConstraint(RECORDING_POLICY_CHECK, name="recording_policy"),
        CheckConstraint("machine_action IN ('hangup', 'message', 'retry')", name="machine_action"),
        CheckConstraint("purpose IN ('list', 'callbacks')", name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    dial_mode: Mapped[DialMode] = mapped_column(vocabulary(DialMode, "dial_mode"))
    status: Mapped[CampaignStatus] = mapped_column(
        vocabulary(CampaignStatus, "campaign_status"), server_default=CampaignStatus.DRAFT
    )
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"), index=True)
    caller_id: Mapped[str | None] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    window_start: Mapped[time] = mapped_column(Time, server_default="09:00:00")
    window_end: Mapped[time] = mapped_column(Time, server_default="21:00:00")
    call_days: Mapped[str] = mapped_column(String(32), server_default="mon,tue,wed,thu,fri")
    max_attempts: Mapped[int] = mapped_column(Integer, server_default=text("3"))
    retry_delays_s: Mapped[dict[str, Any]] = mapped_column(JSONDoc, server_default=text("'[]'"))
    """Seconds to wait after each outcome before the next attempt, e.g. ``{"busy": 900,
    "no_answer": 3600}`` (asterisk_cc.core.dialer.retry; missing outcomes get the defaults)."""
    ring_timeout_s: Mapped[int] = mapped_column(Integer, server_default=text("25"))
    amd_enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    amd_options: Mapped[dict[str, Any]] = mapped_column(JSONDoc, server_default=text("'{}'"))
    abandon_target_ratio: Mapped[float] = mapped_column(Float, server_default=text("0.03"))
    abandon_definition: Mapped[AbandonDefinition] = mapped_column(
        vocabulary(AbandonDefinition, "abandon_definition"),
        server_default=AbandonDefinition.FTC_30D,
    )
    max_lines_per_agent: Mapped[float] = mapped_column(Float, server_default=text("3.0"))
    recording: Mapped[str] = mapped_column(String(16), server_default="none")
    """The campaign's calls are recorded as a queue's are (``all``, ``none``, ``on_demand``)."""
    holidays: Mapped[list[Any]] = mapped_column(JSONDoc, server_default=text("'[]'"))
    """Dates (``YYYY-MM-DD``, the lead's local calendar) with no calls."""
    machine_action: Mapped[str] = mapped_column(String(16), server_default="hangup")
    """What the dialer does when AMD hears a machine: ``hangup``, ``message`` (play
    ``machine_message`` after the beep, then hang up) or ``retry`` (call again later)."""
    machine_message: Mapped[str | None] = mapped_column(String(128))
    abandon_message: Mapped[str | None] = mapped_column(String(128))
    """The sound played to a live answer no agent takes within 2 s (who called, why, a number
    to call back); the dialer's configured default when empty."""
    purpose: Mapped[str] = mapped_column(String(16), server_default="list")
    """``list``: dials its leads; ``callbacks``: dials its queue's callback requests."""
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    agents: Mapped[list[Agent]] = relationship(secondary="campaign_agents")
    teams: Mapped[list[Team]] = relationship(secondary="campaign_teams")


class CampaignAgent(Base):
    """An agent who works a campaign."""

    __tablename__ = "campaign_agents"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CampaignTeam(Base):
    """A team whose agents all work a campaign."""

    __tablename__ = "campaign_teams"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Lead(Base):
    """A contact to call in a campaign. The dialers take leads with
    :func:`asterisk_cc.db.leads.claim_leads`: ``status`` goes from pending to dialing and
    ``locked_by``/``locked_at`` name the dialer, so two dialers never call the same lead.
    ``fields`` holds the list's own columns (shown to the agent); ``timezone`` is the lead's,
    for calling hours."""

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint(
            "(status = 'dialing' AND locked_by IS NOT NULL AND locked_at IS NOT NULL) OR "
            "(status <> 'dialing' AND locked_by IS NULL)",
            name="claimed_iff_dialing",
        ),
        UniqueConstraint("campaign_id", "external_ref"),
        # The dialers' hopper query: pending leads of a campaign, due first.
        Index("ix_leads_ready", "campaign_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    external_ref: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONDoc, server_default=text("'{}'"))
    timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[LeadStatus] = mapped_column(
        vocabulary(LeadStatus, "lead_status"), server_default=LeadStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    last_attempt_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(64))
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_at: Mapped[datetime | None]
    callback_agent_id: Mapped[int | None]
    """A callback scheduled for this agent (``agents.id``): dialled at ``next_attempt_at``
    when they are free. A plain id, not a foreign key (see migration 0006)."""
    callback_request_id: Mapped[int | None] = mapped_column(index=True)
    """The callback request (``callback_requests.id``) this lead dials, in a ``callbacks``
    campaign. A plain id, like ``callback_agent_id``."""
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    phones: Mapped[list[LeadPhone]] = relationship(
        back_populates="lead", cascade="all, delete-orphan", order_by="LeadPhone.position"
    )


class LeadPhone(Base):
    """One of a lead's numbers, in the order they are tried."""

    __tablename__ = "lead_phones"
    __table_args__ = (
        CheckConstraint(E164_CHECK.format(col="phone_e164"), name="phone_e164_format"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        UniqueConstraint("lead_id", "phone_e164"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    phone_e164: Mapped[str] = mapped_column(String(16), index=True)
    label: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_attempt_at: Mapped[datetime | None]

    lead: Mapped[Lead] = relationship(back_populates="phones")


class CallAttempt(Base):
    """One outbound dial by the dialer: when it rang, was answered, reached an agent
    (``connected_at``, for the 2-second rule) and ended; the network outcome, the AMD verdict,
    and whether a live answer was abandoned (the compliance numerator)."""

    __tablename__ = "call_attempts"
    __table_args__ = (
        CheckConstraint(E164_CHECK.format(col="phone_e164"), name="phone_e164_format"),
        CheckConstraint("NOT abandoned OR answered_at IS NOT NULL", name="abandoned_was_answered"),
        Index(None, "campaign_id", "started_at"),
        # Re-dial locks (e.g. no new call for 72 h after an abandon) look numbers up by time.
        Index(None, "phone_e164", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    lead_phone_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead_phones.id", ondelete="SET NULL")
    )
    phone_e164: Mapped[str] = mapped_column(String(16))
    dialer_id: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    channel_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[CallOutcome | None] = mapped_column(vocabulary(CallOutcome, "call_outcome"))
    amd_result: Mapped[str | None] = mapped_column(String(16))
    amd_cause: Mapped[str | None] = mapped_column(String(64))
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    abandoned: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    disposition: Mapped[str | None] = mapped_column(String(64))


class DncEntry(Base):
    """A number that must not be called: for every campaign (``scope`` global) or one campaign;
    from a customer's request, a national registry, a complaint... until ``expires_at``
    (never when empty)."""

    __tablename__ = "dnc_entries"
    __table_args__ = (
        CheckConstraint(E164_CHECK.format(col="phone_e164"), name="phone_e164_format"),
        CheckConstraint(
            "(scope = 'campaign' AND campaign_id IS NOT NULL) OR "
            "(scope = 'global' AND campaign_id IS NULL)",
            name="scope_matches_campaign",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_e164: Mapped[str] = mapped_column(String(16), index=True)
    scope: Mapped[DncScope] = mapped_column(vocabulary(DncScope, "dnc_scope"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime | None]


# --- calls and IVR -----------------------------------------------------------------------------


class Interaction(Base):
    """One call, inbound or outbound, as the KPI reports count it: keyed by Asterisk's
    ``linkedid`` (unique: one row per call), with who (customer, agent), where (queue, campaign),
    when (started, answered, ended) and how long (wait, talk, hold, wrap-up seconds). The
    customer's tier is copied at call time so reports by tier do not change when a tier does."""

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint(
            "wait_s >= 0 AND talk_s >= 0 AND hold_s >= 0 AND wrapup_s >= 0",
            name="durations_not_negative",
        ),
        CheckConstraint(
            "answered_at IS NULL OR answered_at >= started_at", name="answered_after_start"
        ),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ended_after_start"),
        Index(None, "started_at"),
        Index(None, "queue_id", "started_at"),
        Index(None, "agent_id", "started_at"),
        Index(None, "customer_id", "started_at"),
        Index(None, "campaign_id", "started_at"),
        # The QA list of recorded calls, newest first (keyset paging on started_at, id): only
        # the recorded calls are in it, however many calls were not recorded.
        Index(
            "ix_interactions_recorded_started_at",
            "started_at",
            "id",
            sqlite_where=text("recording_ref IS NOT NULL"),
            postgresql_where=text("recording_ref IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[CallDirection] = mapped_column(vocabulary(CallDirection, "direction"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    customer_tier: Mapped[Tier | None] = mapped_column(vocabulary(Tier, "customer_tier"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    caller_e164: Mapped[str | None] = mapped_column(String(16))
    called_number: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    wait_s: Mapped[int | None] = mapped_column(Integer)
    talk_s: Mapped[int | None] = mapped_column(Integer)
    hold_s: Mapped[int | None] = mapped_column(Integer)
    wrapup_s: Mapped[int | None] = mapped_column(Integer)
    end_reason: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(64))
    recording_ref: Mapped[str | None] = mapped_column(String(255))
    transferred: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = created_at()


class IvrSession(Base):
    """One caller's trip through an IVR flow: the nodes visited (``path``), what was entered
    (``inputs``, e.g. an account number), and how it ended (``outcome``: queue, self_service,
    callback, complaint, hangup, failover). IVR abandon and containment reports read this."""

    __tablename__ = "ivr_sessions"
    __table_args__ = (
        Index(None, "started_at"),
        Index(None, "flow", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(64))
    caller_e164: Mapped[str | None] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    flow: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    path: Mapped[list[Any]] = mapped_column(JSONDoc, server_default=text("'[]'"))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONDoc, server_default=text("'{}'"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    steps: Mapped[list[IvrStep]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="IvrStep.seq"
    )


class IvrStep(Base):
    """One node of an IVR session, in order: what the caller entered there and what came of it
    (for IVR path analysis: where callers give up, which menu options are used)."""

    __tablename__ = "ivr_steps"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("ivr_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    node: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    input: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(String(32))
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[IvrSession] = relationship(back_populates="steps")


class QueueLogEvent(Base):
    """A line of Asterisk's queue_log, as ingested (time, callid, queue, agent, event, data1..5),
    kept so the KPIs can be recomputed when a definition changes."""

    __tablename__ = "queue_log_events"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "callid"),
        Index(None, "queue", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    at: Mapped[datetime]
    callid: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(128))
    agent: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(32))
    data1: Mapped[str | None] = mapped_column(String(255))
    data2: Mapped[str | None] = mapped_column(String(255))
    data3: Mapped[str | None] = mapped_column(String(255))
    data4: Mapped[str | None] = mapped_column(String(255))
    data5: Mapped[str | None] = mapped_column(String(255))


class QueueCall(Base):
    """One visit of a call to one queue, built from queue_log (:mod:`asterisk_cc.core.reports.
    calls`): a call that overflows from one queue into another, or is transferred into a second
    queue, has one row per queue. ``outcome`` is how the visit ended (answered, abandoned,
    timeout, exit_empty, exit_key, withdrawn) or ``in_queue`` while it has not; durations are
    seconds. Rebuilt from ``queue_log_events`` whenever a call gets new lines, so re-running
    the normalisation never counts a call twice."""

    __tablename__ = "queue_calls"
    __table_args__ = (
        UniqueConstraint("callid", "queue", "entered_at"),
        Index(None, "entered_at"),
        Index(None, "queue", "entered_at"),
        Index(None, "agent", "entered_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    callid: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(128))
    entered_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16))
    wait_s: Mapped[float] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    agent: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    entry_position: Mapped[int | None] = mapped_column(Integer)
    ring_no_answer: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    transferred: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    transfer_target: Mapped[str | None] = mapped_column(String(128))
    exit_key: Mapped[str | None] = mapped_column(String(8))


class CdrRecord(Base):
    """One call detail record of Asterisk (Master.csv or the ``cdr`` table), as written: the
    times are UTC; ``row_hash`` (a digest of the record as read) makes a re-read of the same
    record a no-op, whatever the source's cursor says."""

    __tablename__ = "cdr_records"
    __table_args__ = (
        Index(None, "start_at"),
        Index(None, "linkedid"),
        Index(None, "uniqueid"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(255))
    accountcode: Mapped[str | None] = mapped_column(String(80))
    src: Mapped[str | None] = mapped_column(String(80))
    dst: Mapped[str | None] = mapped_column(String(80))
    dcontext: Mapped[str | None] = mapped_column(String(80))
    clid: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(128))
    dstchannel: Mapped[str | None] = mapped_column(String(128))
    lastapp: Mapped[str | None] = mapped_column(String(80))
    lastdata: Mapped[str | None] = mapped_column(String(255))
    start_at: Mapped[datetime]
    answer_at: Mapped[datetime | None]
    end_at: Mapped[datetime]
    duration_s: Mapped[int] = mapped_column(Integer)
    billsec_s: Mapped[int] = mapped_column(Integer)
    disposition: Mapped[str] = mapped_column(String(16))
    amaflags: Mapped[str | None] = mapped_column(String(16))
    uniqueid: Mapped[str | None] = mapped_column(String(150))
    userfield: Mapped[str | None] = mapped_column(String(255))
    peeraccount: Mapped[str | None] = mapped_column(String(80))
    linkedid: Mapped[str | None] = mapped_column(String(150))
    sequence: Mapped[int | None] = mapped_column(Integer)


class ForecastInterval(Base):
    """The staffing forecast (人力预测) of one queue for one interval: calls expected, their
    handle time, the agents Erlang C needs for the queue's service-level target, and the agents
    scheduled then (排班; NULL when no schedule was entered). The early-warning job compares
    the calls that came with ``calls``."""

    __tablename__ = "forecast_intervals"
    __table_args__ = (
        UniqueConstraint("queue", "interval_start"),
        CheckConstraint("interval_s > 0", name="interval_positive"),
        Index(None, "interval_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(128))
    interval_start: Mapped[datetime]
    interval_s: Mapped[int] = mapped_column(Integer)
    calls: Mapped[float] = mapped_column(Float)
    aht_s: Mapped[float] = mapped_column(Float)
    required_agents: Mapped[int] = mapped_column(Integer)
    scheduled_agents: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()


class Alert(Base):
    """An early-warning alert (呼叫量预警): raised by a rule for a scope (a queue, or ``*`` for
    the whole centre) when its value crossed the threshold, cleared when it came back;
    ``notified_at``/``notifications`` keep mail and webhooks from flooding."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(None, "rule", "scope", "cleared_at"),
        Index(None, "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    notified_at: Mapped[datetime | None]
    notifications: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class IngestCursor(Base):
    """How far an ingestion job has read a source (queue_log, CDR, CEL): a restart continues
    from ``position`` (a byte offset or a last id) instead of reading everything again.
    ``source_id`` tells a rotated file from the old one (e.g. device:inode)."""

    __tablename__ = "ingest_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(BigIntId, server_default=text("0"))
    line: Mapped[int] = mapped_column(BigIntId, server_default=text("0"))
    """Lines read so far (for a file): the next line's number is ``line + 1``."""
    updated_at: Mapped[datetime] = updated_at()


# --- after the call: surveys, complaints, callbacks, QA -----------------------------------------


class SurveyAnswer(Base):
    """A post-call satisfaction answer (CSAT), 1 (bad) to 5 (good), per call and question;
    agent and queue are copied from the call for the per-agent and per-queue reports."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        UniqueConstraint("interaction_id", "question"),
        Index(None, "agent_id", "answered_at"),
        Index(None, "queue_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime]


class ComplaintTicket(Base):
    """A complaint (投诉) going through receive → confirm → plan → execute → follow-up → close
    (:mod:`asterisk_cc.core.tickets`), with the time it entered each stage, the call and the
    recording it came from, its owner, and the time it is due (SLA)."""

    __tablename__ = "complaint_tickets"
    __table_args__ = (
        CheckConstraint("reopen_count >= 0", name="reopen_count_not_negative"),
        CheckConstraint(
            "(state = 'closed' AND closed_at IS NOT NULL) OR "
            "(state <> 'closed' AND closed_at IS NULL)",
            name="closed_at_iff_closed",
        ),
        Index(None, "state", "due_at"),
        Index(None, "owner_agent_id", "state"),
        Index(None, "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[TicketState] = mapped_column(
        vocabulary(TicketState, "ticket_state"), server_default=TicketState.RECEIVED
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    owner_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"), index=True
    )
    caller_e164: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    recording_ref: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]
    executing_at: Mapped[datetime | None]
    follow_up_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )


class TicketEvent(Base):
    """The history of a complaint ticket: every move (from, to, when, by whom) and every note."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index(None, "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("complaint_tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    from_state: Mapped[TicketState | None] = mapped_column(vocabulary(TicketState, "from_state"))
    to_state: Mapped[TicketState] = mapped_column(vocabulary(TicketState, "to_state"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[ComplaintTicket] = relationship(back_populates="events")


class CallbackRequest(Base):
    """A caller asked to be called back (from the IVR, instead of waiting, or an abandoned call
    picked up by a supervisor): at ``preferred_at`` if given, through ``queue_id``."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        CheckConstraint(E164_CHECK.format(col="phone_e164"), name="phone_e164_format"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index(None, "status", "preferred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_e164: Mapped[str] = mapped_column(String(16), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime]
    preferred_at: Mapped[datetime | None]
    status: Mapped[CallbackStatus] = mapped_column(
        vocabulary(CallbackStatus, "callback_status"), server_default=CallbackStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_attempt_at: Mapped[datetime | None]
    fulfilled_at: Mapped[datetime | None]
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    note: Mapped[str | None] = mapped_column(Text)


class QaScorecard(Base):
    """A quality-assurance form: weighted items, some critical (failing one fails the call)."""

    __tablename__ = "qa_scorecards"
    __table_args__ = (
        CheckConstraint("pass_score >= 0 AND pass_score <= 100", name="pass_score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    pass_score: Mapped[float] = mapped_column(Float, server_default=text("80"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = created_at()

    items: Mapped[list[QaScorecardItem]] = relationship(
        back_populates="scorecard",
        cascade="all, delete-orphan",
        order_by="QaScorecardItem.position",
    )


class QaScorecardItem(Base):
    """One question of a QA scorecard, its weight in the score, and whether it is critical."""

    __tablename__ = "qa_scorecard_items"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        UniqueConstraint("scorecard_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("qa_scorecards.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(Float, server_default=text("1"))
    critical: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    scorecard: Mapped[QaScorecard] = relationship(back_populates="items")


class QaEvaluation(Base):
    """A supervisor's evaluation of one call against a scorecard: the points per item
    (``answers``: item id -> points 0..1), the weighted score 0..100, and whether a critical
    item failed."""

    __tablename__ = "qa_evaluations"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        Index(None, "agent_id", "evaluated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("qa_scorecards.id"))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    evaluator_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    evaluated_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDoc, server_default=text("'{}'"))
    score: Mapped[float] = mapped_column(Float)
    critical_failed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    comment: Mapped[str | None] = mapped_column(Text)


class CallNote(Base):
    """A note an agent wrote on a call (the desktop's wrap-up form): work data about the call,
    read back by the agent who wrote it and by quality review. Keyed by the call's
    ``linkedid`` because the note is often written before the call's ``interactions`` row
    exists (that comes from the controller, queue_log or CDR later); ``interaction_id`` is
    filled when the row is there at writing time."""

    __tablename__ = "call_notes"
    __table_args__ = (
        CheckConstraint(f"length(text) BETWEEN 1 AND {CALL_NOTE_MAX}", name="text_length"),
        Index(None, "linkedid", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """The author. Users are deactivated, never deleted, so a note keeps its author."""
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


# --- agents' time ------------------------------------------------------------------------------


class AgentStateChange(Base):
    """An agent entering a state (ready, paused with a reason, talking, wrap-up, logged out)
    at ``at``: occupancy, attendance, pause and adherence reports are built from these."""

    __tablename__ = "agent_state_changes"
    __table_args__ = (
        Index(None, "agent_id", "at"),
        Index(None, "at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    state: Mapped[AgentState] = mapped_column(vocabulary(AgentState, "agent_state"))
    reason: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )


# --- users, audit, reports ---------------------------------------------------------------------


class User(Base):
    """A dashboard login. ``role`` decides what the user may see and do; an agent's user is
    linked to the agent (``agent_id``, at most one user per agent)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(vocabulary(UserRole, "user_role"))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), unique=True
    )
    display_name: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class AuditLogEntry(Base):
    """Who did what, when, from where: logins, supervisor listen/whisper/barge, recording
    playback, configuration and campaign changes. ``username`` is kept even if the user goes."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "user_id", "at"),
        # The audit viewer's filter by action, newest first.
        Index(None, "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    ip: Mapped[str | None] = mapped_column(String(45))


class ReportRun(Base):
    """One run of a report job for a period [``period_start``, ``period_end``): the scheduler
    records it so a missed or failed daily pack is visible and can be re-run."""

    __tablename__ = "report_runs"
    __table_args__ = (
        CheckConstraint("period_end > period_start", name="period_order"),
        Index(None, "report", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    status: Mapped[ReportStatus] = mapped_column(
        vocabulary(ReportStatus, "report_status"), server_default=ReportStatus.QUEUED
    )
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    output_path: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
