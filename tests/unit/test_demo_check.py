"""The demo's own checks: the comparison of its traffic with the report, its reading of the
daily pack and the dialer's attempts, its configuration edits and its scan of the logs."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

from asterisk_cc.core.demo_check import (
    OutboundTally,
    QueueTally,
    compare_outbound,
    compare_queues,
)
from asterisk_cc.core.reports.pack import Column, Table, Unit
from asterisk_cc.demo.check import days_between, pack_queue_tallies, stuck_agents
from asterisk_cc.demo.processes import log_problems_in
from asterisk_cc.demo.run import start_afresh
from asterisk_cc.demo.site import with_keys


def test_equal_tallies_agree_and_each_difference_is_named() -> None:
    made = {"sales": QueueTally(5, 4, 1, 0), "vip": QueueTally(2, 2, 0, 0)}
    assert compare_queues(made, dict(made)) == []
    reported = {"sales": QueueTally(5, 3, 2, 0), "support": QueueTally(1, 1, 0, 0)}
    assert compare_queues(made, reported) == [
        "queue sales: answered is 3 in the report, the demo made 4",
        "queue sales: abandoned is 2 in the report, the demo made 1",
        "queue support: offered is 1 in the report, the demo made 0",
        "queue support: answered is 1 in the report, the demo made 0",
        "queue vip: offered is 0 in the report, the demo made 2",
        "queue vip: answered is 0 in the report, the demo made 2",
    ]


def test_an_attempt_without_outcome_is_a_problem_even_when_the_counts_agree() -> None:
    made = OutboundTally(attempts=4, human=2, machine=1, unanswered=1)
    assert compare_outbound(made, made, "renewals") == []
    recorded = OutboundTally(attempts=4, human=2, machine=1, unanswered=0, without_outcome=1)
    assert compare_outbound(made, recorded, "renewals") == [
        "campaign renewals: unanswered is 0 in the report, the demo made 1",
        "campaign renewals: 1 dial attempts have no outcome",
    ]


def _queues_table(*rows: tuple[object, ...]) -> Table:
    keys = ("queue", "offered", "answered", "abandoned", "short_abandoned", "timed_out", "asa_s")
    units = (Unit.TEXT, *([Unit.COUNT] * 5), Unit.SECONDS)
    return Table(
        "queues",
        tuple(Column(k, u) for k, u in zip(keys, units, strict=True)),
        tuple(rows),  # type: ignore[arg-type]
    )


class _Pack:
    def __init__(self, table: Table) -> None:
        self._table = table

    def table(self, key: str) -> Table | None:
        return self._table if key == self._table.key else None


def test_the_pack_is_read_by_column_name_and_short_abandons_are_abandons() -> None:
    day_one = _Pack(_queues_table(("sales", 10, 7, 2, 1, 0, 12.0), ("vip", 3, 3, 0, 0, 0, 4.0)))
    day_two = _Pack(_queues_table(("sales", 2, 1, 0, 0, 1, 30.0)))
    tallies = pack_queue_tallies([day_one, day_two])  # type: ignore[list-item]
    assert tallies == {
        "sales": QueueTally(offered=12, answered=8, abandoned=3, timed_out=1),
        "vip": QueueTally(offered=3, answered=3, abandoned=0, timed_out=0),
    }


def test_the_days_a_run_touches_include_both_sides_of_midnight() -> None:
    start = datetime(2026, 11, 23, 23, 50, tzinfo=UTC)
    assert days_between(start, start.replace(minute=58)) == [date(2026, 11, 23)]
    assert days_between(start, datetime(2026, 11, 24, 0, 5, tzinfo=UTC)) == [
        date(2026, 11, 23),
        date(2026, 11, 24),
    ]


def test_agents_left_logged_in_are_named() -> None:
    assert stuck_agents({}) == []
    assert stuck_agents({"8002": "talking", "8001": "paused"}) == [
        "agent 8001 is still paused",
        "agent 8002 is still talking",
    ]


def test_keys_go_into_their_section_once_and_missing_sections_are_added() -> None:
    text = '[ari]\nurl = "x"\nstatus_port = 0\n\n[web]\nsecret_key = "s"\n'
    edited = with_keys(text, "ari", ["status_port = 4242"])
    edited = with_keys(edited, "dialer", ['dialer_id = "demo"'])
    edited = with_keys(edited, "web", ["port = 8080"])
    assert edited.count("status_port") == 1 and "status_port = 4242" in edited
    assert '[dialer]\ndialer_id = "demo"' in edited
    assert '[web]\nport = 8080\nsecret_key = "s"' in edited
    parsed = tomllib.loads(edited)
    assert parsed["ari"] == {"url": "x", "status_port": 4242}
    assert parsed["web"] == {"port": 8080, "secret_key": "s"}


def test_errors_and_tracebacks_in_any_log_are_found(tmp_path: Path) -> None:
    (tmp_path / "agi.log").write_text(
        "2026-11-23 10:00:00,000 INFO asterisk_cc.agi: serving\n"
        "2026-11-23 10:00:01,000 ERROR asterisk_cc.agi.server: flow failed\n",
        encoding="utf-8",
    )
    (tmp_path / "web.log").write_text(
        "Traceback (most recent call last):\n  File x\nValueError: no\n", encoding="utf-8"
    )
    (tmp_path / "ari.log").write_text("2026 WARNING asterisk_cc.ari: link down\n", encoding="utf-8")
    found = [(p.process, p.line) for p in log_problems_in(tmp_path)]
    assert found == [
        ("agi", "2026-11-23 10:00:01,000 ERROR asterisk_cc.agi.server: flow failed"),
        ("web", "Traceback (most recent call last):"),
    ]


class _LeftOverSandbox:
    """A sandbox whose previous demo left everything behind, still running."""

    def __init__(self, root: Path) -> None:
        self.state_dir = root / "state"
        self.queue_log_path = root / "tree" / "queue_log"
        self.cdr_csv_path = root / "tree" / "Master.csv"
        self.running = True
        for path in (self.queue_log_path, self.cdr_csv_path):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("yesterday's run\n", encoding="utf-8")
        for name in ("asterisk-cc.sqlite3", "asterisk-cc.sqlite3-wal", "logs/web.log"):
            (self.state_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (self.state_dir / name).write_text("old", encoding="utf-8")
        (self.state_dir / "asterisk-cc.toml").write_text("kept", encoding="utf-8")

    def status(self) -> object:
        return type("Status", (), {"running": self.running})()

    def down(self) -> None:
        self.running = False


def test_a_new_demo_starts_from_a_new_database_logs_and_records(tmp_path: Path) -> None:
    sandbox = _LeftOverSandbox(tmp_path)
    said: list[str] = []
    start_afresh(sandbox, said.append)  # type: ignore[arg-type]
    assert not sandbox.running and said  # Asterisk let go of its records first
    assert not sandbox.queue_log_path.exists() and not sandbox.cdr_csv_path.exists()
    assert (tmp_path / "tree" / "queue_log.1").read_text(encoding="utf-8") == "yesterday's run\n"
    assert sorted(p.name for p in sandbox.state_dir.iterdir()) == ["asterisk-cc.toml"]
