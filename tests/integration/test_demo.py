"""The README's main job, end to end: `asterisk-cc demo` on a sandbox of its own."""

from __future__ import annotations

import io

import pytest

from asterisk_cc.demo import run_demo
from asterisk_cc.sandbox import Sandbox, SandboxPorts
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports, sandbox_name

pytestmark = pytest.mark.asterisk


def test_the_demo_call_is_recorded_alike_by_every_part(asterisk: AsteriskSandbox) -> None:
    # `asterisk` makes sure a sandbox can run here (and fails loudly in CI if not); the demo
    # brings up, and stops, an instance of its own on other ports.
    name = f"{sandbox_name()}-demo"
    http, ami, agi = free_loopback_ports(3)
    out = io.StringIO()
    progress: list[str] = []
    code = run_demo(
        dtmf="4,2#",
        name=name,
        ports=SandboxPorts(http=http, ami=ami, agi=agi),
        out=out,
        progress=progress.append,
    )
    report = out.getvalue()
    assert code == 0, report
    assert "digits='42'" in report
    assert "path=greeting > collect > queue outcome=queue" in report
    assert "|support|Demo Agent|CONNECT|" in report
    assert "Queue ANSWERED" in report
    assert report.rstrip().endswith("demo: every record agrees with the call")
    assert any("stopping Asterisk" in line for line in progress)
    assert not Sandbox(name).status().running
