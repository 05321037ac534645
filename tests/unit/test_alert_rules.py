"""Early-warning rules: raise, severity, hysteresis, minimum calls, re-notification, flood
rules, and the cases the rules cannot judge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from asterisk_cc.core.reports.alerts import (
    AlertThresholds,
    QueueSnapshot,
    RaisedAlert,
    Rule,
    Severity,
    evaluate,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
T = AlertThresholds()  # 10 waiting, 120 s, SL 0.7, volume 1.3, min 5 calls, 30 min


def quiet(queue: str = "support", **figures: object) -> QueueSnapshot:
    return QueueSnapshot(queue=queue, **figures)  # type: ignore[arg-type]


def raised(
    rule: Rule,
    *,
    severity: Severity = Severity.WARNING,
    minutes_ago: int = 5,
    notified_minutes_ago: int | None = 5,
    scope: str = "support",
) -> RaisedAlert:
    return RaisedAlert(
        rule=rule.value,
        scope=scope,
        severity=severity,
        raised_at=NOW - timedelta(minutes=minutes_ago),
        value=0.0,
        threshold=0.0,
        notified_at=(
            None if notified_minutes_ago is None else NOW - timedelta(minutes=notified_minutes_ago)
        ),
    )


def rules_raised(snapshot: QueueSnapshot, thresholds: AlertThresholds = T) -> dict[str, Severity]:
    return {a.rule.value: a.severity for a in evaluate([snapshot], [], thresholds, NOW).to_raise}


def test_a_quiet_queue_raises_nothing() -> None:
    assert evaluate([quiet()], [], T, NOW).to_raise == ()


def test_waiting_calls_raise_a_warning_then_critical_at_twice_the_threshold() -> None:
    assert rules_raised(quiet(waiting_calls=9)) == {}
    assert rules_raised(quiet(waiting_calls=10, longest_wait_s=30)) == {
        "waiting_calls": Severity.WARNING
    }
    assert rules_raised(quiet(waiting_calls=20, longest_wait_s=30)) == {
        "waiting_calls": Severity.CRITICAL
    }
    alert = evaluate([quiet(waiting_calls=14, longest_wait_s=30)], [], T, NOW).to_raise[0]
    assert (alert.scope, alert.value, alert.threshold) == ("support", 14.0, 10)
    assert alert.message == "support: 14 calls waiting (alert at 10)"


def test_longest_wait_raises_with_minutes_and_seconds() -> None:
    evaluation = evaluate([quiet(waiting_calls=1, longest_wait_s=185)], [], T, NOW)
    (alert,) = evaluation.to_raise
    assert alert.rule is Rule.LONGEST_WAIT and alert.severity is Severity.WARNING
    assert "3:05" in alert.message and "2:00" in alert.message
    assert rules_raised(quiet(waiting_calls=1, longest_wait_s=240)) == {
        "longest_wait": Severity.CRITICAL
    }


def test_service_level_is_judged_only_over_enough_calls() -> None:
    assert rules_raised(quiet(service_level_15m=0.5, calls_15m=4)) == {}
    assert rules_raised(quiet(service_level_15m=0.5, calls_15m=5)) == {
        "service_level_15m": Severity.WARNING
    }
    # 70 % allows 30 % late; critical at 60 % late, i.e. SL 40 % or less
    assert rules_raised(quiet(service_level_15m=0.4, calls_15m=20)) == {
        "service_level_15m": Severity.CRITICAL
    }
    assert rules_raised(quiet(service_level_15m=0.7, calls_15m=20)) == {}


def test_volume_against_forecast_needs_a_forecast_and_enough_calls() -> None:
    def volume(offered: int, forecast: float | None) -> dict[str, Severity]:
        return rules_raised(quiet(offered_calls_window=offered, forecast_calls_window=forecast))

    assert volume(14, 10.0) == {"volume_over_forecast": Severity.WARNING}  # 1.4 × forecast
    assert volume(16, 10.0) == {"volume_over_forecast": Severity.CRITICAL}  # +60 %
    assert volume(13, 10.0) == {}  # exactly 1.3: not above
    assert volume(100, None) == {}  # no forecast: not judged
    # 6 calls against a forecast of 2: judged over min_calls (5), 1.2 ×: no surge
    assert volume(6, 2.0) == {}
    assert volume(7, 0.0) == {"volume_over_forecast": Severity.WARNING}  # 7 / 5 = 1.4


def test_one_alert_per_rule_and_queue_while_it_lasts() -> None:
    still = quiet(waiting_calls=15, longest_wait_s=30)
    evaluation = evaluate([still], [raised(Rule.WAITING_CALLS)], T, NOW)
    assert evaluation.to_raise == () and evaluation.to_clear == ()
    (update,) = evaluation.to_update
    assert (update.value, update.renotify) == (15.0, False)


def test_a_still_raised_alert_is_sent_again_only_after_renotify_after_min() -> None:
    still = [quiet(waiting_calls=15, longest_wait_s=30)]
    recent = raised(Rule.WAITING_CALLS, minutes_ago=90, notified_minutes_ago=29)
    due = raised(Rule.WAITING_CALLS, minutes_ago=90, notified_minutes_ago=30)
    assert evaluate(still, [recent], T, NOW).to_renotify == ()
    assert [u.escalated for u in evaluate(still, [due], T, NOW).to_renotify] == [False]
    never_sent = raised(Rule.WAITING_CALLS, minutes_ago=31, notified_minutes_ago=None)
    assert len(evaluate(still, [never_sent], T, NOW).to_renotify) == 1


def test_escalation_is_sent_at_once_and_the_severity_never_drops_while_raised() -> None:
    worse = [quiet(waiting_calls=25, longest_wait_s=30)]
    (update,) = evaluate(
        worse, [raised(Rule.WAITING_CALLS, notified_minutes_ago=1)], T, NOW
    ).to_renotify
    assert (update.severity, update.escalated) == (Severity.CRITICAL, True)
    critical = raised(Rule.WAITING_CALLS, severity=Severity.CRITICAL, notified_minutes_ago=1)
    assert evaluate(worse, [critical], T, NOW).to_renotify == ()
    better = [quiet(waiting_calls=12, longest_wait_s=30)]
    (update,) = evaluate(better, [critical], T, NOW).to_update
    assert (update.severity, update.renotify) == (Severity.CRITICAL, False)


def test_hysteresis_clears_only_past_the_margin() -> None:
    wide = AlertThresholds(waiting_calls=20)
    alert = [raised(Rule.WAITING_CALLS)]
    hold = evaluate([quiet(waiting_calls=19, longest_wait_s=30)], alert, wide, NOW)
    assert hold.to_clear == () and hold.to_update[0].renotify is False
    hold_due = raised(Rule.WAITING_CALLS, minutes_ago=120, notified_minutes_ago=60)
    assert evaluate([quiet(waiting_calls=19)], [hold_due], wide, NOW).to_renotify == ()
    cleared = evaluate([quiet(waiting_calls=18, longest_wait_s=30)], alert, wide, NOW)
    (clear,) = cleared.to_clear
    assert (clear.rule, clear.scope, clear.value) == ("waiting_calls", "support", 18.0)
    assert clear.message.startswith("cleared: ")
    # with the default 10 the margin is one call: 9 clears
    assert len(evaluate([quiet(waiting_calls=9)], alert, T, NOW).to_clear) == 1


def test_service_level_clears_at_the_threshold_plus_ten_percent() -> None:
    alert = [raised(Rule.SERVICE_LEVEL_15M)]
    at_75 = evaluate([quiet(service_level_15m=0.75, calls_15m=20)], alert, T, NOW)
    assert at_75.to_clear == () and at_75.to_update[0].value == 0.75
    at_77 = evaluate([quiet(service_level_15m=0.77, calls_15m=20)], alert, T, NOW)
    assert [c.value for c in at_77.to_clear] == [0.77]


def test_service_level_with_too_few_calls() -> None:
    alert = [raised(Rule.SERVICE_LEVEL_15M)]
    # callers waiting but few calls to judge: the alert keeps its state, nothing is sent
    unknown = evaluate([quiet(waiting_calls=3, longest_wait_s=30, calls_15m=2)], alert, T, NOW)
    assert (unknown.to_clear, unknown.to_update, unknown.to_raise) == ((), (), ())
    # nobody waiting and few calls: the queue is quiet, the alert clears (no value)
    (clear,) = evaluate([quiet(calls_15m=2, service_level_15m=0.0)], alert, T, NOW).to_clear
    assert clear.value is None and "quiet" in clear.message


def test_volume_alert_without_forecast_keeps_its_state() -> None:
    alert = [raised(Rule.VOLUME_OVER_FORECAST)]
    evaluation = evaluate([quiet(offered_calls_window=50)], alert, T, NOW)
    assert (evaluation.to_clear, evaluation.to_update) == ((), ())
    back = evaluate([quiet(offered_calls_window=11, forecast_calls_window=10.0)], alert, T, NOW)
    assert [c.value for c in back.to_clear] == [pytest.approx(1.1)]


def test_alert_of_a_queue_gone_quiet_or_of_an_old_rule_is_cleared() -> None:
    gone = raised(Rule.WAITING_CALLS, scope="old-queue")
    old_rule = RaisedAlert("abandon_spike", "support", Severity.WARNING, NOW, 1.0, 1.0, NOW)
    evaluation = evaluate([quiet()], [gone, old_rule], T, NOW)
    assert sorted((c.rule, c.scope) for c in evaluation.to_clear) == [
        ("abandon_spike", "support"),
        ("waiting_calls", "old-queue"),
    ]


def test_every_queue_is_judged_on_its_own() -> None:
    evaluation = evaluate(
        [quiet("sales", waiting_calls=11, longest_wait_s=10), quiet("support")], [], T, NOW
    )
    assert [(a.rule, a.scope) for a in evaluation.to_raise] == [(Rule.WAITING_CALLS, "sales")]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="two snapshots"):
        evaluate([quiet(), quiet()], [], T, NOW)
    with pytest.raises(ValueError, match="raised twice"):
        evaluate([], [raised(Rule.WAITING_CALLS), raised(Rule.WAITING_CALLS)], T, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate([], [], T, NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="volume_over_forecast"):
        AlertThresholds(volume_over_forecast=1.0)
    with pytest.raises(ValueError, match="service_level_15m"):
        AlertThresholds(service_level_15m=1.5)
