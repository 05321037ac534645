"""The early-warning check (呼叫量预警), run every ``[alerts] every_s`` by the scheduler.

One check:

1. reads each queue's live figures from ``queue_calls`` (calls waiting now and the longest
   wait, the service level of the calls of the last 15 minutes, the calls of the last
   interval-long window) and the forecast of that window (``forecast_intervals``);
2. lets :func:`asterisk_cc.core.reports.alerts.evaluate` decide what to raise, clear and
   send again;
3. sends **one mail** listing every alert raised, escalated, still raised (re-notified) and
   cleared, plus those a failed mail left unsent, to ``[alerts] recipients``, and **one
   webhook POST per raise or clear** to ``[alerts] webhook_url``;
4. stores the alerts, what was mailed and how far the webhook got.

The network comes before the writes: on PostgreSQL no alert row is locked while a mail
server or a webhook is slow (a SQLite transaction begun ``IMMEDIATE`` holds the write lock
throughout; posting stops at the first webhook failure, so a dead receiver costs one 5 s
timeout per check). A failed mail or webhook is logged, reported, and tried again at the next
check; it never fails the job. The caller commits; when the commit fails after the
notifications went out, the next check sends them again (at least once, never lost).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from functools import partial
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.config import AlertsSettings, Settings
from asterisk_cc.core.reports.alerts import (
    AlertThresholds,
    ClearAlert,
    NewAlert,
    QueueSnapshot,
    Rule,
    StillRaised,
    evaluate,
)
from asterisk_cc.core.reports.calls import QueueVisit
from asterisk_cc.core.reports.kpi import offered, service_level
from asterisk_cc.db.alerts import (
    AlertEvent,
    AlertRecord,
    alert_events_after,
    clear_alert,
    event_order,
    mark_notified,
    offered_by_queue,
    queues_seen_since,
    raise_alert,
    raised_alerts,
    set_webhook_cursor,
    unsent_alerts,
    update_alert,
    waiting_by_queue,
    webhook_cursor,
)
from asterisk_cc.db.forecasts import DEFAULT_SL_THRESHOLD_S, forecast_between
from asterisk_cc.db.models import Queue
from asterisk_cc.db.queue_calls import visits_between
from asterisk_cc.reports.webhook import WEBHOOK_TIMEOUT_S, alert_payload, describe_url, post_json

__all__ = [
    "SL_WINDOW",
    "STALE_WAIT",
    "WarningReport",
    "alert_mail",
    "build_snapshots",
    "check_alerts",
    "service_level_15m",
    "thresholds_from",
]

log = logging.getLogger(__name__)

SL_WINDOW = timedelta(minutes=15)
"""The service-level rule looks at the calls that entered in the last 15 minutes."""
STALE_WAIT = timedelta(hours=4)
"""A visit still waiting after 4 hours lost its end line: it is not a caller waiting."""
UNSENT_CLEARS_KEPT = timedelta(hours=24)
"""A clearing that could not be mailed is tried again for a day, then let go."""
MAX_WEBHOOK_EVENTS = 200
"""Events posted per check at most (whole time groups): a receiver back after a long outage
catches up over a few checks instead of holding one check for minutes."""

SendMail = Callable[[EmailMessage], object]
PostWebhook = Callable[[Mapping[str, Any]], object]


@dataclass(frozen=True)
class WarningReport:
    """What one check did."""

    queues: int
    raised: tuple[AlertRecord, ...] = ()
    cleared: tuple[AlertRecord, ...] = ()
    renotified: tuple[AlertRecord, ...] = ()
    still_raised: int = 0
    mailed: bool = False
    mail_error: str | None = None
    webhook_posted: int = 0
    webhook_error: str | None = None

    def __str__(self) -> str:
        """One line for the job's log."""
        mail = (
            "sent" if self.mailed else (f"failed: {self.mail_error}" if self.mail_error else "none")
        )
        webhook = f"{self.webhook_posted} posted" + (
            f", failed: {self.webhook_error}" if self.webhook_error else ""
        )
        return (
            f"{self.queues} queues, {len(self.raised)} raised, {len(self.cleared)} cleared, "
            f"{self.still_raised} still raised ({len(self.renotified)} sent again); mail {mail}; "
            f"webhook {webhook}"
        )


def thresholds_from(alerts: AlertsSettings) -> AlertThresholds:
    """The rules' thresholds from ``[alerts]``."""
    return AlertThresholds(
        waiting_calls=alerts.waiting_calls,
        longest_wait_s=float(alerts.longest_wait_s),
        service_level_15m=alerts.service_level_15m,
        volume_over_forecast=alerts.volume_over_forecast,
        min_calls=alerts.min_calls,
        renotify_after_min=alerts.renotify_after_min,
    )


def service_level_15m(visits: Sequence[QueueVisit], threshold_s: float) -> tuple[float | None, int]:
    """The service level of ``visits`` and how many calls it is over, as the KPI dictionary
    defines it (docs/kpi.md §1.6, offered variant: answered within the threshold ÷ offered;
    calls still waiting are not offered yet, the waiting-call rules watch them)."""
    return service_level(visits, threshold_s), offered(visits)


def _window_forecast(
    rows_by_queue: Mapping[str, Sequence[tuple[datetime, int, float]]],
    queue: str,
    start: datetime,
    end: datetime,
) -> float | None:
    """Forecast calls of [start, end): each overlapping interval's calls pro rata; None
    unless forecast intervals cover the whole window."""
    covered_s = 0.0
    calls = 0.0
    for interval_start, interval_s, interval_calls in rows_by_queue.get(queue, ()):
        interval_end = interval_start + timedelta(seconds=interval_s)
        overlap_s = (min(end, interval_end) - max(start, interval_start)).total_seconds()
        if overlap_s > 0:
            covered_s += overlap_s
            calls += interval_calls * overlap_s / interval_s
    if covered_s < (end - start).total_seconds() - 1:
        return None
    return calls


def build_snapshots(
    session: Session, settings: Settings, now: datetime, *, extra_queues: Sequence[str] = ()
) -> list[QueueSnapshot]:
    """The live figures of every active queue, every queue calls came to in the last
    4 hours, and ``extra_queues`` (those with alerts raised)."""
    thresholds_s = {
        name: float(threshold)
        for name, threshold in session.execute(select(Queue.name, Queue.service_level_threshold_s))
    }
    active = set(session.scalars(select(Queue.name).where(Queue.active.is_(True))))
    names = active | set(queues_seen_since(session, now - STALE_WAIT)) | set(extra_queues)
    waiting = waiting_by_queue(session, now, stale_after=STALE_WAIT)
    recent: dict[str, list[QueueVisit]] = {}
    for visit in visits_between(session, now - SL_WINDOW, now):
        recent.setdefault(visit.queue, []).append(visit)
    window = timedelta(minutes=settings.reports.interval_min)
    window_start = now - window
    offered_now = offered_by_queue(session, window_start, now)
    forecast: dict[str, list[tuple[datetime, int, float]]] = {}
    for row in forecast_between(session, window_start, now):
        forecast.setdefault(row.queue, []).append((row.interval_start, row.interval_s, row.calls))
    snapshots: list[QueueSnapshot] = []
    for queue in sorted(names):
        count, oldest = waiting.get(queue, (0, now))
        level, judged = service_level_15m(
            recent.get(queue, []), thresholds_s.get(queue, DEFAULT_SL_THRESHOLD_S)
        )
        snapshots.append(
            QueueSnapshot(
                queue=queue,
                waiting_calls=count,
                longest_wait_s=max(0.0, (now - oldest).total_seconds()) if count else 0.0,
                service_level_15m=level,
                calls_15m=judged,
                offered_calls_window=offered_now.get(queue, 0),
                forecast_calls_window=_window_forecast(forecast, queue, window_start, now),
            )
        )
    return snapshots


# --- notifications -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _MailLine:
    status: str  # raised, escalated, still raised, cleared
    alert: AlertRecord


_STATUS_ORDER = ("raised", "escalated", "still raised", "cleared")


def _format_value(rule: str, value: float) -> str:
    if rule == Rule.SERVICE_LEVEL_15M:
        return f"{value:.1%}"
    if rule == Rule.LONGEST_WAIT:
        whole = round(value)
        return f"{whole // 60}:{whole % 60:02d}"
    if rule == Rule.VOLUME_OVER_FORECAST:
        return f"{value:.2f} ×"
    return f"{value:g}"


def _local(at: datetime | None, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def alert_mail(
    lines: Sequence[tuple[str, AlertRecord]],
    *,
    site_name: str,
    zone: tzinfo,
    now: datetime,
    sender: str,
    recipients: Sequence[str],
) -> EmailMessage:
    """The mail of one check: ``lines`` are (status, alert) with status ``raised``,
    ``escalated``, ``still raised`` or ``cleared``; the subject counts them."""
    ordered = sorted(
        (_MailLine(status, alert) for status, alert in lines),
        key=lambda line: (_STATUS_ORDER.index(line.status), line.alert.scope, line.alert.rule),
    )
    counts = {
        status: sum(1 for line in ordered if line.status == status) for status in _STATUS_ORDER
    }
    critical = any(
        line.alert.severity == "critical" and line.status != "cleared" for line in ordered
    )
    parts = [f"{counts['raised']} raised"]
    if counts["escalated"]:
        parts.append(f"{counts['escalated']} escalated")
    if counts["still raised"]:
        parts.append(f"{counts['still raised']} still raised")
    parts.append(f"{counts['cleared']} cleared")
    subject = f"{'[CRITICAL] ' if critical else ''}{site_name} alerts: {', '.join(parts)}"
    when = f"{_local(now, zone)} ({getattr(zone, 'key', str(zone))})"
    title = f"{site_name}: call-volume early warning, {when}"

    text = [title, ""]
    for status in _STATUS_ORDER:
        group = [line for line in ordered if line.status == status]
        if not group:
            continue
        text.append(f"{status.capitalize()} ({len(group)})")
        for line in group:
            alert = line.alert
            since = f"since {_local(alert.raised_at, zone)}"
            if alert.cleared_at is not None:
                since = f"raised {_local(alert.raised_at, zone)}, cleared {_local(alert.cleared_at, zone)}"
            text.append(f"  [{alert.severity}] {alert.message} ({since})")
        text.append("")

    cell = 'style="border:1px solid #999;padding:4px 8px;text-align:left"'
    colours = {"critical": "#f4c7c3", "warning": "#fce8b2"}
    rows = []
    for line in ordered:
        alert = line.alert
        colour = "#d9ead3" if line.status == "cleared" else colours.get(alert.severity, "#ffffff")
        values = (
            line.status,
            alert.severity,
            alert.scope,
            alert.rule,
            _format_value(alert.rule, alert.value),
            _format_value(alert.rule, alert.threshold),
            alert.message,
            _local(alert.raised_at, zone),
            _local(alert.cleared_at, zone),
        )
        tds = "".join(f"<td {cell}>{html.escape(v)}</td>" for v in values)
        rows.append(f'<tr style="background:{colour}">{tds}</tr>')
    headers = (
        "status",
        "severity",
        "queue",
        "rule",
        "value",
        "threshold",
        "message",
        "raised",
        "cleared",
    )
    ths = "".join(f"<th {cell}>{html.escape(h)}</th>" for h in headers)
    body_html = (
        '<!DOCTYPE html><html><body style="font-family:sans-serif">'
        f"<p><b>{html.escape(title)}</b></p>"
        f'<table style="border-collapse:collapse"><tr>{ths}</tr>{"".join(rows)}</table>'
        "</body></html>"
    )

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content("\n".join(text))
    message.add_alternative(body_html, subtype="html")
    return message


def _default_send_mail(settings: Settings) -> SendMail:
    def send(message: EmailMessage) -> object:
        from asterisk_cc.reports.mail import send_message

        return send_message(settings.smtp, message)

    return send


def _record_for_new(alert: NewAlert, now: datetime) -> AlertRecord:
    return AlertRecord(
        id=0,
        rule=alert.rule.value,
        scope=alert.scope,
        severity=alert.severity.value,
        raised_at=now,
        cleared_at=None,
        value=alert.value,
        threshold=alert.threshold,
        message=alert.message,
        notified_at=None,
        notifications=0,
    )


def _record_for_update(record: AlertRecord, change: StillRaised) -> AlertRecord:
    return replace(
        record,
        severity=change.severity.value,
        value=change.value,
        threshold=change.threshold,
        message=change.message,
    )


def _record_for_clear(record: AlertRecord, clear: ClearAlert, now: datetime) -> AlertRecord:
    return replace(
        record,
        cleared_at=now,
        value=record.value if clear.value is None else clear.value,
        message=clear.message,
    )


def _post_events(
    events: Sequence[AlertEvent], post: PostWebhook, where: str
) -> tuple[int, datetime | None, str | None]:
    """Post ``events`` (in order) group by group of equal time, stopping at the first
    failure; → (posted, time up to which every event was delivered, error)."""
    posted = 0
    delivered_until: datetime | None = None
    for at, group in groupby(events, key=lambda e: e.at):
        if posted >= MAX_WEBHOOK_EVENTS:
            break
        for event in group:
            try:
                post(alert_payload(event))
            except Exception as exc:  # whatever went wrong: logged, retried, never raised
                error = f"{exc}" or type(exc).__name__
                log.warning(
                    "alert webhook %s: %s %s of %s not delivered (tried again at the next "
                    "check): %s",
                    where,
                    event.event,
                    event.alert.rule,
                    event.alert.scope,
                    error,
                )
                return posted, delivered_until, error
            posted += 1
        delivered_until = at
    return posted, delivered_until, None


def check_alerts(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    send_mail: SendMail | None = None,
    post_webhook: PostWebhook | None = None,
) -> WarningReport:
    """Run the early-warning rules at ``now`` and notify (see the module docstring).
    ``send_mail`` takes the check's :class:`EmailMessage` (default: through ``[smtp]``);
    ``post_webhook`` takes one JSON body (default: POST to ``[alerts] webhook_url``, 5 s)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")
    alerts = settings.alerts
    zone = ZoneInfo(settings.site.timezone)
    records = raised_alerts(session)
    by_key = {(r.rule, r.scope): r for r in records}
    snapshots = build_snapshots(session, settings, now, extra_queues=[r.scope for r in records])
    evaluation = evaluate(snapshots, [r.as_raised() for r in records], thresholds_from(alerts), now)

    new_records = [_record_for_new(a, now) for a in evaluation.to_raise]
    cleared_records = [
        _record_for_clear(by_key[(c.rule, c.scope)], c, now) for c in evaluation.to_clear
    ]
    updated = {
        by_key[(u.rule.value, u.scope)].id: (
            u,
            _record_for_update(by_key[(u.rule.value, u.scope)], u),
        )
        for u in evaluation.to_update
    }

    # --- the mail: this check's events, and what earlier mails left unsent (a raise never
    # mailed goes out as raised, with its latest value, whatever this check decided)
    unsent = {a.id: a for a in unsent_alerts(session, cleared_since=now - UNSENT_CLEARS_KEPT)}
    cleared_ids = {r.id for r in cleared_records}
    lines: list[tuple[str, AlertRecord]] = [("raised", r) for r in new_records]
    lines += [("cleared", r) for r in cleared_records]
    for alert_id, alert in unsent.items():
        if alert_id in cleared_ids:
            continue
        if alert.cleared_at is not None:
            lines.append(("cleared", alert))
        else:
            lines.append(("raised", updated[alert_id][1] if alert_id in updated else alert))
    for alert_id, (change, record) in updated.items():
        if change.renotify and alert_id not in unsent:
            lines.append(("escalated" if change.escalated else "still raised", record))

    mail_ok = True
    mailed = False
    mail_error: str | None = None
    if lines and alerts.recipients:
        message = alert_mail(
            lines,
            site_name=settings.site.name,
            zone=zone,
            now=now,
            sender=settings.smtp.sender,
            recipients=alerts.recipients,
        )
        try:
            (send_mail or _default_send_mail(settings))(message)
            mailed = True
        except Exception as exc:  # whatever went wrong: logged, retried, never raised
            mail_ok = False
            mail_error = f"{exc}" or type(exc).__name__
            log.warning(
                "alert mail to %s not sent (tried again at the next check): %s",
                ", ".join(alerts.recipients),
                mail_error,
            )

    # --- the webhook: the events after its cursor, then this check's
    webhook_posted = 0
    webhook_error: str | None = None
    new_cursor: datetime | None = None
    if alerts.webhook_url:
        where = describe_url(alerts.webhook_url)
        post = post_webhook or partial(post_json, alerts.webhook_url, timeout_s=WEBHOOK_TIMEOUT_S)
        cursor = webhook_cursor(session)
        events = alert_events_after(session, cursor) if cursor is not None else []
        events += [AlertEvent("raised", now, r) for r in new_records]
        events += [AlertEvent("cleared", now, r) for r in cleared_records]
        events.sort(key=event_order)
        webhook_posted, delivered_until, webhook_error = _post_events(events, post, where)
        if webhook_error is None and webhook_posted == len(events):
            new_cursor = max([now, *(e.at for e in events)])
        elif delivered_until is not None:
            new_cursor = delivered_until
        elif cursor is None and events:  # nothing got through: start before the first
            new_cursor = events[0].at - timedelta(microseconds=1)

    # --- the writes
    raised_rows = tuple(raise_alert(session, a, now, notified=mail_ok) for a in evaluation.to_raise)
    renotified_rows: list[AlertRecord] = []
    for change in evaluation.to_update:
        row = update_alert(session, change, now, notified=change.renotify and mail_ok)
        if row is not None and change.renotify:
            renotified_rows.append(row)
    cleared_rows = tuple(
        row
        for row in (clear_alert(session, c, now, notified=mail_ok) for c in evaluation.to_clear)
        if row is not None
    )
    if mail_ok:
        notified_ids = {r.id for r in renotified_rows} | {r.id for r in cleared_rows}
        mark_notified(session, (i for i in unsent if i not in notified_ids), now)
    if new_cursor is not None:
        set_webhook_cursor(session, new_cursor, now)

    report = WarningReport(
        queues=len(snapshots),
        raised=raised_rows,
        cleared=cleared_rows,
        renotified=tuple(renotified_rows),
        still_raised=len(evaluation.to_update),
        mailed=mailed,
        mail_error=mail_error,
        webhook_posted=webhook_posted,
        webhook_error=webhook_error,
    )
    log.info("early warning: %s", report)
    return report
