"""A campaign's settings, checked: everything the dialer needs to run one campaign lawfully.

:class:`CampaignSettings` is a frozen value; building one checks every field and raises
:class:`CampaignError` listing *every* problem with its field name, so an admin fixes a campaign
file in one go. :func:`campaign_from_mapping` reads the plain dict a TOML campaign file or the
command line gives; :func:`campaign_to_mapping` writes it back.

The limits and why (docs/dialer.md explains them for the admin):

* ``ring_timeout_s`` >= 15: US (FTC TSR, FCC) and UK (Ofcom) rules forbid hanging up on a
  ringing phone before 15 seconds (US: or 4 rings).
* ``abandon_target_ratio`` in (0, 0.05]: the US and UK cap is 3 % of live answers; up to 5 % is
  accepted for rules that allow it (it is commonly cited for Canada), with a warning.
* ``max_lines_per_agent`` in [1, 5]: more lines per agent than that can only abandon calls.
* ``machine_action = "message"`` needs the ``machine_message`` to play.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from asterisk_cc.core.dialer.calling_window import (
    CallingWindow,
    format_days,
    format_window,
    parse_days,
    parse_holidays,
    parse_window,
    zone_or_none,
)
from asterisk_cc.core.dialer.retry import (
    DEFAULT_DELAYS_S,
    MACHINE_ACTIONS,
    RETRY_DELAY_KEYS,
    MachineAction,
)
from asterisk_cc.core.vocabulary import AbandonDefinition, CampaignStatus, DialMode

__all__ = [
    "ABANDON_TARGET_CAP",
    "ABANDON_TARGET_LEGAL",
    "CAMPAIGN_ACTIONS",
    "CAMPAIGN_FIELDS",
    "MAX_LINES_PER_AGENT",
    "MIN_RING_TIMEOUT_S",
    "PURPOSES",
    "RECORDING_POLICIES",
    "CampaignError",
    "CampaignSettings",
    "campaign_from_mapping",
    "campaign_to_mapping",
    "campaign_transition",
    "campaign_warnings",
]

MIN_RING_TIMEOUT_S: Final = 15
"""US FTC/FCC and UK Ofcom: let an unanswered call ring at least 15 seconds."""
MAX_RING_TIMEOUT_S: Final = 120
ABANDON_TARGET_LEGAL: Final = 0.03
"""The abandon cap of US FTC/FCC (per 30 days) and UK Ofcom (per day)."""
ABANDON_TARGET_CAP: Final = 0.05
"""The highest target accepted at all (above 3 % only where the rules allow it)."""
MAX_LINES_PER_AGENT: Final = 5.0
RECORDING_POLICIES: Final = ("all", "none", "on_demand")
PURPOSES: Final = ("list", "callbacks")

_NAME_MAX: Final = 128
_QUEUE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
# A caller ID as Asterisk takes it: a number, or a name and a number. Kept narrow because it
# is sent to Asterisk as a channel setting.
_CALLER_NUMBER: Final = r"\+?[0-9]{3,20}"
_CALLER_ID: Final = re.compile(
    rf'^(?:{_CALLER_NUMBER}|"?[\w .&\'-]{{1,40}}"? ?<{_CALLER_NUMBER}>)$', re.UNICODE
)
# A sound as Playback() takes it (no extension): a name under the sounds directory or an
# absolute path, without ".." and without characters that separate dialplan arguments.
_SOUND: Final = re.compile(r"^/?[A-Za-z0-9_][A-Za-z0-9_/.\-]{0,127}$")
_LOGIN: Final = re.compile(r"^[^\x00-\x1f\x7f,]{1,64}$")


class CampaignError(ValueError):
    """A campaign that cannot be used; ``problems`` lists each one, field name first."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class CampaignSettings:
    """Everything a campaign needs (see the module's docstring for the limits).

    ``timezone`` is the fallback zone for leads whose own zone is unknown (usually the
    site's); ``window`` is read in each lead's local time. ``retry_delays_s``: seconds to wait
    after each outcome (the keys of :data:`~asterisk_cc.core.dialer.retry.RETRY_DELAY_KEYS`;
    missing keys get the defaults). ``queue``: the app_queue the campaign's agents serve;
    ``agents``/``teams``: logins and team names who work it (none: the queue's skilled
    agents).
    """

    name: str
    dial_mode: DialMode = DialMode.PROGRESSIVE
    queue: str | None = None
    caller_id: str | None = None
    timezone: str = "UTC"
    window: CallingWindow = field(default_factory=CallingWindow)
    max_attempts: int = 3
    retry_delays_s: Mapping[str, int] = field(default_factory=lambda: DEFAULT_DELAYS_S)
    ring_timeout_s: int = 25
    amd_enabled: bool = False
    machine_action: MachineAction = "hangup"
    machine_message: str | None = None
    abandon_target_ratio: float = ABANDON_TARGET_LEGAL
    abandon_definition: AbandonDefinition = AbandonDefinition.FTC_30D
    abandon_message: str | None = None
    max_lines_per_agent: float = 3.0
    recording: str = "none"
    purpose: str = "list"
    agents: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise CampaignError(problems)
        object.__setattr__(
            self, "retry_delays_s", MappingProxyType({**DEFAULT_DELAYS_S, **self.retry_delays_s})
        )


def _is_sound_list(value: object) -> bool:
    """One sound name, or several played in turn joined with '&' (as Playback() takes them)."""
    return isinstance(value, str) and all(
        _SOUND.match(part) and ".." not in part for part in value.split("&")
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _problems(s: CampaignSettings) -> list[str]:
    problems: list[str] = []
    add = problems.append
    if not isinstance(s.name, str) or not s.name.strip() or len(s.name) > _NAME_MAX:
        add(f"name: give a name of 1 to {_NAME_MAX} characters")
    elif s.name != s.name.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in s.name):
        add("name: no spaces at either end and no control characters")
    if not isinstance(s.dial_mode, DialMode):
        add(f"dial_mode: one of {', '.join(m.value for m in DialMode)}, not {s.dial_mode!r}")
    if s.queue is not None and (not isinstance(s.queue, str) or not _QUEUE.match(s.queue)):
        add(f"queue: {s.queue!r} is not a queue name (letters, digits, _ . -)")
    if s.caller_id is not None and (
        not isinstance(s.caller_id, str) or not _CALLER_ID.match(s.caller_id)
    ):
        add(
            f"caller_id: {s.caller_id!r} is not a caller ID: a number such as +442071234567, "
            'or "Name <+442071234567>"'
        )
    if not isinstance(s.timezone, str) or zone_or_none(s.timezone) is None:
        add(f"timezone: {s.timezone!r} is not an IANA time zone such as Europe/London")
    if not isinstance(s.window, CallingWindow):
        add("window: must be a CallingWindow")
    if not _is_int(s.max_attempts) or s.max_attempts < 1:
        add(f"max_attempts: a whole number of at least 1, not {s.max_attempts!r}")
    problems.extend(_delay_problems(s.retry_delays_s))
    if not _is_int(s.ring_timeout_s) or not (
        MIN_RING_TIMEOUT_S <= s.ring_timeout_s <= MAX_RING_TIMEOUT_S
    ):
        add(
            f"ring_timeout_s: {s.ring_timeout_s!r} is not allowed: a call must ring at least "
            f"{MIN_RING_TIMEOUT_S} s (US FTC/FCC and UK Ofcom rules), at most "
            f"{MAX_RING_TIMEOUT_S} s"
        )
    if not isinstance(s.amd_enabled, bool):
        add(f"amd_enabled: true or false, not {s.amd_enabled!r}")
    if s.machine_action not in MACHINE_ACTIONS:
        add(f"machine_action: one of {', '.join(MACHINE_ACTIONS)}, not {s.machine_action!r}")
    elif s.machine_action == "message" and not s.machine_message:
        add("machine_message: needed when machine_action is message (the sound to leave)")
    for name in ("machine_message", "abandon_message"):
        value = getattr(s, name)
        if value is not None and not _is_sound_list(value):
            add(f"{name}: {value!r} is not a sound name such as custom/abandon-en (several: a&b)")
    if not _is_number(s.abandon_target_ratio) or not (
        0 < s.abandon_target_ratio <= ABANDON_TARGET_CAP
    ):
        add(
            f"abandon_target_ratio: {s.abandon_target_ratio!r} is outside (0, "
            f"{ABANDON_TARGET_CAP}]: the legal cap is {ABANDON_TARGET_LEGAL} (3 %) in the US "
            f"and UK; write 0.03 for 3 %"
        )
    if not isinstance(s.abandon_definition, AbandonDefinition):
        add(
            "abandon_definition: one of "
            f"{', '.join(d.value for d in AbandonDefinition)}, not {s.abandon_definition!r}"
        )
    if not _is_number(s.max_lines_per_agent) or not (
        1 <= s.max_lines_per_agent <= MAX_LINES_PER_AGENT
    ):
        add(f"max_lines_per_agent: 1 to {MAX_LINES_PER_AGENT:g}, not {s.max_lines_per_agent!r}")
    if s.recording not in RECORDING_POLICIES:
        add(f"recording: one of {', '.join(RECORDING_POLICIES)}, not {s.recording!r}")
    if s.purpose not in PURPOSES:
        add(f"purpose: one of {', '.join(PURPOSES)}, not {s.purpose!r}")
    for name in ("agents", "teams"):
        values = getattr(s, name)
        if not isinstance(values, tuple) or not all(
            isinstance(v, str) and _LOGIN.match(v) for v in values
        ):
            add(f"{name}: a list of names without commas or control characters")
        elif len(set(values)) != len(values):
            add(f"{name}: a name is given twice")
    return problems


def _delay_problems(delays: object) -> list[str]:
    if not isinstance(delays, Mapping):
        return ["retry_delays_s: a table of outcome = seconds, e.g. {busy = 900}"]
    problems = []
    unknown = sorted(str(key) for key in delays if key not in RETRY_DELAY_KEYS)
    if unknown:
        problems.append(
            f"retry_delays_s: {', '.join(unknown)} not known; the outcomes with a delay are "
            f"{', '.join(RETRY_DELAY_KEYS)}"
        )
    for key, value in delays.items():
        if key in RETRY_DELAY_KEYS and (not _is_int(value) or value < 0):
            problems.append(f"retry_delays_s.{key}: whole seconds >= 0, not {value!r}")
    return problems


def campaign_warnings(settings: CampaignSettings) -> list[str]:
    """Settings that are allowed but deserve a second look (printed when a campaign is saved)."""
    warnings = []
    if settings.abandon_target_ratio > ABANDON_TARGET_LEGAL:
        warnings.append(
            f"abandon_target_ratio {settings.abandon_target_ratio:.1%} is above the 3 % cap of "
            "the US (FTC/FCC) and UK (Ofcom) rules: use it only where the rules allow it"
        )
    if settings.amd_enabled and settings.abandon_definition is AbandonDefinition.OFCOM_DAILY:
        warnings.append(
            "AMD with ofcom_daily: Ofcom counts AMD false positives (people taken for machines) "
            "as abandoned calls; they use up the 3 % before any pacing does"
        )
    if settings.caller_id is None:
        warnings.append(
            "no caller_id: the trunk's default is sent; US and UK rules require a number the "
            "person can call back"
        )
    if settings.dial_mode is DialMode.PREDICTIVE and settings.abandon_message is None:
        warnings.append(
            "no abandon_message: the dialer's default compliance message is played to people "
            "no agent takes within 2 s"
        )
    if not settings.window.days:
        warnings.append("no calling days: the campaign never calls")
    return warnings


# --- status changes ---------------------------------------------------------------------------

CAMPAIGN_ACTIONS: Final[Mapping[str, tuple[frozenset[CampaignStatus], CampaignStatus]]] = (
    MappingProxyType(
        {
            "start": (
                frozenset({CampaignStatus.DRAFT, CampaignStatus.PAUSED}),
                CampaignStatus.ACTIVE,
            ),
            "pause": (frozenset({CampaignStatus.ACTIVE}), CampaignStatus.PAUSED),
            "stop": (
                frozenset({CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED}),
                CampaignStatus.FINISHED,
            ),
            "archive": (frozenset({CampaignStatus.FINISHED}), CampaignStatus.ARCHIVED),
        }
    )
)
"""Action → (the statuses it may be taken from, the status it leads to). A finished campaign
is not started again: its results stay as they were; make a new campaign instead."""


def campaign_transition(current: CampaignStatus, action: str) -> CampaignStatus:
    """The status after ``action`` (start, pause, stop, archive) from ``current``; raises
    :class:`ValueError` naming the allowed actions when it is not allowed."""
    if action not in CAMPAIGN_ACTIONS:
        raise ValueError(f"{action!r} is not a campaign action: use {', '.join(CAMPAIGN_ACTIONS)}")
    allowed_from, target = CAMPAIGN_ACTIONS[action]
    current = CampaignStatus(current)
    if current not in allowed_from:
        possible = [name for name, (sources, _) in CAMPAIGN_ACTIONS.items() if current in sources]
        hint = f"; from {current.value} you may {' or '.join(possible)}" if possible else ""
        raise ValueError(f"a {current.value} campaign cannot be {_past(action)}{hint}")
    return target


def _past(action: str) -> str:
    return {"start": "started", "pause": "paused", "stop": "stopped"}.get(action, action + "d")


# --- reading and writing plain mappings --------------------------------------------------------

CAMPAIGN_FIELDS: Final = (
    "name",
    "dial_mode",
    "queue",
    "caller_id",
    "timezone",
    "window",
    "days",
    "holidays",
    "max_attempts",
    "retry_delays_s",
    "ring_timeout_s",
    "amd_enabled",
    "machine_action",
    "machine_message",
    "abandon_target_ratio",
    "abandon_definition",
    "abandon_message",
    "max_lines_per_agent",
    "recording",
    "purpose",
    "agents",
    "teams",
)
"""The keys of a campaign mapping (a TOML campaign file); ``window`` is ``"08:00-21:00"``,
``days`` ``"mon-fri"`` or a list, ``holidays`` a list of dates."""

_OPTIONAL_TEXT: Final = ("queue", "caller_id", "machine_message", "abandon_message")


def campaign_from_mapping(
    data: Mapping[str, Any], *, default_timezone: str = "UTC"
) -> CampaignSettings:
    """Read a campaign from a plain mapping (a TOML file, command-line options).

    Missing keys get the defaults (``timezone``: ``default_timezone``, the site's); empty
    optional texts mean "not set". Raises :class:`CampaignError` listing every problem, unknown
    keys included (a misspelt key would otherwise be silently ignored).
    """
    if not isinstance(data, Mapping):
        raise CampaignError(["a campaign is a table of settings"])
    problems: list[str] = []
    unknown = sorted(str(key) for key in data if key not in CAMPAIGN_FIELDS)
    if unknown:
        problems.append(
            f"unknown setting(s) {', '.join(unknown)}; the settings are "
            f"{', '.join(CAMPAIGN_FIELDS)}"
        )
    values: dict[str, Any] = {}
    for key in ("name", "timezone", "recording", "purpose", "machine_action"):
        if key in data:
            values[key] = data[key]
    values.setdefault("timezone", default_timezone)
    for key in _OPTIONAL_TEXT:
        if key in data:
            value = data[key]
            values[key] = None if value is None or (isinstance(value, str) and not value) else value
    _read_choice(data, "dial_mode", DialMode, values, problems)
    _read_choice(data, "abandon_definition", AbandonDefinition, values, problems)
    _read_int(data, "max_attempts", values, problems)
    _read_int(data, "ring_timeout_s", values, problems)
    _read_ratio(data, "abandon_target_ratio", values, problems)
    _read_ratio(data, "max_lines_per_agent", values, problems)
    if "amd_enabled" in data:
        values["amd_enabled"] = data["amd_enabled"]
    if "retry_delays_s" in data:
        values["retry_delays_s"] = data["retry_delays_s"]
    for key in ("agents", "teams"):
        if key in data:
            names = _read_names(data[key])
            if names is None:
                problems.append(f"{key}: a list of names or a text like a,b")
            else:
                values[key] = names
    window = _read_window(data, problems)
    if window is not None:
        values["window"] = window
    if "name" not in values:
        problems.append("name: the campaign needs a name")
    try:
        settings = CampaignSettings(**values) if "name" in values else None
    except CampaignError as exc:
        problems.extend(exc.problems)
        settings = None
    except TypeError as exc:  # a value of a type no check expected
        problems.append(str(exc))
        settings = None
    if problems or settings is None:
        raise CampaignError(problems)
    return settings


def _read_choice(
    data: Mapping[str, Any],
    key: str,
    enum: type[DialMode] | type[AbandonDefinition],
    values: dict[str, Any],
    problems: list[str],
) -> None:
    if key not in data:
        return
    raw = data[key]
    try:
        values[key] = enum(raw.strip().lower() if isinstance(raw, str) else raw)
    except ValueError:
        problems.append(f"{key}: one of {', '.join(m.value for m in enum)}, not {raw!r}")


def _read_int(
    data: Mapping[str, Any], key: str, values: dict[str, Any], problems: list[str]
) -> None:
    if key not in data:
        return
    raw = data[key]
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not _is_int(raw):
        problems.append(f"{key}: a whole number, not {raw!r}")
        return
    values[key] = raw


def _read_ratio(
    data: Mapping[str, Any], key: str, values: dict[str, Any], problems: list[str]
) -> None:
    if key not in data:
        return
    raw = data[key]
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            problems.append(f"{key}: a number such as 0.03 or 3%, not {data[key]!r}")
            return
    if not _is_number(raw) or raw != raw:  # raw != raw: NaN
        problems.append(f"{key}: a number, not {data[key]!r}")
        return
    values[key] = float(raw)


def _read_names(raw: object) -> tuple[str, ...] | None:
    if isinstance(raw, str):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        return tuple(item.strip() for item in raw if item.strip())
    return None


def _read_window(data: Mapping[str, Any], problems: list[str]) -> CallingWindow | None:
    defaults = CallingWindow()
    start, end = defaults.start, defaults.end
    days, holidays = defaults.days, frozenset[date]()
    ok = True
    if "window" in data:
        try:
            start, end = parse_window(data["window"])
        except ValueError as exc:
            problems.append(f"window: {exc}")
            ok = False
    if "days" in data:
        raw_days = data["days"]
        try:
            if not isinstance(raw_days, str | list | tuple):
                raise ValueError(f"{raw_days!r} is not a list of days like mon-fri")
            days = parse_days(raw_days)
        except ValueError as exc:
            problems.append(f"days: {exc}")
            ok = False
    if "holidays" in data:
        raw_holidays = data["holidays"]
        try:
            if not isinstance(raw_holidays, str | list | tuple):
                raise ValueError(f"{raw_holidays!r} is not a list of dates")
            holidays = parse_holidays(raw_holidays)
        except ValueError as exc:
            problems.append(f"holidays: {exc}")
            ok = False
    try:  # checked even when a part failed above, so that every problem is reported
        window = CallingWindow(start, end, days, holidays)
    except ValueError as exc:
        problems.append(f"window: {exc}")
        return None
    return window if ok else None


def campaign_to_mapping(settings: CampaignSettings) -> dict[str, Any]:
    """The settings as a plain mapping that :func:`campaign_from_mapping` reads back equal
    (for ``campaign show`` and for writing a campaign file)."""
    window = settings.window
    return {
        "name": settings.name,
        "dial_mode": settings.dial_mode.value,
        "queue": settings.queue,
        "caller_id": settings.caller_id,
        "timezone": settings.timezone,
        "window": format_window(window.start, window.end),
        "days": format_days(window.days),
        "holidays": [day.isoformat() for day in sorted(window.holidays)],
        "max_attempts": settings.max_attempts,
        "retry_delays_s": dict(settings.retry_delays_s),
        "ring_timeout_s": settings.ring_timeout_s,
        "amd_enabled": settings.amd_enabled,
        "machine_action": settings.machine_action,
        "machine_message": settings.machine_message,
        "abandon_target_ratio": settings.abandon_target_ratio,
        "abandon_definition": settings.abandon_definition.value,
        "abandon_message": settings.abandon_message,
        "max_lines_per_agent": settings.max_lines_per_agent,
        "recording": settings.recording,
        "purpose": settings.purpose,
        "agents": list(settings.agents),
        "teams": list(settings.teams),
    }
