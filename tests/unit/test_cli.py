"""The command line as scripts use it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from asterisk_cc.config import render_sample

SECRETS_ENV = {
    "ASTERISK_CC_ARI_PASSWORD": "ari-secret",
    "ASTERISK_CC_AMI_SECRET": "ami-secret",
    "ASTERISK_CC_WEB_SECRET_KEY": "k" * 32,
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
    return subprocess.run(
        [sys.executable, "-m", "asterisk_cc", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_lists_every_process_and_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in (
        "agi",
        "ari",
        "dialer",
        "scheduler",
        "web",
        "run-all",
        "check",
        "db",
        "sandbox",
    ):
        assert command in result.stdout
    assert "2 bad configuration" in result.stdout


def test_bad_config_file_exit_2_one_paragraph_no_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[ami]\nport = 'x'\n[nonsense]\n", encoding="utf-8")
    result = run("check", "--config", str(config), env=SECRETS_ENV)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0
    assert str(config) in message and "[ami] port" in message and "[nonsense]" in message


def test_config_path_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "from-env.toml"
    config.write_text("[site]\ntimezone = 'Nowhere/Land'\n", encoding="utf-8")
    result = run("check", env={**SECRETS_ENV, "ASTERISK_CC_CONFIG": str(config)})
    assert result.returncode == 2
    assert str(config) in result.stderr and "Nowhere/Land" in result.stderr


def test_missing_config_file_says_how_to_create_it(tmp_path: Path) -> None:
    result = run("check", "--config", str(tmp_path / "none.toml"))
    assert result.returncode == 2
    assert "asterisk-cc config sample" in result.stderr


def test_config_sample_and_show_masks_secrets(tmp_path: Path) -> None:
    sample = run("config", "sample")
    assert sample.returncode == 0 and sample.stdout == render_sample()
    config = tmp_path / "c.toml"
    config.write_text(sample.stdout, encoding="utf-8")
    shown = run("config", "show", "--config", str(config), env=SECRETS_ENV)
    assert shown.returncode == 0
    assert "password = ***" in shown.stdout
    assert "ari-secret" not in shown.stdout and "ami-secret" not in shown.stdout


def test_config_show_hides_a_password_written_into_the_database_url(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[database]\nurl = "postgresql+psycopg://cc:pg-s3cret@db.example/cc"\n', encoding="utf-8"
    )
    shown = run("config", "show", "--config", str(config), env=SECRETS_ENV)
    assert shown.returncode == 0, shown.stderr
    assert "pg-s3cret" not in shown.stdout
    assert "url = 'postgresql+psycopg://cc:***@db.example/cc'" in shown.stdout


def test_web_without_a_secret_key_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/cc.sqlite3"\n', encoding="utf-8")
    result = run("web", "--config", str(config))
    assert result.returncode == 2
    assert "[web] secret_key is missing" in result.stderr


def test_db_upgrade_then_current_on_sqlite(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    db_file = tmp_path / "sub" / "cc.sqlite3"
    config.write_text(f'[database]\nurl = "sqlite:///{db_file}"\n', encoding="utf-8")
    upgraded = run("db", "upgrade", "--config", str(config))
    assert upgraded.returncode == 0, upgraded.stderr
    assert db_file.exists()
    current = run("db", "current", "--config", str(config))
    assert current.returncode == 0
    assert current.stdout.strip() and "empty" not in current.stdout


def test_check_reports_each_unreachable_dependency(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "postgresql+psycopg://cc:pw@127.0.0.1:{closed_port()}/cc"\n'
        f"connect_timeout_s = 2\n"
        f'[ari]\nurl = "http://127.0.0.1:{closed_port()}/ari"\n'
        f"[ami]\nport = {closed_port()}\n"
        f"[agi]\nport = {closed_port()}\n",
        encoding="utf-8",
    )
    result = run("check", "--config", str(config), env=SECRETS_ENV)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = {line.split()[1]: line for line in result.stdout.splitlines()}
    assert lines["config"].startswith("OK")
    assert lines["database"].startswith("FAIL") and "***" in lines["database"]
    assert "pw@" not in result.stdout
    assert lines["ari"].startswith("FAIL") and "does not answer" in lines["ari"]
    assert lines["ami"].startswith("FAIL") and "does not answer" in lines["ami"]
    assert lines["agi"].startswith("OK")


def test_config_option_before_or_after_the_command(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[site]\ntimezone = 'Nowhere/Land'\n", encoding="utf-8")
    for args in (("--config", str(config), "check"), ("check", "--config", str(config))):
        result = run(*args, env=SECRETS_ENV)
        assert result.returncode == 2, args
        assert "Nowhere/Land" in result.stderr


def test_agi_server_refuses_a_database_without_schema(tmp_path: Path) -> None:
    # The FastAGI server writes IVR sessions: it must say how to migrate, not fail on a call.
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "new.sqlite3"}"\n', "utf-8")
    result = run("agi", "--config", str(config))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert f"asterisk-cc --config {config} db upgrade" in result.stderr


def test_agent_set_pin_from_standard_input(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from asterisk_cc.db.agents import pin_matches

    config = tmp_path / "c.toml"
    db_file = tmp_path / "cc.sqlite3"
    config.write_text(f'[database]\nurl = "sqlite:///{db_file}"\n', encoding="utf-8")
    assert run("db", "upgrade", "--config", str(config)).returncode == 0
    engine = create_engine(f"sqlite:///{db_file}")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO agents (login, name) VALUES ('1001', 'Zhao Min')"))

    def set_pin(login: str, pin: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "asterisk_cc",
                "agent",
                "set-pin",
                login,
                "--config",
                str(config),
            ],
            input=f"{pin}\n",
            capture_output=True,
            text=True,
            env=clean,
            timeout=60,
            check=False,
        )

    assert set_pin("1001", "4821").returncode == 0
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT pin_hash FROM agents")).scalar_one()
    assert pin_matches(stored, "4821") and not pin_matches(stored, "4822")
    refused = set_pin("1001", "12ab")
    assert refused.returncode == 2 and "digits" in refused.stderr
    unknown = set_pin("9999", "1234")
    assert unknown.returncode == 2 and "9999" in unknown.stderr
    engine.dispose()


def dialer_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "dialer.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "cc.sqlite3"}"\n'
        f'[ari]\nurl = "http://127.0.0.1:{closed_port()}/ari"\n' + extra,
        encoding="utf-8",
    )
    assert run("db", "upgrade", "--config", str(config), env=SECRETS_ENV).returncode == 0
    return config


def test_the_dialer_without_asterisk_exits_4_naming_ari(tmp_path: Path) -> None:
    result = run("dialer", "--config", str(dialer_config(tmp_path)), env=SECRETS_ENV)
    assert result.returncode == 4
    assert "ARI at http://127.0.0.1:" in result.stderr and "Traceback" not in result.stderr


def test_the_dialer_needs_the_controller_endpoint(tmp_path: Path) -> None:
    config = dialer_config(tmp_path, "status_port = 0\n")
    result = run("dialer", "--config", str(config), env=SECRETS_ENV)
    assert result.returncode == 2
    assert "status_port" in result.stderr and "Traceback" not in result.stderr


def test_the_dialer_needs_the_web_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in SECRETS_ENV.items() if k != "ASTERISK_CC_WEB_SECRET_KEY"}
    result = run("dialer", "--config", str(dialer_config(tmp_path)), env=env)
    assert result.returncode == 2
    assert "secret_key" in result.stderr


def run_with_input(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
    return subprocess.run(
        [sys.executable, "-m", "asterisk_cc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
        check=False,
    )


def test_the_first_admin_is_made_from_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/cc.sqlite3"\n', encoding="utf-8")
    assert run("db", "upgrade", "--config", str(config)).returncode == 0
    listed = run("user", "list", "--config", str(config))
    assert "no users: add the first admin" in listed.stdout
    short = run_with_input(
        "user", "add", "root", "--role", "admin", "--config", str(config), stdin="short\n"
    )
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    added = run_with_input(
        "user",
        "add",
        "root",
        "--role",
        "admin",
        "--name",
        "Root Admin",
        "--config",
        str(config),
        stdin="a-long-enough-password\n",
    )
    assert added.returncode == 0, added.stderr
    again = run_with_input(
        "user",
        "add",
        "root",
        "--role",
        "admin",
        "--config",
        str(config),
        stdin="another-password-1\n",
    )
    assert again.returncode == 2 and "exists already" in again.stderr
    agent = run_with_input(
        "user",
        "add",
        "ann",
        "--role",
        "agent",
        "--config",
        str(config),
        stdin="a-long-enough-password\n",
    )
    assert agent.returncode == 2 and "--agent LOGIN" in agent.stderr
    assert run("user", "disable", "root", "--config", str(config)).returncode == 0
    listed = run("user", "list", "--config", str(config)).stdout
    assert "root\tadmin\tRoot Admin (disabled)" in listed
    assert "a-long-enough-password" not in (tmp_path / "cc.sqlite3").read_bytes().decode("latin-1")
