"""The agent desktop: an agent's own state, calls, screen pop, preview leads, dispositions,
notes, callbacks and complaints.

Only users with the agent role use it, and always for the agent their user is linked to
(:func:`~asterisk_cc.web.access.current_user`): no view takes an agent from the request, and
every id a request names (a ticket, a lead, a campaign) is looked up within that agent's own
work. State changes and call controls go to the ARI controller (``web_context().controller``);
what it refuses, or an unreachable controller, becomes a message on the page (or a JSON error
for the page's scripts), never a server error. The live state comes from the live feed: the
page shows it on load and ``GET /desktop/stream`` sends each change (state, screen pop) as a
server-sent event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.ari.control import ControllerRefused
from asterisk_cc.ari.store import DatabaseAgentStore
from asterisk_cc.core.desktop import (
    INBOUND_DISPOSITIONS,
    OUTBOUND_DISPOSITIONS,
    PAUSE_REASONS,
    DesktopInputError,
    DeskView,
    callback_time,
    desk_changes,
    disposition_code,
    dispositions_for,
    pause_reason,
    ticket_moves,
    transfer_extension,
    wrapup_until,
)
from asterisk_cc.core.phone import InvalidPhoneNumber, normalize_e164
from asterisk_cc.core.sla import complaint_due_at
from asterisk_cc.core.tickets import TicketError, TicketState
from asterisk_cc.core.vocabulary import AgentState, UserRole
from asterisk_cc.db.call_notes import CALL_NOTE_MAX, add_call_note
from asterisk_cc.db.ivr_store import request_callback
from asterisk_cc.db.preview import dial_preview_lead, next_preview_lead, skip_preview_lead
from asterisk_cc.db.tickets import move_ticket, open_complaint
from asterisk_cc.errors import AsteriskUnreachable
from asterisk_cc.web import desktop_data as data
from asterisk_cc.web.access import agents_only, audit, current_user, wants_json
from asterisk_cc.web.context import controller_client, db, web_context
from asterisk_cc.web.formatting import local_time
from asterisk_cc.web.i18n import gettext
from asterisk_cc.web.nav import NavItem

blueprint = Blueprint("desktop", __name__, url_prefix="/desktop")
NAV = [NavItem("desktop.index", "Agent desktop", (UserRole.AGENT,), 20)]

QUEUE_CONTEXT: Final = "asterisk-cc-queue"
"""The shipped dialplan's context that puts a caller into the queue named by the extension."""
KEEP_ALIVE_S: Final = 15.0
NOTE_MAX: Final = CALL_NOTE_MAX
DESCRIPTION_MAX: Final = 4000
CATEGORY_MAX: Final = 64
SKIP_REASON_MAX: Final = 200
SIMPLE_ACTIONS: Final = frozenset(
    {"unpause", "ready", "logout", "hangup", "hold", "unhold", "record", "call-in"}
)


class DesktopRefusal(Exception):
    """An action the desktop cannot carry out; ``message`` is shown to the agent."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@blueprint.errorhandler(DesktopRefusal)
def _refused(error: DesktopRefusal) -> Any:
    if _answers_json():
        return jsonify({"error": error.message, "status": error.status}), error.status
    flash(error.message, "error")
    return redirect(url_for("desktop.index"), 303)


@blueprint.errorhandler(DesktopInputError)
def _bad_input(error: DesktopInputError) -> Any:
    return _refused(DesktopRefusal(_input_message(error), 400))


def _input_message(error: DesktopInputError) -> str:
    match error.kind:
        case "pause_reason":
            return gettext("Choose a pause reason from the list, or Other with your own words.")
        case "disposition":
            return gettext("Choose a disposition from the list for this call.")
        case "callback_time":
            return gettext("Give the callback's date and time.")
        case "callback_past":
            return gettext("The callback time is in the past.")
        case "callback_far":
            return gettext("The callback time is more than 90 days ahead.")
        case "queue":
            return gettext("There is no such queue to transfer to.")
        case "number":
            return gettext("Give a number to transfer to: digits, *, # or a leading +.")
        case _:
            return gettext("Choose whether to transfer to a queue or to a number.")


# --- helpers -----------------------------------------------------------------------------------


def _answers_json() -> bool:
    return request.is_json or wants_json()


def _field(name: str) -> str:
    """A text field of the form or of the script's JSON body ('' when absent)."""
    source: Mapping[str, Any] = (
        (request.get_json(silent=True) or {}) if request.is_json else request.form
    )
    value = source.get(name, "") if isinstance(source, Mapping) else ""
    return value.strip() if isinstance(value, str) else ""


def _flag(name: str) -> bool:
    """A checkbox of the form, or a JSON true."""
    if request.is_json:
        return (request.get_json(silent=True) or {}).get(name) is True
    return _field(name).lower() in ("1", "true", "on", "yes")


def _done(message: str, **extra: Any) -> Any:
    if _answers_json():
        return jsonify({"ok": True, "message": message, **extra})
    flash(message, "ok")
    return redirect(url_for("desktop.index"), 303)


def _me() -> tuple[int, str]:
    """The signed-in user's agent (id, login)."""
    user = current_user()
    if user.agent_id is None or user.agent_login is None:
        raise DesktopRefusal(
            gettext("Your user is not linked to an agent: ask an administrator to link it."), 409
        )
    return user.agent_id, user.agent_login


def _controller_call(action: str, **body: Any) -> dict[str, Any]:
    """The controller's ``action`` for the signed-in agent (never another)."""
    _, login = _me()
    controller = controller_client()
    if controller is None:
        raise DesktopRefusal(
            gettext("The agent controller is not configured: the desktop cannot change calls."),
            503,
        )
    try:
        answer: dict[str, Any] = controller.agent(login, action, **body)
    except ControllerRefused as exc:
        raise DesktopRefusal(gettext("The controller refused: {reason}", reason=str(exc))) from None
    except AsteriskUnreachable as exc:
        raise DesktopRefusal(
            gettext("The agent controller cannot be reached: {reason}", reason=str(exc)), 503
        ) from None
    return answer


def _desk_view(state: Any, login: str) -> DeskView:
    """One agent's part of a live state (``LiveState``)."""
    link_up = bool(state.link.controller and state.link.asterisk)
    agent = state.agents.get(login)
    if agent is None:
        return DeskView.logged_out(link_up)
    return DeskView(True, agent.state, agent.reason, agent.since, agent.call, link_up)


def _current_view(login: str) -> DeskView:
    live = web_context().live
    if live is None:
        return DeskView.logged_out(False)
    return _desk_view(live.current(), login)


def _wrapup_until(sessions: sessionmaker[Session], agent_id: int, view: DeskView) -> str | None:
    if view.state != AgentState.WRAP_UP or view.since is None:
        return None
    with sessions() as session:
        limit = data.wrapup_limit_of_last_call(session, agent_id)
    until = wrapup_until(view.since, limit)
    return until.isoformat() if until else None


def _pop_store() -> DatabaseAgentStore:
    """The controller's store, for its screen pop only: that reads, so it uses the dashboard's
    plain sessions, not the store's write-locking ones (SQLite ``BEGIN IMMEDIATE``)."""
    store = DatabaseAgentStore(web_context().engine)
    store.sessions = web_context().sessions
    return store


def _screen_pop(
    store: DatabaseAgentStore, linkedid: str, sessions: sessionmaker[Session], user_id: int
) -> dict[str, Any]:
    """The controller's screen pop for the call, each open ticket with its allowed moves and
    each recent call with the notes ``user_id`` wrote on it (only theirs: another agent's
    notes on the same customer's calls are not shown)."""
    pop = store.screen_pop(linkedid)
    for ticket in pop["open_tickets"]:
        ticket["moves"] = [state.value for state in ticket_moves(ticket["state"])]
    recent = pop["recent_calls"]
    with sessions() as session:
        notes = data.recent_call_notes(session, user_id, [call["linkedid"] for call in recent])
    for call in recent:
        call["notes"] = [
            {"at": note.at.isoformat(), "text": note.text}
            for note in notes.get(call["linkedid"], [])
        ]
    return {"linkedid": linkedid, **pop}


def _labels() -> dict[str, str]:
    """Translated words the page's script shows (states, reasons, ticket stages, tiers)."""
    return {
        **{state.value: gettext(state.value) for state in AgentState},
        **{state.value: ticket_state_label(state.value) for state in TicketState},
        **{code: disposition_label(code) for code in INBOUND_DISPOSITIONS},
        **{code: disposition_label(code) for code in OUTBOUND_DISPOSITIONS},
        **{code: reason_label(code) for code in PAUSE_REASONS},
        "vip": gettext("VIP"),
        "gold": gettext("Gold"),
        "standard": gettext("Standard"),
        "inbound": gettext("Inbound"),
        "outbound": gettext("Outbound"),
        "internal": gettext("Internal"),
        "none": gettext("None"),
        "move": gettext("Move"),
        "note_optional": gettext("Note (optional)"),
        "call_ended": gettext("The call has ended."),
        "no_customer": gettext("Unknown caller: no customer record."),
        "wrapup_left": gettext("Wrap-up ends in"),
        "withheld": gettext("Withheld number"),
        "caption_customer": gettext("Customer"),
        "caption_account": gettext("Account"),
        "caption_language": gettext("Language"),
        "caption_number": gettext("Number"),
        "caption_attempts": gettext("Attempts"),
        "caption_lead": gettext("Lead"),
        "caption_ivr": gettext("IVR path"),
        "caption_tickets": gettext("Open complaints"),
        "caption_recent": gettext("Recent calls"),
        "caption_your_notes": gettext("Your notes"),
    }


def reason_label(code: str | None) -> str:
    match code:
        case "break":
            return gettext("Break")
        case "lunch":
            return gettext("Lunch")
        case "training":
            return gettext("Training")
        case "meeting":
            return gettext("Meeting")
        case "after_call_work":
            return gettext("After-call work")
        case "other":
            return gettext("Other")
        case _:
            return code or ""


def ticket_state_label(state: str) -> str:
    match state:
        case "received":
            return gettext("Received")
        case "confirmed":
            return gettext("Confirmed")
        case "planned":
            return gettext("Planned")
        case "executing":
            return gettext("Executing")
        case "follow_up":
            return gettext("Follow-up")
        case "closed":
            return gettext("Closed")
        case _:
            return state


def disposition_label(code: str | None) -> str:
    match code:
        case "resolved":
            return gettext("Resolved")
        case "information_given":
            return gettext("Information given")
        case "follow_up_needed":
            return gettext("Follow-up needed")
        case "complaint":
            return gettext("Complaint")
        case "callback":
            return gettext("Callback")
        case "transferred":
            return gettext("Transferred")
        case "wrong_number":
            return gettext("Wrong number")
        case "other":
            return gettext("Other")
        case "sale":
            return gettext("Sale")
        case "not_interested":
            return gettext("Not interested")
        case "completed":
            return gettext("Completed")
        case "already_customer":
            return gettext("Already a customer")
        case "do_not_call":
            return gettext("Do not call")
        case "answering_machine":
            return gettext("Answering machine")
        case "no_answer_by_agent":
            return gettext("No answer")
        case "retry":
            return gettext("Call again later")
        case _:
            return code or ""


def iso_local(text: str | None) -> str:
    """An ISO time from the screen pop or a lead's history, in the site's time zone."""
    if not text:
        return ""
    try:
        return local_time(datetime.fromisoformat(text))
    except ValueError:
        return ""


@blueprint.context_processor
def _desktop_helpers() -> dict[str, Any]:
    return {
        "reason_label": reason_label,
        "ticket_state_label": ticket_state_label,
        "disposition_label": disposition_label,
        "iso_local": iso_local,
    }


# --- the page ----------------------------------------------------------------------------------


@blueprint.route("/")
@agents_only
def index() -> Any:
    user = current_user()
    if user.agent_id is None or user.agent_login is None:
        return render_template("desktop/unlinked.html")
    context = web_context()
    session = db()
    now = context.now()
    view = _current_view(user.agent_login)
    call = data.working_call(session, user.agent_id, view.call)
    pop = _screen_pop(_pop_store(), view.call, context.sessions, user.id) if view.call else None
    held = data.held_lead(session, user.agent_login, now)
    page = render_template(
        "desktop/index.html",
        view=view,
        wrapup_until=_wrapup_until(context.sessions, user.agent_id, view),
        call=call,
        notes=data.call_notes(session, user.id, call) if call else [],
        pop=pop,
        labels=_labels(),
        pause_reasons=PAUSE_REASONS,
        inbound_dispositions=dispositions_for(outbound=False),
        outbound_dispositions=dispositions_for(outbound=True),
        phone=data.agent_phone(session, user.agent_id),
        queues=data.transfer_queues(session),
        callback_queues=_callback_queues(session, user.agent_login, call),
        number_transfer=bool(_transfer_context()),
        tickets=data.my_open_tickets(session, user.agent_id),
        ticket_moves=ticket_moves,
        campaigns=data.preview_campaigns(session, user.agent_id),
        held=held,
        now=now,
        site_zone=context.settings.site.timezone,
    )
    return page


def _callback_queues(session: Session, login: str, call: data.WorkingCall | None) -> list[str]:
    queues = data.agent_queues(session, login)
    if call is not None and call.queue_name and call.queue_name not in queues:
        queues.insert(0, call.queue_name)
    return queues


def _transfer_context() -> str:
    """The dialplan context that dials a number typed by the agent (``[web]
    transfer_context``); empty when the site has none, and transfers go to queues only."""
    return web_context().settings.web.transfer_context


# --- the live stream ---------------------------------------------------------------------------


def _event(name: str, payload: Mapping[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(payload, default=str)}\n\n"


def desk_events(
    live: Any,
    login: str,
    pop_of: Callable[[str], dict[str, Any]],
    wrapup_of: Callable[[DeskView], str | None],
) -> Iterator[str]:
    """The agent's server-sent events: ``state`` when their state shown changes, ``pop``
    when a call arrives (the screen pop) or ends (``{"linkedid": null}``), a keep-alive
    comment otherwise; ends when the live feed stops."""
    before: DeskView | None = None
    version = -1
    while not live.stopped:
        state = live.current() if before is None else live.wait_newer(version, KEEP_ALIVE_S)
        if live.stopped:
            return
        version = state.version
        view = _desk_view(state, login)
        state_changed, call_changed = desk_changes(before, view)
        before = view
        if state_changed:
            yield _event("state", {**view.as_json(), "wrapup_until": wrapup_of(view)})
        if call_changed:
            yield _event("pop", pop_of(view.call) if view.call else {"linkedid": None})
        if not (state_changed or call_changed):
            yield ": keep-alive\n\n"


@blueprint.route("/stream")
@agents_only
def stream() -> Any:
    agent_id, login = _me()
    context = web_context()
    if context.live is None:
        abort(503, description=gettext("The live feed is not running."))
    store = _pop_store()
    sessions = context.sessions
    user_id = current_user().id
    events = desk_events(
        context.live,
        login,
        lambda linkedid: _screen_pop(store, linkedid, sessions, user_id),
        lambda view: _wrapup_until(sessions, agent_id, view),
    )
    return Response(
        events,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- state and call controls -------------------------------------------------------------------


@blueprint.route("/agent/pause", methods=["POST"])
@agents_only
def pause() -> Any:
    reason = pause_reason(_field("reason"), _field("reason_text"))
    _controller_call("pause", reason=reason)
    return _done(gettext("Paused: {reason}.", reason=reason_label(reason)))


@blueprint.route("/agent/<action>", methods=["POST"])
@agents_only
def agent_action(action: str) -> Any:
    if action not in SIMPLE_ACTIONS:
        abort(404)
    agent_id, login = _me()
    if action == "call-in":
        endpoint = data.agent_phone(db(), agent_id)
        if not endpoint:
            raise DesktopRefusal(
                gettext("No phone is set for your agent: dial *45 from your phone to log in.")
            )
        _controller_call("call-in", endpoint=endpoint)
        return _done(gettext("Your phone is ringing: answer it to log in."))
    answer = _controller_call(action)
    if action == "record":
        audit("call.record", f"agent:{login}", recording=answer.get("result"))
        db().commit()
    return _done(_action_message(action))


def _action_message(action: str) -> str:
    match action:
        case "unpause":
            return gettext("Pause ended.")
        case "ready":
            return gettext("You are ready for calls.")
        case "logout":
            return gettext("You are logged out.")
        case "hangup":
            return gettext("The call is ended.")
        case "hold":
            return gettext("The caller is on hold.")
        case "unhold":
            return gettext("The caller is back from hold.")
        case _:
            return gettext("The call is being recorded.")


@blueprint.route("/transfer", methods=["POST"])
@agents_only
def transfer() -> Any:
    queues = frozenset(data.transfer_queues(db()))
    kind, extension = transfer_extension(_field("kind"), _field("target"), queues)
    context = QUEUE_CONTEXT if kind == "queue" else _transfer_context()
    if not context:
        raise DesktopRefusal(
            gettext("Transfers to a number are not set up on this site: transfer to a queue.")
        )
    _controller_call("transfer", context=context, extension=extension)
    return _done(gettext("The call is transferred to {target}.", target=extension))


# --- after the call: disposition, notes, callback ----------------------------------------------


def _working_call() -> data.WorkingCall:
    agent_id, login = _me()
    call = data.working_call(db(), agent_id, _current_view(login).call)
    if call is None:
        raise DesktopRefusal(gettext("You have had no call yet."))
    return call


@blueprint.route("/call/wrap-up", methods=["POST"])
@agents_only
def wrap_up() -> Any:
    """The disposition of the current or last call, and a note on it."""
    agent_id, _ = _me()
    call = _working_call()
    code, note = _field("disposition"), _field("note")[:NOTE_MAX]
    if not code and not note:
        raise DesktopRefusal(gettext("Choose a disposition or write a note."), 400)
    if code:
        code = disposition_code(code, call.outbound)
        if code == "callback" and call.outbound:
            raise DesktopRefusal(
                gettext("For a callback, give its time under Schedule a callback."), 400
            )
        _controller_call("disposition", disposition=code)
    if note:
        # Work data about the call, not a sensitive action: its own table, not the audit log.
        add_call_note(
            db(),
            linkedid=call.linkedid,
            user_id=current_user().id,
            agent_id=agent_id,
            text=note,
            at=web_context().now(),
        )
        db().commit()
    return _done(gettext("Saved for the call."))


@blueprint.route("/callback", methods=["POST"])
@agents_only
def callback() -> Any:
    """A callback for the current or last call's person: for an outbound call the lead comes
    back at that time (the controller's ``callback`` disposition); for an inbound call a
    callback request goes to the queue's callbacks campaign."""
    agent_id, login = _me()
    call = _working_call()
    context = web_context()
    now = context.now()
    at = callback_time(_field("when"), context.site_zone, now).astimezone(UTC)
    for_anyone = _flag("for_anyone")
    if call.outbound:
        _controller_call(
            "disposition",
            disposition="callback",
            callback_at=at.isoformat(),
            callback_for_anyone=for_anyone,
        )
        return _done(_callback_message(at))
    session = db()
    number = _callback_number(_field("number") or call.caller_e164 or "")
    queue = _field("queue") or call.queue_name or ""
    if (
        queue not in _callback_queues(session, login, call)
        or data.queue_by_name(session, queue) is None
    ):
        raise DesktopRefusal(gettext("Choose the queue whose agents make the callback."), 400)
    made = request_callback(
        session,
        phone_e164=number,
        customer_id=call.customer_id,
        queue_name=queue,
        linkedid=call.linkedid,
        requested_at=now,
        preferred_at=at,
    )
    made.agent_id = None if for_anyone else agent_id
    note = _field("note")[:NOTE_MAX]
    if note:
        made.note = note
    session.commit()
    return _done(_callback_message(at), callback_id=made.id)


def _callback_number(raw: str) -> str:
    try:
        return normalize_e164(raw, web_context().settings.site.default_region)
    except InvalidPhoneNumber:
        raise DesktopRefusal(
            gettext("Give a valid phone number to call back (e.g. +8613812345678)."), 400
        ) from None


def _callback_message(at: datetime) -> str:
    local = at.astimezone(web_context().site_zone).strftime("%Y-%m-%d %H:%M")
    return gettext("Callback planned for {time}.", time=local)


# --- complaints --------------------------------------------------------------------------------


@blueprint.route("/complaints", methods=["POST"])
@agents_only
def open_ticket() -> Any:
    agent_id, login = _me()
    description = _field("description")
    if not description:
        raise DesktopRefusal(gettext("Describe the complaint."), 400)
    if len(description) > DESCRIPTION_MAX:
        raise DesktopRefusal(gettext("The description is longer than 4000 characters."), 400)
    session = db()
    call = data.working_call(session, agent_id, _current_view(login).call)
    context = web_context()
    now = context.now()
    ticket = open_complaint(
        session,
        description=description,
        now=now,
        # Due as a complaint the caller recorded in the IVR is: one deadline for the queue.
        due_at=complaint_due_at(now, context.settings.ivr.complaint_due_hours),
        user_id=current_user().id,
        owner_agent_id=agent_id,
        category=_field("category")[:CATEGORY_MAX] or None,
        customer_id=call.customer_id if call else None,
        interaction_id=call.interaction_id if call else None,
        caller_e164=call.caller_e164 if call else None,
    )
    session.commit()
    return _done(gettext("Complaint {id} opened.", id=ticket.id), ticket_id=ticket.id)


@blueprint.route("/complaints/<int:ticket_id>/move", methods=["POST"])
@agents_only
def move(ticket_id: int) -> Any:
    agent_id, login = _me()
    session = db()
    call = data.working_call(session, agent_id, _current_view(login).call)
    try:
        ticket = data.ticket_of_agent(session, ticket_id, agent_id, call)
    except LookupError:
        abort(404)
    try:
        target = TicketState(_field("target"))
    except ValueError:
        raise DesktopRefusal(gettext("Choose the stage to move the complaint to."), 400) from None
    note = _field("note")[:NOTE_MAX] or None
    try:
        move_ticket(
            session, ticket, target, web_context().now(), user_id=current_user().id, note=note
        )
    except TicketError:
        session.rollback()
        raise DesktopRefusal(
            gettext(
                "Complaint {id} cannot move from {current} to {target}.",
                id=ticket_id,
                current=ticket_state_label(ticket.state),
                target=ticket_state_label(target),
            )
        ) from None
    session.commit()
    return _done(
        gettext("Complaint {id} is now {state}.", id=ticket_id, state=ticket_state_label(target))
    )


# --- preview dialing ---------------------------------------------------------------------------


@blueprint.route("/preview/<int:campaign_id>/next", methods=["POST"])
@agents_only
def preview_next(campaign_id: int) -> Any:
    agent_id, login = _me()
    session = db()
    names = dict(data.preview_campaigns(session, agent_id))
    if campaign_id not in names:
        abort(404)
    now = web_context().now()
    held = data.held_lead(session, login, now)
    if held is not None:
        raise DesktopRefusal(gettext("Dial or skip lead {id} first.", id=held.lead.lead_id), 409)
    lead = next_preview_lead(session, campaign_id, login, now)
    session.commit()
    if lead is None:
        return _done(gettext("No lead of {campaign} is due now.", campaign=names[campaign_id]))
    return _done(gettext("Lead {id} is yours to preview.", id=lead.lead_id), lead_id=lead.lead_id)


@blueprint.route("/preview/leads/<int:lead_id>/dial", methods=["POST"])
@agents_only
def preview_dial(lead_id: int) -> Any:
    _, login = _me()
    if not _current_view(login).logged_in:
        raise DesktopRefusal(gettext("Log in first, so that the call can reach you."))
    session = db()
    try:
        dial_preview_lead(session, lead_id, login, web_context().now())
    except LookupError:
        abort(404)
    session.commit()
    return _done(gettext("Dialling lead {id}: the call comes to you.", id=lead_id))


@blueprint.route("/preview/leads/<int:lead_id>/skip", methods=["POST"])
@agents_only
def preview_skip(lead_id: int) -> Any:
    _, login = _me()
    reason = _field("reason")[:SKIP_REASON_MAX]
    if not reason:
        raise DesktopRefusal(gettext("Say why you skip the lead."), 400)
    session = db()
    try:
        skip_preview_lead(session, lead_id, login, reason, web_context().now())
    except LookupError:
        abort(404)
    session.commit()
    return _done(gettext("Lead {id} skipped: it comes back in an hour.", id=lead_id))
