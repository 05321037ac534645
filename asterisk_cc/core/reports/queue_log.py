"""Asterisk's queue_log, read into typed records: the file form and the database form.

The file (``/var/log/asterisk/queue_log``) has one event per line::

    epoch|callid|queuename|agent|event|data1|data2|...

with a ``|`` after the event even when there is no data, and a number of data fields that
depends on the event (and on options: ``log-caller-id-name`` adds a 4th ENTERQUEUE field; an
ATTENDEDTRANSFER of kind LINK has one more field than the others). The database form
(realtime ``queue_log`` table) has ``time`` as ``YYYY-MM-DD HH:MM:SS[.uuuuuu]`` in local time
(or UTC with ``queue_log_realtime_use_gmt``) and at most five data columns.

Durations are seconds except RINGNOANSWER and RINGCANCELED, whose one field is milliseconds.
A line that cannot be read raises :class:`QueueLogLineError` naming the line and the reason;
the ingestion reports it and reads on. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "KNOWN_EVENTS",
    "QueueLogLineError",
    "QueueLogRecord",
    "parse_line",
    "record_from_row",
]

# The data fields each event of Asterisk 22 writes: (the fewest, the most).
KNOWN_EVENTS: Final[dict[str, tuple[int, int]]] = {
    "ENTERQUEUE": (3, 4),  # url, callerid, origpos[, calleridname]
    "CONNECT": (3, 3),  # holdtime, member channel uniqueid, ringtime
    "COMPLETEAGENT": (3, 3),  # holdtime, calltime, origpos
    "COMPLETECALLER": (3, 3),
    "ABANDON": (3, 3),  # pos, origpos, waittime
    "EXITWITHTIMEOUT": (3, 3),
    "EXITEMPTY": (3, 3),
    "EXITWITHKEY": (4, 4),  # key, pos, origpos, waittime
    "WITHDRAW": (3, 4),
    "RINGNOANSWER": (1, 1),  # ringtime in ms
    "RINGCANCELED": (1, 1),  # ringtime in ms
    "AGENTDUMP": (0, 0),
    "SYSCOMPAT": (0, 0),
    "BLINDTRANSFER": (5, 5),  # exten, context, holdtime, calltime, origpos
    "ATTENDEDTRANSFER": (5, 6),  # BRIDGE|APP ... (5) or LINK ... (6)
    "ADDMEMBER": (0, 1),
    "REMOVEMEMBER": (0, 1),
    "PAUSE": (0, 1),
    "UNPAUSE": (0, 1),
    "PAUSEALL": (0, 1),
    "UNPAUSEALL": (0, 1),
    "PENALTY": (1, 1),
    "RINGINUSE": (1, 1),
    "AGENTLOGIN": (1, 1),
    "AGENTLOGOFF": (1, 2),
    "OUTCALL": (1, 3),
    "QUEUESTART": (0, 0),
    "CONFIGRELOAD": (0, 0),
}
# Fields that must be whole numbers (their index in data), by event.
_NUMBERS: Final[dict[str, tuple[int, ...]]] = {
    "ENTERQUEUE": (2,),
    "CONNECT": (0, 2),
    "COMPLETEAGENT": (0, 1, 2),
    "COMPLETECALLER": (0, 1, 2),
    "ABANDON": (0, 1, 2),
    "EXITWITHTIMEOUT": (0, 1, 2),
    "EXITEMPTY": (0, 1, 2),
    "EXITWITHKEY": (1, 2, 3),
    "RINGNOANSWER": (0,),
    "RINGCANCELED": (0,),
}
# Custom events (QueueLog() in a dialplan, AMI QueueLog) are any such name.
_EVENT_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_EPOCH: Final = re.compile(r"^\d{9,11}(\.\d{1,6})?$")
_SHOWN: Final = 120  # characters of a bad line quoted in its error
# Column widths of queue_log_events: a longer value is not a line Asterisk wrote.
_LIMITS: Final = {"callid": 64, "queue": 128, "agent": 128, "event": 32, "data": 255}


class QueueLogLineError(ValueError):
    """Line ``line_number`` (1-based) cannot be read; ``reason`` says why."""

    def __init__(self, line_number: int, reason: str, text: str) -> None:
        self.line_number = line_number
        self.reason = reason
        shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
        super().__init__(f"queue_log line {line_number}: {reason}: {shown!r}")


@dataclass(frozen=True, slots=True)
class QueueLogRecord:
    """One queue_log event. ``callid``/``queue``/``agent`` keep Asterisk's ``NONE``."""

    at: datetime
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    @property
    def known(self) -> bool:
        """An event Asterisk itself writes (the rest come from QueueLog() in a dialplan)."""
        return self.event in KNOWN_EVENTS

    def number(self, index: int) -> int:
        """Data field ``index`` as a whole number (0 when it is empty)."""
        value = self.data[index] if index < len(self.data) else ""
        return int(value) if value else 0


def _check_fields(record: QueueLogRecord, line_number: int, text: str) -> QueueLogRecord:
    for name in ("callid", "queue", "agent", "event"):
        if len(getattr(record, name)) > _LIMITS[name]:
            raise QueueLogLineError(line_number, f"the {name} is too long", text)
    if not _EVENT_NAME.match(record.event):
        raise QueueLogLineError(line_number, f"{record.event!r} is not an event name", text)
    if any(len(value) > _LIMITS["data"] for value in record.data):
        raise QueueLogLineError(line_number, "a data field is too long", text)
    expected = KNOWN_EVENTS.get(record.event)
    if expected is not None:
        fewest, most = expected
        if not fewest <= len(record.data) <= most:
            count = f"{fewest}" if fewest == most else f"{fewest} to {most}"
            raise QueueLogLineError(
                line_number,
                f"{record.event} has {count} data fields, this line {len(record.data)} "
                "(truncated?)",
                text,
            )
        for index in _NUMBERS.get(record.event, ()):
            value = record.data[index]
            if value and not value.isdigit():
                raise QueueLogLineError(
                    line_number, f"{record.event} field {index + 1} is not a number", text
                )
    return record


def parse_line(text: str, line_number: int) -> QueueLogRecord:
    """One line of the queue_log file (without its newline)."""
    fields = text.rstrip("\r").split("|")
    if len(fields) < 5:
        raise QueueLogLineError(line_number, "fewer than 5 fields (truncated?)", text)
    epoch, callid, queue, agent, event = fields[:5]
    if not _EPOCH.match(epoch):
        raise QueueLogLineError(line_number, "the time is not a Unix time", text)
    data = fields[5:]
    # A '|' always follows the event: "EVENT|" has one empty data field that is not data.
    if data == [""]:
        data = []
    if (
        data
        and data[-1] == ""
        and event in KNOWN_EVENTS
        and len(data) - 1 == KNOWN_EVENTS[event][1]
    ):
        data = data[:-1]
    record = QueueLogRecord(
        at=datetime.fromtimestamp(float(epoch), UTC),
        callid=callid,
        queue=queue,
        agent=agent,
        event=event,
        data=tuple(data),
    )
    return _check_fields(record, line_number, text)


def record_from_row(
    *,
    time: str | datetime,
    callid: str,
    queuename: str,
    agent: str,
    event: str,
    data: Iterable[str | None],
    zone: ZoneInfo,
    row_number: int,
) -> QueueLogRecord:
    """One row of the realtime ``queue_log`` table: ``time`` as Asterisk wrote it (local time
    in ``zone``, or a datetime), ``data`` the data1..data5 columns (trailing empty ones are
    dropped: the table always has five)."""
    if isinstance(time, datetime):
        at = time if time.tzinfo else time.replace(tzinfo=zone)
    else:
        try:
            at = datetime.fromisoformat(time.strip()).replace(tzinfo=zone)
        except ValueError:
            raise QueueLogLineError(row_number, "the time is not a date and time", time) from None
    values = [value or "" for value in data]
    while values and values[-1] == "":
        values.pop()
    fewest = KNOWN_EVENTS.get(event, (0, 0))[0]
    values += [""] * max(0, fewest - len(values))  # empty fields the table cannot tell apart
    record = QueueLogRecord(
        at=at.astimezone(UTC),
        callid=callid or "NONE",
        queue=queuename or "NONE",
        agent=agent or "NONE",
        event=event,
        data=tuple(values),
    )
    return _check_fields(record, row_number, f"{time}|{callid}|{queuename}|{agent}|{event}")
