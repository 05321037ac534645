"""The demo's traffic: who calls when, what they do in the IVR, how agents work, whom the
campaign dials. Pure: every draw comes from a :class:`random.Random` the caller passes, so a
seed gives the same day again.

**Time.** ``asterisk-cc demo --minutes N`` plays N real minutes, and those minutes stand for
the contact centre's open day (08:00-20:00 by default): a 10-minute demo shows the morning
ramp, the lunch dip and the afternoon peak, whatever the wall clock says. Arrivals follow the
day's hourly shape squeezed into the run; the rate itself is per real hour of the run.

Durations cannot be squeezed as much (a 12-hour day in 10 minutes would make a 4-minute call
3 seconds long), so they have a compression of their own: the model holds them as a contact
centre measures them (talk about 4 minutes, wrap-up 40 s, a caller's patience 2.5 minutes) and
divides them by ``time_compression`` (5 by default) for the demo: talk 20-90 s, wrap-up 8 s,
patience 30 s. The peak rate is sized for those demo-sized calls: 8 agents about 70 % busy at
the peak (:meth:`TrafficModel.peak_occupancy`), busy but not swamped, with room for the
campaign's calls.

**Callers** (:func:`plan_inbound`) arrive as a Poisson process whose rate follows the day
(non-homogeneous, drawn by thinning). Each is a known customer (by share, VIPs among them) or
an unknown number; each goes one of the flow's paths (:func:`ivr_paths`): a VIP is routed by
caller ID to the VIP queue, the others choose by the model's IVR choice weights among the
paths that fit their CRM record (an unknown caller who wants their balance keys in an
account). Some hang up in the IVR. Each has a patience (exponential: callers who wait longer
abandon) and a talk time.

**Outbound**: the campaign's leads are scripted customers of the sandbox whose number says what
they do (answer, busy, no answer, a machine, a number that does not exist); :class:`LeadMix`
holds the shares and what each kind's attempts end as. The numbers themselves are made in the
sandbox layer (:func:`asterisk_cc.sandbox.callers.lead_number`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from asterisk_cc.core.agents import DEFAULT_PAUSE_REASONS
from asterisk_cc.core.customers import Tier
from asterisk_cc.core.ivr.paths import IvrPath, IvrStep, always_open, ivr_paths
from asterisk_cc.core.vocabulary import CallOutcome

__all__ = [
    "ANSWERED_KINDS",
    "DEFAULT_DAY_SHAPE",
    "DEFAULT_IVR_CHOICES",
    "LEAD_KINDS",
    "LEAD_OUTCOMES",
    "AgentBehaviour",
    "DemoCustomer",
    "IvrPath",
    "IvrStep",
    "LeadMix",
    "PlannedCaller",
    "TrafficModel",
    "always_open",
    "ivr_paths",
    "plan_inbound",
]

DEFAULT_DAY_SHAPE: Final[tuple[float, ...]] = (
    # 00-07: closed (a few early birds at 7)
    0, 0, 0, 0, 0, 0, 0, 0.05,
    # 08-11: the morning ramp to the first peak
    0.35, 0.75, 1.0, 0.95,
    # 12-13: the lunch dip
    0.6, 0.65,
    # 14-16: the afternoon peak
    0.9, 0.95, 0.85,
    # 17-19: the evening tail
    0.6, 0.4, 0.25,
    # 20-23: closed
    0.1, 0, 0, 0,
)  # fmt: skip
"""Calls by hour of the day, relative to the busiest hour: the usual double hump of a
contact centre (a morning and an afternoon peak around a lunch dip)."""

DEFAULT_IVR_CHOICES: Final[Mapping[str, float]] = MappingProxyType(
    {
        "queue:support": 0.35,  # the operator: main menu 0
        "queue:sales": 0.30,
        "self_service:balance": 0.15,
        "self_service:ticket": 0.10,
        "complaint": 0.10,
    }
)
"""What non-VIP callers come for, by the goal of the flow's paths (:attr:`IvrPath.goal`)."""

DEFAULT_PAUSE_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"break": 0.55, "lunch": 0.1, "training": 0.1, "meeting": 0.1, "other": 0.15}
)

LEAD_KINDS: Final = ("person", "busy", "no_answer", "machine", "unallocated")
"""What a scripted customer of the sandbox does when dialled (see
:func:`asterisk_cc.sandbox.render.customer_number`)."""

LEAD_OUTCOMES: Final[Mapping[str, CallOutcome]] = MappingProxyType(
    {
        "person": CallOutcome.HUMAN,
        "busy": CallOutcome.BUSY,
        "no_answer": CallOutcome.NO_ANSWER,
        "machine": CallOutcome.MACHINE,
        "unallocated": CallOutcome.INVALID_NUMBER,
    }
)
"""What every attempt on a lead of each kind ends as (a campaign with AMD)."""

ANSWERED_KINDS: Final = frozenset({"person", "machine"})
"""Leads whose calls are picked up (by a person or a machine); the others never answer."""

UNKNOWN_PREFIX: Final = "+86186"
"""Numbers of callers the CRM does not know: +86 186 and eight digits."""


def _chance(rng: random.Random, probability: float) -> bool:
    """True with ``probability``."""
    return rng.choices((True, False), weights=(probability, 1.0 - probability))[0]


def _lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """A log-normal draw with this mean (not median) and shape ``sigma``."""
    if sigma <= 0:
        return mean
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def _clipped_lognormal_mean(mean: float, sigma: float, low: float, high: float) -> float:
    """The mean of a log-normal draw clipped to ``[low, high]``."""
    if sigma <= 0:
        return min(max(mean, low), high)
    mu = math.log(mean) - sigma * sigma / 2

    def below(x: float) -> float:  # P(X < x)
        return 0.5 * (1 + math.erf((math.log(x) - mu) / (sigma * math.sqrt(2))))

    def partial(x: float) -> float:  # E[X; X < x]
        return (
            mean * 0.5 * (1 + math.erf((math.log(x) - mu - sigma * sigma) / (sigma * math.sqrt(2))))
        )

    return low * below(low) + (partial(high) - partial(low)) + high * (1 - below(high))


# --- agents --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentBehaviour:
    """How a simulated agent works, in demo seconds: draws for the demo's agent floor
    (:mod:`asterisk_cc.demo.floor`). Talk and pause times are log-normal (means before the
    bounds), wrap-up too."""

    talk_mean_s: float = 48.0
    talk_sigma: float = 0.5
    talk_min_s: float = 20.0
    talk_max_s: float = 90.0
    wrap_up_mean_s: float = 8.0
    wrap_up_sigma: float = 0.4
    wrap_up_min_s: float = 2.0
    pause_chance: float = 0.08
    pause_mean_s: float = 60.0
    pause_sigma: float = 0.5
    pause_min_s: float = 10.0
    pause_reasons: tuple[tuple[str, float], ...] = tuple(DEFAULT_PAUSE_WEIGHTS.items())

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.talk_min_s <= self.talk_max_s:
            problems.append("talk: need 0 < talk_min_s <= talk_max_s")
        for name in ("talk_mean_s", "wrap_up_mean_s", "pause_mean_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be more than 0")
        if not 0 <= self.pause_chance <= 1:
            problems.append("pause_chance is a share from 0 to 1")
        unknown = [r for r, _ in self.pause_reasons if r not in DEFAULT_PAUSE_REASONS]
        if unknown or not any(w > 0 for _, w in self.pause_reasons):
            problems.append(
                f"pause_reasons: weights of {', '.join(DEFAULT_PAUSE_REASONS)}, one above 0"
            )
        if problems:
            raise ValueError("; ".join(problems))

    def talk_s(self, rng: random.Random) -> float:
        """How long the agent talks before hanging up (inbound and outbound alike)."""
        drawn = _lognormal(rng, self.talk_mean_s, self.talk_sigma)
        return min(max(drawn, self.talk_min_s), self.talk_max_s)

    def wrap_up_s(self, rng: random.Random) -> float:
        return max(_lognormal(rng, self.wrap_up_mean_s, self.wrap_up_sigma), self.wrap_up_min_s)

    def pause_after_call(self, rng: random.Random) -> float | None:
        """None most of the time; now and then (``pause_chance``) the length of a pause the
        agent takes after the call's wrap-up."""
        return self.pause_s(rng) if _chance(rng, self.pause_chance) else None

    def pause_s(self, rng: random.Random) -> float:
        return max(_lognormal(rng, self.pause_mean_s, self.pause_sigma), self.pause_min_s)

    def pause_reason(self, rng: random.Random) -> str:
        """One of :data:`~asterisk_cc.core.agents.DEFAULT_PAUSE_REASONS`, by weight."""
        reasons = [r for r, _ in self.pause_reasons]
        return rng.choices(reasons, weights=[w for _, w in self.pause_reasons])[0]

    def mean_handle_s(self) -> float:
        """What one call costs an agent on average: talk, wrap-up and the pauses that follow
        calls, spread over all calls."""
        talk = _clipped_lognormal_mean(
            self.talk_mean_s, self.talk_sigma, self.talk_min_s, self.talk_max_s
        )
        return talk + self.wrap_up_mean_s + self.pause_chance * self.pause_mean_s


# --- outbound ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadMix:
    """Shares of the campaign's leads by what the scripted customer does (they need not add
    up to 1: they are weights)."""

    person: float = 0.5
    busy: float = 0.15
    no_answer: float = 0.15
    machine: float = 0.12
    unallocated: float = 0.08

    def __post_init__(self) -> None:
        values = [getattr(self, kind) for kind in LEAD_KINDS]
        if any(v < 0 for v in values) or not any(v > 0 for v in values):
            raise ValueError("lead mix: shares are 0 or more, one of them above 0")

    def shares(self) -> dict[str, float]:
        total = sum(getattr(self, kind) for kind in LEAD_KINDS)
        return {kind: getattr(self, kind) / total for kind in LEAD_KINDS}

    def kinds(self, count: int, rng: random.Random) -> list[str]:
        """``count`` lead kinds in these shares (rounded by largest remainder, so a small
        list has the mix as closely as it can), in a random order."""
        shares = self.shares()
        exact = {kind: share * count for kind, share in shares.items()}
        counts = {kind: int(value) for kind, value in exact.items()}
        by_remainder = sorted(
            LEAD_KINDS, key=lambda k: (-(exact[k] - counts[k]), LEAD_KINDS.index(k))
        )
        for kind in by_remainder[: count - sum(counts.values())]:
            counts[kind] += 1
        ordered = [kind for kind in LEAD_KINDS for _ in range(counts[kind])]
        return rng.sample(ordered, k=len(ordered))

    def expected_outcomes(self, attempts: int, *, amd: bool = True) -> dict[CallOutcome, float]:
        """How many of ``attempts`` dial attempts should end as each outcome, if every lead
        were dialled as often (retries follow the outcome, so they change the real mix)."""
        expected: dict[CallOutcome, float] = {}
        for kind, share in self.shares().items():
            outcome = expected_outcome(kind, amd=amd)
            expected[outcome] = expected.get(outcome, 0.0) + share * attempts
        return expected


def expected_outcome(kind: str, *, amd: bool = True) -> CallOutcome:
    """What an attempt on a lead of ``kind`` ends as; without AMD a machine counts as a
    person (the call is put through to an agent)."""
    if kind not in LEAD_OUTCOMES:
        raise ValueError(f"no lead kind {kind!r}; kinds: {', '.join(LEAD_KINDS)}")
    if kind == "machine" and not amd:
        return CallOutcome.HUMAN
    return LEAD_OUTCOMES[kind]


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrafficModel:
    """The demo's traffic; see the module docstring. Durations (``*_s``) are real contact
    centre times, divided by ``time_compression`` for the demo."""

    peak_calls_per_hour: float = 520.0
    """Inbound calls per real hour of the run at the busiest hour of the day."""
    day_shape: tuple[float, ...] = DEFAULT_DAY_SHAPE
    """24 weights: calls in each hour of the day, relative to each other."""
    day_start_hour: int = 8
    day_end_hour: int = 20
    """The run stands for these hours of the day (the end not included)."""
    known_share: float = 0.7
    """Callers whose number is a CRM customer's."""
    vip_share: float = 0.1
    """VIP customers among the known callers."""
    english_share: float = 0.2
    """Unknown callers who choose English at the language menu."""
    ivr_choices: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_IVR_CHOICES))
    """What non-VIP callers come for: weights by path goal (:attr:`IvrPath.goal`)."""
    ivr_hangup_share: float = 0.05
    """Callers who hang up in the IVR, at one of the prompts that ask them something."""
    patience_mean_s: float = 150.0
    """How long callers wait in a queue before hanging up (exponential)."""
    talk_mean_s: float = 240.0
    talk_sigma: float = 0.5
    talk_min_s: float = 100.0
    talk_max_s: float = 450.0
    wrap_up_mean_s: float = 40.0
    pause_chance: float = 0.08
    """Calls after which the agent takes a pause."""
    pause_mean_s: float = 300.0
    pause_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_PAUSE_WEIGHTS))
    time_compression: float = 5.0
    """Real durations are divided by this for the demo."""
    lead_mix: LeadMix = field(default_factory=LeadMix)

    def __post_init__(self) -> None:
        problems = []
        if self.peak_calls_per_hour < 0:
            problems.append("peak_calls_per_hour must be 0 or more")
        if len(self.day_shape) != 24 or any(w < 0 for w in self.day_shape):
            problems.append("day_shape: 24 weights of 0 or more, one per hour")
        if not 0 <= self.day_start_hour < self.day_end_hour <= 24:
            problems.append("day_start_hour and day_end_hour: 0 <= start < end <= 24")
        for name in (
            "known_share",
            "vip_share",
            "english_share",
            "ivr_hangup_share",
            "pause_chance",
        ):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} is a share from 0 to 1")
        if not self.ivr_choices or any(w < 0 for w in self.ivr_choices.values()):
            problems.append("ivr_choices: weights of 0 or more by path goal")
        elif not any(w > 0 for w in self.ivr_choices.values()):
            problems.append("ivr_choices: at least one weight above 0")
        for name in ("patience_mean_s", "talk_mean_s", "wrap_up_mean_s", "pause_mean_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be more than 0")
        if not 0 < self.talk_min_s <= self.talk_max_s:
            problems.append("talk: need 0 < talk_min_s <= talk_max_s")
        if self.talk_sigma < 0:
            problems.append("talk_sigma must be 0 or more")
        if self.time_compression < 1:
            problems.append("time_compression must be 1 or more (1: real durations)")
        unknown = sorted(set(self.pause_weights) - set(DEFAULT_PAUSE_REASONS))
        if unknown or not any(w > 0 for w in self.pause_weights.values()):
            problems.append(
                f"pause_weights: weights of {', '.join(DEFAULT_PAUSE_REASONS)}, one above 0"
            )
        if problems:
            raise ValueError("traffic model: " + "; ".join(problems))

    # --- durations -------------------------------------------------------------------------

    def demo_s(self, real_s: float) -> float:
        """A real duration as the demo plays it."""
        return real_s / self.time_compression

    def agent_behaviour(self) -> AgentBehaviour:
        """How the demo's agents work, in demo seconds."""
        return AgentBehaviour(
            talk_mean_s=self.demo_s(self.talk_mean_s),
            talk_sigma=self.talk_sigma,
            talk_min_s=self.demo_s(self.talk_min_s),
            talk_max_s=self.demo_s(self.talk_max_s),
            wrap_up_mean_s=self.demo_s(self.wrap_up_mean_s),
            wrap_up_min_s=min(2.0, self.demo_s(self.wrap_up_mean_s)),
            pause_chance=self.pause_chance,
            pause_mean_s=self.demo_s(self.pause_mean_s),
            pause_min_s=min(10.0, self.demo_s(self.pause_mean_s)),
            pause_reasons=tuple(self.pause_weights.items()),
        )

    def patience_s(self, rng: random.Random) -> float:
        """How long one caller waits in a queue before hanging up, in demo seconds."""
        return rng.expovariate(1.0 / self.demo_s(self.patience_mean_s))

    # --- arrivals --------------------------------------------------------------------------

    def hour_of(self, offset_s: float, run_s: float) -> float:
        """The hour of the day (8.0 .. 20.0 by default) that ``offset_s`` into a run of
        ``run_s`` stands for."""
        span = self.day_end_hour - self.day_start_hour
        return self.day_start_hour + span * min(max(offset_s / run_s, 0.0), 1.0)

    def _peak_weight(self) -> float:
        return max(self.day_shape[self.day_start_hour : self.day_end_hour])

    def rate_at(self, offset_s: float, run_s: float) -> float:
        """Inbound calls per second at ``offset_s`` into a run of ``run_s``: the peak rate
        times the weight of the hour it stands for, relative to the day's busiest hour."""
        peak = self._peak_weight()
        if peak <= 0:
            return 0.0
        hour = min(int(self.hour_of(offset_s, run_s)), self.day_end_hour - 1)
        return self.peak_calls_per_hour / 3600.0 * self.day_shape[hour] / peak

    def expected_calls(self, minutes: float) -> float:
        """How many callers a run of ``minutes`` brings on average."""
        peak = self._peak_weight()
        if peak <= 0:
            return 0.0
        hours = self.day_shape[self.day_start_hour : self.day_end_hour]
        return self.peak_calls_per_hour * minutes / 60.0 * (sum(hours) / len(hours)) / peak

    def queue_share(self) -> float:
        """The share of callers who reach a queue (VIPs all do; the others by their IVR
        choice), before any hangs up in the IVR."""
        total = sum(self.ivr_choices.values())
        queued = sum(w for goal, w in self.ivr_choices.items() if goal.startswith("queue:"))
        vip = self.known_share * self.vip_share
        return (1 - self.ivr_hangup_share) * (vip + (1 - vip) * queued / total)

    def peak_occupancy(self, agents: int) -> float:
        """How busy ``agents`` are with inbound calls at the day's peak: the work offered
        (queued callers times an agent's time per call) over the agents' time."""
        offered = self.peak_calls_per_hour / 3600.0 * self.queue_share()
        return offered * self.agent_behaviour().mean_handle_s() / agents


# --- callers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCustomer:
    """A CRM customer who may call: what the IVR finds by their number."""

    customer_id: str
    e164: str
    account: str
    tier: Tier = Tier.STANDARD
    language: str | None = None
    balance: str | None = None
    ticket_id: str | None = None
    ticket_state: str | None = None
    """The customer's latest complaint ticket (what the IVR's ticket lookup finds)."""

    def ivr_variables(self) -> dict[str, str]:
        """The IVR's variables once the customer is found (and their ticket looked up), as
        the engine holds them (:func:`asterisk_cc.agi.backend.customer_record`)."""
        variables = {
            "customer.id": self.customer_id,
            "customer.tier": self.tier.value,
            "customer.account": self.account,
            "customer.language": self.language or "",
        }
        if self.balance is not None:
            variables["customer.balance"] = self.balance
        if self.ticket_id is not None:
            variables["ticket.id"] = self.ticket_id
            variables["ticket.state"] = self.ticket_state or ""
        return variables


@dataclass(frozen=True)
class PlannedCaller:
    """One inbound caller of the plan."""

    offset_s: float
    """When they call, in seconds from the start of the run."""
    number: str
    """Their caller ID (E.164)."""
    path: IvrPath
    """The way they go through the IVR, with the sounds said to this caller."""
    patience_s: float
    """How long they wait in a queue before hanging up."""
    talk_s: float
    """How long the agent who answers talks with them."""
    customer: DemoCustomer | None = None
    """The customer the CRM finds by their number (None: an unknown number)."""
    entries: Mapping[str, str] = field(default_factory=dict)
    """What they key in at collect nodes, by the node's store (``account``: an account)."""
    hangup_at: int | None = None
    """The step of :attr:`path` at which they hang up instead of answering (None: they go
    all the way)."""

    @property
    def hangs_up_in_ivr(self) -> bool:
        return self.hangup_at is not None

    @property
    def tier(self) -> Tier:
        return self.customer.tier if self.customer is not None else Tier.STANDARD

    @property
    def expected_queue(self) -> str | None:
        """The queue they enter (ENTERQUEUE in queue_log), or None."""
        return None if self.hangs_up_in_ivr else self.path.queue

    @property
    def expected_outcome(self) -> str:
        """The outcome of their IVR session."""
        return "abandoned" if self.hangs_up_in_ivr else self.path.outcome

    @property
    def expected_nodes(self) -> tuple[str, ...]:
        """The nodes their IVR session records."""
        if self.hangup_at is None:
            return self.path.nodes
        return self.path.nodes[: self.hangup_at + 1]


def plan_inbound(
    model: TrafficModel,
    flow_paths: Sequence[IvrPath],
    customers: Sequence[DemoCustomer],
    minutes: float,
    rng: random.Random,
) -> list[PlannedCaller]:
    """The inbound callers of a run of ``minutes``, in order of arrival; see the module
    docstring. ``flow_paths``: :func:`ivr_paths` of the demo's flow. The same ``rng`` state
    gives the same plan."""
    run_s = minutes * 60.0
    behaviour = model.agent_behaviour()
    vips = [c for c in customers if c.tier is Tier.VIP]
    others = [c for c in customers if c.tier is not Tier.VIP]
    known_numbers = {c.e164 for c in customers}
    planned = []
    for offset in _arrivals(model, run_s, rng):
        customer = _pick_customer(model, vips, others, rng)
        number = customer.e164 if customer is not None else _unknown_number(rng, known_numbers)
        # Whose account an unknown caller keys in when their way asks for one.
        account_of = others[rng.randrange(len(others))] if customer is None and others else None
        path, entries = _choose_path(model, flow_paths, customer, account_of, rng)
        hangup_at = None
        if path.input_steps and _chance(rng, model.ivr_hangup_share):
            hangup_at = path.input_steps[rng.randrange(len(path.input_steps))]
        planned.append(
            PlannedCaller(
                offset_s=offset,
                number=number,
                path=path,
                patience_s=model.patience_s(rng),
                talk_s=behaviour.talk_s(rng),
                customer=customer,
                entries=entries,
                hangup_at=hangup_at,
            )
        )
    return planned


def _arrivals(model: TrafficModel, run_s: float, rng: random.Random) -> list[float]:
    """Arrival offsets of a Poisson process with the model's rate, by thinning: candidates at
    the peak rate, each kept with the share the rate at its time is of the peak."""
    peak = model.peak_calls_per_hour / 3600.0
    arrivals: list[float] = []
    if peak <= 0 or run_s <= 0:
        return arrivals
    offset = 0.0
    while True:
        offset += rng.expovariate(peak)
        if offset >= run_s:
            return arrivals
        if _chance(rng, model.rate_at(offset, run_s) / peak):
            arrivals.append(offset)


def _pick_customer(
    model: TrafficModel,
    vips: Sequence[DemoCustomer],
    others: Sequence[DemoCustomer],
    rng: random.Random,
) -> DemoCustomer | None:
    if not (vips or others) or not _chance(rng, model.known_share):
        return None
    pool = vips if vips and (not others or _chance(rng, model.vip_share)) else others
    return pool[rng.randrange(len(pool))]


def _unknown_number(rng: random.Random, known: set[str]) -> str:
    while True:
        number = f"{UNKNOWN_PREFIX}{rng.randrange(10**8):08d}"
        if number not in known:
            return number


def _choose_path(
    model: TrafficModel,
    flow_paths: Sequence[IvrPath],
    customer: DemoCustomer | None,
    account_of: DemoCustomer | None,
    rng: random.Random,
) -> tuple[IvrPath, dict[str, str]]:
    """The caller's goal by the model's weights among the goals their record allows, then
    the shortest way there (fewest prompts to answer); → the path for this caller and what
    they key in."""
    caller = customer.ivr_variables() if customer is not None else {}
    picked = account_of.ivr_variables() if account_of is not None else None

    def entries_for(path: IvrPath) -> dict[str, str] | None:
        entries = {}
        for store in path.entries:
            if account_of is None or not path.picks_customer:
                return None  # nothing the caller could key in
            entries[store] = account_of.account
        return entries

    fitting = [p for p in flow_paths if p.fits(caller, picked) and entries_for(p) is not None]
    if not fitting:
        raise ValueError(
            "no path of the flow fits a caller "
            + (f"with tier {customer.tier.value}" if customer else "with an unknown number")
        )
    goals = sorted({p.goal for p in fitting})
    weights = [model.ivr_choices.get(goal, 0.0) for goal in goals]
    if not any(w > 0 for w in weights):
        weights = [1.0] * len(goals)  # e.g. a VIP: the flow leaves one way
    goal = rng.choices(goals, weights=weights)[0]
    ways = [p for p in fitting if p.goal == goal]
    fewest = min(len(p.input_steps) for p in ways)
    ways = [p for p in ways if len(p.input_steps) == fewest]
    path = ways[0]
    if len(ways) > 1:
        # The same way in different languages: an unknown caller picks one at the menu.
        english = model.english_share
        by_language = [english if p.language == "en" else 1 - english for p in ways]
        if any(w > 0 for w in by_language):
            path = rng.choices(ways, weights=by_language)[0]
    entries = entries_for(path) or {}
    return path.for_caller(caller, picked), entries
