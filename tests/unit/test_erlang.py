"""Erlang C: golden numbers, an independent textbook formula, 1000+ agents, and bad input."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterisk_cc.core.reports.erlang import (
    asa_s,
    erlang_b,
    erlang_c,
    occupancy,
    required_agents,
    service_level,
)


def textbook_erlang_c(agents: int, traffic: Fraction) -> float:
    """The factorial formula, exact in rationals (fine for small N):
    C = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(agents)) + top
    return float(top / bottom)


def log_space_erlang_c(agents: int, traffic: float) -> float:
    """The same formula in logarithms (lgamma, log-sum-exp): no overflow for large N."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents)]
    log_top = (
        agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    )
    peak = max([*logs, log_top])
    bottom = sum(math.exp(x - peak) for x in logs) + math.exp(log_top - peak)
    return math.exp(log_top - peak) / bottom


def test_the_classic_example_needs_14_agents() -> None:
    # 100 calls in 30 minutes, AHT 180 s: A = 100 × 180 / 1800 = 10 erlangs; 80 % in 20 s.
    # pyworkforce and the call-centre textbooks: 14 agents, SL 0.888, occupancy 0.714,
    # waiting probability 0.174; 13 agents give 0.796 (short of 80 %).
    need = required_agents(100, 180, 1800, 0.8, 20)
    assert need.raw_agents == need.agents == 14
    assert round(need.service_level, 3) == 0.888
    assert round(need.occupancy, 3) == 0.714
    assert round(erlang_c(14, 10.0), 3) == 0.174
    assert round(service_level(13, 100, 180, 1800, 20), 3) == 0.796
    # ASA = C × AHT / (N − A) = 0.17413 × 180 / 4 = 7.84 s
    assert need.asa_s == pytest.approx(0.17413193 * 180 / 4, rel=1e-6)


def test_shrinkage_grosses_the_agents_up() -> None:
    # 14 on the phones with 30 % shrinkage: ceil(14 / 0.7) = 20 scheduled (pyworkforce: 20).
    need = required_agents(100, 180, 1800, 0.8, 20, shrinkage=0.3)
    assert (need.raw_agents, need.agents) == (14, 20)


def test_occupancy_cap_adds_agents_beyond_the_service_level() -> None:
    # 10 erlangs at most 60 % busy: ceil(10 / 0.6) = 17 agents, more than the 14 SL needs.
    need = required_agents(100, 180, 1800, 0.8, 20, max_occupancy=0.6)
    assert need.raw_agents == 17
    assert need.occupancy <= 0.6
    # a cap the service level already meets changes nothing
    assert required_agents(100, 180, 1800, 0.8, 20, max_occupancy=0.9).raw_agents == 14


@pytest.mark.parametrize(
    ("agents", "traffic"),
    [
        (11, Fraction(10)),
        (14, Fraction(10)),
        (3, Fraction(5, 2)),
        (30, Fraction(24)),
        (60, Fraction(55)),
    ],
)
def test_erlang_c_matches_the_factorial_formula(agents: int, traffic: Fraction) -> None:
    assert erlang_c(agents, float(traffic)) == pytest.approx(
        textbook_erlang_c(agents, traffic), rel=1e-12
    )


def test_a_second_golden_case_checked_by_the_textbook_formula() -> None:
    # 360 calls an hour, AHT 240 s: A = 24 erlangs; 90 % within 15 s.
    need = required_agents(360, 240, 3600, 0.9, 15)
    n = need.raw_agents
    for agents, expected_ok in ((n, True), (n - 1, False)):
        wait_p = textbook_erlang_c(agents, Fraction(24))
        level = 1 - wait_p * math.exp(-(agents - 24) * 15 / 240)
        assert (level >= 0.9) is expected_ok
    # textbook formula: N = 30 → C 0.1729, SL 0.881; N = 31 → C 0.1209, SL 0.922, ASA 4.15 s
    assert n == 31
    assert need.service_level == pytest.approx(0.9219263, rel=1e-6)
    assert need.asa_s == pytest.approx(4.1459278, rel=1e-6)


def test_thousands_of_agents_stay_exact() -> None:
    # 20,000 calls in 30 minutes, AHT 90 s: A = 1000 erlangs. The factorial formula would
    # overflow a float (1000! ~ 10^2567); the recursion agrees with the log-space formula.
    need = required_agents(20_000, 90, 1800, 0.8, 20)
    assert 1000 < need.raw_agents < 1100
    for agents in (need.raw_agents - 1, need.raw_agents, need.raw_agents + 5, 1500):
        assert erlang_c(agents, 1000.0) == pytest.approx(
            log_space_erlang_c(agents, 1000.0), rel=1e-9
        )
    assert service_level(need.raw_agents - 1, 20_000, 90, 1800, 20) < 0.8 <= need.service_level
    assert erlang_b(5000, 1000.0) == 0.0 or erlang_b(5000, 1000.0) < 1e-300
    assert math.isfinite(required_agents(200_000, 180, 3600, 0.95, 10).service_level)


def test_zero_calls_need_zero_agents() -> None:
    need = required_agents(0, 180, 1800, 0.8, 20, shrinkage=0.3)
    assert (need.agents, need.raw_agents, need.occupancy, need.asa_s) == (0, 0, 0.0, 0.0)
    assert need.service_level == 1.0
    assert erlang_c(0, 0.0) == 0.0
    assert service_level(0, 0, 180, 1800, 20) == 1.0


def test_an_overloaded_queue_waits_forever() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert service_level(9, 100, 180, 1800, 20) == 0.0
    assert asa_s(10, 100, 180, 1800) == math.inf
    assert occupancy(9, 100, 180, 1800) == 1.0


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: required_agents(-1, 180, 1800, 0.8, 20), "calls"),
        (lambda: required_agents(10, 0, 1800, 0.8, 20), "aht_s"),
        (lambda: required_agents(10, 180, 0, 0.8, 20), "interval_s"),
        (lambda: required_agents(10, 180, 1800, 1.2, 20), "target_sl_ratio"),
        (lambda: required_agents(10, 180, 1800, 1.0, 20), "target_sl_ratio"),
        (lambda: required_agents(10, 180, 1800, -0.1, 20), "target_sl_ratio"),
        (lambda: required_agents(10, 180, 1800, 0.8, -5), "threshold_s"),
        (lambda: required_agents(10, 180, 1800, 0.8, 20, shrinkage=1.0), "shrinkage"),
        (lambda: required_agents(10, 180, 1800, 0.8, 20, max_occupancy=1.5), "max_occupancy"),
        (lambda: required_agents(10, 180, 1800, 0.8, 20, max_occupancy=0), "max_occupancy"),
        (lambda: required_agents(math.nan, 180, 1800, 0.8, 20), "calls"),
        (lambda: erlang_c(-1, 5.0), "agents"),
        (lambda: erlang_c(2.5, 5.0), "agents"),  # type: ignore[arg-type]
        (lambda: erlang_b(3, -1.0), "traffic_erlangs"),
    ],
)
def test_bad_input_is_refused_by_name(call: object, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        call()  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(
    calls=st.floats(min_value=0.5, max_value=3000),
    aht_s=st.floats(min_value=10, max_value=1200),
    target=st.floats(min_value=0.0, max_value=0.99),
    threshold_s=st.floats(min_value=0, max_value=120),
)
def test_required_agents_is_the_fewest_that_meet_the_target(
    calls: float, aht_s: float, target: float, threshold_s: float
) -> None:
    need = required_agents(calls, aht_s, 1800, target, threshold_s)
    traffic = calls * aht_s / 1800
    assert need.raw_agents > traffic
    assert need.service_level >= target
    fewer = need.raw_agents - 1
    assert fewer <= traffic or service_level(fewer, calls, aht_s, 1800, threshold_s) < target
    # more agents never serve worse
    assert service_level(need.raw_agents + 1, calls, aht_s, 1800, threshold_s) >= (
        need.service_level - 1e-12
    )
