"""Finds a node to call: the one named (--node, or the profile's node_url), else the endpoints
enclaves registered in TEERegistry, active ones only, ranked by their operators' bonds
(core/node_choice.py)."""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.errors import UsageError


@dataclass(frozen=True)
class NodePick:
    """The node a call goes to, where that choice came from ("option", "profile" or "registry"),
    and why, in words a person reads in `network status` and `infer route`."""

    url: str
    source: str
    reasons: tuple[str, ...]


def pick_node(protocol, network, given: str = "", value_at_stake_wei: int = 0) -> NodePick:
    """The node for a call: `given` (a --node option) first, then the profile's node_url, then
    the registry's best-bonded active endpoint for `value_at_stake_wei`."""
    if given:
        return NodePick(given.rstrip("/"), "option", ("named with --node",))
    if network.node_url:
        return NodePick(network.node_url, "profile",
                        (f"the node_url of profile {network.profile!r} (`ogcli config set node_url URL`)",))
    choice = choose_node(protocol, value_at_stake_wei)
    return NodePick(choice.url, "registry",
                    (f"profile {network.profile!r} sets no node_url: the registry's active endpoints, ranked by bond",
                     *choice.reasons))


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
