"""Finds a node to call: the endpoints enclaves registered in TEERegistry, active ones only, ranked
by their operators' bonds (core/node_choice.py)."""

from __future__ import annotations

from ogcli.errors import UsageError


def node_offers(protocol) -> list:
    """Every active registered endpoint with its operator's bond, in registration order (one
    endpoint once: an operator may register several enclaves behind one URL)."""
    from ogcli.chain.bonds import read_bonds, read_terms
    from ogcli.core.node_choice import NodeOffer

    enclaves = protocol.registry.functions.listEnclaves().call()
    seen, active = set(), []
    for e in enclaves:
        url, operator = e[7], e[1]
        if e[8] and url.startswith(("http://", "https://")) and url not in seen:
            seen.add(url)
            active.append((url, operator))
    if not active:
        return []
    bonds, terms = read_bonds(protocol, [operator for _url, operator in active]), read_terms(protocol)
    # What can stand behind a new call: the bond not already reserved for open records' fees.
    return [NodeOffer(url, operator, bonds[operator].free_wei, bonds[operator].covers_settlement(terms))
            for url, operator in active]


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
