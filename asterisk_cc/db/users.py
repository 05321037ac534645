"""Dashboard users: creating them, their passwords (hashed, never stored or logged in clear),
checking a log-in, and counting failed log-ins for throttling.

Passwords are hashed with Werkzeug's ``scrypt`` (salted, memory-hard). A password must be at
least :data:`MIN_PASSWORD_LENGTH` characters; there is no default password anywhere: the first
admin is made with ``asterisk-cc user add NAME --role admin``, which asks for the password.

Failed log-ins are audit-log entries (``login_failed``, the username tried as ``target``), so
the throttle survives a restart, holds across the dashboard's threads, and admins see the
attempts. Every function takes a :class:`~sqlalchemy.orm.Session`; the caller commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.models import Agent, AuditLogEntry, User

__all__ = [
    "LOGIN_FAILED",
    "MIN_PASSWORD_LENGTH",
    "LoginThrottle",
    "UserError",
    "active_admins_other_than",
    "authenticate",
    "create_user",
    "failed_logins_since",
    "session_stamp",
    "set_password",
    "update_user",
]

MIN_PASSWORD_LENGTH: Final = 10
MAX_DISPLAY_NAME: Final = 128
USERNAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
LOGIN_FAILED: Final = "login_failed"
# A hash to check against when the user does not exist, so that an unknown name takes as long
# as a wrong password and the answer time tells nothing.
_DUMMY_HASH: Final = generate_password_hash("not a password of anyone", method="scrypt")


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class LoginThrottle:
    """At most ``max_per_user`` failed log-ins for one username, and ``max_per_ip`` from one
    address, within ``window``; beyond that, log-ins are refused until the window has passed."""

    max_per_user: int = 5
    max_per_ip: int = 20
    window: timedelta = timedelta(minutes=15)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or not password.isprintable():
        raise UserError("a password may not start or end with spaces or hold control characters")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return generate_password_hash(password, method="scrypt")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: UserRole | str,
    display_name: str | None = None,
    agent_login: str | None = None,
) -> User:
    """A new active user. An agent user is linked to the agent ``agent_login`` (needed for the
    agent role, refused for the others)."""
    if not USERNAME.match(username):
        raise UserError(
            f"username {username!r}: use 1-64 letters, digits, '.', '_', '@' or '-', starting "
            "with a letter or digit"
        )
    try:
        role = UserRole(role)
    except ValueError:
        raise UserError(
            f"role {role!r}: use one of {', '.join(r.value for r in UserRole)}"
        ) from None
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} exists already")
    agent_id = _agent_for(session, role, agent_login)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name or None,
        agent_id=agent_id,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def _agent_for(session: Session, role: UserRole, agent_login: str | None) -> int | None:
    if role is not UserRole.AGENT:
        if agent_login:
            raise UserError("only a user with the agent role is linked to an agent")
        return None
    if not agent_login:
        raise UserError("an agent user needs the agent's login (--agent LOGIN)")
    agent_id = session.scalar(select(Agent.id).where(Agent.login == agent_login))
    if agent_id is None:
        raise UserError(f"there is no agent with the login {agent_login!r}")
    taken = session.scalar(select(User.username).where(User.agent_id == agent_id))
    if taken is not None:
        raise UserError(f"agent {agent_login!r} already has the user {taken!r}")
    return agent_id


def set_password(session: Session, user: User, password: str) -> None:
    """Change the password; sessions made with the old one end (see :func:`session_stamp`)."""
    user.password_hash = hash_password(password)
    session.flush()


def session_stamp(user: User) -> str:
    """A short fingerprint of the user's password hash, kept in the session: when the password
    changes, the stamp no longer matches and the session ends."""
    return user.password_hash[-12:]


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password; None otherwise (unknown, inactive, wrong)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def failed_logins_since(
    session: Session, since: datetime, *, username: str | None = None, ip: str | None = None
) -> int:
    """Failed log-ins recorded since ``since``, for a username or from an address."""
    query = select(func.count(AuditLogEntry.id)).where(
        AuditLogEntry.action == LOGIN_FAILED, AuditLogEntry.at >= since
    )
    if username is not None:
        query = query.where(AuditLogEntry.target == username)
    if ip is not None:
        query = query.where(AuditLogEntry.ip == ip)
    return session.scalar(query) or 0


def update_user(
    session: Session,
    user: User,
    *,
    role: UserRole | str,
    display_name: str | None,
    agent_login: str | None,
) -> dict[str, tuple[str | None, str | None]]:
    """Change a user's role, display name and linked agent; → what changed, ``{field: (before,
    after)}``, for the audit log.

    Only a user with the agent role is linked to an agent: a user leaving the agent role is
    unlinked. An agent user may be left unlinked (``agent_login`` empty), e.g. while the
    person has no agent yet; such a user sees no calls. An agent already linked to another
    user is refused. The rules that keep an admin (:mod:`asterisk_cc.core.user_admin`) are
    the caller's to check first.
    """
    try:
        role = UserRole(role)
    except ValueError:
        raise UserError(
            f"role {role!r}: use one of {', '.join(r.value for r in UserRole)}"
        ) from None
    agent_login = (agent_login or "").strip() or None
    if role is not UserRole.AGENT and agent_login:
        raise UserError("only a user with the agent role is linked to an agent")
    agent_id = None
    if agent_login:
        agent_id = session.scalar(select(Agent.id).where(Agent.login == agent_login))
        if agent_id is None:
            raise UserError(f"there is no agent with the login {agent_login!r}")
        taken = session.scalar(
            select(User.username).where(User.agent_id == agent_id, User.id != user.id)
        )
        if taken is not None:
            raise UserError(f"agent {agent_login!r} already has the user {taken!r}")
    before_agent = (
        session.scalar(select(Agent.login).where(Agent.id == user.agent_id))
        if user.agent_id is not None
        else None
    )
    changes: dict[str, tuple[str | None, str | None]] = {}
    if UserRole(user.role) is not role:
        changes["role"] = (UserRole(user.role).value, role.value)
    display_name = (display_name or "").strip() or None
    if display_name is not None and len(display_name) > MAX_DISPLAY_NAME:
        raise UserError(f"a display name has at most {MAX_DISPLAY_NAME} characters")
    if user.display_name != display_name:
        changes["display_name"] = (user.display_name, display_name)
    if before_agent != agent_login:
        changes["agent"] = (before_agent, agent_login)
    user.role = role
    user.display_name = display_name
    user.agent_id = agent_id
    session.flush()
    return changes


def active_admins_other_than(session: Session, user_id: int) -> int:
    """How many active admins there are besides ``user_id``."""
    return (
        session.scalar(
            select(func.count(User.id)).where(
                User.role == UserRole.ADMIN, User.active.is_(True), User.id != user_id
            )
        )
        or 0
    )
