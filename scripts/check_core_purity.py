"""Fails when code under the given directory does I/O or reads the clock.

import-linter keeps frameworks and adapters out of ``asterisk_cc.core``; this check covers what
an import contract cannot see: the standard library's I/O modules, ``open()``, and reading the
clock (``datetime.now()``, ``time.time()``...), since core functions take ``now`` as an argument.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

FORBIDDEN_MODULES = {
    "asyncio", "http", "io", "logging", "os", "pathlib", "requests", "selectors", "shutil",
    "signal", "smtplib", "socket", "sqlite3", "subprocess", "tempfile", "threading", "urllib",
}
FORBIDDEN_CALLS = {
    "open", "print", "input", "now", "utcnow", "today", "time", "monotonic", "perf_counter",
    "sleep", "random", "randint", "choice", "shuffle", "uniform",
}


def findings(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in FORBIDDEN_MODULES:
                yield f"{path}:{node.lineno}: imports {name} (core does no I/O)"
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called in FORBIDDEN_CALLS:
                yield f"{path}:{node.lineno}: calls {called}() (core takes now and data as input)"


def main(argv: list[str]) -> int:
    problems = [p for root in argv for f in sorted(Path(root).rglob("*.py")) for p in findings(f)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
