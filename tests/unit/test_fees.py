"""core.fees: offers from eth_feeHistory, and replacements nodes accept."""

from hypothesis import given
from hypothesis import strategies as st

from ogcli.core.fees import MIN_PRIORITY_FEE_WEI, Fees, from_base_fee, from_history, replacement

GWEI = 10**9


def test_the_tip_is_the_median_of_recent_tips_and_the_cap_covers_rising_base_fees():
    history = {"baseFeePerGas": [hex(10 * GWEI), hex(11 * GWEI), hex(12 * GWEI)],
               "reward": [[hex(1 * GWEI)], [hex(3 * GWEI)], [hex(2 * GWEI)]]}
    offer = from_history(history)
    assert offer.max_priority_fee_per_gas == 2 * GWEI
    assert offer.max_fee_per_gas == 2 * 12 * GWEI + 2 * GWEI  # the last base fee is the next block's


def test_a_quiet_chain_gets_the_floor_tip():
    assert from_history({"baseFeePerGas": [0, 7], "reward": [[0], [0]]}) == Fees(14 + MIN_PRIORITY_FEE_WEI, MIN_PRIORITY_FEE_WEI)
    assert from_history({"baseFeePerGas": [5]}) == from_base_fee(5)


@given(cap=st.integers(1, 10**13), tip=st.integers(0, 10**12), now_cap=st.integers(1, 10**13), now_tip=st.integers(0, 10**12))
def test_a_replacement_outbids_the_stuck_transaction_by_more_than_pools_require(cap, tip, now_cap, now_tip):
    tip = min(tip, cap)
    new = replacement(Fees(cap, tip), Fees(max(now_cap, now_tip), now_tip))
    assert new.max_fee_per_gas * 10 >= cap * 11 and new.max_priority_fee_per_gas * 10 >= tip * 11  # geth: +10%
    assert new.max_fee_per_gas >= max(now_cap, now_tip) and new.max_priority_fee_per_gas >= now_tip
    assert new.max_priority_fee_per_gas <= new.max_fee_per_gas
