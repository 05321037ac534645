"""Access to the dashboard: log-in, sessions, roles, CSRF, throttling, headers, language."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import AuditLogEntry, User
from asterisk_cc.db.users import set_password
from asterisk_cc.web.access import PUBLIC_ENDPOINTS
from tests.web_fixtures import FixedClock, WebUser, csrf_of, log_in, post

Clients = Callable[[str | None], FlaskClient]


def get_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, a URL for it) of every GET route, with sample values for its arguments."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or "GET" not in (rule.methods or ()):
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        routes.append((rule.endpoint, url))
    return routes


def test_every_page_sends_an_anonymous_visitor_to_the_log_in(web_app: Flask) -> None:
    client = web_app.test_client()
    routes = get_routes(web_app)
    assert len(routes) >= 8
    for endpoint, url in routes:
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, endpoint
        else:
            assert response.status_code == 302, endpoint
            assert response.headers["Location"].startswith("/login?next="), endpoint


def test_every_unsafe_route_refuses_an_anonymous_visitor(web_app: Flask) -> None:
    client = web_app.test_client()
    token = csrf_of(client)
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or "POST" not in (rule.methods or ()):
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 401, rule.endpoint


def test_every_view_but_log_in_and_start_declares_its_roles(web_app: Flask) -> None:
    undeclared = [
        endpoint
        for endpoint, view in web_app.view_functions.items()
        if endpoint not in PUBLIC_ENDPOINTS
        and endpoint not in {"home.index", "auth.logout"}
        and not hasattr(view, "allowed_roles")
    ]
    assert undeclared == []


def test_an_agent_is_refused_every_supervisor_and_admin_page(
    web_app: Flask, web_client: Clients
) -> None:
    agent = web_client("agent")
    refused = 0
    for endpoint, url in get_routes(web_app):
        allowed = getattr(web_app.view_functions[endpoint], "allowed_roles", None)
        if allowed is None or "agent" in allowed:
            continue
        assert agent.get(url).status_code == 403, endpoint
        refused += 1
    assert refused >= 6


def test_a_supervisor_is_refused_the_admin_pages(web_app: Flask, web_client: Clients) -> None:
    supervisor = web_client("supervisor")
    for endpoint, url in get_routes(web_app):
        allowed = getattr(web_app.view_functions[endpoint], "allowed_roles", None)
        if allowed is not None and "supervisor" not in allowed:
            assert supervisor.get(url).status_code == 403, endpoint


def test_each_role_lands_on_its_start_page(web_client: Clients) -> None:
    assert web_client("agent").get("/").headers["Location"] == "/desktop/"
    assert web_client("supervisor").get("/").headers["Location"] == "/wallboard/"


def test_log_in_returns_to_the_page_asked_for_but_never_off_the_site(
    web_app: Flask, web_users: dict[str, WebUser]
) -> None:
    user = web_users["supervisor"]
    for asked, landing in (
        ("/reports/", "/reports/"),
        ("https://evil.example/", "/"),
        ("//evil", "/"),
    ):
        client = web_app.test_client()
        response = post(
            client, "/login", {"username": user.username, "password": user.password, "next": asked}
        )
        assert response.headers["Location"] == landing


def test_the_session_cookie_is_http_only_and_same_site(
    web_app: Flask, web_users: dict[str, WebUser]
) -> None:
    client = web_app.test_client()
    response = log_in(client, web_users["admin"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_wrong_password_is_refused_audited_and_throttled(
    web_app: Flask, web_users: dict[str, WebUser], web_engine: Engine, web_clock: FixedClock
) -> None:
    user = web_users["supervisor"]
    client = web_app.test_client()
    for _ in range(5):
        response = post(client, "/login", {"username": user.username, "password": "wrong-password"})
        assert response.status_code == 401
        assert "Wrong username or password" in response.get_data(as_text=True)
    # The sixth attempt is refused even with the right password.
    response = log_in(client, user)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.get_data(as_text=True)
    with session_factory(web_engine)() as session:
        failures = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "login_failed")
        ).all()
    assert len(failures) == 6 and {f.target for f in failures} == {user.username}
    # After the window, the right password works again.
    web_clock.advance(minutes=16)
    assert log_in(client, user).status_code == 302


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(web_app: Flask) -> None:
    client = web_app.test_client()
    response = post(client, "/login", {"username": "nobody", "password": "whatever-it-is"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(web_client: Clients) -> None:
    client = web_client("admin")
    response = client.post("/logout")
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    # Still logged in: the forged log-out did nothing.
    assert client.get("/").status_code == 302
    assert client.get("/").headers["Location"] != "/login"
    assert post(client, "/logout").headers["Location"] == "/login"


def test_a_deactivated_user_or_a_changed_password_ends_the_session(
    web_client: Clients, web_engine: Engine
) -> None:
    agent = web_client("agent")
    supervisor = web_client("supervisor")
    assert agent.get("/desktop/").status_code == 200
    with session_factory(web_engine)() as session:
        user = session.scalar(select(User).where(User.username == "agent"))
        assert user is not None
        user.active = False
        supervisor_user = session.scalar(select(User).where(User.username == "supervisor"))
        assert supervisor_user is not None
        set_password(session, supervisor_user, "a-new-password-456")
        session.commit()
    assert agent.get("/desktop/").headers["Location"].startswith("/login")
    assert supervisor.get("/wallboard/").headers["Location"].startswith("/login")


def test_an_idle_session_ends(web_client: Clients, web_clock: FixedClock) -> None:
    client = web_client("supervisor")
    web_clock.advance(hours=9)
    assert client.get("/wallboard/").headers["Location"].startswith("/login")


def test_pages_carry_the_security_headers(web_client: Clients) -> None:
    response = web_client("supervisor").get("/wallboard/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_language_switch_turns_the_pages_chinese(web_app: Flask) -> None:
    client = web_app.test_client()
    assert "Password" in client.get("/login").get_data(as_text=True)
    response = post(client, "/language", {"language": "zh", "next": "/login"})
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "密码" in page and 'lang="zh-CN"' in page
    # The browser's language is the default.
    fresh = web_app.test_client()
    page = fresh.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "密码" in page


def test_log_ins_and_log_outs_are_audited(web_client: Clients, web_engine: Engine) -> None:
    client = web_client("admin")
    post(client, "/logout")
    with session_factory(web_engine)() as session:
        actions = session.scalars(select(AuditLogEntry.action).order_by(AuditLogEntry.id)).all()
    assert actions == ["login", "logout"]
