"""The pack's words in both languages and its number formats."""

from __future__ import annotations

import re

import pytest

from asterisk_cc.core.reports.labels import (
    LABELS,
    LANGUAGES,
    MISSING,
    format_change,
    format_target,
    format_value,
    headline_text,
    label,
    page_label,
    rag_label,
)
from asterisk_cc.core.reports.pack import Headline, Rag, Unit

HEADLINE_KEYS = [
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "timed_out",
    "abandon_rate",
    "avg_abandon_wait_s",
    "service_level",
    "service_level_answered",
    "service_level_excl_short",
    "asa_s",
    "avg_wait_s",
    "max_wait_s",
    "aht_s",
    "avg_talk_s",
    "avg_hold_s",
    "avg_wrapup_s",
    "transfer_rate",
    "fcr_rate",
    "occupancy",
    "utilisation",
    "attendance_rate",
    "cost_per_call",
    "csat",
    "csat_responses",
    "qa_score",
    "qa_major_error_rate",
    "ivr_sessions",
    "ivr_containment",
    "callback_fulfilment",
    "callbacks_requested",
    "complaints_received",
    "complaint_resolution_s",
    "complaint_sla_breaches",
    "backlog_complaints",
    "backlog_callbacks",
    "attrition_rate",
    "outbound_attempts",
    "contacts",
    "contact_rate",
    "rpc",
    "rpc_rate",
    "drops",
    "drop_rate",
    "conversions",
    "conversion_rate",
    "list_penetration",
]
TABLE_KEYS = [
    "queues",
    "agents",
    "teams",
    "tiers",
    "ivr_funnel",
    "ivr_outcomes",
    "campaigns",
    "complaints_due",
    "callbacks_due",
    "backlog",
    "surveys",
    "staffing",
    "intervals",
]
COLUMN_KEYS = [
    "queue",
    "agent",
    "team",
    "tier",
    "campaign",
    "node",
    "entered",
    "left_here",
    "drop_off_rate",
    "outcome",
    "sessions",
    "share",
    "handled",
    "ring_no_answer",
    "staffed_s",
    "paused_s",
    "talk_s",
    "ticket",
    "state",
    "category",
    "customer",
    "received_at",
    "due_at",
    "age_s",
    "overdue",
    "callback",
    "phone",
    "requested_at",
    "preferred_at",
    "attempts",
    "kind",
    "under_1d",
    "d1_to_3",
    "d3_to_7",
    "over_7d",
    "question",
    "responses",
    "avg_score",
    "interval",
    "calls",
    "required_agents",
    "scheduled_agents",
    "gap",
    "leads",
    "leads_attempted",
    "drop_definition",
    "interval_start",
    "definition",
]
WORD_KEYS = [
    "title",
    "headline",
    "target",
    "status",
    "day_before",
    "week_before",
    "change",
    "green",
    "amber",
    "red",
    "no_data",
    "notes",
    "charts",
    "offered_vs_answered",
    "service_level_by_interval",
    "abandon_by_interval",
    "generated_at",
    "site",
    "total",
    "definitions",
]

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("key", HEADLINE_KEYS + TABLE_KEYS + COLUMN_KEYS + WORD_KEYS)
def test_every_key_of_the_pack_has_english_and_chinese(key: str) -> None:
    english, chinese = label(key, "en"), label(key, "zh")
    assert key in LABELS
    assert english and chinese and english != chinese
    assert not CJK.search(english), english
    assert CJK.search(chinese), chinese


def test_the_standard_chinese_call_centre_terms() -> None:
    assert label("service_level", "zh") == "服务水平"
    assert label("asa_s", "zh") == "平均应答速度"
    assert label("abandon_rate", "zh") == "放弃率"
    assert label("aht_s", "zh") == "平均处理时长"
    assert label("fcr_rate", "zh") == "首次解决率"
    assert label("occupancy", "zh") == "占用率"
    assert label("title", "zh") == "日报"
    assert label("title", "en") == "Daily report"


def test_a_key_without_a_label_shows_as_itself() -> None:
    assert label("brand_new_kpi", "en") == "brand_new_kpi"
    assert label("brand_new_kpi", "zh") == "brand_new_kpi"


def test_an_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"'fr'.*en, zh"):
        label("offered", "fr")
    with pytest.raises(ValueError, match="'de'"):
        format_value(1, Unit.COUNT, "de")
    assert LANGUAGES == ("en", "zh")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (None, Unit.RATIO, "–"),
        (None, Unit.COUNT, "–"),
        (0.834, Unit.RATIO, "83.4 %"),
        (0.0, Unit.RATIO, "0.0 %"),
        (1.0, Unit.RATIO, "100.0 %"),
        (0.07549, Unit.RATIO, "7.5 %"),
        (0, Unit.SECONDS, "0:00"),
        (5, Unit.SECONDS, "0:05"),
        (65.4, Unit.SECONDS, "1:05"),
        (59.6, Unit.SECONDS, "1:00"),
        (3599.4, Unit.SECONDS, "59:59"),
        (3600, Unit.SECONDS, "1:00:00"),
        (3725, Unit.SECONDS, "1:02:05"),
        (27000, Unit.SECONDS, "7:30:00"),
        (-90, Unit.SECONDS, "-1:30"),
        (0, Unit.COUNT, "0"),
        (1284, Unit.COUNT, "1,284"),
        (1234567, Unit.COUNT, "1,234,567"),
        (12.0, Unit.COUNT, "12"),
        (12.25, Unit.COUNT, "12.2"),
        (-2, Unit.COUNT, "-2"),
        (4.21, Unit.SCORE, "4.2"),
        (4, Unit.SCORE, "4.0"),
        (18.5, Unit.MONEY, "18.50"),
        (1234.567, Unit.MONEY, "1,234.57"),
        ("support", Unit.TEXT, "support"),
        ("n/a", Unit.RATIO, "n/a"),
        (float("nan"), Unit.RATIO, "–"),
        (float("inf"), Unit.SECONDS, "–"),
    ],
)
def test_format_value(value: float | str | None, unit: Unit, expected: str) -> None:
    assert format_value(value, unit, "en") == expected
    assert format_value(value, unit, "zh") == expected


def test_money_carries_its_currency() -> None:
    assert format_value(18.5, Unit.MONEY, "en", currency="CNY") == "CNY 18.50"
    assert format_value(None, Unit.MONEY, "en", currency="CNY") == MISSING


def test_a_value_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(TypeError, match="ratio"):
        format_value([1], Unit.RATIO, "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "before", "unit", "expected"),
    [
        (0.834, 0.813, Unit.RATIO, "+2.1 pt"),
        (0.813, 0.834, Unit.RATIO, "-2.1 pt"),
        (0.8, 0.8, Unit.RATIO, "+0.0 pt"),
        (1284, 1146, Unit.COUNT, "+12 %"),
        (1000, 1250, Unit.COUNT, "-20 %"),
        (300, 300, Unit.SECONDS, "0 %"),
        (24.6, 27.9, Unit.SECONDS, "-12 %"),
        (18.5, 19.25, Unit.MONEY, "-4 %"),
        (4.21, 4.1, Unit.SCORE, "+0.1"),
        (4.0, 4.3, Unit.SCORE, "-0.3"),
        (5, 0, Unit.COUNT, "–"),
        (0, 0, Unit.COUNT, "0 %"),
        (None, 5, Unit.COUNT, "–"),
        (5, None, Unit.RATIO, "–"),
        (1, 2, Unit.TEXT, "–"),
    ],
)
def test_format_change(now: float | None, before: float | None, unit: Unit, expected: str) -> None:
    assert format_change(now, before, unit) == expected


def test_points_are_worded_in_chinese() -> None:
    assert format_change(0.834, 0.813, Unit.RATIO, "zh") == "+2.1 个百分点"
    assert format_change(1284, 1146, Unit.COUNT, "zh") == "+12 %"


def test_rag_words_go_with_the_colours() -> None:
    assert rag_label(Rag.GREEN, "en") == "On target"
    assert rag_label(Rag.AMBER, "en") == "Near target"
    assert rag_label(Rag.RED, "en") == "Off target"
    assert rag_label(Rag.GREEN, "zh") == "达标"
    assert rag_label(Rag.RED, "zh") == "未达标"
    assert rag_label(None, "zh") == MISSING


def test_targets_say_which_side_meets_them() -> None:
    service = Headline("service_level", 0.83, Unit.RATIO, target=0.8)
    asa = Headline("asa_s", 25, Unit.SECONDS, target=30, higher_is_better=False)
    assert format_target(service, "en") == "≥ 80.0 %"
    assert format_target(asa, "en") == "≤ 0:30"
    assert format_target(Headline("aht_s", 300, Unit.SECONDS), "en") == MISSING


def test_headline_text_is_the_whole_row_in_words() -> None:
    headline = Headline(
        "abandon_rate",
        0.0755,
        Unit.RATIO,
        target=0.05,
        status=Rag.AMBER,
        higher_is_better=False,
        day_before=0.058,
        week_before=None,
    )
    text = headline_text(headline, "zh")
    assert (text.label, text.value, text.target) == ("放弃率", "7.5 %", "≤ 5.0 %")
    assert (text.status, text.status_word) == (Rag.AMBER, "接近目标")
    assert (text.day_before, text.change_day) == ("5.8 %", "+1.7 个百分点")
    assert (text.week_before, text.change_week) == (MISSING, MISSING)


def test_page_numbers_in_both_languages() -> None:
    assert page_label(2, 5, "en") == "Page 2 of 5"
    assert page_label(2, "{nb}", "zh") == "第 2 页，共 {nb} 页"


def test_every_code_the_pack_shows_is_translated() -> None:
    """Tiers, complaint stages, IVR outcomes and abandon definitions are shown as words."""
    from asterisk_cc.core.customers import Tier
    from asterisk_cc.core.reports.labels import CODE_KEYS, label
    from asterisk_cc.core.reports.pack import Unit
    from asterisk_cc.core.tickets import TicketState
    from asterisk_cc.core.vocabulary import AbandonDefinition

    ivr_outcomes = {
        "queued",
        "self_served",
        "callback",
        "complaint",
        "voicemail",
        "transferred",
        "abandoned",
        "no_input",
        "failed",
    }
    codes = {*Tier, *TicketState, *AbandonDefinition, *ivr_outcomes, "unknown", "yes", "no"}
    for code in codes:
        assert code in CODE_KEYS, code
        assert label(code, "zh") != label(code, "en")
    assert format_value("vip", Unit.CODE, "zh") == "VIP 客户"
    assert format_value("vip", Unit.TEXT, "zh") == "vip"  # a name is never translated
