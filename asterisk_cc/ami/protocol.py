"""AMI wire codec, sans I/O.

Asterisk greets with ``Asterisk Call Manager/<version>\\r\\n``; after that every message is
``Key: Value\\r\\n`` lines ended by an empty line. Keys may repeat (``Variable:``), responses and
events are interleaved, so a client always sends an ``ActionID`` and matches on it.
"""

from __future__ import annotations

from dataclasses import dataclass


class AmiProtocolError(ValueError):
    """Something that is not AMI arrived, or an action could not be encoded safely."""


@dataclass(frozen=True)
class AmiMessage:
    """A response or an event; ``fields`` keeps order and repeated keys."""

    fields: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str = "") -> str:
        lowered = key.lower()
        for name, value in self.fields:
            if name.lower() == lowered:
                return value
        return default

    def get_all(self, key: str) -> list[str]:
        lowered = key.lower()
        return [value for name, value in self.fields if name.lower() == lowered]

    @property
    def is_event(self) -> bool:
        return bool(self.get("Event"))

    @property
    def is_response(self) -> bool:
        return bool(self.get("Response"))

    def as_dict(self) -> dict[str, str]:
        """Last value wins; use :meth:`get_all` for repeated keys."""
        return {name: value for name, value in self.fields}


class AmiParser:
    """Incremental parser: :meth:`feed` bytes, then take the banner and :meth:`messages`."""

    def __init__(self) -> None:
        self._buffer = b""
        self.banner: str | None = None
        self._current: list[tuple[str, str]] = []
        self._messages: list[AmiMessage] = []

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while b"\n" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\n", 1)
            self._line(raw.decode("utf-8", errors="replace").rstrip("\r"))

    def messages(self) -> list[AmiMessage]:
        taken, self._messages = self._messages, []
        return taken

    def _line(self, line: str) -> None:
        if self.banner is None:
            if not line.startswith("Asterisk Call Manager/"):
                raise AmiProtocolError(f"not an AMI banner: {line!r}")
            self.banner = line
            return
        if not line:
            if self._current:
                self._messages.append(AmiMessage(tuple(self._current)))
                self._current = []
            return
        key, sep, value = line.partition(":")
        if not sep:
            # Command output of old Asterisk versions; 22 sends "Output:" lines instead.
            self._current.append(("Output", line))
            return
        self._current.append((key.strip(), value.strip()))


def format_action(action: str, action_id: str, fields: list[tuple[str, str]]) -> bytes:
    """Encode one action. A CR or LF in a value would smuggle in a second action: refused."""
    lines = [("Action", action), ("ActionID", action_id), *fields]
    out = []
    for key, value in lines:
        if any(c in str(key) + str(value) for c in "\r\n"):
            raise AmiProtocolError(f"AMI field {key!r} contains a line break: {value!r}")
        out.append(f"{key}: {value}\r\n")
    return ("".join(out) + "\r\n").encode("utf-8")
