"""core.exposure: the contract's slashing rule, checked on hand-computed cases."""

from __future__ import annotations

import pytest

from ogcli.core.exposure import Pool, Redelegation, Unbonding, slash_loss

V, W = "0xV", "0xW"
NOW = 1_000_000
E18 = 10**18


def _loss(**overrides):
    args = dict(
        validator=V,
        fraction_bps=1_000,
        infraction_time=NOW - 100,
        now=NOW,
        shares={V: 300 * E18},
        pools={V: Pool(1_000 * E18, 1_000 * E18), W: Pool(500 * E18, 500 * E18)},
        unbondings=[],
        redelegations=[],
    )
    args.update(overrides)
    return slash_loss(**args)


def test_bonded_loss_is_pro_rata():
    loss = _loss()
    assert loss.bonded_wei == 30 * E18 and loss.total_wei == 30 * E18


def test_bonded_loss_rounds_like_the_contract():
    # tokens 1000, shares 3: value 333 before, cut 100 -> 900 * 1 // 3 = 300: loss 33
    loss = _loss(shares={V: 1}, pools={V: Pool(1_000, 3)})
    assert loss.bonded_wei == 333 - 300


def test_only_unbonding_entries_made_at_or_after_the_fault_lose():
    entries = [
        Unbonding(1, V, 100 * E18, 100 * E18, NOW - 101, NOW + 10),  # before: safe
        Unbonding(2, V, 200 * E18, 200 * E18, NOW - 100, NOW + 10),  # at the fault: slashed
        Unbonding(3, V, 50 * E18, 4 * E18, NOW - 50, NOW + 10),  # capped at its balance
        Unbonding(4, W, 80 * E18, 80 * E18, NOW - 50, NOW + 10),  # another validator's
    ]
    loss = _loss(unbondings=entries)
    assert loss.unbonding == ((2, 20 * E18), (3, 4 * E18))


def test_redelegations_are_cut_at_the_destination_newest_first_and_capped():
    redelegations = [
        Redelegation(7, V, W, 100 * E18, NOW - 50, NOW + 10),
        Redelegation(9, V, W, 300 * E18, NOW - 40, NOW + 10),
        Redelegation(5, V, W, 100 * E18, NOW - 200, NOW + 10),  # before the fault
        Redelegation(11, V, W, 100 * E18, NOW - 30, NOW),  # complete: out of reach
    ]
    # The delegator holds only 35 OPG at W: entry 9 takes 30, entry 7 the remaining 5.
    loss = _loss(shares={V: 0, W: 35 * E18}, redelegations=redelegations)
    assert loss.redelegation == ((9, W, 30 * E18), (7, W, 5 * E18))
    assert loss.bonded_wei == 0


@pytest.mark.parametrize("bps", [0, 10_001])
def test_fraction_out_of_range_is_refused(bps):
    with pytest.raises(ValueError):
        _loss(fraction_bps=bps)


def test_an_infraction_covered_by_the_last_slash_takes_nothing_more():
    entry = Unbonding(1, V, 100 * E18, 100 * E18, NOW - 50, NOW + 10_000)
    fresh = _loss(unbondings=[entry], last_slashed_at=NOW - 200)  # fault after the last slash
    assert fresh.total_wei == 30 * E18 + 10 * E18
    covered = _loss(unbondings=[entry], last_slashed_at=NOW - 100)  # fault at (or before) it
    assert covered.total_wei == 0 and covered.unbonding == () and covered.bonded_wei == 0
