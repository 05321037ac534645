"""A second sandbox instance: up, status, idempotence, down — and nothing left behind.

It runs beside the session's instance on ports of its own, which is also the proof that two
instances on one host never cross.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from asterisk_cc.sandbox import Sandbox, SandboxPorts
from asterisk_cc.sandbox.rootfs import mounts_under
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports, sandbox_name

pytestmark = pytest.mark.asterisk

NAME = f"{sandbox_name()}-lifecycle"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asterisk_cc", "sandbox", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def asterisk_processes_of(sandbox: Sandbox) -> list[int]:
    """Processes running the instance's Asterisk, found by its private asterisk.conf."""
    conf = str(sandbox.spec.asterisk_conf).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if conf in (entry / "cmdline").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def second(asterisk: AsteriskSandbox) -> Iterator[Sandbox]:
    # Depends on the session sandbox: the rootfs is then known to exist, and both run at once.
    http, ami, agi = free_loopback_ports(3)
    sandbox = Sandbox(NAME, ports=SandboxPorts(http=http, ami=ami, agi=agi))
    sandbox.down()
    try:
        yield sandbox
    finally:
        sandbox.down()


def test_up_status_down_leaves_nothing_behind(asterisk: AsteriskSandbox, second: Sandbox) -> None:
    status = second.up()
    assert status.running and status.pid is not None
    assert status.ari_url == f"http://127.0.0.1:{second.ports.http}/ari"
    assert status.ports != asterisk.ports
    # Both instances answer, each on its own ports.
    assert "sandbox-answering" in second.cli("queue show sandbox-answering")
    assert asterisk.ari.get("/asterisk/ping").status_code == 200

    # up on a running instance is a no-op: same process.
    assert second.up().pid == status.pid

    # /proc, /dev, /sys are mounted in Asterisk's own mount namespace only, never on the host.
    assert mounts_under(second.rootfs) == []
    # (Asterisk sees them relative to its chroot.)
    asterisk_mounts = Path(f"/proc/{status.pid}/mountinfo").read_text()
    for point in ("/proc", "/dev", "/dev/pts", "/sys"):
        assert f" {point} " in asterisk_mounts

    second.down()
    assert not second.status().running
    assert asterisk_processes_of(second) == []
    assert mounts_under(second.rootfs) == []
    second.down()  # idempotent
    # The session's instance was not touched.
    assert asterisk.ari.get("/asterisk/ping").status_code == 200


def test_command_line_status_and_exit_codes(asterisk: AsteriskSandbox, second: Sandbox) -> None:
    stopped = run_cli("status", "--name", NAME)
    assert stopped.returncode == 1
    assert "stopped" in stopped.stdout

    ports = second.ports
    up = run_cli(
        "up",
        "--name",
        NAME,
        "--http-port",
        str(ports.http),
        "--ami-port",
        str(ports.ami),
        "--agi-port",
        str(ports.agi),
    )
    assert up.returncode == 0, up.stderr
    assert "starting Asterisk" in up.stderr
    assert "Traceback" not in up.stderr

    status = run_cli("status", "--name", NAME)
    assert status.returncode == 0
    assert f"http://127.0.0.1:{ports.http}/ari" in status.stdout
    for port in (ports.http, ports.ami, ports.agi):
        assert str(port) in status.stdout

    down = run_cli("down", "--name", NAME)
    assert down.returncode == 0
    assert run_cli("status", "--name", NAME).returncode == 1
    assert asterisk_processes_of(second) == []


def test_a_port_in_use_is_a_clear_error(asterisk: AsteriskSandbox, second: Sandbox) -> None:
    taken = SandboxPorts(http=asterisk.ports.http, ami=second.ports.ami, agi=second.ports.agi)
    result = run_cli(
        "up",
        "--name",
        NAME,
        "--http-port",
        str(taken.http),
        "--ami-port",
        str(taken.ami),
        "--agi-port",
        str(taken.agi),
    )
    assert result.returncode == 5
    assert f"port {taken.http}" in result.stderr and "already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_written_config_targets_the_sandbox(asterisk: AsteriskSandbox, tmp_path: Path) -> None:
    from asterisk_cc.config import load_settings

    path = asterisk.sandbox.write_config(tmp_path / "sandbox.toml")
    assert os.stat(path).st_mode & 0o077 == 0
    settings = load_settings(path, environ={})
    assert settings.ari.url == asterisk.sandbox.ari_url
    assert settings.ari.password == asterisk.sandbox.spec.ari_password
    assert (settings.ami.port, settings.ami.secret) == (
        asterisk.ports.ami,
        asterisk.sandbox.spec.ami_secret,
    )
    assert settings.agi.port == asterisk.agi_port

    check = subprocess.run(
        [sys.executable, "-m", "asterisk_cc", "--config", str(path), "check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "OK    ari" in check.stdout and "OK    ami" in check.stdout, check.stdout + check.stderr
