"""The dialers' hopper: due leads are claimed once, by one dialer, in due order."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, insert, select, text
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import DialMode, LeadStatus
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.leads import claim_leads, release_claims, release_stale_claims
from asterisk_cc.db.models import Campaign, Lead

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def add_campaign(session: Session, leads_due: list[datetime]) -> int:
    campaign = Campaign(name=f"hopper-{secrets.token_hex(4)}", dial_mode=DialMode.PREDICTIVE)
    session.add(campaign)
    session.flush()
    if leads_due:
        session.execute(
            insert(Lead),
            [
                {"campaign_id": campaign.id, "next_attempt_at": due, "external_ref": str(n)}
                for n, due in enumerate(leads_due)
            ],
        )
    session.flush()
    return campaign.id


def test_claims_due_leads_in_due_order_and_marks_them(db_session: Session) -> None:
    due = [NOW - timedelta(minutes=m) for m in (5, 30, 10)] + [NOW + timedelta(hours=1)]
    campaign_id = add_campaign(db_session, due)
    other = add_campaign(db_session, [NOW - timedelta(hours=2)])

    first = claim_leads(db_session, campaign_id, 2, "dialer-a", NOW)
    assert [lead.external_ref for lead in first] == ["1", "2"]  # 30 min, then 10 min overdue
    assert all(
        (lead.status, lead.locked_by, lead.locked_at) == (LeadStatus.DIALING, "dialer-a", NOW)
        for lead in first
    )
    rest = claim_leads(db_session, campaign_id, 10, "dialer-b", NOW)
    assert [lead.external_ref for lead in rest] == ["0"]  # the one due in an hour stays
    assert claim_leads(db_session, campaign_id, 10, "dialer-b", NOW) == []
    assert claim_leads(db_session, campaign_id, 0, "dialer-b", NOW) == []
    later = claim_leads(db_session, campaign_id, 10, "dialer-b", NOW + timedelta(hours=2))
    assert [lead.external_ref for lead in later] == ["3"]
    other_leads = db_session.scalars(select(Lead).where(Lead.campaign_id == other)).all()
    assert [lead.status for lead in other_leads] == [LeadStatus.PENDING]


def test_released_claims_can_be_claimed_again(db_session: Session) -> None:
    campaign_id = add_campaign(db_session, [NOW - timedelta(hours=2, minutes=m) for m in range(4)])
    claim_leads(db_session, campaign_id, 2, "dialer-a", NOW - timedelta(hours=1))
    claim_leads(db_session, campaign_id, 2, "dialer-b", NOW)
    assert release_stale_claims(db_session, NOW, older_than=timedelta(minutes=30)) == 2
    assert release_claims(db_session, "dialer-b", NOW) == 2
    again = claim_leads(db_session, campaign_id, 10, "dialer-c", NOW)
    assert len(again) == 4 and {lead.locked_by for lead in again} == {"dialer-c"}


@pytest.fixture
def committed_campaign(engine: Engine) -> Iterator[tuple[Engine, int]]:
    """A campaign with 120 due leads, committed (the dialers use their own connections)."""
    with session_factory(engine)() as session, session.begin():
        campaign_id = add_campaign(session, [NOW - timedelta(seconds=s) for s in range(120)])
    yield engine, campaign_id
    with engine.begin() as connection:
        connection.execute(delete(Lead).where(Lead.campaign_id == campaign_id))
        connection.execute(delete(Campaign).where(Campaign.id == campaign_id))


def test_concurrent_dialers_never_get_the_same_lead(
    committed_campaign: tuple[Engine, int],
) -> None:
    engine, campaign_id = committed_campaign
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def dialer(name: str) -> None:
        mine: list[int] = []
        try:
            start.wait()
            while True:
                with session_factory(engine)() as session, session.begin():
                    batch = claim_leads(session, campaign_id, 7, name, NOW)
                    mine += [lead.id for lead in batch]
                if not batch:
                    break
        except BaseException as exc:  # reported below, from the test's thread
            errors.append(exc)
        claimed[name] = mine

    threads = [threading.Thread(target=dialer, args=(f"dialer-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    every = [lead_id for ids in claimed.values() for lead_id in ids]
    assert len(every) == len(set(every)) == 120
    with engine.connect() as connection:
        owners = connection.execute(
            select(Lead.id, Lead.locked_by).where(Lead.campaign_id == campaign_id)
        ).all()
    assert {lead_id: owner for lead_id, owner in owners} == {
        lead_id: name for name, ids in claimed.items() for lead_id in ids
    }


def test_postgres_skips_leads_another_dialer_holds_instead_of_waiting(
    postgres_engine: Engine,
) -> None:
    with session_factory(postgres_engine)() as setup, setup.begin():
        campaign_id = add_campaign(setup, [NOW - timedelta(seconds=s) for s in range(10)])
    first = session_factory(postgres_engine)()
    second = session_factory(postgres_engine)()
    try:
        held = claim_leads(first, campaign_id, 4, "dialer-a", NOW)  # row locks held, not committed
        second.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting would fail, not hang
        taken = claim_leads(second, campaign_id, 4, "dialer-b", NOW)
        assert len(held) == len(taken) == 4
        assert not {lead.id for lead in held} & {lead.id for lead in taken}
        # Oldest due first: the second dialer got the next four, not a random four.
        assert [lead.external_ref for lead in held] == ["9", "8", "7", "6"]
        assert [lead.external_ref for lead in taken] == ["5", "4", "3", "2"]
        second.commit()
        first.rollback()  # dialer-a died before committing: its leads are free again
        again = claim_leads(first, campaign_id, 10, "dialer-c", NOW)
        assert sorted(lead.external_ref for lead in again) == ["0", "1", "6", "7", "8", "9"]
        first.commit()
    finally:
        first.close()
        second.close()
        with postgres_engine.begin() as connection:
            connection.execute(delete(Lead).where(Lead.campaign_id == campaign_id))
            connection.execute(delete(Campaign).where(Campaign.id == campaign_id))
