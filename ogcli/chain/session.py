"""Opens the one connection to a JSON-RPC endpoint and checks that it serves the expected chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ogcli.chain.rpc import first_line
from ogcli.errors import ChainMismatchError, NetworkError

if TYPE_CHECKING:
    from web3 import Web3

RPC_TIMEOUT_S = 30


def connect(rpc_url: str, expected_chain_id: int | None = None) -> Web3:
    """Returns a Web3 bound to `rpc_url`; raises NetworkError if it does not answer and
    ChainMismatchError if its chain id differs from `expected_chain_id`."""
    # web3 is imported here, not at module level, so `ogcli --help` never pays for it.
    from web3 import Web3

    # The chain id cannot change under a connection (we refuse one that does not match), so it is
    # cached: web3 asks for it before every call and transaction it validates. No validation
    # threshold: web3 would otherwise ask for the chain id once more, uncached, to pick one.
    provider = Web3.HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": RPC_TIMEOUT_S},
        cache_allowed_requests=True,
        cacheable_requests={"eth_chainId"},
        request_cache_validation_threshold=None,
    )
    w3 = Web3(provider)
    try:
        chain_id = w3.eth.chain_id
    except Exception as exc:  # requests' and web3's connection errors have no common base
        raise NetworkError(f"cannot reach {rpc_url}: {first_line(exc)}") from None
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainMismatchError(
            f"{rpc_url} serves chain id {chain_id}, expected {expected_chain_id}; refusing to continue"
        )
    return w3
