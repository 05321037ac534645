"""The CDRs the real Asterisk 22 writes (cdr_csv's Master.csv, 21 columns in the sandbox): every
row is one the reports read, and the ingestion stores each once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.cdr import RecordJoiner, parse_cdr_line
from asterisk_cc.db.cdr_ingest import ingest_cdr_file
from asterisk_cc.db.models import CdrRecord
from asterisk_cc.sandbox import CdrRow, PlacedCall
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk


def master_csv_records(text: str) -> list[tuple[int, str]]:
    """The records of Master.csv (a hostile caller name may hold a line break)."""
    joiner = RecordJoiner()
    records = [
        record
        for number, line in enumerate(text.split("\n"), start=1)
        if line
        for record in joiner.push(number, line)
    ]
    return records + joiner.finish()


@dataclass(frozen=True)
class Calls:
    answered: PlacedCall
    busy: PlacedCall
    abandoned: PlacedCall
    rows: dict[str, list[CdrRow]]
    """Each call's Master.csv rows (by linkedid), as the sandbox's own reader sees them."""


@pytest.fixture(scope="module")
def calls(asterisk: AsteriskSandbox) -> Calls:
    """An answered queue call, a call to a busy agent, a caller who gives up waiting."""
    cdr = asterisk.cdr()
    answered = asterisk.call_queue("sandbox-answering", hold_s=15)
    busy = asterisk.call_queue("sandbox-busy", hold_s=20)
    abandoned = asterisk.call_queue("sandbox-empty", hold_s=1.5)
    asterisk.wait_for_hangup(answered)
    asterisk.wait_for_hangup(abandoned)
    asterisk.queue_log().wait_for_events(busy.callee_id, ["RINGNOANSWER"])
    asterisk.hang_up(busy)
    rows = {}
    for call in (answered, busy, abandoned):
        cdr.wait_for_linkedid(call.linkedid)
        rows[call.linkedid] = cdr.settled_rows(call.linkedid)
    return Calls(answered, busy, abandoned, rows)


def test_every_master_csv_row_is_read(asterisk: AsteriskSandbox, calls: Calls) -> None:
    text = asterisk.sandbox.cdr_csv_path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    records = [parse_cdr_line(record, number) for number, record in master_csv_records(text)]
    assert len(records) >= sum(len(rows) for rows in calls.rows.values())
    # The sandbox's cdr.conf has loguniqueid, loguserfield and newcdrcolumns: 21 columns.
    assert all(r.linkedid and r.uniqueid and r.sequence is not None for r in records)
    assert {r.disposition for r in records} >= {"ANSWERED", "BUSY"}
    assert all(r.start_at <= r.end_at and r.start_at.tzinfo is UTC for r in records)
    assert len({r.row_hash for r in records}) == len(records)


def test_master_csv_is_ingested_once(
    asterisk: AsteriskSandbox, calls: Calls, engine: Engine
) -> None:
    path = asterisk.sandbox.cdr_csv_path
    name = f"cdr-sandbox-{secrets.token_hex(4)}"
    now = datetime.now(UTC)
    lines = master_csv_records(path.read_text(encoding="utf-8"))
    with Session(engine) as session, session.begin():
        first = ingest_cdr_file(session, path, now, name=name)
    assert first.errors == []
    # Rows of earlier runs of this database may be there already; none is stored twice.
    with Session(engine) as session:
        records = list(
            session.scalars(select(CdrRecord).where(CdrRecord.linkedid.in_(list(calls.rows))))
        )
        hashes = set(session.scalars(select(CdrRecord.row_hash)))
    assert {parse_cdr_line(record, n).row_hash for n, record in lines} <= hashes
    assert {(r.uniqueid, r.sequence) for r in records} == {
        (row["uniqueid"], int(row["sequence"])) for rows in calls.rows.values() for row in rows
    }
    assert all(r.source == f"file:{path}" for r in records)

    def rows_of(call: PlacedCall) -> list[CdrRecord]:
        return [r for r in records if r.uniqueid == call.callee_id and r.lastapp == "Queue"]

    (answered,) = rows_of(calls.answered)
    assert answered.disposition == "ANSWERED" and answered.linkedid == calls.answered.linkedid
    assert answered.answer_at is not None and answered.billsec_s >= 1
    assert answered.dstchannel.startswith("Local/answer-1-2@asterisk-cc-sandbox-agents-")
    # One row per dial attempt; the caller's channel is up (Queue answered it), so each has an
    # answer time, but no billable second.
    busy = rows_of(calls.busy)
    assert len(busy) >= 2 and {(r.disposition, r.billsec_s) for r in busy} == {("BUSY", 0)}
    assert all(r.answer_at is not None for r in busy)
    assert rows_of(calls.abandoned)
    # Read again, from the cursor or from the file's start: nothing is stored twice.
    with Session(engine) as session, session.begin():
        assert ingest_cdr_file(session, path, now, name=name).stored == 0
    with Session(engine) as session, session.begin():
        assert ingest_cdr_file(session, path, now, name=f"{name}-again").stored == 0
