"""SLA timers, urgency ordering and the complaint moves the supervisor's pages offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from asterisk_cc.core.sla import (
    CALLBACK_WARNING,
    COMPLAINT_WARNING,
    OPEN_TICKET_STATES,
    SlaState,
    callback_due_at,
    callback_urgency,
    complaint_due_at,
    complaint_urgency,
    sla_timer,
    ticket_moves,
)
from asterisk_cc.core.tickets import TicketState

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_a_deadline_far_ahead_is_on_time() -> None:
    timer = sla_timer(NOW + timedelta(hours=5), NOW, warn_within=COMPLAINT_WARNING)
    assert timer.state is SlaState.ON_TIME
    assert timer.seconds_left == 5 * 3600
    assert timer.overdue_s == 0


def test_a_deadline_within_the_warning_is_due_soon() -> None:
    timer = sla_timer(NOW + timedelta(hours=4), NOW, warn_within=COMPLAINT_WARNING)
    assert timer.state is SlaState.DUE_SOON
    timer = sla_timer(NOW + timedelta(minutes=1), NOW, warn_within=CALLBACK_WARNING)
    assert timer.state is SlaState.DUE_SOON and timer.seconds_left == 60


def test_a_deadline_reached_or_passed_is_overdue_by_the_time_since() -> None:
    assert sla_timer(NOW, NOW, warn_within=COMPLAINT_WARNING).state is SlaState.OVERDUE
    timer = sla_timer(NOW - timedelta(minutes=90), NOW, warn_within=COMPLAINT_WARNING)
    assert timer.state is SlaState.OVERDUE
    assert timer.seconds_left == -5400 and timer.overdue_s == 5400


def test_no_deadline_has_no_timer() -> None:
    timer = sla_timer(None, NOW, warn_within=COMPLAINT_WARNING)
    assert timer.state is SlaState.NO_DEADLINE and timer.seconds_left is None


def test_times_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_timer(NOW, NOW.replace(tzinfo=None), warn_within=COMPLAINT_WARNING)
    with pytest.raises(ValueError, match="deadline"):
        sla_timer(NOW.replace(tzinfo=None), NOW, warn_within=COMPLAINT_WARNING)


def test_a_callback_is_due_when_asked_for_or_at_once() -> None:
    later = NOW + timedelta(hours=2)
    assert callback_due_at(NOW, later) == later
    assert callback_due_at(NOW, None) == NOW


def test_a_complaint_is_due_its_hours_after_it_was_received_round_the_clock() -> None:
    friday_evening = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai
    assert complaint_due_at(friday_evening, 24) == datetime(2026, 11, 28, 10, 30, tzinfo=UTC)
    assert complaint_due_at(friday_evening, 72) == friday_evening + timedelta(days=3)
    assert complaint_due_at(friday_evening, 1) == friday_evening + timedelta(hours=1)


def test_zero_hours_is_no_due_time_and_negative_hours_are_refused() -> None:
    assert complaint_due_at(NOW, 0) is None
    with pytest.raises(ValueError, match="cannot be negative: -1"):
        complaint_due_at(NOW, -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        complaint_due_at(NOW.replace(tzinfo=None), 24)


def test_complaints_most_overdue_first_then_nearest_deadline_then_those_without() -> None:
    tickets = [
        (1, None, NOW - timedelta(days=3)),
        (2, NOW + timedelta(hours=1), NOW - timedelta(days=1)),
        (3, NOW - timedelta(hours=2), NOW - timedelta(hours=5)),
        (4, None, NOW - timedelta(days=5)),
        (5, NOW - timedelta(hours=2), NOW - timedelta(hours=9)),
    ]
    ordered = sorted(tickets, key=lambda t: complaint_urgency(t[1], t[2], t[0]))
    assert [t[0] for t in ordered] == [5, 3, 2, 4, 1]


def test_callbacks_by_due_time_then_the_earliest_request() -> None:
    requests = [
        (1, NOW - timedelta(minutes=5), NOW + timedelta(hours=1)),  # due in an hour
        (2, NOW - timedelta(minutes=30), None),  # due 30 minutes ago
        (3, NOW - timedelta(minutes=40), NOW - timedelta(minutes=30)),  # due 30 minutes ago
        (4, NOW - timedelta(minutes=1), None),
    ]
    ordered = sorted(requests, key=lambda r: callback_urgency(r[1], r[2], r[0]))
    assert [r[0] for r in ordered] == [3, 2, 4, 1]


def test_the_moves_follow_the_complaint_workflow() -> None:
    def targets(state: TicketState) -> list[tuple[str, bool]]:
        return [(m.target.value, m.reopens) for m in ticket_moves(state)]

    assert targets(TicketState.RECEIVED) == [("confirmed", False), ("closed", False)]
    assert targets(TicketState.CONFIRMED) == [("planned", False), ("closed", False)]
    assert targets(TicketState.PLANNED) == [("executing", False)]
    assert targets(TicketState.EXECUTING) == [("follow_up", False)]
    # Not satisfied at the follow-up: reopened, listed after closing.
    assert targets(TicketState.FOLLOW_UP) == [("closed", False), ("executing", True)]
    assert targets(TicketState.CLOSED) == []


def test_open_stages_are_every_stage_but_closed() -> None:
    assert TicketState.CLOSED not in OPEN_TICKET_STATES
    assert OPEN_TICKET_STATES[0] is TicketState.RECEIVED and len(OPEN_TICKET_STATES) == 5
