"""The wallboard's decisions, pure: what Asterisk and the ARI controller report turned into the
live state, what counts as a change, and the wallboard's view of a state.

Everything here is a function of data and ``now``; the live feed (:mod:`asterisk_cc.web.live`)
does the I/O (AMI ``QueueStatus``, the controller's ``GET /status``, the database). Members,
agents and figures are parsed straight into the live-state classes
(:mod:`asterisk_cc.core.live_state`); waiting calls keep their ``uniqueid`` here, which the
feed needs to hold a call's entry time steady between polls. The view functions read a state through
the small protocols below, so any object of that shape will do (the dashboard's
``LiveState``, or a test's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from asterisk_cc.core.live_state import AgentLive, MonitoringLive, QueueFigures, QueueMember
from asterisk_cc.core.reports.pack import rag_status
from asterisk_cc.core.vocabulary import AgentState

__all__ = [
    "AGENT_BUCKETS",
    "DEVICE_STATUS",
    "ENTRY_TIME_TOLERANCE",
    "ParsedEntry",
    "ParsedQueue",
    "QueueTarget",
    "VisitCounts",
    "agent_bucket",
    "changed",
    "figures_of",
    "member_bucket",
    "member_status",
    "parse_controller_status",
    "parse_monitorings",
    "parse_queue_status",
    "wallboard_view",
]

# --- AMI QueueStatus ----------------------------------------------------------------------------

DEVICE_STATUS: Final[Mapping[str, str]] = {
    "0": "unknown",
    "1": "available",  # AST_DEVICE_NOT_INUSE
    "2": "in_use",
    "3": "busy",
    "4": "invalid",
    "5": "unavailable",
    "6": "ringing",
    "7": "ringing",  # AST_DEVICE_RINGINUSE: ringing while already on a call
    "8": "in_use",  # AST_DEVICE_ONHOLD: on a call, holding it
}
"""app_queue's member ``Status`` (Asterisk's device state numbers) → the member's status."""

ENTRY_TIME_TOLERANCE: Final = timedelta(seconds=2)
"""AMI gives a waiting call's ``Wait`` in whole seconds, so ``now - Wait`` moves by up to a
second between polls: within this tolerance the first estimate is kept, so that a call that
only waits longer is not a change."""

UNKNOWN_CALLER_IDS: Final = frozenset({"", "<unknown>", "unknown", "anonymous"})


def member_status(code: str) -> str:
    """The status of a queue member from AMI's device state number."""
    return DEVICE_STATUS.get(code.strip(), "unknown")


@dataclass(frozen=True)
class ParsedEntry:
    """A call waiting in a queue (``QueueEntry``); ``uniqueid`` identifies it between polls."""

    uniqueid: str
    queue: str
    position: int
    caller: str
    priority: int
    entered_at: datetime


@dataclass(frozen=True)
class ParsedQueue:
    name: str
    waiting: tuple[ParsedEntry, ...] = ()
    members: tuple[QueueMember, ...] = ()


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def _flag(value: str | None) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def _entered_at(
    uniqueid: str, wait_s: int, now: datetime, known: Mapping[str, datetime]
) -> datetime:
    estimate = now - timedelta(seconds=max(0, wait_s))
    previous = known.get(uniqueid) if uniqueid else None
    if previous is not None and abs(previous - estimate) <= ENTRY_TIME_TOLERANCE:
        return previous
    return estimate


def parse_queue_status(
    events: Iterable[Mapping[str, str]],
    now: datetime,
    known_entries: Mapping[str, datetime] | None = None,
) -> dict[str, ParsedQueue]:
    """The queues of one ``QueueStatus`` answer (its ``QueueParams``, ``QueueMember`` and
    ``QueueEntry`` events), by name. A waiting call entered ``now - Wait``, or at the time
    ``known_entries`` (by uniqueid) had for it when that is within :data:`ENTRY_TIME_TOLERANCE`.
    Events of other kinds are ignored."""
    known = known_entries or {}
    names: list[str] = []
    waiting: dict[str, list[ParsedEntry]] = {}
    members: dict[str, list[QueueMember]] = {}
    for event in events:
        kind = event.get("Event", "")
        queue = event.get("Queue", "")
        if not queue or kind not in ("QueueParams", "QueueMember", "QueueEntry"):
            continue
        if queue not in waiting:
            names.append(queue)
            waiting[queue], members[queue] = [], []
        if kind == "QueueMember":
            members[queue].append(
                QueueMember(
                    name=event.get("Name") or event.get("MemberName", ""),
                    interface=event.get("Location") or event.get("Interface", ""),
                    status=member_status(event.get("Status", "")),
                    paused=_flag(event.get("Paused")),
                    paused_reason=event.get("PausedReason", ""),
                    in_call=_flag(event.get("InCall")),
                )
            )
        elif kind == "QueueEntry":
            uniqueid = event.get("Uniqueid", "")
            caller = event.get("CallerIDNum", "")
            waiting[queue].append(
                ParsedEntry(
                    uniqueid=uniqueid,
                    queue=queue,
                    position=_int(event.get("Position")),
                    caller="" if caller.strip().lower() in UNKNOWN_CALLER_IDS else caller,
                    priority=_int(event.get("Priority")),
                    entered_at=_entered_at(uniqueid, _int(event.get("Wait")), now, known),
                )
            )
    return {
        name: ParsedQueue(
            name=name,
            waiting=tuple(sorted(waiting[name], key=lambda e: (e.position, e.uniqueid))),
            members=tuple(sorted(members[name], key=lambda m: (m.name, m.interface))),
        )
        for name in sorted(names)
    }


# --- the ARI controller's GET /status -----------------------------------------------------------


_AGENT_STATES: Final = frozenset(state.value for state in AgentState)


def _time(value: object, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        if moment.tzinfo is not None:
            return moment
    return fallback


def parse_controller_status(
    status: Mapping[str, Any], names: Mapping[str, str], now: datetime
) -> tuple[bool, dict[str, AgentLive]]:
    """The controller's link to Asterisk (``link_up``) and its agents by login, named from
    ``names`` (login → name; the login when the agent is not known). An agent entry that is
    not of the expected shape is left out rather than failing the whole answer; a state the
    vocabulary does not know is kept as it came."""
    agents: dict[str, AgentLive] = {}
    raw_agents = status.get("agents")
    if isinstance(raw_agents, Mapping):
        for login, raw in raw_agents.items():
            if not isinstance(login, str) or not isinstance(raw, Mapping):
                continue
            state = raw.get("state")
            if not isinstance(state, str) or not state:
                continue
            reason = raw.get("reason")
            call = raw.get("call")
            queues = raw.get("queues")
            agents[login] = AgentLive(
                login=login,
                name=names.get(login, login),
                state=state,
                reason=reason if isinstance(reason, str) and reason else None,
                since=_time(raw.get("since"), now),
                call=call if isinstance(call, str) and call else None,
                queues=tuple(sorted(q for q in queues if isinstance(q, str)))
                if isinstance(queues, list)
                else (),
            )
    return status.get("link_up") is True, dict(sorted(agents.items()))


def parse_monitorings(status: Mapping[str, Any], now: datetime) -> tuple[MonitoringLive, ...]:
    """The supervisors' monitoring sessions of the controller's ``monitorings``, oldest first.
    An entry without its session id, user, agent or mode is left out (nobody could be offered
    to stop it)."""
    raw_list = status.get("monitorings")
    if not isinstance(raw_list, list):
        return ()
    found = []
    for raw in raw_list:
        if not isinstance(raw, Mapping):
            continue
        session, user_id = raw.get("session"), raw.get("user_id")
        agent, mode, endpoint = raw.get("agent"), raw.get("mode"), raw.get("endpoint")
        if not (isinstance(session, str) and session and isinstance(agent, str) and agent):
            continue
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            continue
        if not isinstance(mode, str) or not mode:
            continue
        connected = raw.get("connected_at")
        found.append(
            MonitoringLive(
                session=session,
                user_id=user_id,
                agent=agent,
                mode=mode,
                endpoint=endpoint if isinstance(endpoint, str) else "",
                requested_at=_time(raw.get("requested_at"), now),
                connected_at=_time(connected, now) if isinstance(connected, str) else None,
            )
        )
    return tuple(sorted(found, key=lambda m: (m.requested_at, m.session)))


# --- the day's figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitCounts:
    """Counts of one queue's visits over a period, as the database aggregates them (the
    queue's own threshold and short-abandon limit applied, docs/kpi.md §1)."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    """answered with wait ≤ the queue's service-level threshold"""
    abandoned: int = 0
    """abandons with wait ≥ the queue's short-abandon limit"""
    short_abandoned: int = 0


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator > 0 else None


def figures_of(counts: VisitCounts) -> QueueFigures:
    """Service level (§1.6, over offered calls, as the daily pack) and abandon rate (§1.4,
    short abandons removed) from the counts; no value when nothing was offered."""
    return QueueFigures(
        offered=counts.offered,
        answered=counts.answered,
        abandoned=counts.abandoned,
        service_level=_ratio(counts.answered_within, counts.offered),
        abandon_rate=_ratio(counts.abandoned, counts.offered - counts.short_abandoned),
    )


# --- what is a change ------------------------------------------------------------------------


def changed(old: object, new: object, ignore: Collection[str] = ("version", "at")) -> bool:
    """Whether two states (dataclasses of the same class) differ in anything but ``ignore``:
    the moment a state was made and its number are no news for the screens."""
    if type(old) is not type(new) or not dataclasses.is_dataclass(old):
        return old != new
    return any(
        getattr(old, f.name) != getattr(new, f.name)
        for f in dataclasses.fields(old)
        if f.name not in ignore
    )


# --- the wallboard's view ----------------------------------------------------------------------

AGENT_BUCKETS: Final = ("ready", "ringing", "talking", "wrap_up", "paused", "logged_out")
"""The columns agents are counted in, per queue."""

_STATE_BUCKET: Final[Mapping[str, str]] = {
    AgentState.READY: "ready",
    AgentState.RESERVED: "ringing",  # being offered a call (preview or dialer)
    AgentState.RINGING: "ringing",
    AgentState.TALKING: "talking",
    AgentState.HOLD: "talking",  # on a call, the customer on hold
    AgentState.WRAP_UP: "wrap_up",
    AgentState.PAUSED: "paused",
    AgentState.LOGGED_OUT: "logged_out",
}

AMBER_BAND: Final = 0.05
"""Ratios miss their target by at most five points to be amber (docs/kpi.md)."""


def agent_bucket(state: str) -> str:
    """The column a controller agent's state is counted in (an unknown state: logged out)."""
    return _STATE_BUCKET.get(state, "logged_out")


def member_bucket(status: str, paused: bool, in_call: bool) -> str:
    """The column of a queue member the controller does not know (a plain phone), from what
    app_queue says of it."""
    if status in ("unavailable", "invalid", "unknown"):
        return "logged_out"
    if paused:
        return "paused"
    if status == "ringing":
        return "ringing"
    if in_call or status in ("in_use", "busy"):
        return "talking"
    return "ready"


@dataclass(frozen=True)
class QueueTarget:
    """A queue's service level target: answered within ``threshold_s`` for
    ``service_level`` of the calls (the ``queues`` table; these defaults otherwise)."""

    threshold_s: float = 20.0
    service_level: float = 0.8


class LinkLike(Protocol):
    @property
    def ami(self) -> bool: ...
    @property
    def controller(self) -> bool: ...
    @property
    def asterisk(self) -> bool: ...
    @property
    def database(self) -> bool: ...
    @property
    def detail(self) -> str: ...


class AgentLike(Protocol):
    @property
    def login(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def since(self) -> datetime: ...
    @property
    def call(self) -> str | None: ...
    @property
    def queues(self) -> tuple[str, ...]: ...


class WaitingLike(Protocol):
    @property
    def queue(self) -> str: ...
    @property
    def position(self) -> int: ...
    @property
    def caller(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def entered_at(self) -> datetime: ...


class MemberLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def interface(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def paused(self) -> bool: ...
    @property
    def paused_reason(self) -> str: ...
    @property
    def in_call(self) -> bool: ...


class QueueLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def waiting(self) -> tuple[WaitingLike, ...]: ...
    @property
    def members(self) -> tuple[MemberLike, ...]: ...


class FiguresLike(Protocol):
    @property
    def offered(self) -> int: ...
    @property
    def answered(self) -> int: ...
    @property
    def abandoned(self) -> int: ...
    @property
    def service_level(self) -> float | None: ...
    @property
    def abandon_rate(self) -> float | None: ...


class AlertLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def rule(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def raised_at(self) -> datetime: ...
    @property
    def message(self) -> str: ...
    @property
    def severity(self) -> str: ...


class StateLike(Protocol):
    @property
    def version(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def link(self) -> LinkLike: ...
    @property
    def agents(self) -> Mapping[str, AgentLike]: ...
    @property
    def queues(self) -> Mapping[str, QueueLike]: ...
    @property
    def today(self) -> Mapping[str, FiguresLike]: ...
    @property
    def last_15_min(self) -> Mapping[str, FiguresLike]: ...
    @property
    def alerts(self) -> tuple[AlertLike, ...]: ...


MAX_CALLS_LISTED: Final = 50
"""Waiting calls listed per queue (all are counted)."""


def _figures_view(
    figures: FiguresLike | None, target: QueueTarget, abandon_target: float
) -> dict[str, Any]:
    if figures is None:
        return {
            "offered": 0,
            "answered": 0,
            "abandoned": 0,
            "service_level": None,
            "service_level_rag": None,
            "abandon_rate": None,
            "abandon_rate_rag": None,
        }
    sl_rag = rag_status(
        figures.service_level, target.service_level, higher_is_better=True, amber_band=AMBER_BAND
    )
    abandon_rag = rag_status(
        figures.abandon_rate, abandon_target, higher_is_better=False, amber_band=AMBER_BAND
    )
    return {
        "offered": figures.offered,
        "answered": figures.answered,
        "abandoned": figures.abandoned,
        "service_level": figures.service_level,
        "service_level_rag": sl_rag.value if sl_rag else None,
        "abandon_rate": figures.abandon_rate,
        "abandon_rate_rag": abandon_rag.value if abandon_rag else None,
    }


def _queue_agents(queue: str, state: StateLike) -> dict[str, int]:
    """Agents of ``queue`` by column: the controller's agents in it, then the members it
    does not know (plain phones)."""
    counts = dict.fromkeys(AGENT_BUCKETS, 0)
    for agent in state.agents.values():
        if queue in agent.queues:
            counts[agent_bucket(agent.state)] += 1
    live = state.queues.get(queue)
    for member in live.members if live else ():
        if member.name not in state.agents:
            counts[member_bucket(member.status, member.paused, member.in_call)] += 1
    return counts


def _phone_agents(state: StateLike) -> list[dict[str, Any]]:
    """Queue members the controller does not know, one row per member name; paused only
    when paused in every queue (app_queue pauses per queue)."""
    memberships: dict[str, list[tuple[str, MemberLike]]] = {}
    for queue in sorted(state.queues):
        for member in state.queues[queue].members:
            if member.name and member.name not in state.agents:
                memberships.setdefault(member.name, []).append((queue, member))
    rows = []
    for name, found in sorted(memberships.items()):
        paused = all(member.paused for _, member in found)
        first = next((member for _, member in found if not member.paused), found[0][1])
        bucket = member_bucket(first.status, paused, first.in_call)
        reasons = {member.paused_reason for _, member in found if member.paused_reason}
        rows.append(
            {
                "login": name,
                "name": name,
                "state": bucket,
                "bucket": bucket,
                "reason": ", ".join(sorted(reasons)) if paused and reasons else None,
                "since": None,
                "on_call": bucket == "talking",
                "queues": [queue for queue, _ in found],
                "source": "phone",
            }
        )
    return rows


def _links(link: LinkLike) -> dict[str, Any]:
    down = [name for name in ("ami", "controller") if not getattr(link, name)]
    # The controller's own link is only known while the controller answers.
    if link.controller and not link.asterisk:
        down.append("asterisk")
    if not link.database:
        down.append("database")
    return {
        "ami": link.ami,
        "controller": link.controller,
        "asterisk": link.asterisk,
        "database": link.database,
        "all_up": link.ami and link.controller and link.asterisk and link.database,
        "down": down,
        "detail": link.detail,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def wallboard_view(
    state: StateLike,
    *,
    targets: Mapping[str, QueueTarget],
    abandon_rate_target: float,
    only_queues: Collection[str] = (),
) -> dict[str, Any]:
    """The wallboard of ``state`` as plain data (JSON-ready): per queue its waiting calls,
    today's and the last 15 minutes' figures with red/amber/green against the queue's target
    (``targets``, default :class:`QueueTarget`) and agents by column; per agent their state;
    the active alerts; the links. ``only_queues`` (when given) keeps those queues, the agents
    in them and their alerts (and the centre-wide ones)."""
    names = set(state.queues) | set(state.today) | set(state.last_15_min)
    if only_queues:
        names &= set(only_queues)
    default = QueueTarget()
    queues = []
    for name in sorted(names):
        live = state.queues.get(name)
        waiting = live.waiting if live else ()
        target = targets.get(name, default)
        longest = min((call.entered_at for call in waiting), default=None)
        queues.append(
            {
                "name": name,
                "waiting": len(waiting),
                "longest_since": _iso(longest),
                "calls": [
                    {
                        "position": call.position,
                        "caller": call.caller,
                        "priority": call.priority,
                        "entered_at": _iso(call.entered_at),
                    }
                    for call in waiting[:MAX_CALLS_LISTED]
                ],
                "agents": _queue_agents(name, state),
                "target": {
                    "service_level": target.service_level,
                    "threshold_s": target.threshold_s,
                    "abandon_rate": abandon_rate_target,
                },
                "today": _figures_view(state.today.get(name), target, abandon_rate_target),
                "last_15_min": _figures_view(
                    state.last_15_min.get(name), target, abandon_rate_target
                ),
            }
        )
    agents: list[dict[str, Any]] = [
        {
            "login": agent.login,
            "name": agent.name,
            "state": agent.state,
            "bucket": agent_bucket(agent.state),
            "reason": agent.reason,
            "since": _iso(agent.since),
            "on_call": agent.call is not None,
            "queues": list(agent.queues),
            "source": "controller",
        }
        for agent in state.agents.values()
    ]
    agents = sorted([*agents, *_phone_agents(state)], key=lambda row: row["login"])
    if only_queues:
        agents = [row for row in agents if set(row["queues"]) & names]
    alerts = [
        {
            "id": alert.id,
            "rule": alert.rule,
            "scope": alert.scope,
            "severity": alert.severity,
            "since": _iso(alert.raised_at),
            "message": alert.message,
        }
        for alert in state.alerts
        if not only_queues or alert.scope in names or alert.scope == "*"
    ]
    totals = dict.fromkeys(AGENT_BUCKETS, 0)
    for row in agents:
        totals[row["bucket"]] += 1
    return {
        "version": state.version,
        "at": _iso(state.at),
        "links": _links(state.link),
        "queues": queues,
        "agents": agents,
        "alerts": alerts,
        "totals": {"waiting": sum(q["waiting"] for q in queues), "agents": totals},
    }
