"""The IVR engine on the shipped hotline flow, driven by scripted events (no Asterisk)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asterisk_cc.core.ivr import actions as a
from asterisk_cc.core.ivr.engine import CallInfo, IvrEngine, luhn_valid, mask_digits
from asterisk_cc.core.ivr.flow import Flow, parse_flow
from asterisk_cc.core.ivr.say import say_amount, say_digits

CONF = Path(__file__).resolve().parents[2] / "conf" / "ivr"
# Monday 23 November 2026, 10:00 in Shanghai (open); Sunday (closed); National Day (holiday).
OPEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
NATIONAL_DAY = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
VIP = {"id": "7", "name": "Li Na", "tier": "vip", "language": "zh", "account": "62001234"}
GOLD_EN = {"id": "8", "name": "Ann Lee", "tier": "gold", "language": "en-GB", "balance": "1234.50"}

Responder = Callable[[a.Action], a.Event]


def load(name: str) -> Flow:
    with open(CONF / f"{name}.toml", "rb") as handle:
        return parse_flow(name, tomllib.load(handle), default_timezone="Asia/Shanghai")


HOTLINE = load("hotline")
SURVEY = load("survey")


class Caller:
    """Answers the engine's actions: keys queued per ReadDigits, records found by lookups."""

    def __init__(
        self,
        keys: list[str] | None = None,
        *,
        customers: dict[str, dict[str, str]] | None = None,
        accounts: dict[str, dict[str, str]] | None = None,
        tickets: dict[str, dict[str, str]] | None = None,
        fail: tuple[type, ...] = (),
        hang_up_after: int | None = None,
    ) -> None:
        self.keys = list(keys or [])
        self.customers = customers or {}
        self.accounts = accounts or {}
        self.tickets = tickets or {}
        self.fail = fail
        self.hang_up_after = hang_up_after
        self.actions: list[a.Action] = []

    def __call__(self, action: a.Action) -> a.Event:
        self.actions.append(action)
        if self.hang_up_after is not None and len(self.actions) > self.hang_up_after:
            return a.HungUp()
        if isinstance(action, self.fail):
            return a.Failed("database is down")
        if isinstance(action, a.ReadDigits):
            if not self.keys:
                return a.DigitsRead("", timed_out=True)
            return a.DigitsRead(self.keys.pop(0))
        if isinstance(action, a.LookupCustomer):
            table = self.customers if action.by == "caller_id" else self.accounts
            record = table.get(action.value)
            return a.Found(record) if record else a.NotFound()
        if isinstance(action, a.LookupTicket):
            ticket = self.tickets.get(action.customer_id)
            return a.Found(ticket) if ticket else a.NotFound()
        if isinstance(action, a.RecordMessage):
            return a.Recorded("/var/spool/asterisk/complaint-1", 12.5)
        if isinstance(action, a.OpenComplaint):
            return a.Saved("1042")
        if isinstance(action, a.SaveCallback | a.SaveSurvey):
            return a.Saved("5")
        if isinstance(action, a.Play):
            return a.PlayDone()
        return a.Done()

    def of(self, kind: type) -> list[a.Action]:
        return [action for action in self.actions if isinstance(action, kind)]


def run(
    flow: Flow, caller: Caller, now: datetime = OPEN, number: str = "+8613800000001"
) -> tuple[IvrEngine, a.Action]:
    engine = IvrEngine(flow, CallInfo(caller_number=number, caller_e164=number, uniqueid="u1"))
    action = engine.start(now)
    while not engine.finished:
        action = engine.feed(caller(action), now)
    return engine, action


def played(caller: Caller) -> list[str]:
    sounds: list[str] = []
    for action in caller.actions:
        if isinstance(action, a.Play | a.ReadDigits):
            sounds.extend(action.sounds)
    return sounds


def test_unknown_caller_picks_chinese_then_sales() -> None:
    caller = Caller(["1", "3"])
    engine, final = run(HOTLINE, caller)
    assert final == a.RouteToQueue(
        "sales",
        0,
        None,
        {
            "ASTERISK_CC_CUSTOMER_ID": "",
            "ASTERISK_CC_TIER": "standard",
            "ASTERISK_CC_LANGUAGE": "zh",
            "ASTERISK_CC_IVR_PATH": "welcome>hours>identify>language>main_menu>sales",
            "ASTERISK_CC_SURVEY": "survey",
        },
    )
    assert engine.outcome == "queued"
    assert caller.of(a.SetLanguage) == [a.SetLanguage("zh")]
    assert played(caller)[0] == "asterisk-cc/hotline/welcome"
    assert caller.of(a.LookupCustomer) == [a.LookupCustomer("caller_id", "+8613800000001")]


def test_vip_recognised_by_caller_id_skips_the_menus_with_priority() -> None:
    caller = Caller([], customers={"+8613800000001": VIP})
    engine, final = run(HOTLINE, caller)
    assert isinstance(final, a.RouteToQueue)
    assert (final.queue, final.priority) == ("vip", 10)
    assert final.variables["ASTERISK_CC_CUSTOMER_ID"] == "7"
    assert final.variables["ASTERISK_CC_TIER"] == "vip"
    assert not caller.of(a.ReadDigits)
    assert engine.path == ["welcome", "hours", "identify", "vip_check", "vip_queue"]


def test_english_customer_gets_english_prompts_without_the_language_menu() -> None:
    caller = Caller(["0"], customers={"+8613800000001": GOLD_EN})
    _, final = run(HOTLINE, caller)
    assert caller.of(a.SetLanguage) == [a.SetLanguage("zh"), a.SetLanguage("en")]
    assert isinstance(final, a.RouteToQueue)
    assert (final.queue, final.priority) == ("support", 5)
    assert final.variables["QUEUE_MAX_PENALTY"] == "1"  # the skill a gold customer gets
    # Stock English sounds where the flow names them, built prompts elsewhere.
    assert played(caller)[-1] == "one-moment-please"
    assert "asterisk-cc/hotline/main_menu" in played(caller)


def test_invalid_key_then_retry_then_a_valid_choice() -> None:
    caller = Caller(["1", "7", "3"])
    engine, final = run(HOTLINE, caller)
    assert isinstance(final, a.RouteToQueue) and final.queue == "sales"
    menu_steps = [(s.input, s.result) for s in engine.steps if s.node == "main_menu"]
    assert menu_steps == [("7", "invalid"), ("3", "chosen")]
    assert "asterisk-cc/hotline/invalid" in played(caller)


def test_timeouts_until_the_tries_run_out_go_to_the_operator() -> None:
    caller = Caller(["1"])  # then silence
    engine, final = run(HOTLINE, caller)
    assert isinstance(final, a.RouteToQueue) and final.queue == "support"
    results = [s.result for s in engine.steps if s.node == "main_menu"]
    assert results == ["timeout", "timeout", "timeout", "exhausted"]
    assert played(caller).count("asterisk-cc/hotline/no_input") == 3


def test_account_entry_confirmed_then_balance_said_and_masked_in_the_record() -> None:
    account = {"id": "9", "tier": "standard", "balance": "12.50", "account": "62001234"}
    caller = Caller(["2", "1", "1", "62001234", "1", "9"], accounts={"62001234": account})
    engine, final = run(HOTLINE, caller)
    assert final == a.HangUp()
    assert engine.outcome == "self_served"
    assert caller.of(a.LookupCustomer)[-1] == a.LookupCustomer("account", "62001234")
    sounds = played(caller)
    balance = ("asterisk-cc/hotline/balance_is", *say_amount_en("12.50"))
    assert _contains(sounds, balance)
    readback = ("you-entered", *say_digits("62001234", "en"), "if-correct-press", "digits/1")
    assert _contains(sounds, readback)
    assert engine.inputs == {"account": "****1234"}
    assert "62001234" not in repr(engine.steps)


def say_amount_en(value: str) -> tuple[str, ...]:
    from decimal import Decimal

    return say_amount(Decimal(value), "en", "CNY")


def _contains(sounds: list[str], run_: tuple[str, ...]) -> bool:
    return any(tuple(sounds[i : i + len(run_)]) == run_ for i in range(len(sounds)))


def test_unknown_account_is_retried_and_not_stored() -> None:
    account = {"id": "9", "balance": "3"}
    caller = Caller(
        ["1", "1", "1", "11111111", "62001234", "1", "9"], accounts={"62001234": account}
    )
    engine, _ = run(HOTLINE, caller)
    collect = [(s.input, s.result) for s in engine.steps if s.node == "enter_account"]
    assert collect == [("****1111", "invalid"), ("****1234", "entered")]
    assert engine.vars["customer.id"] == "9"


def test_a_short_or_unconfirmed_entry_counts_as_a_try() -> None:
    caller = Caller(["1", "1", "1", "123", "62001234", "2"], accounts={"62001234": {"id": "9"}})
    engine, final = run(HOTLINE, caller)
    results = [s.result for s in engine.steps if s.node == "enter_account"]
    assert results == ["invalid", "not_confirmed", "timeout", "exhausted"]
    assert isinstance(final, a.RouteToQueue) and final.queue == "support"


def test_ticket_status_for_a_known_customer() -> None:
    tickets = {"8": {"id": "1042", "state": "executing"}}
    caller = Caller(["1", "2", "9"], customers={"+8613800000001": GOLD_EN}, tickets=tickets)
    engine, final = run(HOTLINE, caller)
    assert final == a.HangUp()
    assert engine.outcome == "self_served"
    assert caller.of(a.LookupTicket) == [a.LookupTicket("8")]
    sounds = played(caller)
    assert _contains(sounds, ("asterisk-cc/hotline/ticket_number", *say_digits("1042", "en")))
    assert "asterisk-cc/hotline/ticket_open" in sounds


def test_after_hours_callback_on_the_callers_number() -> None:
    caller = Caller(["1", "1"])
    engine, final = run(HOTLINE, caller, now=SUNDAY)
    assert final == a.HangUp()
    assert engine.outcome == "callback"
    assert caller.of(a.SaveCallback) == [a.SaveCallback("+8613800000001", "support", "")]
    assert "identify" not in engine.path


def test_callback_on_another_number_when_the_caller_id_is_withheld() -> None:
    caller = Caller(["1", "13912345678", "1"])
    engine, _ = run(HOTLINE, caller, now=SUNDAY, number="")
    assert caller.of(a.SaveCallback) == [a.SaveCallback("13912345678", "support", "")]
    assert engine.path[-4:] == ["callback", "enter_callback_number", "callback", "goodbye"]


def test_holiday_is_closed_and_voicemail_is_offered() -> None:
    caller = Caller(["2"])
    engine, final = run(HOTLINE, caller, now=NATIONAL_DAY)
    assert final == a.Voicemail("8000@asterisk-cc")
    assert engine.outcome == "voicemail"


def test_complaint_is_recorded_and_its_ticket_number_read_back() -> None:
    caller = Caller(["1", "2"], customers={"+8613800000001": {"id": "3", "tier": "gold"}})
    engine, final = run(HOTLINE, caller)
    assert final == a.HangUp()
    assert engine.outcome == "complaint"
    assert caller.of(a.RecordMessage) == [a.RecordMessage(120, 5)]
    assert caller.of(a.OpenComplaint) == [
        a.OpenComplaint("hotline", "/var/spool/asterisk/complaint-1", "3", "+8613800000001")
    ]
    assert _contains(
        played(caller), ("asterisk-cc/hotline/ticket_number", *say_digits("1042", "zh"))
    )


def test_crm_down_at_identification_serves_the_caller_anyway() -> None:
    caller = Caller(["1", "3"], fail=(a.LookupCustomer,))
    engine, final = run(HOTLINE, caller)
    assert isinstance(final, a.RouteToQueue) and final.queue == "sales"
    assert [s.result for s in engine.steps if s.node == "identify"] == ["error"]
    assert engine.failure == "caller_id lookup failed: database is down"


def test_a_failure_with_nowhere_to_go_is_a_failover() -> None:
    caller = Caller(["1", "1"], fail=(a.SaveCallback,))
    flow = load("hotline")
    callback = flow.nodes["callback"]
    flow = _with_node(flow, "callback", on_error=None, base=callback)
    engine, final = run(flow, caller, now=SUNDAY)
    assert final == a.Failover("callback request failed: database is down")
    assert engine.outcome == "failed"


def _with_node(flow: Flow, node_id: str, *, base: object, **changes: object) -> Flow:
    import dataclasses

    nodes = dict(flow.nodes)
    nodes[node_id] = dataclasses.replace(base, **changes)  # type: ignore[type-var]
    return dataclasses.replace(flow, nodes=nodes)


def test_caller_hanging_up_mid_menu_is_abandoned() -> None:
    caller = Caller(["1"], hang_up_after=4)
    engine, final = run(HOTLINE, caller)
    assert final == a.HangUp()
    assert engine.outcome == "abandoned"
    # The drop-off is counted at the node the caller was in when they hung up.
    assert engine.steps[-1].node == "main_menu" and engine.steps[-1].result == "hangup"
    assert engine.path[-2:] == ["language", "main_menu"]


def test_a_flow_that_loops_forever_fails_over() -> None:
    flow = parse_flow(
        "loop",
        {
            "flow": {"start": "ask", "languages": ["en"]},
            "prompts": {"hi": {"en": "Hi"}},
            "nodes": {
                "ask": {
                    "kind": "menu",
                    "prompts": ["hi"],
                    "choices": {"1": "again", "2": "bye"},
                    "on_exhausted": "bye",
                },
                "again": {"kind": "play", "prompts": ["hi"], "next": "ask"},
                "bye": {"kind": "hangup"},
            },
        },
    )
    caller = Caller(["1"] * 500)
    engine, final = run(flow, caller)
    assert isinstance(final, a.Failover) and "loops" in final.reason
    assert engine.outcome == "failed"


def test_survey_stores_the_score() -> None:
    caller = Caller(["8", "4"])
    engine, final = run(SURVEY, caller)
    assert final == a.HangUp()
    assert caller.of(a.SaveSurvey) == [a.SaveSurvey("csat", 4)]
    assert [(s.input, s.result) for s in engine.steps if s.node == "rate"] == [
        ("8", "invalid"),
        ("4", "answered"),
    ]


def test_survey_with_no_answer_stores_nothing() -> None:
    caller = Caller([])
    engine, _ = run(SURVEY, caller)
    assert caller.of(a.SaveSurvey) == []
    assert [s.result for s in engine.steps if s.node == "rate"][-1] == "no_answer"


def test_feeding_a_finished_engine_is_refused() -> None:
    engine, _ = run(HOTLINE, Caller([], customers={"+8613800000001": VIP}))
    with pytest.raises(RuntimeError, match="finished"):
        engine.feed(a.Done(), OPEN)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("79927398713", True),
        ("79927398710", False),
        ("4111111111111111", True),
        ("1", False),
        ("12a", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_mask_keeps_the_last_four() -> None:
    assert mask_digits("6200123456") == "******3456"
    assert mask_digits("123") == "***"
