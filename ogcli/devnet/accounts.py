"""The devnet's cast: deterministic keys for each role, so every devnet looks the same.

These keys are public by construction (anyone can derive them from this file): they hold devnet
funds only, and the DEV TEE vendor they sign for is refused on every non-local chain.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from eth_account import Account
from eth_utils import keccak

VALIDATOR_COUNT = 8
DELEGATOR_COUNT = 20
PUBLISHER_COUNT = 3
HOLDER_COUNT = 5


@dataclass(frozen=True)
class DevAccount:
    name: str
    private_key: bytes

    @functools.cached_property
    def address(self) -> str:
        return Account.from_key(self.private_key).address

    @property
    def local_account(self):
        return Account.from_key(self.private_key)


def _account(name: str) -> DevAccount:
    return DevAccount(name=name, private_key=keccak(text=f"ogcli devnet account {name}"))


@functools.cache
def roster() -> dict[str, DevAccount]:
    """Every devnet account by name, in a stable order."""
    names = ["deployer", "node-operator", "enclave-signer", "challenger", "team", "investor"]
    names += [f"validator-{i}" for i in range(1, VALIDATOR_COUNT + 1)]
    names += [f"delegator-{i}" for i in range(1, DELEGATOR_COUNT + 1)]
    names += [f"publisher-{i}" for i in range(1, PUBLISHER_COUNT + 1)]
    names += [f"holder-{i}" for i in range(1, HOLDER_COUNT + 1)]
    # rogue-node: a compromised node operator (its forged records are disputed in the seed's story
    # and in devnet simulate); rogue-enclave: the enclave it registered.
    names += ["user", "rogue-node", "rogue-enclave"]
    return {name: _account(name) for name in names}


def get(name: str) -> DevAccount:
    return roster()[name]


def group(prefix: str) -> list[DevAccount]:
    return [a for n, a in roster().items() if n.startswith(prefix + "-")]
