"""queue_log events turned into calls in queues: incremental, never twice, the same visits as
the pure builder whatever the cut between runs."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.calls import VisitOutcome, build_visits
from asterisk_cc.core.reports.queue_log import parse_line
from asterisk_cc.db.models import QueueCall
from asterisk_cc.db.queue_calls import rebuild_queue_calls, visits_between
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file

GOLDEN = Path(__file__).parent.parent / "golden" / "queue_log_day"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def golden_lines(tag: str) -> list[str]:
    """The golden day with call ids made unique to this test (the database is shared)."""
    out = []
    for line in GOLDEN.read_text().splitlines():
        fields = line.split("|")
        if fields[1] != "NONE":
            fields[1] = f"{tag}-{fields[1]}"
        elif fields[4] == "QUEUESTART":
            continue  # a restart would close every other test's open visits too
        out.append("|".join(fields))
    return out


def ingest_and_rebuild(engine: Engine, path: Path, name: str) -> None:
    with Session(engine) as session, session.begin():
        ingest_queue_log_file(session, path, NOW, name=name)
        rebuild_queue_calls(session)


def rows(engine: Engine, tag: str) -> list[tuple[str, str, str, float, float | None]]:
    with Session(engine) as session:
        found = session.execute(
            select(
                QueueCall.callid,
                QueueCall.queue,
                QueueCall.outcome,
                QueueCall.wait_s,
                QueueCall.talk_s,
            ).where(QueueCall.callid.like(f"{tag}-%"))
        )
        return sorted((c, q, o, w, t) for c, q, o, w, t in found)


def test_two_runs_store_the_visits_of_one_and_a_third_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    tag = secrets.token_hex(4)
    lines = golden_lines(tag)
    path = tmp_path / "queue_log"
    name = f"ql-{tag}"
    cut = len(lines) // 2  # mid-call: some visits are open after the first run
    path.write_text("\n".join(lines[:cut]) + "\n")
    ingest_and_rebuild(engine, path, name)
    first = rows(engine, tag)
    assert any(outcome in ("in_queue", "answered") for _, _, outcome, _, _ in first)
    with path.open("a") as log:
        log.write("\n".join(lines[cut:]) + "\n")
    ingest_and_rebuild(engine, path, name)
    expected = sorted(
        (v.callid, v.queue, v.outcome.value, v.wait_s, v.talk_s)
        for v in build_visits(parse_line(t, n) for n, t in enumerate(lines, start=1))
    )
    assert rows(engine, tag) == expected
    ingest_and_rebuild(engine, path, name)
    assert rows(engine, tag) == expected
    with Session(engine) as session:
        duplicates = session.scalar(
            select(func.count())
            .select_from(QueueCall)
            .where(QueueCall.callid.like(f"{tag}-%"))
            .group_by(QueueCall.callid, QueueCall.queue)
            .having(func.count() > 1)
        )
    assert duplicates is None


def test_visits_of_a_day_are_those_that_entered_it(engine: Engine, tmp_path: Path) -> None:
    tag = secrets.token_hex(4)
    path = tmp_path / "queue_log"
    path.write_text("\n".join(golden_lines(tag)) + "\n")
    ingest_and_rebuild(engine, path, f"ql-{tag}")
    day = datetime(2026, 11, 22, tzinfo=UTC)
    with Session(engine) as session:
        visits = [
            v
            for v in visits_between(session, day, day + timedelta(days=1))
            if v.callid.startswith(tag)
        ]
    by_id = {(v.callid.split("-", 1)[1], v.queue): v for v in visits}
    assert ("c12", "support") not in by_id  # entered the day before
    c11 = by_id[("c11", "support")]  # entered 23:59:50, answered after midnight
    assert (c11.outcome, c11.wait_s, c11.talk_s) == (VisitOutcome.ANSWERED, 25, 100)
    assert c11.entered_at.tzinfo is not None
    assert by_id[("c14", "support")].outcome is VisitOutcome.IN_QUEUE
