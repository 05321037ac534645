"""Property tests of the AGI codec against hostile, malformed and arbitrary wire traffic.

Asterisk's side is modelled from res_agi.c (Asterisk 22): ``run_agi()`` reads each command with
``fgets()`` into a 2048-byte buffer and ``parse_args()`` splits it into words (space/tab separate,
``"`` quotes, ``\\`` escapes the next character, at most 127 words).
"""

from __future__ import annotations

import itertools
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from asterisk_cc.agi.protocol import (
    MAX_COMMAND_LINE_BYTES,
    MAX_LINE_BYTES,
    AgiEvent,
    AgiParser,
    AgiProtocolError,
    AgiReply,
    HangupNotice,
    format_command,
    parse_reply,
)

FUZZ = settings(max_examples=300, deadline=None)

# --- Asterisk's side of the wire (res_agi.c) -------------------------------------------------

AGI_BUF_LEN = 2048
MAX_ARGS = 128


def asterisk_reads_lines(stream: bytes) -> list[bytes]:
    """Cut a byte stream into the command buffers ``run_agi()`` hands to ``parse_args()``.

    ``fgets(buf, 2048)`` stops after a newline or after 2047 bytes, whichever comes first, so a
    longer line becomes two commands; the trailing newline is removed and ``strlen()`` stops at
    the first NUL.
    """
    lines = []
    while stream:
        newline = stream.find(b"\n", 0, AGI_BUF_LEN - 1)
        cut = newline + 1 if newline >= 0 else min(len(stream), AGI_BUF_LEN - 1)
        chunk, stream = stream[:cut], stream[cut:]
        lines.append(chunk.removesuffix(b"\n").split(b"\0", 1)[0])
    return lines


def asterisk_parse_args(line: bytes) -> list[bytes]:
    """``parse_args()`` of res_agi.c, statement for statement."""
    argv: list[bytearray] = []
    quoted = escaped = False
    whitespace = True
    for char in line:
        if char == ord('"') and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                argv.append(bytearray())
                whitespace = False
            continue
        if char in b" \t" and not quoted and not escaped:
            whitespace = True
            continue
        if char == ord("\\") and not escaped:
            escaped = True
            continue
        if whitespace:
            if len(argv) >= MAX_ARGS - 1:
                continue  # "Too many arguments, truncating"
            argv.append(bytearray())
            whitespace = False
        argv[-1].append(char)
        escaped = False
    return [bytes(word) for word in argv]


def asterisk_reads_commands(stream: bytes) -> list[list[bytes]]:
    return [asterisk_parse_args(line) for line in asterisk_reads_lines(stream)]


def test_the_model_of_asterisk_matches_its_known_behaviour() -> None:
    assert asterisk_reads_commands(b'STREAM FILE hello-world ""\n') == [
        [b"STREAM", b"FILE", b"hello-world", b""]
    ]
    assert asterisk_reads_commands(b'EXEC Dial "PJSIP/100,20"\n') == [
        [b"EXEC", b"Dial", b"PJSIP/100,20"]
    ]
    assert asterisk_reads_commands(b'SET VARIABLE X "a \\"b\\" c\\\\"\n') == [
        [b"SET", b"VARIABLE", b"X", b'a "b" c\\']
    ]
    # The flaw format_command guards against: 2047 bytes, then the rest is a second command.
    long_line = b"VERBOSE " + b"x" * (AGI_BUF_LEN - 1 - 8) + b" EXEC System reboot\n"
    assert asterisk_reads_commands(long_line)[1] == [b"EXEC", b"System", b"reboot"]


# --- Arbitrary bytes in arbitrary splits -----------------------------------------------------


class FeedTookTooLong(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt a feed that does not return (an endless loop) instead of hanging the run."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise FeedTookTooLong

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


VALID_ENVIRONMENT = (
    b"agi_network: yes\nagi_network_script: ivr?lang=en\n"
    b"agi_uniqueid: 1795354767.1\nagi_callerid: 5551234\n\n"
)

WIRE_PIECES = [
    b"\n",
    b"\r\n",
    b"\n\n",
    b"HANGUP\n",
    b"200 result=0\n",
    b"200 result=1 (bar baz) endpos=3520\n",
    b"200 result=-1 (hangup) endpos=",
    b"510 Invalid or unknown command\n",
    b"511 Command Not Permitted on a dead channel or intercept routine\n",
    b"520-Invalid command syntax.  Proper usage follows:\n",
    b"520 End of proper usage.\n",
    b"agi_callerid: 5551234\n",
    b"agi_",
    b": ",
    b"(",
    b")",
    b" endpos=",
    "²²² result=1\n".encode(),
    "٢٠٠ result=1\n".encode(),
    "张伟".encode(),
    b"\xff\xfe",
    b"\x00",
    b"9" * 5000,
    b"GET / HTTP/1.1\r\n",
]

wire_bytes = st.tuples(
    st.sampled_from([b"", VALID_ENVIRONMENT]),
    st.lists(st.one_of(st.binary(max_size=24), st.sampled_from(WIRE_PIECES)), max_size=24),
).map(lambda parts: parts[0] + b"".join(parts[1]))

cut_points = st.lists(st.integers(min_value=0, max_value=1 << 16), max_size=16)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    positions = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(positions)]


def drain(parser: AgiParser) -> list[AgiEvent]:
    events = []
    while (event := parser.next_event()) is not None:
        events.append(event)
    return events


Outcome = tuple[dict[str, str] | None, list[AgiEvent], bool]


def parse_in_chunks(chunks: list[bytes], max_line_bytes: int) -> Outcome:
    """Feed chunk by chunk as a connection would, stopping at the first protocol error."""
    parser = AgiParser(max_line_bytes=max_line_bytes)
    failed = False
    for chunk in chunks:
        try:
            with time_limit(2.0):
                parser.feed(chunk)
        except AgiProtocolError:
            failed = True
            break
    return parser.environment, drain(parser), failed


@FUZZ
@given(
    data=st.one_of(wire_bytes, st.binary(max_size=512)),
    cuts=cut_points,
    max_line_bytes=st.sampled_from([8, 64, MAX_LINE_BYTES]),
)
@example(
    data=VALID_ENVIRONMENT + b"200 result=1 endpos=" + b"9" * 5000 + b"\n",
    cuts=[],
    max_line_bytes=MAX_LINE_BYTES,
)
@example(
    data=VALID_ENVIRONMENT + "²²² result=1\n".encode(), cuts=[3], max_line_bytes=MAX_LINE_BYTES
)
def test_arbitrary_bytes_in_any_split_give_one_outcome_or_the_protocol_error(
    data: bytes, cuts: list[int], max_line_bytes: int
) -> None:
    # Anything other than AgiProtocolError (or a hang) escapes and fails the test.
    whole = parse_in_chunks([data], max_line_bytes)
    assert parse_in_chunks(split(data, cuts), max_line_bytes) == whole
    if len(data) <= 1024:
        assert parse_in_chunks([bytes([b]) for b in data], max_line_bytes) == whole


def test_an_endless_line_is_refused_once_it_passes_the_cap() -> None:
    parser = AgiParser()
    parser.feed(VALID_ENVIRONMENT)
    chunk = b"x" * 4096
    for _ in range(MAX_LINE_BYTES // len(chunk)):
        parser.feed(chunk)
    with pytest.raises(AgiProtocolError, match="longer than"):
        parser.feed(b"x")
    with pytest.raises(AgiProtocolError):
        parser.feed(b"\n200 result=0\n")  # stays refused: the connection is no longer AGI


# --- A valid environment round-trips ---------------------------------------------------------

# What Asterisk can put in a value: any printable text (no line break, no control character).
value_characters = st.characters(exclude_categories=("Cc", "Cs"))
HOSTILE_SNIPPETS = [
    '"',
    "'",
    "|",
    ")",
    "(",
    "${EXTEN}",
    "$[1+1]",
    "\\",
    " ",
    ":",
    ": ",
    "agi_x: y",
    "张伟",
    "Zoë",
    "😀",
    "HANGUP",
    "200 result=1",
]
env_values = st.lists(
    st.one_of(st.sampled_from(HOSTILE_SNIPPETS), st.text(value_characters, max_size=8)),
    max_size=8,
).map("".join)
env_keys = st.from_regex(r"agi_[a-z0-9_]{1,16}", fullmatch=True)


@FUZZ
@given(env=st.dictionaries(env_keys, env_values, min_size=1, max_size=12), cuts=cut_points)
@example(
    env={
        "agi_callerid": '"Bob" <100>',
        "agi_calleridname": '张伟 ) | ${EXTEN} "x"\\',
        "agi_accountcode": "",
        "agi_arg_1": " spaced out ",
    },
    cuts=[1, 2, 3],
)
def test_every_environment_value_round_trips(env: dict[str, str], cuts: list[int]) -> None:
    wire = "".join(f"{key}: {value}\n" for key, value in env.items()).encode() + b"\n"
    parser = AgiParser()
    for chunk in split(wire, cuts):
        assert parser.environment is None
        parser.feed(chunk)
    assert parser.environment == env
    assert parser.next_event() is None


# --- Replies, HANGUP notices and usage blocks ------------------------------------------------

reply_data = st.lists(
    st.one_of(
        st.sampled_from([")", "(", ") endpos=12", " ", "(timeout)", "张伟", "${X}"]),
        st.text(value_characters, max_size=6),
    ),
    max_size=6,
).map("".join)

success_replies = st.builds(
    lambda result, data, endpos: ("reply", result, data, endpos),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.none() | reply_data,
    st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
usage_blocks = st.builds(
    lambda lines: ("usage", lines),
    st.lists(
        st.text(value_characters, max_size=30).filter(lambda line: not line.startswith("520 ")),
        max_size=5,
    ),
)
# HANGUP comes between replies; Asterisk writes a usage block in one go, so never inside one.
replies = st.lists(
    st.one_of(success_replies, usage_blocks, st.just(("hangup",))), min_size=1, max_size=12
)


def render(item: tuple[object, ...]) -> tuple[list[str], AgiEvent]:
    """The wire lines of one item and the event it must parse to."""
    if item[0] == "hangup":
        return ["HANGUP"], HangupNotice()
    if item[0] == "usage":
        lines = [
            "520-Invalid command syntax.  Proper usage follows:",
            *item[1],
            "520 End of proper usage.",
        ]
        return lines, AgiReply(520, "", text="\n".join(lines))
    _, result, data, endpos = item
    line = f"200 result={result}"
    if data is not None:
        line += f" ({data})"
    if endpos is not None:
        line += f" endpos={endpos}"
    return [line], AgiReply(200, str(result), data, endpos, text=line)


@FUZZ
@given(items=replies, cuts=cut_points, crlf=st.booleans())
@example(items=[("reply", 1, "a) endpos=5", None), ("reply", 0, "x) (y", 7)], cuts=[], crlf=False)
def test_replies_notices_and_usage_blocks_parse_to_their_fields(
    items: list[tuple[object, ...]], cuts: list[int], crlf: bool
) -> None:
    rendered = [render(item) for item in items]
    newline = "\r\n" if crlf else "\n"
    wire = VALID_ENVIRONMENT + "".join(
        line + newline for lines, _ in rendered for line in lines
    ).encode("utf-8")
    parser = AgiParser()
    events: list[AgiEvent] = []
    for chunk in split(wire, cuts):
        parser.feed(chunk)
        events += drain(parser)
    assert events == [event for _, event in rendered]
    for event in events:
        if isinstance(event, AgiReply) and event.code == 200:
            assert parse_reply(event.text) == event


def test_a_usage_block_is_one_reply_only_once_it_ends() -> None:
    parser = AgiParser()
    parser.feed(VALID_ENVIRONMENT + b"520-Invalid command syntax.  Proper usage follows:\n")
    parser.feed(b"200 result=1\nHANGUP\n")  # usage text that looks like replies is still usage
    assert parser.next_event() is None
    parser.feed(b"520 End of proper usage.\n200 result=0\n")
    usage = parser.next_event()
    assert isinstance(usage, AgiReply) and usage.code == 520 and "HANGUP" in usage.text
    assert parser.next_event() == parse_reply("200 result=0")


# --- Commands: caller text can never become a second command or extra words ------------------

argument_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.lists(
        st.sampled_from(
            [
                '"',
                "\\",
                "\\\\",
                '\\"',
                " ",
                "\t",
                "\n",
                "\r",
                "\0",
                ")",
                "|",
                "${EXTEN}",
                "张伟",
                "EXEC System reboot",
                "x",
            ]
        ),
        max_size=12,
    ).map("".join),
    # Long enough to reach Asterisk's 2047-byte line buffer.
    st.builds(lambda text, times: text * times, st.text(max_size=12), st.integers(1, 400)),
)


@FUZZ
@given(
    verb=st.sampled_from(["SET VARIABLE X", "VERBOSE", "EXEC Dial", "STREAM FILE"]),
    arguments=st.lists(argument_text, max_size=5),
)
@example(verb="SET VARIABLE X", arguments=["x" * 2030 + " EXEC System reboot"])
@example(verb="SET VARIABLE X", arguments=['"; EXEC System reboot; "\\'])
def test_a_command_is_one_line_that_asterisk_splits_back_into_the_same_words(
    verb: str, arguments: list[str]
) -> None:
    words = [*verb.split(), *arguments]
    encoded = [word.encode("utf-8") for word in words]
    line_break = any(ch in word for word in words for ch in "\n\r\0")
    # The longest possible quoting: every byte escaped, quotes around, a separator after.
    longest = sum(2 * len(word) + 3 for word in encoded)
    try:
        line = format_command(*words)
    except ValueError:
        # Refused only for a line break or NUL, or for a line that may not fit Asterisk's buffer.
        assert line_break or longest > MAX_COMMAND_LINE_BYTES
        return
    assert not line_break
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert len(line) <= MAX_COMMAND_LINE_BYTES
    assert asterisk_reads_commands(line) == [encoded]


def test_a_line_that_asterisk_would_cut_in_two_is_refused() -> None:
    smuggled = "x" * 2100 + " EXEC System reboot"
    with pytest.raises(ValueError, match="at most 2047 bytes"):
        format_command("SET", "VARIABLE", "CALLERNAME", smuggled)
    fits = "x" * (MAX_COMMAND_LINE_BYTES - len("VERBOSE \n"))
    assert asterisk_reads_commands(format_command("VERBOSE", fits)) == [[b"VERBOSE", fits.encode()]]


def test_more_words_than_asterisk_keeps_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 127 words"):
        format_command("EXEC", *["a"] * 127)
    assert len(asterisk_parse_args(format_command("EXEC", *["a"] * 126))) == 127
