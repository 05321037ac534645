"""Lead files as real exports bring them: every row is imported or reported, never both,
never neither, with the line a spreadsheet shows."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterisk_cc.core.dialer.lead_csv import (
    MAX_FIELD_CHARS,
    LeadColumns,
    LeadFile,
    LeadFileError,
    column_letter,
    decode_text,
    escape_formula,
    looks_like_formula,
    parse_lead_file,
    parse_lead_rows,
    parse_phone_list,
    read_csv,
    sniff_delimiter,
)

COLUMNS = LeadColumns(phones=("phone", "mobile"), external_ref="id", timezone="tz")


def parse(text: str | bytes, columns: LeadColumns = COLUMNS, region: str = "US") -> LeadFile:
    return parse_lead_file(text, columns, region)


def lines_of(result: LeadFile) -> tuple[list[int], list[int]]:
    return [row.line for row in result.rows], [row.line for row in result.rejected]


def test_a_plain_file_maps_its_columns() -> None:
    result = parse(
        "id,name,phone,mobile,tz,balance\n"
        "A1,Ann Lee,(212) 555-0143,+44 7911 123456,America/New_York,12.50\n"
    )
    (row,) = result.rows
    assert row.line == 2
    assert row.phones == ("+12125550143", "+447911123456")
    assert (row.external_ref, row.timezone) == ("A1", "America/New_York")
    assert dict(row.fields) == {"name": "Ann Lee", "balance": "12.50"}
    assert result.rejected == () and result.warnings == ()


def test_chosen_fields_and_case_insensitive_column_names() -> None:
    columns = LeadColumns(phones=("PHONE",), fields=("Name",))
    (row,) = parse("ID,Name,Phone,Secret\n1,Ann,2125550143,s3cret\n", columns).rows
    assert dict(row.fields) == {"Name": "Ann"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_found_from_the_header(delimiter: str) -> None:
    text = (
        delimiter.join(["id", "name", "phone"]) + "\n" + delimiter.join(["1", "Ann", "2125550143"])
    )
    result = parse(text, LeadColumns(phones=("phone",)))
    assert result.delimiter == delimiter
    assert dict(result.rows[0].fields) == {"id": "1", "name": "Ann"}


def test_excels_sep_line_sets_the_delimiter_and_counts_as_a_line() -> None:
    result = parse("sep=;\nphone;name\n2125550143;Ann, Jr.\n", LeadColumns(phones=("phone",)))
    assert result.delimiter == ";"
    assert [(r.line, dict(r.fields)) for r in result.rows] == [(3, {"name": "Ann, Jr."})]


def test_sniffing_ignores_delimiters_inside_quotes() -> None:
    assert sniff_delimiter('"a,b,c";d;e') == ";"
    assert sniff_delimiter("phone") == ","


def test_encodings_bom_utf16_gb18030_and_latin1() -> None:
    text = "phone,name\n2125550143,张三\n"
    for data in (
        codecs.BOM_UTF8 + text.encode("utf-8"),
        text.encode("utf-16"),
        text.encode("gb18030"),
    ):
        (row,) = parse(data, LeadColumns(phones=("phone",))).rows
        assert row.fields["name"] == "张三"
    gb = parse(text.encode("gb18030"), LeadColumns(phones=("phone",)))
    assert gb.encoding == "gb18030" and "GB18030" in gb.warnings[0].message
    latin = parse(
        "phone,name\n2125550143,Müller\n".encode("latin-1"), LeadColumns(phones=("phone",))
    )
    assert latin.encoding == "latin-1" and latin.rows[0].fields["name"] == "Müller"
    assert latin.warnings[0].line == 0 and "Latin-1" in latin.warnings[0].message
    assert decode_text("\ufeffphone") == ("phone", "text", ())


def test_quoted_fields_with_delimiters_and_line_breaks_count_as_one_spreadsheet_row() -> None:
    result = parse(
        'phone,note\n2125550143,"line one\nline two, still"\n\n2125550144,"say ""hi"""\nbad,x\n',
        LeadColumns(phones=("phone",)),
    )
    assert [(r.line, r.fields["note"]) for r in result.rows] == [
        (2, "line one\nline two, still"),
        (4, 'say "hi"'),
    ]
    assert [r.line for r in result.rejected] == [5]
    assert result.blank_lines == 1


def test_old_mac_line_endings_are_read() -> None:
    result = parse("phone,name\r2125550143,Ann\r2125550144,Bob\r", LeadColumns(phones=("phone",)))
    assert lines_of(result) == ([2, 3], [])


def test_rows_with_too_many_or_too_few_values() -> None:
    result = parse(
        "phone,name,city\n"
        "2125550143,Ann,NYC,,\n"  # trailing empty values: fine
        "2125550144,Bob,NYC,extra\n"
        "2125550145,Cy\n",
        LeadColumns(phones=("phone",)),
    )
    assert lines_of(result) == ([2], [3, 4])
    assert "4 values but the header has 3" in result.rejected[0].reason
    assert "2 values but the header has 3" in result.rejected[1].reason
    assert result.rejected[1].raw == ("2125550145", "Cy")


def test_a_missing_mapped_column_names_the_headers_columns() -> None:
    with pytest.raises(LeadFileError, match="no column 'mobile', 'tz'; its columns are: id, phone"):
        parse("id,phone\n1,2125550143\n")


def test_file_level_problems() -> None:
    with pytest.raises(LeadFileError, match="empty"):
        parse("\n\n  \n")
    with pytest.raises(LeadFileError, match="more than once"):
        parse("phone,name,name\n2125550143,a,b\n", LeadColumns(phones=("phone",)))
    with pytest.raises(LeadFileError, match="'XX' is not a country code"):
        parse("phone\n2125550143\n", LeadColumns(phones=("phone",)), region="XX")
    with pytest.raises(ValueError, match="mapped twice"):
        LeadColumns(phones=("phone", "Phone"))
    with pytest.raises(ValueError, match="at least one phone column"):
        LeadColumns(phones=())


def test_a_bad_phone_among_good_ones_is_a_warning_and_no_good_phone_a_rejection() -> None:
    result = parse(
        "id,phone,mobile,tz\n1,12,+44 7911 123456,\n2,nonsense,,\n3,,,\n4,anonymous,2125550143,\n"
    )
    assert lines_of(result) == ([2, 5], [3, 4])
    assert result.rows[0].phones == ("+447911123456",)
    assert "phone '12' is not a phone number" in result.warnings[0].message
    assert "no valid phone number: phone 'nonsense'" in result.rejected[0].reason
    assert result.rejected[1].reason == "no valid phone number: phone is empty; mobile is empty"


def test_the_same_number_twice_in_a_row_is_kept_once() -> None:
    (row,) = parse("id,phone,mobile,tz\n1,2125550143,+1 212 555 0143,\n").rows
    assert row.phones == ("+12125550143",)


def test_duplicates_in_the_file_name_the_earlier_line() -> None:
    result = parse(
        "id,phone,mobile,tz\n"
        "A,2125550143,,\n"
        "B,2125550144,2125550145,\n"
        "A,2125550146,,\n"  # same reference as line 2
        "C,2125550147,(212) 555-0145,\n"  # shares a number with line 3
    )
    assert lines_of(result) == ([2, 3], [4, 5])
    assert result.rejected[0].reason == "duplicate of line 2: the same reference 'A'"
    assert result.rejected[1].reason == "duplicate of line 3: the same phone +12125550145"


def test_a_bad_time_zone_is_a_warning_and_the_row_kept() -> None:
    result = parse("id,phone,mobile,tz\n1,2125550143,,Mars/Base\n2,2125550144,,europe/london\n")
    assert [row.timezone for row in result.rows] == [None, "Europe/London"]
    assert "'Mars/Base' is not an IANA zone" in result.warnings[0].message


def test_enormous_fields_and_nul_characters_reject_their_row_only() -> None:
    huge = "x" * (MAX_FIELD_CHARS + 1)
    beyond_csv_limit = "y" * 200_000
    result = parse(
        f"phone,note\n2125550143,{huge}\n2125550144,{beyond_csv_limit}\n"
        "2125550145,nul\x00here\n2125550146,fine\n",
        LeadColumns(phones=("phone",)),
    )
    assert lines_of(result) == ([5], [2, 3, 4])
    assert f"has {MAX_FIELD_CHARS + 1} characters" in result.rejected[0].reason
    assert len(result.rejected[0].raw[1]) < 300  # the report shows a cut version
    assert "cannot be read as CSV" in result.rejected[1].reason
    assert "NUL" in result.rejected[2].reason


def test_a_long_reference_is_refused() -> None:
    result = parse(f"id,phone,mobile,tz\n{'r' * 65},2125550143,,\n")
    assert "at most 64" in result.rejected[0].reason


def test_formula_looking_cells_are_kept_flagged_and_escaped_on_export() -> None:
    result = parse(
        'phone,name,note\n2125550143,=HYPERLINK("http://x"),@SUM(A1)\n2125550144,Bob,-\n',
        LeadColumns(phones=("phone",)),
    )
    assert result.rows[0].fields["name"] == '=HYPERLINK("http://x")'
    assert result.rows[0].formula_fields == ("name", "note")
    assert result.rows[1].formula_fields == ("note",)
    assert "2 row(s) have cells starting with" in result.warnings[-1].message
    assert escape_formula("=1+1") == "'=1+1" and escape_formula("Ann") == "Ann"
    assert looks_like_formula("+44") and not looks_like_formula("44")


def test_rows_already_split_into_cells() -> None:
    result = parse_lead_rows(
        [["phone", "name"], ["2125550143", "Ann"], ["", ""], ["x", "Bob"]],
        LeadColumns(phones=("phone",)),
        "US",
    )
    assert lines_of(result) == ([2], [4])
    assert result.blank_lines == 1


def test_national_numbers_follow_the_default_region() -> None:
    columns = LeadColumns(phones=("phone",))
    assert parse("phone\n013812345678\n", columns, region="CN").rows[0].phones == (
        "+8613812345678",
    )
    assert parse("phone\n020 7946 0958\n", columns, region="GB").rows[0].phones == (
        "+442079460958",
    )


def test_column_letters_as_spreadsheets_name_them() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]
    (row,) = parse("phone,,x\n2125550143,v,w\n", LeadColumns(phones=("phone",))).rows
    assert dict(row.fields) == {"column B": "v", "x": "w"}


def test_read_csv_reports_records_with_spreadsheet_lines() -> None:
    records = read_csv('a,b\n1,"2\n3"\n\n4,5\n')
    assert [line for line, _ in records.records] == [1, 2, 3, 4]
    assert records.records[1][1] == ("1", "2\n3")


def test_phone_lists_with_or_without_a_header() -> None:
    plain = parse_phone_list("2125550143\n(212) 555-0143\n\nnot a number\n+442079460958\n", "US")
    assert [e.phone_e164 for e in plain.entries] == ["+12125550143", "+442079460958"]
    assert plain.repeated == 1
    assert [(r.line, r.reason) for r in plain.rejected] == [
        (4, "'not a number' is not a phone number: it has no digits")
    ]
    headed = parse_phone_list("Name,Number,Reason\nAnn,2125550143,asked twice\nBob,,\n", "US")
    assert [(e.line, e.phone_e164, e.reason) for e in headed.entries] == [
        (2, "+12125550143", "asked twice")
    ]
    assert [r.line for r in headed.rejected] == [3]


# --- no row lost -------------------------------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(
        ["2125550143", "+44 7911 123456", "(212) 555-0199", "12", "", " ", "=1+1", "A", "A"]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
)
ROW = st.lists(CELL, min_size=1, max_size=5)


@settings(max_examples=150)
@given(rows=st.lists(ROW, max_size=25), delimiter=st.sampled_from([",", ";", "\t"]))
def test_every_row_is_imported_or_rejected_never_both_never_neither(
    rows: list[list[str]], delimiter: str
) -> None:
    header = ["id", "phone", "mobile", "tz"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)  # \r\n line ends, as Excel writes
    writer.writerow(header)
    writer.writerows(rows)
    result = parse(buffer.getvalue())
    imported, rejected = lines_of(result)
    expected = [n for n, row in enumerate(rows, start=2) if any(cell.strip() for cell in row)]
    assert not set(imported) & set(rejected)
    assert sorted(imported + rejected) == expected
    assert result.blank_lines == len(rows) - len(expected)
    seen: set[str] = set()
    for row in result.rows:  # imported numbers are E.164 and never shared between leads
        assert row.phones and all(p.startswith("+") and 8 <= len(p) <= 16 for p in row.phones)
        assert not seen & set(row.phones)
        seen.update(row.phones)
