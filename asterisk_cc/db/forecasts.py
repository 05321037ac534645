"""The staffing forecast's data: interval history from ``queue_calls``, the schedule, the
queues' agents, and the stored forecast (``forecast_intervals``).

History is grouped in SQL, one query per past day: the database counts the visits of each
queue in each interval (seconds since the local day's start, integer-divided by the interval
length), so only a few thousand rows come back for a day of 100,000 calls. The local wall-clock
meaning of each interval index is :func:`~asterisk_cc.core.reports.forecast.day_intervals`'s,
so daylight-saving days come out right on SQLite (which knows no time zones) as on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from asterisk_cc.core.reports.forecast import (
    ForecastRow,
    IntervalHistory,
    QueueTarget,
    ShiftBlock,
    day_bounds,
)
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    ForecastInterval,
    Queue,
    QueueCall,
    QueueSkill,
    Schedule,
)

__all__ = [
    "DEFAULT_SL_TARGET_RATIO",
    "DEFAULT_SL_THRESHOLD_S",
    "forecast_between",
    "queue_agents",
    "queue_targets",
    "read_history",
    "read_schedule",
    "store_forecast",
]

DEFAULT_SL_THRESHOLD_S = 20.0
DEFAULT_SL_TARGET_RATIO = 0.8
"""The service-level goal of a queue that calls came to but that has no row in ``queues``."""

ANSWERED = "answered"
_ONE_DAY = timedelta(days=1)


def _epoch_s(session: Session, column: InstrumentedAttribute[datetime]) -> ColumnElement[int]:
    """Whole seconds since 1970 of a UTC time column, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.floor(extract("epoch", column)), BigInteger)


def queue_targets(session: Session, *, seen: Iterable[str] = ()) -> list[QueueTarget]:
    """Every active queue of ``queues`` with its service-level goal, plus the queues of
    ``seen`` (found in the calls) that have no row there (goal 20 s / 80 %), by name. A queue
    deactivated in ``queues`` stays out."""
    targets = {
        name: QueueTarget(name, float(threshold), float(ratio))
        for name, threshold, ratio in session.execute(
            select(
                Queue.name, Queue.service_level_threshold_s, Queue.service_level_target_ratio
            ).where(Queue.active.is_(True))
        )
    }
    known = set(session.scalars(select(Queue.name)))
    for name in seen:
        if name not in known and name not in targets:
            targets[name] = QueueTarget(name, DEFAULT_SL_THRESHOLD_S, DEFAULT_SL_TARGET_RATIO)
    return [targets[name] for name in sorted(targets)]


def read_history(
    session: Session,
    days: Iterable[date],
    zone: tzinfo,
    interval_s: int,
    *,
    queues: Sequence[str] | None = None,
) -> list[IntervalHistory]:
    """What each queue got in each interval of each local day of ``days`` (intervals with no
    call are absent): visits offered (every visit that entered, whatever its end), the
    answered ones whose talk time is known, and that talk time (hold included)."""
    epoch = _epoch_s(session, QueueCall.entered_at)
    answered_known = and_(QueueCall.outcome == ANSWERED, QueueCall.talk_s.is_not(None))
    history: list[IntervalHistory] = []
    for day in days:
        start, end = day_bounds(day, zone)
        bucket = ((epoch - int(start.timestamp())) // int(interval_s)).label("bucket")
        query = (
            select(
                QueueCall.queue,
                bucket,
                func.count(),
                func.sum(case((answered_known, 1), else_=0)),
                func.sum(case((answered_known, QueueCall.talk_s), else_=0.0)),
            )
            .where(QueueCall.entered_at >= start, QueueCall.entered_at < end)
            .group_by(QueueCall.queue, bucket)
        )
        if queues is not None:
            query = query.where(QueueCall.queue.in_(queues))
        for queue, index, offered, answered, handled_s in session.execute(query):
            history.append(
                IntervalHistory(
                    queue=queue,
                    day=day,
                    index=int(index),
                    offered_calls=int(offered),
                    answered_calls=int(answered or 0),
                    handled_s=float(handled_s or 0.0),
                )
            )
    return history


def read_schedule(session: Session, start: datetime, end: datetime) -> list[ShiftBlock]:
    """The schedule entries that overlap [start, end), as (agent id, starts_at, ends_at,
    activity)."""
    rows = session.execute(
        select(Schedule.agent_id, Schedule.starts_at, Schedule.ends_at, Schedule.activity).where(
            Schedule.starts_at < end, Schedule.ends_at > start
        )
    )
    return [
        (agent_id, starts_at, ends_at, activity) for agent_id, starts_at, ends_at, activity in rows
    ]


def queue_agents(session: Session) -> dict[str, frozenset[int]]:
    """The active agents (ids) who take each active queue's calls, by the rule the controller
    logs agents in with (:func:`asterisk_cc.db.agents.agent_profile`): at least one of the
    queue's skills at the skill's ``min_level``. A queue without skills has no entry."""
    rows = session.execute(
        select(Queue.name, AgentSkill.agent_id)
        .select_from(AgentSkill)
        .join(QueueSkill, QueueSkill.skill_id == AgentSkill.skill_id)
        .join(Queue, Queue.id == QueueSkill.queue_id)
        .join(Agent, Agent.id == AgentSkill.agent_id)
        .where(
            AgentSkill.level >= QueueSkill.min_level,
            Queue.active.is_(True),
            Agent.active.is_(True),
        )
        .distinct()
    )
    agents: dict[str, set[int]] = defaultdict(set)
    for name, agent_id in rows:
        agents[name].add(agent_id)
    return {name: frozenset(ids) for name, ids in agents.items()}


def store_forecast(
    session: Session,
    rows: Sequence[ForecastRow],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    queues: Iterable[str] | None = None,
) -> int:
    """Replace the stored forecast of [start, end) by ``rows``: of every queue, or only of
    ``queues`` (and those of ``rows``) when given. A re-run replaces, even when the interval
    length changed or a queue is no longer forecast. The caller commits; returns the rows
    written."""
    for row in rows:
        if not start <= row.interval_start < end:
            raise ValueError(
                f"forecast row of {row.queue!r} at {row.interval_start.isoformat()} is outside "
                f"[{start.isoformat()}, {end.isoformat()})"
            )
    replaced = delete(ForecastInterval).where(
        ForecastInterval.interval_start >= start, ForecastInterval.interval_start < end
    )
    if queues is not None:
        names = sorted(set(queues) | {row.queue for row in rows})
        replaced = replaced.where(ForecastInterval.queue.in_(names))
    session.execute(replaced)
    if rows:
        session.execute(
            insert(ForecastInterval),
            [
                {
                    "queue": row.queue,
                    "interval_start": row.interval_start,
                    "interval_s": row.interval_s,
                    "calls": row.calls,
                    "aht_s": row.aht_s,
                    "required_agents": row.required_agents,
                    "scheduled_agents": row.scheduled_agents,
                    "created_at": now,
                }
                for row in rows
            ],
        )
    return len(rows)


def forecast_between(
    session: Session, start: datetime, end: datetime, *, queues: Sequence[str] | None = None
) -> list[ForecastRow]:
    """The stored forecast intervals that overlap [start, end), by queue and time."""
    query = select(ForecastInterval).where(ForecastInterval.interval_start < end)
    if queues is not None:
        query = query.where(ForecastInterval.queue.in_(queues))
    # An interval is at most a day long: the lower bound keeps the index useful.
    query = query.where(ForecastInterval.interval_start > start - _ONE_DAY)
    rows: list[ForecastRow] = []
    for stored in session.scalars(
        query.order_by(ForecastInterval.queue, ForecastInterval.interval_start)
    ):
        if stored.interval_start.timestamp() + stored.interval_s <= start.timestamp():
            continue
        scheduled = stored.scheduled_agents
        rows.append(
            ForecastRow(
                queue=stored.queue,
                interval_start=stored.interval_start,
                interval_s=stored.interval_s,
                calls=stored.calls,
                aht_s=stored.aht_s,
                required_agents=stored.required_agents,
                scheduled_agents=scheduled,
                gap=None if scheduled is None else scheduled - stored.required_agents,
            )
        )
    return rows
