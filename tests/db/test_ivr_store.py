"""What the IVR writes and reads: queues met for the first time, the call's interaction,
callback requests, the latest complaint, survey answers; idempotent, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from asterisk_cc.core.customers import Tier
from asterisk_cc.core.vocabulary import CallbackStatus, CallDirection
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.ivr_store import (
    latest_ticket,
    open_interaction,
    queue_id,
    request_callback,
    save_survey_answer,
)
from asterisk_cc.db.models import (
    Agent,
    CallbackRequest,
    Customer,
    Interaction,
    Queue,
    SurveyAnswer,
    Team,
)
from asterisk_cc.db.tickets import open_complaint

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
CALLER = "+8613812345678"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def add_customer(session: Session, name: str = "Li Lei", tier: Tier = Tier.VIP) -> int:
    customer = Customer(name=name, tier=tier)
    session.add(customer)
    session.flush()
    return customer.id


def add_agent(session: Session, login: str) -> int:
    agent = Agent(login=login, name=f"Agent {login}")
    session.add(agent)
    session.flush()
    return agent.id


def open_call(session: Session, linkedid: str = "1762045200.6", **overrides: Any) -> Interaction:
    values: dict[str, Any] = {
        "uniqueid": "1762045200.7",
        "linkedid": linkedid,
        "caller_number": "013812345678",
        "caller_e164": CALLER,
        "customer_id": None,
        "customer_tier": None,
        "queue_name": None,
        "started_at": T0,
    }
    values.update(overrides)
    return open_interaction(session, **values)


def racing(
    session: Session, monkeypatch: pytest.MonkeyPatch, competitor: Callable[[], None]
) -> None:
    """Make another writer get there first: ``competitor`` runs (and its row is kept) between
    the function's look-up and its SAVEPOINT, as a concurrent process's commit would."""
    original = session.begin_nested

    def begin_nested() -> SessionTransaction:
        monkeypatch.setattr(session, "begin_nested", original)
        competitor()
        return original()

    monkeypatch.setattr(session, "begin_nested", begin_nested)


# --- queues -------------------------------------------------------------------------------------


def test_queue_id_creates_a_missing_queue_with_the_default_targets(db_session: Session) -> None:
    first = queue_id(db_session, "support")
    assert queue_id(db_session, " support ") == first
    assert queue_id(db_session, "sales") != first
    db_session.expire_all()
    queue = db_session.get(Queue, first)
    assert queue is not None and queue.name == "support"
    assert (queue.service_level_threshold_s, queue.service_level_target_ratio) == (20, 0.8)
    assert queue.active is True
    count = db_session.scalar(select(func.count()).where(Queue.name == "support"))
    assert count == 1
    with pytest.raises(ValueError, match="queue name"):
        queue_id(db_session, "  ")


def test_queue_id_reads_the_row_another_writer_created_first(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_session.add(Team(name="work before the race"))
    db_session.flush()

    def competitor() -> None:
        db_session.execute(insert(Queue).values(name="billing", wrapup_limit_s=45))

    racing(db_session, monkeypatch, competitor)
    found = queue_id(db_session, "billing")
    queue = db_session.get(Queue, found)
    assert queue is not None and queue.wrapup_limit_s == 45  # the competitor's row
    # Only the savepoint was rolled back: the caller's transaction and its work go on.
    assert db_session.scalar(select(Team.id).where(Team.name == "work before the race"))
    assert db_session.scalar(select(func.count()).where(Queue.name == "billing")) == 1


@pytest.mark.parametrize("first_commits", [True, False], ids=["commit", "rollback"])
def test_two_processes_creating_the_same_queue_on_postgres(
    postgres_engine: Engine, first_commits: bool
) -> None:
    """The second insert waits for the first transaction: if it commits, the second reads its
    row; if it rolls back, the second's own insert goes through. One row either way."""
    name = f"race-{secrets.token_hex(4)}"
    first = session_factory(postgres_engine)()
    second = session_factory(postgres_engine)()
    outcome: dict[str, int] = {}
    errors: list[BaseException] = []

    def other_process() -> None:
        try:
            outcome["id"] = queue_id(second, name)
            second.add(Team(name=name))  # its transaction is still usable
            second.commit()
        except BaseException as exc:  # reported below, from the test's thread
            errors.append(exc)

    try:
        first_id = queue_id(first, name)  # inserted, not committed: the unique key is held
        thread = threading.Thread(target=other_process)
        thread.start()
        wait_for_a_lock_wait(postgres_engine)
        if first_commits:
            first.commit()
        else:
            first.rollback()
        thread.join(timeout=30)
        assert not thread.is_alive() and not errors, errors
        if first_commits:
            assert outcome["id"] == first_id
        else:
            assert outcome["id"] != first_id
        with postgres_engine.connect() as connection:
            rows = connection.execute(select(Queue.id).where(Queue.name == name)).scalars().all()
            teams = connection.scalar(select(func.count()).where(Team.name == name))
        assert rows == [outcome["id"]] and teams == 1
    finally:
        first.close()
        second.close()
        with postgres_engine.begin() as connection:
            connection.execute(delete(Team).where(Team.name == name))
            connection.execute(delete(Queue).where(Queue.name == name))


def wait_for_a_lock_wait(engine: Engine, timeout_s: float = 10.0) -> None:
    """Until a session of this test database waits on a lock (the second insert)."""
    deadline = time.monotonic() + timeout_s
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second session never waited for the first one's row")


# --- the call -----------------------------------------------------------------------------------


def test_open_interaction_records_an_inbound_call(db_session: Session) -> None:
    customer = add_customer(db_session)
    call = open_call(db_session, customer_id=customer, customer_tier=Tier.VIP, queue_name="support")
    db_session.commit()
    db_session.expire_all()
    stored = db_session.scalars(
        select(Interaction).where(Interaction.linkedid == "1762045200.6")
    ).one()
    assert stored.id == call.id and stored.direction is CallDirection.INBOUND
    assert (stored.uniqueid, stored.caller_number, stored.caller_e164) == (
        "1762045200.7",
        "013812345678",
        CALLER,
    )
    assert (stored.customer_id, stored.customer_tier) == (customer, Tier.VIP)
    assert stored.queue_id == queue_id(db_session, "support")
    assert stored.started_at == T0 and stored.answered_at is None and stored.ended_at is None


def test_a_second_ivr_visit_in_the_same_call_updates_the_one_interaction(
    db_session: Session,
) -> None:
    first = open_call(db_session, queue_name="support")
    customer = add_customer(db_session, "Zhang Wei", Tier.GOLD)
    again = open_call(
        db_session,
        uniqueid="1762045260.9",  # another channel of the same call
        caller_number=None,
        caller_e164=None,
        customer_id=customer,  # identified by the account number this time
        customer_tier=Tier.GOLD,
        queue_name="billing",
        started_at=at(60),
    )
    assert again is first
    third = open_call(db_session, started_at=at(90))  # learnt nothing new: nothing is erased
    assert third is first
    db_session.flush()
    db_session.expire_all()
    rows = db_session.scalars(
        select(Interaction).where(Interaction.linkedid == "1762045200.6")
    ).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.customer_id, row.customer_tier) == (customer, Tier.GOLD)
    assert row.queue_id == queue_id(db_session, "billing")
    assert (row.uniqueid, row.started_at, row.caller_e164) == ("1762045200.7", T0, CALLER)


def test_another_crms_caller_keeps_a_tier_without_a_customer_id(db_session: Session) -> None:
    call = open_call(db_session, linkedid="other-crm.1", customer_tier=Tier.VIP)
    db_session.flush()
    assert (call.customer_id, call.customer_tier) == (None, Tier.VIP)
    again = open_call(db_session, linkedid="other-crm.1", caller_number="", caller_e164=None)
    assert again.customer_tier is Tier.VIP and again.caller_number == "013812345678"


def test_open_interaction_joins_a_row_another_writer_created_first(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def competitor() -> None:
        db_session.execute(
            insert(Interaction).values(
                uniqueid="other.1",
                linkedid="race.1",
                direction=CallDirection.INBOUND,
                started_at=at(-5),
            )
        )

    racing(db_session, monkeypatch, competitor)
    call = open_call(db_session, linkedid="race.1", queue_name="support")
    assert (call.uniqueid, call.started_at) == ("other.1", at(-5))
    assert call.queue_id == queue_id(db_session, "support")
    assert call.caller_e164 == CALLER  # filled in: the other writer did not know it
    db_session.flush()
    count = db_session.scalar(select(func.count()).where(Interaction.linkedid == "race.1"))
    assert count == 1


def test_an_unknown_customer_id_is_an_error_not_a_race(db_session: Session) -> None:
    with pytest.raises(IntegrityError):
        open_call(db_session, linkedid="bad-customer.1", customer_id=2_000_000_000)
    # The failed insert was inside a savepoint: the session's transaction still works.
    assert open_call(db_session, linkedid="good-customer.1").id > 0


# --- callbacks ----------------------------------------------------------------------------------


def test_request_callback_links_the_call_and_the_queue(db_session: Session) -> None:
    customer = add_customer(db_session)
    call = open_call(db_session, customer_id=customer)
    request = request_callback(
        db_session,
        phone_e164=CALLER,
        customer_id=customer,
        queue_name="support",
        linkedid=call.linkedid,
        requested_at=at(30),
        preferred_at=at(3600),
    )
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(CallbackRequest, request.id)
    assert stored is not None
    assert (stored.phone_e164, stored.customer_id, stored.interaction_id) == (
        CALLER,
        customer,
        call.id,
    )
    assert stored.queue_id == queue_id(db_session, "support")
    assert (stored.requested_at, stored.preferred_at) == (at(30), at(3600))
    assert (stored.status, stored.attempts) == (CallbackStatus.PENDING, 0)


def test_a_call_without_an_interaction_still_gets_its_callback(db_session: Session) -> None:
    request = request_callback(
        db_session,
        phone_e164="+442079460958",
        customer_id=None,
        queue_name=None,
        linkedid="never-recorded.1",
        requested_at=at(0),
    )
    assert request.id > 0
    assert (request.interaction_id, request.queue_id, request.preferred_at) == (None, None, None)


def test_asking_again_keeps_the_callers_place(db_session: Session) -> None:
    first = request_callback(
        db_session,
        phone_e164=CALLER,
        customer_id=None,
        queue_name=None,
        linkedid=None,
        requested_at=at(0),
        preferred_at=at(3600),
    )
    customer = add_customer(db_session)
    call = open_call(db_session, linkedid="second-call.1")
    again = request_callback(
        db_session,
        phone_e164=CALLER,
        customer_id=customer,
        queue_name="support",
        linkedid="second-call.1",
        requested_at=at(600),
        preferred_at=at(7200),
    )
    assert again is first
    assert again.requested_at == at(0)  # the original place in line
    assert again.preferred_at == at(7200)  # the latest wish
    assert (again.customer_id, again.interaction_id) == (customer, call.id)
    assert again.queue_id == queue_id(db_session, "support")
    kept = request_callback(  # no preferred time this time: the one given stays
        db_session,
        phone_e164=CALLER,
        customer_id=None,
        queue_name=None,
        linkedid=None,
        requested_at=at(900),
    )
    assert kept is first and kept.preferred_at == at(7200) and kept.customer_id == customer
    db_session.flush()
    count = db_session.scalar(select(func.count()).where(CallbackRequest.phone_e164 == CALLER))
    assert count == 1


@pytest.mark.parametrize("status", [CallbackStatus.SCHEDULED, CallbackStatus.IN_PROGRESS])
def test_a_scheduled_or_running_callback_is_still_open(
    db_session: Session, status: CallbackStatus
) -> None:
    first = request_callback(
        db_session,
        phone_e164=CALLER,
        customer_id=None,
        queue_name=None,
        linkedid=None,
        requested_at=at(0),
    )
    first.status = status
    again = request_callback(
        db_session,
        phone_e164=CALLER,
        customer_id=None,
        queue_name=None,
        linkedid=None,
        requested_at=at(60),
    )
    assert again is first


@pytest.mark.parametrize(
    "status", [CallbackStatus.DONE, CallbackStatus.FAILED, CallbackStatus.CANCELLED]
)
def test_a_finished_callback_does_not_stop_a_new_one(
    db_session: Session, status: CallbackStatus
) -> None:
    first = request_callback(
        db_session,
        phone_e164=CALLER,
        customer_id=None,
        queue_name=None,
        linkedid=None,
        requested_at=at(0),
    )
    first.status = status
    again = request_callback(
        db_session,
        phone_e164=CALLER,
        customer_id=None,
        queue_name=None,
        linkedid=None,
        requested_at=at(86400),
    )
    assert again.id != first.id and again.requested_at == at(86400)
    assert again.status is CallbackStatus.PENDING


@pytest.mark.parametrize("number", ["013812345678", "8613812345678", "+86", "anonymous", ""])
def test_a_callback_number_must_be_e164(db_session: Session, number: str) -> None:
    with pytest.raises(ValueError, match=r"must be E\.164"):
        request_callback(
            db_session,
            phone_e164=number,
            customer_id=None,
            queue_name=None,
            linkedid=None,
            requested_at=at(0),
        )


# --- complaints ---------------------------------------------------------------------------------


def test_latest_ticket_is_the_newest_received(db_session: Session) -> None:
    customer = add_customer(db_session)
    other = add_customer(db_session, "Jane Smith")
    assert latest_ticket(db_session, customer) is None
    for hours, description in ((1, "older"), (5, "newest"), (3, "middle")):
        open_complaint(
            db_session, description=description, now=at(hours * 3600), customer_id=customer
        )
    open_complaint(db_session, description="someone else's", now=at(9 * 3600), customer_id=other)
    db_session.flush()
    ticket = latest_ticket(db_session, customer)
    assert ticket is not None and ticket.description == "newest"
    assert ticket.received_at == at(5 * 3600)
    assert latest_ticket(db_session, 2_000_000_000) is None


# --- surveys ------------------------------------------------------------------------------------


def test_a_survey_answer_is_filed_against_the_call_the_agent_and_the_queue(
    db_session: Session,
) -> None:
    customer = add_customer(db_session)
    agent = add_agent(db_session, "agent-1001")
    call = open_call(db_session, customer_id=customer, customer_tier=Tier.VIP)
    answer = save_survey_answer(
        db_session,
        linkedid=call.linkedid,
        question="csat",
        score=4,
        answered_at=at(300),
        agent_login="agent-1001",
        queue_name="support",
    )
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(SurveyAnswer, answer.id)
    assert stored is not None
    assert (stored.interaction_id, stored.agent_id, stored.customer_id) == (
        call.id,
        agent,
        customer,
    )
    assert stored.queue_id == queue_id(db_session, "support")
    assert (stored.question, stored.score, stored.answered_at) == ("csat", 4, at(300))


def test_answering_the_same_question_again_replaces_the_score(db_session: Session) -> None:
    call = open_call(db_session)
    first = save_survey_answer(
        db_session,
        linkedid=call.linkedid,
        question="csat",
        score=2,
        answered_at=at(300),
        agent_login=None,
        queue_name=None,
    )
    again = save_survey_answer(
        db_session,
        linkedid=call.linkedid,
        question="csat",
        score=5,
        answered_at=at(320),
        agent_login=None,
        queue_name=None,
    )
    other = save_survey_answer(
        db_session,
        linkedid=call.linkedid,
        question="resolved",
        score=1,
        answered_at=at(330),
        agent_login=None,
        queue_name=None,
    )
    assert again.id == first.id and other.id != first.id
    db_session.flush()
    db_session.expire_all()
    rows = db_session.execute(
        select(SurveyAnswer.question, SurveyAnswer.score, SurveyAnswer.answered_at)
        .where(SurveyAnswer.interaction_id == call.id)
        .order_by(SurveyAnswer.question)
    ).all()
    assert [tuple(row) for row in rows] == [("csat", 5, at(320)), ("resolved", 1, at(330))]


def test_survey_agent_and_queue_default_to_the_calls_and_unknown_logins_to_none(
    db_session: Session,
) -> None:
    agent = add_agent(db_session, "agent-2002")
    call = open_call(db_session, queue_name="billing")
    call.agent_id = agent  # the call was answered by this agent
    from_call = save_survey_answer(
        db_session,
        linkedid=call.linkedid,
        question="csat",
        score=3,
        answered_at=at(300),
        agent_login=None,
        queue_name=None,
    )
    assert (from_call.agent_id, from_call.queue_id) == (agent, queue_id(db_session, "billing"))
    unknown = save_survey_answer(
        db_session,
        linkedid=call.linkedid,
        question="agent",
        score=3,
        answered_at=at(310),
        agent_login="nobody-by-this-login",
        queue_name=None,
    )
    assert unknown.agent_id is None


@pytest.mark.parametrize("score", [0, 6, -1, 10])
def test_a_score_outside_1_to_5_is_refused_naming_it(db_session: Session, score: int) -> None:
    call = open_call(db_session)
    with pytest.raises(ValueError, match=rf"survey score {score} is outside 1\.\.5"):
        save_survey_answer(
            db_session,
            linkedid=call.linkedid,
            question="csat",
            score=score,
            answered_at=at(300),
            agent_login=None,
            queue_name=None,
        )


def test_a_survey_for_an_unrecorded_call_is_a_lookup_error(db_session: Session) -> None:
    with pytest.raises(LookupError, match=r"no interaction for linkedid 'never\.1'"):
        save_survey_answer(
            db_session,
            linkedid="never.1",
            question="csat",
            score=5,
            answered_at=at(300),
            agent_login=None,
            queue_name=None,
        )
