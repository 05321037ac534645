"""The whole system, end to end: ``asterisk-cc demo`` plays a few minutes of traffic on a real
Asterisk 22 sandbox with every process of the product running, and then:

- the demo's own checks hold (it exits 0 only if they do): the daily pack's queue figures
  equal the traffic the demo made, queue by queue; every caller reached the queue their way
  through the IVR leads to; no caller was left in a queue; every dial attempt of the campaign
  has an outcome, the one its scripted customer gives; no agent is left logged in; no process
  logged an error or a traceback, and each stopped cleanly;
- the dashboard, in a real browser, shows the day: the wallboard with the queues, the daily
  pack with the queues' figures and the campaign, the supervisor's agents, the campaign's
  attempts.

Screenshots of each page are kept as test artefacts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from asterisk_cc.demo.run import DemoRun, run_demo
from asterisk_cc.sandbox import Sandbox, SandboxPorts
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports, sandbox_name
from tests.browser_fixtures import BrowserUser, browser_page, log_in, screenshots_dir

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]

TRAFFIC_MINUTES = 3.0
QUEUES = ("sales", "support", "vip")


def _check_dashboard(
    run: DemoRun,
    chromium: Any,
    request: pytest.FixtureRequest,
    shot: Callable[[Any, str], Path],
    seen: list[str],
) -> None:
    supervisor = next(user for user in run.users if user[2] == "supervisor")
    today = datetime.now(ZoneInfo(run.settings.site.timezone)).date().isoformat()
    dialogs: list[Any] = []
    with browser_page(chromium, run.site.dashboard_url.rstrip("/"), dialogs, request) as page:
        log_in(page, BrowserUser(supervisor[0], supervisor[1], "supervisor", supervisor[0]))

        page.goto("/wallboard/")
        for queue in QUEUES:
            expect(page.locator("body")).to_contain_text(queue)
        shot(page, "wallboard")

        # The day's pack: built in the background on the first visit, the page refreshes
        # itself when it is ready.
        page.goto(f"/reports/?day={today}")
        queues_table = page.locator("table").filter(has_text="Offered").first
        expect(queues_table).to_be_visible(timeout=120_000)
        for queue in QUEUES:
            expect(page.locator("body")).to_contain_text(queue)
        expect(page.locator("body")).to_contain_text("demo-outbound")
        # The charts are drawn from the same day (loaded lazily: scrolled to, then drawn).
        page.locator(".charts img").first.scroll_into_view_if_needed()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.charts img')].slice(0, 2)"
            ".every(img => img.complete && img.naturalWidth > 0)",
            timeout=60_000,
        )
        shot(page, "daily-pack")

        page.goto("/supervise/")
        expect(page.locator("#agents")).to_contain_text("8001")
        shot(page, "supervisor-agents")

        page.goto("/campaigns/")
        expect(page.locator("body")).to_contain_text("demo-outbound")
        page.get_by_role("link", name="demo-outbound").first.click()
        expect(page.locator("body")).to_contain_text(re.compile(r"[Aa]ttempts"))
        shot(page, "campaign")
    assert dialogs == []
    seen.append("dashboard")


def test_demo_traffic_is_reported_as_made_and_the_dashboard_shows_it(
    asterisk: AsteriskSandbox,
    chromium: Any,
    request: pytest.FixtureRequest,
    shot: Callable[[Any, str], Path],
) -> None:
    # `asterisk` makes sure a sandbox can run here (and fails loudly in CI if not); the demo
    # brings up, and stops, an instance of its own on other ports.
    name = f"{sandbox_name()}-demo"
    http, ami, agi, web = free_loopback_ports(4)
    out = io.StringIO()
    progress: list[str] = []
    seen: list[str] = []
    code = run_demo(
        minutes=TRAFFIC_MINUTES,
        agents=6,
        customers=500,
        name=name,
        ports=SandboxPorts(http=http, ami=ami, agi=agi),
        web_port=web,
        out=out,
        progress=progress.append,
        after_traffic=lambda run: _check_dashboard(run, chromium, request, shot, seen),
    )
    report = out.getvalue()
    (screenshots_dir() / "whole-system-demo.txt").write_text(
        report + "\n" + "\n".join(progress), encoding="utf-8"
    )
    assert code == 0, report + "\n".join(progress[-30:])
    assert seen == ["dashboard"]
    assert report.rstrip().endswith("demo: the report agrees with the traffic; nothing was lost")
    # Traffic there was: callers in every way of the summary's queues, the campaign dialled.
    offered = {
        m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+) \(\2\)", report, re.M)
    }
    assert sum(offered.values()) >= 5, report
    attempts = re.search(r"campaign: (\d+) attempts", report)
    assert attempts is not None and int(attempts.group(1)) > 0, report
    assert any("agents logged in by phone" in line for line in progress)
    assert any("stopping Asterisk" in line for line in progress)
    assert not Sandbox(name).status().running
