"""Job functions for the scheduler tests: each run leaves a line in a file, so a test can
count the runs of a job across scheduler restarts (the job store keeps only this module's
name and the plain arguments)."""

from __future__ import annotations

import time
from pathlib import Path


def record(path: str, label: str) -> None:
    """One line ``label`` per run."""
    with Path(path).open("a", encoding="utf-8") as runs:
        runs.write(label + "\n")


def fail(path: str, label: str) -> None:
    """Record the run, then fail as a broken job would."""
    record(path, label)
    raise RuntimeError(f"probe failure in {label}")


def slow(path: str, label: str) -> None:
    """A run that is still busy when the scheduler is asked to stop: start, then end."""
    record(path, f"{label} start")
    time.sleep(1.5)
    record(path, f"{label} end")


def runs(path: Path) -> list[str]:
    """The lines the jobs left, in order."""
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []
