"""A contact centre's database at full size, for the dashboard's load benchmark (web_load.py).

:func:`seed_database` migrates a fresh database (the project's migrations) and bulk-inserts
``calls`` calls spread over the ``days`` days before ``now`` (an arrival shape with a morning
and an afternoon peak in the site's time zone; today's calls up to ``now``), each as the pages
read it:

* ``queue_calls`` (one visit per call: answered, abandoned, timed out, exited by key...),
* ``interactions`` (one per call, agent, queue, customer for most; a recording for a third of
  the answered), and ``cdr_records`` (one per call);

and around them what the other pages list: 200 agents in 10 teams with their state changes
(a shift a day: log-in, lunch pause, log-out), 5 queues with their targets, 20,000 customers,
3 campaigns with ``calls / 10`` leads and ``calls / 5`` dial attempts, ``calls / 200``
complaint tickets and callback requests, a QA scorecard with ``calls / 500`` evaluations, and
alerts (3 active). Dashboard users are not made here: web_load.py adds them with
``asterisk-cc user add``, as an administrator would.

Rows go in with SQLAlchemy Core ``executemany`` in batches, in time order (so row order is
time order, as in a real database), through the project's column types: the same script seeds
SQLite or PostgreSQL. Deterministic for a ``--seed``.

Run alone (web_load.py calls it)::

    .venv/bin/python bench/web_seed.py --db sqlite:////tmp/web.sqlite3 --calls 100000
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from sqlalchemy import Engine, Table, func, select  # noqa: E402

from asterisk_cc.config import DatabaseSettings  # noqa: E402
from asterisk_cc.db import models as m  # noqa: E402
from asterisk_cc.db.engine import make_engine  # noqa: E402
from asterisk_cc.db.migrate import upgrade  # noqa: E402

AGENT_COUNT = 200
FIRST_AGENT_LOGIN = 1001
TEAM_COUNT = 10
CUSTOMER_COUNT = 20_000
BATCH = 20_000
TIMEZONE = "Asia/Shanghai"

# Queue name, share of calls, service-level threshold (s), target ratio.
QUEUES: tuple[tuple[str, float, int, float], ...] = (
    ("support", 0.40, 20, 0.80),
    ("sales", 0.25, 15, 0.85),
    ("billing", 0.20, 30, 0.80),
    ("vip", 0.08, 10, 0.90),
    ("general", 0.07, 60, 0.70),
)
# Relative arrivals per local hour 0..23 (as queue_log_synth's day).
HOURLY_SHAPE = (
    0.6,
    0.4,
    0.3,
    0.3,
    0.3,
    0.5,
    1.0,
    2.0,
    4.0,
    6.0,
    7.0,
    6.5,
    5.0,
    5.5,
    6.5,
    6.0,
    5.0,
    4.0,
    3.0,
    2.5,
    2.0,
    1.6,
    1.2,
    0.9,
)
# How a visit ends (the rest are answered).
OUTCOMES = (("abandoned", 0.07), ("timeout", 0.03), ("exit_key", 0.01), ("exit_empty", 0.005))
DISPOSITIONS = ("resolved", "follow_up", "sale", "no_sale", "complaint", "information")
TICKET_STATES = ("received", "confirmed", "planned", "executing", "follow_up", "closed")
CALLBACK_STATES = ("pending", "scheduled", "in_progress", "done", "failed", "cancelled")
LEAD_STATES = ("pending", "pending", "pending", "done", "exhausted", "dnc", "invalid")
ATTEMPT_OUTCOMES = ("human", "human", "machine", "no_answer", "no_answer", "busy", "congestion")


@dataclass(frozen=True)
class SeedReport:
    calls: int
    rows: dict[str, int]
    elapsed_s: dict[str, float]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_s(self) -> float:
        return sum(self.elapsed_s.values())


def agent_logins() -> list[str]:
    return [str(FIRST_AGENT_LOGIN + n) for n in range(AGENT_COUNT)]


def _batched(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(engine: Engine, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """Insert ``rows`` in batches, one transaction per batch; the count."""
    count = 0
    for batch in _batched(rows):
        with engine.begin() as connection:
            connection.execute(table.insert(), batch)
        count += len(batch)
    return count


def _ids(engine: Engine, table: Table) -> list[int]:
    with engine.connect() as connection:
        return list(connection.scalars(select(table.c.id).order_by(table.c.id)))


class Arrivals:
    """Call start times over the ``days`` local days before ``now`` (today's up to ``now``),
    with the hourly shape: drawn per local hour, so today holds exactly its share."""

    def __init__(self, now: datetime, days: int, zone: ZoneInfo) -> None:
        self.now = now
        self.zone = zone
        today = now.astimezone(zone).date()
        self.hours: list[tuple[datetime, float]] = []
        for day_offset in range(days - 1, -1, -1):
            day = today - timedelta(days=day_offset)
            for hour, weight in enumerate(HOURLY_SHAPE):
                start = datetime.combine(day, clock(hour), zone).astimezone(UTC)
                if start >= now:
                    break
                part = min(1.0, (now - start).total_seconds() / 3600)
                self.hours.append((start, weight * part))
        self.total = sum(weight for _, weight in self.hours)

    def times(self, calls: int, rng: random.Random) -> Iterator[datetime]:
        """``calls`` start times in order."""
        made = 0
        remainder = 0.0
        for index, (start, weight) in enumerate(self.hours):
            exact = calls * weight / self.total + remainder
            count = int(exact) if index < len(self.hours) - 1 else calls - made
            remainder = exact - count
            limit = min(3600.0, (self.now - start).total_seconds())
            offsets = sorted(rng.uniform(0, limit) for _ in range(count))
            for offset in offsets:
                yield start + timedelta(seconds=offset)
            made += count


@dataclass(frozen=True)
class Call:
    n: int
    queue: str
    queue_id: int
    entered_at: datetime
    outcome: str
    wait_s: int
    talk_s: int | None
    agent_index: int | None
    customer_id: int | None
    caller: str

    @property
    def callid(self) -> str:
        return f"1700000000.{self.n}"

    @property
    def answered_at(self) -> datetime | None:
        if self.outcome != "answered":
            return None
        return self.entered_at + timedelta(seconds=self.wait_s)

    @property
    def ended_at(self) -> datetime:
        return self.entered_at + timedelta(seconds=self.wait_s + (self.talk_s or 0))


def _draw_call(
    n: int,
    entered_at: datetime,
    rng: random.Random,
    queue_ids: dict[str, int],
    customer_ids: Sequence[int],
) -> Call:
    queue = rng.choices([q[0] for q in QUEUES], weights=[q[1] for q in QUEUES])[0]
    roll = rng.random()
    outcome = "answered"
    for name, share in OUTCOMES:
        if roll < share:
            outcome = name
            break
        roll -= share
    wait_s = int(rng.expovariate(1 / 25)) if outcome == "answered" else int(rng.uniform(2, 150))
    talk_s = int(rng.lognormvariate(5.2, 0.6)) if outcome == "answered" else None
    agent_index = rng.randrange(AGENT_COUNT) if outcome == "answered" else None
    customer_id = rng.choice(customer_ids) if customer_ids and rng.random() < 0.6 else None
    caller = f"0138{rng.randrange(10**7):07d}"
    return Call(
        n,
        queue,
        queue_ids[queue],
        entered_at,
        outcome,
        wait_s,
        talk_s,
        agent_index,
        customer_id,
        caller,
    )


def _calls(
    count: int,
    arrivals: Arrivals,
    rng: random.Random,
    queue_ids: dict[str, int],
    customer_ids: Sequence[int],
) -> Iterator[Call]:
    for n, entered_at in enumerate(arrivals.times(count, rng), 1):
        yield _draw_call(n, entered_at, rng, queue_ids, customer_ids)


def _queue_call_row(call: Call, logins: Sequence[str]) -> dict[str, Any]:
    return {
        "callid": call.callid,
        "queue": call.queue,
        "entered_at": call.entered_at,
        "ended_at": call.ended_at,
        "outcome": call.outcome,
        "wait_s": float(call.wait_s),
        "talk_s": float(call.talk_s) if call.talk_s is not None else None,
        "agent": logins[call.agent_index] if call.agent_index is not None else None,
        "caller_number": call.caller,
        "entry_position": 1 + call.n % 7,
        "ring_no_answer": 1 if call.n % 5 == 0 else 0,
        "transferred": False,
        "transfer_target": None,
        "exit_key": "1" if call.outcome == "exit_key" else None,
    }


def _interaction_row(call: Call, agent_ids: Sequence[int], tiers: dict[int, str]) -> dict[str, Any]:
    answered = call.outcome == "answered"
    recorded = answered and call.n % 3 == 0
    return {
        "uniqueid": call.callid,
        "linkedid": call.callid,
        "direction": "inbound",
        "customer_id": call.customer_id,
        "customer_tier": tiers.get(call.customer_id) if call.customer_id else None,
        "agent_id": agent_ids[call.agent_index] if call.agent_index is not None else None,
        "queue_id": call.queue_id,
        "campaign_id": None,
        "caller_number": call.caller,
        "caller_e164": "+86" + call.caller[1:],
        "called_number": "4008001234",
        "started_at": call.entered_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "wait_s": call.wait_s,
        "talk_s": call.talk_s,
        "hold_s": 0 if answered else None,
        "wrapup_s": 10 + call.n % 40 if answered else None,
        "end_reason": "caller" if call.n % 2 else "agent",
        "disposition": DISPOSITIONS[call.n % len(DISPOSITIONS)] if answered else None,
        "recording_ref": f"bench/{call.entered_at:%Y/%m/%d}/{call.callid}.wav"
        if recorded
        else None,
        "transferred": False,
    }


def _cdr_row(call: Call, logins: Sequence[str]) -> dict[str, Any]:
    answered = call.outcome == "answered"
    agent = logins[call.agent_index] if call.agent_index is not None else None
    duration = call.wait_s + (call.talk_s or 0)
    return {
        "row_hash": hashlib.blake2b(call.callid.encode(), digest_size=16).hexdigest(),
        "source": "bench",
        "accountcode": None,
        "src": call.caller,
        "dst": call.queue,
        "dcontext": "asterisk-cc-queue",
        "clid": f'"{call.caller}" <{call.caller}>',
        "channel": f"PJSIP/trunk-{call.n:08x}",
        "dstchannel": f"Local/{call.queue}.{agent}@asterisk-cc-agent" if agent else None,
        "lastapp": "Queue",
        "lastdata": call.queue,
        "start_at": call.entered_at,
        "answer_at": call.answered_at,
        "end_at": call.ended_at,
        "duration_s": duration,
        "billsec_s": call.talk_s or 0,
        "disposition": "ANSWERED" if answered else "NO ANSWER",
        "amaflags": "DOCUMENTATION",
        "uniqueid": call.callid,
        "userfield": None,
        "peeraccount": None,
        "linkedid": call.callid,
        "sequence": call.n % 100_000,
    }


# --- the set-up: teams, agents, queues, customers --------------------------------------------


def _seed_setup(engine: Engine, rng: random.Random) -> dict[str, Any]:
    T = {name: model.__table__ for name, model in _MODELS.items()}
    _insert(
        engine,
        T["teams"],
        iter({"name": f"Team {n + 1}", "description": None} for n in range(TEAM_COUNT)),
    )
    team_ids = _ids(engine, T["teams"])
    logins = agent_logins()
    _insert(
        engine,
        T["agents"],
        iter(
            {
                "login": login,
                "name": f"Agent {login}",
                "team_id": team_ids[n % TEAM_COUNT],
                "interface": f"PJSIP/{login}",
                "active": True,
                "pin_hash": None,
            }
            for n, login in enumerate(logins)
        ),
    )
    agent_ids = _ids(engine, T["agents"])
    _insert(
        engine,
        T["queues"],
        iter(
            {
                "name": name,
                "display_name": name.capitalize(),
                "service_level_threshold_s": threshold,
                "service_level_target_ratio": target,
                "short_abandon_s": 5,
                "wrapup_limit_s": 30,
                "language": None,
                "active": True,
                "recording": "all",
            }
            for name, _share, threshold, target in QUEUES
        ),
    )
    with engine.connect() as connection:
        queue_ids = dict(connection.execute(select(T["queues"].c.name, T["queues"].c.id)).all())
    tiers = ("standard",) * 7 + ("gold",) * 2 + ("vip",)
    _insert(
        engine,
        T["customers"],
        iter(
            {
                "name": f"Customer {n}",
                "account_number": f"AC{n:08d}",
                "tier": tiers[n % len(tiers)],
                "language": "zh" if n % 4 else "en",
                "timezone": TIMEZONE,
                "email": None,
                "notes": None,
                "attributes": {"segment": "retail" if n % 3 else "smb"},
            }
            for n in range(1, CUSTOMER_COUNT + 1)
        ),
    )
    customer_ids = _ids(engine, T["customers"])
    _insert(
        engine,
        T["customer_phones"],
        iter(
            {"customer_id": cid, "phone_e164": f"+86139{cid:08d}", "label": "mobile"}
            for cid in customer_ids
        ),
    )
    with engine.connect() as connection:
        customer_tiers = dict(
            connection.execute(select(T["customers"].c.id, T["customers"].c.tier)).all()
        )
    return {
        "team_ids": team_ids,
        "agent_ids": agent_ids,
        "logins": logins,
        "queue_ids": queue_ids,
        "customer_ids": customer_ids,
        "tiers": {cid: str(getattr(tier, "value", tier)) for cid, tier in customer_tiers.items()},
    }


# --- the calls ---------------------------------------------------------------------------------


def _seed_calls(
    engine: Engine, setup: dict[str, Any], calls: int, arrivals: Arrivals, seed: int
) -> dict[str, int]:
    """The three tables of calls, each from the same deterministic stream of calls."""
    rows = {}
    logins, agent_ids, tiers = setup["logins"], setup["agent_ids"], setup["tiers"]

    def stream() -> Iterator[Call]:
        return _calls(
            calls, arrivals, random.Random(seed), setup["queue_ids"], setup["customer_ids"]
        )

    rows["queue_calls"] = _insert(
        engine, m.QueueCall.__table__, (_queue_call_row(c, logins) for c in stream())
    )
    rows["interactions"] = _insert(
        engine,
        m.Interaction.__table__,
        (_interaction_row(c, agent_ids, tiers) for c in stream()),
    )
    rows["cdr_records"] = _insert(
        engine, m.CdrRecord.__table__, (_cdr_row(c, logins) for c in stream())
    )
    return rows


def _seed_agent_states(
    engine: Engine, setup: dict[str, Any], now: datetime, days: int, rng: random.Random
) -> int:
    """A shift a day per agent: log-in about 09:00, lunch pause at noon, log-out about 18:00
    (local); today's stop at ``now``."""
    zone = ZoneInfo(TIMEZONE)
    today = now.astimezone(zone).date()

    def rows() -> Iterator[dict[str, Any]]:
        for day_offset in range(days - 1, -1, -1):
            day = today - timedelta(days=day_offset)
            changes: list[dict[str, Any]] = []
            for agent_id in setup["agent_ids"]:
                shift = _shift(day, zone, rng)
                for at, state, reason in shift:
                    if at < now:
                        changes.append(
                            {
                                "agent_id": agent_id,
                                "state": state,
                                "reason": reason,
                                "at": at,
                                "queue_id": None,
                                "interaction_id": None,
                            }
                        )
            changes.sort(key=lambda row: row["at"])
            yield from changes

    return _insert(engine, m.AgentStateChange.__table__, rows())


def _shift(day: date, zone: ZoneInfo, rng: random.Random) -> list[tuple[datetime, str, str | None]]:
    def at(hour: float) -> datetime:
        local = datetime.combine(day, clock(0), zone) + timedelta(hours=hour)
        return local.astimezone(UTC)

    start = 8.5 + rng.random()
    lunch = 12 + rng.random()
    return [
        (at(start), "ready", None),
        (at(lunch), "paused", "lunch"),
        (at(lunch + 0.75), "ready", None),
        (at(15 + rng.random()), "paused", "break"),
        (at(15.3 + rng.random()), "ready", None),
        (at(17.5 + rng.random()), "logged_out", "logout"),
    ]


# --- campaigns, leads, attempts ---------------------------------------------------------------


def _seed_campaigns(
    engine: Engine, setup: dict[str, Any], calls: int, now: datetime, rng: random.Random
) -> dict[str, int]:
    T = m.Campaign.__table__
    modes = (
        ("Spring renewals", "preview"),
        ("Card upgrade", "progressive"),
        ("Win-back", "predictive"),
    )
    _insert(
        engine,
        T,
        iter(
            {
                "name": name,
                "dial_mode": mode,
                "status": "active" if n < 2 else "paused",
                "queue_id": setup["queue_ids"]["sales"],
                "caller_id": "4008001234",
                "timezone": TIMEZONE,
                "retry_delays_s": {"busy": 900, "no_answer": 3600},
                "amd_options": {},
                "holidays": [],
            }
            for n, (name, mode) in enumerate(modes)
        ),
    )
    campaign_ids = _ids(engine, T)
    lead_count = max(3, calls // 10)
    rows = {"campaigns": len(campaign_ids)}

    def leads() -> Iterator[dict[str, Any]]:
        for n in range(lead_count):
            status = LEAD_STATES[n % len(LEAD_STATES)]
            yield {
                "campaign_id": campaign_ids[n % len(campaign_ids)],
                "customer_id": None,
                "external_ref": f"L{n:08d}",
                "fields": {"name": f"Lead {n}", "product": "card"},
                "timezone": TIMEZONE,
                "status": status,
                "attempts": 0 if status == "pending" else 1 + n % 3,
                "next_attempt_at": now + timedelta(minutes=n % 600),
                "last_attempt_at": None,
                "last_outcome": None,
                "disposition": None,
                "locked_by": None,
                "locked_at": None,
            }

    rows["leads"] = _insert(engine, m.Lead.__table__, leads())
    lead_ids = _ids(engine, m.Lead.__table__)
    rows["lead_phones"] = _insert(
        engine,
        m.LeadPhone.__table__,
        iter(
            {"lead_id": lid, "phone_e164": f"+86137{lid:08d}", "label": "mobile", "position": 0}
            for lid in lead_ids
        ),
    )
    attempt_count = max(3, calls // 5)
    start = now - timedelta(days=14)
    span = (now - start).total_seconds()

    def attempts() -> Iterator[dict[str, Any]]:
        offsets = sorted(rng.uniform(0, span) for _ in range(attempt_count))
        for n, offset in enumerate(offsets):
            lead_index = rng.randrange(len(lead_ids))
            started = start + timedelta(seconds=offset)
            outcome = ATTEMPT_OUTCOMES[n % len(ATTEMPT_OUTCOMES)]
            answered = outcome in ("human", "machine")
            abandoned = outcome == "human" and n % 40 == 0
            yield {
                "campaign_id": campaign_ids[lead_index % len(campaign_ids)],
                "lead_id": lead_ids[lead_index],
                "lead_phone_id": None,
                "phone_e164": f"+86137{lead_ids[lead_index]:08d}",
                "dialer_id": "bench",
                "agent_id": setup["agent_ids"][n % AGENT_COUNT]
                if outcome == "human" and not abandoned
                else None,
                "interaction_id": None,
                "channel_id": None,
                "started_at": started,
                "answered_at": started + timedelta(seconds=8) if answered else None,
                "connected_at": started + timedelta(seconds=9)
                if outcome == "human" and not abandoned
                else None,
                "ended_at": started + timedelta(seconds=60),
                "outcome": outcome,
                "amd_result": "MACHINE" if outcome == "machine" else None,
                "amd_cause": None,
                "hangup_cause": 16,
                "abandoned": abandoned,
                "disposition": None,
            }

    rows["call_attempts"] = _insert(engine, m.CallAttempt.__table__, attempts())
    return rows


# --- after the call: complaints, callbacks, QA, alerts ---------------------------------------


def _seed_follow_ups(
    engine: Engine, setup: dict[str, Any], calls: int, now: datetime, days: int
) -> dict[str, int]:
    rows = {}
    count = max(10, calls // 200)
    span = timedelta(days=days)
    customers, agents = setup["customer_ids"], setup["agent_ids"]

    def received(n: int) -> datetime:
        return now - span + span * (n / count)

    def tickets() -> Iterator[dict[str, Any]]:
        for n in range(count):
            state = TICKET_STATES[n % len(TICKET_STATES)] if n < count * 0.9 else "closed"
            at = received(n)
            yield {
                "state": state,
                "customer_id": customers[n % len(customers)],
                "owner_agent_id": agents[n % AGENT_COUNT] if n % 3 else None,
                "interaction_id": None,
                "caller_e164": f"+86139{customers[n % len(customers)]:08d}",
                "category": ("billing", "service", "product")[n % 3],
                "description": f"Complaint {n}: the bill was wrong",
                "resolution": "refunded" if state == "closed" else None,
                "recording_ref": None,
                "received_at": at,
                "due_at": at + timedelta(days=3),
                "closed_at": at + timedelta(days=2) if state == "closed" else None,
                "reopen_count": 0,
            }

    rows["complaint_tickets"] = _insert(engine, m.ComplaintTicket.__table__, tickets())
    ticket_ids = _ids(engine, m.ComplaintTicket.__table__)
    rows["ticket_events"] = _insert(
        engine,
        m.TicketEvent.__table__,
        iter(
            {
                "ticket_id": tid,
                "at": received(n),
                "from_state": None,
                "to_state": "received",
                "user_id": None,
                "note": "received by phone",
            }
            for n, tid in enumerate(ticket_ids)
        ),
    )

    def callbacks() -> Iterator[dict[str, Any]]:
        for n in range(count):
            status = CALLBACK_STATES[n % len(CALLBACK_STATES)]
            at = received(n)
            yield {
                "phone_e164": f"+86138{n:08d}",
                "customer_id": customers[n % len(customers)] if n % 2 else None,
                "queue_id": setup["queue_ids"]["support"],
                "interaction_id": None,
                "requested_at": at,
                "preferred_at": at + timedelta(hours=2) if n % 3 == 0 else None,
                "status": status,
                "attempts": n % 3,
                "last_attempt_at": None,
                "fulfilled_at": at + timedelta(hours=3) if status == "done" else None,
                "agent_id": agents[n % AGENT_COUNT] if status != "pending" else None,
                "note": None,
            }

    rows["callback_requests"] = _insert(engine, m.CallbackRequest.__table__, callbacks())
    rows.update(_seed_qa(engine, setup, calls, now))
    rows["alerts"] = _seed_alerts(engine, now)
    return rows


def _seed_qa(engine: Engine, setup: dict[str, Any], calls: int, now: datetime) -> dict[str, int]:
    _insert(
        engine,
        m.QaScorecard.__table__,
        iter(
            [
                {
                    "name": "Inbound standard",
                    "description": "Greeting to close",
                    "pass_score": 80,
                    "active": True,
                }
            ]
        ),
    )
    (scorecard_id,) = _ids(engine, m.QaScorecard.__table__)
    questions = ("Greeting", "Identity checked", "Need understood", "Resolution", "Close")
    _insert(
        engine,
        m.QaScorecardItem.__table__,
        iter(
            {
                "scorecard_id": scorecard_id,
                "position": n,
                "question": q,
                "weight": 1 + n % 2,
                "critical": q == "Identity checked",
            }
            for n, q in enumerate(questions)
        ),
    )
    item_ids = _ids(engine, m.QaScorecardItem.__table__)
    with engine.connect() as connection:
        recorded = list(
            connection.execute(
                select(m.Interaction.id, m.Interaction.agent_id, m.Interaction.started_at)
                .where(m.Interaction.recording_ref.is_not(None))
                .order_by(m.Interaction.id)
                .limit(max(5, calls // 500) * 3)
            ).all()
        )
    chosen = recorded[::3]
    count = _insert(
        engine,
        m.QaEvaluation.__table__,
        iter(
            {
                "scorecard_id": scorecard_id,
                "interaction_id": row.id,
                "agent_id": row.agent_id,
                "evaluator_user_id": None,
                "evaluated_at": row.started_at + timedelta(days=1),
                "answers": {
                    str(item): (1.0 if (n + i) % 5 else 0.5) for i, item in enumerate(item_ids)
                },
                "score": 70 + n % 30,
                "critical_failed": n % 25 == 0,
                "comment": "bench evaluation",
            }
            for n, row in enumerate(chosen)
            if row.agent_id is not None
        ),
    )
    return {"qa_evaluations": count}


def _seed_alerts(engine: Engine, now: datetime) -> int:
    def rows() -> Iterator[dict[str, Any]]:
        for n in range(50):
            raised = now - timedelta(hours=50 - n)
            active = n >= 47
            yield {
                "rule": ("service_level", "abandon_rate", "calls_waiting")[n % 3],
                "scope": QUEUES[n % len(QUEUES)][0],
                "severity": "warning" if n % 2 else "critical",
                "raised_at": raised,
                "cleared_at": None if active else raised + timedelta(minutes=20),
                "value": 0.6,
                "threshold": 0.8,
                "message": f"Alert {n}",
                "notified_at": raised,
                "notifications": 1,
            }

    return _insert(engine, m.Alert.__table__, rows())


_MODELS = {
    "teams": m.Team,
    "agents": m.Agent,
    "queues": m.Queue,
    "customers": m.Customer,
    "customer_phones": m.CustomerPhone,
}


def seed_database(
    url: str,
    *,
    calls: int,
    days: int = 60,
    now: datetime | None = None,
    seed: int = 7,
    progress: Callable[[str], None] = lambda _text: None,
) -> SeedReport:
    """Migrate the fresh database at ``url`` and fill it; rows per table and seconds per step."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    engine = make_engine(DatabaseSettings(url=url))
    rows: dict[str, int] = {}
    elapsed: dict[str, float] = {}
    try:

        def step(name: str, action: Callable[[], Any]) -> Any:
            started = time.perf_counter()
            progress(f"seeding {name}...")
            result = action()
            elapsed[name] = time.perf_counter() - started
            return result

        step("schema", lambda: upgrade(engine))
        setup = step("set-up", lambda: _seed_setup(engine, rng))
        rows.update({"agents": AGENT_COUNT, "customers": len(setup["customer_ids"])})
        arrivals = Arrivals(now, days, ZoneInfo(TIMEZONE))
        rows.update(step("calls", lambda: _seed_calls(engine, setup, calls, arrivals, seed)))
        rows["agent_state_changes"] = step(
            "agent states", lambda: _seed_agent_states(engine, setup, now, days, rng)
        )
        rows.update(step("campaigns", lambda: _seed_campaigns(engine, setup, calls, now, rng)))
        rows.update(step("follow-ups", lambda: _seed_follow_ups(engine, setup, calls, now, days)))
        if engine.dialect.name == "sqlite":
            step("analyse", lambda: _analyse_sqlite(engine))
        else:
            step("analyse", lambda: _analyse_postgres(engine))
    finally:
        engine.dispose()
    return SeedReport(calls=calls, rows=rows, elapsed_s=elapsed)


def _analyse_sqlite(engine: Engine) -> None:
    """Statistics for the query planner, as a site's periodic ``ANALYZE`` would leave them."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _analyse_postgres(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def count_rows(url: str, tables: Sequence[str]) -> dict[str, int]:
    engine = make_engine(DatabaseSettings(url=url))
    try:
        with engine.connect() as connection:
            return {
                name: int(
                    connection.scalar(
                        select(func.count()).select_from(m.Base.metadata.tables[name])
                    )
                    or 0
                )
                for name in tables
            }
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="URL of a fresh database")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report = seed_database(
        args.db, calls=args.calls, days=args.days, seed=args.seed, progress=print
    )
    for name, count in report.rows.items():
        print(f"{name:22} {count:>10,}")
    for name, seconds in report.elapsed_s.items():
        print(f"{name:22} {seconds:>9.1f} s")
    print(f"{'total':22} {report.total_rows:>10,} rows in {report.total_s:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
