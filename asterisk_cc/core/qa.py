"""Quality assurance: scoring a call against a scorecard, and checking a scorecard.

A scorecard is a list of weighted items (questions); some are *critical* (compliance, the
customer's identity checked, no rudeness...). An evaluator gives each item points from 0 to 1
(pass = 1, partial = 0.5, fail = 0). The call's score is the weighted average of the points
× 100, rounded half up to one decimal. A critical item given less than full points is a
*major error*: the call fails whatever its score (docs/kpi.md §3.2 counts these for the
major-error rate); otherwise the call passes when its score reaches the scorecard's pass score.

Everything here is pure: no database, no clock. The dashboard parses forms into drafts and
answers, asks :func:`scorecard_problems` and :func:`score_evaluation`, and stores the result.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

__all__ = [
    "MAX_ITEMS",
    "POINTS_BY_CHOICE",
    "ItemDraft",
    "ItemRow",
    "ItemRule",
    "Problem",
    "ProblemCode",
    "ScorecardDraft",
    "Scored",
    "ScoringError",
    "Trend",
    "WeekAverage",
    "is_pass",
    "parse_points",
    "parse_scorecard",
    "retired_name",
    "round_score",
    "score_evaluation",
    "score_trend",
    "scoring_changed",
    "weekly_averages",
]

MAX_ITEMS: Final = 50
MAX_NAME: Final = 128
MAX_QUESTION: Final = 500
MAX_DESCRIPTION: Final = 2000
MAX_WEIGHT: Final = 100.0
POINTS_BY_CHOICE: Final = {"pass": 1.0, "partial": 0.5, "fail": 0.0}
"""What the evaluation form's choices are worth."""
TREND_STEP: Final = 1.0
"""A change of the average score smaller than this (points of 100) is shown as steady."""


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRule:
    """What scoring needs of a scorecard item."""

    id: int
    weight: float
    critical: bool


@dataclass(frozen=True)
class Scored:
    score: float
    """Weighted average of the points × 100, rounded half up to one decimal."""
    critical_failed: bool
    """A critical item got less than full points: a major error."""
    passed: bool
    failed_critical_items: tuple[int, ...]


class ScoringError(ValueError):
    """The answers do not fit the scorecard: items left unanswered, points outside 0..1, or
    answers for items the scorecard does not have."""

    def __init__(
        self,
        *,
        unanswered: Sequence[int] = (),
        out_of_range: Sequence[int] = (),
        unknown: Sequence[int] = (),
        no_items: bool = False,
    ) -> None:
        self.unanswered = tuple(unanswered)
        self.out_of_range = tuple(out_of_range)
        self.unknown = tuple(unknown)
        self.no_items = no_items
        parts = []
        if no_items:
            parts.append("the scorecard has no items")
        if self.unanswered:
            parts.append(f"items left unanswered: {list(self.unanswered)}")
        if self.out_of_range:
            parts.append(f"points outside 0..1 for items {list(self.out_of_range)}")
        if self.unknown:
            parts.append(f"answers for items not on the scorecard: {list(self.unknown)}")
        super().__init__("; ".join(parts))


def round_score(value: float) -> float:
    """``value`` to one decimal, halves up (so 84.25 → 84.3, as people round)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def is_pass(score: float, critical_failed: bool, pass_score: float) -> bool:
    return not critical_failed and score >= pass_score


def score_evaluation(
    items: Sequence[ItemRule], answers: Mapping[int, float | None], pass_score: float
) -> Scored:
    """The score of ``answers`` (item id → points 0..1) on the scorecard ``items``.

    Every item must be answered, with points from 0 to 1; an answer for another item is an
    error too (a form for a different scorecard). Raises :class:`ScoringError` naming them.
    """
    if not items:
        raise ScoringError(no_items=True)
    known = {item.id for item in items}
    unanswered = [item.id for item in items if answers.get(item.id) is None]
    out_of_range = [
        item.id
        for item in items
        if (points := answers.get(item.id)) is not None
        and (not math.isfinite(points) or not 0.0 <= points <= 1.0)
    ]
    unknown = sorted(item_id for item_id in answers if item_id not in known)
    if unanswered or out_of_range or unknown:
        raise ScoringError(unanswered=unanswered, out_of_range=out_of_range, unknown=unknown)

    total_weight = math.fsum(item.weight for item in items)
    earned = math.fsum(item.weight * float(answers[item.id] or 0.0) for item in items)
    score = round_score(100.0 * earned / total_weight)
    failed_critical = tuple(
        item.id for item in items if item.critical and float(answers[item.id] or 0.0) < 1.0
    )
    critical_failed = bool(failed_critical)
    return Scored(
        score=score,
        critical_failed=critical_failed,
        passed=is_pass(score, critical_failed, pass_score),
        failed_critical_items=failed_critical,
    )


def parse_points(text: str | None) -> float | None:
    """Points from a form: ``pass``, ``partial``, ``fail`` or a number from 0 to 1; None for
    no answer or anything else (the caller reports it)."""
    if text is None:
        return None
    text = text.strip().lower()
    if text in POINTS_BY_CHOICE:
        return POINTS_BY_CHOICE[text]
    try:
        points = float(text)
    except ValueError:
        return None
    return points if math.isfinite(points) and 0.0 <= points <= 1.0 else None


# --- scorecards ------------------------------------------------------------------------------


class ProblemCode(StrEnum):
    NAME_MISSING = "name_missing"
    NAME_TOO_LONG = "name_too_long"
    DESCRIPTION_TOO_LONG = "description_too_long"
    PASS_SCORE_INVALID = "pass_score_invalid"  # noqa: S105 (a problem code, not a secret)
    NO_ITEMS = "no_items"
    TOO_MANY_ITEMS = "too_many_items"
    QUESTION_MISSING = "question_missing"
    QUESTION_TOO_LONG = "question_too_long"
    QUESTION_REPEATED = "question_repeated"
    WEIGHT_INVALID = "weight_invalid"
    ORDER_INVALID = "order_invalid"


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    row: int | None = None
    """The item's row on the form, from 1; None for the scorecard itself."""


@dataclass(frozen=True)
class ItemDraft:
    question: str
    weight: float
    critical: bool


@dataclass(frozen=True)
class ScorecardDraft:
    name: str
    description: str | None
    pass_score: float
    items: tuple[ItemDraft, ...]
    """In the order they are asked."""


@dataclass(frozen=True)
class ItemRow:
    """One item row of the scorecard form, as typed."""

    question: str = ""
    weight: str = ""
    critical: bool = False
    order: str = ""


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_blank(row: ItemRow) -> bool:
    # The form offers empty rows to fill in; one left untouched is no item.
    return not row.question.strip() and not row.critical


def parse_scorecard(
    name: str, description: str, pass_score: str, rows: Iterable[ItemRow]
) -> tuple[ScorecardDraft | None, list[Problem]]:
    """The scorecard the form describes, or None and every problem found (all at once, so the
    user fixes them in one go). Items are asked in the order of their ``order`` numbers, rows
    without one after those with one, in the form's order."""
    problems: list[Problem] = []
    name = name.strip()
    description = description.strip()
    if not name:
        problems.append(Problem(ProblemCode.NAME_MISSING))
    elif len(name) > MAX_NAME:
        problems.append(Problem(ProblemCode.NAME_TOO_LONG))
    if len(description) > MAX_DESCRIPTION:
        problems.append(Problem(ProblemCode.DESCRIPTION_TOO_LONG))
    pass_value = _number(pass_score)
    if pass_value is None or not 0.0 <= pass_value <= 100.0:
        problems.append(Problem(ProblemCode.PASS_SCORE_INVALID))

    ordered: list[tuple[float, int, ItemDraft]] = []
    seen_questions: set[str] = set()
    for row_number, row in enumerate(rows, start=1):
        if _is_blank(row):
            continue
        question = row.question.strip()
        if not question:
            problems.append(Problem(ProblemCode.QUESTION_MISSING, row_number))
        elif len(question) > MAX_QUESTION:
            problems.append(Problem(ProblemCode.QUESTION_TOO_LONG, row_number))
        elif question.casefold() in seen_questions:
            problems.append(Problem(ProblemCode.QUESTION_REPEATED, row_number))
        seen_questions.add(question.casefold())
        weight = _number(row.weight) if row.weight.strip() else 1.0
        if weight is None or not 0.0 < weight <= MAX_WEIGHT:
            problems.append(Problem(ProblemCode.WEIGHT_INVALID, row_number))
            weight = 1.0
        order = _number(row.order) if row.order.strip() else math.inf
        if order is None:
            problems.append(Problem(ProblemCode.ORDER_INVALID, row_number))
            order = math.inf
        ordered.append((order, row_number, ItemDraft(question, weight, row.critical)))

    if not ordered:
        problems.append(Problem(ProblemCode.NO_ITEMS))
    elif len(ordered) > MAX_ITEMS:
        problems.append(Problem(ProblemCode.TOO_MANY_ITEMS))
    if problems or pass_value is None:
        return None, problems
    ordered.sort(key=lambda entry: (entry[0], entry[1]))
    draft = ScorecardDraft(
        name=name,
        description=description or None,
        pass_score=pass_value,
        items=tuple(item for _, _, item in ordered),
    )
    return draft, []


def scoring_changed(
    old_pass_score: float,
    old_items: Sequence[ItemDraft],
    new_pass_score: float,
    new_items: Sequence[ItemDraft],
) -> bool:
    """Whether the new pass score or items would judge calls differently from the old: then a
    scorecard already used by evaluations gets a new version instead of being rewritten."""
    return old_pass_score != new_pass_score or tuple(old_items) != tuple(new_items)


def retired_name(name: str, scorecard_id: int) -> str:
    """The name a replaced scorecard version keeps (names are unique): the old name and the
    version's id, cut so that it fits."""
    suffix = f" (v{scorecard_id}, replaced)"
    return name[: MAX_NAME - len(suffix)] + suffix


# --- results ---------------------------------------------------------------------------------


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    STEADY = "steady"


def score_trend(current: float | None, previous: float | None) -> Trend | None:
    """How the average score moved from the previous period to this one; None when either
    period has no evaluation."""
    if current is None or previous is None:
        return None
    if current - previous >= TREND_STEP:
        return Trend.UP
    if previous - current >= TREND_STEP:
        return Trend.DOWN
    return Trend.STEADY


@dataclass(frozen=True)
class WeekAverage:
    week_start: date
    """The Monday of the week (local dates)."""
    evaluations: int
    average_score: float


def weekly_averages(scores: Iterable[tuple[date, float]]) -> list[WeekAverage]:
    """Average score per week (Monday to Sunday) of ``(local day, score)`` pairs, oldest
    first; weeks with no evaluation are left out."""
    weeks: dict[date, list[float]] = {}
    for day, score in scores:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(score)
    return [
        WeekAverage(start, len(values), round_score(math.fsum(values) / len(values)))
        for start, values in sorted(weeks.items())
    ]
