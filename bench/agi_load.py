"""IVR under load: the FastAGI server and the classic per-call AGI program side by side, then
simultaneous calls through a real Asterisk 22.

Part 1, FastAGI. The server runs in a process of its own (this file's ``--serve`` mode: the
real ``IvrRunner`` with the database backend, routed by ``make_router``, on a migrated SQLite
database seeded with 10,000 customers, the shipped ``conf/ivr`` flows, and a clock fixed to an
open hour of the hotline's ``office`` calendar). This process plays Asterisk's side of the
FastAGI conversation over loopback for N simultaneous calls: each sends a realistic
environment (a new ``agi_uniqueid``; a caller ID that is a seeded customer's, a VIP's or
nobody's), then answers every command as Asterisk 22 does (STREAM FILE: ``200 result=0
endpos=...``, or the key's ASCII code when the caller presses during a prompt that may be
interrupted; WAIT FOR DIGIT: the next key's ASCII code, or ``200 result=0`` for a timeout --
at once: the caller's thinking time is not what is measured; GET VARIABLE ``200 result=1
(...)``; SET ... ``200 result=1``/``200 result=0``; RECORD FILE ``200 result=35 (dtmf)
endpos=...``). The callers walk the hotline along a mix of paths (unknown caller to sales, VIP
by caller ID, balance by account entry, invalid keys and a timeout, self-service by caller ID,
a recorded complaint). A session fails unless it ends where its path ends -- the queue's SET
CONTEXT/EXTENSION/PRIORITY with the tier's QUEUE_PRIO and an interaction id, or the goodbye
prompt and the end of the AGI -- without an error.

Part 2, classic AGI. The same callers talk to ``asterisk-cc-agi hotline --config FILE``
processes over stdin/stdout, a new process per call, as Asterisk's AGI() runs it. The program
reads the wall clock, so its flows directory holds a copy of the shipped flows whose ``office``
calendar is open round the clock (the path through the flow is the same). A process per call
is slow: fewer sessions per level (``--classic-sessions``), and a level never runs more
processes at once than it has sessions.

Part 3, real Asterisk. A sandbox of its own (``bench-agi``, free loopback ports), the hotline's
prompts built into it, the FastAGI server on its FastAGI port (as in part 1, with the checks
of sounds and queues on), and 50 simultaneous scripted calls (real DTMF, keys timed from the
real prompt lengths) along a mix of paths; every call must leave an IVR session with the
expected outcome. ``--no-asterisk`` skips it (it needs root).

Measured per level: sessions per second (all sessions / wall time of the level), failures,
and the time Asterisk waits on the AGI side, from the moment its reply is written until the
next command line arrives (p50, p99): per command, at the start (connection or process start
until the first command) and at the end (last reply until the AGI ends, when Asterisk resumes
the dialplan and the caller reaches the queue).

Run (as root for part 3; about 7 minutes on 2 cores)::

    .venv/bin/python bench/agi_load.py

Options: ``--concurrency 10,100,500``, ``--sessions``, ``--classic-sessions``, ``--customers``,
``--calls``, ``--no-classic``, ``--no-asterisk``, ``--json``, ``--seed``. Results go in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import wave
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from machine_info import describe_machine
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from asterisk_cc.config import DatabaseSettings, Settings, load_settings
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.sandbox import free_loopback_ports

if TYPE_CHECKING:
    from asterisk_cc.sandbox import Dtmf, Wait

REPO = Path(__file__).resolve().parents[1]
FLOWS_DIR = REPO / "conf" / "ivr"
CLASSIC_PROGRAM = Path(sys.executable).parent / "asterisk-cc-agi"
FLOW = "hotline"
# Monday 23 November 2026, 10:00 in Shanghai: the hotline's office calendar is open.
OPEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ASTERISK_VERSION = "22.10.1+dfsg+~cs6.17.60671434-1"
QUEUE_CONTEXT = "asterisk-cc-queue"
PRIORITIES = {"vip": 10, "gold": 5, "standard": 0}
TIERS = ["vip"] * 5 + ["gold"] * 15 + ["standard"] * 80
PLAYED_ENDPOS = "endpos=16000"  # two seconds of 8 kHz samples
BARGED_ENDPOS = "endpos=4000"
WARMUP_SESSIONS = 100

# --- the CRM ---------------------------------------------------------------------------------


def national(i: int) -> str:
    """Customer i's mobile as Asterisk presents a caller ID in China: 013800000042."""
    return f"0138{i:08d}"


def e164(i: int) -> str:
    return f"+86138{i:08d}"


def account(i: int) -> str:
    return f"62{i:06d}"


@dataclass
class Crm:
    """Who the seeded customers are, so each caller knows where their path must end."""

    tiers: list[str]  # index i - 1: customer i's tier
    languages: list[str]
    balances: list[str]

    def pick(self, rng: random.Random, *, vip: bool, language: str | None = None) -> int:
        while True:
            i = rng.randint(1, len(self.tiers))
            if (self.tiers[i - 1] == "vip") == vip and language in (None, self.languages[i - 1]):
                return i

    def tier(self, i: int) -> str:
        return self.tiers[i - 1]


def seed_crm(engine: Engine, customers: int, rng: random.Random) -> Crm:
    """``customers`` customers with one mobile each, an account number, a tier and a balance
    (a CRM field the hotline says), loaded in one transaction."""
    crm = Crm([], [], [])
    rows, phones = [], []
    for i in range(1, customers + 1):
        tier = rng.choice(TIERS)
        language = "zh" if rng.random() < 0.8 else "en"
        balance = f"{rng.randint(0, 2_000_000) / 100:.2f}"
        crm.tiers.append(tier)
        crm.languages.append(language)
        crm.balances.append(balance)
        attributes = json.dumps({"balance": balance})
        rows.append((i, f"Customer {i}", account(i), tier, language, "Asia/Shanghai", attributes))
        phones.append((i, i, e164(i), "mobile"))
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT INTO customers (id, name, account_number, tier, language, timezone, "
            "attributes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        raw.executemany(
            "INSERT INTO customer_phones (id, customer_id, phone_e164, label) VALUES (?, ?, ?, ?)",
            phones,
        )
        raw.execute("COMMIT")
        raw.execute("ANALYZE")
    return crm


# --- configuration ---------------------------------------------------------------------------


def write_config(path: Path, *, database_url: str, flows_dir: Path, workdir: Path) -> Path:
    """asterisk-cc's configuration for the load parts: sounds and queues are not on this
    host, so those checks are off (as on a FastAGI server apart from Asterisk)."""
    path.write_text(
        textwrap.dedent(
            f"""\
            [database]
            url = "{database_url}"

            [site]
            timezone = "Asia/Shanghai"
            default_region = "CN"

            [ivr]
            flows_dir = "{flows_dir}"
            default_flow = "{FLOW}"
            sounds_dirs = ["{workdir / "no-sounds"}"]
            queues_conf = ["{workdir / "no-queues.conf"}"]
            recordings_dir = "{workdir / "recordings"}"

            [logging]
            level = "INFO"
            """
        ),
        encoding="utf-8",
    )
    return path


ROUND_THE_CLOCK = "".join(
    f'{day} = "00:00-24:00"\n' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def round_the_clock_flows(target: Path) -> Path:
    """The shipped flows, the office calendar open all week and all day (no holidays): the
    classic program reads the wall clock, and the benchmark must not depend on the hour."""
    target.mkdir()
    for source in FLOWS_DIR.glob("*.toml"):
        text = source.read_text(encoding="utf-8")
        text = re.sub(
            r"(\[calendars\.office\]\n)(?:.*\n)*?\n",
            lambda m: m.group(1) + 'timezone = "Asia/Shanghai"\n' + ROUND_THE_CLOCK + "\n",
            text,
        )
        (target / source.name).write_text(text, encoding="utf-8")
    return target


# --- callers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One caller: the number they call from, the keys they press and where they must end.

    Keys: ``"^1"`` is pressed during the next prompt that may be interrupted (barge-in),
    ``"1"`` after the prompts, when the IVR waits for a key, ``"."`` is silence until that wait
    times out. ``queue`` is the queue the call must be sent to (None: the flow says goodbye and
    the AGI ends with no SET CONTEXT); ``priority`` its QUEUE_PRIO.
    """

    path: str
    caller_id: str
    keys: tuple[str, ...]
    queue: str | None
    priority: int = 0


PATHS = {
    # name: weight
    "unknown caller -> sales": 30,
    "VIP by caller ID -> vip": 15,
    "invalid key, timeout -> sales": 15,
    "balance by account entry -> operator": 15,
    "known caller -> balance -> goodbye": 15,
    "known caller -> complaint recorded": 10,
}


def unknown_number(rng: random.Random) -> str:
    return f"0139{rng.randrange(10**8):08d}"


def make_plan(path: str, crm: Crm, rng: random.Random) -> Plan:
    if path == "unknown caller -> sales":
        return Plan(path, unknown_number(rng), ("^1", "^3"), "sales")
    if path == "VIP by caller ID -> vip":
        return Plan(path, national(crm.pick(rng, vip=True)), (), "vip", PRIORITIES["vip"])
    if path == "invalid key, timeout -> sales":
        return Plan(path, unknown_number(rng), ("^1", "^7", ".", "^3"), "sales")
    if path == "balance by account entry -> operator":
        i = crm.pick(rng, vip=False)
        digits = account(i)
        # English; the menus by barge-in; the account number: the first key during the
        # prompt, the rest one by one, then #; 1 after the read-back to confirm; after the
        # balance back to the main menu, and the operator.
        keys = ("2", "^1", "^1", "^" + digits[0], *digits[1:], "#", "1", "^1", "^0")
        return Plan(path, unknown_number(rng), keys, "support", PRIORITIES[crm.tier(i)])
    if path == "known caller -> balance -> goodbye":
        i = crm.pick(rng, vip=False)
        return Plan(path, national(i), ("^1", "^1", "9"), None)
    if path == "known caller -> complaint recorded":
        i = crm.pick(rng, vip=False)
        return Plan(path, national(i), ("^2",), None)
    raise ValueError(path)


def make_plans(count: int, crm: Crm, rng: random.Random) -> list[Plan]:
    names, weights = list(PATHS), list(PATHS.values())
    return [make_plan(rng.choices(names, weights)[0], crm, rng) for _ in range(count)]


def environment(plan: Plan, uniqueid: str, *, network_port: int | None, config: Path) -> bytes:
    """The AGI environment as Asterisk 22 writes it (FastAGI: with the agi_network lines;
    classic: the program's path and its arguments)."""
    if network_port is not None:
        head = [
            "agi_network: yes",
            f"agi_network_script: {FLOW}",
            f"agi_request: agi://127.0.0.1:{network_port}/{FLOW}",
        ]
        args: list[str] = []
    else:
        head = [f"agi_request: {CLASSIC_PROGRAM}"]
        args = [f"agi_arg_1: {FLOW}", "agi_arg_2: --config", f"agi_arg_3: {config}"]
    channel = f"PJSIP/trunk-{int(uniqueid.split('.')[1]):08x}"
    lines = [
        *head,
        f"agi_channel: {channel}",
        "agi_language: en",
        "agi_type: PJSIP",
        f"agi_uniqueid: {uniqueid}",
        f"agi_version: {ASTERISK_VERSION}",
        f"agi_callerid: {plan.caller_id}",
        "agi_calleridname: unknown",
        "agi_callingpres: 0",
        "agi_callingani2: 0",
        "agi_callington: 0",
        "agi_callingtns: 0",
        "agi_dnid: 4008001234",
        "agi_rdnis: unknown",
        "agi_context: asterisk-cc-ivr",
        f"agi_extension: {FLOW}",
        "agi_priority: 2",
        "agi_enhanced: 0.0",
        "agi_accountcode: ",
        "agi_threadid: 140570105845440",
        *args,
    ]
    return ("\n".join(lines) + "\n\n").encode()


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] == '"':
        return word[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return word


class ScriptedCaller:
    """Asterisk's replies to one call's commands, with the caller pressing the plan's keys."""

    def __init__(self, plan: Plan, uniqueid: str) -> None:
        self.plan = plan
        self.uniqueid = uniqueid
        self.keys = deque(plan.keys)
        self.variables: dict[str, str] = {}
        self.goto: list[str] = []
        self.last: deque[str] = deque(maxlen=4)
        self.problem = ""

    def reply(self, line: str) -> bytes:
        self.last.append(line)
        words = line.split(" ")
        verb = " ".join(words[:2])
        if verb == "STREAM FILE":
            escape = _unquote(words[3]) if len(words) > 3 else ""
            key = self.keys[0] if self.keys else ""
            if key.startswith("^") and key[1] in escape:
                self.keys.popleft()
                return f"200 result={ord(key[1])} {BARGED_ENDPOS}\n".encode()
            return f"200 result=0 {PLAYED_ENDPOS}\n".encode()
        if verb == "WAIT FOR":
            if not self.keys:
                self.problem = self.problem or "the IVR waited for a key the caller never meant"
                return b"200 result=0\n"
            key = self.keys.popleft()
            return b"200 result=0\n" if key == "." else f"200 result={ord(key[-1])}\n".encode()
        if verb == "GET VARIABLE":
            if words[2] == "CHANNEL(linkedid)":
                return f"200 result=1 ({self.uniqueid})\n".encode()
            return b"200 result=0\n"
        if verb == "SET VARIABLE":
            parts = line.split(" ", 3)
            name = parts[2] if len(parts) > 2 else ""
            self.variables[name] = _unquote(parts[3]) if len(parts) > 3 else ""
            return b"200 result=1\n"
        if verb in ("SET CONTEXT", "SET EXTENSION", "SET PRIORITY"):
            self.goto.append(_unquote(words[2]))
            return b"200 result=0\n"
        if verb == "RECORD FILE":
            return b"200 result=35 (dtmf) endpos=40000\n"  # 5 s of words, then #
        if verb in ("ANSWER", "SAY DIGITS", "SAY NUMBER"):
            return b"200 result=0\n"
        if verb in ("VERBOSE", "HANGUP") or words[0] in ("VERBOSE", "HANGUP"):
            return b"200 result=1\n"
        self.problem = self.problem or f"unexpected command {line[:60]!r}"
        return b"510 Invalid or unknown command\n"

    def verdict(self) -> str:
        """Empty when the call ended where its plan says; else what went wrong."""
        if self.problem:
            return self.problem
        if self.keys:
            return f"ended with keys not pressed ({' '.join(self.keys)}): the path went elsewhere"
        plan = self.plan
        if plan.queue is None:
            if self.goto:
                return f"sent to {','.join(self.goto)} instead of saying goodbye"
            if not (self.last and self.last[-1].startswith("STREAM FILE")):
                return f"ended after {self.last[-1] if self.last else 'nothing'!r}, not a goodbye"
            return ""
        if self.goto[-3:] != [QUEUE_CONTEXT, plan.queue, "1"]:
            return f"sent to {','.join(self.goto) or 'nowhere'} instead of queue {plan.queue}"
        if self.variables.get("QUEUE_PRIO") != str(plan.priority):
            return f"QUEUE_PRIO {self.variables.get('QUEUE_PRIO')!r}, expected {plan.priority}"
        if not self.variables.get("ASTERISK_CC_INTERACTION_ID"):
            return "queued without an interaction id (the database write failed)"
        return ""


# --- sessions --------------------------------------------------------------------------------


@dataclass
class SessionResult:
    path: str
    uniqueid: str
    failure: str = ""
    start_s: float | None = None  # connection or process start until the first command
    gaps_s: list[float] = field(default_factory=list)  # reply written until the next command
    end_s: float | None = None  # last reply until the AGI ended
    commands: int = 0
    rss_mb: float = 0.0  # classic: the process's peak memory


async def converse(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    caller: ScriptedCaller,
    env: bytes,
    opened_at: float,
    result: SessionResult,
    timeout_s: float,
    pid: int | None = None,
) -> None:
    writer.write(env)
    await writer.drain()
    mark = opened_at
    while True:
        line = await asyncio.wait_for(reader.readline(), timeout_s)
        now = time.perf_counter()
        if not line:
            result.end_s = now - mark
            return
        if result.start_s is None:
            result.start_s = now - mark
        else:
            result.gaps_s.append(now - mark)
        result.commands += 1
        if pid is not None and not caller.keys:
            result.rss_mb = max(result.rss_mb, peak_rss_mb(pid))
        writer.write(caller.reply(line.decode("utf-8", "replace").rstrip("\r\n")))
        await writer.drain()
        mark = time.perf_counter()


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


async def fastagi_session(
    port: int, plan: Plan, uniqueid: str, config: Path, timeout_s: float
) -> SessionResult:
    result = SessionResult(plan.path, uniqueid)
    caller = ScriptedCaller(plan, uniqueid)
    opened_at = time.perf_counter()
    writer: asyncio.StreamWriter | None = None
    try:
        reader, connected = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), timeout_s
        )
        writer = connected
        env = environment(plan, uniqueid, network_port=port, config=config)
        await converse(reader, connected, caller, env, opened_at, result, timeout_s)
        result.failure = caller.verdict()
    except TimeoutError:
        result.failure = f"no command for {timeout_s:g} s"
    except (OSError, UnicodeError) as exc:
        result.failure = f"{type(exc).__name__}: {exc}"
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return result


async def classic_session(
    port: int, plan: Plan, uniqueid: str, config: Path, timeout_s: float
) -> SessionResult:
    del port
    result = SessionResult(plan.path, uniqueid)
    caller = ScriptedCaller(plan, uniqueid)
    opened_at = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(CLASSIC_PROGRAM),
        FLOW,
        "--config",
        str(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None
    stderr = asyncio.ensure_future(process.stderr.read())
    try:
        env = environment(plan, uniqueid, network_port=None, config=config)
        # The program's stdin and stdout are Asterisk's pipes: a reader and a writer, as a
        # socket's.
        await converse(
            process.stdout, process.stdin, caller, env, opened_at, result, timeout_s, process.pid
        )
        process.stdin.close()
        status = await asyncio.wait_for(process.wait(), timeout_s)
        result.failure = caller.verdict()
        if status != 0 and not result.failure:
            text = (await stderr).decode("utf-8", "replace").strip().splitlines()
            result.failure = f"exit status {status}: {text[-1] if text else ''}"[:200]
    except TimeoutError:
        result.failure = f"no command for {timeout_s:g} s"
    except (OSError, UnicodeError) as exc:
        result.failure = f"{type(exc).__name__}: {exc}"
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if not stderr.done():
            stderr.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await stderr
    return result


# --- levels ----------------------------------------------------------------------------------


def quantile_ms(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index] * 1000


@dataclass
class LevelResult:
    mode: str
    concurrency: int
    at_once: int
    wall_s: float
    results: list[SessionResult]
    server: dict[str, float] = field(default_factory=dict)
    agi_cpu_s: float = 0.0  # CPU of the AGI side: the server process, or the classic processes
    client_cpu_s: float = 0.0  # CPU of this process, the callers
    record_ms: list[int] = field(default_factory=list)  # the server's own trip-recording times
    recorded: int = -1  # IVR sessions found in the database afterwards

    @property
    def sessions(self) -> int:
        return len(self.results)

    @property
    def failures(self) -> list[SessionResult]:
        return [r for r in self.results if r.failure]

    @property
    def sessions_per_s(self) -> float:
        return self.sessions / self.wall_s

    def gaps(self) -> list[float]:
        return [g for r in self.results for g in r.gaps_s]

    def starts(self) -> list[float]:
        return [r.start_s for r in self.results if r.start_s is not None]

    def ends(self) -> list[float]:
        return [r.end_s for r in self.results if r.end_s is not None]

    def as_json(self) -> dict[str, object]:
        gaps, starts, ends = self.gaps(), self.starts(), self.ends()
        return {
            "mode": self.mode,
            "concurrency": self.concurrency,
            "at_once": self.at_once,
            "sessions": self.sessions,
            "sessions_per_s": round(self.sessions_per_s, 2),
            "failures": len(self.failures),
            "recorded": self.recorded,
            "command_p50_ms": round(quantile_ms(gaps, 0.5), 2),
            "command_p99_ms": round(quantile_ms(gaps, 0.99), 2),
            "start_p50_ms": round(quantile_ms(starts, 0.5), 2),
            "start_p99_ms": round(quantile_ms(starts, 0.99), 2),
            "end_p50_ms": round(quantile_ms(ends, 0.5), 2),
            "end_p99_ms": round(quantile_ms(ends, 0.99), 2),
            "commands_per_session": round(len(gaps) / max(1, self.sessions) + 1, 1),
            "agi_cpu_ms_per_session": round(self.agi_cpu_s / max(1, self.sessions) * 1000, 1),
            "agi_cpu_cores": round(self.agi_cpu_s / self.wall_s, 2),
            "client_cpu_cores": round(self.client_cpu_s / self.wall_s, 2),
            "wall_s": round(self.wall_s, 2),
        }


class Uniqueids:
    """agi_uniqueid values as Asterisk makes them (epoch.sequence), never the same twice."""

    def __init__(self) -> None:
        self.epoch = int(time.time())
        self.sequence = 0

    def next(self) -> str:
        self.sequence += 1
        return f"{self.epoch}.{self.sequence}"


SessionFn = Callable[[int, Plan, str, Path, float], Awaitable[SessionResult]]


async def run_level(
    mode: str,
    session: SessionFn,
    *,
    port: int,
    plans: list[Plan],
    concurrency: int,
    uniqueids: Uniqueids,
    config: Path,
    timeout_s: float,
) -> LevelResult:
    """``concurrency`` callers at once, each starting its next call as soon as one ends."""
    pending = deque(plans)
    results: list[SessionResult] = []
    at_once = min(concurrency, len(plans))

    async def line() -> None:
        while pending:
            plan = pending.popleft()
            results.append(await session(port, plan, uniqueids.next(), config, timeout_s))

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(line() for _ in range(at_once)))
    wall_s = time.perf_counter() - started
    client_cpu_s = time.process_time() - client
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Finished children only: the classic processes, not the FastAGI server (still running).
    cpu_s = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return LevelResult(
        mode, concurrency, at_once, wall_s, results, agi_cpu_s=cpu_s, client_cpu_s=client_cpu_s
    )


# --- the FastAGI server process --------------------------------------------------------------


def serve_main(config: Path, host: str, port: int) -> int:
    """This file's ``--serve`` mode: the production FastAGI stack with a fixed clock. Prints
    ``LISTENING <port>`` when ready, a line of the runner's counters at each SIGUSR1, and stops
    at SIGTERM."""
    logging.basicConfig(
        level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    settings = load_settings(config, needed_by="agi")
    logging.getLogger().setLevel(settings.logging.level)
    asyncio.run(_serve(settings, host, port))
    return 0


async def _serve(settings: Settings, host: str, port: int) -> None:
    from asterisk_cc.agi.backend import DatabaseBackend
    from asterisk_cc.agi.flows import flow_library
    from asterisk_cc.agi.ivr import IvrRunner
    from asterisk_cc.agi.server import FastAGIServer
    from asterisk_cc.agi.service import ivr_options, make_router
    from asterisk_cc.db.engine import check_database

    engine = make_engine(settings.database)
    check_database(engine, settings.source)
    runner = IvrRunner(DatabaseBackend(settings, engine), ivr_options(settings), clock=lambda: OPEN)
    flows = flow_library(settings.ivr, default_timezone=settings.site.timezone)
    router = make_router({}, runner=runner, flows=flows, default_flow=settings.ivr.default_flow)
    server = FastAGIServer(host, port, router, failover_context=settings.agi.failover_context)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def report() -> None:
        stats = runner.stats
        counters = {
            "cpu_s": time.process_time(),  # all the server's threads
            "calls": stats.calls,
            "failovers": stats.failovers,
            "backend_failures": stats.backend_failures,
            "outcomes": dict(stats.by_outcome),
        }
        print("STATS " + json.dumps(counters), flush=True)

    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, report)
    print(f"LISTENING {server.port}", flush=True)
    await stop.wait()
    await server.stop()
    runner.close()
    engine.dispose()


class ServerProcess:
    """The FastAGI server in a process of its own, so the callers do not share its event loop."""

    def __init__(self, config: Path, log: Path, *, port: int = 0) -> None:
        self.log = log
        self._log_file = log.open("ab")
        self._log_offset = 0
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--serve",
                str(config),
                "--port",
                str(port),
            ],
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"the FastAGI server did not start; see {log}:\n{self.log_tail()}")
        self.port = int(line.split()[1])

    def stats(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        self.process.send_signal(signal.SIGUSR1)
        line = self.process.stdout.readline()
        return dict(json.loads(line.removeprefix("STATS "))) if line.startswith("STATS ") else {}

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def record_ms(self) -> list[int]:
        """``record_ms`` of the runner's log lines since the last call: how long writing each
        IVR session took, as the server saw it."""
        with self.log.open("rb") as log:
            log.seek(self._log_offset)
            text = log.read()
            self._log_offset += len(text)
        return [int(m) for m in re.findall(rb" record_ms=(\d+)", text)]

    def errors(self) -> list[str]:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [line for line in text if " ERROR " in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- parts 1 and 2 ---------------------------------------------------------------------------


def migrate(database_url: str) -> None:
    """Bring the database to the newest schema, which every server and classic process
    checks at start: a no-op, unless the installed code gained a migration during the run."""
    engine = make_engine(DatabaseSettings(url=database_url))
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def count_recorded(engine: Engine, level: LevelResult) -> None:
    """How many of the level's calls left an IVR session in the database."""
    from asterisk_cc.db.models import IvrSession

    ids = [result.uniqueid for result in level.results]
    with Session(engine) as session:
        query = select(func.count()).select_from(IvrSession).where(IvrSession.uniqueid.in_(ids))
        level.recorded = int(session.scalar(query) or 0)


def load_parts(
    args: argparse.Namespace, workdir: Path, database_url: str, crm: Crm, rng: random.Random
) -> list[LevelResult]:
    uniqueids = Uniqueids()
    levels: list[LevelResult] = []
    load_config = write_config(
        workdir / "load.toml", database_url=database_url, flows_dir=FLOWS_DIR, workdir=workdir
    )
    with ServerProcess(load_config, workdir / "fastagi.log") as server:
        warm = make_plans(WARMUP_SESSIONS, crm, rng)
        warmup = asyncio.run(
            run_level(
                "fastagi",
                fastagi_session,
                port=server.port,
                plans=warm,
                concurrency=10,
                uniqueids=uniqueids,
                config=load_config,
                timeout_s=args.timeout,
            )
        )
        if warmup.failures:
            print(f"warm-up: {len(warmup.failures)} failures, e.g. {warmup.failures[0].failure}")
        before = server.stats()
        server.record_ms()
        for concurrency in args.concurrency:
            plans = make_plans(args.sessions, crm, rng)
            level = asyncio.run(
                run_level(
                    "fastagi",
                    fastagi_session,
                    port=server.port,
                    plans=plans,
                    concurrency=concurrency,
                    uniqueids=uniqueids,
                    config=load_config,
                    timeout_s=args.timeout,
                )
            )
            after = server.stats()
            level.server = {
                key: float(after.get(key, 0)) - float(before.get(key, 0))
                for key in ("cpu_s", "calls", "failovers", "backend_failures")
            }
            level.agi_cpu_s = level.server.pop("cpu_s")
            level.record_ms = server.record_ms()
            before = after
            levels.append(level)
            report_level(level)
        errors = server.errors()
    # Counted once the server has ended: a write still under way when its deadline passed
    # has finished by then.
    engine = make_engine(DatabaseSettings(url=database_url))
    for level in levels:
        count_recorded(engine, level)
    if errors:
        print(f"FastAGI server log: {len(errors)} ERROR lines, e.g.:")
        for line in errors[:5]:
            print("    " + line[:200])

    if args.no_classic or not CLASSIC_PROGRAM.exists():
        why = "--no-classic" if args.no_classic else f"{CLASSIC_PROGRAM} is not installed"
        print(f"\nclassic AGI skipped ({why})")
        engine.dispose()
        return levels
    migrate(database_url)
    classic_config = write_config(
        workdir / "classic.toml",
        database_url=database_url,
        flows_dir=round_the_clock_flows(workdir / "classic-flows"),
        workdir=workdir,
    )
    for concurrency in args.concurrency:
        plans = make_plans(args.classic_sessions, crm, rng)
        level = asyncio.run(
            run_level(
                "classic",
                classic_session,
                port=0,
                plans=plans,
                concurrency=concurrency,
                uniqueids=uniqueids,
                config=classic_config,
                timeout_s=args.timeout,
            )
        )
        count_recorded(engine, level)
        levels.append(level)
        report_level(level)
    engine.dispose()
    return levels


def report_level(level: LevelResult) -> None:
    row = level.as_json()
    record = [ms / 1000 for ms in level.record_ms]
    extra = (
        f"; server: {level.server}, writing the IVR session p50/p99/max "
        f"{quantile_ms(record, 0.5):.0f}/{quantile_ms(record, 0.99):.0f}/"
        f"{max(level.record_ms, default=0)} ms"
        if level.server
        else f"; largest process {max(r.rss_mb for r in level.results):.0f} MB"
    )
    print(
        f"{level.mode:<8} concurrency {level.concurrency:>4} ({level.at_once} at once): "
        f"{level.sessions:,} sessions in {level.wall_s:.1f} s, "
        f"{row['sessions_per_s']} sessions/s, {row['failures']} failures, command p50/p99 "
        f"{row['command_p50_ms']}/{row['command_p99_ms']} ms, AGI side "
        f"{row['agi_cpu_ms_per_session']} ms CPU per call ({row['agi_cpu_cores']} cores), "
        f"callers {row['client_cpu_cores']} cores" + extra,
        flush=True,
    )
    reasons = Counter(r.failure for r in level.failures)
    for reason, count in reasons.most_common(5):
        print(f"    {count:>5} x {reason}")


# --- part 3: the real Asterisk ---------------------------------------------------------------


SETTLE_S = 1.0  # after a prompt ends, before the key


@dataclass(frozen=True)
class RealCall:
    path: str
    number: str
    steps: tuple[Wait | Dtmf, ...]
    outcome: str
    last_node: str
    account: str = ""


@dataclass
class RealResult:
    placed: int
    expected: int
    wall_s: float
    failures: list[str]
    asterisk: str
    server: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "mode": "asterisk",
            "calls": self.placed,
            "expected_outcome": self.expected,
            "failures": len(self.failures),
            "wall_s": round(self.wall_s, 1),
            "server_failovers": self.server.get("failovers"),
            "server_database_failures": self.server.get("backend_failures"),
        }


def real_calls(calls: int, crm: Crm, sounds: Path, rng: random.Random) -> list[RealCall]:
    """A mix of paths with keys timed from the built prompts' real lengths (a key pressed
    during a prompt that cannot be interrupted is lost, as on a real phone)."""
    from asterisk_cc.core.ivr.say import say_amount, say_digits
    from asterisk_cc.sandbox import Dtmf, Wait

    def seconds(*names: str) -> float:
        total = 0.0
        for name in names:
            path = sounds / "zh" / f"{name}.wav"
            if not path.exists():
                path = sounds / "zh" / "asterisk-cc" / FLOW / f"{name}.wav"
            with wave.open(str(path)) as audio:
                total += audio.getnframes() / audio.getframerate()
        return total

    welcome = Wait(seconds("welcome") + SETTLE_S)
    mix = [
        ("unknown caller -> sales", 15),
        ("VIP by caller ID -> vip", 10),
        ("invalid key -> sales", 10),
        ("balance by account entry -> goodbye", 8),
        ("known caller -> balance -> goodbye", 7),
    ]
    plans: list[RealCall] = []
    shares = [path for path, count in mix for _ in range(count)]
    for n in range(calls):
        path = shares[n * len(shares) // calls]
        unknown = f"+86139{rng.randrange(10**8):08d}"
        steps: tuple[Wait | Dtmf, ...]
        if path == "unknown caller -> sales":
            steps = (welcome, Dtmf("1"), Wait(1.5), Dtmf("3"), Wait(8))
            plans.append(RealCall(path, unknown, steps, "queued", "sales"))
        elif path == "VIP by caller ID -> vip":
            number = e164(crm.pick(rng, vip=True))
            steps = (Wait(seconds("welcome", "vip_welcome") + 5),)
            plans.append(RealCall(path, number, steps, "queued", "vip_queue"))
        elif path == "invalid key -> sales":
            steps = (welcome, Dtmf("1"), Wait(1.5), Dtmf("7"), Wait(3), Dtmf("3"), Wait(8))
            plans.append(RealCall(path, unknown, steps, "queued", "sales"))
        elif path == "balance by account entry -> goodbye":
            i = crm.pick(rng, vip=False)
            digits = account(i)
            amount = say_amount(Decimal(crm.balances[i - 1]), "zh")
            steps = (
                welcome,
                Dtmf("1"),  # 中文
                Wait(2),
                Dtmf("1"),  # account services
                Wait(2),
                Dtmf("1"),  # balance
                Wait(2),
                Dtmf(digits + "#"),
                Wait(seconds("you_entered", *say_digits(digits, "zh")) + SETTLE_S),
                Dtmf("1"),
                Wait(seconds("balance_is", *amount) + 2 * SETTLE_S),
                Dtmf("9"),
                Wait(8),
            )
            plans.append(RealCall(path, unknown, steps, "self_served", "goodbye", account=digits))
        else:
            i = crm.pick(rng, vip=False, language="zh")
            amount = say_amount(Decimal(crm.balances[i - 1]), "zh")
            steps = (
                welcome,
                Dtmf("1"),  # account services
                Wait(2),
                Dtmf("1"),  # balance
                Wait(seconds("balance_is", *amount) + 2 * SETTLE_S),
                Dtmf("9"),
                Wait(8),
            )
            plans.append(RealCall(path, e164(i), steps, "self_served", "goodbye"))
    rng.shuffle(plans)
    return plans


def real_asterisk_part(
    args: argparse.Namespace, workdir: Path, database_url: str, crm: Crm, rng: random.Random
) -> RealResult:
    from asterisk_cc.agi.flows import flow_library, prompts_to_build
    from asterisk_cc.agi.prompts import build_missing
    from asterisk_cc.db.models import IvrSession
    from asterisk_cc.sandbox import CallerScript, Sandbox, SandboxPorts

    http, ami, agi = free_loopback_ports(3)
    sandbox = Sandbox(args.sandbox_name, ports=SandboxPorts(http=http, ami=ami, agi=agi))
    sandbox.down()  # one left running by an interrupted run would hold other ports
    engine = make_engine(DatabaseSettings(url=database_url))
    try:
        print(f"starting sandbox {args.sandbox_name} (ports {http}, {ami}, FastAGI {agi})")
        sandbox.up()
        version = " ".join(sandbox.cli("core show version").split()[:2])
        config = sandbox.write_config(workdir / "sandbox.toml", database_url=database_url)
        settings = load_settings(config, needed_by="agi")
        flows = flow_library(settings.ivr, default_timezone=settings.site.timezone)
        built = build_missing(
            prompts_to_build(flows.all_flows()), Path(settings.ivr.sounds_dirs[0])
        )
        print(f"prompts: {len(built.built)} built, {len(built.present)} already there")
        problems = {name: found for name, found in flows.check().items() if found}
        if problems:
            print(f"flow check on the sandbox: {problems}")
        plans = real_calls(args.calls, crm, sandbox.sounds_dir, rng)
        migrate(database_url)
        with ServerProcess(config, workdir / "fastagi-asterisk.log", port=agi) as server:
            started = time.perf_counter()
            placed = [
                (
                    plan,
                    sandbox.place_call(
                        f"{FLOW}@asterisk-cc-ivr",
                        CallerScript(plan.steps),
                        caller_id=f'"Caller" <{plan.number}>',
                    ),
                )
                for plan in plans
            ]
            print(f"{len(placed)} calls placed in {time.perf_counter() - started:.1f} s")
            longest = max(sum(getattr(s, "seconds", 0) for s in p.steps) for p in plans)
            deadline = time.monotonic() + longest + 90
            waiting = {call.callee_id for _, call in placed}
            while waiting and time.monotonic() < deadline:
                waiting = {c for c in waiting if sandbox.channel_exists(c)} | {
                    call.linkedid for _, call in placed if sandbox.channel_exists(call.linkedid)
                }
                time.sleep(0.5)
            wall_s = time.perf_counter() - started
            failures = [f"call {c} still up after {longest + 90:.0f} s" for c in sorted(waiting)]
            time.sleep(1)  # the server records the last sessions as the calls end
            stats = server.stats()
        with Session(engine) as session:
            rows = {
                row.uniqueid: row
                for row in session.scalars(
                    select(IvrSession).where(
                        IvrSession.uniqueid.in_([call.callee_id for _, call in placed])
                    )
                )
            }
            expected = 0
            for plan, call in placed:
                row = rows.get(call.callee_id)
                if row is None:
                    failures.append(f"{plan.path}: no IVR session for {call.callee_id}")
                    continue
                steps = [(s.node, s.input, s.result) for s in row.steps]
                wrong = row.outcome != plan.outcome or row.path[-1:] != [plan.last_node]
                if plan.path == "invalid key -> sales":
                    wrong |= ("main_menu", "7", "invalid") not in steps
                if plan.account:
                    wrong |= row.inputs != {"account": "****" + plan.account[-4:]}
                if wrong:
                    failures.append(
                        f"{plan.path}: {call.callee_id} outcome {row.outcome}, path "
                        f"{'>'.join(row.path)}, steps {steps}"
                    )
                else:
                    expected += 1
        return RealResult(len(placed), expected, wall_s, failures, version, stats)
    finally:
        engine.dispose()
        sandbox.down()


# --- output ----------------------------------------------------------------------------------


def print_table(levels: list[LevelResult]) -> None:
    header = (
        f"{'conc.':>5} {'mode':<8} {'at once':>7} {'sessions':>8} {'sess/s':>7} {'fail':>5} "
        f"{'recorded':>8} {'cmd p50':>7} {'cmd p99':>7} {'start p50':>9} {'start p99':>9} "
        f"{'end p50':>7} {'end p99':>7} {'CPU/call':>8}"
    )
    print(
        "\nper level, times in ms: cmd = reply to the next command; start = connection or "
        "process start to the first command; end = last reply to the end of the AGI; CPU/call = "
        "CPU of the AGI side per call"
    )
    print(header)
    print("-" * len(header))
    for concurrency in sorted({level.concurrency for level in levels}):
        for level in (x for x in levels if x.concurrency == concurrency):
            row = level.as_json()
            print(
                f"{concurrency:>5} {level.mode:<8} {level.at_once:>7} {level.sessions:>8,} "
                f"{level.sessions_per_s:>7.1f} {len(level.failures):>5} {level.recorded:>8,} "
                f"{row['command_p50_ms']:>7.1f} {row['command_p99_ms']:>7.0f} "
                f"{row['start_p50_ms']:>9.0f} {row['start_p99_ms']:>9.0f} "
                f"{row['end_p50_ms']:>7.0f} {row['end_p99_ms']:>7.0f} "
                f"{row['agi_cpu_ms_per_session']:>8.1f}"
            )
    print("\nby path (all levels), sessions and failures:")
    for mode in dict.fromkeys(level.mode for level in levels):
        counts: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        for level in (x for x in levels if x.mode == mode):
            for result in level.results:
                counts[result.path] += 1
                failed[result.path] += bool(result.failure)
        print(f"  {mode}: " + "; ".join(f"{p} {counts[p]} ({failed[p]})" for p in counts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[10, 100, 500],
        help="simultaneous calls per level, comma-separated (default 10,100,500)",
    )
    parser.add_argument("--sessions", type=int, default=2000, help="FastAGI calls per level")
    parser.add_argument(
        "--classic-sessions", type=int, default=150, help="classic AGI calls per level"
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=50, help="real Asterisk calls")
    parser.add_argument("--timeout", type=float, default=300.0, help="longest wait for a command")
    parser.add_argument("--no-classic", action="store_true")
    parser.add_argument("--no-asterisk", action="store_true", help="skip the real Asterisk part")
    parser.add_argument("--sandbox-name", default="bench-agi")
    parser.add_argument("--json", action="store_true", help="end with one JSON object per level")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve_main(args.serve, args.host, args.port)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    run_started = time.perf_counter()
    rng = random.Random(args.seed)
    print(f"machine: {describe_machine()}", flush=True)
    levels: list[LevelResult] = []
    real: RealResult | None = None
    workdir = Path(tempfile.mkdtemp(prefix="agi-load-"))
    try:
        database_url = f"sqlite:///{workdir / 'cc.sqlite3'}"
        engine = make_engine(DatabaseSettings(url=database_url))
        try:
            upgrade(engine)
            crm = seed_crm(engine, args.customers, rng)
        finally:
            engine.dispose()
        print(f"database: migrated, {args.customers:,} customers seeded ({database_url})")
        levels = load_parts(args, workdir, database_url, crm, rng)
        print_table(levels)
        if args.no_asterisk:
            print("\nreal Asterisk skipped (--no-asterisk)")
        else:
            print("\n== real Asterisk", flush=True)
            real = real_asterisk_part(args, workdir, database_url, crm, rng)
            print(
                f"\n{real.asterisk}\ncalls placed {real.placed}, IVR sessions with the expected "
                f"outcome {real.expected}, failures {len(real.failures)}, wall time "
                f"{real.wall_s:.1f} s; FastAGI server: {real.server}"
            )
            for failure in real.failures:
                print("    " + failure)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    print(f"\nwhole run: {time.perf_counter() - run_started:.0f} s")
    if args.json:
        for level in levels:
            print(json.dumps(level.as_json()))
        if real is not None:
            print(json.dumps(real.as_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
