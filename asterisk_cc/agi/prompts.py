"""IVR prompts built from their text with espeak-ng and sox.

An IVR flow carries, for each prompt, its text per language. English prompts often use
Asterisk's stock sound files; Mandarin ones never can, since no package ships them. Any prompt
with no sound file is built here from its text: espeak-ng speaks it, sox converts the result to
what Asterisk's ``format_wav`` plays (WAV, 8000 Hz, mono, 16-bit signed PCM).

A sound named ``asterisk-cc/hotline/welcome`` in language ``zh`` lives at
``<sounds_dir>/zh/asterisk-cc/hotline/welcome.<ext>``, the lookup Asterisk does with the
channel language. A site may replace a built prompt with a studio recording in any format
Asterisk plays; a prompt with a file of any such extension is *present* and is never rebuilt
or overwritten.

Debian packages: ``espeak-ng`` and ``sox`` (``apt-get install espeak-ng sox``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from asterisk_cc.errors import AsteriskCCError

logger = logging.getLogger(__name__)

#: espeak-ng voice per prompt language. In Debian's espeak-ng 1.51 the plain ``cmn`` voice
#: reads Chinese characters as pinyin spelled out in English ("hao three"); the
#: ``cmn-latn-pinyin`` voice speaks them in Mandarin (and still reads Latin words such as
#: "VIP" as English).
VOICES: dict[str, str] = {"en": "en-us", "zh": "cmn-latn-pinyin"}

#: Speaking rate (words per minute, espeak-ng ``-s``) per language: a little slower than
#: espeak-ng's default of 175, which is clearer over a narrowband phone line.
SPEEDS: dict[str, int] = {"en": 160, "zh": 150}

#: Extensions of the sound files Asterisk plays. A prompt with a file of any of these is
#: present, whatever made it.
PLAYABLE_EXTENSIONS: tuple[str, ...] = (
    "wav",
    "gsm",
    "ulaw",
    "alaw",
    "g722",
    "sln",
    "sln16",
    "g729",
    "wav49",
    "WAV",
)

#: Format of a built prompt (what Asterisk's format_wav reads as ``<name>.wav``).
SAMPLE_RATE = 8000
CHANNELS = 1
SAMPLE_BITS = 16

#: Debian package that ships each tool.
TOOL_PACKAGES: dict[str, str] = {"espeak-ng": "espeak-ng", "sox": "sox"}

TOOL_TIMEOUT_SECONDS = 120

_SEGMENT = re.compile(r"[a-z0-9_-]+")


class PromptBuildError(AsteriskCCError):
    """A prompt could not be built: a tool is missing or failed, or the file cannot be written."""

    exit_code = 1


@dataclass(frozen=True)
class PromptText:
    """The text of one prompt in one language.

    ``name`` is the sound name Asterisk plays, relative to the language directory, e.g.
    ``asterisk-cc/hotline/welcome``.
    """

    lang: str
    name: str
    text: str

    def __post_init__(self) -> None:
        if self.lang not in VOICES:
            raise ValueError(
                f"prompt language {self.lang!r} is not supported (use one of: {', '.join(sorted(VOICES))})"
            )
        validate_name(self.name)
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"prompt {self.lang}/{self.name} has no text")
        if "\x00" in self.text:
            raise ValueError(f"prompt {self.lang}/{self.name} text contains a NUL character")


def validate_name(name: str) -> None:
    """Raise ValueError unless ``name`` is a relative sound name such as ``a/b-c/d_1``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"sound name {name!r} is empty")
    segments = name.split("/")
    if name.startswith("/") or not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise ValueError(
            f"sound name {name!r} is not valid: it must be relative, made of segments of "
            "lowercase letters, digits, '_' and '-' separated by '/'"
        )


def sound_base(sounds_dir: Path, lang: str, name: str) -> Path:
    """The path of a sound without its extension: ``<sounds_dir>/<lang>/<name>``."""
    if lang not in VOICES:
        raise ValueError(f"prompt language {lang!r} is not supported")
    validate_name(name)
    return Path(sounds_dir) / lang / name


def find_sound(sounds_dir: Path, lang: str, name: str) -> Path | None:
    """The existing file of a sound, in any format Asterisk plays, or None."""
    base = sound_base(sounds_dir, lang, name)
    for extension in PLAYABLE_EXTENSIONS:
        candidate = base.parent / f"{base.name}.{extension}"
        if candidate.is_file():
            return candidate
    return None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = TOOL_PACKAGES[name]
        raise PromptBuildError(
            f"{name} is not installed (Debian package {package}); prompts are built with "
            f"espeak-ng and sox: run apt-get install espeak-ng sox"
        )
    return path


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _run(name: str, argv: list[str], output: Path, what: str) -> None:
    """Run a tool that writes ``output``; raise PromptBuildError unless it did."""
    try:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as exc:
        raise PromptBuildError(
            f"{name} is not installed (Debian package {TOOL_PACKAGES[name]}): "
            f"run apt-get install espeak-ng sox"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise PromptBuildError(
            f"{name} did not finish within {TOOL_TIMEOUT_SECONDS}s building {what}"
        ) from exc
    except OSError as exc:
        raise PromptBuildError(f"cannot run {name} building {what}: {exc}") from exc
    # espeak-ng exits 0 even when it cannot write its output file: check the file too.
    if result.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        detail = _first_line(result.stderr) or f"exit status {result.returncode}, no output"
        raise PromptBuildError(f"{name} failed building {what}: {detail}")


def build_prompt(item: PromptText, sounds_dir: Path) -> Path:
    """Build one prompt from its text and return the new ``.wav`` file.

    Refuses (PromptBuildError) when the sound is already present in any playable format, so
    a studio recording is never overwritten. The file appears atomically: Asterisk never
    sees a half-written prompt, and a failure leaves no temporary file behind.
    """
    what = f"{item.lang} {item.name}"
    existing = find_sound(sounds_dir, item.lang, item.name)
    if existing is not None:
        raise PromptBuildError(f"prompt {what} is already present: {existing}")
    espeak = _tool("espeak-ng")
    sox = _tool("sox")

    base = sound_base(sounds_dir, item.lang, item.name)
    final = base.parent / f"{base.name}.wav"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PromptBuildError(f"cannot create {final.parent} for prompt {what}: {exc}") from exc

    staged: Path | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="asterisk-cc-prompt-") as workdir:
            spoken = Path(workdir) / "spoken.wav"
            _run(
                "espeak-ng",
                [
                    espeak,
                    "-v",
                    VOICES[item.lang],
                    "-s",
                    str(SPEEDS[item.lang]),
                    "-w",
                    str(spoken),
                    "--",
                    item.text,
                ],
                spoken,
                what,
            )
            # Staged next to the final file (same file system, so the rename is atomic) under a
            # name Asterisk never plays: it ends in .tmp, not a sound extension.
            fd, staged_name = tempfile.mkstemp(
                dir=final.parent, prefix=f".{final.name}.", suffix=".tmp"
            )
            os.close(fd)
            staged = Path(staged_name)
            _run(
                "sox",
                [
                    sox,
                    "-q",
                    str(spoken),
                    "-t",
                    "wav",
                    "-r",
                    str(SAMPLE_RATE),
                    "-c",
                    str(CHANNELS),
                    "-b",
                    str(SAMPLE_BITS),
                    "-e",
                    "signed-integer",
                    str(staged),
                ],
                staged,
                what,
            )
        # Asterisk runs as its own user on Debian: the prompt must be world-readable.
        staged.chmod(0o644)
        os.replace(staged, final)
        staged = None
    except OSError as exc:
        raise PromptBuildError(f"cannot write prompt {what} to {final}: {exc}") from exc
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    logger.info("built prompt %s: %s", what, final)
    return final


@dataclass(frozen=True)
class BuildReport:
    """What ``build_missing`` did: the files it built and those already present."""

    built: tuple[Path, ...]
    present: tuple[Path, ...]

    def summary(self) -> str:
        return f"{len(self.built)} prompt(s) built, {len(self.present)} already present"


def _no_progress(_message: str) -> None:
    pass


def build_missing(
    items: Iterable[PromptText],
    sounds_dir: Path,
    *,
    progress: Callable[[str], None] = _no_progress,
) -> BuildReport:
    """Build every prompt that has no sound file yet; leave the present ones alone.

    Items with the same language and name count once (the first text wins). ``progress`` is
    called before each build with ``"[n/total] <lang> <name>"``, total being the number of
    prompts to build.
    """
    unique: dict[tuple[str, str], PromptText] = {}
    for item in items:
        unique.setdefault((item.lang, item.name), item)

    present: list[Path] = []
    missing: list[PromptText] = []
    for item in unique.values():
        existing = find_sound(sounds_dir, item.lang, item.name)
        if existing is None:
            missing.append(item)
        else:
            present.append(existing)

    built: list[Path] = []
    for number, item in enumerate(missing, start=1):
        progress(f"[{number}/{len(missing)}] {item.lang} {item.name}")
        built.append(build_prompt(item, sounds_dir))
    return BuildReport(built=tuple(built), present=tuple(present))
