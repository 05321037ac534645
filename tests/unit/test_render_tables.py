"""CSV and spreadsheet: read back, they hold the pack's numbers as numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from asterisk_cc.reports.render_tables import csv_files, csv_zip, pack_tables, xlsx_bytes
from tests.report_fixtures import CHINESE_AGENT, FORMULA_TEXT, HOSTILE_NAME, sample_pack


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_one_csv_per_table_in_one_zip() -> None:
    pack = sample_pack()
    with zipfile.ZipFile(io.BytesIO(csv_zip(pack))) as archive:
        names = archive.namelist()
        files = {name: archive.read(name) for name in names}
    assert names == ["headline.csv", *(f"{t.key}.csv" for t in pack_tables(pack))]
    assert "intervals.csv" in names  # the numbers behind the charts
    assert files == csv_files(pack)


def test_csv_has_keyed_columns_raw_numbers_and_blank_unknowns() -> None:
    files = csv_files(sample_pack())
    queues = _read_csv(files["queues.csv"])
    assert queues[0] == [
        "queue",
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "asa_s",
        "aht_s",
        "abandon_rate",
    ]
    assert queues[1] == ["support", "812", "748", "64", "0.821", "26.2", "331.0", "0.0788"]
    assert queues[4] == ["overflow", "0", "0", "0", "", "", "", ""]
    assert queues[5][0] == "total" and float(queues[5][4]) == pytest.approx(0.834)
    headline = {row[0]: row for row in _read_csv(files["headline.csv"])[1:]}
    assert headline["service_level"][1:6] == ["0.834", "ratio", "0.8", "green", "yes"]
    assert headline["callback_fulfilment"][1] == ""


def test_csv_keeps_chinese_and_defuses_formulas() -> None:
    files = csv_files(sample_pack())
    agents = _read_csv(files["agents.csv"])
    assert agents[1][0] == CHINESE_AGENT
    assert agents[2][0] == HOSTILE_NAME
    complaints = _read_csv(files["complaints_due.csv"])
    assert complaints[2][2] == "'" + FORMULA_TEXT
    staffing = _read_csv(files["staffing.csv"])
    assert staffing[1][-1] == "-2"  # a negative number is a number, not a formula


def test_the_zip_is_the_same_bytes_for_the_same_pack() -> None:
    assert csv_zip(sample_pack()) == csv_zip(sample_pack())


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(xlsx_bytes(sample_pack(), "en", currency="CNY")))


def test_spreadsheet_has_a_headline_sheet_and_one_sheet_per_table(book) -> None:  # type: ignore[no-untyped-def]
    assert book.sheetnames == [
        "Headline",
        "Queues",
        "Agents",
        "IVR funnel",
        "Complaints due",
        "Staffing (Erlang C)",
        "Intervals",
    ]
    chinese = load_workbook(io.BytesIO(xlsx_bytes(sample_pack(), "zh")))
    assert chinese.sheetnames[:3] == ["核心指标", "队列", "坐席"]


def test_headline_numbers_are_numbers_with_formats(book) -> None:  # type: ignore[no-untyped-def]
    sheet = book["Headline"]
    header = [c.value for c in sheet[4]]
    assert header[:4] == ["KPI", "Value", "Target", "Status"]
    rows = {row[8].value: row for row in sheet.iter_rows(min_row=5) if row[8].value}
    service = rows["service_level"]
    assert service[1].value == pytest.approx(0.834) and service[1].number_format == "0.0%"
    assert service[2].value == pytest.approx(0.8)
    assert service[3].value == "On target" and service[3].fill.fgColor.rgb.endswith("D3F0DC")
    assert service[5].value == pytest.approx(0.021)  # +2.1 points
    asa = rows["asa_s"]
    assert asa[1].value == timedelta(seconds=24.6) and asa[1].number_format == "[m]:ss"
    assert rows["max_wait_s"][1].number_format == "[h]:mm:ss"
    assert rows["offered"][1].value == 1284 and rows["offered"][1].number_format == "#,##0"
    assert rows["offered"][5].value == pytest.approx(1284 / 1190 - 1)
    assert rows["cost_per_call"][1].number_format == '"CNY" #,##0.00'
    assert rows["csat"][1].number_format == "0.0"
    assert rows["callback_fulfilment"][1].value is None


def test_table_sheets_hold_the_numbers_and_text_stays_text(book) -> None:  # type: ignore[no-untyped-def]
    queues = list(book["Queues"].iter_rows(values_only=True))
    assert queues[0][:2] == ("Queue", "Offered")
    assert queues[1][:5] == ("support", 812, 748, 64, pytest.approx(0.821))
    assert queues[-1][0] == "Total"
    agents = book["Agents"]
    assert agents["A2"].value == CHINESE_AGENT
    assert agents["A3"].value == HOSTILE_NAME
    assert agents["I2"].value == timedelta(seconds=27000)
    assert agents["I2"].number_format == "[h]:mm:ss"
    assert agents["H2"].number_format == "0.0%"
    complaint = book["Complaints due"]["C3"]
    assert complaint.value == FORMULA_TEXT and complaint.data_type == "s"
    assert agents.freeze_panes == "B2"
