"""The complaint state machine: only the allowed moves, and every stage time recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.tickets import (
    TRANSITIONS,
    IllegalTransition,
    TicketError,
    TicketProgress,
    TicketState,
    allowed_targets,
    open_ticket,
    transition,
)

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
S = TicketState


def walk(*targets: TicketState, step: timedelta = timedelta(hours=1)) -> TicketProgress:
    progress = open_ticket(T0)
    now = T0
    for target in targets:
        now += step
        progress = transition(progress, target, now)
    return progress


def test_the_happy_path_records_the_time_of_each_stage() -> None:
    progress = walk(S.CONFIRMED, S.PLANNED, S.EXECUTING, S.FOLLOW_UP, S.CLOSED)
    assert progress.state is S.CLOSED and not progress.is_open
    hours = [
        progress.received_at,
        progress.confirmed_at,
        progress.planned_at,
        progress.executing_at,
        progress.follow_up_at,
        progress.closed_at,
    ]
    assert hours == [T0 + timedelta(hours=n) for n in range(6)]
    assert progress.reopen_count == 0


def test_reopen_from_follow_up_goes_back_to_executing() -> None:
    progress = walk(S.CONFIRMED, S.PLANNED, S.EXECUTING, S.FOLLOW_UP, S.EXECUTING)
    assert progress.state is S.EXECUTING
    assert progress.reopen_count == 1
    assert progress.executing_at == T0 + timedelta(hours=5)  # the latest entry
    assert progress.follow_up_at is None  # no longer in follow-up
    assert progress.planned_at == T0 + timedelta(hours=2)
    again = transition(
        transition(progress, S.FOLLOW_UP, T0 + timedelta(hours=6)),
        S.CLOSED,
        T0 + timedelta(hours=7),
    )
    assert again.closed_at == T0 + timedelta(hours=7) and again.reopen_count == 1


def test_unfounded_complaint_closes_straight_from_received() -> None:
    progress = walk(S.CLOSED)
    assert progress.closed_at == T0 + timedelta(hours=1)
    assert progress.confirmed_at is None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), S.PLANNED),  # cannot skip confirmation
        ((), S.EXECUTING),
        ((S.CONFIRMED,), S.EXECUTING),  # no execution without a plan
        ((S.CONFIRMED, S.PLANNED, S.EXECUTING), S.CLOSED),  # no closing without a follow-up
        ((S.CONFIRMED, S.PLANNED, S.EXECUTING, S.FOLLOW_UP, S.CLOSED), S.EXECUTING),
        ((S.CONFIRMED, S.PLANNED), S.RECEIVED),
    ],
)
def test_illegal_moves_raise_naming_the_move_and_the_options(
    path: tuple[TicketState, ...], target: TicketState
) -> None:
    progress = walk(*path)
    with pytest.raises(IllegalTransition) as excinfo:
        transition(progress, target, T0 + timedelta(days=1))
    message = str(excinfo.value)
    assert f"from {progress.state.value} to {target.value}" in message
    for allowed in allowed_targets(progress.state):
        assert allowed.value in message
    if progress.state is S.CLOSED:
        assert "closed" in message


def test_naive_or_backwards_times_are_refused() -> None:
    with pytest.raises(TicketError, match="timezone-aware"):
        open_ticket(datetime(2026, 11, 2, 1, 0))
    progress = walk(S.CONFIRMED)
    with pytest.raises(TicketError, match="entered confirmed later"):
        transition(progress, S.PLANNED, T0)


def test_string_targets_are_accepted() -> None:
    assert transition(open_ticket(T0), "confirmed", T0).state is S.CONFIRMED  # type: ignore[arg-type]


@given(
    st.lists(st.sampled_from(list(TicketState)), max_size=30),
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=30, max_size=30),
)
def test_any_sequence_of_moves_keeps_the_invariants(
    targets: list[TicketState], gaps_s: list[int]
) -> None:
    progress = open_ticket(T0)
    now = T0
    for target, gap in zip(targets, gaps_s, strict=False):
        now += timedelta(seconds=gap)
        before = progress
        try:
            progress = transition(progress, target, now)
        except IllegalTransition:
            assert target not in TRANSITIONS[before.state]
            assert progress == before
            continue
        assert target in TRANSITIONS[before.state]
        assert progress.state is target and progress.entered_at() == now
        # Stage times exist for the current stage and never for a later one ...
        for state in TicketState:
            if state.stage > progress.state.stage:
                assert progress.entered_at(state) is None
        # ... and the stages on the current path were entered in order.
        stamps = [progress.entered_at(s) for s in TicketState if progress.entered_at(s)]
        assert stamps == sorted(stamps)  # type: ignore[type-var]
        assert progress.received_at == T0
    assert progress.reopen_count >= 0
