"""The benchmark's synthetic queue_log: lines the project's parser reads, in time order, with
the mix and the counts its truth claims (checked with the KPI dictionary, not with the
generator's own arithmetic)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome, build_visits
from asterisk_cc.core.reports.queue_log import QueueLogRecord, parse_line
from bench.queue_log_synth import (
    QUEUES,
    QueueTruth,
    SyntheticDay,
    SynthOptions,
    Truth,
    day_bounds_epoch,
    write_queue_log,
)

OPTIONS = SynthOptions(calls=4000, seed=7, day=date(2026, 11, 23), timezone="Asia/Shanghai")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Truth]:
    path = tmp_path_factory.mktemp("synth") / "queue_log"
    truth = write_queue_log(path, OPTIONS)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return text.splitlines(), truth


@pytest.fixture(scope="module")
def records(written: tuple[list[str], Truth]) -> list[QueueLogRecord]:
    lines, _ = written
    return [parse_line(line, number) for number, line in enumerate(lines, 1)]


def day_visits(records: list[QueueLogRecord]) -> list[QueueVisit]:
    start, end = day_bounds_epoch(OPTIONS.day, OPTIONS.timezone)
    return [
        v
        for v in build_visits(records)
        if start <= v.entered_at.timestamp() < end and v.outcome is not VisitOutcome.IN_QUEUE
    ]


def figures(visits: list[QueueVisit]) -> dict[str, float | None]:
    f = kpi.queue_figures(visits, threshold_s=20, short_abandon_s=5)
    return {
        "offered": f.offered,
        "answered": f.answered,
        "abandoned": f.abandoned,
        "service_level": f.service_level,
        "asa_s": f.asa_s,
    }


def assert_same(actual: dict[str, float | None], expected: dict[str, float | None]) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-12), key


def test_every_line_is_read_by_the_parser_and_is_in_time_order(
    written: tuple[list[str], Truth], records: list[QueueLogRecord]
) -> None:
    lines, truth = written
    assert len(records) == len(lines) == truth.lines
    times = [r.at for r in records]
    assert times == sorted(times)
    assert all(line.count("|") >= 5 for line in lines)  # a '|' always follows the event


def test_the_counts_of_events_are_those_claimed(
    written: tuple[list[str], Truth], records: list[QueueLogRecord]
) -> None:
    _, truth = written
    assert dict(Counter(r.event for r in records)) == truth.lines_by_event
    assert truth.lines_by_event["ENTERQUEUE"] == (
        truth.calls + truth.overflowed + truth.before_day_visits
    )


def test_the_mix_has_what_a_real_day_has(
    written: tuple[list[str], Truth], records: list[QueueLogRecord]
) -> None:
    _, truth = written
    events = truth.lines_by_event
    for event in (
        "RINGNOANSWER",
        "RINGCANCELED",
        "CONNECT",
        "COMPLETEAGENT",
        "COMPLETECALLER",
        "BLINDTRANSFER",
        "ATTENDEDTRANSFER",
        "ABANDON",
        "EXITWITHTIMEOUT",
        "EXITWITHKEY",
        "EXITEMPTY",
        "ADDMEMBER",
        "REMOVEMEMBER",
        "PAUSE",
        "UNPAUSE",
        "PAUSEALL",
        "UNPAUSEALL",
    ):
        assert events.get(event, 0) > 0, event
    # 6-7 lines a call, not counting the agents' shift lines (a fixed cost a day): log in and
    # out, and lunch (PAUSEALL, PAUSE per queue, and as many UNPAUSE lines).
    lunch = sum(1 for r in records if r.event == "PAUSE" and r.data == ("Lunch",))
    shift = 2 * lunch + sum(
        events[e] for e in ("ADDMEMBER", "REMOVEMEMBER", "PAUSEALL", "UNPAUSEALL")
    )
    per_call = (truth.lines - shift) / (truth.calls + truth.before_day_calls)
    assert 6.0 <= per_call <= 7.0
    assert truth.lines_per_call > per_call
    kinds = {r.data[0] for r in records if r.event == "ATTENDEDTRANSFER"}
    assert kinds == {"BRIDGE", "APP", "LINK"}
    assert {r.queue for r in records if r.event == "ENTERQUEUE"} == {q.name for q in QUEUES}
    agents = {r.agent for r in records if r.event == "CONNECT"}
    assert 150 <= len(agents) <= OPTIONS.agents == 200
    assert truth.agents_seen >= len(agents)
    assert truth.overflowed > 0
    assert truth.crossing_midnight >= 3
    # The busiest hour has many times the calls of the quietest (a time-of-day shape).
    start, _ = day_bounds_epoch(OPTIONS.day, OPTIONS.timezone)
    per_hour = Counter(
        int(r.at.timestamp() - start) // 3600
        for r in records
        if r.event == "ENTERQUEUE" and r.at.timestamp() >= start
    )
    assert max(per_hour.values()) > 8 * min(per_hour[h] for h in range(24))


def test_calls_cross_midnight_both_ways(
    written: tuple[list[str], Truth], records: list[QueueLogRecord]
) -> None:
    _, truth = written
    start, end = day_bounds_epoch(OPTIONS.day, OPTIONS.timezone)
    visits = build_visits(records)
    assert all(not v.is_open for v in visits)  # every call in the file ends in it
    before = [v for v in visits if v.entered_at.timestamp() < start]
    assert len({v.callid for v in before}) == truth.before_day_calls >= 3
    assert any(v.ended_at and v.ended_at.timestamp() >= start for v in before)
    late = [v for v in visits if v.entered_at.timestamp() < end <= v.ended_at.timestamp()]  # type: ignore[union-attr]
    assert len({v.callid for v in late}) == truth.crossing_midnight


def test_per_queue_numbers_are_those_claimed(
    written: tuple[list[str], Truth], records: list[QueueLogRecord]
) -> None:
    _, truth = written
    visits = day_visits(records)
    for name, claimed in truth.queues.items():
        mine = [v for v in visits if v.queue == name]
        assert_same(figures(mine), claimed.figures())
        assert sum(1 for v in mine if v.outcome is VisitOutcome.TIMEOUT) == claimed.timed_out
        assert sum(1 for v in mine if v.answered and v.transferred) == claimed.transferred
    assert sum(q.offered for q in truth.queues.values()) == truth.calls + truth.overflowed


def test_day_numbers_count_calls_not_visits(
    written: tuple[list[str], Truth], records: list[QueueLogRecord]
) -> None:
    _, truth = written
    calls = kpi.calls_of(day_visits(records))
    assert len(calls) == truth.calls == truth.day_calls.offered
    assert_same(figures(calls), truth.day_calls.figures())
    day = truth.day_calls
    assert 0.85 < day.answered / day.offered < 0.95
    assert 0.04 < day.abandoned / day.offered < 0.09
    assert day.short_abandoned > 0


def test_the_same_seed_writes_the_same_day_and_another_seed_another(tmp_path: Path) -> None:
    small = SynthOptions(calls=300, seed=3)
    first = list(SyntheticDay(small).lines())
    assert first == list(SyntheticDay(small).lines())
    other = list(SyntheticDay(SynthOptions(calls=300, seed=4)).lines())
    assert other != first
    truth = write_queue_log(tmp_path / "queue_log", small)
    assert (tmp_path / "queue_log").read_text().splitlines() == first
    assert Truth.from_json(truth.to_json()) == truth


def test_a_day_is_a_local_day_of_its_time_zone() -> None:
    start, end = day_bounds_epoch(date(2026, 11, 23), "Asia/Shanghai")
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert end - start == 86400
    start, end = day_bounds_epoch(date(2026, 3, 29), "Europe/London")  # clocks go forward
    assert end - start == 23 * 3600


def test_a_short_dst_day_still_writes_a_readable_day(tmp_path: Path) -> None:
    options = SynthOptions(calls=500, seed=1, day=date(2026, 3, 29), timezone="Europe/London")
    truth = write_queue_log(tmp_path / "queue_log", options)
    lines = (tmp_path / "queue_log").read_text().splitlines()
    records = [parse_line(line, n) for n, line in enumerate(lines, 1)]
    start, end = day_bounds_epoch(options.day, options.timezone)
    entered = [r for r in records if r.event == "ENTERQUEUE" and start <= r.at.timestamp() < end]
    assert len(entered) == truth.calls + truth.overflowed


def test_bad_options_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="calls must be at least 1"):
        SynthOptions(calls=0)
    with pytest.raises(ValueError, match="agents must be at least"):
        SynthOptions(calls=10, agents=2)


def test_queue_truth_without_calls_has_no_ratios() -> None:
    assert QueueTruth().figures() == {
        "offered": 0,
        "answered": 0,
        "abandoned": 0,
        "service_level": None,
        "asa_s": None,
    }
