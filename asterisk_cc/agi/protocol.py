"""AGI wire codec, sans I/O: bytes from Asterisk in, typed values out; commands out as bytes.

Asterisk (FastAGI or classic AGI) first sends its environment, ``agi_key: value`` lines ended by
an empty line, then answers each command line with one reply:

    200 result=<x>[ (<data>)][ endpos=<n>]
    510 Invalid or unknown command
    511 Command Not Permitted on a dead channel or intercept routine
    520-Invalid command syntax.  Proper usage follows:   (continued until a line "520 ...")

After the caller hangs up Asterisk may write a bare ``HANGUP`` line between replies; it is
reported as a :class:`HangupNotice`, never mistaken for a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPLY_RE = re.compile(
    r"^(?P<code>\d{3}) result=(?P<result>\S*)(?: \((?P<data>.*?)\))?(?: endpos=(?P<endpos>-?\d+))?\s*$"
)

DTMF_BY_ASCII_CODE = {ord(c): c for c in "0123456789*#ABCD"}


class AgiProtocolError(ValueError):
    """Asterisk sent something that is not AGI."""


@dataclass(frozen=True)
class AgiReply:
    """One reply to one command."""

    code: int
    result: str
    data: str | None = None
    endpos: int | None = None
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def result_int(self) -> int:
        """The result as a number; -1 for an empty or non-numeric result."""
        try:
            return int(self.result)
        except ValueError:
            return -1

    def digit(self) -> str | None:
        """Interpret the result as WAIT FOR DIGIT/STREAM FILE do: an ASCII code, 0 = none."""
        return DTMF_BY_ASCII_CODE.get(self.result_int)


@dataclass(frozen=True)
class HangupNotice:
    """The ``HANGUP`` line Asterisk writes when it notices the caller has gone."""


AgiEvent = AgiReply | HangupNotice


class AgiParser:
    """Incremental parser for one AGI connection.

    Feed it bytes with :meth:`feed`; read the environment once :attr:`environment` is not None,
    then take replies and hangup notices from :meth:`next_event`.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._environment: dict[str, str] = {}
        self.environment: dict[str, str] | None = None
        self._usage: list[str] | None = None
        self._events: list[AgiEvent] = []

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while b"\n" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\n", 1)
            self._line(raw.decode("utf-8", errors="replace").rstrip("\r"))

    def next_event(self) -> AgiEvent | None:
        return self._events.pop(0) if self._events else None

    def _line(self, line: str) -> None:
        if self.environment is None:
            self._environment_line(line)
        elif self._usage is not None:
            self._usage.append(line)
            if line.startswith("520 "):
                self._events.append(AgiReply(520, "", text="\n".join(self._usage)))
                self._usage = None
        elif line == "HANGUP":
            self._events.append(HangupNotice())
        elif line.startswith("520-"):
            self._usage = [line]
        elif line:
            self._events.append(parse_reply(line))

    def _environment_line(self, line: str) -> None:
        if not line:
            self.environment = self._environment
            return
        key, sep, value = line.partition(":")
        if not sep or not key.startswith("agi_"):
            raise AgiProtocolError(f"expected an agi_* environment line, got {line!r}")
        self._environment[key] = value.strip()


def parse_reply(line: str) -> AgiReply:
    """Parse one reply line such as ``200 result=1 (bar baz) endpos=3520``."""
    match = _REPLY_RE.match(line)
    if match:
        endpos = match.group("endpos")
        return AgiReply(
            code=int(match.group("code")),
            result=match.group("result"),
            data=match.group("data"),
            endpos=int(endpos) if endpos is not None else None,
            text=line,
        )
    code = line[:3]
    if code.isdigit():
        return AgiReply(int(code), "", text=line)
    raise AgiProtocolError(f"not an AGI reply: {line!r}")


def quote_argument(argument: str) -> str:
    """Quote one command argument so Asterisk reads it back unchanged.

    Caller-controlled text ends up here: a line break would let it start a second command, so
    it is refused rather than escaped.
    """
    if "\n" in argument or "\r" in argument or "\0" in argument:
        raise ValueError(f"an AGI argument cannot contain a line break or NUL: {argument!r}")
    if argument and not re.search(r'[\s"\\]', argument):
        return argument
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def format_command(*words: str) -> bytes:
    """One command line, e.g. ``format_command("GET", "DATA", "beep", "5000", "4")``."""
    if not words:
        raise ValueError("an AGI command needs at least a verb")
    return (" ".join(quote_argument(w) for w in words) + "\n").encode("utf-8")
