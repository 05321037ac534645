"""Asterisk 22 boots cleanly with the project's conf/asterisk snippets, and ARI/AMI answer."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from pathlib import Path

import httpx
import pytest

from asterisk_cc.errors import AsteriskUnreachable
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

PROJECT_CONTEXTS = (
    "asterisk-cc-ivr",
    "asterisk-cc-failover",
    "asterisk-cc-queue",
    "asterisk-cc-agent",
    "asterisk-cc-agent-features",
)


def test_it_is_asterisk_22(asterisk: AsteriskSandbox) -> None:
    assert re.match(r"Asterisk 22\.\d+", asterisk.cli("core show version"))


def test_boots_without_warnings_or_errors(asterisk: AsteriskSandbox) -> None:
    # A misspelt key in the project's snippets (say "leaveempty") or a module that cannot load
    # shows up here as a WARNING or ERROR line.
    # Only the boot: calls of other tests may log warnings afterwards (a refused FastAGI...).
    console = asterisk.sandbox.console_output()
    assert "Asterisk Ready." in console
    boot = console.split("Asterisk Ready.")[0]
    problems = [line for line in boot.splitlines() if "WARNING[" in line or "ERROR[" in line]
    assert problems == []


@pytest.mark.parametrize("context", PROJECT_CONTEXTS)
def test_project_context_is_loaded(asterisk: AsteriskSandbox, context: str) -> None:
    output = asterisk.cli(f"dialplan show {context}")
    assert f"Context '{context}' created by 'pbx_config'" in output
    assert "extensions_asterisk_cc.conf" in output


def test_ivr_reaches_fastagi_at_the_sandbox_port(asterisk: AsteriskSandbox) -> None:
    assert "AGI(${ASTERISK_CC_AGI_URL}/${EXTEN})" in asterisk.cli("dialplan show asterisk-cc-ivr")
    globals_ = asterisk.cli("dialplan show globals")
    assert f"ASTERISK_CC_AGI=agi://127.0.0.1:{asterisk.agi_port}" in globals_


@pytest.mark.parametrize(
    ("queue", "strategy", "service_level_s"),
    [("support", "leastrecent", 20), ("sales", "leastrecent", 15), ("vip", "leastrecent", 10)],
)
def test_project_queues_are_loaded(
    asterisk: AsteriskSandbox, queue: str, strategy: str, service_level_s: int
) -> None:
    output = asterisk.cli(f"queue show {queue}")
    assert output.startswith(f"{queue} has 0 calls")
    assert f"in '{strategy}' strategy" in output
    assert f"within {service_level_s}s" in output


def test_queue_template_is_not_a_queue(asterisk: AsteriskSandbox) -> None:
    assert "No such queue" in asterisk.cli("queue show asterisk-cc-queue-defaults")


def test_ari_answers_with_the_instance_password(asterisk: AsteriskSandbox) -> None:
    response = asterisk.ari.get("/asterisk/info")
    assert response.status_code == 200
    assert response.json()["system"]["version"].startswith("22.")


@pytest.mark.parametrize("auth", [("asterisk-cc", "wrong-password"), None])
def test_ari_refuses_a_wrong_or_missing_password(
    asterisk: AsteriskSandbox, auth: tuple[str, str] | None
) -> None:
    response = httpx.get(f"{asterisk.sandbox.ari_url}/asterisk/info", auth=auth, timeout=5)
    assert response.status_code == 401


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP/UDP socket process ``pid`` listens on or is bound to."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    bound = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            listening = state == "0A" if table.startswith("tcp") else state == "07"
            if inode in inodes and listening:
                address_hex, port_hex = local.split(":")
                if len(address_hex) == 8:
                    address = str(ipaddress.IPv4Address(bytes.fromhex(address_hex)[::-1]))
                else:
                    address = "ipv6:" + address_hex
                bound.add((address, int(port_hex, 16)))
    return bound


def test_listens_only_on_its_own_loopback_ports(asterisk: AsteriskSandbox) -> None:
    # No SIP (5060), IAX (4569), DUNDi (4520)... that a real PBX on the host may own: only
    # HTTP/ARI and AMI, on loopback, on the instance's ports.
    pid = asterisk.sandbox.running_pid()
    assert pid is not None
    assert listening_sockets(pid) == {
        ("127.0.0.1", asterisk.ports.http),
        ("127.0.0.1", asterisk.ports.ami),
    }
    assert f"Bound to 127.0.0.1:{asterisk.ports.http}" in asterisk.cli("http show status")
    settings = asterisk.cli("manager show settings")
    assert re.search(rf"TCP Bindaddress:\s+127\.0\.0\.1:{asterisk.ports.ami}\b", settings)


def test_ami_login_and_an_action(asterisk: AsteriskSandbox) -> None:
    with asterisk.ami_connect() as ami:
        settings = ami.action("CoreSettings")
    assert settings.get("AsteriskVersion").startswith("22.")


def test_ami_refuses_a_wrong_secret(asterisk: AsteriskSandbox) -> None:
    from asterisk_cc.ami.client import AmiClient

    with pytest.raises(AsteriskUnreachable, match="refused"):
        AmiClient.connect("127.0.0.1", asterisk.ports.ami, "asterisk-cc", "wrong-secret")


def test_secrets_are_random_per_instance_not_placeholders(asterisk: AsteriskSandbox) -> None:
    spec = asterisk.sandbox.spec
    for secret in (spec.ari_password, spec.ami_secret):
        assert "CHANGE_ME" not in secret and len(secret) >= 32
    installed = asterisk.sandbox.tree / "etc" / "asterisk-cc"
    for name in ("ari_asterisk_cc.conf", "manager_asterisk_cc.conf"):
        path = installed / name
        assert "CHANGE_ME" not in path.read_text(encoding="utf-8")
        assert path.stat().st_mode & 0o077 == 0
    state = asterisk.sandbox.state_dir / "sandbox.json"
    assert state.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "extension",
    [
        "demo@asterisk-cc-ivr",
        "support@asterisk-cc-queue",
        # FreePBX numbers its queues
        "400@asterisk-cc-queue",
        "1001@asterisk-cc-agent",
        "agent7@asterisk-cc-agent",
        "*45@asterisk-cc-agent-features",
    ],
)
def test_the_extensions_admins_route_to_exist(asterisk: AsteriskSandbox, extension: str) -> None:
    # Asterisk's own pattern matcher decides: N, X, Z and '-' in a pattern are traps.
    assert "-= 1 extension" in asterisk.cli(f"dialplan show {extension}")
