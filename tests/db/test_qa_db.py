"""Quality assurance in the database: scorecard versions, calls to grade, evaluations, results
per agent and recording files; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.core.qa import ItemDraft, ScorecardDraft, ScoringError
from asterisk_cc.core.vocabulary import CallDirection, UserRole
from asterisk_cc.db.audit import audit_start
from asterisk_cc.db.models import Agent, Interaction, QaEvaluation, QaScorecard, Queue, User
from asterisk_cc.db.qa import (
    CallNotEvaluable,
    CallsFilter,
    RecordingUnavailable,
    ScorecardNameTaken,
    agent_evaluations,
    agent_results,
    agent_weekly_scores,
    call_details,
    calls_to_grade,
    create_scorecard,
    evaluation_detail,
    played_recently,
    record_evaluation,
    recording_file,
    scorecard_summaries,
    update_scorecard,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ITEMS = (
    ItemDraft("Greeted the caller", 1.0, False),
    ItemDraft("Solved the problem", 3.0, False),
    ItemDraft("Checked identity", 1.0, True),
)


def draft(name: str = "Inbound", pass_score: float = 80, items=ITEMS) -> ScorecardDraft:  # type: ignore[no-untyped-def]
    return ScorecardDraft(
        name=name, description="For inbound calls", pass_score=pass_score, items=items
    )


def add_agent(session: Session, login: str, name: str) -> Agent:
    agent = Agent(login=login, name=name)
    session.add(agent)
    session.flush()
    return agent


def add_call(
    session: Session,
    linkedid: str,
    *,
    agent: Agent | None,
    at: datetime = T0,
    ref: str | None = "asterisk-cc/2026/11/23/call.wav",
    queue: Queue | None = None,
) -> Interaction:
    call = Interaction(
        uniqueid=linkedid,
        linkedid=linkedid,
        direction=CallDirection.INBOUND,
        agent_id=agent.id if agent else None,
        queue_id=queue.id if queue else None,
        started_at=at,
        answered_at=at + timedelta(seconds=10),
        ended_at=at + timedelta(seconds=190),
        wait_s=10,
        talk_s=180,
        recording_ref=ref,
        disposition="resolved",
    )
    session.add(call)
    session.flush()
    return call


def add_user(session: Session, username: str = "li.na") -> int:
    user = User(username=username, password_hash="x", role=UserRole.SUPERVISOR)
    session.add(user)
    session.flush()
    return user.id


def evaluate(
    session: Session,
    card: QaScorecard,
    call: Interaction,
    points: tuple[float, ...],
    *,
    user: int,
    at: datetime = T0,
) -> QaEvaluation:
    answers = {item.id: p for item, p in zip(card.items, points, strict=True)}
    evaluation, _ = record_evaluation(
        session,
        interaction_id=call.id,
        scorecard=card,
        answers=answers,
        comment="ok",
        evaluator_user_id=user,
        at=at,
    )
    return evaluation


# --- scorecards ------------------------------------------------------------------------------


def test_a_scorecard_is_stored_with_its_items_in_order(db_session: Session) -> None:
    card = create_scorecard(db_session, draft())
    db_session.expire_all()
    stored = db_session.get(QaScorecard, card.id)
    assert stored is not None and stored.active and stored.pass_score == 80
    assert [(i.position, i.question, i.weight, i.critical) for i in stored.items] == [
        (1, "Greeted the caller", 1.0, False),
        (2, "Solved the problem", 3.0, False),
        (3, "Checked identity", 1.0, True),
    ]


def test_scorecard_names_are_unique_whatever_the_case(db_session: Session) -> None:
    create_scorecard(db_session, draft("Inbound"))
    with pytest.raises(ScorecardNameTaken):
        create_scorecard(db_session, draft("INBOUND"))


def test_an_unused_scorecard_is_changed_in_place(db_session: Session) -> None:
    card = create_scorecard(db_session, draft())
    new_items = (ItemDraft("Closed the call", 2.0, False), *ITEMS[:1])
    saved = update_scorecard(db_session, card, draft("Inbound v2", 70, new_items))
    assert not saved.new_version and saved.scorecard.id == card.id
    db_session.expire_all()
    stored = db_session.get(QaScorecard, card.id)
    assert stored is not None and stored.name == "Inbound v2" and stored.pass_score == 70
    assert [i.question for i in stored.items] == ["Closed the call", "Greeted the caller"]


def test_a_used_scorecard_gets_a_new_version_and_keeps_the_old_for_its_evaluations(
    db_session: Session,
) -> None:
    user = add_user(db_session)
    ann = add_agent(db_session, "1001", "Ann")
    card = create_scorecard(db_session, draft())
    old_items = [item.id for item in card.items]
    evaluation = evaluate(
        db_session, card, add_call(db_session, "c1", agent=ann), (1, 1, 1), user=user
    )

    # A new description only: in place.
    renamed = update_scorecard(
        db_session, card, ScorecardDraft("Inbound", "Changed text", 80, ITEMS)
    )
    assert not renamed.new_version

    # A new weight: a new version; the old one is retired with its items.
    heavier = (ITEMS[0], ItemDraft("Solved the problem", 5.0, False), ITEMS[2])
    saved = update_scorecard(db_session, card, draft("Inbound", 80, heavier))
    assert saved.new_version and saved.replaced_id == card.id and saved.scorecard.id != card.id
    db_session.expire_all()
    old = db_session.get(QaScorecard, card.id)
    assert old is not None and not old.active
    assert old.name == f"Inbound (v{card.id}, replaced)"
    assert [item.id for item in old.items] == old_items
    assert [item.weight for item in old.items] == [1.0, 3.0, 1.0]
    new = db_session.get(QaScorecard, saved.scorecard.id)
    assert new is not None and new.active and new.name == "Inbound"
    assert [item.weight for item in new.items] == [1.0, 5.0, 1.0]
    assert db_session.get(QaEvaluation, evaluation.id).scorecard_id == card.id  # type: ignore[union-attr]
    summaries = {s.id: s for s in scorecard_summaries(db_session)}
    assert summaries[card.id].evaluations == 1 and summaries[new.id].evaluations == 0
    assert [s.id for s in scorecard_summaries(db_session, active_only=True)] == [new.id]


def test_a_new_pass_score_of_a_used_scorecard_is_a_new_version(db_session: Session) -> None:
    user = add_user(db_session)
    ann = add_agent(db_session, "1001", "Ann")
    card = create_scorecard(db_session, draft())
    evaluate(db_session, card, add_call(db_session, "c1", agent=ann), (1, 1, 1), user=user)
    assert update_scorecard(db_session, card, draft(pass_score=90)).new_version


# --- calls to grade --------------------------------------------------------------------------


def test_calls_to_grade_are_recorded_calls_of_the_period_newest_first_in_pages(
    db_session: Session,
) -> None:
    ann = add_agent(db_session, "1001", "Ann")
    bob = add_agent(db_session, "1002", "Bob")
    sales = Queue(name="sales")
    db_session.add(sales)
    db_session.flush()
    calls = [
        add_call(
            db_session,
            f"c{n}",
            agent=ann if n % 2 else bob,
            at=T0 + timedelta(minutes=n),
            queue=sales if n < 3 else None,
        )
        for n in range(5)
    ]
    add_call(db_session, "not-recorded", agent=ann, ref=None)
    add_call(db_session, "too-old", agent=ann, at=T0 - timedelta(days=3))
    period = CallsFilter(start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=1))

    first = calls_to_grade(db_session, period, limit=2)
    assert [row.linkedid for row in first.rows] == ["c4", "c3"]
    assert first.next_cursor == (calls[3].started_at, calls[3].id)
    second = calls_to_grade(db_session, period, before=first.next_cursor, limit=2)
    assert [row.linkedid for row in second.rows] == ["c2", "c1"]
    last = calls_to_grade(db_session, period, before=second.next_cursor, limit=2)
    assert [row.linkedid for row in last.rows] == ["c0"] and last.next_cursor is None

    by_agent = calls_to_grade(db_session, CallsFilter(period.start, period.end, agent_id=ann.id))
    assert [row.linkedid for row in by_agent.rows] == ["c3", "c1"]
    by_queue = calls_to_grade(db_session, CallsFilter(period.start, period.end, queue_id=sales.id))
    assert [row.linkedid for row in by_queue.rows] == ["c2", "c1", "c0"]
    row = by_queue.rows[0]
    assert row.agent_name == "Bob" and row.queue_name == "sales" and row.duration_s == 190


def test_not_yet_evaluated_leaves_out_the_evaluated_calls(db_session: Session) -> None:
    user = add_user(db_session)
    ann = add_agent(db_session, "1001", "Ann")
    card = create_scorecard(db_session, draft())
    done = add_call(db_session, "done", agent=ann)
    add_call(db_session, "waiting", agent=ann, at=T0 + timedelta(minutes=1))
    evaluate(db_session, card, done, (1, 1, 1), user=user)
    period = (T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    everything = calls_to_grade(db_session, CallsFilter(*period))
    assert {(r.linkedid, r.evaluations) for r in everything.rows} == {("done", 1), ("waiting", 0)}
    pending = calls_to_grade(db_session, CallsFilter(*period, not_evaluated=True))
    assert [r.linkedid for r in pending.rows] == ["waiting"]


# --- evaluations -----------------------------------------------------------------------------


def test_an_evaluation_stores_the_points_score_and_major_error_as_computed(
    db_session: Session,
) -> None:
    user = add_user(db_session)
    ann = add_agent(db_session, "1001", "Ann")
    card = create_scorecard(db_session, draft(pass_score=50))
    call = add_call(db_session, "c1", agent=ann)
    evaluation = evaluate(db_session, card, call, (1.0, 0.5, 0.0), user=user)
    db_session.expire_all()
    stored = db_session.get(QaEvaluation, evaluation.id)
    assert stored is not None
    assert stored.score == 50.0  # (1 + 1.5 + 0) / 5
    assert stored.critical_failed
    assert stored.agent_id == ann.id and stored.interaction_id == call.id
    assert stored.answers == {
        str(item.id): p for item, p in zip(card.items, (1.0, 0.5, 0.0), strict=True)
    }
    detail = evaluation_detail(db_session, evaluation.id)
    assert detail is not None and not detail.evaluation.passed
    assert [(i.question, i.points) for i in detail.items] == [
        ("Greeted the caller", 1.0),
        ("Solved the problem", 0.5),
        ("Checked identity", 0.0),
    ]
    assert evaluation_detail(db_session, evaluation.id, agent_id=ann.id + 1) is None


def test_an_unanswered_item_stores_nothing(db_session: Session) -> None:
    user = add_user(db_session)
    ann = add_agent(db_session, "1001", "Ann")
    card = create_scorecard(db_session, draft())
    call = add_call(db_session, "c1", agent=ann)
    with pytest.raises(ScoringError):
        record_evaluation(
            db_session,
            interaction_id=call.id,
            scorecard=card,
            answers={card.items[0].id: 1.0},
            comment=None,
            evaluator_user_id=user,
            at=T0,
        )
    assert db_session.scalar(select(QaEvaluation.id)) is None


def test_a_call_without_agent_cannot_be_evaluated(db_session: Session) -> None:
    user = add_user(db_session)
    card = create_scorecard(db_session, draft())
    call = add_call(db_session, "c1", agent=None)
    with pytest.raises(CallNotEvaluable):
        evaluate(db_session, card, call, (1, 1, 1), user=user)


# --- results per agent -----------------------------------------------------------------------


def test_results_per_agent_follow_the_kpi_definitions(db_session: Session) -> None:
    user = add_user(db_session)
    ann = add_agent(db_session, "1001", "Ann")
    bob = add_agent(db_session, "1002", "Bob")
    card = create_scorecard(db_session, draft(pass_score=80))
    week = timedelta(days=7)
    # The period: T0 .. T0 + 7 days. Ann: 100 (pass), 80 (pass), 100 with a critical failure.
    for n, points in enumerate(((1, 1, 1), (0, 1, 1), (1, 1, 0.0))):
        call = add_call(db_session, f"a{n}", agent=ann)
        evaluate(db_session, card, call, points, user=user, at=T0 + timedelta(days=n))
    # Bob: 40 (below the pass score).
    evaluate(db_session, card, add_call(db_session, "b0", agent=bob), (1, 0, 1), user=user, at=T0)
    # The week before: Ann 60; outside both periods: ignored.
    evaluate(
        db_session,
        card,
        add_call(db_session, "a-prev", agent=ann),
        (1, 0.5, 1),
        user=user,
        at=T0 - timedelta(days=2),
    )
    evaluate(
        db_session,
        card,
        add_call(db_session, "a-old", agent=ann),
        (0, 0, 0),
        user=user,
        at=T0 - 3 * week,
    )

    results = {r.login: r for r in agent_results(db_session, T0, T0 + week)}
    assert set(results) == {"1001", "1002"}
    ann_result = results["1001"]
    assert ann_result.evaluations == 3
    assert ann_result.average_score == pytest.approx((100 + 80 + 80) / 3)
    assert ann_result.pass_rate == pytest.approx(2 / 3)
    assert ann_result.major_error_rate == pytest.approx(1 / 3)
    assert ann_result.previous_average == pytest.approx(70.0)
    assert ann_result.trend == "up"
    bob_result = results["1002"]
    assert (bob_result.evaluations, bob_result.average_score, bob_result.pass_rate) == (
        1,
        40.0,
        0.0,
    )
    assert bob_result.previous_average is None and bob_result.trend is None

    only_ann = agent_results(db_session, T0, T0 + week, agent_id=ann.id)
    assert [r.login for r in only_ann] == ["1001"]
    rows, more = agent_evaluations(db_session, ann.id, start=T0, end=T0 + week, limit=2)
    assert len(rows) == 2 and more and rows[0].evaluated_at > rows[1].evaluated_at
    weeks = agent_weekly_scores(db_session, ann.id, T0, T0 + week, ZoneInfo("Asia/Shanghai"))
    assert sum(w.evaluations for w in weeks) == 3


# --- recordings ------------------------------------------------------------------------------


def test_the_recording_file_is_found_by_the_stored_reference(
    db_session: Session, tmp_path: Path
) -> None:
    ann = add_agent(db_session, "1001", "Ann")
    file = tmp_path / "asterisk-cc" / "2026" / "11" / "23" / "call.wav"
    file.parent.mkdir(parents=True)
    file.write_bytes(b"RIFF....WAVE")
    call = add_call(db_session, "c1", agent=ann)
    found = recording_file(db_session, call.id, tmp_path)
    assert found.path == file.resolve() and found.linkedid == "c1"


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("../../etc/passwd", "bad_reference"),
        ("/etc/passwd", "bad_reference"),
        ("asterisk-cc/../../secret.wav", "bad_reference"),
        ("asterisk-cc/gone.wav", "missing"),
        (None, "not_recorded"),
    ],
)
def test_a_recording_outside_the_directory_or_missing_is_refused(
    db_session: Session, tmp_path: Path, ref: str | None, reason: str
) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    (tmp_path / "secret.wav").write_bytes(b"secret")
    call = add_call(db_session, "c1", agent=None, ref=ref)
    with pytest.raises(RecordingUnavailable) as error:
        recording_file(db_session, call.id, root)
    assert error.value.reason == reason


def test_a_link_out_of_the_recording_directory_is_refused(
    db_session: Session, tmp_path: Path
) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    (tmp_path / "secret.wav").write_bytes(b"secret")
    (root / "link.wav").symlink_to(tmp_path / "secret.wav")
    call = add_call(db_session, "c1", agent=None, ref="link.wav")
    with pytest.raises(RecordingUnavailable) as error:
        recording_file(db_session, call.id, root)
    assert error.value.reason == "bad_reference"


def test_an_unknown_call_has_no_recording(db_session: Session, tmp_path: Path) -> None:
    with pytest.raises(RecordingUnavailable) as error:
        recording_file(db_session, 424242, tmp_path)
    assert error.value.reason == "no_call"


def test_played_recently_looks_at_the_user_action_target_and_time(db_session: Session) -> None:
    user = add_user(db_session)
    audit_start(db_session, user_id=user, action="recording_played", at=T0, target="call:c1")
    assert played_recently(
        db_session, user_id=user, action="recording_played", target="call:c1", since=T0
    )
    assert not played_recently(
        db_session, user_id=user, action="recording_played", target="call:c2", since=T0
    )
    assert not played_recently(
        db_session,
        user_id=user,
        action="recording_played",
        target="call:c1",
        since=T0 + timedelta(seconds=1),
    )
    other = add_user(db_session, "other")
    assert not played_recently(
        db_session, user_id=other, action="recording_played", target="call:c1", since=T0
    )


def test_call_details_name_the_agent_and_customer(db_session: Session) -> None:
    ann = add_agent(db_session, "1001", "Ann")
    call = add_call(db_session, "c1", agent=ann)
    details = call_details(db_session, call.id)
    assert details is not None and details.agent_login == "1001" and details.recorded
    assert call_details(db_session, call.id + 1000) is None
