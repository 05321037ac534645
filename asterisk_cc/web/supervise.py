"""The supervisor's pages: the agents (live state, listen / whisper / barge, pause and log-out),
the complaints queue, the callbacks queue and the alerts.

This module holds the blueprint, the menu entry and the agents page; the other pages are in
:mod:`~asterisk_cc.web.supervise_complaints`, :mod:`~asterisk_cc.web.supervise_callbacks` and
:mod:`~asterisk_cc.web.supervise_alerts`, registered on the same blueprint.

Monitoring and agent actions go to the ARI controller (``web_context().controller``). The
controller writes the audit entry of each listen / whisper / barge session itself (asked for,
then completed with its duration: :mod:`asterisk_cc.ari.supervision`); pauses and log-outs a
supervisor makes here are audited by this page.
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
from werkzeug.exceptions import BadRequest

from asterisk_cc.ari.control import ControllerRefused
from asterisk_cc.core.agents import DEFAULT_PAUSE_REASONS
from asterisk_cc.core.live_state import AgentLive, LiveState
from asterisk_cc.core.supervisor_phone import InvalidEndpoint, check_endpoint
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.models import Agent, Interaction, Queue, Team
from asterisk_cc.errors import AsteriskUnreachable
from asterisk_cc.web import supervise_alerts, supervise_callbacks, supervise_complaints
from asterisk_cc.web.access import audit, current_user, supervisors_only
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


def _agents_page(endpoint_input: str | None = None, status: int = 200) -> tuple[str, int]:
    state = _live_state()
    rows = _agent_rows(state.agents if state else {})
    saved = session.get(ENDPOINT_KEY, "")
    page = render_template(
        "supervise/agents.html",
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


def _agents_payload(state: LiveState, language: str, sessions: sessionmaker[Session]) -> str:
    """The agents' live states as the page's script applies them (JSON). A stream outlives
    its request's database session: it reads the calls with a short session of its own."""
    calls: dict[str, tuple[str | None, str | None]] = {}
    linkedids = [a.call for a in state.agents.values() if a.call]
    if linkedids:
        with sessions() as stream_db:
            rows = stream_db.execute(
                select(Interaction.linkedid, Interaction.caller_number, Queue.name)
                .outerjoin(Queue, Queue.id == Interaction.queue_id)
                .where(Interaction.linkedid.in_(linkedids))
            )
            calls = {row.linkedid: (row.caller_number, row.name) for row in rows}
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
    """Server-sent events: ``agents`` whenever an agent's state, call or the controller's link
    changed; a keep-alive comment otherwise."""
    live = web_context().live
    sessions = web_context().sessions
    language = current_language()
    if live is None:
        return Response(": no live feed\n\n", mimetype="text/event-stream")

    def events() -> Iterator[str]:
        state = live.current()
        shown = (dict(state.agents), state.link)
        yield f"event: agents\ndata: {_agents_payload(state, language, sessions)}\n\n"
        while not live.stopped:
            newer = live.wait_newer(state.version, KEEP_ALIVE_S)
            if live.stopped:
                return
            if newer.version == state.version:
                yield ": keep-alive\n\n"
                continue
            state = newer
            now_shown = (dict(state.agents), state.link)
            if now_shown != shown:
                shown = now_shown
                yield f"event: agents\ndata: {_agents_payload(state, language, sessions)}\n\n"
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
