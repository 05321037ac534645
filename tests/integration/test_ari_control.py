"""The dashboard works the controller over its loopback HTTP endpoint, with the token."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from asterisk_cc.ari.control import ControllerClient, ControllerRefused
from asterisk_cc.ari.service import controller_in_thread
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import Settings, load_settings
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports
from tests.integration.test_ari_agents import (
    LOGIN,
    Floor,
    log_in_by_phone,
    log_out_everyone,
    seed,
)

pytestmark = pytest.mark.asterisk


@pytest.fixture
def floor(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[tuple[Floor, Settings]]:
    config = asterisk.sandbox.write_config(
        tmp_path / "cc.toml", database_url=f"sqlite:///{tmp_path / 'cc.sqlite3'}"
    )
    settings = load_settings(config, needed_by="all")
    (port,) = free_loopback_ports(1)
    settings = dataclasses.replace(
        settings, ari=dataclasses.replace(settings.ari, status_port=port)
    )
    engine = make_engine(settings.database)
    upgrade(engine)
    seed(engine)
    with controller_in_thread(settings) as controller:
        floor = Floor(asterisk, engine, controller)
        floor.wait_until("the event link", lambda: floor.snapshot()["link_up"])
        try:
            yield floor, settings
        finally:
            controller.call(log_out_everyone(controller.controller))
    engine.dispose()


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
