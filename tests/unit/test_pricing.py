"""Quotes leave the node its fee after the contract's split, and are the smallest that do."""

from hypothesis import given
from hypothesis import strategies as st

from ogcli.core.pricing import quote, split, split_node


@given(
    price=st.integers(0, 10**24),
    fee=st.integers(0, 10**20),
    validator_bps=st.integers(0, 5_000),
    treasury_bps=st.integers(0, 4_999),
)
def test_quote_is_the_smallest_payment_that_pays_everyone(price, fee, validator_bps, treasury_bps):
    payment = quote(price, fee, validator_bps, treasury_bps)
    assert split_node(payment, price, validator_bps, treasury_bps) >= fee
    assert all(split_node(v, price, validator_bps, treasury_bps) < fee for v in range(max(0, payment - 50), payment))
    parts = split(payment, price, validator_bps, treasury_bps)
    assert parts.publisher_wei + parts.validators_wei + parts.treasury_wei + parts.node_wei == payment


def test_devnet_numbers():
    # 0.1 OPG price, 0.01 OPG node fee, 10% validators, 5% treasury
    payment = quote(10**17, 10**16, 1_000, 500)
    assert split(payment, 10**17, 1_000, 500).node_wei >= 10**16
    assert split(payment - 1, 10**17, 1_000, 500).node_wei < 10**16
