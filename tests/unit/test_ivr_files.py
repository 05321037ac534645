"""Flow files on disk: reload while serving, queues.conf reading, and `asterisk-cc ivr`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asterisk_cc.agi import flows as flows_module
from asterisk_cc.agi.flows import FlowLibrary, prompts_to_build, queues_defined, sound_finder

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "conf" / "ivr"
QUEUES = REPO / "conf" / "asterisk" / "queues_asterisk_cc.conf"

SMALL = """\
[flow]
start = "menu"
languages = ["en"]

[prompts.menu]
en = "Press 1 for sales."
en_files = ["vm-press", "digits/1"]

[nodes.menu]
kind = "menu"
prompts = ["menu"]
choices = {{ "1" = "{target}", "9" = "bye" }}
on_exhausted = "sales"

[nodes.sales]
kind = "queue"
queue = "sales"

[nodes.bye]
kind = "hangup"
"""


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    # A new modification time even on a file system with coarse timestamps.
    stamp = time.time() + (1 if path.exists() else 0)
    os.utime(path, (stamp, stamp))


@pytest.fixture(autouse=True)
def no_recheck_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flows_module, "RECHECK_INTERVAL_S", 0.0)


def test_a_changed_flow_is_used_on_the_next_call(tmp_path: Path) -> None:
    library = FlowLibrary(tmp_path, default_timezone="UTC", queues={"sales"})
    write(tmp_path / "small.toml", SMALL.format(target="bye"))
    first = library.get("small")
    assert first is not None and first.nodes["menu"].choices == {"1": "bye", "9": "bye"}  # type: ignore[union-attr]
    write(tmp_path / "small.toml", SMALL.format(target="sales"))
    second = library.get("small")
    assert second is not None and second.nodes["menu"].choices == {"1": "sales", "9": "bye"}  # type: ignore[union-attr]


def test_a_broken_edit_is_refused_and_the_last_good_version_serves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    library = FlowLibrary(tmp_path, default_timezone="UTC", queues={"sales"})
    write(tmp_path / "small.toml", SMALL.format(target="sales"))
    good = library.get("small")
    write(tmp_path / "small.toml", SMALL.format(target="salse"))
    assert library.get("small") is good
    assert "nodes.menu.choices.1: no node 'salse'" in caplog.text
    assert "calls keep the previous version" in caplog.text


def test_unknown_or_unsafe_flow_names_are_none(tmp_path: Path) -> None:
    library = FlowLibrary(tmp_path, default_timezone="UTC")
    assert library.get("nothing") is None
    assert library.get("../etc/passwd") is None


def test_queues_are_read_through_includes_without_templates(tmp_path: Path) -> None:
    (tmp_path / "more.conf").write_text("[billing]\nstrategy = ringall\n", encoding="utf-8")
    main = tmp_path / "queues.conf"
    main.write_text(
        f'[general]\npersistentmembers = yes\n#include "{QUEUES}"\n#include more.conf\n',
        encoding="utf-8",
    )
    assert queues_defined([main]) == {"support", "sales", "vip", "billing"}


def test_sounds_are_found_in_any_playable_format(tmp_path: Path) -> None:
    (tmp_path / "zh" / "asterisk-cc" / "hotline").mkdir(parents=True)
    (tmp_path / "zh" / "asterisk-cc" / "hotline" / "welcome.gsm").write_bytes(b"x")
    exists = sound_finder([tmp_path])
    assert exists("zh", "asterisk-cc/hotline/welcome")
    assert not exists("en", "asterisk-cc/hotline/welcome")


def test_prompts_to_build_skip_stock_sounds_and_add_the_chinese_number_words() -> None:
    library = FlowLibrary(SHIPPED, default_timezone="UTC")
    items = {(i.lang, i.name): i.text for i in prompts_to_build(library.all_flows())}
    assert items[("zh", "asterisk-cc/hotline/goodbye")] == "感谢您的来电，再见。"
    assert ("en", "asterisk-cc/hotline/goodbye") not in items  # stock vm-goodbye
    assert items[("zh", "asterisk-cc/say/wan")] == "万"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTERISK_CC_")}
    return subprocess.run(
        [sys.executable, "-m", "asterisk_cc", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def config(tmp_path: Path, flows_dir: Path) -> Path:
    path = tmp_path / "cc.toml"
    path.write_text(
        f'[ivr]\nflows_dir = "{flows_dir}"\nsounds_dirs = ["{tmp_path / "no-sounds"}"]\n'
        f'queues_conf = ["{QUEUES}"]\n',
        encoding="utf-8",
    )
    return path


def test_ivr_check_exits_0_on_valid_flows(tmp_path: Path) -> None:
    result = run_cli("ivr", "check", "--config", str(config(tmp_path, SHIPPED)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["OK    hotline", "OK    survey"]


def test_ivr_check_exits_2_with_the_findings_of_a_broken_flow(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(SHIPPED, flows)
    hotline = flows / "hotline.toml"
    hotline.write_text(
        hotline.read_text(encoding="utf-8").replace('queue = "sales"', 'queue = "salez"'),
        encoding="utf-8",
    )
    result = run_cli("ivr", "check", "--config", str(config(tmp_path, flows)))
    assert result.returncode == 2
    assert "FAIL  hotline" in result.stdout and "OK    survey" in result.stdout
    assert "nodes.sales.queue: queue 'salez' is not defined in the queues configuration" in (
        result.stdout
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_ivr_check_of_a_file_with_a_syntax_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[flow\nstart = 1\n", encoding="utf-8")
    result = run_cli("ivr", "check", "--config", str(config(tmp_path, SHIPPED)), str(broken))
    assert result.returncode == 2
    assert "not valid TOML" in result.stdout


def test_ivr_show_draws_the_tree(tmp_path: Path) -> None:
    result = run_cli("ivr", "show", "--config", str(config(tmp_path, SHIPPED)), "hotline")
    assert result.returncode == 0
    assert "   ├─ if open office → identify  [lookup by caller_id]" in result.stdout
    assert "key 3 → sales  [queue sales, vip→vip, survey survey]" in result.stdout


def test_ivr_prompts_dry_run_lists_what_is_missing(tmp_path: Path) -> None:
    result = run_cli("ivr", "prompts", "--dry-run", "--config", str(config(tmp_path, SHIPPED)))
    assert result.returncode == 0
    assert "zh asterisk-cc/hotline/welcome: 您好，欢迎致电客户服务热线。" in result.stdout
    assert "en asterisk-cc/hotline/goodbye" not in result.stdout
