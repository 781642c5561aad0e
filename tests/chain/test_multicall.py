"""Multicall3 batches reads into one eth_call and gives the same answers as single calls."""

from __future__ import annotations

import pytest

from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, read_many
from ogcli.chain.rpc import Endpoint
from ogcli.devnet import accounts
from tests.chain.rpc_counter import CountingProxy

pytestmark = pytest.mark.chain


def test_batch_matches_single_calls_and_isolates_failures(fresh):
    token, staking = fresh.protocol.token, fresh.protocol.staking
    holders = [accounts.get(n).address for n in ("deployer", "user", "team")]
    reads = [Read(token, "balanceOf", (h,)) for h in holders]
    reads += [Read(token, "totalSupply"), Read(staking, "params"), Read(staking, "getValidator", (holders[1],))]
    with CountingProxy(fresh.url) as proxy:
        endpoint = Endpoint(proxy.url)
        endpoint.has_multicall = True
        results = read_many(endpoint, reads)
    assert proxy.round_trips == [["eth_call"]]  # six reads, one eth_call
    assert results[:3] == [token.functions.balanceOf(h).call() for h in holders]
    assert results[3] == token.functions.totalSupply().call()
    assert list(results[4]) == list(staking.functions.params().call())
    assert isinstance(results[5], ReadFailed)  # unknown validator reverts; the rest survive


def test_fallback_without_multicall_gives_the_same_results(fresh):
    token = fresh.protocol.token
    reads = [Read(token, "totalSupply"), Read(token, "decimals")]
    batched = read_many(Endpoint(fresh.url), reads)
    fresh.rpc("anvil_setCode", [MULTICALL3_ADDRESS, "0x"])
    with CountingProxy(fresh.url) as proxy:
        endpoint = Endpoint(proxy.url)
        assert read_many(endpoint, reads) == batched
        assert endpoint.has_multicall is False
    # no Multicall3: one getCode to learn it, then the reads as plain eth_calls in one batch
    assert proxy.round_trips == [["eth_getCode"], ["eth_call", "eth_call"]]
