"""A campaign's abandoned calls in its regulatory window, counted as the pacing budgets them.

What the dialer knows about each answered call: it reached an agent (who may have heard a
person or an answering machine), AMD said who answered, or nobody took it within 2 s and
nobody knows who answered (a *drop*, on a campaign without AMD). The law counts abandoned
*people*, so drops must be estimated:

- **Ofcom campaigns** use Ofcom's own estimate (its 2010/2016 statements, Annex 3):
  ``D' = D × H / (H + AM)`` with H the people and AM the machines agents handled. It is the
  regulator's formula, and it over-states the true rate (drops hit early answerers, who are
  mostly people), so a campaign held to it dials more carefully.
- **FTC/FCC campaigns** count each drop as the probability that a person answered it, from
  its ring time (people answer after 6-10 s, machines after 18-22 s):
  :meth:`~asterisk_cc.core.dialer.pacing.PacingStats.live_share_of_drop`, a reasoned estimate.

Calls AMD took for machines include people it got wrong (its false positives): they are
abandoned people too, counted as ``false_positive_ratio`` of the machine verdicts.
``docs/dialer-pacing.md`` compares the two counts in the simulator.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from asterisk_cc.core.dialer.pacing import AbandonBudget, PacingStats, estimated_abandons

__all__ = ["AbandonTally"]


@dataclass
class AbandonTally:
    """What happened to the answered calls of one campaign in its window so far."""

    people_handled: int = 0
    """Answered calls an agent took that were people (H)."""
    machines_handled: int = 0
    """Answered calls an agent took that were answering machines (AM): no AMD, the agent
    heard the greeting and set the disposition ``answering_machine``."""
    known_abandons: int = 0
    """People (AMD said so) no agent took within 2 s."""
    machine_verdicts: int = 0
    """Calls AMD took for machines and hung up on (or left a message)."""
    drops: list[tuple[Hashable, float]] = field(default_factory=list)
    """Answered calls no agent took within 2 s, with no AMD verdict: (answer key, ring_s)."""

    def budget(
        self,
        stats: PacingStats,
        *,
        target_ratio: float,
        ofcom_formula: bool,
        false_positive_ratio: float = 0.0,
    ) -> AbandonBudget:
        """The pacing's budget: live answers and (estimated) abandons, with the variance of
        the estimate when drops are counted by ring time."""
        variance = 0.0
        if ofcom_formula:
            dropped_people = estimated_abandons(
                len(self.drops), self.people_handled, self.machines_handled
            )
        else:
            shares = [stats.live_share_of_drop(key, ring_s) for key, ring_s in self.drops]
            dropped_people = sum(shares)
            variance = sum(share * (1.0 - share) for share in shares)
        hidden = false_positive_ratio * self.machine_verdicts
        abandons = dropped_people + self.known_abandons + hidden
        return AbandonBudget(
            live_answers=self.people_handled + abandons,
            abandons=abandons,
            target_ratio=target_ratio,
            abandons_variance=variance,
        )
