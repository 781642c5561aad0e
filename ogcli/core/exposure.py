"""Slashing what-ifs: what one delegator loses if a validator is slashed, by the contract's rule.

Staking.slash(validator, infractionTime, fractionBps) takes:

1. from the validator's bonded pool: `tokens * fraction / 10000`; shares are unchanged, so every
   holder's value falls pro rata (values round down);
2. from each unbonding entry *of that validator* created at or after the infraction and not yet
   withdrawn: `min(balance, initialBalance * fraction / 10000)`;
3. for each redelegation *out of that validator* created at or after the infraction and not yet
   complete, oldest first: `initialBalance * fraction / 10000`, taken from what the delegator
   still holds at the destination (burning destination shares rounded up, all of them when the
   cut is the whole holding), and what that cannot pay from the delegator's unbonding entries at
   the destination created after the redelegation (stake that moved on still stood behind the
   source).

Entries created before the infraction are safe: that stake had left before the fault. A
validator is slashed at most once per infraction window: an infraction no later than its last
slash is covered by it, and takes nothing more from the bonded pool (the contract emits
`SlashCovered`); but the covering slash then reaches the entries created since this earlier
infraction, at the covering slash's own fraction. So the worst case per window is one slash.
Entries pay their cut lazily on chain (on withdrawal, or when the redelegated stake next moves),
by the same amounts as here. Pure integer arithmetic, the contract's rounding, so a prediction
matches the chain to the wei (the one exception: other delegators' redelegations into the same
destination, collected in between, can shift the destination's share price by rounding, never by
more than a wei each).
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
class PastSlash:
    """One executed slash of a validator (Staking.slashHistory)."""

    infraction_time: int
    executed_at: int
    fraction_bps: int
    entry_watermark: int  # entries with a smaller id were created before it


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
    history: tuple[PastSlash, ...] = (),
) -> SlashLoss:
    """The delegator's loss if `validator` were slashed by `fraction_bps` at time `now` for an
    infraction at `infraction_time`, given the validator's slash `history`. `shares` and `pools`
    give the delegator's shares and the pools of every validator involved (the slashed one and
    the redelegation destinations)."""
    if not 0 < fraction_bps <= BPS:
        raise ValueError(f"fraction must be 1..{BPS} bps, not {fraction_bps}")
    covering = next((h for h in history if h.executed_at >= infraction_time), None)
    if covering is not None:
        # Covered: the bonded pool paid already. The covering slash reaches back to this
        # infraction: entries made before it executed, since this infraction, that it did not
        # reach yet (made at or after its own recorded infraction they were reached already).
        def reached_now(entry_id: int, created: int) -> bool:
            return entry_id < covering.entry_watermark and infraction_time <= created < covering.infraction_time

        return _entry_cuts(validator, covering.fraction_bps, covering.executed_at, reached_now, shares, pools,
                           unbondings, redelegations, bonded=False, infraction_time=infraction_time)

    def reached(entry_id: int, created: int) -> bool:
        return created >= infraction_time

    return _entry_cuts(validator, fraction_bps, now, reached, shares, pools, unbondings, redelegations,
                       bonded=True, infraction_time=infraction_time)


def _entry_cuts(validator, fraction_bps, executed_at, reached, shares, pools, unbondings, redelegations, *,
                bonded: bool, infraction_time: int) -> SlashLoss:
    unbonding_left = {u.id: u.balance_wei for u in unbondings}
    unbonding_cuts = []
    for entry in unbondings:
        # As the contract: a slash reaches an entry only before it matures (`executedAt < completionTime`).
        if entry.validator == validator and reached(entry.id, entry.created) and entry.completes > executed_at:
            cut = min(entry.balance_wei, entry.initial_wei * fraction_bps // BPS)
            unbonding_left[entry.id] -= cut
            unbonding_cuts.append((entry.id, cut))
    held = dict(shares)
    live_pools = dict(pools)
    redelegation_cuts = []
    slashable = [r for r in redelegations
                 if r.src == validator and reached(r.id, r.created) and r.completes > executed_at]
    for entry in sorted(slashable, key=lambda r: r.id):  # the contract collects oldest first
        owed = entry.initial_wei * fraction_bps // BPS
        pool = live_pools[entry.dst]
        holding = held.get(entry.dst, 0)
        available = pool.value(holding)
        from_bonded = min(owed, available)
        if from_bonded:
            burned = holding if from_bonded == available else -(-from_bonded * pool.total_shares // pool.tokens)
            held[entry.dst] = holding - burned
            live_pools[entry.dst] = Pool(pool.tokens - from_bonded, pool.total_shares - burned)
        owed -= from_bonded
        from_unbonding = 0
        for later in sorted(unbondings, key=lambda u: u.id):
            if owed and later.validator == entry.dst and later.id > entry.id:
                take = min(owed, unbonding_left[later.id])
                unbonding_left[later.id] -= take
                owed -= take
                from_unbonding += take
        if from_bonded + from_unbonding:
            redelegation_cuts.append((entry.id, entry.dst, from_bonded + from_unbonding))
    bonded_wei = 0
    if bonded:
        pool = live_pools.get(validator, Pool(0, 0))
        mine = held.get(validator, 0)
        after = Pool(pool.tokens - pool.tokens * fraction_bps // BPS, pool.total_shares)
        bonded_wei = pool.value(mine) - after.value(mine)
    return SlashLoss(
        validator=validator,
        fraction_bps=fraction_bps,
        infraction_time=infraction_time,
        bonded_wei=bonded_wei,
        unbonding=tuple((i, c) for i, c in unbonding_cuts if c),
        redelegation=tuple(redelegation_cuts),
    )
