"""The pure helpers of the report pages: date ranges as typed, how long a report is kept, the
pack as JSON, and the KPI definitions shipped with the package."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from asterisk_cc.core.reports.cache_policy import LIVE_FOR, SETTLE, keep_for
from asterisk_cc.core.reports.daily import HEADLINE, DayData, SiteTargets, build_pack
from asterisk_cc.core.reports.date_range import (
    MAX_RANGE_DAYS,
    DateRange,
    RangeProblem,
    parse_range,
)
from asterisk_cc.core.reports.definitions import DEFINITIONS, UNITS, definition_text
from asterisk_cc.core.reports.forecast import staffing_table
from asterisk_cc.core.reports.labels import HEADLINE_KEYS, LABELS
from asterisk_cc.core.reports.pack_codec import pack_from_data, pack_to_data
from asterisk_cc.reports.render_tables import pack_tables
from tests.report_fixtures import sample_pack

TODAY = date(2026, 11, 23)


def test_a_range_defaults_to_one_day() -> None:
    assert parse_range("", None, default_first=TODAY) == DateRange(TODAY, TODAY)
    chosen = parse_range("2026-11-01", "2026-11-30", default_first=TODAY)
    assert chosen.days == 30 and list(chosen)[-1] == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        ("2026-13-01", None, "not_a_date"),
        ("yesterday", None, "not_a_date"),
        ("2026-11-22", "22/11/2026", "not_a_date"),
        ("2026-11-30", "2026-11-01", "to_before_from"),
        ("2024-01-01", "2026-01-01", "too_long"),
    ],
)
def test_a_range_that_cannot_be_used_says_why(first: str, last: str | None, code: str) -> None:
    with pytest.raises(RangeProblem) as caught:
        parse_range(first, last, default_first=TODAY)
    assert caught.value.code == code


def test_the_longest_range_is_a_year() -> None:
    first = date(2025, 1, 1)
    last = first + timedelta(days=MAX_RANGE_DAYS - 1)
    assert parse_range(first.isoformat(), last.isoformat(), default_first=TODAY).days == 366
    with pytest.raises(RangeProblem) as caught:
        parse_range(first.isoformat(), (last + timedelta(days=1)).isoformat(), default_first=TODAY)
    assert caught.value.values == {"days": 367, "max_days": MAX_RANGE_DAYS}


def test_a_report_is_final_once_its_period_has_settled() -> None:
    end = datetime(2026, 11, 23, tzinfo=UTC)
    assert keep_for(end, end + SETTLE) is None
    assert keep_for(end, end + SETTLE - timedelta(seconds=1)) == LIVE_FOR
    assert keep_for(end, end - timedelta(hours=5)) == LIVE_FOR  # today


def test_the_pack_survives_json_unchanged() -> None:
    pack = sample_pack()
    text = json.dumps(pack_to_data(pack), ensure_ascii=False)
    assert pack_from_data(json.loads(text)) == pack


def test_pack_data_of_another_version_is_refused() -> None:
    data = pack_to_data(sample_pack())
    data["version"] = 99
    with pytest.raises(ValueError, match="version"):
        pack_from_data(data)


def _empty_pack_tables() -> list[tuple[str, str]]:
    """(table, column) of every numeric column of the pack's tables, the staffing forecast and
    the intervals behind the charts included."""
    start = datetime(2026, 11, 22, tzinfo=UTC)
    pack = build_pack(
        DayData(day=start.date(), start=start, end=start + timedelta(days=1), timezone="UTC"),
        site_name="Test",
        generated_at=start + timedelta(days=1),
        interval=timedelta(hours=1),
        site=SiteTargets(),
        day_before={},
        week_before={},
        staffing=staffing_table([], ZoneInfo("UTC")),
    )
    return [
        (table.key, column.key)
        for table in pack_tables(pack)
        for column in table.columns
        if not column.unit.is_text
    ]


def test_every_kpi_the_pack_shows_has_a_definition() -> None:
    headline = [key for key, _unit in HEADLINE]
    missing = [key for key in headline if key not in DEFINITIONS]
    missing += [f"{t}.{c}" for t, c in _empty_pack_tables() if c not in DEFINITIONS]
    assert missing == []
    # and every KPI with a label (the range table's columns are among them)
    assert [key for key in HEADLINE_KEYS if key not in DEFINITIONS] == []


@pytest.mark.parametrize("key", sorted(DEFINITIONS))
def test_a_definition_reads_in_both_languages(key: str) -> None:
    assert key in LABELS
    english, chinese = definition_text(key, "en"), definition_text(key, "zh")
    assert english is not None and chinese is not None
    assert english.formula and chinese.formula and english.formula != chinese.formula
    assert bool(english.scope) == bool(chinese.scope)
    assert DEFINITIONS[key].unit in UNITS
    assert chinese.name == LABELS[key][1]


def test_an_unknown_key_has_no_definition() -> None:
    assert definition_text("nonsense", "en") is None
    with pytest.raises(ValueError, match="language"):
        definition_text("offered", "fr")
