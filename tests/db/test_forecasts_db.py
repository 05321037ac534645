"""The forecast's data on SQLite and PostgreSQL: history grouped into local intervals (DST
days too), queues and their goals, schedules and agents, and stored forecasts that a re-run
replaces; then a whole day forecast from the database."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asterisk_cc.config import ReportsSettings, Settings, SiteSettings
from asterisk_cc.core.reports.forecast import ForecastRow, day_bounds
from asterisk_cc.db.forecasts import (
    forecast_between,
    queue_agents,
    queue_targets,
    read_history,
    read_schedule,
    store_forecast,
)
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    ForecastInterval,
    Queue,
    QueueCall,
    QueueSkill,
    Schedule,
    Skill,
)
from asterisk_cc.reports.forecasting import forecast_day, staffing_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2030, 6, 1, 5, 30, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def add_call(
    session: Session,
    queue: str,
    entered_at: datetime,
    outcome: str = "answered",
    talk_s: float | None = 100.0,
) -> None:
    session.add(
        QueueCall(
            callid=unique("c"),
            queue=queue,
            entered_at=entered_at,
            ended_at=entered_at + timedelta(minutes=3),
            outcome=outcome,
            wait_s=10.0,
            talk_s=talk_s if outcome == "answered" else None,
        )
    )


def local(day: date, hh_mm_ss: str, zone: ZoneInfo, *, fold: int = 0) -> datetime:
    hour, minute, second = (int(p) for p in hh_mm_ss.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone, fold=fold)


def test_history_is_grouped_into_local_intervals(db_session: Session) -> None:
    queue, other = unique("q"), unique("q")
    day = date(2030, 5, 20)
    add_call(db_session, queue, local(day, "00:00:00", SHANGHAI))  # index 0
    add_call(db_session, queue, local(day, "10:29:59", SHANGHAI), talk_s=200.0)  # index 20
    add_call(db_session, queue, local(day, "10:00:00", SHANGHAI), talk_s=100.0)
    add_call(db_session, queue, local(day, "10:15:00", SHANGHAI), outcome="abandoned")
    add_call(db_session, queue, local(day, "10:20:00", SHANGHAI), talk_s=None)  # still talking
    add_call(db_session, queue, local(day, "10:30:00", SHANGHAI))  # index 21
    add_call(db_session, queue, local(day, "23:59:59", SHANGHAI))  # index 47
    add_call(db_session, queue, local(day + timedelta(days=1), "00:00:00", SHANGHAI))  # next day
    add_call(db_session, other, local(day, "10:00:00", SHANGHAI))
    db_session.flush()

    history = read_history(db_session, [day], SHANGHAI, 1800, queues=[queue])
    by_index = {h.index: h for h in history}
    assert sorted(by_index) == [0, 20, 21, 47]
    ten = by_index[20]
    assert (ten.queue, ten.day, ten.offered_calls, ten.answered_calls) == (queue, day, 4, 2)
    assert ten.handled_s == 300.0
    assert {h.queue for h in read_history(db_session, [day], SHANGHAI, 3600)} >= {queue, other}
    hourly = {
        h.index: h.offered_calls
        for h in read_history(db_session, [day], SHANGHAI, 3600, queues=[queue])
    }
    assert hourly == {0: 1, 10: 5, 23: 1}


def test_history_of_a_day_the_clocks_go_back(db_session: Session) -> None:
    queue = unique("q")
    day = date(2030, 10, 27)  # London: 02:00 BST becomes 01:00 GMT
    add_call(db_session, queue, local(day, "01:10:00", LONDON, fold=0))  # 01:00 BST
    add_call(db_session, queue, local(day, "01:10:00", LONDON, fold=1))  # 01:00 GMT
    add_call(db_session, queue, local(day, "01:40:00", LONDON, fold=1))
    add_call(db_session, queue, local(day, "23:30:00", LONDON))
    db_session.flush()
    history = read_history(db_session, [day], LONDON, 3600, queues=[queue])
    assert {h.index: h.offered_calls for h in history} == {1: 1, 2: 2, 24: 1}


def test_queue_targets_take_goals_from_the_table_and_defaults_for_others(
    db_session: Session,
) -> None:
    known, unknown, inactive = unique("q"), unique("q"), unique("q")
    db_session.add_all(
        [
            Queue(name=known, service_level_threshold_s=30, service_level_target_ratio=0.9),
            Queue(name=inactive, active=False),
        ]
    )
    db_session.flush()
    targets = {
        t.queue: (t.threshold_s, t.target_sl_ratio)
        for t in queue_targets(db_session, seen=[unknown, inactive, known])
    }
    assert targets[known] == (30.0, 0.9)
    assert targets[unknown] == (20.0, 0.8)
    assert inactive not in targets


def test_schedule_and_the_agents_of_each_queue(db_session: Session) -> None:
    queue, skill_name = unique("q"), unique("s")
    skill = Skill(name=skill_name)
    q = Queue(name=queue)
    ann, bob, cy = (Agent(login=unique("a"), name=n) for n in ("Ann", "Bob", "Cy"))
    cy.active = False
    db_session.add_all([skill, q, ann, bob, cy])
    db_session.flush()
    db_session.add_all(
        [
            QueueSkill(queue_id=q.id, skill_id=skill.id, min_level=3),
            AgentSkill(agent_id=ann.id, skill_id=skill.id, level=5),
            AgentSkill(agent_id=bob.id, skill_id=skill.id, level=2),  # below the minimum
            AgentSkill(agent_id=cy.id, skill_id=skill.id, level=9),  # deactivated
            Schedule(agent_id=ann.id, starts_at=NOW, ends_at=NOW + timedelta(hours=8)),
            Schedule(
                agent_id=ann.id,
                starts_at=NOW + timedelta(hours=3),
                ends_at=NOW + timedelta(hours=4),
                activity="training",
            ),
            Schedule(
                agent_id=bob.id,
                starts_at=NOW - timedelta(days=2),
                ends_at=NOW - timedelta(days=2, hours=-8),
            ),
        ]
    )
    db_session.flush()
    assert queue_agents(db_session)[queue] == frozenset({ann.id})
    blocks = [
        b
        for b in read_schedule(db_session, NOW, NOW + timedelta(days=1))
        if b[0] in (ann.id, bob.id)
    ]
    assert sorted((b[1] - NOW, b[3]) for b in blocks) == [
        (timedelta(0), "shift"),
        (timedelta(hours=3), "training"),
    ]


def rows_for(queue: str, day: date, interval_s: int, calls: float) -> list[ForecastRow]:
    start, end = day_bounds(day, SHANGHAI)
    rows = []
    at = start
    while at < end:
        rows.append(ForecastRow(queue, at, interval_s, calls, 180.0, 3, 4, 1))
        at += timedelta(seconds=interval_s)
    return rows


def test_storing_a_day_again_replaces_it(db_session: Session) -> None:
    queue, neighbour = unique("q"), unique("q")
    day = date(2030, 6, 3)
    start, end = day_bounds(day, SHANGHAI)
    store_forecast(
        db_session, rows_for(queue, day, 1800, 5.0), queues=[queue], start=start, end=end, now=NOW
    )
    next_day = day + timedelta(days=1)
    n_start, n_end = day_bounds(next_day, SHANGHAI)
    store_forecast(
        db_session,
        rows_for(queue, next_day, 1800, 7.0),
        queues=[queue],
        start=n_start,
        end=n_end,
        now=NOW,
    )
    store_forecast(
        db_session,
        rows_for(neighbour, day, 1800, 9.0),
        queues=[neighbour],
        start=start,
        end=end,
        now=NOW,
    )
    # the same day again, now in hours: the half-hour rows of that day and queue are gone
    store_forecast(
        db_session, rows_for(queue, day, 3600, 6.0), queues=[queue], start=start, end=end, now=NOW
    )

    def count(name: str, lo: datetime, hi: datetime) -> int:
        return (
            db_session.scalar(
                select(func.count()).where(
                    ForecastInterval.queue == name,
                    ForecastInterval.interval_start >= lo,
                    ForecastInterval.interval_start < hi,
                )
            )
            or 0
        )

    assert count(queue, start, end) == 24
    assert count(queue, n_start, n_end) == 48
    assert count(neighbour, start, end) == 48
    stored = forecast_between(db_session, start, end, queues=[queue])
    assert {
        (r.interval_s, r.calls, r.required_agents, r.scheduled_agents, r.gap) for r in stored
    } == {(3600, 6.0, 3, 4, 1)}
    # an interval that began before the window but overlaps it is found
    inside = forecast_between(
        db_session, start + timedelta(minutes=90), start + timedelta(minutes=100), queues=[queue]
    )
    assert [r.interval_start for r in inside] == [start + timedelta(hours=1)]


def test_forecast_day_from_the_database(db_session: Session) -> None:
    queue, skill_name = unique("q"), unique("s")
    target = date(2030, 6, 3)  # a Monday
    skill = Skill(name=skill_name)
    q = Queue(name=queue, service_level_threshold_s=20, service_level_target_ratio=0.8)
    agents = [Agent(login=unique("a"), name=f"Agent {n}") for n in range(12)]
    db_session.add_all([skill, q, *agents])
    db_session.flush()
    db_session.add(QueueSkill(queue_id=q.id, skill_id=skill.id))
    for agent in agents:
        db_session.add(AgentSkill(agent_id=agent.id, skill_id=skill.id))
        db_session.add(
            Schedule(
                agent_id=agent.id,
                starts_at=local(target, "09:00:00", SHANGHAI),
                ends_at=local(target, "18:00:00", SHANGHAI),
            )
        )
    # past Mondays with calls of 180 s between 10:00 and 10:30: 110 a week ago, none two
    # weeks ago (closed: skipped), 90 three weeks ago
    for weeks, calls in ((1, 110), (3, 90)):
        day = target - timedelta(weeks=weeks)
        for n in range(calls):
            add_call(
                db_session,
                queue,
                local(day, "10:00:00", SHANGHAI) + timedelta(seconds=n * 16),
                talk_s=180.0,
            )
    stale = unique("q")  # forecast earlier, gone since: the day is replaced as a whole
    db_session.add(
        ForecastInterval(
            queue=stale,
            interval_start=local(target, "10:00:00", SHANGHAI),
            interval_s=1800,
            calls=1.0,
            aht_s=1.0,
            required_agents=1,
        )
    )
    db_session.flush()

    settings = Settings(
        site=SiteSettings(timezone="Asia/Shanghai"),
        reports=ReportsSettings(interval_min=30, forecast_weeks=2, occupancy_target=0.9),
    )
    rows = [r for r in forecast_day(db_session, settings, target, NOW) if r.queue == queue]
    assert len(rows) == 48
    ten = rows[20]
    assert ten.interval_start == local(target, "10:00:00", SHANGHAI)
    assert (ten.calls, ten.aht_s, ten.required_agents) == (100.0, 180.0, 14)  # (110 + 90) / 2
    assert (ten.scheduled_agents, ten.gap) == (12, -2)
    assert db_session.scalar(select(func.count()).where(ForecastInterval.queue == stale)) == 0
    assert (rows[0].scheduled_agents, rows[0].required_agents, rows[0].gap) == (0, 0, 0)
    stored = db_session.scalars(
        select(ForecastInterval)
        .where(ForecastInterval.queue == queue)
        .order_by(ForecastInterval.interval_start)
    ).all()
    assert len(stored) == 48 and stored[20].required_agents == 14 and stored[20].created_at == NOW
    # again: replaced, not doubled
    forecast_day(db_session, settings, target, NOW + timedelta(hours=1))
    assert db_session.scalar(select(func.count()).where(ForecastInterval.queue == queue)) == 48
    table = staffing_of_day(db_session, settings, target)
    lines = {line[1]: line for line in table.rows if line[0] == queue}
    assert len(lines) == 18  # 09:00-18:00 (scheduled) and 10:00 (calls); the night is left out
    assert lines["10:00"] == (queue, "10:00", 100.0, 180, 14, 12, -2)
    assert lines["09:00"] == (queue, "09:00", 0.0, 180, 0, 12, 12)
