"""The dashboard under load: every page's latency with 1,000,000 calls in the database, and the
wallboard's live stream to 50 screens at once.

One run:

1. seeds a fresh database (web_seed.py: ``--calls`` calls over ``--days`` days, 200 agents, the
   campaigns, complaints, callbacks, QA and alerts around them) and adds the dashboard's users
   with ``asterisk-cc user add``;
2. starts the real server (``asterisk-cc web``: Waitress, the live feed; Asterisk and the
   controller are not there, so their links show down and the live figures come from the
   database);
3. lists every page of the dashboard from the application's own routes (GET, no argument, or
   an id argument filled with a seeded row's id; streams and downloads left out), logs in as
   a user of a role each page allows, waits for a report page's background build to finish
   (its "being prepared" page is not what is timed), and measures each page with ``wrk`` (a Lua script sends
   the session cookie and prints the percentiles): first one client at a time (the page's own
   time), then ``--connections`` at once (several supervisors together); non-2xx answers are
   counted and shown;
4. opens ``--sse-clients`` wallboard streams (``/wallboard/stream``) at once and, ``--changes``
   times, makes a change the live feed publishes (a call entering a queue now: a ``queue_calls``
   row, which changes today's figures at the feed's next database read); it records when each
   client receives each new state. The delay is measured from the published state's own time
   (``at`` in the event, the server's clock) when the event carries it, else from the first
   client's receipt of the same state (the fan-out alone); the delay from the database write
   (which includes the feed's database period) is shown too;
5. prints the side-by-side table: each page's p50 and p95 against the 200 ms target.

Needs Debian's ``wrk`` (``apt-get install wrk``; scripts/setup.sh installs it).

Run::

    .venv/bin/python bench/web_load.py --calls 100000             # about 3 minutes
    .venv/bin/python bench/web_load.py --calls 1000000            # seeding takes minutes
    .venv/bin/python bench/web_load.py --db-file /tmp/web.sqlite3 --reuse   # skip seeding

Options: ``--seconds`` per page and concurrency, ``--connections``, ``--sse-clients``,
``--changes``, ``--keep DIR``, ``--json`` (the last line printed is one JSON object).
Results go in docs/performance.md ("The dashboard under load").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

import httpx  # noqa: E402
from machine_info import describe_machine  # noqa: E402
from web_seed import agent_logins, count_rows, seed_database  # noqa: E402

TARGET_MS = 200.0
SECRET = "web-load-benchmark-secret-key-0123456789abcdef"  # noqa: S105 (a throw-away server)
USERS = {
    "admin": ("bench-admin", "bench-admin-password", None),
    "supervisor": ("bench-supervisor", "bench-supervisor-password", None),
    "agent": ("bench-agent", "bench-agent-password", agent_logins()[0]),
}
# Routes that are not pages to time: live streams never end, downloads are files.
SKIPPED_ROUTE = re.compile(r"/stream$|download|export|\.csv$|\.xlsx$|\.pdf$|/recordings/|/charts?/")
WRK_SCRIPT = r"""
local cookie = os.getenv("BENCH_COOKIE")
wrk.headers["Cookie"] = cookie
wrk.headers["Accept"] = os.getenv("BENCH_ACCEPT") or "text/html"

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "non_2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.status, errors))
end
"""


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_environment(extra: dict[str, str]) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
    environment.update(extra)
    return environment


def write_config(path: Path, database_url: str, port: int) -> None:
    """The dashboard on ``port``; AMI, ARI and the controller on ports nobody listens on."""
    ami, ari, controller = free_port(), free_port(), free_port()
    path.write_text(
        f'[database]\nurl = "{database_url}"\n'
        f'\n[ari]\nurl = "http://127.0.0.1:{ari}/ari"\npassword = "unused"\n'
        f"status_port = {controller}\n"
        f'\n[ami]\nport = {ami}\nsecret = "unused"\n'
        '\n[site]\ntimezone = "Asia/Shanghai"\n'
        f'\n[web]\nbind = "127.0.0.1"\nport = {port}\nsecret_key = "{SECRET}"\n'
        '\n[logging]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )


def asterisk_cc(config: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "asterisk_cc", *args, "--config", str(config)],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_environment({}),
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"asterisk-cc {' '.join(args)} failed: {done.stderr}")
    return done.stdout


@contextlib.contextmanager
def running_server(config: Path, port: int, log_path: Path) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "asterisk_cc", "web", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=clean_environment({}),
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the dashboard exited at start:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/login", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"the dashboard did not answer:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_in(url: str, username: str, password: str) -> str:
    """The session cookie of a log-in through the form, as a browser makes it."""
    with httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/login").text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not match:
            raise SystemExit("no CSRF token on the log-in page")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": match.group(1)},
        )
        if response.status_code != 302:
            raise SystemExit(f"log-in as {username} refused ({response.status_code})")
        return f"asterisk_cc_session={client.cookies['asterisk_cc_session']}"


# --- the pages ---------------------------------------------------------------------------------


@dataclass
class Page:
    url: str
    endpoint: str
    role: str
    status: int = 0
    bytes: int = 0
    single: dict[str, Any] = field(default_factory=dict)
    loaded: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def discover_pages(config: Path) -> list[Page]:
    """Every GET route of the application, with the first role it allows (supervisor before
    admin: the pages a supervisor watches); ``<id>`` arguments become 1 (the first seeded row:
    campaign, ticket, scorecard...)."""
    from asterisk_cc.config import load_settings
    from asterisk_cc.db.engine import make_engine
    from asterisk_cc.web.access import PUBLIC_ENDPOINTS
    from asterisk_cc.web.app import create_app

    settings = load_settings(config, needed_by="web")
    engine = make_engine(settings.database)
    try:
        app = create_app(settings, engine)
    finally:
        engine.dispose()
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in PUBLIC_ENDPOINTS or "GET" not in (rule.methods or ()):
            continue
        if SKIPPED_ROUTE.search(rule.rule) or len(rule.arguments) > 1:
            continue
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", None)
        roles = [str(getattr(r, "value", r)) for r in allowed] if allowed else ["supervisor"]
        role = next(r for r in ("supervisor", "agent", "admin") if r in roles)
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        if re.search(r"<", url):
            continue
        pages.append(Page(url=url, endpoint=rule.endpoint, role=role))
    return pages


PREPARING_MARK = "data-reports-refresh"
PREPARING_WAIT_S = 300.0


def check_page(base: str, page: Page, cookie: str) -> None:
    """Fetch the page once; a report still being prepared in the background is fetched again
    until it is ready, so the timing is of the page a supervisor reads (the first visit's
    "being prepared" page answers within the report's wait of 0.1 s, and while the build runs
    in the same process every page competes with it for the CPU)."""
    deadline = time.monotonic() + PREPARING_WAIT_S
    with httpx.Client(base_url=base, timeout=60, headers={"Cookie": cookie}) as client:
        while True:
            response = client.get(page.url)
            if PREPARING_MARK not in response.text or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        page.status = response.status_code
        page.bytes = len(response.content)
        if PREPARING_MARK in response.text:
            page.note = f"still being prepared after {PREPARING_WAIT_S:.0f} s"


def run_wrk(
    base: str, page: Page, cookie: str, *, connections: int, seconds: int
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    accept = "application/json" if "/api/" in page.url else "text/html"
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(2, connections)),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                base + page.url,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "BENCH_COOKIE": cookie, "BENCH_ACCEPT": accept},
            check=False,
        )
    finally:
        os.unlink(script.name)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            return result
    raise SystemExit(f"wrk printed no result for {page.url}: {done.stdout}{done.stderr}")


# --- the wallboard stream ---------------------------------------------------------------------


@dataclass
class Receipt:
    client: int
    at_wall: float
    key: str
    published_at: float | None


class StreamClient(threading.Thread):
    """One wallboard screen: reads ``/wallboard/stream`` and notes when each new state came."""

    def __init__(self, index: int, base: str, cookie: str, receipts: list[Receipt]) -> None:
        super().__init__(daemon=True, name=f"sse-{index}")
        self.index, self.base, self.cookie = index, base, cookie
        self.receipts = receipts
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.error: str | None = None
        self.events = 0

    def run(self) -> None:
        try:
            timeout = httpx.Timeout(10, read=30)
            with (
                httpx.Client(base_url=self.base, timeout=timeout) as client,
                client.stream(
                    "GET",
                    "/wallboard/stream",
                    headers={"Cookie": self.cookie, "Accept": "text/event-stream"},
                ) as response,
            ):
                if response.status_code != 200:
                    self.error = f"status {response.status_code}"
                    return
                self.connected.set()
                data: list[str] = []
                for line in response.iter_lines():
                    if self.stop.is_set():
                        return
                    if line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and data:
                        self._received("\n".join(data))
                        data = []
        except httpx.HTTPError as exc:
            if not self.stop.is_set():
                self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.connected.set()

    def _received(self, text: str) -> None:
        now = time.time()
        self.events += 1
        published = None
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            body = json.loads(text)
            stamp = body.get("at") or body.get("updated_at") or body.get("generated_at")
            if isinstance(stamp, str):
                published = datetime.fromisoformat(stamp).timestamp()
        # A state is known by its content: every client gets the same bytes for one state.
        self.receipts.append(Receipt(self.index, now, str(hash(text)), published))


def make_change(database_url: str, n: int) -> float:
    """A call enters the sales queue now (the feed's database figures change); when."""
    from asterisk_cc.config import DatabaseSettings
    from asterisk_cc.db.engine import make_engine
    from asterisk_cc.db.models import QueueCall

    engine = make_engine(DatabaseSettings(url=database_url))
    try:
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                QueueCall.__table__.insert(),
                [
                    {
                        "callid": f"bench-live-{n}-{now.timestamp()}",
                        "queue": "sales",
                        "entered_at": now,
                        "ended_at": now,
                        "outcome": "abandoned",
                        "wait_s": 30.0,
                        "caller_number": "013800000000",
                    }
                ],
            )
        return time.time()
    finally:
        engine.dispose()


def measure_stream(
    base: str, cookie: str, database_url: str, *, clients: int, changes: int, gap_s: float
) -> dict[str, Any]:
    receipts: list[Receipt] = []
    lock = threading.Lock()

    class Locked(list[Receipt]):
        def append(self, item: Receipt) -> None:
            with lock:
                super().append(item)

    receipts = Locked()
    readers = [StreamClient(i, base, cookie, receipts) for i in range(clients)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.connected.wait(30)
    errors = [r.error for r in readers if r.error]
    time.sleep(2.0)  # the first event (the state at connection) has come
    with lock:
        receipts.clear()
    triggers = []
    for n in range(changes):
        triggers.append(make_change(database_url, n))
        time.sleep(gap_s)
    for reader in readers:
        reader.stop.set()
    with lock:
        got = list(receipts)
    return summarise_stream(got, triggers, clients, errors)


def summarise_stream(
    receipts: Sequence[Receipt], triggers: Sequence[float], clients: int, errors: Sequence[str]
) -> dict[str, Any]:
    by_state: dict[str, list[Receipt]] = {}
    for receipt in receipts:
        by_state.setdefault(receipt.key, []).append(receipt)
    fan_out_ms: list[float] = []
    from_publish_ms: list[float] = []
    from_write_ms: list[float] = []
    complete = 0
    for group in by_state.values():
        first = min(r.at_wall for r in group)
        if len({r.client for r in group}) == clients:
            complete += 1
        earlier = [t for t in triggers if t <= first]
        for r in group:
            fan_out_ms.append((r.at_wall - first) * 1000)
            if r.published_at is not None:
                from_publish_ms.append((r.at_wall - r.published_at) * 1000)
            if earlier:
                from_write_ms.append((r.at_wall - earlier[-1]) * 1000)
    return {
        "clients": clients,
        "connect_errors": list(errors),
        "changes_made": len(triggers),
        "states_received": len(by_state),
        "states_received_by_every_client": complete,
        "receipts": len(receipts),
        "from_publish_ms": percentiles(from_publish_ms),
        "fan_out_ms": percentiles(fan_out_ms),
        "from_database_write_ms": percentiles(from_write_ms),
    }


def percentiles(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


# --- the report ----------------------------------------------------------------------------


def verdict(p95_ms: float | None) -> str:
    if p95_ms is None:
        return "-"
    return "ok" if p95_ms <= TARGET_MS else "OVER"


def print_table(pages: Sequence[Page], connections: int) -> None:
    print()
    print(f"Pages (target: p95 under {TARGET_MS:.0f} ms); times in ms")
    header = (
        f"{'page':44} {'role':10} {'status':>6} {'KiB':>6} | {'1 client p50':>12} "
        f"{'p95':>7} {'req/s':>6} | {f'{connections} clients p50':>13} {'p95':>7} "
        f"{'req/s':>6} {'non-2xx':>7} | {'1-client p95 vs target':>22}"
    )
    print(header)
    print("-" * len(header))
    for page in pages:
        single, loaded = page.single, page.loaded

        def ms(result: dict[str, Any], key: str) -> str:
            return f"{result[key] / 1000:.1f}" if result else "-"

        def rps(result: dict[str, Any]) -> str:
            return f"{result['rps']:.0f}" if result else "-"

        p95 = single["p95_us"] / 1000 if single else None
        non_2xx = (single.get("non_2xx", 0) if single else 0) + (
            loaded.get("non_2xx", 0) if loaded else 0
        )
        print(
            f"{page.url[:44]:44} {page.role:10} {page.status:>6} {page.bytes / 1024:>6.1f} | "
            f"{ms(single, 'p50_us'):>12} {ms(single, 'p95_us'):>7} {rps(single):>6} | "
            f"{ms(loaded, 'p50_us'):>13} {ms(loaded, 'p95_us'):>7} {rps(loaded):>6} "
            f"{non_2xx:>7} | {verdict(p95):>22}" + (f"  ({page.note})" if page.note else "")
        )


def print_stream(result: dict[str, Any]) -> None:
    print()
    print(
        f"Wallboard stream: {result['clients']} clients, {result['changes_made']} changes; "
        f"{result['states_received']} new states received, "
        f"{result['states_received_by_every_client']} by every client; "
        f"connection errors: {len(result['connect_errors'])}"
    )
    for key, title in (
        ("from_publish_ms", "published state → client (server's 'at' → receipt)"),
        ("fan_out_ms", "first client → each client (fan-out)"),
        ("from_database_write_ms", "database write → client (includes the feed's period)"),
    ):
        figures = result.get(key)
        if figures:
            print(
                f"  {title:58} n={figures['n']:>4}  p50 {figures['p50']:8.1f} ms  "
                f"p95 {figures['p95']:8.1f} ms  max {figures['max']:8.1f} ms"
            )
        else:
            print(f"  {title:58} (not measured: the events carry no such time)")


# --- main --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=8, help="wrk's time per page and run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--sse-clients", type=int, default=50)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--change-gap", type=float, default=7.0, help="seconds between changes")
    parser.add_argument("--db-file", help="the SQLite file (default: in a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="the --db-file is seeded already")
    parser.add_argument("--only", help="time only the pages whose URL holds this text")
    parser.add_argument("--keep", help="keep the database and the server's log in this directory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (scripts/setup.sh does it)")

    workdir = Path(args.keep or tempfile.mkdtemp(prefix="web-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    database = Path(args.db_file) if args.db_file else workdir / "web.sqlite3"
    database_url = f"sqlite:///{database}"
    port = free_port()
    config = workdir / "web.toml"
    write_config(config, database_url, port)
    print(f"machine: {describe_machine()}")
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")

    seeding: dict[str, Any] = {}
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        report = seed_database(database_url, calls=args.calls, days=args.days, progress=print)
        seeding = {"rows": report.rows, "elapsed_s": report.elapsed_s, "total_s": report.total_s}
        print(f"seeded {report.total_rows:,} rows in {report.total_s:.0f} s: {report.rows}")
        for role, (username, password, agent) in USERS.items():
            extra = ["--agent", agent] if agent else []
            asterisk_cc(
                config, "user", "add", username, "--role", role, *extra, stdin=password + "\n"
            )
    counts = count_rows(database_url, ["queue_calls", "interactions", "cdr_records", "agents"])
    print(f"database {database} ({database.stat().st_size / 2**20:.0f} MiB): {counts}")

    pages = discover_pages(config)
    if args.only:
        pages = [p for p in pages if args.only in p.url]
    stream: dict[str, Any] = {}
    with running_server(config, port, workdir / "server.log") as base:
        cookies = {role: log_in(base, u, p) for role, (u, p, _agent) in USERS.items()}
        for page in pages:
            check_page(base, page, cookies[page.role])
            if page.status != 200:
                page.note = f"not timed: answered {page.status}"
                print(f"  {page.url}: {page.status}, not timed")
                continue
            page.single = run_wrk(
                base, page, cookies[page.role], connections=1, seconds=args.seconds
            )
            page.loaded = run_wrk(
                base, page, cookies[page.role], connections=args.connections, seconds=args.seconds
            )
            print(
                f"  {page.url}: p50 {page.single['p50_us'] / 1000:.1f} ms, "
                f"p95 {page.single['p95_us'] / 1000:.1f} ms"
            )
        if args.sse_clients and not args.only:
            stream = measure_stream(
                base,
                cookies["supervisor"],
                database_url,
                clients=args.sse_clients,
                changes=args.changes,
                gap_s=args.change_gap,
            )
    log = (workdir / "server.log").read_text(encoding="utf-8", errors="replace")
    print_table(pages, args.connections)
    if stream:
        print_stream(stream)
    if "Traceback" in log:
        print(f"\nthe server's log holds tracebacks: see {workdir / 'server.log'}")
    timed = [p for p in pages if p.single]
    over = [p.url for p in timed if p.single["p95_us"] / 1000 > TARGET_MS]
    print(f"\n{len(timed)} pages timed, {len(over)} over the target: {over}")
    if args.json:
        print(
            json.dumps(
                {
                    "machine": describe_machine(),
                    "calls": args.calls,
                    "counts": counts,
                    "seeding": seeding,
                    "pages": [asdict(p) for p in pages],
                    "stream": stream,
                }
            )
        )
    if not args.keep and not args.db_file:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
