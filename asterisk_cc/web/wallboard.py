"""The wallboard: the queues, the agents and the alerts as they are now, for supervisors and
admins, on a desk or on a big screen (``?tv=1``).

The page is rendered whole on the server (it shows the numbers without JavaScript); its
script then follows ``/wallboard/stream`` (server-sent events), which sends the whole view
again whenever the live state changed, and puts it into the page as text. ``/wallboard/api/
state`` gives the same view as JSON for scripts. ``?queue=<name>`` (repeatable) keeps some
queues only, for a team's screen.

The view itself is :func:`asterisk_cc.core.wallboard.wallboard_view`; this module adds the
targets from the database, the words in the user's language and the times in the site's
time zone.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.core.live_state import LinkStatus, LiveState
from asterisk_cc.core.wallboard import AGENT_BUCKETS, QueueTarget, wallboard_view
from asterisk_cc.db.models import Queue
from asterisk_cc.web.access import supervisors_only
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.formatting import duration, percent
from asterisk_cc.web.i18n import current_language, translate
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("wallboard", __name__, url_prefix="/wallboard")
NAV = [NavItem("wallboard.index", "Wallboard", SUPERVISING, 10)]

KEEP_ALIVE_S: Final = 15.0
TARGETS_EVERY_S: Final = 60.0
"""How often an open stream reads the queues' targets again."""
MAX_QUEUE_FILTER: Final = 50


def lazy_text(text: str) -> str:
    """Marks an English text to be translated later, in the language of the request that
    opened the stream (the stream's generator runs after the request's context is gone)."""
    return text


BUCKET_LABELS: Final = {
    "ready": lazy_text("Ready"),
    "ringing": lazy_text("Ringing"),
    "talking": lazy_text("Talking"),
    "wrap_up": lazy_text("Wrap-up"),
    "paused": lazy_text("Paused"),
    "logged_out": lazy_text("Logged out"),
}
STATE_LABELS: Final = {
    **BUCKET_LABELS,
    "reserved": lazy_text("Reserved"),
    "hold": lazy_text("On hold"),
}
LINK_LABELS: Final = {
    "ami": lazy_text("Asterisk Manager (AMI)"),
    "controller": lazy_text("ARI controller"),
    "asterisk": lazy_text("the controller's link to Asterisk"),
    "database": lazy_text("the database"),
}
RULE_LABELS: Final = {
    "waiting_calls": lazy_text("Calls waiting"),
    "longest_wait": lazy_text("Longest wait"),
    "service_level_15m": lazy_text("Service level, last 15 min"),
    "volume_over_forecast": lazy_text("Volume over forecast"),
}
SEVERITY_LABELS: Final = {
    "warning": lazy_text("Warning"),
    "critical": lazy_text("Critical"),
}
WHOLE_CENTRE: Final = lazy_text("Whole centre")
UNKNOWN_CALLER: Final = lazy_text("Unknown")
NO_FEED: Final = "the live feed is not running"


def _targets(session: Session) -> dict[str, QueueTarget]:
    rows = session.execute(
        select(Queue.name, Queue.service_level_threshold_s, Queue.service_level_target_ratio)
    )
    return {
        name: QueueTarget(threshold_s=float(threshold), service_level=float(ratio))
        for name, threshold, ratio in rows
    }


def _only_queues() -> tuple[str, ...]:
    names = [name.strip()[:128] for name in request.args.getlist("queue") if name.strip()]
    return tuple(dict.fromkeys(names))[:MAX_QUEUE_FILTER]


def _live_state() -> LiveState:
    live = web_context().live
    if live is None:
        return LiveState(
            version=0,
            at=web_context().now(),
            link=LinkStatus(ami=False, controller=False, asterisk=False, detail=NO_FEED),
        )
    state: LiveState = live.current()
    return state


class _Presenter:
    """The core's view, with what a person reads: labels in one language, rates as
    percentages, times in the site's zone, durations as of ``now``."""

    def __init__(self, language: str, zone: ZoneInfo, abandon_target: float) -> None:
        self.language = language
        self.zone = zone
        self.abandon_target = abandon_target

    def text(self, english: str, **values: Any) -> str:
        return translate(english, self.language, part="wallboard", **values)

    def core_view(
        self, state: LiveState, targets: Mapping[str, QueueTarget], only: tuple[str, ...]
    ) -> dict[str, Any]:
        return wallboard_view(
            state, targets=targets, abandon_rate_target=self.abandon_target, only_queues=only
        )

    def present(self, core_view: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        """A copy of ``core_view`` with the texts added (durations as of ``now``)."""
        view = copy.deepcopy(dict(core_view))
        view["links"]["banner"] = self._banner(view["links"])
        view["at_text"] = self._local(datetime.fromisoformat(view["at"]), "%H:%M:%S")
        view["labels"] = {bucket: self.text(BUCKET_LABELS[bucket]) for bucket in AGENT_BUCKETS}
        for queue in view["queues"]:
            self._queue(queue, now)
        for agent in view["agents"]:
            agent["state_label"] = self.text(STATE_LABELS.get(agent["state"], agent["state"]))
            agent["since_text"] = self._since(agent["since"], now)
            agent["queues_text"] = ", ".join(agent["queues"])
            agent["reason"] = agent["reason"] or ""
        for alert in view["alerts"]:
            alert["rule_label"] = self.text(RULE_LABELS.get(alert["rule"], alert["rule"]))
            alert["scope_label"] = (
                self.text(WHOLE_CENTRE) if alert["scope"] == "*" else alert["scope"]
            )
            alert["severity_label"] = self.text(
                SEVERITY_LABELS.get(alert["severity"], alert["severity"])
            )
            alert["since_text"] = self._local(datetime.fromisoformat(alert["since"]))
        return view

    def _queue(self, queue: dict[str, Any], now: datetime) -> None:
        target = queue["target"]
        target["service_level_text"] = percent(target["service_level"], 0)
        target["abandon_rate_text"] = percent(target["abandon_rate"], 0)
        target["threshold_text"] = self.text(
            lazy_text("within {seconds} s"), seconds=f"{target['threshold_s']:g}"
        )
        queue["longest_text"] = self._since(queue["longest_since"], now) or "–"
        for period in ("today", "last_15_min"):
            figures = queue[period]
            figures["service_level_text"] = percent(figures["service_level"])
            figures["abandon_rate_text"] = percent(figures["abandon_rate"])
        for call in queue["calls"]:
            call["caller_text"] = call["caller"] or self.text(UNKNOWN_CALLER)
            call["wait_text"] = self._since(call["entered_at"], now)

    def _banner(self, links: Mapping[str, Any]) -> str:
        if links["down"]:
            names = ", ".join(self.text(LINK_LABELS[name]) for name in links["down"])
            return self.text(lazy_text("Live data incomplete: {links} down."), links=names)
        if links["detail"]:
            return self.text(lazy_text("Live data incomplete."))
        return ""

    def _since(self, iso: str | None, now: datetime) -> str:
        if not iso:
            return ""
        return duration((now - datetime.fromisoformat(iso)).total_seconds())

    def _local(self, moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(self.zone).strftime(fmt)


def _presenter() -> _Presenter:
    context = web_context()
    return _Presenter(
        current_language(), context.site_zone, context.settings.reports.abandon_rate_target
    )


@blueprint.route("/")
@supervisors_only
def index() -> str:
    only = _only_queues()
    presenter = _presenter()
    core_view = presenter.core_view(_live_state(), _targets(db()), only)
    view = presenter.present(core_view, web_context().now())
    return render_template(
        "wallboard/index.html",
        view=view,
        tv=request.args.get("tv") == "1",
        only=only,
        buckets=AGENT_BUCKETS,
    )


@blueprint.route("/api/state")
@supervisors_only
def api_state() -> Response:
    presenter = _presenter()
    core_view = presenter.core_view(_live_state(), _targets(db()), _only_queues())
    return jsonify(presenter.present(core_view, web_context().now()))


def _news(core_view: Mapping[str, Any]) -> dict[str, Any]:
    """What a screen shows of a view: everything but its number and time."""
    return {key: value for key, value in core_view.items() if key not in ("version", "at")}


def _event(view: Mapping[str, Any]) -> str:
    return f"event: wallboard\ndata: {json.dumps(view)}\n\n"


@blueprint.route("/stream")
@supervisors_only
def stream() -> Response:
    """Server-sent events: ``wallboard`` (the whole view, JSON) at once and whenever what
    the page shows changed; a keep-alive comment every :data:`KEEP_ALIVE_S` otherwise."""
    context = web_context()
    live = context.live
    presenter = _presenter()
    only = _only_queues()
    sessions: sessionmaker[Session] = context.sessions
    clock = context.now
    targets = _targets(db())
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if live is None:
        view = presenter.present(presenter.core_view(_live_state(), targets, only), clock())
        return Response(_event(view), mimetype="text/event-stream", headers=headers)

    def events() -> Iterator[str]:
        nonlocal targets
        state = live.current()
        targets_read = clock()
        core_view = presenter.core_view(state, targets, only)
        shown = _news(core_view)
        yield _event(presenter.present(core_view, clock()))
        while not live.stopped:
            newer = live.wait_newer(state.version, KEEP_ALIVE_S)
            if live.stopped:
                return
            now = clock()
            if (now - targets_read).total_seconds() >= TARGETS_EVERY_S:
                targets_read = now
                # The database out for a moment: the targets read before still hold.
                with contextlib.suppress(SQLAlchemyError), sessions() as session:
                    targets = _targets(session)
            if newer.version == state.version:
                yield ": keep-alive\n\n"
                continue
            state = newer
            core_view = presenter.core_view(state, targets, only)
            if _news(core_view) == shown:
                yield ": keep-alive\n\n"
                continue
            shown = _news(core_view)
            yield _event(presenter.present(core_view, now))

    return Response(events(), mimetype="text/event-stream", headers=headers)
