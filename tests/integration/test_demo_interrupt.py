"""``asterisk-cc demo`` without ``--minutes`` plays traffic until Ctrl-C; Ctrl-C stops it
cleanly: no new callers, the calls in progress end, the report is made and checked, every
process and Asterisk stop, nothing is left running."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import threading

import pytest

from asterisk_cc.demo.run import run_demo
from asterisk_cc.sandbox import Sandbox, SandboxPorts
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports, sandbox_name

pytestmark = pytest.mark.asterisk

TRAFFIC_BEFORE_CTRL_C_S = 40.0


def test_ctrl_c_ends_the_traffic_makes_the_report_and_stops_everything(
    asterisk: AsteriskSandbox,
) -> None:
    name = f"{sandbox_name()}-demo-stop"
    http, ami, agi, web = free_loopback_ports(4)
    out = io.StringIO()
    progress: list[str] = []
    timers: list[threading.Timer] = []

    def on_progress(message: str) -> None:
        progress.append(message)
        if "callers planned" in message and not timers:
            # Ctrl-C as a person at the terminal presses it, once the traffic is under way.
            timer = threading.Timer(
                TRAFFIC_BEFORE_CTRL_C_S, os.kill, args=(os.getpid(), signal.SIGINT)
            )
            timers.append(timer)
            timer.start()

    try:
        code = run_demo(
            minutes=None,
            agents=4,
            customers=300,
            name=name,
            ports=SandboxPorts(http=http, ami=ami, agi=agi),
            web_port=web,
            out=out,
            progress=on_progress,
        )
    finally:
        for timer in timers:
            timer.cancel()
    report = out.getvalue()
    assert timers, "the traffic never started:\n" + "\n".join(progress)
    assert code == 0, report + "\n".join(progress[-30:])
    assert "Traffic plays until Ctrl-C" in report
    assert any("traffic stopped early (Ctrl-C)" in line for line in progress)
    assert report.rstrip().endswith("demo: the report agrees with the traffic; nothing was lost")
    # Nothing of the demo is left running: no process on its configuration, no Asterisk.
    config = Sandbox(name).state_dir / "asterisk-cc.toml"
    left = subprocess.run(
        ["pgrep", "-f", str(config)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert left == []
    assert not Sandbox(name).status().running
