"""What the dashboard's campaign pages decide without the database: the campaign form read
into the mapping :func:`~asterisk_cc.core.dialer.campaign.campaign_from_mapping` checks (and
back), its problems placed next to the fields they concern, the status buttons a campaign
offers, the lead progress and drop-rate figures, the first look at an uploaded file, and the
rejected rows written back as CSV.

Pure: no I/O, no clock, no framework.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from asterisk_cc.core.dialer.campaign import CAMPAIGN_ACTIONS, CAMPAIGN_FIELDS
from asterisk_cc.core.dialer.lead_csv import RejectedRow, escape_formula
from asterisk_cc.core.dialer.retry import RETRY_DELAY_KEYS
from asterisk_cc.core.vocabulary import CampaignStatus, LeadStatus

__all__ = [
    "DIALABLE_STATUSES",
    "FORM_ACTIONS",
    "GENERAL",
    "RETRY_FIELD_PREFIX",
    "WEEKDAY_KEYS",
    "DropLevel",
    "LeadProgress",
    "Page",
    "UploadProblem",
    "allowed_actions",
    "column_names",
    "drop_level",
    "form_from_mapping",
    "lead_progress",
    "mapping_from_form",
    "page_of",
    "problems_by_field",
    "rejects_csv_rows",
    "upload_problem",
]

RETRY_FIELD_PREFIX: Final = "retry_delays_s."
"""Form fields ``retry_delays_s.busy`` ... hold the per-outcome delays."""
WEEKDAY_KEYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GENERAL: Final = ""
"""The key of :func:`problems_by_field` for problems that name no field of the form."""
FORM_ACTIONS: Final = ("start", "pause", "stop")
"""The status changes the dashboard offers (archiving is left to the command line)."""
DIALABLE_STATUSES: Final = frozenset({LeadStatus.PENDING, LeadStatus.DIALING})
"""Leads that still have calls to come; every other status is final."""

_TEXT_FIELDS: Final = (
    "name",
    "dial_mode",
    "queue",
    "caller_id",
    "timezone",
    "window",
    "max_attempts",
    "ring_timeout_s",
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
_NUMBER_FIELDS: Final = frozenset({"max_attempts", "ring_timeout_s"})
_LIST_SPLIT: Final = re.compile(r"[,\s]+")
_PROBLEM_FIELD: Final = re.compile(r"^([a-z_]+(?:\.[a-z_]+)?): ")


def _first(form: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = form.get(key)
    if not values:
        return None
    return str(values[0])


def mapping_from_form(
    form: Mapping[str, Sequence[str]], *, name: str | None = None
) -> dict[str, Any]:
    """The campaign form (each field's values, as a browser posts them) → the mapping
    :func:`campaign_from_mapping` reads. ``name``: the campaign being edited (its name is not
    changed by the form).

    Texts are passed on as typed (spaces at either end removed), so that the checks quote
    them in their messages; an empty number stays empty and is refused rather than silently
    replaced by a default. An empty time zone means the site's. Retry delays that are whole
    numbers become numbers. Unchecked boxes mean false, no days ticked means no calling day.
    """
    data: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        value = _first(form, key)
        if value is None:
            continue
        value = value.strip()
        if key == "timezone" and not value:
            continue
        data[key] = int(value) if key in _NUMBER_FIELDS and value.isdigit() else value
    if name is not None:
        data["name"] = name
    data["amd_enabled"] = _first(form, "amd_enabled") in ("on", "true", "1", "yes")
    data["days"] = [day for day in form.get("days", ()) if day]
    holidays = (_first(form, "holidays") or "").strip()
    data["holidays"] = [part for part in _LIST_SPLIT.split(holidays) if part]
    delays: dict[str, Any] = {}
    for key in RETRY_DELAY_KEYS:
        value = (_first(form, RETRY_FIELD_PREFIX + key) or "").strip()
        if value:
            delays[key] = int(value) if value.isdigit() else value
    data["retry_delays_s"] = delays
    return data


def form_from_mapping(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign's mapping (:func:`campaign_to_mapping`) → the form's values, to edit it:
    texts for the inputs, a list of day keys for the boxes, a bool for AMD."""
    form: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        value = mapping.get(key)
        if key in ("agents", "teams"):
            form[key] = ", ".join(value or ())
        elif key == "abandon_target_ratio" and isinstance(value, int | float):
            form[key] = f"{value * 100:g}%"
        elif key == "max_lines_per_agent" and isinstance(value, int | float):
            form[key] = f"{value:g}"
        else:
            form[key] = "" if value is None else str(value)
    days = mapping.get("days", "")
    form["days"] = [d for d in str(days).split(",") if d] if isinstance(days, str) else list(days)
    form["holidays"] = ", ".join(str(day) for day in mapping.get("holidays") or ())
    form["amd_enabled"] = bool(mapping.get("amd_enabled"))
    delays = mapping.get("retry_delays_s") or {}
    for key in RETRY_DELAY_KEYS:
        value = delays.get(key)
        form[RETRY_FIELD_PREFIX + key] = "" if value is None else str(value)
    return form


_FIELD_OF_PROBLEM: Final = {"days": "days", "holidays": "holidays", "window": "window"}


def problems_by_field(problems: Iterable[str]) -> dict[str, list[str]]:
    """Each problem of a :class:`CampaignError` under the form field it names (its text
    starts with ``field:``, e.g. ``ring_timeout_s: ...`` or ``retry_delays_s.busy: ...``);
    problems naming no field of the form are under :data:`GENERAL`."""
    placed: dict[str, list[str]] = {}
    known = set(CAMPAIGN_FIELDS) | {RETRY_FIELD_PREFIX + key for key in RETRY_DELAY_KEYS}
    for problem in problems:
        match = _PROBLEM_FIELD.match(problem)
        field = match.group(1) if match else GENERAL
        if field not in known:
            field = GENERAL
        placed.setdefault(_FIELD_OF_PROBLEM.get(field, field), []).append(problem)
    return placed


def allowed_actions(status: CampaignStatus | str) -> tuple[str, ...]:
    """The status changes of :data:`FORM_ACTIONS` allowed from ``status``, in that order."""
    current = CampaignStatus(status)
    return tuple(action for action in FORM_ACTIONS if current in CAMPAIGN_ACTIONS[action][0])


@dataclass(frozen=True)
class LeadProgress:
    """A campaign's leads: ``dialable`` still have calls to come (pending or being dialled),
    ``finished`` have none (done, exhausted, do-not-call, invalid, cancelled)."""

    total: int
    dialable: int
    finished: int

    @property
    def finished_ratio(self) -> float | None:
        return self.finished / self.total if self.total else None


def lead_progress(counts: Mapping[LeadStatus, int]) -> LeadProgress:
    total = sum(counts.values())
    dialable = sum(count for status, count in counts.items() if status in DIALABLE_STATUSES)
    return LeadProgress(total=total, dialable=dialable, finished=total - dialable)


class DropLevel(StrEnum):
    """How a drop (abandon) rate stands against the campaign's target."""

    GOOD = "good"
    WARN = "warn"
    """At 80 % of the target or more: the pacing is close to its limit."""
    BAD = "bad"
    """Above the target."""


WARN_SHARE: Final = 0.8


def drop_level(ratio: float | None, target: float) -> DropLevel | None:
    """None while there is no rate (no call answered by a person yet)."""
    if ratio is None:
        return None
    if ratio > target:
        return DropLevel.BAD
    if ratio >= WARN_SHARE * target:
        return DropLevel.WARN
    return DropLevel.GOOD


class UploadProblem(StrEnum):
    """Why an uploaded file is refused before it is read as CSV."""

    MISSING = "missing"
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NOT_CSV_NAME = "not_csv_name"
    SPREADSHEET = "spreadsheet"
    BINARY = "binary"


CSV_SUFFIXES: Final = (".csv", ".txt", ".tsv")
_SPREADSHEET_MAGIC: Final = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx/.ods (zip), .xls (OLE)
_SNIFF_BYTES: Final = 8192


def upload_problem(filename: str | None, data: bytes, max_bytes: int) -> UploadProblem | None:
    """The first reason to refuse an upload, or None: no file chosen, nothing in it, larger
    than ``max_bytes``, a name that is not .csv/.txt/.tsv, a spreadsheet workbook (Excel,
    LibreOffice) rather than its CSV export, or binary content (NUL bytes outside a UTF-16
    file)."""
    if not filename:
        return UploadProblem.MISSING
    if not data or data.isspace():
        return UploadProblem.EMPTY
    if len(data) > max_bytes:
        return UploadProblem.TOO_LARGE
    if data.startswith(_SPREADSHEET_MAGIC):
        return UploadProblem.SPREADSHEET
    if not filename.lower().endswith(CSV_SUFFIXES):
        return UploadProblem.NOT_CSV_NAME
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and b"\x00" in data[:_SNIFF_BYTES]:
        return UploadProblem.BINARY
    return None


def column_names(text: str | None) -> tuple[str, ...]:
    """``"mobile, home"`` → ``("mobile", "home")``: the columns named in one form field."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Page:
    """One page of a list: ``number`` counts from 1; ``offset`` and ``size`` for the query."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_of(requested: str | int | None, size: int, total: int) -> Page:
    """The page asked for (a query argument, perhaps garbage), kept within the list."""
    try:
        number = int(requested or 1)
    except (TypeError, ValueError):
        number = 1
    last = max(1, -(-total // size))
    return Page(number=min(max(number, 1), last), size=size, total=total)


def rejects_csv_rows(header: Sequence[str], rejected: Iterable[RejectedRow]) -> Iterator[list[str]]:
    """The rows of the rejects file, as ``campaign import --rejects`` writes it: line, reason,
    then the row's cells under the file's own header. Cells a spreadsheet would run as a
    formula are escaped: they are the caller's data, never something to run."""
    yield ["line", "reason", *map(escape_formula, header)]
    for row in rejected:
        yield [str(row.line), escape_formula(row.reason), *map(escape_formula, row.raw)]
