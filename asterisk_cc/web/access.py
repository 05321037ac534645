"""Who is asking, and may they: the signed-in user of each request and the role checks.

Every page needs a signed-in user: :func:`load_user` (a ``before_request`` hook) sends an
anonymous visitor to the log-in page (or answers 401 to a script), except for the few
endpoints in :data:`PUBLIC_ENDPOINTS`. The user is read from the database on every request,
so a deactivated user or a changed password ends the session at once. ``@roles(...)`` then
limits a view to some roles (403 for the others); an agent sees only their own work, which the
agent views ensure by taking the agent from the session, never from the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, Final, ParamSpec, TypeVar

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select

from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.audit import audit_start
from asterisk_cc.db.models import Agent, User
from asterisk_cc.db.users import session_stamp
from asterisk_cc.web.context import db, web_context

PUBLIC_ENDPOINTS: Final = frozenset({"auth.login", "auth.language", "static"})
SUPERVISORS: Final = (UserRole.SUPERVISOR, UserRole.ADMIN)
IDLE_TIMEOUT: Final = timedelta(hours=8)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: UserRole
    display_name: str
    agent_id: int | None
    agent_login: str | None

    @property
    def supervises(self) -> bool:
        return self.role in SUPERVISORS

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN


def current_user() -> CurrentUser:
    user: CurrentUser = g.user
    return user


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def load_user() -> Any:
    """``before_request``: the signed-in user into ``g.user``, or off to the log-in page."""
    g.user = None
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        row = (
            db()
            .execute(
                select(User, Agent.login)
                .outerjoin(Agent, Agent.id == User.agent_id)
                .where(User.id == user_id)
            )
            .one_or_none()
        )
        now = web_context().now().timestamp()
        seen = session.get("seen")
        seen_at = float(seen) if isinstance(seen, (int, float)) else 0.0
        fresh = now - seen_at < IDLE_TIMEOUT.total_seconds()
        if (
            row is not None
            and row.User.active
            and fresh
            and (session.get("stamp") == session_stamp(row.User))
        ):
            user = row.User
            g.user = CurrentUser(
                id=user.id,
                username=user.username,
                role=UserRole(user.role),
                display_name=user.display_name or user.username,
                agent_id=user.agent_id,
                agent_login=row.login,
            )
            # Written at most once a minute, so that a page's polling does not rewrite the
            # cookie on every request.
            if now - seen_at > 60:
                session["seen"] = now
        else:
            session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if wants_json() or request.method != "GET":
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def roles(*allowed: UserRole) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Limit a view to users of the ``allowed`` roles; others get 403."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            user = g.get("user")
            if user is None or user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        checked.allowed_roles = allowed  # type: ignore[attr-defined]
        return checked

    return decorate


supervisors_only = roles(*SUPERVISORS)
admins_only = roles(UserRole.ADMIN)
agents_only = roles(UserRole.AGENT)


def client_ip() -> str | None:
    return request.remote_addr


def audit(
    action: str, target: str | None = None, *, by_user_id: int | None = None, **details: Any
) -> int:
    """Record a sensitive action in the audit log (committed with the request's session by the
    caller): the current user's, or ``by_user_id``'s when there is none yet (a log-in)."""
    user = g.get("user")
    return audit_start(
        db(),
        user_id=user.id if user else by_user_id,
        action=action,
        at=web_context().now(),
        target=target,
        details=details or None,
        ip=client_ip(),
    )
