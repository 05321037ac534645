"""The audit log (``audit_log``): who did what to whom, when, and for how long.

Supervisors listening to, whispering to or barging in on an agent, and anyone playing a call
recording, leave an entry here. An action that lasts (a monitoring session) is written when it
starts (:func:`audit_start`, ``at`` = the start) and completed when it ends
(:func:`audit_finish`: ``details`` gets ``ended_at`` and ``duration_s``), so a session cut
short by a crash still shows who started it. A one-off action (a recording played) is one
:func:`audit_start` and nothing more.

Columns as :class:`~asterisk_cc.db.models.AuditLogEntry` defines them: ``user_id`` and a copy
of the ``username`` (kept when the user is deleted), ``action`` (what: ``supervise_listen``,
``recording_played``...), ``target`` (whom or what: ``agent:1001``, ``call:<linkedid>``),
``details`` (a JSON document) and ``ip`` (the dashboard client, when there is one).

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.models import AuditLogEntry, User

__all__ = [
    "SUPERVISING_ROLES",
    "audit_finish",
    "audit_start",
    "user_role",
]

SUPERVISING_ROLES: Final = frozenset({UserRole.SUPERVISOR, UserRole.ADMIN})
"""Roles that may monitor agents and play recordings."""

_SECOND: Final = timedelta(seconds=1)


def _check_aware(what: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (UTC), not {value!r}")


def user_role(session: Session, user_id: int) -> UserRole | None:
    """The role of the active user ``user_id``; None for an unknown or deactivated user (who
    may do nothing)."""
    row = session.execute(select(User.role, User.active).where(User.id == user_id)).one_or_none()
    if row is None or not row.active:
        return None
    role: UserRole = row.role
    return role


def audit_start(
    session: Session,
    *,
    user_id: int | None,
    action: str,
    at: datetime,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> int:
    """Write the entry of an action that ``user_id`` starts (or does) at ``at``; → its id, for
    :func:`audit_finish`.

    The username is copied from ``users``. An unknown ``user_id`` (a user deleted meanwhile)
    is still recorded, in ``details["user_id"]``, with no reference to ``users``.
    """
    if not action or len(action) > 64:
        raise ValueError(f"an audit action is 1 to 64 characters, not {action!r}")
    _check_aware("at", at)
    username = (
        None if user_id is None else session.scalar(select(User.username).where(User.id == user_id))
    )
    known = user_id if username is not None else None
    document = dict(details or {})
    if user_id is not None and known is None:
        document["user_id"] = user_id
    entry = AuditLogEntry(
        at=at,
        user_id=known,
        username=username,
        action=action,
        target=target,
        details=document or None,
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry.id


def audit_finish(
    session: Session,
    entry_id: int,
    *,
    ended_at: datetime,
    duration_s: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditLogEntry:
    """Complete the entry ``entry_id`` of an action that ended at ``ended_at``: its ``details``
    get ``ended_at`` (ISO 8601, UTC), ``duration_s`` and ``details``.

    ``duration_s`` defaults to the whole seconds from the entry's ``at`` to ``ended_at``; give
    it when the action lasted less than that (a monitoring session counts from the moment the
    supervisor is connected, not from the request). Completing again replaces the end.
    Raises :class:`LookupError` for an unknown entry and :class:`ValueError` when the end is
    before the start or the duration negative.
    """
    _check_aware("ended_at", ended_at)
    entry = session.get(AuditLogEntry, entry_id)
    if entry is None:
        raise LookupError(f"no audit log entry {entry_id}")
    if ended_at < entry.at:
        raise ValueError(
            f"audit entry {entry_id} ends at {ended_at.isoformat()}, before it started at "
            f"{entry.at.isoformat()}"
        )
    if duration_s is None:
        duration_s = (ended_at - entry.at) // _SECOND
    if isinstance(duration_s, bool) or not isinstance(duration_s, int) or duration_s < 0:
        raise ValueError(f"duration_s must be a whole number of seconds >= 0, not {duration_s!r}")
    # A new document, so that the change is seen (JSON columns do not track mutations).
    entry.details = {
        **(entry.details or {}),
        **(details or {}),
        "ended_at": ended_at.astimezone(UTC).isoformat(),
        "duration_s": duration_s,
    }
    session.flush()
    return entry
