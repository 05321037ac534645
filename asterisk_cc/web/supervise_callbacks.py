"""The callbacks queue: callers waiting to be called back, the most urgent first, with how
long they have waited and when they are due; assign one to an agent, mark it done or cancel it.

A request still to be made is *open* (pending, scheduled or in progress). Marking one done or
cancelling it also takes its lead out of the dialer's ``callbacks`` campaign when that lead has
not been dialled yet, so the caller is not called after all. Both are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, func, or_, select, update

from asterisk_cc.core.sla import CALLBACK_WARNING, callback_due_at, sla_timer
from asterisk_cc.core.vocabulary import CallbackStatus, LeadStatus
from asterisk_cc.db.ivr_store import OPEN_CALLBACK_STATUSES
from asterisk_cc.db.models import Agent, CallbackRequest, Customer, Lead, Queue
from asterisk_cc.web.access import audit, supervisors_only
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import gettext
from asterisk_cc.web.supervise_common import (
    PAGE_SIZE,
    SlaView,
    active_agent_by_login,
    agent_choices,
    back_to,
    page_number,
    search_text,
    sla_view,
)

AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])

OPEN: Final = "open"
STATUSES: Final = frozenset(status.value for status in CallbackStatus)
OPEN_VALUES: Final = frozenset(status.value for status in OPEN_CALLBACK_STATUSES)


def status_labels() -> dict[str, str]:
    """The statuses' names in the request's language."""
    return {
        CallbackStatus.PENDING.value: gettext("Pending"),
        CallbackStatus.SCHEDULED.value: gettext("Scheduled"),
        CallbackStatus.IN_PROGRESS.value: gettext("Dialling"),
        CallbackStatus.DONE.value: gettext("Done"),
        CallbackStatus.FAILED.value: gettext("Failed"),
        CallbackStatus.CANCELLED.value: gettext("Cancelled"),
    }


@dataclass(frozen=True)
class CallbackRow:
    id: int
    status: str
    phone: str
    customer: str | None
    queue: str | None
    requested_at: datetime
    due_at: datetime
    attempts: int
    last_attempt_at: datetime | None
    fulfilled_at: datetime | None
    agent_id: int | None
    agent_login: str | None
    agent: str | None
    note: str | None
    sla: SlaView | None
    """The timer of an open request; None once it is closed."""

    @property
    def open(self) -> bool:
        return self.status in OPEN_VALUES


def _filtered(query: AnySelect, status: str, assignee: str, text: str) -> AnySelect:
    if status in STATUSES:
        query = query.where(CallbackRequest.status == CallbackStatus(status))
    else:
        query = query.where(CallbackRequest.status.in_(OPEN_CALLBACK_STATUSES))
    if assignee == "none":
        query = query.where(CallbackRequest.agent_id.is_(None))
    elif assignee.isdigit():
        query = query.where(CallbackRequest.agent_id == int(assignee))
    if text:
        # Bound parameters with escaped wildcards: typed text is only text.
        query = query.where(
            or_(
                CallbackRequest.phone_e164.contains(text, autoescape=True),
                Customer.name.icontains(text, autoescape=True),
            )
        )
    return query


def callbacks() -> Any:
    status = request.args.get("status", OPEN)
    if status not in STATUSES:
        status = OPEN
    assignee = request.args.get("assignee", "")
    text = search_text()
    page = page_number()
    now = web_context().now()
    due = func.coalesce(CallbackRequest.preferred_at, CallbackRequest.requested_at)
    query = _filtered(
        select(CallbackRequest, Customer.name, Queue.name, Agent.login, Agent.name)
        .outerjoin(Customer, Customer.id == CallbackRequest.customer_id)
        .outerjoin(Queue, Queue.id == CallbackRequest.queue_id)
        .outerjoin(Agent, Agent.id == CallbackRequest.agent_id),
        status,
        assignee,
        text,
    )
    if status == OPEN or status in OPEN_VALUES:
        # The order of core.sla.callback_urgency: due first, then callers keep their place.
        query = query.order_by(due, CallbackRequest.requested_at, CallbackRequest.id)
    else:
        query = query.order_by(CallbackRequest.requested_at.desc(), CallbackRequest.id.desc())
    found = db().execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    rows = []
    for callback, customer, queue, login, name in found[:PAGE_SIZE]:
        due_at = callback_due_at(callback.requested_at, callback.preferred_at)
        is_open = CallbackStatus(callback.status).value in OPEN_VALUES
        rows.append(
            CallbackRow(
                id=callback.id,
                status=CallbackStatus(callback.status).value,
                phone=callback.phone_e164,
                customer=customer,
                queue=queue,
                requested_at=callback.requested_at,
                due_at=due_at,
                attempts=callback.attempts or 0,
                last_attempt_at=callback.last_attempt_at,
                fulfilled_at=callback.fulfilled_at,
                agent_id=callback.agent_id,
                agent_login=login,
                agent=f"{login} {name}" if login else None,
                note=callback.note,
                sla=sla_view(sla_timer(due_at, now, warn_within=CALLBACK_WARNING))
                if is_open
                else None,
            )
        )
    open_count = db().scalar(
        select(func.count()).where(CallbackRequest.status.in_(OPEN_CALLBACK_STATUSES))
    )
    return render_template(
        "supervise/callbacks.html",
        rows=rows,
        status=status,
        assignee=assignee,
        q=text,
        page=page,
        has_next=len(found) > PAGE_SIZE,
        statuses=[s.value for s in CallbackStatus],
        labels=status_labels(),
        open_count=open_count or 0,
        agents=agent_choices(),
    )


def _open_request(request_id: int) -> CallbackRequest | None:
    """The request, or None (with a message) when it is no longer open."""
    found = db().get(CallbackRequest, request_id)
    if found is None:
        abort(404)
    if CallbackStatus(found.status).value not in OPEN_VALUES:
        flash(
            gettext(
                "Callback #{number} is already {status}.",
                number=request_id,
                status=status_labels()[CallbackStatus(found.status).value],
            ),
            "error",
        )
        return None
    return found


def _withdraw_lead(request_id: int) -> int:
    """Take the request's lead out of the dialer if it has not been dialled yet."""
    result = db().execute(
        update(Lead)
        .where(Lead.callback_request_id == request_id, Lead.status == LeadStatus.PENDING)
        .values(status=LeadStatus.CANCELLED, updated_at=web_context().now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def assign(request_id: int) -> Any:
    """The agent who makes the callback (the dialer waits for them), or anyone.

    The form names the agent by login, typed or picked from the page's one list of agents (a
    list per row would repeat hundreds of agents fifty times)."""
    listing = back_to(url_for("supervise.callbacks"))
    found = _open_request(request_id)
    if found is None:
        return redirect(listing, 303)
    chosen = request.form.get("agent", "").strip()
    agent = active_agent_by_login(chosen) if chosen else None
    if chosen and agent is None:
        flash(gettext("Choose an active agent."), "error")
        return redirect(listing, 303)
    found.agent_id = agent.id if agent else None
    # A lead already made for the request waits for the same agent.
    db().execute(
        update(Lead)
        .where(Lead.callback_request_id == request_id, Lead.status == LeadStatus.PENDING)
        .values(callback_agent_id=found.agent_id)
    )
    audit("callback_assign", f"callback:{request_id}", agent=agent.login if agent else None)
    db().commit()
    if agent:
        flash(
            gettext(
                "Callback #{number} is assigned to {agent}.", number=request_id, agent=agent.label
            ),
            "ok",
        )
    else:
        flash(gettext("Callback #{number} is for any agent.", number=request_id), "ok")
    return redirect(listing, 303)


def _close(request_id: int, status: CallbackStatus) -> Any:
    listing = back_to(url_for("supervise.callbacks"))
    found = _open_request(request_id)
    if found is None:
        return redirect(listing, 303)
    now = web_context().now()
    found.status = status
    if status is CallbackStatus.DONE:
        found.fulfilled_at = now
    withdrawn = _withdraw_lead(request_id)
    audit(
        f"callback_{status.value}",
        f"callback:{request_id}",
        phone=found.phone_e164,
        lead_withdrawn=bool(withdrawn),
    )
    db().commit()
    if status is CallbackStatus.DONE:
        flash(gettext("Callback #{number} is marked done.", number=request_id), "ok")
    else:
        flash(gettext("Callback #{number} is cancelled.", number=request_id), "ok")
    return redirect(listing, 303)


def done(request_id: int) -> Any:
    """The caller was called back (outside the dialer): the request is fulfilled now."""
    return _close(request_id, CallbackStatus.DONE)


def cancel(request_id: int) -> Any:
    """The callback is not to be made (a duplicate, or the caller no longer wants it)."""
    return _close(request_id, CallbackStatus.CANCELLED)


def register(blueprint: Blueprint) -> None:
    """The callbacks pages on the supervisor's blueprint (supervisors and admins only)."""
    rules = (
        ("/callbacks", "callbacks", callbacks, ["GET"]),
        ("/callbacks/<int:request_id>/assign", "callback_assign", assign, ["POST"]),
        ("/callbacks/<int:request_id>/done", "callback_done", done, ["POST"]),
        ("/callbacks/<int:request_id>/cancel", "callback_cancel", cancel, ["POST"]),
    )
    for rule, endpoint, view, methods in rules:
        blueprint.add_url_rule(rule, endpoint, view_func=supervisors_only(view), methods=methods)
