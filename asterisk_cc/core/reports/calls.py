"""Calls in queues, from queue_log events: one :class:`QueueVisit` per call per queue.

A *visit* starts with ENTERQUEUE and ends with the line that says how it ended: answered and
later completed (COMPLETEAGENT/COMPLETECALLER) or transferred (BLINDTRANSFER/ATTENDEDTRANSFER),
or left unanswered (ABANDON, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY, WITHDRAW). The traps the
established tools fall into are handled here, once:

* a call that leaves one queue (timeout, key) and enters another is two visits, one per queue:
  the first is not "abandoned" and the call is counted once where it was answered;
* an answered visit stays answered whatever follows: an ABANDON line after CONNECT (the member
  hung up as the bridge was made) does not turn an answered call into an abandoned one;
* a transfer ends the visit as answered and transferred, with the talk time until the transfer
  (not the hour the transferred call may go on for);
* a visit that crosses midnight belongs to the day it entered the queue;
* when Asterisk restarts (QUEUESTART) the visits still open can never end: waiting ones end as
  ``lost``, answered ones as answered with the talk time until the restart.

The builder is incremental: it takes the visits still open from the last run and the new
events, in the order Asterisk wrote them, and hands back closed visits as they close. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from asterisk_cc.core.reports.queue_log import QueueLogRecord

__all__ = ["QueueVisit", "VisitBuilder", "VisitOutcome", "build_visits"]


class VisitOutcome(StrEnum):
    """How a visit ended (``in_queue``: not yet; answered visits may still be talking)."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    EXIT_EMPTY = "exit_empty"
    EXIT_KEY = "exit_key"
    WITHDRAWN = "withdrawn"
    LOST = "lost"
    IN_QUEUE = "in_queue"


@dataclass(frozen=True, slots=True)
class QueueVisit:
    """One call in one queue. ``wait_s`` is the time in the queue until answered or until it
    left; ``talk_s`` the time with the agent (None until the call ends); ``ended_at`` None while
    the visit is open (waiting, or answered and still talking)."""

    callid: str
    queue: str
    entered_at: datetime
    outcome: VisitOutcome
    wait_s: float = 0.0
    ended_at: datetime | None = None
    talk_s: float | None = None
    agent: str | None = None
    caller_number: str | None = None
    entry_position: int | None = None
    ring_no_answer: int = 0
    transferred: bool = False
    transfer_target: str | None = None
    exit_key: str | None = None

    @property
    def answered(self) -> bool:
        return self.outcome is VisitOutcome.ANSWERED

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def answered_at_s(self) -> float:
        """Seconds from entering the queue to the answer (the wait of an answered call)."""
        return self.wait_s


# Unanswered ends: event -> (outcome, index of the wait-time field).
_LEFT_UNANSWERED = {
    "ABANDON": (VisitOutcome.ABANDONED, 2),
    "EXITWITHTIMEOUT": (VisitOutcome.TIMEOUT, 2),
    "EXITEMPTY": (VisitOutcome.EXIT_EMPTY, 2),
    "EXITWITHKEY": (VisitOutcome.EXIT_KEY, 3),
    "WITHDRAW": (VisitOutcome.WITHDRAWN, 2),
}
_COMPLETED = ("COMPLETEAGENT", "COMPLETECALLER")


def _seconds(text: str) -> float:
    return float(text) if text.strip().isdigit() else 0.0


def _position(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


class VisitBuilder:
    """Feed queue_log records in order; collect closed visits with :meth:`take_closed`; what is
    still open at the end is :meth:`open_visits` (store them, and give them back next time)."""

    def __init__(self, open_visits: Iterable[QueueVisit] = ()) -> None:
        self._open: dict[tuple[str, str], QueueVisit] = {
            (v.callid, v.queue): v for v in open_visits if v.is_open
        }
        self._closed: list[QueueVisit] = []

    def feed(self, record: QueueLogRecord) -> None:
        event = record.event
        if event == "QUEUESTART":
            self._restart(record.at)
            return
        key = (record.callid, record.queue)
        if event == "ENTERQUEUE":
            stale = self._open.pop(key, None)
            if stale is not None:  # its end line never came
                self._close(stale, record.at, VisitOutcome.LOST)
            data = record.data
            self._open[key] = QueueVisit(
                callid=record.callid,
                queue=record.queue,
                entered_at=record.at,
                outcome=VisitOutcome.IN_QUEUE,
                caller_number=(data[1] or None) if len(data) > 1 else None,
                entry_position=_position(data[2]) if len(data) > 2 else None,
            )
            return
        visit = self._open.get(key)
        if visit is None:
            return  # a line of a call whose ENTERQUEUE is not here (before ingestion began)
        if event == "RINGNOANSWER":
            self._open[key] = replace(visit, ring_no_answer=visit.ring_no_answer + 1)
        elif event == "CONNECT":
            self._open[key] = replace(
                visit,
                outcome=VisitOutcome.ANSWERED,
                wait_s=_seconds(record.data[0]),
                agent=record.agent,
            )
        elif event in _COMPLETED:
            self._finish_answered(key, visit, record, record.data[0], record.data[1], None)
        elif event == "BLINDTRANSFER":
            exten, context, hold, talk = record.data[:4]
            self._finish_answered(key, visit, record, hold, talk, f"{exten}@{context}")
        elif event == "ATTENDEDTRANSFER":
            # BRIDGE|id|hold|call|pos, APP|app|hold|call|pos, LINK|chan1|chan2|hold|call|pos
            data = record.data
            target = data[2] if data[0] == "LINK" else data[1]
            self._finish_answered(key, visit, record, data[-3], data[-2], target or data[0])
        elif event in _LEFT_UNANSWERED:
            outcome, wait_index = _LEFT_UNANSWERED[event]
            if visit.answered:
                return  # answered stays answered (ABANDON just before the bridge)
            del self._open[key]
            self._closed.append(
                replace(
                    visit,
                    outcome=outcome,
                    wait_s=_seconds(record.data[wait_index]),
                    ended_at=record.at,
                    exit_key=record.data[0] if event == "EXITWITHKEY" else None,
                )
            )

    def _finish_answered(
        self,
        key: tuple[str, str],
        visit: QueueVisit,
        record: QueueLogRecord,
        hold: str,
        talk: str,
        transfer_target: str | None,
    ) -> None:
        del self._open[key]
        self._closed.append(
            replace(
                visit,
                outcome=VisitOutcome.ANSWERED,
                wait_s=_seconds(hold),
                talk_s=_seconds(talk),
                ended_at=record.at,
                agent=visit.agent if visit.agent else record.agent,
                transferred=transfer_target is not None,
                transfer_target=transfer_target,
            )
        )

    def _close(self, visit: QueueVisit, at: datetime, outcome_if_waiting: VisitOutcome) -> None:
        if visit.answered:
            answered_at = visit.entered_at.timestamp() + visit.wait_s
            talk = max(0.0, at.timestamp() - answered_at)
            self._closed.append(replace(visit, ended_at=at, talk_s=talk))
        else:
            wait = max(0.0, (at - visit.entered_at).total_seconds())
            self._closed.append(
                replace(visit, outcome=outcome_if_waiting, wait_s=wait, ended_at=at)
            )

    def _restart(self, at: datetime) -> None:
        for visit in self._open.values():
            self._close(visit, at, VisitOutcome.LOST)
        self._open.clear()

    def take_closed(self) -> list[QueueVisit]:
        closed, self._closed = self._closed, []
        return closed

    def open_visits(self) -> list[QueueVisit]:
        return list(self._open.values())


def build_visits(records: Iterable[QueueLogRecord]) -> list[QueueVisit]:
    """Every visit of ``records`` (closed first, then the ones still open), for tests and
    one-off reads of a whole file."""
    builder = VisitBuilder()
    for record in records:
        builder.feed(record)
    return builder.take_closed() + builder.open_visits()
