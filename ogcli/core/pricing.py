"""What a paid call costs, so that every party gets its share after InferenceSettlement's split.

The settlement contract takes a payment V and pays: the model's publisher its price P; the
validators `V * validator_bps / 10000` and the treasury `V * treasury_bps / 10000` (both rounded
down); the node the rest. A node that wants to keep a fee F asks for the smallest V with

    V - floor(V * validator_bps / 10000) - floor(V * treasury_bps / 10000) - P >= F

and rounds it up to a price a person reads as one: at most ROUND_DIGITS significant digits and
a whole multiple of 10,000 wei, so each basis-point cut is exact (no wei rounded away). A model
priced 0.5 OPG with a 0.01 fee costs 0.6 OPG, not 0.599999999999999998; the node keeps what the
rounding adds.
"""

from __future__ import annotations

from dataclasses import dataclass

BPS = 10_000
ROUND_DIGITS = 4


@dataclass(frozen=True)
class Split:
    payment_wei: int
    publisher_wei: int
    validators_wei: int
    treasury_wei: int
    node_wei: int


def split(payment_wei: int, price_wei: int, validator_bps: int, treasury_bps: int) -> Split:
    """The contract's split of a payment; ValueError when it would not cover the price and cuts."""
    validators = payment_wei * validator_bps // BPS
    treasury = payment_wei * treasury_bps // BPS
    node = payment_wei - price_wei - validators - treasury
    if node < 0:
        raise ValueError(f"a payment of {payment_wei} wei does not cover the price and the protocol's cuts")
    return Split(payment_wei, price_wei, validators, treasury, node)


def quote(price_wei: int, node_fee_wei: int, validator_bps: int, treasury_bps: int) -> int:
    """The round payment (see the module) that leaves the node at least `node_fee_wei` after the split."""
    payment = round_payment(smallest_payment(price_wei, node_fee_wei, validator_bps, treasury_bps))
    while split_node(payment, price_wei, validator_bps, treasury_bps) < node_fee_wei:  # not seen; kept as the proof
        payment = round_payment(payment + 1)
    return payment


def round_payment(wei: int) -> int:
    """`wei` rounded up to ROUND_DIGITS significant digits, and to a whole multiple of BPS wei."""
    if wei <= 0:
        return 0
    unit = max(10 ** max(len(str(wei)) - ROUND_DIGITS, 0), BPS)
    return -(-wei // unit) * unit


def smallest_payment(price_wei: int, node_fee_wei: int, validator_bps: int, treasury_bps: int) -> int:
    """The smallest payment that leaves the node at least `node_fee_wei` after the split."""
    if validator_bps + treasury_bps >= BPS:
        raise ValueError("the protocol's cuts take the whole payment")
    need = price_wei + node_fee_wei
    keep = BPS - validator_bps - treasury_bps
    # The node keeps between V*keep/BPS and V*keep/BPS + 2 (the two cuts round down), and that is
    # not monotonic in V; so the answer lies in a short range, scanned from its low end.
    low = max(0, (need - 2) * BPS // keep)
    high = -(-need * BPS // keep)
    return next(v for v in range(low, high + 1) if split_node(v, price_wei, validator_bps, treasury_bps) >= node_fee_wei)


def split_node(payment_wei: int, price_wei: int, validator_bps: int, treasury_bps: int) -> int:
    return payment_wei - price_wei - payment_wei * validator_bps // BPS - payment_wei * treasury_bps // BPS
