"""Notes on calls in the database: filed under the call's linkedid (with its interaction when
there is one), read back by their author only, or by quality review with the author's name;
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import CallDirection, UserRole
from asterisk_cc.db.call_notes import (
    add_call_note,
    notes_of_call,
    notes_of_user,
    notes_of_user_on_calls,
)
from asterisk_cc.db.models import Agent, Interaction, User

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def add_agent_user(session: Session, login: str, display_name: str | None) -> tuple[int, int]:
    agent = Agent(login=f"{login}-{id(session)}", name=login)
    session.add(agent)
    session.flush()
    user = User(
        username=f"{login}-{id(session)}",
        password_hash="x",
        role=UserRole.AGENT,
        agent_id=agent.id,
        display_name=display_name,
    )
    session.add(user)
    session.flush()
    return user.id, agent.id


def note(session: Session, user: tuple[int, int], linkedid: str, text: str, minutes: int) -> None:
    add_call_note(
        session,
        linkedid=linkedid,
        user_id=user[0],
        agent_id=user[1],
        text=text,
        at=T0 + timedelta(minutes=minutes),
    )


def test_a_note_is_linked_to_the_calls_interaction_when_it_is_there(
    db_session: Session,
) -> None:
    ann = add_agent_user(db_session, "ann", "Ann")
    call = Interaction(
        uniqueid="n.1", linkedid="n.1", direction=CallDirection.INBOUND, started_at=T0
    )
    db_session.add(call)
    db_session.flush()
    known = add_call_note(
        db_session, linkedid="n.1", user_id=ann[0], agent_id=ann[1], text="known", at=T0
    )
    later = add_call_note(
        db_session, linkedid="n.2", user_id=ann[0], agent_id=ann[1], text="not yet", at=T0
    )
    assert known.interaction_id == call.id and later.interaction_id is None
    # The call's row going does not take the note with it.
    db_session.delete(call)
    db_session.flush()
    db_session.refresh(known)
    assert known.interaction_id is None and known.text == "known"


@pytest.mark.parametrize(("linkedid", "text"), [("n.1", ""), ("n.1", "x" * 2001), ("", "x")])
def test_an_empty_or_too_long_note_is_refused(
    db_session: Session, linkedid: str, text: str
) -> None:
    ann = add_agent_user(db_session, "ann", None)
    with pytest.raises(ValueError, match="note"):
        add_call_note(
            db_session, linkedid=linkedid, user_id=ann[0], agent_id=ann[1], text=text, at=T0
        )


def test_an_author_reads_only_their_own_notes(db_session: Session) -> None:
    ann = add_agent_user(db_session, "ann", "Ann")
    bo = add_agent_user(db_session, "bo", None)
    for minutes in range(5):
        note(db_session, ann, "n.1", f"ann {minutes}", minutes)
    note(db_session, bo, "n.1", "bo's", 10)
    note(db_session, ann, "n.2", "ann on n.2", 1)
    note(db_session, bo, "n.3", "bo on n.3", 1)

    assert [n.text for n in notes_of_user(db_session, "n.1", ann[0], 3)] == [
        "ann 4",
        "ann 3",
        "ann 2",
    ]
    assert [n.text for n in notes_of_user(db_session, "n.1", bo[0], 10)] == ["bo's"]

    statements: list[str] = []
    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", lambda *a: statements.append(a[2]))
    on_calls = notes_of_user_on_calls(db_session, ["n.1", "n.2", "n.3", "n.4"], ann[0], 2)
    assert len(statements) == 1  # one query for all the calls
    assert {linkedid: [n.text for n in notes] for linkedid, notes in on_calls.items()} == {
        "n.1": ["ann 4", "ann 3"],
        "n.2": ["ann on n.2"],
    }
    assert notes_of_user_on_calls(db_session, [], ann[0], 2) == {}


def test_quality_review_reads_every_authors_notes_in_order_with_names(
    db_session: Session,
) -> None:
    ann = add_agent_user(db_session, "ann", "Ann Agent")
    bo = add_agent_user(db_session, "bo", None)
    note(db_session, bo, "n.1", "second", 2)
    note(db_session, ann, "n.1", "first", 1)
    note(db_session, ann, "n.1", "third", 3)
    note(db_session, ann, "n.9", "elsewhere", 0)
    rows = notes_of_call(db_session, "n.1", 10)
    assert [(n.text, n.author) for n in rows] == [
        ("first", "Ann Agent"),
        ("second", f"bo-{id(db_session)}"),  # no display name: the username
        ("third", "Ann Agent"),
    ]
    assert [n.text for n in notes_of_call(db_session, "n.1", 2)] == ["second", "third"]
