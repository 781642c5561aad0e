"""EIP-1559 fees: what to offer from the chain's recent blocks (eth_feeHistory), and what a
replacement must offer for nodes to take it in place of a stuck transaction.

The tip is the median of the recent blocks' median tips (what got transactions in lately), never
below MIN_PRIORITY_FEE_WEI; the cap is twice the next block's base fee plus the tip, which
survives six full blocks of base-fee rises (+12.5% each) while only base fee + tip is paid. A
replacement raises both fields by at least REPLACEMENT_BUMP over the stuck transaction's (geth
and most pools refuse one that raises either by less than 10%), and never offers less than the
chain suggests now.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

MIN_PRIORITY_FEE_WEI = 1_000_000  # 0.001 gwei: an L2-sized tip, the floor on a quiet chain
HISTORY_BLOCKS = 10
TIP_PERCENTILE = 50
# +12.5%, above the 10% pools require, so rounding never leaves a replacement a wei short.
REPLACEMENT_BUMP_NUM, REPLACEMENT_BUMP_DEN = 9, 8


@dataclass(frozen=True)
class Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int

    def fields(self) -> dict[str, int]:
        return {"maxFeePerGas": self.max_fee_per_gas, "maxPriorityFeePerGas": self.max_priority_fee_per_gas}


def _quantity(value) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def from_history(history: dict) -> Fees:
    """Fees from an eth_feeHistory answer (blocks, reward percentiles [TIP_PERCENTILE]): its last
    baseFeePerGas entry is the next block's base fee."""
    base_fees = history.get("baseFeePerGas") or [0]
    next_base = _quantity(base_fees[-1])
    tips = [_quantity(row[0]) for row in history.get("reward") or [] if row]
    tip = max(MIN_PRIORITY_FEE_WEI, int(median(tips)) if tips else 0)
    return Fees(2 * next_base + tip, tip)


def from_base_fee(base_fee_wei: int) -> Fees:
    """Fees for a chain that does not answer eth_feeHistory: the floor tip over its base fee."""
    return Fees(2 * base_fee_wei + MIN_PRIORITY_FEE_WEI, MIN_PRIORITY_FEE_WEI)


def bumped(value: int) -> int:
    return -(-value * REPLACEMENT_BUMP_NUM // REPLACEMENT_BUMP_DEN)


def replacement(stuck: Fees, now: Fees) -> Fees:
    """What a transaction replacing `stuck` offers: each field raised by the bump, or what the
    chain suggests `now` if that is more; the tip never above the cap."""
    tip = max(bumped(stuck.max_priority_fee_per_gas), now.max_priority_fee_per_gas)
    cap = max(bumped(stuck.max_fee_per_gas), now.max_fee_per_gas, tip)
    return Fees(cap, tip)
