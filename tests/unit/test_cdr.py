"""Call detail records as Asterisk 22 writes them: the real Master.csv rows of the reference,
hand-made rows for every column layout and every disposition, the database form, the hash that
keeps a record from being stored twice, and every way a record can be broken."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.reports.cdr import (
    DISPOSITIONS,
    LAYOUTS,
    CdrLineError,
    CdrRow,
    cdr_from_row,
    parse_cdr_line,
)

# Written by Debian's Asterisk 22.10 (cdr.conf [csv] usegmtime, loguniqueid, loguserfield = yes).
REAL_ANSWERED = (
    '"","","answered","cdrtest",""""" <>","Local/answered@cdrtest-0000000d;2",'
    '"Local/agent1@agents-0000000e;1","Dial","Local/agent1@agents,10","2026-11-22 13:42:03",'
    '"2026-11-22 13:42:03","2026-11-22 13:42:04",1,1,"ANSWERED","DOCUMENTATION",'
    '"1795354923.27",""'
)
REAL_NO_ANSWER = (
    '"","","noanswer","cdrtest",""""" <>","Local/noanswer@cdrtest-0000000f;2",'
    '"Local/noanswer@agents-00000010;1","Dial","Local/noanswer@agents,3","2026-11-22 13:42:03",,'
    '"2026-11-22 13:42:06",3,0,"NO ANSWER","DOCUMENTATION","1795354923.31",""'
)
BASE = (
    '"acct-7","5551234","200","from-pstn","""Ann Lee"" <5551234>","PJSIP/trunk-00000001",'
    '"PJSIP/200-00000002","Dial","PJSIP/200,30,tT","2026-11-22 09:00:00","2026-11-22 09:00:05",'
    '"2026-11-22 09:01:05",65,60,"ANSWERED","BILLING"'
)
AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def utc(hour: int, minute: int, second: int) -> datetime:
    return datetime(2026, 11, 22, hour, minute, second, tzinfo=UTC)


def test_the_real_rows_of_asterisk_22_are_read() -> None:
    answered = parse_cdr_line(REAL_ANSWERED, 1)
    assert answered == CdrRow(
        accountcode="",
        src="",
        dst="answered",
        dcontext="cdrtest",
        clid='"" <>',  # the doubled quotes are one quote each
        channel="Local/answered@cdrtest-0000000d;2",
        dstchannel="Local/agent1@agents-0000000e;1",
        lastapp="Dial",
        lastdata="Local/agent1@agents,10",  # a comma inside quotes is text
        start_at=utc(13, 42, 3),
        answer_at=utc(13, 42, 3),
        end_at=utc(13, 42, 4),
        duration_s=1,
        billsec_s=1,
        disposition="ANSWERED",
        amaflags="DOCUMENTATION",
        uniqueid="1795354923.27",
        userfield="",
    )
    assert answered.answered and answered.linkedid is None and answered.sequence is None
    no_answer = parse_cdr_line(REAL_NO_ANSWER, 2)
    # The empty unquoted answer field: never answered.
    assert no_answer.answer_at is None and not no_answer.answered
    assert (no_answer.duration_s, no_answer.billsec_s) == (3, 0)
    assert (no_answer.disposition, no_answer.uniqueid) == ("NO ANSWER", "1795354923.31")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", {}),
        (',"1795354923.27"', {"uniqueid": "1795354923.27"}),
        (',"1795354923.27","vip"', {"uniqueid": "1795354923.27", "userfield": "vip"}),
        (
            ',"peer-1","1795354923.20",4',
            {"peeraccount": "peer-1", "linkedid": "1795354923.20", "sequence": 4},
        ),
        (
            ',"1795354923.27","peer-1","1795354923.20",4',
            {
                "uniqueid": "1795354923.27",
                "peeraccount": "peer-1",
                "linkedid": "1795354923.20",
                "sequence": 4,
            },
        ),
        (
            ',"1795354923.27","vip","peer-1","1795354923.20",4',
            {
                "uniqueid": "1795354923.27",
                "userfield": "vip",
                "peeraccount": "peer-1",
                "linkedid": "1795354923.20",
                "sequence": 4,
            },
        ),
    ],
    ids=["16-defaults", "17-uniqueid", "18-debian", "19-newcdrcolumns", "20", "21-all"],
)
def test_every_column_layout_is_mapped_by_its_count(
    extra: str, expected: dict[str, object]
) -> None:
    row = parse_cdr_line(BASE + extra, 1)
    assert len(LAYOUTS) == 6
    assert (row.accountcode, row.src, row.dst, row.dcontext) == (
        "acct-7",
        "5551234",
        "200",
        "from-pstn",
    )
    assert row.clid == '"Ann Lee" <5551234>'
    assert (row.channel, row.dstchannel, row.lastapp, row.lastdata) == (
        "PJSIP/trunk-00000001",
        "PJSIP/200-00000002",
        "Dial",
        "PJSIP/200,30,tT",
    )
    assert (row.start_at, row.answer_at, row.end_at) == (AT, utc(9, 0, 5), utc(9, 1, 5))
    assert (row.duration_s, row.billsec_s, row.disposition, row.amaflags) == (
        65,
        60,
        "ANSWERED",
        "BILLING",
    )
    optional = ("uniqueid", "userfield", "peeraccount", "linkedid", "sequence")
    assert {name: getattr(row, name) for name in optional} == {
        name: expected.get(name) for name in optional
    }


@pytest.mark.parametrize(
    ("disposition", "answer", "billsec"),
    [
        ("ANSWERED", '"2026-11-22 09:00:05"', 60),
        ("NO ANSWER", "", 0),
        ("BUSY", "", 0),
        ("FAILED", "", 0),
        ("CONGESTION", "", 0),  # cdr.conf congestion=yes
        ("CANCEL", "", 0),  # cdr.conf canceldispositionenabled=yes
    ],
)
def test_every_disposition(disposition: str, answer: str, billsec: int) -> None:
    line = (
        f'"","5551234","200","from-pstn","","PJSIP/trunk-00000001","PJSIP/200-00000002","Dial",'
        f'"PJSIP/200","2026-11-22 09:00:00",{answer},"2026-11-22 09:01:05",65,{billsec},'
        f'"{disposition}","DOCUMENTATION","1795354923.27",""'
    )
    row = parse_cdr_line(line, 1)
    assert row.disposition == disposition
    assert row.answered == (disposition == "ANSWERED")
    assert (row.answer_at is None) == (disposition != "ANSWERED")
    assert disposition in DISPOSITIONS


def test_local_times_are_read_in_the_files_zone() -> None:
    """usegmtime=no: the host's local time, here China Standard Time (UTC+8)."""
    row = parse_cdr_line(BASE, 1, ZoneInfo("Asia/Shanghai"))
    assert row.start_at == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert row.end_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (BASE[: BASE.rindex(",")], "15 columns, but Master.csv rows have 16, 17, 18, 19, 20, 21"),
        (BASE + ',"a","b","c","d","e","f"', "22 columns"),
        ("", "0 columns"),
        ('"acct-7","5551234,"200"', "not a CSV record"),
        (BASE.replace('"2026-11-22 09:00:00"', '"22/11/2026 09:00"'), "the start time"),
        (BASE.replace('"2026-11-22 09:00:00"', '"2026-02-30 09:00:00"'), "not a real date"),
        (BASE.replace('"2026-11-22 09:00:00"', ""), "the start time is empty"),
        (BASE.replace('"2026-11-22 09:01:05"', ""), "the end time is empty"),
        (BASE.replace(",65,60,", ",sixty,60,"), "the duration 'sixty' is not a whole number"),
        (BASE.replace(",65,60,", ",65,1.5,"), "the billsec '1.5' is not a whole number"),
        (BASE.replace(",65,60,", ",65,-1,"), "the billsec '-1' is not a whole number"),
        (
            BASE.replace('"2026-11-22 09:00:05"', '"2026-11-22 08:59:00"'),
            "the answer time is before the start",
        ),
        (
            BASE.replace('"2026-11-22 09:00:05"', '"2026-11-22 09:02:00"'),
            "the answer time is after the end",
        ),
        (
            BASE.replace('"2026-11-22 09:01:05"', '"2026-11-22 08:00:00"'),
            "the end time is before the start",
        ),
        (BASE.replace('"ANSWERED"', '"HUNG UP"'), "'HUNG UP' is not a disposition"),
        (BASE.replace('"ANSWERED"', '""'), "the disposition is empty"),
        (BASE + ',"' + "1" * 151 + '"', "the uniqueid is longer than 150 characters"),
        (BASE + ',"1.2","",  "peer","1.1",x', "the sequence 'x' is not a whole number"),
    ],
)
def test_broken_records_are_refused_with_their_line_and_reason(line: str, reason: str) -> None:
    with pytest.raises(CdrLineError) as refused:
        parse_cdr_line(line, 42)
    assert refused.value.line_number == 42
    assert reason in refused.value.reason
    assert str(refused.value).startswith("CDR line 42: ")


def test_a_long_broken_record_is_quoted_shortened() -> None:
    with pytest.raises(CdrLineError) as refused:
        parse_cdr_line("x" * 1000, 3)
    assert refused.value.text.endswith("...") and len(refused.value.text) < 200


# --- the database form --------------------------------------------------------------------------


def table_row(**changes: object) -> dict[str, object]:
    """A row of Asterisk's alembic ``cdr`` table as a driver returns it."""
    row: dict[str, object] = {
        "accountcode": "acct-7",
        "src": "5551234",
        "dst": "200",
        "dcontext": "from-pstn",
        "clid": '"Ann Lee" <5551234>',
        "channel": "PJSIP/trunk-00000001",
        "dstchannel": "PJSIP/200-00000002",
        "lastapp": "Dial",
        "lastdata": "PJSIP/200,30,tT",
        "start": datetime(2026, 11, 22, 9, 0, 0),
        "answer": datetime(2026, 11, 22, 9, 0, 5),
        "end": datetime(2026, 11, 22, 9, 1, 5),
        "duration": 65,
        "billsec": 60,
        "disposition": "ANSWERED",
        "amaflags": "BILLING",
        "userfield": "vip",
        "uniqueid": "1795354923.27",
        "linkedid": "1795354923.20",
        "peeraccount": "peer-1",
        "sequence": 4,
    }
    row.update(changes)
    return row


def test_a_table_row_is_the_same_record_as_its_csv_line() -> None:
    from_file = parse_cdr_line(BASE + ',"1795354923.27","vip","peer-1","1795354923.20",4', 1)
    from_table = cdr_from_row(table_row(), UTC)
    assert from_table == from_file
    assert from_table.row_hash == from_file.row_hash


def test_table_rows_as_drivers_and_schemas_give_them() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    # Naive times are the zone's (cdr_adaptive_odbc without usegmtime); text times too.
    local = cdr_from_row(table_row(start="2026-11-22 09:00:00", answer=None), shanghai)
    assert local.start_at == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert local.end_at == datetime(2026, 11, 22, 1, 1, 5, tzinfo=UTC)
    assert local.answer_at is None
    # An aware time (a timestamptz column) is taken as it is.
    aware = cdr_from_row(
        table_row(start=datetime(2026, 11, 22, 0, 30, tzinfo=UTC), answer=None), shanghai
    )
    assert aware.start_at == datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    # Column names in capitals, integer disposition and amaflags columns, numeric durations.
    upper = {
        key.upper(): value
        for key, value in table_row(
            disposition=4, amaflags=3, duration=Decimal("65.4"), billsec=59.6
        ).items()
    }
    coded = cdr_from_row(upper, UTC)
    assert (coded.disposition, coded.amaflags) == ("BUSY", "DOCUMENTATION")
    assert (coded.duration_s, coded.billsec_s) == (65, 60)
    assert cdr_from_row(table_row(disposition="8", amaflags=None), UTC).disposition == "ANSWERED"
    # NULL text is empty text; a column the table lacks stays None.
    sparse = table_row(dstchannel=None, lastdata=None)
    del sparse["linkedid"], sparse["sequence"]
    row = cdr_from_row(sparse, UTC)
    assert (row.dstchannel, row.lastdata, row.linkedid, row.sequence) == ("", "", None, None)


def test_freepbx_table_with_calldate_and_no_answer_or_end_column() -> None:
    row = table_row(calldate=datetime(2026, 11, 22, 9, 0, 0))
    for key in ("start", "answer", "end"):
        del row[key]
    answered = cdr_from_row(row, UTC)
    assert (answered.start_at, answered.end_at) == (AT, utc(9, 1, 5))  # start + duration
    assert answered.answer_at == utc(9, 0, 5)  # end - billsec
    unanswered = cdr_from_row({**row, "billsec": 0, "disposition": "NO ANSWER"}, UTC)
    assert unanswered.answer_at is None


def test_a_broken_table_row_is_refused_with_its_number() -> None:
    with pytest.raises(CdrLineError) as refused:
        cdr_from_row(table_row(end=datetime(2026, 11, 22, 8, 0)), UTC, row_number=17)
    assert refused.value.line_number == 17
    assert refused.value.reason == "the end time is before the start"
    assert refused.value.text.startswith("uniqueid=1795354923.27 sequence=4 start=2026-11-22")
    with pytest.raises(CdrLineError, match="the start time is empty"):
        cdr_from_row(table_row(start=None), UTC)
    with pytest.raises(CdrLineError, match="the duration is empty"):
        cdr_from_row(table_row(duration=None), UTC)
    with pytest.raises(CdrLineError, match="not a whole number"):
        cdr_from_row(table_row(billsec=True), UTC)


# --- the hash -------------------------------------------------------------------------------


def test_the_hash_is_stable_and_tells_records_apart() -> None:
    row = parse_cdr_line(REAL_ANSWERED, 1)
    # Golden: the stored hashes of existing rows must not change between versions.
    assert row.row_hash == "6abb9a9a55fd205fb6ec2acef287a326ab590394abb2d47c42af397e6d575ae1"
    assert parse_cdr_line(REAL_ANSWERED, 99).row_hash == row.row_hash  # not the line number
    assert parse_cdr_line(REAL_NO_ANSWER, 1).row_hash != row.row_hash
    changed = REAL_ANSWERED.replace('"1795354923.27"', '"1795354923.28"')
    assert parse_cdr_line(changed, 1).row_hash != row.row_hash
    later = REAL_ANSWERED.replace('"2026-11-22 13:42:04",1,1', '"2026-11-22 13:42:05",2,2')
    assert parse_cdr_line(later, 1).row_hash != row.row_hash
    assert len(row.row_hash) == 64 and int(row.row_hash, 16) >= 0


# --- any record cdr_csv can write is read back ---------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\n"),
    max_size=40,
)
MOMENT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0)
)


def cdr_csv_line(values: list[str | int | None]) -> str:
    """A line as cdr_csv's build_csv_record writes it: strings quoted with quotes doubled,
    integers bare, an unset time an empty bare field."""
    fields = []
    for value in values:
        if value is None:
            fields.append("")
        elif isinstance(value, int):
            fields.append(str(value))
        else:
            fields.append('"' + value.replace('"', '""') + '"')
    return ",".join(fields)


@given(
    texts=st.lists(TEXT, min_size=9, max_size=9),
    start=MOMENT,
    answered_after_s=st.one_of(st.none(), st.integers(0, 3600)),
    talk_s=st.integers(0, 7200),
    disposition=st.sampled_from(sorted(DISPOSITIONS)),
    uniqueid=TEXT.filter(lambda text: len(text) <= 150),
    sequence=st.integers(0, 10**6),
)
def test_any_record_cdr_csv_writes_is_read_back(
    texts: list[str],
    start: datetime,
    answered_after_s: int | None,
    talk_s: int,
    disposition: str,
    uniqueid: str,
    sequence: int,
) -> None:
    answer = None if answered_after_s is None else start + timedelta(seconds=answered_after_s)
    end = (answer or start) + timedelta(seconds=talk_s)
    stamp = "%Y-%m-%d %H:%M:%S"
    values: list[str | int | None] = [
        *texts,
        start.strftime(stamp),
        None if answer is None else answer.strftime(stamp),
        end.strftime(stamp),
        int((end - start).total_seconds()),
        0 if answer is None else talk_s,
        disposition,
        "DOCUMENTATION",
        uniqueid,
        "",
        "",
        "1.1",
        sequence,
    ]
    row = parse_cdr_line(cdr_csv_line(values), 1)
    assert [
        row.accountcode,
        row.src,
        row.dst,
        row.dcontext,
        row.clid,
        row.channel,
        row.dstchannel,
        row.lastapp,
        row.lastdata,
    ] == texts
    assert row.start_at == start.replace(tzinfo=UTC)
    assert row.answer_at == (None if answer is None else answer.replace(tzinfo=UTC))
    assert (row.disposition, row.uniqueid, row.sequence) == (disposition, uniqueid, sequence)
    # What the csv module itself writes is read the same way.
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="").writerow(
        ["" if value is None else value for value in values]
    )
    assert parse_cdr_line(buffer.getvalue(), 1) == row
