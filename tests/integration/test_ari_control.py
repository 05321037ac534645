"""The dashboard works the controller over its loopback HTTP endpoint, with the token."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from asterisk_cc.ari.control import ControllerClient, ControllerRefused
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import Settings
from asterisk_cc.core.vocabulary import AgentState
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports
from tests.integration.test_ari_agents import LOGIN, Floor, log_in_by_phone, running_floor

pytestmark = pytest.mark.asterisk


def with_control_port(settings: Settings) -> Settings:
    (port,) = free_loopback_ports(1)
    return dataclasses.replace(settings, ari=dataclasses.replace(settings.ari, status_port=port))


@pytest.fixture
def floor(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[tuple[Floor, Settings]]:
    with running_floor(asterisk, tmp_path, adjust=with_control_port) as running:
        assert running.settings is not None
        yield running, running.settings


def test_the_dashboard_pauses_and_logs_out_an_agent(floor: tuple[Floor, Settings]) -> None:
    place, settings = floor
    url = f"http://127.0.0.1:{settings.ari.status_port}"
    log_in_by_phone(place)
    place.wait_until("the agent's log-in", lambda: place.agent_state() == "ready")
    client = ControllerClient(url, control_token(settings.web.secret_key))
    try:
        assert client.status()["agents"][LOGIN]["state"] == "ready"
        client.agent(LOGIN, "pause", reason="lunch")
        assert place.agent_state() == "paused"
        with pytest.raises(ControllerRefused, match="reason") as refused:
            client.agent(LOGIN, "pause")
        assert refused.value.status_code == 409
        with pytest.raises(ControllerRefused, match="not logged in"):
            client.agent("2002", "ready")
        with pytest.raises(ControllerRefused) as unknown:
            client.agent(LOGIN, "explode")
        assert unknown.value.status_code == 404
        client.agent(LOGIN, "logout")
        place.wait_until("the log-out", lambda: place.agent_state() is None)
    finally:
        client.close()
    assert [state for state, _ in place.states()] == [
        AgentState.READY,
        AgentState.PAUSED,
        AgentState.LOGGED_OUT,
    ]


def test_actions_need_the_token_and_health_does_not(floor: tuple[Floor, Settings]) -> None:
    _, settings = floor
    url = f"http://127.0.0.1:{settings.ari.status_port}"
    assert httpx.get(f"{url}/health").status_code == 200
    assert httpx.post(f"{url}/agents/{LOGIN}/logout", json={}).status_code == 401
    wrong = {"Authorization": "Bearer " + control_token("another key")}
    assert httpx.post(f"{url}/agents/{LOGIN}/logout", json={}, headers=wrong).status_code == 401
