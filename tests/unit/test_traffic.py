"""The demo's traffic model: arrivals that follow the day squeezed into the run, callers on
the hotline's paths, agents' draws, the campaign's lead mix. Statistical checks use fixed
seeds and bounds stated in each test (a few standard deviations of the counted quantity)."""

from __future__ import annotations

import functools
import math
import random
import statistics
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from asterisk_cc.core.agents import DEFAULT_PAUSE_REASONS
from asterisk_cc.core.customers import Tier
from asterisk_cc.core.ivr.flow import parse_flow
from asterisk_cc.core.traffic import (
    DEFAULT_DAY_SHAPE,
    LEAD_KINDS,
    AgentBehaviour,
    DemoCustomer,
    LeadMix,
    PlannedCaller,
    TrafficModel,
    ivr_paths,
    plan_inbound,
)
from asterisk_cc.core.vocabulary import CallOutcome

CONF = Path(__file__).resolve().parents[2] / "conf" / "ivr"
with open(CONF / "hotline.toml", "rb") as _handle:
    HOTLINE = parse_flow("hotline", tomllib.load(_handle), default_timezone="Asia/Shanghai")
PATHS = ivr_paths(HOTLINE)


def crm(count: int = 400) -> list[DemoCustomer]:
    """Customers: every 10th a VIP, every 4th gold; some with tickets; English every 5th."""
    customers = []
    for i in range(count):
        tier = Tier.VIP if i % 10 == 0 else Tier.GOLD if i % 4 == 0 else Tier.STANDARD
        ticket = ("received", "closed")[i % 2] if i % 7 == 0 else None
        customers.append(
            DemoCustomer(
                customer_id=str(i + 1),
                e164=f"+86139{i:08d}",
                account=f"62{i:06d}",
                tier=tier,
                language="en" if i % 5 == 0 else "zh",
                balance=f"{i * 7.5:.2f}",
                ticket_id=str(5000 + i) if ticket else None,
                ticket_state=ticket,
            )
        )
    return customers


CUSTOMERS = crm()


def plan(model: TrafficModel, minutes: float, seed: int = 7) -> list[PlannedCaller]:
    return plan_inbound(model, PATHS, CUSTOMERS, minutes, random.Random(seed))


@functools.cache
def long_day() -> list[PlannedCaller]:
    """600 minutes of the default model: about 3 500 callers, shared by several tests."""
    return plan(TrafficModel(), 600)


def within(count: float, expected: float, sigmas: float = 4.0) -> bool:
    """A Poisson-like count within ``sigmas`` standard deviations of its expectation."""
    return abs(count - expected) <= sigmas * math.sqrt(max(expected, 1.0))


# --- arrivals -------------------------------------------------------------------------------


def test_the_number_of_callers_over_a_long_run_matches_the_rate() -> None:
    model = TrafficModel()
    callers = long_day()
    expected = model.expected_calls(600)
    # 520/h at the peak, the day's hours averaging 0.68 of it: about 3 500 callers.
    assert 3000 < expected < 4000
    assert within(len(callers), expected), (len(callers), expected)
    offsets = [c.offset_s for c in callers]
    assert offsets == sorted(offsets) and offsets[0] >= 0 and offsets[-1] < 600 * 60


def test_arrivals_follow_the_day_squeezed_into_the_run() -> None:
    model = TrafficModel()
    minutes = 600
    callers = long_day()
    by_hour = Counter(int(model.hour_of(c.offset_s, minutes * 60)) for c in callers)
    peak = max(DEFAULT_DAY_SHAPE[8:20])
    per_hour = model.peak_calls_per_hour * minutes / 60 / 12  # the run's time per hour of day
    for hour in range(8, 20):
        expected = per_hour * DEFAULT_DAY_SHAPE[hour] / peak
        assert within(by_hour[hour], expected), (hour, by_hour[hour], expected)
    # The double hump: the lunch dip is below both peaks.
    assert by_hour[12] < by_hour[10] and by_hour[12] < by_hour[15]
    assert set(by_hour) <= set(range(8, 20))


def test_hours_with_no_calls_bring_no_callers() -> None:
    shape = list(DEFAULT_DAY_SHAPE)
    shape[12] = shape[13] = 0.0
    model = TrafficModel(day_shape=tuple(shape))
    callers = plan(model, minutes=240)
    hours = {int(model.hour_of(c.offset_s, 240 * 60)) for c in callers}
    assert hours and not hours & {12, 13}
    assert plan(TrafficModel(peak_calls_per_hour=0), minutes=60) == []
    quiet = TrafficModel(day_shape=(0.0,) * 8 + (0.0,) * 12 + (1.0,) * 4)
    assert plan(quiet, minutes=60) == []


def test_a_seed_gives_the_same_plan_again() -> None:
    model = TrafficModel()
    assert plan(model, 30, seed=11) == plan(model, 30, seed=11)
    assert plan(model, 30, seed=11) != plan(model, 30, seed=12)


# --- callers --------------------------------------------------------------------------------


def test_known_callers_and_vips_come_in_their_shares_and_vips_take_the_vip_lane() -> None:
    callers = long_day()
    known = [c for c in callers if c.customer is not None]
    vips = [c for c in known if c.tier is Tier.VIP]
    # Binomial counts: within 4 standard deviations.
    n = len(callers)
    assert abs(len(known) - 0.7 * n) <= 4 * math.sqrt(n * 0.7 * 0.3)
    assert abs(len(vips) - 0.1 * len(known)) <= 4 * math.sqrt(len(known) * 0.1 * 0.9)
    for caller in vips:
        assert caller.path.goal == "queue:vip" and caller.path.presses == ()
        assert caller.expected_queue == "vip"
    assert all(c.path.queue != "vip" for c in callers if c.tier is not Tier.VIP)
    by_number = {customer.e164: customer for customer in CUSTOMERS}
    for caller in known:
        assert by_number[caller.number] == caller.customer
    for caller in callers:
        if caller.customer is None:
            assert caller.number.startswith("+86186") and caller.number not in by_number


def test_every_caller_has_a_way_that_fits_them_and_goals_follow_the_weights() -> None:
    model = TrafficModel()
    callers = long_day()
    accounts = {c.account: c for c in CUSTOMERS}
    for caller in callers:
        records = _records(caller, accounts)
        assert caller.path in [p.for_caller(*records) for p in PATHS if p.fits(*records)]
        assert caller.path.is_resolved
    others = [c for c in callers if c.tier is not Tier.VIP]
    goals = Counter(c.path.goal for c in others)
    total = sum(model.ivr_choices.values())
    for goal, weight in model.ivr_choices.items():
        share = weight / total
        assert abs(goals[goal] - share * len(others)) <= 4 * math.sqrt(
            len(others) * share * (1 - share)
        ), (goal, goals[goal], share * len(others))
    # Known callers are never asked their language (the CRM has it); unknown ones choose.
    for caller in others:
        language_key = dict(caller.path.presses).get("language", "")
        assert (language_key == "") == (caller.customer is not None)
        if caller.customer is not None:
            assert caller.path.language == caller.customer.language


def _records(
    caller: PlannedCaller, accounts: dict[str, DemoCustomer]
) -> tuple[dict[str, str], dict[str, str] | None]:
    own = caller.customer.ivr_variables() if caller.customer else {}
    picked = accounts[caller.entries["account"]] if caller.entries else None
    return own, picked.ivr_variables() if picked else None


def test_unknown_callers_who_want_self_service_key_in_a_customers_account() -> None:
    callers = plan(TrafficModel(), minutes=300)
    keyed = [c for c in callers if c.entries]
    assert keyed
    accounts = {c.account for c in CUSTOMERS}
    for caller in keyed:
        assert caller.customer is None
        assert caller.entries["account"] in accounts
        assert caller.path.goal.startswith("self_service:")
    # Known callers need no account: their number found them.
    assert all(not c.entries for c in callers if c.customer is not None)


def test_some_callers_hang_up_in_the_ivr_at_a_prompt_that_asks_them_something() -> None:
    model = TrafficModel(ivr_hangup_share=0.2)
    callers = plan(model, minutes=300)
    asked = [c for c in callers if c.path.input_steps]
    quitting = [c for c in callers if c.hangs_up_in_ivr]
    assert abs(len(quitting) - 0.2 * len(asked)) <= 4 * math.sqrt(len(asked) * 0.2 * 0.8)
    for caller in quitting:
        assert caller.hangup_at in caller.path.input_steps
        assert caller.expected_queue is None and caller.expected_outcome == "abandoned"
        assert caller.expected_nodes[-1] == caller.path.steps[caller.hangup_at].node
    stay = next(c for c in callers if not c.hangs_up_in_ivr and c.path.end == "queue")
    assert stay.expected_queue == stay.path.queue and stay.expected_outcome == "queued"


def test_patience_and_talk_are_demo_sized() -> None:
    callers = long_day()
    patience = [c.patience_s for c in callers]
    # Exponential with a mean of 150 s / 5 = 30 s: the sample mean within 4 standard errors.
    assert abs(statistics.fmean(patience) - 30) <= 4 * 30 / math.sqrt(len(patience))
    assert all(20 <= c.talk_s <= 90 for c in callers)


# --- agents ---------------------------------------------------------------------------------


def test_agents_talk_wrap_up_and_pause_as_the_model_says() -> None:
    behaviour = TrafficModel().agent_behaviour()
    assert (behaviour.talk_min_s, behaviour.talk_max_s) == (20, 90)
    assert behaviour.talk_mean_s == 48 and behaviour.wrap_up_mean_s == 8
    rng = random.Random(5)
    talks = [behaviour.talk_s(rng) for _ in range(4000)]
    assert all(20 <= t <= 90 for t in talks)
    # The clipped log-normal's mean, as mean_handle_s counts it.
    handle = behaviour.mean_handle_s() - behaviour.wrap_up_mean_s
    handle -= behaviour.pause_chance * behaviour.pause_mean_s
    assert abs(statistics.fmean(talks) - handle) <= 4 * statistics.stdev(talks) / math.sqrt(4000)
    wraps = [behaviour.wrap_up_s(rng) for _ in range(2000)]
    assert min(wraps) >= 2 and 7 < statistics.fmean(wraps) < 9
    pauses = [behaviour.pause_after_call(rng) for _ in range(4000)]
    taken = [p for p in pauses if p is not None]
    assert abs(len(taken) - 0.08 * 4000) <= 4 * math.sqrt(4000 * 0.08 * 0.92)
    assert min(taken) >= 10
    reasons = Counter(behaviour.pause_reason(rng) for _ in range(1000))
    assert set(reasons) <= set(DEFAULT_PAUSE_REASONS) and reasons.most_common(1)[0][0] == "break"
    assert behaviour.pause_s(random.Random(1)) == behaviour.pause_s(random.Random(1))


def test_eight_agents_are_busy_but_not_swamped_at_the_peak() -> None:
    model = TrafficModel()
    assert 0.6 <= model.peak_occupancy(8) <= 0.8
    assert model.peak_occupancy(4) > 1  # half the floor could not keep up
    # Twice the compression halves the work of each call.
    faster = TrafficModel(time_compression=10)
    assert faster.peak_occupancy(8) < 0.6 * model.peak_occupancy(8)


def test_a_model_with_impossible_values_is_refused_with_every_problem() -> None:
    with pytest.raises(ValueError) as refused:
        TrafficModel(
            day_shape=(1.0,) * 23,
            known_share=1.5,
            talk_min_s=500,
            time_compression=0.5,
            ivr_choices={},
            pause_weights={"nap": 1.0},
        )
    message = str(refused.value)
    for part in ("day_shape", "known_share", "talk", "time_compression", "ivr_choices", "pause"):
        assert part in message
    with pytest.raises(ValueError, match="talk_min_s"):
        AgentBehaviour(talk_min_s=100, talk_max_s=50)


# --- outbound -------------------------------------------------------------------------------


def test_the_lead_mix_gives_kinds_in_its_shares_and_their_outcomes() -> None:
    mix = LeadMix()
    kinds = mix.kinds(200, random.Random(2))
    assert Counter(kinds) == {
        "person": 100,
        "busy": 30,
        "no_answer": 30,
        "machine": 24,
        "unallocated": 16,
    }
    assert kinds != sorted(kinds, key=LEAD_KINDS.index)  # shuffled
    assert sum(Counter(mix.kinds(7, random.Random(2))).values()) == 7
    expected = mix.expected_outcomes(100)
    assert expected == pytest.approx(
        {
            CallOutcome.HUMAN: 50,
            CallOutcome.BUSY: 15,
            CallOutcome.NO_ANSWER: 15,
            CallOutcome.MACHINE: 12,
            CallOutcome.INVALID_NUMBER: 8,
        }
    )
    assert mix.expected_outcomes(100, amd=False)[CallOutcome.HUMAN] == pytest.approx(62)
    with pytest.raises(ValueError):
        LeadMix(person=0, busy=0, no_answer=0, machine=0, unallocated=0)
