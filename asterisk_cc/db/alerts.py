"""Early-warning alerts in the database (``alerts``) and the live queue figures the rules
read from ``queue_calls``.

An alert row lives from ``raised_at`` to ``cleared_at``; while raised its ``severity``,
``value`` and ``message`` follow the latest check. ``notified_at``/``notifications`` record the
mail: an alert whose current state (raised, or cleared) has not been mailed yet is *unsent*
and goes into the next check's mail. The webhook keeps its own place in the stream of alert
events (each raise and each clear, in time order) in the cursor ``alerts:webhook``
(``ingest_cursors``, position = microseconds since 1970 of the last event time fully
delivered), so a receiver that was down gets what it missed, in order, once it is back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from asterisk_cc.core.reports.alerts import (
    ClearAlert,
    NewAlert,
    RaisedAlert,
    Severity,
    StillRaised,
)
from asterisk_cc.db.models import Alert, IngestCursor, QueueCall

__all__ = [
    "WEBHOOK_CURSOR",
    "AlertEvent",
    "AlertRecord",
    "active_alerts",
    "alert_events_after",
    "clear_alert",
    "event_order",
    "mark_notified",
    "offered_by_queue",
    "queues_seen_since",
    "raise_alert",
    "raised_alerts",
    "recent_alerts",
    "set_webhook_cursor",
    "unsent_alerts",
    "update_alert",
    "waiting_by_queue",
    "webhook_cursor",
]

WEBHOOK_CURSOR = "alerts:webhook"
IN_QUEUE = "in_queue"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert as stored."""

    id: int
    rule: str
    scope: str
    severity: str
    raised_at: datetime
    cleared_at: datetime | None
    value: float
    threshold: float
    message: str
    notified_at: datetime | None
    notifications: int

    @classmethod
    def of(cls, row: Alert) -> AlertRecord:
        return cls(
            id=row.id,
            rule=row.rule,
            scope=row.scope,
            severity=row.severity,
            raised_at=row.raised_at,
            cleared_at=row.cleared_at,
            value=row.value,
            threshold=row.threshold,
            message=row.message,
            notified_at=row.notified_at,
            notifications=row.notifications or 0,
        )

    def as_raised(self) -> RaisedAlert:
        """The alert as the rules see it (:func:`asterisk_cc.core.reports.alerts.evaluate`)."""
        return RaisedAlert(
            rule=self.rule,
            scope=self.scope,
            severity=Severity(self.severity),
            raised_at=self.raised_at,
            value=self.value,
            threshold=self.threshold,
            notified_at=self.notified_at,
        )

    @property
    def unsent(self) -> bool:
        """Its current state (raised, or cleared) has not been mailed."""
        if self.notified_at is None:
            return True
        return self.cleared_at is not None and self.notified_at < self.cleared_at


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A raise or a clear, at ``at``: what the webhook sends."""

    event: Literal["raised", "cleared"]
    at: datetime
    alert: AlertRecord


def _check_aware(what: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value.isoformat()}")


def raised_alerts(session: Session) -> list[AlertRecord]:
    """The alerts raised and not cleared, oldest first."""
    rows = session.scalars(
        select(Alert).where(Alert.cleared_at.is_(None)).order_by(Alert.raised_at, Alert.id)
    )
    return [AlertRecord.of(row) for row in rows]


def active_alerts(session: Session) -> list[AlertRecord]:
    """The alerts raised now, for the dashboard: critical first, then the oldest first."""
    alerts = raised_alerts(session)
    return sorted(alerts, key=lambda a: (a.severity != Severity.CRITICAL.value, a.raised_at, a.id))


def recent_alerts(session: Session, since: datetime, *, limit: int = 200) -> list[AlertRecord]:
    """The alerts raised or cleared since ``since`` (the dashboard's history), newest first."""
    _check_aware("since", since)
    rows = session.scalars(
        select(Alert)
        .where((Alert.raised_at >= since) | (Alert.cleared_at >= since))
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    return [AlertRecord.of(row) for row in rows]


def _active_row(session: Session, rule: str, scope: str) -> Alert | None:
    return session.scalars(
        select(Alert)
        .where(Alert.rule == rule, Alert.scope == scope, Alert.cleared_at.is_(None))
        .order_by(Alert.id)
        .limit(1)
    ).first()


def raise_alert(
    session: Session, alert: NewAlert, now: datetime, *, notified: bool = False
) -> AlertRecord:
    """Store a raised alert (``notified``: its mail went out at ``now``). One alert per
    (rule, scope) while it lasts: when one is already raised, that one is updated instead."""
    _check_aware("now", now)
    row = _active_row(session, alert.rule.value, alert.scope)
    if row is None:
        row = Alert(
            rule=alert.rule.value,
            scope=alert.scope[:128],
            severity=alert.severity.value,
            raised_at=now,
            cleared_at=None,
            value=alert.value,
            threshold=alert.threshold,
            message=alert.message,
            notified_at=now if notified else None,
            notifications=1 if notified else 0,
        )
        session.add(row)
    else:
        row.severity = alert.severity.value
        row.value = alert.value
        row.threshold = alert.threshold
        row.message = alert.message
    session.flush()
    return AlertRecord.of(row)


def update_alert(
    session: Session, change: StillRaised, now: datetime, *, notified: bool = False
) -> AlertRecord | None:
    """A raised alert's new severity, value and message (``notified``: sent again at
    ``now``); None when no such alert is raised."""
    _check_aware("now", now)
    row = _active_row(session, change.rule.value, change.scope)
    if row is None:
        return None
    row.severity = change.severity.value
    row.value = change.value
    row.threshold = change.threshold
    row.message = change.message
    if notified:
        row.notified_at = now
        row.notifications = (row.notifications or 0) + 1
    session.flush()
    return AlertRecord.of(row)


def clear_alert(
    session: Session, clear: ClearAlert, now: datetime, *, notified: bool = False
) -> AlertRecord | None:
    """Clear the raised alert of ``clear.rule`` and ``clear.scope`` at ``now`` (the value
    stays the last one measured when ``clear.value`` is None); None when none is raised."""
    _check_aware("now", now)
    row = _active_row(session, clear.rule, clear.scope)
    if row is None:
        return None
    row.cleared_at = now
    if clear.value is not None:
        row.value = clear.value
    row.message = clear.message
    if notified:
        row.notified_at = now
        row.notifications = (row.notifications or 0) + 1
    session.flush()
    return AlertRecord.of(row)


def mark_notified(session: Session, alert_ids: Iterable[int], now: datetime) -> None:
    """The alerts ``alert_ids`` were mailed at ``now``."""
    _check_aware("now", now)
    ids = sorted(set(alert_ids))
    if ids:
        session.execute(
            update(Alert)
            .where(Alert.id.in_(ids))
            .values(notified_at=now, notifications=func.coalesce(Alert.notifications, 0) + 1)
        )


def unsent_alerts(session: Session, *, cleared_since: datetime) -> list[AlertRecord]:
    """Alerts whose current state was never mailed: raised ones never sent, and ones cleared
    since ``cleared_since`` whose clearing was not sent (older clearings are let go)."""
    _check_aware("cleared_since", cleared_since)
    rows = session.scalars(
        select(Alert)
        .where(
            (Alert.cleared_at.is_(None) & Alert.notified_at.is_(None))
            | (
                (Alert.cleared_at >= cleared_since)
                & (Alert.notified_at.is_(None) | (Alert.notified_at < Alert.cleared_at))
            )
        )
        .order_by(Alert.raised_at, Alert.id)
    )
    return [AlertRecord.of(row) for row in rows]


def alert_events_after(session: Session, after: datetime) -> list[AlertEvent]:
    """Every raise and clear later than ``after``, in time order (raises before clears at the
    same time, then by rule and scope)."""
    _check_aware("after", after)
    rows = session.scalars(
        select(Alert).where((Alert.raised_at > after) | (Alert.cleared_at > after))
    )
    events: list[AlertEvent] = []
    for row in rows:
        record = AlertRecord.of(row)
        if record.raised_at > after:
            events.append(AlertEvent("raised", record.raised_at, record))
        if record.cleared_at is not None and record.cleared_at > after:
            events.append(AlertEvent("cleared", record.cleared_at, record))
    return sorted(events, key=event_order)


def event_order(event: AlertEvent) -> tuple[datetime, int, str, str, int]:
    """The order the webhook sends events in."""
    return (
        event.at,
        0 if event.event == "raised" else 1,
        event.alert.rule,
        event.alert.scope,
        event.alert.id,
    )


def webhook_cursor(session: Session) -> datetime | None:
    """The time up to which every alert event reached the webhook; None before the first."""
    cursor = session.get(IngestCursor, WEBHOOK_CURSOR)
    if cursor is None or cursor.source_id is None:
        return None
    return _EPOCH + timedelta(microseconds=cursor.position or 0)


def set_webhook_cursor(session: Session, delivered_until: datetime, now: datetime) -> None:
    """Every event up to ``delivered_until`` reached the webhook."""
    _check_aware("delivered_until", delivered_until)
    position = (delivered_until - _EPOCH) // timedelta(microseconds=1)
    cursor = session.get(IngestCursor, WEBHOOK_CURSOR, with_for_update=True)
    if cursor is None:
        cursor = IngestCursor(name=WEBHOOK_CURSOR, position=position, line=0)
        session.add(cursor)
    cursor.source_id = "webhook"
    cursor.position = position
    cursor.updated_at = now
    session.flush()


def waiting_by_queue(
    session: Session, now: datetime, *, stale_after: timedelta
) -> dict[str, tuple[int, datetime]]:
    """Per queue: the calls waiting now and when the longest-waiting one entered. A visit
    still ``in_queue`` that entered more than ``stale_after`` ago is stale (its end line was
    lost) and ignored."""
    _check_aware("now", now)
    rows = session.execute(
        select(QueueCall.queue, func.count(), func.min(QueueCall.entered_at))
        .where(
            QueueCall.outcome == IN_QUEUE,
            QueueCall.entered_at >= now - stale_after,
            QueueCall.entered_at <= now,
        )
        .group_by(QueueCall.queue)
    )
    return {queue: (int(count), _utc(oldest)) for queue, count, oldest in rows}


def _utc(value: datetime | str) -> datetime:
    """UTC, however the driver hands an aggregate of a time column back."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def offered_by_queue(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Per queue: the visits that entered in [start, end), however they ended."""
    _check_aware("start", start)
    rows = session.execute(
        select(QueueCall.queue, func.count())
        .where(QueueCall.entered_at >= start, QueueCall.entered_at < end)
        .group_by(QueueCall.queue)
    )
    return {queue: int(count) for queue, count in rows}


def queues_seen_since(session: Session, since: datetime) -> Sequence[str]:
    """The queues visits entered since ``since``."""
    return list(
        session.scalars(select(QueueCall.queue).where(QueueCall.entered_at >= since).distinct())
    )
