"""Users and roles: who may log in to the dashboard, with which role, as which agent.

Users are never deleted (the audit log points at them): they are deactivated, which ends their
sessions at once. A password reset ends the user's open sessions too (their session stamp no
longer matches, :func:`~asterisk_cc.db.users.session_stamp`). An admin cannot deactivate or
demote themselves and the last active admin cannot be removed
(:func:`~asterisk_cc.core.user_admin.refuse_user_change`). Every change is audited.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from asterisk_cc.core.user_admin import Refusal, refuse_user_change
from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.models import Agent, User
from asterisk_cc.db.users import (
    MAX_DISPLAY_NAME,
    MIN_PASSWORD_LENGTH,
    USERNAME,
    UserError,
    active_admins_other_than,
    create_user,
    session_stamp,
    set_password,
    update_user,
)
from asterisk_cc.web.access import admins_only, audit, current_user
from asterisk_cc.web.admin_base import PAGE_SIZE, blueprint, form_values, page_number
from asterisk_cc.web.context import db
from asterisk_cc.web.i18n import gettext

MAX_AGENT_CHOICES = 2000


def role_names() -> dict[str, str]:
    return {
        UserRole.ADMIN.value: gettext("Admin"),
        UserRole.SUPERVISOR.value: gettext("Supervisor"),
        UserRole.AGENT.value: gettext("Agent"),
    }


def _like(text: str) -> str:
    """``text`` as a LIKE pattern that matches it anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _unlinked_agents() -> list[str]:
    """Logins of active agents without a user, for the agent field's suggestions."""
    linked = select(User.agent_id).where(User.agent_id.is_not(None))
    return list(
        db().scalars(
            select(Agent.login)
            .where(Agent.active.is_(True), Agent.id.not_in(linked))
            .order_by(Agent.login)
            .limit(MAX_AGENT_CHOICES)
        )
    )


def _password_problems(password: str, again: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            gettext("The password needs at least {count} characters.", count=MIN_PASSWORD_LENGTH)
        )
    elif password.strip() != password or not password.isprintable():
        problems.append(
            gettext("The password may not start or end with spaces or hold control characters.")
        )
    if password != again:
        problems.append(gettext("The two passwords differ."))
    return problems


def _agent_problems(role: str, agent_login: str, user_id: int | None) -> list[str]:
    """What is wrong with linking a user of ``role`` to the agent ``agent_login``."""
    if not agent_login:
        return []
    if role != UserRole.AGENT.value:
        return [gettext("Only a user with the agent role is linked to an agent.")]
    agent_id = db().scalar(select(Agent.id).where(Agent.login == agent_login))
    if agent_id is None:
        return [gettext("There is no agent with the login {login}.", login=agent_login)]
    taken = db().scalar(
        select(User.username).where(
            User.agent_id == agent_id, User.id != (user_id if user_id is not None else -1)
        )
    )
    if taken is not None:
        return [
            gettext(
                "Agent {login} already has the user {username}.",
                login=agent_login,
                username=taken,
            )
        ]
    return []


def _profile_problems(role: str, display_name: str) -> list[str]:
    problems = []
    if role not in role_names():
        problems.append(gettext("Choose a role."))
    if len(display_name) > MAX_DISPLAY_NAME:
        problems.append(
            gettext("The display name has at most {count} characters.", count=MAX_DISPLAY_NAME)
        )
    return problems


def _refusal_message(refusal: Refusal) -> str:
    if refusal is Refusal.SELF_DEACTIVATE:
        return gettext("You cannot deactivate your own account.")
    if refusal is Refusal.SELF_DEMOTE:
        return gettext("You cannot take the admin role from your own account.")
    return gettext("This is the last active admin: make another user admin first.")


def _list_page(
    *, problems: list[str] | None = None, values: dict[str, Any] | None = None, status: int = 200
) -> tuple[str, int]:
    search = request.args.get("q", "").strip()[:64]
    page = page_number()
    linked = aliased(Agent)
    query = select(User, linked.login).outerjoin(linked, linked.id == User.agent_id)
    if search:
        pattern = _like(search)
        query = query.where(
            or_(
                User.username.like(pattern, escape="\\"),
                User.display_name.like(pattern, escape="\\"),
            )
        )
    rows = (
        db()
        .execute(query.order_by(User.username).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
        .all()
    )
    return (
        render_template(
            "admin/users.html",
            rows=rows[:PAGE_SIZE],
            more=len(rows) > PAGE_SIZE,
            page=page,
            search=search,
            roles=role_names(),
            agents=_unlinked_agents(),
            problems=problems or [],
            values=values or {"role": UserRole.AGENT.value},
            min_password=MIN_PASSWORD_LENGTH,
        ),
        status,
    )


@blueprint.route("/users")
@admins_only
def users() -> tuple[str, int]:
    return _list_page()


@blueprint.route("/users", methods=["POST"])
@admins_only
def create_user_view() -> Any:
    form = request.form
    username = form.get("username", "").strip()
    display_name = form.get("display_name", "").strip()
    role = form.get("role", "")
    agent_login = form.get("agent_login", "").strip()
    password = form.get("password", "")
    problems = []
    if not USERNAME.match(username):
        problems.append(
            gettext(
                "Username: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit."
            )
        )
    elif db().scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(gettext("The user {username} exists already.", username=username))
    problems += _profile_problems(role, display_name)
    if role == UserRole.AGENT.value and not agent_login:
        problems.append(gettext("An agent user needs the login of the agent they are."))
    problems += _agent_problems(role, agent_login, None)
    problems += _password_problems(password, form.get("password_again", ""))
    if problems:
        return _list_page(problems=problems, values=form_values(), status=400)
    try:
        user = create_user(
            db(),
            username=username,
            password=password,
            role=role,
            display_name=display_name or None,
            agent_login=agent_login or None,
        )
    except UserError as exc:
        db().rollback()
        return _list_page(problems=[str(exc)], values=form_values(), status=400)
    audit(
        "user_create",
        f"user:{username}",
        role=role,
        display_name=display_name or None,
        agent=agent_login or None,
    )
    db().commit()
    flash(gettext("User {username} created.", username=username), "ok")
    return redirect(url_for("admin.user", user_id=user.id))


def _the_user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(user: User, *, problems: list[str] | None = None, status: int = 200) -> Any:
    agent_login = (
        db().scalar(select(Agent.login).where(Agent.id == user.agent_id))
        if user.agent_id is not None
        else None
    )
    return (
        render_template(
            "admin/user.html",
            account=user,
            agent_login=agent_login,
            roles=role_names(),
            agents=_unlinked_agents(),
            problems=problems or [],
            is_self=user.id == current_user().id,
            min_password=MIN_PASSWORD_LENGTH,
        ),
        status,
    )


@blueprint.route("/users/<int:user_id>")
@admins_only
def user(user_id: int) -> Any:
    return _user_page(_the_user(user_id))


def _refusal(user: User, role: UserRole, active: bool) -> Refusal | None:
    return refuse_user_change(
        actor_id=current_user().id,
        user_id=user.id,
        role_before=UserRole(user.role),
        active_before=user.active,
        role_after=role,
        active_after=active,
        other_active_admins=active_admins_other_than(db(), user.id),
    )


@blueprint.route("/users/<int:user_id>", methods=["POST"])
@admins_only
def update_user_view(user_id: int) -> Any:
    user = _the_user(user_id)
    role = request.form.get("role", "")
    display_name = request.form.get("display_name", "").strip()
    agent_login = request.form.get("agent_login", "").strip()
    problems = _profile_problems(role, display_name) + _agent_problems(role, agent_login, user.id)
    if not problems:
        refusal = _refusal(user, UserRole(role), user.active)
        if refusal is not None:
            problems.append(_refusal_message(refusal))
    if problems:
        return _user_page(user, problems=problems, status=400)
    try:
        changes = update_user(
            db(), user, role=role, display_name=display_name, agent_login=agent_login
        )
    except UserError as exc:
        db().rollback()
        return _user_page(_the_user(user_id), problems=[str(exc)], status=400)
    if changes:
        audit(
            "user_update",
            f"user:{user.username}",
            **{field: list(change) for field, change in changes.items()},
        )
        db().commit()
        flash(gettext("User {username} saved.", username=user.username), "ok")
    return redirect(url_for("admin.user", user_id=user.id))


@blueprint.route("/users/<int:user_id>/password", methods=["POST"])
@admins_only
def reset_password(user_id: int) -> Any:
    user = _the_user(user_id)
    password = request.form.get("password", "")
    problems = _password_problems(password, request.form.get("password_again", ""))
    if problems:
        return _user_page(user, problems=problems, status=400)
    try:
        set_password(db(), user, password)
    except UserError as exc:
        db().rollback()
        return _user_page(_the_user(user_id), problems=[str(exc)], status=400)
    audit("user_password_reset", f"user:{user.username}")
    db().commit()
    if user.id == current_user().id:
        # An admin who sets their own password stays logged in here; their other sessions end.
        session["stamp"] = session_stamp(user)
    flash(
        gettext(
            "Password of {username} reset: their open sessions have ended.",
            username=user.username,
        ),
        "ok",
    )
    return redirect(url_for("admin.user", user_id=user.id))


@blueprint.route("/users/<int:user_id>/active", methods=["POST"])
@admins_only
def set_user_active(user_id: int) -> Any:
    user = _the_user(user_id)
    active = request.form.get("active") == "1"
    if user.active == active:
        return redirect(url_for("admin.user", user_id=user.id))
    refusal = _refusal(user, UserRole(user.role), active)
    if refusal is not None:
        return _user_page(user, problems=[_refusal_message(refusal)], status=409)
    user.active = active
    audit("user_reactivate" if active else "user_deactivate", f"user:{user.username}")
    db().commit()
    if active:
        flash(gettext("User {username} can log in again.", username=user.username), "ok")
    else:
        flash(
            gettext(
                "User {username} deactivated: their sessions have ended.", username=user.username
            ),
            "ok",
        )
    return redirect(url_for("admin.user", user_id=user.id))
