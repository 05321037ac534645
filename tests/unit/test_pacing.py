"""Outbound pacing: progressive and predictive decisions, the abandon budget, online stats."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from asterisk_cc.core.dialer.pacing import (
    AbandonBudget,
    AgentSnapshot,
    PacingSettings,
    PacingSnapshot,
    PacingStats,
    decide,
    estimate_live_answers_left,
    estimated_abandons,
    plan,
    progressive_calls,
)

FRESH = AbandonBudget(
    live_answers=0.0, abandons=0.0, target_ratio=0.03, expected_live_answers_left=2000.0
)
SPENT = AbandonBudget(
    live_answers=1000.0, abandons=40.0, target_ratio=0.03, expected_live_answers_left=200.0
)
STATS = PacingStats()  # shared read-only: plan() does not change it


def talking(seconds: float) -> AgentSnapshot:
    return AgentSnapshot("talking", seconds)


def snapshot(
    agents: list[AgentSnapshot], ringing: tuple[float, ...] = (), waiting: int = 0
) -> PacingSnapshot:
    return PacingSnapshot(agents=tuple(agents), ringing_ages_s=ringing, answered_waiting=waiting)


agent_strategy = st.builds(
    AgentSnapshot,
    state=st.sampled_from(["ready", "talking", "wrapup"]),
    in_state_s=st.floats(min_value=0.0, max_value=1500.0),
)
snapshot_strategy = st.builds(
    PacingSnapshot,
    agents=st.lists(agent_strategy, max_size=30).map(tuple),
    ringing_ages_s=st.lists(st.floats(min_value=0.0, max_value=30.0), max_size=40).map(tuple),
    answered_waiting=st.integers(min_value=0, max_value=5),
)
budget_strategy = st.builds(
    AbandonBudget,
    live_answers=st.floats(min_value=0.0, max_value=5000.0),
    abandons=st.floats(min_value=0.0, max_value=200.0),
    target_ratio=st.sampled_from([0.0, 0.01, 0.03, 0.05]),
    expected_live_answers_left=st.one_of(st.none(), st.floats(min_value=0.0, max_value=5000.0)),
)


# --- never dial without agents, never past the caps ----------------------------------------


def test_no_agents_means_no_calls() -> None:
    empty = snapshot([], ringing=(1.0, 2.0))
    assert decide("predictive", empty, PacingStats(), FRESH) == 0
    assert decide("progressive", empty, PacingStats(), FRESH) == 0
    # All agents paused: the caller passes none of them.
    assert plan("predictive", snapshot([]), STATS, FRESH).calls == 0


@given(snapshot_strategy, budget_strategy, st.sampled_from(["progressive", "predictive"]))
@settings(max_examples=150, deadline=None)
def test_never_more_lines_than_the_cap(
    snap: PacingSnapshot, budget: AbandonBudget, mode: str
) -> None:
    pacing = PacingSettings(max_lines_per_agent=2.0)
    calls = plan(mode, snap, STATS, budget, pacing).calls  # type: ignore[arg-type]
    cap = math.floor(2.0 * len(snap.agents))
    in_flight = len(snap.ringing_ages_s) + snap.answered_waiting
    assert calls >= 0
    assert calls <= max(0, cap - in_flight)
    if not snap.agents:
        assert calls == 0


@given(snapshot_strategy)
@settings(max_examples=100, deadline=None)
def test_spent_budget_is_never_beyond_progressive(snap: PacingSnapshot) -> None:
    assert SPENT.allowed_abandons() < 0
    pacing = PacingSettings()
    assert plan("predictive", snap, STATS, SPENT).calls == progressive_calls(snap, pacing)


def test_progressive_covers_each_ready_agent_once() -> None:
    agents = [AgentSnapshot("ready", 5.0)] * 3 + [talking(400.0)] * 4
    assert decide("progressive", snapshot(agents), PacingStats(), FRESH) == 3
    assert decide("progressive", snapshot(agents, ringing=(3.0,)), PacingStats(), FRESH) == 2
    assert decide("progressive", snapshot(agents, (3.0,), waiting=2), PacingStats(), FRESH) == 0
    # Busy agents only: progressive waits, predictive dials ahead of them.
    busy = snapshot([AgentSnapshot("wrapup", 30.0)] * 20)
    assert decide("progressive", busy, PacingStats(), FRESH) == 0
    assert decide("predictive", busy, PacingStats(), FRESH) > 0


# --- monotone in the state ---------------------------------------------------------------------


@given(snapshot_strategy, budget_strategy)
@settings(max_examples=150, deadline=None)
def test_one_more_ready_agent_never_means_fewer_calls(
    snap: PacingSnapshot, budget: AbandonBudget
) -> None:
    more = PacingSnapshot(
        agents=(*snap.agents, AgentSnapshot("ready", 1.0)),
        ringing_ages_s=snap.ringing_ages_s,
        answered_waiting=snap.answered_waiting,
    )
    for mode in ("progressive", "predictive"):
        before = plan(mode, snap, STATS, budget).calls
        after = plan(mode, more, STATS, budget).calls
        assert after >= before


@given(snapshot_strategy, budget_strategy, st.floats(min_value=0.0, max_value=30.0))
@settings(max_examples=150, deadline=None)
def test_one_more_ringing_call_never_means_more_calls(
    snap: PacingSnapshot, budget: AbandonBudget, age_s: float
) -> None:
    more = PacingSnapshot(
        agents=snap.agents,
        ringing_ages_s=(*snap.ringing_ages_s, age_s),
        answered_waiting=snap.answered_waiting,
    )
    for mode in ("progressive", "predictive"):
        before = plan(mode, snap, STATS, budget).calls
        after = plan(mode, more, STATS, budget).calls
        assert after <= before


def test_agents_in_wrap_up_draw_more_calls_than_agents_mid_call() -> None:
    mid_call = snapshot([talking(60.0)] * 10)
    wrapping_up = snapshot([AgentSnapshot("wrapup", 30.0)] * 10)
    assert (
        plan("predictive", wrapping_up, STATS, FRESH).calls
        > plan("predictive", mid_call, STATS, FRESH).calls
    )


# --- the budget --------------------------------------------------------------------------------


def test_pacing_gets_more_careful_as_the_budget_runs_out() -> None:
    busy = snapshot([talking(200.0)] * 20 + [AgentSnapshot("wrapup", 10.0)] * 5)
    previous_calls, previous_threshold = 10**9, math.inf
    for abandons in (0.0, 10.0, 20.0, 30.0, 35.0, 40.0):
        budget = AbandonBudget(
            live_answers=1000.0,
            abandons=abandons,
            target_ratio=0.03,
            expected_live_answers_left=300.0,
        )
        decision = plan("predictive", busy, STATS, budget)
        assert decision.calls <= previous_calls
        assert decision.threshold <= previous_threshold
        previous_calls, previous_threshold = decision.calls, decision.threshold
    assert previous_calls == progressive_calls(busy, PacingSettings()) == 0
    assert previous_threshold == 0.0


def test_budget_arithmetic_and_estimates() -> None:
    budget = AbandonBudget(
        live_answers=900.0, abandons=20.0, target_ratio=0.03, expected_live_answers_left=100.0
    )
    assert math.isclose(budget.allowed_abandons(), 10.0)
    # Ofcom's AM estimate: 29 drops, 9 handled humans, 7 handled machines -> 16.3125.
    assert math.isclose(estimated_abandons(29, 9, 7), 29 * 9 / 16)
    assert estimated_abandons(3, 0, 0) == 3
    left = estimate_live_answers_left(
        100.0, 3600.0 * 5, 3600.0 * 5, PacingStats(), prior_agent_s=0.0
    )
    assert math.isclose(left, 100.0)
    # A window without a known end still dials ahead while the budget lasts.
    open_window = AbandonBudget(live_answers=500.0, abandons=5.0, target_ratio=0.03)
    wrapping_up = snapshot([AgentSnapshot("wrapup", 30.0)] * 20)
    assert plan("predictive", wrapping_up, STATS, open_window).calls > 0


def test_plan_changes_nothing_and_decide_records_its_decision() -> None:
    stats = PacingStats()
    busy = snapshot([AgentSnapshot("ready", 2.0)] * 3 + [AgentSnapshot("wrapup", 20.0)] * 10)
    gain = stats.threshold_gain()
    first = plan("predictive", busy, stats, FRESH)
    assert plan("predictive", busy, stats, FRESH) == first
    assert stats.threshold_gain() == gain
    assert decide("predictive", busy, stats, FRESH) == first.calls
    assert stats.threshold_gain() != gain


# --- the statistics learn ----------------------------------------------------------------------


def test_answer_probabilities_converge_per_key() -> None:
    stats = PacingStats()
    rng = random.Random(7)
    for _ in range(4000):
        for key, p_live in (("morning", 0.35), ("evening", 0.10)):
            u = rng.random()
            if u < p_live:
                stats.observe_dial(key, "human", rng.lognormvariate(1.9, 0.4))
            elif u < p_live + 0.25:
                stats.observe_dial(key, "machine", rng.lognormvariate(3.0, 0.15))
            elif u < p_live + 0.35:
                stats.observe_dial(key, "busy", 3.0)
            else:
                stats.observe_dial(key, "no_answer", 25.0)
    morning = stats.answer_probabilities("morning")
    evening = stats.answer_probabilities("evening")
    assert abs(morning.live - 0.35) < 0.06
    assert abs(evening.live - 0.10) < 0.05
    assert abs(morning.machine - 0.25) < 0.06
    total = morning.live + morning.machine + morning.failed + morning.no_answer
    assert math.isclose(total, 1.0)
    unknown = stats.answer_probabilities("never seen")
    assert evening.live < unknown.live < morning.live  # the pooled estimate
    # A drop after 5 s of ringing was almost surely a person, after 20 s a machine.
    assert stats.live_share_of_drop("morning", 5.0) > 0.9
    assert stats.live_share_of_drop("morning", 20.0) < 0.1


def test_cancelled_dials_teach_nothing() -> None:
    stats = PacingStats()
    before = stats.answer_probabilities("k")
    for _ in range(100):
        stats.observe_dial("k", "cancelled", 1.0)
    assert stats.answer_probabilities("k") == before


def test_talk_and_wrap_times_are_learned() -> None:
    stats = PacingStats()
    prior_mean = stats.mean_live_call_s()
    busy = snapshot([talking(62.0)] * 10)
    before = plan("predictive", busy, stats, FRESH).calls
    for _ in range(3000):
        stats.observe_talk(60.0, 5.0)
    assert math.isclose(stats.mean_live_call_s(), 65.0, rel_tol=0.05)
    assert prior_mean > 100.0
    # Every call lasts 60 s + 5 s: agents 62 s into a call are about to be free.
    assert plan("predictive", busy, stats, FRESH).calls > before


def test_seeding_from_history_matches_feeding_the_same_data() -> None:
    dials = [("k", "live", 7.0), ("k", "no_answer", 25.0), ("k", "machine", 19.0)] * 200
    calls = [(90.0, 10.0)] * 100
    seeded = PacingStats.from_history(dials, calls)
    fed = PacingStats()
    for key, outcome, ring_s in dials:
        fed.observe_dial(key, outcome, ring_s)
    for talk_s, wrap_s in calls:
        fed.observe_talk(talk_s, wrap_s)
    assert seeded.answer_probabilities("k") == fed.answer_probabilities("k")
    assert seeded.mean_live_call_s() == fed.mean_live_call_s()


def test_calibration_follows_measured_abandons() -> None:
    stats = PacingStats()
    assert stats.calibration() == 1.0
    for _ in range(300):
        stats.observe_dial("k", "live", 8.0, abandoned=True)
    assert stats.calibration() > 1.5
