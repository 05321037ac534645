"""Runs an IVR flow on one AGI channel: carries out the engine's actions with AGI commands and
the database, feeds back what happened, and records the trip.

The engine (:mod:`asterisk_cc.core.ivr.engine`) decides; this module only translates. Database
work runs in worker threads with a deadline, so a slow or stopped database costs a caller at
most ``lookup_timeout_s`` and then takes the flow's error path (or the failover), never silence.
Caller-controlled text (caller ID, keys) only ever travels as quoted AGI arguments and bound
SQL parameters.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from asterisk_cc.agi.server import AgiHangup, AgiSession
from asterisk_cc.core.ivr import actions as a
from asterisk_cc.core.ivr.engine import CallInfo, IvrEngine
from asterisk_cc.core.ivr.flow import Flow
from asterisk_cc.core.phone import InvalidPhoneNumber, is_withheld, normalize_e164
from asterisk_cc.db.ivr_sessions import IvrTrip, IvrTripStep

logger = logging.getLogger(__name__)

ALL_KEYS = "0123456789*#"
SAMPLES_PER_SECOND = 8000  # RECORD FILE's endpos counts 8 kHz samples
QUEUE_CONTEXT = "asterisk-cc-queue"
VOICEMAIL_CONTEXT = "asterisk-cc-voicemail"

T = TypeVar("T")


class IvrBackend(Protocol):
    """What the IVR reads and writes outside the call (the CRM and the project's tables).
    Methods are blocking; the runner calls them in worker threads with a deadline."""

    def find_customer(self, by: str, value: str) -> Mapping[str, str] | None: ...

    def latest_ticket(self, customer_id: str) -> Mapping[str, str] | None: ...

    def request_callback(
        self, *, phone_e164: str, customer_id: str, queue: str, linkedid: str, at: datetime
    ) -> str: ...

    def open_complaint(
        self,
        *,
        category: str,
        recording_ref: str,
        customer_id: str,
        caller_e164: str,
        linkedid: str,
        at: datetime,
    ) -> str: ...

    def save_survey(
        self,
        *,
        linkedid: str,
        question: str,
        score: int,
        agent_login: str,
        queue: str,
        at: datetime,
    ) -> str: ...

    def open_interaction(
        self,
        *,
        uniqueid: str,
        linkedid: str,
        caller_number: str,
        caller_e164: str,
        customer_id: str,
        tier: str,
        queue: str,
        at: datetime,
    ) -> str: ...

    def record_trip(self, trip: IvrTrip) -> None: ...


@dataclass
class IvrStats:
    """Counters of what went wrong, for the log and the health check."""

    calls: int = 0
    failovers: int = 0
    backend_failures: int = 0
    hangups: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IvrOptions:
    default_region: str = "CN"
    lookup_timeout_s: float = 2.0
    # A write that has started may still succeed after a deadline: writes get a longer one,
    # so a caller is not told "failed" for a callback or complaint that was in fact stored.
    write_timeout_s: float = 10.0
    recordings_dir: str = "/var/spool/asterisk/asterisk-cc"
    failover_context: str = "asterisk-cc-failover"


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IvrRunner:
    """Runs flows for the FastAGI server (one runner, many concurrent calls)."""

    def __init__(
        self,
        backend: IvrBackend,
        options: IvrOptions,
        *,
        clock: Clock = _utc_now,
        workers: int = 32,
    ) -> None:
        self.backend = backend
        self.options = options
        self.clock = clock
        self.stats = IvrStats()
        # The default executor has only a few threads on a small machine: a burst of calls
        # must not queue their CRM lookups behind each other.
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ivr-db")
        self._recording: set[asyncio.Task[None]] = set()

    def close(self) -> None:
        """Drop queued database work and wait for what is running (each call is bounded by
        the database's own timeouts), so no connection is left half-used."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    async def _backend(self, call: Callable[[], T], *, write: bool = False) -> T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, call)
        deadline = self.options.write_timeout_s if write else self.options.lookup_timeout_s
        return await asyncio.wait_for(future, deadline)

    async def drain(self) -> None:
        """Wait for the IVR sessions still being written (at shutdown, or before a classic
        AGI process exits)."""
        while self._recording:
            await asyncio.gather(*self._recording, return_exceptions=True)

    async def run(self, session: AgiSession, flow: Flow) -> None:
        """The whole IVR part of one call; returns when the caller has left the IVR."""
        self.stats.calls += 1
        started = self.clock()
        caller_number = session.env.get("agi_callerid", "")
        caller_e164 = self._e164(caller_number)
        engine = IvrEngine(flow, CallInfo(caller_number, caller_e164, uniqueid=session.uniqueid))
        call = _Call(session, engine, caller_number, caller_e164)
        try:
            call.linkedid = await session.get_variable("CHANNEL(linkedid)") or session.uniqueid
            action = engine.start(self.clock())
            while not engine.finished:
                try:
                    event = await self._carry_out(call, action)
                except AgiHangup:
                    event = a.HungUp()
                action = engine.feed(event, self.clock())
            await self._leave(call, action)
        except AgiHangup:
            engine.outcome = engine.outcome or "abandoned"
        except Exception as exc:
            engine.outcome = "failed"
            engine.failure = f"{type(exc).__name__}: {exc}"
            self.stats.failovers += 1
            raise  # the server sends the caller to the failover
        finally:
            # The caller is on their way (the AGI ends when this returns): the trip is
            # written meanwhile, not while they wait in silence.
            task = asyncio.create_task(self._record(call, started, self.clock()))
            self._recording.add(task)
            task.add_done_callback(self._recording.discard)

    # --- actions ---------------------------------------------------------------------------

    async def _carry_out(self, call: _Call, action: a.Action) -> a.Event:
        session = call.session
        if isinstance(action, a.Play):
            return a.PlayDone(await self._play(session, action.sounds, action.interrupt))
        if isinstance(action, a.ReadDigits):
            return await self._read_digits(session, action)
        if isinstance(action, a.SetLanguage):
            await session.set_variable("CHANNEL(language)", action.language)
            return a.Done()
        if isinstance(action, a.RecordMessage):
            return await self._record_message(call, action)
        return await self._database(call, action)

    async def _play(self, session: AgiSession, sounds: tuple[str, ...], keys: str) -> str | None:
        for sound in sounds:
            digit = await session.stream_file(sound, keys)
            if digit:
                return digit
        return None

    async def _read_digits(self, session: AgiSession, action: a.ReadDigits) -> a.DigitsRead:
        digits = ""
        first = await self._play(session, action.sounds, ALL_KEYS if action.barge_in else "")
        if first:
            if first == action.terminator:
                return a.DigitsRead("")
            digits = first
        while len(digits) < action.max_digits:
            timeout = action.inter_digit_timeout_ms if digits else action.first_timeout_ms
            key = await session.wait_for_digit(timeout)
            if key is None:
                return a.DigitsRead(digits, timed_out=True)
            if key == action.terminator:
                break
            digits += key
        return a.DigitsRead(digits)

    async def _record_message(self, call: _Call, action: a.RecordMessage) -> a.Event:
        path = f"{self.options.recordings_dir.rstrip('/')}/{call.session.uniqueid}-complaint"
        reply = await call.session.command(
            "RECORD",
            "FILE",
            path,
            "wav",
            "#",
            str(action.max_s * 1000),
            "BEEP",
            f"s={action.silence_s}",
        )
        logger.debug("RECORD FILE %s for call %s: %s", path, call.session.uniqueid, reply.text)
        if reply.result_int == -1:
            if reply.data == "hangup" or call.session.hung_up:
                raise AgiHangup("the caller hung up while recording")
            self.stats.backend_failures += 1
            logger.error("recording %s failed: %s", path, reply.data)
            return a.Failed(f"recording failed ({reply.data})")
        return a.Recorded(f"{path}.wav", (reply.endpos or 0) / SAMPLES_PER_SECOND)

    async def _database(self, call: _Call, action: a.Action) -> a.Event:
        backend, now = self.backend, self.clock()
        work: Callable[[], Any]
        if isinstance(action, a.LookupCustomer):
            work = lambda: backend.find_customer(action.by, action.value)  # noqa: E731
        elif isinstance(action, a.LookupTicket):
            work = lambda: backend.latest_ticket(action.customer_id)  # noqa: E731
        elif isinstance(action, a.SaveCallback):
            phone = self._e164(action.phone)
            if not phone:
                return a.Failed(f"{action.phone!r} is not a number to call back")
            work = lambda: backend.request_callback(  # noqa: E731
                phone_e164=phone,
                customer_id=action.customer_id,
                queue=action.queue,
                linkedid=call.linkedid,
                at=now,
            )
        elif isinstance(action, a.OpenComplaint):
            work = lambda: backend.open_complaint(  # noqa: E731
                category=action.category,
                recording_ref=action.recording_ref,
                customer_id=action.customer_id,
                caller_e164=call.caller_e164,
                linkedid=call.linkedid,
                at=now,
            )
        elif isinstance(action, a.SaveSurvey):
            agent = await call.session.get_variable("MEMBERNAME") or ""
            queue = await call.session.get_variable("QUEUENAME") or ""
            work = lambda: backend.save_survey(  # noqa: E731
                linkedid=call.linkedid,
                question=action.question,
                score=action.score,
                agent_login=agent,
                queue=queue,
                at=now,
            )
        else:
            raise TypeError(f"no way to carry out {action!r}")
        try:
            result = await self._backend(
                work, write=not isinstance(action, a.LookupCustomer | a.LookupTicket)
            )
        except Exception as exc:
            self.stats.backend_failures += 1
            reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}"
            logger.error(
                "IVR %s for call %s failed (%s; %d backend failures so far): %s",
                type(action).__name__,
                call.session.uniqueid,
                reason,
                self.stats.backend_failures,
                exc,
            )
            return a.Failed(reason)
        if isinstance(action, a.LookupCustomer | a.LookupTicket):
            return a.Found(result) if result else a.NotFound()
        return a.Saved(str(result))

    # --- leaving the IVR -------------------------------------------------------------------

    async def _leave(self, call: _Call, action: a.Action) -> None:
        session = call.session
        if isinstance(action, a.RouteToQueue):
            interaction = await self._open_interaction(call, action)
            variables = {
                **action.variables,
                "ASTERISK_CC_INTERACTION_ID": interaction,
                "QUEUE_PRIO": str(action.priority),
                "ASTERISK_CC_QUEUE_TIMEOUT": str(action.timeout_s or ""),
            }
            for name, value in variables.items():
                await session.set_variable(name, value)
            await session.goto(QUEUE_CONTEXT, action.queue, "1")
        elif isinstance(action, a.Transfer):
            await session.goto(action.context, action.extension, "1")
        elif isinstance(action, a.Voicemail):
            await session.set_variable("ASTERISK_CC_MAILBOX", action.mailbox)
            await session.goto(VOICEMAIL_CONTEXT, "s", "1")
        elif isinstance(action, a.Failover):
            self.stats.failovers += 1
            logger.error(
                "IVR call %s goes to the failover (%d so far): %s",
                session.uniqueid,
                self.stats.failovers,
                action.reason,
            )
            await session.goto(self.options.failover_context, "s", "1")
        # HangUp: the dialplan hangs up when the AGI ends well.

    async def _open_interaction(self, call: _Call, action: a.RouteToQueue) -> str:
        """The call's interaction record, for the agent's screen; a database that cannot be
        reached must not keep the caller from the queue, so a failure leaves it empty."""
        engine, now = call.engine, self.clock()
        try:
            return await self._backend(
                lambda: self.backend.open_interaction(
                    uniqueid=call.session.uniqueid,
                    linkedid=call.linkedid,
                    caller_number=call.caller_number,
                    caller_e164=call.caller_e164,
                    customer_id=engine.vars.get("customer.id", ""),
                    tier=action.variables.get("ASTERISK_CC_TIER", ""),
                    queue=action.queue,
                    at=now,
                ),
                write=True,
            )
        except Exception as exc:
            self.stats.backend_failures += 1
            logger.error("no interaction record for call %s: %s", call.session.uniqueid, exc)
            return ""

    async def _record(self, call: _Call, started: datetime, ended: datetime) -> None:
        engine = call.engine
        outcome = engine.outcome or "abandoned"
        self.stats.by_outcome[outcome] = self.stats.by_outcome.get(outcome, 0) + 1
        if outcome == "abandoned":
            self.stats.hangups += 1
        trip = IvrTrip(
            uniqueid=call.session.uniqueid,
            linkedid=call.linkedid or call.session.uniqueid,
            flow=engine.flow.name,
            caller_number=call.caller_number,
            started_at=started,
            ended_at=ended,
            outcome=outcome,
            steps=[
                IvrTripStep(node=s.node, at=s.at, input=s.input, result=s.result)
                for s in engine.steps
            ],
            inputs=dict(engine.inputs),
            language=engine.language,
            customer_ref=engine.vars.get("customer.id", ""),
        )
        begun = time.monotonic()
        try:
            await self._backend(lambda: self.backend.record_trip(trip), write=True)
        except Exception as exc:
            logger.error(
                "IVR session of call %s not recorded (%s): %s", trip.uniqueid, outcome, exc
            )
        logger.info(
            "ivr call uniqueid=%s linkedid=%s flow=%s outcome=%s path=%s record_ms=%d",
            trip.uniqueid,
            trip.linkedid,
            trip.flow,
            outcome,
            ">".join(engine.path),
            (time.monotonic() - begun) * 1000,
        )

    def _e164(self, number: str) -> str:
        if not number or is_withheld(number):
            return ""
        try:
            return normalize_e164(number, self.options.default_region)
        except InvalidPhoneNumber:
            return ""


@dataclass
class _Call:
    session: AgiSession
    engine: IvrEngine
    caller_number: str
    caller_e164: str
    linkedid: str = ""


FlowSource = Callable[[str], Flow | None]


def flow_handler(
    runner: IvrRunner, flows: FlowSource, name: str
) -> Callable[[AgiSession], Awaitable[None]]:
    """A FastAGI route that runs flow ``name`` (looked up at each call, so reloads apply)."""

    async def handle(session: AgiSession) -> None:
        flow = flows(name)
        if flow is None:
            raise LookupError(f"IVR flow {name!r} is not available (see the log of its loading)")
        await runner.run(session, flow)

    return handle
