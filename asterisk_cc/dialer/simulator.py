"""A discrete-event simulator of an outbound campaign, to compare pacing policies side by side.

The model (``docs/dialer-pacing.md`` and the reference's §5.1): ``agents`` agents log in for
an ``day_s`` shift and cycle ready -> talking -> wrap-up -> ready. The dialer originates
calls to leads; a lead answers live (a person), by machine, fails fast (busy, invalid) or
rings until the ring timeout. A live answer with a ready agent is connected at once;
otherwise it waits up to the grace window (2 s from answer) for an agent and is then
abandoned (message played, counted, 72-hour lockout). Without answering-machine detection a
machine answer is handled like a call: it goes to a free agent, who spends
``machine_handling_s`` on it with no wrap-up; when no agent is free within the grace window
it is dropped, which is not a human abandon.

**Common random numbers.** Each lead has one outcome record drawn in advance from the
``(seed, day)`` stream (:func:`lead_stream`): a uniform that picks its type, a live ring
time, a machine ring time, a fast-failure time, a talk time and a wrap-up time. Every policy
dials the same leads in the same order, so two policies differ only by their pacing. The
type is read at dial time from the uniform and the answer probabilities then in force, so a
scenario that changes ``p_live`` mid-day keeps the records common.

**Days.** Each day is one shift; the Ofcom-style abandon rate is counted per day over the
whole shift, the FTC one over all days. Occupancy and the per-hour rates are measured after
a warm-up (10 min) so that the empty start does not weigh on them. A policy object lives
across the days of a run (the live dialer keeps what it learned from one day to the next).

**Policies** (:class:`Policy` subclasses) are called every ``tick_s`` seconds and return
how many calls to place; they also hear what happened (dial results, calls handled) if they
want to learn. They see the campaign through :class:`Campaign`. The candidate policy,
:class:`OursPolicy`, calls :func:`asterisk_cc.core.dialer.pacing.plan` exactly as the
live dialer does, every 0.5 s. The other baselines are in
:mod:`asterisk_cc.dialer.sim_policies`.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from asterisk_cc.core.dialer.pacing import (
    AbandonBudget,
    AgentSnapshot,
    AgentState,
    DialOutcome,
    Mode,
    PacingSettings,
    PacingSnapshot,
    PacingStats,
    decide,
    estimate_live_answers_left,
    estimated_abandons,
)

# Outcome kinds of a dial.
LIVE, MACHINE, FAILED, NO_ANSWER = 0, 1, 2, 3
# Agent states.
READY, TALKING, WRAPUP, PAUSED = 0, 1, 2, 3
_STATE_NAMES: tuple[AgentState, ...] = ("ready", "talking", "wrapup")
# Event codes, in the order they are handled at equal times (a call ending before a tick
# frees its agent for that tick's decision).
_AGENT_FREE, _WRAP_END, _CALL_RESULT, _GRACE, _PAUSE, _UNPAUSE, _TICK = range(7)


@dataclass(frozen=True, slots=True)
class SimConfig:
    """The campaign model; the defaults are the reference baseline (§5.1)."""

    agents: int = 25
    p_live: float = 0.20
    p_machine: float = 0.25
    p_failed: float = 0.10  # busy 5 % + invalid 5 %
    ring_timeout_s: float = 25.0
    live_ring_mean_s: float = 8.0
    live_ring_sd_s: float = 4.0
    machine_ring_mean_s: float = 20.0
    machine_ring_sd_s: float = 3.0
    failed_min_s: float = 2.0
    failed_max_s: float = 6.0
    talk_mean_s: float = 120.0
    talk_cv: float = 1.0
    wrap_mean_s: float = 15.0
    wrap_sd_s: float = 10.0
    machine_handling_s: float = 6.0
    grace_s: float = 2.0
    day_s: float = 8 * 3600.0
    warmup_s: float = 600.0
    abandon_target: float = 0.03
    shift_start_hhmm: int = 900
    # Robustness scenario: p_live changes to p_live_after at p_live_step_s; a share of the
    # agents pauses for pause_s from pause_at_s (after their current call).
    p_live_step_s: float | None = None
    p_live_after: float = 0.15
    pause_at_s: float | None = None
    pause_share: float = 0.20
    pause_s: float = 900.0
    bin_s: float = 900.0

    def p_live_at(self, t: float) -> float:
        if self.p_live_step_s is not None and t >= self.p_live_step_s:
            return self.p_live_after
        return self.p_live


def robustness_config(agents: int) -> SimConfig:
    """The non-stationary scenario: p_live 0.30 -> 0.15 at 4 h; 20 % of agents pause 15 min."""
    return SimConfig(
        agents=agents, p_live=0.30, p_live_step_s=4 * 3600.0, p_live_after=0.15, pause_at_s=7200.0
    )


def ceiling_talk_occupancy(config: SimConfig, perfect_amd: bool = False) -> float:
    """The perfect-information ceiling (§5.4): every live answer meets a free agent, agents
    are never idle, machines cost their handling time unless AMD is perfect:
    ``T / (T + W + (p_machine / p_live) * h_machine)``."""
    machine_s = 0.0 if perfect_amd else config.p_machine / config.p_live * config.machine_handling_s
    return config.talk_mean_s / (config.talk_mean_s + config.wrap_mean_s + machine_s)


class LeadRecord(NamedTuple):
    """One lead's outcome, drawn before any policy dials it."""

    kind_u: float
    live_ring_s: float
    machine_ring_s: float
    failed_s: float
    talk_s: float
    wrap_s: float


def _lognormal(mean: float, sd: float) -> tuple[float, float]:
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def lead_stream(config: SimConfig, seed: int, day: int) -> Iterator[LeadRecord]:
    """The leads of one day, in dialing order: the same for every policy (common random
    numbers)."""
    rng = random.Random(f"leads:{seed}:{day}")  # noqa: S311 (a simulation, not a secret)
    live_mu, live_sigma = _lognormal(config.live_ring_mean_s, config.live_ring_sd_s)
    machine_mu, machine_sigma = _lognormal(config.machine_ring_mean_s, config.machine_ring_sd_s)
    talk_mu, talk_sigma = _lognormal(config.talk_mean_s, config.talk_mean_s * config.talk_cv)
    wrap_mu, wrap_sigma = _lognormal(config.wrap_mean_s, config.wrap_sd_s)
    uniform = rng.random
    lognormal = rng.lognormvariate
    low, span = config.failed_min_s, config.failed_max_s - config.failed_min_s
    while True:
        yield LeadRecord(
            uniform(),
            lognormal(live_mu, live_sigma),
            lognormal(machine_mu, machine_sigma),
            low + span * uniform(),
            lognormal(talk_mu, talk_sigma),
            lognormal(wrap_mu, wrap_sigma),
        )


def resolve(record: LeadRecord, p_live: float, config: SimConfig) -> tuple[int, float]:
    """The outcome kind of a lead dialled now, and the seconds from dial to that outcome."""
    u = record.kind_u
    timeout = config.ring_timeout_s
    if u < p_live:
        return (LIVE, record.live_ring_s) if record.live_ring_s < timeout else (NO_ANSWER, timeout)
    if u < p_live + config.p_machine:
        if record.machine_ring_s < timeout:
            return MACHINE, record.machine_ring_s
        return NO_ANSWER, timeout
    if u < p_live + config.p_machine + config.p_failed:
        return FAILED, record.failed_s
    return NO_ANSWER, timeout


@dataclass(slots=True)
class DayResult:
    """Raw sums of one simulated day; :func:`summarize` turns days into metrics."""

    day: int
    agents: int
    talk_s: float = 0.0  # human talk inside the measurement window
    wrap_s: float = 0.0
    machine_s: float = 0.0
    logged_in_s: float = 0.0  # logged-in, non-paused agent time inside the window
    dials: int = 0  # whole day
    live_answers: int = 0  # whole day, abandoned included
    abandons: int = 0
    machine_answers: int = 0
    machine_drops: int = 0
    live_connected: int = 0
    machine_connected: int = 0
    within_grace: int = 0  # live answers connected within the grace window
    wait_sum_s: float = 0.0  # customer wait of connected live answers
    wait_max_s: float = 0.0
    dials_window: int = 0
    live_connects_window: int = 0
    peak_lines_per_agent: float = 0.0
    talk_bins: list[float] = field(default_factory=list)
    logged_in_bins: list[float] = field(default_factory=list)
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def abandon_rate(self) -> float:
        return self.abandons / self.live_answers if self.live_answers else 0.0

    @property
    def ofcom_estimated_rate(self) -> float:
        """The Ofcom estimate without AMD (§1.4): D' = D (1 - AM / (H + AM)), D' / (H + D')."""
        drops = self.abandons + self.machine_drops
        estimate = estimated_abandons(drops, self.live_connected, self.machine_connected)
        denominator = self.live_connected + estimate
        return estimate / denominator if denominator else 0.0


class Campaign:
    """The state of one simulated day, as policies see it (read it, do not change it)."""

    def __init__(self, config: SimConfig, day: int) -> None:
        self.config = config
        self.day = day
        n = config.agents
        self.now = 0.0
        self.state = [READY] * n
        self.since = [0.0] * n
        self.free_at = [0.0] * n  # when a busy agent will be ready (for the clairvoyant bound)
        self.pause_pending = [False] * n
        self.ready: deque[int] = deque(range(n))
        self.talking = 0  # agents on a call (live or machine)
        self.paused = 0
        self.ringing: dict[int, float] = {}  # call id -> dial time
        self.waiting: dict[int, float] = {}  # call id -> answer time, oldest first
        # Counters of the whole day so far (what a dialer can count).
        self.dials = 0
        self.live_answers = 0
        self.abandons = 0
        self.machine_drops = 0
        self.live_connected = 0
        self.machine_connected = 0
        self.logged_in_s_so_far = 0.0  # non-paused agent time since the start of the day

    @property
    def logged_in(self) -> int:
        return self.config.agents - self.paused

    def agent_snapshots(self, clairvoyant: bool = False) -> tuple[AgentSnapshot, ...]:
        """The non-paused agents as the pacing sees them; ``clairvoyant`` adds each one's
        exact time to ready (which no real dialer knows)."""
        now, since, free_at = self.now, self.since, self.free_at
        if clairvoyant:
            return tuple(
                AgentSnapshot(_STATE_NAMES[s], now - since[a], max(free_at[a] - now, 0.0))
                for a, s in enumerate(self.state)
                if s != PAUSED
            )
        return tuple(
            AgentSnapshot(_STATE_NAMES[s], now - since[a])
            for a, s in enumerate(self.state)
            if s != PAUSED
        )

    def ringing_ages(self) -> tuple[float, ...]:
        now = self.now
        return tuple(now - t for t in self.ringing.values())


class Policy:
    """A pacing policy under test. Subclasses set ``name``/``tick_s`` and implement
    :meth:`tick`; the ``on_*`` hooks are optional."""

    name = "policy"
    tick_s = 0.5

    def start_day(self, campaign: Campaign) -> None:
        """A new day starts (counters are zero, every agent is ready)."""

    def tick(self, campaign: Campaign) -> int:
        """How many calls to place now."""
        raise NotImplementedError

    def on_dial_end(
        self, campaign: Campaign, outcome: DialOutcome, ring_s: float, dialed_at: float
    ) -> None:
        """A dial ended: ``live``/``machine`` when an agent took it, ``dropped`` when no agent
        was free within the grace window (type unknown to the dialer), else ``failed`` or
        ``no_answer``."""

    def on_agent_call_done(self, talk_s: float, wrap_s: float, live: bool) -> None:
        """An agent finished a call and its wrap-up."""


def simulate_day(
    config: SimConfig,
    policy: Policy,
    seed: int,
    day: int,
    record_leads: list[LeadRecord] | None = None,
) -> DayResult:
    """Run one day of ``policy`` on the leads of ``(seed, day)``.

    ``record_leads``, when given, receives every lead record dialled, in order (tests use it
    to check that policies share their records).
    """
    campaign = Campaign(config, day)
    result = DayResult(day=day, agents=config.agents)
    n = config.agents
    leads = lead_stream(config, seed, day)
    grace = config.grace_s
    window_start, window_end = config.warmup_s, config.day_s
    bin_s = config.bin_s
    bins = max(1, math.ceil(config.day_s / bin_s))
    talk_bins = [0.0] * bins
    pause_intervals: list[tuple[float, float]] = []
    events: list[tuple[float, int, int, int]] = []
    sequence = 0
    calls: dict[int, tuple[LeadRecord, int, float, float]] = {}  # id -> lead, kind, dialled, ring
    next_call = 0
    state, since, free_at, ready = campaign.state, campaign.since, campaign.free_at, campaign.ready
    ringing, waiting = campaign.ringing, campaign.waiting
    agent_call: list[tuple[float, float, bool]] = [(0.0, 0.0, False)] * n  # talk, wrap, live

    def push(t: float, code: int, arg: int) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(events, (t, code, sequence, arg))

    def overlap(a: float, b: float) -> float:
        return max(0.0, min(b, window_end) - max(a, window_start))

    def connect(agent: int, call_id: int, now: float, answered_at: float) -> None:
        """A free agent (already out of the ready queue) takes an answered call."""
        lead, kind, dialed_at, _ = calls.pop(call_id)
        state[agent] = TALKING
        since[agent] = now
        campaign.talking += 1
        if kind == LIVE:
            talk, wrap = lead.talk_s, lead.wrap_s
            campaign.live_connected += 1
            wait = now - answered_at
            result.within_grace += wait <= grace + 1e-9
            result.wait_sum_s += wait
            result.wait_max_s = max(result.wait_max_s, wait)
            result.talk_s += overlap(now, now + talk)
            result.wrap_s += overlap(now + talk, now + talk + wrap)
            if window_start <= now < window_end:
                result.live_connects_window += 1
            end = now + talk
            b = int(now / bin_s)
            while b < bins and b * bin_s < end:
                talk_bins[b] += max(0.0, min(end, (b + 1) * bin_s) - max(now, b * bin_s))
                b += 1
        else:
            talk, wrap = config.machine_handling_s, 0.0
            campaign.machine_connected += 1
            result.machine_s += overlap(now, now + talk)
        agent_call[agent] = (talk, wrap, kind == LIVE)
        free_at[agent] = now + talk + wrap
        push(now + talk, _AGENT_FREE if wrap <= 0.0 else _WRAP_END, agent)
        outcome: DialOutcome = "live" if kind == LIVE else "machine"
        policy.on_dial_end(campaign, outcome, answered_at - dialed_at, dialed_at)

    def take_waiting_call(agent: int, now: float) -> bool:
        """A newly free agent takes the oldest answered call still waiting, if any."""
        if not waiting:
            return False
        call_id = next(iter(waiting))
        connect(agent, call_id, now, waiting.pop(call_id))
        return True

    def agent_free(agent: int, now: float) -> None:
        """The agent finished its call (and wrap-up): take a waiting call, pause, or be ready."""
        talk, wrap, live = agent_call[agent]
        policy.on_agent_call_done(talk, wrap, live)
        campaign.talking -= 1
        if campaign.pause_pending[agent]:
            campaign.pause_pending[agent] = False
            start_pause(agent, now)
            return
        if take_waiting_call(agent, now):
            return
        state[agent] = READY
        since[agent] = now
        free_at[agent] = now
        ready.append(agent)

    def start_pause(agent: int, now: float) -> None:
        state[agent] = PAUSED
        since[agent] = now
        campaign.paused += 1
        end = now + config.pause_s
        pause_intervals.append((now, end))
        push(end, _UNPAUSE, agent)

    def dial(now: float) -> None:
        nonlocal next_call
        lead = next(leads)
        if record_leads is not None:
            record_leads.append(lead)
        kind, after_s = resolve(lead, config.p_live_at(now), config)
        call_id = next_call
        next_call += 1
        calls[call_id] = (lead, kind, now, after_s)
        ringing[call_id] = now
        campaign.dials += 1
        result.dials += 1
        if window_start <= now < window_end:
            result.dials_window += 1
        push(now + after_s, _CALL_RESULT, call_id)

    policy.start_day(campaign)
    push(0.0, _TICK, 0)
    if config.pause_at_s is not None:
        push(config.pause_at_s, _PAUSE, 0)
    tick_s = policy.tick_s
    last_tick = 0.0
    stop_dialing = config.day_s
    end_of_day = config.day_s + config.ring_timeout_s + grace + 1.0
    while events:
        now, code, _, arg = heapq.heappop(events)
        if now > end_of_day:
            break
        campaign.now = now
        if code == _TICK:
            # Logged-in time accrues tick by tick (the budget estimate needs it so far).
            campaign.logged_in_s_so_far += campaign.logged_in * (now - last_tick)
            last_tick = now
            if now < stop_dialing:
                count = policy.tick(campaign)
                for _ in range(count):
                    dial(now)
                if count:
                    lines = len(ringing) + len(waiting) + campaign.talking
                    logged = max(campaign.logged_in, 1)
                    result.peak_lines_per_agent = max(result.peak_lines_per_agent, lines / logged)
                push(now + tick_s, _TICK, 0)
        elif code == _CALL_RESULT:
            del ringing[arg]
            _, kind, dialed_at, after_s = calls[arg]
            if kind in (LIVE, MACHINE):
                if kind == LIVE:
                    campaign.live_answers += 1
                    result.live_answers += 1
                else:
                    result.machine_answers += 1
                if ready:
                    connect(ready.popleft(), arg, now, now)
                else:
                    waiting[arg] = now
                    push(now + grace, _GRACE, arg)
            else:
                del calls[arg]
                policy.on_dial_end(
                    campaign, "failed" if kind == FAILED else "no_answer", after_s, dialed_at
                )
        elif code == _GRACE:
            if arg in waiting:
                del waiting[arg]
                _, kind, dialed_at, after_s = calls.pop(arg)
                if kind == LIVE:
                    campaign.abandons += 1
                    result.abandons += 1
                else:
                    campaign.machine_drops += 1
                    result.machine_drops += 1
                policy.on_dial_end(campaign, "dropped", after_s, dialed_at)
        elif code == _WRAP_END:
            wrap = agent_call[arg][1]
            state[arg] = WRAPUP
            since[arg] = now
            push(now + wrap, _AGENT_FREE, arg)
        elif code == _AGENT_FREE:
            agent_free(arg, now)
        elif code == _PAUSE:
            for agent in range(round(n * config.pause_share)):
                if state[agent] == READY:
                    ready.remove(agent)
                    start_pause(agent, now)
                elif state[agent] != PAUSED:
                    campaign.pause_pending[agent] = True
        elif code == _UNPAUSE:
            state[arg] = READY
            since[arg] = now
            free_at[arg] = now
            campaign.paused -= 1
            if not take_waiting_call(arg, now):
                ready.append(arg)

    # Logged-in, non-paused time in the window, overall and per bin.
    window = window_end - window_start
    paused_in_window = sum(overlap(a, b) for a, b in pause_intervals)
    result.logged_in_s = n * window - paused_in_window
    logged_bins: list[float] = []
    for b in range(bins):
        lo, hi = b * config.bin_s, min((b + 1) * config.bin_s, config.day_s)
        paused = sum(max(0.0, min(e, hi) - max(s, lo)) for s, e in pause_intervals)
        logged_bins.append(n * (hi - lo) - paused)
    result.live_connected = campaign.live_connected
    result.machine_connected = campaign.machine_connected
    result.talk_bins = talk_bins
    result.logged_in_bins = logged_bins
    result.extra.update(policy_day_extras(policy))
    return result


def policy_day_extras(policy: Policy) -> dict[str, float]:
    """Numbers a policy wants reported for the day (e.g. its final dial level)."""
    extras = getattr(policy, "day_extras", None)
    return dict(extras()) if callable(extras) else {}


def simulate(
    config: SimConfig, policy: Policy, seed: int, days: int, first_day: int = 0
) -> list[DayResult]:
    """Run ``days`` consecutive days of one policy (the policy keeps what it learned)."""
    return [simulate_day(config, policy, seed, day) for day in range(first_day, first_day + days)]


# --------------------------------------------------------------------------- metrics


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``share`` of the values at
    or below it (P95 of 30 days is the 29th smallest, i.e. the second largest)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summarize(days: Sequence[DayResult], target: float = 0.03) -> dict[str, Any]:
    """The §5.2 metrics over a run of days (rates as fractions, occupancy as fractions)."""
    logged = sum(d.logged_in_s for d in days) or 1.0
    talk = sum(d.talk_s for d in days)
    busy = talk + sum(d.wrap_s + d.machine_s for d in days)
    live_answers = sum(d.live_answers for d in days)
    abandons = sum(d.abandons for d in days)
    daily = [d.abandon_rate for d in days]
    daily_estimated = [d.ofcom_estimated_rate for d in days]
    occupancy_days = [d.talk_s / d.logged_in_s if d.logged_in_s else 0.0 for d in days]
    mean_occupancy = sum(occupancy_days) / len(occupancy_days) if occupancy_days else 0.0
    sd = (
        math.sqrt(
            sum((o - mean_occupancy) ** 2 for o in occupancy_days) / (len(occupancy_days) - 1)
        )
        if len(occupancy_days) > 1
        else 0.0
    )
    live_connected = sum(d.live_connected for d in days)
    agent_hours = logged / 3600.0
    within = sum(d.within_grace for d in days)
    summary: dict[str, Any] = {
        "days": len(days),
        "talk_occupancy": talk / logged,
        "talk_occupancy_ci95": 1.96 * sd / math.sqrt(len(days)) if days else 0.0,
        "utilisation": busy / logged,
        "abandon_rate_30day": abandons / live_answers if live_answers else 0.0,
        "abandon_daily_mean": sum(daily) / len(daily) if daily else 0.0,
        "abandon_daily_p95": percentile(daily, 0.95),
        "abandon_daily_max": max(daily, default=0.0),
        "days_over_target": sum(1 for r in daily if r > target + 1e-12) / max(len(daily), 1),
        "ofcom_estimate_daily_p95": percentile(daily_estimated, 0.95),
        "ofcom_estimate_daily_max": max(daily_estimated, default=0.0),
        "two_second_compliance": (within + abandons) / live_answers if live_answers else 1.0,
        "connected_within_grace": within / live_connected if live_connected else 1.0,
        "mean_wait_s": sum(d.wait_sum_s for d in days) / live_connected if live_connected else 0.0,
        "max_wait_s": max((d.wait_max_s for d in days), default=0.0),
        "live_connects_per_agent_hour": sum(d.live_connects_window for d in days) / agent_hours,
        "dials_per_agent_hour": sum(d.dials_window for d in days) / agent_hours,
        "dials_per_live_connect": (
            sum(d.dials for d in days) / live_connected if live_connected else 0.0
        ),
        "idle_s_per_live_connect": (logged - busy) / max(live_connected, 1),
        "peak_lines_per_agent": max((d.peak_lines_per_agent for d in days), default=0.0),
        "lockouts_72h_per_day": abandons / max(len(days), 1),
    }
    extras: dict[str, list[float]] = {}
    for d in days:
        for key, value in d.extra.items():
            extras.setdefault(key, []).append(value)
    for key, values in extras.items():
        summary[key] = sum(values) / len(values)
    return summary


def occupancy_profile(days: Sequence[DayResult]) -> list[float]:
    """Talk occupancy per time bin, over all days (for the robustness scenario)."""
    if not days:
        return []
    bins = len(days[0].talk_bins)
    return [
        sum(d.talk_bins[b] for d in days) / max(sum(d.logged_in_bins[b] for d in days), 1.0)
        for b in range(bins)
    ]


# --------------------------------------------------------------------------- our policy


class OursPolicy(Policy):
    """The predictive mode of :mod:`asterisk_cc.core.dialer.pacing`, driven as the live
    dialer drives it.

    Every 0.5 s: a snapshot (non-paused agents with their state and time in state, the
    ages of ringing calls, the answered calls waiting, the answer key = hour of the shift),
    the day's abandon budget (each dropped call counted as its
    :meth:`PacingStats.live_share_of_drop`, as a dialer without AMD can count it; expected
    live answers left from
    :func:`estimate_live_answers_left`), then :func:`decide`. Dial results and finished
    calls go to :meth:`PacingStats.observe_dial` and :meth:`PacingStats.observe_talk`. The
    statistics persist across days, as in the live dialer.

    ``clairvoyant`` passes each agent's exact time to ready (the agent-clairvoyant bound).
    ``abandon_count="ofcom"`` counts the budget with Ofcom's cruder AM-estimate formula
    (:func:`estimated_abandons`: drops times handled people over all handled calls) instead.
    """

    tick_s = 0.5

    def __init__(
        self,
        mode: str = "predictive",
        settings: PacingSettings | None = None,
        stats_factory: Callable[[], PacingStats] | None = None,
        clairvoyant: bool = False,
        abandon_count: Literal["ring_time", "ofcom"] = "ring_time",
        name: str | None = None,
    ) -> None:
        self.mode = mode
        self.abandon_count = abandon_count
        self.settings = settings or PacingSettings()
        self.stats = (stats_factory or PacingStats)()
        self.clairvoyant = clairvoyant
        self.name = name or ("ours-clairvoyant" if clairvoyant else "ours")
        self._estimated_abandons = 0.0
        self._abandons_variance = 0.0

    def start_day(self, campaign: Campaign) -> None:
        self._estimated_abandons = 0.0
        self._abandons_variance = 0.0

    def budget(self, campaign: Campaign) -> AbandonBudget:
        config = campaign.config
        estimate, variance = self._estimated_abandons, self._abandons_variance
        if self.abandon_count == "ofcom":
            drops = campaign.abandons + campaign.machine_drops  # the dialer sees drops only
            estimate = estimated_abandons(
                drops, campaign.live_connected, campaign.machine_connected
            )
            variance = 0.0
        live_answers = campaign.live_connected + estimate
        agent_s_left = campaign.logged_in * max(config.day_s - campaign.now, 0.0)
        left = estimate_live_answers_left(
            live_answers, campaign.logged_in_s_so_far, agent_s_left, self.stats
        )
        return AbandonBudget(
            live_answers=live_answers,
            abandons=estimate,
            target_ratio=config.abandon_target,
            expected_live_answers_left=left,
            abandons_variance=variance,
        )

    def tick(self, campaign: Campaign) -> int:
        snapshot = PacingSnapshot(
            agents=campaign.agent_snapshots(self.clairvoyant),
            ringing_ages_s=campaign.ringing_ages(),
            answered_waiting=len(campaign.waiting),
            answer_key=int(campaign.now // 3600),
        )
        mode: Mode = "predictive" if self.mode == "predictive" else "progressive"
        return decide(mode, snapshot, self.stats, self.budget(campaign), self.settings)

    def on_dial_end(
        self, campaign: Campaign, outcome: DialOutcome, ring_s: float, dialed_at: float
    ) -> None:
        key = int(campaign.now // 3600)
        if outcome == "dropped":
            # The dialer does not know who answered a dropped call: it counts the reasoned
            # share of an abandon, from the ring time.
            share = self.stats.live_share_of_drop(key, ring_s)
            self._estimated_abandons += share
            self._abandons_variance += share * (1.0 - share)
        self.stats.observe_dial(key, outcome, ring_s)

    def on_agent_call_done(self, talk_s: float, wrap_s: float, live: bool) -> None:
        self.stats.observe_talk(talk_s, wrap_s, "live" if live else "machine")

    def day_extras(self) -> dict[str, float]:
        return {
            "threshold_gain": self.stats.threshold_gain(),
            "calibration": self.stats.calibration(),
        }
