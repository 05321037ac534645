"""The audit log, users' roles, and call recordings in the database (recording policies,
references on calls, who may have the file); on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import CallDirection, UserRole
from asterisk_cc.db.audit import audit_finish, audit_start, user_role
from asterisk_cc.db.migrate import downgrade, upgrade
from asterisk_cc.db.models import AuditLogEntry, Campaign, Interaction, Queue, User
from asterisk_cc.db.recordings import (
    RECORDING_PLAYED,
    queue_recording_policy,
    recording_path,
    set_recording_ref,
)

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def add_user(session: Session, username: str, role: UserRole, *, active: bool = True) -> int:
    user = User(username=username, password_hash="x", role=role, active=active)
    session.add(user)
    session.flush()
    return user.id


def add_call(session: Session, linkedid: str, ref: str | None = None) -> Interaction:
    call = Interaction(
        uniqueid=linkedid,
        linkedid=linkedid,
        direction=CallDirection.INBOUND,
        started_at=T0,
        recording_ref=ref,
    )
    session.add(call)
    session.flush()
    return call


# --- roles ---------------------------------------------------------------------------------


def test_the_role_of_an_active_user_and_none_for_the_others(db_session: Session) -> None:
    supervisor = add_user(db_session, "li.na", UserRole.SUPERVISOR)
    admin = add_user(db_session, "root.admin", UserRole.ADMIN)
    agent = add_user(db_session, "zhao.min", UserRole.AGENT)
    gone = add_user(db_session, "former.supervisor", UserRole.SUPERVISOR, active=False)
    assert user_role(db_session, supervisor) is UserRole.SUPERVISOR
    assert user_role(db_session, admin) is UserRole.ADMIN
    assert user_role(db_session, agent) is UserRole.AGENT
    assert user_role(db_session, gone) is None
    assert user_role(db_session, 987654) is None


# --- the audit log -------------------------------------------------------------------------


def test_an_action_that_lasts_is_written_at_its_start_and_completed_at_its_end(
    db_session: Session,
) -> None:
    user = add_user(db_session, "li.na", UserRole.SUPERVISOR)
    entry_id = audit_start(
        db_session,
        user_id=user,
        action="supervise_listen",
        at=T0,
        target="agent:1001",
        details={"mode": "listen", "agent": "1001"},
        ip="192.0.2.7",
    )
    db_session.expire_all()
    entry = db_session.get(AuditLogEntry, entry_id)
    assert entry is not None
    assert (entry.at, entry.user_id, entry.username) == (T0, user, "li.na")
    assert (entry.action, entry.target, entry.ip) == ("supervise_listen", "agent:1001", "192.0.2.7")
    assert entry.details == {"mode": "listen", "agent": "1001"}

    audit_finish(
        db_session, entry_id, ended_at=T0 + timedelta(seconds=95.7), details={"end": "hangup"}
    )
    db_session.expire_all()
    entry = db_session.get(AuditLogEntry, entry_id)
    assert entry is not None and entry.details == {
        "mode": "listen",
        "agent": "1001",
        "end": "hangup",
        "ended_at": "2026-11-23T03:01:35.700000+00:00",
        "duration_s": 95,
    }
    # The time actually spent can be shorter than the time since the request.
    audit_finish(db_session, entry_id, ended_at=T0 + timedelta(seconds=96), duration_s=80)
    db_session.expire_all()
    entry = db_session.get(AuditLogEntry, entry_id)
    assert entry is not None and entry.details is not None
    assert entry.details["duration_s"] == 80 and entry.details["end"] == "hangup"


def test_audit_entries_are_checked(db_session: Session) -> None:
    user = add_user(db_session, "li.na", UserRole.SUPERVISOR)
    with pytest.raises(ValueError, match="timezone-aware"):
        audit_start(db_session, user_id=user, action="x", at=datetime(2026, 11, 23, 3, 0))
    with pytest.raises(ValueError, match="1 to 64"):
        audit_start(db_session, user_id=user, action="", at=T0)
    entry_id = audit_start(db_session, user_id=user, action="supervise_barge", at=T0)
    with pytest.raises(ValueError, match="before it started"):
        audit_finish(db_session, entry_id, ended_at=T0 - timedelta(seconds=1))
    with pytest.raises(ValueError, match="duration_s"):
        audit_finish(db_session, entry_id, ended_at=T0, duration_s=-1)
    with pytest.raises(LookupError, match="no audit log entry"):
        audit_finish(db_session, 987654, ended_at=T0)


def test_an_unknown_user_is_still_recorded(db_session: Session) -> None:
    entry_id = audit_start(db_session, user_id=987654, action="supervise_listen", at=T0)
    entry = db_session.get(AuditLogEntry, entry_id)
    assert entry is not None
    assert (entry.user_id, entry.username, entry.details) == (None, None, {"user_id": 987654})


def test_the_username_stays_when_the_user_goes(db_session: Session) -> None:
    user = add_user(db_session, "li.na", UserRole.SUPERVISOR)
    entry_id = audit_start(db_session, user_id=user, action="supervise_whisper", at=T0)
    db_session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user})
    db_session.expire_all()
    entry = db_session.get(AuditLogEntry, entry_id)
    assert entry is not None and (entry.user_id, entry.username) == (None, "li.na")


# --- recording policies --------------------------------------------------------------------


def test_queues_and_campaigns_record_nothing_unless_told(db_session: Session) -> None:
    db_session.add_all([Queue(name="sales"), Queue(name="vip", recording="all")])
    db_session.flush()
    assert queue_recording_policy(db_session, "sales") == "none"
    assert queue_recording_policy(db_session, " vip ") == "all"
    assert queue_recording_policy(db_session, "never-seen") == "none"
    assert queue_recording_policy(db_session, None) == "none"
    db_session.execute(text("UPDATE queues SET recording = 'on_demand' WHERE name = 'sales'"))
    assert queue_recording_policy(db_session, "sales") == "on_demand"
    db_session.execute(
        text("INSERT INTO campaigns (name, dial_mode) VALUES ('renewals', 'preview')")
    )
    db_session.expire_all()
    campaign = db_session.scalars(select(Campaign).where(Campaign.name == "renewals")).one()
    assert campaign.recording == "none"


@pytest.mark.parametrize("table", ["queues", "campaigns"])
def test_an_unknown_recording_policy_is_refused(db_session: Session, table: str) -> None:
    columns = "name, dial_mode, recording" if table == "campaigns" else "name, recording"
    values = "'x', 'preview', 'sometimes'" if table == "campaigns" else "'x', 'sometimes'"
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"))  # noqa: S608


def test_the_policy_survives_a_downgrade_and_upgrade(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0004")
    with empty_engine.begin() as connection:
        connection.execute(text("INSERT INTO queues (name) VALUES ('support')"))
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        policy = connection.execute(text("SELECT recording FROM queues")).scalar_one()
        assert policy == "none"  # existing queues record nothing
    for table in ("queues", "campaigns"):
        names = {c["name"] for c in inspect(empty_engine).get_check_constraints(table)}
        assert f"ck_{table}_recording_policy" in names
    downgrade(empty_engine, "0004")
    for table in ("queues", "campaigns"):
        assert "recording" not in {c["name"] for c in inspect(empty_engine).get_columns(table)}
    with pytest.raises(DBAPIError), empty_engine.connect() as connection:
        connection.execute(text("SELECT recording FROM queues"))
    upgrade(empty_engine)


# --- recordings of calls -------------------------------------------------------------------


def test_the_reference_goes_on_the_call(db_session: Session) -> None:
    ref = "asterisk-cc/2026/11/23/1732330800.42.wav"
    assert set_recording_ref(db_session, "1732330800.42", ref) is False  # no call yet
    call = add_call(db_session, "1732330800.42")
    assert set_recording_ref(db_session, "1732330800.42", ref) is True
    assert set_recording_ref(db_session, "1732330800.42", ref) is True
    db_session.expire_all()
    assert db_session.get(Interaction, call.id).recording_ref == ref  # type: ignore[union-attr]
    for bad in ("", "/etc/passwd", "asterisk-cc/../../etc/passwd"):
        with pytest.raises(ValueError, match="relative to Asterisk's recording directory"):
            set_recording_ref(db_session, "1732330800.42", bad)


def test_only_supervisors_and_admins_get_a_recording_and_each_time_is_audited(
    db_session: Session, tmp_path: Path
) -> None:
    supervisor = add_user(db_session, "li.na", UserRole.SUPERVISOR)
    admin = add_user(db_session, "root.admin", UserRole.ADMIN)
    agent = add_user(db_session, "zhao.min", UserRole.AGENT)
    gone = add_user(db_session, "former.supervisor", UserRole.SUPERVISOR, active=False)
    add_call(db_session, "call-1", "asterisk-cc/2026/11/23/call-1.wav")
    add_call(db_session, "call-2")

    path = recording_path(db_session, "call-1", supervisor, root=tmp_path, at=T0, ip="192.0.2.7")
    assert path == tmp_path / "asterisk-cc" / "2026" / "11" / "23" / "call-1.wav"
    assert recording_path(db_session, "call-1", admin, root=tmp_path) == path
    assert recording_path(db_session, "call-2", admin, root=tmp_path) is None
    assert recording_path(db_session, "no-such-call", admin, root=tmp_path) is None
    for user in (agent, gone, 987654):
        with pytest.raises(PermissionError, match="only active supervisors and admins"):
            recording_path(db_session, "call-1", user, root=tmp_path)

    played = db_session.scalars(
        select(AuditLogEntry).where(AuditLogEntry.action == RECORDING_PLAYED)
    ).all()
    assert [(e.username, e.target) for e in played] == [
        ("li.na", "call:call-1"),
        ("root.admin", "call:call-1"),
    ]
    assert played[0].at == T0 and played[0].ip == "192.0.2.7"
    assert played[0].details == {
        "linkedid": "call-1",
        "recording": "asterisk-cc/2026/11/23/call-1.wav",
    }
