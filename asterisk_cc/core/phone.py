"""Phone numbers: caller IDs as Asterisk presents them, read into E.164, and written back out
in the form an existing CRM table stores them.

E.164 (``+8613812345678``) is the one form the project stores and compares. Everything that
comes from outside (``CALLERID(num)``, CSV lead files, a CRM column) goes through
:func:`normalize_e164` once, at the edge; everything written to a foreign table goes through
:func:`format_for_lookup`.

Pure: no I/O, no clock; the only dependency is ``phonenumbers``.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

__all__ = [
    "LOOKUP_FORMATS",
    "InvalidPhoneNumber",
    "LookupFormat",
    "WithheldNumber",
    "format_for_lookup",
    "is_known_region",
    "is_withheld",
    "lookup_variants",
    "normalize_e164",
]

LookupFormat = Literal["e164", "digits", "national"]
LOOKUP_FORMATS: Final[tuple[str, ...]] = get_args(LookupFormat)

# What Asterisk and carriers put in CALLERID(num) when the caller hides the number.
WITHHELD: Final = frozenset(
    {
        "",
        "anonymous",
        "unknown",
        "private",
        "restricted",
        "unavailable",
        "withheld",
        "blocked",
        "no caller id",
    }
)
_SHOWN_CHARS: Final = 40  # caller-controlled text is cut short before it goes into a message


class InvalidPhoneNumber(ValueError):
    """``raw`` cannot be read as a dialable phone number; ``reason`` says why."""

    def __init__(self, raw: str, reason: str) -> None:
        self.raw = raw
        self.reason = reason
        shown = raw if len(raw) <= _SHOWN_CHARS else raw[:_SHOWN_CHARS] + "..."
        super().__init__(f"{shown!r} is not a phone number: {reason}")


class WithheldNumber(InvalidPhoneNumber):
    """The caller withheld the number ("anonymous", "unknown", empty...)."""


def is_known_region(region: str) -> bool:
    """True for an ISO 3166 country code that phone numbers can be read for (CN, US, GB...)."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def is_withheld(raw: str) -> bool:
    """True when a caller ID says "no number" rather than giving a wrong one."""
    return raw.strip().strip("\"'<>").strip().lower() in WITHHELD


def normalize_e164(raw: str, default_region: str) -> str:
    """Read a caller ID or a typed number into E.164, e.g. ``+8613812345678``.

    ``default_region`` (ISO code: CN, US, GB...) is the country of national numbers
    (``013812345678`` in CN, ``(202) 555-0143`` in US). Also understood: ``+`` and ``00``
    international forms, and the international form without its ``+`` (``8613812345678``) when
    the digits cannot be a national number of the region. Only numbers that are valid for their country are
    returned; anything else raises :class:`InvalidPhoneNumber` (:class:`WithheldNumber` for
    "anonymous", "unknown", empty and similar).
    """
    if is_withheld(raw):
        raise WithheldNumber(raw, "the caller ID is withheld")
    region = default_region.upper()
    if not is_known_region(region):
        raise InvalidPhoneNumber(raw, f"the default region {default_region!r} is not a country")
    text = raw.strip().strip("\"'<>").strip()
    if text.lower().startswith(("tel:", "sip:", "sips:")):
        text = text.split(":", 1)[1].split("@", 1)[0].split(";", 1)[0]
    if len(text) > 64:
        raise InvalidPhoneNumber(raw, "it is too long")
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        raise InvalidPhoneNumber(raw, "it has no digits")
    national = _parse(text, region)
    if national is not None and phonenumbers.is_valid_number(national):
        return phonenumbers.format_number(national, PhoneNumberFormat.E164)
    if not text.startswith("+"):
        international: str | None = None
        if digits.startswith("00"):
            international = "+" + digits[2:]  # 00 is the usual international prefix
        elif not digits.startswith("0") and (
            national is None or not phonenumbers.is_possible_number(national)
        ):
            # The international form without its +, e.g. 8613812345678 reaching a US trunk.
            # Only when the digits cannot be a national number: 14012000000 stays a CN number.
            international = "+" + digits
        number = _parse(international, region) if international else None
        if number is not None and phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    raise InvalidPhoneNumber(raw, f"no valid number in {region} or in international form")


def _parse(text: str, region: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def format_for_lookup(e164: str, fmt: str) -> str:
    """Write an E.164 number in the form a CRM column stores it.

    ``e164``: ``+8613812345678``; ``digits``: ``8613812345678`` (E.164 without the ``+``);
    ``national``: the digits of the number as written inside its own country, trunk prefix
    included where the country writes one (``13812345678`` for a CN mobile, ``01012345678``
    for a Beijing line, ``02079460958`` in GB, ``2025550143`` in US).
    """
    number = _parse_e164(e164)
    if fmt == "e164":
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if fmt == "digits":
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    if fmt == "national":
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())
    raise ValueError(f"unknown phone format {fmt!r}: use one of {', '.join(LOOKUP_FORMATS)}")


def lookup_variants(e164: str, fmt: str) -> tuple[str, ...]:
    """Every spelling of the number a CRM column in format ``fmt`` may hold, the usual first.

    Only ``national`` has more than one: a CN mobile is stored as ``13812345678`` by most CRMs
    but as ``013812345678`` (trunk prefix, as dialled from a landline) by some.
    """
    first = format_for_lookup(e164, fmt)
    if fmt != "national":
        return (first,)
    number = _parse_e164(e164)
    region = phonenumbers.region_code_for_number(number)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    prefix = metadata.national_prefix if metadata is not None else None
    if prefix and not first.startswith(prefix):
        return (first, prefix + first)
    return (first,)


def _parse_e164(e164: str) -> PhoneNumber:
    if not e164.startswith("+"):
        raise InvalidPhoneNumber(e164, "an E.164 number starts with +")
    number = _parse(e164, "ZZ")
    if number is None:
        raise InvalidPhoneNumber(e164, "it is not in E.164 form")
    return number
