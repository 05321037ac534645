"""Caller-controlled text in the real browser: a customer called ``<script>...</script>``, a
complaint holding ``<img onerror=...>`` and a search that looks like SQL are shown and used as
text; no script of theirs runs (no dialog opens)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import ComplaintTicket, Customer
from tests.browser_fixtures import USERS, DashboardServer, log_in

pytestmark = pytest.mark.browser

Shot = Callable[[Any, str], Path]


def seed_hostile_complaint(dashboard: DashboardServer) -> tuple[int, str, str]:
    """A customer whose name is a script and a complaint whose text is an image with a script;
    each payload would open a dialog with a marker of its own if it ran."""
    marker = uuid.uuid4().hex[:8]
    name = f"<script>alert('name-{marker}')</script>"
    description = f"<img src=x onerror=alert('complaint-{marker}')> the bill was wrong"
    with dashboard.engine() as engine, session_factory(engine)() as session:
        customer = Customer(name=name, account_number=f"AC-{marker}")
        session.add(customer)
        session.flush()
        now = datetime.now(UTC)
        ticket = ComplaintTicket(
            customer_id=customer.id,
            caller_e164="+8613812345678",
            category="billing",
            description=description,
            received_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=2),
        )
        session.add(ticket)
        session.commit()
        return ticket.id, name, description


def test_a_script_in_a_customer_name_and_a_complaint_shows_as_text(
    page: Any, dashboard: DashboardServer, page_dialogs: list[Any], shot: Shot
) -> None:
    ticket_id, name, description = seed_hostile_complaint(dashboard)
    log_in(page, USERS["supervisor"])
    page.goto("/supervise/complaints")
    row = page.locator("tr", has=page.get_by_role("link", name=f"#{ticket_id}", exact=True))
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("the bill was wrong")
    assert row.locator("img, script").count() == 0
    shot(page, "complaints-list")

    row.get_by_role("link", name=f"#{ticket_id}", exact=True).click()
    expect(page.get_by_text(name, exact=True)).to_be_visible()
    expect(page.get_by_text(description)).to_be_visible()
    assert page.locator("main img").count() == 0
    # The page's own scripts are there; none of the payload's.
    assert all("alert(" not in (s.text_content() or "") for s in page.locator("script").all())
    shot(page, "ticket")
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert page_dialogs == []


def test_a_search_that_looks_like_sql_is_searched_for_as_text(
    page: Any, dashboard: DashboardServer, page_dialogs: list[Any], shot: Shot
) -> None:
    seed_hostile_complaint(dashboard)
    log_in(page, USERS["supervisor"])
    page.goto("/supervise/complaints")
    assert page.locator("table.queue tbody tr a").count() >= 1
    page.get_by_label("Ticket number, customer, phone or category").fill("' OR 1=1 --")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No complaints match.")).to_be_visible()
    expect(page.get_by_label("Ticket number, customer, phone or category")).to_have_value(
        "' OR 1=1 --"
    )
    shot(page, "sql-search")
    assert page_dialogs == []
