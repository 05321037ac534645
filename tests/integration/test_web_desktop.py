"""The agent desktop against the real controller on the Asterisk 22 sandbox: an agent logged
in by phone pauses and comes back from the desktop, and the controller's status shows it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from asterisk_cc.ari.control import ControllerClient, controller_url_of
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import Settings
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.users import create_user
from asterisk_cc.web.app import create_app
from tests.asterisk_fixtures import AsteriskSandbox
from tests.integration.test_ari_agents import LOGIN, Floor, log_in_by_phone, running_floor
from tests.integration.test_ari_control import with_control_port
from tests.web_fixtures import StaticLiveFeed, post, post_json

pytestmark = pytest.mark.asterisk

PASSWORD = "desk-password-123"


@pytest.fixture
def floor(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[tuple[Floor, Settings]]:
    with running_floor(asterisk, tmp_path, adjust=with_control_port) as running:
        assert running.settings is not None
        yield running, running.settings


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s} s for {what}")
        time.sleep(0.1)


def test_the_desktop_pauses_and_unpauses_the_agent_through_the_controller(
    floor: tuple[Floor, Settings],
) -> None:
    place, settings = floor
    with Session(place.engine) as session:
        create_user(session, username="zhao", password=PASSWORD, role="agent", agent_login=LOGIN)
        session.commit()
    log_in_by_phone(place)
    place.wait_until("the agent's log-in", lambda: place.agent_state() == "ready")

    status = ControllerClient(controller_url_of(settings), control_token(settings.web.secret_key))
    controller = ControllerClient(
        controller_url_of(settings), control_token(settings.web.secret_key)
    )
    try:
        app = create_app(settings, place.engine, controller=controller, live=StaticLiveFeed())
        app.testing = True
        client = app.test_client()
        assert post(client, "/login", {"username": "zhao", "password": PASSWORD}).status_code == 302

        response = post(client, "/desktop/agent/pause", {"reason": "training"})
        assert response.status_code == 303
        assert "Paused: Training." in client.get("/desktop/").get_data(as_text=True)
        agent = status.status()["agents"][LOGIN]
        assert (agent["state"], agent["reason"]) == ("paused", "training")

        response = post(client, "/desktop/agent/unpause")
        assert response.status_code == 303
        wait_for("ready again", lambda: status.status()["agents"][LOGIN]["state"] == "ready")
        # What the agent's state does not allow is the controller's refusal, shown as such.
        refused = post_json(client, "/desktop/agent/unhold")
        assert refused.status_code == 409
        assert "no call on hold" in refused.get_json()["error"]
    finally:
        controller.close()
        status.close()
    assert [state for state, _ in place.states()][:3] == [
        AgentState.READY,
        AgentState.PAUSED,
        AgentState.READY,
    ]
