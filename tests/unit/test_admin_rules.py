"""The administration's pure rules: keeping an admin, reading forms, showing settings without
secrets, and judging the scheduler's jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from asterisk_cc.core.admin_forms import (
    FormInvalid,
    ProblemCode,
    agent_fields,
    queue_fields,
    queue_skill_fields,
    skill_fields,
    skill_level_fields,
    team_fields,
)
from asterisk_cc.core.health_view import job_overdue, uptime_parts
from asterisk_cc.core.settings_view import (
    Origin,
    hide_url_passwords,
    setting_origin,
    shown_setting,
)
from asterisk_cc.core.user_admin import Refusal, refuse_user_change
from asterisk_cc.core.vocabulary import UserRole

ADMIN, SUPERVISOR = UserRole.ADMIN, UserRole.SUPERVISOR
NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


# --- keeping an admin --------------------------------------------------------------------------


def change(**kw: object) -> Refusal | None:
    values: dict[str, object] = {
        "actor_id": 1,
        "user_id": 2,
        "role_before": ADMIN,
        "active_before": True,
        "role_after": ADMIN,
        "active_after": True,
        "other_active_admins": 1,
    }
    values.update(kw)
    return refuse_user_change(**values)  # type: ignore[arg-type]


def test_an_admin_cannot_demote_or_deactivate_themselves() -> None:
    assert change(user_id=1, role_after=SUPERVISOR) is Refusal.SELF_DEMOTE
    assert change(user_id=1, active_after=False) is Refusal.SELF_DEACTIVATE
    assert change(user_id=1, role_after=SUPERVISOR, active_after=False) is Refusal.SELF_DEACTIVATE
    # Changing nothing that matters is fine, even for oneself.
    assert change(user_id=1) is None


def test_the_last_active_admin_is_kept() -> None:
    assert change(role_after=SUPERVISOR, other_active_admins=0) is Refusal.LAST_ADMIN
    assert change(active_after=False, other_active_admins=0) is Refusal.LAST_ADMIN
    assert change(role_after=SUPERVISOR, other_active_admins=1) is None


def test_changes_to_non_admins_or_inactive_admins_are_allowed() -> None:
    assert (
        change(
            role_before=SUPERVISOR, role_after=SUPERVISOR, active_after=False, other_active_admins=0
        )
        is None
    )
    assert change(active_before=False, active_after=False, other_active_admins=0) is None
    assert change(role_before=SUPERVISOR, role_after=ADMIN) is None


# --- forms -------------------------------------------------------------------------------------

QUEUE = {
    "name": "support",
    "display_name": " Support ",
    "service_level_threshold_s": "20",
    "service_level_target_percent": "80,5",
    "short_abandon_s": "5",
    "wrapup_limit_s": "0",
    "language": "",
    "recording": "on_demand",
}


def problems_of(error: pytest.ExceptionInfo[FormInvalid]) -> dict[str, ProblemCode]:
    return {p.field: p.code for p in error.value.problems}


def test_a_queue_form_is_read_with_the_target_in_percent() -> None:
    fields = queue_fields(QUEUE)
    assert fields.display_name == "Support" and fields.language is None
    assert fields.service_level_target_ratio == pytest.approx(0.805)
    assert (fields.wrapup_limit_s, fields.recording, fields.active) == (0, "on_demand", False)
    assert queue_fields({**QUEUE, "active": "on"}).active is True


def test_every_problem_of_a_queue_form_is_reported_at_once() -> None:
    with pytest.raises(FormInvalid) as error:
        queue_fields(
            {
                **QUEUE,
                "name": "Support!",
                "service_level_threshold_s": "0",
                "service_level_target_percent": "nan",
                "short_abandon_s": "1.5",
                "language": "fr",
                "recording": "",
            }
        )
    assert problems_of(error) == {
        "name": ProblemCode.BAD_NAME,
        "service_level_threshold_s": ProblemCode.OUT_OF_RANGE,
        "service_level_target_percent": ProblemCode.OUT_OF_RANGE,
        "short_abandon_s": ProblemCode.NOT_WHOLE,
        "language": ProblemCode.NOT_A_CHOICE,
        "recording": ProblemCode.NOT_A_CHOICE,
    }
    bounds = {p.field: (p.low, p.high) for p in error.value.problems}
    assert bounds["service_level_threshold_s"] == (1, 3600)


def test_names_lengths_and_required_fields() -> None:
    with pytest.raises(FormInvalid) as error:
        skill_fields({"name": "", "description": "x" * 1001})
    assert problems_of(error) == {"name": ProblemCode.REQUIRED, "description": ProblemCode.TOO_LONG}
    assert team_fields({"name": " Night shift ", "description": ""}).name == "Night shift"
    with pytest.raises(FormInvalid) as error:
        agent_fields({"login": "12 34", "name": "A", "interface": "PJSIP/1 2", "team_id": "x"})
    assert problems_of(error) == {
        "login": ProblemCode.BAD_NAME,
        "interface": ProblemCode.BAD_NAME,
        "team_id": ProblemCode.NOT_A_CHOICE,
    }
    fields = agent_fields(
        {
            "login": "1234",
            "name": "A",
            "interface": "Local/1234@agents",
            "team_id": "3",
            "active": "1",
        }
    )
    assert (fields.interface, fields.team_id, fields.active) == ("Local/1234@agents", 3, True)


def test_skill_levels_are_one_to_ten_and_penalties_default_to_zero() -> None:
    assert skill_level_fields({"skill_id": "4", "level": "10", "penalty": ""}).penalty == 0
    assert queue_skill_fields({"skill_id": "4", "min_level": "1", "penalty": "3"}).level == 1
    with pytest.raises(FormInvalid) as error:
        skill_level_fields({"skill_id": "", "level": "0", "penalty": "-1"})
    assert problems_of(error) == {
        "skill_id": ProblemCode.REQUIRED,
        "level": ProblemCode.OUT_OF_RANGE,
        "penalty": ProblemCode.OUT_OF_RANGE,
    }


# --- settings ----------------------------------------------------------------------------------


def test_secrets_are_masked_and_url_passwords_hidden() -> None:
    assert shown_setting("hunter2hunter2", secret=True) == "***"
    assert shown_setting("", secret=True) == "(not set)"
    shown = shown_setting("postgresql+psycopg://cc:p@ss:w0rd@10.0.0.5:5432/cc", secret=False)
    assert shown == "postgresql+psycopg://cc:***@10.0.0.5:5432/cc"
    assert "w0rd" not in shown
    assert hide_url_passwords("http://127.0.0.1:8088/ari") == "http://127.0.0.1:8088/ari"
    assert hide_url_passwords("a https://u:t0k@h/x, b https://v:t1k@g/y") == (
        "a https://u:***@h/x, b https://v:***@g/y"
    )
    assert shown_setting(["html", "pdf"], secret=False) == "html, pdf"
    assert shown_setting([], secret=False) == "[]"
    assert shown_setting(False, secret=False) == "false"
    assert shown_setting("", secret=False) == '""'


def test_the_environment_wins_over_the_file_over_the_default() -> None:
    assert setting_origin(in_environment=True, in_file=True, is_default=True) is Origin.ENVIRONMENT
    assert setting_origin(in_environment=False, in_file=True, is_default=True) is Origin.FILE
    assert setting_origin(in_environment=False, in_file=False, is_default=True) is Origin.DEFAULT
    assert setting_origin(in_environment=False, in_file=False, is_default=False) is Origin.PROGRAM


# --- health ------------------------------------------------------------------------------------


def test_a_job_long_past_its_next_run_is_overdue() -> None:
    assert job_overdue(NOW - timedelta(minutes=10), NOW)
    assert not job_overdue(NOW - timedelta(seconds=30), NOW)
    assert not job_overdue(NOW + timedelta(hours=1), NOW)
    assert not job_overdue(None, NOW)


def test_uptime_in_days_hours_minutes() -> None:
    assert uptime_parts(NOW - timedelta(days=3, hours=4, minutes=5, seconds=59), NOW) == (3, 4, 5)
    assert uptime_parts(NOW + timedelta(minutes=1), NOW) == (0, 0, 0)
