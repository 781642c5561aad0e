"""One delegator's staking positions, read in two Multicall3 round trips (after the chain-id
check): first what it holds where, then the pools, shares and rewards of those validators."""

from __future__ import annotations

from dataclasses import dataclass, field

from ogcli.chain.contracts import Protocol
from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, has_multicall, read_many
from ogcli.chain.validators import ValidatorState, validator_state
from ogcli.core.exposure import PastSlash, Pool, Redelegation, SlashLoss, Unbonding, slash_loss
from ogcli.errors import NetworkError


@dataclass(frozen=True)
class Delegation:
    validator: str
    shares: int
    value_wei: int
    pending_rewards_wei: int


@dataclass(frozen=True)
class Positions:
    address: str
    now: int  # chain time of the read
    unbonding_period_s: int
    dispute_slash_bps: int  # what one won dispute slashes (InferenceSettlement params)
    delegations: list[Delegation]
    unbondings: list[Unbonding]
    redelegations: list[Redelegation]
    validators: dict[str, ValidatorState]  # every validator the positions involve
    rewards_elsewhere_wei: dict[str, int]  # pending rewards where no stake is held any more
    slash_history: dict[str, tuple[PastSlash, ...]] = field(default_factory=dict)  # each validator's slashes

    @property
    def last_slashed_at(self) -> dict[str, int]:
        """Each validator's last slash (its execution time), 0 if none."""
        return {v: (h[-1].executed_at if h else 0) for v, h in self.slash_history.items()}

    @property
    def shares(self) -> dict[str, int]:
        return {d.validator: d.shares for d in self.delegations}

    @property
    def pools(self) -> dict[str, Pool]:
        return {a: Pool(s.tokens_wei, s.total_shares) for a, s in self.validators.items()}

    def exposed_to(self) -> list[str]:
        """Validators whose slash would cost this delegator something, in a stable order."""
        seen = [d.validator for d in self.delegations]
        seen += [u.validator for u in self.unbondings if u.created >= self.oldest_slashable]
        seen += [r.src for r in self.redelegations]
        return list(dict.fromkeys(seen))

    @property
    def oldest_slashable(self) -> int:
        """The earliest infraction time the contract would still accept now."""
        return self.now - self.unbonding_period_s

    def slash_loss(self, validator: str, fraction_bps: int, infraction_time: int | None = None) -> SlashLoss:
        """What a slash of `validator` now would take (worst case by default: an infraction as
        old as the contract still slashes: within the unbonding period and after the validator's
        last slash, which covers everything before it)."""
        last = self.last_slashed_at.get(validator, 0)
        worst = max(self.oldest_slashable, last + 1)
        return slash_loss(
            validator=validator,
            fraction_bps=fraction_bps,
            infraction_time=worst if infraction_time is None else infraction_time,
            history=self.slash_history.get(validator, ()),
            now=self.now,
            shares=self.shares,
            pools=self.pools,
            unbondings=self.unbondings,
            redelegations=self.redelegations,
        )


def read_positions(protocol: Protocol, delegator: str) -> Positions:
    rpc = protocol.rpc
    staking = protocol.staking
    multicall = protocol.contract("Multicall3", MULTICALL3_ADDRESS) if has_multicall(rpc) else None
    first = [
        Read(staking, "delegatorValidators", (delegator,)),
        Read(staking, "unbondingEntries", (delegator,)),
        Read(staking, "redelegationEntries", (delegator,)),
        Read(staking, "params"),
        Read(protocol.settlement, "params"),
    ]
    if multicall is not None:
        first.append(Read(multicall, "getCurrentBlockTimestamp"))
    results = _all(read_many(rpc, first))
    held, raw_unbondings, raw_redelegations, staking_params, settlement_params = results[:5]
    now = results[5] if multicall is not None else int(rpc.block("latest")["timestamp"], 16)
    unbondings = [Unbonding(e[0], e[1], e[2], e[3], e[4], e[5]) for e in raw_unbondings]
    redelegations = [Redelegation(e[0], e[1], e[2], e[3], e[5], e[6]) for e in raw_redelegations]
    involved = list(dict.fromkeys([*held, *(u.validator for u in unbondings), *(r.src for r in redelegations), *(r.dst for r in redelegations)]))
    claimable = list(held)
    second = [Read(staking, "getValidator", (v,)) for v in involved]
    second += [Read(staking, "delegationOf", (v, delegator)) for v in claimable]
    second += [Read(staking, "pendingRewards", (v, delegator)) for v in involved]
    second += [Read(staking, "slashHistory", (v,)) for v in involved]
    results = _all(read_many(rpc, second))
    views = results[: len(involved)]
    holdings = results[len(involved) : len(involved) + len(claimable)]
    rewards_at = len(involved) + len(claimable)
    rewards = dict(zip(involved, results[rewards_at : rewards_at + len(involved)]))
    histories = results[rewards_at + len(involved) :]
    return Positions(
        address=delegator,
        now=now,
        unbonding_period_s=staking_params[0],
        dispute_slash_bps=settlement_params[4],
        delegations=[
            Delegation(v, holding[0], holding[1], rewards[v]) for v, holding in zip(claimable, holdings)
        ],
        unbondings=unbondings,
        redelegations=redelegations,
        validators={v: validator_state(v, view) for v, view in zip(involved, views)},
        rewards_elsewhere_wei={v: w for v, w in rewards.items() if v not in claimable and w},
        slash_history={v: tuple(PastSlash(*h) for h in history) for v, history in zip(involved, histories)},
    )


def _all(results: list) -> list:
    failed = next((r for r in results if isinstance(r, ReadFailed)), None)
    if failed is not None:
        raise NetworkError(f"reading staking positions failed: {failed}")
    return results
