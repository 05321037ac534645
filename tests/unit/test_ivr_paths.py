"""The ways through the shipped hotline flow, worked out from the flow, checked against the
IVR engine itself: a caller who fits a path and presses its keys goes exactly its nodes."""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from asterisk_cc.core.ivr import actions as a
from asterisk_cc.core.ivr.engine import CallInfo, IvrEngine
from asterisk_cc.core.ivr.flow import Flow, parse_flow
from asterisk_cc.core.ivr.paths import IvrPath, always_open, ivr_paths
from asterisk_cc.core.ivr.say import say_amount

CONF = Path(__file__).resolve().parents[2] / "conf" / "ivr"
# Sunday 03:00 in Shanghai: the hotline is closed; National Day: a holiday.
SUNDAY_NIGHT = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
NATIONAL_DAY = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


def load(name: str) -> Flow:
    with open(CONF / f"{name}.toml", "rb") as handle:
        return parse_flow(name, tomllib.load(handle), default_timezone="Asia/Shanghai")


HOTLINE = load("hotline")
PATHS = ivr_paths(HOTLINE)
START = ("welcome", "hours", "identify")
KNOWN = (*START, "vip_check", "language", "main_menu")
UNKNOWN = (*START, "language", "main_menu")


def ways(callers: str, language_key: str = "") -> set[tuple[tuple[tuple[str, str], ...], str]]:
    """The (presses, goal) of the paths open to ``callers`` whose language menu press (if
    any) is ``language_key``."""
    found = set()
    for path in PATHS:
        if path.callers != {callers}:
            continue
        pressed = dict(path.presses)
        if pressed.get("language", "") != language_key:
            continue
        found.add((path.presses, path.goal))
    return found


def test_a_vip_is_routed_by_caller_id_to_the_vip_queue_without_a_key() -> None:
    (vip,) = [path for path in PATHS if "vip" in path.callers]
    assert vip.callers == {"vip"}
    assert vip.presses == ()
    assert vip.nodes == (*START, "vip_check", "vip_queue")
    assert (vip.end, vip.queue, vip.outcome, vip.goal) == ("queue", "vip", "queued", "queue:vip")


def test_a_known_caller_in_their_own_language_has_these_ways() -> None:
    # The same keys in Chinese and English: the customer's language decides, no menu asks.
    assert ways("known") == {
        ((("main_menu", "3"),), "queue:sales"),
        ((("main_menu", "0"),), "queue:support"),
        ((("main_menu", "1"), ("account_menu", "0")), "queue:support"),
        ((("main_menu", "2"), ("complaint", "<speaks>#")), "complaint"),
        (
            (("main_menu", "1"), ("account_menu", "1"), ("after_self_service", "9")),
            "self_service:balance",
        ),
        (
            (("main_menu", "1"), ("account_menu", "2"), ("after_self_service", "9")),
            "self_service:ticket",
        ),
    }
    sales = [p for p in PATHS if p.callers == {"known"} and p.goal == "queue:sales"]
    assert {(p.steps[4].keys, p.language) for p in sales} == {
        ("", "zh"),
        ("", "en"),
        ("1", "zh"),
        ("2", "en"),
    }


def test_an_unknown_caller_chooses_a_language_and_keys_in_an_account_for_self_service() -> None:
    for key in ("1", "2"):
        language = ("language", key)
        assert ways("unknown", key) == {
            ((language, ("main_menu", "3")), "queue:sales"),
            ((language, ("main_menu", "0")), "queue:support"),
            ((language, ("main_menu", "1"), ("account_menu", "0")), "queue:support"),
            ((language, ("main_menu", "2"), ("complaint", "<speaks>#")), "complaint"),
            (
                (
                    language,
                    ("main_menu", "1"),
                    ("account_menu", "1"),
                    ("enter_account", "<account>#1"),
                    ("after_self_service", "9"),
                ),
                "self_service:balance",
            ),
            (
                (
                    language,
                    ("main_menu", "1"),
                    ("account_menu", "2"),
                    ("enter_account_for_ticket", "<account>#1"),
                    ("after_self_service", "9"),
                ),
                "self_service:ticket",
            ),
        }


def test_the_ways_end_where_the_flow_says_and_never_loop() -> None:
    assert len(PATHS) == 55  # 1 VIP; 4 language cases x 9 for known callers; 2 x 9 unknown
    for path in PATHS:
        assert len(set(path.nodes)) == len(path.nodes), path.nodes
        assert "closed" not in path.nodes and "after_hours" not in path.nodes
        assert path.nodes[:3] == START
    assert {p.queue for p in PATHS if p.end == "queue"} == {"vip", "sales", "support"}
    assert {p.outcome for p in PATHS} == {"queued", "self_served", "complaint"}
    sales = next(p for p in PATHS if p.callers == {"unknown"} and p.goal == "queue:sales")
    assert sales.nodes == (*UNKNOWN, "sales")
    balance = next(p for p in PATHS if p.callers == {"known"} and p.goal == "self_service:balance")
    assert balance.nodes == (
        *KNOWN,
        "account_menu",
        "balance_who",
        "say_balance",
        "after_self_service",
        "goodbye",
    )


# --- against the engine ---------------------------------------------------------------------


def customer(
    tier: str, language: str, balance: str | None, ticket: str | None, number: int
) -> dict[str, str]:
    variables = {
        "customer.id": str(number),
        "customer.tier": tier,
        "customer.account": f"6200{number:04d}",
        "customer.language": language,
    }
    if balance is not None:
        variables["customer.balance"] = balance
    if ticket is not None:
        variables |= {"ticket.id": str(900 + number), "ticket.state": ticket}
    return variables


CUSTOMERS = [
    customer(tier, language, balance, ticket, number)
    for number, (tier, language, balance, ticket) in enumerate(
        itertools.product(
            ("standard", "gold", "vip"),
            ("zh", "en", ""),
            ("1234.50", None),
            (None, "received", "closed"),
        ),
        start=1,
    )
]
CALLERS: list[dict[str, str]] = [{}, *CUSTOMERS]


class Caller:
    """Answers the engine as the path's caller would: the path's keys in order, lookups
    from the caller's and the keyed-in customer's records."""

    def __init__(
        self, path: IvrPath, own: Mapping[str, str], picked: Mapping[str, str] | None
    ) -> None:
        self.reads: list[str] = []
        for step in path.steps:
            if step.input == "keys":
                self.reads.append(step.keys)
            elif step.input == "entry":
                assert picked is not None
                self.reads.append(picked["customer.account"])
                if step.confirm:
                    self.reads.append(step.confirm)
        self.own, self.picked = own, picked
        self.current = own
        self.sounds: list[str] = []

    def __call__(self, action: a.Action) -> a.Event:
        if isinstance(action, a.Play | a.ReadDigits):
            self.sounds.extend(action.sounds)
        if isinstance(action, a.ReadDigits):
            return a.DigitsRead(self.reads.pop(0))
        if isinstance(action, a.LookupCustomer):
            record = self.own if action.by == "caller_id" else self.picked
            if action.by == "account" and record is not None:
                assert action.value == record["customer.account"]
            if not record:
                return a.NotFound()
            self.current = record
            return a.Found(
                {k.split(".", 1)[1]: v for k, v in record.items() if k.startswith("customer.")}
            )
        if isinstance(action, a.LookupTicket):
            if "ticket.id" not in self.current:
                return a.NotFound()
            return a.Found({"id": self.current["ticket.id"], "state": self.current["ticket.state"]})
        if isinstance(action, a.RecordMessage):
            return a.Recorded("/spool/complaint", 3.0)
        if isinstance(action, a.OpenComplaint | a.SaveCallback | a.SaveSurvey):
            return a.Saved("77")
        if isinstance(action, a.Play):
            return a.PlayDone()
        return a.Done()


@pytest.mark.parametrize(
    "path", PATHS, ids=lambda p: f"{'/'.join(sorted(p.callers))}:{p.goal}:{p.presses}"
)
def test_every_path_is_what_the_engine_does_for_a_caller_who_fits_it(path: IvrPath) -> None:
    fitting = [
        (own, picked)
        for own in CALLERS
        for picked in ([None] if not path.picks_customer else CUSTOMERS)
        if path.fits(own, picked)
    ]
    assert fitting, f"no caller fits {path.nodes}"
    # Who does not fit goes another way: the engine must then not go this one.
    for own, picked in [*fitting[:3], *fitting[-3:]]:
        caller = Caller(path, own, picked)
        number = "+8613900000001"
        engine = IvrEngine(always_open(HOTLINE), CallInfo(number, number, "u1"))
        action = engine.start(SUNDAY_NIGHT)
        while not engine.finished:
            action = engine.feed(caller(action), SUNDAY_NIGHT)
        assert tuple(engine.path) == path.nodes
        assert engine.outcome == path.outcome
        assert (action.queue if isinstance(action, a.RouteToQueue) else None) == path.queue
        assert caller.reads == []
        # What the path says the caller hears before each key is what the engine plays.
        resolved = path.for_caller(own, picked)
        at = 0
        for step in resolved.steps:
            heard = [s for s in step.sounds if s != "beep"]  # the beep is RECORD FILE's
            if heard:
                at = caller.sounds.index(heard[0], at)
                assert caller.sounds[at : at + len(heard)] == heard, step.node
                at += len(heard)


def test_a_caller_who_does_not_fit_a_path_goes_another_way() -> None:
    vip = next(p for p in PATHS if p.callers == {"vip"})
    standard_zh = CUSTOMERS[0]
    assert not vip.fits(standard_zh)
    assert not vip.fits({})
    unknown_balance = next(
        p for p in PATHS if p.callers == {"unknown"} and p.goal == "self_service:balance"
    )
    assert not unknown_balance.fits({})  # an account to key in is needed
    assert unknown_balance.fits({}, standard_zh)


def test_the_balance_said_is_the_callers_own() -> None:
    path = next(
        p
        for p in PATHS
        if p.callers == {"known"}
        and p.goal == "self_service:balance"
        and p.language == "en"
        and not dict(p.presses).get("language")
    )
    assert not path.is_resolved
    caller = customer("gold", "en", "88.20", None, 5)
    resolved = path.for_caller(caller)
    assert resolved.is_resolved
    (said,) = [step for step in resolved.steps if step.node == "say_balance"]
    assert said.sounds == (
        "asterisk-cc/hotline/balance_is",
        *say_amount(Decimal("88.20"), "en", "CNY"),
    )
    with pytest.raises(ValueError, match="does not go the way"):
        path.for_caller(customer("gold", "en", None, None, 6))


def test_the_always_open_flow_is_open_at_night_and_on_holidays_and_otherwise_the_same() -> None:
    office = HOTLINE.calendars["office"]
    assert not office.is_open(SUNDAY_NIGHT) and not office.is_open(NATIONAL_DAY)
    demo = always_open(HOTLINE)
    assert demo.calendars["office"].is_open(SUNDAY_NIGHT)
    assert demo.calendars["office"].is_open(NATIONAL_DAY)
    assert demo.calendars["office"].timezone == office.timezone
    assert demo.nodes == HOTLINE.nodes and demo.prompts == HOTLINE.prompts
