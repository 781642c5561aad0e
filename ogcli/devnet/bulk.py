"""Grows a local chain for size tests and benchmarks: many validators in a few blocks.

Anvil only (auto-impersonation and manual mining): the new validators have no keys, so this is
never a way to act on a real network.
"""

from __future__ import annotations

from ogcli.chain.contracts import Protocol
from ogcli.chain.rpc import call as rpc

FIRST_BULK_ADDRESS = 0xB0B0


def add_validators(url: str, protocol: Protocol, count: int, funder: str, stake_wei: int) -> list[str]:
    """Registers `count` validators at fresh keyless addresses, each with `stake_wei` of
    self-stake paid by `funder` and a commission between 5 and 15%. Transactions are sent with
    automine off and mined in bulk, the funding before the registrations."""
    from web3 import Web3

    token, staking = protocol.token, protocol.staking
    first = FIRST_BULK_ADDRESS + staking.functions.validatorCount().call()
    addresses = [Web3.to_checksum_address(f"0x{first + index:040x}") for index in range(count)]
    funding, registering = [], []
    for index, address in enumerate(addresses):
        rpc(url, "anvil_setBalance", [address, hex(10**20)])
        funding.append((funder, token, token.encode_abi("transfer", [address, stake_wei])))
        funding.append((address, token, token.encode_abi("approve", [staking.address, stake_wei])))
        call = staking.encode_abi("registerValidator", [500 + index % 1000, f"data:,Bulk {index}", stake_wei])
        registering.append((address, staking, call))
    rpc(url, "anvil_autoImpersonateAccount", [True])
    rpc(url, "evm_setAutomine", [False])
    try:
        for phase in (funding, registering):
            hashes = [
                rpc(url, "eth_sendTransaction", [{"from": s, "to": c.address, "data": d, "gas": hex(400_000)}])
                for s, c, d in phase
            ]
            while int(rpc(url, "txpool_status", [])["pending"], 16):
                rpc(url, "evm_mine", [])
            failed = [h for h in hashes if rpc(url, "eth_getTransactionReceipt", [h])["status"] != "0x1"]
            if failed:
                raise RuntimeError(f"{len(failed)} bulk transactions reverted, e.g. {failed[0]}")
    finally:
        rpc(url, "evm_setAutomine", [True])
        rpc(url, "anvil_autoImpersonateAccount", [False])
    return addresses
