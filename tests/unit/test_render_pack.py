"""The pack's files and its mail, read back the way a mail client and a folder reader would."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from asterisk_cc.reports.charts import CHART_KEYS, chart_pngs
from asterisk_cc.reports.render import (
    ReportOutputError,
    mail_message,
    mail_subject,
    render_pack,
)
from asterisk_cc.reports.render_html import chart_content_id
from tests.report_fixtures import sample_pack


def test_render_pack_writes_one_file_per_format_named_by_day_and_language(
    tmp_path: Path,
) -> None:
    out = tmp_path / "reports" / "daily"
    paths = render_pack(sample_pack(), "zh", ["html", "pdf", "csv", "xlsx"], out, currency="CNY")
    assert [p.name for p in paths] == [
        "pack-2026-11-22-zh.html",
        "pack-2026-11-22-zh.pdf",
        "pack-2026-11-22-zh-csv.zip",
        "pack-2026-11-22-zh.xlsx",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no leftovers
    html = paths[0].read_text(encoding="utf-8")
    assert "服务水平" in html and html.count("data:image/png;base64,") == len(CHART_KEYS)
    assert paths[1].read_bytes().startswith(b"%PDF-")
    assert "queues.csv" in zipfile.ZipFile(paths[2]).namelist()
    assert load_workbook(paths[3]).sheetnames[0] == "核心指标"


def test_render_pack_writes_only_what_is_asked_and_replaces_the_day(tmp_path: Path) -> None:
    first = render_pack(sample_pack(), "en", ["xlsx", "xlsx"], tmp_path)
    assert [p.name for p in first] == ["pack-2026-11-22-en.xlsx"]
    again = render_pack(sample_pack(), "en", ["xlsx"], tmp_path)
    assert again == first and len(list(tmp_path.iterdir())) == 1


def test_unknown_formats_and_languages_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'docx'"):
        render_pack(sample_pack(), "en", ["pdf", "docx"], tmp_path)
    with pytest.raises(ValueError, match="'fr'"):
        render_pack(sample_pack(), "fr", ["pdf"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ReportOutputError, match="report folder"):
        render_pack(sample_pack(), "en", ["csv"], blocker / "sub")


def test_subjects_in_both_languages() -> None:
    pack = sample_pack()
    assert mail_subject(pack, "en") == "Shanghai Hotline 上海热线 — daily report 2026-11-22"
    assert mail_subject(pack, "zh") == "Shanghai Hotline 上海热线 — 日报 2026-11-22"


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> tuple[EmailMessage, list[Path]]:
    folder = tmp_path_factory.mktemp("mail")
    pack = sample_pack()
    paths = render_pack(pack, "en", ["pdf", "csv", "xlsx"], folder, currency="CNY")
    message = mail_message(
        pack,
        "en",
        sender="reports@cc.example",
        recipients=["lead@cc.example", "ops@cc.example"],
        attachments=paths,
        currency="CNY",
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed, paths


def test_mail_headers(mail: tuple[EmailMessage, list[Path]]) -> None:
    message, _ = mail
    assert message["Subject"] == "Shanghai Hotline 上海热线 — daily report 2026-11-22"
    assert message["From"] == "reports@cc.example"
    assert message["To"].addresses[1].addr_spec == "ops@cc.example"
    assert message["Date"] is None  # set when it is sent
    assert message.get_content_type() == "multipart/mixed"


def test_the_html_body_shows_its_charts_inline(mail: tuple[EmailMessage, list[Path]]) -> None:
    message, _ = mail
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    referenced = re.findall(r'src="cid:([^"]+)"', html)
    pack = sample_pack()
    assert referenced == [chart_content_id(pack, key) for key in CHART_KEYS]
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    images = {
        part["Content-ID"].strip("<>"): part.get_content()
        for part in related.iter_parts()
        if part.get_content_type() == "image/png"
    }
    assert set(images) == set(referenced)
    pngs = chart_pngs(pack, "en")
    for key in CHART_KEYS:
        assert images[chart_content_id(pack, key)] == pngs[key]


def test_the_plain_text_alternative_has_the_headline(mail: tuple[EmailMessage, list[Path]]) -> None:
    message, _ = mail
    text_part = message.get_body(("plain",))
    assert text_part is not None
    text = text_part.get_content()
    assert "- Service level: 83.4 % (Target ≥ 80.0 %; On target; vs day before +2.1 pt;" in text
    assert "- Offered: 1,284 (vs day before +8 %; vs last week -4 %)" in text
    assert "- Cost per call: CNY 18.50" in text
    assert "pack-2026-11-22-en.pdf" in text


def test_the_files_are_attached_with_their_types(mail: tuple[EmailMessage, list[Path]]) -> None:
    message, paths = mail
    attached = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attached) == {p.name for p in paths}
    types = {name: part.get_content_type() for name, part in attached.items()}
    assert types == {
        "pack-2026-11-22-en.pdf": "application/pdf",
        "pack-2026-11-22-en-csv.zip": "application/zip",
        "pack-2026-11-22-en.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for path in paths:
        assert attached[path.name].get_content() == path.read_bytes()
    workbook = load_workbook(io.BytesIO(attached["pack-2026-11-22-en.xlsx"].get_content()))
    assert workbook["Queues"]["B2"].value == 812


def test_the_chinese_mail(tmp_path: Path) -> None:
    message = mail_message(
        sample_pack(), "zh", sender="r@cc.example", recipients=["l@cc.example"], attachments=[]
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed["Subject"] == "Shanghai Hotline 上海热线 — 日报 2026-11-22"
    body = parsed.get_body(("plain",))
    assert body is not None and "- 服务水平: 83.4 %" in body.get_content()
    assert list(parsed.iter_attachments()) == []


def test_bad_addresses_and_missing_files_are_refused(tmp_path: Path) -> None:
    pack = sample_pack()
    with pytest.raises(ValueError, match="at least one recipient"):
        mail_message(pack, "en", sender="r@cc.example", recipients=[], attachments=[])
    with pytest.raises(ValueError, match="not a single address"):
        mail_message(
            pack,
            "en",
            sender="r@cc.example",
            recipients=["a@cc.example\r\nBcc: x@evil.example"],
            attachments=[],
        )
    with pytest.raises(ReportOutputError, match=r"absent\.pdf"):
        mail_message(
            pack,
            "en",
            sender="r@cc.example",
            recipients=["a@cc.example"],
            attachments=[tmp_path / "absent.pdf"],
        )


def test_a_line_break_in_the_site_name_cannot_add_headers() -> None:
    pack = dataclasses.replace(sample_pack(), site_name="CC\r\nBcc: x@evil.example")
    message = mail_message(
        pack, "en", sender="r@cc.example", recipients=["a@cc.example"], attachments=[]
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "CC Bcc: x@evil.example — daily report 2026-11-22"
