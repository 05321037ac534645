"""The live feed: what Asterisk, the ARI controller and the database say now, as one
:class:`~asterisk_cc.core.live_state.LiveState` the wallboard and the desktops stream from.

One background thread polls every ``[web] live_poll_ms`` (500 ms by default):

* AMI ``QueueStatus``, over one persistent AMI connection (reopened with a growing pause when
  it drops): the calls waiting in each queue and the queues' members;
* the ARI controller's ``GET /status``: the agents' states, the supervisors' monitoring
  sessions and the controller's own link to Asterisk; agents' names come from the ``agents``
  table (read again every minute);
* and a second one, every few seconds, the database (so that a slow query never holds up
  the calls and agents): today's and the last 15 minutes' figures per queue from
  ``queue_calls`` (as fresh as the queue_log ingestion, which the scheduler runs every
  minute) and the active early-warning alerts.

A new state (``version`` + 1) is published only when something other than its time changed,
and every waiting stream wakes at once. A source that fails marks its link down with a short
reason and keeps the other sources' data; its own data is kept for a few seconds (a single
slow answer does not blank the wallboard), then dropped. Nothing escapes the threads.

The decisions (parsing, status mapping, what is a change) are pure functions of
:mod:`asterisk_cc.core.wallboard`; this module does the I/O and the conversions.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.ami.client import AmiActionFailed, AmiClient
from asterisk_cc.ami.protocol import AmiMessage, AmiProtocolError, format_action
from asterisk_cc.ari.control import ControllerClient, controller_url_of
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import AmiSettings, Settings
from asterisk_cc.core.live_state import (
    AgentLive,
    LinkStatus,
    LiveAlert,
    LiveState,
    MonitoringLive,
    QueueFigures,
    QueueLive,
    WaitingCall,
)
from asterisk_cc.core.reports.daily import DEFAULT_TARGETS
from asterisk_cc.core.reports.forecast import day_bounds
from asterisk_cc.core.wallboard import (
    ParsedQueue,
    VisitCounts,
    changed,
    figures_of,
    parse_controller_status,
    parse_monitorings,
    parse_queue_status,
)
from asterisk_cc.db.alerts import active_alerts
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import Agent, Queue, QueueCall
from asterisk_cc.errors import AsteriskCCError
from asterisk_cc.web.context import utc_now

__all__ = [
    "AmiQueueStatus",
    "ControllerStatus",
    "DatabaseFigures",
    "DatabaseSnapshot",
    "LiveFeed",
    "LiveSources",
    "SourceDown",
    "build_live_feed",
]

logger = logging.getLogger(__name__)

DATABASE_EVERY_S: Final = 5.0
DIRECTORY_EVERY_S: Final = 60.0
STALE_AFTER_S: Final = 5.0
"""How long a failing source's last data is still shown (its link already marked down)."""
LAST_MINUTES: Final = timedelta(minutes=15)
AMI_TIMEOUT_S: Final = 2.0
CONTROLLER_TIMEOUT_S: Final = 2.0
BACKOFF_FIRST_S: Final = 0.5
BACKOFF_MAX_S: Final = 10.0
DETAIL_MAX: Final = 200


class SourceDown(AsteriskCCError):
    """A source could not be read; the message is the banner's reason (which, where, why)."""


def _short(exc: BaseException) -> str:
    """An error in a line: the first sentence of its message, without the advice."""
    text = str(exc).split(" Fix:", 1)[0].strip().rstrip(".") or type(exc).__name__
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"


# --- AMI ------------------------------------------------------------------------------------------

_list_ids = itertools.count(1)


class _EventListClient(AmiClient):
    """An AMI connection that also collects the events of list actions (``QueueStatus``):
    Asterisk answers with a response, then the events carrying the action's ActionID, then
    a closing event with ``EventList: Complete``."""

    def event_list(self, name: str, **fields: str) -> list[AmiMessage]:
        action_id = f"acc-live-{next(_list_ids)}"
        self._sock.sendall(format_action(name, action_id, list(fields.items())))
        collected: list[AmiMessage] = []
        complete = False

        def list_complete() -> bool:
            nonlocal complete
            for message in self._parser.messages():
                if message.get("ActionID") != action_id:
                    continue  # no events are subscribed (Events: off): nothing else to keep
                if message.is_response:
                    if message.get("Response").lower() == "error":
                        raise AmiActionFailed(message.get("Message") or "error")
                    continue
                if message.get("EventList").lower() == "complete":
                    complete = True
                else:
                    collected.append(message)
            return complete

        self._read_until(list_complete)
        self.events.clear()
        return collected


class AmiQueueStatus:
    """``QueueStatus`` over one persistent AMI connection: the events of each answer as
    dicts. When the connection cannot be made or breaks, it is dropped and made again at
    the next call after a pause that doubles (0.5 s up to 10 s) while it keeps failing;
    meanwhile a call raises :class:`SourceDown` with the last reason at once."""

    def __init__(
        self,
        settings: AmiSettings,
        *,
        timeout_s: float = AMI_TIMEOUT_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.where = f"AMI {settings.host}:{settings.port}"
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self._client: _EventListClient | None = None
        self._backoff_s = 0.0
        self._retry_at = 0.0
        self._last_error = ""

    def __call__(self) -> list[dict[str, str]]:
        if self._client is None:
            if self._monotonic() < self._retry_at:
                raise SourceDown(self._last_error)
            ami = self.settings
            try:
                client = _EventListClient.connect(
                    ami.host, ami.port, ami.user, ami.secret, timeout_s=self._timeout_s
                )
            except (AsteriskCCError, OSError) as exc:
                raise self._failed(exc) from None
            assert isinstance(client, _EventListClient)  # connect() makes its own class
            self._client = client
        try:
            events = self._client.event_list("QueueStatus")
        except (AsteriskCCError, AmiProtocolError, OSError) as exc:
            # A timeout (an OSError) or a closed or garbled connection: start again cleanly.
            self.close()
            raise self._failed(exc) from None
        self._backoff_s = 0.0
        return [event.as_dict() for event in events]

    def _failed(self, exc: BaseException) -> SourceDown:
        self._backoff_s = min(BACKOFF_MAX_S, (self._backoff_s * 2) or BACKOFF_FIRST_S)
        self._retry_at = self._monotonic() + self._backoff_s
        reason = _short(exc)
        # The client's own messages name the address ("AMI at host:port does not answer").
        named = reason.startswith(("AMI at ", self.where))
        self._last_error = reason if named else f"{self.where}: {reason}"
        return SourceDown(self._last_error)

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.close()
            self._client = None


# --- the ARI controller -----------------------------------------------------------------------


class ControllerStatus:
    """The controller's ``GET /status``, or :class:`SourceDown` saying why not."""

    def __init__(self, settings: Settings) -> None:
        self._client: ControllerClient | None = None
        self._unconfigured = ""
        try:
            url = controller_url_of(settings)
        except AsteriskCCError as exc:
            self._unconfigured = f"ARI controller: not configured ({_short(exc)})"
            return
        self.where = f"ARI controller {url}"
        self._client = ControllerClient(
            url, control_token(settings.web.secret_key), timeout_s=CONTROLLER_TIMEOUT_S
        )

    def __call__(self) -> Mapping[str, Any]:
        if self._client is None:
            raise SourceDown(self._unconfigured)
        try:
            return self._client.status()
        except (AsteriskCCError, ValueError) as exc:
            reason = _short(exc)
            if reason.startswith("the ARI controller at "):
                reason = reason.removeprefix("the ARI controller at ")
                raise SourceDown(f"ARI controller {reason}") from None
            raise SourceDown(f"{self.where}: {reason}") from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


# --- the database -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseSnapshot:
    today: Mapping[str, QueueFigures] = field(default_factory=dict)
    last_15_min: Mapping[str, QueueFigures] = field(default_factory=dict)
    alerts: tuple[LiveAlert, ...] = ()


class DatabaseFigures:
    """Today's (since midnight in the site's time zone) and the last 15 minutes' figures per
    queue, aggregated in SQL over the indexed ``entered_at`` range, with each queue's own
    service-level threshold and short-abandon limit (the daily pack's), and the active
    alerts; also the agents' names."""

    def __init__(self, sessions: sessionmaker[Session], zone: ZoneInfo) -> None:
        self._sessions = sessions
        self._zone = zone

    def __call__(self, now: datetime) -> DatabaseSnapshot:
        start, _end = day_bounds(now.astimezone(self._zone).date(), self._zone)
        try:
            with self._sessions() as session:
                return DatabaseSnapshot(
                    today=queue_figures_between(session, start, now),
                    last_15_min=queue_figures_between(session, now - LAST_MINUTES, now),
                    alerts=tuple(
                        LiveAlert(
                            id=a.id,
                            rule=a.rule,
                            scope=a.scope,
                            raised_at=a.raised_at,
                            message=a.message,
                            severity=a.severity,
                        )
                        for a in active_alerts(session)
                    ),
                )
        except SQLAlchemyError as exc:
            raise SourceDown(f"database: {_database_error(exc)}") from None

    def agent_names(self) -> dict[str, str]:
        try:
            with self._sessions() as session:
                rows = session.execute(select(Agent.login, Agent.name))
                return {login: name for login, name in rows}
        except SQLAlchemyError as exc:
            raise SourceDown(f"database: {_database_error(exc)}") from None


def _database_error(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None)
    return _short(original if original is not None else exc).splitlines()[0]


def queue_figures_between(
    session: Session, start: datetime, end: datetime
) -> dict[str, QueueFigures]:
    """Per queue, the figures of the visits that entered in [start, end] (docs/kpi.md §1:
    service level over offered calls, abandon rate without short abandons), counted in SQL."""
    threshold = func.coalesce(Queue.service_level_threshold_s, DEFAULT_TARGETS.threshold_s)
    short = func.coalesce(Queue.short_abandon_s, DEFAULT_TARGETS.short_abandon_s)
    outcome, wait = QueueCall.outcome, QueueCall.wait_s

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = session.execute(
        select(
            QueueCall.queue,
            count(outcome.notin_(("in_queue", "lost"))),
            count(outcome == "answered"),
            count(and_(outcome == "answered", wait <= threshold)),
            count(and_(outcome == "abandoned", wait >= short)),
            count(and_(outcome == "abandoned", wait < short)),
        )
        .outerjoin(Queue, Queue.name == QueueCall.queue)
        .where(QueueCall.entered_at >= start, QueueCall.entered_at <= end)
        .group_by(QueueCall.queue)
    )
    figures = {}
    for queue, offered, answered, within, abandoned, short_abandoned in rows:
        figures[queue] = figures_of(
            VisitCounts(
                offered=int(offered),
                answered=int(answered),
                answered_within=int(within),
                abandoned=int(abandoned),
                short_abandoned=int(short_abandoned),
            )
        )
    return figures


# --- the feed ------------------------------------------------------------------------------------


@dataclass
class LiveSources:
    """Where the feed reads from; each callable raises (ideally :class:`SourceDown`) when
    it cannot. Tests give fakes."""

    queue_status: Callable[[], Sequence[Mapping[str, str]]]
    controller_status: Callable[[], Mapping[str, Any]]
    database: Callable[[datetime], DatabaseSnapshot]
    agent_names: Callable[[], Mapping[str, str]]
    close: Callable[[], None] = lambda: None


@dataclass
class _Source:
    """One source's health: since when it fails (monotonic), and why."""

    label: str
    failing_since: float | None = None
    detail: str = ""

    def ok(self) -> None:
        self.failing_since, self.detail = None, ""

    def failed(self, exc: BaseException, at: float) -> None:
        if self.failing_since is None:
            self.failing_since = at
        self.detail = str(exc) if isinstance(exc, SourceDown) else f"{self.label}: {_short(exc)}"

    def stale(self, at: float) -> bool:
        return self.failing_since is not None and at - self.failing_since >= STALE_AFTER_S


def _queue_live(parsed: ParsedQueue) -> QueueLive:
    return QueueLive(
        name=parsed.name,
        waiting=tuple(
            WaitingCall(
                queue=e.queue,
                position=e.position,
                caller=e.caller,
                priority=e.priority,
                entered_at=e.entered_at,
            )
            for e in parsed.waiting
        ),
        members=parsed.members,
    )


class LiveFeed:
    """The dashboard's :class:`~asterisk_cc.core.live_state.LiveSource`: a thread polls AMI
    and the controller every ``poll_s``, another the database every ``database_every_s``;
    either publishes what changed. :meth:`poll_once` does both at once (for tests)."""

    def __init__(
        self,
        sources: LiveSources,
        *,
        poll_s: float = 0.5,
        database_every_s: float = DATABASE_EVERY_S,
        names_every_s: float = DIRECTORY_EVERY_S,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sources = sources
        self.poll_s = poll_s
        self._database_every_s = database_every_s
        self._names_every_s = names_every_s
        self._clock = clock
        self._monotonic = monotonic
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._state = LiveState(
            version=0,
            at=clock(),
            link=LinkStatus(
                ami=False, controller=False, asterisk=False, detail="the live feed is starting"
            ),
        )
        self._ami = _Source("AMI")
        self._controller = _Source("ARI controller")
        self._database = _Source("database")
        self._names_source = _Source("database")
        self._queues: dict[str, QueueLive] = {}
        self._entries: dict[str, datetime] = {}
        self._agents: dict[str, AgentLive] = {}
        self._monitorings: tuple[MonitoringLive, ...] = ()
        self._link_up = False
        self._figures = DatabaseSnapshot()
        self._names: Mapping[str, str] = {}
        self._database_due = 0.0
        self._names_due = 0.0

    # LiveSource

    def start(self) -> None:
        if self._threads:
            return
        self._threads = [
            threading.Thread(
                target=self._loop,
                args=(self._poll_live, self.poll_s),
                name="live-feed",
                daemon=True,
            ),
            # The database has a thread of its own, so that a slow query never delays the
            # calls and agents (a waiting call must show within a second).
            threading.Thread(
                target=self._loop,
                args=(self._poll_database, min(1.0, self._database_every_s)),
                name="live-feed-database",
                daemon=True,
            ),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stop.set()
            self._changed.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=10)
        try:
            self.sources.close()
        except Exception:  # closing is best effort: the process is ending
            logger.exception("closing the live feed's sources failed")

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def current(self) -> LiveState:
        return self._state

    def wait_newer(self, version: int, timeout_s: float) -> LiveState:
        with self._changed:
            self._changed.wait_for(
                lambda: self._stop.is_set() or self._state.version > version, timeout=timeout_s
            )
            return self._state

    # polling

    def _loop(self, poll: Callable[[float], None], every_s: float) -> None:
        while not self._stop.is_set():
            started = self._monotonic()
            try:
                poll(started)
            except Exception:  # a bug must not end the wallboard: log it, poll again
                logger.exception("the live feed's poll failed")
            self._stop.wait(max(0.0, every_s - (self._monotonic() - started)))

    def poll_once(self) -> LiveState:
        """Read every source that is due and publish the result if anything changed (what
        the two threads do, in one go); the current state."""
        at = self._monotonic()
        self._read_database_if_due(at)
        self._read_queues(at)
        self._read_controller(at)
        return self._publish()

    def _poll_live(self, at: float) -> None:
        self._read_queues(at)
        self._read_controller(at)
        self._publish()

    def _poll_database(self, at: float) -> None:
        # The first state is the live thread's: one with figures and no calls or agents yet
        # would be news that is not true.
        if self._read_database_if_due(at) and self._state.version > 0:
            self._publish()

    def _read_database_if_due(self, at: float) -> bool:
        due = False
        if at >= self._names_due:
            self._names_due = at + self._names_every_s
            self._read_names(at)
            due = True
        if at >= self._database_due:
            self._database_due = at + self._database_every_s
            self._read_database(at)
            due = True
        return due

    def _read_names(self, at: float) -> None:
        try:
            self._names = dict(self.sources.agent_names())
            self._names_source.ok()
        except Exception as exc:
            self._names_source.failed(exc, at)

    def _read_queues(self, at: float) -> None:
        now = self._clock()
        try:
            events = self.sources.queue_status()
            parsed = parse_queue_status(events, now, self._entries)
        except Exception as exc:
            self._ami.failed(exc, at)
            if self._ami.stale(at):
                self._queues, self._entries = {}, {}
            return
        self._ami.ok()
        self._queues = {name: _queue_live(queue) for name, queue in parsed.items()}
        self._entries = {
            entry.uniqueid: entry.entered_at
            for queue in parsed.values()
            for entry in queue.waiting
            if entry.uniqueid
        }

    def _read_controller(self, at: float) -> None:
        now = self._clock()
        try:
            status = self.sources.controller_status()
            link_up, agents = parse_controller_status(status, self._names, now)
            monitorings = parse_monitorings(status, now)
        except Exception as exc:
            self._controller.failed(exc, at)
            self._link_up = False
            if self._controller.stale(at):
                self._agents, self._monitorings = {}, ()
            return
        self._controller.ok()
        self._link_up = link_up
        self._agents = agents
        self._monitorings = monitorings

    def _read_database(self, at: float) -> None:
        try:
            self._figures = self.sources.database(self._clock())
            self._database.ok()
        except Exception as exc:
            # The figures are a minute behind anyway: the last good ones stay.
            self._database.failed(exc, at)

    def _compose(self) -> LiveState:
        details = [s.detail for s in (self._ami, self._controller) if s.detail]
        controller_up = self._controller.failing_since is None
        if controller_up and not self._link_up:
            details.append("ARI controller: its link to Asterisk (ARI events) is down")
        # What failed, and why, for the banner (the flags above say only which link).
        details += sorted({s.detail for s in (self._database, self._names_source) if s.detail})
        return LiveState(
            version=self._state.version,
            at=self._clock(),
            link=LinkStatus(
                ami=self._ami.failing_since is None,
                controller=controller_up,
                asterisk=controller_up and self._link_up,
                database=self._database.failing_since is None,
                detail="; ".join(details),
            ),
            agents=self._named(self._agents),
            queues=self._queues,
            today=self._figures.today,
            last_15_min=self._figures.last_15_min,
            alerts=self._figures.alerts,
            monitorings=self._monitorings,
        )

    def _named(self, agents: Mapping[str, AgentLive]) -> dict[str, AgentLive]:
        """The agents with their names as the directory has them now (it is read on its own
        schedule, apart from the controller)."""
        return {
            login: replace(agent, name=self._names.get(login, agent.name))
            for login, agent in agents.items()
        }

    def _publish(self) -> LiveState:
        with self._changed:
            candidate = self._compose()
            if changed(self._state, candidate):
                self._state = replace(candidate, version=self._state.version + 1)
                self._changed.notify_all()
            else:
                # Same news, fresher time: no stream is woken for it.
                self._state = replace(candidate, version=self._state.version)
            return self._state


def build_live_feed(settings: Settings, engine: Engine) -> LiveFeed:
    """The feed of the dashboard's server: AMI of ``[ami]``, the controller of ``[ari]`` (or
    ``[dialer] controller_url``), the database of ``engine``, every ``[web] live_poll_ms``."""
    ami = AmiQueueStatus(settings.ami)
    controller = ControllerStatus(settings)
    database = DatabaseFigures(session_factory(engine), ZoneInfo(settings.site.timezone))

    def close() -> None:
        ami.close()
        controller.close()

    return LiveFeed(
        LiveSources(
            queue_status=ami,
            controller_status=controller,
            database=database,
            agent_names=database.agent_names,
            close=close,
        ),
        poll_s=settings.web.live_poll_ms / 1000,
    )
