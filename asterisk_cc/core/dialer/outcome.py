"""What became of one outbound call, from what Asterisk reported about it.

Asterisk reports an unanswered call only by its hang-up cause (Q.850, ``ChannelDestroyed``),
and an answered one by the answer, the AMD verdict when the campaign uses AMD, and whether an
agent took it in time. :func:`network_outcome` turns that into the one
:class:`~asterisk_cc.core.vocabulary.CallOutcome` the attempt keeps.
"""

from __future__ import annotations

from typing import Final

from asterisk_cc.core.vocabulary import CallOutcome

__all__ = ["CONNECT_GRACE_S", "network_outcome"]

CONNECT_GRACE_S: Final = 2.0
"""A person who answers must reach an agent within 2 seconds, or the call is abandoned (US
FTC/FCC: of the completed greeting; UK Ofcom: of the answer)."""

# Q.850 causes of calls that were never answered.
_BUSY: Final = frozenset({17, 21})  # user busy, call rejected
_NO_ANSWER: Final = frozenset({18, 19})  # no user responding, no answer (the ring timeout)
_INVALID: Final = frozenset({1, 3, 22, 28})  # unallocated, no route, number changed, bad format
_CONGESTION: Final = frozenset({34, 38, 41, 42, 44})  # no circuit, network out of order, ...
_CANCELLED: Final = frozenset({16})  # normal clearing before an answer: we hung up first
# Dial() statuses, for calls whose own cause says nothing (a Local channel's first half ends
# with cause 0 when the far end is busy).
_BY_DIAL_STATUS: Final = {
    "BUSY": CallOutcome.BUSY,
    "NOANSWER": CallOutcome.NO_ANSWER,
    "CONGESTION": CallOutcome.CONGESTION,
    "CHANUNAVAIL": CallOutcome.FAILED,
    "CANCEL": CallOutcome.CANCELLED,
}


def network_outcome(
    *,
    answered: bool,
    hangup_cause: int | None,
    amd_status: str | None,
    dial_status: str | None = None,
) -> CallOutcome:
    """The outcome of one attempt.

    An answered call is HUMAN unless AMD said MACHINE (NOTSURE counts as a person: hanging up
    on a person is an abandoned call, the costlier mistake). An unanswered call is read from
    its hang-up cause, else from the last Dial status; an unknown cause is FAILED, so that the
    retry rules treat it with care.
    """
    if answered:
        return CallOutcome.MACHINE if amd_status == "MACHINE" else CallOutcome.HUMAN
    if not hangup_cause and dial_status in _BY_DIAL_STATUS:
        return _BY_DIAL_STATUS[dial_status]
    if hangup_cause in _BUSY:
        return CallOutcome.BUSY
    if hangup_cause in _NO_ANSWER:
        return CallOutcome.NO_ANSWER
    if hangup_cause in _INVALID:
        return CallOutcome.INVALID_NUMBER
    if hangup_cause in _CONGESTION:
        return CallOutcome.CONGESTION
    if hangup_cause in _CANCELLED:
        return CallOutcome.CANCELLED
    return CallOutcome.FAILED
