"""pytest plugin: the dashboard served for real (``asterisk-cc web`` in a process of its own)
and driven by a real browser (Debian's Chromium through Playwright), for the tests marked
``browser``.

Fixtures
--------
``chromium``          the session's browser (Playwright's sync API, ``/usr/bin/chromium`` or
                      ``ASTERISK_CC_TEST_CHROMIUM``; Playwright never downloads a browser).
``dashboard``         a dashboard server for the whole session: a migrated SQLite database,
                      agents ``1001`` ("Ann Agent") and ``1002`` ("Bo Agent") and one user per
                      role (:data:`USERS`), made with ``asterisk-cc user add``; links to Asterisk
                      and the controller point at closed ports (the pages show them down).
``page``              a fresh browser context (no cookies) and page per test, its base URL the
                      session's dashboard; every dialog it opens is recorded in
                      ``page_dialogs`` and accepted.
``page_dialogs``      the dialogs (``alert``/``confirm``/``prompt``) the test's page opened.
``shot``              ``shot(page, "step")`` saves a screenshot of a key step as a test artefact.

:class:`DashboardServer` starts further servers (on the real Asterisk sandbox, for example) with
a configuration file and environment overrides of their own; :func:`log_in` logs a page in.

Artefacts
---------
Screenshots go to ``$ASTERISK_CC_TEST_SCREENSHOTS`` (default ``test-artifacts/screenshots`` in
the repository): ``<test>--<step>.png`` at the steps a test names, and ``<test>--failure.png``
whenever a test fails. Each server's log is kept beside them (``<name>-server.log``) and is
checked at the end: a traceback in it fails the run.

If Chromium is missing, the tests are skipped with the reason, except in CI (environment
variable ``CI`` set), where they fail: CI must never pass by skipping the browser.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from asterisk_cc.config import DatabaseSettings
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.models import Agent
from asterisk_cc.sandbox import free_loopback_ports

REPOSITORY = Path(__file__).resolve().parents[1]
CHROMIUM_ENV = "ASTERISK_CC_TEST_CHROMIUM"
SCREENSHOTS_ENV = "ASTERISK_CC_TEST_SCREENSHOTS"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
DEFAULT_SCREENSHOTS = REPOSITORY / "test-artifacts" / "screenshots"

CHROMIUM_ARGS = (
    # Root (as in CI's containers) cannot use Chromium's sandbox.
    "--no-sandbox",
    "--disable-gpu",
    # The machine's network is closed: nothing may try to phone home and wait on it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
"""Chromium's switches; Playwright adds a fresh ``--user-data-dir`` (a temporary profile) to
each launch itself."""

SERVER_START_TIMEOUT_S = 30.0
SERVER_STOP_TIMEOUT_S = 15.0
WEB_SECRET = "browser-tests-secret-key-0123456789abcdef0123456789"


@dataclass(frozen=True)
class BrowserUser:
    username: str
    password: str
    role: str
    display_name: str
    agent: str | None = None


USERS: Mapping[str, BrowserUser] = {
    "admin": BrowserUser("ada", "admin-password-123", "admin", "Ada Admin"),
    "supervisor": BrowserUser("sam", "supervisor-password-123", "supervisor", "Sam Supervisor"),
    "agent": BrowserUser("ann", "agent-password-123", "agent", "Ann Agent", agent="1001"),
}
"""The session dashboard's users, by role (the agent user is agent ``1001``)."""

AGENTS = (("1001", "Ann Agent", "PJSIP/1001"), ("1002", "Bo Agent", "PJSIP/1002"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: needs Chromium (runs in CI, never skipped there)")


# --- artefacts -----------------------------------------------------------------------------


def screenshots_dir() -> Path:
    path = Path(os.environ.get(SCREENSHOTS_ENV, "") or DEFAULT_SCREENSHOTS)
    path.mkdir(parents=True, exist_ok=True)
    return path


def artefact_name(nodeid: str) -> str:
    """A file name for a test: ``tests/browser/test_x.py::test_y[a]`` → ``test_x--test_y-a``."""
    path, _, name = nodeid.partition("::")
    stem = Path(path).stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{stem}--{name}").strip("-")


REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test, so a fixture's teardown knows whether it failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(REPORTS, {})
    return any(report.failed for report in reports.values())


# --- the dashboard server ------------------------------------------------------------------


def asterisk_cc_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "asterisk_cc", *args]


def clean_environment(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any ``ASTERISK_CC_*`` setting of the machine (the
    test's configuration alone counts), plus ``overrides``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
    environment.update(overrides or {})
    return environment


def write_offline_config(path: Path, database_url: str) -> Path:
    """A configuration whose Asterisk (AMI, ARI) and controller are on ports nobody listens
    on: the dashboard serves, and shows those links as down."""
    ami, ari, controller = free_loopback_ports(3)
    path.write_text(
        "[database]\n"
        f'url = "{database_url}"\n'
        "\n[ari]\n"
        f'url = "http://127.0.0.1:{ari}/ari"\n'
        'password = "unused-in-browser-tests"\n'
        'status_bind = "127.0.0.1"\n'
        f"status_port = {controller}\n"
        "\n[ami]\n"
        'host = "127.0.0.1"\n'
        f"port = {ami}\n"
        'secret = "unused-in-browser-tests"\n'
        "\n[site]\n"
        'timezone = "Asia/Shanghai"\n'
        "\n[web]\n"
        f'secret_key = "{WEB_SECRET}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


@dataclass
class DashboardServer:
    """``asterisk-cc web --config <config>`` on a free loopback port.

    ``environment`` overrides settings (``ASTERISK_CC_<SECTION>_<KEY>``) for every command run
    against this configuration. :meth:`prepare` migrates the database and adds the users;
    :meth:`start` waits until the log-in page answers; :meth:`stop` ends the server with SIGTERM
    and returns its log, failing if the log holds a traceback.
    """

    name: str
    config: Path
    workdir: Path
    environment: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        if not self.port:
            (self.port,) = free_loopback_ports(1)
        self.environment = {
            "ASTERISK_CC_WEB_BIND": "127.0.0.1",
            "ASTERISK_CC_WEB_PORT": str(self.port),
            **self.environment,
        }
        self.log_path = self.workdir / f"{self.name}-server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """An ``asterisk-cc`` command against this configuration; fails the test if it fails."""
        done = subprocess.run(
            asterisk_cc_command(*args, "--config", str(self.config)),
            input=stdin,
            capture_output=True,
            text=True,
            env=clean_environment(self.environment),
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"asterisk-cc {' '.join(args)} failed ({done.returncode}): {done.stderr}",
                pytrace=False,
            )
        return done

    def add_user(self, user: BrowserUser) -> None:
        args = ["user", "add", user.username, "--role", user.role, "--name", user.display_name]
        if user.agent:
            args += ["--agent", user.agent]
        self.run(*args, stdin=user.password + "\n")

    def prepare(
        self,
        users: Mapping[str, BrowserUser] = USERS,
        seed: Callable[[Engine], None] | None = None,
    ) -> None:
        """Migrate the database, run ``seed`` on it (agents must exist before their users),
        and add ``users``."""
        self.run("db", "upgrade")
        if seed is not None:
            with self.engine() as engine:
                seed(engine)
        for user in users.values():
            self.add_user(user)

    @contextlib.contextmanager
    def engine(self) -> Iterator[Engine]:
        """The server's database, for seeding and for checking what a page stored."""
        engine = make_engine(DatabaseSettings(url=self.database_url()))
        try:
            yield engine
        finally:
            engine.dispose()

    def database_url(self) -> str:
        override = self.environment.get("ASTERISK_CC_DATABASE_URL")
        if override:
            return override
        text = self.config.read_text(encoding="utf-8")
        match = re.search(r'^url\s*=\s*"(sqlite[^"]+|postgresql[^"]+)"', text, re.MULTILINE)
        assert match, f"no [database] url in {self.config}"
        return match.group(1)

    def start(self) -> None:
        log = self.log_path.open("wb")
        try:
            self.process = subprocess.Popen(
                asterisk_cc_command("web", "--config", str(self.config)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=clean_environment(self.environment),
            )
        finally:
            log.close()
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(
                        f"the dashboard exited with {self.process.returncode} at start:\n"
                        + self.log_text(),
                        pytrace=False,
                    )
                with contextlib.suppress(httpx.TransportError):
                    if client.get(self.url + "/login").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    self.stop(check=False)
                    pytest.fail(
                        f"the dashboard did not answer on {self.url} within "
                        f"{SERVER_START_TIMEOUT_S:.0f} s:\n" + self.log_text(),
                        pytrace=False,
                    )
                time.sleep(0.2)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, *, check: bool = True) -> str:
        """SIGTERM, wait, keep the log as an artefact; with ``check``, fail on a traceback or
        an unclean exit."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                if check:
                    pytest.fail(
                        f"the dashboard did not stop within {SERVER_STOP_TIMEOUT_S:.0f} s of "
                        "SIGTERM:\n" + self.log_text(),
                        pytrace=False,
                    )
        text = self.log_text()
        with contextlib.suppress(OSError):
            shutil.copyfile(self.log_path, screenshots_dir() / self.log_path.name)
        if check and process is not None:
            if "Traceback (most recent call last)" in text:
                pytest.fail(f"the dashboard's log holds a traceback:\n{text}", pytrace=False)
            if process.returncode != 0:
                pytest.fail(
                    f"the dashboard exited with {process.returncode} after SIGTERM:\n{text}",
                    pytrace=False,
                )
        return text


@dataclass
class ControllerProcess:
    """The ARI controller (``asterisk-cc ari``) in a process of its own, for the pages that
    work agents through it; started with the dashboard's configuration and overrides."""

    config: Path
    workdir: Path
    environment: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "controller.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.environment['ASTERISK_CC_ARI_STATUS_PORT']}"

    def start(self, timeout_s: float = 30.0) -> None:
        """Start, and wait until its event link to Asterisk is up (``GET /health`` 200)."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                asterisk_cc_command("ari", "--config", str(self.config)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=clean_environment(self.environment),
            )
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(
                        "the controller exited at start:\n" + self.log_path.read_text(),
                        pytrace=False,
                    )
                with contextlib.suppress(httpx.TransportError):
                    if client.get(self.url + "/health").status_code == 200:
                        return
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"the controller's link was not up within {timeout_s:.0f} s:\n"
                        + self.log_path.read_text(),
                        pytrace=False,
                    )
                time.sleep(0.2)

    def status(self) -> dict[str, Any]:
        with httpx.Client(timeout=5.0) as client:
            answer: dict[str, Any] = client.get(self.url + "/status").json()
            return answer

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=SERVER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(OSError):
            shutil.copyfile(self.log_path, screenshots_dir() / "controller.log")


def seed_agents(engine: Engine) -> None:
    with session_factory(engine)() as session:
        for login, name, interface in AGENTS:
            session.add(Agent(login=login, name=name, interface=interface))
        session.commit()


@pytest.fixture(scope="package")
def dashboard(chromium: Any) -> Iterator[DashboardServer]:
    """The session's dashboard (offline: no Asterisk), with :data:`USERS`. Asks for the browser
    first, so that without Chromium no server is started for nothing."""
    workdir = Path(tempfile.mkdtemp(prefix="asterisk-cc-browser-"))
    config = write_offline_config(workdir / "cc.toml", f"sqlite:///{workdir / 'cc.sqlite3'}")
    server = DashboardServer("session", config, workdir)
    server.prepare(seed=seed_agents)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --- the browser ---------------------------------------------------------------------------


def chromium_path() -> Path:
    return Path(os.environ.get(CHROMIUM_ENV, "") or DEFAULT_CHROMIUM)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Chromium, headless, through Playwright (sync API)."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the Python package playwright is not installed ({exc})")
    if not os.access(executable, os.X_OK):
        _unavailable(
            f"Chromium is not installed at {executable} (apt-get install chromium, or set "
            f"{CHROMIUM_ENV}; scripts/setup.sh installs it)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def _unavailable(reason: str) -> None:
    # Imported here: under ``-p tests.browser_fixtures`` this module loads before conftest.py
    # registers the Asterisk plugin, which must not be imported before then.
    from tests.asterisk_fixtures import in_ci

    if in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def page_dialogs() -> list[Any]:
    return []


@pytest.fixture
def page(
    chromium: Any,
    dashboard: DashboardServer,
    page_dialogs: list[Any],
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """A page of a fresh browser context on the session's dashboard."""
    with browser_page(chromium, dashboard.url, page_dialogs, request) as opened:
        yield opened


@contextlib.contextmanager
def browser_page(
    chromium: Any, base_url: str, dialogs: list[Any], request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A page of a new context (no cookies) on ``base_url``; dialogs go into ``dialogs`` and
    are accepted; a screenshot is saved if the test fails."""
    context = chromium.new_context(
        base_url=base_url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    opened = context.new_page()

    def on_dialog(dialog: Any) -> None:
        dialogs.append({"type": dialog.type, "message": dialog.message})
        dialog.accept()

    opened.on("dialog", on_dialog)
    try:
        yield opened
    finally:
        if _failed(request):
            with contextlib.suppress(Exception):
                opened.screenshot(
                    path=str(
                        screenshots_dir() / f"{artefact_name(request.node.nodeid)}--failure.png"
                    ),
                    full_page=True,
                )
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, "step")``: a full-page screenshot of a key step, kept as an artefact."""

    def take(target: Any, step: str) -> Path:
        name = artefact_name(request.node.nodeid)
        path = screenshots_dir() / f"{name}--{re.sub(r'[^A-Za-z0-9_.-]+', '-', step)}.png"
        target.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page: Any, user: BrowserUser, *, next_path: str | None = None) -> None:
    """Fill the log-in form as a person would and wait for the page it leads to."""
    page.goto("/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


__all__ = [
    "AGENTS",
    "USERS",
    "BrowserUser",
    "ControllerProcess",
    "DashboardServer",
    "browser_page",
    "chromium",
    "clean_environment",
    "dashboard",
    "log_in",
    "page",
    "page_dialogs",
    "screenshots_dir",
    "seed_agents",
    "shot",
    "write_offline_config",
]
