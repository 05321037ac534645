"""The schema's rules hold in the database itself, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from asterisk_cc.core.customers import Tier
from asterisk_cc.core.vocabulary import (
    CallDirection,
    DialMode,
    DncScope,
    LeadStatus,
)
from asterisk_cc.db.models import (
    Agent,
    Campaign,
    Customer,
    CustomerPhone,
    DncEntry,
    Interaction,
    Lead,
    Queue,
    SurveyAnswer,
)

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def rejected(
    session: Session,
    objects: Iterable[object] = (),
    sql: str | None = None,
    params: dict[str, object] | None = None,
) -> bool:
    """True when the database refuses the rows (the savepoint is rolled back either way)."""
    try:
        with session.begin_nested():
            session.add_all(list(objects))
            if sql is not None:
                session.execute(text(sql), params or {})
            session.flush()
    except (IntegrityError, DataError):  # DataError: PostgreSQL's varchar length
        return True
    return False


def customer(session: Session, name: str = "Li Lei", phone: str | None = None) -> Customer:
    row = Customer(name=name)
    if phone:
        row.phones.append(CustomerPhone(phone_e164=phone, label="mobile"))
    session.add(row)
    session.flush()
    return row


def call(session: Session, linkedid: str, **fields: object) -> Interaction:
    row = Interaction(
        uniqueid=linkedid,
        linkedid=linkedid,
        direction=CallDirection.INBOUND,
        started_at=NOW,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def test_a_phone_number_belongs_to_one_customer(db_session: Session) -> None:
    customer(db_session, "first", "+8613812345678")
    assert rejected(
        db_session,
        [CustomerPhone(customer_id=customer(db_session).id, phone_e164="+8613812345678")],
    )
    second = customer(db_session, "second", "+8613812345679")
    assert [p.phone_e164 for p in second.phones] == ["+8613812345679"]


@pytest.mark.parametrize("phone", ["13812345678", "+86", "+86138123456789012", ""])
def test_phone_numbers_must_be_e164(db_session: Session, phone: str) -> None:
    owner = customer(db_session)
    assert rejected(db_session, [CustomerPhone(customer_id=owner.id, phone_e164=phone)])


def test_account_numbers_are_unique_but_optional(db_session: Session) -> None:
    db_session.add_all(
        [Customer(name="a", account_number="A-1"), Customer(name="b"), Customer(name="c")]
    )
    db_session.flush()
    assert rejected(db_session, [Customer(name="d", account_number="A-1")])


def test_tier_defaults_to_standard_and_only_known_tiers_are_stored(db_session: Session) -> None:
    row = customer(db_session)
    db_session.refresh(row)
    assert row.tier is Tier.STANDARD
    assert rejected(db_session, sql="INSERT INTO customers (name, tier) VALUES ('x', 'platinum')")
    with pytest.raises(StatementError), db_session.begin_nested():
        db_session.add(Customer(name="y", tier="platinum"))
        db_session.flush()


@pytest.mark.parametrize(("score", "accepted"), [(0, False), (1, True), (5, True), (6, False)])
def test_survey_scores_are_1_to_5(db_session: Session, score: int, accepted: bool) -> None:
    interaction = call(db_session, f"survey-{score}")
    answer = SurveyAnswer(
        interaction_id=interaction.id, question="csat", score=score, answered_at=NOW
    )
    assert rejected(db_session, [answer]) is not accepted


def test_one_interaction_per_linkedid_and_sane_durations(db_session: Session) -> None:
    call(db_session, "1730000000.1")
    assert rejected(
        db_session,
        [
            Interaction(
                uniqueid="x",
                linkedid="1730000000.1",
                direction=CallDirection.INBOUND,
                started_at=NOW,
            )
        ],
    )
    assert rejected(
        db_session,
        [
            Interaction(
                uniqueid="y",
                linkedid="y",
                talk_s=-1,
                direction=CallDirection.INBOUND,
                started_at=NOW,
            )
        ],
    )
    assert rejected(
        db_session,
        sql=(
            "INSERT INTO interactions (uniqueid, linkedid, direction, started_at) "
            "VALUES ('z', 'z', 'sideways', CURRENT_TIMESTAMP)"
        ),
    )


def test_foreign_keys_are_enforced(db_session: Session) -> None:
    assert rejected(db_session, [CustomerPhone(customer_id=987654, phone_e164="+8613812345670")])


def test_erasing_a_customer_keeps_the_call_statistics(db_session: Session) -> None:
    erased = customer(db_session, "to be erased", "+8613812345671")
    interaction = call(db_session, "erase-1", customer_id=erased.id, customer_tier=Tier.GOLD)
    db_session.delete(erased)
    db_session.flush()
    db_session.expire_all()
    assert db_session.get(Interaction, interaction.id).customer_id is None  # type: ignore[union-attr]
    assert db_session.get(Interaction, interaction.id).customer_tier is Tier.GOLD  # type: ignore[union-attr]
    phones = db_session.scalars(
        select(CustomerPhone).where(CustomerPhone.phone_e164 == "+8613812345671")
    ).all()
    assert phones == []


def test_agents_with_history_cannot_be_deleted(db_session: Session) -> None:
    agent = Agent(login="1001", name="Han Meimei")
    db_session.add(agent)
    db_session.flush()
    call(db_session, "agent-history", agent_id=agent.id)
    assert rejected(db_session, sql="DELETE FROM agents WHERE id = :id", params={"id": agent.id})


def campaign(session: Session, name: str = "renewals") -> Campaign:
    row = Campaign(name=name, dial_mode=DialMode.PROGRESSIVE)
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


def test_campaign_defaults_and_rules(db_session: Session) -> None:
    row = campaign(db_session)
    assert (row.max_attempts, row.ring_timeout_s, row.abandon_target_ratio) == (3, 25, 0.03)
    assert (row.window_start, row.window_end) == (time(9, 0), time(21, 0))
    assert row.retry_delays_s == [] and row.amd_options == {}
    for bad in (
        {"max_attempts": 0},
        {"abandon_target_ratio": 1.5},
        {"window_start": time(22, 0), "window_end": time(8, 0)},
    ):
        candidate = Campaign(name=f"bad-{sorted(bad)}", dial_mode=DialMode.PREDICTIVE, **bad)
        assert rejected(db_session, [candidate]), bad


def test_dnc_scope_and_campaign_go_together(db_session: Session) -> None:
    row = campaign(db_session)
    assert not rejected(
        db_session,
        [
            DncEntry(phone_e164="+8613812345672", scope=DncScope.GLOBAL, source="customer_request"),
            DncEntry(
                phone_e164="+8613812345672",
                scope=DncScope.CAMPAIGN,
                campaign_id=row.id,
                source="agent",
            ),
        ],
    )
    assert rejected(
        db_session, [DncEntry(phone_e164="+8613812345673", scope=DncScope.CAMPAIGN, source="agent")]
    )
    assert rejected(
        db_session,
        [
            DncEntry(
                phone_e164="+8613812345673",
                scope=DncScope.GLOBAL,
                campaign_id=row.id,
                source="agent",
            )
        ],
    )


def test_a_lead_is_claimed_exactly_when_it_is_dialing(db_session: Session) -> None:
    row = campaign(db_session)
    assert rejected(db_session, [Lead(campaign_id=row.id, status=LeadStatus.DIALING)])
    assert rejected(
        db_session,
        [Lead(campaign_id=row.id, status=LeadStatus.PENDING, locked_by="dialer-1", locked_at=NOW)],
    )
    assert not rejected(
        db_session,
        [Lead(campaign_id=row.id, status=LeadStatus.DIALING, locked_by="dialer-1", locked_at=NOW)],
    )


def test_queue_targets_are_checked(db_session: Session) -> None:
    db_session.add(Queue(name="sales"))
    db_session.flush()
    sales = db_session.scalars(select(Queue).where(Queue.name == "sales")).one()
    db_session.refresh(sales)
    assert (sales.service_level_threshold_s, sales.service_level_target_ratio) == (20, 0.8)
    assert rejected(db_session, [Queue(name="bad-sl", service_level_threshold_s=0)])
    assert rejected(db_session, [Queue(name="bad-ratio", service_level_target_ratio=1.2)])


def test_every_agent_state_is_stored_and_no_other(db_session: Session) -> None:
    from asterisk_cc.core.vocabulary import AgentState
    from asterisk_cc.db.models import AgentStateChange

    agent = Agent(login="1002", name="Li Lei")
    db_session.add(agent)
    db_session.flush()
    for state in AgentState:
        assert not rejected(db_session, [AgentStateChange(agent_id=agent.id, state=state, at=NOW)])
    assert rejected(
        db_session,
        sql="INSERT INTO agent_state_changes (agent_id, state, at) VALUES (:id, 'lunch', :at)",
        params={"id": agent.id, "at": NOW},
    )
