"""The IVR on real Asterisk when things fail, and the classic AGI script on real Asterisk.

A small flow of stock English sounds (no prompts to build, no opening hours) keeps these
tests independent of the time of day.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import URL, Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.agi.backend import DatabaseBackend
from asterisk_cc.agi.flows import flow_library
from asterisk_cc.agi.ivr import IvrRunner
from asterisk_cc.agi.server import run_server_in_thread
from asterisk_cc.agi.service import ivr_options, make_router
from asterisk_cc.config import DatabaseSettings, load_settings
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import IvrSession
from asterisk_cc.sandbox import CallerScript, Dtmf, PlacedCall, Wait, ringing_agent
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

FLOW = """\
[flow]
start = "identify"
languages = ["en"]

[prompts.menu]
en = "Press 1."
en_files = ["vm-press", "digits/1"]

[nodes.identify]
kind = "lookup"
by = "caller_id"
found = "menu"
not_found = "menu"

[nodes.menu]
kind = "menu"
prompts = ["menu"]
choices = { "1" = "callback", "2" = "sales" }
on_exhausted = "bye"

[nodes.callback]
kind = "callback"
queue = "sales"
prompts = ["menu"]
next = "bye"

[nodes.sales]
kind = "queue"
queue = "sales"

[nodes.bye]
kind = "hangup"
"""
CALLER = '"Caller" <+8613900000042>'


def configure(asterisk: AsteriskSandbox, directory: Path, database_url: str) -> Path:
    flows = directory / "flows"
    flows.mkdir()
    (flows / "small.toml").write_text(FLOW, encoding="utf-8")
    config = asterisk.sandbox.write_config(directory / "cc.toml", database_url=database_url)
    text = config.read_text(encoding="utf-8")
    start = text.index("flows_dir = ")
    end = text.index("\n", start)
    config.write_text(text[:start] + f'flows_dir = "{flows}"' + text[end:], encoding="utf-8")
    return config


def stop_database(server: URL, name: str) -> None:
    """As good as a stopped server for this database: no new connections, the open ones cut."""
    admin = make_engine(DatabaseSettings(url=server.render_as_string(hide_password=False)))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %(name)s",
                {"name": name},
            )
    finally:
        admin.dispose()


def call_small(asterisk: AsteriskSandbox, steps: tuple[Wait | Dtmf, ...]) -> PlacedCall:
    return asterisk.call("small@asterisk-cc-ivr", CallerScript(steps), caller_id=CALLER)


@dataclass
class SmallFlowServer:
    """The FastAGI server running the small flow on a PostgreSQL CRM, with a member in the
    default queue so that a caller sent to the failover shows up there."""

    runner: IvrRunner
    engine: Engine
    lookup_timeout_s: float


@contextlib.contextmanager
def small_flow_server(
    asterisk: AsteriskSandbox, database: URL, directory: Path
) -> Iterator[SmallFlowServer]:
    config = configure(asterisk, directory, database.render_as_string(hide_password=False))
    settings = load_settings(config, needed_by="agi")
    engine = make_engine(settings.database)
    upgrade(engine)
    runner = IvrRunner(DatabaseBackend(settings, engine), ivr_options(settings))
    flows = flow_library(settings.ivr, default_timezone="UTC")
    router = make_router({}, runner=runner, flows=flows, default_flow="small")
    try:
        with (
            run_server_in_thread(
                router, port=asterisk.agi_port, failover_context=settings.agi.failover_context
            ),
            asterisk.queue_member("support", ringing_agent(), "Failover Agent"),
        ):
            yield SmallFlowServer(runner, engine, settings.ivr.lookup_timeout_ms / 1000)
    finally:
        runner.close()
        engine.dispose()


def test_database_stopped_mid_call_sends_the_caller_to_the_failover(
    asterisk: AsteriskSandbox,
    postgres_server: URL,
    postgres_database_factory: Callable[[], URL],
    tmp_path: Path,
) -> None:
    url = postgres_database_factory()
    queue_log = asterisk.queue_log()
    with small_flow_server(asterisk, url, tmp_path) as server:
        call = call_small(asterisk, (Wait(3), Dtmf("1"), Wait(40)))
        # The caller is in the menu (the CRM lookup worked): now the database goes away.
        time.sleep(1.5)
        stop_database(postgres_server, str(url.database))
        (entered,) = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE"], timeout_s=30)
        asterisk.hang_up(call)
    # The failover context apologised and queued the caller in the default queue.
    assert entered.queue == "support"
    assert server.runner.stats.failovers == 1 and server.runner.stats.backend_failures >= 1


def test_a_crm_lookup_that_times_out_sends_the_caller_to_the_failover(
    asterisk: AsteriskSandbox,
    postgres_database_factory: Callable[[], URL],
    tmp_path: Path,
) -> None:
    queue_log = asterisk.queue_log()
    with small_flow_server(asterisk, postgres_database_factory(), tmp_path) as server:
        blocker = server.engine.connect()
        try:
            # Another transaction holds the customers table: the caller's lookup cannot finish.
            blocker.exec_driver_sql("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            call = call_small(asterisk, (Wait(40),))
            (entered,) = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE"], timeout_s=30)
            waited_s = time.monotonic() - started
            asterisk.hang_up(call)
        finally:
            blocker.rollback()
            blocker.close()
    assert entered.queue == "support"
    # The caller waited about [ivr] lookup_timeout_ms, not for the lock.
    assert server.lookup_timeout_s <= waited_s < 15
    assert server.runner.stats.failovers == 1


class ClassicAgiBridge:
    """Asterisk's FastAGI connection handed to a classic AGI process as its stdin and stdout,
    exactly as Asterisk does with AGI(script): one process per call."""

    def __init__(self, port: int, argv: list[str]) -> None:
        self.argv = argv
        self.listener = socket.create_server(("127.0.0.1", port))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                self.processes.append(
                    subprocess.Popen(
                        self.argv,
                        stdin=connection.fileno(),
                        stdout=connection.fileno(),
                        stderr=subprocess.PIPE,
                    )
                )

    def close(self) -> list[tuple[int, str]]:
        # shutdown() wakes the thread blocked in accept(); close() alone would leave the
        # socket listening until that call returned.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(timeout=10)
        results = []
        for process in self.processes:
            _, stderr = process.communicate(timeout=30)
            results.append((process.returncode, stderr.decode(errors="replace")))
        return results


@pytest.fixture
def classic_config(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    config = configure(asterisk, tmp_path, f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    engine = make_engine(load_settings(config, needed_by="agi").database)
    upgrade(engine)
    yield config, engine
    engine.dispose()


def test_the_classic_agi_script_runs_a_flow_on_real_asterisk(
    asterisk: AsteriskSandbox, classic_config: tuple[Path, Engine]
) -> None:
    config, engine = classic_config
    script = Path(sys.executable).parent / "asterisk-cc-agi"
    bridge = ClassicAgiBridge(asterisk.agi_port, [str(script), "small", "--config", str(config)])
    queue_log = asterisk.queue_log()
    try:
        with asterisk.queue_member("sales", ringing_agent(), "Sales"):
            call = call_small(asterisk, (Wait(2.5), Dtmf("2"), Wait(30)))
            (entered,) = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE"], timeout_s=30)
            asterisk.hang_up(call)
    finally:
        results = bridge.close()
    assert entered.queue == "sales"
    assert results and all(code == 0 for code, _ in results), results
    with Session(engine) as session:
        (trip,) = session.scalars(select(IvrSession).where(IvrSession.uniqueid == call.callee_id))
        assert trip.outcome == "queued"
        assert trip.path == ["identify", "menu", "sales"]
