"""Alerts in the database on SQLite and PostgreSQL: raise (one per rule and queue), update,
clear, what is still unsent, the dashboard's list, the webhook's event stream and cursor, and
the live queue figures."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.alerts import ClearAlert, NewAlert, Rule, Severity, StillRaised
from asterisk_cc.db.alerts import (
    AlertRecord,
    active_alerts,
    alert_events_after,
    clear_alert,
    mark_notified,
    offered_by_queue,
    raise_alert,
    raised_alerts,
    recent_alerts,
    set_webhook_cursor,
    unsent_alerts,
    update_alert,
    waiting_by_queue,
    webhook_cursor,
)
from asterisk_cc.db.models import Alert, QueueCall

NOW = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def new(
    scope: str, rule: Rule = Rule.WAITING_CALLS, severity: Severity = Severity.WARNING
) -> NewAlert:
    return NewAlert(rule, scope, severity, 12.0, 10.0, f"{scope}: 12 calls waiting (alert at 10)")


def mine(records: list[AlertRecord], scopes: set[str]) -> list[AlertRecord]:
    return [r for r in records if r.scope in scopes]


def test_raise_update_clear_and_mail_state(db_session: Session) -> None:
    scope = unique("q")
    raised = raise_alert(db_session, new(scope), NOW)
    assert (raised.rule, raised.severity, raised.raised_at, raised.cleared_at) == (
        "waiting_calls",
        "warning",
        NOW,
        None,
    )
    assert (raised.notified_at, raised.notifications, raised.unsent) == (None, 0, True)
    # raising the same rule and queue again updates the one alert
    again = raise_alert(
        db_session, new(scope, severity=Severity.CRITICAL), NOW + timedelta(minutes=1)
    )
    assert again.id == raised.id and again.severity == "critical"
    assert db_session.scalar(select(func.count()).where(Alert.scope == scope)) == 1

    mark_notified(db_session, [raised.id], NOW)
    later = NOW + timedelta(minutes=40)
    change = StillRaised(
        Rule.WAITING_CALLS, scope, Severity.CRITICAL, 25.0, 10.0, "25 waiting", True, False
    )
    updated = update_alert(db_session, change, later, notified=True)
    assert updated is not None
    assert (updated.value, updated.message, updated.notifications, updated.notified_at) == (
        25.0,
        "25 waiting",
        2,
        later,
    )
    assert updated.unsent is False
    assert mine(unsent_alerts(db_session, cleared_since=NOW), {scope}) == []

    cleared_at = later + timedelta(minutes=5)
    cleared = clear_alert(
        db_session, ClearAlert("waiting_calls", scope, None, 10.0, "cleared: quiet"), cleared_at
    )
    assert cleared is not None and cleared.cleared_at == cleared_at
    assert cleared.value == 25.0  # no value measured: the last one stays
    assert cleared.unsent is True  # the clearing has not been mailed
    assert [a.id for a in mine(unsent_alerts(db_session, cleared_since=NOW), {scope})] == [
        raised.id
    ]
    # a clearing older than the retry window is let go
    assert (
        mine(unsent_alerts(db_session, cleared_since=cleared_at + timedelta(seconds=1)), {scope})
        == []
    )
    mark_notified(db_session, [raised.id], cleared_at)
    assert mine(unsent_alerts(db_session, cleared_since=NOW), {scope}) == []
    assert mine(raised_alerts(db_session), {scope}) == []
    # nothing raised to update or clear any more
    assert update_alert(db_session, change, cleared_at) is None
    assert (
        clear_alert(db_session, ClearAlert("waiting_calls", scope, 1.0, 10.0, "x"), cleared_at)
        is None
    )
    assert [a.id for a in mine(recent_alerts(db_session, NOW), {scope})] == [raised.id]


def test_active_alerts_put_critical_first_then_the_oldest(db_session: Session) -> None:
    a, b, c = unique("q"), unique("q"), unique("q")
    raise_alert(db_session, new(a), NOW)
    raise_alert(db_session, new(b, severity=Severity.CRITICAL), NOW + timedelta(minutes=2))
    raise_alert(db_session, new(c, rule=Rule.LONGEST_WAIT), NOW + timedelta(minutes=1))
    assert [x.scope for x in mine(active_alerts(db_session), {a, b, c})] == [b, a, c]


def test_the_webhook_event_stream_and_its_cursor(db_session: Session) -> None:
    a, b = unique("q"), unique("q")
    first = raise_alert(db_session, new(a), NOW)
    raise_alert(db_session, new(b), NOW + timedelta(minutes=1))
    clear_alert(
        db_session, ClearAlert("waiting_calls", a, 3.0, 10.0, "cleared"), NOW + timedelta(minutes=1)
    )
    events = [
        (e.event, e.alert.scope, e.at - NOW)
        for e in alert_events_after(db_session, NOW - timedelta(seconds=1))
        if e.alert.scope in (a, b)
    ]
    assert events == [
        ("raised", a, timedelta(0)),
        ("raised", b, timedelta(minutes=1)),
        ("cleared", a, timedelta(minutes=1)),
    ]
    after_first = [
        e.alert.id for e in alert_events_after(db_session, NOW) if e.alert.scope in (a, b)
    ]
    assert first.id in after_first and len(after_first) == 2  # only a's clearing and b's raise

    set_webhook_cursor(db_session, NOW + timedelta(microseconds=7), NOW)
    assert webhook_cursor(db_session) == NOW + timedelta(microseconds=7)
    set_webhook_cursor(db_session, NOW + timedelta(minutes=1), NOW)
    assert webhook_cursor(db_session) == NOW + timedelta(minutes=1)


def test_naive_times_are_refused(db_session: Session) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        raise_alert(db_session, new(unique("q")), NOW.replace(tzinfo=None))


def add_visit(session: Session, queue: str, entered_at: datetime, outcome: str) -> None:
    session.add(
        QueueCall(
            callid=unique("c"),
            queue=queue,
            entered_at=entered_at,
            ended_at=None if outcome == "in_queue" else entered_at + timedelta(seconds=30),
            outcome=outcome,
            wait_s=0.0,
        )
    )


def test_waiting_calls_ignore_stale_visits_and_offered_counts_every_visit(
    db_session: Session,
) -> None:
    queue = unique("q")
    add_visit(db_session, queue, NOW - timedelta(seconds=95), "in_queue")
    add_visit(db_session, queue, NOW - timedelta(seconds=20), "in_queue")
    add_visit(db_session, queue, NOW - timedelta(hours=5), "in_queue")  # stale: its end was lost
    add_visit(db_session, queue, NOW - timedelta(minutes=10), "answered")
    add_visit(db_session, queue, NOW - timedelta(minutes=40), "abandoned")
    db_session.flush()
    waiting = waiting_by_queue(db_session, NOW, stale_after=timedelta(hours=4))
    assert waiting[queue] == (2, NOW - timedelta(seconds=95))
    offered = offered_by_queue(db_session, NOW - timedelta(minutes=30), NOW)
    assert offered[queue] == 3  # two waiting and one answered; the abandon was earlier
