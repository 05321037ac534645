"""A supervisor presses Listen on the dashboard's agents page, on the real Asterisk 22 sandbox
and the real ARI controller (reached over its loopback endpoint with the real
ControllerClient): the supervisor's phone is called and connected to the agent's call; the
controller's status lists the session as the supervisor's, whose Stop on the page ends it; the
audit log holds the session, completed with its duration, and the stop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from asterisk_cc.ari.control import ControllerClient
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.core.live_state import AgentLive, LinkStatus, LiveState
from asterisk_cc.core.wallboard import parse_monitorings
from asterisk_cc.db.models import AuditLogEntry
from asterisk_cc.db.users import create_user
from asterisk_cc.web.app import create_app
from tests.asterisk_fixtures import AsteriskSandbox
from tests.integration.test_ari_agents import LOGIN, running_floor
from tests.integration.test_ari_control import with_control_port
from tests.integration.test_supervision import (
    SUPERVISOR_PHONE,
    Watch,
    agent_with_a_call,
    audited,
    wait_connected,
    wait_torn_down,
)
from tests.web_fixtures import StaticLiveFeed, post

pytestmark = pytest.mark.asterisk

PASSWORD = "li.na-password-2026"


@dataclass
class Dashboard:
    watch: Watch
    client: FlaskClient
    live: StaticLiveFeed
    controller: ControllerClient


def monitoring_entries(watch: Watch) -> list[AuditLogEntry]:
    """The audit log without the supervisor's log-in."""
    return [entry for entry in watch.audit() if entry.action.startswith("supervise_")]


@pytest.fixture
def dashboard(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[Dashboard]:
    with running_floor(asterisk, tmp_path, adjust=with_control_port) as floor:
        settings = floor.settings
        assert settings is not None and settings.web.secret_key
        with Session(floor.engine) as session, session.begin():
            supervisor = create_user(
                session, username="li.na", password=PASSWORD, role="supervisor"
            ).id
        controller = ControllerClient(
            f"http://127.0.0.1:{settings.ari.status_port}", control_token(settings.web.secret_key)
        )
        live = StaticLiveFeed(
            LiveState(
                version=1,
                at=datetime.now(UTC),
                link=LinkStatus(ami=True, controller=True, asterisk=True),
            )
        )
        app = create_app(settings, floor.engine, controller=controller, live=live)
        client = app.test_client()
        response = post(client, "/login", {"username": "li.na", "password": PASSWORD})
        assert response.status_code == 302
        watch = Watch(floor, floor.controller.supervision, supervisor, agent_user=0)
        try:
            yield Dashboard(watch, client, live, controller)
        finally:
            floor.controller.call(watch.supervision.close())
            controller.close()


def test_a_supervisor_listens_from_the_dashboard(dashboard: Dashboard) -> None:
    watch, client = dashboard.watch, dashboard.client
    _, (phone, caller) = agent_with_a_call(watch)
    # The live feed shows the agent on the call, as the dashboard's poller would.
    dashboard.live.publish(
        agents={
            LOGIN: AgentLive(
                LOGIN, "Zhao Min", "talking", None, datetime.now(UTC), caller.linkedid, ("sales",)
            )
        }
    )
    response = post(client, "/supervise/phone", {"endpoint": SUPERVISOR_PHONE})
    assert response.status_code == 303
    response = post(client, f"/supervise/agents/{LOGIN}/monitor", {"mode": "listen"})
    assert response.status_code == 303
    page = client.get("/supervise/").get_data(as_text=True)
    assert f"answer to listen to {LOGIN}" in page

    # The controller called the supervisor's phone, which answered and joined the snoop.
    (session_id,) = watch.active()
    snoop = wait_connected(watch, session_id)
    assert snoop["dialplan"]["app_data"].endswith(f"{session_id},listen,spy=both,whisper=none")
    (entry,) = monitoring_entries(watch)
    assert (entry.action, entry.user_id, entry.target) == (
        "supervise_listen",
        watch.supervisor,
        f"agent:{LOGIN}",
    )
    details = entry.details or {}
    assert details["endpoint"] == SUPERVISOR_PHONE and details["linkedid"] == caller.linkedid

    time.sleep(1.2)  # a second of listening, for the audit's duration
    # The controller's status names the session and who started it; the live feed brings it
    # to the page, as the dashboard's poller would.
    now = datetime.now(UTC)
    (running,) = parse_monitorings(dashboard.controller.status(), now)
    assert (running.session, running.user_id, running.agent, running.mode) == (
        session_id,
        watch.supervisor,
        LOGIN,
        "listen",
    )
    assert running.endpoint == SUPERVISOR_PHONE and running.connected_at is not None
    dashboard.live.publish(monitorings=(running,))
    page = client.get("/supervise/").get_data(as_text=True)
    assert f'action="/supervise/monitorings/{session_id}/stop"' in page
    # Stop on the page: the real client asks the real controller, which tears the session down.
    response = post(client, f"/supervise/monitorings/{session_id}/stop")
    assert response.status_code == 303
    assert f"Monitoring of {LOGIN} stopped." in client.get("/supervise/").get_data(as_text=True)
    wait_torn_down(watch, session_id)
    (entry,) = monitoring_entries(watch)
    assert audited(entry, session_id)
    assert (entry.details or {})["duration_s"] >= 1
    assert (entry.details or {})["end_reason"] == "stopped"
    (stopped,) = [e for e in watch.audit() if e.action == "monitor_stop"]
    assert (stopped.user_id, stopped.target) == (watch.supervisor, f"agent:{LOGIN}")
    assert (stopped.details or {})["session"] == session_id
    # Gone at the controller: its status no longer lists it, and stopping again says so.
    assert parse_monitorings(dashboard.controller.status(), now) == ()
    assert dashboard.controller.stop_supervising(session_id) is False
    watch.floor.asterisk.hang_up(caller, phone)


def test_a_refusal_of_the_real_controller_is_shown(dashboard: Dashboard) -> None:
    """The agent is not logged in at the controller: its refusal is a message on the page."""
    dashboard.live.publish(
        agents={
            LOGIN: AgentLive(LOGIN, "Zhao Min", "ready", None, datetime.now(UTC), None, ("sales",))
        }
    )
    client = dashboard.client
    post(client, "/supervise/phone", {"endpoint": SUPERVISOR_PHONE})
    response = post(client, f"/supervise/agents/{LOGIN}/monitor", {"mode": "barge"})
    assert response.status_code == 303
    page = client.get("/supervise/").get_data(as_text=True)
    assert f"The controller refused: agent {LOGIN} is not logged in" in page
    assert monitoring_entries(dashboard.watch) == []
