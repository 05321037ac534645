"""What the live feed knows at one moment: the shape the wallboard, the agent desktops and the
supervisor pages read (:class:`LiveState`), and the feed's interface (:class:`LiveSource`).

The feed (:mod:`asterisk_cc.web.live`) polls Asterisk (AMI) and the ARI controller a few times
a second and publishes a new state, with a higher ``version``, whenever something changed;
streams wait for a newer version with :meth:`LiveSource.wait_newer`. States are immutable, so
any thread may read one while the feed makes the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class LinkStatus:
    """Which links are up. ``asterisk`` is the controller's own event link to Asterisk."""

    ami: bool
    controller: bool
    asterisk: bool
    database: bool = True
    detail: str = ""
    """Why a link is down, for the banner (e.g. "AMI 127.0.0.1:5038: connection refused")."""

    @property
    def all_up(self) -> bool:
        return self.ami and self.controller and self.asterisk and self.database


@dataclass(frozen=True)
class AgentLive:
    """An agent the controller has a session for (logged in by phone or desktop)."""

    login: str
    name: str
    state: str
    """An :class:`~asterisk_cc.core.vocabulary.AgentState` value."""
    reason: str | None
    since: datetime
    call: str | None
    """The linkedid of the call the agent is on, if any."""
    queues: tuple[str, ...]


@dataclass(frozen=True)
class MonitoringLive:
    """A supervisor's listen, whisper or barge session the controller has now (its phone
    ringing or connected)."""

    session: str
    """The controller's id of the session (``sup-…``): what stops it."""
    user_id: int
    """The dashboard user who started it."""
    agent: str
    mode: str
    """``listen``, ``whisper`` or ``barge``."""
    endpoint: str
    requested_at: datetime
    connected_at: datetime | None
    """When the supervisor answered; None while their phone rings."""


@dataclass(frozen=True)
class WaitingCall:
    queue: str
    position: int
    caller: str
    """Caller ID number as app_queue reports it (untrusted text: shown escaped)."""
    priority: int
    entered_at: datetime


@dataclass(frozen=True)
class QueueMember:
    """A member of an app_queue queue as AMI reports it (phones and controller agents)."""

    name: str
    interface: str
    status: str
    """``available``, ``in_use``, ``busy``, ``ringing``, ``unavailable``, ``invalid``,
    ``unknown`` (from AMI's device status numbers)."""
    paused: bool
    paused_reason: str
    in_call: bool


@dataclass(frozen=True)
class QueueLive:
    name: str
    waiting: tuple[WaitingCall, ...] = ()
    members: tuple[QueueMember, ...] = ()


@dataclass(frozen=True)
class QueueFigures:
    """A queue's figures over a period, from the calls in the database (``queue_calls``)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    service_level: float | None = None
    abandon_rate: float | None = None


@dataclass(frozen=True)
class LiveAlert:
    id: int
    rule: str
    scope: str
    raised_at: datetime
    message: str
    severity: str = "warning"


@dataclass(frozen=True)
class LiveState:
    version: int
    at: datetime
    link: LinkStatus
    agents: Mapping[str, AgentLive] = field(default_factory=dict)
    queues: Mapping[str, QueueLive] = field(default_factory=dict)
    today: Mapping[str, QueueFigures] = field(default_factory=dict)
    last_15_min: Mapping[str, QueueFigures] = field(default_factory=dict)
    alerts: tuple[LiveAlert, ...] = ()
    monitorings: tuple[MonitoringLive, ...] = ()


class LiveSource(Protocol):
    """The live feed as pages and streams use it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def stopped(self) -> bool: ...

    def current(self) -> LiveState: ...

    def wait_newer(self, version: int, timeout_s: float) -> LiveState:
        """The first state newer than ``version``, or the current one after ``timeout_s``
        (or at once when the feed stops)."""
        ...
