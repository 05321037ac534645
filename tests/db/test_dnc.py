"""Do-not-call lists: global and per campaign, expiry, one entry per list, imports, and the
check the dialer makes at dial time."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import DialMode, DncScope
from asterisk_cc.db.dnc import (
    CHUNK,
    add_dnc,
    blocked_numbers,
    check_e164,
    dnc_entries,
    import_dnc,
    remove_dnc,
)
from asterisk_cc.db.models import AuditLogEntry, Campaign, DncEntry

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
ANN, BOB, CY = "+12125550143", "+12125550144", "+442079460958"


def add_campaign(session: Session) -> int:
    campaign = Campaign(name=f"dnc-{secrets.token_hex(4)}", dial_mode=DialMode.PREDICTIVE)
    session.add(campaign)
    session.flush()
    return campaign.id


def entries(session: Session, phone: str) -> int:
    return int(
        session.scalar(select(func.count(DncEntry.id)).where(DncEntry.phone_e164 == phone)) or 0
    )


def test_the_global_list_blocks_every_campaign_a_campaign_list_only_its_own(
    db_session: Session,
) -> None:
    first, second = add_campaign(db_session), add_campaign(db_session)
    add_dnc(db_session, ANN, source="agent", reason="asked", now=NOW)
    add_dnc(db_session, BOB, campaign_id=first, source="admin", now=NOW)
    assert blocked_numbers(db_session, [ANN, BOB, CY], first, NOW) == {ANN, BOB}
    assert blocked_numbers(db_session, [ANN, BOB, CY], second, NOW) == {ANN}
    (entry, campaign_name) = dnc_entries(db_session, ANN)[0]
    assert (entry.scope, entry.source, entry.reason, campaign_name) == (
        DncScope.GLOBAL,
        "agent",
        "asked",
        None,
    )


def test_an_expired_entry_no_longer_blocks(db_session: Session) -> None:
    campaign = add_campaign(db_session)
    add_dnc(db_session, ANN, source="import", expires_at=NOW + timedelta(days=1), now=NOW)
    assert blocked_numbers(db_session, [ANN], campaign, NOW) == {ANN}
    assert blocked_numbers(db_session, [ANN], campaign, NOW + timedelta(days=1)) == set()
    with pytest.raises(ValueError, match="not in the future"):
        add_dnc(db_session, BOB, source="admin", expires_at=NOW, now=NOW)


def test_adding_again_updates_the_one_entry(db_session: Session) -> None:
    add_dnc(db_session, ANN, source="import", expires_at=NOW + timedelta(days=1), now=NOW)
    later = NOW + timedelta(days=5)
    entry = add_dnc(db_session, ANN, source="agent", reason="asked again", now=later)
    assert entries(db_session, ANN) == 1
    assert (entry.source, entry.reason, entry.expires_at) == ("agent", "asked again", None)
    assert blocked_numbers(db_session, [ANN], add_campaign(db_session), later) == {ANN}


def test_numbers_must_be_e164_and_sources_named(db_session: Session) -> None:
    for bad in ("2125550143", "+1 212 555 0143", "+1555", "anonymous"):
        with pytest.raises(ValueError):
            add_dnc(db_session, bad, source="admin", now=NOW)
    assert check_e164(CY) == CY
    with pytest.raises(ValueError, match="source"):
        add_dnc(db_session, ANN, source="", now=NOW)


def test_removing_takes_a_number_off_one_list_or_all(db_session: Session) -> None:
    campaign = add_campaign(db_session)
    add_dnc(db_session, ANN, source="admin", now=NOW)
    add_dnc(db_session, ANN, campaign_id=campaign, source="admin", now=NOW)
    assert remove_dnc(db_session, ANN, now=NOW) == 1
    assert blocked_numbers(db_session, [ANN], campaign, NOW) == {ANN}  # the campaign's remains
    assert remove_dnc(db_session, ANN, now=NOW) == 0
    add_dnc(db_session, ANN, source="admin", now=NOW)
    assert remove_dnc(db_session, ANN, everywhere=True, now=NOW) == 2
    assert entries(db_session, ANN) == 0
    actions = db_session.scalars(
        select(AuditLogEntry.action).where(AuditLogEntry.target == f"phone:{ANN}")
    ).all()
    assert actions.count("dnc_added") == 3 and actions.count("dnc_removed") == 2


def test_a_file_import_adds_renews_and_reports_the_bad_lines(db_session: Session) -> None:
    campaign = add_campaign(db_session)
    add_dnc(
        db_session,
        BOB,
        campaign_id=campaign,
        source="x",
        expires_at=NOW + timedelta(hours=1),
        now=NOW,
    )
    later = NOW + timedelta(days=1)  # BOB's entry has expired by then
    report = import_dnc(
        db_session,
        "number,reason\n(212) 555-0143,complaint\n2125550144,\nnot a number,x\n212-555-0143,again\n",
        "US",
        campaign,
        "registry",
        now=later,
    )
    assert (report.added, report.updated, report.repeated) == (1, 1, 1)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "'not a number' is not a phone number: it has no digits")
    ]
    assert blocked_numbers(db_session, [ANN, BOB], campaign, later) == {ANN, BOB}
    ((entry, _),) = dnc_entries(db_session, ANN)
    assert (entry.scope, entry.source, entry.reason) == (DncScope.CAMPAIGN, "registry", "complaint")


def test_the_dial_time_check_handles_more_numbers_than_one_query_takes(db_session: Session) -> None:
    campaign = add_campaign(db_session)
    numbers = [f"+1212555{n:04d}" for n in range(CHUNK * 2 + 7)]
    listed = numbers[::97]
    report = import_dnc(db_session, "\n".join(listed), "US", now=NOW)
    assert report.added == len(listed)
    assert blocked_numbers(db_session, numbers, campaign, NOW) == set(listed)
