"""Call recordings in the database: the queue's policy, the reference on the call, and who
may have the file.

Asterisk writes ARI recordings into its recording directory
(``<astspooldir>/recording``, :data:`ASTERISK_RECORDING_DIR` on a Debian PBX); the call's
:class:`~asterisk_cc.db.models.Interaction` keeps the file's path relative to that directory in
``recording_ref`` (``asterisk-cc/2026/11/23/<linkedid>.wav``, see
:mod:`asterisk_cc.ari.recording`). Recordings hold what customers said: only supervisors and
admins get the file (:func:`recording_path`), and every time they do is in the audit log.

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the commit to the caller.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.db.audit import SUPERVISING_ROLES, audit_start, user_role
from asterisk_cc.db.models import RECORDING_POLICIES, Interaction, Queue

__all__ = [
    "ASTERISK_RECORDING_DIR",
    "RECORDING_PLAYED",
    "queue_recording_policy",
    "recording_path",
    "set_recording_ref",
]

logger = logging.getLogger(__name__)

ASTERISK_RECORDING_DIR: Final = Path("/var/spool/asterisk/recording")
"""Where Asterisk (Debian's astspooldir) writes ARI recordings."""
RECORDING_PLAYED: Final = "recording_played"
"""The audit action of a recording handed to a user."""
NO_RECORDING: Final = "none"


def queue_recording_policy(session: Session, queue_name: str | None) -> str:
    """The recording policy of the queue ``queue_name``: ``all``, ``none`` or ``on_demand``.

    A call from no queue, or from a queue the database does not know yet, is not recorded
    (``none``): recording is something a queue is set up for.
    """
    if not queue_name or not queue_name.strip():
        return NO_RECORDING
    policy = session.scalar(select(Queue.recording).where(Queue.name == queue_name.strip()))
    return policy if policy in RECORDING_POLICIES else NO_RECORDING


def _check_ref(ref: str) -> PurePosixPath:
    path = PurePosixPath(ref)
    if not ref or path.is_absolute() or ".." in path.parts or len(ref) > 255:
        raise ValueError(
            f"recording reference {ref!r} must be a path relative to Asterisk's recording "
            "directory, without '..', of at most 255 characters"
        )
    return path


def set_recording_ref(session: Session, linkedid: str, ref: str) -> bool:
    """Store ``ref`` (the file's path relative to the recording directory) as the recording of
    the call ``linkedid``; the same value again changes nothing. False when the call has no
    interaction yet (it is written when the agent's part of the call ends: store the
    reference again then)."""
    _check_ref(ref)
    interaction = session.scalars(
        select(Interaction).where(Interaction.linkedid == linkedid)
    ).one_or_none()
    if interaction is None:
        return False
    if interaction.recording_ref != ref:
        interaction.recording_ref = ref
        session.flush()
    return True


def recording_path(
    session: Session,
    linkedid: str,
    user_id: int,
    *,
    root: Path = ASTERISK_RECORDING_DIR,
    at: datetime | None = None,
    ip: str | None = None,
) -> Path | None:
    """The recording file of the call ``linkedid`` (under ``root``, Asterisk's recording
    directory), for the user ``user_id`` to play; None when the call has no recording.

    Only an active supervisor or admin gets it, and each time an audit entry
    (``recording_played``, target ``call:<linkedid>``, at ``at`` or now, from ``ip``) is added
    to ``session``. Anyone else gets :class:`PermissionError`. The file itself is not opened:
    the caller serves it (and says so when it has gone).
    """
    role = user_role(session, user_id)
    if role not in SUPERVISING_ROLES:
        logger.warning("user %s may not play the recording of call %s", user_id, linkedid)
        raise PermissionError(
            f"user {user_id} may not play call recordings: only active supervisors and admins may"
        )
    ref = session.scalar(select(Interaction.recording_ref).where(Interaction.linkedid == linkedid))
    if not ref:
        return None
    path = root.joinpath(*_check_ref(ref).parts)
    audit_start(
        session,
        user_id=user_id,
        action=RECORDING_PLAYED,
        at=at or datetime.now(UTC),
        target=f"call:{linkedid}",
        details={"linkedid": linkedid, "recording": ref},
        ip=ip,
    )
    return path
