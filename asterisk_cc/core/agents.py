"""An agent's working state: logged out, ready, reserved, ringing, talking, on hold, wrap-up,
paused with a reason.

The ARI controller keeps each logged-in agent's channel in the agent's own bridge; app_queue
offers calls to the agent through a Local channel member; the dialer reserves agents for
preview and predictive calls. Whatever happens, the controller calls :func:`apply` with the
agent's :class:`AgentStatus`, an event and ``now``, and gets back the new status and a list of
effects to carry out, in order:

- :class:`RecordState`: store an ``agent_state_changes`` row. Occupancy, utilisation and
  attendance are computed from these rows, so there is exactly one per real change of state
  or pause reason, and none for a repeated event.
- :class:`JoinQueues`, :class:`PauseMembership`, :class:`UnpauseMembership`,
  :class:`LeaveQueues`: keep the agent's app_queue membership in step with the state (AMI
  QueueAdd / QueuePause / QueueRemove). Ready: unpaused. Paused, reserved, wrap-up: paused
  (with the pause reason, ``reserved`` or ``wrap_up``). Logged out: removed. Ringing, talking
  and on hold leave the membership as it is: app_queue does not ring a busy member
  (``ringinuse=no``). An agent with no queues (outbound only) gets no membership effects.
- :class:`StartWrapUpTimer`: wrap-up ends by itself at ``until``; when the timer fires, the
  controller applies ``WrapUpExpired(until)``.

Transitions (``X`` is the agent's current call; "remember" keeps a pause request for later)::

    state        event                         next state / effect
    -----------  ----------------------------  ----------------------------------------------
    logged_out   LogIn(queues)                 ready; JoinQueues
    ready        Reserve(X)                    reserved; PauseMembership("reserved")
    ready        Offer(X, queue)               ringing
    ready        Pause(r)                      paused(r); PauseMembership(r)
    ready/paused Ready, Unpause                ready (UnpauseMembership) / nothing if ready
    paused(r)    Pause(r2 != r)                paused(r2); PauseMembership(r2)
    reserved     Offer(X, queue)               ringing
    reserved     Answer(X)                     talking (the dialer connects the agent at once)
    ringing      Answer(X)                     talking
    talking      Hold(X) / hold Unhold(X)      hold / talking
    reserved,    CallEnded(X)                  after the call (below): never answered, no wrap-up
    ringing
    talking,     CallEnded(X, queue, limit_s)  limit_s > 0: wrap-up until now + limit_s;
    hold                                       PauseMembership("wrap_up"); StartWrapUpTimer
                                               limit_s == 0: after the call (below)
    wrap_up      WrapUpExpired(until), Ready   after the call (below)
    on a call,   Pause(r) / Unpause            remember r / forget it (no record, no effect)
    wrap_up
    logged in    LogOut(reason)                logged_out(reason); LeaveQueues

"After the call" is ``paused(r)`` (``PauseMembership(r)``) when the agent asked for a pause
``r`` during the call or the wrap-up ("pause after this call"), else ``ready``
(``UnpauseMembership`` when the membership was paused).

Tolerated, with no change and no effect:

- a repeated event: LogIn with the same queues, Pause(r) while paused for r or while r is
  already requested, Ready or Unpause while ready, LogOut while logged out, Hold while on
  hold, Unhold or Answer while talking, Offer or Reserve for the current call;
- an event about another call than the current one (Answer, Hold, Unhold, CallEnded naming a
  call the agent is not on, or the call just wrapped up): a late event after a transfer or a
  hang-up never touches the agent's new call;
- a WrapUpExpired whose ``until`` is not the current wrap-up's deadline (an old timer, a
  timer fired twice after a controller restart, an agent no longer in wrap-up). A timer that
  fires *before* the deadline changes nothing and asks again: ``StartWrapUpTimer(until)``.

Everything else raises :class:`AgentTransitionError` naming the state and the event; the
agent's status is unchanged. In particular an Offer or a Reserve for a new call while the
agent is not ready (paused, in wrap-up, on another call, logged out) is refused: the
controller declines that offer (app_queue then tries another member).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol, TypeAlias

from asterisk_cc.core.vocabulary import AgentState

__all__ = [
    "DEFAULT_PAUSE_REASONS",
    "RESERVED_PAUSE",
    "WRAP_UP_PAUSE",
    "AgentError",
    "AgentEvent",
    "AgentStatus",
    "AgentTransitionError",
    "Answer",
    "CallEnded",
    "Effect",
    "Hold",
    "JoinQueues",
    "LeaveQueues",
    "LogIn",
    "LogOut",
    "Offer",
    "Pause",
    "PauseMembership",
    "QueuePenalty",
    "Ready",
    "RecordState",
    "Reserve",
    "StartWrapUpTimer",
    "StateRecord",
    "Unhold",
    "Unpause",
    "UnpauseMembership",
    "WrapUpExpired",
    "apply",
    "check_reason",
    "logged_out",
    "time_in_states",
]

S = AgentState

DEFAULT_PAUSE_REASONS: Final = ("break", "lunch", "training", "meeting", "other")
"""The pause reasons a site starts with; sites configure their own."""

RESERVED_PAUSE: Final = "reserved"
"""The queue-membership pause reason while the agent is held for a dialer or preview call."""

WRAP_UP_PAUSE: Final = "wrap_up"
"""The queue-membership pause reason during after-call work."""

REASON_MAX_LENGTH: Final = 64  # agent_state_changes.reason
_REASON: Final = re.compile(r"[a-z0-9_-]+")

_ON_CALL: Final = frozenset({S.RESERVED, S.RINGING, S.TALKING, S.HOLD})
_ANSWERED: Final = frozenset({S.TALKING, S.HOLD})
_KEEPS_PAUSE_REQUEST: Final = _ON_CALL | {S.WRAP_UP}

QueuePenalty: TypeAlias = tuple[str, int]
"""A queue the agent answers and the agent's penalty in it (0 = first choice)."""


class AgentError(ValueError):
    """Bad input to the agent state machine (a malformed event, a time running backwards)."""


class AgentTransitionError(AgentError):
    """The event is not allowed in the agent's current state."""

    def __init__(self, status: AgentStatus, event: AgentEvent, why: str) -> None:
        self.state = status.state
        self.event = event
        super().__init__(
            f"agent {status.login} is {_describe(status)}: cannot apply {event!r}: {why}"
        )


def _describe(status: AgentStatus) -> str:
    text = status.state.value
    if status.reason is not None:
        text += f" ({status.reason})"
    if status.call_id is not None:
        text += f" on call {status.call_id}"
    return text


def check_reason(reason: str) -> str:
    """A pause or logout reason: non-empty, at most 64 of ``a-z 0-9 _ -``; returns it."""
    if (
        not isinstance(reason, str)
        or len(reason) > REASON_MAX_LENGTH
        or not _REASON.fullmatch(reason)
    ):
        raise AgentError(
            f"reason {reason!r} is not a reason code: use 1 to {REASON_MAX_LENGTH} "
            "lower-case letters, digits, '_' or '-' (e.g. break, lunch, training)"
        )
    return reason


def _check_name(what: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise AgentError(f"{what} must be a non-empty string, not {value!r}")


def _check_aware(what: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise AgentError(f"{what} must be a timezone-aware datetime (UTC), not {value!r}")


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogIn:
    """The agent logs in and answers ``queues`` (queue name, penalty); may be empty."""

    queues: tuple[QueuePenalty, ...] = ()

    def __post_init__(self) -> None:
        queues: list[QueuePenalty] = []
        for pair in self.queues:  # lists are accepted and stored as tuples
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise AgentError(f"a queue is given as (name, penalty), not {pair!r}")
            name, penalty = pair
            _check_name("a queue name", name)
            if not isinstance(penalty, int) or isinstance(penalty, bool) or penalty < 0:
                raise AgentError(f"the penalty in queue {name} must be an integer >= 0")
            if any(name == seen for seen, _ in queues):
                raise AgentError(f"queue {name} is given twice")
            queues.append((name, penalty))
        object.__setattr__(self, "queues", tuple(queues))


@dataclass(frozen=True)
class LogOut:
    """The agent's session ends (logged out, forced out, the agent's channel hung up)."""

    reason: str | None = None

    def __post_init__(self) -> None:
        if self.reason is not None:
            check_reason(self.reason)


@dataclass(frozen=True)
class Reserve:
    """The dialer holds the agent for ``call_id`` (a preview, or a predictive call answered)."""

    call_id: str

    def __post_init__(self) -> None:
        _check_name("call_id", self.call_id)


@dataclass(frozen=True)
class Offer:
    """``call_id`` rings the agent, from ``queue``."""

    call_id: str
    queue: str

    def __post_init__(self) -> None:
        _check_name("call_id", self.call_id)
        _check_name("queue", self.queue)


@dataclass(frozen=True)
class Answer:
    """The agent is connected to ``call_id``."""

    call_id: str

    def __post_init__(self) -> None:
        _check_name("call_id", self.call_id)


@dataclass(frozen=True)
class Hold:
    """The agent puts ``call_id`` on hold."""

    call_id: str

    def __post_init__(self) -> None:
        _check_name("call_id", self.call_id)


@dataclass(frozen=True)
class Unhold:
    """The agent takes ``call_id`` off hold."""

    call_id: str

    def __post_init__(self) -> None:
        _check_name("call_id", self.call_id)


@dataclass(frozen=True)
class CallEnded:
    """``call_id`` is over for the agent: hung up, transferred away, never answered, abandoned.

    ``queue`` (default: the queue that offered the call) sets the wrap-up's queue, and
    ``wrapup_limit_s`` its length; 0 means no wrap-up. An unanswered call has no wrap-up.
    """

    call_id: str
    queue: str | None = None
    wrapup_limit_s: float = 0

    def __post_init__(self) -> None:
        _check_name("call_id", self.call_id)
        if self.queue is not None:
            _check_name("queue", self.queue)
        limit = self.wrapup_limit_s
        if (
            not isinstance(limit, int | float)
            or isinstance(limit, bool)
            or not math.isfinite(limit)
            or limit < 0
        ):
            raise AgentError(f"wrapup_limit_s must be a number of seconds >= 0, not {limit!r}")


@dataclass(frozen=True)
class WrapUpExpired:
    """The wrap-up timer set for ``until`` (by :class:`StartWrapUpTimer`) has fired."""

    until: datetime

    def __post_init__(self) -> None:
        _check_aware("until", self.until)


@dataclass(frozen=True)
class Ready:
    """The agent makes themself available: ends a pause, or ends wrap-up early."""


@dataclass(frozen=True)
class Pause:
    """The agent pauses for ``reason``; on a call or in wrap-up: after it."""

    reason: str

    def __post_init__(self) -> None:
        check_reason(self.reason)


@dataclass(frozen=True)
class Unpause:
    """The agent ends a pause, or withdraws a pause asked for after the current call."""


AgentEvent: TypeAlias = (
    LogIn
    | LogOut
    | Reserve
    | Offer
    | Answer
    | Hold
    | Unhold
    | CallEnded
    | WrapUpExpired
    | Ready
    | Pause
    | Unpause
)


# --- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordState:
    """Store: the agent entered ``state`` at ``at`` (with the pause or logout reason, and the
    queue and call of a call state)."""

    state: AgentState
    at: datetime
    reason: str | None = None
    queue: str | None = None
    call_id: str | None = None


@dataclass(frozen=True)
class JoinQueues:
    """Add the agent to each queue with its penalty, unpaused (AMI QueueAdd)."""

    queues: tuple[QueuePenalty, ...]


@dataclass(frozen=True)
class LeaveQueues:
    """Remove the agent from each queue (AMI QueueRemove)."""

    queues: tuple[QueuePenalty, ...]


@dataclass(frozen=True)
class PauseMembership:
    """Pause the agent in all their queues, with ``reason`` (AMI QueuePause Paused=true)."""

    reason: str


@dataclass(frozen=True)
class UnpauseMembership:
    """Unpause the agent in all their queues (AMI QueuePause Paused=false)."""


@dataclass(frozen=True)
class StartWrapUpTimer:
    """Apply ``WrapUpExpired(until)`` at ``until``. A timer never needs cancelling: one that
    fires when it no longer matters is ignored."""

    until: datetime


Effect: TypeAlias = (
    RecordState | JoinQueues | LeaveQueues | PauseMembership | UnpauseMembership | StartWrapUpTimer
)


# --- the agent's status ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentStatus:
    """Where an agent is, since when, and what the controller has been told to do about it.

    ``reason``: the pause reason (paused) or the logout reason (logged out). ``call_id`` and
    ``queue``: the current call (reserved, ringing, talking, hold) or the call being wrapped
    up. ``pause_requested``: a pause asked for during a call or wrap-up, applied when it ends.
    ``wrapup_until``: when the current wrap-up ends. ``queues``: the agent's queues and
    penalties while logged in. ``membership_paused``: the reason the agent's queue memberships
    are paused with (None: unpaused, or not a member).
    """

    login: str
    state: AgentState
    since: datetime
    reason: str | None = None
    call_id: str | None = None
    queue: str | None = None
    pause_requested: str | None = None
    wrapup_until: datetime | None = None
    queues: tuple[QueuePenalty, ...] = ()
    membership_paused: str | None = None

    def __post_init__(self) -> None:
        _check_name("login", self.login)
        _check_aware("since", self.since)
        object.__setattr__(self, "state", AgentState(self.state))

    @property
    def logged_in(self) -> bool:
        return self.state is not S.LOGGED_OUT

    @property
    def on_call(self) -> bool:
        """Reserved for, ringing with, talking on or holding a call."""
        return self.state in _ON_CALL

    @property
    def available(self) -> bool:
        """May be offered or reserved for a new call."""
        return self.state is S.READY


def logged_out(login: str, now: datetime) -> AgentStatus:
    """A logged-out agent, as of ``now``: the status every agent starts from."""
    return AgentStatus(login=login, state=S.LOGGED_OUT, since=now)


# --- transitions -------------------------------------------------------------------------------

Step: TypeAlias = tuple[AgentStatus, list[Effect]]


def apply(status: AgentStatus, event: AgentEvent, now: datetime) -> Step:
    """The agent's status after ``event`` at ``now``, and the effects to carry out in order.

    See the module documentation for the transitions and the tolerated repeats. Raises
    :class:`AgentTransitionError` for an event the state does not allow, and
    :class:`AgentError` when ``now`` is naive or earlier than ``status.since``.
    """
    _check_aware("now", now)
    if now < status.since:
        raise AgentError(
            f"agent {status.login}: time runs backwards: {now.isoformat()} is before "
            f"{status.since.isoformat()}, when the agent became {status.state.value}"
        )
    state = status.state
    match event:
        case LogIn(queues=queues):
            if state is S.LOGGED_OUT:
                return _enter(status, now, S.READY, queues=queues)
            if queues == status.queues:
                return _unchanged(status)
            raise AgentTransitionError(
                status, event, "already logged in with other queues; log out first"
            )
        case LogOut(reason=reason):
            if state is S.LOGGED_OUT:
                return _unchanged(status)
            return _enter(status, now, S.LOGGED_OUT, reason=reason, queues=())
        case Reserve(call_id=call_id):
            if status.call_id == call_id:
                return _unchanged(status)  # a repeat, or late: the call has moved on
            if state is S.READY:
                return _enter(status, now, S.RESERVED, call_id=call_id)
            raise AgentTransitionError(status, event, "only a ready agent can be reserved")
        case Offer(call_id=call_id, queue=queue):
            if status.call_id == call_id:
                if state is S.RESERVED:
                    return _enter(status, now, S.RINGING, call_id=call_id, queue=queue)
                return _unchanged(status)  # a repeat, or late: the call has moved on
            if state is S.READY:
                return _enter(status, now, S.RINGING, call_id=call_id, queue=queue)
            raise AgentTransitionError(status, event, "only a ready agent can be offered a call")
        case Answer(call_id=call_id):
            if not _is_current(status, call_id) or state in _ANSWERED:
                return _unchanged(status)
            return _enter(status, now, S.TALKING, call_id=call_id, queue=status.queue)
        case Hold(call_id=call_id) | Unhold(call_id=call_id):
            if not _is_current(status, call_id):
                return _unchanged(status)
            if state not in _ANSWERED:
                raise AgentTransitionError(status, event, "the call is not answered yet")
            target = S.HOLD if isinstance(event, Hold) else S.TALKING
            if state is target:
                return _unchanged(status)
            return _enter(status, now, target, call_id=call_id, queue=status.queue)
        case CallEnded(call_id=call_id, queue=queue, wrapup_limit_s=limit_s):
            if not _is_current(status, call_id):
                return _unchanged(status)
            if state not in _ANSWERED or limit_s == 0:
                return _after_call(status, now)
            until = now + timedelta(seconds=limit_s)
            after, effects = _enter(
                status,
                now,
                S.WRAP_UP,
                call_id=call_id,
                queue=queue or status.queue,
                wrapup_until=until,
            )
            return after, [*effects, StartWrapUpTimer(until)]
        case WrapUpExpired(until=until):
            if state is not S.WRAP_UP or until != status.wrapup_until:
                return _unchanged(status)  # an old or repeated timer
            if now < until:
                return status, [StartWrapUpTimer(until)]  # fired early: not yet
            return _after_call(status, now)
        case Ready():
            if state is S.READY:
                return _unchanged(status)
            if state is S.PAUSED:
                return _enter(status, now, S.READY)
            if state is S.WRAP_UP:
                return _after_call(status, now)
            raise AgentTransitionError(status, event, _not_now(state))
        case Pause(reason=reason):
            if state is S.READY or (state is S.PAUSED and reason != status.reason):
                return _enter(status, now, S.PAUSED, reason=reason)
            if state is S.PAUSED:
                return _unchanged(status)
            if state in _KEEPS_PAUSE_REQUEST:
                return _request_pause(status, reason)
            raise AgentTransitionError(status, event, _not_now(state))
        case Unpause():
            if state is S.PAUSED:
                return _enter(status, now, S.READY)
            if state is S.READY:
                return _unchanged(status)
            if state in _KEEPS_PAUSE_REQUEST:
                return _request_pause(status, None)
            raise AgentTransitionError(status, event, _not_now(state))
        case _:
            raise TypeError(f"not an agent event: {event!r}")


def _not_now(state: AgentState) -> str:
    if state is S.LOGGED_OUT:
        return "the agent is not logged in"
    return "the agent is on a call (a pause can be asked for after it)"


def _is_current(status: AgentStatus, call_id: str) -> bool:
    """True when ``call_id`` is the call the agent is on (not one being wrapped up)."""
    return status.state in _ON_CALL and status.call_id == call_id


def _unchanged(status: AgentStatus) -> Step:
    return status, []


def _request_pause(status: AgentStatus, reason: str | None) -> Step:
    if status.pause_requested == reason:
        return _unchanged(status)
    return dataclasses.replace(status, pause_requested=reason), []


def _after_call(status: AgentStatus, now: datetime) -> Step:
    """The call (and its wrap-up) is over: the pause asked for meanwhile, or ready."""
    if status.pause_requested is not None:
        return _enter(status, now, S.PAUSED, reason=status.pause_requested)
    return _enter(status, now, S.READY)


def _membership_pause(status: AgentStatus, state: AgentState, reason: str | None) -> str | None:
    """The reason the agent's queue memberships should be paused with in ``state``."""
    if state is S.PAUSED:
        return reason
    if state is S.WRAP_UP:
        return WRAP_UP_PAUSE
    if state is S.RESERVED:
        return RESERVED_PAUSE
    if state in _ON_CALL:  # ringing, talking, hold: app_queue won't ring a busy member
        return status.membership_paused
    return None  # ready: unpaused; logged out: not a member


def _enter(
    status: AgentStatus,
    now: datetime,
    state: AgentState,
    *,
    reason: str | None = None,
    call_id: str | None = None,
    queue: str | None = None,
    wrapup_until: datetime | None = None,
    queues: tuple[QueuePenalty, ...] | None = None,
) -> Step:
    """A real change: the new status, its record, and the membership effects it needs."""
    paused = _membership_pause(status, state, reason)
    after = AgentStatus(
        login=status.login,
        state=state,
        since=now,
        reason=reason,
        call_id=call_id,
        queue=queue,
        # A pause request outlives the call (and its wrap-up), not a logout.
        pause_requested=status.pause_requested if state in _KEEPS_PAUSE_REQUEST else None,
        wrapup_until=wrapup_until,
        queues=status.queues if queues is None else queues,
        membership_paused=paused,
    )
    effects: list[Effect] = [
        RecordState(state=state, at=now, reason=reason, queue=queue, call_id=call_id)
    ]
    if status.state is S.LOGGED_OUT:
        if after.queues:
            effects.append(JoinQueues(after.queues))
            if paused is not None:
                effects.append(PauseMembership(paused))
    elif state is S.LOGGED_OUT:
        if status.queues:
            effects.append(LeaveQueues(status.queues))
    elif paused != status.membership_paused and after.queues:
        effects.append(UnpauseMembership() if paused is None else PauseMembership(paused))
    return after, effects


# --- time spent in each state ------------------------------------------------------------------


class StateRecord(Protocol):
    """A stored state change: :class:`RecordState`, or an ``agent_state_changes`` row."""

    @property
    def state(self) -> AgentState: ...

    @property
    def at(self) -> datetime: ...


def time_in_states(
    records: Iterable[StateRecord], start: datetime, end: datetime
) -> dict[AgentState, timedelta]:
    """How long one agent spent in each state within ``[start, end)``.

    ``records`` are the agent's state changes sorted by time; each state lasts until the next
    record, the last one until ``end``. Include the last record before ``start``: it is the
    state the agent was in at ``start``; time before the first record is not counted. Every
    state is in the result (zero when the agent was never in it).
    """
    _check_aware("start", start)
    _check_aware("end", end)
    if end < start:
        raise AgentError(f"the period ends ({end.isoformat()}) before it starts ({start})")
    totals = dict.fromkeys(AgentState, timedelta(0))
    ordered: Sequence[StateRecord] = list(records)
    for record in ordered:
        _check_aware("a record's time", record.at)
    for index, record in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if following is not None and following.at < record.at:
            raise AgentError(
                f"state records must be sorted by time: {following.at.isoformat()} follows "
                f"{record.at.isoformat()}"
            )
        until = end if following is None else min(following.at, end)
        span = until - max(record.at, start)
        if span > timedelta(0):
            totals[AgentState(record.state)] += span
    return totals
