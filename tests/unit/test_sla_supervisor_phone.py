"""The supervisor's phone endpoint: only a plain TECH/resource reaches the controller."""

from __future__ import annotations

import pytest

from asterisk_cc.core.supervisor_phone import InvalidEndpoint, check_endpoint


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("PJSIP/2001", "PJSIP/2001"),
        ("  pjsip/2001 ", "PJSIP/2001"),
        ("SIP/supervisor-1", "SIP/supervisor-1"),
        ("IAX2/boss", "IAX2/boss"),
        (
            "Local/answer-0-300@asterisk-cc-sandbox-agents/n",
            "Local/answer-0-300@asterisk-cc-sandbox-agents/n",
        ),
        ("PJSIP/2001/sip:2001@10.0.0.5:5060", "PJSIP/2001/sip:2001@10.0.0.5:5060"),
        ("DAHDI/g1", "DAHDI/g1"),
    ],
)
def test_plain_endpoints_are_accepted(given: str, expected: str) -> None:
    assert check_endpoint(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "PJSIP/2001&Local/x",
        "PJSIP/2001)",
        "PJSIP/2001,t",
        "PJSIP/${EXTEN}",
        "PJSIP/2001;x",
        "PJSIP/20 01",
        'PJSIP/"2001"',
        "PJSIP/",
        "/2001",
        "2001",
        "PJSIP/2001/a/b",
        "PJSIP/2001\nAction: Originate",
        "PJSIP/2001/sip:x|y",
    ],
)
def test_anything_else_is_refused(given: str) -> None:
    with pytest.raises(InvalidEndpoint, match="not a phone endpoint"):
        check_endpoint(given)


def test_an_unknown_technology_is_named() -> None:
    with pytest.raises(InvalidEndpoint, match="'Console' is not a phone technology"):
        check_endpoint("Console/dsp")


def test_empty_and_overlong_endpoints_are_refused() -> None:
    with pytest.raises(InvalidEndpoint, match="no phone given"):
        check_endpoint("   ")
    with pytest.raises(InvalidEndpoint, match="longer than 128"):
        check_endpoint("PJSIP/" + "1" * 130)
