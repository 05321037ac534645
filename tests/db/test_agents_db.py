"""What the ARI controller reads and writes about agents: phone PINs, the queues skills give an
agent, state records, wrap-up limits, the agent's part of a call; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, insert, inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from asterisk_cc.core.vocabulary import AgentState, CallDirection
from asterisk_cc.db.agents import (
    DEFAULT_WRAPUP_LIMIT_S,
    PIN_HASH_ITERATIONS,
    AgentProfile,
    agent_profile,
    check_agent_pin,
    check_disposition,
    complete_interaction,
    hash_pin,
    last_agent_states,
    pin_matches,
    record_agent_state,
    set_agent_pin,
    set_disposition,
    set_wrapup,
    wrapup_limit_s,
)
from asterisk_cc.db.ivr_store import open_interaction, queue_id
from asterisk_cc.db.migrate import downgrade, upgrade
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    AgentStateChange,
    Interaction,
    Queue,
    QueueSkill,
    Skill,
)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
FAST = 1_000  # PBKDF2 rounds for hashes made only to be checked by these tests


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def add_agent(session: Session, login: str, *, active: bool = True) -> int:
    agent = Agent(login=login, name=f"Agent {login}", active=active)
    session.add(agent)
    session.flush()
    return agent.id


def open_call(session: Session, linkedid: str, queue_name: str | None = "support") -> Interaction:
    return open_interaction(
        session,
        uniqueid=f"{linkedid}-first",
        linkedid=linkedid,
        caller_number="013812345678",
        caller_e164="+8613812345678",
        customer_id=None,
        customer_tier=None,
        queue_name=queue_name,
        started_at=T0,
    )


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session sends to the database inside the block."""
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(bind, "before_cursor_execute", record)


# --- PINs ---------------------------------------------------------------------------------------


def test_a_pin_hash_is_self_describing_salted_and_checks_the_pin() -> None:
    stored = hash_pin("482913")
    algorithm, rounds, salt, digest = stored.split("$")
    assert (algorithm, int(rounds)) == ("pbkdf2_sha256", PIN_HASH_ITERATIONS)
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 32
    assert "482913" not in stored and len(stored) <= 255  # agents.pin_hash
    assert hash_pin("482913", iterations=FAST) != hash_pin("482913", iterations=FAST)  # salted
    assert pin_matches(stored, "482913")
    assert not pin_matches(stored, "482914")
    assert not pin_matches(stored, "4829130")


@pytest.mark.parametrize("pin", ["1234", "000000000000", "0042"])
def test_pins_of_4_to_12_digits_are_accepted(pin: str) -> None:
    stored = hash_pin(pin, iterations=FAST)
    assert pin_matches(stored, pin)
    assert stored.split("$")[1] == str(FAST)  # the stored count is the one used to check


@pytest.mark.parametrize(
    "pin", ["123", "1234567890123", "12a4", "12 34", " 1234", "", "12#4", "１２３４", "-1234"]
)
def test_a_pin_that_is_not_4_to_12_digits_is_refused_without_repeating_it(pin: str) -> None:
    with pytest.raises(ValueError, match="a PIN is 4 to 12 digits") as excinfo:
        hash_pin(pin)
    if pin.strip():
        assert pin not in str(excinfo.value)
    assert not pin_matches(hash_pin("1234", iterations=FAST), pin)


def test_no_stored_pin_never_matches() -> None:
    assert not pin_matches(None, "1234")
    assert not pin_matches(None, "")


GOOD = hash_pin("1234", iterations=FAST)
_, _ROUNDS, _SALT, _DIGEST = GOOD.split("$")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "1234",  # a PIN stored in clear is not a hash: it does not log anyone in
        "garbage",
        f"pbkdf2_sha1${_ROUNDS}${_SALT}${_DIGEST}",
        f"pbkdf2_sha256$x${_SALT}${_DIGEST}",
        f"pbkdf2_sha256$0${_SALT}${_DIGEST}",
        f"pbkdf2_sha256$-5${_SALT}${_DIGEST}",
        f"pbkdf2_sha256$99999999999${_SALT}${_DIGEST}",  # corrupt, not to be run
        f"pbkdf2_sha256$１０００${_SALT}${_DIGEST}",
        f"pbkdf2_sha256${_ROUNDS}$not base64!${_DIGEST}",
        f"pbkdf2_sha256${_ROUNDS}$${_DIGEST}",
        f"pbkdf2_sha256${_ROUNDS}${_SALT}${_DIGEST[:-8]}",
        f"pbkdf2_sha256${_ROUNDS}${_SALT}",
        f"{GOOD}$extra",
        GOOD.upper(),
    ],
)
def test_a_malformed_stored_pin_is_no_match_and_no_exception(stored: str) -> None:
    assert not pin_matches(stored, "1234")


def test_pin_hashing_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="iterations"):
        hash_pin("1234", iterations=0)
    with pytest.raises(ValueError, match="iterations"):
        hash_pin("1234", iterations=True)


def test_set_agent_pin_stores_a_hash_and_the_phone_log_in_checks_it(db_session: Session) -> None:
    agent = add_agent(db_session, "pin-1001")
    assert check_agent_pin(db_session, "pin-1001", "4321") is None  # no PIN yet
    set_agent_pin(db_session, "pin-1001", "4321")
    db_session.expire_all()
    stored = db_session.scalar(select(Agent.pin_hash).where(Agent.id == agent))
    assert stored is not None and stored.startswith("pbkdf2_sha256$") and "4321" not in stored
    profile = check_agent_pin(db_session, "pin-1001", "4321")
    assert profile is not None and (profile.id, profile.login) == (agent, "pin-1001")
    assert check_agent_pin(db_session, "pin-1001", "4322") is None
    assert check_agent_pin(db_session, "no-such-agent", "4321") is None

    set_agent_pin(db_session, "pin-1001", None)  # no more phone log-in
    assert db_session.scalar(select(Agent.pin_hash).where(Agent.id == agent)) is None
    assert check_agent_pin(db_session, "pin-1001", "4321") is None


def test_a_deactivated_agent_cannot_log_in_by_phone(db_session: Session) -> None:
    add_agent(db_session, "pin-1002", active=False)
    set_agent_pin(db_session, "pin-1002", "5678")
    assert check_agent_pin(db_session, "pin-1002", "5678") is None


def test_set_agent_pin_refuses_a_bad_pin_and_an_unknown_agent(db_session: Session) -> None:
    agent = add_agent(db_session, "pin-1003")
    set_agent_pin(db_session, "pin-1003", "2468")
    with pytest.raises(ValueError, match="a PIN is 4 to 12 digits"):
        set_agent_pin(db_session, "pin-1003", "12")
    stored = db_session.scalar(select(Agent.pin_hash).where(Agent.id == agent))
    assert pin_matches(stored, "2468")  # the old PIN is kept
    with pytest.raises(LookupError, match="no agent with login 'ghost'"):
        set_agent_pin(db_session, "ghost", "2468")


def test_the_pin_column_comes_and_goes_with_its_migration(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert "pin_hash" in {c["name"] for c in inspect(empty_engine).get_columns("agents")}
    downgrade(empty_engine, "0003")
    assert "pin_hash" not in {c["name"] for c in inspect(empty_engine).get_columns("agents")}
    upgrade(empty_engine)
    columns = {c["name"]: c for c in inspect(empty_engine).get_columns("agents")}
    assert columns["pin_hash"]["nullable"] is True


# --- the agent's queues, from skills ------------------------------------------------------------


def skills_site(session: Session) -> dict[str, int]:
    """Skills english, billing, vip; queues needing them; agents with them."""
    skills = {name: Skill(name=f"sk-{name}") for name in ("english", "billing", "vip", "french")}
    session.add_all(skills.values())
    queues = {
        name: Queue(name=f"q-{name}", active=name != "archived")
        for name in ("support", "billing", "sales", "archived", "accounts", "paris")
    }
    session.add_all(queues.values())
    session.flush()
    needs = [
        # queue, skill, min_level, penalty
        ("support", "english", 3, 0),
        ("support", "vip", 1, 5),
        ("billing", "billing", 5, 2),
        ("sales", "english", 8, 0),
        ("archived", "english", 1, 0),
        ("accounts", "billing", 4, 3),
        ("accounts", "english", 5, 1),
        ("paris", "french", 1, 0),
    ]
    for queue, skill, min_level, penalty in needs:
        session.add(
            QueueSkill(
                queue_id=queues[queue].id,
                skill_id=skills[skill].id,
                min_level=min_level,
                penalty=penalty,
            )
        )
    agent = add_agent(session, "skills-2001")
    has = [
        # skill, level, penalty
        ("english", 5, 1),
        ("vip", 2, 0),
        ("billing", 4, 0),
    ]
    for skill, level, penalty in has:
        session.add(
            AgentSkill(agent_id=agent, skill_id=skills[skill].id, level=level, penalty=penalty)
        )
    session.flush()
    return {"agent": agent, **{f"skill:{k}": v.id for k, v in skills.items()}}


def test_an_agent_serves_the_active_queues_their_skills_reach(db_session: Session) -> None:
    site = skills_site(db_session)
    profile = agent_profile(db_session, "skills-2001")
    # support: english 5 >= 3 (1 + 0 = 1) and vip 2 >= 1 (0 + 5 = 5): the lower, 1.
    # billing: billing 4 < 5. sales: english 5 < 8. archived: inactive. paris: no french.
    # accounts: billing 4 >= 4 (0 + 3 = 3) and english 5 >= 5 (1 + 1 = 2): the lower, 2.
    assert profile == AgentProfile(
        id=site["agent"],
        login="skills-2001",
        name="Agent skills-2001",
        queues=(("q-accounts", 2), ("q-support", 1)),
    )


def test_a_skill_level_change_changes_the_queues(db_session: Session) -> None:
    site = skills_site(db_session)
    billing = db_session.get(AgentSkill, (site["agent"], site["skill:billing"]))
    assert billing is not None
    billing.level = 9
    db_session.flush()
    profile = agent_profile(db_session, " skills-2001 ")
    assert profile is not None
    assert profile.queues == (("q-accounts", 2), ("q-billing", 2), ("q-support", 1))


def test_no_profile_for_an_unknown_or_deactivated_agent_and_none_queues_without_skills(
    db_session: Session,
) -> None:
    skills_site(db_session)
    assert agent_profile(db_session, "nobody") is None
    agent = db_session.scalars(select(Agent).where(Agent.login == "skills-2001")).one()
    agent.active = False
    db_session.flush()
    assert agent_profile(db_session, "skills-2001") is None
    plain = add_agent(db_session, "outbound-only")
    assert agent_profile(db_session, "outbound-only") == AgentProfile(
        id=plain, login="outbound-only", name="Agent outbound-only", queues=()
    )


# --- state records ------------------------------------------------------------------------------


def test_a_state_record_names_the_queue_and_the_calls_interaction(db_session: Session) -> None:
    agent = add_agent(db_session, "state-3001")
    call = open_call(db_session, "1762045200.11")
    talking = record_agent_state(
        db_session,
        agent_id=agent,
        state=AgentState.TALKING,
        reason=None,
        at=at(20),
        queue_name="support",
        linkedid="1762045200.11",
    )
    paused = record_agent_state(
        db_session,
        agent_id=agent,
        state=AgentState.PAUSED,
        reason="lunch",
        at=at(300),
        queue_name=None,
        linkedid=None,
    )
    dialer = record_agent_state(
        db_session,
        agent_id=agent,
        state=AgentState.RESERVED,
        reason=None,
        at=at(900),
        queue_name="q-new-outbound",  # a queue the database has not seen: created
        linkedid="never-in-the-ivr.1",
    )
    db_session.expire_all()
    rows = db_session.scalars(
        select(AgentStateChange)
        .where(AgentStateChange.agent_id == agent)
        .order_by(AgentStateChange.at)
    ).all()
    assert [r.id for r in rows] == [talking.id, paused.id, dialer.id]
    assert [(r.state, r.reason, r.at) for r in rows] == [
        (AgentState.TALKING, None, at(20)),
        (AgentState.PAUSED, "lunch", at(300)),
        (AgentState.RESERVED, None, at(900)),
    ]
    assert [(r.queue_id, r.interaction_id) for r in rows] == [
        (queue_id(db_session, "support"), call.id),
        (None, None),
        (queue_id(db_session, "q-new-outbound"), None),
    ]


@pytest.mark.parametrize("reason", ["Lunch", "", "x" * 65, "coffee break"])
def test_a_bad_reason_is_refused(db_session: Session, reason: str) -> None:
    agent = add_agent(db_session, "state-3002")
    with pytest.raises(ValueError, match="not a reason code"):
        record_agent_state(
            db_session,
            agent_id=agent,
            state=AgentState.PAUSED,
            reason=reason,
            at=at(0),
            queue_name=None,
            linkedid=None,
        )


def test_a_naive_time_is_refused(db_session: Session) -> None:
    agent = add_agent(db_session, "state-3003")
    with pytest.raises(ValueError, match="timezone-aware"):
        record_agent_state(
            db_session,
            agent_id=agent,
            state=AgentState.READY,
            reason=None,
            at=datetime(2026, 11, 2, 1, 0),  # naive: the point of the test
            queue_name=None,
            linkedid=None,
        )


def test_last_agent_states_are_each_agents_newest_in_one_query(db_session: Session) -> None:
    first = add_agent(db_session, "state-3004")
    second = add_agent(db_session, "state-3005")
    idle = add_agent(db_session, "state-3006")
    history: list[tuple[int, AgentState, str | None, float]] = [
        (first, AgentState.READY, None, 0),
        (second, AgentState.READY, None, 10),
        (first, AgentState.PAUSED, "break", 600),
        (second, AgentState.LOGGED_OUT, "end_of_shift", 700),
        (first, AgentState.READY, None, 60),  # stored late: older than the pause
        # Two records at the same instant (a call ends and the pause asked for starts):
        (second, AgentState.READY, None, 800),
        (second, AgentState.PAUSED, "meeting", 800),
    ]
    for agent, state, reason, seconds in history:
        record_agent_state(
            db_session,
            agent_id=agent,
            state=state,
            reason=reason,
            at=at(seconds),
            queue_name=None,
            linkedid=None,
        )
    db_session.expire_all()
    with statements(db_session) as sent:
        latest = last_agent_states(db_session)
    assert len(sent) == 1
    assert idle not in latest
    assert (latest[first].state, latest[first].reason, latest[first].at) == (
        AgentState.PAUSED,
        "break",
        at(600),
    )
    assert (latest[second].state, latest[second].reason) == (AgentState.PAUSED, "meeting")
    assert all(latest[agent].agent_id == agent for agent in (first, second))


# --- wrap-up limits -----------------------------------------------------------------------------


def test_wrapup_limit_is_the_queues_or_the_default_of_a_new_queue(db_session: Session) -> None:
    assert wrapup_limit_s(db_session, "q-not-seen-yet") == DEFAULT_WRAPUP_LIMIT_S
    assert wrapup_limit_s(db_session, None) == DEFAULT_WRAPUP_LIMIT_S
    assert db_session.scalar(select(func.count()).where(Queue.name == "q-not-seen-yet")) == 0
    # The default is what the database gives a new row.
    created = db_session.get(Queue, queue_id(db_session, "q-not-seen-yet"))
    assert created is not None
    db_session.refresh(created)
    assert created.wrapup_limit_s == DEFAULT_WRAPUP_LIMIT_S
    assert wrapup_limit_s(db_session, "q-not-seen-yet") == DEFAULT_WRAPUP_LIMIT_S

    db_session.add_all(
        [Queue(name="q-long-wrapup", wrapup_limit_s=120), Queue(name="q-none", wrapup_limit_s=0)]
    )
    db_session.flush()
    assert wrapup_limit_s(db_session, "q-long-wrapup") == 120
    assert wrapup_limit_s(db_session, " q-long-wrapup ") == 120
    assert wrapup_limit_s(db_session, "q-none") == 0


# --- the agent's part of a call -----------------------------------------------------------------

FIGURES = (
    "agent_id",
    "queue_id",
    "started_at",
    "answered_at",
    "ended_at",
    "wait_s",
    "talk_s",
    "hold_s",
    "wrapup_s",
    "recording_ref",
    "disposition",
    "direction",
    "uniqueid",
)


def figures(session: Session, linkedid: str) -> dict[str, Any]:
    session.flush()
    session.expire_all()
    row = session.scalars(select(Interaction).where(Interaction.linkedid == linkedid)).one()
    return {name: getattr(row, name) for name in FIGURES}


def test_completing_the_ivrs_interaction_fills_the_agents_figures(db_session: Session) -> None:
    agent = add_agent(db_session, "call-4001")
    call = open_call(db_session, "1762045200.21")
    done = complete_interaction(
        db_session,
        linkedid="1762045200.21",
        agent_id=agent,
        queue_name="billing",  # the IVR's queue stays
        answered_at=at(20.7),
        ended_at=at(200.2),
        hold_s=30,
        recording_ref="2026/11/02/1762045200.21.wav",
    )
    assert done.id == call.id
    assert figures(db_session, "1762045200.21") == {
        "agent_id": agent,
        "queue_id": queue_id(db_session, "support"),
        "started_at": T0,
        "answered_at": at(20.7),
        "ended_at": at(200.2),
        "wait_s": 20,  # whole seconds, cut down
        "talk_s": 149,  # 179.5 s answered, less 30 s on hold
        "hold_s": 30,
        "wrapup_s": None,
        "recording_ref": "2026/11/02/1762045200.21.wav",
        "disposition": None,
        "direction": CallDirection.INBOUND,
        "uniqueid": "1762045200.21-first",
    }


def test_completing_twice_with_the_same_values_changes_nothing(db_session: Session) -> None:
    agent = add_agent(db_session, "call-4002")
    open_call(db_session, "1762045200.22")
    values: dict[str, Any] = {
        "linkedid": "1762045200.22",
        "agent_id": agent,
        "queue_name": "support",
        "answered_at": at(15),
        "ended_at": at(95),
        "hold_s": 10,
        "recording_ref": "rec-22",
    }
    complete_interaction(db_session, **values)
    before = figures(db_session, "1762045200.22")
    with statements(db_session) as sent:
        complete_interaction(db_session, **values)
    writes = [s for s in sent if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert sent and not writes  # the row was read, and left as it was
    assert figures(db_session, "1762045200.22") == before
    # Nones leave what the row has.
    complete_interaction(db_session, **{**values, "agent_id": None, "recording_ref": None})
    assert figures(db_session, "1762045200.22") == before
    count = db_session.scalar(select(func.count()).where(Interaction.linkedid == "1762045200.22"))
    assert count == 1


def test_a_call_the_ivr_never_saw_gets_an_interaction(db_session: Session) -> None:
    agent = add_agent(db_session, "call-4003")
    complete_interaction(
        db_session,
        linkedid="1762045300.1",
        agent_id=agent,
        queue_name="q-direct",
        answered_at=at(10),
        ended_at=at(70),
    )
    assert figures(db_session, "1762045300.1") == {
        "agent_id": agent,
        "queue_id": queue_id(db_session, "q-direct"),
        "started_at": at(10),
        "answered_at": at(10),
        "ended_at": at(70),
        "wait_s": 0,
        "talk_s": 60,
        "hold_s": 0,
        "wrapup_s": None,
        "recording_ref": None,
        "disposition": None,
        "direction": CallDirection.INBOUND,
        "uniqueid": "1762045300.1",
    }
    complete_interaction(
        db_session,
        linkedid="1762045300.2",
        agent_id=None,
        queue_name=None,
        answered_at=None,
        ended_at=at(5),
    )
    unanswered = figures(db_session, "1762045300.2")
    assert (unanswered["started_at"], unanswered["answered_at"]) == (at(5), None)
    assert (unanswered["queue_id"], unanswered["agent_id"]) == (None, None)
    assert (unanswered["wait_s"], unanswered["talk_s"], unanswered["hold_s"]) == (0, None, 0)


def test_a_call_never_answered_waited_until_it_ended(db_session: Session) -> None:
    agent = add_agent(db_session, "call-4004")
    open_call(db_session, "1762045200.23")
    complete_interaction(
        db_session,
        linkedid="1762045200.23",
        agent_id=agent,
        queue_name=None,
        answered_at=None,
        ended_at=at(42.9),
    )
    row = figures(db_session, "1762045200.23")
    assert (row["answered_at"], row["ended_at"]) == (None, at(42.9))
    assert (row["wait_s"], row["talk_s"], row["hold_s"]) == (42, None, 0)
    with pytest.raises(ValueError, match="never answered, so it has no hold time"):
        complete_interaction(
            db_session,
            linkedid="1762045200.23",
            agent_id=agent,
            queue_name=None,
            answered_at=None,
            ended_at=at(42.9),
            hold_s=5,
        )


def test_hold_longer_than_the_talk_leaves_no_negative_talk_time(db_session: Session) -> None:
    open_call(db_session, "1762045200.24")
    complete_interaction(
        db_session,
        linkedid="1762045200.24",
        agent_id=None,
        queue_name=None,
        answered_at=at(10.9),
        ended_at=at(20.2),  # 9.3 s: 9 whole seconds
        hold_s=10,  # rounded up by whoever counted it
    )
    assert figures(db_session, "1762045200.24")["talk_s"] == 0


@pytest.mark.parametrize(
    ("answered", "ended", "message"),
    [
        (-1, 60, "answered at .* before it started"),
        (30, 29, "ended at .* before it was answered"),
        (None, -5, "ended at .* before it was started"),
    ],
)
def test_times_running_backwards_are_refused(
    db_session: Session, answered: float | None, ended: float, message: str
) -> None:
    open_call(db_session, "1762045200.25")
    with pytest.raises(ValueError, match=message):
        complete_interaction(
            db_session,
            linkedid="1762045200.25",
            agent_id=None,
            queue_name=None,
            answered_at=None if answered is None else at(answered),
            ended_at=at(ended),
        )


@pytest.mark.parametrize("hold", [-1, 1.5, True])
def test_hold_must_be_whole_seconds(db_session: Session, hold: Any) -> None:
    with pytest.raises(ValueError, match="hold_s"):
        complete_interaction(
            db_session,
            linkedid="1762045200.26",
            agent_id=None,
            queue_name=None,
            answered_at=at(0),
            ended_at=at(10),
            hold_s=hold,
        )


def racing(
    session: Session, monkeypatch: pytest.MonkeyPatch, competitor: Callable[[], None]
) -> None:
    """``competitor`` runs between the function's look-up and its SAVEPOINT, as another
    process's commit would."""
    original = session.begin_nested

    def begin_nested() -> SessionTransaction:
        monkeypatch.setattr(session, "begin_nested", original)
        competitor()
        return original()

    monkeypatch.setattr(session, "begin_nested", begin_nested)


def test_an_interaction_created_meanwhile_is_completed_not_duplicated(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = add_agent(db_session, "call-4005")

    def competitor() -> None:
        db_session.execute(
            insert(Interaction).values(
                uniqueid="other-process",
                linkedid="1762045400.1",
                direction=CallDirection.INBOUND,
                started_at=at(0),
            )
        )

    racing(db_session, monkeypatch, competitor)
    complete_interaction(
        db_session,
        linkedid="1762045400.1",
        agent_id=agent,
        queue_name=None,
        answered_at=at(8),
        ended_at=at(68),
    )
    row = figures(db_session, "1762045400.1")
    assert (row["uniqueid"], row["agent_id"], row["wait_s"], row["talk_s"]) == (
        "other-process",
        agent,
        8,
        60,
    )
    count = db_session.scalar(select(func.count()).where(Interaction.linkedid == "1762045400.1"))
    assert count == 1


def test_wrapup_time_is_stored_and_replaced(db_session: Session) -> None:
    open_call(db_session, "1762045200.27")
    set_wrapup(db_session, linkedid="1762045200.27", wrapup_s=25)
    set_wrapup(db_session, linkedid="1762045200.27", wrapup_s=31)
    assert figures(db_session, "1762045200.27")["wrapup_s"] == 31
    with pytest.raises(ValueError, match="wrapup_s"):
        set_wrapup(db_session, linkedid="1762045200.27", wrapup_s=-1)
    with pytest.raises(LookupError, match=r"no interaction for linkedid 'never\.2'"):
        set_wrapup(db_session, linkedid="never.2", wrapup_s=10)


def test_a_disposition_is_set_by_the_calls_agent(db_session: Session) -> None:
    agent = add_agent(db_session, "call-4006")
    other = add_agent(db_session, "call-4007")
    open_call(db_session, "1762045200.28")
    # A call with no agent yet becomes the agent's.
    set_disposition(db_session, linkedid="1762045200.28", disposition="follow_up", agent_id=agent)
    set_disposition(db_session, linkedid="1762045200.28", disposition="resolved", agent_id=agent)
    row = figures(db_session, "1762045200.28")
    assert (row["disposition"], row["agent_id"]) == ("resolved", agent)
    with pytest.raises(ValueError, match="only the call's agent"):
        set_disposition(db_session, linkedid="1762045200.28", disposition="spam", agent_id=other)
    set_disposition(db_session, linkedid="1762045200.28", disposition="wrong-number", agent_id=None)
    assert figures(db_session, "1762045200.28")["disposition"] == "wrong-number"
    with pytest.raises(LookupError, match="no interaction"):
        set_disposition(db_session, linkedid="never.3", disposition="resolved", agent_id=agent)


@pytest.mark.parametrize(
    "disposition", ["", "Resolved", "call back", "x" * 65, "café", "follow_up\n", None]
)
def test_a_disposition_must_be_a_code(db_session: Session, disposition: Any) -> None:
    open_call(db_session, "1762045200.29")
    with pytest.raises(ValueError, match="not a disposition code"):
        set_disposition(
            db_session, linkedid="1762045200.29", disposition=disposition, agent_id=None
        )
    assert figures(db_session, "1762045200.29")["disposition"] is None


def test_the_longest_disposition_code_fits_the_column(db_session: Session) -> None:
    longest = "a_b-0" * 12 + "abcd"
    assert len(longest) == 64 and check_disposition(longest) == longest
    open_call(db_session, "1762045200.30")
    set_disposition(db_session, linkedid="1762045200.30", disposition=longest, agent_id=None)
    assert figures(db_session, "1762045200.30")["disposition"] == longest
