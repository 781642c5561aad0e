"""Genesis parameters of a protocol deployment: token allocation, governance, staking, settlement, node bonds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

OPG = 10**18
DAY = 86_400
YEAR = 365 * DAY

VENDORS = ("NITRO", "TDX", "SNP", "NVIDIA_CC", "DEV")
VENDOR_ID = {name: index for index, name in enumerate(VENDORS)}
# The vendors whose attestation documents the chain verifies (Nitro-shaped COSE_Sign1, by
# NitroVerifier): the only ones TEERegistry registers enclaves of.
VERIFIABLE_VENDORS = ("NITRO", "DEV")
# SHA-256 of the AWS Nitro Enclaves root certificate's DER, as AWS publishes it.
AWS_NITRO_ROOT_SHA256 = bytes.fromhex("641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b")


@dataclass(frozen=True)
class StakingParams:
    unbonding_period_s: int = 14 * DAY
    max_commission_bps: int = 2_000
    max_commission_change_bps: int = 200
    commission_change_delay_s: int = DAY
    min_self_stake_wei: int = 10_000 * OPG
    jail_duration_s: int = 2 * DAY

    def as_tuple(self) -> tuple:
        return (
            self.unbonding_period_s,
            self.max_commission_bps,
            self.max_commission_change_bps,
            self.commission_change_delay_s,
            self.min_self_stake_wei,
            self.jail_duration_s,
        )


@dataclass(frozen=True)
class SettlementParams:
    validator_fee_bps: int = 1_000
    treasury_fee_bps: int = 500
    rewarded_attesters: int = 3
    challenge_window_s: int = 7 * DAY  # shorter than the unbonding period, so slashes still land
    slash_fraction_bps: int = 1_000
    challenger_reward_bps: int = 2_000

    def as_tuple(self) -> tuple:
        return (
            self.validator_fee_bps,
            self.treasury_fee_bps,
            self.rewarded_attesters,
            self.challenge_window_s,
            self.slash_fraction_bps,
            self.challenger_reward_bps,
        )


@dataclass(frozen=True)
class BondParams:
    """NodeBonds: what a node puts up behind the TEE records it settles."""

    min_bond_wei: int = 1_000 * OPG
    unbonding_delay_s: int = 10 * DAY  # longer than the challenge window, so a dispute in time finds the bond
    slash_fraction_bps: int = 1_000  # of the whole bond, per false record, on top of its fee

    def as_tuple(self) -> tuple:
        return (self.min_bond_wei, self.unbonding_delay_s, self.slash_fraction_bps)


@dataclass(frozen=True)
class GovernanceParams:
    voting_delay_s: int = DAY
    voting_period_s: int = 3 * DAY
    proposal_threshold_wei: int = 100_000 * OPG
    quorum_percent: int = 4
    timelock_delay_s: int = 2 * DAY


@dataclass(frozen=True)
class VestingGrant:
    beneficiary: str
    amount_wei: int
    label: str


@dataclass(frozen=True)
class TeeMeasurement:
    vendor: str
    measurement: bytes
    label: str


@dataclass(frozen=True)
class GenesisParams:
    """Everything a deployment fixes at genesis; the timelock can change the rest later."""

    total_supply_wei: int = 1_000_000_000 * OPG
    treasury_wei: int = 300_000_000 * OPG
    community_recipient: str = ""
    vesting_grants: tuple[VestingGrant, ...] = ()
    vesting_start: int = 0
    vesting_cliff_s: int = YEAR
    vesting_duration_s: int = 4 * YEAR
    governance: GovernanceParams = field(default_factory=GovernanceParams)
    staking: StakingParams = field(default_factory=StakingParams)
    settlement: SettlementParams = field(default_factory=SettlementParams)
    bonds: BondParams = field(default_factory=BondParams)
    tee_vendors: tuple[tuple[str, bytes], ...] = ()
    tee_measurements: tuple[TeeMeasurement, ...] = ()

    @property
    def community_wei(self) -> int:
        vested = sum(g.amount_wei for g in self.vesting_grants)
        return self.total_supply_wei - self.treasury_wei - vested


def dev_measurement(version: str) -> bytes:
    """The measurement of the reference node's DEV enclave image `version` (core/measurement.py)."""
    from ogcli.core.measurement import measurement

    return measurement("DEV", {"image": version})
