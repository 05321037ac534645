"""FastAGI server: one asyncio process serving many simultaneous calls.

Asterisk connects in (``AGI(agi://host:port/script)``); each connection becomes an
:class:`AgiSession` handed to a handler coroutine. Whatever goes wrong in a handler, the caller
is sent to the configured failover context: nobody is left in dead air.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from asterisk_cc.agi.protocol import AgiParser, AgiReply, HangupNotice, format_command

logger = logging.getLogger(__name__)

Handler = Callable[["AgiSession"], Awaitable[None]]

READ_CHUNK_BYTES = 4096
ENVIRONMENT_TIMEOUT_S = 10.0


class AgiHangup(Exception):
    """The caller hung up; only dead-channel commands still work."""


class AgiCommandFailed(Exception):
    """Asterisk refused a command (510/511/520)."""

    def __init__(self, command: bytes, reply: AgiReply) -> None:
        super().__init__(f"{command.decode().strip()!r} failed: {reply.text}")
        self.reply = reply


@dataclass
class AgiSession:
    """One call's AGI conversation."""

    env: dict[str, str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    parser: AgiParser
    hung_up: bool = False
    commands_sent: int = field(default=0)

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def script(self) -> str:
        """The path after host:port in the AGI URL, without the query string."""
        return self.env.get("agi_network_script", "").split("?", 1)[0]

    async def command(self, *words: str) -> AgiReply:
        """Send one command and wait for its reply, noting any HANGUP line on the way."""
        line = format_command(*words)
        try:
            self.writer.write(line)
            await self.writer.drain()
            self.commands_sent += 1
            return await self._reply(line)
        except ConnectionError as exc:
            # Asterisk closes the socket when the AGI ends (e.g. AGIEXITONHANGUP); a command
            # written after that comes back as a reset or broken pipe instead of a clean EOF.
            # Either way the call is gone: a hangup, not a handler failure to fail over from.
            self.hung_up = True
            raise AgiHangup(f"the AGI connection was lost: {exc}") from exc

    async def _reply(self, line: bytes) -> AgiReply:
        while True:
            event = self.parser.next_event()
            if event is None:
                data = await self.reader.read(READ_CHUNK_BYTES)
                if not data:
                    self.hung_up = True
                    raise AgiHangup("Asterisk closed the AGI connection")
                self.parser.feed(data)
                continue
            if isinstance(event, HangupNotice):
                self.hung_up = True
                continue
            if event.code == 511:
                self.hung_up = True
                raise AgiHangup(event.text)
            if event.code != 200:
                raise AgiCommandFailed(line, event)
            return event

    async def _channel_command(self, *words: str) -> AgiReply:
        """A command that needs a live channel: -1 means the caller has gone."""
        reply = await self.command(*words)
        if reply.result_int == -1 and self.hung_up:
            raise AgiHangup(reply.text)
        return reply

    async def answer(self) -> None:
        await self._channel_command("ANSWER")

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        """Play a prompt; return the digit that interrupted it, if any."""
        reply = await self._channel_command("STREAM", "FILE", name, escape_digits)
        return reply.digit()

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """Wait for one key press; None on timeout. (Asterisk returns its ASCII code.)"""
        reply = await self._channel_command("WAIT", "FOR", "DIGIT", str(timeout_ms))
        if reply.result_int == -1:
            raise AgiHangup(reply.text)
        return reply.digit()

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str:
        """Play a prompt and collect digits; '#' ends input. (GET DATA returns the text.)"""
        reply = await self._channel_command("GET", "DATA", prompt, str(timeout_ms), str(max_digits))
        if reply.result == "-1":
            raise AgiHangup(reply.text)
        return reply.result

    async def say_digits(self, digits: str, escape_digits: str = "") -> None:
        await self._channel_command("SAY", "DIGITS", digits, escape_digits)

    async def set_variable(self, name: str, value: str) -> None:
        await self.command("SET", "VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        reply = await self.command("GET", "VARIABLE", name)
        return reply.data if reply.result == "1" else None

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command("VERBOSE", message, str(level))

    async def goto(self, context: str, extension: str = "s", priority: str = "1") -> None:
        """Continue the dialplan there when the AGI ends (SET PRIORITY must come last)."""
        await self.command("SET", "CONTEXT", context)
        await self.command("SET", "EXTENSION", extension)
        await self.command("SET", "PRIORITY", priority)

    async def hangup(self) -> None:
        await self.command("HANGUP")


class FastAGIServer:
    """Accepts Asterisk's FastAGI connections and runs ``handler`` for each call."""

    def __init__(
        self, host: str, port: int, handler: Handler, *, failover_context: str = ""
    ) -> None:
        self.host = host
        self.port = port
        self.handler = handler
        self.failover_context = failover_context
        self._server: asyncio.Server | None = None
        self.calls_handled = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=2**16)
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("FastAGI server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        parser = AgiParser()
        outcome = "completed"
        session: AgiSession | None = None
        try:
            async with asyncio.timeout(ENVIRONMENT_TIMEOUT_S):
                while parser.environment is None:
                    data = await reader.read(READ_CHUNK_BYTES)
                    if not data:
                        return
                    parser.feed(data)
            session = AgiSession(parser.environment, reader, writer, parser)
            await self.handler(session)
        except AgiHangup:
            outcome = "caller hung up"
        except Exception:
            outcome = "failed"
            logger.exception("AGI handler failed for %s", session.uniqueid if session else "?")
            await self._send_to_failover(session)
        finally:
            self.calls_handled += 1
            with contextlib.suppress(OSError):
                writer.close()
                await writer.wait_closed()
            if session is not None:
                logger.info(
                    "call uniqueid=%s script=%s outcome=%s commands=%d duration_ms=%d",
                    session.uniqueid,
                    session.script,
                    outcome,
                    session.commands_sent,
                    (time.monotonic() - started) * 1000,
                )

    async def _send_to_failover(self, session: AgiSession | None) -> None:
        if session is None or session.hung_up or not self.failover_context:
            return
        try:
            await session.goto(self.failover_context)
        except Exception:
            logger.exception("could not send %s to the failover context", session.uniqueid)


@contextlib.contextmanager
def run_server_in_thread(
    handler: Handler, host: str = "127.0.0.1", port: int = 0, *, failover_context: str = ""
) -> Iterator[FastAGIServer]:
    """Run a FastAGI server on its own event loop in a background thread (tests, demo)."""
    server = FastAGIServer(host, port, handler, failover_context=failover_context)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            loop.close()
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=run, name="fastagi", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        raise failure[0]
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
