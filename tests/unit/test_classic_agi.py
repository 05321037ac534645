"""The classic AGI program, ``asterisk-cc-agi``, as Asterisk runs it: a process per call, with
this test playing Asterisk's side of the pipes byte for byte (environment, then one reply line
per command), against a real migrated SQLite database."""

from __future__ import annotations

import asyncio
import io
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from asterisk.agi import AGI
from sqlalchemy import select as sql_select

from asterisk_cc.agi.classic import Pyst2Session, _CommandWriter, _DebugLog, _ReplyReader
from asterisk_cc.agi.protocol import format_command
from asterisk_cc.agi.server import AgiCommandFailed, AgiHangup
from asterisk_cc.config import DatabaseSettings
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import IvrSession, SurveyAnswer

REPO = Path(__file__).resolve().parents[2]
PROGRAM = Path(sys.executable).parent / "asterisk-cc-agi"
UNIQUEID = "1795354767.1"
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
CALL_TIMEOUT_S = 30.0

MENU_FLOW = """\
[flow]
description = "Menu test flow"
start = "language"
languages = ["zh", "en"]
default_language = "zh"

[prompts.choose_language]
zh = "普通话请按1。For English, press 2."
en = "普通话请按1。For English, press 2."

[prompts.main_menu]
zh = "业务咨询请按3，人工服务请按0。"
en = "For sales press 3. For an operator press 0."

[prompts.invalid]
zh = "您的输入有误。"
en = "You have entered an invalid option."

[prompts.please_hold]
zh = "请稍候。"
en = "One moment please."
en_files = ["one-moment-please"]

[nodes.language]
kind = "language"
prompts = ["choose_language"]
choices = { "1" = "zh", "2" = "en" }
next = "main_menu"

[nodes.main_menu]
kind = "menu"
prompts = ["main_menu"]
choices = { "3" = "sales", "0" = "operator" }
invalid_prompts = ["invalid"]
max_tries = 3
on_exhausted = "operator"

[nodes.sales]
kind = "queue"
queue = "sales"
prompts = ["please_hold"]
survey = "survey"

[nodes.operator]
kind = "queue"
queue = "support"
prompts = ["please_hold"]
"""


def environment(*args: str, callerid: str = "13812345678") -> bytes:
    """Classic AGI's environment, as Asterisk 22 writes it (no agi_network lines)."""
    lines = [
        f"agi_request: {PROGRAM}",
        "agi_channel: PJSIP/trunk-00000001",
        "agi_language: en",
        "agi_type: PJSIP",
        f"agi_uniqueid: {UNIQUEID}",
        "agi_version: 22.10.1+dfsg+~cs6.17.60671434-1",
        f"agi_callerid: {callerid}",
        "agi_calleridname: Test Caller",
        "agi_callingpres: 0",
        "agi_callingani2: 0",
        "agi_callington: 0",
        "agi_callingtns: 0",
        "agi_dnid: 4000",
        "agi_rdnis: unknown",
        "agi_context: asterisk-cc-ivr",
        "agi_extension: s",
        "agi_priority: 3",
        "agi_enhanced: 0.0",
        "agi_accountcode: ",
        "agi_threadid: 140570105845440",
        *(f"agi_arg_{n}: {arg}" for n, arg in enumerate(args, 1)),
    ]
    return ("\n".join(lines) + "\n\n").encode()


@dataclass
class FakeAsterisk:
    """Asterisk's side of one classic AGI call: answers each command line like Asterisk 22.

    ``keys`` are pressed one by one, each at the next prompt or digit wait that accepts it.
    With ``hang_up_after_keys`` the caller hangs up once those keys are used up: the command in
    flight returns ``result=-1``, later channel commands get 511, and the program is told as
    ``notice`` says: ``line``, a ``HANGUP`` line before each later reply (as the reference
    shows it), or ``sighup``, the signal Asterisk sends a classic AGI process.
    """

    keys: list[str] = field(default_factory=list)
    hang_up_after_keys: bool = False
    notice: str = "line"
    sighup_due: bool = False
    variables: dict[str, str] = field(default_factory=lambda: {"CHANNEL(linkedid)": UNIQUEID})
    commands: list[str] = field(default_factory=list)
    set_variables: dict[str, str] = field(default_factory=dict)
    hung_up: bool = False

    def reply(self, line: str) -> str:
        self.commands.append(line)
        words = line.split(" ")
        verb = " ".join(words[:2]).upper()
        if verb == "SET VARIABLE":
            name, value = words[2], " ".join(words[3:]).strip('"')
            self.set_variables[name] = value
            return "200 result=1"
        if verb == "GET VARIABLE":
            value = self.variables.get(words[2])
            return f"200 result=1 ({value})" if value is not None else "200 result=0"
        if self.hung_up:
            return f"HANGUP\n{DEAD}" if self.notice == "line" else DEAD
        if verb in ("SET CONTEXT", "SET EXTENSION", "SET PRIORITY"):
            return "200 result=0"
        if verb == "STREAM FILE":
            escape = words[3].strip('"')
            if self.keys and self.keys[0] in escape:
                return f"200 result={ord(self.keys.pop(0))} endpos=1200"
            return self._or_hang_up("200 result=0 endpos=3520")
        if verb == "WAIT FOR":
            if self.keys:
                return f"200 result={ord(self.keys.pop(0))}"
            return self._or_hang_up("200 result=0")
        return "510 Invalid or unknown command"

    def _or_hang_up(self, normal: str) -> str:
        if self.hang_up_after_keys and not self.keys:
            self.hung_up = True
            self.sighup_due = self.notice == "sighup"
            return "200 result=-1 endpos=0"
        return normal


@dataclass
class Call:
    returncode: int
    commands: list[str]
    stderr: str
    seconds: float


def run_call(
    args: list[str],
    config: Path | None,
    asterisk: FakeAsterisk,
    *,
    env: dict[str, str] | None = None,
) -> Call:
    """Start the real program as Asterisk does (argv = AGI() arguments) and talk to it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
    argv = [str(PROGRAM), *args]
    if config is not None:
        argv += ["--config", str(config)]
    started = time.monotonic()
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env={**clean, **(env or {})},
        ) as process,
    ):
        try:
            _converse(process, asterisk, environment(*args), started + CALL_TIMEOUT_S)
            returncode = process.wait(timeout=CALL_TIMEOUT_S)
        finally:
            if process.poll() is None:
                process.kill()
        seconds = time.monotonic() - started
        errors.seek(0)
        stderr = errors.read().decode()
    return Call(returncode, asterisk.commands, stderr, seconds)


def _converse(
    process: subprocess.Popen[bytes], asterisk: FakeAsterisk, env: bytes, deadline: float
) -> None:
    """Asterisk's side: the environment, then a reply to each command line, until the program
    closes its stdout."""
    assert process.stdin and process.stdout
    process.stdin.write(env)
    process.stdin.flush()
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the call did not end; commands so far: {asterisk.commands}"
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break  # the program closed its stdout: the AGI is over
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            reply = asterisk.reply(line.decode())
            if asterisk.sighup_due:
                asterisk.sighup_due = False
                process.send_signal(signal.SIGHUP)
            try:
                process.stdin.write(reply.encode() + b"\n")
                process.stdin.flush()
            except BrokenPipeError:
                pass
    assert buffer == b"", f"an unterminated command line: {buffer!r}"
    process.stdin.close()


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    engine = make_engine(DatabaseSettings(url=url))
    upgrade(engine)
    engine.dispose()
    return url


def write_config(tmp_path: Path, database_url: str, flows_dir: Path) -> Path:
    config = tmp_path / "asterisk-cc.toml"
    config.write_text(
        textwrap.dedent(
            f"""\
            [database]
            url = "{database_url}"

            [site]
            timezone = "Asia/Shanghai"
            default_region = "CN"

            [ivr]
            flows_dir = "{flows_dir}"
            sounds_dirs = ["{tmp_path / "no-sounds"}"]
            queues_conf = ["{tmp_path / "no-queues.conf"}"]
            recordings_dir = "{tmp_path / "recordings"}"
            lookup_timeout_ms = 5000

            [logging]
            level = "INFO"
            """
        ),
        encoding="utf-8",
    )
    return config


def flows_dir(tmp_path: Path) -> Path:
    """The test's menu flow (no opening hours, so no dependence on the time of day) and the
    shipped survey flow its queue node names."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "menu.toml").write_text(MENU_FLOW, encoding="utf-8")
    shutil.copy(REPO / "conf" / "ivr" / "survey.toml", flows / "survey.toml")
    return flows


@pytest.fixture
def config(tmp_path: Path, database: str) -> Path:
    return write_config(tmp_path, database, flows_dir(tmp_path))


@dataclass(frozen=True)
class Trip:
    uniqueid: str
    flow: str
    outcome: str | None
    nodes: list[str]


def ivr_sessions(database_url: str) -> list[Trip]:
    engine = make_engine(DatabaseSettings(url=database_url))
    try:
        with session_factory(engine)() as session:
            return [
                Trip(row.uniqueid, row.flow, row.outcome, [step.node for step in row.steps])
                for row in session.scalars(sql_select(IvrSession))
            ]
    finally:
        engine.dispose()


def goto_lines(commands: list[str]) -> list[str]:
    return [c for c in commands if c.startswith(("SET CONTEXT", "SET EXTENSION", "SET PRIORITY"))]


def test_caller_chooses_a_language_then_sales_and_is_queued(config: Path, database: str) -> None:
    asterisk = FakeAsterisk(keys=["1", "3"])
    call = run_call(["menu"], config, asterisk)
    assert call.returncode == 0, call.stderr
    assert "Traceback" not in call.stderr
    # Only the project's quoting reaches Asterisk: the empty escape digits are "".
    assert asterisk.commands[0] == "GET VARIABLE CHANNEL(linkedid)"
    assert any(c.startswith("STREAM FILE asterisk-cc/menu/choose_language ") for c in call.commands)
    assert "SET VARIABLE CHANNEL(language) zh" in call.commands
    assert asterisk.set_variables["QUEUE_PRIO"] == "0"
    assert asterisk.set_variables["ASTERISK_CC_SURVEY"] == "survey"
    assert asterisk.set_variables["ASTERISK_CC_INTERACTION_ID"].isdigit()
    assert goto_lines(call.commands) == [
        "SET CONTEXT asterisk-cc-queue",
        "SET EXTENSION sales",
        "SET PRIORITY 1",
    ]
    assert call.commands[-1] == "SET PRIORITY 1"
    (trip,) = ivr_sessions(database)
    assert trip.uniqueid == UNIQUEID and trip.flow == "menu" and trip.outcome == "queued"
    print(f"one classic AGI call, process start included: {call.seconds:.2f} s")


def test_ivr_runs_the_default_flow(tmp_path: Path, database: str) -> None:
    config = write_config(tmp_path, database, flows_dir(tmp_path))
    config.write_text(
        config.read_text(encoding="utf-8").replace("[ivr]\n", '[ivr]\ndefault_flow = "menu"\n', 1),
        encoding="utf-8",
    )
    call = run_call(["ivr"], config, FakeAsterisk(keys=["2", "0"]))
    assert call.returncode == 0, call.stderr
    assert goto_lines(call.commands)[-3:] == [
        "SET CONTEXT asterisk-cc-queue",
        "SET EXTENSION support",
        "SET PRIORITY 1",
    ]
    assert "SET VARIABLE CHANNEL(language) en" in call.commands


@pytest.mark.parametrize("notice", ["line", "sighup"])
def test_caller_hanging_up_mid_menu_is_recorded_as_abandoned(
    config: Path, database: str, notice: str
) -> None:
    asterisk = FakeAsterisk(keys=["1"], hang_up_after_keys=True, notice=notice)
    call = run_call(["menu"], config, asterisk)
    assert call.returncode == 0, call.stderr
    assert "Traceback" not in call.stderr
    assert asterisk.hung_up
    assert goto_lines(call.commands) == []  # nobody to send anywhere
    (trip,) = ivr_sessions(database)
    assert trip.outcome == "abandoned"
    assert "main_menu" in trip.nodes


def test_survey_after_the_queue_stores_the_score(config: Path, database: str) -> None:
    """The same call comes back for the survey when the agent hangs up: a second process."""
    assert run_call(["menu"], config, FakeAsterisk(keys=["1", "3"])).returncode == 0
    asterisk = FakeAsterisk(keys=["5"])
    asterisk.variables.update({"MEMBERNAME": "Agent One", "QUEUENAME": "sales"})
    call = run_call(["survey"], config, asterisk)
    assert call.returncode == 0, call.stderr
    assert "GET VARIABLE MEMBERNAME" in call.commands
    assert [(t.flow, t.outcome) for t in ivr_sessions(database)] == [
        ("menu", "queued"),
        ("survey", "self_served"),
    ]
    engine = make_engine(DatabaseSettings(url=database))
    try:
        with session_factory(engine)() as session:
            answers = [(a.question, a.score) for a in session.scalars(sql_select(SurveyAnswer))]
    finally:
        engine.dispose()
    assert answers == [("csat", 5)]


def test_unknown_flow_goes_to_the_failover(config: Path) -> None:
    call = run_call(["nosuchflow"], config, FakeAsterisk())
    assert call.returncode == 1
    assert goto_lines(call.commands) == [
        "SET CONTEXT asterisk-cc-failover",
        "SET EXTENSION s",
        "SET PRIORITY 1",
    ]
    assert "nosuchflow" in call.stderr and "failover" in call.stderr
    assert "Traceback" not in call.stderr


def test_no_flow_argument_goes_to_the_failover(config: Path) -> None:
    call = run_call([], config, FakeAsterisk())
    assert call.returncode == 1
    assert goto_lines(call.commands)[0] == "SET CONTEXT asterisk-cc-failover"
    assert "no flow named" in call.stderr


def test_broken_config_goes_to_the_failover_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[agi]\nport = 'x'\n[nonsense]\n", encoding="utf-8")
    call = run_call(["menu"], config, FakeAsterisk())
    assert call.returncode == 1
    assert call.commands == [
        "SET CONTEXT asterisk-cc-failover",
        "SET EXTENSION s",
        "SET PRIORITY 1",
    ]
    assert str(config) in call.stderr and "[nonsense]" in call.stderr
    assert "Traceback" not in call.stderr


def test_config_from_the_environment_and_its_failover_context(
    tmp_path: Path, database: str
) -> None:
    config = write_config(tmp_path, database, tmp_path)  # no flows there
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[agi]\nfailover_context = "my-failover"\n',
        encoding="utf-8",
    )
    call = run_call(["menu"], None, FakeAsterisk(), env={"ASTERISK_CC_CONFIG": str(config)})
    assert call.returncode == 1
    assert goto_lines(call.commands)[0] == "SET CONTEXT my-failover"


def test_database_down_goes_to_the_failover(tmp_path: Path) -> None:
    # An empty database file: reachable, but no schema.
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}", flows_dir(tmp_path))
    call = run_call(["menu"], config, FakeAsterisk())
    assert call.returncode == 1
    assert goto_lines(call.commands)[0] == "SET CONTEXT asterisk-cc-failover"
    assert "schema" in call.stderr and "Traceback" not in call.stderr


def test_help_and_a_terminal_never_start_a_conversation() -> None:
    shown = subprocess.run(
        [str(PROGRAM), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (
        shown.returncode == 0
        and "AGI(/usr/local/bin/asterisk-cc-agi,FLOW[,--config,FILE])" in shown.stdout
    )
    controller, terminal = os.openpty()
    try:
        by_hand = subprocess.run(
            [str(PROGRAM), "menu"],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert by_hand.returncode == 1
    assert by_hand.stdout == "" and "AGI()" in by_hand.stderr


def test_the_fastagi_server_never_imports_pyst2() -> None:
    code = "import sys, asterisk_cc.agi.service, asterisk_cc.cli; sys.exit('asterisk.agi' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60, check=False).returncode == 0


# --- the session on a real pyst2 AGI object, in-process -------------------------------------


@pytest.fixture
def pyst2_session() -> Iterator[Callable[[bytes], tuple[Pyst2Session, io.BytesIO]]]:
    """A session over pyst2's AGI reading ``replies`` after the environment; pyst2 installs a
    SIGHUP handler, which is put back afterwards."""
    previous = signal.getsignal(signal.SIGHUP)

    def make(replies: bytes) -> tuple[Pyst2Session, io.BytesIO]:
        reader = _ReplyReader(io.BytesIO(environment("menu") + replies))
        written = io.BytesIO()
        agi = AGI(stdin=reader, stdout=_CommandWriter(written), stderr=_DebugLog())
        reader.in_replies = True
        return Pyst2Session(agi, reader, "menu"), written

    try:
        yield make
    finally:
        signal.signal(signal.SIGHUP, previous)


Pyst2SessionFactory = Callable[[bytes], tuple[Pyst2Session, io.BytesIO]]


@pytest.mark.parametrize(
    "value", ['He said "hi" \\ bye', "two words", "", 'x" "; SET CONTEXT evil', "tab\there"]
)
def test_values_are_quoted_so_they_stay_one_argument(
    pyst2_session: Pyst2SessionFactory, value: str
) -> None:
    session, written = pyst2_session(b"200 result=1\n")
    session.exchange("SET", "VARIABLE", "NAME", value)
    assert written.getvalue() == format_command("SET", "VARIABLE", "NAME", value)
    assert written.getvalue().count(b"\n") == 1


@pytest.mark.parametrize("value", ["a\nHANGUP", "a\rb", "a\0b"])
def test_line_breaks_are_refused(pyst2_session: Pyst2SessionFactory, value: str) -> None:
    session, written = pyst2_session(b"200 result=1\n")
    with pytest.raises(ValueError, match="line break"):
        session.exchange("SET", "VARIABLE", "NAME", value)
    assert written.getvalue() == b""


def test_environment_comes_from_pyst2(pyst2_session: Pyst2SessionFactory) -> None:
    session, _ = pyst2_session(b"")
    assert session.uniqueid == UNIQUEID
    assert session.env["agi_callerid"] == "13812345678"
    assert session.env["agi_arg_1"] == "menu"


def test_a_variable_whose_value_reads_hangup_is_a_value(
    pyst2_session: Pyst2SessionFactory,
) -> None:
    session, _ = pyst2_session(b"200 result=1 (hangup)\n")
    assert asyncio.run(session.get_variable("CALLERID(name)")) == "hangup"
    assert not session.hung_up


def test_replies_are_translated(pyst2_session: Pyst2SessionFactory) -> None:
    session, _ = pyst2_session(
        b"200 result=56 endpos=5600\n"  # STREAM FILE interrupted by 8
        b"200 result=0 endpos=3520\n"  # STREAM FILE played to the end
        b"200 result=35\n"  # WAIT FOR DIGIT: #
        b"200 result=0\n"  # WAIT FOR DIGIT: timeout
        b"200 result=-1 (writefile) endpos=0\n"  # RECORD FILE cannot write
        b"510 Invalid or unknown command\n"
        b"520-Invalid command syntax.  Proper usage follows:\n"
        b"Usage: <usage>\n"
        b"520 End of proper usage.\n"
    )
    assert asyncio.run(session.stream_file("a", "0123456789")) == "8"
    assert asyncio.run(session.stream_file("a", "")) is None
    assert asyncio.run(session.wait_for_digit(1000)) == "#"
    assert asyncio.run(session.wait_for_digit(1000)) is None
    reply = asyncio.run(session.command("RECORD", "FILE", "x", "wav", "#", "1000"))
    assert (reply.result_int, reply.data, reply.endpos) == (-1, "writefile", 0)
    assert not session.hung_up
    with pytest.raises(AgiCommandFailed):
        asyncio.run(session.command("NO", "SUCH"))
    with pytest.raises(AgiCommandFailed):
        asyncio.run(session.command("SET", "CONTEXT"))


def test_hangup_line_511_and_end_of_input_are_hangups(
    pyst2_session: Pyst2SessionFactory,
) -> None:
    session, _ = pyst2_session(
        b"200 result=-1 endpos=0\n" + f"HANGUP\n{DEAD}\n".encode() + b"200 result=1\n"
    )
    assert asyncio.run(session.stream_file("a", "1")) is None  # missing file or hangup
    with pytest.raises(AgiHangup):
        asyncio.run(session.wait_for_digit(1000))
    assert session.hung_up
    asyncio.run(session.set_variable("X", "1"))  # dead-channel commands still work
    with pytest.raises(AgiHangup):
        asyncio.run(session.set_variable("X", "2"))  # Asterisk closed the pipe
