"""What the supervisor's pages share: paging, the agents to assign work to, the SLA timers as
the pages show them, and where a form returns to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from flask import request
from sqlalchemy import ColumnElement, select

from asterisk_cc.core.sla import SlaState, SlaTimer
from asterisk_cc.db.models import Agent
from asterisk_cc.web.context import db
from asterisk_cc.web.formatting import duration
from asterisk_cc.web.i18n import gettext

PAGE_SIZE: Final = 50
MAX_PAGE: Final = 10_000
SEARCH_MAX_LENGTH: Final = 100
NOTE_MAX_LENGTH: Final = 2000


@dataclass(frozen=True)
class AgentChoice:
    id: int
    login: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.login} {self.name}"


def agent_choices() -> list[AgentChoice]:
    """The active agents, by login: whom a complaint or a callback may be assigned to."""
    rows = db().execute(
        select(Agent.id, Agent.login, Agent.name).where(Agent.active).order_by(Agent.login)
    )
    return [AgentChoice(row.id, row.login, row.name) for row in rows]


def active_agent(agent_id: int) -> AgentChoice | None:
    return _one_active_agent(Agent.id == agent_id)


def active_agent_by_login(login: str) -> AgentChoice | None:
    """The active agent with this login (what a supervisor types or picks from the list)."""
    return _one_active_agent(Agent.login == login)


def _one_active_agent(condition: ColumnElement[bool]) -> AgentChoice | None:
    row = (
        db()
        .execute(select(Agent.id, Agent.login, Agent.name).where(condition, Agent.active))
        .one_or_none()
    )
    return AgentChoice(row.id, row.login, row.name) if row else None


def page_number() -> int:
    """The ``page`` argument: 1 unless a sane positive number is given."""
    value = request.args.get("page", "")
    if value.isdigit():
        return max(1, min(int(value), MAX_PAGE))
    return 1


def search_text() -> str:
    """The ``q`` argument, trimmed: plain text, only ever a bound parameter of a query."""
    return request.args.get("q", "").strip()[:SEARCH_MAX_LENGTH]


def form_text(name: str, limit: int = NOTE_MAX_LENGTH) -> str | None:
    value = request.form.get(name, "").strip()
    return value[:limit] or None


def back_to(default: str) -> str:
    """Where a form returns to: its ``back`` field when that is one of the supervisor's pages
    (with its filters), else ``default``."""
    target = request.form.get("back", "")
    if target.startswith("/supervise/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@dataclass(frozen=True)
class SlaView:
    """An SLA timer as a page shows it: the text at page load, the state for its colour, and
    the deadline the browser counts towards."""

    state: str
    text: str
    deadline: str | None

    @property
    def css(self) -> str:
        return {
            SlaState.OVERDUE: "bad",
            SlaState.DUE_SOON: "warn",
            SlaState.ON_TIME: "good",
        }.get(SlaState(self.state), "muted")


def sla_view(timer: SlaTimer) -> SlaView:
    if timer.deadline is None or timer.seconds_left is None:
        return SlaView(timer.state.value, gettext("No deadline"), None)
    if timer.state is SlaState.OVERDUE:
        text = gettext("overdue by {time}", time=duration(timer.overdue_s))
    else:
        text = gettext("{time} left", time=duration(timer.seconds_left))
    return SlaView(timer.state.value, text, iso(timer.deadline))


def iso(moment: datetime) -> str:
    return moment.isoformat()
