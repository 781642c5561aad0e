"""Typed access to the deployed protocol contracts of one deployment.

A Protocol opened for writing holds a web3 connection (`w3`, for signing and sending) and its
contracts are web3 Contracts. One opened for reading (`Protocol.reader`, what the read commands
use) holds only an `rpc.Endpoint` and its contracts are `ContractRef`s: address and ABI, which is
all `chain.abi` needs to encode calls and decode answers and logs. Both read through `rpc`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ogcli.chain.abi import ContractRef, checksum
from ogcli.chain.rpc import Endpoint
from ogcli.protocol import artifacts

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

    from ogcli.protocol.deployment import Deployment


class Protocol:
    """The deployed contracts, bound to one connection."""

    def __init__(self, w3: Web3 | None, deployment: Deployment, rpc: Endpoint | None = None) -> None:
        if w3 is None and rpc is None:
            raise ValueError("a Protocol needs a web3 connection or an rpc endpoint")
        self._w3 = w3
        self._rpc = rpc
        self.deployment = deployment
        self._bound: dict[tuple[str, str], Contract | ContractRef] = {}
        self._rpc_lock = threading.Lock()  # worker threads share a Protocol: one endpoint for all

    @classmethod
    def reader(cls, rpc: Endpoint, deployment: Deployment) -> Protocol:
        """A read-only Protocol: no web3 is imported, contracts are `ContractRef`s."""
        return cls(None, deployment, rpc)

    @property
    def w3(self) -> Web3:
        if self._w3 is None:
            raise RuntimeError("this Protocol was opened for reading only; open_protocol() gives one that can write")
        return self._w3

    @property
    def rpc(self) -> Endpoint:
        """The raw JSON-RPC endpoint reads go through (the web3 connection's URL when writing)."""
        with self._rpc_lock:
            if self._rpc is None:
                rpc = Endpoint(self._w3.provider.endpoint_uri)
                rpc.chain_id = self._w3.eth.chain_id  # checked when web3 connected (and cached)
                self._rpc = rpc
            return self._rpc

    def contract(self, name: str, address: str | None = None) -> Contract | ContractRef:
        address = checksum(address or self.deployment.address(name))
        key = (name, address)
        if key not in self._bound:
            if self._w3 is None:
                self._bound[key] = ContractRef(address, artifacts.abi(name))
            else:
                self._bound[key] = self._w3.eth.contract(address=address, abi=artifacts.abi(name))
        return self._bound[key]

    @property
    def token(self) -> Contract:
        return self.contract("OPGToken")

    @property
    def governor(self) -> Contract:
        return self.contract("OGGovernor")

    @property
    def timelock(self) -> Contract:
        return self.contract("OGTimelock")

    @property
    def registry(self) -> Contract:
        return self.contract("TEERegistry")

    @property
    def attestation_verifier(self) -> Contract:
        return self.contract("NitroVerifier")

    @property
    def staking(self) -> Contract:
        return self.contract("Staking")

    @property
    def hub(self) -> Contract:
        return self.contract("ModelHub")

    @property
    def bonds(self) -> Contract:
        return self.contract("NodeBonds")

    @property
    def settlement(self) -> Contract:
        return self.contract("InferenceSettlement")

    @property
    def tills(self) -> Contract:
        return self.contract("ExactTills")
