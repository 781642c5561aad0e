"""Quotes leave the node its fee after the contract's split, read as round prices (at most four
significant digits), and leave no wei to rounding in any basis-point cut."""

from hypothesis import given
from hypothesis import strategies as st

from ogcli.core.pricing import BPS, ROUND_DIGITS, quote, round_payment, smallest_payment, split, split_node

PARAMETERS = dict(
    price=st.integers(0, 10**24),
    fee=st.integers(0, 10**20),
    validator_bps=st.integers(0, 5_000),
    treasury_bps=st.integers(0, 4_999),
)


@given(**PARAMETERS)
def test_smallest_payment_is_the_smallest_that_pays_everyone(price, fee, validator_bps, treasury_bps):
    payment = smallest_payment(price, fee, validator_bps, treasury_bps)
    assert split_node(payment, price, validator_bps, treasury_bps) >= fee
    assert all(split_node(v, price, validator_bps, treasury_bps) < fee for v in range(max(0, payment - 50), payment))


@given(**PARAMETERS)
def test_a_quote_is_round_exact_and_pays_everyone(price, fee, validator_bps, treasury_bps):
    payment = quote(price, fee, validator_bps, treasury_bps)
    parts = split(payment, price, validator_bps, treasury_bps)
    assert parts.node_wei >= fee
    assert parts.publisher_wei + parts.validators_wei + parts.treasury_wei + parts.node_wei == payment
    # every cut exact: nothing rounded down by the contract's floor division
    assert payment * validator_bps % BPS == 0 and payment * treasury_bps % BPS == 0
    assert len(str(payment).rstrip("0")) <= ROUND_DIGITS or payment == 0
    # and no rounder than it must be: one grid step down no longer covers the smallest payment
    smallest = smallest_payment(price, fee, validator_bps, treasury_bps)
    assert payment >= smallest
    step = max(10 ** max(len(str(payment)) - ROUND_DIGITS, 0), BPS)
    assert payment - step < smallest


def test_the_issue_s_price_reads_as_typed():
    # As the issue found it: a model priced 0.5 OPG, the node's 0.01 fee, 10% validators and 5%
    # treasury cost 0.599999999999999998 OPG. Now 0.6, and the node keeps the two wei.
    assert smallest_payment(5 * 10**17, 10**16, 1_000, 500) == 599_999_999_999_999_998
    payment = quote(5 * 10**17, 10**16, 1_000, 500)
    assert payment == 6 * 10**17
    assert split(payment, 5 * 10**17, 1_000, 500) == split(6 * 10**17, 5 * 10**17, 1_000, 500)
    parts = split(payment, 5 * 10**17, 1_000, 500)
    assert (parts.validators_wei, parts.treasury_wei, parts.node_wei) == (6 * 10**16, 3 * 10**16, 10**16)


def test_round_payment():
    assert [round_payment(v) for v in (0, 1, 9_999, 10_001, 123_456_789, 10**18, 10**18 + 1)] == [
        0, 10_000, 10_000, 20_000, 123_500_000, 10**18, 1_001 * 10**15]
