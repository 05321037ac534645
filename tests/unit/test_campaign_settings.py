"""Campaign settings: checked with every problem named, read from a TOML file or options,
written back, and the status changes a campaign may go through."""

from __future__ import annotations

import tomllib
from datetime import date
from datetime import time as TimeOfDay
from typing import Any

import pytest

from asterisk_cc.core.dialer.calling_window import CallingWindow
from asterisk_cc.core.dialer.campaign import (
    CampaignError,
    CampaignSettings,
    campaign_from_mapping,
    campaign_to_mapping,
    campaign_transition,
    campaign_warnings,
)
from asterisk_cc.core.vocabulary import AbandonDefinition, CampaignStatus, DialMode

CAMPAIGN_FILE = """
name = "Renewals UK"
dial_mode = "predictive"
queue = "renewals"
caller_id = "+442071234567"
timezone = "Europe/London"
window = "09:00-20:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat"]
holidays = [2026-12-25, "2026-12-26"]
max_attempts = 5
ring_timeout_s = 20
amd_enabled = false
machine_action = "message"
machine_message = "custom/renewals-machine"
abandon_target_ratio = "2.5%"
abandon_definition = "ofcom_daily"
abandon_message = "custom/renewals-abandon"
max_lines_per_agent = 2.5
recording = "all"
agents = ["1001", "1002"]
teams = "renewals-a"

[retry_delays_s]
busy = 600
no_answer = 7200
"""


def test_a_campaign_file_is_read_into_settings() -> None:
    settings = campaign_from_mapping(tomllib.loads(CAMPAIGN_FILE))
    assert settings.name == "Renewals UK"
    assert settings.dial_mode is DialMode.PREDICTIVE
    assert settings.window == CallingWindow(
        TimeOfDay(9),
        TimeOfDay(20),
        frozenset(range(6)),
        frozenset({date(2026, 12, 25), date(2026, 12, 26)}),
    )
    assert settings.abandon_target_ratio == pytest.approx(0.025)
    assert settings.abandon_definition is AbandonDefinition.OFCOM_DAILY
    assert settings.retry_delays_s["busy"] == 600
    assert settings.retry_delays_s["machine"] == 7200  # the default fills the gaps
    assert (settings.agents, settings.teams) == (("1001", "1002"), ("renewals-a",))


def test_settings_written_out_read_back_equal() -> None:
    settings = campaign_from_mapping(tomllib.loads(CAMPAIGN_FILE))
    assert campaign_from_mapping(campaign_to_mapping(settings)) == settings
    plain = CampaignSettings(name="plain")
    assert campaign_from_mapping(campaign_to_mapping(plain)) == plain


def test_the_defaults_are_a_lawful_campaign() -> None:
    settings = campaign_from_mapping({"name": "x"}, default_timezone="Asia/Shanghai")
    assert settings.timezone == "Asia/Shanghai"
    assert (settings.ring_timeout_s, settings.abandon_target_ratio) == (25, 0.03)
    assert (settings.window.start, settings.window.end) == (TimeOfDay(8), TimeOfDay(21))
    assert settings.max_attempts == 3 and settings.dial_mode is DialMode.PROGRESSIVE


def problems_of(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(CampaignError) as caught:
        campaign_from_mapping({"name": "x", **data})
    return caught.value.problems


def test_every_problem_is_listed_with_its_field_name() -> None:
    problems = problems_of(
        {
            "ring_timeout_s": 10,
            "abandon_target_ratio": 0.2,
            "max_lines_per_agent": 9,
            "max_attempts": 0,
            "timezone": "Mars/Base",
            "dial_mode": "telepathic",
            "days": "mon,funday",
            "retry_delays_s": {"busy": -5, "voicemail": 10},
            "colour": "red",
        }
    )
    fields = [problem.split(":")[0] for problem in problems]
    for expected in (
        "ring_timeout_s",
        "abandon_target_ratio",
        "max_lines_per_agent",
        "max_attempts",
        "timezone",
        "dial_mode",
        "days",
        "retry_delays_s",
        "retry_delays_s.busy",
    ):
        assert expected in fields, (expected, problems)
    assert any(p.startswith("unknown setting(s) colour") for p in problems)


def test_the_ring_time_minimum_is_the_legal_15_seconds() -> None:
    (problem,) = problems_of({"ring_timeout_s": 14})
    assert "at least 15 s" in problem
    assert campaign_from_mapping({"name": "x", "ring_timeout_s": 15}).ring_timeout_s == 15


def test_the_abandon_target_is_capped_and_above_3_percent_warned() -> None:
    (problem,) = problems_of({"abandon_target_ratio": 0.051})
    assert "outside (0, 0.05]" in problem
    assert problems_of({"abandon_target_ratio": 0})
    assert problems_of({"abandon_target_ratio": "NaN"})
    loose = campaign_from_mapping({"name": "x", "abandon_target_ratio": "4%"})
    assert loose.abandon_target_ratio == pytest.approx(0.04)
    assert any("above the 3 % cap" in w for w in campaign_warnings(loose))
    lawful = campaign_from_mapping({"name": "x", "abandon_target_ratio": 0.03})
    assert not any("3 % cap" in w for w in campaign_warnings(lawful))


def test_leaving_a_message_needs_the_message() -> None:
    (problem,) = problems_of({"machine_action": "message"})
    assert problem.startswith("machine_message:")


def test_the_window_is_checked_even_when_other_parts_are_wrong() -> None:
    problems = problems_of({"window": "21:00-08:00", "days": "funday"})
    assert any(p.startswith("window:") and "midnight" in p for p in problems)
    assert any(p.startswith("days:") for p in problems)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("caller_id", '+1555", Set(X=1)'),
        ("caller_id", "12"),
        ("queue", "sales,1"),
        ("abandon_message", "../../etc/passwd"),
        ("abandon_message", "custom/hello,world"),
        ("name", "  padded"),
        ("name", "new\nline"),
        ("agents", "1001,1001"),
    ],
)
def test_text_that_reaches_asterisk_is_held_to_a_narrow_form(field: str, value: str) -> None:
    problems = problems_of({field: value})
    assert any(p.startswith(f"{field}:") for p in problems), problems


def test_caller_ids_asterisk_accepts_are_accepted() -> None:
    for caller_id in ("+442071234567", "02071234567", '"Acme Ltd" <+442071234567>', "Acme <1234>"):
        assert campaign_from_mapping({"name": "x", "caller_id": caller_id}).caller_id == caller_id


def test_warnings_point_at_risky_but_allowed_settings() -> None:
    risky = CampaignSettings(
        name="x",
        dial_mode=DialMode.PREDICTIVE,
        amd_enabled=True,
        abandon_definition=AbandonDefinition.OFCOM_DAILY,
        window=CallingWindow(days=frozenset()),
    )
    text = " | ".join(campaign_warnings(risky))
    for expected in ("AMD false positives", "no caller_id", "no abandon_message", "never calls"):
        assert expected in text


def test_status_changes_follow_the_allowed_paths() -> None:
    assert campaign_transition(CampaignStatus.DRAFT, "start") is CampaignStatus.ACTIVE
    assert campaign_transition(CampaignStatus.ACTIVE, "pause") is CampaignStatus.PAUSED
    assert campaign_transition(CampaignStatus.PAUSED, "start") is CampaignStatus.ACTIVE
    assert campaign_transition(CampaignStatus.PAUSED, "stop") is CampaignStatus.FINISHED
    assert campaign_transition(CampaignStatus.FINISHED, "archive") is CampaignStatus.ARCHIVED
    with pytest.raises(ValueError, match="a draft campaign cannot be paused; from draft you may"):
        campaign_transition(CampaignStatus.DRAFT, "pause")
    with pytest.raises(ValueError, match="a finished campaign cannot be started"):
        campaign_transition(CampaignStatus.FINISHED, "start")
    with pytest.raises(ValueError, match="'resume' is not a campaign action"):
        campaign_transition(CampaignStatus.PAUSED, "resume")
