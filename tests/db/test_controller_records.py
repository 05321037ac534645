"""The controller writes each agent state record once, in order, however many flushes overlap
(a state change and the retry loop both flush)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.ari.controller import AgentController
from asterisk_cc.ari.store import DatabaseAgentStore
from asterisk_cc.core import agents as fsm
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.db.models import Agent, AgentStateChange

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_overlapping_flushes_write_every_record_exactly_once(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        agent = Agent(login="7001", name="Flush Test")
        session.add(agent)
        session.flush()
        agent_id = agent.id
    # Only the store is used by flushing: no ARI, no AMI.
    controller = AgentController(
        cast(Any, None), DatabaseAgentStore(sqlite_engine), cast(Any, None)
    )
    states = [AgentState.READY, AgentState.RINGING, AgentState.TALKING, AgentState.WRAP_UP]
    expected = []
    for n in range(40):
        record = fsm.RecordState(states[n % 4], T0 + timedelta(seconds=n))
        controller._unwritten.append((agent_id, record, None))
        expected.append((record.state, record.at))

    async def overlapping() -> None:
        await asyncio.gather(*(controller.flush_records() for _ in range(4)))

    asyncio.run(overlapping())
    with Session(sqlite_engine) as session:
        rows = session.scalars(
            select(AgentStateChange)
            .where(AgentStateChange.agent_id == agent_id)
            .order_by(AgentStateChange.id)
        )
        assert [(row.state, row.at) for row in rows] == expected
    assert controller.stats.pending_records == 0
