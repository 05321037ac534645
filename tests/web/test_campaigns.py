"""The campaign pages: list and live progress, create/edit, start/pause/stop, detail, lead and
do-not-call uploads with their reports, and who may do what."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from werkzeug.test import TestResponse

from asterisk_cc.core.vocabulary import CallOutcome, CampaignStatus, LeadStatus
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import AuditLogEntry, CallAttempt, Campaign, DncEntry, Lead, LeadPhone
from tests.web_fixtures import START, FixedClock, csrf_of, post

Clients = Callable[[str | None], FlaskClient]

VALID_FORM: dict[str, Any] = {
    "name": "renewals",
    "dial_mode": "predictive",
    "purpose": "list",
    "queue": "renewals",
    "agents": "1001",
    "teams": "",
    "caller_id": "+442071234567",
    "recording": "none",
    "window": "09:00-20:00",
    "timezone": "Europe/London",
    "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
    "holidays": "2026-12-25, 2026-12-26",
    "max_attempts": "5",
    "ring_timeout_s": "25",
    "retry_delays_s.busy": "600",
    "retry_delays_s.no_answer": "7200",
    "retry_delays_s.machine": "7200",
    "retry_delays_s.abandoned": "3600",
    "retry_delays_s.failed": "1800",
    "retry_delays_s.congestion": "300",
    "abandon_target_ratio": "2%",
    "abandon_definition": "ofcom_daily",
    "max_lines_per_agent": "2.5",
    "abandon_message": "custom/renewals-abandon",
    "machine_action": "hangup",
    "machine_message": "",
}

LEADS_CSV = (
    "account,name,mobile,home\n"
    "A1,Alice,+447911123456,\n"
    "A2,Bob,not a number,\n"
    "A3,<script>alert(1)</script>,+447911123457,\n"
    "A1,Alice again,+447911123458,\n"
    "A4,Dan,+447911123456,\n"
    "A5,Eve,+447911123459,+442071234999\n"
)


def page_text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def session_of(engine: Engine) -> Any:
    return session_factory(engine)()


def create_campaign(client: FlaskClient, **changes: Any) -> TestResponse:
    return post(client, "/campaigns/new", {**VALID_FORM, **changes})


def campaign_row(engine: Engine, name: str = "renewals") -> Campaign:
    with session_of(engine) as session:
        campaign = session.scalars(select(Campaign).where(Campaign.name == name)).one()
        session.expunge(campaign)
    return campaign


def audit_actions(engine: Engine) -> list[tuple[str, str | None]]:
    with session_of(engine) as session:
        rows = session.execute(
            select(AuditLogEntry.action, AuditLogEntry.target).order_by(AuditLogEntry.id)
        )
        return [(action, target) for action, target in rows]


def upload(
    client: FlaskClient,
    url: str,
    content: bytes | str,
    filename: str = "leads.csv",
    **fields: str,
) -> TestResponse:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        url,
        data={"csrf_token": csrf_of(client), "file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )


@pytest.fixture
def supervisor(web_client: Clients) -> FlaskClient:
    return web_client("supervisor")


@pytest.fixture
def campaign_id(supervisor: FlaskClient, web_engine: Engine) -> int:
    response = create_campaign(supervisor)
    assert response.status_code == 303, page_text(response)
    return campaign_row(web_engine).id


# --- who may ------------------------------------------------------------------------------------


def campaign_urls(campaign: int) -> list[str]:
    return [
        "/campaigns/",
        "/campaigns/progress?ids=1",
        "/campaigns/new",
        f"/campaigns/{campaign}",
        f"/campaigns/{campaign}/edit",
        f"/campaigns/{campaign}/leads",
        "/campaigns/dnc",
        "/campaigns/uploads/some-token",
        "/campaigns/uploads/some-token/rejected.csv",
    ]


POST_URLS = [
    "/campaigns/new",
    "/campaigns/{id}/edit",
    "/campaigns/{id}/status",
    "/campaigns/{id}/leads",
    "/campaigns/dnc",
]


def test_an_anonymous_visitor_is_sent_to_log_in_and_refused_every_change(
    web_app: Flask, campaign_id: int
) -> None:
    client = web_app.test_client()
    for url in campaign_urls(campaign_id):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
    assert (
        client.get("/campaigns/progress", headers={"Accept": "application/json"}).status_code == 401
    )
    token = csrf_of(client)
    for url in POST_URLS:
        response = client.post(url.format(id=campaign_id), data={"csrf_token": token})
        assert response.status_code == 401, url


def test_an_agent_is_refused_every_campaign_page_and_change(
    web_client: Clients, campaign_id: int, web_engine: Engine
) -> None:
    agent = web_client("agent")
    for url in campaign_urls(campaign_id):
        assert agent.get(url).status_code == 403, url
    for url in POST_URLS:
        response = post(agent, url.format(id=campaign_id), {**VALID_FORM, "action": "start"})
        assert response.status_code == 403, url
    assert campaign_row(web_engine).status is CampaignStatus.DRAFT


def test_every_change_without_the_csrf_token_is_refused(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    for url in POST_URLS:
        response = supervisor.post(
            url.format(id=campaign_id), data={**VALID_FORM, "action": "stop"}
        )
        assert response.status_code == 400, url
        assert "CSRF" in page_text(response)
    assert campaign_row(web_engine).status is CampaignStatus.DRAFT


def test_an_admin_may_use_the_campaign_pages(web_client: Clients, campaign_id: int) -> None:
    admin = web_client("admin")
    assert admin.get("/campaigns/").status_code == 200
    assert admin.get(f"/campaigns/{campaign_id}").status_code == 200


# --- create and edit ----------------------------------------------------------------------------


def test_the_new_campaign_form_offers_the_defaults(supervisor: FlaskClient) -> None:
    page = page_text(supervisor.get("/campaigns/new"))
    assert 'name="ring_timeout_s" value="25"' in page
    assert 'name="retry_delays_s.busy" value="900"' in page
    assert 'name="timezone" value="Asia/Shanghai"' in page  # the site's
    assert 'name="abandon_target_ratio" value="3%"' in page


def test_a_valid_campaign_is_created_with_every_setting_and_audited(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    response = create_campaign(supervisor)
    assert response.status_code == 303
    campaign = campaign_row(web_engine)
    assert response.headers["Location"] == f"/campaigns/{campaign.id}"
    assert campaign.status is CampaignStatus.DRAFT
    assert campaign.dial_mode.value == "predictive"
    assert campaign.timezone == "Europe/London"
    assert campaign.call_days == "mon,tue,wed,thu,fri,sat"
    assert campaign.holidays == ["2026-12-25", "2026-12-26"]
    assert campaign.max_attempts == 5
    assert campaign.retry_delays_s["busy"] == 600
    assert campaign.abandon_target_ratio == pytest.approx(0.02)
    assert campaign.abandon_definition.value == "ofcom_daily"
    assert campaign.max_lines_per_agent == 2.5
    assert campaign.caller_id == "+442071234567"
    assert ("campaign_update", "campaign:renewals") in audit_actions(web_engine)
    assert ("campaign_created", "campaign:renewals") in audit_actions(web_engine)
    page = page_text(supervisor.get(response.headers["Location"]))
    assert "Campaign created as a draft" in page
    assert "custom/renewals-abandon" in page


def test_warnings_of_a_saved_campaign_are_shown(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    create_campaign(supervisor, caller_id="", amd_enabled="on")
    page = page_text(supervisor.get(f"/campaigns/{campaign_row(web_engine).id}"))
    assert "no caller_id" in page
    assert "AMD with ofcom_daily" in page


def test_bad_settings_are_refused_with_each_message_next_to_its_field_and_the_input_kept(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    response = create_campaign(
        supervisor,
        ring_timeout_s="10",
        abandon_target_ratio="9%",
        caller_id="call me; maybe",
        window="25:00-26:00",
        **{"retry_delays_s.busy": "soon"},
    )
    assert response.status_code == 400
    page = page_text(response)
    assert "The campaign was not saved" in page
    for field, message in (
        ("ring_timeout_s", "must ring at least 15 s"),
        ("abandon_target_ratio", "legal cap is 0.03"),
        ("caller_id", "is not a caller ID"),
        ("window", "is not a calling window"),
        ("retry_delays_s.busy", "whole seconds"),
    ):
        # The message follows its own input.
        assert re.search(
            rf'name="{re.escape(field)}" value="[^"]*"[^>]*>.*?{re.escape(message)}', page, re.S
        ), field
    # Everything typed is still there.
    assert 'name="ring_timeout_s" value="10"' in page
    assert 'name="abandon_target_ratio" value="9%"' in page
    assert 'name="caller_id" value="call me; maybe"' in page
    assert 'name="retry_delays_s.busy" value="soon"' in page
    assert 'name="name" value="renewals"' in page
    assert 'value="sat" checked' in page
    with session_of(web_engine) as session:
        assert session.scalar(select(func.count(Campaign.id))) == 0


def test_an_unknown_agent_or_a_taken_name_is_refused(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    response = create_campaign(supervisor, agents="1001, 9999")
    assert response.status_code == 400
    assert "no agent with login &#39;9999&#39;" in page_text(response)
    assert 'name="agents" value="1001, 9999"' in page_text(response)
    assert create_campaign(supervisor).status_code == 303
    response = create_campaign(supervisor)
    assert response.status_code == 400
    assert "A campaign with this name exists already" in page_text(response)
    with session_of(web_engine) as session:
        assert session.scalar(select(func.count(Campaign.id))) == 1


def test_an_edit_is_saved_keeping_the_name_and_audited(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    form = page_text(supervisor.get(f"/campaigns/{campaign_id}/edit"))
    assert 'name="retry_delays_s.busy" value="600"' in form
    assert 'name="max_lines_per_agent" value="2.5"' in form
    response = post(
        supervisor,
        f"/campaigns/{campaign_id}/edit",
        {**VALID_FORM, "name": "renamed", "ring_timeout_s": "30", "days": ["mon"]},
    )
    assert response.status_code == 303
    campaign = campaign_row(web_engine)
    assert campaign.ring_timeout_s == 30
    assert campaign.call_days == "mon"
    assert audit_actions(web_engine).count(("campaign_update", "campaign:renewals")) == 2
    assert ("campaign_updated", "campaign:renewals") in audit_actions(web_engine)


def test_a_refused_edit_changes_nothing(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    response = post(
        supervisor, f"/campaigns/{campaign_id}/edit", {**VALID_FORM, "max_attempts": "0"}
    )
    assert response.status_code == 400
    assert "max_attempts: a whole number of at least 1" in page_text(response)
    assert campaign_row(web_engine).max_attempts == 5


def test_sql_looking_and_script_names_are_stored_and_shown_as_text(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    for name in ("' OR 1=1 --", "<script>alert(1)</script>", "50%_off"):
        assert create_campaign(supervisor, name=name).status_code == 303, name
    with session_of(web_engine) as session:
        names = set(session.scalars(select(Campaign.name)))
    assert names == {"' OR 1=1 --", "<script>alert(1)</script>", "50%_off"}
    page = page_text(supervisor.get("/campaigns/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    found = page_text(supervisor.get("/campaigns/", query_string={"q": "' OR 1=1 --"}))
    assert "&#39; OR 1=1 --" in found and "50%_off" not in found
    # % and _ are plain characters in a search.
    found = page_text(supervisor.get("/campaigns/", query_string={"q": "%_"}))
    assert "50%_off" in found and "OR 1=1" not in found
    assert "No campaign matches" in page_text(
        supervisor.get("/campaigns/", query_string={"q": "%%"})
    )


# --- status -------------------------------------------------------------------------------------


def change(client: FlaskClient, campaign: int, action: str) -> TestResponse:
    return post(client, f"/campaigns/{campaign}/status", {"action": action})


def test_start_pause_and_stop_follow_the_allowed_transitions(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    detail = page_text(supervisor.get(f"/campaigns/{campaign_id}"))
    assert 'value="start"' in detail and 'value="pause"' not in detail
    for action, status in (
        ("start", CampaignStatus.ACTIVE),
        ("pause", CampaignStatus.PAUSED),
        ("start", CampaignStatus.ACTIVE),
        ("stop", CampaignStatus.FINISHED),
    ):
        response = change(supervisor, campaign_id, action)
        assert response.status_code == 303
        assert campaign_row(web_engine).status is status, action
    # A finished campaign is not started again.
    response = change(supervisor, campaign_id, "start")
    page = page_text(supervisor.get(response.headers["Location"]))
    assert "it cannot be changed with" in page
    assert campaign_row(web_engine).status is CampaignStatus.FINISHED
    assert 'value="start"' not in page
    actions = audit_actions(web_engine)
    assert actions.count(("campaign_update", "campaign:renewals")) == 5  # create + 4 changes
    assert ("campaign_stop", "campaign:renewals") in actions


def test_a_campaign_nobody_can_work_is_not_started(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    create_campaign(supervisor, agents="", queue="")
    campaign = campaign_row(web_engine)
    response = change(supervisor, campaign.id, "start")
    assert "Nobody can take this campaign" in page_text(
        supervisor.get(response.headers["Location"])
    )
    assert campaign_row(web_engine).status is CampaignStatus.DRAFT


def test_an_unknown_action_or_campaign_is_refused(
    supervisor: FlaskClient, campaign_id: int
) -> None:
    assert change(supervisor, campaign_id, "explode").status_code == 400
    assert change(supervisor, 999, "start").status_code == 404
    assert supervisor.get("/campaigns/999").status_code == 404


# --- lead uploads -------------------------------------------------------------------------------


def import_leads(
    client: FlaskClient, campaign: int, content: bytes | str, **fields: str
) -> TestResponse:
    mapping = {"phones": "mobile, home", "ref": "account", "region": "GB", **fields}
    return upload(client, f"/campaigns/{campaign}/leads", content, **mapping)


def test_a_lead_file_imports_every_good_row_and_reports_every_bad_one(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    assert "Phone columns" in page_text(supervisor.get(f"/campaigns/{campaign_id}/leads"))
    response = import_leads(supervisor, campaign_id, LEADS_CSV)
    assert response.status_code == 303
    report = page_text(supervisor.get(response.headers["Location"]))
    assert re.search(r'id="count-inserted">3<', report)
    assert re.search(r'id="count-rejected">3<', report)
    rejected_lines = re.findall(r'<td class="num">(\d+)</td>\s*<td class="reason">([^<]*)<', report)
    assert [(int(line), reason) for line, reason in rejected_lines] == [
        (
            3,
            "no valid phone number: mobile &#39;not a number&#39; is not a phone number: "
            "it has no digits; home is empty",
        ),
        (5, "duplicate of line 2: the same reference &#39;A1&#39;"),
        (6, "duplicate of line 2: the same phone +447911123456"),
    ]
    # The script in a name is shown as text, never run.
    assert "<script>alert(1)</script>" not in report
    with session_of(web_engine) as session:
        refs = sorted(
            session.scalars(select(Lead.external_ref).where(Lead.campaign_id == campaign_id))
        )
        phones = session.scalar(select(func.count(LeadPhone.id)))
        names = {lead.fields.get("name") for lead in session.scalars(select(Lead))}
    assert refs == ["A1", "A3", "A5"]
    assert phones == 4
    assert "<script>alert(1)</script>" in names  # stored as written
    assert ("leads_import", "campaign:renewals") in audit_actions(web_engine)


def test_the_rejected_rows_download_as_csv_and_are_audited(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    location = import_leads(supervisor, campaign_id, LEADS_CSV + "A9,=HYPERLINK(1),bad,\n").headers[
        "Location"
    ]
    response = supervisor.get(f"{location}/rejected.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = page_text(response).removeprefix("\ufeff")
    lines = text.strip().splitlines()
    assert lines[0] == "line,reason,account,name,mobile,home"
    assert [line.split(",")[0] for line in lines[1:]] == ["3", "5", "6", "8"]
    assert "'=HYPERLINK(1)" in text  # a formula is escaped for spreadsheets
    assert ("upload_rejects_download", "campaign:renewals") in audit_actions(web_engine)


def test_importing_the_same_file_again_imports_nothing_and_reports_every_row(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    import_leads(supervisor, campaign_id, LEADS_CSV)
    location = import_leads(supervisor, campaign_id, LEADS_CSV).headers["Location"]
    report = page_text(supervisor.get(location))
    assert re.search(r'id="count-inserted">0<', report)
    assert re.search(r'id="count-rejected">6<', report)
    assert "already in the campaign" in report
    with session_of(web_engine) as session:
        assert session.scalar(select(func.count(Lead.id))) == 3


def test_a_long_report_is_paginated(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    rows = "".join(f"R{i},Name {i},bad number {i},\n" for i in range(250))
    location = import_leads(supervisor, campaign_id, "account,name,mobile,home\n" + rows).headers[
        "Location"
    ]
    first = page_text(supervisor.get(location))
    assert "Page 1 of 3" in first
    assert "bad number 0" in first and "bad number 100" not in first
    third = page_text(supervisor.get(location, query_string={"page": 3}))
    assert "bad number 249" in third and "bad number 199" not in third
    assert page_text(supervisor.get(location, query_string={"page": "x"})).count("Page 1 of 3")


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "leads.csv", "No file was chosen"),  # the browser sends no name without a file
        (b"   \n", "leads.csv", "The file is empty"),
        (b"PK\x03\x04rest-of-a-workbook", "leads.xlsx", "spreadsheet workbook"),
        (b"MZ\x90\x00binary", "leads.csv", "binary data"),
        (b"phone\n+447911123456\n", "leads.exe", "Only CSV files are accepted"),
        (b"account,name,cell\nA1,Al,+447911123456\n", "leads.csv", "the file has no column"),
    ],
)
def test_a_bad_lead_upload_is_refused_with_a_clear_message(
    supervisor: FlaskClient,
    campaign_id: int,
    web_engine: Engine,
    content: bytes,
    filename: str,
    message: str,
) -> None:
    if not content:
        response = supervisor.post(
            f"/campaigns/{campaign_id}/leads",
            data={"csrf_token": csrf_of(supervisor), "phones": "mobile", "ref": "account"},
            content_type="multipart/form-data",
        )
    else:
        response = import_leads(supervisor, campaign_id, content, filename=filename)
    assert response.status_code == 400
    page = page_text(response)
    assert message in page
    # The column choices are kept for the next try.
    assert 'name="ref" value="account"' in page
    with session_of(web_engine) as session:
        assert session.scalar(select(func.count(Lead.id))) == 0


def test_a_missing_column_names_the_columns_the_file_has(
    supervisor: FlaskClient, campaign_id: int
) -> None:
    response = import_leads(
        supervisor, campaign_id, "account,name,cell\nA1,Al,+447911123456\n", phones="mobile"
    )
    page = page_text(response)
    assert "the file has no column &#39;mobile&#39;" in page
    assert "its columns are: account, name, cell" in page


def test_no_phone_column_named_is_refused(supervisor: FlaskClient, campaign_id: int) -> None:
    response = import_leads(supervisor, campaign_id, LEADS_CSV, phones=" , ")
    assert response.status_code == 400
    assert "Name the phone column" in page_text(response)


def test_an_upload_over_the_size_limit_is_refused_with_the_limit(
    web_app: Flask, supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    web_app.config["MAX_CONTENT_LENGTH"] = 2_000
    response = import_leads(supervisor, campaign_id, LEADS_CSV + "x" * 5_000)
    assert response.status_code == 413
    assert "larger than the 64 MB limit" in page_text(response)
    with session_of(web_engine) as session:
        assert session.scalar(select(func.count(Lead.id))) == 0


def test_a_latin_1_file_is_imported_with_a_warning(
    supervisor: FlaskClient, campaign_id: int
) -> None:
    content = "account,name,mobile,home\nA1,Müller,+447911123456,\n".encode("latin-1")
    location = import_leads(supervisor, campaign_id, content).headers["Location"]
    report = page_text(supervisor.get(location))
    assert "Read as latin-1" in report
    assert "save the file as CSV UTF-8" in report


def test_an_upload_report_is_only_for_its_uploader(
    supervisor: FlaskClient, web_client: Clients, campaign_id: int, web_clock: FixedClock
) -> None:
    location = import_leads(supervisor, campaign_id, LEADS_CSV).headers["Location"]
    assert web_client("admin").get(location).status_code == 404
    assert web_client("admin").get(f"{location}/rejected.csv").status_code == 404
    # Kept 12 hours (the session is kept alive meanwhile), then dropped.
    web_clock.advance(hours=7)
    assert supervisor.get(location).status_code == 200
    web_clock.advance(hours=6)
    response = supervisor.get(location)
    assert response.status_code == 404
    assert "no longer kept" in page_text(response)


# --- do-not-call uploads ------------------------------------------------------------------------


def test_a_global_dnc_file_is_added_and_reported(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    assert "Global: no campaign calls these numbers" in page_text(supervisor.get("/campaigns/dnc"))
    content = (
        "phone,reason\n+447911123456,asked\n+447911123456,again\nnope,<b>x</b>\n07911 123457,\n"
    )
    response = upload(supervisor, "/campaigns/dnc", content, "dnc.csv", scope="", region="GB")
    assert response.status_code == 303
    report = page_text(supervisor.get(response.headers["Location"]))
    assert re.search(r'id="count-added">2<', report)
    assert re.search(r'id="count-repeated">1<', report)
    assert re.search(r'id="count-rejected">1<', report)
    assert re.search(r'<td class="num">4</td>\s*<td class="reason">[^<]*not a phone number', report)
    assert "<b>x</b>" not in report and "&lt;b&gt;x&lt;/b&gt;" in report
    with session_of(web_engine) as session:
        entries = session.execute(
            select(DncEntry.phone_e164, DncEntry.campaign_id, DncEntry.source)
        ).all()
    assert sorted(entries) == [("+447911123456", None, "import"), ("+447911123457", None, "import")]
    assert ("dnc_import", "dnc:global") in audit_actions(web_engine)
    # The same file again: already listed.
    response = upload(supervisor, "/campaigns/dnc", content, "dnc.csv", scope="", region="GB")
    assert re.search(
        r'id="count-listed">2<', page_text(supervisor.get(response.headers["Location"]))
    )


def test_a_campaign_dnc_file_goes_on_that_campaign_s_list(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    page = page_text(supervisor.get("/campaigns/dnc", query_string={"campaign": campaign_id}))
    assert f'value="{campaign_id}" selected' in page
    response = upload(
        supervisor,
        "/campaigns/dnc",
        "+447911123456\n",
        "dnc.txt",
        scope=str(campaign_id),
        region="GB",
        source="complaints",
    )
    assert response.status_code == 303
    assert "Campaign renewals only" in page_text(supervisor.get(response.headers["Location"]))
    with session_of(web_engine) as session:
        entry = session.scalars(select(DncEntry)).one()
    assert (entry.campaign_id, entry.source) == (campaign_id, "complaints")
    assert ("dnc_import", "campaign:renewals") in audit_actions(web_engine)


def test_a_bad_dnc_upload_is_refused(supervisor: FlaskClient, web_engine: Engine) -> None:
    response = upload(supervisor, "/campaigns/dnc", b"\xd0\xcf\x11\xe0old excel", "dnc.xls")
    assert response.status_code == 400
    assert "spreadsheet workbook" in page_text(response)
    response = upload(supervisor, "/campaigns/dnc", "+447911123456\n", "dnc.csv", region="ZZ")
    assert response.status_code == 400
    assert "not a country code" in page_text(response)
    response = upload(supervisor, "/campaigns/dnc", "+447911123456\n", "dnc.csv", scope="x")
    assert response.status_code == 400
    with session_of(web_engine) as session:
        assert session.scalar(select(func.count(DncEntry.id))) == 0


# --- list, progress and detail ------------------------------------------------------------------


def seed_activity(engine: Engine, campaign: int) -> None:
    """Leads in several statuses and today's attempts: 4 answered by a person, 1 dropped."""
    now = START
    with session_of(engine) as session:
        statuses = [LeadStatus.PENDING] * 3 + [LeadStatus.DONE] * 2 + [LeadStatus.EXHAUSTED]
        leads = []
        for number, status in enumerate(statuses):
            lead = Lead(campaign_id=campaign, status=status, external_ref=f"S{number}")
            leads.append(lead)
        session.add_all(leads)
        session.flush()
        outcomes = [CallOutcome.HUMAN] * 4 + [CallOutcome.NO_ANSWER, CallOutcome.BUSY]
        for number, outcome in enumerate(outcomes):
            started = now - timedelta(minutes=10 + number)
            answered = started + timedelta(seconds=5) if outcome is CallOutcome.HUMAN else None
            session.add(
                CallAttempt(
                    campaign_id=campaign,
                    lead_id=leads[number].id,
                    phone_e164=f"+44791112345{number}",
                    started_at=started,
                    answered_at=answered,
                    connected_at=answered if number else None,
                    ended_at=started + timedelta(seconds=95),
                    outcome=outcome,
                    abandoned=number == 0,
                    disposition="sale" if number == 1 else None,
                )
            )
        # Yesterday's attempts do not count today.
        session.add(
            CallAttempt(
                campaign_id=campaign,
                lead_id=leads[0].id,
                phone_e164="+447911123450",
                started_at=now - timedelta(days=1),
                outcome=CallOutcome.BUSY,
            )
        )
        session.commit()


def test_the_list_shows_each_campaign_s_progress(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    seed_activity(web_engine, campaign_id)
    page = page_text(supervisor.get("/campaigns/"))
    row = page[page.index(f'data-campaign-id="{campaign_id}"') :]
    row = row[: row.index("</tr>")]
    for field, value in (
        ("leads", "6"),
        ("dialable", "3"),
        ("finished", "3"),
        ("attempts_today", "6"),
        ("contacts_today", "4"),
    ):
        assert re.search(rf'data-field="{field}">{value}<', row), field
    # 1 drop of 4 answered by a person: 25 %, over the 2 % target.
    assert re.search(r'class="num bad" data-field="drop_rate">25.0%<', row)
    assert "Predictive" in row and "2.0%" in row
    assert "campaigns.js" in page


def test_the_progress_endpoint_gives_the_figures_as_json(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    seed_activity(web_engine, campaign_id)
    response = supervisor.get(
        f"/campaigns/progress?ids={campaign_id},999,x", headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    figures = response.get_json()["campaigns"]
    assert set(figures) == {str(campaign_id)}
    expected = {
        "status": "draft",
        "leads": 6,
        "dialable": 3,
        "finished": 3,
        "attempts_today": 6,
        "contacts_today": 4,
        "drops_today": 1,
        "drop_rate": "25.0%",
        "drop_level": "bad",
    }
    assert expected.items() <= figures[str(campaign_id)].items()
    assert supervisor.get("/campaigns/progress").get_json()["campaigns"] == {}


def test_the_detail_page_shows_leads_attempts_and_the_drop_rate_against_the_cap(
    supervisor: FlaskClient, campaign_id: int, web_engine: Engine
) -> None:
    seed_activity(web_engine, campaign_id)
    page = page_text(supervisor.get(f"/campaigns/{campaign_id}"))
    assert "25.0%" in page and "Target 2.0%" in page and "Ofcom (UK): per day" in page
    assert "Today: 1 dropped of 4 answered by a person (6 attempts)" in page
    assert re.search(r"Waiting to be called</td><td class=\"num\">3<", page)
    assert re.search(r"Done</td><td class=\"num\">2<", page)
    assert "+447911123451" in page and "sale" in page
    assert "Dropped" in page
    assert "+447911123450" in page
    # Times in the site's zone (Shanghai, UTC+8).
    assert "2026-11-23 17:50:00" in page


def test_a_us_campaign_also_shows_the_last_30_days(
    supervisor: FlaskClient, web_engine: Engine
) -> None:
    create_campaign(supervisor, abandon_definition="ftc_30d")
    campaign = campaign_row(web_engine)
    seed_activity(web_engine, campaign.id)
    page = page_text(supervisor.get(f"/campaigns/{campaign.id}"))
    assert "Last 30 days: 1 dropped of 4 answered by a person" in page


def test_the_pages_speak_chinese(supervisor: FlaskClient, campaign_id: int) -> None:
    post(supervisor, "/language", {"language": "zh", "next": "/campaigns/"})
    assert "外呼模式" in page_text(supervisor.get("/campaigns/"))
    assert "拨打时间窗" in page_text(supervisor.get(f"/campaigns/{campaign_id}/edit"))
    assert "今日拨打结果" in page_text(supervisor.get(f"/campaigns/{campaign_id}"))
