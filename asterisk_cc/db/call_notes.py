"""Notes agents write on calls (``call_notes``): written from the desktop's wrap-up form, read
back by the agent who wrote them (the desktop, the screen pop's recent calls) and by quality
review (the QA page of the call).

A note is filed under the call's ``linkedid``: the call's ``interactions`` row may not exist
yet when the note is written (it comes from the controller, queue_log or CDR), so
``interaction_id`` is set only when the row is already there, and every read goes by
``linkedid`` (the ``(linkedid, at)`` index).

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asterisk_cc.db.models import CALL_NOTE_MAX, CallNote, Interaction, User

__all__ = [
    "CALL_NOTE_MAX",
    "NoteRow",
    "add_call_note",
    "notes_of_call",
    "notes_of_user",
    "notes_of_user_on_calls",
]

_ON_CALLS_LIMIT: Final = 200
"""A bound on the notes read for several calls at once: an agent writes a handful per call."""


@dataclass(frozen=True)
class NoteRow:
    linkedid: str
    at: datetime
    text: str
    author: str | None = None
    """Who wrote it (display name, else username); filled only where other people read it."""


def add_call_note(
    session: Session,
    *,
    linkedid: str,
    user_id: int,
    agent_id: int | None,
    text: str,
    at: datetime,
) -> CallNote:
    """File ``text`` (1 to :data:`CALL_NOTE_MAX` characters, else ValueError) by ``user_id``
    on the call ``linkedid``."""
    if not linkedid or len(linkedid) > 64:
        raise ValueError(f"a note needs the call's linkedid (1-64 characters), not {linkedid!r}")
    if not text or len(text) > CALL_NOTE_MAX:
        raise ValueError(f"a note has 1 to {CALL_NOTE_MAX} characters, not {len(text)}")
    note = CallNote(
        linkedid=linkedid,
        interaction_id=session.scalar(
            select(Interaction.id).where(Interaction.linkedid == linkedid)
        ),
        agent_id=agent_id,
        user_id=user_id,
        at=at,
        text=text,
    )
    session.add(note)
    session.flush()
    return note


def notes_of_user(session: Session, linkedid: str, user_id: int, limit: int) -> list[NoteRow]:
    """The notes ``user_id`` wrote on the call, newest first (at most ``limit``)."""
    rows = session.execute(
        select(CallNote.at, CallNote.text)
        .where(CallNote.linkedid == linkedid, CallNote.user_id == user_id)
        .order_by(CallNote.at.desc(), CallNote.id.desc())
        .limit(limit)
    )
    return [NoteRow(linkedid, row.at, row.text) for row in rows]


def notes_of_user_on_calls(
    session: Session, linkedids: Collection[str], user_id: int, per_call: int
) -> dict[str, list[NoteRow]]:
    """The notes ``user_id`` wrote on each of the calls (one query), newest first, at most
    ``per_call`` each; calls without a note are left out."""
    if not linkedids:
        return {}
    rows = session.execute(
        select(CallNote.linkedid, CallNote.at, CallNote.text)
        .where(CallNote.linkedid.in_(list(linkedids)), CallNote.user_id == user_id)
        .order_by(CallNote.at.desc(), CallNote.id.desc())
        .limit(_ON_CALLS_LIMIT)
    )
    found: dict[str, list[NoteRow]] = {}
    for row in rows:
        notes = found.setdefault(row.linkedid, [])
        if len(notes) < per_call:
            notes.append(NoteRow(row.linkedid, row.at, row.text))
    return found


def notes_of_call(session: Session, linkedid: str, limit: int) -> list[NoteRow]:
    """Every author's notes on the call, oldest first (the call's story in order), with the
    author's name; at most the newest ``limit``."""
    rows = session.execute(
        select(
            CallNote.at,
            CallNote.text,
            func.coalesce(User.display_name, User.username).label("author"),
        )
        .join(User, User.id == CallNote.user_id)
        .where(CallNote.linkedid == linkedid)
        .order_by(CallNote.at.desc(), CallNote.id.desc())
        .limit(limit)
    ).all()
    return [NoteRow(linkedid, row.at, row.text, row.author) for row in reversed(rows)]
