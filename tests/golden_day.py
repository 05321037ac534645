"""The golden queue_log day (tests/golden/queue_log_day) and the records the daily pack reads
beside it, for the tests that build reports over it (database and dashboard)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from asterisk_cc.core.customers import Tier
from asterisk_cc.db.models import Agent, Customer, Interaction, IvrSession, Queue, Team

GOLDEN = Path(__file__).parent / "golden" / "queue_log_day"
DAY = date(2026, 11, 22)
MIDNIGHT = datetime(2026, 11, 22, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """``seconds`` after the golden day's midnight (UTC)."""
    return MIDNIGHT + timedelta(seconds=seconds)


def add_golden_records(session: Session) -> Interaction:
    """Four agents of team Blue, the support queue's targets, a VIP caller (c1) identified by
    the IVR, and c1's measured hold (15 s) and wrap-up (20 s); → c1's interaction."""
    team = Team(name="Blue")
    session.add(team)
    session.flush()
    for login in ("Agent A", "Agent B", "Agent C", "Agent D"):
        session.add(Agent(login=login, name=f"Name of {login}", team_id=team.id))
    session.add(
        Queue(
            name="support",
            service_level_threshold_s=20,
            short_abandon_s=5,
            service_level_target_ratio=0.8,
        )
    )
    vip = Customer(name="V. I. P.", tier=Tier.VIP)
    session.add(vip)
    session.flush()
    session.add(
        IvrSession(
            uniqueid="c1",
            linkedid="c1",
            flow="main",
            customer_id=vip.id,
            path=["welcome", "main", "queue"],
            outcome="queued",
            started_at=at(90),
        )
    )
    interaction = Interaction(
        uniqueid="c1",
        linkedid="c1",
        direction="inbound",
        started_at=at(100),
        answered_at=at(110),
        ended_at=at(170),
        hold_s=15,
        wrapup_s=20,
    )
    session.add(interaction)
    session.flush()
    return interaction
