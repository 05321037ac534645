"""The KPI dictionary beyond queue calls (docs/kpi.md §2–§6), each worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.breakdown import breakdown
from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome
from asterisk_cc.core.reports.daily import DayData, interval_starts
from asterisk_cc.core.reports.pack import Rag, rag_status

T0 = datetime(2026, 11, 22, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_agent_time_is_split_at_the_period_and_logged_out_is_not_staffed() -> None:
    states = [
        (at(-60), "ready"),  # logged in an hour before the period: counts from its start
        (at(30), "talking"),
        (at(40), "hold"),
        (at(42), "talking"),
        (at(45), "wrap_up"),
        (at(47), "paused"),
        (at(57), "ready"),
        (at(120), "logged_out"),
        (at(150), "ready"),
    ]
    time = kpi.agent_time_from_states(states, at(0), at(180))
    # staffed: 0..120 and 150..180 = 150 min; paused 10; talk 10 + 3; hold 2; wrap-up 2
    assert time.staffed_s == 150 * 60
    assert time.paused_s == 10 * 60
    assert (time.talk_s, time.hold_s, time.wrapup_s) == (13 * 60, 2 * 60, 2 * 60)
    # occupancy = 17 / (150 - 10); utilisation = 17 / 150
    assert kpi.occupancy(time) == pytest.approx(17 / 140)
    assert kpi.utilisation(time) == pytest.approx(17 / 150)
    assert kpi.occupancy(kpi.AgentTime()) is None


def test_attendance_counts_shifts_started_on_time() -> None:
    shifts = [(at(0), at(480)), (at(1440), at(1920)), (at(2880), at(3360))]
    sessions = [
        (at(-10), at(500)),  # early
        (at(1440 + 4), at(1900)),  # 4 min late: within the 5-minute grace
        (at(2880 + 6), None),  # 6 min late
    ]
    assert kpi.attendance(shifts, sessions) == pytest.approx(2 / 3)
    assert kpi.attendance([], sessions) is None


def test_fcr_is_no_repeat_contact_within_the_window() -> None:
    window = timedelta(days=7)
    candidates = [("+1", at(0)), ("+2", at(0)), ("+3", at(0))]
    contacts = [
        ("+1", at(0)),  # the call itself is not a repeat
        ("+2", at(60 * 24 * 3)),  # called again after 3 days: not resolved
        ("+3", at(60 * 24 * 8)),  # after 8 days: outside the window, resolved
    ]
    assert kpi.fcr_rate(candidates, contacts, window) == pytest.approx(2 / 3)


def test_cost_attrition_csat_and_qa() -> None:
    assert kpi.cost_per_call(8 * 3600, 40, 25.0) == pytest.approx(5.0)  # 200 / 40
    assert kpi.cost_per_call(8 * 3600, 40, 0) is None
    assert kpi.attrition_rate(2, 21, 19) == pytest.approx(0.1)
    figures = kpi.csat([5, 4, 2, 1])
    assert (figures["csat"], figures["csat_satisfied_rate"]) == (3.0, 0.5)
    qa = kpi.qa_figures([kpi.QaResult(90, False), kpi.QaResult(60, True)])
    assert (qa["qa_score"], qa["qa_major_error_rate"]) == (75, 0.5)


def test_ivr_containment_and_drop_off() -> None:
    trips = [
        kpi.IvrTrip(("welcome", "main", "balance"), "self_served"),
        kpi.IvrTrip(("welcome", "main"), "abandoned"),
        kpi.IvrTrip(("welcome", "main", "queue"), "queued"),
        kpi.IvrTrip(("welcome",), None),
    ]
    assert kpi.ivr_containment(trips) == 0.25
    assert kpi.ivr_drop_off(trips) == [
        ("welcome", 4, 1),
        ("main", 3, 1),
        ("balance", 1, 0),
        ("queue", 1, 0),
    ]


def test_callbacks_complaints_and_backlog() -> None:
    requests = [
        kpi.CallbackReq(at(0), "done", at(30)),
        kpi.CallbackReq(at(0), "pending", None),
        kpi.CallbackReq(at(0), "cancelled", None),
    ]
    assert kpi.callback_fulfilment(requests) == 0.5
    day_end = at(1440)
    tickets = [
        kpi.Ticket(at(60), at(180), due_at=at(240)),  # closed in 2 h, on time
        kpi.Ticket(at(60), at(600), due_at=at(300)),  # closed late: a breach
        kpi.Ticket(at(-3000), None, due_at=at(100)),  # still open past due: a breach
        kpi.Ticket(at(1000), None, due_at=at(5000)),  # open, not yet due
    ]
    figures = kpi.complaint_figures(tickets, at(0), day_end)
    assert figures["complaints_received"] == 3
    assert figures["complaint_resolution_s"] == pytest.approx((120 + 540) * 60 / 2)
    assert figures["complaint_sla_breaches"] == 2
    bands = kpi.backlog_by_age([at(1000), at(-10), at(-3000), at(-20000)], day_end)
    assert bands == {"under_1d": 1, "d1_to_3": 1, "d3_to_7": 1, "over_7d": 1}


def test_outbound_figures() -> None:
    attempts = [
        kpi.Attempt(1, "human", True, False, "sale"),
        kpi.Attempt(2, "human", True, False, "wrong_number"),
        kpi.Attempt(3, "human", False, True, None),  # dropped: nobody free
        kpi.Attempt(4, "no_answer", False, False, None),
        kpi.Attempt(5, "machine", False, False, None),
    ]
    figures = kpi.outbound_figures(attempts, leads_total=10, leads_attempted_ever=5)
    assert figures["contacts"] == 3 and figures["contact_rate"] == pytest.approx(3 / 5)
    assert figures["rpc"] == 1 and figures["rpc_rate"] == pytest.approx(1 / 3)
    assert figures["drops"] == 1 and figures["drop_rate"] == pytest.approx(1 / 3)
    assert figures["conversions"] == 1 and figures["conversion_rate"] == 1.0
    assert figures["list_penetration"] == 0.5


def test_rag_status_against_targets() -> None:
    assert rag_status(0.85, 0.8, higher_is_better=True, amber_band=0.05) is Rag.GREEN
    assert rag_status(0.77, 0.8, higher_is_better=True, amber_band=0.05) is Rag.AMBER
    assert rag_status(0.70, 0.8, higher_is_better=True, amber_band=0.05) is Rag.RED
    assert rag_status(0.06, 0.05, higher_is_better=False, amber_band=0.05) is Rag.AMBER
    assert rag_status(None, 0.05, higher_is_better=False, amber_band=0.05) is None


def visit(callid: str, entered: datetime, queue: str = "q", wait: float = 5) -> QueueVisit:
    return QueueVisit(
        callid=callid,
        queue=queue,
        entered_at=entered,
        outcome=VisitOutcome.ANSWERED,
        wait_s=wait,
        ended_at=entered + timedelta(minutes=3),
        talk_s=150,
        agent="a",
    )


def test_a_dst_day_has_23_or_25_hours_of_intervals() -> None:
    london = ZoneInfo("Europe/London")
    spring = DayData(
        day=datetime(2026, 3, 29).date(),
        start=datetime(2026, 3, 29, tzinfo=london).astimezone(UTC),
        end=datetime(2026, 3, 30, tzinfo=london).astimezone(UTC),
        timezone="Europe/London",
    )
    autumn = DayData(
        day=datetime(2026, 10, 25).date(),
        start=datetime(2026, 10, 25, tzinfo=london).astimezone(UTC),
        end=datetime(2026, 10, 26, tzinfo=london).astimezone(UTC),
        timezone="Europe/London",
    )
    assert len(interval_starts(spring, timedelta(hours=1))) == 23
    assert len(interval_starts(autumn, timedelta(minutes=30))) == 50


def test_breakdown_by_time_uses_local_time_and_calls() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    visits = [
        visit("1", datetime(2026, 11, 22, 15, 50, tzinfo=UTC)),  # 23:50 local, 22nd
        visit("2", datetime(2026, 11, 22, 16, 10, tzinfo=UTC)),  # 00:10 local, 23rd
        visit("2", datetime(2026, 11, 22, 16, 5, tzinfo=UTC), queue="first"),  # same call
    ]
    days = breakdown(visits, "day", zone=shanghai)
    assert [(r.label, r.figures.offered) for r in days] == [("2026-11-22", 1), ("2026-11-23", 1)]
    slots = breakdown(visits, "interval", zone=shanghai, interval=timedelta(minutes=15))
    assert [r.label for r in slots] == ["2026-11-22 23:45", "2026-11-23 00:00"]
    queues = breakdown(visits, "queue", zone=shanghai)
    assert [(r.label, r.figures.offered) for r in queues] == [("first", 1), ("q", 2)]
    with pytest.raises(ValueError, match="cannot break down by 'colour'"):
        breakdown(visits, "colour", zone=shanghai)
