"""The alerts page: the early-warning alerts raised now and those of the last day or week,
with their rule, scope, value against the threshold, and raised and cleared times (see
``docs/forecast-and-alerts.md`` for the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from flask import Blueprint, render_template, request

from asterisk_cc.core.reports.alerts import Rule
from asterisk_cc.db.alerts import AlertRecord, active_alerts, recent_alerts
from asterisk_cc.web.access import supervisors_only
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.formatting import duration, percent
from asterisk_cc.web.i18n import gettext

PERIODS_H: Final = (24, 168)
"""The history the page offers: the last day or the last week."""
RECENT_LIMIT: Final = 200


def rule_labels() -> dict[str, str]:
    return {
        Rule.WAITING_CALLS.value: gettext("Calls waiting"),
        Rule.LONGEST_WAIT.value: gettext("Longest wait"),
        Rule.SERVICE_LEVEL_15M.value: gettext("Service level, last 15 minutes"),
        Rule.VOLUME_OVER_FORECAST.value: gettext("Volume over forecast"),
    }


def measure_text(rule: str, value: float) -> str:
    """A rule's value in its own unit: calls, a wait, a rate, or a multiple of the forecast."""
    if rule == Rule.WAITING_CALLS:
        return f"{value:.0f}"
    if rule == Rule.LONGEST_WAIT:
        return duration(value)
    if rule == Rule.SERVICE_LEVEL_15M:
        return percent(value)
    if rule == Rule.VOLUME_OVER_FORECAST:
        return f"{value:.2f}×"
    return f"{value:g}"


@dataclass(frozen=True)
class AlertRow:
    id: int
    rule: str
    rule_label: str
    scope: str
    severity: str
    value: str
    threshold: str
    message: str
    raised_at: datetime
    cleared_at: datetime | None
    lasted_s: float | None


def _row(alert: AlertRecord, labels: dict[str, str], now: datetime) -> AlertRow:
    end = alert.cleared_at or now
    return AlertRow(
        id=alert.id,
        rule=alert.rule,
        rule_label=labels.get(alert.rule, alert.rule),
        scope=alert.scope,
        severity=alert.severity,
        value=measure_text(alert.rule, alert.value),
        threshold=measure_text(alert.rule, alert.threshold),
        message=alert.message,
        raised_at=alert.raised_at,
        cleared_at=alert.cleared_at,
        lasted_s=(end - alert.raised_at).total_seconds(),
    )


def alerts() -> Any:
    hours = request.args.get("hours", "")
    period_h = int(hours) if hours.isdigit() and int(hours) in PERIODS_H else PERIODS_H[0]
    now = web_context().now()
    labels = rule_labels()
    active = [_row(alert, labels, now) for alert in active_alerts(db())]
    recent = [
        _row(alert, labels, now)
        for alert in recent_alerts(db(), now - timedelta(hours=period_h), limit=RECENT_LIMIT)
    ]
    return render_template(
        "supervise/alerts.html",
        active=active,
        recent=recent,
        period_h=period_h,
        periods=PERIODS_H,
        limit=RECENT_LIMIT,
    )


def register(blueprint: Blueprint) -> None:
    """The alerts page on the supervisor's blueprint (supervisors and admins only)."""
    blueprint.add_url_rule("/alerts", "alerts", view_func=supervisors_only(alerts))
