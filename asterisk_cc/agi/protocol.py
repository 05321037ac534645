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

# Asterisk reads each command with fgets() into a buffer of AGI_BUF_LEN = 2048 bytes (res_agi.c):
# a longer line is cut after 2047 bytes and the rest is run as a *second* command, so caller text
# in a long argument could smuggle in a command of its own. Such lines are refused.
MAX_COMMAND_LINE_BYTES = 2047
# parse_args() keeps at most MAX_ARGS - 1 = 127 words and silently drops the rest.
MAX_COMMAND_WORDS = 127
# No real AGI line comes near this. Without a cap, a peer that never sends a newline makes the
# buffer grow without bound, and rescanning it on every read takes quadratic time on the event loop.
MAX_LINE_BYTES = 1024 * 1024


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

    def __init__(self, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self._buffer = b""
        self._environment: dict[str, str] = {}
        self.environment: dict[str, str] | None = None
        self._usage: list[str] | None = None
        self._events: list[AgiEvent] = []

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while b"\n" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\n", 1)
            self._check_length(raw)
            self._line(raw.decode("utf-8", errors="replace").rstrip("\r"))
        self._check_length(self._buffer)

    def _check_length(self, line: bytes) -> None:
        # Checked on complete lines too, so the outcome never depends on how reads were split.
        if len(line) > self.max_line_bytes:
            raise AgiProtocolError(f"line longer than {self.max_line_bytes} bytes")

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
        # Asterisk writes exactly "key: value": only that one space goes, so caller text such as
        # a caller ID name keeps any spaces of its own at either end.
        self._environment[key] = value.removeprefix(" ")


def parse_reply(line: str) -> AgiReply:
    """Parse one reply line such as ``200 result=1 (bar baz) endpos=3520``."""
    match = _REPLY_RE.match(line)
    if match:
        endpos = match.group("endpos")
        # Asterisk's endpos is a C long (at most 20 characters with the sign); a longer digit
        # string would make int() raise a plain ValueError instead of the codec's error.
        if endpos is not None and len(endpos) > 20:
            raise AgiProtocolError(f"endpos out of range in reply: {line[:80]!r}")
        return AgiReply(
            code=int(match.group("code")),
            result=match.group("result"),
            data=match.group("data"),
            endpos=int(endpos) if endpos is not None else None,
            text=line,
        )
    code = line[:3]
    # isascii(): str.isdigit() also accepts characters such as "²" that int() rejects.
    if code.isascii() and code.isdigit():
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
    if len(words) > MAX_COMMAND_WORDS:
        raise ValueError(f"an AGI command has at most {MAX_COMMAND_WORDS} words, got {len(words)}")
    line = (" ".join(quote_argument(w) for w in words) + "\n").encode("utf-8")
    if len(line) > MAX_COMMAND_LINE_BYTES:
        raise ValueError(
            f"an AGI command line is at most {MAX_COMMAND_LINE_BYTES} bytes, got {len(line)}"
        )
    return line
