"""Caller IDs as Asterisk gives them are read into E.164 and written back in a CRM's format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.customers import Customer, Tier, normalize_language, parse_tier
from asterisk_cc.core.phone import (
    InvalidPhoneNumber,
    WithheldNumber,
    format_for_lookup,
    is_known_region,
    lookup_variants,
    normalize_e164,
)

CN_MOBILE = "+8613812345678"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+86 138-1234-5678", "CN", CN_MOBILE),
        ("013812345678", "CN", CN_MOBILE),  # trunk prefix, as a landline dials a mobile
        ("13812345678", "CN", CN_MOBILE),
        ("8613812345678", "CN", CN_MOBILE),  # international form without the +
        ("008613812345678", "CN", CN_MOBILE),
        ("+8613812345678", "US", CN_MOBILE),
        ("008613812345678", "US", CN_MOBILE),  # 00 is read as international outside CN too
        ("01186 138 1234 5678", "US", CN_MOBILE),  # the US international prefix
        ("8613812345678", "US", CN_MOBILE),
        ("8613812345678", "GB", CN_MOBILE),
        ("01012345678", "CN", "+861012345678"),  # Beijing fixed line
        ("(202) 555-0143", "US", "+12025550143"),
        ("1-202-555-0143", "US", "+12025550143"),
        ("2025550143", "us", "+12025550143"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("00442079460958", "GB", "+442079460958"),
        ("  <+442079460958>  ", "CN", "+442079460958"),
        ("tel:+442079460958", "CN", "+442079460958"),
        ("sip:+8613812345678@carrier.example;user=phone", "US", CN_MOBILE),
    ],
)
def test_caller_ids_are_read_into_e164(raw: str, region: str, expected: str) -> None:
    assert normalize_e164(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "   ", "unknown", "Anonymous", "PRIVATE", '"anonymous"'])
def test_withheld_caller_ids_raise_withheld(raw: str) -> None:
    with pytest.raises(WithheldNumber, match="withheld"):
        normalize_e164(raw, "CN")


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("1001", "CN"),  # an internal extension
        ("12345", "US"),
        ("013812345678", "US"),  # a CN national form means nothing in the US
        ("14012000000", "CN"),  # CN length, unallocated: not read as the US number +1 401...
        ("abc", "GB"),
        ("+99912345678", "CN"),  # no such country code
        ("1" * 80, "CN"),
        ("'; DROP TABLE customers; --", "CN"),
    ],
)
def test_garbage_raises_invalid_phone_number_naming_the_input(raw: str, region: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        normalize_e164(raw, region)
    assert not isinstance(excinfo.value, WithheldNumber)
    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.raw == raw
    assert repr(raw[:40]) in str(excinfo.value) or raw[:40] in str(excinfo.value)


def test_unknown_default_region_is_named() -> None:
    assert is_known_region("cn") and not is_known_region("XX")
    with pytest.raises(InvalidPhoneNumber, match="'XX' is not a country"):
        normalize_e164("13812345678", "XX")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("e164", CN_MOBILE), ("digits", "8613812345678"), ("national", "13812345678")],
)
def test_format_for_lookup_cn_mobile(fmt: str, expected: str) -> None:
    assert format_for_lookup(CN_MOBILE, fmt) == expected


@pytest.mark.parametrize(
    ("e164", "national"),
    [
        ("+861012345678", "01012345678"),
        ("+442079460958", "02079460958"),
        ("+12025550143", "2025550143"),
    ],
)
def test_national_format_keeps_the_trunk_prefix_where_the_country_writes_it(
    e164: str, national: str
) -> None:
    assert format_for_lookup(e164, "national") == national


def test_lookup_variants_cover_both_spellings_of_a_cn_mobile() -> None:
    assert lookup_variants(CN_MOBILE, "national") == ("13812345678", "013812345678")
    assert lookup_variants("+442079460958", "national") == ("02079460958",)
    assert lookup_variants(CN_MOBILE, "digits") == ("8613812345678",)


def test_format_for_lookup_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown phone format"):
        format_for_lookup(CN_MOBILE, "dashes")
    with pytest.raises(InvalidPhoneNumber, match=r"starts with \+"):
        format_for_lookup("8613812345678", "e164")


CN_MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(CN_MOBILES)
def test_every_written_form_of_a_number_reads_back_to_the_same_e164(national: str) -> None:
    try:
        e164 = normalize_e164(national, "CN")
    except InvalidPhoneNumber:
        return  # a range phonenumbers does not list as allocated
    for fmt in ("e164", "digits", "national"):
        for variant in lookup_variants(e164, fmt):
            assert normalize_e164(variant, "CN") == e164
    assert normalize_e164("+" + format_for_lookup(e164, "digits"), "US") == e164


@given(st.text(max_size=30))
def test_normalize_never_raises_anything_but_invalid_phone_number(raw: str) -> None:
    try:
        result = normalize_e164(raw, "CN")
    except InvalidPhoneNumber:
        return
    assert result.startswith("+") and result[1:].isdigit() and 8 <= len(result) <= 16


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("VIP", Tier.VIP),
        (" v.i.p ", Tier.VIP),
        ("Platinum", Tier.VIP),
        ("贵宾", Tier.VIP),
        ("VIP客户", Tier.VIP),
        ("gold", Tier.GOLD),
        ("Gold member", Tier.GOLD),
        ("金卡客户", Tier.GOLD),
        ("standard", Tier.STANDARD),
        ("普通", Tier.STANDARD),
        ("", Tier.STANDARD),
        (None, Tier.STANDARD),
        ("something else", Tier.STANDARD),
    ],
)
def test_tier_parser_reads_crm_text(text: str | None, tier: Tier) -> None:
    assert parse_tier(text) is tier
    assert Tier.parse(text) is tier


@given(st.text(max_size=20))
def test_tier_parser_never_raises(text: str) -> None:
    assert parse_tier(text) in set(Tier)


def test_tier_rank_puts_vip_first() -> None:
    assert sorted(Tier, key=lambda t: t.rank) == [Tier.VIP, Tier.GOLD, Tier.STANDARD]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("zh_CN", "zh"),
        ("ZH-hans", "zh"),
        ("中文", "zh"),
        ("en-US", "en"),
        ("English", "en"),
        ("", None),
        (None, None),
        ("??", None),
    ],
)
def test_language_is_reduced_to_its_primary_subtag(text: str | None, language: str | None) -> None:
    assert normalize_language(text) == language


def test_customer_is_a_frozen_value_that_checks_its_phone() -> None:
    customer = Customer("42", "Li Lei", "A-1", Tier.VIP, "zh", "Asia/Shanghai", CN_MOBILE)
    with pytest.raises(AttributeError):
        customer.name = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"E\.164"):
        Customer("42", "Li Lei", phone_e164="13812345678")
    with pytest.raises(ValueError, match="customer_id"):
        Customer("", "Li Lei")
