"""QA scoring: weighted points, partial credit, critical items, rounding, and scorecard checks."""

from __future__ import annotations

from datetime import date

import pytest

from asterisk_cc.core.qa import (
    ItemDraft,
    ItemRow,
    ItemRule,
    Problem,
    ProblemCode,
    ScoringError,
    Trend,
    WeekAverage,
    is_pass,
    parse_points,
    parse_scorecard,
    retired_name,
    round_score,
    score_evaluation,
    score_trend,
    scoring_changed,
    weekly_averages,
)

GREETING = ItemRule(id=1, weight=1.0, critical=False)
SOLUTION = ItemRule(id=2, weight=3.0, critical=False)
IDENTITY = ItemRule(id=3, weight=1.0, critical=True)
CARD = (GREETING, SOLUTION, IDENTITY)


def test_all_items_passed_scores_100_and_passes() -> None:
    scored = score_evaluation(CARD, {1: 1.0, 2: 1.0, 3: 1.0}, pass_score=80)
    assert scored.score == 100.0
    assert scored.passed and not scored.critical_failed
    assert scored.failed_critical_items == ()


def test_the_score_is_the_weighted_average_of_the_points() -> None:
    # Greeting missed (weight 1 of 5): 4/5 = 80.
    assert score_evaluation(CARD, {1: 0.0, 2: 1.0, 3: 1.0}, pass_score=80).score == 80.0
    # Solution missed (weight 3 of 5): 2/5 = 40.
    assert score_evaluation(CARD, {1: 1.0, 2: 0.0, 3: 1.0}, pass_score=80).score == 40.0


def test_partial_points_count_for_their_share_of_the_weight() -> None:
    # Solution half done: (1 + 1.5 + 1) / 5 = 70.
    scored = score_evaluation(CARD, {1: 1.0, 2: 0.5, 3: 1.0}, pass_score=80)
    assert scored.score == 70.0
    assert not scored.passed and not scored.critical_failed


def test_a_failed_critical_item_fails_the_call_whatever_the_score() -> None:
    scored = score_evaluation(CARD, {1: 1.0, 2: 1.0, 3: 0.0}, pass_score=50)
    assert scored.score == 80.0  # the score itself is kept: the KPI averages it
    assert scored.critical_failed and not scored.passed
    assert scored.failed_critical_items == (3,)


def test_partial_points_on_a_critical_item_are_a_major_error() -> None:
    scored = score_evaluation(CARD, {1: 1.0, 2: 1.0, 3: 0.5}, pass_score=50)
    assert scored.critical_failed and not scored.passed


def test_the_score_reaching_the_pass_score_exactly_passes() -> None:
    assert score_evaluation(CARD, {1: 0.0, 2: 1.0, 3: 1.0}, pass_score=80).passed
    assert not score_evaluation(CARD, {1: 0.0, 2: 1.0, 3: 1.0}, pass_score=80.1).passed


def test_scores_are_rounded_half_up_to_one_decimal() -> None:
    thirds = (ItemRule(1, 1, False), ItemRule(2, 1, False), ItemRule(3, 1, False))
    assert score_evaluation(thirds, {1: 1, 2: 1, 3: 0}, 0).score == 66.7
    assert score_evaluation(thirds, {1: 1, 2: 0, 3: 0}, 0).score == 33.3
    assert round_score(84.25) == 84.3
    assert round_score(84.249) == 84.2
    assert round_score(0.05) == 0.1


def test_an_item_left_unanswered_is_an_error_naming_it() -> None:
    with pytest.raises(ScoringError) as error:
        score_evaluation(CARD, {1: 1.0, 3: None}, pass_score=80)
    assert error.value.unanswered == (2, 3)


def test_points_outside_zero_to_one_and_foreign_items_are_errors() -> None:
    with pytest.raises(ScoringError) as error:
        score_evaluation(CARD, {1: 1.5, 2: -0.1, 3: 1.0, 99: 1.0}, pass_score=80)
    assert error.value.out_of_range == (1, 2)
    assert error.value.unknown == (99,)
    with pytest.raises(ScoringError):
        score_evaluation(CARD, {1: float("nan"), 2: 1.0, 3: 1.0}, pass_score=80)


def test_a_scorecard_without_items_cannot_score() -> None:
    with pytest.raises(ScoringError) as error:
        score_evaluation((), {}, pass_score=80)
    assert error.value.no_items


def test_is_pass() -> None:
    assert is_pass(80, False, 80)
    assert not is_pass(100, True, 0)
    assert not is_pass(79.9, False, 80)


@pytest.mark.parametrize(
    ("text", "points"),
    [("pass", 1.0), ("Partial", 0.5), ("fail", 0.0), ("0.25", 0.25), ("1", 1.0), ("0", 0.0)],
)
def test_points_from_the_form(text: str, points: float) -> None:
    assert parse_points(text) == points


@pytest.mark.parametrize("text", [None, "", "maybe", "1.1", "-1", "nan", "inf"])
def test_anything_else_is_no_answer(text: str | None) -> None:
    assert parse_points(text) is None


def rows(*items: tuple[str, str, bool, str]) -> list[ItemRow]:
    return [ItemRow(question=q, weight=w, critical=c, order=o) for q, w, c, o in items]


def test_a_valid_scorecard_is_ordered_by_the_order_numbers() -> None:
    draft, problems = parse_scorecard(
        " Inbound service ",
        "",
        "75",
        rows(
            ("Solved the problem", "3", False, "2"),
            ("Greeted the caller", "1", False, "1"),
            ("", "1", False, ""),  # an untouched blank row
            ("Checked identity", "", True, ""),
        ),
    )
    assert problems == []
    assert draft is not None
    assert draft.name == "Inbound service" and draft.description is None
    assert draft.pass_score == 75.0
    assert [item.question for item in draft.items] == [
        "Greeted the caller",
        "Solved the problem",
        "Checked identity",
    ]
    assert draft.items[2] == ItemDraft("Checked identity", 1.0, True)


def test_every_problem_of_a_scorecard_is_reported_at_once() -> None:
    draft, problems = parse_scorecard(
        "",
        "",
        "120",
        rows(
            ("Greeted", "0", False, ""),
            ("", "1", True, ""),
            ("greeted", "-2", False, "x"),
            ("Q" * 501, "1", False, ""),
        ),
    )
    assert draft is None
    assert set(problems) == {
        _p(ProblemCode.NAME_MISSING),
        _p(ProblemCode.PASS_SCORE_INVALID),
        _p(ProblemCode.WEIGHT_INVALID, 1),
        _p(ProblemCode.QUESTION_MISSING, 2),
        _p(ProblemCode.QUESTION_REPEATED, 3),
        _p(ProblemCode.WEIGHT_INVALID, 3),
        _p(ProblemCode.ORDER_INVALID, 3),
        _p(ProblemCode.QUESTION_TOO_LONG, 4),
    }


def _p(code: ProblemCode, row: int | None = None) -> Problem:
    return Problem(code, row)


def test_a_scorecard_needs_items_and_not_too_many() -> None:
    _, problems = parse_scorecard("Empty", "", "80", rows(("", "1", False, "")))
    assert [p.code for p in problems] == [ProblemCode.NO_ITEMS]
    many = rows(*((f"Question {n}", "1", False, "") for n in range(51)))
    _, problems = parse_scorecard("Many", "", "80", many)
    assert [p.code for p in problems] == [ProblemCode.TOO_MANY_ITEMS]


def test_non_numbers_and_infinite_weights_are_refused() -> None:
    _, problems = parse_scorecard("Card", "", "eighty", rows(("Q", "inf", False, "")))
    assert {p.code for p in problems} == {
        ProblemCode.PASS_SCORE_INVALID,
        ProblemCode.WEIGHT_INVALID,
    }


def test_scoring_changes_are_told_apart_from_renames() -> None:
    items = (ItemDraft("Greeted", 1.0, False),)
    assert not scoring_changed(80, items, 80, items)
    assert scoring_changed(80, items, 85, items)
    assert scoring_changed(80, items, 80, (ItemDraft("Greeted", 2.0, False),))
    assert scoring_changed(80, items, 80, (ItemDraft("Greeted", 1.0, True),))
    assert scoring_changed(80, items, 80, (*items, ItemDraft("Closed", 1.0, False)))


def test_a_retired_version_keeps_a_unique_name_that_fits() -> None:
    assert retired_name("Inbound", 7) == "Inbound (v7, replaced)"
    long = retired_name("N" * 128, 123456)
    assert len(long) == 128 and long.endswith("(v123456, replaced)")


def test_trend_between_periods() -> None:
    assert score_trend(85.0, 80.0) is Trend.UP
    assert score_trend(80.0, 85.0) is Trend.DOWN
    assert score_trend(80.5, 80.0) is Trend.STEADY
    assert score_trend(None, 80.0) is None
    assert score_trend(80.0, None) is None


def test_weekly_averages_group_by_monday() -> None:
    weeks = weekly_averages(
        [
            (date(2026, 11, 23), 80.0),  # Monday
            (date(2026, 11, 29), 91.0),  # Sunday, same week
            (date(2026, 11, 16), 70.0),
            (date(2026, 11, 30), 100.0),
        ]
    )
    assert weeks == [
        WeekAverage(date(2026, 11, 16), 1, 70.0),
        WeekAverage(date(2026, 11, 23), 2, 85.5),
        WeekAverage(date(2026, 11, 30), 1, 100.0),
    ]
