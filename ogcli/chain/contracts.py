"""Typed access to the deployed protocol contracts of one deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ogcli.protocol import artifacts

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

    from ogcli.protocol.deployment import Deployment


class Protocol:
    """The deployed contracts, bound to one Web3 connection."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment
        self._bound: dict[tuple[str, str], Contract] = {}

    def contract(self, name: str, address: str | None = None) -> Contract:
        address = self.w3.to_checksum_address(address or self.deployment.address(name))
        key = (name, address)
        if key not in self._bound:
            self._bound[key] = self.w3.eth.contract(address=address, abi=artifacts.abi(name))
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
    def staking(self) -> Contract:
        return self.contract("Staking")

    @property
    def hub(self) -> Contract:
        return self.contract("ModelHub")

    @property
    def settlement(self) -> Contract:
        return self.contract("InferenceSettlement")
