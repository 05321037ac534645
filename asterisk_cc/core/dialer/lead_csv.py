"""Lead lists (and do-not-call lists) from CSV files, read without losing a row.

A lead file is a spreadsheet export: one header row naming the columns, then one row per
lead. :func:`parse_lead_file` maps the columns (:class:`LeadColumns`: one or more phone
columns, tried in order; optionally a reference and a time zone column; the other columns are
kept as the lead's fields), reads every phone number into E.164, and sorts each row into
exactly one of two piles: the leads to import, or the rejected rows, each with its line number
(counted as a spreadsheet counts rows: the header is line 1), the reason and the raw cells.
A row with one bad phone among good ones keeps the good ones; the bad one is a warning.

What real files bring, and what happens:

* encodings: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"); else
  GB18030 (Chinese Excel), else Latin-1, each fallback with a warning;
* delimiters ``,`` ``;`` tab ``|``, found from the header (or Excel's ``sep=`` first line);
* quoted fields (with delimiters and line breaks inside), blank lines (skipped, counted);
* rows with more values than the header has columns (rejected, unless the extra values are
  all empty) or fewer (rejected: a missing delimiter shifts every later column);
* a mapped column missing from the header: :class:`LeadFileError` listing the header;
* fields longer than :data:`MAX_FIELD_CHARS`, NUL characters: the row is rejected;
* duplicates inside the file (the same reference, or a phone number already in an earlier
  row): the later row is rejected, naming the earlier line;
* cells that a spreadsheet would run as a formula (starting with ``=`` ``+`` ``-`` ``@``):
  kept as text, listed in :attr:`LeadRow.formula_fields` and in a warning;
  :func:`escape_formula` makes them safe when they are written to a CSV again.

Every cell is data: nothing here interprets it beyond the phone and time zone columns.
Pure: works on text or bytes already read; no I/O, no clock.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from asterisk_cc.core.dialer.calling_window import zone_or_none
from asterisk_cc.core.phone import (
    InvalidPhoneNumber,
    WithheldNumber,
    is_known_region,
    normalize_e164,
)

__all__ = [
    "DELIMITERS",
    "FORMULA_PREFIXES",
    "MAX_FIELD_CHARS",
    "MAX_REF_CHARS",
    "CsvRecords",
    "LeadColumns",
    "LeadFile",
    "LeadFileError",
    "LeadRow",
    "PhoneList",
    "PhoneListEntry",
    "RejectedRow",
    "RowWarning",
    "column_letter",
    "decode_text",
    "escape_formula",
    "looks_like_formula",
    "parse_lead_file",
    "parse_lead_rows",
    "parse_phone_list",
    "read_csv",
    "sniff_delimiter",
]

MAX_FIELD_CHARS: Final = 10_000
"""Longest cell accepted; a longer one rejects its row (it is not a lead's detail but a
broken export, or an attempt to fill the database)."""
MAX_REF_CHARS: Final = 64  # leads.external_ref
MAX_ZONE_CHARS: Final = 64  # leads.timezone
MAX_SHOWN_CELL_CHARS: Final = 200
"""Cells are cut to this in the rejection report (an enormous cell stays recognisable)."""
DELIMITERS: Final = (",", ";", "\t", "|")
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP "CSV injection")."""
_E164_LENGTHS: Final = range(8, 17)  # what the database's CHECK accepts: + and 7 to 15 digits
_LINES_LISTED: Final = 10
_GB_SAMPLE_CHARS: Final = 20_000


class LeadFileError(ValueError):
    """The file as a whole cannot be imported (no header, a mapped column missing...)."""


@dataclass(frozen=True)
class LeadColumns:
    """Which columns of the file hold what. Names are matched ignoring case and spaces at
    either end. ``fields``: the columns kept as the lead's fields; None keeps every column
    that is not a phone, reference or time zone column."""

    phones: tuple[str, ...]
    external_ref: str | None = None
    timezone: str | None = None
    fields: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.phones, str):
            object.__setattr__(self, "phones", (self.phones,))
        if not self.phones:
            raise ValueError("name at least one phone column")
        named = [*self.phones, self.external_ref, self.timezone]
        names = [_key(n) for n in named if n is not None]
        if any(not n for n in names):
            raise ValueError("a column name cannot be empty")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"column(s) {', '.join(repeated)} mapped twice")


@dataclass(frozen=True)
class LeadRow:
    """A lead to import, from spreadsheet line ``line``: its numbers in E.164 (in column
    order, without repeats), reference, time zone (a valid IANA name, or None) and fields
    (the other columns' text, spaces at either end removed). ``formula_fields`` names the fields whose text a spreadsheet would run as a formula."""

    line: int
    phones: tuple[str, ...]
    external_ref: str | None
    timezone: str | None
    fields: Mapping[str, str]
    formula_fields: tuple[str, ...] = ()
    raw: tuple[str, ...] = ()
    """The row's cells as read (for a report, should the row be refused later)."""


@dataclass(frozen=True)
class RejectedRow:
    """A row that is not imported: its spreadsheet line, why, and its cells as read (cells
    longer than :data:`MAX_SHOWN_CELL_CHARS` are cut)."""

    line: int
    reason: str
    raw: tuple[str, ...]


@dataclass(frozen=True)
class RowWarning:
    """Something to know about a row that was imported anyway (``line`` 0: the whole file)."""

    line: int
    message: str


@dataclass(frozen=True)
class LeadFile:
    """The outcome of reading a lead file: every non-blank row after the header is in
    ``rows`` or in ``rejected``, never both."""

    header: tuple[str, ...]
    rows: tuple[LeadRow, ...]
    rejected: tuple[RejectedRow, ...]
    warnings: tuple[RowWarning, ...]
    encoding: str = "text"
    delimiter: str = ","
    blank_lines: int = 0


# --- text, delimiters, records ------------------------------------------------------------


def decode_text(data: bytes | str) -> tuple[str, str, tuple[str, ...]]:
    """(text, encoding, warnings) of a file's content: UTF-8 (BOM or not), UTF-16 with a
    BOM, else GB18030, else Latin-1 (which reads any byte, perhaps wrongly: hence the
    warning). Text already decoded only loses its BOM."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), "text", ()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", ()
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "utf-8", ()
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if not text or not _mostly_chinese(text):
        text = data.decode("latin-1")
        return (
            text,
            "latin-1",
            (
                "the file is not UTF-8 or GB18030; it was read as Latin-1 (Western European). "
                "If names look wrong, save the file as CSV UTF-8 and import it again",
            ),
        )
    return (
        text,
        "gb18030",
        (
            "the file is not UTF-8; it was read as GB18030 (Chinese). If names look wrong, "
            "save the file as CSV UTF-8 and import it again",
        ),
    )


def _mostly_chinese(text: str) -> bool:
    """True when the non-ASCII characters of text decoded as GB18030 are mostly common
    Chinese (the GB2312 area: both bytes 0xA1 or above). Latin-1 text such as "Müller" also
    decodes as GB18030, but into rare characters paired with ASCII bytes."""
    sample = [ch for ch in text[:_GB_SAMPLE_CHARS] if ord(ch) > 127]
    if not sample:
        return True
    common = 0
    for ch in sample:
        encoded = ch.encode("gb18030")
        common += len(encoded) == 2 and encoded[0] >= 0xA1 and encoded[1] >= 0xA1
    return common >= 0.8 * len(sample)


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: the one of :data:`DELIMITERS` found most often
    outside quotes (a one-column file: ``,``)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties: the earlier in DELIMITERS
    return best if counts[best] else ","


@dataclass(frozen=True)
class CsvRecords:
    """A CSV file split into records: ``records`` are (spreadsheet line, cells), blank lines
    included as empty tuples; ``unreadable`` are lines the CSV reader gave up on."""

    encoding: str
    delimiter: str
    records: tuple[tuple[int, tuple[str, ...]], ...]
    unreadable: tuple[RejectedRow, ...]
    warnings: tuple[str, ...]


def read_csv(data: bytes | str, delimiter: str | None = None) -> CsvRecords:
    """Decode ``data`` and split it into records (see :class:`CsvRecords`); ``delimiter``
    None: found from the first non-blank line."""
    text, encoding, warnings = decode_text(data)
    if "\n" not in text:  # an old Mac file: lines end with \r alone
        text = text.replace("\r", "\n")
    first_line = 0
    head = text.split("\n", 1)[0]
    if head.strip().lower().startswith("sep=") and len(head.strip()) == 5:
        delimiter = delimiter or head.strip()[4]  # Excel's "sep=;" line
        text = text.split("\n", 1)[1] if "\n" in text else ""
        first_line = 1
    if delimiter is None:
        sample = next((line for line in text.split("\n", 50) if line.strip()), "")
        delimiter = sniff_delimiter(sample)
    records: list[tuple[int, tuple[str, ...]]] = []
    unreadable: list[RejectedRow] = []
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=False)
    line = first_line
    while True:
        line += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            unreadable.append(RejectedRow(line, f"cannot be read as CSV: {exc}", ()))
            continue
        records.append((line, tuple(cells)))
    return CsvRecords(encoding, delimiter, tuple(records), tuple(unreadable), warnings)


def _lines(text: str) -> Iterator[str]:
    """Lines ending in \\n (not str.splitlines, which also splits on characters that may be
    data inside a cell, such as a form feed)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


# --- formula-looking cells -----------------------------------------------------------------


def looks_like_formula(value: str) -> bool:
    """True for a cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first)."""
    return value.startswith(FORMULA_PREFIXES)


def escape_formula(value: str) -> str:
    """The cell as it may be written to a CSV that people open in a spreadsheet: a leading
    ``'`` makes a formula-looking cell plain text."""
    return "'" + value if looks_like_formula(value) else value


# --- lead files ------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the spreadsheet's name of a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _key(name: str) -> str:
    return name.strip().lower()


def _shown(cells: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        c if len(c) <= MAX_SHOWN_CELL_CHARS else f"{c[:MAX_SHOWN_CELL_CHARS]}... ({len(c)} chars)"
        for c in cells
    )


def _quote(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _why(exc: InvalidPhoneNumber) -> str:
    return "it is a placeholder, not a number" if isinstance(exc, WithheldNumber) else exc.reason


def parse_lead_file(data: bytes | str, columns: LeadColumns, default_region: str) -> LeadFile:
    """Read a lead file (its bytes, or text). ``default_region`` (US, GB, CN...) is the
    country of numbers written without a country code. Raises :class:`LeadFileError` when
    the file as a whole cannot be used."""
    records = read_csv(data)
    parsed = _parse_records(records.records, columns, default_region)
    rejected = sorted((*parsed.rejected, *records.unreadable), key=lambda r: r.line)
    warnings = (*(RowWarning(0, w) for w in records.warnings), *parsed.warnings)
    return LeadFile(
        header=parsed.header,
        rows=parsed.rows,
        rejected=tuple(rejected),
        warnings=warnings,
        encoding=records.encoding,
        delimiter=records.delimiter,
        blank_lines=parsed.blank_lines,
    )


def parse_lead_rows(
    rows: Iterable[Sequence[str]], columns: LeadColumns, default_region: str
) -> LeadFile:
    """Read rows already split into cells (the header first), e.g. from a spreadsheet
    library; line numbers count from the header as line 1."""
    records = [(line, tuple(row)) for line, row in enumerate(rows, start=1)]
    return _parse_records(records, columns, default_region)


@dataclass
class _Layout:
    """Where the mapped columns are in the header."""

    header: tuple[str, ...]
    phones: list[tuple[str, int]]
    external_ref: int | None
    timezone: int | None
    fields: list[tuple[str, int]]


def _layout(header: tuple[str, ...], columns: LeadColumns) -> _Layout:
    positions: dict[str, int] = {}
    repeated: set[str] = set()
    for index, name in enumerate(header):
        key = _key(name)
        if key in positions:
            repeated.add(name)
        positions.setdefault(key, index)
    wanted = [*columns.phones, columns.external_ref, columns.timezone, *(columns.fields or ())]
    missing = [name for name in wanted if name is not None and _key(name) not in positions]
    if missing:
        raise LeadFileError(
            f"the file has no column {', '.join(map(repr, missing))}; its columns are: "
            f"{', '.join(header)}"
        )
    mapped = {_key(n) for n in (*columns.phones, columns.external_ref, columns.timezone) if n}
    if columns.fields is None:
        kept = [(name, i) for i, name in enumerate(header) if _key(name) not in mapped]
    else:
        kept = [(header[positions[_key(n)]], positions[_key(n)]) for n in columns.fields]
    used = mapped | {_key(name) for name, _ in kept}
    clash = sorted(name for name in repeated if _key(name) in used)
    if clash:
        raise LeadFileError(
            f"the header has the column(s) {', '.join(map(repr, clash))} more than once: "
            "rename them so each column has its own name"
        )
    return _Layout(
        header=header,
        phones=[(header[positions[_key(n)]], positions[_key(n)]) for n in columns.phones],
        external_ref=positions[_key(columns.external_ref)] if columns.external_ref else None,
        timezone=positions[_key(columns.timezone)] if columns.timezone else None,
        fields=kept,
    )


def _is_blank(cells: Sequence[str]) -> bool:
    return all(not cell.strip() for cell in cells)


@dataclass
class _Reading:
    """The state of one pass over a file's rows."""

    layout: _Layout
    region: str
    rows: list[LeadRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    first_line_of_ref: dict[str, int] = field(default_factory=dict)
    first_line_of_phone: dict[str, int] = field(default_factory=dict)
    formula_lines: list[int] = field(default_factory=list)


def _parse_records(
    records: Iterable[tuple[int, Sequence[str]]], columns: LeadColumns, default_region: str
) -> LeadFile:
    if not isinstance(default_region, str) or not is_known_region(default_region):
        raise LeadFileError(
            f"{default_region!r} is not a country code for phone numbers: use one such as "
            "US, GB or CN"
        )
    iterator = iter(records)
    blank = 0
    header: tuple[str, ...] | None = None
    for _, cells in iterator:
        if _is_blank(cells):
            blank += 1
            continue
        header = tuple(
            name.strip().removeprefix("\ufeff").strip() or f"column {column_letter(i)}"
            for i, name in enumerate(cells)
        )
        break
    if header is None:
        raise LeadFileError("the file is empty: it needs a header row naming the columns")
    reading = _Reading(_layout(header, columns), default_region.upper())
    for line, cells in iterator:
        if _is_blank(cells):
            blank += 1
            continue
        _read_row(reading, line, cells)
    if reading.formula_lines:
        lines = ", ".join(map(str, reading.formula_lines[:_LINES_LISTED]))
        more = " ..." if len(reading.formula_lines) > _LINES_LISTED else ""
        reading.warnings.append(
            RowWarning(
                0,
                f"{len(reading.formula_lines)} row(s) have cells starting with = + - or @ "
                f"(lines {lines}{more}): kept as text; a spreadsheet could run them as "
                "formulas, so exports escape them",
            )
        )
    return LeadFile(
        header=header,
        rows=tuple(reading.rows),
        rejected=tuple(reading.rejected),
        warnings=tuple(reading.warnings),
        blank_lines=blank,
    )


def _read_row(reading: _Reading, line: int, cells: Sequence[str]) -> None:
    layout = reading.layout
    width = len(layout.header)

    def reject(reason: str) -> None:
        reading.rejected.append(RejectedRow(line, reason, _shown(cells)))

    if len(cells) > width and not _is_blank(cells[width:]):
        reject(f"the row has {len(cells)} values but the header has {width} columns")
        return
    if len(cells) < width:
        reject(
            f"the row has {len(cells)} values but the header has {width} columns "
            "(a missing delimiter would shift the columns)"
        )
        return
    cells = cells[:width]
    problem = _cell_problem(cells, layout.header)
    if problem:
        reject(problem)
        return
    ref = cells[layout.external_ref].strip() if layout.external_ref is not None else ""
    if len(ref) > MAX_REF_CHARS:
        reject(f"the reference is {len(ref)} characters long; at most {MAX_REF_CHARS}")
        return
    phones, notes = _read_phones(layout, cells, reading.region)
    if not phones:
        reject(f"no valid phone number: {'; '.join(notes)}")
        return
    if ref and ref in reading.first_line_of_ref:
        reject(f"duplicate of line {reading.first_line_of_ref[ref]}: the same reference {ref!r}")
        return
    seen = next((p for p in phones if p in reading.first_line_of_phone), None)
    if seen is not None:
        reject(f"duplicate of line {reading.first_line_of_phone[seen]}: the same phone {seen}")
        return
    for note in notes:
        reading.warnings.append(RowWarning(line, f"{note}; the row's other number(s) are kept"))
    timezone = _read_zone(reading, line, layout, cells)
    fields = {name: cells[index].strip() for name, index in layout.fields}
    formulas = tuple(name for name, value in fields.items() if looks_like_formula(value))
    if formulas:
        reading.formula_lines.append(line)
    if ref:
        reading.first_line_of_ref[ref] = line
    for phone in phones:
        reading.first_line_of_phone[phone] = line
    reading.rows.append(
        LeadRow(line, phones, ref or None, timezone, fields, formulas, _shown(cells))
    )


def _cell_problem(cells: Sequence[str], header: Sequence[str]) -> str | None:
    joined = "".join(cells)
    if "\x00" not in joined and max(map(len, cells), default=0) <= MAX_FIELD_CHARS:
        try:
            joined.encode("utf-8")
            return None  # the usual case, checked once per row
        except UnicodeEncodeError:
            pass
    for name, cell in zip(header, cells, strict=True):
        if len(cell) > MAX_FIELD_CHARS:
            return (
                f"column {name!r} has {len(cell)} characters; at most {MAX_FIELD_CHARS} are "
                "accepted"
            )
        if "\x00" in cell:
            return f"column {name!r} contains a NUL character (a damaged file?)"
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError:
            return f"column {name!r} contains text that is not valid Unicode"
    return None


def _read_phones(
    layout: _Layout, cells: Sequence[str], region: str
) -> tuple[tuple[str, ...], list[str]]:
    """(the row's valid numbers in E.164, notes on the phone cells that are not numbers)."""
    phones: list[str] = []
    notes: list[str] = []
    for name, index in layout.phones:
        raw = cells[index].strip()
        if not raw:
            notes.append(f"{name} is empty")
            continue
        try:
            phone = normalize_e164(raw, region)
        except InvalidPhoneNumber as exc:
            notes.append(f"{name} {_quote(raw)} is not a phone number: {_why(exc)}")
            continue
        if len(phone) not in _E164_LENGTHS:
            notes.append(f"{name} {_quote(raw)} is too short or too long for E.164")
            continue
        if phone not in phones:
            phones.append(phone)
    # Empty phone cells are normal (a lead without a mobile); only bad numbers are worth a
    # warning when the row is kept.
    if phones:
        notes = [n for n in notes if not n.endswith(" is empty")]
    return tuple(phones), notes


def _read_zone(reading: _Reading, line: int, layout: _Layout, cells: Sequence[str]) -> str | None:
    if layout.timezone is None:
        return None
    raw = cells[layout.timezone].strip()
    if not raw:
        return None
    zone = zone_or_none(raw) if len(raw) <= MAX_ZONE_CHARS else None
    if zone is None:
        reading.warnings.append(
            RowWarning(
                line,
                f"time zone {_quote(raw)} is not an IANA zone such as America/New_York; "
                "the number's zone is used",
            )
        )
        return None
    return zone.key


# --- phone lists (do-not-call) -----------------------------------------------------------------

_PHONE_HEADERS: Final = frozenset(
    {
        "phone",
        "number",
        "phone_number",
        "phone number",
        "telephone",
        "tel",
        "msisdn",
        "e164",
        "phone_e164",
        "mobile",
        "电话",
        "号码",
        "手机",
    }
)


@dataclass(frozen=True)
class PhoneListEntry:
    line: int
    phone_e164: str
    reason: str | None = None


@dataclass(frozen=True)
class PhoneList:
    """A list of numbers (a do-not-call list): each number once, in file order."""

    entries: tuple[PhoneListEntry, ...]
    rejected: tuple[RejectedRow, ...]
    repeated: int
    warnings: tuple[str, ...]


def parse_phone_list(data: bytes | str, default_region: str) -> PhoneList:
    """Read a list of phone numbers: one per line, or a CSV whose header names a phone
    column (phone, number, msisdn, e164...) and optionally a ``reason`` column. Numbers
    that appear twice are kept once (counted in ``repeated``); lines that hold no valid
    number are rejected with their line number."""
    if not isinstance(default_region, str) or not is_known_region(default_region):
        raise LeadFileError(
            f"{default_region!r} is not a country code for phone numbers: use one such as "
            "US, GB or CN"
        )
    records = read_csv(data)
    rows = [(line, cells) for line, cells in records.records if not _is_blank(cells)]
    phone_at, reason_at = 0, None
    if rows:
        names = [_key(cell) for cell in rows[0][1]]
        header_phone = next((i for i, n in enumerate(names) if n in _PHONE_HEADERS), None)
        if header_phone is not None:
            phone_at = header_phone
            reason_at = names.index("reason") if "reason" in names else None
            rows = rows[1:]
    entries: list[PhoneListEntry] = []
    rejected = list(records.unreadable)
    seen: set[str] = set()
    repeated = 0
    for line, cells in rows:
        raw = cells[phone_at].strip() if phone_at < len(cells) else ""
        if not raw:
            rejected.append(RejectedRow(line, "no phone number on this line", _shown(cells)))
            continue
        try:
            phone = normalize_e164(raw, default_region.upper())
        except InvalidPhoneNumber as exc:
            reason = f"{_quote(raw)} is not a phone number: {_why(exc)}"
            rejected.append(RejectedRow(line, reason, _shown(cells)))
            continue
        if phone in seen:
            repeated += 1
            continue
        seen.add(phone)
        reason = (
            cells[reason_at].strip()[:500]
            if reason_at is not None and reason_at < len(cells)
            else ""
        )
        entries.append(PhoneListEntry(line, phone, reason or None))
    rejected.sort(key=lambda r: r.line)
    return PhoneList(tuple(entries), tuple(rejected), repeated, records.warnings)
