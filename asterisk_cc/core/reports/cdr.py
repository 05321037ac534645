"""Asterisk's call detail records, read into typed rows: the Master.csv form and the database
form.

**Master.csv** (cdr_csv) has one record per line, in the CSV quoting of ``cdr/cdr_csv.c``:
strings double-quoted with ``"`` doubled, integers unquoted, an unset answer time an empty
unquoted field. The columns are always::

    accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
    start, answer, end, duration, billsec, disposition, amaflags

followed by ``uniqueid`` (``loguniqueid=yes``), ``userfield`` (``loguserfield=yes``) and
``peeraccount, linkedid, sequence`` (``newcdrcolumns=yes``), in that order. Nothing in a row
says which options were on, so the number of columns decides:

====== ==========================================================================
count  read as
====== ==========================================================================
16     the code defaults (none of the three options)
17     + uniqueid
18     + uniqueid, userfield (Debian's and the upstream sample's cdr.conf)
19     + peeraccount, linkedid, sequence
20     + uniqueid, peeraccount, linkedid, sequence
21     + uniqueid, userfield, peeraccount, linkedid, sequence (all three options)
====== ==========================================================================

A site with ``loguserfield=yes`` but ``loguniqueid=no`` also writes 17 (or 20) columns; they are
read as the uniqueid, since nothing tells the two apart: turn ``loguniqueid`` on there.

Times are ``YYYY-MM-DD HH:MM:SS``: UTC with ``usegmtime=yes`` (Debian's cdr.conf), otherwise
the Asterisk host's local time, so the caller says which ``zone`` the file is in. In local time
the hour a clock goes back is ambiguous (its first pass is taken): prefer ``usegmtime=yes``.

**The database form** (cdr_adaptive_odbc, cdr_pgsql, Asterisk's alembic ``cdr`` table) has the
same fields as columns by name, ``start`` often aliased to ``calldate`` (FreePBX's
``asteriskcdrdb``); see :func:`cdr_from_row`.

A record that cannot be read raises :class:`CdrLineError` naming the line (or row) and the
reason; the ingestion reports it and reads on. :attr:`CdrRow.row_hash` identifies a record by
its content, so a record read twice is stored once. Pure: no I/O, no clock.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

__all__ = [
    "BASE_COLUMNS",
    "DISPOSITIONS",
    "LAYOUTS",
    "MAX_RECORD_LINES",
    "CdrLineError",
    "CdrRow",
    "RecordJoiner",
    "cdr_from_row",
    "parse_cdr_line",
]

BASE_COLUMNS: Final = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
)
_UNIQUEID: Final = ("uniqueid",)
_USERFIELD: Final = ("userfield",)
_NEW_COLUMNS: Final = ("peeraccount", "linkedid", "sequence")

LAYOUTS: Final[dict[int, tuple[str, ...]]] = {
    16: BASE_COLUMNS,
    17: BASE_COLUMNS + _UNIQUEID,
    18: BASE_COLUMNS + _UNIQUEID + _USERFIELD,
    19: BASE_COLUMNS + _NEW_COLUMNS,
    20: BASE_COLUMNS + _UNIQUEID + _NEW_COLUMNS,
    21: BASE_COLUMNS + _UNIQUEID + _USERFIELD + _NEW_COLUMNS,
}
"""The columns of a Master.csv row, by how many it has (see the module's table)."""

DISPOSITIONS: Final = frozenset(
    {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION", "CANCEL", "UNKNOWN"}
)
"""What ``ast_cdr_disp2str`` writes (``UNKNOWN`` for a value it has no name for)."""

# The numbers cdr_adaptive_odbc writes into an integer disposition or amaflags column.
_DISPOSITION_CODES: Final = {
    0: "NO ANSWER",
    1: "NO ANSWER",
    2: "FAILED",
    4: "BUSY",
    8: "ANSWERED",
    16: "CONGESTION",
    32: "CANCEL",
}
_AMAFLAG_CODES: Final = {1: "OMIT", 2: "BILLING", 3: "DOCUMENTATION"}

# Widths of the cdr_records columns: a longer value is refused, not cut (an id cut short would
# silently stop joining). Asterisk's own limits are within these, except uniqueid and linkedid
# (up to 149 characters when an ARI or AMI originate names the channel).
_WIDTHS: Final = {
    "accountcode": 80,
    "src": 80,
    "dst": 80,
    "dcontext": 80,
    "clid": 128,
    "channel": 128,
    "dstchannel": 128,
    "lastapp": 80,
    "lastdata": 255,
    "disposition": 16,
    "amaflags": 16,
    "uniqueid": 150,
    "userfield": 255,
    "peeraccount": 80,
    "linkedid": 150,
}
# The columns that find a refused table row (which has no id), in the order they are shown.
_IDENTIFYING: Final = ("uniqueid", "sequence", "start", "end", "channel", "dst", "disposition")
_TIME: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_WHOLE: Final = re.compile(r"^\d{1,10}$")
_SHOWN: Final = 160  # characters of a bad record quoted in its error
_HASH_VERSION: Final = "cdr-v1"


class CdrLineError(ValueError):
    """Line (or row) ``line_number`` cannot be read as a CDR; ``reason`` says why."""

    def __init__(self, line_number: int, reason: str, text: str) -> None:
        self.line_number = line_number
        self.reason = reason
        self.text = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
        """The record as read (cut after a few dozen characters), to find it by."""
        super().__init__(f"CDR line {line_number}: {reason}: {self.text!r}")


@dataclass(frozen=True, slots=True)
class CdrRow:
    """One call detail record, with the fields of ``cdr_records``. Times are aware UTC.

    The fields of the 16 base columns are always there (empty text when Asterisk wrote
    nothing); ``uniqueid``, ``userfield``, ``peeraccount``, ``linkedid`` and ``sequence`` are
    None when the source's layout has no such column."""

    accountcode: str
    src: str
    dst: str
    dcontext: str
    clid: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    start_at: datetime
    answer_at: datetime | None
    end_at: datetime
    duration_s: int
    billsec_s: int
    disposition: str
    amaflags: str
    uniqueid: str | None = None
    userfield: str | None = None
    peeraccount: str | None = None
    linkedid: str | None = None
    sequence: int | None = None

    @property
    def answered(self) -> bool:
        return self.disposition == "ANSWERED"

    @property
    def row_hash(self) -> str:
        """sha256 (hex) of the record's content: the same record read again (the file after a
        cursor reset, the table's look-back) has the same hash; an empty field and a missing
        one hash alike, so the file and table forms of one record agree when their columns
        do. The source is not part of it."""
        normalised = [
            _HASH_VERSION,
            self.accountcode,
            self.src,
            self.dst,
            self.dcontext,
            self.clid,
            self.channel,
            self.dstchannel,
            self.lastapp,
            self.lastdata,
            self.start_at.isoformat(),
            self.answer_at.isoformat() if self.answer_at else "",
            self.end_at.isoformat(),
            self.duration_s,
            self.billsec_s,
            self.disposition,
            self.amaflags,
            self.uniqueid or "",
            self.userfield or "",
            self.peeraccount or "",
            self.linkedid or "",
            "" if self.sequence is None else self.sequence,
        ]
        text = json.dumps(normalised, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Refused(Exception):
    """A field cannot be read; becomes a CdrLineError with the record's number and text."""


def parse_cdr_line(text: str, line_number: int, zone: tzinfo = UTC) -> CdrRow:
    """One line of Master.csv (without its newline); ``zone`` is the zone of its times (UTC
    with ``usegmtime=yes``)."""
    line = text.rstrip("\r")
    try:
        (fields,) = list(csv.reader([line], strict=True))
    except (csv.Error, ValueError):
        raise CdrLineError(
            line_number, "not a CSV record (an unclosed quote, or a line break in a field?)", text
        ) from None
    layout = LAYOUTS.get(len(fields))
    if layout is None:
        counts = ", ".join(str(count) for count in LAYOUTS)
        raise CdrLineError(
            line_number,
            f"{len(fields)} columns, but Master.csv rows have {counts} (truncated?)",
            text,
        )
    values: dict[str, object] = dict(zip(layout, fields, strict=True))
    try:
        return _build(values, zone, has_answer=True, has_end=True)
    except _Refused as refused:
        raise CdrLineError(line_number, str(refused), text) from None


def cdr_from_row(mapping: Mapping[str, object], zone: tzinfo, *, row_number: int = 0) -> CdrRow:
    """One row of a CDR table, columns by name (case does not matter), as the database driver
    returns them: text or numbers, times as datetimes (naive ones are in ``zone``, the zone
    cdr_adaptive_odbc wrote them in: local time unless ``usegmtime=yes``) or as text.

    ``calldate`` is taken for ``start`` (FreePBX's table). A table without an ``end`` column
    gets ``start + duration``; one without an ``answer`` column gets ``end - billsec`` for a
    record with billable seconds (cdr_adaptive_odbc writes no ``answer`` when a call was not
    answered). NULL text is empty text; ``disposition`` and ``amaflags`` may be the numbers
    cdr_adaptive_odbc writes into integer columns."""
    values = {str(key).lower(): value for key, value in mapping.items()}
    if "start" not in values and "calldate" in values:
        values["start"] = values["calldate"]
    has_answer, has_end = "answer" in values, "end" in values
    try:
        return _build(values, zone, has_answer=has_answer, has_end=has_end)
    except _Refused as refused:
        shown = " ".join(f"{key}={values[key]}" for key in _IDENTIFYING if key in values)
        raise CdrLineError(row_number, str(refused), shown) from None


def _build(
    values: Mapping[str, object], zone: tzinfo, *, has_answer: bool, has_end: bool
) -> CdrRow:
    start = _time(values, "start", zone)
    if start is None:
        raise _Refused("the start time is empty")
    duration_s = _whole(values, "duration")
    billsec_s = _whole(values, "billsec")
    end = _time(values, "end", zone) if has_end else start + timedelta(seconds=duration_s)
    if end is None:
        raise _Refused("the end time is empty")
    if has_answer:
        answer = _time(values, "answer", zone)
    else:
        answer = max(start, end - timedelta(seconds=billsec_s)) if billsec_s > 0 else None
    if end < start:
        raise _Refused("the end time is before the start")
    if answer is not None and answer < start:
        raise _Refused("the answer time is before the start")
    if answer is not None and answer > end:
        raise _Refused("the answer time is after the end")
    disposition = _coded(values, "disposition", _DISPOSITION_CODES)
    if disposition not in DISPOSITIONS:
        raise _Refused(f"{disposition!r} is not a disposition Asterisk writes")
    amaflags = _coded(values, "amaflags", _AMAFLAG_CODES, unknown="Unknown", required=False)
    sequence = _whole(values, "sequence") if _present(values, "sequence") else None
    return CdrRow(
        accountcode=_text(values, "accountcode"),
        src=_text(values, "src"),
        dst=_text(values, "dst"),
        dcontext=_text(values, "dcontext"),
        clid=_text(values, "clid"),
        channel=_text(values, "channel"),
        dstchannel=_text(values, "dstchannel"),
        lastapp=_text(values, "lastapp"),
        lastdata=_text(values, "lastdata"),
        start_at=start,
        answer_at=answer,
        end_at=end,
        duration_s=duration_s,
        billsec_s=billsec_s,
        disposition=disposition,
        amaflags=amaflags,
        uniqueid=_optional_text(values, "uniqueid"),
        userfield=_optional_text(values, "userfield"),
        peeraccount=_optional_text(values, "peeraccount"),
        linkedid=_optional_text(values, "linkedid"),
        sequence=sequence,
    )


def _present(values: Mapping[str, object], name: str) -> bool:
    value = values.get(name)
    return value is not None and str(value).strip() != ""


def _text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    text = "" if value is None else str(value)
    width = _WIDTHS.get(name)
    if width is not None and len(text) > width:
        raise _Refused(f"the {name} is longer than {width} characters")
    return text


def _optional_text(values: Mapping[str, object], name: str) -> str | None:
    """A column only some layouts have: None without it."""
    return _text(values, name) if name in values else None


def _time(values: Mapping[str, object], name: str, zone: tzinfo) -> datetime | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        local = value
    else:
        text = str(value).strip()
        if not text:
            return None
        if not _TIME.match(text):
            raise _Refused(f"the {name} time {text!r} is not a date and time (YYYY-MM-DD HH:MM:SS)")
        try:
            local = datetime.fromisoformat(text)
        except ValueError:
            raise _Refused(f"the {name} time {text!r} is not a real date and time") from None
    aware = local if local.tzinfo is not None else local.replace(tzinfo=zone)
    return aware.astimezone(UTC)


def _whole(values: Mapping[str, object], name: str) -> int:
    """A count of seconds (or the sequence): a whole number, not negative. Numeric columns of
    cdr_adaptive_odbc hold fractions of a second: they are rounded."""
    value = values.get(name)
    if isinstance(value, bool):
        raise _Refused(f"the {name} is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        try:
            number = int(Decimal(str(value)).to_integral_value(ROUND_HALF_UP))
        except (InvalidOperation, ValueError):
            raise _Refused(f"the {name} is not a number") from None
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise _Refused(f"the {name} is empty")
        if not _WHOLE.match(text):
            raise _Refused(f"the {name} {text!r} is not a whole number")
        number = int(text)
    if number < 0:
        raise _Refused(f"the {name} is negative")
    return number


def _coded(
    values: Mapping[str, object],
    name: str,
    codes: Mapping[int, str],
    *,
    unknown: str = "UNKNOWN",
    required: bool = True,
) -> str:
    """``disposition`` / ``amaflags``: the word, or the number an integer column holds."""
    value = values.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return codes.get(value, unknown)
    text = _text(values, name).strip()
    if text.isdigit():
        return codes.get(int(text), unknown)
    if not text and required:
        raise _Refused(f"the {name} is empty")
    return text


MAX_RECORD_LINES: Final = 20
"""Lines one Master.csv record may span (line breaks inside quoted fields)."""


class RecordJoiner:
    """Master.csv lines → records. Asterisk writes a caller name holding a line break as it
    is, inside its quotes: a line with an unclosed quote goes on in the next line that closes
    it (one with an odd number of quotes; lines without quotes are the middle of the field). A
    line with its quotes balanced is a record of its own: an unclosed one before it was
    truncated, and is handed on as it is (the parser refuses it by its line number)."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._first = 0

    def push(self, number: int, text: str) -> list[tuple[int, str]]:
        """The records (first line's number, text) that line ``number`` completes."""
        quotes = text.count('"')
        out: list[tuple[int, str]] = []
        if self._pending:
            if quotes == 0 and len(self._pending) < MAX_RECORD_LINES:
                self._pending.append(text)
                return out
            if quotes % 2 == 1:
                out.append((self._first, "\n".join([*self._pending, text])))
                self._pending = []
                return out
            out.extend(self.finish())
        if quotes % 2 == 1:
            self._pending, self._first = [text], number
        else:
            out.append((number, text))
        return out

    def finish(self) -> list[tuple[int, str]]:
        """What is still open at the end (a quote never closed)."""
        if not self._pending:
            return []
        record, self._pending = (self._first, "\n".join(self._pending)), []
        return [record]
