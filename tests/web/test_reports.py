"""The report pages: the daily pack of the golden queue_log day, the KPI table of any range,
the calls behind a figure, the downloads and the KPI definitions — who may see them, what they
show, and what they refuse."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from asterisk_cc.config import ReportsSettings, Settings, SiteSettings
from asterisk_cc.core.reports.definitions import DEFINITIONS
from asterisk_cc.core.vocabulary import ReportStatus
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import (
    AuditLogEntry,
    CallbackRequest,
    QueueCall,
    ReportRun,
)
from asterisk_cc.db.queue_calls import rebuild_queue_calls
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from asterisk_cc.web import reports_data, reports_pages
from asterisk_cc.web.app import create_app
from asterisk_cc.web.reports_views import ROWS_SHOWN
from tests.golden_day import DAY, GOLDEN, MIDNIGHT, add_golden_records, at
from tests.web_fixtures import WebUser, log_in, post

Clients = Callable[[str | None], FlaskClient]

HOSTILE_CALLER = "<script>alert(1)</script>"
SQL_TEXT = "' OR 1=1 --"
FORMULA_QUEUE = '=HYPERLINK("http://evil.example")'
OTHER_DAY = date(2026, 11, 20)


@pytest.fixture
def web_settings(web_settings: Settings, tmp_path: Path) -> Settings:
    """The golden day is a UTC day (its KPIs are worked out by hand in
    tests/unit/test_kpi_golden.py); hourly intervals; report files in a temporary folder."""
    return dataclasses.replace(
        web_settings,
        site=dataclasses.replace(SiteSettings(), timezone="UTC"),
        reports=dataclasses.replace(
            ReportsSettings(), interval_min=60, output_dir=str(tmp_path / "reports")
        ),
    )


@pytest.fixture
def web_context(web_context: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    web_context["extras"] = {
        "reports.wait_s": 60.0,
        "reports.cache_dir": str(tmp_path / "pack-cache"),
    }
    return web_context


@pytest.fixture
def golden(web_engine: Engine, web_users: object) -> Engine:
    """The golden queue_log day ingested, with the records the pack reads beside it: four
    agents of team Blue, the support queue's targets, a VIP caller (c1) identified by the IVR
    and the hold and wrap-up of c1."""
    with Session(web_engine) as session, session.begin():
        add_golden_records(session)
        ingest_queue_log_file(session, GOLDEN, at(86400 + 6 * 3600), name="golden")
        rebuild_queue_calls(session)
    return web_engine


def add_calls(engine: Engine, day: date, *rows: dict[str, Any]) -> None:
    """Visits written straight into queue_calls (abandoned after 30 s unless said)."""
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        session.execute(
            insert(QueueCall),
            [
                {
                    "callid": f"x{n}",
                    "queue": "support",
                    "entered_at": start + timedelta(minutes=n),
                    "ended_at": start + timedelta(minutes=n, seconds=30),
                    "outcome": "abandoned",
                    "wait_s": 30.0,
                    "caller_number": f"555{n:04d}",
                    "ring_no_answer": 0,
                    "transferred": False,
                    **row,
                }
                for n, row in enumerate(rows)
            ],
        )


def audit_actions(engine: Engine) -> list[tuple[str, str | None]]:
    with session_factory(engine)() as session:
        return [
            (a.action, a.target)
            for a in session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id))
            if a.action.startswith("report")
        ]


def figure(page: str, key: str) -> str:
    """The text of headline KPI ``key`` on the pack page."""
    match = re.search(rf'data-kpi="{key}">(.*?)</div>', page, re.S)
    assert match, key
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def link(page: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}"><a href="([^"]+)"', page)
    assert match, key
    return unescape(match.group(1))


def listed(page: str) -> tuple[int, int]:
    """(the figure the list says the report shows, rows in the list's table) of a calls page."""
    shown = re.search(r'data-figure="(\d+)"', page)
    assert shown, page
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return int(shown.group(1)), body.count("<tr>") - body.count('colspan="8"')


ROUTES = [
    ("GET", "/reports/"),
    ("GET", f"/reports/pack/{DAY}/chart/offered_vs_answered.png"),
    ("GET", f"/reports/pack/{DAY}/download/pdf"),
    ("POST", f"/reports/pack/{DAY}/rebuild"),
    ("GET", "/reports/range"),
    ("GET", "/reports/range.csv"),
    ("GET", "/reports/calls?measure=offered"),
    ("GET", "/reports/definitions"),
]


# --- who may ---------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_log_in(web_client: Clients) -> None:
    client = web_client(None)
    for method, url in ROUTES:
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login?next="), url
        else:
            assert post(client, url).status_code == 401, url


def test_an_agent_is_refused_every_report(web_client: Clients, web_engine: Engine) -> None:
    agent = web_client("agent")
    for method, url in ROUTES:
        response = agent.get(url) if method == "GET" else post(agent, url)
        assert response.status_code == 403, url
    assert audit_actions(web_engine) == []


def test_supervisors_and_admins_see_the_reports(web_client: Clients, golden: Engine) -> None:
    for role in ("supervisor", "admin"):
        response = web_client(role).get("/reports/")
        assert response.status_code == 200, role
        assert "Daily pack" in response.get_data(as_text=True)


def test_a_rebuild_needs_the_csrf_token(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    response = client.post(f"/reports/pack/{DAY}/rebuild")
    assert response.status_code == 400
    assert audit_actions(golden) == []
    response = post(client, f"/reports/pack/{DAY}/rebuild")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/reports/?day={DAY}"
    assert audit_actions(golden) == [("report_rebuild", f"pack:{DAY}")]


# --- the daily pack --------------------------------------------------------------------------


def test_the_pack_of_yesterday_shows_the_golden_day(web_client: Clients, golden: Engine) -> None:
    # The clock says 2026-11-23 10:00 UTC: yesterday is the golden day.
    page = web_client("supervisor").get("/reports/").get_data(as_text=True)
    assert f"Daily pack · {DAY}" in page
    assert figure(page, "offered") == "12"
    assert figure(page, "answered") == "7"
    assert figure(page, "service_level") == "33.3 %"  # 4 of 12 within 20 s
    assert figure(page, "abandon_rate") == "9.1 %"  # 1 of (12 − 1 short)
    assert figure(page, "aht_s") == "1:16"  # (500 + 15 + 20) / 7 s
    assert "Off target" in page  # the service level against its 80 % target
    assert "Name of Agent A" in page and "Blue" in page  # the agents and teams tables
    assert "Staffing (Erlang C)" in page and "IVR funnel" in page
    for key in ("offered_vs_answered", "service_level_by_interval", "abandon_by_interval"):
        assert f"/reports/pack/{DAY}/chart/{key}.png" in page


def test_the_pack_reads_in_chinese(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    post(client, "/language", {"language": "zh", "next": "/reports/"})
    page = client.get(f"/reports/?day={DAY}").get_data(as_text=True)
    assert "日报" in page and "呼入量" in page and "服务水平" in page and "未达标" in page
    assert "平均处理时长" in page and "报表运行记录" in page
    assert figure(page, "offered") == "12"
    definitions = client.get("/reports/definitions").get_data(as_text=True)
    assert "统计期内进入队列并已结束的呼叫。" in definitions


def test_every_kpi_name_links_to_its_definition(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    page = client.get(f"/reports/?day={DAY}").get_data(as_text=True)
    linked = set(re.findall(r'href="/reports/definitions#(\w+)"', page))
    assert {"offered", "service_level", "asa_s", "aht_s", "occupancy", "handled"} <= linked
    definitions = client.get("/reports/definitions").get_data(as_text=True)
    for key in linked:
        assert f'id="{key}"' in definitions, key
    assert len(re.findall(r'class="definition card" id="', definitions)) == len(DEFINITIONS)
    assert "answered within the queue&#39;s threshold" in definitions or (
        "answered within the queue's threshold" in definitions
    )


def test_the_chart_is_a_png_in_the_readers_language(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    response = client.get(f"/reports/pack/{DAY}/chart/service_level_by_interval.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png" and response.data.startswith(b"\x89PNG")
    assert client.get(f"/reports/pack/{DAY}/chart/secrets.png").status_code == 404
    assert client.get("/reports/pack/not-a-day/chart/offered_vs_answered.png").status_code == 404


def test_a_bad_or_future_day_says_so_and_shows_yesterday(
    web_client: Clients, golden: Engine
) -> None:
    client = web_client("supervisor")
    page = client.get("/reports/?day=2026-02-31").get_data(as_text=True)
    assert "is not a date" in page and f"Daily pack · {DAY}" in page
    page = client.get("/reports/?day=2027-01-01").get_data(as_text=True)
    assert "2027-01-01 has not begun yet" in page and f"Daily pack · {DAY}" in page


def test_recorded_runs_are_listed_with_their_status(web_client: Clients, golden: Engine) -> None:
    with Session(golden) as session, session.begin():
        session.add(
            ReportRun(
                report="daily_pack",
                period_start=MIDNIGHT,
                period_end=MIDNIGHT + timedelta(days=1),
                status=ReportStatus.FAILED,
                started_at=at(86400 + 6 * 3600),
                error="SMTP refused <b>the</b> mail\ntraceback",
            )
        )
    page = web_client("supervisor").get("/reports/").get_data(as_text=True)
    runs = page.split("Recorded report runs", 1)[1]
    assert "Failed" in runs and "2026-11-22" in runs
    assert "SMTP refused &lt;b&gt;the&lt;/b&gt; mail" in runs and "traceback" not in runs


def test_a_pack_is_built_once_and_kept_on_disk(
    web_client: Clients,
    golden: Engine,
    monkeypatch: pytest.MonkeyPatch,
    web_settings: Settings,
    web_context: dict[str, Any],
    web_users: dict[str, WebUser],
) -> None:
    builds: list[date] = []
    real = reports_data.build_pack

    def counted(*args: Any) -> Any:
        builds.append(args[2])
        return real(*args)

    monkeypatch.setattr(reports_pages, "build_pack", counted)
    client = web_client("supervisor")
    client.get(f"/reports/?day={DAY}")
    client.get(f"/reports/?day={DAY}")
    assert builds == [DAY]
    assert (Path(web_context["extras"]["reports.cache_dir"]) / f"pack-{DAY}.json").is_file()
    # A restarted dashboard (a new application, nothing in memory) reads the final pack back
    # instead of building it again.
    extras = {k: v for k, v in web_context["extras"].items() if k != "reports"}
    restarted = create_app(web_settings, golden, **{**web_context, "extras": extras})
    again = restarted.test_client()
    log_in(again, web_users["supervisor"])
    page = again.get(f"/reports/?day={DAY}").get_data(as_text=True)
    assert figure(page, "offered") == "12" and builds == [DAY]
    # Rebuilding drops both copies.
    post(client, f"/reports/pack/{DAY}/rebuild")
    client.get(f"/reports/?day={DAY}")
    assert builds == [DAY, DAY]


@pytest.fixture
def blocked_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    release = threading.Event()
    finished = threading.Event()
    real = reports_data.build_pack

    def slow(*args: Any) -> Any:
        try:
            release.wait(30)
            return real(*args)
        finally:
            finished.set()

    monkeypatch.setattr(reports_pages, "build_pack", slow)
    yield release
    release.set()
    finished.wait(30)


def test_a_pack_still_being_built_says_so_and_refreshes(
    web_client: Clients,
    golden: Engine,
    blocked_build: threading.Event,
    web_context: dict[str, Any],
) -> None:
    web_context["extras"]["reports.wait_s"] = 0.05
    web_context["extras"]["reports.download_wait_s"] = 0.05
    client = web_client("supervisor")
    page = client.get(f"/reports/?day={DAY}").get_data(as_text=True)
    assert "This report is being prepared" in page and "data-reports-refresh" in page
    assert client.get(f"/reports/pack/{DAY}/download/xlsx").status_code == 503
    blocked_build.set()
    web_context["extras"]["reports"].packs.get(
        ("pack", DAY), lambda: None, keep_for=lambda _v: None, wait_s=30
    )
    page = client.get(f"/reports/?day={DAY}").get_data(as_text=True)
    assert figure(page, "offered") == "12"


def test_a_failed_build_is_a_message_not_a_crash(
    web_client: Clients, golden: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reports_pages, "build_pack", broken)
    response = web_client("supervisor").get(f"/reports/?day={DAY}")
    assert response.status_code == 200
    assert "could not be built: the database went away" in response.get_data(as_text=True)


# --- downloads -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mimetype", "magic"),
    [
        ("pdf", "application/pdf", b"%PDF"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("csv", "application/zip", b"PK"),
    ],
)
def test_the_pack_downloads_and_each_download_is_audited(
    web_client: Clients, golden: Engine, fmt: str, mimetype: str, magic: bytes
) -> None:
    response = web_client("supervisor").get(f"/reports/pack/{DAY}/download/{fmt}")
    assert response.status_code == 200
    assert response.mimetype == mimetype and response.data.startswith(magic)
    name = f"pack-{DAY}-en-csv.zip" if fmt == "csv" else f"pack-{DAY}-en.{fmt}"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert audit_actions(golden) == [("report_export", f"pack:{DAY}")]


def test_the_csv_zip_holds_the_golden_figures(web_client: Clients, golden: Engine) -> None:
    data = web_client("supervisor").get(f"/reports/pack/{DAY}/download/csv").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        headline = archive.read("headline.csv").decode("utf-8-sig")
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(headline))}
    assert rows["offered"]["value"] == "12" and rows["answered"]["value"] == "7"


def test_the_file_the_daily_job_wrote_is_the_one_downloaded(
    web_client: Clients, golden: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "reports" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / f"pack-{DAY}-en.pdf").write_bytes(b"%PDF-1.7 the mailed pack")
    with Session(golden) as session, session.begin():
        session.add(
            ReportRun(
                report="daily_pack",
                period_start=MIDNIGHT,
                period_end=MIDNIGHT + timedelta(days=1),
                status=ReportStatus.SUCCEEDED,
                output_path=str(folder),
            )
        )
    response = web_client("supervisor").get(f"/reports/pack/{DAY}/download/pdf")
    assert response.data == b"%PDF-1.7 the mailed pack"
    assert audit_actions(golden) == [("report_export", f"pack:{DAY}")]


def test_an_unknown_download_format_is_not_found(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    assert client.get(f"/reports/pack/{DAY}/download/exe").status_code == 404
    assert client.get("/reports/pack/..%2F..%2Fetc/download/pdf").status_code == 404
    assert audit_actions(golden) == []


# --- any range -------------------------------------------------------------------------------


def test_the_range_table_breaks_the_golden_day_down(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    page = client.get(f"/reports/range?from={DAY}&to={DAY}&by=queue").get_data(as_text=True)
    rows = table_rows(page)
    assert rows["support"][:3] == ["12", "6", "1"]  # visits
    assert rows["sales"][:3] == ["1", "1", "0"]
    assert rows["All calls"][:4] == ["12", "7", "1", "33.3 %"]  # calls
    tiers = table_rows(
        client.get(f"/reports/range?from={DAY}&to={DAY}&by=tier").get_data(as_text=True)
    )
    assert tiers["VIP"][:2] == ["1", "1"] and tiers["Unknown caller"][0] == "11"


def table_rows(page: str) -> dict[str, list[str]]:
    """First cell -> the other cells' text, of the page's report table (total row included)."""
    body = page.split('class="report-table"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-11-30&to=2026-11-01", "The end of the range (2026-11-01) is before its start"),
        ("from=last+tuesday", "“last tuesday” is not a date"),
        (
            "from=2024-01-01&to=2026-01-01",
            "The range is 732 days long: a report covers at most 366",
        ),
    ],
)
def test_bad_dates_give_a_clear_message(
    web_client: Clients, golden: Engine, query: str, message: str
) -> None:
    response = web_client("supervisor").get(f"/reports/range?{query}")
    assert response.status_code == 200
    assert message in unescape(response.get_data(as_text=True))
    csv_response = web_client("supervisor").get(f"/reports/range.csv?{query}")
    assert csv_response.status_code == 400
    assert audit_actions(golden) == []


def test_the_range_csv_is_audited_and_never_a_formula(web_client: Clients, golden: Engine) -> None:
    add_calls(golden, DAY, {"queue": FORMULA_QUEUE})
    response = web_client("supervisor").get(f"/reports/range.csv?from={DAY}&to={DAY}&by=queue")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="kpis-queue-{DAY}-{DAY}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["queue", "offered", "answered", "abandoned"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["'" + FORMULA_QUEUE][1] == "1"
    assert by_name["support"][1:4] == ["12", "6", "1"]
    assert by_name["total"][1:3] == ["13", "7"]
    assert audit_actions(golden) == [("report_export", "kpis:queue")]


# --- the calls behind a figure ---------------------------------------------------------------


def test_each_headline_figure_opens_the_calls_behind_it(
    web_client: Clients, golden: Engine
) -> None:
    client = web_client("supervisor")
    page = client.get(f"/reports/?day={DAY}").get_data(as_text=True)
    for key, expected in (("offered", 12), ("answered", 7), ("service_level", 8)):
        calls = client.get(link(page, key)).get_data(as_text=True)
        assert listed(calls) == (expected, expected), key
    missed = client.get(link(page, "service_level")).get_data(as_text=True)
    assert "Calls that missed the service level" in missed
    abandoned = client.get(link(page, "abandon_rate")).get_data(as_text=True)
    assert listed(abandoned) == (1, 1) and "5550003" in abandoned  # c3; c4 was a short abandon


def test_a_queue_row_lists_its_visits(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    page = client.get(f"/reports/range?from={DAY}&to={DAY}&by=queue").get_data(as_text=True)
    hrefs = [unescape(h) for h in re.findall(r'href="(/reports/calls\?[^"]+)"', page)]
    support = [
        h
        for h in hrefs
        if {"by=queue", "label=support", "measure=offered"} <= set(h.split("?", 1)[1].split("&"))
    ]
    assert len(support) == 1
    calls = client.get(support[0]).get_data(as_text=True)
    assert listed(calls) == (12, 12)
    assert "Visits to the queue" in calls and "Timed out" in calls  # c5's visit to support
    sales = client.get(
        f"/reports/calls?from={DAY}&to={DAY}&by=queue&label=sales&measure=answered"
    ).get_data(as_text=True)
    assert listed(sales) == (1, 1) and "Name of Agent D" in sales


def test_the_list_is_paginated_and_counts_every_call(web_client: Clients, golden: Engine) -> None:
    add_calls(golden, OTHER_DAY, *({} for _ in range(120)))
    client = web_client("supervisor")
    url = f"/reports/calls?from={OTHER_DAY}&to={OTHER_DAY}&by=all&measure=abandoned"
    first = client.get(url).get_data(as_text=True)
    assert listed(first) == (120, 50) and "Page 1 of 3" in first
    last = client.get(url + "&page=3").get_data(as_text=True)
    assert listed(last)[1] == 20 and "Page 3 of 3" in last
    assert listed(client.get(url + "&page=99").get_data(as_text=True))[1] == 20


def test_a_script_in_a_caller_id_is_shown_as_text(web_client: Clients, golden: Engine) -> None:
    add_calls(golden, OTHER_DAY, {"caller_number": HOSTILE_CALLER, "callid": "<b>id</b>"})
    page = (
        web_client("supervisor")
        .get(f"/reports/calls?from={OTHER_DAY}&to={OTHER_DAY}&by=all&measure=offered")
        .get_data(as_text=True)
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE_CALLER not in page and "<b>id</b>" not in page


def test_sql_looking_input_is_only_text(web_client: Clients, golden: Engine) -> None:
    with Session(golden) as session:
        stored = session.scalar(select(func.count()).select_from(QueueCall))
    client = web_client("supervisor")
    base = f"/reports/calls?from={DAY}&to={DAY}"
    page = client.get(f"{base}&by=all&measure=offered&caller={SQL_TEXT}").get_data(as_text=True)
    assert listed(page) == (12, 0) and "0 match the filter" in page
    assert 'value="&#39; OR 1=1 --"' in page
    page = client.get(f"{base}&by=queue&label={SQL_TEXT}&measure=offered").get_data(as_text=True)
    assert listed(page) == (0, 0)
    page = client.get(f"{base}&by=all&measure=offered&caller=55500").get_data(as_text=True)
    assert listed(page)[1] == 12  # the filter works on caller numbers
    with Session(golden) as session:
        assert session.scalar(select(func.count()).select_from(QueueCall)) == stored


def test_a_list_that_does_not_exist_says_so(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    for query in ("measure=everything", "by=campaign&label=x", "by=queue", "from=2026-13-01"):
        response = client.get(f"/reports/calls?{query}")
        assert response.status_code == 200, query
        text = unescape(response.get_data(as_text=True))
        assert "This list does not exist" in text or "is not a date" in text, query


def test_the_calls_page_reads_in_chinese(web_client: Clients, golden: Engine) -> None:
    client = web_client("supervisor")
    post(client, "/language", {"language": "zh", "next": "/reports/"})
    page = client.get(
        f"/reports/calls?from={DAY}&to={DAY}&by=tier&label=vip&measure=answered"
    ).get_data(as_text=True)
    assert "接通呼叫" in page and "VIP 客户" in page and "主叫号码" in page
    assert listed(page) == (1, 1)


def test_a_long_list_is_cut_on_the_page_and_whole_in_the_downloads(
    web_client: Clients, golden: Engine
) -> None:
    with Session(golden) as session, session.begin():
        for n in range(ROWS_SHOWN + 5):
            session.add(CallbackRequest(phone_e164=f"+861380000{n:04d}", requested_at=at(600 + n)))
    client = web_client("supervisor")
    page = client.get(f"/reports/?day={DAY}").get_data(as_text=True)
    assert "5 more rows are in the downloads" in page
    data = client.get(f"/reports/pack/{DAY}/download/csv").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        due = archive.read("callbacks_due.csv").decode("utf-8-sig").splitlines()
    assert len(due) == 1 + ROWS_SHOWN + 5


def test_todays_pack_is_not_kept_on_disk(
    web_client: Clients, golden: Engine, tmp_path: Path
) -> None:
    today = date(2026, 11, 23)  # the clock: 10:00 UTC, the day is still going on
    page = web_client("supervisor").get(f"/reports/?day={today}").get_data(as_text=True)
    assert f"Daily pack · {today}" in page and figure(page, "offered") == "0"
    assert not (tmp_path / "pack-cache" / f"pack-{today}.json").exists()
