"""Multicall3 batches reads into one eth_call and gives the same answers as single calls."""

from __future__ import annotations

import pytest

from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, read_many
from ogcli.devnet import accounts

pytestmark = pytest.mark.chain


def test_batch_matches_single_calls_and_isolates_failures(fresh):
    token, staking = fresh.protocol.token, fresh.protocol.staking
    holders = [accounts.get(n).address for n in ("deployer", "user", "team")]
    reads = [Read(token, "balanceOf", (h,)) for h in holders]
    reads += [Read(token, "totalSupply"), Read(staking, "params"), Read(staking, "getValidator", (holders[1],))]
    calls_before = _eth_calls(fresh)
    results = read_many(fresh.w3, reads)
    assert 1 <= _eth_calls(fresh) - calls_before <= 1  # six reads, one eth_call
    assert results[:3] == [token.functions.balanceOf(h).call() for h in holders]
    assert results[3] == token.functions.totalSupply().call()
    assert list(results[4]) == list(staking.functions.params().call())
    assert isinstance(results[5], ReadFailed)  # unknown validator reverts; the rest survive


def test_fallback_without_multicall_gives_the_same_results(fresh):
    token = fresh.protocol.token
    reads = [Read(token, "totalSupply"), Read(token, "decimals")]
    batched = read_many(fresh.w3, reads)
    fresh.rpc("anvil_setCode", [MULTICALL3_ADDRESS, "0x"])
    fresh.w3._ogcli_has_multicall = None
    try:
        assert read_many(fresh.w3, reads) == batched
    finally:
        fresh.w3._ogcli_has_multicall = None


def _eth_calls(chain) -> int:
    """Counts JSON-RPC requests by wrapping the provider for the duration of a test."""
    return getattr(chain.w3.provider, "_ogcli_request_count", 0)


@pytest.fixture(autouse=True)
def count_requests(fresh, monkeypatch):
    """Counts eth_call requests as they leave for the node (below web3's middleware and cache)."""
    provider = fresh.w3.provider
    original = provider._make_request

    def counting(method, request_data):
        if method == "eth_call":
            provider._ogcli_request_count = getattr(provider, "_ogcli_request_count", 0) + 1
        return original(method, request_data)

    monkeypatch.setattr(provider, "_make_request", counting)
    yield
