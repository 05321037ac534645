"""Migrations build exactly the models' schema on SQLite and PostgreSQL; the engine is set up
as documented; every way of not reaching the database is explained, never a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from asterisk_cc.config import DatabaseSettings
from asterisk_cc.core.vocabulary import CallDirection, UserRole
from asterisk_cc.db.engine import check_database, make_engine, session_factory
from asterisk_cc.db.migrate import (
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    include_object,
    upgrade,
)
from asterisk_cc.db.models import (
    Agent,
    AuditLogEntry,
    Base,
    CallNote,
    Customer,
    Interaction,
    Schedule,
    User,
)
from asterisk_cc.errors import ConfigError, DatabaseError

SOURCE = "/etc/asterisk-cc/asterisk-cc.toml"


def schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": include_object,
                "version_table": VERSION_TABLE,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_migrated_schema_is_exactly_the_models(engine: Engine) -> None:
    assert schema_diff(engine) == []


def test_every_check_constraint_of_the_models_is_in_the_database(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if c.__visit_name__ == "check_constraint"}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert expected <= found, (table.name, expected - found)


def test_upgrade_from_empty_then_down_to_base_and_up_again(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:  # a shared CRM database has tables of its own
        connection.execute(text("CREATE TABLE legacy_clients (cust_no INTEGER PRIMARY KEY)"))
    assert current_revision(empty_engine) is None
    with pytest.raises(DatabaseError, match="no asterisk-cc schema yet"):
        check_database(empty_engine, SOURCE)

    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert "reachable, schema at" in check_database(empty_engine, SOURCE)
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert VERSION_TABLE in tables and "alembic_version" not in tables
    upgrade(empty_engine)  # a second upgrade is a no-op
    assert schema_diff(empty_engine) == []

    downgrade(empty_engine, "base")
    assert current_revision(empty_engine) is None
    remaining = set(inspect(empty_engine).get_table_names())
    assert not set(Base.metadata.tables) & remaining
    assert "legacy_clients" in remaining  # never touched
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_upgrade_accepts_a_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'by-url.sqlite3'}"
    upgrade(url)
    engine = make_engine(DatabaseSettings(url=url))
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_sqlite_transactions_are_real_so_savepoints_roll_back(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection, connection.begin():
        connection.execute(text("INSERT INTO teams (name) VALUES ('savepoint-kept')"))
        nested = connection.begin_nested()
        connection.execute(text("INSERT INTO teams (name) VALUES ('savepoint-undone')"))
        nested.rollback()
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    with sqlite_engine.begin() as connection:
        names = set(connection.execute(text("SELECT name FROM teams")).scalars())
        connection.execute(text("DELETE FROM teams WHERE name = 'savepoint-kept'"))
    assert "savepoint-kept" in names and "savepoint-undone" not in names


def test_immediate_sessions_take_the_sqlite_write_lock_at_begin(sqlite_engine: Engine) -> None:
    statements: list[str] = []
    from sqlalchemy import event

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(sqlite_engine, "before_cursor_execute", record)
    try:
        with session_factory(sqlite_engine, immediate=True)() as session:
            session.execute(select(1))
            session.rollback()
        with session_factory(sqlite_engine)() as session:
            session.execute(select(1))
            session.rollback()
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", record)
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "lib" / "asterisk-cc" / "cc.sqlite3"
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    try:
        assert path.parent.is_dir()
        upgrade(engine)
        assert path.is_file()
    finally:
        engine.dispose()


def test_sqlite_directory_that_cannot_be_made_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(DatabaseError) as excinfo:
        make_engine(DatabaseSettings(url=f"sqlite:///{blocker / 'cc.sqlite3'}"))
    message = str(excinfo.value)
    assert "[database] url" in message and str(blocker) in message
    assert "Fix:" in message and "-wal" in message


def test_sqlite_file_that_is_not_a_database_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    try:
        with pytest.raises(DatabaseError) as excinfo:
            check_database(engine, SOURCE)
    finally:
        engine.dispose()
    message = str(excinfo.value)
    assert SOURCE in message and str(path) in message and "Fix:" in message
    assert "Traceback" not in message and "\n" not in message


def test_unreachable_postgres_is_explained_with_the_password_masked() -> None:
    url = "postgresql+psycopg://cc:s3cret-pw@127.0.0.1:1/asterisk_cc"
    engine = make_engine(DatabaseSettings(url=url, connect_timeout_s=2))
    try:
        with pytest.raises(DatabaseError) as excinfo:
            check_database(engine, SOURCE)
        message = str(excinfo.value)
        for needle in (SOURCE, "[database] url", "cc:***@127.0.0.1:1", "is PostgreSQL running"):
            assert needle in message
        assert "s3cret-pw" not in message and "\n" not in message
        with pytest.raises(DatabaseError, match="is PostgreSQL running"):
            current_revision(engine)
        with pytest.raises(DatabaseError, match="is PostgreSQL running"):
            upgrade(engine)
    finally:
        engine.dispose()


def test_unknown_schema_version_is_explained(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.begin() as connection:
        assert VERSION_TABLE == "asterisk_cc_schema_version"
        connection.execute(text("UPDATE asterisk_cc_schema_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match="migrated by a newer version"):
        check_database(empty_engine, SOURCE)
    with pytest.raises(DatabaseError, match="cannot be migrated"):
        upgrade(empty_engine)


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "postgresql+nosuchdriver://u@h/d"])
def test_unusable_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"\[database\] url"):
        make_engine(DatabaseSettings(url=url))


def test_timestamps_are_aware_utc_in_and_out(db_session: Session) -> None:
    shanghai = timezone(timedelta(hours=8))
    shift = Schedule(
        agent_id=_agent(db_session),
        starts_at=datetime(2026, 11, 2, 9, 0, tzinfo=shanghai),
        ends_at=datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=UTC),
    )
    db_session.add(shift)
    db_session.flush()
    db_session.expire_all()
    stored = db_session.get(Schedule, shift.id)
    assert stored is not None
    assert stored.starts_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert stored.starts_at.tzinfo is not None and stored.starts_at.utcoffset() == timedelta(0)
    assert stored.ends_at.microsecond == 123456
    # Comparisons happen in UTC on both databases.
    found = db_session.scalars(
        select(Schedule.id).where(
            Schedule.starts_at < datetime(2026, 11, 2, 10, 0, tzinfo=shanghai)
        )
    ).all()
    assert shift.id in found
    customer = Customer(name="default times")
    db_session.add(customer)
    db_session.flush()
    db_session.refresh(customer)
    assert customer.created_at.utcoffset() == timedelta(0)
    assert abs(customer.created_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_naive_timestamps_are_refused(db_session: Session) -> None:
    db_session.add(
        Schedule(
            agent_id=_agent(db_session),
            starts_at=datetime(2026, 11, 2, 9, 0),
            ends_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db_session.flush()
    db_session.rollback()


def _agent(session: Session) -> int:
    from asterisk_cc.db.models import Agent

    agent = Agent(login=f"agent-{id(session)}", name="Test Agent")
    session.add(agent)
    session.flush()
    return agent.id


def test_downgrade_below_the_hold_state_keeps_hold_time_as_talk_time(
    empty_engine: Engine,
) -> None:
    upgrade(empty_engine)
    insert = text(
        "INSERT INTO agent_state_changes (agent_id, state, at) VALUES (:agent, :state, :at)"
    )
    at = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    if empty_engine.dialect.name == "sqlite":
        at = at.replace(tzinfo=None)  # stored as UTC text, as UTCDateTime does
    with empty_engine.begin() as connection:
        connection.execute(text("INSERT INTO agents (login, name) VALUES ('1001', 'Han Meimei')"))
        agent = connection.execute(text("SELECT id FROM agents")).scalar_one()
        connection.execute(insert, {"agent": agent, "state": "hold", "at": at})
    downgrade(empty_engine, "0002")
    with empty_engine.connect() as connection:
        states = connection.execute(text("SELECT state FROM agent_state_changes")).scalars()
        assert list(states) == ["talking"]
    with pytest.raises(DBAPIError), empty_engine.begin() as connection:
        connection.execute(insert, {"agent": agent, "state": "hold", "at": at})
    upgrade(empty_engine)
    assert schema_diff(empty_engine) == []
    names = {c["name"] for c in inspect(empty_engine).get_check_constraints("agent_state_changes")}
    assert "ck_agent_state_changes_agent_state" in names
    with empty_engine.begin() as connection:
        connection.execute(insert, {"agent": agent, "state": "hold", "at": at})


def _predicate(where: object) -> str | None:
    """A partial index's WHERE clause, compared without parentheses, spaces or case."""
    if where is None:
        return None
    return "".join(ch for ch in str(where).lower() if ch not in "() ")


def test_partial_indexes_of_the_models_are_partial_in_the_database(engine: Engine) -> None:
    # Alembic's comparison leaves a partial index's WHERE out: checked here instead.
    dialect = engine.dialect.name
    inspector = inspect(engine)
    partial = []
    for table in Base.metadata.sorted_tables:
        found = {index["name"]: index for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            expected = _predicate(index.dialect_options[dialect]["where"])
            reflected = found[index.name].get("dialect_options", {}).get(f"{dialect}_where")
            assert _predicate(reflected) == expected, index.name
            if expected:
                partial.append(index.name)
    assert "ix_interactions_recorded_started_at" in partial


NOTE_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _seed_audited_notes(engine: Engine) -> dict[str, int]:
    """At revision 0008: notes as the older desktop kept them (audit entries), and entries
    that are not notes or have no note to move."""
    with engine.begin() as connection:
        agent = connection.execute(
            insert(Agent).values(login="1001", name="Ann Agent").returning(Agent.id)
        ).scalar_one()
        user = connection.execute(
            insert(User)
            .values(username="ann", password_hash="x", role=UserRole.AGENT, agent_id=agent)
            .returning(User.id)
        ).scalar_one()
        call = connection.execute(
            insert(Interaction)
            .values(
                uniqueid="1700000000.1",
                linkedid="1700000000.1",
                direction=CallDirection.INBOUND,
                started_at=NOTE_AT - timedelta(minutes=5),
            )
            .returning(Interaction.id)
        ).scalar_one()
        entry = {"user_id": user, "username": "ann", "ip": "10.0.0.5"}
        connection.execute(
            insert(AuditLogEntry),
            [
                {
                    **entry,
                    "at": NOTE_AT,
                    "action": "call.note",
                    "target": "call:1700000000.1",
                    "details": {"note": "Refund promised; ' OR 1=1 --"},
                },
                {  # the call's row is not there yet
                    **entry,
                    "at": NOTE_AT + timedelta(minutes=1),
                    "action": "call.note",
                    "target": "call:1700000000.2",
                    "details": {"note": "说明：明天回电"},
                },
                {  # the author's user is gone: nobody to file the note under
                    **entry,
                    "user_id": None,
                    "username": "gone",
                    "at": NOTE_AT + timedelta(minutes=2),
                    "action": "call.note",
                    "target": "call:1700000000.1",
                    "details": {"note": "orphan"},
                },
                {**entry, "at": NOTE_AT, "action": "call.note", "target": "call:1", "details": {}},
                {
                    **entry,
                    "at": NOTE_AT,
                    "action": "recording_played",
                    "target": "call:1700000000.1",
                    "details": {"note": "not a note"},
                },
            ],
        )
    return {"agent": agent, "user": user, "call": call}


def _notes(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                CallNote.linkedid,
                CallNote.interaction_id,
                CallNote.agent_id,
                CallNote.user_id,
                CallNote.at,
                CallNote.text,
            ).order_by(CallNote.id)
        )
        return [tuple(row) for row in rows]


def _audited_notes(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                AuditLogEntry.at,
                AuditLogEntry.username,
                AuditLogEntry.target,
                AuditLogEntry.details,
            )
            .where(AuditLogEntry.action == "call.note")
            .order_by(AuditLogEntry.id)
        )
        return [tuple(row) for row in rows]


def test_notes_move_from_the_audit_log_to_their_table_and_back(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0008")
    ids = _seed_audited_notes(empty_engine)
    audited = _audited_notes(empty_engine)

    upgrade(empty_engine)
    assert _notes(empty_engine) == [
        (
            "1700000000.1",
            ids["call"],
            ids["agent"],
            ids["user"],
            NOTE_AT,
            "Refund promised; ' OR 1=1 --",
        ),
        (
            "1700000000.2",
            None,
            ids["agent"],
            ids["user"],
            NOTE_AT + timedelta(minutes=1),
            "说明：明天回电",
        ),
    ]
    assert _audited_notes(empty_engine) == audited  # the audit log keeps what it had
    assert schema_diff(empty_engine) == []

    # A note written after the upgrade exists only in call_notes: the downgrade keeps it.
    later = NOTE_AT + timedelta(hours=1)
    with empty_engine.begin() as connection:
        connection.execute(
            insert(CallNote).values(
                linkedid="1700000000.3", user_id=ids["user"], at=later, text="after the upgrade"
            )
        )
    downgrade(empty_engine, "0008")
    assert "call_notes" not in inspect(empty_engine).get_table_names()
    assert _audited_notes(empty_engine) == [
        *audited,
        (later, "ann", "call:1700000000.3", {"note": "after the upgrade"}),
    ]

    upgrade(empty_engine)
    assert [(row[0], row[5]) for row in _notes(empty_engine)] == [
        ("1700000000.1", "Refund promised; ' OR 1=1 --"),
        ("1700000000.2", "说明：明天回电"),
        ("1700000000.3", "after the upgrade"),
    ]


def test_a_note_is_between_1_and_2000_characters(db_session: Session) -> None:
    user = User(username=f"noter-{id(db_session)}", password_hash="x", role=UserRole.AGENT)
    db_session.add(user)
    db_session.flush()
    for text_ in ("x" * 2000, "y"):
        db_session.add(CallNote(linkedid="1.1", user_id=user.id, at=NOTE_AT, text=text_))
        db_session.flush()
    for text_ in ("x" * 2001, ""):
        with pytest.raises(IntegrityError), db_session.begin_nested():
            db_session.add(CallNote(linkedid="1.1", user_id=user.id, at=NOTE_AT, text=text_))
            db_session.flush()
