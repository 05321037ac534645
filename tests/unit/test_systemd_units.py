"""One systemd unit per process of the command line, each starting it the way docs/install.md
says; systemd's own checker accepts them. docs/install.md has no block its test cannot run."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asterisk_cc.cli import EXIT_CONFIG, build_parser
from tests.install_doc import (
    INSTALL_DOC,
    PLACES,
    UNITS_DIR,
    DocError,
    assigned_places,
    parse_doc,
    parse_unit,
)

CONFIG = "/etc/asterisk-cc/asterisk-cc.toml"
EXECUTABLE = "/opt/asterisk-cc/venv/bin/asterisk-cc"
# Processes that read files only the asterisk group may read (Debian's /etc/asterisk, the logs
# in /var/log/asterisk, the recordings in /var/spool/asterisk).
IN_ASTERISK_GROUP = {"agi", "scheduler", "web"}


def process_commands() -> set[str]:
    """The long-running processes of `asterisk-cc` (run-all is the small site's all-in-one,
    which an admin adapts a unit for)."""
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in commands._choices_actions}
    return {name for name, text in helps.items() if text.startswith("run ")} - {"run-all"}


def units() -> dict[str, Path]:
    return {path.stem.removeprefix("asterisk-cc-"): path for path in UNITS_DIR.glob("*.service")}


def test_there_is_one_unit_per_process() -> None:
    assert set(units()) == process_commands() == {"agi", "ari", "dialer", "scheduler", "web"}


@pytest.mark.parametrize("process", sorted(process_commands()))
def test_a_unit_runs_its_process_as_the_document_says(process: str) -> None:
    unit = parse_unit(units()[process])
    argv = unit.exec_start
    assert argv[0] == EXECUTABLE
    assert argv[1:] == ["--config", CONFIG, process]
    # The command line knows it: the arguments parse, to the process's own function.
    args = build_parser().parse_args(argv[1:])
    assert args.func.__name__ == f"cmd_{process}" and args.config == CONFIG
    service = unit.sections["Service"]
    assert service["User"] == service["Group"] == ("asterisk-cc",)
    assert unit.environment_files == [(Path("/etc/asterisk-cc/asterisk-cc.env"), False)]
    assert service["Restart"] == ("on-failure",)
    # A configuration error is not fixed by restarting.
    assert service["RestartPreventExitStatus"] == (str(EXIT_CONFIG),)
    assert service["StateDirectory"] == ("asterisk-cc",)
    assert service["UMask"] == ("0027",)
    assert ("asterisk" in unit.supplementary_groups) == (process in IN_ASTERISK_GROUP)
    assert unit.sections["Install"]["WantedBy"] == ("multi-user.target",)


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (Debian package systemd)", pytrace=False)
        pytest.skip("systemd-analyze is missing (Debian package systemd)")
    # verify checks that ExecStart's program exists: this venv's asterisk-cc stands in for the
    # one the units name.
    here = str(Path(sys.executable).with_name("asterisk-cc"))
    for path in units().values():
        text = path.read_text(encoding="utf-8").replace(EXECUTABLE, here)
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_every_block_of_the_install_document_is_known_to_its_test() -> None:
    blocks = parse_doc(INSTALL_DOC.read_text(encoding="utf-8"))
    (variables,) = (b for b in blocks if b.kind == "variables")
    assert assigned_places(variables) == list(PLACES)
    assert sum(b.kind == "run" for b in blocks) >= 10


def test_a_block_without_a_marker_is_refused() -> None:
    with pytest.raises(DocError, match="without an <!-- install-test"):
        parse_doc("Do this:\n\n```sh\nrm -rf /opt/asterisk-cc\n```\n")


def test_the_document_names_every_unit() -> None:
    text = INSTALL_DOC.read_text(encoding="utf-8")
    for process in units():
        assert f"`asterisk-cc-{process}`" in text
