"""queue_log lines as Asterisk 22.10 writes them (real lines from the sandbox), the realtime
table form, and every way a line can be broken."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.reports.queue_log import (
    KNOWN_EVENTS,
    QueueLogLineError,
    parse_line,
    record_from_row,
)

REAL_LINES = """\
1795354838|MANAGER|support|Local/agent2@agents/n|ADDMEMBER|
1795354839|NONE|support|Agent Two|PAUSE|Lunch
1795354840|NONE|NONE|Agent Two|UNPAUSEALL|
1795354840|NONE|support|Agent Two|UNPAUSE|
1795354843|1795354843.3|support|NONE|ENTERQUEUE||5551234|1
1795354843|1795354843.3|support|Agent One|CONNECT|0|1795354843.4|0
1795354846|1795354843.3|support|Agent One|COMPLETEAGENT|0|3|1
1795354881|1795354875.7|sales|Never Answers|RINGNOANSWER|5000
1795354882|1795354880.17|sales|NONE|EXITWITHKEY|5|2|2|2
1795354884|1795354875.7|sales|NONE|EXITWITHTIMEOUT|1|1|8
1795354894|NONE|support|Local/agent1@agents/n|PENALTY|3
1795354908|1795354907.25|emptyq|NONE|EXITEMPTY|1|1|0
1795354909|1795354906.21|sales|Never Answers|RINGCANCELED|2498
1795354909|1795354906.21|sales|NONE|ABANDON|1|1|2
1795355142|NONE|NONE|NONE|CONFIGRELOAD|
""".splitlines()


def test_every_real_line_of_asterisk_22_is_read() -> None:
    records = [parse_line(line, n) for n, line in enumerate(REAL_LINES, 1)]
    assert [r.event for r in records][:5] == [
        "ADDMEMBER",
        "PAUSE",
        "UNPAUSEALL",
        "UNPAUSE",
        "ENTERQUEUE",
    ]
    assert all(r.known for r in records)
    add, pause, _, unpause, enter, connect, complete, ringout, key, timeout = records[:10]
    assert add.data == () and unpause.data == () and pause.data == ("Lunch",)
    assert enter.at == datetime(2026, 11, 22, 13, 40, 43, tzinfo=UTC)  # epoch 1795354843
    assert (enter.callid, enter.queue, enter.agent) == ("1795354843.3", "support", "NONE")
    assert enter.data == ("", "5551234", "1")
    # CONNECT: hold 0 s, the member's channel, ring 0 s; COMPLETEAGENT: hold 0, talk 3 s.
    assert (connect.number(0), connect.data[1], connect.number(2)) == (0, "1795354843.4", 0)
    assert (complete.number(0), complete.number(1)) == (0, 3)
    # RINGNOANSWER counts milliseconds: the member rang 5 s.
    assert ringout.number(0) == 5000
    assert (key.data[0], key.number(3)) == ("5", 2)
    assert timeout.number(2) == 8
    assert records[-1].event == "CONFIGRELOAD" and records[-1].data == ()


def test_varying_field_counts_are_read_as_written() -> None:
    with_name = parse_line("1795354843|1.3|q|NONE|ENTERQUEUE|||1|", 1)
    assert with_name.data == ("", "", "1", "")  # log-caller-id-name=yes, empty name
    link = parse_line("1795354900|1.5|q|A|ATTENDEDTRANSFER|LINK|c1|c2|4|30|1", 2)
    bridge = parse_line("1795354900|1.5|q|A|ATTENDEDTRANSFER|BRIDGE|b1|4|30|1", 3)
    assert (len(link.data), len(bridge.data)) == (6, 5)
    custom = parse_line("1795354900|1.5|q|NONE|DID|4008001234", 4)
    assert not custom.known and custom.data == ("4008001234",)
    fractional = parse_line("1795354843.250|1.3|q|NONE|ENTERQUEUE||555|1", 5)
    assert fractional.at.microsecond == 250_000


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1795354843|1795354843.3|support", "fewer than 5 fields"),
        ("", "fewer than 5 fields"),
        ("yesterday|1.3|q|NONE|ENTERQUEUE||555|1", "not a Unix time"),
        ("1795354843|1.3|q|NONE|CONNECT|0|1.4", "CONNECT has 3 data fields, this line 2"),
        ("1795354846|1.3|q|A|COMPLETEAGENT|0|three|1", "field 2 is not a number"),
        ("1795354846|1.3|q|A|<script>|x", "not an event name"),
        ("1795354846|" + "x" * 65 + "|q|A|ABANDON|1|1|2", "callid is too long"),
        ("1795354846|1.3|q|A|PAUSE|" + "r" * 300, "data field is too long"),
    ],
)
def test_a_broken_line_is_refused_with_its_number_and_reason(line: str, reason: str) -> None:
    with pytest.raises(QueueLogLineError, match=reason) as refused:
        parse_line(line, 42)
    assert refused.value.line_number == 42
    assert "line 42" in str(refused.value)


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_never_crashes(text: str) -> None:
    line = text.replace("\n", " ")
    try:
        record = parse_line(line, 1)
    except QueueLogLineError as refused:
        assert refused.line_number == 1
    else:
        assert record.at.tzinfo is UTC


def test_the_realtime_table_form_reads_local_time_and_five_columns() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    record = record_from_row(
        time="2026-11-22 22:27:23.512000",
        callid="1795354843.3",
        queuename="support",
        agent="Agent One",
        event="COMPLETECALLER",
        data=["12", "95", "1", None, None],
        zone=shanghai,
        row_number=7,
    )
    assert record.at == datetime(2026, 11, 22, 14, 27, 23, 512000, tzinfo=UTC)
    assert record.data == ("12", "95", "1")
    # An event with no data: five empty columns.
    start = record_from_row(
        time=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
        callid="NONE",
        queuename="NONE",
        agent="NONE",
        event="QUEUESTART",
        data=["", "", "", "", ""],
        zone=shanghai,
        row_number=1,
    )
    assert start.data == () and start.at.hour == 8
    with pytest.raises(QueueLogLineError, match="line 3: the time is not a date and time"):
        record_from_row(
            time="not a time",
            callid="1.1",
            queuename="q",
            agent="NONE",
            event="ABANDON",
            data=["1", "1", "2", None, None],
            zone=shanghai,
            row_number=3,
        )


def test_every_known_event_names_a_sane_field_count() -> None:
    for event, (fewest, most) in KNOWN_EVENTS.items():
        assert 0 <= fewest <= most <= 6, event
