"""pytest plugin: the dashboard under the Flask test client, on a fresh migrated SQLite
database per test, with a fixed clock and one user of each role.

Fixtures
--------
``web_clock``      a :class:`FixedClock` (``web_clock.now`` is 2026-11-23 10:00 UTC until
                   moved with ``advance``); the app reads it as its ``now``.
``web_settings``   settings with a secret key, the Shanghai time zone and the database below.
``web_engine``     the database: a copy of a SQLite file migrated once per test session.
``web_context``    keyword arguments for ``create_app`` (a test may add ``controller=...``,
                   ``live=...`` before asking for ``web_app``).
``web_app``        the application (``create_app``), testing mode.
``web_users``      one user per role: ``web_users["agent"]`` → :class:`WebUser` (the agent
                   user is linked to agent ``1001``, "Ann Agent").
``web_client``     a function ``role -> FlaskClient`` logged in as that role's user (a new
                   client per call); ``web_client(None)`` is anonymous.

Helpers: :class:`StaticLiveFeed` (a live feed whose state the test publishes; give it as
``web_context["live"]``), :func:`csrf_of` (a client's CSRF token), :func:`post` (a form POST with the token).
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from asterisk_cc.config import DatabaseSettings, Settings, SiteSettings, WebSettings
from asterisk_cc.core.live_state import LinkStatus, LiveState
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import Agent
from asterisk_cc.db.users import create_user
from asterisk_cc.web.app import create_app

WEB_SECRET = "test-secret-key-for-the-dashboard-0123456789"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class FixedClock:
    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass(frozen=True)
class WebUser:
    id: int
    username: str
    password: str
    role: str


@pytest.fixture
def web_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(scope="session")
def web_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web-template") / "template.sqlite3"
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def web_engine(web_db_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "web.sqlite3"
    shutil.copyfile(web_db_template, path)
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    yield engine
    engine.dispose()


@pytest.fixture
def web_settings(web_engine: Engine) -> Settings:
    return dataclasses.replace(
        Settings(),
        database=DatabaseSettings(url=web_engine.url.render_as_string(hide_password=False)),
        site=dataclasses.replace(SiteSettings(), timezone="Asia/Shanghai"),
        web=dataclasses.replace(WebSettings(), secret_key=WEB_SECRET),
    )


@pytest.fixture
def web_context(web_clock: FixedClock) -> dict[str, Any]:
    return {"now": web_clock, "live": StaticLiveFeed()}


@pytest.fixture
def web_app(web_settings: Settings, web_engine: Engine, web_context: dict[str, Any]) -> Flask:
    app = create_app(web_settings, web_engine, **web_context)
    app.testing = True
    return app


@pytest.fixture
def web_users(web_engine: Engine) -> dict[str, WebUser]:
    users = {}
    with session_factory(web_engine)() as session:
        agent = Agent(login="1001", name="Ann Agent", interface="PJSIP/1001")
        session.add(agent)
        session.flush()
        for role in ("admin", "supervisor", "agent"):
            password = f"{role}-password-123"
            user = create_user(
                session,
                username=role,
                password=password,
                role=role,
                display_name=f"The {role}",
                agent_login="1001" if role == "agent" else None,
            )
            users[role] = WebUser(user.id, role, password, role)
        session.commit()
    return users


def csrf_of(client: FlaskClient) -> str:
    """The client's CSRF token (made by a page load if the session has none yet)."""
    with client.session_transaction() as session:
        token = session.get("csrf")
    if token is None:
        client.get("/login")
        with client.session_transaction() as session:
            token = session["csrf"]
    return str(token)


def post(
    client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any
) -> TestResponse:
    """A form POST carrying the client's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_of(client)}, **kw)


def post_json(client: FlaskClient, url: str, body: dict[str, Any] | None = None) -> TestResponse:
    """A script's JSON POST with the CSRF header, as the pages' scripts send it."""
    return client.post(
        url,
        json=body or {},
        headers={"X-CSRF-Token": csrf_of(client), "Accept": "application/json"},
    )


def log_in(client: FlaskClient, user: WebUser) -> TestResponse:
    return post(client, "/login", {"username": user.username, "password": user.password})


@pytest.fixture
def web_client(
    web_app: Flask, web_users: dict[str, WebUser]
) -> Callable[[str | None], FlaskClient]:
    def client_for(role: str | None) -> FlaskClient:
        client = web_app.test_client()
        if role is not None:
            response = log_in(client, web_users[role])
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return client_for


class StaticLiveFeed:
    """A live feed whose state the test sets (:meth:`publish`); streams wake at once."""

    def __init__(self, state: LiveState | None = None) -> None:
        self._state = state or LiveState(
            version=1, at=START, link=LinkStatus(ami=True, controller=True, asterisk=True)
        )
        self._changed = threading.Condition()
        self._stopped = False

    def start(self) -> None:
        pass

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def current(self) -> LiveState:
        return self._state

    def publish(self, **changes: Any) -> LiveState:
        with self._changed:
            self._state = dataclasses.replace(
                self._state, version=self._state.version + 1, **changes
            )
            self._changed.notify_all()
        return self._state

    def wait_newer(self, version: int, timeout_s: float) -> LiveState:
        with self._changed:
            self._changed.wait_for(
                lambda: self._stopped or self._state.version > version, timeout=timeout_s
            )
            return self._state
