"""The AGI codec on byte transcripts as Debian's Asterisk 22.10 writes them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.agi.protocol import (
    AgiParser,
    AgiProtocolError,
    AgiReply,
    HangupNotice,
    format_command,
    parse_reply,
)

ENVIRONMENT = (
    b"agi_network: yes\n"
    b"agi_network_script: demo?lang=en\n"
    b"agi_request: agi://127.0.0.1:14573/demo?lang=en\n"
    b"agi_channel: Local/s@ivr-00000000;2\n"
    b"agi_uniqueid: 1795354767.1\n"
    b"agi_callerid: unknown\n"
    b"agi_accountcode: \n"
    b"agi_arg_1: first arg\n"
    b"\n"
)


def test_environment_split_across_reads() -> None:
    parser = AgiParser()
    for i in range(0, len(ENVIRONMENT), 7):
        assert parser.environment is None
        parser.feed(ENVIRONMENT[i : i + 7])
    assert parser.environment is not None
    assert parser.environment["agi_network_script"] == "demo?lang=en"
    assert parser.environment["agi_arg_1"] == "first arg"
    assert parser.environment["agi_accountcode"] == ""


def test_garbage_instead_of_environment_is_rejected() -> None:
    with pytest.raises(AgiProtocolError):
        AgiParser().feed(b"GET / HTTP/1.1\r\n")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=0 endpos=3520", AgiReply(200, "0", None, 3520)),
        ("200 result=56 endpos=5600", AgiReply(200, "56", None, 5600)),
        ("200 result=12 (timeout)", AgiReply(200, "12", "timeout", None)),
        ("200 result=", AgiReply(200, "", None, None)),
        ("200 result=1 (bar baz)", AgiReply(200, "1", "bar baz", None)),
        ("200 result=-1 (hangup) endpos=800", AgiReply(200, "-1", "hangup", 800)),
        ("510 Invalid or unknown command", AgiReply(510, "", None, None)),
    ],
)
def test_replies(line: str, expected: AgiReply) -> None:
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.endpos) == (
        expected.code,
        expected.result,
        expected.data,
        expected.endpos,
    )


def test_wait_for_digit_returns_ascii_codes() -> None:
    assert parse_reply("200 result=49").digit() == "1"
    assert parse_reply("200 result=35").digit() == "#"
    assert parse_reply("200 result=42").digit() == "*"
    assert parse_reply("200 result=0").digit() is None


def test_hangup_line_between_replies_is_a_notice() -> None:
    parser = AgiParser()
    parser.feed(
        ENVIRONMENT
        + b"200 result=-1\nHANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n"
    )
    assert parser.next_event() == parse_reply("200 result=-1")
    assert isinstance(parser.next_event(), HangupNotice)
    reply = parser.next_event()
    assert isinstance(reply, AgiReply) and reply.code == 511
    assert parser.next_event() is None


def test_usage_reply_spans_lines_until_520_end() -> None:
    parser = AgiParser()
    parser.feed(
        ENVIRONMENT + b"520-Invalid command syntax.  Proper usage follows:\n<usage>x</usage>\n"
    )
    assert parser.next_event() is None
    parser.feed(b"520 End of proper usage.\n")
    reply = parser.next_event()
    assert isinstance(reply, AgiReply) and reply.code == 520 and "<usage>x</usage>" in reply.text


def test_command_quoting() -> None:
    assert format_command("STREAM", "FILE", "hello-world", "") == b'STREAM FILE hello-world ""\n'
    assert format_command("SET", "VARIABLE", "X", 'a "b" c') == b'SET VARIABLE X "a \\"b\\" c"\n'


@pytest.mark.parametrize("evil", ["1\nHANGUP", "x\r\nEXEC System rm", "a\0b"])
def test_caller_text_cannot_start_a_second_command(evil: str) -> None:
    with pytest.raises(ValueError, match="line break or NUL"):
        format_command("SET", "VARIABLE", "CALLERNAME", evil)


@given(
    st.text(
        alphabet=st.characters(exclude_characters="\r\n\0", exclude_categories=("Cs",)), max_size=40
    )
)
def test_quoted_argument_is_one_shell_like_word(value: str) -> None:
    line = format_command("VERBOSE", value).decode()
    assert line.endswith("\n") and line.count("\n") == 1
    body = line[len("VERBOSE ") : -1]
    # Undo Asterisk-style quoting and get the value back.
    if body.startswith('"'):
        assert body.endswith('"')
        unquoted = body[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    else:
        unquoted = body
    assert unquoted == value
