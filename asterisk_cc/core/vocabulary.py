"""The product's stored vocabulary: the closed sets of values that calls, campaigns, leads,
agents and users are described with.

The database keeps these as text with CHECK constraints (readable by any tool that shares the
CRM database); the code uses the enums. Tiers live in :mod:`asterisk_cc.core.customers` and
complaint states in :mod:`asterisk_cc.core.tickets`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AbandonDefinition",
    "AgentState",
    "CallDirection",
    "CallOutcome",
    "CallbackStatus",
    "CampaignStatus",
    "DialMode",
    "DncScope",
    "LeadStatus",
    "ReportStatus",
    "UserRole",
]


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class DialMode(StrEnum):
    """How a campaign dials: the agent previews the lead first, one line per free agent,
    or paced ahead of free agents."""

    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"
    ARCHIVED = "archived"


class AbandonDefinition(StrEnum):
    """Which regulator's abandon rate a campaign is held to (see docs on the dialer).

    FTC_30D / FCC_30D: abandoned live answers over all live answers, per campaign per 30 days.
    OFCOM_DAILY: the same per calendar day, AMD false positives added.
    """

    FTC_30D = "ftc_30d"
    FCC_30D = "fcc_30d"
    OFCOM_DAILY = "ofcom_daily"


class LeadStatus(StrEnum):
    """PENDING: to be dialed at ``next_attempt_at``; DIALING: claimed by a dialer; DONE: a final
    disposition; EXHAUSTED: out of attempts; DNC: must not be called; INVALID: no dialable
    number; CANCELLED: taken out of the campaign."""

    PENDING = "pending"
    DIALING = "dialing"
    DONE = "done"
    EXHAUSTED = "exhausted"
    DNC = "dnc"
    INVALID = "invalid"
    CANCELLED = "cancelled"


class CallOutcome(StrEnum):
    """The network-level result of one outbound attempt (the agent's disposition is separate)."""

    HUMAN = "human"
    MACHINE = "machine"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CONGESTION = "congestion"
    INVALID_NUMBER = "invalid_number"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DncScope(StrEnum):
    GLOBAL = "global"
    CAMPAIGN = "campaign"


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RESERVED = "reserved"  # held for a preview or a dialer call
    RINGING = "ringing"
    TALKING = "talking"
    HOLD = "hold"  # on a call, the customer on hold
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class CallbackStatus(StrEnum):
    PENDING = "pending"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ReportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class UserRole(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
