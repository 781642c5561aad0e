"""core.exposure: the contract's slashing rule, checked on hand-computed cases."""

from __future__ import annotations

import pytest

from ogcli.core.exposure import PastSlash, Pool, Redelegation, Unbonding, slash_loss

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


def test_redelegations_are_cut_at_the_destination_oldest_first_and_capped():
    redelegations = [
        Redelegation(9, V, W, 300 * E18, NOW - 40, NOW + 10),
        Redelegation(7, V, W, 100 * E18, NOW - 50, NOW + 10),
        Redelegation(5, V, W, 100 * E18, NOW - 200, NOW + 10),  # before the fault
        Redelegation(11, V, W, 100 * E18, NOW - 30, NOW),  # complete: out of reach
    ]
    # The delegator holds only 35 OPG at W: entry 7 takes its 10, entry 9 the remaining 25.
    loss = _loss(shares={V: 0, W: 35 * E18}, redelegations=redelegations)
    assert loss.redelegation == ((7, W, 10 * E18), (9, W, 25 * E18))
    assert loss.bonded_wei == 0


def test_a_redelegation_pays_from_unbonding_entries_at_the_destination_made_after_it():
    redelegation = Redelegation(7, V, W, 100 * E18, NOW - 50, NOW + 10)
    unbondings = [
        Unbonding(6, W, 50 * E18, 50 * E18, NOW - 60, NOW + 10),  # older than the redelegation: not its stake
        Unbonding(8, W, 4 * E18, 4 * E18, NOW - 40, NOW + 10),
        Unbonding(9, W, 90 * E18, 90 * E18, NOW - 30, NOW + 10),
    ]
    # 1 OPG still bonded at W, then 4 from entry 8 and 5 from entry 9: the whole 10 owed.
    loss = _loss(shares={V: 0, W: 1 * E18}, redelegations=[redelegation], unbondings=unbondings)
    assert loss.redelegation == ((7, W, 10 * E18),)
    short = _loss(shares={V: 0, W: 0}, redelegations=[redelegation], unbondings=unbondings[:2])
    assert short.redelegation == ((7, W, 4 * E18),)  # what is left to take, no more


@pytest.mark.parametrize("bps", [0, 10_001])
def test_fraction_out_of_range_is_refused(bps):
    with pytest.raises(ValueError):
        _loss(fraction_bps=bps)


def test_an_infraction_covered_by_the_last_slash_takes_nothing_more_from_the_pool():
    entry = Unbonding(1, V, 100 * E18, 100 * E18, NOW - 50, NOW + 10_000)
    earlier = PastSlash(infraction_time=NOW - 300, executed_at=NOW - 200, fraction_bps=500, entry_watermark=1)
    fresh = _loss(unbondings=[entry], history=(earlier,))  # fault after the last slash
    assert fresh.total_wei == 30 * E18 + 10 * E18
    covering = PastSlash(infraction_time=NOW - 100, executed_at=NOW - 100, fraction_bps=500, entry_watermark=5)
    covered = _loss(unbondings=[entry], history=(covering,))  # fault at (or before) it; entry made after
    assert covered.total_wei == 0 and covered.unbonding == () and covered.bonded_wei == 0


def test_covered_evidence_widens_the_covering_slash_back_to_its_own_infraction():
    """A validator lies at t0, its delegator exits, it lies again and disputes itself: the slash for
    the second lie covers the first, and now reaches the exit made between the two."""
    exit_ = Unbonding(3, V, 100 * E18, 100 * E18, NOW - 80, NOW + 10_000)  # between the two lies
    reached_already = Unbonding(4, V, 100 * E18, 90 * E18, NOW - 40, NOW + 10_000)  # after the second lie
    covering = PastSlash(infraction_time=NOW - 50, executed_at=NOW - 30, fraction_bps=1_000, entry_watermark=5)
    loss = _loss(infraction_time=NOW - 100, unbondings=[exit_, reached_already], history=(covering,))
    assert loss.bonded_wei == 0
    assert loss.unbonding == ((3, 10 * E18),)  # at the covering slash's fraction, 10%


def test_an_unbonding_entry_that_matured_before_the_slash_is_out_of_reach():
    matured = Unbonding(1, V, 100 * E18, 100 * E18, NOW - 50, NOW)  # withdrawable now, not withdrawn
    pending = Unbonding(2, V, 100 * E18, 100 * E18, NOW - 50, NOW + 1)
    assert _loss(unbondings=[matured, pending]).unbonding == ((2, 10 * E18),)
