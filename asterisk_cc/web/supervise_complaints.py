"""The complaints queue: open complaint tickets, most urgent first, with their SLA timers; a
ticket's page with its history, the moves its stage allows, its assignee and its deadline.

Moves go through :func:`asterisk_cc.db.tickets.move_ticket` (the workflow of
:mod:`asterisk_cc.core.tickets`: a move it forbids is refused and nothing changes). Each move,
assignment and deadline change is one event of the ticket's history, with the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import aliased

from asterisk_cc.core.sla import COMPLAINT_WARNING, OPEN_TICKET_STATES, sla_timer, ticket_moves
from asterisk_cc.core.tickets import TicketError, TicketState
from asterisk_cc.db.models import Agent, ComplaintTicket, Customer, TicketEvent, User
from asterisk_cc.db.tickets import move_ticket
from asterisk_cc.web.access import current_user, supervisors_only
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import gettext
from asterisk_cc.web.supervise_common import (
    PAGE_SIZE,
    SlaView,
    active_agent,
    agent_choices,
    back_to,
    form_text,
    page_number,
    search_text,
    sla_view,
)

AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])

STAGES: Final = frozenset(state.value for state in TicketState)
TICKET_NUMBER: Final = re.compile(r"#?(\d{1,9})")
DUE_FORMAT: Final = "%Y-%m-%dT%H:%M"
"""What a ``datetime-local`` field sends: the site's local time, to the minute."""


def stage_labels() -> dict[str, str]:
    """The stages' names in the request's language."""
    return {
        TicketState.RECEIVED.value: gettext("Received"),
        TicketState.CONFIRMED.value: gettext("Confirmed"),
        TicketState.PLANNED.value: gettext("Planned"),
        TicketState.EXECUTING.value: gettext("Executing"),
        TicketState.FOLLOW_UP.value: gettext("Follow-up"),
        TicketState.CLOSED.value: gettext("Closed"),
    }


@dataclass(frozen=True)
class TicketRow:
    id: int
    state: str
    customer: str | None
    caller: str | None
    category: str | None
    description: str
    owner: str | None
    received_at: datetime
    due_at: datetime | None
    sla: SlaView


def _filtered(query: AnySelect, stage: str, assignee: str, text: str) -> AnySelect:
    if stage == "all":
        pass
    elif stage in STAGES:
        query = query.where(ComplaintTicket.state == TicketState(stage))
    else:
        query = query.where(ComplaintTicket.state.in_(OPEN_TICKET_STATES))
    if assignee == "none":
        query = query.where(ComplaintTicket.owner_agent_id.is_(None))
    elif assignee.isdigit():
        query = query.where(ComplaintTicket.owner_agent_id == int(assignee))
    if text:
        # The search is a bound parameter, its wildcards escaped: typed text is only text.
        matches = [
            Customer.name.icontains(text, autoescape=True),
            ComplaintTicket.caller_e164.contains(text, autoescape=True),
            ComplaintTicket.category.icontains(text, autoescape=True),
        ]
        number = TICKET_NUMBER.fullmatch(text)
        if number:
            matches.append(ComplaintTicket.id == int(number[1]))
        query = query.where(or_(*matches))
    return query


def _stage_counts() -> tuple[dict[str, int], int]:
    """Open tickets per stage and how many are past their deadline (one aggregate query)."""
    now = web_context().now()
    rows = db().execute(
        select(
            ComplaintTicket.state,
            func.count(),
            func.sum(case((ComplaintTicket.due_at <= now, 1), else_=0)),
        )
        .where(ComplaintTicket.state.in_(OPEN_TICKET_STATES))
        .group_by(ComplaintTicket.state)
    )
    counts: dict[str, int] = {}
    overdue = 0
    for state, count, late in rows:
        counts[TicketState(state).value] = int(count)
        overdue += int(late or 0)
    return counts, overdue


def complaints() -> Any:
    stage = request.args.get("stage", "open")
    assignee = request.args.get("assignee", "")
    text = search_text()
    page = page_number()
    now = web_context().now()
    owner = aliased(Agent)
    query = _filtered(
        select(ComplaintTicket, Customer.name, owner.login, owner.name)
        .outerjoin(Customer, Customer.id == ComplaintTicket.customer_id)
        .outerjoin(owner, owner.id == ComplaintTicket.owner_agent_id),
        stage,
        assignee,
        text,
    ).order_by(
        # The order of core.sla.complaint_urgency: by deadline, the most overdue first; then
        # those without one, oldest first.
        ComplaintTicket.due_at.is_(None),
        ComplaintTicket.due_at,
        ComplaintTicket.received_at,
        ComplaintTicket.id,
    )
    found = db().execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    rows = [
        TicketRow(
            id=ticket.id,
            state=TicketState(ticket.state).value,
            customer=customer,
            caller=ticket.caller_e164,
            category=ticket.category,
            description=ticket.description,
            owner=f"{login} {name}" if login else None,
            received_at=ticket.received_at,
            due_at=ticket.due_at,
            sla=sla_view(
                sla_timer(
                    None if ticket.state == TicketState.CLOSED else ticket.due_at,
                    now,
                    warn_within=COMPLAINT_WARNING,
                )
            ),
        )
        for ticket, customer, login, name in found[:PAGE_SIZE]
    ]
    counts, overdue = _stage_counts()
    return render_template(
        "supervise/complaints.html",
        rows=rows,
        stage=stage,
        assignee=assignee,
        q=text,
        page=page,
        has_next=len(found) > PAGE_SIZE,
        stages=OPEN_TICKET_STATES,
        counts=counts,
        open_total=sum(counts.values()),
        overdue=overdue,
        agents=agent_choices(),
        stage_labels=stage_labels(),
    )


def _ticket_or_404(ticket_id: int) -> ComplaintTicket:
    ticket = db().get(ComplaintTicket, ticket_id)
    if ticket is None:
        abort(404)
    return ticket


def ticket(ticket_id: int) -> Any:
    found = _ticket_or_404(ticket_id)
    customer = db().get(Customer, found.customer_id) if found.customer_id else None
    owner = db().get(Agent, found.owner_agent_id) if found.owner_agent_id else None
    history = (
        db()
        .execute(
            select(TicketEvent, User.username)
            .outerjoin(User, User.id == TicketEvent.user_id)
            .where(TicketEvent.ticket_id == found.id)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        .all()
    )
    deadline = None if found.state == TicketState.CLOSED else found.due_at
    zone = web_context().site_zone
    return render_template(
        "supervise/ticket.html",
        ticket=found,
        state=TicketState(found.state).value,
        customer=customer,
        owner=owner,
        history=history,
        moves=ticket_moves(TicketState(found.state)),
        sla=sla_view(sla_timer(deadline, web_context().now(), warn_within=COMPLAINT_WARNING)),
        agents=agent_choices(),
        due_value=found.due_at.astimezone(zone).strftime(DUE_FORMAT) if found.due_at else "",
        stage_labels=stage_labels(),
        stage_times=[(state.value, getattr(found, f"{state.value}_at")) for state in TicketState],
    )


def move(ticket_id: int) -> Any:
    """Move a ticket to the stage asked for, if the workflow allows it; with a note (closing:
    the note is the resolution)."""
    found = _ticket_or_404(ticket_id)
    page = url_for("supervise.ticket", ticket_id=ticket_id)
    target = request.form.get("target", "")
    if target not in STAGES:
        flash(gettext("Choose the stage to move the complaint to."), "error")
        return redirect(page, 303)
    note = form_text("note")
    try:
        move_ticket(
            db(),
            found,
            TicketState(target),
            web_context().now(),
            user_id=current_user().id,
            note=note,
        )
    except TicketError as exc:
        db().rollback()
        flash(gettext("The complaint was not moved: {reason}", reason=str(exc)), "error")
        return redirect(page, 303)
    if TicketState(target) is TicketState.CLOSED and note:
        found.resolution = note
    db().commit()
    flash(
        gettext(
            "Complaint #{number} moved to {stage}.",
            number=ticket_id,
            stage=stage_labels()[target],
        ),
        "ok",
    )
    return redirect(back_to(page), 303)


def _note_event(found: ComplaintTicket, note: str) -> None:
    """A history entry that is not a move: the ticket stays in its stage."""
    state = TicketState(found.state)
    found.events.append(
        TicketEvent(
            at=web_context().now(),
            from_state=state,
            to_state=state,
            user_id=current_user().id,
            note=note,
        )
    )


def assign(ticket_id: int) -> Any:
    """Give the ticket to an agent (or to nobody)."""
    found = _ticket_or_404(ticket_id)
    page = url_for("supervise.ticket", ticket_id=ticket_id)
    chosen = request.form.get("agent_id", "")
    if chosen == "":
        found.owner_agent_id = None
        _note_event(found, "Unassigned.")
        message = gettext("Complaint #{number} is unassigned.", number=ticket_id)
    else:
        agent = active_agent(int(chosen)) if chosen.isdigit() else None
        if agent is None:
            flash(gettext("Choose an active agent."), "error")
            return redirect(page, 303)
        found.owner_agent_id = agent.id
        _note_event(found, f"Assigned to {agent.label}.")
        message = gettext(
            "Complaint #{number} is assigned to {agent}.", number=ticket_id, agent=agent.label
        )
    db().commit()
    flash(message, "ok")
    return redirect(back_to(page), 303)


def _parse_due(text: str, zone: ZoneInfo) -> datetime:
    local = datetime.strptime(text, DUE_FORMAT)  # naive: the site's zone is added next
    return local.replace(tzinfo=zone).astimezone(UTC)


def set_due(ticket_id: int) -> Any:
    """Set (or clear) the time the complaint must be closed by: its SLA deadline."""
    found = _ticket_or_404(ticket_id)
    page = url_for("supervise.ticket", ticket_id=ticket_id)
    text = request.form.get("due", "").strip()
    zone = web_context().site_zone
    if found.state == TicketState.CLOSED:
        flash(gettext("The complaint is closed: its deadline no longer matters."), "error")
        return redirect(page, 303)
    if not text:
        found.due_at = None
        _note_event(found, "Deadline removed.")
    else:
        try:
            due = _parse_due(text, zone)
        except ValueError:
            flash(
                gettext(
                    "The deadline {value} is not a date and time (YYYY-MM-DD HH:MM).",
                    value=text[:40],
                ),
                "error",
            )
            return redirect(page, 303)
        found.due_at = due
        _note_event(found, f"Deadline set to {due.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key}).")
    db().commit()
    flash(gettext("The deadline of complaint #{number} is saved.", number=ticket_id), "ok")
    return redirect(page, 303)


def register(blueprint: Blueprint) -> None:
    """The complaints pages on the supervisor's blueprint (supervisors and admins only)."""
    rules = (
        ("/complaints", "complaints", complaints, ["GET"]),
        ("/complaints/<int:ticket_id>", "ticket", ticket, ["GET"]),
        ("/complaints/<int:ticket_id>/move", "ticket_move", move, ["POST"]),
        ("/complaints/<int:ticket_id>/assign", "ticket_assign", assign, ["POST"]),
        ("/complaints/<int:ticket_id>/due", "ticket_due", set_due, ["POST"]),
    )
    for rule, endpoint, view, methods in rules:
        blueprint.add_url_rule(rule, endpoint, view_func=supervisors_only(view), methods=methods)
