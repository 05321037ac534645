"""Call-volume early warning (呼叫量预警): which alerts to raise, clear and send again.

Every check (each minute) looks at a snapshot of each queue and at the alerts already raised,
and decides. Four rules, each per queue (the alert's *scope* is the queue's name):

============================  =====================================================  ==========
rule                          value                                                  breach
============================  =====================================================  ==========
``waiting_calls``             calls waiting in the queue now                         ≥ threshold
``longest_wait``              seconds the longest-waiting caller has waited          ≥ threshold
``service_level_15m``         service level of the calls of the last 15 minutes      < threshold
``volume_over_forecast``      calls offered in the last interval ÷ the forecast      > threshold
============================  =====================================================  ==========

- **Severity.** ``critical`` when the bad part is ``critical_factor`` (2) times what the
  threshold allows: twice the waiting calls, twice the wait, twice the share of calls not
  answered in time (SL 70 % allows 30 % late: critical at 60 % late, SL ≤ 40 %), twice the
  extra volume (1.3 allows +30 %: critical at +60 %, 1.6); ``warning`` otherwise. An alert
  keeps its highest severity while it lasts, so it is escalated (and sent again) once at most.
- **No flooding.** One alert per (rule, scope) while it lasts. A raised alert is sent again
  only while its rule is still in breach, ``renotify_after_min`` after it was last sent, or
  at once when it becomes critical.
- **Hysteresis.** An alert clears only when the value is back past the threshold by
  ``clear_margin_ratio`` (10 %) of the threshold (10 waiting calls → clears at 9; SL 70 % →
  clears at 77 %); in between it stays raised, quietly. Chosen over "fine for 2 checks"
  because it needs no memory beyond the alerts themselves.
- **Enough calls.** The service level is judged only over at least ``min_calls`` calls; with
  fewer and nobody waiting the queue is quiet and counts as fine, with fewer and callers
  waiting it is not judged (the alert keeps its state; the other rules watch the callers).
  The volume ratio divides by the forecast calls of the window but never by fewer than
  ``min_calls``: a handful of calls early in the day or in a near-empty interval is no surge.
  Without a forecast the volume rule is not judged.

Pure: takes ``now``, the snapshots and the raised alerts; returns decisions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "AlertThresholds",
    "ClearAlert",
    "Evaluation",
    "NewAlert",
    "QueueSnapshot",
    "RaisedAlert",
    "Rule",
    "Severity",
    "StillRaised",
    "evaluate",
]


class Rule(StrEnum):
    """The rules, by the name stored in ``alerts.rule``."""

    WAITING_CALLS = "waiting_calls"
    LONGEST_WAIT = "longest_wait"
    SERVICE_LEVEL_15M = "service_level_15m"
    VOLUME_OVER_FORECAST = "volume_over_forecast"


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


_RANK = {Severity.WARNING: 0, Severity.CRITICAL: 1}
_EPSILON = 1e-9
"""Comparisons of products of ratios forgive the last bits (1 − 0.4 ≥ 2 × (1 − 0.7))."""


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    """The thresholds of ``[alerts]`` (built from the settings by the caller) and the two
    constants of the flood rules."""

    waiting_calls: int = 10
    longest_wait_s: float = 120.0
    service_level_15m: float = 0.7
    volume_over_forecast: float = 1.3
    min_calls: int = 5
    renotify_after_min: int = 30
    clear_margin_ratio: float = 0.1
    critical_factor: float = 2.0

    def __post_init__(self) -> None:
        checks: tuple[tuple[str, bool], ...] = (
            ("waiting_calls must be at least 1", self.waiting_calls >= 1),
            ("longest_wait_s must be greater than 0", self.longest_wait_s > 0),
            ("service_level_15m must be between 0 and 1", 0 <= self.service_level_15m <= 1),
            ("volume_over_forecast must be above 1", self.volume_over_forecast > 1),
            ("min_calls must be at least 1", self.min_calls >= 1),
            ("renotify_after_min must be at least 1", self.renotify_after_min >= 1),
            ("clear_margin_ratio must be in [0, 1)", 0 <= self.clear_margin_ratio < 1),
            ("critical_factor must be above 1", self.critical_factor > 1),
        )
        for message, ok in checks:
            if not ok:
                raise ValueError(f"alert thresholds: {message}")


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One queue at the moment of the check.

    ``service_level_15m`` is over ``calls_15m`` calls (None when there were none);
    ``offered_calls_window`` came in the last interval-long window, for which the forecast
    expected ``forecast_calls_window`` (None: no forecast covers the window)."""

    queue: str
    waiting_calls: int = 0
    longest_wait_s: float = 0.0
    service_level_15m: float | None = None
    calls_15m: int = 0
    offered_calls_window: int = 0
    forecast_calls_window: float | None = None


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """An alert raised and not cleared, as stored. ``notified_at`` None: never sent yet."""

    rule: str
    scope: str
    severity: Severity
    raised_at: datetime
    value: float
    threshold: float
    notified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to raise."""

    rule: Rule
    scope: str
    severity: Severity
    value: float
    threshold: float
    message: str


@dataclass(frozen=True, slots=True)
class ClearAlert:
    """A raised alert to clear; ``value`` None when the rule could not be measured (a quiet
    queue, a rule no longer checked)."""

    rule: str
    scope: str
    value: float | None
    threshold: float
    message: str


@dataclass(frozen=True, slots=True)
class StillRaised:
    """A raised alert that stays raised with its new value and severity; ``renotify`` says
    to send it again now (``escalated``: because it just became critical)."""

    rule: Rule
    scope: str
    severity: Severity
    value: float
    threshold: float
    message: str
    renotify: bool
    escalated: bool


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The decisions of one check. ``to_update`` holds every alert that stays raised with a
    measured value; ``to_renotify`` those of them to send again."""

    to_raise: tuple[NewAlert, ...]
    to_clear: tuple[ClearAlert, ...]
    to_update: tuple[StillRaised, ...]

    @property
    def to_renotify(self) -> tuple[StillRaised, ...]:
        return tuple(update for update in self.to_update if update.renotify)


class _Verdict(StrEnum):
    BREACH = "breach"
    HOLD = "hold"  # past the threshold's good side, but not by the clearing margin
    FINE = "fine"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class _Measure:
    verdict: _Verdict
    value: float | None
    threshold: float
    severity: Severity = Severity.WARNING
    message: str = ""


def _higher_is_worse(
    value: float, threshold: float, t: AlertThresholds, strict: bool
) -> tuple[_Verdict, Severity]:
    breach = value > threshold if strict else value >= threshold
    if breach:
        critical = value >= threshold * t.critical_factor - _EPSILON
        return _Verdict.BREACH, Severity.CRITICAL if critical else Severity.WARNING
    if value <= threshold * (1 - t.clear_margin_ratio) + _EPSILON:
        return _Verdict.FINE, Severity.WARNING
    return _Verdict.HOLD, Severity.WARNING


def _minutes_seconds(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _waiting(snapshot: QueueSnapshot, t: AlertThresholds) -> _Measure:
    value = float(snapshot.waiting_calls)
    verdict, severity = _higher_is_worse(value, t.waiting_calls, t, strict=False)
    return _Measure(
        verdict,
        value,
        t.waiting_calls,
        severity,
        f"{snapshot.queue}: {snapshot.waiting_calls} calls waiting (alert at {t.waiting_calls})",
    )


def _longest(snapshot: QueueSnapshot, t: AlertThresholds) -> _Measure:
    value = max(0.0, snapshot.longest_wait_s)
    verdict, severity = _higher_is_worse(value, t.longest_wait_s, t, strict=False)
    return _Measure(
        verdict,
        value,
        t.longest_wait_s,
        severity,
        f"{snapshot.queue}: the caller waiting longest has waited {_minutes_seconds(value)} "
        f"(alert at {_minutes_seconds(t.longest_wait_s)})",
    )


def _service_level(snapshot: QueueSnapshot, t: AlertThresholds) -> _Measure:
    threshold = t.service_level_15m
    level = snapshot.service_level_15m
    if level is None or snapshot.calls_15m < t.min_calls:
        if snapshot.waiting_calls == 0:
            return _Measure(
                _Verdict.FINE,
                None,
                threshold,
                message=f"{snapshot.queue}: quiet (fewer than {t.min_calls} calls in the last "
                "15 minutes and nobody waiting)",
            )
        return _Measure(_Verdict.UNKNOWN, None, threshold)
    late, allowed_late = 1.0 - level, 1.0 - threshold
    if level < threshold:
        critical = late >= allowed_late * t.critical_factor - _EPSILON
        verdict, severity = _Verdict.BREACH, Severity.CRITICAL if critical else Severity.WARNING
    elif level >= min(1.0, threshold * (1 + t.clear_margin_ratio)) - _EPSILON:
        verdict, severity = _Verdict.FINE, Severity.WARNING
    else:
        verdict, severity = _Verdict.HOLD, Severity.WARNING
    return _Measure(
        verdict,
        level,
        threshold,
        severity,
        f"{snapshot.queue}: service level {level:.1%} over the last 15 minutes "
        f"({snapshot.calls_15m} calls; alert below {threshold:.1%})",
    )


def _volume(snapshot: QueueSnapshot, t: AlertThresholds) -> _Measure:
    threshold = t.volume_over_forecast
    forecast = snapshot.forecast_calls_window
    if forecast is None or not math.isfinite(forecast) or forecast < 0:
        return _Measure(_Verdict.UNKNOWN, None, threshold)
    value = snapshot.offered_calls_window / max(forecast, float(t.min_calls))
    extra, allowed_extra = value - 1.0, threshold - 1.0
    if value > threshold:
        critical = extra >= allowed_extra * t.critical_factor - _EPSILON
        verdict, severity = _Verdict.BREACH, Severity.CRITICAL if critical else Severity.WARNING
    elif value <= threshold * (1 - t.clear_margin_ratio) + _EPSILON:
        verdict, severity = _Verdict.FINE, Severity.WARNING
    else:
        verdict, severity = _Verdict.HOLD, Severity.WARNING
    return _Measure(
        verdict,
        value,
        threshold,
        severity,
        f"{snapshot.queue}: {snapshot.offered_calls_window} calls in the last interval, "
        f"{value:.2f} × the forecast of {forecast:.1f} (alert above {threshold:.2f} ×)",
    )


_RULES = {
    Rule.WAITING_CALLS: _waiting,
    Rule.LONGEST_WAIT: _longest,
    Rule.SERVICE_LEVEL_15M: _service_level,
    Rule.VOLUME_OVER_FORECAST: _volume,
}


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now.isoformat()}")


def evaluate(
    snapshots: Iterable[QueueSnapshot],
    raised: Sequence[RaisedAlert],
    thresholds: AlertThresholds,
    now: datetime,
) -> Evaluation:
    """Decide what this check raises, clears, updates and sends again.

    A raised alert whose queue has no snapshot is judged on an empty queue (nobody waiting,
    no calls); one of a rule this version does not check is cleared."""
    _check_now(now)
    by_queue: dict[str, QueueSnapshot] = {}
    for snapshot in snapshots:
        if snapshot.queue in by_queue:
            raise ValueError(f"two snapshots for queue {snapshot.queue!r}")
        by_queue[snapshot.queue] = snapshot
    current: dict[tuple[str, str], RaisedAlert] = {}
    for alert in raised:
        key = (alert.rule, alert.scope)
        if key in current:
            raise ValueError(f"alert {alert.rule} for {alert.scope!r} is raised twice")
        current[key] = alert
    for alert in raised:
        by_queue.setdefault(alert.scope, QueueSnapshot(queue=alert.scope))

    renotify_after = timedelta(minutes=thresholds.renotify_after_min)
    to_raise: list[NewAlert] = []
    to_clear: list[ClearAlert] = []
    to_update: list[StillRaised] = []
    for queue in sorted(by_queue):
        snapshot = by_queue[queue]
        for rule, measure_of in _RULES.items():
            measure = measure_of(snapshot, thresholds)
            existing = current.pop((rule.value, queue), None)
            if existing is None:
                if measure.verdict is _Verdict.BREACH and measure.value is not None:
                    to_raise.append(
                        NewAlert(
                            rule,
                            queue,
                            measure.severity,
                            measure.value,
                            measure.threshold,
                            measure.message,
                        )
                    )
                continue
            if measure.verdict is _Verdict.FINE:
                to_clear.append(
                    ClearAlert(
                        rule.value,
                        queue,
                        measure.value,
                        measure.threshold,
                        f"cleared: {measure.message}",
                    )
                )
            elif measure.value is not None:  # breach or hold: stays raised, value updated
                severity = max(existing.severity, measure.severity, key=_RANK.__getitem__)
                escalated = _RANK[severity] > _RANK[existing.severity]
                last_sent = existing.notified_at or existing.raised_at
                due = now - last_sent >= renotify_after
                breach = measure.verdict is _Verdict.BREACH
                to_update.append(
                    StillRaised(
                        rule,
                        queue,
                        severity,
                        measure.value,
                        measure.threshold,
                        measure.message,
                        renotify=breach and (escalated or due),
                        escalated=escalated,
                    )
                )
    for (rule_name, scope), leftover in sorted(current.items()):
        to_clear.append(
            ClearAlert(
                rule_name,
                scope,
                None,
                leftover.threshold,
                f"cleared: rule {rule_name} is no longer checked",
            )
        )
    return Evaluation(tuple(to_raise), tuple(to_clear), tuple(to_update))
