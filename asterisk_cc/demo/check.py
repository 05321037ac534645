"""What the product recorded about the demo's traffic, read back for the comparison with what
the demo made (:mod:`asterisk_cc.core.demo_check`): the daily pack's queue figures (built by
the product's own ingestion and KPI code from Asterisk's queue_log), the dialer's attempts, and
the agents' states at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.core.demo_check import OutboundTally, QueueTally
from asterisk_cc.core.reports.pack import DailyPack, Table
from asterisk_cc.core.vocabulary import CallOutcome
from asterisk_cc.db.models import CallAttempt, Campaign

# The sandbox's scripted customers (asterisk_cc.sandbox.render.customer_number): the fourth
# digit from the end says what the customer does.
KIND_BY_CODE: dict[str, str] = {
    "1": "human",
    "2": "unanswered",
    "3": "unanswered",
    "4": "machine",
    "6": "unanswered",
}
OUTCOME_CLASS: dict[CallOutcome, str] = {
    CallOutcome.HUMAN: "human",
    CallOutcome.MACHINE: "machine",
    CallOutcome.BUSY: "unanswered",
    CallOutcome.NO_ANSWER: "unanswered",
    CallOutcome.CONGESTION: "unanswered",
    CallOutcome.INVALID_NUMBER: "unanswered",
    CallOutcome.FAILED: "unanswered",
}


def _column(table: Table, key: str) -> int:
    return [column.key for column in table.columns].index(key)


def pack_queue_tallies(packs: Iterable[DailyPack]) -> dict[str, QueueTally]:
    """The queues table of the packs (one per day the demo touched), summed per queue."""
    sums: dict[str, Counter[str]] = {}
    for pack in packs:
        table = pack.table("queues")
        if table is None:
            continue
        at = {key: _column(table, key) for key in ("queue", "offered", "answered")}
        at |= {key: _column(table, key) for key in ("abandoned", "short_abandoned", "timed_out")}
        for row in table.rows:
            counts = sums.setdefault(str(row[at["queue"]]), Counter())
            counts["offered"] += int(row[at["offered"]] or 0)
            counts["answered"] += int(row[at["answered"]] or 0)
            # A caller who gives up is an abandon, however soon: short abandons count too.
            counts["abandoned"] += int(row[at["abandoned"]] or 0)
            counts["abandoned"] += int(row[at["short_abandoned"]] or 0)
            counts["timed_out"] += int(row[at["timed_out"]] or 0)
    return {queue: QueueTally(**dict(counts)) for queue, counts in sums.items()}


def pack_campaign_attempts(packs: Iterable[DailyPack], campaign: str) -> int:
    total = 0
    for pack in packs:
        table = pack.table("campaigns")
        if table is None:
            continue
        name_at, attempts_at = _column(table, "campaign"), _column(table, "outbound_attempts")
        total += sum(int(row[attempts_at] or 0) for row in table.rows if row[name_at] == campaign)
    return total


def outbound_tallies(
    session: Session, campaign: str, since: datetime
) -> tuple[OutboundTally, OutboundTally]:
    """(made, recorded) for the campaign's attempts since ``since``: *made* by what the
    number's scripted customer does (the demo's leads), *recorded* by the dialer's outcome."""
    rows = session.execute(
        select(CallAttempt.phone_e164, CallAttempt.outcome)
        .join(Campaign, Campaign.id == CallAttempt.campaign_id)
        .where(Campaign.name == campaign, CallAttempt.started_at >= since)
    ).all()
    made: Counter[str] = Counter()
    recorded: Counter[str] = Counter()
    for phone, outcome in rows:
        if outcome is not None and CallOutcome(outcome) is CallOutcome.CANCELLED:
            continue  # the dialer withdrew it before it rang (the campaign was stopped)
        made["attempts"] += 1
        made[KIND_BY_CODE.get(phone[-4], "unanswered")] += 1
        recorded["attempts"] += 1
        if outcome is None:
            recorded["without_outcome"] += 1
        else:
            recorded[OUTCOME_CLASS[CallOutcome(outcome)]] += 1
    return OutboundTally(**made), OutboundTally(**recorded)


def stuck_agents(states: Mapping[str, str]) -> list[str]:
    """Agents the controller still holds after every phone was hung up."""
    return [f"agent {login} is still {state}" for login, state in sorted(states.items())]


def days_between(first: datetime, last: datetime) -> list[date]:
    """The site days from ``first`` to ``last`` (both aware, in the site's zone)."""
    days = [first.date()]
    while days[-1] < last.date():
        days.append(date.fromordinal(days[-1].toordinal() + 1))
    return days
