"""The calls behind a figure: for every row of every breakdown and every measure, the list the
drill-down gives is as long as the figure the report shows — on the golden queue_log day, with
per-queue thresholds, overflowed calls and tiers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.breakdown import BREAKDOWNS, breakdown
from asterisk_cc.core.reports.calls import QueueVisit, build_visits
from asterisk_cc.core.reports.daily import (
    DayData,
    QueueTargets,
    SiteTargets,
    build_pack,
    headline_values,
)
from asterisk_cc.core.reports.drilldown import (
    MEASURES,
    Scope,
    measure_count,
    members,
    scope_visits,
)
from asterisk_cc.core.reports.queue_log import parse_line

GOLDEN = Path(__file__).parent.parent / "golden" / "queue_log_day"
UTC_ZONE = ZoneInfo("UTC")
DAY_START = datetime(2026, 11, 22, tzinfo=UTC)
HOUR = timedelta(hours=1)
TARGETS = {"support": QueueTargets(20, 0.8, 5), "sales": QueueTargets(10, 0.9, 2)}
TIERS = {"c1": "vip", "c5": "gold"}


def threshold(visit: QueueVisit) -> float:
    return TARGETS[visit.queue].threshold_s


def short(visit: QueueVisit) -> float:
    return TARGETS[visit.queue].short_abandon_s


@pytest.fixture(scope="module")
def visits() -> list[QueueVisit]:
    lines = GOLDEN.read_text().splitlines()
    everything = build_visits(parse_line(text, n) for n, text in enumerate(lines, 1))
    return [v for v in everything if DAY_START <= v.entered_at < DAY_START + timedelta(days=1)]


def listed(group: list[QueueVisit], measure: str) -> int:
    return len(members(group, measure, threshold_s=threshold, short_abandon_s=short))


@pytest.mark.parametrize("by", BREAKDOWNS)
def test_every_row_of_every_breakdown_lists_as_many_calls_as_it_counts(
    visits: list[QueueVisit], by: str
) -> None:
    rows = breakdown(
        visits,
        by,
        zone=UTC_ZONE,
        interval=HOUR,
        threshold_s=threshold,
        short_abandon_s=short,
        tiers=TIERS,
    )
    assert rows
    for row in rows:
        group = scope_visits(
            visits, Scope(by, row.label), zone=UTC_ZONE, interval=HOUR, tiers=TIERS
        )
        assert kpi.queue_figures(group, threshold, short) == row.figures
        for measure in MEASURES:
            assert listed(group, measure) == measure_count(row.figures, measure), (by, row, measure)


def test_the_whole_day_counts_calls_and_agrees_with_the_pack(visits: list[QueueVisit]) -> None:
    data = DayData(
        day=date(2026, 11, 22),
        start=DAY_START,
        end=DAY_START + timedelta(days=1),
        timezone="UTC",
        visits=tuple(visits),
        queue_targets=TARGETS,
        tiers=TIERS,
    )
    pack = build_pack(
        data,
        site_name="Test",
        generated_at=DAY_START + timedelta(days=1),
        interval=HOUR,
        site=SiteTargets(),
        day_before={},
        week_before={},
    )
    day = scope_visits(visits, Scope("all"), zone=UTC_ZONE, interval=HOUR)
    headline = headline_values(data)
    for key in ("offered", "answered", "abandoned", "short_abandoned", "timed_out"):
        assert listed(day, key) == headline[key], key
    sl = pack.headline_value("service_level")
    assert sl is not None
    assert listed(day, "sl_met") == round(sl * listed(day, "offered"))
    assert listed(day, "sl_missed") == listed(day, "offered") - listed(day, "sl_met")
    # c5 timed out of support and was answered in sales: one call, answered, under sales.
    assert [
        c.queue
        for c in members(day, "answered", threshold_s=threshold, short_abandon_s=short)
        if c.callid == "c5"
    ] == ["sales"]
    # The pack's intervals, each by its local start.
    for interval in pack.intervals:
        group = scope_visits(
            visits, Scope("slot", interval.start.isoformat()), zone=UTC_ZONE, interval=HOUR
        )
        assert listed(group, "offered") == interval.offered
        assert listed(group, "abandoned") == interval.abandoned
    # The queues table: visits per queue, the total row is the day's calls.
    queues = pack.table("queues")
    assert queues is not None
    for row in queues.rows:
        group = scope_visits(visits, Scope("queue", str(row[0])), zone=UTC_ZONE, interval=HOUR)
        assert (listed(group, "offered"), listed(group, "answered")) == row[1:3]


def test_agent_rows_list_the_calls_the_agent_answered(visits: list[QueueVisit]) -> None:
    group = scope_visits(visits, Scope("agent", "Agent A"), zone=UTC_ZONE, interval=HOUR)
    assert sorted(v.callid for v in group) == ["c1", "c6", "c8"]
    assert [
        v.callid
        for v in members(group, "transferred", threshold_s=threshold, short_abandon_s=short)
    ] == ["c6"]


def test_a_list_is_in_time_order_and_a_wrong_request_is_refused(visits: list[QueueVisit]) -> None:
    offered = members(visits, "offered", threshold_s=threshold, short_abandon_s=short)
    assert [v.entered_at for v in offered] == sorted(v.entered_at for v in offered)
    with pytest.raises(ValueError, match="unknown measure"):
        members(visits, "everything", threshold_s=threshold, short_abandon_s=short)
    with pytest.raises(ValueError, match="unknown scope"):
        Scope("campaign", "x")
    with pytest.raises(ValueError, match="needs the label"):
        Scope("queue")
    with pytest.raises(ValueError, match="UTC offset"):
        scope_visits(visits, Scope("slot", "2026-11-22T08:00"), zone=UTC_ZONE, interval=HOUR)


def test_an_unknown_queue_name_is_only_a_name(visits: list[QueueVisit]) -> None:
    group = scope_visits(visits, Scope("queue", "' OR 1=1 --"), zone=UTC_ZONE, interval=HOUR)
    assert group == []
