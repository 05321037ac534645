"""The audit log viewer: who did what to whom, newest first, filtered by user, action, target
and dates (days in the site's time zone), a page at a time.

The table grows without end (every log-in is in it), so a page is read with the index on
``at`` and a LIMIT, and the next page starts after the last entry shown (keyset paging: the
entry's id in ``before``) instead of an OFFSET; nothing counts the whole table. Filtering by a
user that exists uses the ``(user_id, at)`` index, by action the ``(action, at)`` index.
Details are shown as text, escaped.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from flask import render_template, request
from sqlalchemy import and_, or_, select

from asterisk_cc.core.reports.forecast import day_bounds
from asterisk_cc.db.models import AuditLogEntry, User
from asterisk_cc.web.access import admins_only
from asterisk_cc.web.admin_base import blueprint
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import gettext

AUDIT_PAGE: Final = 50
KNOWN_ACTIONS: Final = (
    "login",
    "login_failed",
    "logout",
    "user_create",
    "user_update",
    "user_password_reset",
    "user_deactivate",
    "user_reactivate",
    "agent_create",
    "agent_update",
    "agent_skill_set",
    "agent_skill_remove",
    "queue_create",
    "queue_update",
    "queue_skill_set",
    "queue_skill_remove",
    "skill_create",
    "skill_update",
    "team_create",
    "team_update",
    "supervise_listen",
    "supervise_whisper",
    "supervise_barge",
    "monitor_stop",
    "recording_played",
)
"""Suggestions for the action filter (any action may be typed)."""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day(name: str, problems: list[str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(gettext("Dates are written YYYY-MM-DD, e.g. 2026-11-23."))
        return None


def _filters(problems: list[str]) -> tuple[dict[str, str], list[Any]]:
    """The filters as typed (for the form) and as conditions (for the query)."""
    typed = {
        key: request.args.get(key, "").strip()[:255]
        for key in ("user", "action", "target", "from", "to")
    }
    conditions: list[Any] = []
    if typed["user"]:
        user_id = db().scalar(select(User.id).where(User.username == typed["user"]))
        conditions.append(
            AuditLogEntry.user_id == user_id
            if user_id is not None
            else AuditLogEntry.username == typed["user"]
        )
    if typed["action"]:
        conditions.append(AuditLogEntry.action == typed["action"])
    if typed["target"]:
        conditions.append(AuditLogEntry.target.like(_like(typed["target"]), escape="\\"))
    zone = web_context().site_zone
    first, last = _day("from", problems), _day("to", problems)
    if first is not None:
        conditions.append(AuditLogEntry.at >= day_bounds(first, zone)[0])
    if last is not None:
        conditions.append(AuditLogEntry.at < day_bounds(last, zone)[1])
    if first is not None and last is not None and last < first:
        problems.append(gettext("The end date is before the start date."))
    return typed, conditions


def _after(before: str) -> Any | None:
    """The condition for entries older than the entry ``before`` (the last one shown)."""
    if not before.isdigit():
        return None
    anchor = (
        db()
        .execute(select(AuditLogEntry.at, AuditLogEntry.id).where(AuditLogEntry.id == int(before)))
        .one_or_none()
    )
    if anchor is None:
        return None
    at: datetime = anchor.at
    # "at <= anchor" on its own, so that the database walks the index on at down from the
    # anchor (an OR alone makes SQLite scan the index from the newest entry).
    return and_(AuditLogEntry.at <= at, or_(AuditLogEntry.at < at, AuditLogEntry.id < anchor.id))


@blueprint.route("/audit")
@admins_only
def audit_log() -> tuple[str, int]:
    problems: list[str] = []
    typed, conditions = _filters(problems)
    before = request.args.get("before", "")
    older_than = _after(before)
    if older_than is not None:
        conditions.append(older_than)
    entries = list(
        db().scalars(
            select(AuditLogEntry)
            .where(*conditions)
            .order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc())
            .limit(AUDIT_PAGE + 1)
        )
    )
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    next_args = {k: v for k, v in typed.items() if v}
    if more:
        next_args["before"] = str(entries[-1].id)
    return (
        render_template(
            "admin/audit.html",
            recent=entries,
            filters=typed,
            more=more,
            next_args=next_args,
            paged=older_than is not None,
            first_args={k: v for k, v in typed.items() if v},
            actions=KNOWN_ACTIONS,
            problems=problems,
        ),
        400 if problems else 200,
    )
