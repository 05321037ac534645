"""Does the report agree with the traffic the demo made? Pure comparisons of two tallies:
what the demo's callers, agents and leads did (counted by the demo as it acted) and what the
daily pack reports (counted from Asterisk's queue_log and the dialer's records by the
product's own ingestion and KPI code).

Each mismatch is a sentence naming the queue or campaign, the figure and both numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

__all__ = ["OutboundTally", "QueueTally", "compare_outbound", "compare_queues"]


@dataclass(frozen=True)
class QueueTally:
    """One queue's calls: every caller who entered it is offered; each offered call is
    answered, abandoned (the caller hung up while waiting, short or not) or timed out."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    timed_out: int = 0


@dataclass(frozen=True)
class OutboundTally:
    """A campaign's dial attempts by who or what was at the other end."""

    attempts: int = 0
    human: int = 0
    """A person answered."""
    machine: int = 0
    """An answering machine answered (told apart by AMD)."""
    unanswered: int = 0
    """Busy, no answer, or a number that does not exist."""
    without_outcome: int = 0
    """Attempts recorded with no result: there must be none once the dialer has stopped."""


def _differences(
    what: str, expected: object, reported: object, names: tuple[str, ...]
) -> list[str]:
    found = []
    for name in names:
        want, got = getattr(expected, name), getattr(reported, name)
        if want != got:
            found.append(f"{what}: {name} is {got} in the report, the demo made {want}")
    return found


def compare_queues(made: Mapping[str, QueueTally], reported: Mapping[str, QueueTally]) -> list[str]:
    """Queue by queue, every figure of ``made`` against ``reported``."""
    mismatches = []
    names = tuple(f.name for f in fields(QueueTally))
    for queue in sorted(set(made) | set(reported)):
        mismatches += _differences(
            f"queue {queue}",
            made.get(queue, QueueTally()),
            reported.get(queue, QueueTally()),
            names,
        )
    return mismatches


def compare_outbound(made: OutboundTally, reported: OutboundTally, campaign: str) -> list[str]:
    """The campaign's attempts made against those reported; none may lack an outcome."""
    mismatches = _differences(
        f"campaign {campaign}",
        made,
        reported,
        ("attempts", "human", "machine", "unanswered"),
    )
    if reported.without_outcome:
        mismatches.append(
            f"campaign {campaign}: {reported.without_outcome} dial attempts have no outcome"
        )
    return mismatches
