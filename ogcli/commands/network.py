"""`ogcli network`: what the active profile points at and whether its parts answer."""


import time

import typer

from ogcli.appfactory import new_app

from ogcli import context, output

app = new_app("The network the active profile points at.\n\nExample: ogcli network status")


@app.command()
def status() -> None:
    """Chain id, head block, contract addresses and whether the registered nodes answer.

    Example: ogcli network status --json
    """
    from ogcli.chain.network import open_protocol
    from ogcli.chain.nodes import probe_nodes

    network = context.resolve_network()
    protocol = open_protocol(network)
    head = protocol.w3.eth.get_block("latest")
    nodes = probe_nodes(protocol)
    data = {
        "profile": network.profile,
        "rpc_url": network.rpc_url,
        "chain_id": network.chain_id,
        "block_number": head["number"],
        "block_timestamp": head["timestamp"],
        "block_age_s": max(0, int(time.time()) - head["timestamp"]),
        "contracts": protocol.deployment.contracts,
        "nodes": nodes,
    }

    def human() -> None:
        rows = [
            ("profile", network.profile),
            ("rpc", network.rpc_url),
            ("chain id", str(network.chain_id)),
            ("block", f"{head['number']} ({data['block_age_s']}s ago)"),
        ]
        rows += sorted(protocol.deployment.contracts.items())
        for node in nodes:
            state = "up" if node["reachable"] else f"unreachable ({node['error']})"
            rows.append((f"node {node['endpoint']}", state))
        if not nodes:
            rows.append(("nodes", "none registered"))
        output.kv_table(rows)

    output.emit(data, human)
