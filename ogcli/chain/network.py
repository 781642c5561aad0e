"""Opens the protocol of the resolved network: the one place commands get a chain connection."""

from __future__ import annotations

from ogcli.chain.contracts import Protocol
from ogcli.chain.session import connect
from ogcli.context import Network, resolve_network
from ogcli.errors import ConfigError
from ogcli.protocol import deployment as deployment_file


def open_protocol(network: Network | None = None) -> Protocol:
    """Connects to the network's endpoint (chain id checked against the profile) and binds the
    deployed contracts; raises ConfigError when the network has no deployment file."""
    network = network or resolve_network()
    w3 = connect(network.rpc_url, network.chain_id)
    if network.deployment_path is None:
        raise ConfigError(
            f"profile {network.profile!r} has no deployment file and ogcli ships none for chain {network.chain_id}"
        )
    return Protocol(w3, deployment_file.load(network.deployment_path))
