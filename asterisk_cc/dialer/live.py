"""The live dialer: places a campaign's calls through ARI and hands the people who answer to
agents through the ARI controller.

Every tick (``[dialer] tick_ms``) and for each running campaign, the dialer reads the agents'
states from the controller, asks the pacing (:mod:`asterisk_cc.core.dialer.pacing`) how many
calls to place, takes that many due leads from the database (the compliance checks happen
there, at dial time) and originates them into its own Stasis application. A call that is
answered goes through AMD when the campaign uses it, then to the controller, which bridges it
to the free agent who has waited longest. When no agent is free within 2 seconds the person
hears the campaign's compliance message and the call counts as abandoned. When a call ends,
its attempt gets its outcome and the lead its next step (:mod:`asterisk_cc.dialer.store`).

Preview campaigns are not paced: the agent asks for a lead and then asks to dial it (the
dashboard writes that request into the database); the dialer places the call and gives the
answer to that agent only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from asterisk_cc.ari.control import ControllerRefused
from asterisk_cc.ari.rest import AriRequestFailed, CallerId, NotFound
from asterisk_cc.core.dialer import pacing
from asterisk_cc.core.dialer.abandons import AbandonTally
from asterisk_cc.core.dialer.outcome import CONNECT_GRACE_S, network_outcome
from asterisk_cc.core.vocabulary import AbandonDefinition, CallOutcome, DialMode
from asterisk_cc.dialer.store import AttemptResult, CampaignPlan, Dial, DialerStore, dial_kind
from asterisk_cc.errors import AsteriskCCError

logger = logging.getLogger(__name__)
T = TypeVar("T")

DIAL_ARG = "dial"
AMD_ARG = "amd"
AMD_CONTEXT = "asterisk-cc-dialer-amd"
CONNECT_RETRY_S = 0.1
# A compliance or machine message longer than this is cut short.
MESSAGE_LIMIT_S = 30.0
# A call ringing this long past its ring time is looked up in Asterisk (see sweep).
OVERDUE_GRACE_S = 15.0
# How often the campaigns, their agents and their abandon counts are read again.
REFRESH_S = 10.0
# Agent states as the pacing sees them (paused and logged-out agents are left out).
PACING_STATES: dict[str, pacing.AgentState] = {
    "ready": "ready",
    "reserved": "talking",
    "ringing": "talking",
    "talking": "talking",
    "hold": "talking",
    "wrap_up": "wrapup",
}


class Rest(Protocol):
    """What the dialer needs of ARI (:class:`asterisk_cc.ari.rest.AriRest`)."""

    async def originate(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: tuple[str, ...] = (),
        caller_id: CallerId | None = None,
        timeout_s: int = 30,
        channel_id: str | None = None,
    ) -> Any: ...

    async def hangup(self, channel_id: str, reason: str = "normal") -> bool: ...

    async def play(self, channel_id: str, media: str | list[str]) -> Any: ...

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int
    ) -> None: ...

    async def list_channels(self) -> Any: ...

    async def get_channel(self, channel_id: str) -> Any: ...


class Controller(Protocol):
    """What the dialer needs of the ARI controller (its HTTP endpoint)."""

    async def status(self) -> dict[str, Any]: ...

    async def connect_outbound(
        self, *, channel: str, agents: list[str], linkedid: str, queue: str | None
    ) -> str: ...


@dataclass
class OutboundCall:
    """One call the dialer has placed and not yet finished."""

    dial: Dial
    plan: CampaignPlan
    placed_mono: float
    answered_at: datetime | None = None
    answered_mono: float | None = None
    """When the 2 s grace started: the answer, or the AMD verdict (FTC/FCC campaigns)."""
    ring_s: float | None = None
    interaction_opened: asyncio.Future[None] | None = None
    """The interaction row being written (it must not hold up the 2 s to the agent)."""
    amd_status: str | None = None
    amd_cause: str | None = None
    agent: str | None = None
    connected_at: datetime | None = None
    abandoned: bool = False
    interaction_linkedid: str | None = None
    hangup_cause: int | None = None
    dial_status: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    message_played: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def waiting_for_agent(self) -> bool:
        return self.answered_at is not None and self.agent is None and not self.abandoned


@dataclass
class CampaignRun:
    """A running campaign as the dialer holds it between ticks."""

    plan: CampaignPlan
    stats: pacing.PacingStats
    tally: AbandonTally


@dataclass
class DialerCounters:
    placed: int = 0
    answered: int = 0
    connected: int = 0
    abandoned: int = 0
    machines: int = 0
    finished: int = 0
    errors: list[str] = field(default_factory=list)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _count(
    tally: AbandonTally, call: OutboundCall, outcome: CallOutcome, key: str, ring_s: float
) -> None:
    """The finished call in its campaign's abandon tally (as DialerStore.abandon_tally
    counts it from the database)."""
    if call.abandoned and call.amd_status is None:
        tally.drops.append((key, ring_s))
    elif call.abandoned:
        tally.known_abandons += 1
    elif outcome == CallOutcome.MACHINE:
        tally.machine_verdicts += 1
    elif call.connected_at is not None:
        tally.people_handled += 1


def _placed(decision: pacing.PacingDecision, placed: int) -> pacing.PacingDecision:
    """The decision as carried out: fewer calls when fewer leads could be called now (none
    due, outside their hours, on a DNC list). The pacing's calibration must learn from the
    calls really placed, or an empty list would look like a run of lucky calls."""
    if placed >= decision.calls:
        return decision
    share = placed / decision.calls
    return dataclasses.replace(
        decision,
        calls=placed,
        expected_abandons=decision.expected_abandons * share,
        expected_live_answers=decision.expected_live_answers * share,
    )


class Dialer:
    """One dialer process's calls. Fed ARI events by the event link (``on_event``)."""

    def __init__(
        self,
        rest: Rest,
        controller: Controller,
        store: DialerStore,
        *,
        app: str,
        dialer_id: str,
        dial_template: str,
        abandon_message: str,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.rest = rest
        self.controller = controller
        self.store = store
        self.app = app
        self.dialer_id = dialer_id
        self.dial_template = dial_template
        self.abandon_message = abandon_message
        self.clock = clock
        self.calls: dict[str, OutboundCall] = {}  # by channel id
        self.campaigns: dict[int, CampaignRun] = {}
        self.agents: dict[str, dict[str, Any]] = {}
        self.counters = DialerCounters()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refreshed_mono = -REFRESH_S
        self.link_up = False  # our own ARI event link: calls are placed only while it is up
        # Each agent's last outbound talk time (campaign id, seconds), until their wrap-up ends.
        self._talks: dict[str, tuple[int, float]] = {}

    # --- plumbing --------------------------------------------------------------------------

    async def _db(self, work: Callable[..., T], *args: Any) -> T:
        """Database work runs in a thread, off the event loop (ARI events keep flowing)."""
        return await asyncio.to_thread(work, *args)

    def _spawn(self, work: Awaitable[Any], what: str) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception as exc:
                logger.exception("dialer: %s failed", what)
                self.counters.errors.append(f"{what}: {exc}")

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def hang_up_unconnected(self, wait_s: float = 5.0) -> None:
        """Before a clean stop: calls not with an agent are hung up (a person answering once
        nobody follows the call would hear silence) and finished as their end events come
        in; calls with an agent go on, and the next start closes their attempts."""
        waiting = [call for call in self.calls.values() if call.agent is None]
        for call in waiting:
            with contextlib.suppress(AriRequestFailed):
                await self.rest.hangup(call.dial.channel_id)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                for call in waiting:
                    await call.done.wait()

    async def close(self, grace_s: float = 5.0) -> None:
        """Let running work (attempts being written) finish, then cancel what is left."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace_s)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- start-up --------------------------------------------------------------------------

    async def recover(self) -> int:
        """After a start: close the attempts this dialer's previous run left open. A call
        already talking to an agent goes on (the controller has it); any other call of ours
        still up is hung up, since nobody follows it now. Each attempt gets its outcome and
        its lead the next step (:meth:`DialerStore.recover`). → the attempts closed."""
        open_calls = await self._db(self.store.open_attempts, self.dialer_id)
        alive = {c.id for c in await self.rest.list_channels()}
        for channel_id, connected in open_calls:
            if channel_id in alive and not connected:
                await self.rest.hangup(channel_id)
        return await self._db(self.store.recover, self.dialer_id, self.clock())

    # --- pacing ----------------------------------------------------------------------------

    async def tick(self) -> None:
        """One round: refresh what changed, then place the calls each campaign needs."""
        now_mono = time.monotonic()
        if now_mono - self._refreshed_mono >= REFRESH_S:
            self._refreshed_mono = now_mono
            await self.refresh_campaigns()
        await self.sweep(self._overdue)
        status = await self.controller.status()
        agents = dict(status.get("agents") or {})
        self._watch_wrap_ups(self.agents, agents)
        self.agents = agents
        if not (self.link_up and status.get("link_up")):
            # Either side cannot follow calls now (Asterisk restarting): no new calls, and
            # the agents' states may be stale.
            return
        for run in list(self.campaigns.values()):
            if run.plan.mode == DialMode.PREVIEW:
                continue
            decision = self.pacing_decision(run)
            if decision.calls > 0:
                dials = await self._db(
                    self.store.take_leads,
                    run.plan,
                    decision.calls,
                    self.dialer_id,
                    self.clock(),
                    self._free_agent_ids(run.plan),
                )
                for dial in dials:
                    await self.place(run.plan, dial)
                run.stats.observe_decision(_placed(decision, len(dials)))
        requests = await self._db(self.store.take_preview_dials, self.dialer_id, self.clock())
        for plan, dial in requests:
            await self.place(plan, dial)

    async def refresh_campaigns(self) -> None:
        plans = await self._db(self.store.running_campaigns, self.clock())
        running = {}
        for plan in plans:
            old = self.campaigns.get(plan.id)
            stats = old.stats if old else await self._db(self.store.seed_stats, plan)
            tally = await self._db(self.store.abandon_tally, plan, self.clock())
            running[plan.id] = CampaignRun(plan, stats, tally)
        self.campaigns = running
        promoted = await self._db(self.store.promote_callbacks, self.clock())
        if promoted:
            logger.info("%d callback request(s) are due: queued for dialling", promoted)

    def _watch_wrap_ups(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        """An agent who has just left wrap-up after one of our calls: the pacing learns that
        call's talk and wrap-up times (how long an agent stays away per call)."""
        now = self.clock()
        for login, old in before.items():
            new = after.get(login) or {}
            if old.get("state") != "wrap_up" or new.get("state") == "wrap_up":
                continue
            talk = self._talks.pop(login, None)
            run = self.campaigns.get(talk[0]) if talk else None
            if talk is None or run is None:
                continue
            wrap_s = (now - datetime.fromisoformat(str(old["since"]))).total_seconds()
            run.stats.observe_talk(talk[1], max(0.0, wrap_s))

    def _agent_snapshots(self, plan: CampaignPlan) -> tuple[pacing.AgentSnapshot, ...]:
        now = self.clock()
        snapshots = []
        for login in plan.agent_logins:
            agent = self.agents.get(login)
            state = PACING_STATES.get(str(agent.get("state"))) if agent else None
            if agent is None or state is None:
                continue
            since = datetime.fromisoformat(str(agent["since"]))
            snapshots.append(pacing.AgentSnapshot(state, max(0.0, (now - since).total_seconds())))
        return tuple(snapshots)

    def _free_agent_ids(self, plan: CampaignPlan) -> frozenset[str]:
        return frozenset(
            login
            for login in plan.agent_logins
            if (self.agents.get(login) or {}).get("state") == "ready"
        )

    def pacing_decision(self, run: CampaignRun) -> pacing.PacingDecision:
        """The pacing's decision for one campaign, from the live state."""
        now_mono = time.monotonic()
        ours = [c for c in self.calls.values() if c.plan.id == run.plan.id]
        snapshot = pacing.PacingSnapshot(
            agents=self._agent_snapshots(run.plan),
            ringing_ages_s=tuple(now_mono - c.placed_mono for c in ours if c.answered_at is None),
            answered_waiting=sum(1 for c in ours if c.waiting_for_agent),
            answer_key=run.plan.stats_key(self.clock()),
        )
        mode: pacing.Mode = "predictive" if run.plan.mode == DialMode.PREDICTIVE else "progressive"
        return pacing.plan(mode, snapshot, run.stats, self._budget(run, snapshot), run.plan.pacing)

    def _budget(self, run: CampaignRun, snapshot: pacing.PacingSnapshot) -> pacing.AbandonBudget:
        """The campaign's abandon budget (see asterisk_cc.core.dialer.abandons), with the
        live answers still expected in its window: for a calendar-day window (Ofcom) from
        today's answer rate per agent-second and the agent-seconds left until the calling
        window closes; a 30-day rolling window has no end, and the pacing spreads its budget
        over a fixed horizon."""
        plan = run.plan
        ofcom = plan.settings.abandon_definition == AbandonDefinition.OFCOM_DAILY
        budget = run.tally.budget(
            run.stats,
            target_ratio=plan.settings.abandon_target_ratio,
            ofcom_formula=ofcom,
            false_positive_ratio=plan.amd_false_positive_ratio if plan.amd_enabled else 0.0,
        )
        if not ofcom:
            return budget
        gone_s, left_s = plan.window_seconds(self.clock())
        agents = len(snapshot.agents)
        left = pacing.estimate_live_answers_left(
            budget.live_answers, agents * gone_s, agents * left_s, run.stats
        )
        return dataclasses.replace(budget, expected_live_answers_left=left)

    # --- one call --------------------------------------------------------------------------

    def endpoint_for(self, phone_e164: str) -> str:
        return self.store.endpoint(self.dial_template, phone_e164)

    async def place(self, plan: CampaignPlan, dial: Dial) -> None:
        call = OutboundCall(dial, plan, time.monotonic())
        self.calls[dial.channel_id] = call
        self.counters.placed += 1
        try:
            await self.rest.originate(
                self.endpoint_for(dial.phone),
                app=self.app,
                app_args=(DIAL_ARG, str(dial.attempt_id)),
                caller_id=CallerId("", plan.caller_id) if plan.caller_id else None,
                timeout_s=plan.ring_timeout_s,
                channel_id=dial.channel_id,
            )
        except (AriRequestFailed, AsteriskCCError) as exc:
            logger.error("call to lead %s not placed: %s", dial.lead_id, exc)
            await self._finish(call, failed=True)

    async def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        channel_id = (event.get("channel") or {}).get("id", "")
        if kind == "PlaybackFinished":
            target = str((event.get("playback") or {}).get("target_uri", ""))
            channel_id = target.removeprefix("channel:")
        elif kind == "Dial":
            channel_id = (event.get("peer") or {}).get("id", "")
        call = self.calls.get(channel_id)
        if call is None:
            return
        if kind == "StasisStart":
            args = list(event.get("args") or [])
            if args[:1] == [DIAL_ARG]:
                self._spawn(self._answered(call), f"answer of {channel_id}")
            elif args[:1] == [AMD_ARG]:
                call.amd_status = args[1] if len(args) > 1 else "NOTSURE"
                call.amd_cause = args[2] if len(args) > 2 else None
                self._spawn(self._after_amd(call), f"AMD verdict of {channel_id}")
        elif kind == "PlaybackFinished":
            call.message_played.set()
        elif kind == "Dial" and event.get("dialstatus"):
            call.dial_status = str(event["dialstatus"])
        elif kind == "ChannelDestroyed":
            call.hangup_cause = int(event.get("cause") or 0)
            self._spawn(self._finish(call), f"end of {channel_id}")

    async def on_link(self, up: bool) -> None:
        """The event link is back (after an Asterisk restart, say): calls that ended while it
        was down sent no event, so each call is looked up and the gone ones are finished."""
        logger.info("dialer event link %s", "up" if up else "down")
        self.link_up = up
        if up:
            await self.sweep(lambda call: True)

    async def sweep(self, suspect: Callable[[OutboundCall], bool]) -> int:
        """Finish the ``suspect`` calls Asterisk no longer has (their end was never heard);
        → how many."""
        gone = 0
        for call in list(self.calls.values()):
            if suspect(call) and await self.rest.get_channel(call.dial.channel_id) is None:
                logger.warning("call %s ended unheard: closing its attempt", call.dial.channel_id)
                await self._finish(call)
                gone += 1
        return gone

    def _overdue(self, call: OutboundCall) -> bool:
        """A call still ringing well past its ring time: its end may have gone unheard."""
        limit_s = call.plan.ring_timeout_s + OVERDUE_GRACE_S
        return call.answered_at is None and time.monotonic() - call.placed_mono > limit_s

    async def _answered(self, call: OutboundCall) -> None:
        call.answered_at = self.clock()
        call.answered_mono = time.monotonic()
        call.ring_s = call.answered_mono - call.placed_mono
        self.counters.answered += 1
        call.interaction_opened = asyncio.ensure_future(
            self._db(self.store.open_interaction, call.dial, call.answered_at)
        )
        if call.plan.amd_enabled:
            await self.rest.continue_in_dialplan(call.dial.channel_id, AMD_CONTEXT, "s", 1)
            return
        await self._connect(call)

    async def _after_amd(self, call: OutboundCall) -> None:
        if call.amd_status != "MACHINE":
            # The 2 s of the FTC/FCC rule run from the end of the greeting, i.e. the verdict;
            # Ofcom counts from the answer, so Ofcom campaigns keep the answer time.
            if not call.plan.grace_from_answer:
                call.answered_mono = time.monotonic()
            await self._connect(call)
            return
        self.counters.machines += 1
        if call.plan.machine_action == "message" and call.plan.machine_message:
            await self._play_then_hang_up(call, call.plan.machine_message)
        else:
            await self.rest.hangup(call.dial.channel_id)

    async def _connect(self, call: OutboundCall) -> None:
        """Hand the answered call to a free agent within the 2 s grace, or abandon it."""
        assert call.answered_mono is not None
        deadline = call.answered_mono + CONNECT_GRACE_S
        agents = [call.dial.agent_login] if call.dial.agent_login else list(call.plan.agent_logins)
        linkedid = call.dial.channel_id
        while True:
            try:
                call.agent = await self.controller.connect_outbound(
                    channel=call.dial.channel_id,
                    agents=agents,
                    linkedid=linkedid,
                    queue=call.plan.queue,
                )
            except ControllerRefused as exc:
                if exc.status_code != 409:
                    logger.error("controller refused call %s: %s", linkedid, exc)
            except AsteriskCCError as exc:
                logger.error("controller unreachable for call %s: %s", linkedid, exc)
            if call.agent is not None:
                call.connected_at = self.clock()
                self.counters.connected += 1
                self._spawn(
                    self._db(self.store.mark_connected, call.dial, call.agent, call.connected_at),
                    f"connection of {linkedid}",
                )
                return
            if call.done.is_set():  # the person hung up while waiting
                return
            if time.monotonic() + CONNECT_RETRY_S >= deadline:
                break
            await asyncio.sleep(CONNECT_RETRY_S)
        call.abandoned = True
        self.counters.abandoned += 1
        await self._play_then_hang_up(call, call.plan.abandon_message or self.abandon_message)

    async def _play_then_hang_up(self, call: OutboundCall, sound: str) -> None:
        """Play the message to the end (or until the person hangs up), then hang up."""
        try:
            media = [f"sound:{part}" for part in sound.split("&") if part]
            await self.rest.play(call.dial.channel_id, media)
            ended = asyncio.ensure_future(call.done.wait())
            played = asyncio.ensure_future(call.message_played.wait())
            await asyncio.wait(
                {ended, played}, timeout=MESSAGE_LIMIT_S, return_when="FIRST_COMPLETED"
            )
            for waiter in (ended, played):
                waiter.cancel()
            if not call.done.is_set():
                await self.rest.hangup(call.dial.channel_id)
        except NotFound:
            return

    async def _finish(self, call: OutboundCall, *, failed: bool = False) -> None:
        if call.done.is_set():
            return
        call.done.set()
        if call.interaction_opened is not None:
            try:
                await call.interaction_opened
            except Exception:  # the attempt's outcome must still be written
                logger.exception("the interaction of call %s was not written", call.dial.channel_id)
        self.calls.pop(call.dial.channel_id, None)
        outcome = (
            CallOutcome.FAILED
            if failed
            else network_outcome(
                answered=call.answered_at is not None,
                hangup_cause=call.hangup_cause,
                amd_status=call.amd_status,
                dial_status=call.dial_status,
            )
        )
        ended = self.clock()
        result = AttemptResult(
            outcome=outcome,
            answered_at=call.answered_at,
            connected_at=call.connected_at,
            ended_at=ended,
            agent_login=call.agent,
            abandoned=call.abandoned,
            amd_status=call.amd_status,
            amd_cause=call.amd_cause,
            hangup_cause=call.hangup_cause,
        )
        self.counters.finished += 1
        logger.info(
            "call %s campaign %s lead %s: %s%s%s%s",
            call.dial.channel_id,
            call.plan.name,
            call.dial.lead_id,
            outcome.value,
            f" (AMD {call.amd_status})" if call.amd_status else "",
            f", agent {call.agent}" if call.agent else "",
            ", ABANDONED" if call.abandoned else "",
        )
        run = self.campaigns.get(call.plan.id)
        if run is not None:
            ring_s = call.ring_s if call.ring_s is not None else time.monotonic() - call.placed_mono
            key = call.plan.stats_key(ended)
            kind = dial_kind(outcome, abandoned=call.abandoned, amd_status=call.amd_status)
            run.stats.observe_dial(key, kind, ring_s, abandoned=call.abandoned)
            _count(run.tally, call, outcome, key, ring_s)
            if call.connected_at is not None and call.agent is not None:
                # The talk time is learnt with the wrap-up that follows (see _watch_wrap_ups).
                self._talks[call.agent] = (run.plan.id, (ended - call.connected_at).total_seconds())
        await self._db(self.store.finish, call.dial, result, ended)
