"""The amount rule of the README: exact decimals in, exact decimals out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ogcli.core.addresses import AddressError, parse_address
from ogcli.core.amounts import AmountError, format_amount, parse_amount


@pytest.mark.parametrize(
    "text, wei",
    [
        ("1.5", 1_500_000_000_000_000_000),
        ("0.000000000000000001", 1),
        ("1000", 10**21),
        (".5", 5 * 10**17),
        ("2.", 2 * 10**18),
        (" 3 ", 3 * 10**18),
    ],
)
def test_accepted(text, wei):
    assert parse_amount(text) == wei


@pytest.mark.parametrize(
    "text, reason",
    [
        ("1e3", "exponents"),
        ("0.0000000000000000001", "18 decimals"),
        ("-1", "negative"),
        ("+1", "without a sign"),
        ("nan", "not an amount"),
        ("inf", "not an amount"),
        ("", "empty"),
        ("1,000", "separators"),
        ("1.2.3", "not a number"),
        ("abc", "not a number"),
        (".", "not a number"),
        ("0", "greater than zero"),
        ("0.0", "greater than zero"),
    ],
)
def test_refused(text, reason):
    with pytest.raises(AmountError, match=reason):
        parse_amount(text)


def test_zero_allowed_when_asked():
    assert parse_amount("0", allow_zero=True) == 0


@given(st.integers(min_value=1, max_value=10**30))
def test_format_then_parse_is_identity(wei):
    assert parse_amount(format_amount(wei)) == wei


def test_format_for_people():
    assert format_amount(1_234_500_000_000_000_000_000, group=True) == "1,234.5"
    assert format_amount(123_456_789_000_000_000, max_fraction=4) == "0.1234"
    assert format_amount(0) == "0"


def test_addresses():
    good = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert parse_address(good.lower()) == good
    assert parse_address(good) == good
    with pytest.raises(AddressError, match="checksum"):
        parse_address(good.replace("F6F4", "f6F4"))
    with pytest.raises(AddressError, match="not an address"):
        parse_address("0x1234")
