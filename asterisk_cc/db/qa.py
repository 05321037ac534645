"""Quality assurance in the database: scorecards and their versions, the recorded calls waiting
to be graded, evaluations, results per agent, and the recording file of a call.

Scorecards (:class:`~asterisk_cc.db.models.QaScorecard`) are never rewritten under the
evaluations that used them: a change to the pass score or the items of a used scorecard makes a
new scorecard (the new version, with the name given) and retires the old one (deactivated and
renamed ``<name> (v<id>, replaced)``), so every past evaluation keeps the questions, weights and
pass score it was made with. An unused scorecard is simply changed.

Scores are computed by :mod:`asterisk_cc.core.qa`; evaluations store the points per item
(``answers``: item id → points), the score and the major-error flag as computed.

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from asterisk_cc.core.qa import (
    ItemDraft,
    ItemRule,
    ScorecardDraft,
    Scored,
    Trend,
    WeekAverage,
    is_pass,
    retired_name,
    score_evaluation,
    score_trend,
    scoring_changed,
    weekly_averages,
)
from asterisk_cc.db.models import (
    Agent,
    AuditLogEntry,
    Customer,
    Interaction,
    QaEvaluation,
    QaScorecard,
    QaScorecardItem,
    Queue,
    User,
)

__all__ = [
    "AgentResult",
    "AnsweredItem",
    "CallNotEvaluable",
    "CallPage",
    "CallRow",
    "CallsFilter",
    "EvaluationDetail",
    "EvaluationRow",
    "RecordingFile",
    "RecordingUnavailable",
    "SavedScorecard",
    "ScorecardNameTaken",
    "ScorecardSummary",
    "agent_evaluations",
    "agent_results",
    "agent_weekly_scores",
    "call_details",
    "calls_to_grade",
    "create_scorecard",
    "evaluation_count",
    "evaluation_detail",
    "evaluations_of_call",
    "played_recently",
    "record_evaluation",
    "recording_file",
    "scorecard_drafts",
    "scorecard_summaries",
    "update_scorecard",
]


# --- scorecards ------------------------------------------------------------------------------


class ScorecardNameTaken(ValueError):
    """Another scorecard has this name."""


@dataclass(frozen=True)
class ScorecardSummary:
    id: int
    name: str
    description: str | None
    pass_score: float
    active: bool
    items: int
    evaluations: int


@dataclass(frozen=True)
class SavedScorecard:
    scorecard: QaScorecard
    new_version: bool
    """True when the old scorecard was in use and was retired for a new one."""
    replaced_id: int | None = None


def scorecard_summaries(session: Session, *, active_only: bool = False) -> list[ScorecardSummary]:
    """Every scorecard (active ones first, by name) with its item and evaluation counts."""
    items = (
        select(func.count()).where(QaScorecardItem.scorecard_id == QaScorecard.id).scalar_subquery()
    )
    evaluations = (
        select(func.count()).where(QaEvaluation.scorecard_id == QaScorecard.id).scalar_subquery()
    )
    query = select(QaScorecard, items, evaluations).order_by(
        QaScorecard.active.desc(), QaScorecard.name
    )
    if active_only:
        query = query.where(QaScorecard.active)
    return [
        ScorecardSummary(
            id=card.id,
            name=card.name,
            description=card.description,
            pass_score=card.pass_score,
            active=card.active,
            items=item_count,
            evaluations=used_by,
        )
        for card, item_count, used_by in session.execute(query)
    ]


def scorecard_drafts(card: QaScorecard) -> tuple[ItemDraft, ...]:
    """The scorecard's items as the form and :func:`~asterisk_cc.core.qa.scoring_changed`
    see them."""
    return tuple(ItemDraft(item.question, item.weight, item.critical) for item in card.items)


def _name_taken(session: Session, name: str, other_than: int | None) -> bool:
    query = select(QaScorecard.id).where(func.lower(QaScorecard.name) == name.lower())
    if other_than is not None:
        query = query.where(QaScorecard.id != other_than)
    return session.scalar(query.limit(1)) is not None


def _set_items(session: Session, card: QaScorecard, items: Sequence[ItemDraft]) -> None:
    card.items.clear()
    # The old rows go before the new ones take their positions (unique per scorecard).
    session.flush()
    card.items.extend(
        QaScorecardItem(
            position=position,
            question=item.question,
            weight=item.weight,
            critical=item.critical,
        )
        for position, item in enumerate(items, start=1)
    )


def create_scorecard(session: Session, draft: ScorecardDraft) -> QaScorecard:
    if _name_taken(session, draft.name, None):
        raise ScorecardNameTaken(draft.name)
    card = QaScorecard(
        name=draft.name, description=draft.description, pass_score=draft.pass_score, active=True
    )
    session.add(card)
    _set_items(session, card, draft.items)
    session.flush()
    return card


def evaluation_count(session: Session, scorecard_id: int) -> int:
    """How many evaluations used the scorecard."""
    return (
        session.scalar(select(func.count()).where(QaEvaluation.scorecard_id == scorecard_id)) or 0
    )


def update_scorecard(session: Session, card: QaScorecard, draft: ScorecardDraft) -> SavedScorecard:
    """Change ``card`` to ``draft``: in place when no evaluation used it or only its name and
    description change; otherwise as a new version (see the module's docstring)."""
    if _name_taken(session, draft.name, card.id):
        raise ScorecardNameTaken(draft.name)
    changes_scoring = scoring_changed(
        card.pass_score, scorecard_drafts(card), draft.pass_score, draft.items
    )
    if not changes_scoring or evaluation_count(session, card.id) == 0:
        card.name = draft.name
        card.description = draft.description
        card.pass_score = draft.pass_score
        if changes_scoring:
            _set_items(session, card, draft.items)
        session.flush()
        return SavedScorecard(card, new_version=False)

    old_id = card.id
    card.name = retired_name(card.name, card.id)
    card.active = False
    session.flush()
    successor = create_scorecard(session, draft)
    return SavedScorecard(successor, new_version=True, replaced_id=old_id)


# --- calls to grade --------------------------------------------------------------------------


@dataclass(frozen=True)
class CallsFilter:
    start: datetime
    end: datetime
    agent_id: int | None = None
    queue_id: int | None = None
    not_evaluated: bool = False


@dataclass(frozen=True)
class CallRow:
    interaction_id: int
    linkedid: str
    direction: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    agent_id: int | None
    agent_login: str | None
    agent_name: str | None
    queue_name: str | None
    caller_number: str | None
    called_number: str | None
    customer_name: str | None
    wait_s: int | None
    talk_s: int | None
    hold_s: int | None
    disposition: str | None
    recorded: bool
    evaluations: int

    @property
    def duration_s(self) -> float | None:
        """From the start to the end of the call."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class CallPage:
    rows: list[CallRow]
    next_cursor: tuple[datetime, int] | None
    """Where the next (older) page starts: the last row's start and id; None on the last page."""


def _call_query() -> Any:
    evaluations = (
        select(func.count())
        .where(QaEvaluation.interaction_id == Interaction.id)
        .correlate(Interaction)
        .scalar_subquery()
    )
    return (
        select(
            Interaction.id,
            Interaction.linkedid,
            Interaction.direction,
            Interaction.started_at,
            Interaction.answered_at,
            Interaction.ended_at,
            Interaction.agent_id,
            Agent.login,
            Agent.name,
            func.coalesce(Queue.display_name, Queue.name),
            Interaction.caller_number,
            Interaction.called_number,
            Customer.name,
            Interaction.wait_s,
            Interaction.talk_s,
            Interaction.hold_s,
            Interaction.disposition,
            Interaction.recording_ref,
            evaluations,
        )
        .outerjoin(Agent, Agent.id == Interaction.agent_id)
        .outerjoin(Queue, Queue.id == Interaction.queue_id)
        .outerjoin(Customer, Customer.id == Interaction.customer_id)
    )


def _call_row(row: Any) -> CallRow:
    return CallRow(
        interaction_id=row[0],
        linkedid=row[1],
        direction=str(row[2]),
        started_at=row[3],
        answered_at=row[4],
        ended_at=row[5],
        agent_id=row[6],
        agent_login=row[7],
        agent_name=row[8],
        queue_name=row[9],
        caller_number=row[10],
        called_number=row[11],
        customer_name=row[12],
        wait_s=row[13],
        talk_s=row[14],
        hold_s=row[15],
        disposition=row[16],
        recorded=bool(row[17]),
        evaluations=row[18] or 0,
    )


def calls_to_grade(
    session: Session,
    filters: CallsFilter,
    *,
    before: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> CallPage:
    """Recorded calls that started in [start, end), newest first, ``limit`` a page; ``before``
    (a :attr:`CallPage.next_cursor`) continues after the previous page. Keyset paging reads
    only the page's rows from the ``started_at`` indexes, however many calls there are."""
    query = _call_query().where(
        Interaction.recording_ref.is_not(None),
        Interaction.started_at >= filters.start,
        Interaction.started_at < filters.end,
    )
    if filters.agent_id is not None:
        query = query.where(Interaction.agent_id == filters.agent_id)
    if filters.queue_id is not None:
        query = query.where(Interaction.queue_id == filters.queue_id)
    if filters.not_evaluated:
        evaluated = select(QaEvaluation.id).where(QaEvaluation.interaction_id == Interaction.id)
        query = query.where(~evaluated.exists())
    if before is not None:
        at, interaction_id = before
        query = query.where(
            or_(
                Interaction.started_at < at,
                and_(Interaction.started_at == at, Interaction.id < interaction_id),
            )
        )
    query = query.order_by(Interaction.started_at.desc(), Interaction.id.desc()).limit(limit + 1)
    rows = [_call_row(row) for row in session.execute(query)]
    if len(rows) > limit:
        last = rows[limit - 1]
        return CallPage(rows[:limit], (last.started_at, last.interaction_id))
    return CallPage(rows, None)


def call_details(session: Session, interaction_id: int) -> CallRow | None:
    row = session.execute(_call_query().where(Interaction.id == interaction_id)).one_or_none()
    return None if row is None else _call_row(row)


# --- evaluations -----------------------------------------------------------------------------


class CallNotEvaluable(ValueError):
    """The call cannot be evaluated: unknown, or no agent took it."""


def record_evaluation(
    session: Session,
    *,
    interaction_id: int,
    scorecard: QaScorecard,
    answers: Mapping[int, float | None],
    comment: str | None,
    evaluator_user_id: int,
    at: datetime,
) -> tuple[QaEvaluation, Scored]:
    """Score ``answers`` on ``scorecard`` (raises :class:`~asterisk_cc.core.qa.ScoringError`
    when they do not fit) and store the evaluation of the call's agent."""
    agent_id = session.scalar(select(Interaction.agent_id).where(Interaction.id == interaction_id))
    if agent_id is None:
        raise CallNotEvaluable(f"call {interaction_id} is unknown or no agent took it")
    rules = [ItemRule(item.id, item.weight, item.critical) for item in scorecard.items]
    scored = score_evaluation(rules, answers, scorecard.pass_score)
    evaluation = QaEvaluation(
        scorecard_id=scorecard.id,
        interaction_id=interaction_id,
        agent_id=agent_id,
        evaluator_user_id=evaluator_user_id,
        evaluated_at=at,
        answers={str(item_id): points for item_id, points in answers.items()},
        score=scored.score,
        critical_failed=scored.critical_failed,
        comment=comment or None,
    )
    session.add(evaluation)
    session.flush()
    return evaluation, scored


@dataclass(frozen=True)
class EvaluationRow:
    id: int
    evaluated_at: datetime
    scorecard_id: int
    scorecard_name: str
    pass_score: float
    score: float
    critical_failed: bool
    evaluator: str | None
    agent_id: int
    agent_login: str
    agent_name: str
    interaction_id: int | None
    call_started_at: datetime | None
    comment: str | None

    @property
    def passed(self) -> bool:
        return is_pass(self.score, self.critical_failed, self.pass_score)


def _evaluation_query() -> Any:
    return (
        select(
            QaEvaluation.id,
            QaEvaluation.evaluated_at,
            QaScorecard.id,
            QaScorecard.name,
            QaScorecard.pass_score,
            QaEvaluation.score,
            QaEvaluation.critical_failed,
            func.coalesce(User.display_name, User.username),
            Agent.id,
            Agent.login,
            Agent.name,
            QaEvaluation.interaction_id,
            Interaction.started_at,
            QaEvaluation.comment,
        )
        .join(QaScorecard, QaScorecard.id == QaEvaluation.scorecard_id)
        .join(Agent, Agent.id == QaEvaluation.agent_id)
        .outerjoin(User, User.id == QaEvaluation.evaluator_user_id)
        .outerjoin(Interaction, Interaction.id == QaEvaluation.interaction_id)
    )


def _evaluation_row(row: Any) -> EvaluationRow:
    return EvaluationRow(*row)


def evaluations_of_call(session: Session, interaction_id: int) -> list[EvaluationRow]:
    query = (
        _evaluation_query()
        .where(QaEvaluation.interaction_id == interaction_id)
        .order_by(QaEvaluation.evaluated_at.desc(), QaEvaluation.id.desc())
    )
    return [_evaluation_row(row) for row in session.execute(query)]


def agent_evaluations(
    session: Session,
    agent_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[EvaluationRow], bool]:
    """The agent's evaluations, newest first, a page of ``limit`` (from the
    ``(agent_id, evaluated_at)`` index); → the rows and whether there are more."""
    query = _evaluation_query().where(QaEvaluation.agent_id == agent_id)
    if start is not None:
        query = query.where(QaEvaluation.evaluated_at >= start)
    if end is not None:
        query = query.where(QaEvaluation.evaluated_at < end)
    query = (
        query.order_by(QaEvaluation.evaluated_at.desc(), QaEvaluation.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = [_evaluation_row(row) for row in session.execute(query)]
    return rows[:limit], len(rows) > limit


@dataclass(frozen=True)
class AnsweredItem:
    question: str
    weight: float
    critical: bool
    points: float | None


@dataclass(frozen=True)
class EvaluationDetail:
    evaluation: EvaluationRow
    items: list[AnsweredItem]


def evaluation_detail(
    session: Session, evaluation_id: int, *, agent_id: int | None = None
) -> EvaluationDetail | None:
    """The evaluation with each item's question and points; None when there is none (or it
    is another agent's, when ``agent_id`` is given)."""
    query = _evaluation_query().where(QaEvaluation.id == evaluation_id)
    if agent_id is not None:
        query = query.where(QaEvaluation.agent_id == agent_id)
    row = session.execute(query).one_or_none()
    if row is None:
        return None
    evaluation = _evaluation_row(row)
    answers = session.scalar(select(QaEvaluation.answers).where(QaEvaluation.id == evaluation_id))
    answers = answers or {}
    items = session.scalars(
        select(QaScorecardItem)
        .where(QaScorecardItem.scorecard_id == evaluation.scorecard_id)
        .order_by(QaScorecardItem.position)
    )
    return EvaluationDetail(
        evaluation,
        [
            AnsweredItem(
                item.question, item.weight, item.critical, _points(answers.get(str(item.id)))
            )
            for item in items
        ],
    )


def _points(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


# --- results per agent -----------------------------------------------------------------------


@dataclass(frozen=True)
class AgentResult:
    agent_id: int
    login: str
    name: str
    evaluations: int
    average_score: float
    """docs/kpi.md §3.2 quality score: mean evaluation score in the period."""
    pass_rate: float
    major_error_rate: float
    """docs/kpi.md §3.2: evaluations with a critical item failed ÷ evaluations."""
    previous_average: float | None
    """The quality score of the period of the same length just before."""

    @property
    def trend(self) -> Trend | None:
        return score_trend(self.average_score, self.previous_average)


def agent_results(
    session: Session, start: datetime, end: datetime, *, agent_id: int | None = None
) -> list[AgentResult]:
    """Per agent evaluated in [start, end): evaluations, quality score, pass rate, major-error
    rate, and the quality score of the period before (for the trend); by agent name. One
    aggregate query over both periods."""
    previous_start = start - (end - start)
    current = QaEvaluation.evaluated_at >= start
    passed = and_(
        QaEvaluation.critical_failed == false(), QaEvaluation.score >= QaScorecard.pass_score
    )
    count = func.sum(case((current, 1), else_=0))
    query = (
        select(
            Agent.id,
            Agent.login,
            Agent.name,
            count,
            func.avg(case((current, QaEvaluation.score))),
            func.sum(case((and_(current, passed), 1), else_=0)),
            func.sum(case((and_(current, QaEvaluation.critical_failed), 1), else_=0)),
            func.avg(case((~current, QaEvaluation.score))),
        )
        .join(Agent, Agent.id == QaEvaluation.agent_id)
        .join(QaScorecard, QaScorecard.id == QaEvaluation.scorecard_id)
        .where(QaEvaluation.evaluated_at >= previous_start, QaEvaluation.evaluated_at < end)
        .group_by(Agent.id, Agent.login, Agent.name)
        .having(count > 0)
        .order_by(Agent.name, Agent.login)
    )
    if agent_id is not None:
        query = query.where(QaEvaluation.agent_id == agent_id)
    results = []
    for row in session.execute(query):
        evaluations = int(row[3])
        results.append(
            AgentResult(
                agent_id=row[0],
                login=row[1],
                name=row[2],
                evaluations=evaluations,
                average_score=float(row[4]),
                pass_rate=int(row[5]) / evaluations,
                major_error_rate=int(row[6]) / evaluations,
                previous_average=None if row[7] is None else float(row[7]),
            )
        )
    return results


def agent_weekly_scores(
    session: Session, agent_id: int, start: datetime, end: datetime, zone: tzinfo
) -> list[WeekAverage]:
    """The agent's average score per week (weeks of the site's calendar) in [start, end)."""
    rows = session.execute(
        select(QaEvaluation.evaluated_at, QaEvaluation.score).where(
            QaEvaluation.agent_id == agent_id,
            QaEvaluation.evaluated_at >= start,
            QaEvaluation.evaluated_at < end,
        )
    )
    return weekly_averages((_local_day(at, zone), score) for at, score in rows)


def _local_day(at: datetime, zone: tzinfo) -> date:
    return at.astimezone(zone).date()


# --- recordings ------------------------------------------------------------------------------


class RecordingUnavailable(LookupError):
    """Why a call's recording cannot be served: ``reason`` is ``no_call``, ``not_recorded``,
    ``bad_reference`` (the stored reference points outside the recording directory) or
    ``missing`` (the file is not there)."""

    def __init__(self, reason: str, linkedid: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.linkedid = linkedid


@dataclass(frozen=True)
class RecordingFile:
    interaction_id: int
    linkedid: str
    ref: str
    path: Path


def recording_file(session: Session, interaction_id: int, root: Path) -> RecordingFile:
    """The recording file of the call ``interaction_id``, found under ``root`` by the reference
    stored on the call (never by a path from a request). A reference that is absolute, climbs
    with ``..`` or resolves (through a link) outside ``root`` is refused."""
    row = session.execute(
        select(Interaction.linkedid, Interaction.recording_ref).where(
            Interaction.id == interaction_id
        )
    ).one_or_none()
    if row is None:
        raise RecordingUnavailable("no_call")
    linkedid, ref = row
    if not ref:
        raise RecordingUnavailable("not_recorded", linkedid)
    relative = PurePosixPath(ref)
    if relative.is_absolute() or ".." in relative.parts or "\\" in ref or "\x00" in ref:
        raise RecordingUnavailable("bad_reference", linkedid)
    base = root.resolve()
    path = base.joinpath(*relative.parts).resolve()
    if not path.is_relative_to(base) or path == base:
        raise RecordingUnavailable("bad_reference", linkedid)
    if not path.is_file():
        raise RecordingUnavailable("missing", linkedid)
    return RecordingFile(interaction_id, linkedid, ref, path)


def played_recently(
    session: Session, *, user_id: int, action: str, target: str, since: datetime
) -> bool:
    """Whether ``user_id`` has an audit entry ``action`` on ``target`` since ``since``: the
    player's follow-up requests (seeking, buffering) of one listening are one entry."""
    found = session.scalar(
        select(AuditLogEntry.id)
        .where(
            AuditLogEntry.user_id == user_id,
            AuditLogEntry.at >= since,
            AuditLogEntry.action == action,
            AuditLogEntry.target == target,
        )
        .limit(1)
    )
    return found is not None
