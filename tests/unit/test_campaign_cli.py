"""``asterisk-cc campaign ...`` and ``asterisk-cc dnc ...`` on a real (temporary SQLite)
database: what they print and the exit codes scripts rely on."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from asterisk_cc.config import DatabaseSettings, Settings, SiteSettings
from asterisk_cc.db.engine import make_engine, session_factory
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import Agent, Campaign, Lead
from asterisk_cc.dialer.campaign_cli import add_campaign_parser, add_dnc_parser
from asterisk_cc.errors import DatabaseError


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    path = tmp_path_factory.mktemp("cli") / "cc.sqlite3"
    database = DatabaseSettings(url=f"sqlite:///{path}")
    engine = make_engine(database)
    upgrade(engine)
    with session_factory(engine).begin() as session:
        session.add_all([Agent(login="1001", name="Ann"), Agent(login="1002", name="Bob")])
    engine.dispose()
    yield Settings(
        database=database,
        site=SiteSettings(timezone="America/New_York", default_region="US"),
        source=str(path.parent / "asterisk-cc.toml"),
    )


def run(settings: Settings, *argv: str) -> int:
    """The commands as ``asterisk-cc`` wires them (cli.py is not edited here)."""
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(prog="asterisk-cc")
    sub = parser.add_subparsers(dest="command", required=True)
    add_campaign_parser(sub, common, lambda args: settings)
    add_dnc_parser(sub, common, lambda args: settings)
    args = parser.parse_args(argv)
    return int(args.func(args))


def stored(settings: Settings, name: str) -> Campaign:
    engine = make_engine(settings.database)
    try:
        with session_factory(engine)() as session:
            return session.scalars(select(Campaign).where(Campaign.name == name)).one()
    finally:
        engine.dispose()


def test_create_list_show_start_pause_stop(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        settings,
        "campaign",
        "create",
        "renewals",
        "--mode",
        "predictive",
        "--queue",
        "renewals",
        "--caller-id",
        "+12125550100",
        "--window",
        "09:00-20:00",
        "--days",
        "mon-sat",
        "--holidays",
        "2026-12-25,2027-01-01",
        "--max-attempts",
        "4",
        "--ring-timeout",
        "20",
        "--amd",
        "--abandon-target",
        "2.5%",
        "--definition",
        "fcc_30d",
        "--agents",
        "1001,1002",
        "--retry",
        "busy=600",
    )
    out = capsys.readouterr().out
    assert code == 0 and "campaign renewals created" in out
    campaign = stored(settings, "renewals")
    assert (campaign.max_attempts, campaign.ring_timeout_s, campaign.timezone) == (
        4,
        20,
        "America/New_York",  # the site's zone, not given
    )
    assert campaign.call_days == "mon,tue,wed,thu,fri,sat" and campaign.amd_enabled
    assert run(settings, "campaign", "list") == 0
    assert "renewals" in capsys.readouterr().out
    assert run(settings, "campaign", "show", "renewals") == 0
    shown = capsys.readouterr().out
    for expected in ("window = 09:00-20:00", "busy=600", "agents = 1001, 1002", "pending    0"):
        assert expected in shown
    assert "last 30 days" in shown  # an FCC campaign: its 30-day window too
    assert run(settings, "campaign", "start", "renewals") == 0
    assert "draft → active" in capsys.readouterr().out
    assert run(settings, "campaign", "pause", "renewals") == 0
    assert run(settings, "campaign", "pause", "renewals") == 2
    assert "a paused campaign cannot be paused" in capsys.readouterr().err
    assert run(settings, "campaign", "update", "renewals", "--retry", "no_answer=120") == 0
    delays = stored(settings, "renewals").retry_delays_s
    assert delays["busy"] == 600 and delays["no_answer"] == 120  # type: ignore[call-overload]
    assert run(settings, "campaign", "stop", "renewals") == 0
    assert stored(settings, "renewals").status.value == "finished"


def test_refused_settings_exit_2_naming_every_problem(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        settings,
        "campaign",
        "create",
        "bad",
        "--ring-timeout",
        "10",
        "--abandon-target",
        "0.2",
        "--window",
        "21:00-08:00",
        "--agents",
        "ghost",
    )
    err = capsys.readouterr().err
    assert code == 2
    for field in ("ring_timeout_s:", "abandon_target_ratio:", "window:"):
        assert field in err
    assert "Traceback" not in err
    assert run(settings, "campaign", "create", "bad2", "--agents", "ghost") == 2
    assert "agents: no agent with login 'ghost'" in capsys.readouterr().err
    assert run(settings, "campaign", "show", "nope") == 2
    assert "no campaign named 'nope'" in capsys.readouterr().err


def test_create_from_a_campaign_file(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "uk.toml"
    file.write_text(
        'dial_mode = "progressive"\ntimezone = "Europe/London"\nabandon_definition = '
        '"ofcom_daily"\ncaller_id = "+442071234567"\n',
        encoding="utf-8",
    )
    assert (
        run(settings, "campaign", "create", "uk", "--file", str(file), "--max-attempts", "2") == 0
    )
    campaign = stored(settings, "uk")
    assert (campaign.timezone, campaign.max_attempts) == ("Europe/London", 2)
    assert run(settings, "campaign", "create", "uk", "--file", str(file)) == 2
    assert "exists" in capsys.readouterr().err
    file.write_text("dial_mode = ", encoding="utf-8")
    assert run(settings, "campaign", "create", "broken", "--file", str(file)) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_import_prints_every_rejected_line_and_writes_them(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "campaign", "create", "leads", "--agents", "1001") == 0
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "id,name,phone,mobile\n"
        "1,Ann,(212) 555-0143,\n"
        "2,=cmd(),12,+44 7911 123456\n"
        "3,Cy,bad,\n"
        "1,Dup,2125550199,\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    argv = ["campaign", "import", "leads", str(leads), "--phone", "phone", "--phone", "mobile"]
    code = run(settings, *argv, "--ref", "id", "--rejects", str(rejects))
    out = capsys.readouterr().out
    assert code == 2  # some rows refused (the good ones are in)
    assert "4 rows, 2 imported into leads, 2 rejected" in out
    assert "line 4: no valid phone number" in out
    assert "line 5: duplicate of line 2: the same reference '1'" in out
    assert "warning, line 3: phone '12' is not a phone number" in out
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "reason", "id", "name", "phone", "mobile"]
    assert [row[0] for row in rows[1:]] == ["4", "5"]
    again = run(settings, *argv, "--ref", "id")
    assert again == 2 and "0 imported" in capsys.readouterr().out
    engine = make_engine(settings.database)
    with session_factory(engine)() as session:
        names = session.scalars(
            select(Lead.fields).join(Campaign).where(Campaign.name == "leads").order_by(Lead.id)
        ).all()
    engine.dispose()
    assert [fields["name"] for fields in names] == ["Ann", "=cmd()"]  # stored as data
    assert run(settings, "campaign", "import", "leads", str(leads), "--phone", "tel") == 2
    assert "no column 'tel'; its columns are: id, name, phone, mobile" in capsys.readouterr().err


def test_a_clean_import_exits_0(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "campaign", "create", "clean") == 0
    leads = tmp_path / "clean.csv"
    leads.write_text("phone;name\n2125550177;Ann\n", encoding="utf-8")
    assert run(settings, "campaign", "import", "clean", str(leads), "--phone", "phone") == 0
    assert "1 imported into clean, 0 rejected" in capsys.readouterr().out


def test_dnc_add_check_remove_import(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "campaign", "create", "dnc-campaign") == 0
    assert run(settings, "dnc", "add", "(212) 555-0111", "--reason", "asked") == 0
    assert "+12125550111 is on the global do-not-call list" in capsys.readouterr().out
    assert run(settings, "dnc", "check", "2125550111", "--campaign", "dnc-campaign") == 0
    out = capsys.readouterr().out
    assert "+12125550111 must NOT be called by campaign dnc-campaign" in out
    assert "from admin: asked" in out
    assert run(settings, "dnc", "add", "2125550112", "--campaign", "dnc-campaign") == 0
    assert run(settings, "dnc", "remove", "2125550111") == 0
    assert "removed from the global do-not-call list" in capsys.readouterr().out
    assert run(settings, "dnc", "check", "+12125550111") == 0
    assert "is on no do-not-call list" in capsys.readouterr().out
    assert run(settings, "dnc", "add", "12") == 2
    assert "is not a phone number" in capsys.readouterr().err
    listing = tmp_path / "dnc.txt"
    listing.write_text("2125550121\n2125550122\nnope\n", encoding="utf-8")
    assert run(settings, "dnc", "import", str(listing)) == 2
    out = capsys.readouterr().out
    assert "2 added to the global do-not-call list" in out and "line 3: 'nope'" in out


def test_an_unmigrated_database_says_to_upgrade(tmp_path: Path) -> None:
    empty = Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    with pytest.raises(DatabaseError, match="db upgrade"):
        run(empty, "campaign", "list")
