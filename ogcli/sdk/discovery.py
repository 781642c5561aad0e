"""Finds a node to call: the endpoints enclaves registered in TEERegistry, active ones only."""

from __future__ import annotations

from ogcli.errors import UsageError


def find_node(protocol) -> str:
    enclaves = protocol.registry.functions.listEnclaves().call()
    endpoints = [e[7] for e in enclaves if e[8] and e[7].startswith(("http://", "https://"))]
    if not endpoints:
        raise UsageError("no active node is registered on this network; pass --node URL")
    return endpoints[0]
