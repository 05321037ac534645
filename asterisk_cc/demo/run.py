"""``asterisk-cc demo``: the whole contact centre on a real Asterisk 22, with traffic.

1. brings up the Asterisk sandbox and writes the demo's configuration (:mod:`.site`);
2. migrates an embedded SQLite database and loads the demo data: customers with tiers, agents
   with skills and PINs, the sample IVR flow open round the clock, a predictive campaign with
   leads, dashboard users with random passwords;
3. starts every process of the product as an admin runs them (:mod:`.processes`): the FastAGI
   IVR, the ARI controller, the dialer, the scheduler and the dashboard;
4. logs the agents in by phone and works them (:mod:`.floor`), starts the campaign, and places
   the traffic model's callers (:mod:`.callers`) for ``--minutes`` (or until Ctrl-C);
5. winds down (no new callers, calls in progress end, the campaign stops, agents log out),
   ingests queue_log and CDRs and writes the daily report pack, as the product's own commands
   do;
6. compares the report with what the demo made (:mod:`asterisk_cc.core.demo_check`) and
   checks that no call was lost, no agent is stuck, no dial attempt lacks an outcome, and no
   process logged an error. Exit 0 only when all of that holds.
"""

from __future__ import annotations

import logging
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final, TextIO
from zoneinfo import ZoneInfo

from asterisk_cc.ari.control import ControllerClient, controller_url_of
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import Settings, load_settings
from asterisk_cc.core.demo_check import (
    OutboundTally,
    QueueTally,
    compare_outbound,
    compare_queues,
)
from asterisk_cc.core.traffic import TrafficModel
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.demo import check
from asterisk_cc.demo.callers import CallerDriver
from asterisk_cc.demo.floor import SimulatedFloor
from asterisk_cc.demo.processes import (
    ProcessSpec,
    ProductProcesses,
    log_problems_in,
    port_answers,
)
from asterisk_cc.demo.site import DemoPorts, DemoSite, write_demo_config
from asterisk_cc.demo.traffic_setup import prepare_traffic
from asterisk_cc.reports.daily import build_day_pack
from asterisk_cc.sandbox import Sandbox, SandboxPorts
from asterisk_cc.sandbox.instance import free_loopback_ports

logger = logging.getLogger(__name__)

DEMO_SANDBOX: Final = "demo"
DEMO_DATABASE: Final = "asterisk-cc.sqlite3"
"""The demo's SQLite file in the sandbox's state directory (Sandbox.write_config's default)."""
DEFAULT_WEB_PORT: Final = 8080
UNTIL_STOPPED_MINUTES: Final = 480.0
"""Without ``--minutes`` the day's shape is spread over this long; Ctrl-C ends it sooner."""
DRAIN_S: Final = 150.0
"""After the last caller, how long calls in progress may go on before they are ended."""
DIALER_DRAIN_S: Final = 60.0
PROGRESS_EVERY_S: Final = 30.0

Progress = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


@dataclass
class DemoOutcome:
    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoRun:
    """What a caller of :func:`run_demo` may look at while the traffic has ended and the
    processes still run (the whole-system test opens the dashboard then)."""

    site: DemoSite
    settings: Settings
    users: tuple[tuple[str, str, str], ...]
    """(username, password, role) of the dashboard users the demo made."""


@contextmanager
def _interruptible() -> Iterator[threading.Event]:
    """Ctrl-C (or SIGTERM) sets the event instead of raising, so the demo winds down in
    order: the report is still made and every process stopped."""
    stop = threading.Event()
    previous = {}

    def on_signal(_signum: int, _frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # a second Ctrl-C: stop now (cleanup still runs)
        stop.set()
        _to_stderr("stopping: no new callers; the calls in progress end, then the report")

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _web_port() -> int:
    """8080 when it is free (the documented address), else any free loopback port."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", DEFAULT_WEB_PORT))
            return DEFAULT_WEB_PORT
        except OSError:
            pass
    (port,) = free_loopback_ports(1)
    return port


def run_demo(
    *,
    minutes: float | None,
    seed: int = 7,
    agents: int = 8,
    customers: int = 3000,
    name: str = DEMO_SANDBOX,
    ports: SandboxPorts | None = None,
    web_port: int | None = None,
    keep: bool = False,
    out: TextIO = sys.stdout,
    progress: Progress = _to_stderr,
    after_traffic: Callable[[DemoRun], None] | None = None,
) -> int:
    """Run the demo; 0 when the report agrees with the traffic and nothing went wrong."""
    # The demo's own lines say what happens; each process's log is in its file.
    for noisy in ("httpx", "alembic", "asterisk_cc.agi.flows"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Without the tests' own queues: the dashboard shows the hotline's queues only.
    sandbox = Sandbox(name, ports=ports, progress=progress, test_queues=False)
    start_afresh(sandbox, progress)
    sandbox.up()
    outcome = DemoOutcome()
    try:
        with _interruptible() as stop:
            _run(
                sandbox,
                minutes=minutes,
                seed=seed,
                agent_count=agents,
                customer_count=customers,
                web_port=web_port or _web_port(),
                stop=stop,
                out=out,
                progress=progress,
                outcome=outcome,
                after_traffic=after_traffic,
            )
    finally:
        if keep:
            progress(f"the sandbox keeps running: asterisk-cc sandbox down --name {name}")
        else:
            progress("stopping Asterisk")
            sandbox.down()
    for line in outcome.summary:
        print(line, file=out)
    for problem in outcome.problems:
        print(f"PROBLEM  {problem}", file=out)
    print(
        "demo: the report agrees with the traffic; nothing was lost"
        if not outcome.problems
        else f"demo: {len(outcome.problems)} problems",
        file=out,
        flush=True,
    )
    return 0 if not outcome.problems else 1


def start_afresh(sandbox: Sandbox, progress: Progress) -> None:
    """Every run is a day of its own: a new database, new logs and reports, and Asterisk's
    records (queue_log, Master.csv) begun anew, so a previous run's calls are neither seeded
    over nor ingested again. Asterisk keeps its records open while it runs, so a sandbox left
    running (``--keep``) is stopped first. The previous records are kept as ``<name>.1``."""
    if sandbox.status().running:
        progress("stopping the sandbox left running by the previous demo")
        sandbox.down()
    for record in (sandbox.queue_log_path, sandbox.cdr_csv_path):
        if record.exists():
            record.replace(record.with_name(record.name + ".1"))
    for suffix in ("", "-wal", "-shm"):
        (sandbox.state_dir / f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    for folder in ("logs", "reports", "ivr"):
        shutil.rmtree(sandbox.state_dir / folder, ignore_errors=True)


def _run(
    sandbox: Sandbox,
    *,
    minutes: float | None,
    seed: int,
    agent_count: int,
    customer_count: int,
    web_port: int,
    stop: threading.Event,
    out: TextIO,
    progress: Progress,
    outcome: DemoOutcome,
    after_traffic: Callable[[DemoRun], None] | None,
) -> None:
    (controller_port,) = free_loopback_ports(1)
    rng = random.Random(seed)  # noqa: S311 (a simulation, not a secret)
    model = TrafficModel()
    traffic = prepare_traffic(sandbox, model)
    site = write_demo_config(
        sandbox,
        ports=DemoPorts(controller=controller_port, web=web_port),
        flow=traffic.flow_name,
        flows_dir=traffic.flows_dir,
    )
    settings = load_settings(site.config, needed_by="demo")
    engine = make_engine(settings.database)
    sessions = session_factory(engine)
    upgrade(engine)
    data = traffic.load(sessions, settings, rng, agents=agent_count, customers=customer_count)
    users = [(u.username, u.password, u.role.value) for u in data.users]
    progress(
        f"demo data: {len(data.customers)} customers, {len(data.agents)} agents, "
        f"campaign {data.campaign!r} with {len(data.leads)} leads"
    )
    traffic.build_prompts(settings)

    processes = ProductProcesses(site.config, site.log_dir, progress=progress)
    controller = ControllerClient(
        controller_url_of(settings), control_token(settings.web.secret_key), timeout_s=5.0
    )
    floor: SimulatedFloor | None = None
    started_at = datetime.now(UTC)
    try:
        processes.start(
            [
                ProcessSpec("agi", ["agi"], port_answers(settings.agi.port)),
                ProcessSpec("ari", ["ari"], port_answers(settings.ari.status_port)),
                ProcessSpec("dialer", ["dialer"]),
                ProcessSpec("scheduler", ["scheduler"]),
                ProcessSpec("web", ["web"], port_answers(settings.web.port)),
            ]
        )
        _print_welcome(site, users, minutes, out)
        run_minutes = minutes if minutes is not None else UNTIL_STOPPED_MINUTES
        floor = SimulatedFloor(
            sandbox,
            controller,
            data.phone_logins,
            model.agent_behaviour(),
            seed=seed,
            outbound_calls=lambda: traffic.outbound_linkedids(sessions),
            progress=progress,
        )
        floor.log_in(shift_s=run_minutes * 60 + DRAIN_S + 300)
        floor.start()
        placements = traffic.placements(data, run_minutes, rng)
        progress(
            f"{len(placements)} callers planned over {run_minutes:g} minutes"
            + ("" if minutes is not None else " (Ctrl-C ends the traffic sooner)")
        )
        driver = CallerDriver(sandbox, placements, progress=progress)
        deadline = time.monotonic() + run_minutes * 60
        watcher = threading.Thread(target=lambda: (stop.wait(), driver.stop()), daemon=True)
        watcher.start()
        _report_progress_while(
            driver, floor, deadline, stop, progress, lambda: driver.run(until=deadline)
        )

        # Winding down, in the order a contact centre closes: no new calls, the campaign
        # stops dialling, the calls in progress end, the agents log out.
        traffic.stop_campaign(sessions, data)
        still = driver.wait_until_over(DRAIN_S)
        if still:
            outcome.problems.append(
                f"{len(still)} callers were still in a queue {DRAIN_S:.0f} s after the last "
                "caller came: " + ", ".join(r.placement.label for r in still[:10])
            )
        traffic.wait_for_dialer(sessions, data, DIALER_DRAIN_S)
        floor.stop()
        driver.hang_up_all()
        floor.log_out()
        time.sleep(2)
        states = {login: state for login, state in floor.states().items() if state != "logged_out"}
        outcome.problems += check.stuck_agents(states)
        ended_at = datetime.now(UTC)

        # The report, as the product makes it.
        outcome.problems += _run_command(processes, ["ingest"], "reading queue_log and CDRs")
        zone = ZoneInfo(settings.site.timezone)
        days = check.days_between(started_at.astimezone(zone), ended_at.astimezone(zone))
        for day in days:
            outcome.problems += _run_command(
                processes,
                ["report", "daily", "--date", day.isoformat(), "--no-mail", "--force"],
                f"the daily pack of {day}",
            )
        with sessions() as session:
            packs = [build_day_pack(session, settings, day, ended_at) for day in days]
            made_out, recorded_out = check.outbound_tallies(session, data.campaign, started_at)
        made_in = driver.tally()
        reported_in = check.pack_queue_tallies(packs)
        outcome.problems += compare_queues(made_in, reported_in)
        outcome.problems += driver.misrouted()
        outcome.problems += compare_outbound(made_out, recorded_out, data.campaign)
        reported_attempts = check.pack_campaign_attempts(packs, data.campaign)
        if reported_attempts != recorded_out.attempts + traffic.cancelled_attempts(
            sessions, data, started_at
        ):
            outcome.problems.append(
                f"campaign {data.campaign}: the pack shows {reported_attempts} attempts, "
                f"the dialer recorded {recorded_out.attempts}"
            )
        failed = [r for r in driver.records if r.place_error]
        if failed:
            outcome.problems.append(
                f"{len(failed)} callers could not be placed: {failed[0].place_error}"
            )
        outcome.summary += _summary(made_in, reported_in, made_out, recorded_out, floor, site, days)
        if after_traffic is not None:
            after_traffic(DemoRun(site, settings, tuple(users)))
    finally:
        if floor is not None:
            floor.stop()
            floor.log_out()
        codes = processes.stop()
        controller.close()
        engine.dispose()
        for name, code in codes.items():
            if code != 0:  # each process ends its work and exits 0 on SIGTERM
                outcome.problems.append(f"asterisk-cc {name} exited with {code} when stopped")
        outcome.problems += [
            f"{problem.process} log: {problem.line}" for problem in log_problems_in(site.log_dir)
        ]


def _run_command(processes: ProductProcesses, args: list[str], what: str) -> list[str]:
    """An ``asterisk-cc`` command on the demo's configuration, as an admin runs it."""
    result = subprocess.run(
        processes.command(*args),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    log = processes.log_dir / f"{args[0]}.log"
    with log.open("a", encoding="utf-8") as handle:
        handle.write(result.stdout + result.stderr)
    if result.returncode != 0:
        return [
            f"{what} (asterisk-cc {' '.join(args)}) failed, exit {result.returncode}: "
            f"{(result.stderr or result.stdout).strip()[-500:]}"
        ]
    return []


def _print_welcome(
    site: DemoSite, users: list[tuple[str, str, str]], minutes: float | None, out: TextIO
) -> None:
    print(f"\nThe dashboard: {site.dashboard_url}", file=out)
    print("Log in as (passwords made for this demo):", file=out)
    for username, password, role in users:
        print(f"  {role:<10} {username:<14} {password}", file=out)
    print(f"Logs: {site.log_dir}; configuration: {site.config}", file=out)
    if minutes is None:
        print("Traffic plays until Ctrl-C; then the report.\n", file=out, flush=True)
    else:
        print(f"Traffic plays for {minutes:g} minutes; then the report.\n", file=out, flush=True)


def _report_progress_while(
    driver: CallerDriver,
    floor: SimulatedFloor,
    deadline: float,
    stop: threading.Event,
    progress: Progress,
    work: Callable[[], None],
) -> None:
    """Run ``work`` (the callers), saying every 30 s how the floor is doing."""
    done = threading.Event()

    def report() -> None:
        while not done.wait(PROGRESS_EVERY_S):
            placed = sum(1 for r in driver.records if r.call is not None)
            waiting = sum(1 for r in driver.records if r.in_queue and r.connected_at is None)
            states = floor.states()
            talking = sum(1 for s in states.values() if s in ("talking", "hold"))
            left = max(0.0, deadline - time.monotonic()) / 60
            progress(
                f"{placed} callers so far, {waiting} waiting in queues, "
                f"{talking}/{len(states)} agents on a call; {left:.1f} minutes to go"
            )

    reporter = threading.Thread(target=report, name="demo-progress", daemon=True)
    reporter.start()
    try:
        work()
    finally:
        done.set()
        reporter.join(timeout=2)
    if stop.is_set():
        progress("traffic stopped early (Ctrl-C)")


def _summary(
    made_in: dict[str, QueueTally],
    reported_in: dict[str, QueueTally],
    made_out: OutboundTally,
    recorded_out: OutboundTally,
    floor: SimulatedFloor,
    site: DemoSite,
    days: list[date],
) -> list[str]:
    lines = ["", "The day in the report (the demo's own count in brackets):"]
    lines.append(
        f"{'queue':<10} {'offered':>12} {'answered':>12} {'abandoned':>12} {'timed out':>12}"
    )
    for queue in sorted(set(made_in) | set(reported_in)):
        made, shown = made_in.get(queue, QueueTally()), reported_in.get(queue, QueueTally())
        cells = [
            f"{getattr(shown, name)} ({getattr(made, name)})"
            for name in ("offered", "answered", "abandoned", "timed_out")
        ]
        lines.append(f"{queue:<10} " + " ".join(f"{cell:>12}" for cell in cells))
    lines.append(
        f"campaign: {recorded_out.attempts} attempts: {recorded_out.human} answered by a person "
        f"({made_out.human}), {recorded_out.machine} by a machine ({made_out.machine}), "
        f"{recorded_out.unanswered} unanswered ({made_out.unanswered})"
    )
    ledgers = [agent.ledger for agent in floor.agents.values()]
    calls = sum(ledger.calls for ledger in ledgers)
    dispositions = sum(ledger.dispositions for ledger in ledgers)
    pauses = sum(ledger.pauses for ledger in ledgers)
    lines.append(f"agents: {calls} calls taken, {dispositions} dispositions, {pauses} pauses")
    packs = ", ".join(str(site.reports_dir / day.isoformat()) for day in days)
    lines.append(f"the daily report pack: {packs}")
    return lines
