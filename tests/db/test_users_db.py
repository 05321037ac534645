"""Users in the database: changing a user's role, name and agent, and counting the admins
that would remain (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.models import Agent
from asterisk_cc.db.users import (
    UserError,
    active_admins_other_than,
    create_user,
    update_user,
)

PASSWORD = "a-long-password-1"


@pytest.fixture
def agents(db_session: Session) -> dict[str, Agent]:
    made = {login: Agent(login=login, name=f"Agent {login}") for login in ("8101", "8102")}
    db_session.add_all(made.values())
    db_session.flush()
    return made


def test_update_user_changes_role_name_and_agent_and_says_what_changed(
    db_session: Session, agents: dict[str, Agent]
) -> None:
    user = create_user(
        db_session, username="ann", password=PASSWORD, role="agent", agent_login="8101"
    )
    changes = update_user(
        db_session, user, role="agent", display_name="  Ann A.  ", agent_login="8102"
    )
    assert changes == {"display_name": (None, "Ann A."), "agent": ("8101", "8102")}
    assert user.agent_id == agents["8102"].id and user.display_name == "Ann A."
    # Leaving the agent role: the link has to go too.
    with pytest.raises(UserError, match="only a user with the agent role"):
        update_user(db_session, user, role="supervisor", display_name="Ann", agent_login="8102")
    changes = update_user(
        db_session, user, role="supervisor", display_name="Ann A.", agent_login=""
    )
    assert changes == {"role": ("agent", "supervisor"), "agent": ("8102", None)}
    assert user.role is UserRole.SUPERVISOR and user.agent_id is None
    assert (
        update_user(db_session, user, role="supervisor", display_name="Ann A.", agent_login=None)
        == {}
    )


def test_update_user_refuses_a_taken_or_unknown_agent_and_a_bad_role(
    db_session: Session, agents: dict[str, Agent]
) -> None:
    create_user(db_session, username="bo", password=PASSWORD, role="agent", agent_login="8101")
    other = create_user(
        db_session, username="cy", password=PASSWORD, role="agent", agent_login="8102"
    )
    with pytest.raises(UserError, match="already has the user 'bo'"):
        update_user(db_session, other, role="agent", display_name=None, agent_login="8101")
    with pytest.raises(UserError, match="no agent with the login '9999'"):
        update_user(db_session, other, role="agent", display_name=None, agent_login="9999")
    with pytest.raises(UserError, match="role 'root'"):
        update_user(db_session, other, role="root", display_name=None, agent_login=None)
    with pytest.raises(UserError, match="at most 128 characters"):
        update_user(db_session, other, role="agent", display_name="x" * 129, agent_login="8102")
    # Keeping its own agent is not "taken".
    assert update_user(db_session, other, role="agent", display_name=None, agent_login="8102") == {}


def test_active_admins_other_than_counts_only_active_admins(db_session: Session) -> None:
    first = create_user(db_session, username="root1", password=PASSWORD, role="admin")
    assert active_admins_other_than(db_session, first.id) == 0
    second = create_user(db_session, username="root2", password=PASSWORD, role="admin")
    create_user(db_session, username="sup", password=PASSWORD, role="supervisor")
    assert active_admins_other_than(db_session, first.id) == 1
    second.active = False
    db_session.flush()
    assert active_admins_other_than(db_session, first.id) == 0
    assert active_admins_other_than(db_session, second.id) == 1
