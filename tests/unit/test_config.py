"""Configuration: the sample is complete, bad files give one clear message, env overrides."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from asterisk_cc.config import SECTIONS, load_settings, render_sample
from asterisk_cc.db.recordings import ASTERISK_RECORDING_DIR
from asterisk_cc.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SECRETS_ENV = {
    "ASTERISK_CC_ARI_PASSWORD": "ari-secret",
    "ASTERISK_CC_AMI_SECRET": "ami-secret",
    "ASTERISK_CC_WEB_SECRET_KEY": "k" * 32,
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "asterisk-cc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_sample_is_the_rendered_schema() -> None:
    shipped = (REPO / "conf" / "asterisk-cc.sample.toml").read_text(encoding="utf-8")
    assert shipped == render_sample(), (
        "run: asterisk-cc config sample > conf/asterisk-cc.sample.toml"
    )


def test_sample_names_every_key_with_its_default() -> None:
    parsed = tomllib.loads(render_sample())
    for section, section_type in SECTIONS.items():
        defaults = section_type()
        for f in dataclasses.fields(section_type):
            assert parsed[section][f.name] == getattr(defaults, f.name), (section, f.name)


def test_sample_loads_once_secrets_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, render_sample())
    settings = load_settings(path, SECRETS_ENV)
    assert settings.ari.password == "ari-secret"
    assert settings.agi.bind == "127.0.0.1" and settings.web.bind == "127.0.0.1"
    assert settings.source == str(path)


def test_missing_secret_names_key_and_environment_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "[ari]\nuser = 'cc'\n")
    env = {k: v for k, v in SECRETS_ENV.items() if k != "ASTERISK_CC_ARI_PASSWORD"}
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, env)
    message = str(excinfo.value)
    assert str(path) in message
    assert "[ari] password is missing" in message
    assert "ASTERISK_CC_ARI_PASSWORD" in message


def test_secret_only_required_by_processes_that_use_it(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    settings = load_settings(path, {}, needed_by="agi")
    assert settings.ari.password == ""
    with pytest.raises(ConfigError, match=r"\[web\] secret_key is missing"):
        load_settings(path, {}, needed_by="web")


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "[ari]\npasword = 'x'\n")
    with pytest.raises(
        ConfigError, match=r"\[ari\] pasword is not a known key \(did you mean 'password'\?\)"
    ):
        load_settings(path, SECRETS_ENV)


def test_unknown_section_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "[databse]\nurl = 'sqlite://'\n")
    with pytest.raises(
        ConfigError, match=r"section \[databse\] is unknown \(did you mean 'database'\?\)"
    ):
        load_settings(path, SECRETS_ENV)


def test_wrong_type_says_how_to_write_it(tmp_path: Path) -> None:
    path = write(tmp_path, "[ami]\nport = '5038'\n")
    with pytest.raises(
        ConfigError, match=r"\[ami\] port must be an integer, not '5038': write it like port = 5038"
    ):
        load_settings(path, SECRETS_ENV)


def test_bool_is_not_an_integer(tmp_path: Path) -> None:
    path = write(tmp_path, "[agi]\nport = true\n")
    with pytest.raises(ConfigError, match="must be an integer"):
        load_settings(path, SECRETS_ENV)


def test_out_of_range_and_bad_choice(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nport = 70000\n[crm]\nsource = 'ldap'\n")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, SECRETS_ENV)
    message = str(excinfo.value)
    assert "has 2 problems" in message
    assert "[web] port is 70000, outside 1..65535" in message
    assert "[crm] source is 'ldap', which is not one of builtin, table, query" in message


def test_all_problems_reported_in_one_paragraph(tmp_path: Path) -> None:
    path = write(tmp_path, "[ari]\npasword = 'x'\n[site]\ntimezone = 'Mars/Base'\n")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, {})
    message = str(excinfo.value)
    assert "\n" not in message
    assert "pasword" in message and "Mars/Base" in message


def test_semantic_checks(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[reports]\ndaily_at = '6:30'\n[database]\nurl = 'mysql://x'\n[crm]\nsource = 'query'\n",
    )
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, SECRETS_ENV)
    message = str(excinfo.value)
    assert "[reports] daily_at '6:30' is not a time" in message
    assert "[database] url must start with sqlite: or postgresql" in message
    assert "[crm] phone_lookup_query must be a SELECT with the bound parameter :phone" in message


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[ari]\nurl = http://x\n")
    with pytest.raises(ConfigError, match=r"is not valid TOML: .*line 2"):
        load_settings(path, SECRETS_ENV)


def test_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist\. Fix: create it from the sample"):
        load_settings(tmp_path / "nope.toml", SECRETS_ENV)


def test_environment_overrides_file_and_is_typed(tmp_path: Path) -> None:
    path = write(tmp_path, "[ami]\nport = 5038\n")
    env = {
        **SECRETS_ENV,
        "ASTERISK_CC_AMI_PORT": "15038",
        "ASTERISK_CC_SMTP_STARTTLS": "yes",
        "ASTERISK_CC_REPORTS_RECIPIENTS": "a@x.org, b@x.org",
    }
    settings = load_settings(path, env)
    assert settings.ami.port == 15038
    assert settings.smtp.starttls is True
    assert settings.reports.recipients == ["a@x.org", "b@x.org"]


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(
        ConfigError, match="environment variable ASTERISK_CC_AMI_PORT='x' must be an integer"
    ):
        load_settings(path, {**SECRETS_ENV, "ASTERISK_CC_AMI_PORT": "x"})


def test_the_dashboard_plays_recordings_from_asterisks_recording_folder_by_default(
    tmp_path: Path,
) -> None:
    settings = load_settings(write(tmp_path, ""), SECRETS_ENV, needed_by="web")
    # Where Debian's Asterisk records ARI recordings, as the controller's side knows it.
    assert settings.web.recordings_dir == str(ASTERISK_RECORDING_DIR)
    assert settings.web.recordings_dir == "/var/spool/asterisk/recording"


def test_the_recordings_folder_is_set_in_the_file_or_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[web]\nrecordings_dir = '/mnt/pbx/recording'\n")
    assert load_settings(path, SECRETS_ENV).web.recordings_dir == "/mnt/pbx/recording"
    env = {**SECRETS_ENV, "ASTERISK_CC_WEB_RECORDINGS_DIR": "/srv/recording"}
    assert load_settings(path, env).web.recordings_dir == "/srv/recording"
    with pytest.raises(ConfigError, match=r"\[web\] recordings_dir must be a string"):
        load_settings(write(tmp_path, "[web]\nrecordings_dir = 7\n"), SECRETS_ENV)


def test_ivr_complaints_are_due_a_day_later_unless_told_otherwise(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, ""), {}, needed_by="agi").ivr.complaint_due_hours == 24
    path = write(tmp_path, "[ivr]\ncomplaint_due_hours = 0\n")
    assert load_settings(path, {}, needed_by="agi").ivr.complaint_due_hours == 0
    env = {"ASTERISK_CC_IVR_COMPLAINT_DUE_HOURS": "48"}
    assert load_settings(path, env, needed_by="agi").ivr.complaint_due_hours == 48


def test_negative_complaint_due_hours_are_refused_naming_the_setting(tmp_path: Path) -> None:
    path = write(tmp_path, "[ivr]\ncomplaint_due_hours = -4\n")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(path, {}, needed_by="agi")
    message = str(excinfo.value)
    assert "[ivr] complaint_due_hours is -4, below 0: use 0 or more" in message
    assert "None" not in message
    env = {"ASTERISK_CC_IVR_COMPLAINT_DUE_HOURS": "-1"}
    with pytest.raises(
        ConfigError,
        match=r"\[ivr\] complaint_due_hours \(from ASTERISK_CC_IVR_COMPLAINT_DUE_HOURS\) is -1",
    ):
        load_settings(write(tmp_path, ""), env, needed_by="agi")
