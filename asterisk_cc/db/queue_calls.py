"""queue_log events, turned into calls in queues (table ``queue_calls``) and read back.

:func:`rebuild_queue_calls` carries on from where it stopped (cursor ``queue_calls``: the last
``queue_log_events.id`` read): the visits still open are loaded, the new events fed to the
:class:`~asterisk_cc.core.reports.calls.VisitBuilder` in the order Asterisk wrote them, and the
open rows replaced by what they became, in the caller's transaction with the cursor, so a
re-run never counts a call twice. Only open visits can change: a closed visit is final.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.calls import QueueVisit, VisitBuilder, VisitOutcome
from asterisk_cc.core.reports.queue_log import QueueLogRecord
from asterisk_cc.db.models import IngestCursor, QueueCall, QueueLogEvent

__all__ = ["CURSOR_NAME", "rebuild_queue_calls", "visits_between"]

CURSOR_NAME = "queue_calls"
CALL_EVENTS = (
    "ENTERQUEUE",
    "CONNECT",
    "COMPLETEAGENT",
    "COMPLETECALLER",
    "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
    "ABANDON",
    "EXITWITHTIMEOUT",
    "EXITEMPTY",
    "EXITWITHKEY",
    "WITHDRAW",
    "RINGNOANSWER",
    "QUEUESTART",
)
_CHUNK = 20_000


def _record(event: Row[Any]) -> QueueLogRecord:
    data = [event.data1, event.data2, event.data3, event.data4, event.data5]
    while data and data[-1] is None:
        data.pop()
    values = [value or "" for value in data]
    if values and "|" in values[-1]:  # ATTENDEDTRANSFER LINK: the 5th column holds two fields
        values[-1:] = values[-1].split("|")
    return QueueLogRecord(
        at=event.at,
        callid=event.callid,
        queue=event.queue,
        agent=event.agent,
        event=event.event,
        data=tuple(values),
    )


def _visit(row: QueueCall | Row[Any]) -> QueueVisit:
    return QueueVisit(
        callid=row.callid,
        queue=row.queue,
        entered_at=row.entered_at,
        outcome=VisitOutcome(row.outcome),
        wait_s=row.wait_s,
        ended_at=row.ended_at,
        talk_s=row.talk_s,
        agent=row.agent,
        caller_number=row.caller_number,
        entry_position=row.entry_position,
        ring_no_answer=row.ring_no_answer,
        transferred=row.transferred,
        transfer_target=row.transfer_target,
        exit_key=row.exit_key,
    )


def _row(visit: QueueVisit) -> dict[str, object]:
    return {
        "callid": visit.callid,
        "queue": visit.queue,
        "entered_at": visit.entered_at,
        "ended_at": visit.ended_at,
        "outcome": visit.outcome.value,
        "wait_s": visit.wait_s,
        "talk_s": visit.talk_s,
        "agent": visit.agent if visit.agent not in (None, "NONE") else None,
        "caller_number": (visit.caller_number or None) and visit.caller_number[:64],
        "entry_position": visit.entry_position,
        "ring_no_answer": visit.ring_no_answer,
        "transferred": visit.transferred,
        "transfer_target": visit.transfer_target and visit.transfer_target[:128],
        "exit_key": visit.exit_key and visit.exit_key[:8],
    }


def _new_events(session: Session, after_id: int) -> Iterator[list[Row[Any]]]:
    """The call events after ``after_id``, in chunks of plain rows (not ORM objects: a busy
    day has millions)."""
    events = QueueLogEvent.__table__
    last = after_id
    while True:
        chunk = list(
            session.execute(
                select(events)
                .where(events.c.id > last, events.c.event.in_(CALL_EVENTS))
                .order_by(events.c.id)
                .limit(_CHUNK)
            )
        )
        if not chunk:
            return
        last = chunk[-1].id
        yield chunk


def rebuild_queue_calls(session: Session) -> int:
    """Turn the queue_log events stored since the last run into ``queue_calls`` rows; returns
    how many rows were written (closed and still-open visits). The caller commits."""
    cursor = session.get(IngestCursor, CURSOR_NAME, with_for_update=True)
    if cursor is None:
        cursor = IngestCursor(name=CURSOR_NAME, source_id=None, position=0, line=0)
        session.add(cursor)
    open_rows = list(session.scalars(select(QueueCall).where(QueueCall.ended_at.is_(None))))
    builder = VisitBuilder(_visit(row) for row in open_rows)
    last_id = cursor.position or 0
    written = 0
    for chunk in _new_events(session, last_id):
        for event in chunk:
            builder.feed(_record(event))
        last_id = chunk[-1].id
        # The open rows go only at the end; closed visits can be written as they close,
        # except those that were open rows (deleted below, before the insert).
        closed = builder.take_closed()
        if closed:
            _replace(session, open_rows, closed)
            open_rows = []
            written += len(closed)
    still_open = builder.open_visits()
    _replace(session, open_rows, still_open)
    written += len(still_open)
    cursor.position = last_id
    return written


def _replace(session: Session, old_rows: Sequence[QueueCall], visits: Sequence[QueueVisit]) -> None:
    if old_rows:
        session.execute(delete(QueueCall).where(QueueCall.id.in_([r.id for r in old_rows])))
    if visits:
        session.execute(insert(QueueCall.__table__), [_row(v) for v in visits])


def visits_between(
    session: Session, start: datetime, end: datetime, *, queues: Sequence[str] | None = None
) -> list[QueueVisit]:
    """The visits that entered a queue in [start, end) (the day of a call is the day it
    entered the queue), oldest first."""
    calls = QueueCall.__table__
    # Plain rows, not ORM objects: a busy day has a million visits.
    query = select(calls).where(calls.c.entered_at >= start, calls.c.entered_at < end)
    if queues is not None:
        query = query.where(calls.c.queue.in_(queues))
    return [_visit(row) for row in session.execute(query.order_by(calls.c.entered_at))]
