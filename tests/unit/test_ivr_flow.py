"""Flow files: every problem is reported with its key; validation finds what does not link up."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from asterisk_cc.core.ivr.calendar import Calendar, CalendarError
from asterisk_cc.core.ivr.flow import FlowError, parse_flow
from asterisk_cc.core.ivr.validate import validate_flow

CONF = Path(__file__).resolve().parents[2] / "conf" / "ivr"


def minimal(**nodes: dict[str, Any]) -> dict[str, Any]:
    return {
        "flow": {"start": "hello", "languages": ["en", "zh"]},
        "prompts": {"hi": {"en": "Hi", "zh": "你好"}},
        "nodes": {
            "hello": {
                "kind": "menu",
                "prompts": ["hi"],
                "choices": {"1": "bye"},
                "on_exhausted": "bye",
            },
            "bye": {"kind": "hangup", "prompts": ["hi"]},
            **nodes,
        },
    }


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(FlowError) as caught:
        parse_flow("t", data)
    return caught.value.problems


def findings(data: dict[str, Any], **kwargs: Any) -> list[str]:
    return [f"{f.key}: {f.message}" for f in validate_flow(parse_flow("t", data), **kwargs)]


def test_the_shipped_flows_are_valid() -> None:
    for path in CONF.glob("*.toml"):
        with open(path, "rb") as handle:
            flow = parse_flow(path.stem, tomllib.load(handle))
        assert validate_flow(flow, queues={"support", "sales", "vip"}, flows={"survey"}) == []


def test_every_problem_is_named_with_its_key() -> None:
    data = minimal(
        typo={"kind": "menue", "next": "bye"},
        menu2={
            "kind": "menu",
            "prompts": "hi",
            "choices": {"12": "bye"},
            "on_exhausted": "bye",
            "timeout_s": "5",
        },
        ask={
            "kind": "collect",
            "prompts": ["hi"],
            "store": "Bad Name",
            "next": "bye",
            "on_exhausted": "bye",
            "min_digits": 9,
            "max_digits": 4,
        },
        q={"kind": "queue", "queue": "Support Queue", "colour": "red"},
    )
    data["prompts"]["half"] = {"en": "Only English"}
    found = problems(data)
    assert (
        "nodes.typo.kind: 'menue' is not a node kind (did you mean 'menu'?); kinds: play, menu, collect, lookup, condition, say, language, set, queue, transfer, voicemail, callback, complaint, survey, hangup"
        in found
    )
    assert "nodes.menu2.choices.12: a choice is one key: 0-9, * or #" in found
    assert "nodes.menu2.timeout_s: must be a number" in found
    assert "nodes.ask.store: 'Bad Name' is not a variable name like account" in found
    assert "nodes.ask: needs 1 <= min_digits <= max_digits <= 64" in found
    assert any(p.startswith("nodes.q.queue: 'Support Queue' is not a queue name") for p in found)
    assert "nodes.q.colour: unknown key for a queue node" in found
    assert "prompts.half: has no zh text (every prompt says what it says)" in found


def test_missing_required_keys_and_sections() -> None:
    found = problems({"flow": {}, "nodes": {"x": {"kind": "play"}}, "extra": {}})
    assert "flow.start: is missing" in found
    assert "nodes.x.next: is missing" in found
    assert any(p.startswith("extra: unknown section") for p in found)


def test_bad_calendar_and_condition() -> None:
    data = minimal(
        hours={
            "kind": "condition",
            "when": [
                {"open": "office", "goto": "bye"},
                {"var": "customer.tier", "between": 1, "goto": "bye"},
            ],
            "otherwise": "bye",
        }
    )
    data["calendars"] = {"office": {"mon": "8-20", "timezone": "Mars/Base"}}
    found = problems(data)
    assert any("calendars.office" in p and "'8-20' is not a time range" in p for p in found)
    assert "nodes.hours.when[0].open: no calendar 'office' in [calendars]" in found
    assert any(
        p.startswith("nodes.hours.when[1]: a variable test has exactly one of") for p in found
    )


def test_unknown_targets_unreachable_nodes_and_loops_without_exit() -> None:
    data = minimal(
        orphan={"kind": "play", "prompts": ["hi"], "next": "bye"},
        spin={
            "kind": "menu",
            "prompts": ["hi"],
            "choices": {"1": "spin2"},
            "on_exhausted": "spin2",
        },
        spin2={"kind": "play", "prompts": ["hi"], "next": "spin"},
        broken={"kind": "play", "prompts": ["nope"], "next": "nowhere"},
    )
    data["nodes"]["hello"]["choices"] = {"1": "bye", "2": "spin", "3": "broken"}
    found = findings(data)
    assert "nodes.broken.next: no node 'nowhere'" in found
    assert "nodes.broken.prompts[0]: no prompt 'nope' in [prompts]" in found
    assert "nodes.orphan: no caller can reach this node" in found
    assert any(f.startswith("nodes.spin: no way out") for f in found)
    assert any(f.startswith("nodes.spin2: no way out") for f in found)
    assert not any(f.startswith("nodes.hello: no way out") for f in found)


def test_queues_and_sounds_are_checked_against_the_pbx() -> None:
    data = minimal(q={"kind": "queue", "queue": "billing", "by_tier": {"vip": "vip"}})
    data["nodes"]["hello"]["choices"]["2"] = "q"
    data["prompts"]["bye"] = {"en": "Goodbye", "zh": "再见", "en_files": ["vm-goodbye"]}
    data["nodes"]["bye"]["prompts"] = ["bye"]
    installed = {("en", "vm-goodbye"), ("en", "asterisk-cc/t/hi")}
    found = findings(
        data, queues={"support", "vip"}, sound_exists=lambda lang, name: (lang, name) in installed
    )
    assert (
        "nodes.q.queue: queue 'billing' is not defined in the queues configuration (defined: support, vip)"
        in found
    )
    assert not any("by_tier.vip" in f for f in found)
    assert (
        "prompts.hi: no zh sound 'asterisk-cc/t/hi' (not built yet: run asterisk-cc ivr prompts)"
        in found
    )
    assert (
        "prompts.bye: no zh sound 'asterisk-cc/t/bye' (not built yet: run asterisk-cc ivr prompts)"
        in found
    )
    assert not any(f.startswith("prompts.bye: no en") for f in found)


SHANGHAI = {
    "timezone": "Asia/Shanghai",
    "mon": "08:00-12:00, 13:00-20:00",
    "fri": "22:00-02:00",
    "holidays": ["2026-11-30"],
}


@pytest.mark.parametrize(
    ("utc", "is_open"),
    [
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), True),  # Mon 08:00 local
        (datetime(2026, 11, 22, 23, 59, tzinfo=UTC), False),  # Mon 07:59 local
        (datetime(2026, 11, 23, 4, 30, tzinfo=UTC), False),  # Mon 12:30 lunch
        (datetime(2026, 11, 23, 11, 59, tzinfo=UTC), True),  # Mon 19:59
        (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), False),  # Mon 20:00 closes
        (datetime(2026, 11, 27, 14, 30, tzinfo=UTC), True),  # Fri 22:30
        (datetime(2026, 11, 27, 17, 59, tzinfo=UTC), True),  # Sat 01:59, Friday's night shift
        (datetime(2026, 11, 27, 18, 0, tzinfo=UTC), False),  # Sat 02:00
        (datetime(2026, 11, 30, 2, 0, tzinfo=UTC), False),  # Mon 10:00, a holiday
    ],
)
def test_opening_hours_in_the_calendars_time_zone(utc: datetime, is_open: bool) -> None:
    calendar = Calendar.from_mapping("office", SHANGHAI, "UTC")
    assert calendar.is_open(utc) is is_open


def test_calendar_errors_name_the_value() -> None:
    with pytest.raises(CalendarError, match="holiday '2026-13-01' is not a date"):
        Calendar.from_mapping("c", {"holidays": ["2026-13-01"]}, "UTC")
    with pytest.raises(CalendarError, match="'25:00-26:00' is not a time of day"):
        Calendar.from_mapping("c", {"tue": "25:00-26:00"}, "UTC")
    with pytest.raises(CalendarError, match="unknown key"):
        Calendar.from_mapping("c", {"monday": "08:00-09:00"}, "UTC")
