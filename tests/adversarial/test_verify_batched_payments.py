"""`infer verify`'s "payment pulled" attributes each ERC-3009 transfer to its own call: two calls
of one payer settled in one `settleBatch` transaction each moved their own fee, and both verify
(adding up every transfer of the payer in the transaction made both fail)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.adversarial.test_verify_states import FEATURES, by_name, report
from tests.chain.node_fixture import running_node, use_local_storage
from tests.cli_results import data as _data, use_devnet_wallet

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

BATCH_WINDOW_S = 4.0  # the node waits this long after a call for others to settle with it


@pytest.fixture
def batching_node(seeded_profile, cli, monkeypatch, tmp_path):
    """carol (delegator-1) as the active wallet and a node that batches the calls of a few seconds."""
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        use_local_storage(tmp_path / "blobs")
        use_devnet_wallet(cli, "carol", "delegator-1")
        with running_node(tmp_path / "node", batch_window_s=BATCH_WINDOW_S) as (url, running):
            yield url, running, seeded_profile


def _settled(url: str, request_id: str) -> dict:
    deadline = time.monotonic() + 30
    while (receipt := httpx.get(f"{url}/v1/receipts/{request_id}").json())["state"] != "settled":
        assert time.monotonic() < deadline, receipt
        time.sleep(0.1)
    return receipt


def _paid_at_once(url: str, chain) -> list[dict]:
    """An ONNX call and a chat call of carol's, sent together: the node answers each once its
    settlement is mined, so calls sent one after the other never share a batch. Two models, two
    prices: each call's transfer must be told apart, not just counted."""
    from concurrent.futures import ThreadPoolExecutor

    from ogcli.devnet import accounts
    from ogcli.sdk.paid_http import PaidClient

    protocol = chain.protocol
    calls = [("/v1/infer", {"model": 2, "inputs": FEATURES}),
             ("/v1/chat/completions", {"model": "ogcli-tiny-chat", "messages": [{"role": "user", "content": "a batch?"}]})]

    def paid(path_body):
        offers = []
        client = PaidClient(url, accounts.get("delegator-1").local_account, chain_id=chain.w3.eth.chain_id,
                            token=protocol.token.address, settlement=protocol.settlement.address,
                            tills=protocol.tills.address)
        try:
            answer = client.post(*path_body, offers.append).json()
        finally:
            client.close()
        receipt = answer.get("receipt") or answer["ogcli"]  # /v1/infer's, or the chat completion's
        return {"request_id": receipt["requestId"], "price_wei": str(offers[0].amount_wei)}

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(paid, calls))


def test_two_calls_of_one_payer_settled_in_one_batch_both_verify(batching_node, cli):
    url, _running, chain = batching_node
    onnx, chat = _paid_at_once(url, chain)
    assert onnx["price_wei"] != chat["price_wei"]
    receipts = [_settled(url, call["request_id"]) for call in (onnx, chat)]
    assert receipts[0]["tx_hash"] == receipts[1]["tx_hash"], "the premise: both settled in one settleBatch"

    for call in (onnx, chat):
        result = cli("--json", "infer", "verify", call["request_id"], "--node", url)
        pulled = by_name(report(result))["payment pulled"]
        assert result.exit_code == 0, (call["request_id"], pulled, result.stderr)
        assert pulled["ok"] is True and f"moved {call['price_wei']} wei" in pulled["detail"]
