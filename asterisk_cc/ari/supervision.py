"""Supervisors listen to, whisper to and barge in on agents, through ARI snoop channels.

A supervisor (or admin) asks to monitor an agent who is logged in by phone: the controller
calls the supervisor's phone (``endpoint``, e.g. ``PJSIP/2001``) into our Stasis application
with the arguments ``supervisor,<session id>``. When the supervisor answers, a snoop channel
is put on the agent's phone channel and joined with the supervisor's channel in a mixing bridge
of the session's own. The snoop's directions are relative to the agent's channel (``in``: what
the agent says; ``out``: what the agent hears, i.e. the customer):

=========  =====  =======  ===============================================================
mode       spy    whisper  who hears the supervisor
=========  =====  =======  ===============================================================
listen     both   none     nobody
whisper    both   out      the agent only (the supervisor's voice goes into what the agent
                           hears)
barge      both   both     the agent and the customer
=========  =====  =======  ===============================================================

The snoop follows the agent's phone channel, which stays up for the whole shift, so a session
covers the agent's calls as they come. It ends when the supervisor hangs up, when
:meth:`Supervision.stop` is called, when the agent logs out (their phone channel goes) or when
the snoop channel goes; then the snoop, the bridge and the supervisor's call are all torn down.

Every session is in the audit log (:mod:`asterisk_cc.db.audit`): written when it is asked for
(``supervise_listen``, ``supervise_whisper`` or ``supervise_barge``; the user, ``target``
``agent:<login>``, the mode, the endpoint, the call the agent was on) and completed at the end
with ``duration_s``, the seconds the supervisor was connected (0 when the phone was never
answered), and the reason it ended.

The controller hands every ARI event to :meth:`Supervision.on_event`
(:func:`attach_supervision` puts it among the controller's observers).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol, get_args

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.ari.controller import AgentController, AgentSession
from asterisk_cc.ari.rest import AriRest, CallerId, SnoopDirection
from asterisk_cc.core.agents import AgentError
from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.audit import SUPERVISING_ROLES, audit_finish, audit_start, user_role
from asterisk_cc.db.engine import session_factory

logger = logging.getLogger(__name__)

Mode = Literal["listen", "whisper", "barge"]
MODES: Final[tuple[str, ...]] = get_args(Mode)
# (spy, whisper) of the snoop on the agent's channel, by mode.
SNOOP_DIRECTIONS: Final[Mapping[str, tuple[SnoopDirection, SnoopDirection]]] = {
    "listen": ("both", "none"),
    "whisper": ("both", "out"),
    "barge": ("both", "both"),
}
# What the supervisor does to the agent, in messages.
MODE_PHRASES: Final[Mapping[str, str]] = {
    "listen": "listen to",
    "whisper": "whisper to",
    "barge": "barge in on",
}
SUPERVISOR_ARG: Final = "supervisor"
SNOOP_ARG: Final = "supervisor-snoop"
AUDIT_ACTION_PREFIX: Final = "supervise_"
RING_TIMEOUT_S: Final = 30
SNOOP_READY_TIMEOUT_S: Final = 5.0
_SECOND: Final = timedelta(seconds=1)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SupervisionStore(Protocol):
    """Roles and the audit log (blocking; called in worker threads)."""

    def user_role(self, user_id: int) -> UserRole | None: ...

    def audit_start(
        self, *, user_id: int, action: str, at: datetime, target: str, details: dict[str, Any]
    ) -> int: ...

    def audit_finish(
        self, entry_id: int, *, ended_at: datetime, duration_s: int, details: dict[str, Any]
    ) -> None: ...


class DatabaseSupervisionStore:
    """:class:`SupervisionStore` over the shared database."""

    def __init__(self, engine: Engine) -> None:
        self.sessions: sessionmaker[Session] = session_factory(engine, immediate=True)

    def user_role(self, user_id: int) -> UserRole | None:
        with self.sessions() as session:
            return user_role(session, user_id)

    def audit_start(
        self, *, user_id: int, action: str, at: datetime, target: str, details: dict[str, Any]
    ) -> int:
        with self.sessions.begin() as session:
            return audit_start(
                session, user_id=user_id, action=action, at=at, target=target, details=details
            )

    def audit_finish(
        self, entry_id: int, *, ended_at: datetime, duration_s: int, details: dict[str, Any]
    ) -> None:
        with self.sessions.begin() as session:
            audit_finish(
                session, entry_id, ended_at=ended_at, duration_s=duration_s, details=details
            )


@dataclass
class Monitoring:
    """One supervisor monitoring one agent."""

    id: str
    user_id: int
    agent_login: str
    agent_channel: str
    mode: str
    endpoint: str
    audit_id: int
    requested_at: datetime
    connected_at: datetime | None = None
    ended: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def supervisor_channel(self) -> str:
        """The id of the call to the supervisor's phone (we choose it when we originate)."""
        return f"{self.id}-phone"

    @property
    def snoop_channel(self) -> str:
        return f"{self.id}-snoop"

    @property
    def bridge_id(self) -> str:
        return f"{self.id}-bridge"

    def channels(self) -> tuple[str, str, str]:
        return (self.supervisor_channel, self.snoop_channel, self.agent_channel)


class Supervision:
    """Supervisors' monitoring sessions, over the controller's ARI client and events."""

    def __init__(
        self,
        rest: AriRest,
        store: SupervisionStore,
        *,
        app: str,
        clock: Clock = _utc_now,
        ring_timeout_s: int = RING_TIMEOUT_S,
    ) -> None:
        self.rest = rest
        self.store = store
        self.app = app
        self.clock = clock
        self.ring_timeout_s = ring_timeout_s
        self.sessions: dict[str, Monitoring] = {}
        self._by_channel: dict[str, set[str]] = {}
        self._snoop_ready: dict[str, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- plumbing --------------------------------------------------------------------------

    def _spawn(self, work: Awaitable[Any], what: str) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                logger.exception("supervision: %s failed", what)

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _index(self, monitoring: Monitoring) -> None:
        for channel_id in monitoring.channels():
            self._by_channel.setdefault(channel_id, set()).add(monitoring.id)

    def _unindex(self, monitoring: Monitoring) -> None:
        for channel_id in monitoring.channels():
            ids = self._by_channel.get(channel_id)
            if ids is not None:
                ids.discard(monitoring.id)
                if not ids:
                    del self._by_channel[channel_id]

    # --- what supervisors do ---------------------------------------------------------------

    async def start(self, *, user_id: int, agent: AgentSession, mode: Mode, endpoint: str) -> str:
        """Call the supervisor's phone ``endpoint`` to monitor ``agent`` in ``mode``; → the
        monitoring session's id. The session begins when the supervisor answers.

        Raises :class:`PermissionError` unless ``user_id`` is an active supervisor or admin,
        :class:`~asterisk_cc.core.agents.AgentError` when the agent has no phone channel (not
        logged in by phone), :class:`ValueError` for an unknown mode.
        """
        if mode not in MODES:
            raise ValueError(f"supervision mode {mode!r} is not one of {', '.join(MODES)}")
        role = await asyncio.to_thread(self.store.user_role, user_id)
        if role not in SUPERVISING_ROLES:
            logger.warning(
                "user %s may not %s agent %s (role %s)",
                user_id,
                MODE_PHRASES[mode],
                agent.login,
                role.value if role else "none: unknown or deactivated",
            )
            raise PermissionError(
                f"user {user_id} may not {MODE_PHRASES[mode]} agents: only active supervisors "
                "and admins may"
            )
        agent_channel = agent.phone_channel
        if not agent_channel:
            raise AgentError(
                f"agent {agent.login} has no phone channel (not logged in by phone) to "
                f"{MODE_PHRASES[mode]}"
            )
        session_id = f"sup-{uuid.uuid4().hex[:16]}"
        now = self.clock()
        details: dict[str, Any] = {
            "session": session_id,
            "mode": mode,
            "agent": agent.login,
            "endpoint": endpoint,
            "linkedid": agent.call.linkedid if agent.call else None,
        }
        audit_id = await asyncio.to_thread(
            lambda: self.store.audit_start(
                user_id=user_id,
                action=f"{AUDIT_ACTION_PREFIX}{mode}",
                at=now,
                target=f"agent:{agent.login}",
                details=details,
            )
        )
        monitoring = Monitoring(
            id=session_id,
            user_id=user_id,
            agent_login=agent.login,
            agent_channel=agent_channel,
            mode=mode,
            endpoint=endpoint,
            audit_id=audit_id,
            requested_at=now,
        )
        self.sessions[session_id] = monitoring
        self._index(monitoring)
        try:
            await self.rest.originate(
                endpoint,
                app=self.app,
                app_args=(SUPERVISOR_ARG, session_id),
                channel_id=monitoring.supervisor_channel,
                caller_id=CallerId(number=agent.login, name=f"{mode} {agent.profile.name}"),
                timeout_s=self.ring_timeout_s,
            )
        except Exception:
            await self._end(session_id, "call_failed")
            raise
        logger.info(
            "user %s: %s agent %s from %s (session %s)",
            user_id,
            mode,
            agent.login,
            endpoint,
            session_id,
        )
        return session_id

    async def stop(self, session_id: str) -> bool:
        """End a monitoring session (the supervisor's call is hung up); False if it had ended."""
        if session_id not in self.sessions:
            return False
        await self._end(session_id, "stopped")
        return True

    async def close(self) -> None:
        """End every session (the controller is stopping), then the pending work."""
        for session_id in list(self.sessions):
            await self._end(session_id, "shutdown")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def snapshot(self) -> list[dict[str, Any]]:
        """The sessions now, for status pages."""
        return [
            {
                "session": m.id,
                "user_id": m.user_id,
                "agent": m.agent_login,
                "mode": m.mode,
                "endpoint": m.endpoint,
                "requested_at": m.requested_at.isoformat(),
                "connected_at": m.connected_at.isoformat() if m.connected_at else None,
            }
            for m in self.sessions.values()
        ]

    # --- ARI events ------------------------------------------------------------------------

    async def on_event(self, event: dict[str, Any]) -> None:
        """One ARI event of the controller's stream; never raises (the stream goes on)."""
        try:
            self._on_event(event)
        except Exception:
            logger.exception("supervision: event %s not handled", event.get("type"))

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        channel_id = str((event.get("channel") or {}).get("id", ""))
        if kind == "StasisStart":
            args = [str(arg) for arg in event.get("args") or ()]
            if args[:1] == [SUPERVISOR_ARG] and len(args) > 1:
                monitoring = self.sessions.get(args[1])
                if monitoring is None or monitoring.supervisor_channel != channel_id:
                    # Answered after its session ended: nothing to listen to.
                    self._spawn(self.rest.hangup(channel_id), f"hang-up of {channel_id}")
                else:
                    self._spawn(self._connect(monitoring), f"monitoring {monitoring.id}")
            elif args[:1] == [SNOOP_ARG]:
                ready = self._snoop_ready.get(channel_id)
                if ready is not None and not ready.done():
                    ready.set_result(None)
        elif kind in ("StasisEnd", "ChannelDestroyed"):
            for session_id in list(self._by_channel.get(channel_id, ())):
                monitoring = self.sessions.get(session_id)
                if monitoring is None:
                    continue
                if channel_id == monitoring.supervisor_channel:
                    reason = "supervisor_hangup" if monitoring.connected_at else "not_answered"
                elif channel_id == monitoring.agent_channel:
                    reason = "agent_logged_out"
                else:
                    reason = "snoop_ended"
                self._spawn(self._end(session_id, reason), f"end of monitoring {session_id}")

    # --- the session's channels ------------------------------------------------------------

    async def _connect(self, monitoring: Monitoring) -> None:
        """The supervisor answered: snoop on the agent, bridge the snoop with the supervisor."""
        failed = False
        async with monitoring.lock:
            if monitoring.ended:
                return
            spy, whisper = SNOOP_DIRECTIONS[monitoring.mode]
            ready = asyncio.get_running_loop().create_future()
            self._snoop_ready[monitoring.snoop_channel] = ready
            try:
                bridge = await self.rest.create_bridge(
                    monitoring.bridge_id, name=f"supervise-{monitoring.agent_login}"
                )
                await self.rest.add_channel(bridge.id, monitoring.supervisor_channel)
                await self.rest.snoop(
                    monitoring.agent_channel,
                    spy=spy,
                    whisper=whisper,
                    app=self.app,
                    # The directions in the arguments too: what ARI shows of the snoop channel.
                    app_args=(
                        SNOOP_ARG,
                        monitoring.id,
                        monitoring.mode,
                        f"spy={spy}",
                        f"whisper={whisper}",
                    ),
                    snoop_id=monitoring.snoop_channel,
                )
                # The snoop channel enters Stasis on its own thread: it can join a bridge once
                # its StasisStart has come.
                await asyncio.wait_for(ready, SNOOP_READY_TIMEOUT_S)
                await self.rest.add_channel(bridge.id, monitoring.snoop_channel)
                monitoring.connected_at = self.clock()
                logger.info("monitoring %s: connected (%s)", monitoring.id, monitoring.mode)
            except Exception as exc:
                logger.error("monitoring %s could not be connected: %s", monitoring.id, exc)
                failed = True
            finally:
                self._snoop_ready.pop(monitoring.snoop_channel, None)
        if failed:
            await self._end(monitoring.id, "failed")

    async def _end(self, session_id: str, reason: str) -> None:
        """Tear the session down (snoop, bridge, the supervisor's call) and complete its audit
        entry; once."""
        monitoring = self.sessions.get(session_id)
        if monitoring is None:
            return
        async with monitoring.lock:
            if monitoring.ended:
                return
            monitoring.ended = True
            self.sessions.pop(session_id, None)
            self._unindex(monitoring)
            ended_at = self.clock()
            teardown: tuple[tuple[str, Callable[[], Awaitable[bool]]], ...] = (
                ("snoop", lambda: self.rest.hangup(monitoring.snoop_channel)),
                ("bridge", lambda: self.rest.destroy_bridge(monitoring.bridge_id)),
                ("supervisor's call", lambda: self.rest.hangup(monitoring.supervisor_channel)),
            )
            for what, action in teardown:
                try:
                    await action()
                except Exception as exc:
                    logger.warning("monitoring %s: %s not torn down: %s", session_id, what, exc)
            connected = monitoring.connected_at
            duration_s = 0 if connected is None else max(0, (ended_at - connected) // _SECOND)
            details: dict[str, Any] = {
                "end_reason": reason,
                "connected_at": connected.astimezone(UTC).isoformat() if connected else None,
            }
            try:
                await asyncio.to_thread(
                    lambda: self.store.audit_finish(
                        monitoring.audit_id,
                        ended_at=ended_at,
                        duration_s=duration_s,
                        details=details,
                    )
                )
            except Exception as exc:
                logger.error(
                    "monitoring %s ended (%s) but its audit entry %s was not completed: %s",
                    session_id,
                    reason,
                    monitoring.audit_id,
                    exc,
                )
        logger.info("monitoring %s ended (%s, %d s)", session_id, reason, duration_s)


def attach_supervision(
    controller: AgentController, store: SupervisionStore, *, app: str
) -> Supervision:
    """Supervision over ``controller``'s ARI client, fed the controller's events (``app`` is
    the Stasis application, the ``[ari] app`` setting). Call it on the controller's loop."""
    supervision = Supervision(controller.rest, store, app=app, clock=controller.clock)
    controller.observers.append(supervision.on_event)
    return supervision


__all__ = [
    "MODES",
    "SNOOP_DIRECTIONS",
    "DatabaseSupervisionStore",
    "Monitoring",
    "Supervision",
    "SupervisionStore",
    "attach_supervision",
]
