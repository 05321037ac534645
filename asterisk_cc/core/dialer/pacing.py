"""Outbound pacing: how many new calls the dialer places now.

Two pacing modes (preview dialing is agent-driven and needs no pacing):

- ``"progressive"``: one line per ready agent not already covered by a ringing or waiting
  call. It never abandons a call: every call has an agent waiting for it.
- ``"predictive"``: dial ahead of agents who are about to finish, as far as the abandon
  budget allows. For each candidate call the law estimates the probability that it is
  answered by a person who then finds no agent free within the grace window (2 s), from
  the live state: each agent's state and time in state, each ringing call's age, the calls
  answered and waiting, and distributions learned online (answer probabilities per key,
  ring times of live and machine answers, talk plus wrap-up times). It places calls one
  after another while that probability stays under a threshold. The threshold follows the
  abandon budget of the regulatory window: it loosens while the budget is under-used and
  tightens as it runs out, down to progressive (never beyond one line per uncovered ready
  agent) once it is spent. No setting needs tuning per campaign. See
  ``docs/dialer-pacing.md``.

The module is pure: no clock, no I/O. The caller owns one :class:`PacingStats` per
campaign, tells it what happened, and every tick (0.5 s; also after events if it likes)
asks :func:`decide` how many calls to place::

    stats = PacingStats()                  # or PacingStats.from_history(dials, agent_calls)

    # every tick
    snapshot = PacingSnapshot(
        agents=(AgentSnapshot("talking", 42.0), AgentSnapshot("wrapup", 3.5), ...),
        ringing_ages_s=(0.5, 7.0, 12.5),   # dialled, not answered yet
        answered_waiting=0,                # answered, waiting for an agent right now
        answer_key=("list-7", 14),         # the caller's key for the next dials
    )
    budget = AbandonBudget(                # the regulatory window so far (today, Ofcom)
        live_answers=412.0, abandons=9.0, target_ratio=0.03,
        expected_live_answers_left=estimate_live_answers_left(
            412.0, agent_s_so_far=36_000.0, agent_s_left=108_000.0, stats=stats
        ),
    )
    calls = decide("predictive", snapshot, stats, budget, PacingSettings())

    # as things happen
    stats.observe_dial(key, "human", ring_s)  # or "machine", "dropped", "busy", "no_answer"...
    stats.observe_dial(key, "human", ring_s, abandoned=True)  # a person nobody took in 2 s
    stats.observe_talk(talk_s, wrap_s, answered_by="live")    # when the wrap-up ends

:func:`decide` is :func:`plan` (which changes nothing and returns a
:class:`PacingDecision` with the why) followed by :meth:`PacingStats.observe_decision`,
which keeps the threshold calibrated; a caller that may place fewer calls than decided uses
``plan`` and reports what it placed. Paused and logged-out agents are not passed in.
"Lines" for :attr:`PacingSettings.max_lines_per_agent` are the calls up and not yet with an
agent (ringing, answered-waiting and new): at most ``floor(max_lines_per_agent *
len(agents))``.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["progressive", "predictive"]
AgentState = Literal["ready", "talking", "wrapup"]
DialOutcome = Literal["live", "machine", "dropped", "failed", "no_answer"]
"""How a dial ended, as :meth:`PacingStats.observe_dial` reads it. ``live`` (or the
project's ``CallOutcome.HUMAN``, ``"human"``) / ``machine``: answered, and it is known who
answered (AMD, or the agent's disposition); ``dropped``: answered but no agent was free
within the grace window and nobody knows whether a person or a machine answered;
``no_answer``: the ring timeout expired; anything else (``failed``, ``busy``,
``congestion``, ``invalid_number``) is a fast failure; ``cancelled`` is ignored."""
_FAST_FAILURES = frozenset({"failed", "busy", "congestion", "invalid_number"})

_SQRT2 = math.sqrt(2.0)
_RING_BIN_S = 0.25
_RING_MAX_S = 120.0
_AGE_STEP_S = 0.5
# Elapsed-time buckets of agents: fine where calls end often (machine greetings, short
# calls), coarse in the long tail. Values are lower bounds in seconds.
_ELAPSED_BOUNDS_S: tuple[float, ...] = tuple(
    [float(s) for s in range(30)]
    + [float(s) for s in range(30, 60, 2)]
    + [float(s) for s in range(60, 120, 5)]
    + [float(s) for s in range(120, 300, 10)]
    + [float(s) for s in range(300, 600, 20)]
    + [float(s) for s in range(600, 1200, 50)]
    + [float(s) for s in range(1200, 3600, 100)]
    + [3600.0]
)


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """One logged-in, non-paused agent.

    ``free_in_s`` is the exact time until the agent is ready again, when it is known; the
    live dialer never knows it (leave ``None``), the simulator uses it for the
    agent-clairvoyant bound.
    """

    state: AgentState
    in_state_s: float = 0.0
    free_in_s: float | None = None


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """The campaign right now: its agents, its calls in flight, the key of the next dials."""

    agents: tuple[AgentSnapshot, ...]
    ringing_ages_s: tuple[float, ...] = ()
    answered_waiting: int = 0
    answer_key: Hashable = None


@dataclass(frozen=True, slots=True)
class AbandonBudget:
    """What the regulatory window (a calendar day for Ofcom, 30 days for the FTC) has used.

    ``live_answers`` counts live answers including the abandoned ones. Without answering
    machine detection nobody knows whether a dropped call was a person: count each drop as
    :meth:`PacingStats.live_share_of_drop` of an abandon (a reasoned estimate from its ring
    time), or as Ofcom's cruder ``drops * H / (H + AM)`` (:func:`estimated_abandons`);
    hence floats. ``abandons_variance`` is the variance of that estimate (the sum of
    ``share * (1 - share)`` over the drops; 0 when every abandon is known).
    ``expected_live_answers_left`` is the live answers still expected before the window
    closes (:func:`estimate_live_answers_left`); ``None`` for a window with no known end: the
    budget then spreads over :attr:`PacingSettings.open_window_live_answers`.
    """

    live_answers: float = 0.0
    abandons: float = 0.0
    target_ratio: float = 0.03
    expected_live_answers_left: float | None = None
    abandons_variance: float = 0.0

    def allowed_abandons(self) -> float:
        """Abandons still allowed before the window's ratio reaches the target."""
        left = self.expected_live_answers_left or 0.0
        return self.target_ratio * (self.live_answers + left) - self.abandons


@dataclass(frozen=True, slots=True)
class PacingSettings:
    """Campaign settings of the pacing law. The defaults serve every campaign.

    ``budget_reserve_sd`` keeps ``budget_reserve_sd * sqrt(allowed abandons + variance of
    the count)`` of the remaining budget in reserve against bad luck; it shrinks as the
    window closes. It was chosen once, on simulation seeds apart from the published ones.
    ``max_plan_ratio`` caps the abandon ratio planned for the rest of the window at this
    multiple of the target (a window that under-spent early does not burst at its end).
    """

    max_lines_per_agent: float = 3.0
    grace_s: float = 2.0
    ring_timeout_s: float = 25.0
    answer_time_points: int = 8
    budget_reserve_sd: float = 3.0
    max_plan_ratio: float = 2.0
    open_window_live_answers: float = 300.0


@dataclass(frozen=True, slots=True)
class PacingDecision:
    """What :func:`plan` decided, and why, for the caller and for :meth:`PacingStats.observe_decision`.

    ``threshold`` is the largest abandon probability accepted for one call, ``plan_ratio``
    the abandon ratio planned for the rest of the window, ``model_ratio`` that ratio
    corrected by the model's measured calibration (what the threshold loop aims at).
    """

    calls: int
    expected_abandons: float = 0.0
    expected_live_answers: float = 0.0
    threshold: float = 0.0
    plan_ratio: float = 0.0
    model_ratio: float = 0.0
    mode: Mode = "progressive"


@dataclass(frozen=True, slots=True)
class PacingPriors:
    """What :class:`PacingStats` assumes before it has data (the reference baseline), and
    how much weight that assumption has, in observations."""

    p_live: float = 0.20
    p_machine: float = 0.25
    p_failed: float = 0.10
    live_ring_mean_s: float = 8.0
    live_ring_sd_s: float = 4.0
    machine_ring_mean_s: float = 20.0
    machine_ring_sd_s: float = 3.0
    failed_ring_min_s: float = 2.0
    failed_ring_max_s: float = 6.0
    talk_mean_s: float = 120.0
    talk_cv: float = 1.0
    wrap_mean_s: float = 15.0
    wrap_sd_s: float = 10.0
    machine_handling_s: float = 6.0
    answer_weight: float = 200.0
    ring_weight: float = 50.0
    call_weight: float = 30.0


def estimated_abandons(drops: float, live_handled: float, machine_handled: float) -> float:
    """Ofcom's estimate of the abandoned calls answered by a person, without AMD:
    ``drops * H / (H + AM)`` (drops that hit machines removed in proportion). With no
    handled call yet, every drop counts."""
    handled = live_handled + machine_handled
    if handled <= 0:
        return drops
    return drops * live_handled / handled


def estimate_live_answers_left(
    live_answers: float,
    agent_s_so_far: float,
    agent_s_left: float,
    stats: PacingStats,
    prior_talk_share: float = 0.6,
    prior_agent_s: float = 3600.0,
) -> float:
    """Live answers expected in the rest of the window, from the live answers per logged-in
    agent-second so far (blended with a prior of ``prior_talk_share`` of the time on live
    calls while the window is young) times the agent-seconds still planned."""
    prior_rate = prior_talk_share / max(stats.mean_live_call_s(), 1.0)
    rate = (live_answers + prior_rate * prior_agent_s) / (agent_s_so_far + prior_agent_s)
    return rate * max(agent_s_left, 0.0)


def progressive_calls(snapshot: PacingSnapshot, settings: PacingSettings) -> int:
    """One line per ready agent not covered by a call in flight, within the lines cap."""
    ready = sum(1 for agent in snapshot.agents if agent.state == "ready")
    in_flight = len(snapshot.ringing_ages_s) + snapshot.answered_waiting
    return max(0, min(ready - in_flight, _lines_cap(snapshot, settings) - in_flight))


def decide(
    mode: Mode,
    snapshot: PacingSnapshot,
    stats: PacingStats,
    budget: AbandonBudget,
    settings: PacingSettings | None = None,
) -> int:
    """The number of new calls to place now.

    ``plan(...)`` followed by ``stats.observe_decision(...)``: it assumes the caller places
    the calls. A caller that may place fewer uses :func:`plan` and reports what it placed.
    """
    decision = plan(mode, snapshot, stats, budget, settings)
    stats.observe_decision(decision)
    return decision.calls


def plan(
    mode: Mode,
    snapshot: PacingSnapshot,
    stats: PacingStats,
    budget: AbandonBudget,
    settings: PacingSettings | None = None,
) -> PacingDecision:
    """Decide how many calls to place now, with the quantities behind the decision.

    Changes nothing (the statistics' tables may be rebuilt from data they already hold).
    """
    settings = settings or PacingSettings()
    if not snapshot.agents:
        return PacingDecision(calls=0, mode=mode)
    floor = progressive_calls(snapshot, settings)
    if mode == "progressive":
        return PacingDecision(calls=floor, mode=mode)
    plan_ratio = _plan_ratio(budget, settings)
    if plan_ratio <= 0.0:
        # Budget spent: progressive behaviour, never beyond.
        return PacingDecision(calls=floor, mode=mode)
    model = stats.model(settings)
    key_model = stats.key_model(snapshot.answer_key, settings)
    model_ratio = plan_ratio / stats.calibration()
    threshold = min(stats.threshold_gain() * model_ratio * key_model.p_live, 0.5 * key_model.p_live)
    cap = _lines_cap(snapshot, settings) - len(snapshot.ringing_ages_s) - snapshot.answered_waiting
    calls, expected_abandons = _predictive_calls(
        snapshot, model, key_model, threshold, floor, max(cap, floor)
    )
    return PacingDecision(
        calls=calls,
        expected_abandons=expected_abandons,
        expected_live_answers=calls * key_model.p_live,
        threshold=threshold,
        plan_ratio=plan_ratio,
        model_ratio=model_ratio,
        mode=mode,
    )


def _lines_cap(snapshot: PacingSnapshot, settings: PacingSettings) -> int:
    return math.floor(settings.max_lines_per_agent * len(snapshot.agents) + 1e-9)


def _plan_ratio(budget: AbandonBudget, settings: PacingSettings) -> float:
    """The abandon ratio to aim at for the rest of the window.

    The allowed abandons left, minus a reserve of ``budget_reserve_sd`` standard deviations
    (of a Poisson count of that size, plus the variance of the count so far), spread over the live answers expected before the window
    closes. Spending less than the whole budget early keeps a reserve for bad luck; as the
    window closes the reserve shrinks with the square root of what is left, so little of
    the budget stays unused.
    """
    if budget.target_ratio <= 0.0:
        return 0.0
    if budget.expected_live_answers_left is None:
        left = settings.open_window_live_answers
        allowed = budget.target_ratio * (budget.live_answers + left) - budget.abandons
    else:
        left = max(budget.expected_live_answers_left, 1.0)
        allowed = budget.allowed_abandons()
    if allowed <= 0.0:
        return 0.0
    # The reserve covers the randomness of the abandons still to come (Poisson: variance
    # about their number) and the uncertainty of the estimated count so far.
    planned = allowed - settings.budget_reserve_sd * math.sqrt(allowed + budget.abandons_variance)
    if planned <= 0.0:
        return 0.0
    return min(planned / left, settings.max_plan_ratio * budget.target_ratio)


def _shortage_probability(mean: float, var: float) -> float:
    """P(agents free for the call - calls ahead of it <= 0) for a count with this mean and
    variance: a normal approximation with continuity correction while an agent is expected
    (mean >= 0.5), and a variance-free curve when none is. The split keeps the law monotone:
    more claims or fewer free agents never lower the probability."""
    if mean >= 0.5:
        if var <= 1e-12:
            return 0.0
        return 0.5 * math.erfc((mean - 0.5) / math.sqrt(2.0 * var))
    return 0.5 * math.erfc(_SQRT2 * (mean - 0.5))


def _predictive_calls(
    snapshot: PacingSnapshot,
    model: _AgentModel,
    key_model: _KeyModel,
    threshold: float,
    floor: int,
    cap: int,
) -> tuple[int, float]:
    """Place calls one by one while each one's abandon probability stays under the threshold.

    For a new call answered live at ``tau`` (``tau`` running over quantiles of the live ring
    time), it is abandoned when the agents free by ``tau + grace`` do not outnumber the calls
    ahead of it: the calls waiting now, the ringing calls and the earlier new calls that
    answer before ``tau`` (a machine answer holds its agent only for the machine handling
    time, so only recent ones count). Agents and calls are independent Bernoulli terms.
    """
    points = len(model.free_by_s)
    ready = 0
    q_rows: list[tuple[float, ...]] = []
    v_rows: list[tuple[float, ...]] = []
    talk_rows, wrap_rows, bounds = model.talk_rows, model.wrap_rows, _ELAPSED_BOUNDS_S
    for agent in snapshot.agents:
        if agent.free_in_s is not None:
            free_in = agent.free_in_s
            q_rows.append(tuple(1.0 if free_in <= x else 0.0 for x in model.free_by_s))
        elif agent.state == "ready":
            ready += 1
        else:
            index = bisect_right(bounds, agent.in_state_s) - 1
            q_row, v_row = (talk_rows if agent.state == "talking" else wrap_rows)[max(index, 0)]
            q_rows.append(q_row)
            v_rows.append(v_row)
    claim_rows = key_model.claim_rows
    last_age = len(claim_rows) - 1
    for age_s in snapshot.ringing_ages_s:
        index = int(age_s / _AGE_STEP_S)
        if index <= last_age:
            negated_claim, v_row = claim_rows[index]
            q_rows.append(negated_claim)
            v_rows.append(v_row)
    base = float(ready - snapshot.answered_waiting)
    if q_rows:
        mean = [base + sum(column) for column in zip(*q_rows, strict=True)]
    else:
        mean = [base] * points
    var = [sum(column) for column in zip(*v_rows, strict=True)] if v_rows else [0.0] * points
    terms = list(zip(mean, key_model.new_claim, var, claim_rows[0][1], strict=True))
    weight = key_model.p_live / points
    expected_abandons = 0.0
    calls = 0
    while calls < cap:
        # The next call is the (calls + 1)-th new one: the earlier new calls are ahead of it.
        probability = 0.0
        for m, c, s, cv in terms:
            probability += _shortage_probability(m + calls * c, s + calls * cv)
        probability *= weight
        if calls >= floor and probability > threshold:
            break
        expected_abandons += probability
        calls += 1
    return calls, expected_abandons


# --------------------------------------------------------------------------- statistics


@dataclass(slots=True)
class _Histogram:
    """Ring times on a fixed grid, with exponential forgetting (newer samples weigh more)."""

    memory: float
    weights: list[float] = field(default_factory=lambda: [0.0] * int(_RING_MAX_S / _RING_BIN_S))
    total: float = 0.0
    scale: float = 1.0

    def add(self, value_s: float, weight: float = 1.0) -> None:
        # Growing the weight of new samples instead of shrinking all the old ones keeps an
        # observation O(1); rescale now and then to stay in float range.
        self.scale /= 1.0 - 1.0 / self.memory
        index = min(max(int(value_s / _RING_BIN_S), 0), len(self.weights) - 1)
        self.weights[index] += weight * self.scale
        self.total += weight * self.scale
        if self.scale > 1e100:
            self.weights = [w / self.scale for w in self.weights]
            self.total /= self.scale
            self.scale = 1.0

    def add_distribution(self, cdf: list[float], weight: float) -> None:
        previous = 0.0
        for index, value in enumerate(cdf):
            self.weights[index] += (value - previous) * weight * self.scale
            previous = value
        self.total += previous * weight * self.scale

    def cdf(self) -> list[float]:
        """P(ring <= right edge of each bin)."""
        result: list[float] = []
        running = 0.0
        total = self.total or 1.0
        for w in self.weights:
            running += w
            result.append(running / total)
        return result


@dataclass(slots=True)
class _OutcomeCounts:
    """Discounted counts of dial outcomes for one key: live, machine, failed, no answer."""

    memory: float
    live: float = 0.0
    machine: float = 0.0
    failed: float = 0.0
    no_answer: float = 0.0
    observations: int = 0

    def add(self, live: float, machine: float, failed: float, no_answer: float) -> None:
        keep = 1.0 - 1.0 / self.memory
        self.live = self.live * keep + live
        self.machine = self.machine * keep + machine
        self.failed = self.failed * keep + failed
        self.no_answer = self.no_answer * keep + no_answer
        self.observations += 1

    @property
    def total(self) -> float:
        return self.live + self.machine + self.failed + self.no_answer


@dataclass(frozen=True, slots=True)
class _AgentModel:
    """Tables for agents: P(free by x) for each look-ahead point x, by state and elapsed
    bucket, with the matching Bernoulli variances; and the ring-time CDFs the key models use."""

    free_by_s: tuple[float, ...]
    answer_at_s: tuple[float, ...]
    talk_rows: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    wrap_rows: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    ring_rows: tuple[_RingRow, ...]
    version: int


@dataclass(frozen=True, slots=True)
class _RingRow:
    """For a ringing call of one age: CDFs of live, machine and failed ring times at that
    age, and for each look-ahead point the probability mass of a live answer before it and
    of a machine answer recent enough to still hold its agent."""

    live_cdf: float
    machine_cdf: float
    failed_cdf: float
    live_mass: tuple[float, ...]
    machine_mass: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class _KeyModel:
    """For one answer key: P(live answer), and per ringing-call age the probability that the
    call claims an agent before each look-ahead point (live answer, or a machine answer still
    held by its agent), with variances."""

    p_live: float
    p_machine: float
    claim_rows: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
    """Per age step: (minus the claim probabilities, their variances); negated so that
    summing agents' and calls' rows gives agents free minus claims."""
    new_claim: tuple[float, ...]
    """Minus the claim probabilities of a call placed now (age 0)."""


@dataclass(frozen=True, slots=True)
class AnswerProbabilities:
    live: float
    machine: float
    failed: float
    no_answer: float


class PacingStats:
    """Online estimates behind the predictive law; one per campaign, fed by the caller.

    - ``observe_dial(key, outcome, ring_s)`` for every dial that ended (see
      :data:`DialOutcome`; ``ring_s`` from origination to answer, failure or timeout). Answer
      probabilities are kept per key (the caller's choice, e.g. list and hour of day),
      shrunk towards the pooled estimate while a key has little data; ring-time
      distributions are pooled. Older dials weigh less (``answer_memory`` dials per key).
      ``abandoned=True`` marks a person nobody took within the grace window; a
      ``dropped`` call counts as :meth:`live_share_of_drop` of one. Measured abandons
      feed the calibration.
    - ``observe_talk(talk_s, wrap_s, answered_by)`` when an agent's wrap-up ends
      (``wrap_s`` 0 when there was none): the joint talk + wrap-up distribution, kept as the
      last ``call_memory`` calls, so a mix of short machine greetings and long talks is
      learned as it is.
    - ``observe_decision(decision)`` after placing the calls of a :func:`plan` (:func:`decide`
      does it): keeps the threshold calibrated so that the model's expected abandons track
      the planned ratio, and keeps the model's expected abandons to compare with the
      measured ones.

    Before data arrives the :class:`PacingPriors` (the reference baseline) stand in, with
    small weights. :meth:`from_history` seeds a new instance from stored history. The
    instance never reads a clock; the tables are rebuilt lazily as data accumulates.
    """

    def __init__(
        self,
        priors: PacingPriors | None = None,
        answer_memory: float = 600.0,
        ring_memory: float = 3000.0,
        call_memory: int = 3000,
        calibration_memory: float = 4000.0,
        calibration_prior_abandons: float = 15.0,
        threshold_step: float = 0.02,
    ) -> None:
        self.priors = priors or PacingPriors()
        self._answer_memory = answer_memory
        self._calibration_memory = calibration_memory
        self._calibration_prior = calibration_prior_abandons
        self._threshold_step = threshold_step
        p = self.priors
        self._pooled = _OutcomeCounts(memory=answer_memory * 10.0)
        self._pooled_prior = (p.p_live, p.p_machine, p.p_failed)
        self._keys: dict[Hashable, _OutcomeCounts] = {}
        self._live_ring = _Histogram(memory=ring_memory)
        self._machine_ring = _Histogram(memory=ring_memory)
        self._failed_ring = _Histogram(memory=ring_memory)
        bins = len(self._live_ring.weights)
        edges = [(i + 1) * _RING_BIN_S for i in range(bins)]
        self._live_ring.add_distribution(
            [_lognormal_cdf(x, p.live_ring_mean_s, p.live_ring_sd_s) for x in edges], p.ring_weight
        )
        self._machine_ring.add_distribution(
            [_lognormal_cdf(x, p.machine_ring_mean_s, p.machine_ring_sd_s) for x in edges],
            p.ring_weight,
        )
        span = max(p.failed_ring_max_s - p.failed_ring_min_s, 1e-9)
        self._failed_ring.add_distribution(
            [min(max((x - p.failed_ring_min_s) / span, 0.0), 1.0) for x in edges], p.ring_weight
        )
        self._calls: deque[tuple[float, float]] = deque(maxlen=call_memory)
        # Smooth (lognormal) fits of live talk and wrap-up times: the tables lean on them
        # where the empirical data is thin, mostly the long tail of talk times.
        self._live_talk = _LogMoments.prior(p.talk_mean_s, p.talk_mean_s * p.talk_cv, p.call_weight)
        self._live_wrap = _LogMoments.prior(p.wrap_mean_s, p.wrap_sd_s, p.call_weight)
        self._machine_hold_sum = p.machine_handling_s * 5.0
        self._machine_hold_count = 5.0
        self._live_call_sum = (p.talk_mean_s + p.wrap_mean_s) * p.call_weight
        self._live_call_count = p.call_weight
        # Threshold loop and calibration (see observe_decision).
        self._log_gain = 0.0
        self._predicted_abandons = 0.0
        self._abandons = 0.0
        # Lazily rebuilt tables.
        self._observations = 0
        self._built_at = -1
        self._model: _AgentModel | None = None
        self._model_settings: tuple[float, float, int] | None = None
        self._key_models: dict[Hashable, tuple[_KeyModel, int, int]] = {}

    # -- seeding --------------------------------------------------------------------

    @classmethod
    def from_history(
        cls,
        dials: Iterable[tuple[Hashable, str, float]] = (),
        agent_calls: Iterable[tuple[float, float]] = (),
        priors: PacingPriors | None = None,
    ) -> PacingStats:
        """A new instance fed with stored history, oldest first: ``(key, outcome, ring_s)``
        per dial and ``(talk_s, wrap_s)`` per agent-handled call."""
        stats = cls(priors)
        for key, outcome, ring_s in dials:
            stats.observe_dial(key, outcome, ring_s)
        for talk_s, wrap_s in agent_calls:
            stats.observe_talk(talk_s, wrap_s)
        return stats

    # -- observations -----------------------------------------------------------------

    def observe_dial(
        self, key: Hashable, outcome: str, ring_s: float, abandoned: bool = False
    ) -> None:
        """One dial ended with ``outcome`` (see :data:`DialOutcome`) after ``ring_s`` seconds
        from origination to answer, failure or timeout. ``abandoned``: a call known to be a
        person (``live``) that no agent took within the grace window."""
        if outcome == "dropped":
            # Nobody heard who answered: split it by how likely a live answer is at this
            # ring time (people answer early, machines late).
            live_share = self.live_share_of_drop(key, ring_s)
            shares = (live_share, 1.0 - live_share, 0.0, 0.0)
            self._live_ring.add(ring_s, live_share)
            self._machine_ring.add(ring_s, 1.0 - live_share)
            self._age_calibration()
            self._abandons += live_share
        elif outcome in ("live", "human"):
            shares = (1.0, 0.0, 0.0, 0.0)
            self._live_ring.add(ring_s)
            self._age_calibration()
            if abandoned:
                self._abandons += 1.0
        elif outcome == "machine":
            shares = (0.0, 1.0, 0.0, 0.0)
            self._machine_ring.add(ring_s)
            self._age_calibration()
        elif outcome == "no_answer":
            shares = (0.0, 0.0, 0.0, 1.0)
        elif outcome in _FAST_FAILURES:
            shares = (0.0, 0.0, 1.0, 0.0)
            self._failed_ring.add(ring_s)
        else:
            return  # cancelled by the dialer: says nothing about the lead
        counts = self._keys.get(key)
        if counts is None:
            counts = self._keys[key] = _OutcomeCounts(memory=self._answer_memory)
        counts.add(*shares)
        self._pooled.add(*shares)
        self._observations += 1

    def observe_talk(
        self, talk_s: float, wrap_s: float = 0.0, answered_by: Literal["live", "machine"] = "live"
    ) -> None:
        """An agent finished a call: ``talk_s`` connected, then ``wrap_s`` of wrap-up (pass
        it: the law needs to know when the agent is ready again, not when the call ended).
        ``answered_by="machine"`` for a machine greeting the agent heard and dispositioned."""
        talk_s = max(talk_s, 0.0)
        wrap_s = max(wrap_s, 0.0)
        self._calls.append((talk_s, wrap_s))
        if answered_by == "machine":
            self._machine_hold_sum += talk_s + wrap_s
            self._machine_hold_count += 1.0
        else:
            keep = 1.0 - 1.0 / 1000.0
            self._live_call_sum = self._live_call_sum * keep + talk_s + wrap_s
            self._live_call_count = self._live_call_count * keep + 1.0
            self._live_talk.add(talk_s)
            if wrap_s > 0.0:
                self._live_wrap.add(wrap_s)
        self._observations += 1

    def observe_decision(self, decision: PacingDecision) -> None:
        """The calls of ``decision`` were placed.

        Threshold loop: for every call placed, ``log(gain)`` moves by ``threshold_step``
        times ``1 - p / (model_ratio * p_live)``, where ``p`` is the call's abandon
        probability. It settles where the model's expected abandons per expected live
        answer equal ``model_ratio``: calls placed well under the threshold push the gain
        up, calls at a threshold above the plan push it down.
        """
        if decision.calls <= 0 or decision.mode != "predictive":
            return
        self._predicted_abandons += decision.expected_abandons
        p_live = decision.expected_live_answers / decision.calls
        aim = decision.model_ratio * p_live * decision.calls
        if aim <= 0.0:
            return
        error = (aim - decision.expected_abandons) / (decision.model_ratio * p_live)
        step = self._threshold_step * max(error, -3.0 * decision.calls)
        self._log_gain = min(max(self._log_gain + step, math.log(0.2)), math.log(20.0))

    # -- estimates --------------------------------------------------------------------

    def answer_probabilities(self, key: Hashable = None) -> AnswerProbabilities:
        """P(live), P(machine), P(failed), P(no answer) of a dial under ``key``."""
        pooled = self._pooled
        prior_n = self.priors.answer_weight
        p_live, p_machine, p_failed = self._pooled_prior
        n = pooled.total
        pooled_live = (pooled.live + prior_n * p_live) / (n + prior_n)
        pooled_machine = (pooled.machine + prior_n * p_machine) / (n + prior_n)
        pooled_failed = (pooled.failed + prior_n * p_failed) / (n + prior_n)
        counts = self._keys.get(key)
        if counts is None:
            live, machine, failed = pooled_live, pooled_machine, pooled_failed
        else:
            m = self.priors.answer_weight
            total = counts.total + m
            live = (counts.live + m * pooled_live) / total
            machine = (counts.machine + m * pooled_machine) / total
            failed = (counts.failed + m * pooled_failed) / total
        return AnswerProbabilities(live, machine, failed, max(0.0, 1.0 - live - machine - failed))

    def live_share_of_drop(self, key: Hashable, ring_s: float) -> float:
        """P(a person answered | the call was answered after ``ring_s`` and dropped): the
        reasoned estimate of a dropped call's share of an abandon, from the ring-time
        distributions of live and machine answers (Bayes, densities over +-1 s)."""
        p = self.answer_probabilities(key)
        index = int(ring_s / _RING_BIN_S)
        low, high = max(index - 4, 0), index + 5
        live = self._live_ring
        machine = self._machine_ring
        live_density = sum(live.weights[low:high]) / (live.total or 1.0)
        machine_density = sum(machine.weights[low:high]) / (machine.total or 1.0)
        live_weight = p.live * live_density
        machine_weight = p.machine * machine_density
        if live_weight + machine_weight <= 0.0:
            return 1.0  # nothing known: count it as a person (the safe side)
        return live_weight / (live_weight + machine_weight)

    def mean_live_call_s(self) -> float:
        """Mean talk plus wrap-up time of live calls."""
        return self._live_call_sum / self._live_call_count

    def calibration(self) -> float:
        """Measured abandons over the model's expected abandons (1.0 until data says
        otherwise). Measured abandons are the drops weighted by :meth:`live_share_of_drop`."""
        measured = self._abandons
        prior = self._calibration_prior
        ratio = (measured + prior) / (self._predicted_abandons + prior)
        return min(max(ratio, 0.25), 4.0)

    def threshold_gain(self) -> float:
        """How far above the planned ratio the marginal call may go (see observe_decision)."""
        return math.exp(self._log_gain)

    def _age_calibration(self) -> None:
        # Once per answered call: the calibration remembers about calibration_memory of them.
        keep = 1.0 - 1.0 / self._calibration_memory
        self._predicted_abandons *= keep
        self._abandons *= keep

    # -- tables -----------------------------------------------------------------------

    def model(self, settings: PacingSettings) -> _AgentModel:
        """The agent tables for ``settings``, rebuilt when enough new data arrived."""
        wanted = (settings.grace_s, settings.ring_timeout_s, settings.answer_time_points)
        stale = self._observations - self._built_at >= max(50, min(2000, self._built_at // 4))
        if self._model is None or self._model_settings != wanted or stale:
            self._model = self._build_model(settings)
            self._model_settings = wanted
            self._built_at = self._observations
            self._key_models.clear()
        return self._model

    def key_model(self, key: Hashable, settings: PacingSettings) -> _KeyModel:
        """The ringing-call tables for ``key`` (rebuilt after 25 new dials of that key)."""
        model = self.model(settings)
        counts = self._keys.get(key)
        seen = counts.observations if counts is not None else 0
        cached = self._key_models.get(key)
        if cached is not None and cached[1] == model.version and seen - cached[2] < 25:
            return cached[0]
        built = self._build_key_model(key, model, settings)
        self._key_models[key] = (built, model.version, seen)
        return built

    def _build_model(self, settings: PacingSettings) -> _AgentModel:
        live_cdf = self._live_ring.cdf()
        timeout_index = min(int(settings.ring_timeout_s / _RING_BIN_S), len(live_cdf) - 1)
        # Look-ahead points: quantiles of the live ring time, given an answer before the
        # timeout; a new call answered at one of them needs an agent by it + grace.
        answered = live_cdf[timeout_index] or 1.0
        points = settings.answer_time_points
        answer_at: list[float] = []
        for j in range(points):
            target = (j + 0.5) / points * answered
            index = bisect_left(live_cdf, target)
            answer_at.append(min(index + 1, timeout_index + 1) * _RING_BIN_S)
        free_by = tuple(a + settings.grace_s for a in answer_at)
        talk_mu, talk_sigma = self._live_talk.params()
        wrap_mu, wrap_sigma = self._live_wrap.params()
        wrap_quantiles = [
            math.exp(wrap_mu + wrap_sigma * _normal_quantile((k + 0.5) / 5)) for k in range(5)
        ]

        def talk_then_wrap(elapsed: float, x: float) -> float:
            # P(T + W <= elapsed + x | T > elapsed), W averaged over its quantiles.
            survive = 1.0 - _lognormal_cdf_params(elapsed, talk_mu, talk_sigma)
            if survive <= 1e-12:
                return 1.0
            start = _lognormal_cdf_params(elapsed, talk_mu, talk_sigma)
            total = 0.0
            for w in wrap_quantiles:
                end = _lognormal_cdf_params(elapsed + x - w, talk_mu, talk_sigma)
                total += max(end - start, 0.0)
            return total / len(wrap_quantiles) / survive

        def wrap_only(elapsed: float, x: float) -> float:
            survive = 1.0 - _lognormal_cdf_params(elapsed, wrap_mu, wrap_sigma)
            if survive <= 1e-12:
                return 1.0
            start = _lognormal_cdf_params(elapsed, wrap_mu, wrap_sigma)
            return (_lognormal_cdf_params(elapsed + x, wrap_mu, wrap_sigma) - start) / survive

        samples = [(t, w, 1.0) for t, w in self._calls]
        talk_rows = _free_rows(samples, free_by, talk_then_wrap)
        wrap_samples = [(w, 0.0, 1.0) for t, w in self._calls if w > 0.0]
        wrap_rows = _free_rows(wrap_samples, free_by, wrap_only)
        ring_rows = _ring_rows(
            live_cdf,
            self._machine_ring.cdf(),
            self._failed_ring.cdf(),
            answer_at,
            free_by,
            self._machine_hold_sum / self._machine_hold_count,
            settings.ring_timeout_s,
        )
        version = (self._model.version + 1) if self._model is not None else 0
        return _AgentModel(
            free_by_s=free_by,
            answer_at_s=tuple(answer_at),
            talk_rows=talk_rows,
            wrap_rows=wrap_rows,
            ring_rows=ring_rows,
            version=version,
        )

    def _build_key_model(
        self, key: Hashable, model: _AgentModel, settings: PacingSettings
    ) -> _KeyModel:
        p = self.answer_probabilities(key)
        points = len(model.free_by_s)
        zero = (0.0,) * points
        rows: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
        for ring in model.ring_rows:
            unresolved = (
                1.0
                - p.live * ring.live_cdf
                - p.machine * ring.machine_cdf
                - p.failed * ring.failed_cdf
            )
            if unresolved <= 1e-9 or not ring.live_mass:
                rows.append((zero, zero))
                continue
            claims = [
                min((p.live * live + p.machine * machine) / unresolved, 1.0)
                for live, machine in zip(ring.live_mass, ring.machine_mass, strict=True)
            ]
            rows.append((tuple(-q for q in claims), tuple(q * (1.0 - q) for q in claims)))
        new_claim = rows[0][0]
        return _KeyModel(
            p_live=p.live, p_machine=p.machine, claim_rows=tuple(rows), new_claim=new_claim
        )


def _ring_rows(
    live_cdf: list[float],
    machine_cdf: list[float],
    failed_cdf: list[float],
    answer_at: list[float],
    free_by: tuple[float, ...],
    machine_hold_s: float,
    timeout_s: float,
) -> tuple[_RingRow, ...]:
    """The ring-time part of the claim tables, for ages 0, 0.5, 1, ... up to the timeout."""

    def at(cdf: list[float], t: float) -> float:
        t = min(t, timeout_s)
        index = int(t / _RING_BIN_S) - 1
        return cdf[min(index, len(cdf) - 1)] if index >= 0 else 0.0

    rows: list[_RingRow] = []
    for step in range(int(timeout_s / _AGE_STEP_S) + 1):
        age = step * _AGE_STEP_S
        if age >= timeout_s:
            rows.append(_RingRow(1.0, 1.0, 1.0, (), ()))
            continue
        live_mass: list[float] = []
        machine_mass: list[float] = []
        for tau, needed_by in zip(answer_at, free_by, strict=True):
            live_mass.append(at(live_cdf, age + tau) - at(live_cdf, age))
            # A machine answered before needed_by - hold was handled and let its agent go.
            start = max(age, age + needed_by - machine_hold_s)
            machine_mass.append(max(at(machine_cdf, age + tau) - at(machine_cdf, start), 0.0))
        rows.append(
            _RingRow(
                at(live_cdf, age),
                at(machine_cdf, age),
                at(failed_cdf, age),
                tuple(live_mass),
                tuple(machine_mass),
            )
        )
    return tuple(rows)


def _free_rows(
    samples: list[tuple[float, float, float]],
    free_by: tuple[float, ...],
    smooth: Callable[[float, float], float],
    smooth_weight: float = 10.0,
) -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]:
    """For each elapsed bucket ``e``: P(first + second <= e + x | first > e) for each ``x``.

    ``samples`` are ``(first, second, weight)``: talk and wrap-up for a talking agent
    (free when both are over), or wrap-up and 0 for an agent in wrap-up. The empirical
    frequency is shrunk towards ``smooth(e, x)`` with ``smooth_weight`` pseudo-samples: the
    data decides where it is dense, the smooth fit in the thin tail (and before any data).
    """
    ordered = sorted(samples)
    firsts = [s[0] for s in ordered]
    suffix = [0.0] * (len(ordered) + 1)
    for i in range(len(ordered) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + ordered[i][2]
    widest = free_by[-1]
    points = len(free_by)
    rows: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
    for b, lower in enumerate(_ELAPSED_BOUNDS_S):
        upper = _ELAPSED_BOUNDS_S[b + 1] if b + 1 < len(_ELAPSED_BOUNDS_S) else lower + 1.0
        elapsed = (lower + upper) / 2.0 if upper - lower > 1.0 else lower
        start = bisect_right(firsts, elapsed)
        denominator = suffix[start] + smooth_weight
        counts = [0.0] * points
        stop = bisect_right(firsts, elapsed + widest)
        for first, second, weight in ordered[start:stop]:
            needed = first + second - elapsed
            j = bisect_left(free_by, needed)
            if j < points:
                counts[j] += weight
        q_row: list[float] = []
        running = 0.0
        for c, x in zip(counts, free_by, strict=True):
            running += c
            q = (running + smooth_weight * smooth(elapsed, x)) / denominator
            q_row.append(min(max(q, 0.0), 1.0))
        rows.append((tuple(q_row), tuple(q * (1.0 - q) for q in q_row)))
    return tuple(rows)


@dataclass(slots=True)
class _LogMoments:
    """A lognormal fitted online: discounted sums of log(x) and log(x)**2."""

    count: float
    total: float
    squares: float
    memory: float = 1000.0

    @classmethod
    def prior(cls, mean: float, sd: float, weight: float) -> _LogMoments:
        mu, sigma = _lognormal_params(mean, sd)
        return cls(count=weight, total=mu * weight, squares=(sigma**2 + mu**2) * weight)

    def add(self, value: float) -> None:
        keep = 1.0 - 1.0 / self.memory
        log_value = math.log(max(value, 0.1))
        self.count = self.count * keep + 1.0
        self.total = self.total * keep + log_value
        self.squares = self.squares * keep + log_value * log_value

    def params(self) -> tuple[float, float]:
        mu = self.total / self.count
        variance = max(self.squares / self.count - mu * mu, 1e-4)
        return mu, math.sqrt(variance)


def _lognormal_params(mean: float, sd: float) -> tuple[float, float]:
    sigma2 = math.log(1.0 + (sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def _lognormal_cdf(x: float, mean: float, sd: float) -> float:
    mu, sigma = _lognormal_params(mean, sd)
    return _lognormal_cdf_params(x, mu, sigma)


def _lognormal_cdf_params(x: float, mu: float, sigma: float) -> float:
    if x <= 0.0:
        return 0.0
    return 0.5 * math.erfc(-(math.log(x) - mu) / (sigma * _SQRT2))


def _normal_quantile(p: float) -> float:
    """Inverse standard normal CDF by bisection (used only when tables are rebuilt)."""
    low, high = -10.0, 10.0
    for _ in range(80):
        mid = (low + high) / 2.0
        if 0.5 * math.erfc(-mid / _SQRT2) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0
