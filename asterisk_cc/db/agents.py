"""What the ARI controller reads and writes about agents: phone log-in PINs, the queues an
agent serves, state changes, wrap-up limits, and the agent's part of a call.

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the commit to the caller, as
in :mod:`asterisk_cc.db.ivr_store`: the controller stores one agent event (a state record and
the call's figures) in one transaction. The writes are safe to repeat with the same values,
because a controller that restarts, or retries after a lost connection, may replay an event.

Agents log in from any phone with the feature code ``*45``: they key their agent number (the
``login``), then their PIN. Only a salted, slow hash of the PIN is stored
(:func:`hash_pin`); :func:`check_agent_pin` answers the same way, after the same work, for an
unknown agent, an agent without a PIN and a wrong PIN, so a caller cannot probe agent numbers.
Hashing a PIN takes about a tenth of a second of CPU on purpose (a PIN has few digits): an
asyncio controller runs it in a worker thread, not on the event loop.

The queues an agent serves come from skills (:func:`agent_profile`); see docs/database.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Column, DefaultClause, TextClause, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from asterisk_cc.core.agents import check_reason
from asterisk_cc.core.vocabulary import AgentState, CallDirection
from asterisk_cc.db.ivr_store import queue_id
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    AgentStateChange,
    Interaction,
    Queue,
    QueueSkill,
)

__all__ = [
    "DEFAULT_WRAPUP_LIMIT_S",
    "DISPOSITION_MAX_LENGTH",
    "PIN_HASH_ALGORITHM",
    "PIN_HASH_ITERATIONS",
    "AgentProfile",
    "agent_profile",
    "check_agent_pin",
    "check_disposition",
    "complete_interaction",
    "hash_pin",
    "last_agent_states",
    "pin_matches",
    "record_agent_state",
    "set_agent_pin",
    "set_disposition",
    "set_wrapup",
    "wrapup_limit_s",
]

# --- PINs --------------------------------------------------------------------------------------

PIN_HASH_ALGORITHM: Final = "pbkdf2_sha256"
PIN_HASH_ITERATIONS: Final = 600_000
"""PBKDF2-HMAC-SHA256 rounds for new PINs (OWASP's figure). The count is stored in each hash,
so raising it later leaves existing PINs valid."""

_MAX_ITERATIONS: Final = 10_000_000  # a stored count above this is corrupt, not slow
_SALT_BYTES: Final = 16
_HASH_BYTES: Final = 32
_PIN: Final = re.compile(r"[0-9]{4,12}")
_PIN_RULE: Final = "a PIN is 4 to 12 digits (0-9), keyed on the phone's keypad"
_DUMMY_SALT: Final = b"asterisk-cc-none"  # for the work done when there is no hash to check


def _derive(pin: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, iterations, _HASH_BYTES)


def _is_pin(pin: object) -> bool:
    return isinstance(pin, str) and _PIN.fullmatch(pin) is not None


def hash_pin(pin: str, *, iterations: int = PIN_HASH_ITERATIONS) -> str:
    """The stored form of an agent's phone PIN: ``pbkdf2_sha256$<iterations>$<salt>$<hash>``
    (salt and hash in base64), with a new random salt each time.

    A PIN is typed on a keypad, so it is digits only, 4 to 12 of them; anything else raises
    :class:`ValueError` naming the rule (never the PIN: error messages end up in logs).
    """
    if not _is_pin(pin):
        raise ValueError(f"{_PIN_RULE}, e.g. 482913")
    if isinstance(iterations, bool) or not isinstance(iterations, int):
        raise ValueError(f"iterations must be an integer, not {iterations!r}")
    if not 1 <= iterations <= _MAX_ITERATIONS:
        raise ValueError(f"iterations must be 1 to {_MAX_ITERATIONS}, not {iterations}")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(pin, salt, iterations)
    return "$".join(
        (
            PIN_HASH_ALGORITHM,
            str(iterations),
            base64.b64encode(salt).decode("ascii"),
            base64.b64encode(digest).decode("ascii"),
        )
    )


def _parse_pin_hash(stored: str) -> tuple[int, bytes, bytes] | None:
    """(iterations, salt, hash) of a stored PIN hash, or None when it is not one."""
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != PIN_HASH_ALGORITHM:
        return None
    rounds, salt_text, hash_text = parts[1:]
    if not rounds.isascii() or not rounds.isdigit():
        return None
    iterations = int(rounds)
    if not 1 <= iterations <= _MAX_ITERATIONS:
        return None
    try:
        salt = base64.b64decode(salt_text, validate=True)
        digest = base64.b64decode(hash_text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not salt or len(digest) != _HASH_BYTES:
        return None
    return iterations, salt, digest


def pin_matches(stored: str | None, pin: str) -> bool:
    """True when ``pin`` is the PIN that ``stored`` (from :func:`hash_pin`) was made from.

    The hashes are compared in constant time. ``stored`` None (no PIN set) is False after the
    same work as a real check, so the time the answer takes does not tell "no PIN" from "wrong
    PIN". A stored value that is not such a hash (edited by hand, truncated) is False, never an
    exception: a caller at a phone gets "wrong PIN", not a dropped call. A ``pin`` that is not
    4 to 12 digits never matches.
    """
    if not _is_pin(pin):
        return False
    if stored is None:
        _derive(pin, _DUMMY_SALT, PIN_HASH_ITERATIONS)
        return False
    if not isinstance(stored, str):
        return False
    parsed = _parse_pin_hash(stored)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    return hmac.compare_digest(_derive(pin, salt, iterations), expected)


def _agent_by_login(session: Session, login: str) -> Agent:
    agent = session.scalars(select(Agent).where(Agent.login == login.strip())).one_or_none()
    if agent is None:
        raise LookupError(f"no agent with login {login!r}")
    return agent


def set_agent_pin(session: Session, login: str, pin: str | None) -> None:
    """Set the phone log-in PIN of the agent ``login`` (stored hashed), or remove it with None:
    the agent can then no longer log in by phone.

    Raises :class:`ValueError` for a PIN that is not 4 to 12 digits and :class:`LookupError`
    for an unknown login.
    """
    pin_hash = None if pin is None else hash_pin(pin)
    agent = _agent_by_login(session, login)
    agent.pin_hash = pin_hash
    session.flush()


# --- the agent and their queues ----------------------------------------------------------------


@dataclass(frozen=True)
class AgentProfile:
    """An active agent as the controller logs them in: ``queues`` are the queues the agent
    serves and the agent's penalty in each, sorted by queue name (the ``LogIn`` event's
    ``queues`` of :mod:`asterisk_cc.core.agents`)."""

    id: int
    login: str
    name: str
    queues: tuple[tuple[str, int], ...]


def agent_profile(session: Session, login: str) -> AgentProfile | None:
    """The active agent ``login`` and the queues the agent serves, or None (unknown or
    deactivated: a deactivated agent cannot log in).

    The queues come from skills, so a queue's agents follow the skills set in the dashboard
    and queues.conf needs no member list. The agent serves an active queue Q when the agent
    has at least one of Q's skills (``queue_skills``) at a ``level`` of at least that skill's
    ``min_level``. The agent's penalty in Q is the lowest ``agent_skills.penalty +
    queue_skills.penalty`` over those matching skills: the agent is offered Q's calls as early
    as their best matching skill allows (app_queue rings lower penalties first). One query.
    """
    agent = session.execute(
        select(Agent.id, Agent.login, Agent.name).where(
            Agent.login == login.strip(), Agent.active.is_(True)
        )
    ).one_or_none()
    if agent is None:
        return None
    penalty = func.min(AgentSkill.penalty + QueueSkill.penalty)
    rows = session.execute(
        select(Queue.name, penalty)
        .select_from(AgentSkill)
        .join(QueueSkill, QueueSkill.skill_id == AgentSkill.skill_id)
        .join(Queue, Queue.id == QueueSkill.queue_id)
        .where(
            AgentSkill.agent_id == agent.id,
            AgentSkill.level >= QueueSkill.min_level,
            Queue.active.is_(True),
        )
        .group_by(Queue.name)
        .order_by(Queue.name)
    ).all()
    return AgentProfile(
        id=agent.id,
        login=agent.login,
        name=agent.name,
        queues=tuple((name, int(best)) for name, best in rows),
    )


def check_agent_pin(session: Session, login: str, pin: str) -> AgentProfile | None:
    """The phone log-in (``*45``): the profile of the active agent ``login`` when ``pin`` is
    their PIN, else None.

    An unknown or deactivated login, an agent without a PIN and a wrong PIN all give None
    after the same hashing work, so a caller learns nothing about which agent numbers exist.
    """
    stored = session.scalar(
        select(Agent.pin_hash).where(Agent.login == login.strip(), Agent.active.is_(True))
    )
    if not pin_matches(stored, pin):
        return None
    return agent_profile(session, login)


# --- agent states ------------------------------------------------------------------------------


def _check_aware(what: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (UTC), not {value!r}")


def _interaction_id(session: Session, linkedid: str | None) -> int | None:
    if not linkedid:
        return None
    return session.scalar(select(Interaction.id).where(Interaction.linkedid == linkedid))


def record_agent_state(
    session: Session,
    *,
    agent_id: int,
    state: AgentState,
    reason: str | None,
    at: datetime,
    queue_name: str | None,
    linkedid: str | None,
) -> AgentStateChange:
    """Store that the agent entered ``state`` at ``at`` (the state machine's ``RecordState``):
    with the pause or logout ``reason``, the queue of a call state (its ``queues`` row is
    created if the database has not seen the queue yet) and the call's interaction, when the
    call ``linkedid`` has one (a dialer call the IVR never saw has none: None).

    Occupancy, attendance and pause reports are built from these rows, one per real change.
    """
    state = AgentState(state)
    if reason is not None:
        check_reason(reason)
    _check_aware("at", at)
    change = AgentStateChange(
        agent_id=agent_id,
        state=state,
        reason=reason,
        at=at,
        queue_id=queue_id(session, queue_name) if queue_name else None,
        interaction_id=_interaction_id(session, linkedid),
    )
    session.add(change)
    session.flush()
    return change


def last_agent_states(session: Session) -> dict[int, AgentStateChange]:
    """Each agent's newest state record, by agent id (agents with no record are absent).

    After a restart the controller reads who was logged in, paused or on a call from these, in
    one query (a window over the ``(agent_id, at)`` index). Records at the same time are
    ordered as they were stored.
    """
    ranked = select(
        AgentStateChange.id.label("id"),
        func.row_number()
        .over(
            partition_by=AgentStateChange.agent_id,
            order_by=(AgentStateChange.at.desc(), AgentStateChange.id.desc()),
        )
        .label("newest_first"),
    ).subquery()
    rows = session.scalars(
        select(AgentStateChange)
        .join(ranked, ranked.c.id == AgentStateChange.id)
        .where(ranked.c.newest_first == 1)
    )
    return {row.agent_id: row for row in rows}


# --- wrap-up -----------------------------------------------------------------------------------


def _server_default_int(column: Column[Any]) -> int:
    default = column.server_default
    if not isinstance(default, DefaultClause):  # pragma: no cover - a change to the model
        raise TypeError(f"{column} has no server default")
    arg = default.arg
    return int(arg.text if isinstance(arg, TextClause) else str(arg))


DEFAULT_WRAPUP_LIMIT_S: Final = _server_default_int(Queue.__mapper__.columns["wrapup_limit_s"])
"""The wrap-up limit a queue gets when its row is created: the column's server default."""


def wrapup_limit_s(session: Session, queue_name: str | None) -> int:
    """The after-call work time, in seconds, agents get after a call from ``queue_name`` (the
    ``CallEnded`` event's ``wrapup_limit_s``).

    A queue the database has not seen yet (its row is created by the first call's IVR visit or
    state record), and a call from no queue, get :data:`DEFAULT_WRAPUP_LIMIT_S`: what the
    queue's row will have once it is created. Nothing is written.
    """
    name = queue_name.strip() if queue_name else ""
    if not name:
        return DEFAULT_WRAPUP_LIMIT_S
    limit = session.scalar(select(Queue.wrapup_limit_s).where(Queue.name == name))
    return DEFAULT_WRAPUP_LIMIT_S if limit is None else limit


# --- the agent's part of a call ------------------------------------------------------------------

DISPOSITION_MAX_LENGTH: Final = 64  # interactions.disposition
_DISPOSITION: Final = re.compile(r"[a-z0-9_-]+")
_SECOND: Final = timedelta(seconds=1)


def check_disposition(disposition: str) -> str:
    """A call's disposition code: 1 to 64 of ``a-z 0-9 _ -``; returns it, or raises
    :class:`ValueError`. Codes, not free text, so reports can group calls by them."""
    if (
        not isinstance(disposition, str)
        or len(disposition) > DISPOSITION_MAX_LENGTH
        or not _DISPOSITION.fullmatch(disposition)
    ):
        raise ValueError(
            f"disposition {disposition!r} is not a disposition code: use 1 to "
            f"{DISPOSITION_MAX_LENGTH} lower-case letters, digits, '_' or '-' "
            "(e.g. resolved, follow_up, wrong-number)"
        )
    return disposition


def _seconds(start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end``, cut down as queue_log counts them."""
    return (end - start) // _SECOND


def _call(session: Session, linkedid: str) -> Interaction | None:
    return session.scalars(
        select(Interaction).where(Interaction.linkedid == linkedid)
    ).one_or_none()


def _the_call(session: Session, linkedid: str) -> Interaction:
    interaction = _call(session, linkedid)
    if interaction is None:
        raise LookupError(
            f"no interaction for linkedid {linkedid!r}: the call was never recorded "
            "(complete_interaction records it when the agent's part ends)"
        )
    return interaction


def complete_interaction(
    session: Session,
    *,
    linkedid: str,
    agent_id: int | None,
    queue_name: str | None,
    answered_at: datetime | None,
    ended_at: datetime,
    hold_s: int = 0,
    recording_ref: str | None = None,
) -> Interaction:
    """Record the end of the agent's part of the call ``linkedid`` on its interaction.

    The row gets the agent, the queue (when the IVR did not set one; its ``queues`` row is
    created if needed), the answer and end times, ``hold_s``, the recording and the durations
    in whole seconds:

    - ``wait_s``: from the call's start (its IVR entry) to the answer, or to the end when the
      call was never answered;
    - ``talk_s``: from the answer to the end, less the hold time (never below 0); None for a
      call never answered, so averages of talk time count answered calls only.

    A call that never went through the IVR (a direct transfer to the agent) has no row yet:
    one is created, inbound, started when it was answered (or ended); its ``uniqueid`` is the
    ``linkedid``, which Asterisk takes from the call's first channel. An ``agent_id``,
    ``answered_at`` or ``recording_ref`` of None leaves what the row has. The same values given
    again change nothing.

    Raises :class:`ValueError` when the times run backwards (answered before the call started,
    ended before it was answered) or for hold time on a call never answered.
    """
    if not linkedid:
        raise ValueError("an interaction needs the call's linkedid")
    _check_aware("ended_at", ended_at)
    if answered_at is not None:
        _check_aware("answered_at", answered_at)
    if isinstance(hold_s, bool) or not isinstance(hold_s, int) or hold_s < 0:
        raise ValueError(f"hold_s must be a whole number of seconds >= 0, not {hold_s!r}")
    queue = queue_id(session, queue_name) if queue_name else None

    interaction = _call(session, linkedid)
    if interaction is None:
        new = Interaction(
            uniqueid=linkedid,
            linkedid=linkedid,
            direction=CallDirection.INBOUND,
            queue_id=queue,
            started_at=answered_at or ended_at,
        )
        try:
            with session.begin_nested():
                session.add(new)
            interaction = new
        except IntegrityError:
            # Another process recorded the call first: roll back only the savepoint.
            interaction = _call(session, linkedid)
            if interaction is None:
                raise

    answered = answered_at if answered_at is not None else interaction.answered_at
    started = interaction.started_at
    if answered is not None and answered < started:
        raise ValueError(
            f"call {linkedid}: answered at {answered.isoformat()}, before it started at "
            f"{started.isoformat()}"
        )
    if ended_at < (answered or started):
        raise ValueError(
            f"call {linkedid}: ended at {ended_at.isoformat()}, before it was "
            f"{'answered' if answered else 'started'} at {(answered or started).isoformat()}"
        )
    if answered is None and hold_s:
        raise ValueError(f"call {linkedid} was never answered, so it has no hold time")

    if agent_id is not None:
        interaction.agent_id = agent_id
    if interaction.queue_id is None and queue is not None:
        interaction.queue_id = queue
    interaction.answered_at = answered
    interaction.ended_at = ended_at
    interaction.wait_s = _seconds(started, answered or ended_at)
    interaction.talk_s = None if answered is None else max(0, _seconds(answered, ended_at) - hold_s)
    interaction.hold_s = hold_s
    if recording_ref is not None:
        interaction.recording_ref = recording_ref
    session.flush()
    return interaction


def set_wrapup(session: Session, *, linkedid: str, wrapup_s: int) -> Interaction:
    """Store the after-call work time of the call ``linkedid``, in seconds (set again: the
    latest replaces it). Raises :class:`ValueError` for a negative or non-integer time and
    :class:`LookupError` when the call has no interaction."""
    if isinstance(wrapup_s, bool) or not isinstance(wrapup_s, int) or wrapup_s < 0:
        raise ValueError(f"wrapup_s must be a whole number of seconds >= 0, not {wrapup_s!r}")
    interaction = _the_call(session, linkedid)
    interaction.wrapup_s = wrapup_s
    session.flush()
    return interaction


def set_disposition(
    session: Session, *, linkedid: str, disposition: str, agent_id: int | None
) -> Interaction:
    """Store the disposition code (:func:`check_disposition`) the agent ``agent_id`` chose for
    the call ``linkedid``; set again, the latest replaces it.

    The agent's desktop names the call, so an agent may disposition only a call of their own:
    a call with another agent raises :class:`ValueError`; a call with no agent yet becomes the
    agent's. ``agent_id`` None (a supervisor, an import) sets any call's disposition. Raises
    :class:`LookupError` when the call has no interaction.
    """
    check_disposition(disposition)
    interaction = _the_call(session, linkedid)
    if agent_id is not None:
        if interaction.agent_id is None:
            interaction.agent_id = agent_id
        elif interaction.agent_id != agent_id:
            raise ValueError(
                f"call {linkedid} is agent {interaction.agent_id}'s, not agent {agent_id}'s: "
                "only the call's agent (or a supervisor) sets its disposition"
            )
    interaction.disposition = disposition
    session.flush()
    return interaction
