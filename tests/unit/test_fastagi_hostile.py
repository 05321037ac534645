"""The FastAGI server against hostile and broken peers, over real loopback sockets.

Each bad connection is made while a well-behaved call is in the middle of its commands: the
good call must finish normally with its own environment, the server must keep accepting calls,
and no handler may ever run on half an environment.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from asterisk_cc.agi import server as server_module
from asterisk_cc.agi.protocol import MAX_LINE_BYTES
from asterisk_cc.agi.server import AgiHangup, AgiSession, run_server_in_thread

FAILOVER = "cc-failover"


def environment(uniqueid: str, **extra: str) -> dict[str, str]:
    return {
        "agi_network": "yes",
        "agi_network_script": "ivr",
        "agi_request": "agi://127.0.0.1/ivr",
        "agi_channel": "PJSIP/trunk-00000001",
        "agi_uniqueid": uniqueid,
        "agi_callerid": "5551234",
        "agi_calleridname": "unknown",
        "agi_accountcode": "",
        **extra,
    }


def wire(env: dict[str, str]) -> bytes:
    return "".join(f"{key}: {value}\n" for key, value in env.items()).encode() + b"\n"


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the server"
        time.sleep(0.01)


# --- Asterisk's reading of commands (res_agi.c: fgets into 2048 bytes, then parse_args) -------


def asterisk_commands(stream: bytes) -> list[list[bytes]]:
    commands = []
    while stream:
        newline = stream.find(b"\n", 0, 2047)
        cut = newline + 1 if newline >= 0 else min(len(stream), 2047)
        line, stream = stream[:cut].removesuffix(b"\n"), stream[cut:]
        argv: list[bytearray] = []
        quoted = escaped = False
        whitespace = True
        for char in line:
            if char == ord('"') and not escaped:
                quoted = not quoted
                if quoted and whitespace:
                    argv.append(bytearray())
                    whitespace = False
            elif char in b" \t" and not quoted and not escaped:
                whitespace = True
            elif char == ord("\\") and not escaped:
                escaped = True
            else:
                if whitespace:
                    argv.append(bytearray())
                    whitespace = False
                argv[-1].append(char)
                escaped = False
        commands.append([bytes(word) for word in argv])
    return commands


# --- The server side: one recording handler ---------------------------------------------------


class Recorder:
    """A handler that answers, sets a variable, and notes what it saw and how it ended."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.environments: dict[str, dict[str, str]] = {}
        self.outcomes: dict[str, str] = {}

    async def handler(self, session: AgiSession) -> None:
        uniqueid = session.uniqueid
        with self.lock:
            assert uniqueid not in self.environments
            self.environments[uniqueid] = dict(session.env)
        try:
            await session.answer()
            await session.set_variable("SEEN", uniqueid)
        except AgiHangup:
            self.outcomes[uniqueid] = "hangup"
            raise
        except Exception as exc:
            self.outcomes[uniqueid] = type(exc).__name__
            raise
        self.outcomes[uniqueid] = "completed"


# --- Asterisk's side: raw sockets --------------------------------------------------------------


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def connect(port: int, opened: list[socket.socket]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    opened.append(sock)
    return sock


def send_ignoring_close(sock: socket.socket, data: bytes) -> None:
    """Send what the server is willing to take; it may hang up half way through."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)


def read_line(sock: socket.socket, buffer: bytearray) -> bytes:
    while b"\n" not in buffer:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection before sending a command"
        buffer += chunk
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return line


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server still sends until it closes the connection (FIN or reset)."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset instead of an orderly FIN, as a crashed peer does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class GoodCall:
    """A well-behaved Asterisk call, driven step by step."""

    def __init__(self, port: int, uniqueid: str, opened: list[socket.socket]) -> None:
        self.uniqueid = uniqueid
        self.env = environment(uniqueid)
        self.sock = connect(port, opened)
        self.sock.sendall(wire(self.env))
        self.buffer = bytearray()

    def answered(self) -> None:
        assert read_line(self.sock, self.buffer) == b"ANSWER"
        self.sock.sendall(b"200 result=0\n")

    def finished(self) -> None:
        assert read_line(self.sock, self.buffer) == f"SET VARIABLE SEEN {self.uniqueid}".encode()
        self.sock.sendall(b"200 result=1\n")
        assert closed_by_server(self.sock) == b""


# --- The hostile peers: each starts while the good call waits, and ends after its next step ----


class Hostile:
    uniqueid: str | None = None  # set when the peer sends a complete environment
    environment_timeout_s: float | None = 0.5  # None: keep the server's own timeout

    def start(self, port: int, opened: list[socket.socket]) -> None:
        self.sock = connect(port, opened)

    def finish(self) -> None:
        raise NotImplementedError


class HttpRequest(Hostile):
    def start(self, port: int, opened: list[socket.socket]) -> None:
        super().start(port, opened)
        send_ignoring_close(self.sock, b"GET / HTTP/1.1\r\nHost: agi\r\n\r\n")

    def finish(self) -> None:
        assert closed_by_server(self.sock) == b""


class BinaryNoise(Hostile):
    def start(self, port: int, opened: list[socket.socket]) -> None:
        super().start(port, opened)
        noise = bytes(range(256)) * 16  # a TLS hello would look like this to the server
        send_ignoring_close(self.sock, b"\x16\x03\x01\x02\x00\x01" + noise)

    def finish(self) -> None:
        assert closed_by_server(self.sock) == b""


class TruncatedEnvironmentThenClose(Hostile):
    def start(self, port: int, opened: list[socket.socket]) -> None:
        super().start(port, opened)
        self.sock.sendall(wire(environment("bad-half"))[:-40])

    def finish(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)
        assert closed_by_server(self.sock) == b""


class EnvironmentWithoutItsEmptyLineThenClose(Hostile):
    def start(self, port: int, opened: list[socket.socket]) -> None:
        super().start(port, opened)
        self.sock.sendall(wire(environment("bad-unended"))[:-1])

    def finish(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)
        assert closed_by_server(self.sock) == b""


class Silent(Hostile):
    """Connects and never says anything: dropped after the environment timeout."""

    def finish(self) -> None:
        started = time.monotonic()
        assert closed_by_server(self.sock) == b""
        assert time.monotonic() - started < 4


class SilentAfterHalfAnEnvironment(Silent):
    def start(self, port: int, opened: list[socket.socket]) -> None:
        super().start(port, opened)
        self.sock.sendall(b"agi_network: yes\nagi_network_script: ivr\nagi_uni")


class EndlessEnvironmentLine(Hostile):
    """A megabyte with no newline: refused at the line cap, long before the timeout."""

    environment_timeout_s = None

    def start(self, port: int, opened: list[socket.socket]) -> None:
        super().start(port, opened)
        self.started = time.monotonic()
        send_ignoring_close(self.sock, b"agi_network: " + b"y" * MAX_LINE_BYTES)

    def finish(self) -> None:
        closed_by_server(self.sock)
        assert time.monotonic() - self.started < 5


class MidCommand(Hostile):
    """Sends a whole environment, so its handler runs, then misbehaves once ANSWER arrives."""

    def start(self, port: int, opened: list[socket.socket]) -> None:
        super().start(port, opened)
        self.buffer = bytearray()
        self.sock.sendall(wire(environment(self.uniqueid or "")))
        assert read_line(self.sock, self.buffer) == b"ANSWER"
        self.misbehave()

    def misbehave(self) -> None:
        raise NotImplementedError


class ClosesMidReply(MidCommand):
    uniqueid = "bad-closes"

    def misbehave(self) -> None:
        self.sock.sendall(b"200 res")

    def finish(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)
        assert closed_by_server(self.sock) == b""


class ResetsMidCommand(MidCommand):
    uniqueid = "bad-resets"

    def misbehave(self) -> None:
        pass

    def finish(self) -> None:
        reset(self.sock)


class EndlessReplyLine(MidCommand):
    uniqueid = "bad-endless"
    environment_timeout_s = None

    def misbehave(self) -> None:
        send_ignoring_close(self.sock, b"200 result=0 (" + b"z" * MAX_LINE_BYTES)

    def finish(self) -> None:
        # The stream is no longer AGI; the caller is still sent to the failover context.
        assert read_line(self.sock, self.buffer) == f"SET CONTEXT {FAILOVER}".encode()
        self.sock.close()


HOSTILE_PEERS = [
    HttpRequest,
    BinaryNoise,
    TruncatedEnvironmentThenClose,
    EnvironmentWithoutItsEmptyLineThenClose,
    Silent,
    SilentAfterHalfAnEnvironment,
    EndlessEnvironmentLine,
    ClosesMidReply,
    ResetsMidCommand,
    EndlessReplyLine,
]

EXPECTED_OUTCOME = {
    "bad-closes": "hangup",
    "bad-resets": "hangup",
    "bad-endless": "AgiProtocolError",
}


@pytest.mark.parametrize("peer_class", HOSTILE_PEERS, ids=lambda cls: cls.__name__)
def test_a_hostile_peer_never_disturbs_a_concurrent_call(
    peer_class: type[Hostile], sockets: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = peer_class()
    if peer.environment_timeout_s is not None:
        monkeypatch.setattr(server_module, "ENVIRONMENT_TIMEOUT_S", peer.environment_timeout_s)
    recorder = Recorder()
    with run_server_in_thread(recorder.handler, failover_context=FAILOVER) as server:
        good = GoodCall(server.port, "good-1", sockets)
        good.answered()  # the good call's handler is now between two commands
        peer.start(server.port, sockets)
        good.finished()
        peer.finish()
        wait_for(lambda: server.calls_handled == 2)

        later = GoodCall(server.port, "good-2", sockets)  # the server still takes calls
        later.answered()
        later.finished()
        wait_for(lambda: server.calls_handled == 3)

    expected = {"good-1": good.env, "good-2": later.env}
    if peer.uniqueid is not None:
        expected[peer.uniqueid] = environment(peer.uniqueid)
    assert recorder.environments == expected  # nobody ran on half an environment
    assert recorder.outcomes == {
        "good-1": "completed",
        "good-2": "completed",
        **({peer.uniqueid: EXPECTED_OUTCOME[peer.uniqueid]} if peer.uniqueid else {}),
    }


def test_many_hostile_peers_at_once_while_calls_go_on(
    sockets: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "ENVIRONMENT_TIMEOUT_S", 0.5)
    recorder = Recorder()
    peers = [cls() for _ in range(3) for cls in HOSTILE_PEERS if cls.uniqueid is None]
    with run_server_in_thread(recorder.handler, failover_context=FAILOVER) as server:
        calls = [GoodCall(server.port, f"good-{n}", sockets) for n in range(5)]
        for peer in peers:
            peer.start(server.port, sockets)
        for call in calls:
            call.answered()
        for call in calls:
            call.finished()
        for peer in peers:
            peer.finish()
        wait_for(lambda: server.calls_handled == len(calls) + len(peers))
    assert recorder.environments == {call.uniqueid: call.env for call in calls}
    assert set(recorder.outcomes.values()) == {"completed"}


# --- Hostile caller ID: one command line, quoted, read back unchanged by Asterisk ---------------

HOSTILE_NAMES = [
    '"Bob" <100>',
    "a) (b",
    "x|y|z",
    "${EXTEN}",
    "${SHELL(reboot)}$[1+1]",
    'Robert"); EXEC System reboot; ("',
    '\\" EXEC System reboot \\"',
    "ends with a backslash\\",
    "tab\there",
    ' 张伟 (VIP) | "${CALLERID(num)}" ',
    "HANGUP",
    "200 result=1",
    "",
]


def run_scripted_asterisk(port: int, env: dict[str, str], opened: list[socket.socket]) -> bytes:
    """Send ``env``, answer every command line with ``200 result=1``; return all bytes received."""
    sock = connect(port, opened)
    sock.sendall(wire(env))
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
        for _ in range(chunk.count(b"\n")):
            sock.sendall(b"200 result=1\n")
    return received


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_caller_id_is_one_quoted_argument(
    name: str, sockets: list[socket.socket]
) -> None:
    number = name.replace(" ", "")[:20] or "0"

    async def handler(session: AgiSession) -> None:
        await session.set_variable("X", session.env["agi_calleridname"])
        await session.set_variable("Y", session.env["agi_callerid"])

    env = environment("1795354767.7", agi_callerid=number, agi_calleridname=name)
    with run_server_in_thread(handler, failover_context=FAILOVER) as server:
        received = run_scripted_asterisk(server.port, env, sockets)
        wait_for(lambda: server.calls_handled == 1)
    assert received.count(b"\n") == 2 and received.endswith(b"\n")
    assert asterisk_commands(received) == [
        [b"SET", b"VARIABLE", b"X", name.encode()],
        [b"SET", b"VARIABLE", b"Y", number.encode()],
    ]


def test_a_caller_id_too_long_for_one_asterisk_line_goes_to_failover_not_to_asterisk(
    sockets: list[socket.socket],
) -> None:
    # Asterisk reads 2047 bytes per command: the tail would run as a command of its own.
    name = "x" * 2100 + " EXEC System reboot"

    async def handler(session: AgiSession) -> None:
        await session.set_variable("X", session.env["agi_calleridname"])

    env = environment("1795354767.8", agi_calleridname=name)
    with run_server_in_thread(handler, failover_context=FAILOVER) as server:
        received = run_scripted_asterisk(server.port, env, sockets)
        wait_for(lambda: server.calls_handled == 1)
    assert asterisk_commands(received) == [
        [b"SET", b"CONTEXT", FAILOVER.encode()],
        [b"SET", b"EXTENSION", b"s"],
        [b"SET", b"PRIORITY", b"1"],
    ]
