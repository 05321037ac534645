"""Logging in and what each role sees, in a real browser against the real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser_fixtures import USERS, log_in

pytestmark = pytest.mark.browser

Shot = Callable[[Any, str], Path]
SUPERVISOR_ENTRIES = {"Wallboard", "Supervisor", "Campaigns", "Quality", "Reports"}


def menu_entries(page: Any) -> set[str]:
    return {text.strip() for text in page.locator("nav.menu a").all_inner_texts()}


def test_a_wrong_password_shows_the_error_and_the_right_one_leads_to_the_page_asked_for(
    page: Any, shot: Shot
) -> None:
    supervisor = USERS["supervisor"]
    page.goto("/wallboard/")
    # Not logged in: off to the log-in page, which remembers where the user was going.
    expect(page).to_have_url("/login?next=/wallboard/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    page.get_by_label("Username").fill(supervisor.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_have_text("Wrong username or password.")
    # The name typed is kept, the password is not.
    expect(page.get_by_label("Username")).to_have_value(supervisor.username)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.locator("nav.menu")).to_have_count(0)
    shot(page, "wrong-password")

    page.get_by_label("Password").fill(supervisor.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url("/wallboard/")
    expect(page.locator(".topbar .who")).to_have_text(supervisor.display_name)
    shot(page, "logged-in")


def test_a_supervisor_sees_the_supervising_menu_but_not_the_admin_entries(
    page: Any, shot: Shot
) -> None:
    log_in(page, USERS["supervisor"])
    expect(page).to_have_url("/wallboard/")
    entries = menu_entries(page)
    assert entries >= SUPERVISOR_ENTRIES
    assert "Admin" not in entries and "Agent desktop" not in entries
    shot(page, "supervisor-menu")
    response = page.goto("/admin/")
    assert response is not None and response.status == 403


def test_an_admin_also_sees_the_admin_entry(page: Any) -> None:
    log_in(page, USERS["admin"])
    assert menu_entries(page) >= {*SUPERVISOR_ENTRIES, "Admin"}
    page.get_by_role("link", name="Admin").click()
    expect(page).to_have_url("/admin/")


def test_an_agent_sees_only_the_agent_menu_and_is_refused_a_supervisor_page(
    page: Any, shot: Shot
) -> None:
    log_in(page, USERS["agent"])
    expect(page).to_have_url("/desktop/")
    entries = menu_entries(page)
    assert "Agent desktop" in entries
    assert not entries & {*SUPERVISOR_ENTRIES, "Admin"}
    shot(page, "agent-menu")

    for path in ("/wallboard/", "/campaigns/", "/supervise/", "/reports/", "/admin/"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    shot(page, "agent-refused")


def test_logging_out_ends_the_session(page: Any) -> None:
    log_in(page, USERS["supervisor"])
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url("/login")
    page.goto("/wallboard/")
    expect(page).to_have_url("/login?next=/wallboard/")


def test_the_language_switch_shows_the_pages_in_chinese(page: Any) -> None:
    page.goto("/login")
    with page.expect_navigation():
        page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Log in")
