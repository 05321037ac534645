"""Administration, the read-only pages: IVR flows as trees with their findings, the settings
with secrets masked, system health with services down, and the audit log's filters."""

from __future__ import annotations

import dataclasses
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from asterisk_cc.config import Settings
from asterisk_cc.core.vocabulary import ReportStatus
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import AuditLogEntry, IngestCursor, ReportRun
from asterisk_cc.web import admin_health
from asterisk_cc.web.admin_health import Outcome
from tests.web_fixtures import START, WEB_SECRET, WebUser

Clients = Callable[[str | None], FlaskClient]

REPO = Path(__file__).resolve().parents[2]
ARI_SECRET = "ari-secret-Zx81"
AMI_SECRET = "ami-secret-Qw27"
SMTP_SECRET = "smtp-secret-Lp55"
DB_PASSWORD = "db-password-Mn42"
HEALTH_TIMEOUT_S = 1.0


def closed_port() -> int:
    """A port nothing listens on (taken and given back at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port that accepts connections and never says anything (a hung service)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """The shipped sample flows, and one broken file beside them."""
    directory = tmp_path / "ivr"
    directory.mkdir()
    for sample in (REPO / "conf" / "ivr").glob("*.toml"):
        shutil.copy(sample, directory / sample.name)
    (directory / "broken.toml").write_text("[flow\nstart = ", encoding="utf-8")
    return directory


@pytest.fixture
def web_settings(
    web_settings: Settings, tmp_path: Path, flows_dir: Path, silent_listener: int
) -> Settings:
    queues_conf = tmp_path / "queues.conf"
    queues_conf.write_text("[general]\n[support]\nstrategy=rrmemory\n", encoding="utf-8")
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    config = tmp_path / "asterisk-cc.toml"
    config.write_text('[site]\nname = "Hotline West"\n[smtp]\nport = 2525\n', encoding="utf-8")
    return dataclasses.replace(
        web_settings,
        database=dataclasses.replace(
            web_settings.database,
            url=f"postgresql+psycopg://asterisk_cc:{DB_PASSWORD}@db.example/asterisk_cc",
        ),
        ari=dataclasses.replace(
            web_settings.ari, url=f"http://127.0.0.1:{closed_port()}/ari", password=ARI_SECRET
        ),
        ami=dataclasses.replace(web_settings.ami, port=silent_listener, secret=AMI_SECRET),
        agi=dataclasses.replace(web_settings.agi, port=closed_port()),
        dialer=dataclasses.replace(
            web_settings.dialer, controller_url=f"http://127.0.0.1:{closed_port()}"
        ),
        smtp=dataclasses.replace(web_settings.smtp, password=SMTP_SECRET, port=2525),
        site=dataclasses.replace(web_settings.site, name="Hotline West"),
        ivr=dataclasses.replace(
            web_settings.ivr,
            flows_dir=str(flows_dir),
            queues_conf=[str(queues_conf)],
            sounds_dirs=[str(sounds)],
        ),
        source=str(config),
    )


@pytest.fixture
def web_context(web_context: dict[str, Any]) -> dict[str, Any]:
    web_context["extras"] = {"health_timeout_s": HEALTH_TIMEOUT_S}
    return web_context


@pytest.fixture
def admin(web_client: Clients, web_users: dict[str, WebUser]) -> FlaskClient:
    return web_client("admin")


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def node_item(page: str, node_id: str) -> str:
    """The page's HTML from a node's list item to the next node's."""
    start = page.index(f'id="node-{node_id}"')
    end = page.find('id="node-', start + 1)
    return page[start : end if end > 0 else len(page)]


# --- IVR ----------------------------------------------------------------------------------------


def test_the_flow_list_shows_each_flow_with_its_findings(admin: FlaskClient) -> None:
    page = text_of(admin.get("/admin/ivr"))
    assert ">hotline</a>" in page and ">survey</a>" in page and ">broken</a>" in page
    assert "Service hotline: self-service, complaints, sales, operator; VIP fast lane" in page
    # The broken file's parse error, and the hotline's queues missing from queues.conf.
    assert "not valid TOML" in page
    assert "queue &#39;vip&#39; is not defined in the queues configuration" in page


def test_a_flow_is_drawn_as_a_tree_with_each_nodes_findings_beside_it(admin: FlaskClient) -> None:
    page = text_of(admin.get("/admin/ivr/hotline"))
    # The start, the keys that lead on, actions and queues.
    assert 'id="node-welcome"' in page and 'id="node-main_menu"' in page
    assert "key 1" in page and "if open office" in page and "on_exhausted" in page
    assert "menu, 3 tries, 5 s" in page and "lookup by caller_id" in page
    vip = node_item(page, "vip_queue")
    assert "queue vip" in vip
    assert "queue &#39;vip&#39; is not defined" in vip and "sev-error" in vip
    operator = node_item(page, "operator")
    assert "queue &#39;support&#39;" not in operator
    # Loops point back instead of drawing the node again.
    assert "see above" in page
    # Sounds are not installed in the (empty) sounds directory: warnings about prompts.
    assert "no zh sound &#39;asterisk-cc/hotline/welcome&#39;" in page
    assert "sev-warning" in page


def test_a_broken_or_unknown_flow(admin: FlaskClient) -> None:
    page = text_of(admin.get("/admin/ivr/broken"))
    assert "The file cannot be used" in page and "not valid TOML" in page
    assert admin.get("/admin/ivr/nothing").status_code == 404
    assert admin.get("/admin/ivr/..%2Fsecrets").status_code == 404


# --- settings -----------------------------------------------------------------------------------


def test_the_settings_show_every_key_and_never_a_secret(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASTERISK_CC_SMTP_PASSWORD", SMTP_SECRET)
    page = text_of(admin.get("/admin/settings"))
    for secret in (ARI_SECRET, AMI_SECRET, SMTP_SECRET, WEB_SECRET, DB_PASSWORD):
        assert secret not in page
    assert "postgresql+psycopg://asterisk_cc:***@db.example/asterisk_cc" in page
    for section in ("[database]", "[ari]", "[ami]", "[web]", "[reports]", "[logging]"):
        assert section in page
    assert "ARI password. Secret: set it here or in ASTERISK_CC_ARI_PASSWORD." in page
    # Where each value came from.
    assert "ASTERISK_CC_SMTP_PASSWORD" in page
    rows = page.split("<tr>")
    name_row = next(r for r in rows if "<code>name</code>" in r and "Hotline West" in r)
    assert "origin-file" in name_row
    password_row = next(r for r in rows if "<code>password</code>" in r and "SMTP password" in r)
    assert "origin-environment" in password_row and "***" in password_row
    app_row = next(r for r in rows if "<code>app</code>" in r and "Stasis application" in r)
    assert "origin-default" in app_row
    url_row = next(r for r in rows if "<code>url</code>" in r and "SQLAlchemy URL" in r)
    assert "origin-program" in url_row


# --- health -------------------------------------------------------------------------------------


def test_services_that_are_down_are_shown_down_quickly(admin: FlaskClient) -> None:
    started = time.monotonic()
    response = admin.get("/admin/health")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < HEALTH_TIMEOUT_S + 1.5
    page = text_of(response)
    rows = {name: node for name, node in _probe_rows(page).items()}
    for name in ("asterisk", "ari", "ami", "controller", "agi"):
        assert "state-down" in rows[name], name
    assert "Neither ARI nor AMI answers." in rows["asterisk"]
    assert "does not answer" in rows["ari"]
    assert "stopped answering during login" in rows["ami"]
    assert "is asterisk-cc ari running?" in rows["controller"]
    assert "no FastAGI server listens" in rows["agi"]
    # The dashboard's own database is up and at the newest schema.
    assert "state-up" in rows["database"] and "(newest)" in rows["database"]


def _probe_rows(page: str) -> dict[str, str]:
    rows = {}
    for chunk in page.split('<tr class="probe-')[1:]:
        name, _, rest = chunk.partition('"')
        rows[name] = rest.split("</tr>")[0]
    return rows


def test_a_probe_that_hangs_is_shown_without_holding_the_page(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hangs(*_args: Any) -> Outcome:
        release.wait(10)
        return Outcome(True, "late")

    monkeypatch.setitem(admin_health.PROBES, "agi", hangs)
    try:
        started = time.monotonic()
        page = text_of(admin.get("/admin/health"))
        assert time.monotonic() - started < HEALTH_TIMEOUT_S + 1.5
        assert "no answer within 1 s" in _probe_rows(page)["agi"]
    finally:
        release.set()


def test_asterisk_version_and_uptime_come_from_ari(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ari(*_args: Any) -> Outcome:
        facts = {"version": "22.5.0", "started": START - timedelta(days=2, hours=3, minutes=4)}
        return Outcome(True, "answers", facts)

    monkeypatch.setitem(admin_health.PROBES, "ari", ari)
    row = _probe_rows(text_of(admin.get("/admin/health")))["asterisk"]
    assert "state-up" in row and "Asterisk 22.5.0, up 2 d 3 h 4 min (from ARI)" in row


def test_the_scheduler_part_shows_jobs_runs_and_cursors(
    admin: FlaskClient, web_engine: Engine
) -> None:
    with session_factory(web_engine)() as session:
        session.execute(
            text(
                "CREATE TABLE scheduler_jobs (id VARCHAR(191) PRIMARY KEY, "
                "next_run_time FLOAT, job_state BLOB NOT NULL)"
            )
        )
        overdue = (START - timedelta(hours=1)).timestamp()
        upcoming = (START + timedelta(hours=20)).timestamp()
        session.execute(
            text(
                "INSERT INTO scheduler_jobs VALUES ('daily_pack', :t, x'00'), ('ingest', :u, x'00')"
            ),
            {"t": overdue, "u": upcoming},
        )
        day = datetime(2026, 11, 21, 16, tzinfo=UTC)
        for status, error in (
            (ReportStatus.SUCCEEDED, None),
            (ReportStatus.FAILED, "SMTP refused"),
        ):
            session.add(
                ReportRun(
                    report="daily_pack",
                    period_start=day,
                    period_end=day + timedelta(days=1),
                    status=status,
                    started_at=START - timedelta(hours=3),
                    finished_at=START - timedelta(hours=3) + timedelta(minutes=2),
                    error=error,
                )
            )
            day += timedelta(days=1)
        session.add(IngestCursor(name="queue_log", position=123456, line=789))
        session.commit()
    page = text_of(admin.get("/admin/health"))
    jobs = page.split("Jobs and their next runs")[1].split("Last report runs")[0]
    assert "daily_pack" in jobs and "overdue: is the scheduler running?" in jobs
    assert "2026-11-24 14:00:00" in jobs and "on time" in jobs  # 06:00 UTC + 8 h
    runs = page.split("Last report runs")[1].split("Ingestion")[0]
    assert runs.count("daily_pack") == 1 and "SMTP refused" in runs and "failed" in runs
    assert "123456" in page and "789" in page


# --- audit log ----------------------------------------------------------------------------------


@pytest.fixture
def audit_rows(web_engine: Engine, web_users: dict[str, WebUser]) -> None:
    with session_factory(web_engine)() as session:
        for minute in range(120):
            session.add(
                AuditLogEntry(
                    at=START - timedelta(minutes=minute),
                    user_id=web_users["supervisor"].id if minute % 2 else web_users["admin"].id,
                    username="supervisor" if minute % 2 else "admin",
                    action="supervise_listen" if minute % 2 else "queue_update",
                    target=f"agent:{1000 + minute}",
                    details={"n": minute},
                    ip="10.0.0.9",
                )
            )
        session.add(
            AuditLogEntry(
                at=START - timedelta(days=3),
                user_id=None,
                username=None,
                action="login_failed",
                target="<script>alert(1)</script>",
                details={"note": "<script>alert(2)</script>"},
            )
        )
        session.commit()


def shown_targets(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"<td>agent:(\d+)</td>", page)]


def test_the_audit_log_pages_newest_first(admin: FlaskClient, audit_rows: None) -> None:
    page = text_of(admin.get("/admin/audit"))
    first = shown_targets(page)
    assert first == sorted(first) and first[0] == 1000
    assert page.count("<tr>") - 1 == 50
    older = page.split('href="/admin/audit?before=')[1].split('"')[0]
    second = text_of(admin.get(f"/admin/audit?before={older}"))
    # The second page goes on where the first stopped, with no entry twice.
    assert shown_targets(second)[0] == first[-1] + 1
    assert len(shown_targets(second)) == 50
    assert "Newest entries" in second


def test_the_audit_log_filters(admin: FlaskClient, audit_rows: None) -> None:
    page = text_of(admin.get("/admin/audit", query_string={"user": "supervisor"}))
    assert "<code>supervise_listen</code>" in page and "<code>queue_update</code>" not in page
    page = text_of(admin.get("/admin/audit", query_string={"action": "queue_update"}))
    assert "<code>queue_update</code>" in page and "<code>supervise_listen</code>" not in page
    page = text_of(admin.get("/admin/audit", query_string={"target": "agent:1011"}))
    assert "agent:1011" in page and "agent:1010" not in page
    assert "agent:1110" not in page
    # Days are the site's (Shanghai): 2026-11-20 holds the entry three days before 18:00.
    page = text_of(
        admin.get("/admin/audit", query_string={"from": "2026-11-20", "to": "2026-11-20"})
    )
    assert "login_failed" in page and "agent:1000" not in page
    response = admin.get("/admin/audit", query_string={"from": "yesterday"})
    assert response.status_code == 400 and "Dates are written YYYY-MM-DD" in text_of(response)


def test_the_audit_log_shows_details_as_text_and_sql_as_text(
    admin: FlaskClient, audit_rows: None
) -> None:
    page = text_of(admin.get("/admin/audit", query_string={"action": "login_failed"}))
    assert "<script>" not in page.split("<main>")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    for field in ("user", "action", "target"):
        page = text_of(admin.get("/admin/audit", query_string={field: "' OR 1=1 --"}))
        assert "No entries." in page, field
    page = text_of(admin.get("/admin/audit", query_string={"target": "%"}))
    assert "No entries." in page


def test_the_overview_counts_and_lists_recent_entries(admin: FlaskClient, audit_rows: None) -> None:
    page = text_of(admin.get("/admin/"))
    assert "Active users" in page and "agent:1000" in page
    assert 'href="/admin/audit"' in page
