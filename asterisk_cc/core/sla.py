"""Service-level timers and urgency for the supervisor's work queues: complaint tickets and
callback requests.

A complaint's deadline is its ``due_at`` (the time it must be closed by; ``docs/kpi.md`` §4.4
counts a ticket closed after it, or still open past it, as an SLA breach). A ticket without a
deadline has no SLA timer and comes after every ticket that has one.

A callback is due at the time the caller asked for (``preferred_at``), or at once when they
asked for none: its due time is ``preferred_at`` or else ``requested_at``, the rule the dialer
uses when it turns due requests into calls (``docs/dialer.md``, *Callbacks*).

Everything here is pure: the caller passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from asterisk_cc.core.tickets import TicketState, allowed_targets

__all__ = [
    "CALLBACK_WARNING",
    "COMPLAINT_WARNING",
    "OPEN_TICKET_STATES",
    "SlaState",
    "SlaTimer",
    "TicketMove",
    "callback_due_at",
    "callback_urgency",
    "complaint_due_at",
    "complaint_urgency",
    "sla_timer",
    "ticket_moves",
]

COMPLAINT_WARNING: Final = timedelta(hours=4)
"""A complaint is *due soon* when less than this is left before its deadline."""
CALLBACK_WARNING: Final = timedelta(minutes=15)
"""A callback is *due soon* when it is due within this."""

OPEN_TICKET_STATES: Final = tuple(state for state in TicketState if state is not TicketState.CLOSED)
"""The stages of a complaint that still needs work, in workflow order."""


class SlaState(StrEnum):
    NO_DEADLINE = "no_deadline"
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class SlaTimer:
    """Where an item stands against its deadline at one moment."""

    deadline: datetime | None
    seconds_left: float | None
    """Seconds until the deadline; negative once it has passed (then ``-seconds_left`` is how
    long it is overdue); None without a deadline."""
    state: SlaState

    @property
    def overdue_s(self) -> float:
        """How long past the deadline (0 when not overdue)."""
        return max(0.0, -(self.seconds_left or 0.0))


def _require_aware(what: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, not naive {value!r}")


def sla_timer(deadline: datetime | None, now: datetime, *, warn_within: timedelta) -> SlaTimer:
    """The timer of an item due at ``deadline``, at ``now``: overdue from the deadline on (a
    deadline reached this very second is overdue), due soon within ``warn_within`` of it."""
    _require_aware("now", now)
    if deadline is None:
        return SlaTimer(None, None, SlaState.NO_DEADLINE)
    _require_aware("deadline", deadline)
    left = (deadline - now).total_seconds()
    if left <= 0:
        state = SlaState.OVERDUE
    elif left <= warn_within.total_seconds():
        state = SlaState.DUE_SOON
    else:
        state = SlaState.ON_TIME
    return SlaTimer(deadline, left, state)


def callback_due_at(requested_at: datetime, preferred_at: datetime | None) -> datetime:
    """When a callback is due: the time the caller asked for, else as soon as requested."""
    return preferred_at if preferred_at is not None else requested_at


def complaint_due_at(received_at: datetime, due_hours: int) -> datetime | None:
    """When a complaint received at ``received_at`` is due, ``due_hours`` later (the IVR's
    ``[ivr] complaint_due_hours``); None for 0: no deadline. Plain hours, round the clock:
    opening hours and holidays are not skipped."""
    _require_aware("received_at", received_at)
    if due_hours < 0:
        raise ValueError(f"a complaint's due hours cannot be negative: {due_hours}")
    if due_hours == 0:
        return None
    return received_at + timedelta(hours=due_hours)


def complaint_urgency(
    due_at: datetime | None, received_at: datetime, ticket_id: int
) -> tuple[int, datetime, datetime, int]:
    """Sort key of open complaints, most urgent first: tickets with a deadline by deadline
    (the most overdue first), then those without one, oldest first. The complaints page orders
    its SQL query the same way (``due_at IS NULL, due_at, received_at, id``)."""
    if due_at is None:
        return (1, received_at, received_at, ticket_id)
    return (0, due_at, received_at, ticket_id)


def callback_urgency(
    requested_at: datetime, preferred_at: datetime | None, request_id: int
) -> tuple[datetime, datetime, int]:
    """Sort key of open callbacks, most urgent first: by due time, then the earliest request
    (callers keep their place), then the id."""
    return (callback_due_at(requested_at, preferred_at), requested_at, request_id)


@dataclass(frozen=True)
class TicketMove:
    """A move a complaint may make from its current stage."""

    target: TicketState
    reopens: bool
    """Back to an earlier stage (the customer was not satisfied at the follow-up)."""


def ticket_moves(state: TicketState) -> tuple[TicketMove, ...]:
    """The moves allowed from ``state`` (the workflow of :mod:`asterisk_cc.core.tickets`),
    forward moves first in workflow order, then a reopening."""
    current = TicketState(state)
    moves = [
        TicketMove(target, reopens=target.stage < current.stage)
        for target in allowed_targets(current)
    ]
    return tuple(sorted(moves, key=lambda move: (move.reopens, move.target.stage)))
