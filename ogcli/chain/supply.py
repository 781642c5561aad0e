"""Reads OPG's supply picture from chain: total, treasury, locked in vesting, circulating."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ogcli.chain.contracts import Protocol
from ogcli.chain.multicall import Read, ReadFailed, read_many
from ogcli.errors import NetworkError


@dataclass(frozen=True)
class VestingWallet:
    label: str
    address: str
    beneficiary: str
    allocation_wei: int
    locked_wei: int
    releasable_wei: int
    released_wei: int
    start: int
    cliff: int
    end: int


@dataclass(frozen=True)
class SupplyReport:
    now: int
    total_wei: int
    treasury_wei: int
    locked_wei: int
    releasable_wei: int
    circulating_wei: int
    next_unlock: int | None
    wallets: list[VestingWallet]

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("total_wei", "treasury_wei", "locked_wei", "releasable_wei", "circulating_wei"):
            data[key] = str(data[key])
        for wallet in data["wallets"]:
            for key in ("allocation_wei", "locked_wei", "releasable_wei", "released_wei"):
                wallet[key] = str(wallet[key])
        return data


def read_supply(protocol: Protocol) -> SupplyReport:
    """Circulating = total - treasury (timelock) - still-locked vesting; vested-but-unreleased
    tokens count as circulating because their beneficiary can release them at any time.
    Every value comes from one Multicall3 batch pinned to one block."""
    token = protocol.token
    now = int(protocol.rpc.block("latest")["timestamp"], 16)
    infos = protocol.deployment.vesting_wallets
    reads = [Read(token, "totalSupply"), Read(token, "balanceOf", (protocol.deployment.address("OGTimelock"),))]
    for info in infos:
        vesting = protocol.contract("OPGVesting", info["address"])
        reads += [
            Read(token, "balanceOf", (info["address"],)),
            Read(vesting, "released", (token.address,)),
            Read(vesting, "vestedAmount", (token.address, now)),
            Read(vesting, "start"),
            Read(vesting, "cliff"),
            Read(vesting, "end"),
        ]
    values = read_many(protocol.rpc, reads)
    failed = [v for v in values if isinstance(v, ReadFailed)]
    if failed:
        raise NetworkError(f"reading the supply failed: {failed[0]}")
    total, treasury = values[0], values[1]
    wallets = [_wallet(info, values[2 + 6 * i : 8 + 6 * i]) for i, info in enumerate(infos)]
    locked = sum(w.locked_wei for w in wallets)
    upcoming = [w.cliff for w in wallets if w.cliff > now]
    return SupplyReport(
        now=now,
        total_wei=total,
        treasury_wei=treasury,
        locked_wei=locked,
        releasable_wei=sum(w.releasable_wei for w in wallets),
        circulating_wei=total - treasury - locked,
        next_unlock=min(upcoming) if upcoming else None,
        wallets=wallets,
    )


def _wallet(info: dict, values: list) -> VestingWallet:
    balance, released, vested, start, cliff, end = values
    allocation = balance + released
    return VestingWallet(
        label=info.get("label", ""),
        address=info["address"],
        beneficiary=info["beneficiary"],
        allocation_wei=allocation,
        locked_wei=allocation - vested,
        releasable_wei=vested - released,
        released_wei=released,
        start=start,
        cliff=cliff,
        end=end,
    )
