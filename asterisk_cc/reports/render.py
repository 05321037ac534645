"""The daily pack's files and its mail: what the daily job calls.

:func:`render_pack` writes the pack of one day in one language to a folder:

    pack-2026-11-22-en.html       the report, charts embedded (opens anywhere, offline)
    pack-2026-11-22-en.pdf        A4, for printing and archiving
    pack-2026-11-22-en.xlsx       one sheet per table, numbers as numbers
    pack-2026-11-22-en-csv.zip    one CSV per table, keyed columns, raw numbers

The CSVs travel as one zip: the mail carries one attachment instead of a dozen, and the folder
one file per day and language (see :mod:`asterisk_cc.reports.render_tables` for their form).
Files are written to a temporary name and renamed, so a reader never sees half a report.

:func:`mail_message` builds the morning mail: the HTML report as the body with its charts
inline (by Content-ID), the headline as the plain-text alternative, and the files attached.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Final

from asterisk_cc.core.reports.labels import check_language, headline_text, label
from asterisk_cc.core.reports.pack import DailyPack
from asterisk_cc.errors import AsteriskCCError
from asterisk_cc.reports.charts import CHART_KEYS, ChartFontMissing, chart_pngs
from asterisk_cc.reports.render_html import chart_content_id, render_html
from asterisk_cc.reports.render_pdf import render_pdf
from asterisk_cc.reports.render_tables import csv_zip, local_time, xlsx_bytes

__all__ = [
    "FORMATS",
    "ChartFontMissing",
    "ReportOutputError",
    "mail_message",
    "mail_subject",
    "pack_file_name",
    "render_pack",
]

FORMATS: Final = ("html", "pdf", "csv", "xlsx")

_MIME_TYPES: Final = {
    ".html": ("text", "html"),
    ".pdf": ("application", "pdf"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".zip": ("application", "zip"),
    ".csv": ("text", "csv"),
    ".png": ("image", "png"),
}


class ReportOutputError(AsteriskCCError):
    """A report file cannot be written or read (folder missing, not writable, disk full)."""


def pack_file_name(pack: DailyPack, language: str, fmt: str) -> str:
    """The file name of format ``fmt`` of ``pack`` in ``language``."""
    check_language(language)
    stem = f"pack-{pack.day.isoformat()}-{language}"
    if fmt == "csv":
        return f"{stem}-csv.zip"
    if fmt not in FORMATS:
        raise ValueError(f"report format {fmt!r} is unknown: choose among {', '.join(FORMATS)}")
    return f"{stem}.{fmt}"


def _write(path: Path, data: bytes) -> None:
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise ReportOutputError(f"cannot write the report file {path}: {error}") from error


def render_pack(
    pack: DailyPack,
    language: str,
    formats: Sequence[str],
    out_dir: Path,
    *,
    currency: str | None = None,
) -> list[Path]:
    """Write ``pack`` in ``language`` in each of ``formats`` (html, pdf, csv, xlsx) into
    ``out_dir`` (created if missing); the paths written, in the order asked. Writing the same
    day again replaces its files."""
    check_language(language)
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ValueError(f"report formats {unknown} are unknown: choose among {', '.join(FORMATS)}")
    wanted = list(dict.fromkeys(formats))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportOutputError(f"cannot create the report folder {out_dir}: {error}") from error
    charts = chart_pngs(pack, language) if {"html", "pdf"} & set(wanted) else {}
    written: list[Path] = []
    for fmt in wanted:
        if fmt == "html":
            html = render_html(pack, language, images="data", charts=charts, currency=currency)
            data = html.encode("utf-8")
        elif fmt == "pdf":
            data = render_pdf(pack, language, charts=charts, currency=currency)
        elif fmt == "xlsx":
            data = xlsx_bytes(pack, language, currency=currency)
        else:
            data = csv_zip(pack)
        path = out_dir / pack_file_name(pack, language, fmt)
        _write(path, data)
        written.append(path)
    return written


def _one_line(text: str) -> str:
    """Header text on one line: a line break in a site name must not start a new header."""
    return " ".join(text.split())


def mail_subject(pack: DailyPack, language: str) -> str:
    """ "Contact Centre — daily report 2026-11-22" / "Contact Centre — 日报 2026-11-22"."""
    return _one_line(f"{pack.site_name} — {label('subject', language)} {pack.day.isoformat()}")


def _plain_text(pack: DailyPack, language: str, names: Sequence[str], currency: str | None) -> str:
    lines = [
        f"{pack.site_name} — {label('title', language)} {pack.day.isoformat()}",
        f"{label('generated_at', language)}: {local_time(pack.generated_at, pack.timezone)}",
        "",
        label("headline", language),
    ]
    for headline in pack.headline:
        text = headline_text(headline, language, currency=currency)
        details = [
            f"{label('vs_day_before', language)} {text.change_day}",
            f"{label('vs_week_before', language)} {text.change_week}",
        ]
        if headline.target is not None:
            details[:0] = [f"{label('target', language)} {text.target}", text.status_word]
        lines.append(f"- {text.label}: {text.value} ({'; '.join(details)})")
    if pack.notes:
        lines += ["", label("notes", language), *(f"- {note}" for note in pack.notes)]
    if names:
        lines += ["", f"{label('attachments', language)}: {', '.join(names)}"]
    lines += ["", label("definitions", language)]
    return "\n".join(lines) + "\n"


def _check_address(address: str) -> str:
    if not address.strip() or any(ch in address for ch in "\r\n,"):
        raise ValueError(f"mail address {address!r} is not a single address")
    return address.strip()


def mail_message(
    pack: DailyPack,
    language: str,
    *,
    sender: str,
    recipients: Sequence[str],
    attachments: Sequence[Path],
    currency: str | None = None,
) -> EmailMessage:
    """The morning mail of ``pack`` in ``language``: multipart/alternative of the plain-text
    headline and the HTML report, the HTML related to its chart images (``cid:``), and
    ``attachments`` (typically the files of :func:`render_pack`) attached with their MIME
    types. Date and Message-ID are left to the sender (they belong to the sending, which
    may come later than the building)."""
    check_language(language)
    if not recipients:
        raise ValueError("the report mail needs at least one recipient")
    message = EmailMessage()
    message["Subject"] = mail_subject(pack, language)
    message["From"] = _check_address(sender)
    message["To"] = ", ".join(_check_address(r) for r in recipients)
    message["Content-Language"] = "zh-CN" if language == "zh" else "en"

    files: list[tuple[str, bytes]] = []
    for path in attachments:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as error:
            raise ReportOutputError(f"cannot attach {path}: {error}") from error

    message.set_content(_plain_text(pack, language, [name for name, _ in files], currency))
    charts = chart_pngs(pack, language)
    message.add_alternative(
        render_html(pack, language, images="cid", currency=currency), subtype="html"
    )
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    for key in CHART_KEYS:
        html_part.add_related(
            charts[key],
            maintype="image",
            subtype="png",
            cid=f"<{chart_content_id(pack, key)}>",
            filename=f"{key}.png",
            disposition="inline",
        )
    for name, data in files:
        maintype, subtype = _MIME_TYPES.get(
            Path(name).suffix.lower(), ("application", "octet-stream")
        )
        message.add_attachment(
            data,
            maintype=maintype,
            subtype=subtype,
            filename=name,
            params={"charset": "utf-8"} if maintype == "text" else {},
        )
    return message
