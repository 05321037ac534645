"""docs/install.md as something a test can follow: its blocks, the systemd units, the edits.

The document marks each fenced block with an HTML comment just above it, invisible on the
rendered page, saying what the block is:

* ``<!-- install-test: variables -->`` the places of step 0 (``export NAME=value`` lines): the
  test sets the same names to its own temporary places instead;
* ``<!-- install-test: run -->`` shell commands, run as they are (``bash -e``);
* ``<!-- install-test: append FILE -->`` lines to add at the end of ``$ASTERISK_ETC/FILE``;
* ``<!-- install-test: in-section FILE SECTION -->`` ``key = value`` lines to set in
  ``[SECTION]`` of that file;
* ``<!-- install-test: below-header FILE SECTION -->`` lines to put directly below the
  ``[SECTION]`` header;
* ``<!-- install-test: skip REASON -->`` not a step of a plain Asterisk install (FreePBX, an
  example of output, an alternative).

A fenced block without a marker, or with one the test does not know, is an error: a step
cannot be added to the document without the test running it.

Helpers for the rest: :func:`parse_unit` reads a systemd unit as systemd does (the parts the
project uses), :func:`set_toml_key` edits one key of the sample configuration in place.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from asterisk_cc.sandbox.render import set_in_section

INSTALL_DOC = Path(__file__).resolve().parents[1] / "docs" / "install.md"
UNITS_DIR = Path(__file__).resolve().parents[1] / "conf" / "systemd"
KINDS = ("variables", "run", "append", "in-section", "below-header", "skip")
# The places step 0 sets; the test gives each its own value.
PLACES = (
    "PREFIX",
    "BIN_DIR",
    "CONFIG_DIR",
    "STATE_DIR",
    "ASTERISK_ETC",
    "ASTERISK_SPOOL",
    "UNIT_DIR",
    "SOURCE",
)
_MARKER = re.compile(r"^<!--\s*install-test:\s*(?P<kind>[a-z-]+)(?P<args>[^>]*?)\s*-->$")
_FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")


class DocError(Exception):
    """The document has a block the test cannot follow."""


@dataclass(frozen=True)
class DocBlock:
    kind: str
    args: tuple[str, ...]
    lang: str
    code: str
    line: int  # of the opening fence, 1-based

    def describe(self) -> str:
        return f"docs/install.md line {self.line} ({self.kind} {' '.join(self.args)})".rstrip()


def parse_doc(text: str) -> list[DocBlock]:
    """Every fenced block of the document with its marker; DocError for one without."""
    lines = text.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        opening = index
        end = opening + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end == len(lines):
            raise DocError(f"docs/install.md line {opening + 1}: a code block is never closed")
        previous = opening - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        marker = _MARKER.match(lines[previous].strip()) if previous >= 0 else None
        if marker is None:
            raise DocError(
                f"docs/install.md line {opening + 1}: a code block without an "
                "<!-- install-test: ... --> marker above it, so the install test does not know "
                "how to run it"
            )
        kind, args = marker.group("kind"), tuple(marker.group("args").split())
        if kind not in KINDS:
            raise DocError(f"docs/install.md line {previous + 1}: unknown marker kind {kind!r}")
        if kind in ("append",) and len(args) != 1:
            raise DocError(f"docs/install.md line {previous + 1}: append needs one FILE")
        if kind in ("in-section", "below-header") and len(args) != 2:
            raise DocError(f"docs/install.md line {previous + 1}: {kind} needs FILE SECTION")
        if kind in ("variables", "run") and fence.group("lang") != "sh":
            raise DocError(f"docs/install.md line {opening + 1}: a {kind} block must be ```sh")
        if kind == "skip" and not args:
            raise DocError(f"docs/install.md line {previous + 1}: a skip must say why")
        blocks.append(
            DocBlock(
                kind=kind,
                args=args,
                lang=fence.group("lang"),
                code="\n".join(lines[opening + 1 : end]) + "\n",
                line=opening + 1,
            )
        )
        index = end + 1
    return blocks


def assigned_places(block: DocBlock) -> list[str]:
    """The names a variables block exports, in order."""
    names = []
    for line in block.code.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] != "export" or len(words) != 2 or "=" not in words[1]:
            raise DocError(f"{block.describe()}: {line.strip()!r} is not `export NAME=value`")
        names.append(words[1].split("=", 1)[0])
    return names


def apply_config_block(block: DocBlock, etc: Path) -> None:
    """Do what an append, in-section or below-header block says to ``etc/FILE``."""
    path = etc / block.args[0]
    text = path.read_text(encoding="utf-8")
    lines = [line for line in block.code.splitlines() if line.strip()]
    if block.kind == "append":
        text = text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    elif block.kind == "in-section":
        for line in lines:
            key, _, value = line.partition("=")
            if not _:
                raise DocError(f"{block.describe()}: {line!r} is not key = value")
            text = set_in_section(text, block.args[1], key.strip(), value.strip())
    elif block.kind == "below-header":
        header = f"[{block.args[1]}]"
        found = text.splitlines()
        for index, line in enumerate(found):
            if line.split(";", 1)[0].strip() == header:
                found[index + 1 : index + 1] = lines
                break
        else:
            raise DocError(f"{block.describe()}: {path} has no {header}")
        text = "\n".join(found) + "\n"
    else:
        raise DocError(f"{block.describe()} is not a configuration block")
    path.write_text(text, encoding="utf-8")


# --- systemd units -------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    name: str
    sections: Mapping[str, Mapping[str, tuple[str, ...]]]

    def values(self, section: str, key: str) -> tuple[str, ...]:
        return tuple(self.sections.get(section, {}).get(key, ()))

    def value(self, section: str, key: str) -> str:
        found = self.values(section, key)
        if len(found) != 1:
            raise KeyError(f"{self.name}: [{section}] {key} is set {len(found)} times")
        return found[0]

    @property
    def exec_start(self) -> list[str]:
        return shlex.split(self.value("Service", "ExecStart"))

    @property
    def environment_files(self) -> list[tuple[Path, bool]]:
        """(path, required): a leading '-' makes the file optional, as in systemd."""
        return [
            (Path(v.lstrip("-")), not v.startswith("-"))
            for v in self.values("Service", "EnvironmentFile")
        ]

    @property
    def supplementary_groups(self) -> list[str]:
        return [g for v in self.values("Service", "SupplementaryGroups") for g in v.split()]


def parse_unit(path: Path) -> Unit:
    """A unit file's ``[Section]`` keys, every value of a repeated key kept in order (comments
    and blank lines dropped; no line continuations: the project's units use none)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        if not sep or current is None or raw.endswith("\\"):
            raise ValueError(f"{path}:{number}: not a unit line: {raw!r}")
        current.setdefault(key.strip(), []).append(value.strip())
    return Unit(
        name=path.stem,
        sections={s: {k: tuple(v) for k, v in keys.items()} for s, keys in sections.items()},
    )


def read_environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd reads them (comments and blank lines skipped, quotes
    removed)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        words = shlex.split(value) if value else [""]
        found[key.strip()] = " ".join(words)
    return found


# --- the configuration file ----------------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def set_toml_key(text: str, section: str, key: str, value: object) -> str:
    """Set ``key`` of ``[section]`` in the sample configuration, where the sample has it (every
    key is there, uncommented, with its default): an admin's edit in an editor."""
    lines = text.splitlines()
    in_section = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            in_section = stripped == f"[{section}]"
            continue
        if in_section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            lines[index] = f"{key} = {toml_value(value)}"
            return "\n".join(lines) + "\n"
    raise KeyError(f"the configuration has no [{section}] {key}")
