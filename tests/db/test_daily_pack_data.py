"""The daily pack from the database: the golden queue_log day ingested into an empty database,
with the project's own records beside it, gives the hand-computed KPIs of
tests/unit/test_kpi_golden.py, per queue, agent, tier and interval."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from asterisk_cc.config import ReportsSettings, Settings, SiteSettings
from asterisk_cc.core.reports.pack import DailyPack, Rag
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import (
    Agent,
    CallbackRequest,
    ComplaintTicket,
    IvrSession,
    Schedule,
    SurveyAnswer,
)
from asterisk_cc.db.queue_calls import rebuild_queue_calls
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from asterisk_cc.reports.daily import build_day_pack
from tests.golden_day import DAY, GOLDEN, add_golden_records, at

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


@pytest.fixture
def pack(empty_engine: Engine, tmp_path: Path) -> DailyPack:
    upgrade(empty_engine)
    with Session(empty_engine) as session, session.begin():
        interaction = add_golden_records(session)
        agent_a = session.query(Agent).filter_by(login="Agent A").one()
        session.add(
            IvrSession(
                uniqueid="x1",
                linkedid="x1",
                flow="main",
                path=["welcome", "main"],
                outcome="abandoned",
                started_at=at(95),
            )
        )
        session.add(
            IvrSession(
                uniqueid="x2",
                linkedid="x2",
                flow="main",
                path=["welcome", "balance"],
                outcome="self_served",
                started_at=at(96),
            )
        )
        session.add(
            SurveyAnswer(
                interaction_id=interaction.id,
                agent_id=agent_a.id,
                question="overall",
                score=5,
                answered_at=at(200),
            )
        )
        session.add(
            ComplaintTicket(
                description="late delivery",
                received_at=at(3000),
                due_at=at(40000),
                category="delivery",
            )
        )
        session.add(CallbackRequest(phone_e164="+8613800000001", requested_at=at(5000)))
        session.add(Schedule(agent_id=agent_a.id, starts_at=at(60), ends_at=at(8 * 3600)))
        ingest_queue_log_file(session, GOLDEN, NOW, name="golden")
        rebuild_queue_calls(session)
    settings = Settings(site=SiteSettings(timezone="UTC"), reports=ReportsSettings(interval_min=60))
    with Session(empty_engine) as session:
        return build_day_pack(session, settings, DAY, NOW)


def test_headline_is_the_hand_computed_day(pack: DailyPack) -> None:
    value = pack.headline_value
    assert (value("offered"), value("answered")) == (12, 7)
    assert value("service_level") == pytest.approx(4 / 12)
    assert value("abandon_rate") == pytest.approx(1 / 11)
    # c1's hold (15) and wrap-up (20) were measured by the ARI controller: AHT includes them
    assert value("aht_s") == pytest.approx((500 + 15 + 20) / 7)
    assert value("csat") == 5
    assert value("ivr_containment") == pytest.approx(1 / 3)
    sl = next(h for h in pack.headline if h.key == "service_level")
    assert sl.target == pytest.approx(0.8)
    assert sl.status is Rag.RED
    assert value("attendance_rate") == 1.0  # Agent A was logged in (ADDMEMBER 00:00) on time


def test_tables_break_the_day_down(pack: DailyPack) -> None:
    queues = pack.table("queues")
    assert queues is not None
    rows = {row[0]: row for row in queues.rows}
    assert rows["support"][1:3] == (12, 6)  # visits: offered, answered
    assert rows["sales"][1:3] == (1, 1)
    assert queues.total is not None and queues.total[1:3] == (12, 7)  # calls, not visits
    agents = pack.table("agents")
    assert agents is not None
    agent_a = next(row for row in agents.rows if row[0] == "Name of Agent A")
    assert agent_a[1] == "Blue"
    assert agent_a[2] == 3  # c1, c6, c8
    # ADDMEMBER at 00:00 and never removed: staffed all day; talking 60 + 40 + 30 s
    assert agent_a[9] == 86400
    assert agent_a[11] == pytest.approx(130 / 86400)
    agent_c = next(row for row in agents.rows if row[0] == "Name of Agent C")
    assert (agent_a[8], agent_c[8]) == (0, 1)  # C let c3 ring out (RINGNOANSWER names C)
    tiers = {row[0]: row for row in pack.table("tiers").rows}  # type: ignore[union-attr]
    assert tiers["vip"][1:3] == (1, 1)
    assert tiers["unknown"][1] == 11
    funnel = {row[0]: row for row in pack.table("ivr_funnel").rows}  # type: ignore[union-attr]
    assert funnel["welcome"][1:3] == (3, 0)
    assert funnel["main"][1:3] == (2, 1)
    assert len(pack.table("complaints_due").rows) == 1  # type: ignore[union-attr]
    assert len(pack.table("callbacks_due").rows) == 1  # type: ignore[union-attr]


def test_intervals_cover_the_day_and_sum_to_it(pack: DailyPack) -> None:
    assert len(pack.intervals) == 24
    assert sum(row.offered for row in pack.intervals) == 12
    first = pack.intervals[0]
    assert first.offered == 11  # all but c11 (23:59:50)
    assert pack.intervals[-1].offered == 1
