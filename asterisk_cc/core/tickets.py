"""The complaint workflow (投诉处理): receive → confirm → plan → execute → follow-up → close.

A complaint is *received* (from a call, the IVR or an agent), *confirmed* (checked: is it a
real, new complaint?), a remedy is *planned*, the plan is *executed*, and the customer gets a
*follow-up* call-back; if the customer is satisfied the ticket is *closed*, if not it goes back
to *executing* (reopened). A complaint that turns out to be unfounded or a duplicate can be
closed straight from received or confirmed.

:func:`transition` is the only way a ticket moves. It is pure: it takes the ticket's progress
and ``now`` and returns the new progress, with the time the ticket entered each stage, or
raises :class:`IllegalTransition` naming the move and the moves that are allowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "TRANSITIONS",
    "IllegalTransition",
    "TicketError",
    "TicketProgress",
    "TicketState",
    "allowed_targets",
    "open_ticket",
    "transition",
]


class TicketState(StrEnum):
    RECEIVED = "received"
    CONFIRMED = "confirmed"
    PLANNED = "planned"
    EXECUTING = "executing"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"

    @property
    def stage(self) -> int:
        """Position in the workflow, 0 (received) to 5 (closed)."""
        return _ORDER.index(self)


_ORDER: Final = tuple(TicketState)

TRANSITIONS: Final[Mapping[TicketState, frozenset[TicketState]]] = MappingProxyType(
    {
        TicketState.RECEIVED: frozenset({TicketState.CONFIRMED, TicketState.CLOSED}),
        TicketState.CONFIRMED: frozenset({TicketState.PLANNED, TicketState.CLOSED}),
        TicketState.PLANNED: frozenset({TicketState.EXECUTING}),
        TicketState.EXECUTING: frozenset({TicketState.FOLLOW_UP}),
        # Not satisfied at the follow-up call-back: reopened, the remedy is executed again.
        TicketState.FOLLOW_UP: frozenset({TicketState.CLOSED, TicketState.EXECUTING}),
        TicketState.CLOSED: frozenset(),
    }
)
"""Allowed moves: state -> the states it may go to next."""


class TicketError(ValueError):
    """A ticket cannot make the requested move."""


class IllegalTransition(TicketError):
    def __init__(self, current: TicketState, target: TicketState) -> None:
        self.current = current
        self.target = target
        allowed = sorted(TRANSITIONS[current], key=lambda s: s.stage)
        options = ", ".join(s.value for s in allowed) if allowed else "none (the ticket is closed)"
        super().__init__(
            f"a complaint ticket cannot go from {current.value} to {target.value}; "
            f"from {current.value} it can go to: {options}"
        )


def allowed_targets(state: TicketState) -> frozenset[TicketState]:
    return TRANSITIONS[state]


@dataclass(frozen=True)
class TicketProgress:
    """Where a ticket is, and when it entered each stage (timezone-aware UTC).

    A stage's time is the *latest* entry into it; stages after the current one have no time
    (reopening clears ``follow_up_at``). The full history is kept as ticket events.
    """

    state: TicketState
    received_at: datetime
    confirmed_at: datetime | None = None
    planned_at: datetime | None = None
    executing_at: datetime | None = None
    follow_up_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0

    def entered_at(self, state: TicketState | None = None) -> datetime | None:
        """When the ticket entered ``state`` (default: the current state)."""
        value: datetime | None = getattr(self, _stamp_field(state or self.state))
        return value

    @property
    def is_open(self) -> bool:
        return self.state is not TicketState.CLOSED


def _stamp_field(state: TicketState) -> str:
    return f"{state.value}_at"


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise TicketError(f"ticket times must be timezone-aware (UTC), not naive {now!r}")


def open_ticket(now: datetime) -> TicketProgress:
    """A new complaint, received at ``now``."""
    _require_aware(now)
    return TicketProgress(state=TicketState.RECEIVED, received_at=now)


def transition(progress: TicketProgress, target: TicketState, now: datetime) -> TicketProgress:
    """Move the ticket to ``target`` at ``now``; raise :class:`IllegalTransition` if not allowed.

    ``now`` must be timezone-aware and not earlier than the time the ticket entered its
    current stage (stage times never run backwards).
    """
    _require_aware(now)
    target = TicketState(target)
    if target not in TRANSITIONS[progress.state]:
        raise IllegalTransition(progress.state, target)
    entered = progress.entered_at()
    if entered is not None and now < entered:
        raise TicketError(
            f"cannot move the ticket to {target.value} at {now.isoformat()}: it entered "
            f"{progress.state.value} later, at {entered.isoformat()}"
        )
    changes: dict[str, object] = {"state": target, _stamp_field(target): now}
    if target.stage < progress.state.stage:
        changes["reopen_count"] = progress.reopen_count + 1
        for later in _ORDER[target.stage + 1 :]:
            changes[_stamp_field(later)] = None
    return dataclasses.replace(progress, **changes)  # type: ignore[arg-type]
