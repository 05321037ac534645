"""The supervisor's pages: the agents (live state, listen / whisper / barge, pause and log-out),
the complaints queue, the callbacks queue and the alerts.

This module holds the blueprint, the menu entry and the agents page; the other pages are in
:mod:`~asterisk_cc.web.supervise_complaints`, :mod:`~asterisk_cc.web.supervise_callbacks` and
:mod:`~asterisk_cc.web.supervise_alerts`, registered on the same blueprint.

Monitoring and agent actions go to the ARI controller (``web_context().controller``). The
controller writes the audit entry of each listen / whisper / barge session itself (asked for,
then completed with its duration: :mod:`asterisk_cc.ari.supervision`); pauses, log-outs and
monitorings stopped from here are audited by this page. The sessions running now come with the
live feed (the controller's ``monitorings``): a supervisor sees and may stop their own, an admin
any.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import BadRequest, Forbidden

from asterisk_cc.ari.control import ControllerRefused
from asterisk_cc.core.agents import DEFAULT_PAUSE_REASONS
from asterisk_cc.core.live_state import AgentLive, LiveState, MonitoringLive
from asterisk_cc.core.supervisor_phone import InvalidEndpoint, check_endpoint
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.models import Agent, Interaction, Queue, Team, User
from asterisk_cc.errors import AsteriskUnreachable
from asterisk_cc.web import supervise_alerts, supervise_callbacks, supervise_complaints
from asterisk_cc.web.access import CurrentUser, audit, current_user, supervisors_only
from asterisk_cc.web.context import controller_client, db, web_context
from asterisk_cc.web.i18n import current_language, gettext, translate
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("supervise", __name__, url_prefix="/supervise")
NAV = [NavItem("supervise.index", "Supervisor", SUPERVISING, 30)]

ENDPOINT_KEY: Final = "supervisor_endpoint"
"""The session key of the supervisor's phone (remembered for the whole session)."""
MONITOR_MODES: Final = ("listen", "whisper", "barge")
AGENT_ACTIONS: Final = ("pause", "unpause", "logout")
MAX_AGENTS: Final = 1000
KEEP_ALIVE_S: Final = 15


@dataclass(frozen=True)
class AgentRow:
    login: str
    name: str
    team: str | None
    state: str
    reason: str | None
    since: datetime | None
    call: str | None
    caller: str | None
    queue: str | None
    queues: tuple[str, ...]

    @property
    def logged_in(self) -> bool:
        return self.state != AgentState.LOGGED_OUT.value


@dataclass(frozen=True)
class MonitoringRow:
    """A listen / whisper / barge session the user may stop, as the page shows it."""

    session: str
    agent: str
    mode: str
    supervisor: str
    endpoint: str
    connected: bool
    since: datetime
    """When the supervisor answered, or when the session was asked for while it rings."""


def pause_reason_labels() -> dict[str, str]:
    """The pause reasons a supervisor may give, in the request's language."""
    labels = {
        "break": gettext("Break"),
        "lunch": gettext("Lunch"),
        "training": gettext("Training"),
        "meeting": gettext("Meeting"),
        "other": gettext("Other"),
    }
    return {reason: labels.get(reason, reason) for reason in DEFAULT_PAUSE_REASONS}


def _live_state() -> LiveState | None:
    live = web_context().live
    return live.current() if live is not None else None


def _calls_of(linkedids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """Caller number and queue of the calls ``linkedids`` (one indexed query)."""
    if not linkedids:
        return {}
    rows = db().execute(
        select(Interaction.linkedid, Interaction.caller_number, Queue.name)
        .outerjoin(Queue, Queue.id == Interaction.queue_id)
        .where(Interaction.linkedid.in_(linkedids))
    )
    return {row.linkedid: (row.caller_number, row.name) for row in rows}


def _agent_rows(live_agents: Mapping[str, AgentLive]) -> list[AgentRow]:
    """Every active agent with their live state; logged-in agents first."""
    agents = db().execute(
        select(Agent.login, Agent.name, Team.name.label("team"))
        .outerjoin(Team, Team.id == Agent.team_id)
        .where(Agent.active)
        .order_by(Agent.login)
        .limit(MAX_AGENTS)
    )
    calls = _calls_of([a.call for a in live_agents.values() if a.call])
    rows = []
    for agent in agents:
        now_live = live_agents.get(agent.login)
        if now_live is None:
            rows.append(
                AgentRow(
                    agent.login,
                    agent.name,
                    agent.team,
                    "logged_out",
                    None,
                    None,
                    None,
                    None,
                    None,
                    (),
                )
            )
            continue
        caller, queue = calls.get(now_live.call or "", (None, None))
        rows.append(
            AgentRow(
                login=agent.login,
                name=agent.name,
                team=agent.team,
                state=now_live.state,
                reason=now_live.reason,
                since=now_live.since,
                call=now_live.call,
                caller=caller,
                queue=queue,
                queues=now_live.queues,
            )
        )
    rows.sort(key=lambda row: (not row.logged_in, row.login))
    return rows


def _may_stop(user: CurrentUser, monitoring: MonitoringLive) -> bool:
    """A supervisor stops the monitoring they started; an admin any."""
    return user.is_admin or monitoring.user_id == user.id


def _monitoring_rows(
    monitorings: tuple[MonitoringLive, ...], user: CurrentUser, db_session: Session
) -> list[MonitoringRow]:
    """The sessions ``user`` may stop, oldest first, with their supervisors' names."""
    mine = [m for m in monitorings if _may_stop(user, m)]
    ids = {m.user_id for m in mine}
    names = {}
    if ids:
        rows = db_session.execute(
            select(User.id, User.username, User.display_name).where(User.id.in_(ids))
        )
        names = {row.id: row.display_name or row.username for row in rows}
    return [
        MonitoringRow(
            session=m.session,
            agent=m.agent,
            mode=m.mode,
            supervisor=names.get(m.user_id, f"#{m.user_id}"),
            endpoint=m.endpoint,
            connected=m.connected_at is not None,
            since=m.connected_at or m.requested_at,
        )
        for m in mine
    ]


def _agents_page(endpoint_input: str | None = None, status: int = 200) -> tuple[str, int]:
    state = _live_state()
    rows = _agent_rows(state.agents if state else {})
    saved = session.get(ENDPOINT_KEY, "")
    page = render_template(
        "supervise/agents.html",
        monitorings=_monitoring_rows(state.monitorings if state else (), current_user(), db()),
        rows=rows,
        logged_in=sum(1 for row in rows if row.logged_in),
        link=state.link if state else None,
        live_known=state is not None,
        controller_configured=web_context().controller is not None,
        endpoint=saved,
        endpoint_input=saved if endpoint_input is None else endpoint_input,
        modes=MONITOR_MODES,
        pause_reasons=pause_reason_labels(),
        state_labels={state.value: gettext(state.value) for state in AgentState},
    )
    return page, status


@blueprint.route("/")
@supervisors_only
def index() -> Any:
    return _agents_page()


@blueprint.route("/phone", methods=["POST"])
@supervisors_only
def set_phone() -> Any:
    """Remember the supervisor's phone for listen / whisper / barge."""
    given = request.form.get("endpoint", "")
    try:
        endpoint = check_endpoint(given)
    except InvalidEndpoint as exc:
        flash(gettext("Your phone was not saved: {reason}", reason=str(exc)), "error")
        return _agents_page(endpoint_input=given[:200], status=400)
    session[ENDPOINT_KEY] = endpoint
    flash(gettext("Your phone is {endpoint}.", endpoint=endpoint), "ok")
    return redirect(url_for("supervise.index"), 303)


def _live_agent(login: str) -> AgentLive | None:
    state = _live_state()
    return state.agents.get(login) if state else None


def _controller_failed(exc: Exception) -> None:
    if isinstance(exc, ControllerRefused):
        flash(gettext("The controller refused: {reason}", reason=str(exc)), "error")
    else:
        flash(gettext("The ARI controller cannot be reached: {reason}", reason=str(exc)), "error")


@blueprint.route("/agents/<login>/monitor", methods=["POST"])
@supervisors_only
def monitor(login: str) -> Any:
    """Listen to, whisper to or barge in on an agent: the controller calls the supervisor's
    phone and connects it when answered (it audits the session)."""
    mode = request.form.get("mode", "")
    if mode not in MONITOR_MODES:
        raise BadRequest(gettext("Choose listen, whisper or barge."))
    back = url_for("supervise.index")
    controller = controller_client()
    if controller is None:
        flash(
            gettext("The ARI controller is not configured: monitoring is not available."), "error"
        )
        return redirect(back, 303)
    try:
        endpoint = check_endpoint(session.get(ENDPOINT_KEY, ""))
    except InvalidEndpoint:
        flash(gettext("Enter your phone first: the controller calls it to connect you."), "error")
        return redirect(back, 303)
    if _live_agent(login) is None:
        flash(gettext("Agent {agent} is not logged in.", agent=login), "error")
        return redirect(back, 303)
    try:
        controller.supervise(user_id=current_user().id, agent=login, mode=mode, endpoint=endpoint)
    except (ControllerRefused, AsteriskUnreachable) as exc:
        _controller_failed(exc)
        return redirect(back, 303)
    messages = {
        "listen": gettext(
            "Calling {endpoint}: answer to listen to {agent}.", endpoint=endpoint, agent=login
        ),
        "whisper": gettext(
            "Calling {endpoint}: answer to whisper to {agent}.", endpoint=endpoint, agent=login
        ),
        "barge": gettext(
            "Calling {endpoint}: answer to barge in on {agent}'s call.",
            endpoint=endpoint,
            agent=login,
        ),
    }
    flash(messages[mode], "ok")
    return redirect(back, 303)


@blueprint.route("/monitorings/<session_id>/stop", methods=["POST"])
@supervisors_only
def stop_monitoring(session_id: str) -> Any:
    """End a listen / whisper / barge session (the controller hangs up the supervisor's
    call): the user's own, or anyone's for an admin; audited as ``monitor_stop``.

    The session is looked up in the live feed's state, at most a poll old: the controller
    never reuses a session's id, so the user who started it is still the one named there."""
    back = url_for("supervise.index")
    state = _live_state()
    monitoring = next(
        (m for m in (state.monitorings if state else ()) if m.session == session_id), None
    )
    if monitoring is None:
        flash(gettext("This monitoring is not running any more."), "error")
        return redirect(back, 303)
    if not _may_stop(current_user(), monitoring):
        raise Forbidden(
            gettext("Only the supervisor who started a monitoring, or an admin, may stop it.")
        )
    controller = controller_client()
    if controller is None:
        flash(
            gettext("The ARI controller is not configured: monitoring is not available."), "error"
        )
        return redirect(back, 303)
    try:
        stopped = controller.stop_supervising(session_id)
    except (ControllerRefused, AsteriskUnreachable) as exc:
        _controller_failed(exc)
        return redirect(back, 303)
    if not stopped:
        flash(gettext("This monitoring is not running any more."), "error")
        return redirect(back, 303)
    audit(
        "monitor_stop",
        f"agent:{monitoring.agent}",
        session=session_id,
        mode=monitoring.mode,
        started_by=monitoring.user_id,
    )
    db().commit()
    flash(gettext("Monitoring of {agent} stopped.", agent=monitoring.agent), "ok")
    return redirect(back, 303)


@blueprint.route("/agents/<login>/action", methods=["POST"])
@supervisors_only
def agent_action(login: str) -> Any:
    """Pause (with a reason), unpause or log out an agent through the controller; audited."""
    action = request.form.get("action", "")
    if action not in AGENT_ACTIONS:
        raise BadRequest(gettext("Choose pause, unpause or log out."))
    back = url_for("supervise.index")
    data: dict[str, str] = {}
    if action == "pause":
        reason = request.form.get("reason", "")
        if reason not in DEFAULT_PAUSE_REASONS:
            flash(gettext("Choose a pause reason."), "error")
            return redirect(back, 303)
        data["reason"] = reason
    controller = controller_client()
    if controller is None:
        flash(
            gettext("The ARI controller is not configured: agent actions are not available."),
            "error",
        )
        return redirect(back, 303)
    if _live_agent(login) is None:
        flash(gettext("Agent {agent} is not logged in.", agent=login), "error")
        return redirect(back, 303)
    try:
        controller.agent(login, action, **data)
    except (ControllerRefused, AsteriskUnreachable) as exc:
        _controller_failed(exc)
        return redirect(back, 303)
    audit(f"agent_{action}", f"agent:{login}", by="supervisor", **data)
    db().commit()
    done = {
        "pause": gettext("Agent {agent} is paused.", agent=login),
        "unpause": gettext("Agent {agent} is unpaused.", agent=login),
        "logout": gettext("Agent {agent} is logged out.", agent=login),
    }
    flash(done[action], "ok")
    return redirect(back, 303)


def _monitoring_labels(language: str) -> dict[str, str]:
    texts = {
        "listen": "Listen",
        "whisper": "Whisper",
        "barge": "Barge",
        "connected": "Connected",
        "ringing": "Ringing",
    }
    return {key: translate(text, language, part="supervise") for key, text in texts.items()}


def _agents_payload(
    state: LiveState, language: str, sessions: sessionmaker[Session], user: CurrentUser
) -> str:
    """The agents' live states and the monitorings ``user`` may stop, as the page's script
    applies them (JSON). A stream outlives its request's database session: it reads the calls
    and the supervisors' names with a short session of its own."""
    calls: dict[str, tuple[str | None, str | None]] = {}
    linkedids = [a.call for a in state.agents.values() if a.call]
    with sessions() as stream_db:
        if linkedids:
            rows = stream_db.execute(
                select(Interaction.linkedid, Interaction.caller_number, Queue.name)
                .outerjoin(Queue, Queue.id == Interaction.queue_id)
                .where(Interaction.linkedid.in_(linkedids))
            )
            calls = {row.linkedid: (row.caller_number, row.name) for row in rows}
        monitorings = _monitoring_rows(state.monitorings, user, stream_db)
    labels = _monitoring_labels(language)
    agents = {}
    for login, agent in state.agents.items():
        caller, queue = calls.get(agent.call or "", (None, None))
        agents[login] = {
            "state": agent.state,
            "state_label": translate(agent.state, language),
            "reason": agent.reason or "",
            "since": agent.since.isoformat(),
            "call": _call_text(caller, queue, agent.call),
        }
    return json.dumps(
        {
            "agents": agents,
            "monitorings": [
                {
                    "session": m.session,
                    "agent": m.agent,
                    "mode": labels.get(m.mode, m.mode),
                    "supervisor": m.supervisor,
                    "endpoint": m.endpoint,
                    "status": labels["connected" if m.connected else "ringing"],
                    "since": m.since.isoformat(),
                }
                for m in monitorings
            ],
            "controller_up": state.link.controller and state.link.asterisk,
            "logged_out_label": translate("logged_out", language),
        }
    )


def _call_text(caller: str | None, queue: str | None, linkedid: str | None) -> str:
    if linkedid is None:
        return ""
    parts = [part for part in (caller, queue) if part]
    return " · ".join(parts) if parts else linkedid


@blueprint.route("/agents/stream")
@supervisors_only
def agents_stream() -> Response:
    """Server-sent events: ``agents`` whenever an agent's state, call, a monitoring or the
    controller's link changed; a keep-alive comment otherwise."""
    live = web_context().live
    sessions = web_context().sessions
    language = current_language()
    user = current_user()
    if live is None:
        return Response(": no live feed\n\n", mimetype="text/event-stream")

    def payload(state: LiveState) -> str:
        return f"event: agents\ndata: {_agents_payload(state, language, sessions, user)}\n\n"

    def events() -> Iterator[str]:
        state = live.current()
        shown = (dict(state.agents), state.monitorings, state.link)
        yield payload(state)
        while not live.stopped:
            newer = live.wait_newer(state.version, KEEP_ALIVE_S)
            if live.stopped:
                return
            if newer.version == state.version:
                yield ": keep-alive\n\n"
                continue
            state = newer
            now_shown = (dict(state.agents), state.monitorings, state.link)
            if now_shown != shown:
                shown = now_shown
                yield payload(state)
            else:
                yield ": keep-alive\n\n"

    return Response(
        events(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


supervise_complaints.register(blueprint)
supervise_callbacks.register(blueprint)
supervise_alerts.register(blueprint)
