"""The ARI controller's agents: sessions held in bridges, calls delivered to them, their state.

An agent logs in by dialling ``*45`` (the dialplan sends that call into our Stasis application
with ``agent-login``): the controller asks for the agent number and PIN, then keeps the phone's
channel in a bridge of the agent's own for the whole shift. The agent joins their app_queue
queues as ``Local/<queue>.<login>@asterisk-cc-agent/n`` (state interface
``Stasis:agent-<login>``, a device state the controller sets from the agent's state, so
app_queue never rings a busy agent). When a queue rings that member, the Local channel enters
Stasis with ``queue-member,<queue>.<login>``; the controller answers it and adds it to the
agent's bridge: the caller hears the agent at once, with no ring delay.

Every decision about the agent's state is the pure state machine's
(:mod:`asterisk_cc.core.agents`); this module carries out its effects (state records, queue
membership through AMI, wrap-up timers) and translates ARI events into its events. State
records that cannot be written (database down) are kept and written again, in order, until
they are: no change is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from asterisk_cc.ari.recording import CallRecorder
from asterisk_cc.ari.rest import AriRequestFailed, AriRest, AriSnapshot, CallerId, NotFound
from asterisk_cc.core import agents as fsm
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.agents import AgentProfile

logger = logging.getLogger(__name__)

LOGIN_ARG = "agent-login"
SESSION_ARG = "agent-session"
MEMBER_ARG = "queue-member"
MEMBER_CONTEXT = "asterisk-cc-agent"
# Channel ids the dialer gives the customer calls it places (see asterisk_cc.dialer): a
# controller taking agents back after a restart must tell such a call from the agent's phone.
OUTBOUND_CHANNEL_PREFIX = "asterisk-cc-dial-"
LOGIN_TRIES = 3
DIGIT_TIMEOUT_S = 10.0
RETRY_RECORDS_S = 5.0

T = TypeVar("T")

# What app_queue should think of the agent (ringinuse=no: only NOT_INUSE members are rung).
AGENT_DEVICE_STATES: Mapping[AgentState, str] = {
    AgentState.LOGGED_OUT: "UNAVAILABLE",
    AgentState.READY: "NOT_INUSE",
    AgentState.RESERVED: "INUSE",
    AgentState.RINGING: "RINGING",
    AgentState.TALKING: "INUSE",
    AgentState.HOLD: "ONHOLD",
    AgentState.WRAP_UP: "INUSE",
    AgentState.PAUSED: "NOT_INUSE",
}


class AgentStore(Protocol):
    """The database side (blocking; called in worker threads)."""

    def profile(self, login: str) -> AgentProfile | None: ...

    def pin_ok(self, login: str, pin: str) -> bool: ...

    def record_state(
        self,
        agent_id: int,
        record: fsm.RecordState,
        linkedid: str | None,
    ) -> None: ...

    def last_states(self) -> dict[str, tuple[AgentState, str | None, datetime]]: ...

    def wrapup_limit_s(self, queue: str | None) -> int: ...

    def complete_call(
        self,
        *,
        linkedid: str,
        agent_id: int,
        queue: str | None,
        answered_at: datetime | None,
        ended_at: datetime,
        hold_s: int,
    ) -> None: ...

    def set_wrapup(self, *, linkedid: str, wrapup_s: int) -> None: ...

    def set_disposition(
        self,
        *,
        linkedid: str,
        agent_id: int,
        disposition: str,
        callback_at: datetime | None = None,
        callback_for_anyone: bool = False,
    ) -> None: ...

    def screen_pop(self, linkedid: str) -> dict[str, Any]: ...


class QueueMembers(Protocol):
    """app_queue membership (AMI; blocking)."""

    def add(
        self, queue: str, interface: str, member_name: str, penalty: int, state: str
    ) -> None: ...

    def remove(self, queue: str, interface: str) -> None: ...

    def pause(self, queue: str, interface: str, paused: bool, reason: str) -> None: ...


def _status_as_recorded(
    login: str,
    state: AgentState,
    reason: str | None,
    since: datetime,
    profile: AgentProfile,
    call_leg: str | None,
) -> fsm.AgentStatus:
    """The agent's status as the newest state record left it, to take the agent back after a
    controller restart. A call that is no longer in the agent's bridge gets a placeholder id:
    ending it then records what really happened (the agent is free again)."""
    queues = tuple(profile.queues)
    if state in (AgentState.READY, AgentState.PAUSED):
        paused = reason if state == AgentState.PAUSED else None
        return fsm.AgentStatus(login, state, since, paused, queues=queues, membership_paused=paused)
    if state in (AgentState.TALKING, AgentState.HOLD) and call_leg is not None:
        return fsm.AgentStatus(login, state, since, call_id=call_leg, queues=queues)
    lost = f"gone-{login}"
    if state == AgentState.WRAP_UP:
        return fsm.AgentStatus(
            login,
            state,
            since,
            call_id=lost,
            wrapup_until=since,
            queues=queues,
            membership_paused=fsm.WRAP_UP_PAUSE,
        )
    reserved = fsm.RESERVED_PAUSE if state == AgentState.RESERVED else None
    return fsm.AgentStatus(
        login, state, since, call_id=lost, queues=queues, membership_paused=reserved
    )


def member_interface(queue: str, login: str) -> str:
    return f"Local/{queue}.{login}@{MEMBER_CONTEXT}/n"


def state_interface(login: str) -> str:
    return f"Stasis:agent-{login}"


@dataclass
class CallLeg:
    """The agent's current call: the channel in the agent's bridge (the Local member half)."""

    channel_id: str
    linkedid: str
    queue: str | None
    offered_at: datetime
    answered_at: datetime | None = None
    hold_since: datetime | None = None
    hold_s: float = 0.0
    # The recording of the call, while it runs (its file's reference; see recording.py).
    recording: str | None = None


@dataclass
class AgentSession:
    profile: AgentProfile
    status: fsm.AgentStatus
    phone_channel: str | None = None
    bridge_id: str | None = None
    call: CallLeg | None = None
    last_linkedid: str | None = None

    @property
    def login(self) -> str:
        return self.profile.login


Publish = Callable[[dict[str, Any]], None]
Observer = Callable[[dict[str, Any]], Awaitable[None]]
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _no_publish(_message: dict[str, Any]) -> None:
    return None


class NoAgentFree(ValueError):
    """None of the agents an outbound call may go to is free now."""


@dataclass
class ControllerStats:
    events: int = 0
    logins: int = 0
    calls_delivered: int = 0
    calls_refused: int = 0
    pending_records: int = 0
    link_up: bool = False
    errors: list[str] = field(default_factory=list)


class AgentController:
    """Keeps every logged-in agent's session; fed ARI events by the event link."""

    def __init__(
        self,
        rest: AriRest,
        store: AgentStore,
        members: QueueMembers,
        *,
        clock: Clock = _utc_now,
        publish: Publish = _no_publish,
        app: str = "asterisk-cc",
    ) -> None:
        self.app = app
        self.rest = rest
        self.store = store
        self.members = members
        self.clock = clock
        self.publish = publish
        self.sessions: dict[str, AgentSession] = {}
        self.stats = ControllerStats()
        self._digits: dict[str, asyncio.Queue[str]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unwritten: deque[tuple[int, fsm.RecordState, str | None]] = deque()
        self._lock = asyncio.Lock()
        self._flushing = asyncio.Lock()
        self._adopted = False
        # Set up by the process that runs the controller: other parts that follow the same ARI
        # events (supervision.py), and the call recorder (recording.py; None: no recording).
        self.observers: list[Observer] = []
        self.recorder: CallRecorder | None = None

    # --- plumbing --------------------------------------------------------------------------

    async def _blocking(self, call: Callable[[], T]) -> T:
        return await asyncio.to_thread(call)

    def _spawn(self, work: Awaitable[Any], what: str) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                logger.exception("ARI controller: %s failed", what)
                self.stats.errors.append(what)

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _session_of_channel(self, channel_id: str) -> AgentSession | None:
        for session in self.sessions.values():
            if channel_id in (session.phone_channel, session.call and session.call.channel_id):
                return session
        return None

    # --- the state machine and its effects -------------------------------------------------

    async def _apply(self, session: AgentSession, event: fsm.AgentEvent) -> None:
        now = self.clock()
        before = session.status
        session.status, effects = fsm.apply(session.status, event, now)
        linkedid = session.call.linkedid if session.call else session.last_linkedid
        for effect in effects:
            if isinstance(effect, fsm.RecordState):
                self._unwritten.append((session.profile.id, effect, linkedid))
            elif isinstance(effect, fsm.JoinQueues):
                for queue, penalty in effect.queues:
                    await self._member(
                        lambda q=queue, p=penalty: self.members.add(
                            q,
                            member_interface(q, session.login),
                            session.login,
                            p,
                            state_interface(session.login),
                        )
                    )
            elif isinstance(effect, fsm.LeaveQueues):
                for queue, _ in effect.queues:
                    await self._member(
                        lambda q=queue: self.members.remove(q, member_interface(q, session.login))
                    )
            elif isinstance(effect, fsm.PauseMembership | fsm.UnpauseMembership):
                paused = isinstance(effect, fsm.PauseMembership)
                reason = effect.reason if isinstance(effect, fsm.PauseMembership) else ""
                for queue, _ in session.status.queues or before.queues:
                    await self._member(
                        lambda q=queue, p=paused, r=reason: self.members.pause(
                            q, member_interface(q, session.login), p, r
                        )
                    )
            elif isinstance(effect, fsm.StartWrapUpTimer):
                self._start_timer(session, effect.until)
        await self._set_device_state(session)
        await self.flush_records()
        if before.state == AgentState.WRAP_UP and session.status.state != AgentState.WRAP_UP:
            self._store_wrapup(session, (now - before.since).total_seconds())
        if session.status.state != before.state or session.status.reason != before.reason:
            self.publish(
                {
                    "type": "agent_state",
                    "agent": session.login,
                    "state": session.status.state.value,
                    "reason": session.status.reason,
                    "since": session.status.since.isoformat(),
                }
            )

    def _store_wrapup(self, session: AgentSession, seconds: float) -> None:
        """The after-call work of the call just finished goes into its interaction."""
        linkedid = session.last_linkedid
        if linkedid is None:
            return
        self._spawn(
            self._blocking(lambda: self.store.set_wrapup(linkedid=linkedid, wrapup_s=int(seconds))),
            f"wrap-up time of call {linkedid}",
        )

    async def _member(self, action: Callable[[], None]) -> None:
        try:
            await self._blocking(action)
        except Exception as exc:
            logger.error("AMI queue membership change failed: %s", exc)
            self.stats.errors.append(f"AMI: {exc}")

    async def _set_device_state(self, session: AgentSession) -> None:
        state = AGENT_DEVICE_STATES[session.status.state]
        try:
            await self.rest.set_device_state(state_interface(session.login), state)
        except AriRequestFailed as exc:
            logger.error("device state of agent %s not set: %s", session.login, exc)

    def _start_timer(self, session: AgentSession, until: datetime) -> None:
        delay = max(0.0, (until - self.clock()).total_seconds())

        async def expire() -> None:
            await asyncio.sleep(delay)
            async with self._lock:
                if self.sessions.get(session.login) is session:
                    await self._apply(session, fsm.WrapUpExpired(until))

        self._spawn(expire(), f"wrap-up timer of agent {session.login}")

    async def flush_records(self) -> None:
        """Write the state records not written yet, oldest first; stop at the first failure
        (the database is down) and keep the rest for the next try. One flush at a time: the
        retry loop and a state change may both flush, and two flushes would write the same
        first record twice and drop the next."""
        async with self._flushing:
            while self._unwritten:
                agent_id, record, linkedid = self._unwritten[0]
                try:
                    await self._blocking(
                        lambda a=agent_id, r=record, li=linkedid: self.store.record_state(a, r, li)
                    )
                except Exception as exc:
                    self.stats.pending_records = len(self._unwritten)
                    logger.error(
                        "%d agent state record(s) wait for the database: %s",
                        len(self._unwritten),
                        exc,
                    )
                    return
                self._unwritten.popleft()
            self.stats.pending_records = 0

    async def retry_records_forever(self) -> None:
        while True:
            await asyncio.sleep(RETRY_RECORDS_S)
            if self._unwritten:
                await self.flush_records()

    # --- ARI events ------------------------------------------------------------------------

    async def on_event(self, event: dict[str, Any]) -> None:
        self.stats.events += 1
        for observer in self.observers:  # e.g. supervisors' monitoring sessions
            await observer(event)
        kind = event.get("type")
        channel = event.get("channel") or {}
        channel_id = channel.get("id", "")
        if kind == "StasisStart":
            args = list(event.get("args") or [])
            if args[:1] == [LOGIN_ARG]:
                self._spawn(self._phone_login(channel_id), f"log-in on {channel_id}")
            elif args[:1] == [MEMBER_ARG] and len(args) > 1:
                async with self._lock:
                    await self._offer(channel_id, args[1])
            elif args[:1] == [SESSION_ARG] and len(args) > 1:
                self._spawn(self._called_in(channel_id, args[1]), f"session of agent {args[1]}")
        elif kind == "ChannelDtmfReceived":
            queue = self._digits.get(channel_id)
            if queue is not None:
                queue.put_nowait(str(event.get("digit", "")))
        elif kind in ("StasisEnd", "ChannelDestroyed", "ChannelLeftBridge"):
            async with self._lock:
                await self._channel_gone(channel_id, kind)

    async def on_link(self, up: bool) -> None:
        """The event link came up (after a start or an Asterisk restart) or went down."""
        if not up:
            self.stats.link_up = False
            self.publish({"type": "link", "up": False})
            return
        # "Up" only once the sessions match Asterisk again: until then the agents' states may
        # be those of before a restart (the dialer, for one, must not dial on them).
        try:
            async with self._lock:
                await self.resync()
        finally:
            self.stats.link_up = True
            self.publish({"type": "link", "up": True})

    async def resync(self) -> None:
        """Compare what we hold with what Asterisk has now: an agent whose phone channel is
        gone is logged out (once); a call that is gone has ended; a lost bridge is rebuilt.
        The first time (the controller has just started), agents the database shows logged in
        are taken back from their bridges, or logged out if their session is gone."""
        snapshot = await self.rest.snapshot()
        if not self._adopted:
            self._adopted = True
            await self._adopt(snapshot)
        for session in list(self.sessions.values()):
            if session.phone_channel not in snapshot.channels:
                await self._log_out(session, "asterisk_restart")
                continue
            if session.call and session.call.channel_id not in snapshot.channels:
                await self._end_call(session)
            if session.bridge_id not in snapshot.bridges and session.phone_channel:
                bridge = await self.rest.create_bridge(name=f"agent-{session.login}")
                session.bridge_id = bridge.id
                await self.rest.add_channel(bridge.id, session.phone_channel)

    async def _adopt(self, snapshot: AriSnapshot) -> None:
        """After a controller restart: the agents' channels stayed in their bridges in
        Asterisk (channels and bridges outlive the event link). Each agent the database shows
        logged in gets their session back as it was — waiting, paused, or on a call — with no
        new state record; one whose bridge is gone is logged out, once."""
        last = await self._blocking(self.store.last_states)
        bridges = {b.name: b for b in snapshot.bridges.values()}
        for login, (state, reason, since) in sorted(last.items()):
            if state == AgentState.LOGGED_OUT or login in self.sessions:
                continue
            profile = await self._blocking(lambda lg=login: self.store.profile(lg))
            if profile is None:
                continue
            bridge = bridges.get(f"agent-{login}")
            phone, call_leg = None, None
            for channel_id in bridge.channels if bridge else ():
                channel = snapshot.channels.get(channel_id)
                if channel is not None and (
                    channel.id.startswith(OUTBOUND_CHANNEL_PREFIX)
                    or (
                        channel.name.startswith("Local/")
                        and channel.name.split("@", 1)[0].endswith(f".{login}")
                    )
                ):
                    call_leg = channel_id
                else:
                    phone = channel_id
            status = _status_as_recorded(login, state, reason, since, profile, call_leg)
            session = AgentSession(profile, status, phone, bridge.id if bridge else None)
            self.sessions[login] = session
            if phone is None or bridge is None:
                await self._log_out(session, "controller_restart")
                continue
            if status.call_id == call_leg and call_leg is not None:
                linkedid = await self.rest.get_variable(call_leg, "CHANNEL(linkedid)")
                session.call = CallLeg(
                    call_leg, linkedid or call_leg, None, offered_at=since, answered_at=since
                )
                session.last_linkedid = session.call.linkedid
            elif state == AgentState.WRAP_UP:
                await self._apply(session, fsm.WrapUpExpired(since))
            elif status.call_id is not None:
                # Offered, reserved or on a call that is gone: that call is over.
                await self._apply(session, fsm.CallEnded(status.call_id, None, 0))
            await self._set_device_state(session)
            logger.info("agent %s taken back after a restart (%s)", login, session.status.state)

    # --- log-in by phone -------------------------------------------------------------------

    async def _ask(self, channel_id: str, sound: str, *, max_digits: int = 16) -> str | None:
        """Play ``sound`` and collect digits up to '#'; None if the caller hung up or stayed
        silent."""
        queue = self._digits.setdefault(channel_id, asyncio.Queue())
        while not queue.empty():
            queue.get_nowait()
        await self.rest.play(channel_id, f"sound:{sound}")
        digits = ""
        while len(digits) < max_digits:
            try:
                digit = await asyncio.wait_for(queue.get(), DIGIT_TIMEOUT_S)
            except TimeoutError:
                return None
            if digit == "#":
                return digits
            digits += digit
        return digits

    async def _phone_login(self, channel_id: str) -> None:
        try:
            for _ in range(LOGIN_TRIES):
                login = await self._ask(channel_id, "agent-user")
                if login is None:
                    break
                pin = await self._ask(channel_id, "agent-pass")
                if pin is None:
                    break
                profile = await self._blocking(lambda lg=login: self.store.profile(lg))
                ok = profile is not None and await self._blocking(
                    lambda lg=login, p=pin: self.store.pin_ok(lg, p)
                )
                if profile is not None and ok:
                    await self.rest.play(channel_id, "sound:agent-loginok")
                    async with self._lock:
                        await self.log_in(profile, channel_id)
                    return
                logger.warning("agent log-in refused on %s (agent number %r)", channel_id, login)
                await self.rest.play(channel_id, "sound:agent-incorrect")
            await self.rest.hangup(channel_id)
        except NotFound:
            logger.info("the agent hung up during log-in on %s", channel_id)
        finally:
            self._digits.pop(channel_id, None)

    async def call_in(self, login: str, endpoint: str, *, timeout_s: int = 30) -> None:
        """Log-in from the dashboard: call the agent's phone (``PJSIP/1001``); when the agent
        answers, that call becomes the agent's session, as a ``*45`` call does."""
        profile = await self._blocking(lambda: self.store.profile(login))
        if profile is None:
            raise fsm.AgentError(f"no active agent {login!r}")
        await self.rest.originate(
            endpoint,
            app=self.app,
            app_args=(SESSION_ARG, login),
            caller_id=CallerId("", "asterisk-cc"),
            timeout_s=timeout_s,
        )

    async def _called_in(self, channel_id: str, login: str) -> None:
        profile = await self._blocking(lambda: self.store.profile(login))
        if profile is None:
            await self.rest.hangup(channel_id)
            return
        await self.rest.play(channel_id, "sound:agent-loginok")
        async with self._lock:
            await self.log_in(profile, channel_id)

    async def log_in(self, profile: AgentProfile, phone_channel: str) -> AgentSession:
        """Put ``phone_channel`` into the agent's bridge and the agent into their queues."""
        existing = self.sessions.get(profile.login)
        if existing is not None:
            # Logged in again from another phone: the old session ends first.
            await self._log_out(existing, "new_login")
        bridge = await self.rest.create_bridge(name=f"agent-{profile.login}")
        await self.rest.add_channel(bridge.id, phone_channel)
        session = AgentSession(
            profile, fsm.logged_out(profile.login, self.clock()), phone_channel, bridge.id
        )
        self.sessions[profile.login] = session
        self.stats.logins += 1
        await self._apply(session, fsm.LogIn(tuple(profile.queues)))
        logger.info("agent %s logged in on %s (bridge %s)", profile.login, phone_channel, bridge.id)
        return session

    # --- calls -----------------------------------------------------------------------------

    async def _offer(self, channel_id: str, member: str) -> None:
        queue, _, login = member.rpartition(".")
        session = self.sessions.get(login)
        if session is None or not session.status.available or session.bridge_id is None:
            self.stats.calls_refused += 1
            await self.rest.hangup(channel_id, reason="busy")
            return
        linkedid = await self.rest.get_variable(channel_id, "CHANNEL(linkedid)") or channel_id
        await self._deliver(session, channel_id, linkedid, queue or None, answer=True)

    async def connect_outbound(
        self, channel_id: str, agents: Sequence[str], *, linkedid: str, queue: str | None
    ) -> str:
        """Put the answered customer call ``channel_id`` (placed by the dialer) into the
        bridge of the free agent of ``agents`` who has waited longest; → that agent's login.
        :class:`NoAgentFree` when none is free (the dialer tries again until its 2 seconds are
        up). ``queue`` names the queue whose wrap-up time and recording policy apply."""
        async with self._lock:
            free = [
                session
                for login in agents
                if (session := self.sessions.get(login)) is not None
                and session.status.available
                and session.bridge_id is not None
            ]
            if not free:
                raise NoAgentFree(f"no agent of {len(agents)} is free for call {linkedid}")
            session = min(free, key=lambda s: s.status.since)
            if not await self._deliver(session, channel_id, linkedid, queue, answer=False):
                raise NoAgentFree(f"call {linkedid} could not reach agent {session.login}")
            return session.login

    async def _deliver(
        self,
        session: AgentSession,
        channel_id: str,
        linkedid: str,
        queue: str | None,
        *,
        answer: bool,
    ) -> bool:
        """Connect the call to the waiting agent: answer it if asked, add it to the agent's
        bridge, pop the screen and start the recording. → False if the call could not be
        connected (it is gone); the agent is then free again."""
        now = self.clock()
        session.call = CallLeg(channel_id, linkedid, queue, offered_at=now)
        session.last_linkedid = linkedid
        await self._apply(session, fsm.Offer(channel_id, queue or "unknown"))
        try:
            if answer:
                await self.rest.answer(channel_id)
            await self.rest.add_channel(session.bridge_id or "", channel_id)
        except AriRequestFailed as exc:
            logger.warning("call %s could not reach agent %s: %s", linkedid, session.login, exc)
            # An outbound call that missed its agent stays up: the dialer decides its fate.
            await self._end_call(session, hang_up=answer)
            return False
        session.call.answered_at = self.clock()
        self.stats.calls_delivered += 1
        await self._apply(session, fsm.Answer(channel_id))
        self._spawn(self._screen_pop(session.login, linkedid), f"screen pop of {linkedid}")
        # Recording by the queue's policy, in a task so that delivery is not delayed.
        if self.recorder is not None and session.call is not None:
            self._spawn(self._record(session, session.call), f"recording of call {linkedid}")
        return True

    async def _record(
        self, session: AgentSession, call: CallLeg, *, on_demand: bool = False
    ) -> str | None:
        """Start recording the agent's bridge for ``call`` if the queue's policy allows it (see
        CallRecorder.start); under the lock, so a call that has ended meanwhile is not
        recorded. → the recording's reference, or None."""
        async with self._lock:
            if (
                self.recorder is not None
                and call.recording is None
                and session.call is call
                and session.bridge_id is not None
            ):
                call.recording = await self.recorder.start(
                    linkedid=call.linkedid,
                    queue=call.queue,
                    bridge_id=session.bridge_id,
                    answered_at=call.answered_at,
                    on_demand=on_demand,
                )
            return call.recording if session.call is call else None

    async def _screen_pop(self, login: str, linkedid: str) -> None:
        data = await self._blocking(lambda: self.store.screen_pop(linkedid))
        self.publish({"type": "screen_pop", "agent": login, "linkedid": linkedid, **data})

    async def _channel_gone(self, channel_id: str, why: str) -> None:
        session = self._session_of_channel(channel_id)
        if session is None:
            return
        if session.call is not None and channel_id == session.call.channel_id:
            await self._end_call(session)
        elif channel_id == session.phone_channel and why != "ChannelLeftBridge":
            await self._log_out(session, "hangup")

    async def _end_call(self, session: AgentSession, *, hang_up: bool = True) -> None:
        """The agent's part of the call is over: the interaction gets its times, the agent
        goes to wrap-up (or on), and the caller's leg is hung up unless it went elsewhere."""
        call = session.call
        if call is None:
            return
        session.call = None
        now = self.clock()
        if call.hold_since is not None:
            call.hold_s += (now - call.hold_since).total_seconds()
        limit = 0
        if call.answered_at is not None:
            limit = await self._blocking(lambda: self.store.wrapup_limit_s(call.queue))
            try:
                await self._blocking(
                    lambda: self.store.complete_call(
                        linkedid=call.linkedid,
                        agent_id=session.profile.id,
                        queue=call.queue,
                        answered_at=call.answered_at,
                        ended_at=now,
                        hold_s=round(call.hold_s),
                    )
                )
            except Exception as exc:
                logger.error("the interaction of call %s was not updated: %s", call.linkedid, exc)
        # The recording ends with the agent's part of the call (the bridge stays).
        if call.recording is not None and self.recorder is not None:
            self._spawn(
                self.recorder.stop(call.linkedid, call.recording),
                f"end of recording {call.recording}",
            )
        await self._apply(session, fsm.CallEnded(call.channel_id, call.queue, limit))
        if hang_up:
            await self.rest.hangup(call.channel_id)
        self.publish({"type": "call_ended", "agent": session.login, "linkedid": call.linkedid})

    async def _log_out(self, session: AgentSession, reason: str) -> None:
        if self.sessions.get(session.login) is session:
            del self.sessions[session.login]
        if session.call is not None:
            await self._end_call(session)
        await self._apply(session, fsm.LogOut(reason))
        if session.bridge_id:
            await self.rest.destroy_bridge(session.bridge_id)
        if session.phone_channel:
            await self.rest.hangup(session.phone_channel)
        logger.info("agent %s logged out (%s)", session.login, reason)

    # --- what agents (and the dashboard) can do ---------------------------------------------

    def _session(self, login: str) -> AgentSession:
        session = self.sessions.get(login)
        if session is None:
            raise fsm.AgentError(f"agent {login} is not logged in")
        return session

    async def pause(self, login: str, reason: str) -> None:
        async with self._lock:
            await self._apply(self._session(login), fsm.Pause(fsm.check_reason(reason)))

    async def unpause(self, login: str) -> None:
        async with self._lock:
            await self._apply(self._session(login), fsm.Unpause())

    async def ready(self, login: str) -> None:
        async with self._lock:
            await self._apply(self._session(login), fsm.Ready())

    async def log_out(self, login: str, reason: str = "agent") -> None:
        async with self._lock:
            await self._log_out(self._session(login), reason)

    async def hang_up(self, login: str) -> None:
        async with self._lock:
            session = self._session(login)
            if session.call is not None:
                await self._end_call(session)

    async def hold(self, login: str) -> None:
        async with self._lock:
            session = self._session(login)
            call = session.call
            if call is None:
                raise fsm.AgentError(f"agent {login} has no call to hold")
            await self._apply(session, fsm.Hold(call.channel_id))
            await self.rest.start_moh(call.channel_id)
            call.hold_since = self.clock()

    async def unhold(self, login: str) -> None:
        async with self._lock:
            session = self._session(login)
            call = session.call
            if call is None or call.hold_since is None:
                raise fsm.AgentError(f"agent {login} has no call on hold")
            await self.rest.stop_moh(call.channel_id)
            call.hold_s += (self.clock() - call.hold_since).total_seconds()
            call.hold_since = None
            await self._apply(session, fsm.Unhold(call.channel_id))

    async def transfer(self, login: str, *, context: str, extension: str) -> None:
        """Blind transfer: the caller's leg leaves the agent's bridge for ``extension@context``
        (e.g. another queue: ``asterisk-cc-queue``), and the agent's part of the call ends."""
        async with self._lock:
            session = self._session(login)
            call = session.call
            if call is None:
                raise fsm.AgentError(f"agent {login} has no call to transfer")
            await self.rest.remove_channel(session.bridge_id or "", call.channel_id)
            await self.rest.continue_in_dialplan(call.channel_id, context, extension, 1)
            await self._end_call(session, hang_up=False)

    async def record(self, login: str) -> str:
        """Record the agent's current call from now on (on demand, for the agent or a
        supervisor); → the recording's reference (the same if it is already recorded).
        PermissionError where the queue's policy is ``none``."""
        session = self._session(login)
        call = session.call
        if call is None or call.answered_at is None:
            raise fsm.AgentError(f"agent {login} has no call to record")
        if self.recorder is None:
            raise fsm.AgentError("call recording is not set up in this controller")
        ref = await self._record(session, call, on_demand=True)
        if ref is None:
            raise fsm.AgentError(f"the call of agent {login} has ended")
        return ref

    async def set_disposition(
        self,
        login: str,
        disposition: str,
        *,
        callback_at: datetime | None = None,
        callback_for_anyone: bool = False,
    ) -> None:
        """The agent's disposition of their current or last call; ``callback`` schedules a
        new call at ``callback_at`` (for this agent unless ``callback_for_anyone``)."""
        session = self._session(login)
        linkedid = session.call.linkedid if session.call else session.last_linkedid
        if linkedid is None:
            raise fsm.AgentError(f"agent {login} has had no call to set a disposition for")
        await self._blocking(
            lambda: self.store.set_disposition(
                linkedid=linkedid,
                agent_id=session.profile.id,
                disposition=disposition,
                callback_at=callback_at,
                callback_for_anyone=callback_for_anyone,
            )
        )

    def snapshot(self) -> dict[str, Any]:
        """The controller's view, for the status endpoint and the wallboard."""
        return {
            "link_up": self.stats.link_up,
            "events": self.stats.events,
            "pending_records": len(self._unwritten),
            "agents": {
                login: {
                    "state": s.status.state.value,
                    "reason": s.status.reason,
                    "since": s.status.since.isoformat(),
                    "call": s.call.linkedid if s.call else None,
                    "queues": [q for q, _ in s.status.queues],
                }
                for login, s in sorted(self.sessions.items())
            },
        }
