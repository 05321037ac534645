"""The live pages on the real Asterisk 22 sandbox, in the real browser: the dashboard server
and the ARI controller run as the site runs them (processes of their own, one configuration),
scripted calls go into the sandbox's queues, and the pages change without a reload.

* The wallboard: a call entering a queue shows in the calls-waiting figure within seconds.
* The agent desktop: an agent logged in by phone gets the call, the screen pop names the
  customer (whose name is a script: shown as text), the agent hangs up from the desktop and
  sets the disposition, which the controller stores on the call.
* The supervisor's agents page: Listen calls the supervisor's phone; the session is listed
  under *Monitoring now* and goes from the list when the supervisor hangs up, without a
  reload; Stop ends it at the controller.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select

from asterisk_cc.ari.control import ControllerClient
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import load_settings
from asterisk_cc.core.vocabulary import CallDirection
from asterisk_cc.db.agents import hash_pin
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    Customer,
    CustomerPhone,
    Interaction,
    Queue,
    QueueSkill,
    Skill,
)
from asterisk_cc.sandbox import (
    CallerScript,
    Dtmf,
    PlacedCall,
    Wait,
    answering_agent,
    free_loopback_ports,
)
from tests.asterisk_fixtures import AsteriskSandbox
from tests.browser_fixtures import (
    USERS,
    ControllerProcess,
    DashboardServer,
    browser_page,
    log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]

Shot = Callable[[Any, str], Path]
LOGIN, PIN = "1001", "4821"
WALLBOARD_UPDATE_S = 5.0
"""How soon a call entering a queue must show on the wallboard (the feed polls AMI twice a
second; the rest is the stream and the page)."""


@dataclass
class Floor:
    asterisk: AsteriskSandbox
    dashboard: DashboardServer
    controller: ControllerProcess

    def controller_action(self, action: str) -> None:
        settings = load_settings(self.dashboard.config, needed_by="web")
        client = ControllerClient(self.controller.url, control_token(settings.web.secret_key))
        try:
            client.agent(LOGIN, action)
        finally:
            client.close()

    def agent_state(self) -> str | None:
        agent = self.controller.status().get("agents", {}).get(LOGIN)
        return agent["state"] if agent else None

    def wait_until(self, what: str, check: Callable[[], bool], timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"waited {timeout_s:.0f} s for {what}: {self.controller.status()}")
            time.sleep(0.2)


def seed_floor(engine: Engine) -> None:
    """Agent 1001 (with a PIN, skilled for sales) and agent 1002; the sales queue."""
    with session_factory(engine)() as session:
        skill = Skill(name="sales")
        queue = Queue(name="sales", wrapup_limit_s=120)
        agent = Agent(login=LOGIN, name="Ann Agent", interface="PJSIP/1001", pin_hash=hash_pin(PIN))
        other = Agent(login="1002", name="Bo Agent", interface="PJSIP/1002")
        session.add_all([skill, queue, agent, other])
        session.flush()
        session.add_all(
            [
                QueueSkill(queue_id=queue.id, skill_id=skill.id, min_level=1, penalty=0),
                AgentSkill(agent_id=agent.id, skill_id=skill.id, level=5, penalty=0),
            ]
        )
        session.commit()


@pytest.fixture(scope="module")
def floor(asterisk: AsteriskSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Floor]:
    workdir = tmp_path_factory.mktemp("live-floor")
    config = asterisk.sandbox.write_config(
        workdir / "cc.toml", database_url=f"sqlite:///{workdir / 'cc.sqlite3'}"
    )
    (control_port,) = free_loopback_ports(1)
    # The sandbox's configuration turns the controller's endpoint off (several sandboxes may
    # share a host); this floor has one, on a port of its own, for the dashboard to reach.
    environment = {"ASTERISK_CC_ARI_STATUS_PORT": str(control_port)}
    dashboard = DashboardServer("live-floor", config, workdir, environment=dict(environment))
    dashboard.prepare(seed=seed_floor)
    controller = ControllerProcess(config, workdir, dict(environment))
    controller.start()
    try:
        dashboard.start()
        try:
            yield Floor(asterisk, dashboard, controller)
        finally:
            dashboard.stop()
    finally:
        controller.stop()


@pytest.fixture
def floor_page(
    chromium: Any, floor: Floor, page_dialogs: list[Any], request: pytest.FixtureRequest
) -> Iterator[Any]:
    with browser_page(chromium, floor.dashboard.url, page_dialogs, request) as opened:
        yield opened


def mark_no_reload(page: Any) -> None:
    """A flag in the page's window: gone if the page is loaded again."""
    page.evaluate("window.__stillTheSamePage = true")


def assert_not_reloaded(page: Any) -> None:
    assert page.evaluate("window.__stillTheSamePage === true"), "the page was loaded again"


def test_the_wallboard_shows_a_call_waiting_without_a_reload(
    floor: Floor, floor_page: Any, shot: Shot
) -> None:
    page = floor_page
    log_in(page, USERS["supervisor"], next_path="/wallboard/")
    expect(page).to_have_url("/wallboard/")
    waiting = page.locator("#wb-total-waiting")
    expect(waiting).to_have_text("0", timeout=15_000)
    mark_no_reload(page)
    shot(page, "before-the-call")

    call = floor.asterisk.call_queue("sandbox-empty", hold_s=30)
    placed = time.monotonic()
    try:
        expect(waiting).to_have_text("1", timeout=WALLBOARD_UPDATE_S * 1000)
        shown_after_s = time.monotonic() - placed
        print(f"the wallboard showed the waiting call {shown_after_s:.2f} s after it was placed")
        queue_card = page.locator('[data-queue="sandbox-empty"]')
        expect(queue_card.locator('[data-field="waiting"]')).to_have_text("1")
        assert_not_reloaded(page)
        shot(page, "call-waiting")
    finally:
        floor.asterisk.hang_up(call)
    expect(waiting).to_have_text("0", timeout=WALLBOARD_UPDATE_S * 1000)
    assert_not_reloaded(page)


def log_in_by_phone(floor: Floor) -> PlacedCall:
    """The agent's phone dials *45, keys the agent number and the PIN, and stays on."""
    script = CallerScript((Wait(2), Dtmf(f"{LOGIN}#"), Wait(3), Dtmf(f"{PIN}#"), Wait(300)))
    return floor.asterisk.call("*45@asterisk-cc-agent-features", script)


def seed_caller(floor: Floor, linkedid: str, name: str) -> None:
    """What the IVR records for a caller it recognised before sending them to the queue: the
    call, with its customer."""
    with floor.dashboard.engine() as engine, session_factory(engine)() as session:
        customer = Customer(name=name, account_number=f"AC-{uuid.uuid4().hex[:8]}")
        session.add(customer)
        session.flush()
        session.add(CustomerPhone(customer_id=customer.id, phone_e164="+8613800138000"))
        session.add(
            Interaction(
                uniqueid=linkedid,
                linkedid=linkedid,
                direction=CallDirection.INBOUND,
                customer_id=customer.id,
                caller_e164="+8613800138000",
                started_at=datetime.now(UTC),
            )
        )
        session.commit()


def test_an_agent_gets_the_screen_pop_and_sets_the_disposition(
    floor: Floor, floor_page: Any, page_dialogs: list[Any], shot: Shot
) -> None:
    page = floor_page
    phone = log_in_by_phone(floor)
    try:
        floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
        log_in(page, USERS["agent"])
        expect(page).to_have_url("/desktop/")
        desktop = page.locator("#desktop")
        expect(desktop).to_have_attribute("data-state", "ready", timeout=10_000)

        # A pause from the desktop: the call that comes now waits in the queue.
        page.get_by_label("Pause reason").select_option("break")
        page.get_by_role("button", name="Pause", exact=True).click()
        floor.wait_until("the pause", lambda: floor.agent_state() == "paused")
        expect(desktop).to_have_attribute("data-state", "paused", timeout=10_000)
        mark_no_reload(page)

        caller = floor.asterisk.call_queue("sales", hold_s=120)
        marker = uuid.uuid4().hex[:8]
        name = f"<script>alert('pop-{marker}')</script> Zhang Wei"
        seed_caller(floor, caller.linkedid, name)
        # The pause ends elsewhere (the agent's phone, a supervisor): the open desktop learns
        # of it, and of the call, from its stream alone; nobody touches the page (the desktop
        # may load itself again for the new call's forms).
        expect(page.locator("#pop .pop-name")).to_have_count(0)
        floor.controller_action("unpause")
        floor.wait_until("the call at the agent", lambda: floor.agent_state() == "talking")

        # The screen pop arrives by the stream: the customer, by name, as text.
        expect(page.locator("#pop .pop-name")).to_have_text(name, timeout=10_000)
        expect(desktop).to_have_attribute("data-state", "talking")
        assert page.locator("#pop script").count() == 0
        shot(page, "screen-pop")

        page.get_by_role("button", name="Hang up").click()
        floor.wait_until("wrap-up", lambda: floor.agent_state() == "wrap_up")
        expect(desktop).to_have_attribute("data-state", "wrap_up", timeout=10_000)
        page.get_by_label("Disposition").select_option("resolved")
        page.get_by_label("Note").first.fill("Refund explained")
        page.get_by_role("button", name="Save").click()
        floor.wait_until("the disposition", lambda: disposition_of(floor, caller) == "resolved")
        shot(page, "disposition-saved")

        page.get_by_role("button", name="Ready").click()
        floor.wait_until("ready again", lambda: floor.agent_state() == "ready")
        assert [d for d in page_dialogs if marker in d["message"]] == []
    finally:
        floor.asterisk.hang_up(phone)
        floor.wait_until("the log-out", lambda: floor.agent_state() is None)


def disposition_of(floor: Floor, call: PlacedCall) -> str | None:
    with floor.dashboard.engine() as engine, session_factory(engine)() as session:
        return session.scalar(
            select(Interaction.disposition).where(Interaction.linkedid == call.linkedid)
        )


# The supervisor's phone: answers at once and stays on until hung up (or 5 minutes pass).
SUPERVISOR_PHONE = answering_agent(0, 300)


def monitorings(floor: Floor) -> list[dict[str, Any]]:
    return list(floor.controller.status().get("monitorings", []))


def listen(page: Any) -> None:
    row = page.locator(f'#agents tr[data-login="{LOGIN}"]')
    listen_button = row.get_by_role("button", name="Listen")
    expect(listen_button).to_be_enabled(timeout=10_000)
    with page.expect_navigation():
        listen_button.click()
    expect(page.get_by_text(f"answer to listen to {LOGIN}")).to_be_visible()


def test_a_supervisor_listens_and_stops_from_the_agents_page(
    floor: Floor, floor_page: Any, shot: Shot
) -> None:
    page = floor_page
    phone = log_in_by_phone(floor)
    try:
        floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
        log_in(page, USERS["supervisor"], next_path="/supervise/")
        expect(page).to_have_url("/supervise/")
        page.get_by_label("Your phone").fill(SUPERVISOR_PHONE)
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        section = page.locator("#monitorings")
        expect(section).to_be_hidden()

        listen(page)
        session_row = section.locator("tbody tr")
        expect(session_row).to_have_count(1, timeout=10_000)
        expect(session_row.locator('[data-field="status"]')).to_have_text(
            "Connected", timeout=10_000
        )
        expect(session_row.locator('[data-field="supervisor"]')).to_have_text(
            USERS["supervisor"].display_name
        )
        expect(session_row.locator('[data-field="agent"]')).to_have_text(LOGIN)
        shot(page, "monitoring")
        # The supervisor hangs up: the session leaves the list by the stream alone.
        mark_no_reload(page)
        (running,) = monitorings(floor)
        floor.asterisk.ari.delete(f"/channels/{running['session']}-phone")
        expect(section).to_be_hidden(timeout=10_000)
        assert_not_reloaded(page)

        # Again, and this time Stop on the page ends it at the controller.
        listen(page)
        expect(session_row.locator('[data-field="status"]')).to_have_text(
            "Connected", timeout=10_000
        )
        with page.expect_navigation():
            session_row.get_by_role("button", name="Stop").click()
        expect(page.get_by_text(f"Monitoring of {LOGIN} stopped.")).to_be_visible()
        assert monitorings(floor) == []
        expect(section).to_be_hidden(timeout=10_000)
        shot(page, "stopped")
    finally:
        floor.asterisk.hang_up(phone)
        floor.wait_until("the log-out", lambda: floor.agent_state() is None)
