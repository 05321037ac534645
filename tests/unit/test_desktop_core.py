"""The agent desktop's pure decisions: pause reasons, dispositions, callback times, transfer
targets, wrap-up end, complaint moves and what a live change means for one agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.agents import check_reason
from asterisk_cc.core.desktop import (
    INBOUND_DISPOSITIONS,
    OUTBOUND_DISPOSITIONS,
    PAUSE_REASONS,
    DesktopInputError,
    DeskView,
    callback_time,
    desk_changes,
    disposition_code,
    pause_reason,
    ticket_moves,
    transfer_extension,
    wrapup_until,
)
from asterisk_cc.core.tickets import TicketState

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_pause_reasons_are_the_defaults_with_after_call_work_before_other() -> None:
    assert PAUSE_REASONS == ("break", "lunch", "training", "meeting", "after_call_work", "other")
    assert all(check_reason(code) == code for code in PAUSE_REASONS)


@pytest.mark.parametrize(
    ("choice", "text", "code"),
    [
        ("lunch", "", "lunch"),
        ("lunch", "ignored when a reason is chosen", "lunch"),
        ("other", "", "other"),
        ("other", "Doctor visit", "doctor_visit"),
        ("other", "  Café — 2nd floor! ", "cafe_2nd_floor"),
        ("other", "看医生", "other"),
        ("", "Team coaching", "team_coaching"),
        ("other", "x" * 200, "x" * 64),
    ],
)
def test_a_pause_reason_is_a_code_the_controller_accepts(choice: str, text: str, code: str) -> None:
    assert pause_reason(choice, text) == code
    assert check_reason(code) == code


@pytest.mark.parametrize("choice", ["", "coffee", "' OR 1=1 --", "LUNCH"])
def test_an_unknown_pause_reason_is_refused(choice: str) -> None:
    with pytest.raises(DesktopInputError) as refused:
        pause_reason(choice)
    assert refused.value.kind == "pause_reason"


@given(st.text(max_size=300))
def test_any_typed_reason_becomes_a_valid_code(text: str) -> None:
    assert check_reason(pause_reason("other", text))


def test_dispositions_follow_the_kind_of_call() -> None:
    assert disposition_code(" Resolved ", outbound=False) == "resolved"
    assert disposition_code("do_not_call", outbound=True) == "do_not_call"
    assert "sale" in OUTBOUND_DISPOSITIONS and "sale" not in INBOUND_DISPOSITIONS
    for code, outbound in (("sale", False), ("resolved", True), ("", False)):
        with pytest.raises(DesktopInputError):
            disposition_code(code, outbound)


def test_a_callback_time_is_read_in_the_site_zone_and_must_be_ahead() -> None:
    # 10:00 UTC is 18:00 in Shanghai.
    assert callback_time("2026-11-24T09:30", SHANGHAI, NOW) == datetime(
        2026, 11, 24, 1, 30, tzinfo=UTC
    )
    assert callback_time("2026-11-23T18:30", SHANGHAI, NOW) == NOW + timedelta(minutes=30)
    assert callback_time("2026-11-23T11:00+00:00", SHANGHAI, NOW) == NOW + timedelta(hours=1)
    for text, kind in (
        ("2026-11-23T18:00", "callback_past"),
        ("2026-11-23T12:00", "callback_past"),
        ("2027-03-01T09:00", "callback_far"),
        ("soon", "callback_time"),
        ("", "callback_time"),
    ):
        with pytest.raises(DesktopInputError) as refused:
            callback_time(text, SHANGHAI, NOW)
        assert refused.value.kind == kind, text


def test_transfers_go_to_a_known_queue_or_a_dialable_number() -> None:
    queues = frozenset({"support", "sales"})
    assert transfer_extension("queue", " sales ", queues) == ("queue", "sales")
    assert transfer_extension("number", "+86 (138) 1234-5678", queues) == (
        "number",
        "+8613812345678",
    )
    assert transfer_extension("number", "*72#", queues) == ("number", "*72#")
    for kind, target in (
        ("queue", "vip"),
        ("queue", "sales,1"),
        ("number", "8001&Dial(PJSIP/x)"),
        ("number", ""),
        ("number", "1" * 40),
        ("voicemail", "8001"),
    ):
        with pytest.raises(DesktopInputError):
            transfer_extension(kind, target, queues)


def test_wrap_up_ends_at_the_queue_limit() -> None:
    assert wrapup_until(NOW, 45) == NOW + timedelta(seconds=45)
    assert wrapup_until(NOW, 0) is None
    assert wrapup_until(NOW, None) is None


def test_complaint_moves_are_the_workflows_in_order() -> None:
    assert ticket_moves("received") == [TicketState.CONFIRMED, TicketState.CLOSED]
    assert ticket_moves(TicketState.FOLLOW_UP) == [TicketState.EXECUTING, TicketState.CLOSED]
    assert ticket_moves(TicketState.CLOSED) == []


def test_a_live_change_is_news_to_the_agent_only_when_their_view_changes() -> None:
    ready = DeskView(True, "ready", None, NOW, None, True)
    talking = DeskView(True, "talking", None, NOW, "call-1", True)
    assert desk_changes(None, ready) == (True, False)
    assert desk_changes(None, talking) == (True, True)
    assert desk_changes(ready, ready) == (False, False)
    assert desk_changes(ready, talking) == (True, True)
    assert desk_changes(talking, DeskView(True, "hold", None, NOW, "call-1", True)) == (True, False)
    assert desk_changes(ready, DeskView(True, "ready", None, NOW, None, False)) == (True, False)
    out = DeskView.logged_out(link_up=True)
    assert out.as_json() == {
        "logged_in": False,
        "state": "logged_out",
        "reason": None,
        "since": None,
        "call": None,
        "link_up": True,
    }
