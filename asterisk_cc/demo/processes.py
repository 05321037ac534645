"""The product's processes, as an admin runs them: ``asterisk-cc agi``, ``ari``, ``dialer``,
``scheduler`` and ``web``, each a process of its own on the demo's configuration, each with its
log in a file. Started in order (each answering before the next starts, so the dialer finds the
controller and the dashboard its links), stopped in reverse with SIGTERM, as systemd does.

The logs are read afterwards: a line at ERROR or CRITICAL, or a traceback, in any of them is a
problem the demo reports (the whole-system test fails on it).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from asterisk_cc.errors import AsteriskCCError

START_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 20.0

# The log format every command sets (asterisk_cc.cli): "<time> <LEVEL> <logger>: <message>".
_BAD_LINE: Final = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")


class DemoProcessError(AsteriskCCError):
    """A process of the demo did not start, or stopped by itself."""


Probe = Callable[[], bool]


def port_answers(port: int, host: str = "127.0.0.1") -> Probe:
    """Ready once something accepts TCP connections on ``host:port``."""

    def probe() -> bool:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        return False

    return probe


@dataclass(frozen=True)
class ProcessSpec:
    """One product process: its ``asterisk-cc`` subcommand and how to tell it is serving."""

    name: str
    command: Sequence[str]
    ready: Probe | None = None
    """None: ready once it has run a moment without exiting."""


@dataclass
class RunningProcess:
    spec: ProcessSpec
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@dataclass(frozen=True)
class LogProblem:
    process: str
    line: str


@dataclass
class ProductProcesses:
    """Start, watch and stop the product's processes on ``config``."""

    config: Path
    log_dir: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _message: None
    running: list[RunningProcess] = field(default_factory=list)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "asterisk_cc", "--config", str(self.config), *args]

    def start(self, specs: Sequence[ProcessSpec]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for spec in specs:
            self._start_one(spec)

    def _start_one(self, spec: ProcessSpec) -> None:
        log_path = self.log_dir / f"{spec.name}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
        environment.update(self.environment)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                self.command(*spec.command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                # Its own process group: Ctrl-C in the terminal reaches the demo alone, which
                # then stops each process in order.
                start_new_session=True,
            )
        running = RunningProcess(spec, process, log_path)
        self.running.append(running)
        deadline = time.monotonic() + START_TIMEOUT_S
        settle_until = time.monotonic() + 1.0
        while True:
            if process.poll() is not None:
                raise DemoProcessError(
                    f"asterisk-cc {spec.name} exited with {process.returncode} at start "
                    f"(log {log_path}):\n{running.tail()}"
                )
            ready = spec.ready() if spec.ready else time.monotonic() >= settle_until
            if ready:
                break
            if time.monotonic() > deadline:
                raise DemoProcessError(
                    f"asterisk-cc {spec.name} was not serving after {START_TIMEOUT_S:.0f} s "
                    f"(log {log_path}):\n{running.tail()}"
                )
            time.sleep(0.2)
        self.progress(f"asterisk-cc {spec.name} is running (pid {process.pid}, log {log_path})")

    def exited(self) -> list[RunningProcess]:
        """The processes that stopped by themselves."""
        return [r for r in self.running if r.process.poll() is not None]

    def stop(self) -> dict[str, int]:
        """SIGTERM to each, the last started first; the exit code of each (a process that had
        to be killed reports -9)."""
        codes: dict[str, int] = {}
        for running in reversed(self.running):
            process = running.process
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            codes[running.spec.name] = process.returncode
        self.running.clear()
        return codes

    def log_problems(self) -> list[LogProblem]:
        return [
            LogProblem(running.spec.name, line)
            for running in self.running
            for line in running.log_text().splitlines()
            if _BAD_LINE.search(line)
        ]


def log_problems_in(log_dir: Path) -> list[LogProblem]:
    """The ERROR/CRITICAL lines and tracebacks of every ``*.log`` in ``log_dir``."""
    return [
        LogProblem(path.stem, line)
        for path in sorted(log_dir.glob("*.log"))
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if _BAD_LINE.search(line)
    ]
