"""A small blocking AMI client: log in, send actions, collect events.

Used by ``asterisk-cc check`` and by tests; the long-running controller uses the same codec.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import time
from collections.abc import Callable, Iterable

from asterisk_cc.ami.protocol import AmiMessage, AmiParser, format_action
from asterisk_cc.errors import AsteriskUnreachable

_action_ids = itertools.count(1)


class AmiActionFailed(AsteriskUnreachable):
    """Asterisk answered an action with ``Response: Error``."""


class AmiClient:
    def __init__(self, sock: socket.socket, timeout_s: float) -> None:
        self._sock = sock
        self._timeout_s = timeout_s
        self._parser = AmiParser()
        self.events: list[AmiMessage] = []

    @classmethod
    def connect(
        cls, host: str, port: int, user: str, secret: str, timeout_s: float = 5.0
    ) -> AmiClient:
        """Connect and log in; raise AsteriskUnreachable with the reason and the fix."""
        where = f"AMI at {host}:{port}"
        try:
            sock = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as exc:
            raise AsteriskUnreachable(
                f"{where} does not answer ({exc.strerror or exc}). Fix: check that Asterisk runs "
                "and manager.conf has enabled=yes with this bindaddr and port ([ami] host/port)."
            ) from None
        client = cls(sock, timeout_s)
        try:
            client._read_until(lambda: client._parser.banner is not None)
            response = client.action("Login", Username=user, Secret=secret, Events="off")
        except AmiActionFailed as exc:
            client.close()
            raise AsteriskUnreachable(
                f"{where} refused user {user!r}: {exc}. Fix: the [ami] user and secret must match "
                "a manager.conf user (permit must include this host)."
            ) from None
        except (OSError, TimeoutError) as exc:
            client.close()
            raise AsteriskUnreachable(f"{where} stopped answering during login: {exc}") from None
        del response
        return client

    def action(self, name: str, fields: Iterable[tuple[str, str]] = (), **kw: str) -> AmiMessage:
        """Send an action and return its response; events met meanwhile go to ``events``."""
        action_id = f"acc-{next(_action_ids)}"
        self._sock.sendall(format_action(name, action_id, [*fields, *kw.items()]))
        found: list[AmiMessage] = []

        def response_arrived() -> bool:
            for message in self._parser.messages():
                if message.is_response and message.get("ActionID") == action_id:
                    found.append(message)
                else:
                    self.events.append(message)
            return bool(found)

        self._read_until(response_arrived)
        response = found[0]
        if response.get("Response").lower() == "error":
            raise AmiActionFailed(response.get("Message") or "error")
        return response

    def command(self, cli_command: str) -> list[str]:
        """Run a CLI command through AMI; return its output lines."""
        return self.action("Command", Command=cli_command).get_all("Output")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.sendall(format_action("Logoff", f"acc-{next(_action_ids)}", []))
        self._sock.close()

    def _read_until(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self._timeout_s
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer from AMI within {self._timeout_s} s")
            self._sock.settimeout(remaining)
            data = self._sock.recv(65536)
            if not data:
                raise ConnectionError("AMI closed the connection")
            self._parser.feed(data)

    def __enter__(self) -> AmiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
