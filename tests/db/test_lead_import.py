"""Importing lead files: every row inserted or reported, duplicates of the campaign's leads
refused, the same file twice inserts nothing, and it is done in bulk."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from asterisk_cc.core.dialer.lead_csv import LeadColumns, LeadFileError
from asterisk_cc.core.vocabulary import DialMode, LeadStatus
from asterisk_cc.db.dnc import add_dnc
from asterisk_cc.db.lead_import import import_leads
from asterisk_cc.db.models import AuditLogEntry, Campaign, Lead, LeadPhone

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
COLUMNS = LeadColumns(phones=("phone", "mobile"), external_ref="id", timezone="tz")
FILE = (
    "id,name,phone,mobile,tz\n"
    "A1,Ann,(212) 555-0143,+44 7911 123456,Europe/London\n"
    "A2,Bob,nonsense,,\n"
    "A3,Cy,2125550144,,\n"
    "A1,Dup,2125550145,,\n"
    "\n"
    "A4,Di,2125550146,12,\n"
)


def add_campaign(session: Session) -> int:
    campaign = Campaign(name=f"import-{secrets.token_hex(4)}", dial_mode=DialMode.PROGRESSIVE)
    session.add(campaign)
    session.flush()
    return campaign.id


def leads_of(session: Session, campaign_id: int) -> list[Lead]:
    return list(
        session.scalars(select(Lead).where(Lead.campaign_id == campaign_id).order_by(Lead.id))
    )


def test_good_rows_become_leads_with_their_numbers_in_order(db_session: Session) -> None:
    campaign_id = add_campaign(db_session)
    report = import_leads(db_session, campaign_id, FILE, COLUMNS, "US", NOW)
    assert (report.inserted, report.rows) == (3, 5)
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (3, "no valid phone number"),
        (5, "duplicate of line 2"),
    ]
    assert [w.line for w in report.warnings] == [7]  # A4's second number "12"
    leads = leads_of(db_session, campaign_id)
    assert [lead.external_ref for lead in leads] == ["A1", "A3", "A4"]
    ann = leads[0]
    assert [p.phone_e164 for p in ann.phones] == ["+12125550143", "+447911123456"]
    assert [p.position for p in ann.phones] == [0, 1]
    assert ann.fields == {"name": "Ann"} and ann.timezone == "Europe/London"
    assert (ann.status, ann.attempts, ann.next_attempt_at) == (LeadStatus.PENDING, 0, NOW)
    audit = db_session.scalars(
        select(AuditLogEntry.details).where(AuditLogEntry.action == "leads_imported")
    ).all()
    assert {"inserted": 3, "rejected": 2} in audit


def test_the_same_file_twice_inserts_nothing_and_reports_every_row(db_session: Session) -> None:
    campaign_id = add_campaign(db_session)
    import_leads(db_session, campaign_id, FILE, COLUMNS, "US", NOW)
    again = import_leads(db_session, campaign_id, FILE.encode("utf-8"), COLUMNS, "US", NOW)
    assert again.inserted == 0 and len(again.rejected) == again.rows == 5
    reasons = {r.line: r.reason for r in again.rejected}
    assert reasons[2].startswith("already in the campaign: lead ")
    assert reasons[2].endswith("has the reference 'A1'")
    assert reasons[3].startswith("no valid phone number")
    assert reasons[5].startswith("duplicate of line 2")
    assert len(leads_of(db_session, campaign_id)) == 3


def test_a_number_already_in_the_campaign_is_a_duplicate_in_another_campaign_not(
    db_session: Session,
) -> None:
    campaign_id, other_id = add_campaign(db_session), add_campaign(db_session)
    import_leads(
        db_session,
        campaign_id,
        "id,phone\nX,2125550143\n",
        LeadColumns(("phone",), "id"),
        "US",
        NOW,
    )
    later = "id,phone,mobile\nY,2125550199,(212) 555-0143\n"
    columns = LeadColumns(("phone", "mobile"), "id")
    refused = import_leads(db_session, campaign_id, later, columns, "US", NOW)
    assert refused.inserted == 0
    assert refused.rejected[0].reason.endswith("has the phone +12125550143")
    assert refused.rejected[0].raw == ("Y", "2125550199", "(212) 555-0143")
    elsewhere = import_leads(db_session, other_id, later, columns, "US", NOW)
    assert elsewhere.inserted == 1


def test_a_file_that_cannot_be_used_writes_nothing(db_session: Session) -> None:
    campaign_id = add_campaign(db_session)
    with pytest.raises(LeadFileError, match="no column 'mobile'"):
        import_leads(db_session, campaign_id, "id,phone\n1,2125550143\n", COLUMNS, "US", NOW)
    assert leads_of(db_session, campaign_id) == []
    with pytest.raises(LookupError, match="no campaign"):
        import_leads(db_session, 10**9, FILE, COLUMNS, "US", NOW)


def test_numbers_on_a_do_not_call_list_are_imported_with_a_warning(db_session: Session) -> None:
    campaign_id = add_campaign(db_session)
    add_dnc(db_session, "+12125550144", source="test", now=NOW)
    report = import_leads(db_session, campaign_id, FILE, COLUMNS, "US", NOW)
    assert report.inserted == 3
    assert any(
        w.line == 4 and "+12125550144 is on a do-not-call list" in w.message
        for w in report.warnings
    )


@contextmanager
def counted_statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_big_file_is_imported_in_bulk_not_row_by_row(db_session: Session) -> None:
    campaign_id = add_campaign(db_session)
    rows = [f"R{n},Lead {n},+1 212 55{n // 10000:01d} {n % 10000:04d},," for n in range(3000)]
    text = "id,name,phone,mobile,tz\n" + "\n".join(rows) + "\n"
    with counted_statements(db_session) as statements:
        report = import_leads(db_session, campaign_id, text, COLUMNS, "US", NOW)
    assert report.inserted == 3000 and report.rejected == ()
    assert len(statements) < 60, len(statements)  # lookups per 500, a few INSERTs
    phones = db_session.scalar(
        select(func.count(LeadPhone.id)).join(Lead).where(Lead.campaign_id == campaign_id)
    )
    assert phones == 3000
    with counted_statements(db_session) as statements:
        again = import_leads(db_session, campaign_id, text, COLUMNS, "US", NOW)
    assert again.inserted == 0 and len(again.rejected) == 3000
    assert len(statements) < 60
