"""Reads OPG's supply picture from chain: total, treasury, locked in vesting, circulating."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ogcli.chain.contracts import Protocol


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
    tokens count as circulating because their beneficiary can release them at any time."""
    w3 = protocol.w3
    token = protocol.token
    block = w3.eth.get_block("latest")
    now = int(block["timestamp"])
    total = token.functions.totalSupply().call()
    treasury = token.functions.balanceOf(protocol.deployment.address("OGTimelock")).call()
    wallets = [_wallet(protocol, info, now) for info in protocol.deployment.vesting_wallets]
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


def _wallet(protocol: Protocol, info: dict, now: int) -> VestingWallet:
    vesting = protocol.contract("OPGVesting", info["address"]).functions
    token = protocol.token.address
    balance = protocol.token.functions.balanceOf(info["address"]).call()
    released = vesting.released(token).call()
    vested = vesting.vestedAmount(token, now).call()
    allocation = balance + released
    return VestingWallet(
        label=info.get("label", ""),
        address=info["address"],
        beneficiary=info["beneficiary"],
        allocation_wei=allocation,
        locked_wei=allocation - vested,
        releasable_wei=vested - released,
        released_wei=released,
        start=vesting.start().call(),
        cliff=vesting.cliff().call(),
        end=vesting.end().call(),
    )
