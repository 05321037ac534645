"""The IVR says digits, numbers, money and dates as sound-file names, in English and Chinese."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.ivr.say import (
    BUILT_PREFIX,
    BUILT_WORDS,
    EN_STOCK_SOUNDS,
    MAX_NUMBER,
    say_amount,
    say_date,
    say_digits,
    say_number,
)
from asterisk_cc.sandbox.rootfs import cache_dir_from_env

ZH_DIGIT_TEXT = "零一二三四五六七八九"
MAX_AMOUNT = Decimal(MAX_NUMBER) + Decimal("0.99")

numbers = st.integers(min_value=-MAX_NUMBER, max_value=MAX_NUMBER)
# Small and round numbers are where the reading rules live; plain integers rarely hit them.
interesting_numbers = st.one_of(
    numbers,
    st.integers(min_value=-100_000, max_value=100_000),
    st.builds(
        lambda digits, sign: sign * int("".join(digits)),
        st.lists(st.sampled_from("0000000001"), min_size=1, max_size=12),
        st.sampled_from((1, -1)),
    ),
)
amounts = st.decimals(
    min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, allow_nan=False, allow_infinity=False
)
small_amounts = st.decimals(min_value=-1000, max_value=1000, places=3)
dates = st.dates()


def zh(names: Sequence[str]) -> str:
    """What a Chinese caller hears: the text each built prompt was made from."""
    return "".join(BUILT_WORDS["zh"][name] for name in names)


def d(n: int) -> str:
    return f"digits/{n}"


def cents_of(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


# --- independent readers: turn what is said back into a value ---------------------------------

ZH_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}


def parse_zh_number(text: str) -> int:
    sign = 1
    if text.startswith("负"):
        sign, text = -1, text[1:]
    assert text, "负 alone"
    yi = wan = section = number = 0
    for char in text:
        if char in ZH_DIGIT_TEXT:
            number = ZH_DIGIT_TEXT.index(char)
        elif char in ZH_SMALL_UNITS:
            # Only 十 may stand without a digit before it (十五); 百 and 千 never do.
            assert number or char == "十", f"{char} without a digit in {text!r}"
            section += (number or 1) * ZH_SMALL_UNITS[char]
            number = 0
        elif char == "万":
            wan, section, number = section + number, 0, 0
        elif char == "亿":
            yi, section, number = section + number, 0, 0
        else:
            raise AssertionError(f"{char!r} is not a number word in {text!r}")
    return sign * (yi * 100_000_000 + wan * 10_000 + section + number)


EN_SCALES = {"digits/billion": 10**9, "digits/million": 1_000_000, "digits/thousand": 1_000}


def word_value(name: str) -> int:
    match = re.fullmatch(r"digits/(\d+)", name)
    if not match:
        raise ValueError(f"{name} is not a number word")
    return int(match[1])


def parse_en_group(names: Sequence[str]) -> int:
    """1..999 as Asterisk says it: [digit hundred] then 1..20, or a tens word and a digit."""
    value = 0
    if len(names) >= 2 and names[1] == "digits/hundred":
        hundreds = word_value(names[0])
        if not 1 <= hundreds <= 9:
            raise ValueError(f"{names}: bad hundreds")
        value, names = hundreds * 100, names[2:]
    words = [word_value(name) for name in names]
    if len(words) == 2 and words[0] in range(20, 100, 10) and 1 <= words[1] <= 9:
        return value + sum(words)
    if len(words) == 1 and (1 <= words[0] <= 20 or words[0] in range(30, 100, 10)):
        return value + words[0]
    if not words and value:
        return value
    raise ValueError(f"{names} is not a number below a thousand")


def parse_en_number(names: Sequence[str]) -> int:
    """Strict reader of English numbers: any word out of place raises ValueError."""
    if tuple(names) == ("digits/0",):
        return 0
    sign = 1
    if tuple(names[:1]) == ("digits/minus",):
        sign, names = -1, names[1:]
    total, group = 0, []
    scales = list(EN_SCALES)
    for name in names:
        if name in EN_SCALES:
            if name not in scales:
                raise ValueError(f"{name} out of order")
            scales = scales[scales.index(name) + 1 :]
            total += parse_en_group(group) * EN_SCALES[name]
            group = []
        else:
            group.append(name)
    if group:
        total += parse_en_group(group)
    if not total:
        raise ValueError(f"{names} says nothing")
    return sign * total


def split_at(names: Sequence[str], units: set[str]) -> list[tuple[list[str], str]]:
    """[(words before a unit, the unit), ...]; nothing may follow the last unit."""
    parts: list[tuple[list[str], str]] = []
    words: list[str] = []
    for name in names:
        if name in units:
            parts.append((words, name))
            words = []
        else:
            words.append(name)
    assert not words, f"{words} after the last unit in {names}"
    return parts


# --- say_digits --------------------------------------------------------------------------------


def test_digits_in_english_are_the_stock_digit_files() -> None:
    assert say_digits("0129*#", "en") == (
        "digits/0",
        "digits/1",
        "digits/2",
        "digits/9",
        "digits/star",
        "digits/pound",
    )


def test_digits_in_chinese_are_one_word_per_key() -> None:
    names = say_digits("1024*#", "zh")
    assert names == (
        "asterisk-cc/say/1",
        "asterisk-cc/say/0",
        "asterisk-cc/say/2",
        "asterisk-cc/say/4",
        "asterisk-cc/say/star",
        "asterisk-cc/say/pound",
    )
    assert zh(names) == "一零二四星号井号"


def test_no_digits_say_nothing() -> None:
    assert say_digits("", "en") == ()
    assert say_digits("", "zh") == ()


@pytest.mark.parametrize("bad", ["12a4", "A", "1 2", "1-2", "١", "+86"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_digits_refuse_anything_but_keys(bad: str, lang: str) -> None:
    culprit = next(c for c in bad if c not in "0123456789*#")
    with pytest.raises(ValueError, match=re.escape(repr(culprit))):
        say_digits(bad, lang)


@given(st.text(alphabet="0123456789*#"))
def test_digits_say_one_sound_per_key(keys: str) -> None:
    assert len(say_digits(keys, "en")) == len(keys)
    assert zh(say_digits(keys, "zh")) == "".join(
        {"*": "星号", "#": "井号"}.get(c) or ZH_DIGIT_TEXT[int(c)] for c in keys
    )


# --- say_number: English -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, ("digits/0",)),
        (7, ("digits/7",)),
        (15, ("digits/15",)),
        (20, ("digits/20",)),
        (42, ("digits/40", "digits/2")),
        (90, ("digits/90",)),
        (100, ("digits/1", "digits/hundred")),
        (115, ("digits/1", "digits/hundred", "digits/15")),
        (999, ("digits/9", "digits/hundred", "digits/90", "digits/9")),
        (1005, ("digits/1", "digits/thousand", "digits/5")),
        (10_010, ("digits/10", "digits/thousand", "digits/10")),
        (200_000, ("digits/2", "digits/hundred", "digits/thousand")),
        (
            1_234_567,
            (
                "digits/1",
                "digits/million",
                "digits/2",
                "digits/hundred",
                "digits/30",
                "digits/4",
                "digits/thousand",
                "digits/5",
                "digits/hundred",
                "digits/60",
                "digits/7",
            ),
        ),
        (3_000_000_021, ("digits/3", "digits/billion", "digits/20", "digits/1")),
        (-13, ("digits/minus", "digits/13")),
    ],
)
def test_english_numbers_compose_like_asterisk(n: int, expected: tuple[str, ...]) -> None:
    assert say_number(n, "en") == expected


@given(interesting_numbers)
def test_english_numbers_read_back_to_the_number(n: int) -> None:
    names = say_number(n, "en")
    assert parse_en_number(names) == n
    # Each word is a file that exists: 1..20 and whole tens, never "digits/35" or "digits/0" in
    # a longer number.
    for name in names:
        match = re.fullmatch(r"digits/(\d+)", name)
        if match:
            value = int(match[1])
            assert value <= 20 or value % 10 == 0, names
            assert value != 0 or names == ("digits/0",), names


# --- say_number: Chinese -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "零"),
        (3, "三"),
        (10, "十"),
        (15, "十五"),
        (20, "二十"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (115, "一百一十五"),
        (1005, "一千零五"),
        (1010, "一千零一十"),
        (1100, "一千一百"),
        (10_000, "一万"),
        (10_010, "一万零一十"),
        (10_100, "一万零一百"),
        (15_000, "一万五千"),
        (100_100, "十万零一百"),
        (150_000, "十五万"),
        (200_000, "二十万"),
        (10_000_001, "一千万零一"),
        (100_000_000, "一亿"),
        (100_001_000, "一亿零一千"),
        (100_010_000, "一亿零一万"),
        (110_000_000, "一亿一千万"),
        (1_000_000_000, "十亿"),
        (1_200_000_000, "十二亿"),
        (200_000_000_000, "二千亿"),
        (MAX_NUMBER, "九千九百九十九亿九千九百九十九万九千九百九十九"),
        (-10, "负十"),
        (-1005, "负一千零五"),
        (-MAX_NUMBER, "负九千九百九十九亿九千九百九十九万九千九百九十九"),
    ],
)
def test_chinese_numbers_follow_mandarin_rules(n: int, expected: str) -> None:
    assert zh(say_number(n, "zh")) == expected


def test_chinese_number_words_are_the_named_prompts() -> None:
    assert say_number(10_010, "zh") == (
        "asterisk-cc/say/1",
        "asterisk-cc/say/wan",
        "asterisk-cc/say/0",
        "asterisk-cc/say/1",
        "asterisk-cc/say/shi",
    )
    assert BUILT_WORDS["zh"]["asterisk-cc/say/wan"] == "万"
    assert BUILT_WORDS["zh"]["asterisk-cc/say/shi"] == "十"
    assert BUILT_WORDS["zh"]["asterisk-cc/say/5"] == "五"


@given(interesting_numbers)
def test_chinese_numbers_read_back_and_are_well_formed(n: int) -> None:
    text = zh(say_number(n, "zh"))
    assert parse_zh_number(text) == n
    assert "零零" not in text  # a run of zeros is one 零
    assert n == 0 or not text.endswith("零")  # trailing zeros are silent
    assert not re.search("零[十百千万亿]", text)  # 零 is always followed by a digit
    assert not text.lstrip("负").startswith("一十")  # 十, 十五万, 十亿 at the start
    assert not re.search("[万亿]十", text)  # after a word, tens keep their 一 (一万零一十)


# --- say_number: errors ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("n", [MAX_NUMBER + 1, -MAX_NUMBER - 1, 10**15])
def test_numbers_out_of_range_are_refused(n: int, lang: str) -> None:
    with pytest.raises(ValueError, match=str(n)):
        say_number(n, lang)


@pytest.mark.parametrize("lang", ["fr", "", "EN", "zh_CN", "cmn"])
def test_unknown_languages_are_refused_by_name(lang: str) -> None:
    pattern = re.escape(repr(lang))
    with pytest.raises(ValueError, match=pattern):
        say_digits("1", lang)
    with pytest.raises(ValueError, match=pattern):
        say_number(1, lang)
    with pytest.raises(ValueError, match=pattern):
        say_amount(Decimal(1), lang)
    with pytest.raises(ValueError, match=pattern):
        say_date(datetime.date(2026, 1, 1), lang)


def test_numbers_must_be_integers() -> None:
    with pytest.raises(TypeError):
        say_number(True, "en")
    with pytest.raises(TypeError):
        say_number(1.5, "zh")  # type: ignore[arg-type]


# --- say_amount --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("12.50", "十二元五角"),
        ("12.5", "十二元五角"),
        ("0.05", "五分"),
        ("0.50", "五角"),
        ("0.55", "五角五分"),
        ("3.07", "三元零七分"),
        ("3.70", "三元七角"),
        ("3.75", "三元七角五分"),
        ("10", "十元"),
        ("10.05", "十元零五分"),
        ("100.5", "一百元五角"),
        ("10010.01", "一万零一十元零一分"),
        ("0", "零元"),
        ("0.004", "零元"),  # rounds to nothing
        ("-0.004", "零元"),  # and nothing has no sign
        ("0.005", "一分"),  # half up
        ("2.675", "二元六角八分"),  # half up, not to even
        ("1.994", "一元九角九分"),
        ("1.995", "二元"),
        ("-12.50", "负十二元五角"),
        ("-0.05", "负五分"),
    ],
)
def test_yuan_in_chinese(amount: str, expected: str) -> None:
    assert zh(say_amount(Decimal(amount), "zh")) == expected
    assert zh(say_amount(Decimal(amount), "zh", "CNY")) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("12.50", "十二美元五十美分"),
        ("3.07", "三美元七美分"),
        ("0.15", "十五美分"),
        ("1", "一美元"),
        ("0", "零美元"),
        ("-2.01", "负二美元一美分"),
    ],
)
def test_dollars_in_chinese(amount: str, expected: str) -> None:
    assert zh(say_amount(Decimal(amount), "zh", "USD")) == expected


YUAN, FEN = BUILT_PREFIX + "yuan", BUILT_PREFIX + "fen"
CENT, CENTS = BUILT_PREFIX + "cent", BUILT_PREFIX + "cents"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", (d(0), "digits/dollars")),
        ("1", (d(1), "letters/dollar")),
        ("2.00", (d(2), "digits/dollars")),
        ("0.01", (d(1), CENT)),
        ("0.42", (d(40), d(2), CENTS)),
        ("1.42", (d(1), "letters/dollar", "vm-and", d(40), d(2), CENTS)),
        ("2.01", (d(2), "digits/dollars", "vm-and", d(1), CENT)),
        ("115.999", (d(1), "digits/hundred", d(16), "digits/dollars")),
        ("-3.5", ("digits/minus", d(3), "digits/dollars", "vm-and", d(50), CENTS)),
    ],
)
def test_dollars_in_english(amount: str, expected: tuple[str, ...]) -> None:
    assert say_amount(Decimal(amount), "en", "USD") == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", (d(0), YUAN)),
        ("1", (d(1), YUAN)),
        ("12.50", (d(12), YUAN, "vm-and", d(50), FEN)),
        ("0.05", (d(5), FEN)),
        ("-3.07", ("digits/minus", d(3), YUAN, "vm-and", d(7), FEN)),
    ],
)
def test_yuan_in_english(amount: str, expected: tuple[str, ...]) -> None:
    assert say_amount(Decimal(amount), "en") == expected
    assert say_amount(Decimal(amount), "en", "CNY") == expected


def test_english_money_words_are_spoken_as_written() -> None:
    assert BUILT_WORDS["en"] == {CENT: "cent", CENTS: "cents", YUAN: "yuan", FEN: "fen"}


ZH_CNY_UNITS = {"元": 100, "角": 10, "分": 1}


@given(st.one_of(amounts, small_amounts))
def test_chinese_yuan_read_back_to_the_rounded_amount(amount: Decimal) -> None:
    text = zh(say_amount(amount, "zh", "CNY"))
    expected = cents_of(amount)
    sign = 1
    if text.startswith("负"):
        sign, text = -1, text[1:]
    parts = re.findall("([^元角分]+)([元角分])", text)
    assert "".join(a + b for a, b in parts) == text
    units = [unit for _, unit in parts]
    assert units == sorted(units, key=lambda u: -ZH_CNY_UNITS[u])  # 元, then 角, then 分
    for number, unit in parts:
        if unit == "元":
            assert not number.startswith("零") or text == "零元"
        else:
            assert number.lstrip("零") in set(ZH_DIGIT_TEXT[1:])  # one digit of 角 or 分, not 零
            # 零 only bridges 元 and 分 when there are no 角: 三元零七分
            assert number.startswith("零") == (unit == "分" and units == ["元", "分"])
    value = sum(parse_zh_number(n.lstrip("零") or "零") * ZH_CNY_UNITS[u] for n, u in parts)
    assert sign * value == expected
    assert (sign == -1) == (expected < 0)


@given(st.one_of(amounts, small_amounts))
def test_other_amounts_read_back_to_the_rounded_amount(amount: Decimal) -> None:
    expected = cents_of(amount)
    for lang, currency, unit_values, minus in [
        (
            "en",
            "USD",
            {"digits/dollars": 100, "letters/dollar": 100, CENTS: 1, CENT: 1},
            "digits/minus",
        ),
        ("en", "CNY", {YUAN: 100, FEN: 1}, "digits/minus"),
        (
            "zh",
            "USD",
            {BUILT_PREFIX + "meiyuan": 100, BUILT_PREFIX + "meifen": 1},
            BUILT_PREFIX + "fu",
        ),
    ]:
        names = list(say_amount(amount, lang, currency))
        sign = 1
        if names[0] == minus:
            sign, names = -1, names[1:]
        total = 0
        for words, unit in split_at(names, set(unit_values)):
            if words[:1] == ["vm-and"]:
                words = words[1:]
            value = parse_en_number(words) if lang == "en" else parse_zh_number(zh(words))
            assert lang == "zh" or unit not in ("letters/dollar", CENT) or value == 1
            assert lang == "zh" or unit not in ("digits/dollars", CENTS) or value != 1
            total += value * unit_values[unit]
        assert sign * total == expected, (lang, currency, names)
        assert (sign == -1) == (expected < 0)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "amount", ["1000000000000", "-1000000000000", "999999999999.995", "1E+20", "NaN", "Infinity"]
)
def test_amounts_out_of_range_are_refused(amount: str, lang: str) -> None:
    with pytest.raises(ValueError):
        say_amount(Decimal(amount), lang)


def test_largest_amount_is_said() -> None:
    assert zh(say_amount(MAX_AMOUNT, "zh")).endswith("九千九百九十九元九角九分")


@pytest.mark.parametrize("currency", ["EUR", "cny", "", "RMB"])
def test_unknown_currencies_are_refused_by_name(currency: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(currency))):
        say_amount(Decimal(1), "en", currency)


def test_amounts_must_be_decimals() -> None:
    with pytest.raises(TypeError):
        say_amount(1.5, "en")  # type: ignore[arg-type]


# --- say_date ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (
            datetime.date(2026, 11, 23),  # a Monday
            ("digits/day-1", "digits/mon-10", d(20), "digits/h-3", d(20), d(20), d(6)),
        ),
        (
            datetime.date(2026, 2, 1),  # a Sunday
            ("digits/day-0", "digits/mon-1", "digits/h-1", d(20), d(20), d(6)),
        ),
        (
            datetime.date(1999, 12, 31),  # a Friday
            ("digits/day-5", "digits/mon-11", d(30), "digits/h-1", d(19), d(90), d(9)),
        ),
        (
            datetime.date(2000, 1, 20),  # a Thursday
            ("digits/day-4", "digits/mon-0", "digits/h-20", d(2), "digits/thousand"),
        ),
        (
            datetime.date(2005, 7, 30),  # a Saturday
            ("digits/day-6", "digits/mon-6", "digits/h-30", d(2), "digits/thousand", d(5)),
        ),
        (
            datetime.date(1905, 3, 12),  # a Sunday
            ("digits/day-0", "digits/mon-2", "digits/h-12", d(19), "digits/oh", d(5)),
        ),
        (
            datetime.date(1900, 3, 12),  # a Monday
            ("digits/day-1", "digits/mon-2", "digits/h-12", d(19), "digits/hundred"),
        ),
        (
            datetime.date(2010, 3, 12),  # a Friday
            ("digits/day-5", "digits/mon-2", "digits/h-12", d(20), d(10)),
        ),
    ],
)
def test_dates_in_english(date: datetime.date, expected: tuple[str, ...]) -> None:
    assert say_date(date, "en") == expected


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (datetime.date(2026, 11, 23), "二零二六年十一月二十三日星期一"),
        (datetime.date(2026, 2, 1), "二零二六年二月一日星期日"),
        (datetime.date(2000, 10, 10), "二零零零年十月十日星期二"),
        (datetime.date(1999, 12, 31), "一九九九年十二月三十一日星期五"),
        (datetime.date(2024, 6, 15), "二零二四年六月十五日星期六"),
    ],
)
def test_dates_in_chinese(date: datetime.date, expected: str) -> None:
    assert zh(say_date(date, "zh")) == expected


EN_WEEKDAYS = ["day-1", "day-2", "day-3", "day-4", "day-5", "day-6", "day-0"]  # Monday first


@given(dates)
def test_english_dates_name_the_weekday_month_and_year(date: datetime.date) -> None:
    names = say_date(date, "en")
    assert names[0] == "digits/" + EN_WEEKDAYS[date.weekday()]
    assert names[1] == f"digits/mon-{date.month - 1}"
    ordinal = [n for n in names[2:4] if n.startswith("digits/h-")]
    assert len(ordinal) == 1
    day_words = names[2 : names.index(ordinal[0]) + 1]
    tens = parse_en_number(day_words[:-1]) if len(day_words) > 1 else 0
    assert tens + int(ordinal[0].removeprefix("digits/h-")) == date.day
    assert read_en_year(names[2 + len(day_words) :]) == date.year


def read_en_year(names: Sequence[str]) -> int:
    """A year said as a number (two thousand five, nine hundred one) or in pairs: the century
    (10..99), then "hundred", or "oh" and a digit, or a number from 10 to 99."""
    try:
        return parse_en_number(names)
    except ValueError:
        pass
    for length in (2, 1):
        try:
            century = parse_en_number(names[:length])
        except ValueError:
            continue
        rest = tuple(names[length:])
        assert 10 <= century <= 99, names
        if rest == ("digits/hundred",):
            return century * 100
        if rest[:1] == ("digits/oh",):
            low = parse_en_number(rest[1:])
            assert 1 <= low <= 9, names
        else:
            low = parse_en_number(rest)
            assert 10 <= low <= 99, names
        return century * 100 + low
    raise AssertionError(f"{names} is not a year")


@given(dates)
def test_chinese_dates_read_back(date: datetime.date) -> None:
    text = zh(say_date(date, "zh"))
    match = re.fullmatch("([零一二三四五六七八九]+)年(.+)月(.+)日星期(.)", text)
    assert match, text
    year = "".join(str(ZH_DIGIT_TEXT.index(c)) for c in match[1])
    assert year == str(date.year)
    assert parse_zh_number(match[2]) == date.month
    assert parse_zh_number(match[3]) == date.day
    assert match[4] == "一二三四五六日"[date.weekday()]


# --- every sound exists: stock in English, built otherwise ------------------------------------


def _all_outputs() -> st.SearchStrategy[tuple[str, tuple[str, ...]]]:
    langs = st.sampled_from(["en", "zh"])
    calls: list[st.SearchStrategy[tuple[str, tuple[str, ...]]]] = [
        st.builds(lambda k, lang: (lang, say_digits(k, lang)), st.text("0123456789*#"), langs),
        st.builds(lambda n, lang: (lang, say_number(n, lang)), interesting_numbers, langs),
        st.builds(
            lambda a, lang, cur: (lang, say_amount(a, lang, cur)),
            st.one_of(amounts, small_amounts),
            langs,
            st.sampled_from(["CNY", "USD"]),
        ),
        st.builds(lambda day, lang: (lang, say_date(day, lang)), dates, langs),
    ]
    return st.one_of(calls)


@given(_all_outputs())
def test_every_sound_said_is_stock_english_or_a_built_word(
    said: tuple[str, tuple[str, ...]],
) -> None:
    lang, names = said
    available = BUILT_WORDS[lang].keys() | (EN_STOCK_SOUNDS if lang == "en" else set())
    assert set(names) <= available, set(names) - available


EXAMPLES: list[Callable[[str], tuple[str, ...]]] = [
    *(lambda lang, k=k: say_digits(k, lang) for k in ("0123456789", "*#")),
    *(lambda lang, n=n: say_number(n, lang) for n in (-123_456_789_012, 999_999_999_999, 0)),
    *(lambda lang, n=n: say_number(n, lang) for n in range(21)),
    *(lambda lang, n=n: say_number(n, lang) for n in range(30, 100, 10)),
    *(
        lambda lang, a=a, c=c: say_amount(Decimal(a), lang, c)
        for a in ("1.01", "2.42", "-0.10")
        for c in ("CNY", "USD")
    ),
    *(lambda lang, m=m: say_date(datetime.date(2026, m, 1), lang) for m in range(1, 13)),
    *(lambda lang, day=day: say_date(datetime.date(1905, 1, day), lang) for day in range(1, 32)),
    lambda lang: say_date(datetime.date(1900, 1, 1), lang),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_sound_is_listed_that_is_never_said(lang: str) -> None:
    said = {name for example in EXAMPLES for name in example(lang)}
    listed = BUILT_WORDS[lang].keys() | (EN_STOCK_SOUNDS if lang == "en" else set())
    assert listed - said == set()
    assert said <= listed


def test_built_words_are_ascii_names_under_the_built_prefix_with_text() -> None:
    assert set(BUILT_WORDS) == {"en", "zh"}
    for lang, words in BUILT_WORDS.items():
        for name, text in words.items():
            assert re.fullmatch(r"asterisk-cc/say/[a-z0-9-]+", name), name
            assert text.strip() == text and text, (lang, name)
            if lang == "zh":
                assert re.fullmatch(r"[\u4e00-\u9fff]+", text), text
    assert not EN_STOCK_SOUNDS & BUILT_WORDS["en"].keys()
    assert {BUILT_WORDS["zh"][f"{BUILT_PREFIX}{n}"] for n in range(10)} == set(ZH_DIGIT_TEXT)


STOCK_DIR = cache_dir_from_env() / "rootfs/usr/share/asterisk/sounds/en_US_f_Allison"


@pytest.mark.skipif(
    not STOCK_DIR.is_dir(), reason=f"no sandbox rootfs with the stock English sounds: {STOCK_DIR}"
)
def test_stock_english_sounds_exist_in_the_debian_package() -> None:
    missing = {name for name in EN_STOCK_SOUNDS if not (STOCK_DIR / f"{name}.gsm").is_file()}
    assert missing == set()
