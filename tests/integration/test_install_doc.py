"""docs/install.md, followed literally on Debian's packaged Asterisk 22, then calls.

The PBX is a sandbox instance in stock mode: its /etc/asterisk is the asterisk package's own
configuration (``Sandbox(stock=True)``, see docs/sandbox.md), changed only where a private
instance must differ (its directories, its HTTP and AMI ports, no modules that bind a real
PBX's ports); the project's snippets and ``#include`` lines are added by the document's steps.

The document's blocks run in order (tests/install_doc.py says how each kind is followed; a
block the test does not know fails it), each with ``bash -e`` in the same shell state, so the
secrets made in step 2 are the ones step 4 writes into Asterisk. What differs from a real PBX,
and why, is all here:

* the places of step 0 are temporary directories (a test may not write /opt or /etc), and
  Asterisk's ``/etc/asterisk`` and spool are the instance's;
* ``asterisk`` is a stand-in that runs ``asterisk -rx`` inside the instance's chroot;
* systemd does not run here (no PID 1 of its own in this machine), so ``systemctl enable --now``
  is a stand-in that starts each unit's ExecStart with its EnvironmentFile, User, Group,
  SupplementaryGroups and UMask, as systemd would, and ``journalctl -u`` reads its output;
* ``apt-get install`` is a stand-in that checks each package is installed (on this host, or
  in the PBX's rootfs) instead of installing it: scripts/setup.sh and the rootfs provide them;
* the prose steps are done as an admin would: ``asterisk-cc.toml`` gets the site, the places
  and the instance's ports (the document's table of ports that must match), the hotline's
  opening hours become round the clock (so the test passes at any hour), the FastAGI port in
  ``[globals]`` is the test's own;
* the first admin's password is typed on standard input.

The system users the document makes (``asterisk-cc``) and the ``asterisk`` user and group a
PBX has (the asterisk package makes them) are real users of this machine, so the services run
with the rights the document gives them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox import (
    CallerScript,
    Dtmf,
    Sandbox,
    SandboxPorts,
    Wait,
    answering_agent,
    free_loopback_ports,
)
from asterisk_cc.sandbox.records import QueueLogFollower
from tests.asterisk_fixtures import in_ci, sandbox_name
from tests.install_doc import (
    INSTALL_DOC,
    PLACES,
    DocBlock,
    apply_config_block,
    assigned_places,
    parse_doc,
    read_environment_file,
    set_toml_key,
)

pytestmark = pytest.mark.asterisk

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "install-test-admin-password"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SERVICES = ("agi", "ari", "scheduler", "dialer", "web")
DOC_FASTAGI_PORT = "4573"
# Its welcome cannot be interrupted: a key is pressed once it has played.
SETTLE_S = 1.0

SYSTEMCTL = '''#!{python}
"""systemctl stand-in for the install test: systemd's way of starting a unit, without systemd."""
import grp, os, pwd, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.install_doc import parse_unit, read_environment_file

RUN = Path({run!r})

def start(name):
    name = name.removesuffix(".service")
    unit = parse_unit(Path(os.environ["UNIT_DIR"]) / f"{{name}}.service")
    user = unit.value("Service", "User")
    home = pwd.getpwnam(user).pw_dir
    env = {{"PATH": {path!r}, "LANG": "C.UTF-8", "HOME": home, "USER": user, "LOGNAME": user}}
    for path, required in unit.environment_files:
        if path.is_file():
            env.update(read_environment_file(path))
        elif required:
            sys.exit(f"{{name}}: EnvironmentFile {{path}} is missing")
    log = open(RUN / f"{{name}}.log", "ab")
    process = subprocess.Popen(
        unit.exec_start, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        user=user, group=unit.value("Service", "Group"),
        extra_groups=unit.supplementary_groups or [], umask=int(unit.value("Service", "UMask"), 8),
        start_new_session=True, cwd="/",
    )
    (RUN / f"{{name}}.pid").write_text(str(process.pid))
    time.sleep(1.5)
    if process.poll() is not None:
        tail = (RUN / f"{{name}}.log").read_text(errors="replace")[-3000:]
        sys.exit(f"{{name}} exited at once with {{process.returncode}}:\\n{{tail}}")
    print(f"started {{name}} (pid {{process.pid}})")

args = sys.argv[1:]
if args == ["daemon-reload"]:
    sys.exit(0)
if args[:2] == ["enable", "--now"] and len(args) > 2:
    for unit in args[2:]:
        start(unit)
    sys.exit(0)
sys.exit(f"systemctl stand-in: {{' '.join(args)}} is not something it does")
'''

JOURNALCTL = """#!/bin/bash
# journalctl stand-in: what a unit started by the systemctl stand-in printed.
set -e
unit= lines=10
while [ $# -gt 0 ]; do
    case $1 in
        -u) unit=${{2%.service}}; shift 2 ;;
        -n) lines=$2; shift 2 ;;
        *) echo "journalctl stand-in: $1 is not something it does" >&2; exit 1 ;;
    esac
done
tail -n "$lines" {run}/"$unit".log
"""

ASTERISK = """#!/bin/sh
# asterisk stand-in: the PBX's own asterisk binary, inside its chroot and mount namespace.
exec nsenter --target={pid} --mount chroot {rootfs} asterisk -C {conf} "$@"
"""

APT_GET = """#!/bin/bash
# apt-get stand-in: the test installs no system package; it checks each one is there.
[ "$1" = install ] || {{ echo "apt-get stand-in: only install" >&2; exit 1; }}
shift
installed() {{ dpkg-query "$@" -W -f='${{Status}}' "$package" 2>/dev/null | grep -q "install ok installed"; }}
for package in "$@"; do
    case $package in -*) continue ;; esac
    if installed; then echo "$package is installed on this host"
    elif installed --admindir={rootfs}/var/lib/dpkg; then echo "$package is installed on the PBX"
    else echo "apt-get stand-in: $package is not installed. Fix: scripts/setup.sh" >&2; exit 100
    fi
done
"""


@dataclass
class Install:
    """One run of the document: its places, the PBX, the shell state between blocks."""

    root: Path
    sandbox: Sandbox
    web_port: int
    status_port: int
    places: dict[str, str]
    standins: Path
    run_dir: Path
    shell_state: Path
    baseline: Path
    edited: set[str]

    def path(self, place: str) -> Path:
        return Path(self.places[place])

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        return {**keep, "PATH": f"{self.standins}:{self.places['BIN_DIR']}:{SYSTEM_PATH}"}

    def run_block(self, block: DocBlock) -> None:
        script = (
            f'. "{self.shell_state}"\n'
            f"{block.code}"
            # The variables the block made or changed, for the next block (the same shell).
            f'declare -p $(compgen -v | grep -vxF -f "{self.baseline}") > "{self.shell_state}"\n'
        )
        result = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=self.root,
            env=self.env(),
            input=f"{ADMIN_PASSWORD}\n",
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"{block.describe()} failed (exit {result.returncode}):\n{block.code}\n"
                f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}",
                pytrace=False,
            )

    def admin_edits(self) -> None:
        """The prose steps, once the file they edit exists."""
        config = self.path("CONFIG_DIR") / "asterisk-cc.toml"
        if "config" not in self.edited and config.is_file():
            self.edited.add("config")
            self.edit_configuration(config)
        hotline = self.path("CONFIG_DIR") / "ivr" / "hotline.toml"
        if "hotline" not in self.edited and hotline.is_file():
            self.edited.add("hotline")
            self.edit_hotline(hotline)

    def edit_configuration(self, config: Path) -> None:
        ports, tree = self.sandbox.ports, self.sandbox.tree
        text_ = config.read_text(encoding="utf-8")
        for (section, key), value in {
            ("site", "name"): "Install test",
            ("site", "timezone"): "Asia/Shanghai",
            ("database", "url"): f"sqlite:///{self.path('STATE_DIR')}/asterisk-cc.sqlite3",
            ("ari", "url"): f"http://127.0.0.1:{ports.http}/ari",
            ("ari", "status_port"): self.status_port,
            ("ami", "port"): ports.ami,
            ("agi", "port"): ports.agi,
            ("ivr", "flows_dir"): f"{self.places['CONFIG_DIR']}/ivr",
            ("ivr", "sounds_dirs"): [str(self.sandbox.sounds_dir)],
            ("ivr", "queues_conf"): [f"{self.places['ASTERISK_ETC']}/queues.conf"],
            # As Asterisk sees it, inside its chroot.
            ("ivr", "recordings_dir"): str(self.sandbox.spec.recordings_dir),
            ("reports", "output_dir"): f"{self.places['STATE_DIR']}/reports",
            ("reports", "queue_log_file"): str(tree / "log" / "queue_log"),
            ("reports", "cdr_csv_file"): str(tree / "log" / "cdr-csv" / "Master.csv"),
            # Quicker than the default minute, so the test sees the call ingested.
            ("scheduler", "ingest_every_s"): 5,
            ("dialer", "dial_template"): "Local/{digits}@asterisk-cc-sandbox-customers",
            ("web", "port"): self.web_port,
            ("web", "recordings_dir"): f"{self.places['ASTERISK_SPOOL']}/recording",
        }.items():
            text_ = set_toml_key(text_, section, key, value)
        config.write_text(text_, encoding="utf-8")

    def edit_hotline(self, hotline: Path) -> None:
        lines = []
        for line in hotline.read_text(encoding="utf-8").splitlines():
            day = line.split("=", 1)[0].strip()
            if day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holidays"):
                continue
            lines.append(line)
            if line.strip() == "[calendars.office]":
                lines += [f'{d} = "00:00-24:00"' for d in ("mon", "tue", "wed", "thu", "fri")]
                lines += [f'{d} = "00:00-24:00"' for d in ("sat", "sun")]
        hotline.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def apply(self, block: DocBlock) -> None:
        if block.kind == "in-section":
            # This site's FastAGI listens on the test's port, as the document's table allows.
            block = replace(
                block, code=block.code.replace(DOC_FASTAGI_PORT, str(self.sandbox.ports.agi))
            )
        apply_config_block(block, self.path("ASTERISK_ETC"))

    def started_pids(self) -> dict[str, int]:
        return {
            path.stem: int(path.read_text())
            for path in self.run_dir.glob("*.pid")
            if path.read_text().strip()
        }

    def stop_services(self) -> None:
        for pid in self.started_pids().values():
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 15
        for pid in self.started_pids().values():
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)

    def log_of(self, service: str) -> str:
        path = self.run_dir / f"asterisk-cc-{service}.log"
        return path.read_text(errors="replace") if path.exists() else "(no output)"


def _alive(pid: int) -> bool:
    # The services are not this process's children (the systemctl stand-in started them).
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _ensure_pbx_users() -> None:
    """The asterisk user and group, as Debian's asterisk package makes them on a PBX."""
    subprocess.run(
        [
            "adduser",
            "--system",
            "--group",
            "--home",
            "/var/lib/asterisk",
            "--no-create-home",
            "asterisk",
        ],
        check=True,
        capture_output=True,
    )


def _copy_source(target: Path) -> None:
    """The checkout's files (tracked and new, not ignored): an unpacked source tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


@pytest.fixture(scope="module")
def install() -> Iterator[Install]:
    if os.geteuid() != 0:
        reason = "the install test runs the document as root"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    http, ami, agi, web, status = free_loopback_ports(5)
    sandbox = Sandbox(
        f"{sandbox_name()}-stock", ports=SandboxPorts(http=http, ami=ami, agi=agi), stock=True
    )
    try:
        sandbox.down()
        sandbox.up()
    except SandboxError as exc:
        reason = f"the Asterisk 22 sandbox is not available: {exc}"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="asterisk-cc-install-"))
    # The service user walks through these directories to its venv and configuration.
    root.chmod(0o755)
    _ensure_pbx_users()
    # Debian's /etc/asterisk belongs to the asterisk user and group (files 0640).
    etc = sandbox.tree / "etc"
    shutil.chown(etc, "asterisk", "asterisk")
    for path in etc.rglob("*"):
        shutil.chown(path, "asterisk", "asterisk")
    places = {
        "PREFIX": str(root / "opt"),
        "BIN_DIR": str(root / "bin"),
        "CONFIG_DIR": str(root / "etc-asterisk-cc"),
        "STATE_DIR": str(root / "var-lib-asterisk-cc"),
        "ASTERISK_ETC": str(etc),
        "ASTERISK_SPOOL": str(sandbox.tree / "spool"),
        "UNIT_DIR": str(root / "systemd"),
        "SOURCE": str(root / "source"),
    }
    for place in ("BIN_DIR", "UNIT_DIR"):
        Path(places[place]).mkdir()
    _copy_source(Path(places["SOURCE"]))
    standins, run_dir = root / "standins", root / "run"
    standins.mkdir()
    run_dir.mkdir()
    pid = sandbox.running_pid()
    for name, body in {
        "systemctl": SYSTEMCTL.format(
            python=sys.executable, repo=str(REPO), run=str(run_dir), path=SYSTEM_PATH
        ),
        "journalctl": JOURNALCTL.format(run=run_dir),
        "asterisk": ASTERISK.format(
            pid=pid, rootfs=sandbox.rootfs, conf=sandbox.spec.asterisk_conf
        ),
        "apt-get": APT_GET.format(rootfs=sandbox.rootfs),
    }.items():
        (standins / name).write_text(body, encoding="utf-8")
        (standins / name).chmod(0o755)
    baseline = root / "shell-baseline"
    baseline.write_text(
        subprocess.run(
            ["bash", "-c", "compgen -v"], capture_output=True, text=True, check=True
        ).stdout
        + "BASH_COMMAND\nPIPESTATUS\nLINENO\nFUNCNAME\n"
    )
    shell_state = root / "shell-state"
    shell_state.write_text("")
    run = Install(
        root=root,
        sandbox=sandbox,
        web_port=web,
        status_port=status,
        places=places,
        standins=standins,
        run_dir=run_dir,
        shell_state=shell_state,
        baseline=baseline,
        edited=set(),
    )
    try:
        yield run
    finally:
        run.stop_services()
        sandbox.down()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def followed(install: Install) -> Install:
    """Every block of docs/install.md, in order, as tests/install_doc.py says."""
    blocks = parse_doc(INSTALL_DOC.read_text(encoding="utf-8"))
    for block in blocks:
        if block.kind == "variables":
            assert assigned_places(block) == list(PLACES), (
                "step 0 names other places than the test gives values to"
            )
            install.shell_state.write_text(
                "".join(f"export {name}={install.places[name]}\n" for name in PLACES)
            )
        elif block.kind == "run":
            install.run_block(block)
        elif block.kind == "skip":
            continue
        else:
            install.apply(block)
        install.admin_edits()
    assert install.edited == {"config", "hotline"}, "the document never made these files"
    return install


def _prompt_seconds(install: Install, prompt: str) -> float:
    path = install.sandbox.sounds_dir / "zh" / "asterisk-cc" / "hotline" / f"{prompt}.wav"
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


def _wait_for_rows(install: Install, query: str, params: dict[str, str], timeout_s: float) -> list:
    engine = create_engine(f"sqlite:///{install.path('STATE_DIR')}/asterisk-cc.sqlite3")
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            with engine.connect() as connection:
                rows = list(connection.execute(text(query), params))
            if rows or time.monotonic() > deadline:
                return rows
            time.sleep(0.5)
    finally:
        engine.dispose()


def test_the_document_runs_and_every_service_stays_up(followed: Install) -> None:
    pids = followed.started_pids()
    assert set(pids) == {f"asterisk-cc-{s}" for s in SERVICES}
    for service in SERVICES:
        assert _alive(pids[f"asterisk-cc-{service}"]), followed.log_of(service)


def test_the_first_call_of_step_8_is_an_ivr_session(followed: Install) -> None:
    rows = _wait_for_rows(
        followed, "SELECT flow, uniqueid FROM ivr_sessions WHERE flow = 'hotline'", {}, 40
    )
    assert rows, followed.log_of("agi")


def test_a_caller_goes_through_the_ivr_into_a_queue_and_an_agent_answers(
    followed: Install,
) -> None:
    env = read_environment_file(followed.path("CONFIG_DIR") / "asterisk-cc.env")
    # The PBX's ARI and AMI now know the secrets the document made, not the sandbox's own.
    followed.sandbox.spec = replace(
        followed.sandbox.spec,
        ari_password=env["ASTERISK_CC_ARI_PASSWORD"],
        ami_secret=env["ASTERISK_CC_AMI_SECRET"],
    )
    queue_log = QueueLogFollower(followed.sandbox.queue_log_path)
    agent = answering_agent(1, 3)
    added = followed.sandbox.cli(f"queue add member {agent} to support penalty 0 as InstallAgent")
    assert "Added interface" in added, added
    try:
        # Welcome, then 1 (Mandarin) once the language prompt starts, then 0 (an operator).
        script = CallerScript(
            (
                Wait(_prompt_seconds(followed, "welcome") + SETTLE_S),
                Dtmf("1"),
                Wait(1.5),
                Dtmf("0"),
                Wait(25),
            )
        )
        call = followed.sandbox.place_call(
            "hotline@asterisk-cc-ivr", script, caller_id='"Caller" <+8613900000077>'
        )
        try:
            lines = queue_log.wait_for_events(
                call.callee_id, ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"], timeout_s=60
            )
        except SandboxError as exc:
            session = _wait_for_rows(
                followed,
                "SELECT path, outcome FROM ivr_sessions WHERE uniqueid = :uniqueid",
                {"uniqueid": call.callee_id},
                10,
            )
            pytest.fail(
                f"{exc}\nIVR session: {session}\nFastAGI server:\n{followed.log_of('agi')[-3000:]}"
                f"\nAsterisk:\n{followed.sandbox.console_output()[-3000:]}",
                pytrace=False,
            )
    finally:
        followed.sandbox.cli(f"queue remove member {agent} from support")
    assert {line.queue for line in lines} == {"support"}
    assert next(line for line in lines if line.event == "CONNECT").agent == "InstallAgent"
    followed.sandbox.wait_for_hangup(call, timeout_s=30)
    sessions = _wait_for_rows(
        followed,
        # (the caller may go on to the queue's survey, a session of its own)
        "SELECT flow, outcome, language FROM ivr_sessions"
        " WHERE uniqueid = :uniqueid AND flow = 'hotline'",
        {"uniqueid": call.callee_id},
        20,
    )
    assert [tuple(row) for row in sessions] == [("hotline", "queued", "zh")], followed.log_of("agi")
    # The scheduler, running as its unit says, reads the PBX's queue_log into the database.
    ingested = _wait_for_rows(
        followed,
        "SELECT event FROM queue_log_events WHERE callid = :callid",
        {"callid": call.callee_id},
        30,
    )
    assert {"ENTERQUEUE", "CONNECT", "COMPLETEAGENT"} <= {row[0] for row in ingested}, (
        followed.log_of("scheduler")
    )


def test_the_dashboard_lets_the_first_admin_in(followed: Install) -> None:
    base = f"http://127.0.0.1:{followed.web_port}"
    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as client:
        page = client.get("/login")
        assert page.status_code == 200, followed.log_of("web")[-4000:]
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post(
            "/login",
            data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token},
        )
    assert response.status_code == 200
    assert "/login" not in str(response.url), followed.log_of("web")
