"""Golden test: a hand-made queue_log day (tests/golden/queue_log_day) with every way a call
can end and the known traps, and the KPIs computed by hand below.

The day is 2026-11-22 UTC; service level threshold 20 s; short abandon < 5 s.

    call  queue    what happens                                         wait  talk
    c12   support  entered 23:59:30 the day before, abandoned at 00:00:10  (other day)
    c1    support  answered by A, caller hangs up                        10    60
    c2    support  answered by B, agent hangs up                         30   120
    c3    support  rings C (no answer), caller abandons                  45
    c4    support  caller abandons after 3 s (short abandon)              3
    c5    support  times out after 60 s ...                              60
    c5    sales    ... enters sales, answered by D                        5   100
    c6    support  answered by A, blind transfer to 2000@internal         8    40
    c7    support  answered by B, attended transfer (LINK, 6 fields)     12    50
    c8    support  answered by A; an ABANDON line follows the CONNECT      4    30
    c9    support  caller presses 5 (exit with key)                       7
    c10   support  queue empty, leaves at once                            0
    c13   support  entered, then Asterisk restarts (QUEUESTART): lost
    c14   support  still waiting at the end of the file: in queue
    c15   support  withdrawn (AMI) after 20 s                            20
    c11   support  enters 23:59:50, answered by C after midnight         25   100
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome, build_visits
from asterisk_cc.core.reports.queue_log import parse_line

GOLDEN = Path(__file__).parent.parent / "golden" / "queue_log_day"
DAY_START = datetime(2026, 11, 22, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)


@pytest.fixture(scope="module")
def all_visits() -> list[QueueVisit]:
    lines = GOLDEN.read_text().splitlines()
    return build_visits(parse_line(text, n) for n, text in enumerate(lines, start=1))


@pytest.fixture(scope="module")
def day_visits(all_visits: list[QueueVisit]) -> list[QueueVisit]:
    return [v for v in all_visits if DAY_START <= v.entered_at < DAY_END]


def by_call(visits: list[QueueVisit], callid: str, queue: str = "support") -> QueueVisit:
    (visit,) = [v for v in visits if v.callid == callid and v.queue == queue]
    return visit


def test_each_call_ends_as_the_script_says(all_visits: list[QueueVisit]) -> None:
    expected = {
        ("c12", "support"): (VisitOutcome.ABANDONED, 40, None),
        ("c1", "support"): (VisitOutcome.ANSWERED, 10, 60),
        ("c2", "support"): (VisitOutcome.ANSWERED, 30, 120),
        ("c3", "support"): (VisitOutcome.ABANDONED, 45, None),
        ("c4", "support"): (VisitOutcome.ABANDONED, 3, None),
        ("c5", "support"): (VisitOutcome.TIMEOUT, 60, None),
        ("c5", "sales"): (VisitOutcome.ANSWERED, 5, 100),
        ("c6", "support"): (VisitOutcome.ANSWERED, 8, 40),
        ("c7", "support"): (VisitOutcome.ANSWERED, 12, 50),
        ("c8", "support"): (VisitOutcome.ANSWERED, 4, 30),
        ("c9", "support"): (VisitOutcome.EXIT_KEY, 7, None),
        ("c10", "support"): (VisitOutcome.EXIT_EMPTY, 0, None),
        ("c13", "support"): (VisitOutcome.LOST, 100, None),  # 1200 -> QUEUESTART at 1300
        ("c14", "support"): (VisitOutcome.IN_QUEUE, 0, None),
        ("c15", "support"): (VisitOutcome.WITHDRAWN, 20, None),
        ("c11", "support"): (VisitOutcome.ANSWERED, 25, 100),
    }
    got = {(v.callid, v.queue): (v.outcome, v.wait_s, v.talk_s) for v in all_visits}
    assert got == expected
    assert by_call(all_visits, "c3").ring_no_answer == 1
    assert by_call(all_visits, "c6").transfer_target == "2000@internal"
    assert by_call(all_visits, "c7").transfer_target == "PJSIP/x-2"
    assert by_call(all_visits, "c9").exit_key == "5"
    assert by_call(all_visits, "c1").agent == "Agent A"
    assert by_call(all_visits, "c1").caller_number == "5550001"
    assert by_call(all_visits, "c14").is_open


def test_support_queue_kpis_by_hand(day_visits: list[QueueVisit]) -> None:
    support = [v for v in day_visits if v.queue == "support"]
    figures = kpi.queue_figures(support, threshold_s=20, short_abandon_s=5)
    # offered: c1 c2 c3 c4 c5 c6 c7 c8 c9 c10 c11 c15 = 12 (c12 other day, c13 lost, c14 waiting)
    assert figures.offered == 12
    # answered: c1 c2 c6 c7 c8 c11 = 6 (c8 stays answered despite its ABANDON line)
    assert figures.answered == 6
    # abandoned >= 5 s: c3 only; short: c4; the timeout, key, empty and withdraw are not abandons
    assert (figures.abandoned, figures.short_abandoned, figures.timed_out) == (1, 1, 1)
    # abandon rate = 1 / (12 - 1)
    assert figures.abandon_rate == pytest.approx(1 / 11)
    assert figures.avg_abandon_wait_s == 45
    # within 20 s: c1 (10) c6 (8) c7 (12) c8 (4) = 4; c2 (30) and c11 (25) are late
    assert figures.service_level == pytest.approx(4 / 12)
    assert figures.service_level_answered == pytest.approx(4 / 6)
    assert figures.service_level_excl_short == pytest.approx(4 / 11)
    # ASA = (10 + 30 + 8 + 12 + 4 + 25) / 6
    assert figures.asa_s == pytest.approx(89 / 6)
    # average wait of all 12 offered: 10+30+45+3+60+8+12+4+7+0+25+20 = 224
    assert figures.avg_wait_s == pytest.approx(224 / 12)
    assert figures.max_wait_s == 60
    assert figures.transfer_rate == pytest.approx(2 / 6)


def test_sales_queue_counts_the_overflowed_call_once(day_visits: list[QueueVisit]) -> None:
    sales = [v for v in day_visits if v.queue == "sales"]
    figures = kpi.queue_figures(sales, threshold_s=20, short_abandon_s=5)
    assert (figures.offered, figures.answered, figures.service_level) == (1, 1, 1.0)


def test_centre_counts_calls_not_visits(day_visits: list[QueueVisit]) -> None:
    calls = kpi.calls_of(day_visits)
    figures = kpi.queue_figures(calls, threshold_s=20, short_abandon_s=5)
    # 12 calls offered (c5 once, not twice); 7 answered: c1 c2 c5 c6 c7 c8 c11
    assert (figures.offered, figures.answered) == (12, 7)
    c5 = next(c for c in calls if c.callid == "c5")
    # c5 waited from 500 (support) to 565 (answered in sales): 65 s, attributed to sales
    assert (c5.queue, c5.wait_s, c5.outcome) == ("sales", 65, VisitOutcome.ANSWERED)
    assert figures.service_level == pytest.approx(4 / 12)
    assert figures.abandon_rate == pytest.approx(1 / 11)
    # AHT with talk only (plain phones): (60 + 120 + 100 + 40 + 50 + 30 + 100) / 7
    handled = [kpi.HandleTime(talk_s=c.talk_s or 0) for c in calls if c.answered]
    assert kpi.handle_time_s(handled)["aht_s"] == pytest.approx(500 / 7)


def test_incremental_building_gives_the_same_visits(all_visits: list[QueueVisit]) -> None:
    """Fed in two runs (the open visits of the first handed to the second, as the database
    normalisation does), the visits are the same as in one run, whatever the cut."""
    from asterisk_cc.core.reports.calls import VisitBuilder

    records = [
        parse_line(text, n) for n, text in enumerate(GOLDEN.read_text().splitlines(), start=1)
    ]
    for cut in range(len(records) + 1):
        first = VisitBuilder()
        for record in records[:cut]:
            first.feed(record)
        closed = first.take_closed()
        second = VisitBuilder(first.open_visits())
        for record in records[cut:]:
            second.feed(record)
        visits = closed + second.take_closed() + second.open_visits()
        assert sorted(visits, key=repr) == sorted(all_visits, key=repr), cut


def test_no_calls_is_no_number_not_zero() -> None:
    figures = kpi.queue_figures([], threshold_s=20, short_abandon_s=5)
    assert figures.offered == 0
    assert figures.service_level is None
    assert figures.abandon_rate is None
    assert figures.asa_s is None
