"""Administration: users and roles, queues and skills, agents and teams, IVR flows, the
effective settings, system health and the audit log (admins only).

The blueprint is :data:`asterisk_cc.web.admin_base.blueprint`; each section is a module of its
own (``admin_users``, ``admin_routing``, ``admin_ivr``, ``admin_settings``, ``admin_health``,
``admin_audit``), imported here so that its views are registered with the blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import func, select

from asterisk_cc.db.models import Agent, AuditLogEntry, Queue, Skill, Team, User
from asterisk_cc.web import (  # noqa: F401 (imported for their views)
    admin_audit,
    admin_health,
    admin_ivr,
    admin_routing,
    admin_settings,
    admin_users,
)
from asterisk_cc.web.access import admins_only
from asterisk_cc.web.admin_base import blueprint
from asterisk_cc.web.context import db
from asterisk_cc.web.nav import ADMIN, NavItem

__all__ = ["NAV", "blueprint", "index"]

NAV = [NavItem("admin.index", "Admin", ADMIN, 70)]
RECENT_AUDIT = 10


@blueprint.route("/")
@admins_only
def index() -> str:
    session = db()

    def count(model: type, *where: Any) -> int:
        total: int | None = session.scalar(select(func.count()).select_from(model).where(*where))
        return total or 0

    counts = {
        "users": count(User, User.active.is_(True)),
        "agents": count(Agent, Agent.active.is_(True)),
        "queues": count(Queue, Queue.active.is_(True)),
        "skills": count(Skill),
        "teams": count(Team),
    }
    recent = session.scalars(
        select(AuditLogEntry)
        .order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc())
        .limit(RECENT_AUDIT)
    ).all()
    return render_template("admin/index.html", counts=counts, recent=recent)
