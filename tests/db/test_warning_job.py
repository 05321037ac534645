"""The early-warning check end to end on SQLite and PostgreSQL: live figures from
queue_calls, alerts raised, re-sent and cleared once each, one mail per check, one webhook
POST per event to a real loopback HTTP server, and retries after a failed mail or webhook."""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session

from asterisk_cc.config import AlertsSettings, ReportsSettings, Settings, SiteSettings, SmtpSettings
from asterisk_cc.db.alerts import raised_alerts
from asterisk_cc.db.models import ForecastInterval, Queue, QueueCall
from asterisk_cc.reports.warning import WarningReport, check_alerts
from asterisk_cc.reports.webhook import WebhookError, post_json

NOW = datetime(2031, 5, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TOKEN = "s3cret-token"


@dataclass
class Receiver:
    """A webhook receiver: keeps the JSON bodies it accepted; answers ``status``."""

    url: str = ""
    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    content_types: list[str] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = received.status
            if status == 200:  # recorded before answering: the client goes on at the answer
                received.bodies.append(json.loads(body))
                received.content_types.append(self.headers["Content-Type"])
            else:
                received.refused += 1
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hook?token={TOKEN}"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def make_settings(
    webhook_url: str = "",
    recipients: tuple[str, ...] = ("sup@example.com",),
    longest_wait_s: int = 3600,  # the callers of these tests wait; that rule is unit-tested
) -> Settings:
    return Settings(
        site=SiteSettings(name="Test Centre", timezone="Asia/Shanghai"),
        smtp=SmtpSettings(sender="cc@example.com"),
        reports=ReportsSettings(interval_min=30),
        alerts=AlertsSettings(
            recipients=list(recipients), webhook_url=webhook_url, longest_wait_s=longest_wait_s
        ),
    )


class Outbox:
    """``send_mail`` that keeps the messages (or fails while ``down``)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.down = False

    def __call__(self, message: EmailMessage) -> None:
        if self.down:
            raise OSError("connection refused by 127.0.0.1:25")
        self.messages.append(message)


def unique_queue() -> str:
    return f"q-{secrets.token_hex(4)}"


def visit(
    session: Session,
    queue: str,
    entered_ago: timedelta,
    outcome: str = "in_queue",
    wait_s: float = 0.0,
    *,
    now: datetime = NOW,
) -> None:
    entered = now - entered_ago
    session.add(
        QueueCall(
            callid=f"c-{secrets.token_hex(6)}",
            queue=queue,
            entered_at=entered,
            ended_at=None if outcome == "in_queue" else entered + timedelta(seconds=wait_s + 60),
            outcome=outcome,
            wait_s=wait_s,
            talk_s=60.0 if outcome == "answered" else None,
        )
    )


def waiting(session: Session, queue: str, count: int, *, now: datetime = NOW) -> None:
    for n in range(count):
        visit(session, queue, timedelta(seconds=30 + n), now=now)
    session.flush()


def answer_all_waiting(session: Session, queue: str) -> None:
    for row in session.query(QueueCall).filter_by(queue=queue, outcome="in_queue"):
        row.outcome, row.ended_at, row.talk_s = "answered", NOW, 30.0
    session.flush()


def check(session: Session, settings: Settings, outbox: Outbox, at: datetime) -> WarningReport:
    return check_alerts(session, settings, at, send_mail=outbox)


def scopes(report_part: tuple[Any, ...], queue: str) -> list[str]:
    return [a.rule for a in report_part if a.scope == queue]


def test_raise_renotify_and_clear_each_mailed_and_posted_once(
    db_session: Session, receiver: Receiver
) -> None:
    queue = unique_queue()
    settings = make_settings(receiver.url)
    outbox = Outbox()
    waiting(db_session, queue, 12)

    first = check(db_session, settings, outbox, NOW)
    assert scopes(first.raised, queue) == ["waiting_calls"]
    assert first.mailed and len(outbox.messages) == 1
    message = outbox.messages[0]
    assert message["Subject"].startswith("Test Centre alerts: 1 raised")
    assert message["To"] == "sup@example.com"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{queue}: 12 calls waiting (alert at 10)" in text
    assert "2031-05-12 10:00" in text  # local time of the site
    assert [(b["event"], b["rule"], b["scope"], b["value"]) for b in receiver.bodies] == [
        ("raised", "waiting_calls", queue, 12.0)
    ]
    body = receiver.bodies[0]
    assert body["raised_at"] == NOW.isoformat() and body["cleared_at"] is None
    assert body["severity"] == "warning" and body["threshold"] == 10.0
    assert receiver.content_types == ["application/json"]
    (stored,) = [a for a in raised_alerts(db_session) if a.scope == queue]
    assert (stored.notified_at, stored.notifications) == (NOW, 1)

    # a minute later, same state: nothing new is sent
    again = check(db_session, settings, outbox, NOW + timedelta(minutes=1))
    assert again.raised == () and again.renotified == () and not again.mailed
    assert len(outbox.messages) == 1 and len(receiver.bodies) == 1

    # 30 minutes after the mail, still raised: sent again by mail (the webhook has no event)
    later = NOW + timedelta(minutes=30)
    still = check(db_session, settings, outbox, later)
    assert scopes(still.renotified, queue) == ["waiting_calls"]
    assert len(outbox.messages) == 2 and "1 still raised" in outbox.messages[1]["Subject"]
    assert len(receiver.bodies) == 1

    answer_all_waiting(db_session, queue)
    cleared = check(db_session, settings, outbox, later + timedelta(minutes=1))
    assert scopes(cleared.cleared, queue) == ["waiting_calls"]
    assert "1 cleared" in outbox.messages[2]["Subject"]
    assert [b["event"] for b in receiver.bodies] == ["raised", "cleared"]
    assert receiver.bodies[1]["cleared_at"] == (later + timedelta(minutes=1)).isoformat()
    assert [a for a in raised_alerts(db_session) if a.scope == queue] == []
    quiet = check(db_session, settings, outbox, later + timedelta(minutes=2))
    assert not quiet.mailed and len(receiver.bodies) == 2


def test_a_failed_webhook_is_posted_again_at_the_next_check_in_order(
    db_session: Session, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    queue = unique_queue()
    settings = make_settings(receiver.url)
    outbox = Outbox()
    waiting(db_session, queue, 25)  # waiting_calls critical, longest wait fine
    receiver.status = 500
    with caplog.at_level(logging.WARNING, logger="asterisk_cc.reports.warning"):
        first = check(db_session, settings, outbox, NOW)
    assert first.webhook_error is not None and "500" in first.webhook_error
    assert first.mailed and receiver.refused == 1  # stopped at the first failure
    assert "not delivered" in caplog.text and TOKEN not in caplog.text

    receiver.status = 200
    answer_all_waiting(db_session, queue)
    second = check(db_session, settings, outbox, NOW + timedelta(minutes=1))
    assert second.webhook_error is None
    assert [(b["event"], b["severity"]) for b in receiver.bodies] == [
        ("raised", "critical"),
        ("cleared", "critical"),
    ]
    check(db_session, settings, outbox, NOW + timedelta(minutes=2))
    assert len(receiver.bodies) == 2  # delivered once each


def test_an_unreachable_webhook_never_fails_the_check(db_session: Session) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    queue = unique_queue()
    waiting(db_session, queue, 11)
    outbox = Outbox()
    report = check(
        db_session, make_settings(f"http://127.0.0.1:{port}/x?token={TOKEN}"), outbox, NOW
    )
    assert report.webhook_error is not None and "could not be reached" in report.webhook_error
    assert TOKEN not in report.webhook_error
    assert scopes(report.raised, queue) == ["waiting_calls"] and report.mailed


def test_a_failed_mail_is_sent_with_the_next_check(db_session: Session) -> None:
    queue = unique_queue()
    settings = make_settings()
    outbox = Outbox()
    outbox.down = True
    waiting(db_session, queue, 11)
    first = check(db_session, settings, outbox, NOW)
    assert first.mail_error is not None and "connection refused" in first.mail_error
    (stored,) = [a for a in raised_alerts(db_session) if a.scope == queue]
    assert stored.notified_at is None

    outbox.down = False
    second = check(db_session, settings, outbox, NOW + timedelta(minutes=1))
    assert second.raised == () and second.mailed
    assert outbox.messages[0]["Subject"].startswith("Test Centre alerts: 1 raised")
    third = check(db_session, settings, outbox, NOW + timedelta(minutes=2))
    assert not third.mailed and len(outbox.messages) == 1


def test_service_level_of_the_last_15_minutes_from_the_calls(db_session: Session) -> None:
    queue = unique_queue()
    db_session.add(Queue(name=queue, service_level_threshold_s=20))
    for n in range(4):
        visit(db_session, queue, timedelta(minutes=2 + n), "answered", wait_s=5)
    for n in range(4):
        visit(db_session, queue, timedelta(minutes=3 + n), "answered", wait_s=45)
    for n in range(2):
        visit(db_session, queue, timedelta(minutes=4 + n), "abandoned", wait_s=50)
    visit(db_session, queue, timedelta(minutes=20), "answered", wait_s=200)  # before the window
    db_session.flush()
    report = check(db_session, make_settings(), Outbox(), NOW)
    (alert,) = [a for a in report.raised if a.scope == queue]
    assert (alert.rule, alert.value, alert.threshold) == ("service_level_15m", 0.4, 0.7)
    assert alert.severity == "critical"  # 60 % late: twice the 30 % allowed
    assert "10 calls" in alert.message


def test_volume_against_the_forecast_of_the_window(db_session: Session) -> None:
    queue = unique_queue()
    for start in (NOW - timedelta(minutes=30), NOW):
        db_session.add(
            ForecastInterval(
                queue=queue,
                interval_start=start,
                interval_s=1800,
                calls=10.0,
                aht_s=180.0,
                required_agents=3,
                created_at=NOW,
            )
        )
    for n in range(16):
        visit(db_session, queue, timedelta(minutes=1 + n), "answered", wait_s=3)
    db_session.flush()
    report = check(db_session, make_settings(), Outbox(), NOW)
    (alert,) = [a for a in report.raised if a.scope == queue]
    assert (alert.rule, alert.value, alert.severity) == ("volume_over_forecast", 1.6, "critical")
    # a queue without forecast is not judged on volume
    other = unique_queue()
    for n in range(40):
        visit(db_session, other, timedelta(minutes=1 + n % 20), "answered", wait_s=3)
    db_session.flush()
    report = check(db_session, make_settings(), Outbox(), NOW + timedelta(seconds=30))
    assert [a for a in report.raised if a.scope == other] == []


def test_stale_waiting_visits_are_ignored(db_session: Session) -> None:
    queue = unique_queue()
    for n in range(15):
        visit(db_session, queue, timedelta(hours=4, minutes=1 + n))
    db_session.flush()
    report = check(db_session, make_settings(), Outbox(), NOW)
    assert [a for a in report.raised if a.scope == queue] == []


def test_the_mail_escapes_what_callers_and_admins_typed(db_session: Session) -> None:
    queue = f"<script>alert(1)</script>-{secrets.token_hex(3)}"
    waiting(db_session, queue, 10)
    outbox = Outbox()
    check(db_session, make_settings(), outbox, NOW)
    html_part = outbox.messages[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part


def test_without_recipients_or_webhook_nothing_is_sent_and_alerts_still_work(
    db_session: Session,
) -> None:
    queue = unique_queue()
    waiting(db_session, queue, 10)
    outbox = Outbox()
    report = check(db_session, make_settings(recipients=()), outbox, NOW)
    assert scopes(report.raised, queue) == ["waiting_calls"]
    assert not report.mailed and outbox.messages == [] and report.webhook_posted == 0


def test_post_json_reports_a_receiver_that_does_not_answer() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook?token={TOKEN}"
        with pytest.raises(WebhookError, match="did not answer") as refused:
            post_json(url, {"event": "raised"}, timeout_s=0.2)
    assert TOKEN not in str(refused.value)


def test_post_json_delivers_to_a_real_server(receiver: Receiver) -> None:
    post_json(receiver.url, {"event": "raised", "scope": "中文队列"})
    assert receiver.bodies == [{"event": "raised", "scope": "中文队列"}]
    receiver.status = 404
    with pytest.raises(WebhookError, match="404"):
        post_json(receiver.url, {"event": "cleared"})


def test_longest_wait_is_measured_from_the_oldest_waiting_caller(db_session: Session) -> None:
    queue = unique_queue()
    visit(db_session, queue, timedelta(seconds=185))
    visit(db_session, queue, timedelta(seconds=20))
    db_session.flush()
    report = check(db_session, make_settings(longest_wait_s=120), Outbox(), NOW)
    (alert,) = [a for a in report.raised if a.scope == queue]
    assert (alert.rule, alert.value, alert.severity) == ("longest_wait", 185.0, "warning")
    assert "3:05" in alert.message


def test_an_escalation_is_mailed_at_once_and_once(db_session: Session, receiver: Receiver) -> None:
    queue = unique_queue()
    settings = make_settings(receiver.url)
    outbox = Outbox()
    waiting(db_session, queue, 12)
    check(db_session, settings, outbox, NOW)
    waiting(db_session, queue, 13, now=NOW + timedelta(minutes=1))  # 25 waiting now
    escalated = check(db_session, settings, outbox, NOW + timedelta(minutes=1))
    assert scopes(escalated.renotified, queue) == ["waiting_calls"]
    subject = outbox.messages[1]["Subject"]
    assert subject.startswith("[CRITICAL] ") and "1 escalated" in subject
    assert [b["event"] for b in receiver.bodies] == ["raised"]  # escalations go by mail only
    steady = check(db_session, settings, outbox, NOW + timedelta(minutes=2))
    assert steady.renotified == () and len(outbox.messages) == 2
