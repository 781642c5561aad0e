"""Known public networks, for `ogcli config profile add NAME --preset KEY`: the chain id, a public
RPC endpoint and the block explorer. The deployment is the one ogcli ships for that chain id
(ogcli/protocol/deployments/) when one is published; until then `ogcli protocol deploy` writes
one and points the profile at it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    chain_id: int
    rpc_url: str  # public and rate-limited: fine to read and try, a provider's endpoint for real use
    explorer_url: str
    label: str


PRESETS: dict[str, Preset] = {
    "base-sepolia": Preset(84532, "https://sepolia.base.org", "https://sepolia.basescan.org", "Base Sepolia (testnet)"),
    "base": Preset(8453, "https://mainnet.base.org", "https://basescan.org", "Base"),
}
