"""Opens the protocol of the resolved network: the one place commands get a chain connection."""

from __future__ import annotations

from ogcli.chain.contracts import Protocol
from ogcli.context import Network, resolve_network
from ogcli.errors import ConfigError
from ogcli.protocol import deployment as deployment_file


def open_protocol(network: Network | None = None) -> Protocol:
    """Connects web3 to the network's endpoint (chain id checked against the profile) and binds
    the deployed contracts, for commands that sign and send; raises ConfigError when the network
    has no deployment file."""
    from ogcli.chain.session import connect

    network = network or resolve_network()
    w3 = connect(network.rpc_url, network.chain_id)  # an unreachable endpoint is the first thing to say
    return Protocol(w3, _deployment(network))


def open_reader(network: Network | None = None) -> Protocol:
    """The same for commands that only read: no web3 is loaded (it costs a second to import),
    calls and logs go through `chain.rpc` and are decoded by `chain.abi`."""
    from ogcli.chain.rpc import Endpoint

    network = network or resolve_network()
    rpc = Endpoint.open(network.rpc_url, network.chain_id)
    return Protocol.reader(rpc, _deployment(network))


def _deployment(network: Network):
    if network.deployment_path is None:
        raise ConfigError(
            f"profile {network.profile!r} has no deployment file and ogcli ships none for chain {network.chain_id}"
        )
    return deployment_file.load(network.deployment_path)
