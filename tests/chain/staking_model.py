"""A simple Python model of Staking's accounting, the reference the property tests hold it to.

Integer arithmetic like the contract; the contract may round differently by a wei per operation
(it always rounds in its own favour), so comparisons allow `ops` wei of slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BPS = 10_000


@dataclass
class Entry:
    validator: str
    delegator: str
    initial: int
    balance: int
    created: int
    id: int  # the contract's entry id (ids order entries and redelegations by creation)


@dataclass
class Redelegation:
    delegator: str
    src: str
    dst: str
    initial: int
    created: int
    completes: int
    id: int


@dataclass
class Model:
    unbonding_period: int
    tokens: dict[str, int] = field(default_factory=dict)
    shares: dict[str, int] = field(default_factory=dict)
    delegations: dict[tuple[str, str], int] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    redelegations: list[Redelegation] = field(default_factory=list)
    slashed: int = 0

    def value(self, validator: str, delegator: str) -> int:
        shares = self.delegations.get((validator, delegator), 0)
        total = self.shares.get(validator, 0)
        return shares * self.tokens[validator] // total if total else 0

    def delegate(self, validator: str, delegator: str, amount: int) -> None:
        total, tokens = self.shares.get(validator, 0), self.tokens.get(validator, 0)
        minted = amount if total == 0 else amount * total // tokens
        self.shares[validator] = total + minted
        self.tokens[validator] = tokens + amount
        key = (validator, delegator)
        self.delegations[key] = self.delegations.get(key, 0) + minted

    def _burn_value(self, validator: str, delegator: str, amount: int) -> None:
        total, tokens = self.shares[validator], self.tokens[validator]
        burned = -(-amount * total // tokens)  # rounded up, like the contract
        key = (validator, delegator)
        burned = min(burned, self.delegations[key])
        self.delegations[key] -= burned
        self.shares[validator] -= burned
        self.tokens[validator] -= amount

    def undelegate(self, validator: str, delegator: str, amount: int, now: int, entry_id: int) -> None:
        self._burn_value(validator, delegator, amount)
        self.entries.append(Entry(validator, delegator, amount, amount, now, entry_id))

    def redelegate(self, src: str, dst: str, delegator: str, amount: int, now: int, entry_id: int) -> None:
        self._burn_value(src, delegator, amount)
        self.delegate(dst, delegator, amount)
        self.redelegations.append(Redelegation(delegator, src, dst, amount, now, now + self.unbonding_period, entry_id))

    def slash(self, validator: str, infraction_time: int, fraction_bps: int, now: int) -> int:
        total = 0
        for entry in self.entries:
            if entry.validator == validator and entry.created >= infraction_time:
                cut = min(entry.balance, entry.initial * fraction_bps // BPS)
                entry.balance -= cut
                total += cut
        for red in self.redelegations:
            if red.src == validator and red.created >= infraction_time and red.completes > now:
                # From what is still bonded at the destination, then from the unbonding entries
                # opened there after the redelegation (the stake that moved on).
                owed = red.initial * fraction_bps // BPS
                bonded = min(owed, self.value(red.dst, red.delegator))
                if bonded:
                    self._burn_value(red.dst, red.delegator, bonded)
                    total += bonded
                owed -= bonded
                for entry in self.entries:
                    if owed and entry.validator == red.dst and entry.delegator == red.delegator and entry.id > red.id:
                        take = min(owed, entry.balance)
                        entry.balance -= take
                        owed -= take
                        total += take
        bonded_cut = self.tokens[validator] * fraction_bps // BPS
        self.tokens[validator] -= bonded_cut
        total += bonded_cut
        self.slashed += total
        return total
