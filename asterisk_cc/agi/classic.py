"""Classic AGI: Asterisk starts one ``asterisk-cc-agi`` process per call and talks AGI over its
stdin and stdout. The same flows run with the same engine and runner as under FastAGI.

Dialplan::

    same => n,AGI(/usr/local/bin/asterisk-cc-agi,hotline)
    same => n,AGI(/usr/local/bin/asterisk-cc-agi,ivr,--config,/etc/asterisk-cc/asterisk-cc.toml)

The first argument names the flow (``ivr`` = ``[ivr] default_flow``). The configuration file is
``--config FILE``, else ``ASTERISK_CC_CONFIG``, else the system-wide default, as for
``asterisk-cc``. The AGI conversation itself is pyst2's: its ``AGI`` object reads the
environment, sends each command and reads its reply; :class:`Pyst2Session` turns its results and
exceptions into the :class:`~asterisk_cc.agi.protocol.AgiReply` and
:class:`~asterisk_cc.agi.server.AgiHangup` the runner knows.

Two things pyst2 leaves to its user are done here:

* pyst2 joins command words with spaces as they are and its ``_quote`` only wraps a value in
  double quotes, so a value holding a space, a quote or a line break would change the command
  or start a second one. Every word is quoted with :func:`~asterisk_cc.agi.protocol.format_command`
  instead (quotes and backslashes escaped, line breaks and over-long lines refused) and pyst2
  sends the finished line.
* pyst2 cannot read Asterisk's bare ``HANGUP`` line and takes end of input for a reply. Its input
  is wrapped so that a ``HANGUP`` line is noted and skipped, and end of input is a hangup.

Whatever fails (configuration, a missing flow, the database, a bug), the caller is sent to
``[agi] failover_context`` and one line on stderr, which Asterisk logs, says why; the exit
status is then 1. pyst2 installs a SIGHUP handler, which only works in a process's main thread:
this module is for a process of its own and the FastAGI server never imports it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from asterisk.agi import (
    AGI,
    AGIAppError,
    AGIError,
    AGIInvalidCommand,
    AGISIGHUPHangup,
    AGIUnknownError,
    AGIUsageError,
)

from asterisk_cc.agi.protocol import (
    MAX_LINE_BYTES,
    AgiProtocolError,
    AgiReply,
    format_command,
    parse_reply,
)
from asterisk_cc.agi.server import AgiCommandFailed, AgiHangup
from asterisk_cc.config import AgiSettings, Settings, load_settings, resolve_config_path
from asterisk_cc.errors import AsteriskCCError

logger = logging.getLogger(__name__)

PROGRAM = "asterisk-cc-agi"
EXIT_OK = 0
EXIT_FAILED = 1
DEAD_CHANNEL_CODE = 511
# One call at a time: a few threads are plenty for its database work.
RUNNER_WORKERS = 4

USAGE = f"""\
usage: {PROGRAM} FLOW [--config FILE]

Runs the IVR flow FLOW for one call, started by Asterisk's AGI() application:

    AGI(/usr/local/bin/{PROGRAM},FLOW[,--config,FILE])

FLOW is the name of a flow file in [ivr] flows_dir; ivr runs [ivr] default_flow.
The configuration is --config FILE, else $ASTERISK_CC_CONFIG, else
/etc/asterisk-cc/asterisk-cc.toml. When the flow cannot run, the caller is sent to
[agi] failover_context and the reason is written to stderr (Asterisk's log).

exit status: 0 the call was handled (or the caller hung up), 1 it failed.
"""


class UsageError(AsteriskCCError):
    """The dialplan's AGI() arguments are wrong."""


class _InputClosed(Exception):
    """Asterisk closed the script's standard input: the AGI has ended."""


class _ReplyReader:
    """Standard input as pyst2 reads it (``readline``), from the raw bytes.

    Once the environment is read, a bare ``HANGUP`` line is noted and skipped (it is no reply)
    and end of input raises instead of looking like an empty reply. The last line handed out is
    kept, so a reply can be decoded by the project's own codec whatever pyst2 made of it.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.in_replies = False
        self.hangup_seen = False
        self.last_line = ""

    def readline(self) -> str:
        while True:
            data = self.raw.readline(MAX_LINE_BYTES + 1)
            if not data:
                if self.in_replies:
                    raise _InputClosed("Asterisk closed the AGI's standard input")
                return ""
            if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
                raise AgiProtocolError(f"line longer than {MAX_LINE_BYTES} bytes")
            line = data.decode("utf-8", errors="replace").rstrip("\r\n")
            if self.in_replies and line == "HANGUP":
                self.hangup_seen = True
                continue
            self.last_line = line
            return line + "\n"


class _CommandWriter:
    """Standard output as pyst2 writes it: UTF-8, flushed after each command."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        return self.raw.write(text.encode("utf-8"))

    def flush(self) -> None:
        self.raw.flush()


class _DebugLog:
    """pyst2 writes a trace of everything (the caller's number too) to its stderr: that goes to
    the log at DEBUG level only, not into Asterisk's log on every call."""

    def __init__(self) -> None:
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            logger.debug("pyst2: %s", line)
        return len(text)

    def flush(self) -> None:
        pass


class _EarlyHangup:
    """Notes a SIGHUP that arrives before pyst2 has installed its own handler (while the
    program starts), which would otherwise end the process before the call is recorded."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, signum: int, frame: object) -> None:
        self.seen = True


class Pyst2Session:
    """One call's AGI conversation over pyst2, with the interface of
    :class:`asterisk_cc.agi.server.AgiSession` that :class:`~asterisk_cc.agi.ivr.IvrRunner`
    uses. The methods are coroutines for the runner's sake; each one blocks on its command,
    which is all there is to do in a process that serves one call."""

    def __init__(self, agi: AGI, reader: _ReplyReader, script: str = "") -> None:
        self.agi = agi
        self.reader = reader
        self.env: dict[str, str] = {str(k): str(v) for k, v in agi.env.items()}
        self.script = script
        self.hung_up = False
        self.commands_sent = 0

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    def _note_hangup(self) -> None:
        if self.reader.hangup_seen:
            self.hung_up = True
        try:
            self.agi.test_hangup()
        except AGISIGHUPHangup:
            self.hung_up = True

    def exchange(self, *words: str) -> AgiReply:
        """Send one command and read its reply (blocking)."""
        line = format_command(*words)  # quoting; refuses line breaks and over-long lines
        self._note_hangup()
        try:
            self.agi.send_command(line.decode("utf-8").rstrip("\n"))
        except OSError as exc:
            # Asterisk is gone (the pipe is closed): the call is over.
            self.hung_up = True
            raise AgiHangup(f"the AGI pipe was closed: {exc}") from exc
        self.commands_sent += 1
        try:
            self.agi.get_result()
        except _InputClosed as exc:
            self.hung_up = True
            raise AgiHangup(str(exc)) from exc
        except AGIAppError:
            # result=-1, with or without "(hangup)": a reply all the same (a missing sound file,
            # a failed recording); whether the caller has gone is told by HANGUP/SIGHUP/511.
            # (A GET VARIABLE whose value is "hangup" lands here too, and is read correctly.)
            pass
        except (AGIInvalidCommand, AGIUsageError) as exc:
            self._note_hangup()
            raise AgiCommandFailed(line, AgiReply(self._code(), "", text=str(exc))) from exc
        except AGIUnknownError as exc:
            self._note_hangup()
            if exc.args and exc.args[0] == DEAD_CHANNEL_CODE:
                self.hung_up = True
                raise AgiHangup(self.reader.last_line) from exc
            raise AgiCommandFailed(
                line, AgiReply(self._code(), "", text=self.reader.last_line)
            ) from exc
        except ValueError as exc:  # pyst2 reads a line that is no reply at all
            raise AgiProtocolError(f"not an AGI reply: {self.reader.last_line[:80]!r}") from exc
        except AGIError as exc:
            raise AgiCommandFailed(line, AgiReply(0, "", text=str(exc))) from exc
        self._note_hangup()
        return parse_reply(self.reader.last_line)

    def _code(self) -> int:
        code = self.reader.last_line[:3]
        return int(code) if code.isascii() and code.isdigit() else 0

    def _channel_command(self, *words: str) -> AgiReply:
        """A command that needs a live channel: -1 means the caller has gone."""
        reply = self.exchange(*words)
        if reply.result_int == -1 and self.hung_up:
            raise AgiHangup(reply.text)
        return reply

    async def command(self, *words: str) -> AgiReply:
        return self.exchange(*words)

    async def answer(self) -> None:
        self._channel_command("ANSWER")

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        """Play a prompt; return the digit that interrupted it, if any (Asterisk returns the
        digit's ASCII code)."""
        return self._channel_command("STREAM", "FILE", name, escape_digits).digit()

    async def wait_for_digit(self, timeout_ms: int) -> str | None:
        """Wait for one key press; None on timeout."""
        reply = self._channel_command("WAIT", "FOR", "DIGIT", str(timeout_ms))
        if reply.result_int == -1:
            raise AgiHangup(reply.text)
        return reply.digit()

    async def set_variable(self, name: str, value: str) -> None:
        self.exchange("SET", "VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        reply = self.exchange("GET", "VARIABLE", name)
        return reply.data if reply.result == "1" else None

    async def verbose(self, message: str, level: int = 1) -> None:
        self.exchange("VERBOSE", message, str(level))

    async def goto(self, context: str, extension: str = "s", priority: str = "1") -> None:
        """Continue the dialplan there when the AGI ends (SET PRIORITY must come last)."""
        self.exchange("SET", "CONTEXT", context)
        self.exchange("SET", "EXTENSION", extension)
        self.exchange("SET", "PRIORITY", priority)


@dataclass(frozen=True)
class Arguments:
    flow: str
    config: str | None


def parse_arguments(argv: Sequence[str]) -> Arguments:
    """``FLOW [--config FILE]`` (also ``--config=FILE``), as AGI() passes them."""
    flow: str | None = None
    config: str | None = None
    words = list(argv)
    while words:
        word = words.pop(0)
        if word == "--config":
            if not words:
                raise UsageError("--config needs a file name: AGI(...,FLOW,--config,FILE)")
            config = words.pop(0)
        elif word.startswith("--config="):
            config = word.removeprefix("--config=")
        elif word.startswith("-"):
            raise UsageError(f"unknown option {word!r}: the arguments are FLOW[,--config,FILE]")
        elif flow is None:
            flow = word
        else:
            raise UsageError(
                f"unexpected argument {word!r}: the arguments are FLOW[,--config,FILE]"
            )
    if not flow:
        raise UsageError(
            "no flow named: the first AGI() argument is the flow, e.g. "
            f"AGI(/usr/local/bin/{PROGRAM},ivr)"
        )
    return Arguments(flow, config)


async def run_flow(settings: Settings, session: Pyst2Session) -> None:
    """The FastAGI service's runner and routing, for this one call."""
    # Imported here, not at the top: Asterisk may send SIGHUP at any moment, and until a handler
    # is installed SIGHUP ends the process. main() installs one first; the slow imports follow.
    from asterisk_cc.agi.backend import DatabaseBackend
    from asterisk_cc.agi.flows import flow_library
    from asterisk_cc.agi.ivr import IvrRunner
    from asterisk_cc.agi.service import ivr_options, make_router
    from asterisk_cc.db.engine import check_database, make_engine

    engine = make_engine(settings.database)
    try:
        check_database(engine, settings.source)
        runner = IvrRunner(
            DatabaseBackend(settings, engine), ivr_options(settings), workers=RUNNER_WORKERS
        )
        try:
            route = make_router(
                {},
                runner=runner,
                flows=flow_library(settings.ivr, default_timezone=settings.site.timezone),
                default_flow=settings.ivr.default_flow,
            )
            await route(session)  # type: ignore[arg-type]
        finally:
            await runner.drain()  # the IVR session is written before the process exits
            runner.close()
    finally:
        engine.dispose()


def _setup_logging(stderr: TextIO) -> logging.Handler:
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(
        logging.Formatter(f"{PROGRAM}[%(process)d] %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    # The schema check would otherwise log alembic's two INFO lines on every call.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return handler


def _failover(session: Pyst2Session, context: str, stderr: TextIO) -> None:
    if session.hung_up or not context:
        return
    try:
        asyncio.run(session.goto(context, "s", "1"))
    except AgiHangup:
        pass
    except Exception as exc:
        print(
            f"{PROGRAM}: call {session.uniqueid or '?'} could not be sent to the failover "
            f"context {context}: {type(exc).__name__}: {exc}",
            file=stderr,
            flush=True,
        )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AsteriskCCError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def run_call(
    argv: Sequence[str],
    stdin: BinaryIO,
    stdout: BinaryIO,
    stderr: TextIO,
    *,
    early_hangup: _EarlyHangup | None = None,
) -> int:
    """Handle one call on these streams; the exit status. (pyst2 installs a SIGHUP handler:
    main thread only.)"""
    handler = _setup_logging(stderr)
    try:
        reader = _ReplyReader(stdin)
        try:
            agi = AGI(stdin=reader, stdout=_CommandWriter(stdout), stderr=_DebugLog())
        except Exception as exc:
            print(f"{PROGRAM}: cannot read the AGI environment: {_describe(exc)}", file=stderr)
            return EXIT_FAILED
        reader.in_replies = True
        session = Pyst2Session(agi, reader)
        session.hung_up = bool(early_hangup and early_hangup.seen)
        if not any(key.startswith("agi_") for key in session.env):
            print(
                f"{PROGRAM}: no AGI environment on stdin; Asterisk runs this program from AGI()",
                file=stderr,
            )
            return EXIT_FAILED
        failover_context = AgiSettings().failover_context
        try:
            arguments = parse_arguments(argv)
            session.script = arguments.flow
            settings = load_settings(
                resolve_config_path(arguments.config, os.environ), needed_by="agi"
            )
            failover_context = settings.agi.failover_context
            logging.getLogger().setLevel(settings.logging.level)
            asyncio.run(run_flow(settings, session))
        except AgiHangup:
            return EXIT_OK
        except Exception as exc:
            print(
                f"{PROGRAM}: call {session.uniqueid or '?'} (flow {session.script or '?'}) goes "
                f"to the failover context {failover_context}: {_describe(exc)}",
                file=stderr,
                flush=True,
            )
            if not isinstance(exc, AsteriskCCError):
                logger.debug("details of the failure", exc_info=exc)
            _failover(session, failover_context, stderr)
            return EXIT_FAILED
        return EXIT_OK
    finally:
        logging.getLogger().removeHandler(handler)


def _release_stdout() -> None:
    """Asterisk continues the dialplan when the script's stdout closes: close it now rather than
    when the interpreter has finished shutting down. fd 1 then points at /dev/null, so nothing
    written later can fail."""
    try:
        sys.stdout.flush()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if any(word in ("-h", "--help") for word in words):
        print(USAGE, end="")
        return EXIT_OK
    early_hangup = _EarlyHangup()
    signal.signal(signal.SIGHUP, early_hangup)
    if sys.stdin.isatty():
        print(f"{PROGRAM}: Asterisk runs this program from AGI()", file=sys.stderr)
        print(USAGE, end="", file=sys.stderr)
        return EXIT_FAILED
    try:
        return run_call(
            words, sys.stdin.buffer, sys.stdout.buffer, sys.stderr, early_hangup=early_hangup
        )
    except BaseException as exc:  # the last line of defence: one line, never a traceback
        print(f"{PROGRAM}: {_describe(exc)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        _release_stdout()


if __name__ == "__main__":
    sys.exit(main())
