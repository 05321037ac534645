"""Log-in, log-out and the language switch.

A log-in is refused with one message whatever was wrong (unknown user, wrong password,
deactivated), so the page tells an attacker nothing; after too many failures for a name or
from an address (:class:`~asterisk_cc.db.users.LoginThrottle`) it is refused without checking
the password until the window has passed. Every log-in, failed log-in and log-out is in the
audit log. A successful log-in starts a new session (nothing of the anonymous one is kept) and
returns to the page asked for, if it is on this site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from asterisk_cc.db.users import (
    LOGIN_FAILED,
    LoginThrottle,
    authenticate,
    failed_logins_since,
    session_stamp,
)
from asterisk_cc.web.access import audit, client_ip, current_user
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import LANGUAGES, SESSION_KEY, gettext

blueprint = Blueprint("auth", __name__)
THROTTLE = LoginThrottle()


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, not ``//evil``)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _throttled(username: str) -> bool:
    since = web_context().now() - THROTTLE.window
    session_db = db()
    return (
        failed_logins_since(session_db, since, username=username) >= THROTTLE.max_per_user
        or failed_logins_since(session_db, since, ip=client_ip()) >= THROTTLE.max_per_ip
    )


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", next=_safe_next(request.args.get("next")))
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    next_page = _safe_next(request.form.get("next"))
    if _throttled(username):
        audit(LOGIN_FAILED, username, reason="throttled")
        db().commit()
        minutes = int(THROTTLE.window.total_seconds() // 60)
        flash(
            gettext("Too many failed log-ins: try again in {minutes} minutes.", minutes=minutes),
            "error",
        )
        return render_template("login.html", next=next_page, username=username), 429
    user = authenticate(db(), username, password)
    if user is None:
        audit(LOGIN_FAILED, username)
        db().commit()
        flash(gettext("Wrong username or password."), "error")
        return render_template("login.html", next=next_page, username=username), 401
    language = session.get(SESSION_KEY)
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["stamp"] = session_stamp(user)
    session["seen"] = web_context().now().timestamp()
    if language in LANGUAGES:
        session[SESSION_KEY] = language
    user.last_login_at = web_context().now()
    audit("login", user.username, by_user_id=user.id)
    db().commit()
    return redirect(next_page or url_for("home.index"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> Any:
    audit("logout", current_user().username)
    db().commit()
    language = session.get(SESSION_KEY)
    session.clear()
    if language in LANGUAGES:
        session[SESSION_KEY] = language
    return redirect(url_for("auth.login"))


@blueprint.route("/language", methods=["POST"])
def language() -> Any:
    chosen = request.form.get("language", "")
    if chosen in LANGUAGES:
        session[SESSION_KEY] = chosen
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))
