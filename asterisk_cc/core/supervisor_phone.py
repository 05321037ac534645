"""The phone a supervisor listens, whispers and barges from: a channel endpoint such as
``PJSIP/2001``, which the ARI controller calls.

The endpoint goes to Asterisk as the channel to originate, so it is held to the plain shape
``TECH/resource[/option]``: a known channel technology, then letters, digits and ``_ . + @ -``
(and ``:`` in the last part, for ``PJSIP/2001/sip:2001@10.0.0.5``). Anything that would let a
caller-supplied string reach further into the dialplan, such as ``&`` (a second device),
``,`` or ``)`` (more arguments), ``$`` and braces (expressions), ``;``, quotes or spaces, is
refused.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ENDPOINT_MAX_LENGTH", "PHONE_TECHNOLOGIES", "InvalidEndpoint", "check_endpoint"]

PHONE_TECHNOLOGIES: Final = ("PJSIP", "SIP", "IAX2", "DAHDI", "Local")
ENDPOINT_MAX_LENGTH: Final = 128
_CANONICAL: Final = {tech.lower(): tech for tech in PHONE_TECHNOLOGIES}
_SHAPE: Final = re.compile(
    r"(?P<tech>[A-Za-z0-9]+)/(?P<resource>[A-Za-z0-9][A-Za-z0-9_.+@-]*)"
    r"(?:/(?P<option>[A-Za-z0-9_.+@:-]+))?"
)


class InvalidEndpoint(ValueError):
    """The text is not a phone endpoint the controller may call."""


def check_endpoint(text: str) -> str:
    """The endpoint ``text`` names, with its technology spelt as Asterisk spells it
    (``pjsip/2001`` → ``PJSIP/2001``); :class:`InvalidEndpoint` saying what is wrong."""
    endpoint = text.strip()
    if not endpoint:
        raise InvalidEndpoint("no phone given: enter the endpoint of your phone, e.g. PJSIP/2001")
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        raise InvalidEndpoint(f"the endpoint is longer than {ENDPOINT_MAX_LENGTH} characters")
    match = _SHAPE.fullmatch(endpoint)
    if match is None:
        raise InvalidEndpoint(
            f"{endpoint!r} is not a phone endpoint: use TECH/resource, e.g. PJSIP/2001, with "
            "only letters, digits and _ . + @ - in the resource"
        )
    tech = _CANONICAL.get(match["tech"].lower())
    if tech is None:
        raise InvalidEndpoint(
            f"{match['tech']!r} is not a phone technology: use one of "
            + ", ".join(PHONE_TECHNOLOGIES)
        )
    rest = endpoint[len(match["tech"]) :]
    return f"{tech}{rest}"
