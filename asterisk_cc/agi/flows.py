"""IVR flow files on disk: loading, reloading while the server runs, and checking them against
the PBX (which sounds are installed, which queues app_queue defines).

Flows live in ``[ivr] flows_dir`` as ``<name>.toml``; the file name is the flow's name, the
script of ``AGI(agi://host:port/<name>)``. A changed file is read again on the next call that
needs it, so an admin edits a flow without restarting the server; a file that no longer parses
or validates is refused with the findings in the log, and calls keep using the last good version.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from asterisk_cc.agi.prompts import PLAYABLE_EXTENSIONS, PromptText
from asterisk_cc.config import IvrSettings
from asterisk_cc.core.ivr.flow import Flow, FlowError, parse_flow
from asterisk_cc.core.ivr.say import BUILT_WORDS
from asterisk_cc.core.ivr.validate import Finding, validate_flow

logger = logging.getLogger(__name__)

FLOW_SUFFIX = ".toml"
RECHECK_INTERVAL_S = 1.0
_SECTION = re.compile(r"^\s*\[([^\]]+)\](\(([^)]*)\))?")
_INCLUDE = re.compile(r'^\s*#(?:include|tryinclude)\s+"?([^"\s]+)"?')


def load_flow_file(path: Path, *, default_timezone: str) -> Flow:
    """Read and parse one flow file; every problem is in the FlowError."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise FlowError(path.stem, [f"{path}: not valid TOML ({exc})"]) from None
    except OSError as exc:
        raise FlowError(path.stem, [f"{path}: cannot be read ({exc.strerror})"]) from None
    return parse_flow(path.stem, data, default_timezone=default_timezone)


def queues_defined(conf_files: Iterable[Path]) -> set[str]:
    """Queue names of queues.conf files, following ``#include`` as Asterisk does; templates
    (``[name](!)``) and ``[general]`` are not queues."""
    names: set[str] = set()
    seen: set[Path] = set()

    def read(path: Path) -> None:
        path = path.resolve()
        if path in seen or not path.is_file():
            return
        seen.add(path)
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            include = _INCLUDE.match(line)
            if include:
                target = Path(include.group(1))
                read(target if target.is_absolute() else path.parent / target)
                continue
            section = _SECTION.match(line.split(";", 1)[0])
            if section and section.group(1) != "general" and "!" not in (section.group(3) or ""):
                names.add(section.group(1).strip())

    for conf in conf_files:
        read(conf)
    return names


def sound_finder(sounds_dirs: Iterable[Path]) -> Callable[[str, str], bool]:
    """``exists(language, name)``: a file for the sound in ``<dir>/<language>/`` of any
    directory, in any format Asterisk plays."""
    dirs = list(sounds_dirs)

    def exists(language: str, name: str) -> bool:
        for base in dirs:
            stem = base / language / name
            if any(stem.with_name(f"{stem.name}.{ext}").is_file() for ext in PLAYABLE_EXTENSIONS):
                return True
        return False

    return exists


def prompts_to_build(flows: Iterable[Flow]) -> list[PromptText]:
    """Every sound the flows play that is made from text: flow prompts without stock files,
    and the words the engine uses to say numbers, amounts and dates."""
    items: list[PromptText] = []
    languages: set[str] = set()
    for flow in flows:
        languages.update(flow.languages)
        for prompt in flow.prompts.values():
            for language in flow.languages:
                if not prompt.files.get(language):
                    (sound,) = prompt.sounds(flow.name, language)
                    items.append(PromptText(language, sound, prompt.texts[language]))
    for language in sorted(languages):
        for name, text in BUILT_WORDS.get(language, {}).items():
            items.append(PromptText(language, name, text))
    return items


@dataclass
class _Loaded:
    flow: Flow | None
    mtime_ns: int
    problems: list[str]


class FlowLibrary:
    """The flows of a directory, each re-read when its file changes."""

    def __init__(
        self,
        directory: Path,
        *,
        default_timezone: str,
        queues: set[str] | None = None,
        sound_exists: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.directory = directory
        self.default_timezone = default_timezone
        self.queues = queues
        self.sound_exists = sound_exists
        self._loaded: dict[str, _Loaded] = {}
        self._checked_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob(f"*{FLOW_SUFFIX}"))

    def get(self, name: str) -> Flow | None:
        """The flow ``name`` (its newest good version), or None if there is none."""
        if not re.match(r"^[a-z][a-z0-9_]{0,63}$", name):
            return None
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at.get(name, -RECHECK_INTERVAL_S) >= RECHECK_INTERVAL_S:
                self._checked_at[name] = now
                self._refresh(name)
            loaded = self._loaded.get(name)
            return loaded.flow if loaded else None

    def _refresh(self, name: str) -> None:
        path = self.directory / f"{name}{FLOW_SUFFIX}"
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            if name in self._loaded:
                logger.warning("IVR flow %s: %s is gone; keeping the loaded version", name, path)
            return
        loaded = self._loaded.get(name)
        if loaded is not None and loaded.mtime_ns == mtime:
            return
        try:
            flow = load_flow_file(path, default_timezone=self.default_timezone)
            problems = [str(f) for f in self._findings(flow)]
        except FlowError as exc:
            flow, problems = None, exc.problems
        if problems:
            kept = loaded.flow if loaded else None
            logger.error(
                "IVR flow %s in %s is refused (%s); %s",
                name,
                path,
                "; ".join(problems),
                "calls keep the previous version" if kept else "calls go to the failover",
            )
            self._loaded[name] = _Loaded(kept, mtime, problems)
            return
        logger.info("IVR flow %s loaded from %s (%d nodes)", name, path, len(flow.nodes))
        self._loaded[name] = _Loaded(flow, mtime, [])

    def _findings(self, flow: Flow) -> list[Finding]:
        return validate_flow(
            flow, sound_exists=self.sound_exists, queues=self.queues, flows=self.names()
        )

    def check(self) -> dict[str, list[str]]:
        """Every flow file's findings (empty lists for good flows), read afresh."""
        report: dict[str, list[str]] = {}
        for name in self.names():
            try:
                flow = load_flow_file(
                    self.directory / f"{name}{FLOW_SUFFIX}", default_timezone=self.default_timezone
                )
                report[name] = [f"{f.key}: {f.message}" for f in self._findings(flow)]
            except FlowError as exc:
                report[name] = list(exc.problems)
        return report

    def all_flows(self) -> list[Flow]:
        """Every flow that parses (for building prompts); broken ones are skipped."""
        flows = []
        for name in self.names():
            try:
                flows.append(
                    load_flow_file(
                        self.directory / f"{name}{FLOW_SUFFIX}",
                        default_timezone=self.default_timezone,
                    )
                )
            except FlowError:
                continue
        return flows


def flow_library(settings: IvrSettings, *, default_timezone: str) -> FlowLibrary:
    """The flows of ``[ivr] flows_dir``, checked against the sounds and queues this host can
    see. A FastAGI server on another host than Asterisk sees neither: those checks are then
    left to `asterisk-cc ivr check` on the PBX, and said so in the log."""
    sounds = [Path(d) for d in settings.sounds_dirs if Path(d).is_dir()]
    queue_files = [Path(f) for f in settings.queues_conf if Path(f).is_file()]
    if not sounds:
        logger.warning(
            "none of [ivr] sounds_dirs (%s) is on this host: prompts are not checked",
            ", ".join(settings.sounds_dirs),
        )
    if not queue_files:
        logger.warning(
            "none of [ivr] queues_conf (%s) is on this host: queue names are not checked",
            ", ".join(settings.queues_conf),
        )
    return FlowLibrary(
        Path(settings.flows_dir),
        default_timezone=default_timezone,
        queues=queues_defined(queue_files) if queue_files else None,
        sound_exists=sound_finder(sounds) if sounds else None,
    )
