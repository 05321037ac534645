"""The upgrade path of docs/install.md ("Upgrading"): a database of the previous release, filled
as a site fills it, is migrated by the real ``asterisk-cc db upgrade``; every row survives, the
schema is exactly a fresh one's, and the dashboard works on it.

"The previous release": asterisk-cc has no release tags yet, so it is the schema the code
shipped with before the newest migration, revision 0008 (the last landed version before
0009 added call_notes). PREVIOUS_RELEASE moves on with each release. The data is written with
the tables as that schema has them (reflected, not the current models), so the test keeps
seeding the old schema when the models move on.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, insert, select
from werkzeug.security import generate_password_hash

from asterisk_cc.config import DatabaseSettings, Settings, SiteSettings, WebSettings
from asterisk_cc.db.migrate import current_revision, head_revision, upgrade
from asterisk_cc.web.app import create_app
from tests.db.test_migrations import schema_diff
from tests.web_fixtures import FixedClock, StaticLiveFeed

PREVIOUS_RELEASE = "0008"
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ADMIN_PASSWORD = "upgrade-test-password"
NOTE = "客户要求周五回电 / wants a call back on Friday"


def seed_rows() -> dict[str, list[dict[str, Any]]]:
    """What a site has after some weeks: staff, customers, calls, IVR sessions, queue records,
    CDRs, a campaign with a lead, a report run, users and audit entries (one of them a call
    note as the desktop wrote notes before 0009)."""
    return {
        "queues": [{"id": 1, "name": "support", "display_name": "Support"}],
        "teams": [{"id": 1, "name": "Day shift"}],
        "agents": [
            {"id": 1, "login": "1001", "name": "Ann Agent", "team_id": 1, "active": True},
            {"id": 2, "login": "1002", "name": "王小明", "team_id": 1, "active": False},
        ],
        "users": [
            {
                "id": 1,
                "username": "admin",
                "password_hash": generate_password_hash(ADMIN_PASSWORD, method="scrypt"),
                "role": "admin",
                "active": True,
            },
            {
                "id": 2,
                "username": "ann",
                "password_hash": generate_password_hash(ADMIN_PASSWORD, method="scrypt"),
                "role": "agent",
                "agent_id": 1,
                "active": True,
            },
        ],
        "customers": [
            {"id": 1, "name": "李华", "account_number": "600001", "tier": "vip"},
            {"id": 2, "name": "Bob Example", "account_number": "600002", "tier": "standard"},
        ],
        "interactions": [
            {
                "id": 1,
                "uniqueid": "1795354843.4",
                "linkedid": "1795354843.3",
                "direction": "inbound",
                "customer_id": 1,
                "agent_id": 1,
                "queue_id": 1,
                "caller_number": "13800000001",
                "started_at": AT,
                "answered_at": AT,
                "ended_at": AT,
                "wait_s": 12,
                "talk_s": 95,
            },
            {
                "id": 2,
                "uniqueid": "1795354900.8",
                "linkedid": "1795354900.7",
                "direction": "inbound",
                "customer_id": 2,
                "queue_id": 1,
                "started_at": AT,
                "ended_at": AT,
                "wait_s": 40,
                "end_reason": "abandoned",
            },
        ],
        "ivr_sessions": [
            {
                "id": 1,
                "uniqueid": "1795354843.2",
                "linkedid": "1795354843.3",
                "flow": "hotline",
                "language": "zh",
                "path": ["welcome", "main_menu", "operator"],
                "outcome": "queued",
                "queue_id": 1,
                "started_at": AT,
                "ended_at": AT,
            }
        ],
        "queue_log_events": [
            {
                "id": 1,
                "at": AT,
                "callid": "1795354843.4",
                "queue": "support",
                "agent": "Ann Agent",
                "event": "CONNECT",
                "data1": "12",
            }
        ],
        "queue_calls": [
            {
                "id": 1,
                "callid": "1795354843.4",
                "queue": "support",
                "entered_at": AT,
                "ended_at": AT,
                "outcome": "answered",
                "wait_s": 12,
                "talk_s": 95,
                "agent": "Ann Agent",
            }
        ],
        "cdr_records": [
            {
                "id": 1,
                "row_hash": "0" * 64,
                "source": "Master.csv",
                "src": "13800000001",
                "dst": "hotline",
                "start_at": AT,
                "end_at": AT,
                "duration_s": 107,
                "billsec_s": 95,
                "disposition": "ANSWERED",
                "uniqueid": "1795354843.4",
                "linkedid": "1795354843.3",
            }
        ],
        "campaigns": [{"id": 1, "name": "Renewals", "dial_mode": "preview", "queue_id": 1}],
        "leads": [{"id": 1, "campaign_id": 1, "customer_id": 2, "external_ref": "R-1"}],
        "report_runs": [
            {
                "id": 1,
                "report": "daily_pack",
                "period_start": AT,
                "period_end": AT + timedelta(days=1),
                "status": "succeeded",
                "output_path": "/var/lib/asterisk-cc/reports/2026-11-19",
            }
        ],
        "audit_log": [
            {"id": 1, "at": AT, "user_id": 1, "username": "admin", "action": "user.create"},
            {
                "id": 2,
                "at": AT,
                "user_id": 2,
                "username": "ann",
                "action": "call.note",
                "target": "call:1795354843.3",
                "details": {"note": NOTE},
            },
        ],
    }


def snapshot(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple]]:
    """The seeded columns of the seeded rows, as the database gives them back."""
    metadata = MetaData()
    metadata.reflect(engine, only=list(rows))
    found = {}
    with engine.connect() as connection:
        for table_name, seeded in rows.items():
            table = metadata.tables[table_name]
            columns = sorted({column for row in seeded for column in row})
            ids = [row["id"] for row in seeded]
            result = connection.execute(
                select(*(table.c[c] for c in columns))
                .where(table.c.id.in_(ids))
                .order_by(table.c.id)
            )
            found[table_name] = [tuple(row) for row in result]
    return found


def seed(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    metadata = MetaData()
    metadata.reflect(engine)  # the tables as the previous release has them
    with engine.begin() as connection:
        for table_name, seeded in rows.items():
            table = metadata.tables[table_name]
            for row in seeded:
                connection.execute(insert(table).values(**row))
    if engine.dialect.name == "postgresql":
        # Explicit ids leave the sequences behind; a site's rows came from them.
        with engine.begin() as connection:
            for table_name in rows:
                # The names are this file's own table names, not input.
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table_name}))"
                )


def test_the_previous_release_upgrades_with_every_row_and_the_app_works(
    empty_engine: Engine, tmp_path: Path
) -> None:
    upgrade(empty_engine, PREVIOUS_RELEASE)
    assert current_revision(empty_engine) == PREVIOUS_RELEASE
    rows = seed_rows()
    seed(empty_engine, rows)
    before = snapshot(empty_engine, rows)
    assert all(len(before[table]) == len(seeded) for table, seeded in rows.items())

    url = empty_engine.url.render_as_string(hide_password=False)
    config = tmp_path / "asterisk-cc.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    config.chmod(0o600)
    empty_engine.dispose()  # the command has the database to itself, as with services stopped
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("asterisk-cc")),
            "--config",
            str(config),
            "db",
            "upgrade",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{PREVIOUS_RELEASE} → upgrading" in result.stderr
    assert f"database schema is at {head_revision()}" in result.stdout

    assert current_revision(empty_engine) == head_revision()
    assert snapshot(empty_engine, rows) == before
    assert schema_diff(empty_engine) == []
    # 0009 moved the desktop's notes out of the audit log into their own table.
    metadata = MetaData()
    metadata.reflect(empty_engine, only=["call_notes"])
    with empty_engine.connect() as connection:
        notes = connection.execute(
            select(
                metadata.tables["call_notes"].c["linkedid", "agent_id", "interaction_id", "text"]
            )
        ).all()
    assert [tuple(n) for n in notes] == [("1795354843.3", 1, 1, NOTE)]

    settings = Settings(
        database=DatabaseSettings(url=url),
        site=SiteSettings(timezone="Asia/Shanghai"),
        web=WebSettings(secret_key="upgrade-test-secret-key-0123456789abcdef"),
    )
    app = create_app(settings, empty_engine, now=FixedClock(AT), live=StaticLiveFeed())
    app.config["TESTING"] = True
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    login = client.post(
        "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302
    agents = client.get("/admin/agents")
    assert agents.status_code == 200
    assert "Ann Agent" in agents.text and "王小明" in agents.text
    users = client.get("/admin/users")
    assert users.status_code == 200 and "ann" in users.text
    campaigns = client.get("/campaigns/")
    assert campaigns.status_code == 200 and "Renewals" in campaigns.text
