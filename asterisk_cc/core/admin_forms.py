"""Reading the administration forms: queues, skills, teams, agents and skill levels.

Each ``*_fields`` function takes the submitted form (text values by field name) and returns
the checked values, or raises :class:`FormInvalid` with every problem found, each naming its
field and what is wrong (a code and its limits), so the page can say all of it at once, in the
user's language, next to the values the user typed.

The limits are the database's (``asterisk_cc/db/models.py``): a value the form accepts is one
the database accepts, so a save never fails on a CHECK constraint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "AGENT_LOGIN",
    "QUEUE_NAME",
    "RECORDING_POLICIES",
    "SKILL_NAME",
    "AgentFields",
    "FormInvalid",
    "NamedFields",
    "Problem",
    "ProblemCode",
    "QueueFields",
    "SkillLevelFields",
    "agent_fields",
    "queue_fields",
    "queue_skill_fields",
    "skill_fields",
    "skill_level_fields",
    "team_fields",
]

QUEUE_NAME: Final = re.compile(r"^[0-9a-z][0-9a-z_-]{1,127}$")
"""A queue's name as in queues.conf; the same rule as an IVR flow's queue names, so every
queue can be routed to from a flow."""
AGENT_LOGIN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
"""The agent's member name in app_queue and queue_log (agents log in by phone with it when
it is digits)."""
SKILL_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")
INTERFACE: Final = re.compile(r"^[A-Za-z0-9]+/[^\s,|;]{1,120}$")
"""An Asterisk channel interface (``PJSIP/1001``, ``Local/1001@agents``): no spaces or the
separators app_queue splits on."""
RECORDING_POLICIES: Final = ("none", "all", "on_demand")
LANGUAGES: Final = ("", "en", "zh")
LEVELS: Final = (1, 10)
MAX_PENALTY: Final = 1000
MAX_SECONDS: Final = 86400


class ProblemCode(StrEnum):
    REQUIRED = "required"
    TOO_LONG = "too_long"
    BAD_NAME = "bad_name"
    NOT_WHOLE = "not_whole"
    NOT_NUMBER = "not_number"
    OUT_OF_RANGE = "out_of_range"
    NOT_A_CHOICE = "not_a_choice"


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field; ``low``/``high`` bound a range, ``high`` alone a length."""

    field: str
    code: ProblemCode
    low: float | None = None
    high: float | None = None


class FormInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.code}" for p in problems))
        self.problems = tuple(problems)


class _Reader:
    """Reads typed values out of a form, collecting every problem."""

    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = form
        self.problems: list[Problem] = []

    def raw(self, name: str) -> str:
        return str(self.form.get(name) or "").strip()

    def text(
        self,
        name: str,
        *,
        max_length: int,
        required: bool = False,
        pattern: re.Pattern[str] | None = None,
    ) -> str:
        value = self.raw(name)
        if not value:
            if required:
                self.problems.append(Problem(name, ProblemCode.REQUIRED))
            return ""
        if len(value) > max_length:
            self.problems.append(Problem(name, ProblemCode.TOO_LONG, high=max_length))
        elif pattern is not None and not pattern.match(value):
            self.problems.append(Problem(name, ProblemCode.BAD_NAME))
        return value

    def whole(self, name: str, *, low: int, high: int, default: int | None = None) -> int:
        value = self.raw(name)
        if not value and default is not None:
            return default
        if not value:
            self.problems.append(Problem(name, ProblemCode.REQUIRED))
            return low
        if not re.fullmatch(r"-?\d{1,9}", value):
            self.problems.append(Problem(name, ProblemCode.NOT_WHOLE))
            return low
        number = int(value)
        if not low <= number <= high:
            self.problems.append(Problem(name, ProblemCode.OUT_OF_RANGE, low=low, high=high))
        return number

    def number(self, name: str, *, low: float, high: float) -> float:
        value = self.raw(name).replace(",", ".")
        if not value:
            self.problems.append(Problem(name, ProblemCode.REQUIRED))
            return low
        try:
            number = float(value)
        except ValueError:
            self.problems.append(Problem(name, ProblemCode.NOT_NUMBER))
            return low
        if not low <= number <= high:  # also refuses nan
            self.problems.append(Problem(name, ProblemCode.OUT_OF_RANGE, low=low, high=high))
        return number

    def one_of(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.raw(name)
        if value not in choices:
            self.problems.append(Problem(name, ProblemCode.NOT_A_CHOICE))
            return choices[0]
        return value

    def flag(self, name: str) -> bool:
        return self.raw(name).lower() in ("1", "on", "true", "yes")

    def optional_id(self, name: str) -> int | None:
        value = self.raw(name)
        if not value:
            return None
        if not value.isdigit():
            self.problems.append(Problem(name, ProblemCode.NOT_A_CHOICE))
            return None
        return int(value)

    def done(self) -> None:
        if self.problems:
            raise FormInvalid(self.problems)


@dataclass(frozen=True)
class QueueFields:
    name: str
    display_name: str | None
    service_level_threshold_s: int
    service_level_target_ratio: float
    short_abandon_s: int
    wrapup_limit_s: int
    language: str | None
    recording: str
    active: bool


def queue_fields(form: Mapping[str, str]) -> QueueFields:
    """A queue's settings; the service-level target is typed in percent (80 = 80 %)."""
    r = _Reader(form)
    fields = QueueFields(
        name=r.text("name", max_length=128, required=True, pattern=QUEUE_NAME),
        display_name=r.text("display_name", max_length=128) or None,
        service_level_threshold_s=r.whole("service_level_threshold_s", low=1, high=3600),
        service_level_target_ratio=r.number("service_level_target_percent", low=0, high=100) / 100,
        short_abandon_s=r.whole("short_abandon_s", low=0, high=3600),
        wrapup_limit_s=r.whole("wrapup_limit_s", low=0, high=MAX_SECONDS),
        language=r.one_of("language", LANGUAGES) or None,
        recording=r.one_of("recording", RECORDING_POLICIES),
        active=r.flag("active"),
    )
    r.done()
    return fields


@dataclass(frozen=True)
class NamedFields:
    name: str
    description: str | None


def skill_fields(form: Mapping[str, str]) -> NamedFields:
    r = _Reader(form)
    fields = NamedFields(
        name=r.text("name", max_length=64, required=True, pattern=SKILL_NAME),
        description=r.text("description", max_length=1000) or None,
    )
    r.done()
    return fields


def team_fields(form: Mapping[str, str]) -> NamedFields:
    r = _Reader(form)
    fields = NamedFields(
        name=r.text("name", max_length=64, required=True),
        description=r.text("description", max_length=1000) or None,
    )
    r.done()
    return fields


@dataclass(frozen=True)
class AgentFields:
    login: str
    name: str
    interface: str | None
    team_id: int | None
    active: bool


def agent_fields(form: Mapping[str, str]) -> AgentFields:
    r = _Reader(form)
    fields = AgentFields(
        login=r.text("login", max_length=64, required=True, pattern=AGENT_LOGIN),
        name=r.text("name", max_length=128, required=True),
        interface=r.text("interface", max_length=128, pattern=INTERFACE) or None,
        team_id=r.optional_id("team_id"),
        active=r.flag("active"),
    )
    r.done()
    return fields


@dataclass(frozen=True)
class SkillLevelFields:
    """An agent's skill (``level`` 1..10) or a queue's (``level`` = the minimum level an
    agent needs), with the app_queue penalty it adds."""

    skill_id: int
    level: int
    penalty: int


def _skill_level(form: Mapping[str, str], level_field: str) -> SkillLevelFields:
    r = _Reader(form)
    skill_id = r.optional_id("skill_id")
    if skill_id is None and not r.problems:
        r.problems.append(Problem("skill_id", ProblemCode.REQUIRED))
    fields = SkillLevelFields(
        skill_id=skill_id or 0,
        level=r.whole(level_field, low=LEVELS[0], high=LEVELS[1]),
        penalty=r.whole("penalty", low=0, high=MAX_PENALTY, default=0),
    )
    r.done()
    return fields


def skill_level_fields(form: Mapping[str, str]) -> SkillLevelFields:
    """An agent's skill: ``skill_id``, ``level`` 1..10, ``penalty`` (0 when empty)."""
    return _skill_level(form, "level")


def queue_skill_fields(form: Mapping[str, str]) -> SkillLevelFields:
    """A skill a queue needs: ``skill_id``, ``min_level`` 1..10, ``penalty`` (0 when empty)."""
    return _skill_level(form, "min_level")
