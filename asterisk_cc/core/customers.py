"""Customers as the rest of the product sees them, whatever CRM they come from.

Every CRM lookup (the project's own tables, an existing CRM table, an admin's SELECT) returns a
:class:`Customer`; routing reads its :class:`Tier`, the IVR its language, the dialer its time
zone. CRM text is messy ("VIP", "Gold member", "贵宾", "zh_CN"), so the parsers here are
tolerant and never raise: an unknown tier is STANDARD, an unknown language is None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

__all__ = ["Customer", "Tier", "normalize_language", "parse_tier"]


class Tier(StrEnum):
    """Customer tier (客户分级); VIP callers are routed first."""

    VIP = "vip"
    GOLD = "gold"
    STANDARD = "standard"

    @property
    def rank(self) -> int:
        """0 for the most valuable tier; sort by it to serve VIPs first."""
        return _RANK[self]

    @classmethod
    def parse(cls, text: str | None) -> Tier:
        """Tolerant reading of a CRM's tier text; see :func:`parse_tier`."""
        return parse_tier(text)


_RANK: Final = {Tier.VIP: 0, Tier.GOLD: 1, Tier.STANDARD: 2}

_TIER_WORDS: Final[dict[str, Tier]] = {
    # English, as CRMs write it
    "vip": Tier.VIP,
    "v": Tier.VIP,
    "platinum": Tier.VIP,
    "diamond": Tier.VIP,
    "premium": Tier.VIP,
    "premier": Tier.VIP,
    "key": Tier.VIP,
    "gold": Tier.GOLD,
    "golden": Tier.GOLD,
    "g": Tier.GOLD,
    "silver": Tier.STANDARD,
    "standard": Tier.STANDARD,
    "std": Tier.STANDARD,
    "normal": Tier.STANDARD,
    "regular": Tier.STANDARD,
    "basic": Tier.STANDARD,
    "ordinary": Tier.STANDARD,
    "s": Tier.STANDARD,
    # Chinese
    "贵宾": Tier.VIP,
    "钻石": Tier.VIP,
    "白金": Tier.VIP,
    "大客户": Tier.VIP,
    "重要客户": Tier.VIP,
    "金卡": Tier.GOLD,
    "黄金": Tier.GOLD,
    "金牌": Tier.GOLD,
    "普通": Tier.STANDARD,
    "标准": Tier.STANDARD,
    "银卡": Tier.STANDARD,
}
_WORD_SPLIT: Final = re.compile(r"[\s_\-./,:;()\[\]]+")
_LATIN_PREFIX: Final = re.compile(r"[a-z]+")


def parse_tier(text: str | None) -> Tier:
    """Read a CRM's tier text: ``"VIP"``, ``" v.i.p "``, ``"Gold member"``, ``"金卡客户"``...

    Unknown or empty text is :attr:`Tier.STANDARD`: a customer is never refused service because
    the CRM wrote something unexpected.
    """
    if text is None:
        return Tier.STANDARD
    lowered = text.strip().lower()
    if not lowered:
        return Tier.STANDARD
    squeezed = lowered.replace(".", "").replace(" ", "")
    if squeezed in _TIER_WORDS:
        return _TIER_WORDS[squeezed]
    for word in _WORD_SPLIT.split(lowered):
        if word in _TIER_WORDS:
            return _TIER_WORDS[word]
        latin = _LATIN_PREFIX.match(word)  # "vip客户": a Latin word glued to Chinese text
        if latin and latin.group(0) != word and latin.group(0) in _TIER_WORDS:
            return _TIER_WORDS[latin.group(0)]
    for word, tier in _TIER_WORDS.items():
        if not word.isascii() and word in lowered:
            return tier  # Chinese has no spaces: 金卡客户, 贵宾会员
    return Tier.STANDARD


_LANGUAGE_WORDS: Final[dict[str, str]] = {
    "english": "en",
    "英语": "en",
    "英文": "en",
    "chinese": "zh",
    "mandarin": "zh",
    "putonghua": "zh",
    "cantonese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "普通话": "zh",
    "国语": "zh",
    "粤语": "zh",
}
_LANGUAGE_TAG: Final = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$")


def normalize_language(text: str | None) -> str | None:
    """The primary language subtag (``"zh"``, ``"en"``) of a CRM's language text, or None.

    ``"zh_CN"``, ``"ZH-hans"``, ``"Chinese"``, ``"中文"`` -> ``"zh"``; ``"en-US"``, ``"English"``
    -> ``"en"``; text that is not a language -> None.
    """
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in _LANGUAGE_WORDS:
        return _LANGUAGE_WORDS[lowered]
    match = _LANGUAGE_TAG.match(lowered)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Customer:
    """One customer, as a CRM lookup returns it.

    ``customer_id`` is the CRM's own key as text (the project's integer id, or an existing
    CRM's customer number). ``phone_e164`` is the number the customer was found by (for a
    phone lookup) or one of the customer's numbers (for an account lookup), when known.

    ``fields`` holds the CRM's other fields (``balance``, ``segment``, ``contract_end``...) for
    the IVR to branch on or say. Every CRM types them its own way, so they are text here, under
    lower-case names: a flow says ``balance`` whatever case the CRM's column has. A field the
    CRM has no value for is absent. The mapping is the customer's own copy (the lookup's dict
    can change afterwards without changing the customer) and takes no part in hashing.
    """

    customer_id: str
    name: str
    account_number: str | None = None
    tier: Tier = Tier.STANDARD
    language: str | None = None
    timezone: str | None = None
    phone_e164: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.customer_id:
            raise ValueError("a customer needs a customer_id")
        if self.phone_e164 is not None and not self.phone_e164.startswith("+"):
            raise ValueError(f"phone_e164 must be E.164 (+...), not {self.phone_e164!r}")
        for name, value in self.fields.items():
            if not isinstance(name, str):
                raise TypeError(f"CRM field names must be text, not {name!r}")
            if not isinstance(value, str):
                raise TypeError(f"CRM field {name!r} must be text, not {type(value).__name__}")
        object.__setattr__(
            self, "fields", {name.lower(): value for name, value in self.fields.items()}
        )
