"""Administration: users and roles (create, validation, role changes, agent links, password
resets that end sessions, deactivation, the rules that keep an admin), and who may use it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import Agent, AuditLogEntry, User
from asterisk_cc.db.users import create_user
from tests.web_fixtures import WebUser, log_in, post

Clients = Callable[[str | None], FlaskClient]

ADMIN_GETS = (
    "/admin/",
    "/admin/users",
    "/admin/users/1",
    "/admin/queues",
    "/admin/queues/1",
    "/admin/skills",
    "/admin/teams",
    "/admin/agents",
    "/admin/agents/1",
    "/admin/ivr",
    "/admin/ivr/hotline",
    "/admin/settings",
    "/admin/health",
    "/admin/audit",
)
ADMIN_POSTS = (
    "/admin/users",
    "/admin/users/1",
    "/admin/users/1/password",
    "/admin/users/1/active",
    "/admin/queues",
    "/admin/queues/1",
    "/admin/queues/1/skills",
    "/admin/queues/1/skills/1/remove",
    "/admin/skills",
    "/admin/skills/1",
    "/admin/teams",
    "/admin/teams/1",
    "/admin/agents",
    "/admin/agents/1",
    "/admin/agents/1/skills",
    "/admin/agents/1/skills/1/remove",
)
NEW_USER = {
    "username": "zoe",
    "display_name": "Zoe Zhang",
    "role": "supervisor",
    "agent_login": "",
    "password": "zoe-password-123",
    "password_again": "zoe-password-123",
}


def users_named(engine: Engine, username: str) -> list[User]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(User).where(User.username == username)))


def audit_entries(engine: Engine, action: str) -> list[AuditLogEntry]:
    with session_factory(engine)() as session:
        return list(
            session.scalars(
                select(AuditLogEntry)
                .where(AuditLogEntry.action == action)
                .order_by(AuditLogEntry.id)
            )
        )


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def add_agent(engine: Engine, login: str, name: str) -> None:
    with session_factory(engine)() as session:
        session.add(Agent(login=login, name=name, interface=f"PJSIP/{login}"))
        session.commit()


# --- who may ----------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in_and_refused_every_change(web_app: Flask) -> None:
    client = web_app.test_client()
    for url in ADMIN_GETS:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
    for url in ADMIN_POSTS:
        assert post(client, url, {"name": "x"}).status_code == 401, url


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_agents_and_supervisors_are_refused_every_admin_page_and_change(
    web_client: Clients, web_engine: Engine, role: str
) -> None:
    client = web_client(role)
    for url in ADMIN_GETS:
        assert client.get(url).status_code == 403, url
    for url in ADMIN_POSTS:
        assert post(client, url, NEW_USER).status_code == 403, url
    assert users_named(web_engine, "zoe") == []


def test_a_change_without_the_csrf_token_is_refused(
    web_client: Clients, web_engine: Engine
) -> None:
    client = web_client("admin")
    response = client.post("/admin/users", data=NEW_USER)
    assert response.status_code == 400
    assert "CSRF" in text_of(response)
    response = client.post("/admin/users", data={**NEW_USER, "csrf_token": "forged"})
    assert response.status_code == 400
    assert users_named(web_engine, "zoe") == []


# --- creating users -----------------------------------------------------------------------------


def test_the_list_shows_each_user_with_role_agent_and_state(
    web_client: Clients, web_users: dict[str, WebUser]
) -> None:
    page = text_of(web_client("admin").get("/admin/users"))
    for username in ("admin", "supervisor", "agent"):
        assert f">{username}</a>" in page
    assert "The supervisor" in page
    # The agent user's linked agent, and the admin's log-in time (Shanghai: 18:00).
    assert "<td>1001</td>" in page
    assert "2026-11-23 18:00" in page


def test_an_admin_creates_a_user_who_can_then_log_in(
    web_app: Flask, web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    response = post(web_client("admin"), "/admin/users", NEW_USER)
    assert response.status_code == 302
    (user,) = users_named(web_engine, "zoe")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.role.value, user.display_name, user.active, user.agent_id) == (
        "supervisor",
        "Zoe Zhang",
        True,
        None,
    )
    assert "zoe-password-123" not in user.password_hash
    (entry,) = audit_entries(web_engine, "user_create")
    assert entry.target == "user:zoe" and entry.username == "admin"
    assert entry.details == {"role": "supervisor", "display_name": "Zoe Zhang", "agent": None}
    assert "zoe-password-123" not in str(entry.details)
    fresh = web_app.test_client()
    assert (
        log_in(fresh, WebUser(user.id, "zoe", "zoe-password-123", "supervisor")).status_code == 302
    )
    assert fresh.get("/wallboard/").status_code == 200


def test_an_agent_user_is_linked_to_a_free_agent(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    add_agent(web_engine, "1002", "Bo Agent")
    client = web_client("admin")
    response = post(client, "/admin/users", {**NEW_USER, "role": "agent", "agent_login": "1002"})
    assert response.status_code == 302
    (user,) = users_named(web_engine, "zoe")
    with session_factory(web_engine)() as session:
        assert session.scalar(select(Agent.login).where(Agent.id == user.agent_id)) == "1002"
    # 1001 already has the user "agent".
    response = post(
        client,
        "/admin/users",
        {**NEW_USER, "username": "amy", "role": "agent", "agent_login": "1001"},
    )
    assert response.status_code == 400
    assert "Agent 1001 already has the user agent." in text_of(response)
    assert users_named(web_engine, "amy") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "short", "password_again": "short"}, "at least 10 characters"),
        ({"password_again": "something-else-1"}, "The two passwords differ."),
        ({"username": "bad name!"}, "Username: 1 to 64 letters"),
        ({"username": "supervisor"}, "The user supervisor exists already."),
        ({"role": "agent"}, "An agent user needs the login of the agent they are."),
        ({"role": "agent", "agent_login": "9999"}, "There is no agent with the login 9999."),
        ({"agent_login": "1001"}, "Only a user with the agent role is linked to an agent."),
        ({"role": "root"}, "Choose a role."),
        ({"display_name": "x" * 129}, "The display name has at most 128 characters."),
    ],
)
def test_a_bad_new_user_is_refused_with_the_reason_and_the_form_kept(
    web_client: Clients,
    web_engine: Engine,
    web_users: dict[str, WebUser],
    changes: dict[str, str],
    message: str,
) -> None:
    form = {**NEW_USER, **changes}
    response = post(web_client("admin"), "/admin/users", form)
    assert response.status_code == 400
    page = text_of(response)
    assert message in page
    # What was typed is shown again (but never the password).
    assert f'value="{form["username"]}"' in page
    assert form["password"] not in page
    with session_factory(web_engine)() as session:
        assert session.scalar(select(User).where(User.username == form["username"])) is None or (
            form["username"] == "supervisor"
        )
    assert audit_entries(web_engine, "user_create") == []


def test_a_script_in_a_display_name_is_shown_as_text(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    client = web_client("admin")
    name = "<script>alert(1)</script>"
    assert post(client, "/admin/users", {**NEW_USER, "display_name": name}).status_code == 302
    (user,) = users_named(web_engine, "zoe")
    for url in ("/admin/users", f"/admin/users/{user.id}", "/admin/audit"):
        page = text_of(client.get(url))
        assert name not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_a_sql_looking_search_is_only_text(
    web_client: Clients, web_users: dict[str, WebUser]
) -> None:
    client = web_client("admin")
    page = text_of(client.get("/admin/users", query_string={"q": "' OR 1=1 --"}))
    assert "No users found." in page and ">admin</a>" not in page
    page = text_of(client.get("/admin/users", query_string={"q": "super"}))
    assert ">supervisor</a>" in page and ">agent</a>" not in page
    # LIKE wildcards are taken literally.
    assert "No users found." in text_of(client.get("/admin/users", query_string={"q": "%"}))


# --- changing users -------------------------------------------------------------------------------


def test_a_role_change_is_saved_and_audited(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    supervisor = web_users["supervisor"]
    response = post(
        web_client("admin"),
        f"/admin/users/{supervisor.id}",
        {"role": "admin", "display_name": "Head of floor", "agent_login": ""},
    )
    assert response.status_code == 302
    (user,) = users_named(web_engine, "supervisor")
    assert user.role.value == "admin" and user.display_name == "Head of floor"
    (entry,) = audit_entries(web_engine, "user_update")
    assert entry.target == "user:supervisor"
    assert entry.details == {
        "role": ["supervisor", "admin"],
        "display_name": ["The supervisor", "Head of floor"],
    }


def test_an_agent_user_is_unlinked_and_relinked(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    add_agent(web_engine, "1002", "Bo Agent")
    agent = web_users["agent"]
    client = web_client("admin")
    form = {"role": "agent", "display_name": "The agent", "agent_login": ""}
    assert post(client, f"/admin/users/{agent.id}", form).status_code == 302
    assert users_named(web_engine, "agent")[0].agent_id is None
    assert (
        post(client, f"/admin/users/{agent.id}", {**form, "agent_login": "1002"}).status_code == 302
    )
    with session_factory(web_engine)() as session:
        linked = session.scalar(
            select(Agent.login)
            .join(User, User.agent_id == Agent.id)
            .where(User.username == "agent")
        )
    assert linked == "1002"
    changes = [e.details for e in audit_entries(web_engine, "user_update")]
    assert changes == [{"agent": ["1001", None]}, {"agent": [None, "1002"]}]


def test_leaving_the_agent_role_unlinks_the_agent(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    agent = web_users["agent"]
    form = {"role": "supervisor", "display_name": "The agent", "agent_login": "1001"}
    response = post(web_client("admin"), f"/admin/users/{agent.id}", form)
    assert response.status_code == 400
    assert "Only a user with the agent role is linked to an agent." in text_of(response)
    response = post(web_client("admin"), f"/admin/users/{agent.id}", {**form, "agent_login": ""})
    assert response.status_code == 302
    (user,) = users_named(web_engine, "agent")
    assert user.role.value == "supervisor" and user.agent_id is None


def test_a_password_reset_ends_the_users_open_sessions(
    web_app: Flask, web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    supervisor = web_client("supervisor")
    assert supervisor.get("/wallboard/").status_code == 200
    admin = web_client("admin")
    user_id = web_users["supervisor"].id
    response = post(
        admin,
        f"/admin/users/{user_id}/password",
        {"password": "brand-new-secret-9", "password_again": "brand-new-secret-9"},
    )
    assert response.status_code == 302
    assert supervisor.get("/wallboard/").headers["Location"].startswith("/login")
    (entry,) = audit_entries(web_engine, "user_password_reset")
    assert entry.target == "user:supervisor" and entry.details is None
    again = web_app.test_client()
    assert (
        log_in(
            again, WebUser(user_id, "supervisor", "brand-new-secret-9", "supervisor")
        ).status_code
        == 302
    )
    assert log_in(web_app.test_client(), web_users["supervisor"]).status_code == 401


def test_a_short_reset_password_is_refused(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    supervisor = web_client("supervisor")
    response = post(
        web_client("admin"),
        f"/admin/users/{web_users['supervisor'].id}/password",
        {"password": "short", "password_again": "short"},
    )
    assert response.status_code == 400
    assert "at least 10 characters" in text_of(response)
    assert supervisor.get("/wallboard/").status_code == 200
    assert audit_entries(web_engine, "user_password_reset") == []


def test_an_admin_resetting_their_own_password_stays_logged_in(
    web_client: Clients, web_users: dict[str, WebUser]
) -> None:
    admin = web_client("admin")
    other_session = web_client("admin")
    response = post(
        admin,
        f"/admin/users/{web_users['admin'].id}/password",
        {"password": "my-own-new-secret", "password_again": "my-own-new-secret"},
    )
    assert response.status_code == 302
    assert admin.get("/admin/users").status_code == 200
    assert other_session.get("/admin/users").headers["Location"].startswith("/login")


def test_a_deactivated_user_is_logged_out_and_can_be_reactivated(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    agent = web_client("agent")
    admin = web_client("admin")
    user_id = web_users["agent"].id
    assert post(admin, f"/admin/users/{user_id}/active", {"active": "0"}).status_code == 302
    assert agent.get("/desktop/").headers["Location"].startswith("/login")
    assert users_named(web_engine, "agent")[0].active is False
    assert "deactivated" in text_of(admin.get("/admin/users"))
    assert post(admin, f"/admin/users/{user_id}/active", {"active": "1"}).status_code == 302
    assert users_named(web_engine, "agent")[0].active is True
    assert [e.target for e in audit_entries(web_engine, "user_deactivate")] == ["user:agent"]
    assert [e.target for e in audit_entries(web_engine, "user_reactivate")] == ["user:agent"]


def test_an_admin_cannot_demote_or_deactivate_themselves(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    admin = web_client("admin")
    me = web_users["admin"].id
    response = post(admin, f"/admin/users/{me}", {"role": "supervisor", "display_name": "x"})
    assert response.status_code == 400
    assert "You cannot take the admin role from your own account." in text_of(response)
    response = post(admin, f"/admin/users/{me}/active", {"active": "0"})
    assert response.status_code == 409
    assert "You cannot deactivate your own account." in text_of(response)
    (user,) = users_named(web_engine, "admin")
    assert user.role.value == "admin" and user.active and user.display_name == "The admin"
    assert audit_entries(web_engine, "user_update") == []
    assert audit_entries(web_engine, "user_deactivate") == []


def test_another_admin_may_be_demoted_while_one_remains(
    web_client: Clients, web_engine: Engine, web_users: dict[str, WebUser]
) -> None:
    with session_factory(web_engine)() as session:
        second = create_user(session, username="second", password="second-password-1", role="admin")
        session.commit()
        second_id = second.id
    admin = web_client("admin")
    assert post(admin, f"/admin/users/{second_id}/active", {"active": "0"}).status_code == 302
    assert users_named(web_engine, "second")[0].active is False


def test_the_user_page_offers_the_actions(
    web_client: Clients, web_users: dict[str, WebUser]
) -> None:
    page = text_of(web_client("admin").get(f"/admin/users/{web_users['supervisor'].id}"))
    assert "Reset the password" in page and "Deactivate" in page
    assert re.search(r'<option value="supervisor" selected>', page)
    assert web_client("admin").get("/admin/users/999").status_code == 404


def test_the_users_page_speaks_chinese(web_client: Clients, web_users: dict[str, WebUser]) -> None:
    client = web_client("admin")
    post(client, "/language", {"language": "zh", "next": "/admin/users"})
    page = text_of(client.get("/admin/users"))
    assert "用户与角色" in page and "新建用户" in page
    response = post(
        client, "/admin/users", {**NEW_USER, "password": "short", "password_again": "short"}
    )
    assert "密码至少需要 10 个字符。" in text_of(response)
