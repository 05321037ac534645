"""The campaign pages' pure decisions: the form ⇄ the campaign mapping, problems placed by
field, allowed status changes, lead progress, drop levels, upload checks, pages, rejects CSV."""

from __future__ import annotations

import pytest

from asterisk_cc.core.campaign_view import (
    GENERAL,
    DropLevel,
    UploadProblem,
    allowed_actions,
    column_names,
    drop_level,
    form_from_mapping,
    lead_progress,
    mapping_from_form,
    page_of,
    problems_by_field,
    rejects_csv_rows,
    upload_problem,
)
from asterisk_cc.core.dialer.campaign import (
    CampaignError,
    CampaignSettings,
    campaign_from_mapping,
    campaign_to_mapping,
)
from asterisk_cc.core.dialer.lead_csv import RejectedRow
from asterisk_cc.core.vocabulary import CampaignStatus, DialMode, LeadStatus


def posted(**fields: str | list[str]) -> dict[str, list[str]]:
    return {key: value if isinstance(value, list) else [value] for key, value in fields.items()}


def test_a_form_becomes_the_mapping_the_dialer_checks() -> None:
    form = posted(
        name=" renewals ",
        dial_mode="predictive",
        max_attempts="5",
        ring_timeout_s="30",
        days=["mon", "sat"],
        holidays="2026-12-25, 2026-12-26\n2027-01-01",
        amd_enabled="on",
        abandon_target_ratio="2%",
        agents="1001, 1002",
        timezone="",
        **{"retry_delays_s.busy": "600", "retry_delays_s.machine": ""},
    )
    data = mapping_from_form(form)
    assert data["name"] == "renewals"
    assert data["max_attempts"] == 5 and data["ring_timeout_s"] == 30
    assert data["days"] == ["mon", "sat"]
    assert data["holidays"] == ["2026-12-25", "2026-12-26", "2027-01-01"]
    assert data["amd_enabled"] is True
    assert data["retry_delays_s"] == {"busy": 600}
    assert "timezone" not in data  # empty: the site's
    settings = campaign_from_mapping(data, default_timezone="Asia/Shanghai")
    assert settings.dial_mode is DialMode.PREDICTIVE
    assert settings.timezone == "Asia/Shanghai"
    assert settings.abandon_target_ratio == pytest.approx(0.02)
    assert settings.agents == ("1001", "1002")
    assert settings.retry_delays_s["busy"] == 600
    assert settings.retry_delays_s["machine"] == 7200  # the default


def test_unticked_boxes_mean_false_and_no_days() -> None:
    data = mapping_from_form(posted(name="x"))
    assert data["amd_enabled"] is False
    assert data["days"] == []


def test_an_empty_number_is_refused_not_replaced_by_a_default() -> None:
    data = mapping_from_form(posted(name="x", max_attempts=""))
    with pytest.raises(CampaignError) as refused:
        campaign_from_mapping(data)
    assert any(p.startswith("max_attempts:") for p in refused.value.problems)


def test_the_edited_campaign_keeps_its_name() -> None:
    assert mapping_from_form(posted(name="other"), name="renewals")["name"] == "renewals"


def test_a_campaign_survives_the_round_trip_through_the_form() -> None:
    settings = campaign_from_mapping(
        {
            "name": "renewals",
            "dial_mode": "predictive",
            "queue": "renewals",
            "caller_id": "+442071234567",
            "window": "09:00-24:00",
            "days": "mon-sat",
            "holidays": ["2026-12-25"],
            "retry_delays_s": {"busy": 600},
            "abandon_target_ratio": 0.025,
            "max_lines_per_agent": 2.5,
            "amd_enabled": True,
            "agents": ["1001"],
        }
    )
    form = form_from_mapping(campaign_to_mapping(settings))
    assert form["abandon_target_ratio"] == "2.5%"
    assert form["window"] == "09:00-24:00"
    assert form["days"] == ["mon", "tue", "wed", "thu", "fri", "sat"]
    assert form["retry_delays_s.busy"] == "600"
    as_posted = {
        key: value if isinstance(value, list) else [str(value)] for key, value in form.items()
    }
    as_posted["amd_enabled"] = ["on"]
    again = campaign_from_mapping(mapping_from_form(as_posted))
    assert again == settings


def test_problems_are_placed_under_the_field_they_name() -> None:
    placed = problems_by_field(
        [
            "ring_timeout_s: 10 is not allowed",
            "retry_delays_s.busy: whole seconds >= 0, not 'soon'",
            "agents: no agent with login '9'",
            "unknown setting(s) colour; the settings are ...",
            "days: calling day 'xyz' is not a day",
        ]
    )
    assert placed["ring_timeout_s"] == ["ring_timeout_s: 10 is not allowed"]
    assert placed["retry_delays_s.busy"][0].startswith("retry_delays_s.busy:")
    assert placed["agents"] == ["agents: no agent with login '9'"]
    assert placed["days"] == ["days: calling day 'xyz' is not a day"]
    assert placed[GENERAL] == ["unknown setting(s) colour; the settings are ..."]


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (CampaignStatus.DRAFT, ("start", "stop")),
        (CampaignStatus.ACTIVE, ("pause", "stop")),
        (CampaignStatus.PAUSED, ("start", "stop")),
        (CampaignStatus.FINISHED, ()),
        (CampaignStatus.ARCHIVED, ()),
    ],
)
def test_only_the_allowed_status_changes_are_offered(
    status: CampaignStatus, actions: tuple[str, ...]
) -> None:
    assert allowed_actions(status) == actions


def test_lead_progress_splits_dialable_from_finished() -> None:
    counts = dict.fromkeys(LeadStatus, 0) | {
        LeadStatus.PENDING: 5,
        LeadStatus.DIALING: 1,
        LeadStatus.DONE: 3,
        LeadStatus.DNC: 1,
    }
    progress = lead_progress(counts)
    assert (progress.total, progress.dialable, progress.finished) == (10, 6, 4)
    assert progress.finished_ratio == 0.4
    assert lead_progress(dict.fromkeys(LeadStatus, 0)).finished_ratio is None


def test_the_drop_level_compares_with_the_target() -> None:
    assert drop_level(None, 0.03) is None
    assert drop_level(0.01, 0.03) is DropLevel.GOOD
    assert drop_level(0.025, 0.03) is DropLevel.WARN
    assert drop_level(0.03, 0.03) is DropLevel.WARN
    assert drop_level(0.031, 0.03) is DropLevel.BAD


@pytest.mark.parametrize(
    ("filename", "data", "problem"),
    [
        (None, b"", UploadProblem.MISSING),
        ("a.csv", b"", UploadProblem.EMPTY),
        ("a.csv", b" \r\n\t", UploadProblem.EMPTY),
        ("a.csv", b"x" * 11, UploadProblem.TOO_LARGE),
        ("a.xlsx", b"PK\x03\x04....", UploadProblem.SPREADSHEET),
        ("a.csv", b"\xd0\xcf\x11\xe0....", UploadProblem.SPREADSHEET),
        ("a.pdf", b"%PDF-1.4", UploadProblem.NOT_CSV_NAME),
        ("a.csv", b"ab\x00cd", UploadProblem.BINARY),
        ("a.csv", b"\xff\xfep\x00h\x00", None),  # UTF-16 with a BOM holds NULs
        ("A.CSV", b"phone\n1", None),
        ("a.txt", b"phone\n1", None),
    ],
)
def test_uploads_are_checked_before_they_are_read(
    filename: str | None, data: bytes, problem: UploadProblem | None
) -> None:
    assert upload_problem(filename, data, max_bytes=10) is problem


def test_column_names_are_split_on_commas() -> None:
    assert column_names(" mobile , home,, ") == ("mobile", "home")
    assert column_names(None) == ()


def test_pages_stay_within_the_list() -> None:
    assert page_of("2", 50, 120).offset == 50
    assert page_of("9", 50, 120).number == 3
    assert page_of("-1", 50, 120).number == 1
    assert page_of("garbage", 50, 120).number == 1
    empty = page_of(None, 50, 0)
    assert (empty.number, empty.pages, empty.has_next, empty.has_previous) == (1, 1, False, False)


def test_rejected_rows_are_written_back_with_formulas_escaped() -> None:
    rows = list(
        rejects_csv_rows(
            ("ref", "phone"),
            [RejectedRow(3, "no valid phone number", ("=cmd()", "x")), RejectedRow(7, "-", ())],
        )
    )
    assert rows == [
        ["line", "reason", "ref", "phone"],
        ["3", "no valid phone number", "'=cmd()", "x"],
        ["7", "'-"],
    ]


def test_defaults_shown_on_a_new_form_are_the_dialer_s() -> None:
    form = form_from_mapping(campaign_to_mapping(CampaignSettings(name="x")))
    assert form["ring_timeout_s"] == "25"
    assert form["abandon_target_ratio"] == "3%"
    assert form["amd_enabled"] is False
