"""The network outcome of an outbound call, from what Asterisk reported (causes and Dial
statuses as observed on the Asterisk 22 sandbox)."""

from __future__ import annotations

import pytest

from asterisk_cc.core.dialer.outcome import network_outcome
from asterisk_cc.core.vocabulary import CallOutcome
from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox.render import customer_number


@pytest.mark.parametrize(
    ("cause", "dial_status", "expected"),
    [
        (17, None, CallOutcome.BUSY),
        (0, "BUSY", CallOutcome.BUSY),  # a Local channel's first half: cause 0, Dial says BUSY
        (19, "RINGING", CallOutcome.NO_ANSWER),  # the ring timeout
        (1, "NOANSWER", CallOutcome.INVALID_NUMBER),  # the cause wins over the Dial status
        (34, None, CallOutcome.CONGESTION),
        (0, "CONGESTION", CallOutcome.CONGESTION),
        (16, None, CallOutcome.CANCELLED),
        (0, "CHANUNAVAIL", CallOutcome.FAILED),
        (None, None, CallOutcome.FAILED),
        (127, None, CallOutcome.FAILED),
    ],
)
def test_unanswered_calls_are_read_from_cause_then_dial_status(
    cause: int | None, dial_status: str | None, expected: CallOutcome
) -> None:
    assert (
        network_outcome(
            answered=False, hangup_cause=cause, amd_status=None, dial_status=dial_status
        )
        == expected
    )


@pytest.mark.parametrize(
    ("amd", "expected"),
    [
        (None, CallOutcome.HUMAN),
        ("HUMAN", CallOutcome.HUMAN),
        ("NOTSURE", CallOutcome.HUMAN),  # hanging up on a person would be an abandoned call
        ("MACHINE", CallOutcome.MACHINE),
    ],
)
def test_answered_calls_are_people_unless_amd_heard_a_machine(
    amd: str | None, expected: CallOutcome
) -> None:
    assert network_outcome(answered=True, hangup_cause=16, amd_status=amd) == expected


def test_scripted_customer_numbers_carry_their_script_in_the_last_four_digits() -> None:
    assert customer_number(12, "person", 2, 30) == "+8613800121230"
    assert customer_number(12, "busy").endswith("2110")
    with pytest.raises(SandboxError, match="no scripted customer"):
        customer_number(1, "fax")
    with pytest.raises(SandboxError, match="rings 0-9 s"):
        customer_number(1, "person", 10)
