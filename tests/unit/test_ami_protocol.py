"""The AMI codec on transcripts as Asterisk 22 writes them."""

from __future__ import annotations

import pytest

from asterisk_cc.ami.protocol import AmiParser, AmiProtocolError, format_action

TRANSCRIPT = (
    b"Asterisk Call Manager/11.0.0\r\n"
    b"Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n"
    b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"
    b"Response: Success\r\nActionID: c1\r\nMessage: Command output follows\r\n"
    b"Output: line one\r\nOutput: line two\r\n\r\n"
)


def test_banner_responses_and_events_in_any_chunking() -> None:
    for size in (1, 5, 64, len(TRANSCRIPT)):
        parser = AmiParser()
        for i in range(0, len(TRANSCRIPT), size):
            parser.feed(TRANSCRIPT[i : i + size])
        assert parser.banner == "Asterisk Call Manager/11.0.0"
        login, booted, command = parser.messages()
        assert login.is_response and login.get("actionid") == "l1"
        assert booted.is_event and booted.get("Status") == "Fully Booted"
        assert command.get_all("Output") == ["line one", "line two"]


def test_not_ami() -> None:
    with pytest.raises(AmiProtocolError):
        AmiParser().feed(b"SSH-2.0-OpenSSH\r\n")


def test_format_action() -> None:
    assert format_action(
        "QueuePause", "a1", [("Interface", "Local/1@agents/n"), ("Paused", "true")]
    ) == (
        b"Action: QueuePause\r\nActionID: a1\r\nInterface: Local/1@agents/n\r\nPaused: true\r\n\r\n"
    )


def test_line_break_in_value_cannot_inject_an_action() -> None:
    with pytest.raises(AmiProtocolError, match="line break"):
        format_action("QueueLog", "a2", [("Message", "hi\r\n\r\nAction: Originate")])
