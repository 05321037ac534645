"""The demo's callers and leads on the sandbox: caller scripts that go a path of the IVR,
the length of the sounds they wait for, the campaign's lead numbers, and the demo's flows.

A caller presses a key only when the IVR is listening: a key pressed while a prompt that
cannot be interrupted plays (a play node, a say node, the welcome) is lost, as on a real
phone, while menus and collect nodes take a key in the middle of their prompt (``barge_in``).
So :func:`caller_script` waits, before each key, for the sounds that must play out since the
last key (their real lengths, read from the sound files by :func:`sound_lengths`) and a moment
for the FastAGI server's round trips, then presses. Once the caller reaches a queue, they stay
on the line: the demo hangs up callers whose patience runs out (through ARI) and the agent
ends answered calls, so the script's last wait is only a cap.
"""

from __future__ import annotations

import re
import tomllib
import wave
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from asterisk_cc.core.ivr.flow import Flow, FlowError, parse_flow
from asterisk_cc.core.traffic import IvrPath, PlannedCaller, always_open
from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox.instance import find_project_conf_dir
from asterisk_cc.sandbox.render import CallerScript, Dtmf, Speak, Step, Wait, customer_number

__all__ = [
    "KEY_SETTLE_S",
    "always_open_text",
    "caller_script",
    "lead_number",
    "path_sounds",
    "planned_caller_script",
    "sound_key",
    "sound_lengths",
    "write_demo_flows",
]

KEY_SETTLE_S: Final = 1.5
"""After the sounds before a key have played: time for the FastAGI server to move on (a CRM
lookup, the next command) and for the next prompt to start."""
HANGUP_INTO_PROMPT_S: Final = 1.0
"""A caller who gives up hangs up this far into the prompt that asks them something."""
SPOKEN_COMPLAINT: Final = "hello-world"
"""What a complaining caller says (a stock sound: real audio for the recording)."""
QUEUE_MARGIN_S: Final = 60.0
"""Beyond patience and talk, how long a queued caller's script stays at most (ringing,
wrap-around, the survey after the call)."""
IVR_END_MARGIN_S: Final = 30.0
"""After the last key of a self-service or complaint path, how long the script stays at most
while the IVR says its last words and hangs up."""
LONGEST_WAIT_S: Final = 3600.0
"""A caller script's single wait is at most an hour (CallerScript's rule)."""
FALLBACK_LANGUAGE: Final = "en"
"""Asterisk plays a sound missing in the channel's language from the English directory."""

_SOUND_BYTES_PER_S: Final = {
    ".gsm": 1650.0,  # 33 bytes per 20 ms frame
    ".ulaw": 8000.0,
    ".alaw": 8000.0,
    ".g722": 8000.0,
    ".sln": 16000.0,
    ".sln16": 32000.0,
}


# --- leads ---------------------------------------------------------------------------------------


def lead_number(serial: int, kind: str) -> str:
    """The number of the campaign's lead ``serial``: a scripted customer of the sandbox who
    behaves as ``kind`` (:data:`asterisk_cc.core.traffic.LEAD_KINDS`). People ring 1-4 s and
    stay 99 s, longer than any demo conversation, so the agent ends the call; a machine's
    greeting lasts long enough for answering-machine detection."""
    ring_s = 1 + serial % 4
    stay_s = 99 if kind == "person" else 20
    return customer_number(serial, kind, ring_s, stay_s)


# --- the sounds a caller waits for ---------------------------------------------------------------


def sound_key(language: str, sound: str) -> str:
    """How :func:`sound_lengths` names a sound: ``zh/asterisk-cc/hotline/welcome``."""
    return f"{language}/{sound}"


def path_sounds(paths: Iterable[IvrPath]) -> set[tuple[str, str]]:
    """``(language, sound)`` of every sound the paths play (say nodes' sounds only once the
    path is resolved for a caller)."""
    return {
        (step.language, sound)
        for path in paths
        for step in path.steps
        for sound in (*step.sounds, *step.after_sounds)
    }


def sound_lengths(sounds_dir: Path, sounds: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Seconds each sound plays, by :func:`sound_key`, read from its file under
    ``sounds_dir/<language>/`` (falling back to English, as Asterisk does). Raises
    SandboxError naming a sound that has no file."""
    lengths = {}
    for language, sound in sorted(set(sounds)):
        seconds = None
        for directory in dict.fromkeys((language, FALLBACK_LANGUAGE)):
            seconds = _file_seconds(sounds_dir / directory / sound)
            if seconds is not None:
                break
        if seconds is None:
            raise SandboxError(
                f"no sound file for {sound!r} in {sounds_dir / language}. Fix: build the "
                "flow's prompts (asterisk-cc ivr prompts) into the sandbox's sounds."
            )
        lengths[sound_key(language, sound)] = seconds
    return lengths


def _file_seconds(stem: Path) -> float | None:
    wav = stem.with_name(stem.name + ".wav")
    if wav.is_file():
        with wave.open(str(wav)) as audio:
            return float(audio.getnframes()) / float(audio.getframerate())
    for suffix, rate in _SOUND_BYTES_PER_S.items():
        path = stem.with_name(stem.name + suffix)
        if path.is_file():
            return path.stat().st_size / rate
    return None


# --- caller scripts ------------------------------------------------------------------------------


def caller_script(
    path: IvrPath,
    patience_s: float,
    talk_s: float,
    prompt_lengths: Mapping[str, float],
    *,
    entries: Mapping[str, str] | None = None,
    hangup_at: int | None = None,
) -> CallerScript:
    """A scripted caller who goes ``path`` (resolved for them: :meth:`IvrPath.for_caller`),
    keying ``entries`` in at collect nodes (by store: ``{"account": "62001234"}``), or hangs
    up at step ``hangup_at`` while its prompt plays. ``prompt_lengths``: seconds by
    :func:`sound_key` (:func:`sound_lengths` of :func:`path_sounds`). A caller who reaches a
    queue stays up to ``patience_s + talk_s`` and a margin; see the module docstring."""
    if not path.is_resolved:
        raise ValueError(
            "resolve the path for the caller first (IvrPath.for_caller): what a say node "
            "plays depends on the caller's record"
        )
    entries = entries or {}

    def seconds(language: str, sounds: Iterable[str]) -> float:
        total = 0.0
        for sound in sounds:
            key = sound_key(language, sound)
            if key not in prompt_lengths:
                raise ValueError(f"no length for the sound {key!r}: measure it (sound_lengths)")
            total += prompt_lengths[key]
        return total

    steps: list[Step] = []
    pending = 0.0  # sounds that must play out before the next key counts
    for index, step in enumerate(path.steps):
        own = seconds(step.language, step.sounds)
        if index == hangup_at:
            into = min(HANGUP_INTO_PROMPT_S, own / 2) if own else KEY_SETTLE_S
            steps.append(Wait(round(pending + into, 2)))
            return CallerScript(tuple(steps))  # the script ends: the caller hangs up
        if not step.takes_input:
            pending += own + seconds(step.language, step.after_sounds)
            continue
        before = pending + (0.0 if step.interruptible else own) + KEY_SETTLE_S
        steps.append(Wait(round(before, 2)))
        if step.input == "keys":
            steps.append(Dtmf(step.keys))
        elif step.input == "entry":
            if step.enters not in entries:
                raise ValueError(f"the caller keys in {step.enters!r} at {step.node}: give entries")
            steps.append(Dtmf(entries[step.enters] + step.keys))
            if step.confirm:
                # The read-back can be interrupted: the confirmation may come at once.
                steps += [Wait(KEY_SETTLE_S), Dtmf(step.confirm)]
        else:  # a recording: say something, then end it with the key
            steps += [Speak(SPOKEN_COMPLAINT), Dtmf(step.keys)]
        pending = seconds(step.language, step.after_sounds)
    if hangup_at is not None:
        raise ValueError(f"the path has no step {hangup_at} to hang up at")
    margin = patience_s + talk_s + QUEUE_MARGIN_S if path.end == "queue" else IVR_END_MARGIN_S
    remaining = pending + margin
    while remaining > 0:
        steps.append(Wait(round(min(remaining, LONGEST_WAIT_S), 2)))
        remaining -= LONGEST_WAIT_S
    return CallerScript(tuple(steps))


def planned_caller_script(
    caller: PlannedCaller, prompt_lengths: Mapping[str, float]
) -> CallerScript:
    """:func:`caller_script` for a caller of :func:`~asterisk_cc.core.traffic.plan_inbound`."""
    return caller_script(
        caller.path,
        caller.patience_s,
        caller.talk_s,
        prompt_lengths,
        entries=caller.entries,
        hangup_at=caller.hangup_at,
    )


# --- the demo's flows ----------------------------------------------------------------------------

_DAY_LINE: Final = re.compile(r"^\s*(mon|tue|wed|thu|fri|sat|sun|holidays)\s*=")
_TABLE: Final = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")
_ALWAYS_OPEN_LINES: Final = (
    *(f'{day} = "00:00-24:00"' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
    "holidays = []",
)


def write_demo_flows(target_dir: Path, source_dir: Path | None = None) -> Path:
    """The demo's flows directory: every flow file of ``source_dir`` (the project's
    ``conf/ivr``) copied into ``target_dir``, its calendars open round the clock, so the demo
    works at any hour. Each written flow is parsed back and must be the shipped flow with
    :func:`~asterisk_cc.core.traffic.always_open` calendars, nothing else changed; → the
    directory, for ``[ivr] flows_dir``."""
    source_dir = source_dir or find_project_conf_dir().parent / "ivr"
    target_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted(source_dir.glob("*.toml"))
    if not sources:
        raise SandboxError(f"no flow files in {source_dir}")
    for source in sources:
        text = source.read_text(encoding="utf-8")
        written = target_dir / source.name
        written.write_text(
            f"# The demo's copy of {source.name}: its calendars are open round the clock, so "
            "the demo works at any hour.\n" + always_open_text(text),
            encoding="utf-8",
        )
        shipped = _parse(source)
        if _parse(written) != always_open(shipped):
            raise SandboxError(
                f"{written} is not {source} with its calendars open round the clock. Fix: "
                "write each calendar day and holidays on one line of its own."
            )
    return target_dir


def always_open_text(text: str) -> str:
    """A flow file's text with each ``[calendars.<name>]`` table's days and holidays replaced
    by hours of 00:00-24:00 every day and no holidays (other lines kept)."""
    lines = []
    in_calendar = False
    for line in text.splitlines():
        table = _TABLE.match(line)
        if table is not None:
            in_calendar = table.group(1).strip().startswith("calendars.")
            lines.append(line)
            if in_calendar:
                lines.extend(_ALWAYS_OPEN_LINES)
            continue
        if in_calendar and _DAY_LINE.match(line):
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def _parse(path: Path) -> Flow:
    try:
        with path.open("rb") as handle:
            return parse_flow(path.stem, tomllib.load(handle))
    except (tomllib.TOMLDecodeError, FlowError) as exc:
        raise SandboxError(f"{path}: {exc}") from None
