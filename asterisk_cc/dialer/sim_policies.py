"""Baseline pacing policies for the simulator (:mod:`asterisk_cc.dialer.simulator`).

- :class:`ProgressivePolicy`: the progressive mode of :mod:`asterisk_cc.core.dialer.pacing`
  (one line per ready agent not covered by a call in flight), every 0.5 s.
- :class:`FixedRatioPolicy`: VICIdial ``RATIO`` semantics (reference §1.2 and §5.3): every
  2.5 s, ``goal = round(L * (READY + INCALL))`` lines, minus the calls already up (ringing,
  waiting and talking). Agents in wrap-up ("dead" calls) are not counted. ``L = 1`` is
  progressive.
- :class:`VicidialAdaptPolicy`: ``ADAPT_HARD_LIMIT`` / ``ADAPT_AVERAGE`` / ``ADAPT_TAPERED``
  emulated from ``AST_VDadapt.pl`` (§1.3): the RATIO placement loop every 2.5 s; every 1 s a
  sample of ready agents, waiting calls and agents; every 15 s the level becomes
  ``level * (1 + (mean ready - mean waiting + diff target) / mean agents)`` (intensity 0),
  clamped to [1, 3]; halved when the last minute had over 20 calls and over 50 % drops; and,
  once today has over 50 calls and today's drops exceed 3 % of human answers, forced to 1.0
  (HARD_LIMIT), halved (AVERAGE) or tapered by ``(2100 - HHMM) / 1000`` (TAPERED). Drop
  counts refresh every 60 s. As in VICIdial without AMD, every dropped call counts as a
  drop of a human-answered call (the dialer cannot tell a machine it never connected).
- :class:`ErlangBPolicy`: state-blind open loop: Poisson dials at the constant rate whose
  answers, offered to the agents as an Erlang loss system, lose 3 % (computed from the
  true model parameters).
- :func:`tune_fixed_ratio`: the oracle-tuned fixed ratio: the largest ``L`` on a 0.05 grid
  whose P95 daily abandon rate stays within the target, on tuning seeds.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable

from asterisk_cc.core.dialer.pacing import (
    AgentSnapshot,
    DialOutcome,
    PacingSettings,
    PacingSnapshot,
    progressive_calls,
)
from asterisk_cc.dialer.simulator import (
    PAUSED,
    Campaign,
    Policy,
    SimConfig,
    percentile,
    simulate,
)


class ProgressivePolicy(Policy):
    """The core's progressive mode, every 0.5 s (it needs only the agents' states)."""

    name = "progressive"
    tick_s = 0.5
    _STATES = (AgentSnapshot("ready"), AgentSnapshot("talking"), AgentSnapshot("wrapup"))

    def __init__(self, settings: PacingSettings | None = None) -> None:
        self.settings = settings or PacingSettings()

    def tick(self, campaign: Campaign) -> int:
        agents = tuple(self._STATES[s] for s in campaign.state if s != PAUSED)
        snapshot = PacingSnapshot(
            agents=agents,
            ringing_ages_s=campaign.ringing_ages(),
            answered_waiting=len(campaign.waiting),
        )
        return progressive_calls(snapshot, self.settings)


def _vicidial_goal(level: float, campaign: Campaign) -> int:
    """Calls VICIdial's placement loop adds: ``round(level * (READY + INCALL))`` minus the
    calls up (ringing, waiting in queue, talking)."""
    agents = len(campaign.ready) + campaign.talking
    goal = math.floor(level * agents + 0.5)
    existing = len(campaign.ringing) + len(campaign.waiting) + campaign.talking
    return max(0, goal - existing)


class FixedRatioPolicy(Policy):
    """VICIdial ``RATIO`` dialing at a fixed level ``L``, placement loop every 2.5 s."""

    tick_s = 2.5

    def __init__(self, level: float, name: str | None = None) -> None:
        self.level = level
        self.name = name or f"ratio-{level:.2f}"

    def tick(self, campaign: Campaign) -> int:
        return _vicidial_goal(self.level, campaign)


class VicidialAdaptPolicy(Policy):
    """VICIdial's adaptive methods, emulated loop by loop (see the module docstring)."""

    tick_s = 0.5

    def __init__(
        self,
        method: str = "ADAPT_HARD_LIMIT",
        diff_target: float = 0.0,
        max_level: float = 3.0,
        dropped_percentage: float = 3.0,
        latest_server_hhmm: int = 2100,
        name: str | None = None,
    ) -> None:
        self.method = method
        self.diff_target = diff_target
        self.max_level = max_level
        self.dropped_percentage = dropped_percentage
        self.latest_server_hhmm = latest_server_hhmm
        suffix = {
            "ADAPT_HARD_LIMIT": "hard",
            "ADAPT_AVERAGE": "average",
            "ADAPT_TAPERED": "tapered",
        }
        self.name = name or f"vici-{suffix.get(method, method.lower())}"
        self.level = 1.0

    def start_day(self, campaign: Campaign) -> None:
        self.level = 1.0
        self._samples: deque[tuple[int, int, int]] = deque(maxlen=15)
        self._next_sample = 0.0
        self._next_level = 15.0
        self._next_drops = 0.0
        self._next_place = 0.0
        # Today's counters as of the last 60-s refresh, and a log for the last minute.
        self._calls_today = 0
        self._drops_today = 0
        self._answers_today = 0
        self._calls_one = 0
        self._drops_one = 0
        self._call_times: deque[float] = deque()
        self._drop_times: deque[float] = deque()
        self._seen_dials = 0
        self._drops = 0
        self._level_updates = 0
        self._at_one = 0

    def on_dial_end(
        self, campaign: Campaign, outcome: DialOutcome, ring_s: float, dialed_at: float
    ) -> None:
        if outcome == "dropped":
            self._drops += 1
            self._drop_times.append(campaign.now)

    def tick(self, campaign: Campaign) -> int:
        now = campaign.now
        while campaign.dials > self._seen_dials:
            self._seen_dials += 1
            self._call_times.append(now)
        if now >= self._next_sample:
            self._next_sample += 1.0
            self._samples.append((len(campaign.ready), len(campaign.waiting), campaign.logged_in))
        if now >= self._next_drops:
            self._next_drops += 60.0
            self._refresh_drops(campaign)
        if now >= self._next_level:
            self._next_level += 15.0
            self._update_level(campaign)
        if now >= self._next_place:
            self._next_place += 2.5
            return _vicidial_goal(self.level, campaign)
        return 0

    def _refresh_drops(self, campaign: Campaign) -> None:
        now = campaign.now
        while self._call_times and self._call_times[0] < now - 60.0:
            self._call_times.popleft()
        while self._drop_times and self._drop_times[0] < now - 60.0:
            self._drop_times.popleft()
        self._calls_today = campaign.dials
        self._drops_today = self._drops
        # Human-answered statuses: calls agents handled as people, plus every DROP.
        self._answers_today = campaign.live_connected + self._drops
        self._calls_one = len(self._call_times)
        self._drops_one = len(self._drop_times)

    def _update_level(self, campaign: Campaign) -> None:
        if not self._samples:
            return
        count = len(self._samples)
        ready = sum(s[0] for s in self._samples) / count
        waiting = sum(s[1] for s in self._samples) / count
        total = sum(s[2] for s in self._samples) / count
        differential = ready - waiting + self.diff_target
        step = differential / total if total and differential else 0.0
        level = min(max(self.level * (1.0 + step), 1.0), self.max_level)
        if self._calls_one > 20 and self._drops_one * 100.0 / self._calls_one > 50.0:
            level /= 2.0
        answers = self._answers_today
        drop_pct = self._drops_today * 100.0 / answers if answers else 0.0
        if self._calls_today > 50 and drop_pct > self.dropped_percentage:
            if self.method == "ADAPT_HARD_LIMIT":
                level = 1.0
            elif self.method == "ADAPT_AVERAGE":
                level /= 2.0
            elif self.method == "ADAPT_TAPERED":
                hours_left = self.latest_server_hhmm - _hhmm(campaign)
                if hours_left < 0:
                    level = 1.0
                elif hours_left <= 1000:
                    level *= hours_left / 1000.0
        self.level = max(level, 1.0)
        self._level_updates += 1
        self._at_one += self.level <= 1.0

    def day_extras(self) -> dict[str, float]:
        return {"share_of_updates_at_level_1": self._at_one / max(self._level_updates, 1)}


def _hhmm(campaign: Campaign) -> int:
    """The server time of day as HHMM, the shift starting at ``shift_start_hhmm``."""
    start = campaign.config.shift_start_hhmm
    minutes = (start // 100) * 60 + start % 100 + int(campaign.now // 60)
    return (minutes // 60) * 100 + minutes % 60


def erlang_b(servers: int, offered: float) -> float:
    """Blocking probability of an Erlang loss system (the stable recursion)."""
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = offered * blocking / (n + offered * blocking)
    return blocking


class ErlangBPolicy(Policy):
    """Open loop: Poisson dials at the rate that loses ``target`` of the answers in an
    Erlang-B system of the logged-in agents (true model parameters; machines count as
    short calls). State-blind: it never looks at the agents or the calls."""

    name = "erlang-b"
    tick_s = 0.5

    def __init__(self, config: SimConfig, seed: int, target: float | None = None) -> None:
        self.config = config
        self.seed = seed
        self.target = config.abandon_target if target is None else target

    def dial_rate(self, agents: int) -> float:
        """Dials per second."""
        config = self.config
        low, high = 0.0, float(agents) * 2.0
        for _ in range(60):
            mid = (low + high) / 2.0
            if erlang_b(agents, mid) < self.target:
                low = mid
            else:
                high = mid
        work_per_dial_s = config.p_live * (config.talk_mean_s + config.wrap_mean_s) + (
            config.p_machine * config.machine_handling_s
        )
        return low / work_per_dial_s

    def start_day(self, campaign: Campaign) -> None:
        self._rng = random.Random(f"erlang:{self.seed}:{campaign.day}")  # noqa: S311
        self._rates: dict[int, float] = {}

    def tick(self, campaign: Campaign) -> int:
        agents = campaign.logged_in
        rate = self._rates.get(agents)
        if rate is None:
            rate = self._rates[agents] = self.dial_rate(agents)
        return _poisson(self._rng, rate * self.tick_s)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (means here are small)."""
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def tune_fixed_ratio(
    config: SimConfig,
    seed: int,
    days: int,
    target: float | None = None,
    low: float = 1.0,
    high: float = 3.0,
    step: float = 0.05,
    progress: Callable[[float, float], None] | None = None,
) -> float:
    """The largest level on the grid whose P95 daily abandon rate is within ``target``.

    Bisection on the grid (the abandon rate grows with the level); ``seed`` must not be an
    evaluation seed.
    """
    target = config.abandon_target if target is None else target

    def passes(level: float) -> bool:
        results = simulate(config, FixedRatioPolicy(level), seed, days)
        p95 = percentile([d.abandon_rate for d in results], 0.95)
        if progress is not None:
            progress(level, p95)
        return p95 <= target

    grid = [round(low + i * step, 4) for i in range(round((high - low) / step) + 1)]
    lo, hi = 0, len(grid) - 1  # grid[lo] passes (level 1.0 never abandons); find the last pass
    if passes(grid[hi]):
        return grid[hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(grid[mid]):
            lo = mid
        else:
            hi = mid
    return grid[lo]
