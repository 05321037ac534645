"""The outbound dialer simulator: determinism, common random numbers, metric definitions."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from asterisk_cc.dialer.sim_policies import (
    ErlangBPolicy,
    FixedRatioPolicy,
    ProgressivePolicy,
    VicidialAdaptPolicy,
    erlang_b,
    tune_fixed_ratio,
)
from asterisk_cc.dialer.simulator import (
    LIVE,
    MACHINE,
    Campaign,
    LeadRecord,
    OursPolicy,
    Policy,
    SimConfig,
    ceiling_talk_occupancy,
    lead_stream,
    percentile,
    resolve,
    robustness_config,
    simulate,
    simulate_day,
    summarize,
)

# Short days keep the tests fast.
SMALL = SimConfig(agents=5, p_live=0.25, day_s=1800.0, warmup_s=60.0)


class DialAtStart(Policy):
    """Places ``count`` calls at the first tick, then nothing."""

    name = "scripted"

    def __init__(self, count: int) -> None:
        self.count = count

    def start_day(self, campaign: Campaign) -> None:
        self.left = self.count

    def tick(self, campaign: Campaign) -> int:
        count, self.left = self.left, 0
        return count


def test_same_seed_same_metrics_other_seed_other_metrics() -> None:
    first = summarize(simulate(SMALL, OursPolicy(), seed=3, days=2))
    again = summarize(simulate(SMALL, OursPolicy(), seed=3, days=2))
    other = summarize(simulate(SMALL, OursPolicy(), seed=4, days=2))
    assert first == again
    assert first != other


def test_policies_dial_the_same_leads_in_the_same_order() -> None:
    dialled: dict[str, list[LeadRecord]] = {}
    for policy in (ProgressivePolicy(), OursPolicy(), FixedRatioPolicy(2.0)):
        records: list[LeadRecord] = []
        simulate_day(SMALL, policy, seed=5, day=1, record_leads=records)
        dialled[policy.name] = records
    shortest = min(len(r) for r in dialled.values())
    assert shortest > 50
    for records in dialled.values():
        assert records[:shortest] == dialled["progressive"][:shortest]
    # The stream is the pre-drawn one, and another day has other leads.
    stream = list(itertools.islice(lead_stream(SMALL, 5, 1), shortest))
    assert dialled["progressive"][:shortest] == stream
    assert stream[:5] != list(itertools.islice(lead_stream(SMALL, 5, 2), 5))


def test_lead_type_is_read_at_dial_time() -> None:
    record = LeadRecord(
        kind_u=0.2, live_ring_s=7.0, machine_ring_s=19.0, failed_s=3.0, talk_s=60.0, wrap_s=9.0
    )
    assert resolve(record, 0.30, SMALL) == (LIVE, 7.0)
    assert resolve(record, 0.15, SMALL) == (MACHINE, 19.0)  # 0.15 <= u < 0.15 + 0.25
    late = record._replace(live_ring_s=30.0)
    assert resolve(late, 0.30, SMALL)[1] == SMALL.ring_timeout_s  # rings out: no answer


def _first_seed(config: SimConfig, accept: object) -> tuple[int, list[LeadRecord]]:
    for seed in range(500):
        records = list(itertools.islice(lead_stream(config, seed, 0), 2))
        if accept(records):  # type: ignore[operator]
            return seed, records
    raise AssertionError("no seed fits")


def test_metrics_of_one_connected_call() -> None:
    config = SimConfig(
        agents=1, p_live=1.0, p_machine=0.0, p_failed=0.0, day_s=1000.0, warmup_s=0.0
    )
    seed, (lead, _) = _first_seed(
        config, lambda r: r[0].live_ring_s < 25 and r[0].live_ring_s + r[0].talk_s < 900
    )
    day = simulate_day(config, DialAtStart(1), seed, 0)
    metrics = summarize([day])
    ring, talk = lead.live_ring_s, lead.talk_s
    wrap = min(lead.wrap_s, 1000.0 - ring - talk)
    assert (day.dials, day.live_answers, day.abandons, day.live_connected) == (1, 1, 0, 1)
    assert math.isclose(metrics["talk_occupancy"], talk / 1000.0)
    assert math.isclose(metrics["utilisation"], (talk + wrap) / 1000.0)
    assert math.isclose(metrics["live_connects_per_agent_hour"], 3.6)
    assert math.isclose(metrics["dials_per_agent_hour"], 3.6)
    assert metrics["peak_lines_per_agent"] == 1.0
    assert metrics["abandon_rate_30day"] == 0.0
    assert metrics["two_second_compliance"] == 1.0
    assert metrics["mean_wait_s"] == 0.0


def test_metrics_of_an_abandoned_call() -> None:
    """Two live answers, one agent: the second answer finds the agent busy for longer than
    the 2-second grace window, so it is abandoned (with its message at 2 s)."""
    config = SimConfig(
        agents=1, p_live=1.0, p_machine=0.0, p_failed=0.0, day_s=1000.0, warmup_s=0.0
    )

    def fits(records: list[LeadRecord]) -> bool:
        first, second = sorted(records, key=lambda r: r.live_ring_s)
        return (
            second.live_ring_s < 25
            and first.live_ring_s + first.talk_s > second.live_ring_s + 3.0
            and first.live_ring_s + first.talk_s < 900
        )

    seed, records = _first_seed(config, fits)
    first = min(records, key=lambda r: r.live_ring_s)
    day = simulate_day(config, DialAtStart(2), seed, 0)
    metrics = summarize([day])
    assert (day.dials, day.live_answers, day.abandons, day.live_connected) == (2, 2, 1, 1)
    assert math.isclose(metrics["talk_occupancy"], first.talk_s / 1000.0)
    assert metrics["abandon_rate_30day"] == 0.5
    assert metrics["abandon_daily_p95"] == metrics["abandon_daily_max"] == 0.5
    assert metrics["days_over_target"] == 1.0
    assert metrics["two_second_compliance"] == 1.0  # connected at once, or message at 2 s
    assert metrics["lockouts_72h_per_day"] == 1.0
    assert metrics["peak_lines_per_agent"] == 2.0


def test_ceiling_formula() -> None:
    assert round(ceiling_talk_occupancy(SimConfig(p_live=0.20)), 3) == 0.842
    assert round(ceiling_talk_occupancy(SimConfig(p_live=0.30)), 3) == 0.857
    assert round(ceiling_talk_occupancy(SimConfig(p_live=0.20), perfect_amd=True), 3) == 0.889


def test_percentile_is_nearest_rank() -> None:
    days = [float(i) for i in range(1, 31)]
    assert percentile(days, 0.95) == 29.0  # the second largest of 30 days
    assert percentile([0.01], 0.95) == 0.01
    assert percentile([], 0.95) == 0.0


def test_progressive_and_ratio_one_never_abandon() -> None:
    for policy in (ProgressivePolicy(), FixedRatioPolicy(1.0)):
        metrics = summarize(simulate(SMALL, policy, seed=1, days=2))
        assert metrics["abandon_rate_30day"] == 0.0
        assert metrics["talk_occupancy"] > 0.2
    ratio = summarize(simulate(SMALL, FixedRatioPolicy(2.0), seed=1, days=2))
    progressive = summarize(simulate(SMALL, ProgressivePolicy(), seed=1, days=2))
    assert ratio["dials_per_agent_hour"] > progressive["dials_per_agent_hour"]


def test_baselines_run_and_report() -> None:
    config = replace(SMALL, agents=8)
    for policy in (
        VicidialAdaptPolicy("ADAPT_HARD_LIMIT"),
        VicidialAdaptPolicy("ADAPT_AVERAGE"),
        VicidialAdaptPolicy("ADAPT_TAPERED"),
        ErlangBPolicy(config, seed=1),
    ):
        metrics = summarize(simulate(config, policy, seed=1, days=1))
        assert 0.0 < metrics["talk_occupancy"] < 1.0
        assert metrics["two_second_compliance"] == 1.0
    assert math.isclose(erlang_b(1, 1.0), 0.5)
    assert math.isclose(erlang_b(2, 1.0), 0.2)


def test_pauses_leave_the_logged_in_time() -> None:
    config = replace(SMALL, pause_at_s=300.0, pause_s=600.0, pause_share=0.4, warmup_s=0.0)
    day = simulate_day(config, ProgressivePolicy(), seed=2, day=0)
    assert math.isclose(day.logged_in_s, 5 * 1800.0 - 2 * 600.0)
    assert robustness_config(25).p_live_at(4 * 3600.0 + 1) == 0.15


def test_fixed_ratio_tuning_returns_a_grid_level() -> None:
    config = replace(SMALL, agents=4, day_s=1200.0)
    level = tune_fixed_ratio(config, seed=1001, days=2)
    assert 1.0 <= level <= 3.0
    assert math.isclose(round(level / 0.05) * 0.05, level)
