"""How the IVR says digits, numbers, money amounts and dates, in English and Mandarin Chinese.

Every function returns the sound files to play, in order, as the relative names Asterisk looks
up under ``<sounds>/<channel language>/`` (``digits/5`` is ``<sounds>/en/digits/5.gsm``).

* English uses the stock files of Debian's ``asterisk-core-sounds-en-gsm`` package, composed the
  way Asterisk's own English ``say`` composes them (115 is ``digits/1 digits/hundred
  digits/15``); :data:`EN_STOCK_SOUNDS` is every stock name English output can contain.
* No package ships Chinese sounds, so every Chinese word is a *built* prompt, generated from text
  by a TTS engine and installed as ``<sounds>/zh/asterisk-cc/say/<word-id>``. English words the
  stock package lacks ("cents", "yuan", "fen") are built the same way under ``<sounds>/en/``.
  :data:`BUILT_WORDS` maps, per language, every built name the functions can return to the text
  the TTS must speak.

Chinese numbers follow the Mandarin rules: digits grouped by 万 and 亿, a run of zeros read as
one 零 (1005 is 一千零五, 10010 is 一万零一十), 一十 shortened to 十 only at the very start
(10 is 十, 110 is 一百一十), negatives with 负. Money is rounded to the fen/cent, half up.

Pure: standard library only, no I/O.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Final

__all__ = [
    "BUILT_PREFIX",
    "BUILT_WORDS",
    "CURRENCIES",
    "EN_STOCK_SOUNDS",
    "LANGUAGES",
    "MAX_NUMBER",
    "say_amount",
    "say_date",
    "say_digits",
    "say_number",
]

LANGUAGES: Final = ("en", "zh")
CURRENCIES: Final = ("CNY", "USD")
MAX_NUMBER: Final = 999_999_999_999  # say_number reads -MAX_NUMBER..MAX_NUMBER
BUILT_PREFIX: Final = "asterisk-cc/say/"

_KEYS: Final = "0123456789*#"
_CENT: Final = Decimal("0.01")

# ---------------------------------------------------------------------------------------------
# English: stock sounds

_EN_MINUS: Final = "digits/minus"
_EN_HUNDRED: Final = "digits/hundred"
_EN_OH: Final = "digits/oh"  # 1905: nineteen oh five
_EN_AND: Final = "vm-and"  # the stock "and"
_EN_DOLLAR: Final = "letters/dollar"  # "dollar", as Asterisk's English money uses it
_EN_DOLLARS: Final = "digits/dollars"
_EN_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {**{d: f"digits/{d}" for d in "0123456789"}, "*": "digits/star", "#": "digits/pound"}
)
# Largest first: (value, word) for billion, million, thousand.
_EN_SCALES: Final = (
    (1_000_000_000, "digits/billion"),
    (1_000_000, "digits/million"),
    (1_000, "digits/thousand"),
)

EN_STOCK_SOUNDS: Final[frozenset[str]] = frozenset(
    {
        *(f"digits/{n}" for n in range(21)),
        *(f"digits/{n}" for n in range(30, 100, 10)),
        _EN_HUNDRED,
        *(word for _, word in _EN_SCALES),
        _EN_MINUS,
        _EN_OH,
        "digits/star",
        "digits/pound",
        *(f"digits/day-{n}" for n in range(7)),  # day-0 is Sunday
        *(f"digits/mon-{n}" for n in range(12)),  # mon-0 is January
        *(f"digits/h-{n}" for n in range(1, 21)),  # ordinals: first .. twentieth
        "digits/h-30",
        _EN_DOLLARS,
        _EN_DOLLAR,
        _EN_AND,
    }
)

# ---------------------------------------------------------------------------------------------
# Built words (TTS prompts)

_EN_CENT: Final = BUILT_PREFIX + "cent"
_EN_CENTS: Final = BUILT_PREFIX + "cents"
_EN_YUAN: Final = BUILT_PREFIX + "yuan"
_EN_FEN: Final = BUILT_PREFIX + "fen"

_ZH_DIGITS: Final = tuple(BUILT_PREFIX + str(d) for d in range(10))
_ZH_ZERO: Final = _ZH_DIGITS[0]
_ZH_STAR: Final = BUILT_PREFIX + "star"
_ZH_POUND: Final = BUILT_PREFIX + "pound"
_ZH_SHI: Final = BUILT_PREFIX + "shi"  # 十
_ZH_BAI: Final = BUILT_PREFIX + "bai"  # 百
_ZH_QIAN: Final = BUILT_PREFIX + "qian"  # 千
_ZH_WAN: Final = BUILT_PREFIX + "wan"  # 万
_ZH_YI: Final = BUILT_PREFIX + "yi"  # 亿 (一 is the digit prompt "1")
_ZH_FU: Final = BUILT_PREFIX + "fu"  # 负
_ZH_YUAN: Final = BUILT_PREFIX + "yuan"  # 元
_ZH_JIAO: Final = BUILT_PREFIX + "jiao"  # 角
_ZH_FEN: Final = BUILT_PREFIX + "fen"  # 分
_ZH_MEIYUAN: Final = BUILT_PREFIX + "meiyuan"  # 美元
_ZH_MEIFEN: Final = BUILT_PREFIX + "meifen"  # 美分
_ZH_NIAN: Final = BUILT_PREFIX + "nian"  # 年
_ZH_YUE: Final = BUILT_PREFIX + "yue"  # 月
_ZH_RI: Final = BUILT_PREFIX + "ri"  # 日, also the Sunday of 星期日
_ZH_XINGQI: Final = BUILT_PREFIX + "xingqi"  # 星期
_ZH_KEYS: Final[Mapping[str, str]] = MappingProxyType(
    {**{d: _ZH_DIGITS[int(d)] for d in "0123456789"}, "*": _ZH_STAR, "#": _ZH_POUND}
)

BUILT_WORDS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "en": MappingProxyType(
            {_EN_CENT: "cent", _EN_CENTS: "cents", _EN_YUAN: "yuan", _EN_FEN: "fen"}
        ),
        "zh": MappingProxyType(
            {
                **dict(zip(_ZH_DIGITS, "零一二三四五六七八九", strict=True)),
                _ZH_STAR: "星号",
                _ZH_POUND: "井号",
                _ZH_SHI: "十",
                _ZH_BAI: "百",
                _ZH_QIAN: "千",
                _ZH_WAN: "万",
                _ZH_YI: "亿",
                _ZH_FU: "负",
                _ZH_YUAN: "元",
                _ZH_JIAO: "角",
                _ZH_FEN: "分",
                _ZH_MEIYUAN: "美元",
                _ZH_MEIFEN: "美分",
                _ZH_NIAN: "年",
                _ZH_YUE: "月",
                _ZH_RI: "日",
                _ZH_XINGQI: "星期",
            }
        ),
    }
)


# ---------------------------------------------------------------------------------------------
# Public API


def say_digits(digits: str, lang: str) -> tuple[str, ...]:
    """Each key of ``digits`` (0-9, ``*``, ``#``) read one by one: ``"12#"`` in English is
    ``("digits/1", "digits/2", "digits/pound")``. Any other character raises ValueError."""
    keys = _EN_KEYS if _check_lang(lang) == "en" else _ZH_KEYS
    for position, char in enumerate(digits):
        if char not in _KEYS:
            raise ValueError(
                f"cannot say {char!r} (position {position} of {digits!r}): "
                f"only the keys 0-9, * and # are said as digits"
            )
    return tuple(keys[char] for char in digits)


def say_number(n: int, lang: str) -> tuple[str, ...]:
    """The integer ``n`` (-999 999 999 999 .. 999 999 999 999) as a cardinal number:
    115 is "one hundred fifteen" in English, 10010 is 一万零一十 in Chinese."""
    lang = _check_lang(lang)
    _check_number(n)
    return tuple(_en_number(n) if lang == "en" else _zh_number(n))


def say_amount(amount: Decimal, lang: str, currency: str = "CNY") -> tuple[str, ...]:
    """A money amount in CNY or USD, rounded half up to two decimals.

    Chinese: CNY as 元/角/分 (12.50 is 十二元五角, 3.07 is 三元零七分), USD as 美元/美分.
    English: USD as dollars and cents ("one dollar and forty two cents"), CNY as yuan and fen
    ("twelve yuan and fifty fen"). A zero amount is said as zero of the main unit; a negative
    one starts with minus (负)."""
    lang = _check_lang(lang)
    if currency not in CURRENCIES:
        raise ValueError(f"unsupported currency {currency!r}: expected one of {CURRENCIES}")
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"cannot say the amount {amount}")
    if abs(amount) >= MAX_NUMBER + 1:
        raise ValueError(f"amount {amount} is out of range: at most {MAX_NUMBER}.99 either way")
    cents = int(amount.quantize(_CENT, rounding=ROUND_HALF_UP) * 100)
    whole, fraction = divmod(abs(cents), 100)
    if whole > MAX_NUMBER:  # 999999999999.995 rounds up out of range
        raise ValueError(f"amount {amount} is out of range: at most {MAX_NUMBER}.99 either way")
    if lang == "en":
        words = _en_usd(whole, fraction) if currency == "USD" else _en_cny(whole, fraction)
        sign = _EN_MINUS
    else:
        words = _zh_usd(whole, fraction) if currency == "USD" else _zh_cny(whole, fraction)
        sign = _ZH_FU
    return (sign, *words) if cents < 0 else tuple(words)


def say_date(d: datetime.date, lang: str) -> tuple[str, ...]:
    """A calendar date with its weekday.

    English like Asterisk's ``ABdY``: weekday, month, ordinal day, year said in pairs
    ("Monday November twenty third twenty twenty six"). Chinese: year digit by digit, month,
    day, weekday (二〇二六年十一月二十三日星期一)."""
    lang = _check_lang(lang)
    if not isinstance(d, datetime.date):
        raise TypeError(f"d must be a datetime.date, not {type(d).__name__}")
    if lang == "en":
        return (
            f"digits/day-{(d.weekday() + 1) % 7}",  # Asterisk counts weekdays from Sunday
            f"digits/mon-{d.month - 1}",
            *_en_ordinal(d.day),
            *_en_year(d.year),
        )
    weekday = _ZH_RI if d.weekday() == 6 else _ZH_DIGITS[d.weekday() + 1]
    return (
        *(_ZH_DIGITS[int(c)] for c in str(d.year)),
        _ZH_NIAN,
        *_zh_number(d.month),
        _ZH_YUE,
        *_zh_number(d.day),
        _ZH_RI,
        _ZH_XINGQI,
        weekday,
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}: expected one of {LANGUAGES}")
    return lang


def _check_number(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    if not -MAX_NUMBER <= n <= MAX_NUMBER:
        raise ValueError(f"cannot say {n}: numbers are said from -{MAX_NUMBER} to {MAX_NUMBER}")


def _en_number(n: int) -> list[str]:
    if n < 0:
        return [_EN_MINUS, *_en_number(-n)]
    if n == 0:
        return ["digits/0"]
    words: list[str] = []
    for value, scale in _EN_SCALES:
        if n >= value:
            words += [*_en_below_thousand(n // value), scale]
            n %= value
    return words + _en_below_thousand(n)


def _en_below_thousand(n: int) -> list[str]:
    """0..999; nothing for 0."""
    words: list[str] = []
    if n >= 100:
        words += [f"digits/{n // 100}", _EN_HUNDRED]
        n %= 100
    if n > 20:
        words.append(f"digits/{n - n % 10}")
        n %= 10
    if n:
        words.append(f"digits/{n}")
    return words


def _en_ordinal(n: int) -> list[str]:
    """1..39 (days of the month): h-1..h-20 and h-30 exist; 23rd is "twenty" + "third"."""
    if n <= 20 or n % 10 == 0:
        return [f"digits/h-{n}"]
    return [f"digits/{n - n % 10}", f"digits/h-{n % 10}"]


def _en_year(year: int) -> list[str]:
    """Years in pairs as usually spoken: 2026 "twenty twenty six", 1905 "nineteen oh five",
    1900 "nineteen hundred"; 2000-2009 and whole thousands as plain numbers ("two thousand
    five"), and years before 1000 too."""
    high, low = divmod(year, 100)
    if year < 1000 or (high % 10 == 0 and low < 10):
        return _en_number(year)
    if low == 0:
        return [*_en_number(high), _EN_HUNDRED]
    if low < 10:
        return [*_en_number(high), _EN_OH, *_en_number(low)]
    return [*_en_number(high), *_en_number(low)]


def _en_usd(whole: int, cents: int) -> list[str]:
    if whole == 0 and cents == 0:
        return ["digits/0", _EN_DOLLARS]
    words: list[str] = []
    if whole:
        words += [*_en_number(whole), _EN_DOLLAR if whole == 1 else _EN_DOLLARS]
    if cents:
        if whole:
            words.append(_EN_AND)
        words += [*_en_number(cents), _EN_CENT if cents == 1 else _EN_CENTS]
    return words


def _en_cny(whole: int, fen: int) -> list[str]:
    """yuan and fen do not change in the plural."""
    if whole == 0 and fen == 0:
        return ["digits/0", _EN_YUAN]
    words: list[str] = []
    if whole:
        words += [*_en_number(whole), _EN_YUAN]
    if fen:
        if whole:
            words.append(_EN_AND)
        words += [*_en_number(fen), _EN_FEN]
    return words


def _zh_number(n: int) -> list[str]:
    if n < 0:
        return [_ZH_FU, *_zh_number(-n)]
    if n == 0:
        return [_ZH_ZERO]
    words: list[str] = []
    skipped = False  # a zero group (万 or 亿 position) between the last said group and this one
    groups = ((n // 100_000_000, _ZH_YI), (n // 10_000 % 10_000, _ZH_WAN), (n % 10_000, None))
    for group, unit in groups:
        if group == 0:
            skipped = bool(words)
            continue
        if words and (skipped or group < 1000):
            words.append(_ZH_ZERO)  # 一万零一十, 一亿零一千
        words += _zh_group(group)
        if unit:
            words.append(unit)
        skipped = False
    if words[:2] == [_ZH_DIGITS[1], _ZH_SHI]:
        del words[0]  # 十, 十五万, 十亿: 一十 only after another word
    return words


def _zh_group(n: int) -> list[str]:
    """1..9999 within one group: inner zeros collapse to one 零, trailing zeros are silent."""
    words: list[str] = []
    zero_pending = False
    for digit, unit in (
        (n // 1000, _ZH_QIAN),
        (n // 100 % 10, _ZH_BAI),
        (n // 10 % 10, _ZH_SHI),
        (n % 10, None),
    ):
        if digit == 0:
            zero_pending = bool(words)
            continue
        if zero_pending:
            words.append(_ZH_ZERO)
            zero_pending = False
        words.append(_ZH_DIGITS[digit])
        if unit:
            words.append(unit)
    return words


def _zh_cny(whole: int, fraction: int) -> list[str]:
    if whole == 0 and fraction == 0:
        return [_ZH_ZERO, _ZH_YUAN]
    jiao, fen = divmod(fraction, 10)
    words: list[str] = []
    if whole:
        words += [*_zh_number(whole), _ZH_YUAN]
    if jiao:
        words += [_ZH_DIGITS[jiao], _ZH_JIAO]
    if fen:
        if whole and not jiao:
            words.append(_ZH_ZERO)  # 三元零七分
        words += [_ZH_DIGITS[fen], _ZH_FEN]
    return words


def _zh_usd(whole: int, cents: int) -> list[str]:
    if whole == 0 and cents == 0:
        return [_ZH_ZERO, _ZH_MEIYUAN]
    words: list[str] = []
    if whole:
        words += [*_zh_number(whole), _ZH_MEIYUAN]
    if cents:
        words += [*_zh_number(cents), _ZH_MEIFEN]
    return words
