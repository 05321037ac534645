"""The FastAGI server over a real loopback socket, with Asterisk's side scripted byte for byte."""

from __future__ import annotations

import socket

import pytest

from asterisk_cc.agi.server import AgiHangup, AgiSession, run_server_in_thread
from asterisk_cc.agi.service import make_router

ENVIRONMENT = (
    b"agi_network: yes\nagi_network_script: {script}\nagi_uniqueid: 1795354767.1\n"
    b"agi_callerid: 5551234\n\n"
)


class ScriptedAsterisk:
    """Plays Asterisk: sends the environment, then answers each command from a list."""

    def __init__(self, port: int, script: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(ENVIRONMENT.replace(b"{script}", script.encode()))
        self.buffer = b""

    def expect(self, command: bytes, reply: bytes) -> None:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, f"server closed before sending {command!r}"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        assert line == command
        self.sock.sendall(reply)

    def expect_close(self) -> None:
        assert self.buffer == b"" and self.sock.recv(4096) == b""
        self.sock.close()


def test_commands_replies_and_digits() -> None:
    seen: dict[str, object] = {}

    async def handler(session: AgiSession) -> None:
        await session.answer()
        seen["digit"] = await session.wait_for_digit(5000)
        seen["data"] = await session.get_data("beep", 3000, 4)
        seen["caller"] = session.env["agi_callerid"]

    with run_server_in_thread(make_router({"ivr": handler})) as server:
        asterisk = ScriptedAsterisk(server.port, "ivr?lang=en")
        asterisk.expect(b"ANSWER", b"200 result=0\n")
        asterisk.expect(b"WAIT FOR DIGIT 5000", b"200 result=49\n")
        asterisk.expect(b"GET DATA beep 3000 4", b"200 result=42\n")
        asterisk.expect_close()
    assert seen == {"digit": "1", "data": "42", "caller": "5551234"}


def test_failing_handler_sends_caller_to_failover() -> None:
    async def handler(session: AgiSession) -> None:
        await session.answer()
        raise RuntimeError("CRM down")

    with run_server_in_thread(make_router({"ivr": handler}), failover_context="cc-failover") as srv:
        asterisk = ScriptedAsterisk(srv.port, "ivr")
        asterisk.expect(b"ANSWER", b"200 result=0\n")
        asterisk.expect(b"SET CONTEXT cc-failover", b"200 result=0\n")
        asterisk.expect(b"SET EXTENSION s", b"200 result=0\n")
        asterisk.expect(b"SET PRIORITY 1", b"200 result=0\n")
        asterisk.expect_close()


def test_unknown_script_goes_to_failover() -> None:
    with run_server_in_thread(make_router({}), failover_context="cc-failover") as server:
        asterisk = ScriptedAsterisk(server.port, "nonexistent")
        asterisk.expect(b"SET CONTEXT cc-failover", b"200 result=0\n")
        asterisk.expect(b"SET EXTENSION s", b"200 result=0\n")
        asterisk.expect(b"SET PRIORITY 1", b"200 result=0\n")
        asterisk.expect_close()


def test_hangup_line_ends_the_call_without_failover() -> None:
    outcome: list[str] = []

    async def handler(session: AgiSession) -> None:
        try:
            await session.wait_for_digit(5000)
        except AgiHangup:
            outcome.append("hangup seen")
            raise

    with run_server_in_thread(make_router({"ivr": handler}), failover_context="cc-failover") as srv:
        asterisk = ScriptedAsterisk(srv.port, "ivr")
        asterisk.expect(b"WAIT FOR DIGIT 5000", b"200 result=-1\nHANGUP\n")
        asterisk.expect_close()
    assert outcome == ["hangup seen"]


def test_port_in_use_is_reported() -> None:
    async def handler(session: AgiSession) -> None:
        return None

    with (
        run_server_in_thread(handler) as server,
        pytest.raises(OSError),
        run_server_in_thread(handler, port=server.port),
    ):
        pass
