"""A supervisor uploads a campaign's leads in the browser and reads the validation report:
every good row imported, every bad row listed with its line and why, hostile cells shown as
text."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from asterisk_cc.core.vocabulary import DialMode
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import Campaign, Lead
from tests.browser_fixtures import USERS, DashboardServer, log_in

pytestmark = pytest.mark.browser

Shot = Callable[[Any, str], Path]
IMG_PAYLOAD = "<img src=x onerror=alert('xss-csv')>"
SCRIPT_PAYLOAD = "<script>alert('xss-csv-script')</script>"

# Line 1 is the header; the comments say what each line is.
LEADS_CSV = "\n".join(
    [
        "name,mobile,ref",
        "Li Lei,13812345678,R1",  # 2 good
        "Han Meimei,12345,R2",  # 3 not a phone number
        "Wang Fang,,R3",  # 4 no phone at all
        "Li Lei again,13812345678,R4",  # 5 the same phone as line 2
        "Zhao Min,13912345678,R1",  # 6 the same reference as line 2
        "Too,many,cells,here",  # 7 does not fit the header
        f"{IMG_PAYLOAD},notaphone,R7",  # 8 hostile and bad: shown in the report
        f"{SCRIPT_PAYLOAD},13712345678,R8",  # 9 hostile but good: imported as text
        "Qian Hui,13612345678,R9",  # 10 good
    ]
)
REJECTED_LINES = {3, 4, 5, 6, 7, 8}


def make_campaign(dashboard: DashboardServer) -> tuple[int, str]:
    name = f"Spring renewals {uuid.uuid4().hex[:6]}"
    with dashboard.engine() as engine, session_factory(engine)() as session:
        campaign = Campaign(name=name, dial_mode=DialMode.PREVIEW)
        session.add(campaign)
        session.commit()
        return campaign.id, name


def test_an_upload_with_bad_rows_imports_the_good_ones_and_lists_every_bad_one(
    page: Any, dashboard: DashboardServer, page_dialogs: list[Any], shot: Shot
) -> None:
    campaign_id, name = make_campaign(dashboard)
    log_in(page, USERS["supervisor"])
    page.goto("/campaigns/")
    page.get_by_role("link", name=name).click()
    page.get_by_role("link", name="Upload leads").click()
    expect(page.get_by_role("heading", name="Upload leads")).to_be_visible()

    page.locator('input[name="file"]').set_input_files(
        {"name": "leads.csv", "mimeType": "text/csv", "buffer": LEADS_CSV.encode("utf-8")}
    )
    page.get_by_label("Phone columns").fill("mobile")
    page.get_by_label("Reference column").fill("ref")
    page.get_by_label("Country of national numbers").fill("CN")
    shot(page, "upload-form")
    page.get_by_role("button", name="Upload and import").click()

    expect(page.get_by_role("heading", name="Lead upload: leads.csv")).to_be_visible()
    expect(page.locator("#count-inserted")).to_have_text("3")
    expect(page.locator("#count-rejected")).to_have_text(str(len(REJECTED_LINES)))
    rows = page.locator("table.rejected tbody tr")
    expect(rows).to_have_count(len(REJECTED_LINES))
    reasons = {}
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td")
        reasons[int(cells.nth(0).inner_text())] = cells.nth(1).inner_text()
    assert set(reasons) == REJECTED_LINES
    assert "no valid phone number" in reasons[3]
    assert "no valid phone number" in reasons[4]
    assert "duplicate of line 2" in reasons[5] and "duplicate of line 2" in reasons[6]
    assert "header has 3 columns" in reasons[7]
    # The hostile cell is shown as the text it is: no element made of it, no script run.
    expect(page.locator("table.rejected td", has_text=IMG_PAYLOAD)).to_have_count(1)
    assert page.locator("table.rejected img").count() == 0
    shot(page, "validation-report")
    assert page.get_by_role("link", name="Download the rejected rows (CSV)").is_visible()

    with dashboard.engine() as engine, session_factory(engine)() as session:
        imported = session.scalars(
            select(Lead.external_ref).where(Lead.campaign_id == campaign_id)
        ).all()
        count = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.campaign_id == campaign_id)
        )
    assert sorted(imported) == ["R1", "R8", "R9"] and count == 3
    assert page_dialogs == []


def test_a_file_that_is_not_a_csv_is_refused_with_the_reason(
    page: Any, dashboard: DashboardServer, shot: Shot
) -> None:
    campaign_id, _name = make_campaign(dashboard)
    log_in(page, USERS["supervisor"])
    page.goto(f"/campaigns/{campaign_id}/leads")
    page.locator('input[name="file"]').set_input_files(
        {"name": "leads.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n\x00\x00"}
    )
    page.get_by_label("Phone columns").fill("mobile")
    page.get_by_role("button", name="Upload and import").click()
    alert = page.locator("p.flash.error")
    expect(alert).to_be_visible()
    assert alert.inner_text().strip() != ""
    # What was typed is kept for the next try.
    expect(page.get_by_label("Phone columns")).to_have_value("mobile")
    shot(page, "refused")
    with dashboard.engine() as engine, session_factory(engine)() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Lead).where(Lead.campaign_id == campaign_id)
            )
            == 0
        )
