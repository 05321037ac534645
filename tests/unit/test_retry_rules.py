"""Retry rules: the next number, the wait, the 72-hour lockout, the attempt limit, and what
each disposition does to a lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.dialer.campaign import CampaignSettings
from asterisk_cc.core.dialer.retry import (
    DEFAULT_DELAYS_S,
    DISPOSITIONS,
    OFCOM_ABANDON_LOCKOUT_S,
    LeadProgress,
    NextStep,
    PhoneProgress,
    RetryRules,
    disposition_step,
    next_step,
    phone_is_dead,
    rules_for,
)
from asterisk_cc.core.vocabulary import AbandonDefinition, CallOutcome, DncScope, LeadStatus

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
RULES = RetryRules(max_attempts=5)


def lead(attempts: int = 1, *outcomes: str | None) -> LeadProgress:
    """A lead with one number per outcome given (None: a number not yet dialled)."""
    outcomes = outcomes or (None,)
    phones = [PhoneProgress(f"+1212555{n:04d}", 0, o) for n, o in enumerate(outcomes)]
    return LeadProgress(attempts=attempts, phones=phones)


def after(seconds: int) -> datetime:
    return NOW + timedelta(seconds=seconds)


# --- the rules ---------------------------------------------------------------------------------


def test_missing_delays_get_the_defaults_and_bad_ones_are_refused() -> None:
    rules = RetryRules(delays_s={"busy": 60})
    assert rules.delays_s["busy"] == 60
    assert rules.delays_s["no_answer"] == DEFAULT_DELAYS_S["no_answer"]
    with pytest.raises(ValueError, match="'voicemail' are not known"):
        RetryRules(delays_s={"voicemail": 60})
    with pytest.raises(ValueError, match="retry delay busy must be whole seconds >= 0"):
        RetryRules(delays_s={"busy": -1})
    with pytest.raises(ValueError, match="max_attempts must be a whole number of at least 1"):
        RetryRules(max_attempts=0)
    with pytest.raises(ValueError, match="machine_action must be one of"):
        RetryRules(machine_action="voicemail")  # type: ignore[arg-type]


def test_ofcom_campaigns_lock_an_abandoned_person_out_for_72_hours() -> None:
    ofcom = rules_for(AbandonDefinition.OFCOM_DAILY, max_attempts=4)
    assert ofcom.abandon_lockout == timedelta(hours=72)
    assert ofcom.delays_s["machine"] >= 24 * 3600  # no same-day re-call after a machine
    for us in (AbandonDefinition.FTC_30D, AbandonDefinition.FCC_30D):
        assert rules_for(us).abandon_lockout_s == 0
        assert rules_for(us).delays_s["machine"] == DEFAULT_DELAYS_S["machine"]


def test_the_rules_of_a_campaign_come_from_its_settings() -> None:
    settings = CampaignSettings(
        name="uk",
        abandon_definition=AbandonDefinition.OFCOM_DAILY,
        max_attempts=7,
        retry_delays_s={"busy": 120},
        machine_action="retry",
    )
    rules = RetryRules.for_campaign(settings)
    assert (rules.max_attempts, rules.delays_s["busy"], rules.machine_action) == (7, 120, "retry")
    assert rules.abandon_lockout_s == OFCOM_ABANDON_LOCKOUT_S


def test_dead_numbers_are_recognised_by_their_last_outcome() -> None:
    assert phone_is_dead("invalid_number") and phone_is_dead("wrong_number")
    assert phone_is_dead("dnc")
    assert not phone_is_dead("busy") and not phone_is_dead(None)


# --- after a call ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "key"),
    [
        (CallOutcome.NO_ANSWER, "no_answer"),
        (CallOutcome.BUSY, "busy"),
        (CallOutcome.FAILED, "failed"),
    ],
)
def test_a_failure_moves_to_the_next_number_at_once_then_waits(
    outcome: CallOutcome, key: str
) -> None:
    two_numbers = lead(1, None, None)
    first = next_step(RULES, two_numbers, 0, outcome, False, NOW)
    assert (first.status, first.next_phone_index, first.next_attempt_at) == (
        LeadStatus.PENDING,
        1,
        NOW,
    )
    second = next_step(RULES, lead(2, outcome.value, None), 1, outcome, False, NOW)
    assert (second.next_phone_index, second.next_attempt_at) == (0, after(RULES.delays_s[key]))


def test_a_single_number_waits_the_outcomes_delay() -> None:
    step = next_step(RULES, lead(1), 0, CallOutcome.BUSY, False, NOW)
    assert (step.status, step.next_phone_index, step.next_attempt_at) == (
        LeadStatus.PENDING,
        0,
        after(900),
    )


def test_an_invalid_number_is_dead_and_the_next_one_is_tried() -> None:
    step = next_step(RULES, lead(1, None, None), 0, CallOutcome.INVALID_NUMBER, False, NOW)
    assert step.phone_dead and step.status is LeadStatus.PENDING
    assert (step.next_phone_index, step.next_attempt_at) == (1, NOW)


def test_the_last_live_number_invalid_makes_the_lead_invalid() -> None:
    step = next_step(
        RULES, lead(2, "invalid_number", None), 1, CallOutcome.INVALID_NUMBER, False, NOW
    )
    assert (step.status, step.phone_dead, step.next_attempt_at) == (LeadStatus.INVALID, True, None)


def test_an_invalid_last_number_of_the_round_restarts_at_the_first_later() -> None:
    step = next_step(RULES, lead(2, "busy", None), 1, CallOutcome.INVALID_NUMBER, False, NOW)
    assert step.phone_dead and (step.next_phone_index, step.next_attempt_at) == (
        0,
        after(RULES.delays_s["no_answer"]),
    )


def test_dead_numbers_are_skipped() -> None:
    progress = lead(1, None, "wrong_number", "dnc", None)
    step = next_step(RULES, progress, 0, CallOutcome.NO_ANSWER, False, NOW)
    assert (step.next_phone_index, step.next_attempt_at) == (3, NOW)


def test_at_the_attempt_limit_the_lead_is_exhausted() -> None:
    rules = RetryRules(max_attempts=3)
    step = next_step(rules, lead(3, None, None), 0, CallOutcome.NO_ANSWER, False, NOW)
    assert (step.status, step.next_attempt_at) == (LeadStatus.EXHAUSTED, None)
    assert "3 of 3 attempts" in step.reason


def test_a_person_connected_to_an_agent_is_done_until_the_disposition() -> None:
    step = next_step(RULES, lead(1), 0, CallOutcome.HUMAN, False, NOW)
    assert (step.status, step.next_attempt_at) == (LeadStatus.DONE, None)


def test_a_person_who_hung_up_before_an_agent_is_called_again_later() -> None:
    step = next_step(RULES, lead(1), 0, CallOutcome.HUMAN, False, NOW, connected=False)
    assert (step.status, step.next_attempt_at) == (LeadStatus.PENDING, after(3600))


def test_an_abandoned_call_waits_the_lockout_which_wins_over_a_shorter_delay() -> None:
    ofcom = rules_for(AbandonDefinition.OFCOM_DAILY, max_attempts=5, delays_s={"abandoned": 600})
    step = next_step(ofcom, lead(1, None, None), 0, CallOutcome.HUMAN, True, NOW)
    assert (step.status, step.next_phone_index) == (LeadStatus.PENDING, 0)
    assert step.next_attempt_at == NOW + timedelta(hours=72)
    assert "72 h lockout" in step.reason
    us = rules_for(AbandonDefinition.FTC_30D, max_attempts=5, delays_s={"abandoned": 600})
    assert next_step(us, lead(1), 0, CallOutcome.HUMAN, True, NOW).next_attempt_at == after(600)
    longer = rules_for(
        AbandonDefinition.OFCOM_DAILY, max_attempts=5, delays_s={"abandoned": 100 * 3600}
    )
    assert next_step(longer, lead(1), 0, CallOutcome.HUMAN, True, NOW).next_attempt_at == (
        NOW + timedelta(hours=100)
    )


def test_a_machine_ends_the_lead_unless_the_campaign_retries_machines() -> None:
    for action in ("hangup", "message"):
        rules = RetryRules(max_attempts=5, machine_action=action)
        step = next_step(rules, lead(1), 0, CallOutcome.MACHINE, False, NOW)
        assert (step.status, step.disposition) == (LeadStatus.DONE, "machine")
    retry = RetryRules(max_attempts=5, machine_action="retry")
    step = next_step(retry, lead(1, None, None), 0, CallOutcome.MACHINE, False, NOW)
    assert (step.status, step.next_phone_index, step.next_attempt_at) == (
        LeadStatus.PENDING,
        1,
        after(7200),
    )


def test_congestion_and_cancelled_calls_retry_the_same_number() -> None:
    congested = next_step(RULES, lead(1, None, None), 0, CallOutcome.CONGESTION, False, NOW)
    assert (congested.next_phone_index, congested.next_attempt_at) == (0, after(300))
    cancelled = next_step(RULES, lead(1, None, None), 0, CallOutcome.CANCELLED, False, NOW)
    assert (cancelled.next_phone_index, cancelled.next_attempt_at) == (0, after(1800))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        next_step(RULES, lead(1), 3, CallOutcome.BUSY, False, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_step(RULES, lead(1), 0, CallOutcome.BUSY, False, NOW.replace(tzinfo=None))


OUTCOMES = st.sampled_from(list(CallOutcome))
PHONE_STATES = st.sampled_from([None, "busy", "no_answer", "invalid_number", "wrong_number", "dnc"])


@given(
    outcomes=st.lists(PHONE_STATES, min_size=1, max_size=4),
    attempts=st.integers(1, 8),
    max_attempts=st.integers(1, 6),
    outcome=OUTCOMES,
    abandoned=st.booleans(),
    data=st.data(),
)
def test_a_planned_call_is_never_to_a_dead_number_nor_past_the_limit(
    outcomes: list[str | None],
    attempts: int,
    max_attempts: int,
    outcome: CallOutcome,
    abandoned: bool,
    data: st.DataObject,
) -> None:
    progress = lead(attempts, *outcomes)
    index = data.draw(st.integers(0, len(outcomes) - 1))
    rules = rules_for(
        AbandonDefinition.OFCOM_DAILY, max_attempts=max_attempts, machine_action="retry"
    )
    step = next_step(
        rules, progress, index, outcome, abandoned and outcome is CallOutcome.HUMAN, NOW
    )
    if step.status is LeadStatus.PENDING:
        assert attempts < max_attempts
        assert step.next_attempt_at is not None and step.next_attempt_at >= NOW
        assert not progress.phones[step.next_phone_index].dead
        if step.phone_dead:
            assert step.next_phone_index != index
    else:
        assert step.next_attempt_at is None
    if outcome is CallOutcome.HUMAN and abandoned and step.status is LeadStatus.PENDING:
        assert step.next_attempt_at is not None
        assert step.next_attempt_at - NOW >= timedelta(hours=72)


# --- dispositions ------------------------------------------------------------------------------


def dispose(code: str, progress: LeadProgress | None = None, **kwargs: Any) -> NextStep:
    return disposition_step(
        code, rules=RULES, lead=progress or lead(1, None, None), phone_index=0, now=NOW, **kwargs
    )


@pytest.mark.parametrize("code", ["sale", "not_interested", "completed", "SALE", " Sale "])
def test_final_dispositions_finish_the_lead(code: str) -> None:
    step = dispose(code)
    assert (step.status, step.next_attempt_at, step.disposition) == (
        LeadStatus.DONE,
        None,
        code.strip().lower(),
    )


def test_an_unknown_disposition_is_final_and_kept_as_written() -> None:
    step = dispose("Promised to pay Friday")
    assert (step.status, step.disposition) == (LeadStatus.DONE, "Promised to pay Friday")


def test_a_callback_is_planned_at_its_time_for_its_agent_even_past_the_limit() -> None:
    at = NOW + timedelta(days=1)
    step = dispose("callback", lead(9, None), callback_at=at, callback_agent_id=17)
    assert (step.status, step.next_attempt_at, step.callback_agent_id, step.next_phone_index) == (
        LeadStatus.PENDING,
        at,
        17,
        0,
    )
    with pytest.raises(ValueError, match="needs the time"):
        dispose("callback")
    with pytest.raises(ValueError, match="in the past"):
        dispose("callback", callback_at=NOW - timedelta(minutes=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        dispose("callback", callback_at=datetime(2026, 11, 3, 9, 0))


def test_do_not_call_puts_the_number_on_the_global_list() -> None:
    step = dispose("do_not_call")
    assert (step.status, step.add_to_dnc, step.next_attempt_at) == (
        LeadStatus.DNC,
        DncScope.GLOBAL,
        None,
    )


def test_a_wrong_number_is_dead_and_the_next_is_tried_or_the_lead_is_invalid() -> None:
    step = dispose("wrong_number")
    assert (step.status, step.phone_dead, step.next_phone_index, step.next_attempt_at) == (
        LeadStatus.PENDING,
        True,
        1,
        NOW,
    )
    only = dispose("wrong_number", lead(1, None))
    assert (only.status, only.phone_dead) == (LeadStatus.INVALID, True)


def test_retry_dispositions_follow_the_retry_rules() -> None:
    for code in ("retry", "no_answer_by_agent"):
        step = dispose(code, lead(1, None))
        assert (step.status, step.next_attempt_at, step.disposition) == (
            LeadStatus.PENDING,
            after(3600),
            code,
        )
    exhausted = dispose("retry", lead(5, None))
    assert exhausted.status is LeadStatus.EXHAUSTED
    machine = dispose("answering_machine", lead(1, None))
    assert machine.next_attempt_at == after(7200)


def test_every_documented_disposition_is_handled_and_an_empty_one_refused() -> None:
    for code in DISPOSITIONS:
        extra: dict[str, Any] = (
            {"callback_at": NOW + timedelta(hours=1)} if code == "callback" else {}
        )
        assert dispose(code, **extra).disposition == code
    with pytest.raises(ValueError, match="a disposition is needed"):
        dispose("  ")
    with pytest.raises(ValueError, match="at most 64"):
        dispose("x" * 65)
