"""The abandon budget of a campaign: dropped calls estimated as Ofcom's formula or by ring
time, AMD-heard abandons counted in full, AMD false positives added."""

from __future__ import annotations

import pytest

from asterisk_cc.core.dialer.abandons import AbandonTally
from asterisk_cc.core.dialer.pacing import PacingStats


def test_ofcom_campaigns_count_drops_with_ofcoms_formula() -> None:
    # 8 people and 2 machines handled by agents: 4 drops are 4 x 8/10 = 3.2 people.
    tally = AbandonTally(
        people_handled=8, machines_handled=2, drops=[("h10", 7.0)] * 4, known_abandons=1
    )
    budget = tally.budget(PacingStats(), target_ratio=0.03, ofcom_formula=True)
    assert budget.abandons == pytest.approx(4.2)
    assert budget.live_answers == pytest.approx(8 + 4.2)
    assert budget.target_ratio == 0.03 and budget.abandons_variance == 0.0


def test_other_campaigns_count_each_drop_by_its_ring_time() -> None:
    stats = PacingStats()
    early, late = ("h10", 6.0), ("h10", 21.0)  # people answer early, machines late
    budget_early = AbandonTally(drops=[early]).budget(stats, target_ratio=0.03, ofcom_formula=False)
    budget_late = AbandonTally(drops=[late]).budget(stats, target_ratio=0.03, ofcom_formula=False)
    assert 0.5 < budget_early.abandons <= 1.0
    assert 0.0 <= budget_late.abandons < 0.5
    assert budget_early.abandons_variance > 0.0


def test_amd_false_positives_are_abandoned_people() -> None:
    tally = AbandonTally(people_handled=100, machine_verdicts=50)
    budget = tally.budget(
        PacingStats(), target_ratio=0.03, ofcom_formula=True, false_positive_ratio=0.02
    )
    assert budget.abandons == pytest.approx(1.0)
    assert budget.live_answers == pytest.approx(101.0)
