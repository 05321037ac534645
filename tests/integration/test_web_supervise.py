"""A supervisor presses Listen on the dashboard's agents page, on the real Asterisk 22 sandbox
and the real ARI controller (reached over its loopback endpoint with the real
ControllerClient): the supervisor's phone is called and connected to the agent's call, and
the audit log holds the session, completed with its duration when it ends."""

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
            yield Dashboard(watch, client, live)
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
    assert watch.stop(session_id) is True
    wait_torn_down(watch, session_id)
    (entry,) = monitoring_entries(watch)
    assert audited(entry, session_id)
    assert (entry.details or {})["duration_s"] >= 1
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
