"""Reading what Asterisk recorded: queue_log lines and cdr_csv rows, and waiting for them.

Both files are appended to while calls run. :class:`FileFollower` remembers where the file
ended when it was created and returns only what was added since, and ``wait_for`` polls with a
deadline instead of sleeping a fixed time, so tests are quick when Asterisk is quick and still
pass on a slow machine.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from asterisk_cc.errors import SandboxError

# Columns of Master.csv with loguniqueid, loguserfield and newcdrcolumns on (the sandbox's
# cdr.conf), in the order cdr_csv writes them.
CDR_COLUMNS = (
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
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
)


@dataclass(frozen=True)
class QueueLogLine:
    """``epoch|callid|queuename|agent|event|data...`` (data field count varies per event)."""

    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    @classmethod
    def parse(cls, line: str) -> QueueLogLine:
        fields = line.rstrip("\n").split("|")
        if len(fields) < 5 or not fields[0].isdigit():
            raise ValueError(f"not a queue_log line: {line!r}")
        data = tuple(fields[5:])
        # Events without data still end in '|': that is one empty field, not data.
        if data == ("",):
            data = ()
        return cls(int(fields[0]), fields[1], fields[2], fields[3], fields[4], data)

    def summary(self) -> str:
        """``callid|queue|agent|event|data...``: the line without its timestamp."""
        return "|".join([self.callid, self.queue, self.agent, self.event, *self.data])


@dataclass(frozen=True)
class CdrRow:
    """One row of Master.csv, by column name."""

    fields: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.fields[column]

    def summary(self) -> str:
        """Who called whom, the last application, and how it ended, on one line."""
        return (
            f"{self['channel']} {self['dstchannel'] or '-'} {self['lastapp']} "
            f"{self['disposition']} duration={self['duration']} billsec={self['billsec']}"
        )

    @classmethod
    def parse_rows(cls, text: str) -> list[CdrRow]:
        rows = []
        for values in csv.reader(io.StringIO(text)):
            if not values:
                continue
            if len(values) != len(CDR_COLUMNS):
                raise ValueError(
                    f"a Master.csv row has {len(values)} columns, expected {len(CDR_COLUMNS)} "
                    "(cdr.conf [csv] loguniqueid, loguserfield, newcdrcolumns = yes)"
                )
            rows.append(cls(dict(zip(CDR_COLUMNS, values, strict=True))))
        return rows


class FileFollower:
    """The lines appended to a file since this follower was created."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = path.stat().st_size if path.exists() else 0
        self._partial = ""
        self.lines: list[str] = []

    def poll(self) -> list[str]:
        """Read what was appended; keep a half-written last line for the next poll."""
        if not self.path.exists():
            return self.lines
        with open(self.path, encoding="utf-8", errors="replace", newline="") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
            self._offset = handle.tell()
        text = self._partial + chunk
        *complete, self._partial = text.split("\n")
        self.lines.extend(line for line in complete if line)
        return self.lines


T = TypeVar("T")


class _RecordFollower(Generic[T]):
    what = "records"

    def __init__(self, path: Path) -> None:
        self._file = FileFollower(path)

    @property
    def path(self) -> Path:
        return self._file.path

    def _parse(self, lines: list[str]) -> list[T]:
        raise NotImplementedError

    def records(self) -> list[T]:
        return self._parse(self._file.poll())

    def wait_for(
        self, predicate: Callable[[Sequence[T]], bool], *, timeout_s: float = 20.0, why: str = ""
    ) -> list[T]:
        """Poll until ``predicate(records)`` holds; raise with what did arrive on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            records = self.records()
            if predicate(records):
                return records
            if time.monotonic() >= deadline:
                shown = "\n".join(f"  {record}" for record in records[-30:]) or "  (nothing)"
                raise SandboxError(
                    f"waited {timeout_s:g} s for {why or 'the expected ' + self.what} in "
                    f"{self.path}; what arrived:\n{shown}"
                )
            time.sleep(0.1)


class QueueLogFollower(_RecordFollower[QueueLogLine]):
    what = "queue_log lines"

    def _parse(self, lines: list[str]) -> list[QueueLogLine]:
        return [QueueLogLine.parse(line) for line in lines]

    def wait_for_events(
        self, callid: str, events: Sequence[str], *, timeout_s: float = 20.0
    ) -> list[QueueLogLine]:
        """Wait until the call ``callid`` has logged every event in ``events``; its lines."""

        def arrived(lines: Sequence[QueueLogLine]) -> bool:
            logged = {line.event for line in lines if line.callid == callid}
            return set(events) <= logged

        lines = self.wait_for(
            arrived, timeout_s=timeout_s, why=f"{', '.join(events)} of call {callid}"
        )
        return [line for line in lines if line.callid == callid]


class CdrFollower(_RecordFollower[CdrRow]):
    what = "CDR rows"

    def _parse(self, lines: list[str]) -> list[CdrRow]:
        # A quoted CSV field may not hold a line break in what cdr_csv writes, so rows are lines.
        return CdrRow.parse_rows("\n".join(lines))

    def wait_for_linkedid(
        self, linkedid: str, *, count: int = 1, timeout_s: float = 20.0
    ) -> list[CdrRow]:
        """Wait for at least ``count`` rows of the call ``linkedid``; return them all."""

        def arrived(rows: Sequence[CdrRow]) -> bool:
            return sum(1 for row in rows if row["linkedid"] == linkedid) >= count

        rows = self.wait_for(arrived, timeout_s=timeout_s, why=f"{count} CDR row(s) of {linkedid}")
        return [row for row in rows if row["linkedid"] == linkedid]

    def settled_rows(self, linkedid: str, *, timeout_s: float = 5.0) -> list[CdrRow]:
        """The call's rows once no new one has come for half a second (at most ``timeout_s``):
        the channels of one call end, and are written, a few milliseconds apart."""
        deadline = time.monotonic() + timeout_s
        rows = [row for row in self.records() if row["linkedid"] == linkedid]
        while time.monotonic() < deadline:
            time.sleep(0.5)
            latest = [row for row in self.records() if row["linkedid"] == linkedid]
            if len(latest) == len(rows):
                break
            rows = latest
        return rows
