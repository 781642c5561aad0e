"""Nodes' tills (ExactTills) on a deployment: where a node's `exact` payments go, and opening one."""

from __future__ import annotations

import functools

from ogcli.core.tills import till_code_hash, till_of


@functools.cache
def _code_hash(token: str) -> bytes:
    from ogcli.protocol import artifacts

    return till_code_hash(bytes.fromhex(artifacts.bytecode("ExactTill").removeprefix("0x")), token)


def till_for(tills: str, token: str, node: str) -> str:
    """The till of `node` under the ExactTills at `tills` for `token` (opened or not)."""
    return till_of(tills, _code_hash(token.lower()), node)


def node_till(protocol, node: str) -> str:
    """The till `node`'s exact payments are made out to on this deployment (opened or not)."""
    return till_for(protocol.tills.address, protocol.token.address, node)


def ensure_open(protocol, sender, node: str) -> str:
    """Opens `node`'s till if it is not yet (one transaction, once per node); returns its address."""
    till = node_till(protocol, node)
    if not protocol.w3.eth.get_code(till):
        sender.transact(protocol.tills.functions.open(node), label="open the node's till")
    return till
