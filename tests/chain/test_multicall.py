"""Multicall3 batches reads into one eth_call and gives the same answers as single calls."""

from __future__ import annotations

import pytest

from ogcli.chain.session import connect
from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, read_many
from ogcli.devnet import accounts
from tests.chain.rpc_counter import CountingProxy

pytestmark = pytest.mark.chain


def test_batch_matches_single_calls_and_isolates_failures(fresh):
    token, staking = fresh.protocol.token, fresh.protocol.staking
    holders = [accounts.get(n).address for n in ("deployer", "user", "team")]
    reads = [Read(token, "balanceOf", (h,)) for h in holders]
    reads += [Read(token, "totalSupply"), Read(staking, "params"), Read(staking, "getValidator", (holders[1],))]
    with CountingProxy(fresh.url) as proxy:
        w3 = connect(proxy.url, 31337)
        bound = [Read(w3.eth.contract(address=r.contract.address, abi=r.contract.abi), r.function, r.args) for r in reads]
        w3._ogcli_has_multicall = True
        proxy.round_trips.clear()
        results = read_many(w3, bound)
    assert proxy.round_trips == [["eth_call"]]  # six reads, one eth_call
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
