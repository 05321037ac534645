"""The layering rule is enforced: the purity check catches I/O and clock reads in core."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "check_core_purity.py"


def run_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK), str(directory)], capture_output=True, text=True, check=False
    )


def test_core_is_pure() -> None:
    result = run_check(REPO / "asterisk_cc" / "core")
    assert result.returncode == 0, result.stdout


def test_check_catches_io_and_clock_reads(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        "import socket\nfrom datetime import datetime\n\n"
        "def f():\n    return datetime.now(), open('x')\n",
        encoding="utf-8",
    )
    result = run_check(tmp_path)
    assert result.returncode == 1
    assert "imports socket" in result.stdout
    assert "calls now()" in result.stdout
    assert "calls open()" in result.stdout
