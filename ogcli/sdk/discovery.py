"""Finds a node to call: the endpoints enclaves registered in TEERegistry, active ones only, ranked
by their operators' bonds (core/node_choice.py)."""

from __future__ import annotations

from ogcli.errors import UsageError


def node_offers(protocol) -> list:
    """Every active registered endpoint with its operator's free bond (what can back a new call),
    in registration order (one endpoint once: an operator may register several enclaves behind
    one URL)."""
    from ogcli.chain.bonds import enclave_bonds
    from ogcli.core.node_choice import NodeOffer

    terms, enclaves = enclave_bonds(protocol)
    offers, seen = [], set()
    for e in enclaves:
        if e.active and e.endpoint.startswith(("http://", "https://")) and e.endpoint not in seen:
            seen.add(e.endpoint)
            offers.append(NodeOffer(e.endpoint, e.operator, e.bond.free_wei, e.bond.covers_settlement(terms)))
    return offers


def choose_node(protocol, value_at_stake_wei: int = 0):
    """The node a call with `value_at_stake_wei` riding on it should use, with the reasons
    (core.node_choice.NodeChoice); UsageError when no active node is registered."""
    from ogcli.core.node_choice import choose

    choice = choose(node_offers(protocol), value_at_stake_wei)
    if choice is None:
        raise UsageError("no active node is registered on this network; pass --node URL")
    return choice


def find_node(protocol, value_at_stake_wei: int = 0) -> str:
    return choose_node(protocol, value_at_stake_wei).url
