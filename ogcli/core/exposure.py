"""Slashing what-ifs: what one delegator loses if a validator is slashed, by the contract's rule.

Staking.slash(validator, infractionTime, fractionBps) takes, in this order:

1. from each unbonding entry *of that validator* created at or after the infraction and not yet
   withdrawn: `min(balance, initialBalance * fraction / 10000)`;
2. from each redelegation *out of that validator* created at or after the infraction and not yet
   complete, newest first: `min(initialBalance * fraction / 10000, what the delegator still holds
   at the destination)`, burning destination shares rounded up (all of them when the cut is the
   whole holding);
3. from the validator's bonded pool: `tokens * fraction / 10000`; shares are unchanged, so every
   holder's value falls pro rata (values round down).

Entries created before the infraction are safe: that stake had left before the fault. A
validator is slashed at most once per infraction window: an infraction no later than its last
slash is covered by it and takes nothing more (the contract emits `SlashCovered`), so the worst
case per window is one slash. Entries pay their cut lazily on chain (on withdrawal, or when the
redelegated stake next moves), by the same amounts as here. Pure
integer arithmetic, the contract's rounding, so a prediction matches the chain to the wei (the
one exception: other delegators' redelegations into the same destination, slashed in the same
call, can shift the destination's share price by rounding, never by more than a wei each).
"""

from __future__ import annotations

from dataclasses import dataclass

BPS = 10_000


@dataclass(frozen=True)
class Pool:
    tokens: int
    total_shares: int

    def value(self, shares: int) -> int:
        return shares * self.tokens // self.total_shares if self.total_shares else 0


@dataclass(frozen=True)
class Unbonding:
    id: int
    validator: str
    initial_wei: int
    balance_wei: int
    created: int
    completes: int


@dataclass(frozen=True)
class Redelegation:
    id: int
    src: str
    dst: str
    initial_wei: int
    created: int
    completes: int


@dataclass(frozen=True)
class SlashLoss:
    validator: str
    fraction_bps: int
    infraction_time: int
    bonded_wei: int
    unbonding: tuple[tuple[int, int], ...]  # (entry id, wei taken)
    redelegation: tuple[tuple[int, str, int], ...]  # (entry id, destination, wei taken)

    @property
    def unbonding_wei(self) -> int:
        return sum(cut for _id, cut in self.unbonding)

    @property
    def redelegation_wei(self) -> int:
        return sum(cut for _id, _dst, cut in self.redelegation)

    @property
    def total_wei(self) -> int:
        return self.bonded_wei + self.unbonding_wei + self.redelegation_wei


def slash_loss(
    *,
    validator: str,
    fraction_bps: int,
    infraction_time: int,
    now: int,
    shares: dict[str, int],
    pools: dict[str, Pool],
    unbondings: list[Unbonding],
    redelegations: list[Redelegation],
    last_slashed_at: int = 0,
) -> SlashLoss:
    """The delegator's loss if `validator` were slashed by `fraction_bps` at time `now` for an
    infraction at `infraction_time`. `shares` and `pools` give the delegator's shares and the
    pools of every validator involved (the slashed one and the redelegation destinations)."""
    if not 0 < fraction_bps <= BPS:
        raise ValueError(f"fraction must be 1..{BPS} bps, not {fraction_bps}")
    if infraction_time <= last_slashed_at:  # covered by the last slash: nothing more
        return SlashLoss(validator=validator, fraction_bps=fraction_bps, infraction_time=infraction_time,
                         bonded_wei=0, unbonding=(), redelegation=())
    unbonding_cuts = tuple(
        (entry.id, min(entry.balance_wei, entry.initial_wei * fraction_bps // BPS))
        for entry in unbondings
        if entry.validator == validator and entry.created >= infraction_time
    )
    held = dict(shares)
    live_pools = dict(pools)
    redelegation_cuts = []
    slashable = [
        r for r in redelegations if r.src == validator and r.created >= infraction_time and r.completes > now
    ]
    for entry in sorted(slashable, key=lambda r: r.id, reverse=True):  # the contract walks newest first
        pool = live_pools[entry.dst]
        holding = held.get(entry.dst, 0)
        available = pool.value(holding)
        cut = min(entry.initial_wei * fraction_bps // BPS, available)
        if cut == 0:
            continue
        burned = holding if cut == available else -(-cut * pool.total_shares // pool.tokens)
        held[entry.dst] = holding - burned
        live_pools[entry.dst] = Pool(pool.tokens - cut, pool.total_shares - burned)
        redelegation_cuts.append((entry.id, entry.dst, cut))
    pool = live_pools.get(validator, Pool(0, 0))
    mine = held.get(validator, 0)
    after = Pool(pool.tokens - pool.tokens * fraction_bps // BPS, pool.total_shares)
    return SlashLoss(
        validator=validator,
        fraction_bps=fraction_bps,
        infraction_time=infraction_time,
        bonded_wei=pool.value(mine) - after.value(mine),
        unbonding=tuple((i, c) for i, c in unbonding_cuts if c),
        redelegation=tuple(redelegation_cuts),
    )
