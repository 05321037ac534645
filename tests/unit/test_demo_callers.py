"""The demo's scripted callers, lead numbers and flows, without Asterisk: key timing from the
sounds' lengths, the lengths read from files, the always-open copy of the shipped flows."""

from __future__ import annotations

import tomllib
import wave
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asterisk_cc.core.ivr.flow import parse_flow
from asterisk_cc.core.traffic import LEAD_KINDS, IvrPath, always_open, ivr_paths
from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox.callers import (
    KEY_SETTLE_S,
    always_open_text,
    caller_script,
    lead_number,
    path_sounds,
    sound_key,
    sound_lengths,
    write_demo_flows,
)
from asterisk_cc.sandbox.render import CUSTOMER_KINDS, Dtmf, Speak, Wait

CONF = Path(__file__).resolve().parents[2] / "conf" / "ivr"
with open(CONF / "hotline.toml", "rb") as _handle:
    HOTLINE = parse_flow("hotline", tomllib.load(_handle))
PATHS = ivr_paths(HOTLINE)
SUNDAY_NIGHT = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
CUSTOMER = {
    "customer.id": "7",
    "customer.tier": "standard",
    "customer.account": "62000007",
    "customer.language": "zh",
    "customer.balance": "12.50",
}


def lengths(*paths: IvrPath) -> dict[str, float]:
    """Every sound 2 s long, the welcome 3 s."""
    found = {sound_key(lang, s): 2.0 for lang, s in path_sounds(paths)}
    found[sound_key("zh", "asterisk-cc/hotline/welcome")] = 3.0
    return found


def test_an_unknown_caller_presses_after_the_welcome_and_stays_in_the_queue() -> None:
    sales = next(
        p
        for p in PATHS
        if p.callers == {"unknown"} and p.goal == "queue:sales" and p.language == "zh"
    ).for_caller({})
    script = caller_script(sales, patience_s=30, talk_s=40, prompt_lengths=lengths(sales))
    settle = KEY_SETTLE_S
    assert script.steps == (
        Wait(3.0 + settle),  # the welcome cannot be interrupted: the key waits for its end
        Dtmf("1"),
        Wait(settle),  # the language menu's choice: the main menu takes a key at once
        Dtmf("3"),
        Wait(2.0 + 30 + 40 + 60),  # "please hold", then patience and talk and a margin
    )


def test_a_known_caller_waits_for_the_balance_before_the_last_key() -> None:
    balance = next(
        p
        for p in PATHS
        if p.callers == {"known"}
        and p.goal == "self_service:balance"
        and p.language == "zh"
        and "language" not in dict(p.presses)
    ).for_caller(CUSTOMER)
    (said,) = [s for s in balance.steps if s.node == "say_balance"]
    assert len(said.sounds) > 2  # "your balance is" and the amount's words
    script = caller_script(balance, 30, 40, lengths(balance))
    settle = KEY_SETTLE_S
    assert script.steps == (
        Wait(3.0 + settle),
        Dtmf("1"),
        Wait(settle),
        Dtmf("1"),
        Wait(2.0 * len(said.sounds) + settle),  # the say node plays out first
        Dtmf("9"),
        Wait(2.0 + 30),  # goodbye; the IVR hangs up
    )


def test_an_unknown_caller_keys_in_an_account_and_confirms_it() -> None:
    unknown = next(
        p
        for p in PATHS
        if p.callers == {"unknown"}
        and p.goal == "self_service:balance"
        and p.language == "zh"
        and "balance_unavailable" not in p.nodes
    ).for_caller({}, CUSTOMER)
    script = caller_script(unknown, 30, 40, lengths(unknown), entries={"account": "62000007"})
    keys = [step.digits for step in script.steps if isinstance(step, Dtmf)]
    assert keys == ["1", "1", "1", "62000007#", "1", "9"]
    with pytest.raises(ValueError, match="account"):
        caller_script(unknown, 30, 40, lengths(unknown))


def test_a_complaining_caller_speaks_after_the_prompt_and_the_beep() -> None:
    complaint = next(
        p
        for p in PATHS
        if p.callers == {"known"}
        and p.goal == "complaint"
        and p.language == "zh"
        and "language" not in dict(p.presses)
    ).for_caller(CUSTOMER)
    sounds = lengths(complaint)
    sounds[sound_key("zh", "beep")] = 0.5
    script = caller_script(complaint, 30, 40, sounds)
    assert script.steps[2:] == (
        Wait(2.0 + 0.5 + KEY_SETTLE_S),
        Speak("hello-world"),
        Dtmf("#"),
        Wait(2.0 * 2 + 2.0 + 30),  # "received" and the ticket prompt, goodbye, a margin
    )


def test_a_caller_who_gives_up_hangs_up_during_the_prompt_that_asks_them() -> None:
    sales = next(
        p
        for p in PATHS
        if p.callers == {"unknown"} and p.goal == "queue:sales" and p.language == "zh"
    ).for_caller({})
    menu = sales.nodes.index("main_menu")
    script = caller_script(sales, 30, 40, lengths(sales), hangup_at=menu)
    assert script.steps == (Wait(3.0 + KEY_SETTLE_S), Dtmf("1"), Wait(1.0))
    with pytest.raises(ValueError, match="no step 99"):
        caller_script(sales, 30, 40, lengths(sales), hangup_at=99)


def test_a_path_not_resolved_for_its_caller_or_a_sound_not_measured_is_refused() -> None:
    raw = next(p for p in PATHS if p.goal == "self_service:balance")
    with pytest.raises(ValueError, match="resolve the path"):
        caller_script(raw, 30, 40, {})
    sales = next(p for p in PATHS if p.goal == "queue:sales" and p.fits({})).for_caller({})
    with pytest.raises(ValueError, match="no length for the sound"):
        caller_script(sales, 30, 40, {})


def test_a_long_stay_is_split_into_waits_of_at_most_an_hour() -> None:
    vip = next(p for p in PATHS if p.callers == {"vip"}).for_caller(
        CUSTOMER | {"customer.tier": "vip"}
    )
    script = caller_script(vip, patience_s=5000, talk_s=100, prompt_lengths=lengths(vip))
    waits = [step.seconds for step in script.steps if isinstance(step, Wait)]
    assert max(waits) <= 3600 and sum(waits) == pytest.approx(3.0 + 2.0 + 5000 + 100 + 60)
    script.encode()  # CallerScript's own limits hold


def test_lead_numbers_are_the_sandboxs_scripted_customers_of_each_kind() -> None:
    assert set(LEAD_KINDS) == set(CUSTOMER_KINDS)
    for serial, kind in enumerate(LEAD_KINDS):
        number = lead_number(serial, kind)
        assert number.startswith("+86138") and len(number) == 14
        assert number[-4] == str(CUSTOMER_KINDS[kind])
    # People stay longer than any demo conversation (90 s): the agent ends the call.
    assert lead_number(5, "person").endswith("99")


def test_sound_lengths_are_read_from_wav_and_gsm_files_with_the_english_fallback(
    tmp_path: Path,
) -> None:
    built = tmp_path / "zh" / "asterisk-cc" / "hotline"
    built.mkdir(parents=True)
    with wave.open(str(built / "welcome.wav"), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * 12000)
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "beep.gsm").write_bytes(b"\0" * 33 * 25)  # 25 frames of 20 ms
    found = sound_lengths(tmp_path, [("zh", "asterisk-cc/hotline/welcome"), ("zh", "beep")])
    assert found == {"zh/asterisk-cc/hotline/welcome": 1.5, "zh/beep": pytest.approx(0.5)}
    with pytest.raises(SandboxError, match="asterisk-cc ivr prompts"):
        sound_lengths(tmp_path, [("zh", "asterisk-cc/hotline/main_menu")])


def test_the_demo_flows_are_the_shipped_ones_open_round_the_clock(tmp_path: Path) -> None:
    written = write_demo_flows(tmp_path / "ivr", CONF)
    assert sorted(p.name for p in written.iterdir()) == sorted(p.name for p in CONF.glob("*.toml"))
    with open(written / "hotline.toml", "rb") as handle:
        demo = parse_flow("hotline", tomllib.load(handle))
    assert demo == always_open(HOTLINE)
    assert demo.calendars["office"].is_open(SUNDAY_NIGHT)
    assert ivr_paths(demo) == PATHS


def test_a_calendar_the_demo_cannot_rewrite_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    text = (CONF / "hotline.toml").read_text(encoding="utf-8")
    spread = text.replace('holidays = ["2026-10-01", ', 'holidays = [\n  "2026-10-01", ')
    assert spread != text
    (source / "hotline.toml").write_text(spread, encoding="utf-8")
    with pytest.raises(SandboxError):
        write_demo_flows(tmp_path / "ivr", source)
    assert 'mon = "00:00-24:00"' in always_open_text(text)
