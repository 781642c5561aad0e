"""The channel flow under crashes: calls paid by batch-settlement vouchers and answered, then the
node killed (SIGKILL) before their batch, or dying between sending the batch and reading its
receipt, or restarting while the batch still waits in the mempool. Each time every call is
committed exactly once and its channel claimed exactly for what was answered."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.devnet import accounts
from ogcli.protocol import artifacts
from tests.chain.node_fixture import (channel_payer, free_port, gives_up_waiting, running_node,
                                      sdk_channel_session, start_node_process, stop_node_process)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

BODY = {"model": 1, "inputs": {"features": [[0.25] * 8]}}


def _claimed(chain, channel_id: str) -> int:
    channels = chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
    return channels.functions.channels(bytes.fromhex(channel_id[2:])).call()[1]


def _batches_since(chain, block: int) -> list:
    return chain.protocol.settlement.events.BatchCommitted().get_logs(from_block=block)


def test_sigkill_between_channel_answers_and_their_batch(seeded_profile, tmp_path):
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        first_block = chain.w3.eth.block_number + 1
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        node = start_node_process(port, "--channel-wait", "3000")  # holds its batch back
        session = sdk_channel_session(chain, payer)
        answers = [session.post(f"{url}/v1/infer", json=BODY) for _ in range(3)]
        assert [a.status_code for a in answers] == [200] * 3
        stop_node_process(node, signal.SIGKILL)  # answered, in the outbox, no batch
        channel_id = answers[0].json()["receipt"]["settlement"]["channel"]
        fee = int(answers[0].json()["receipt"]["value_wei"])
        assert _claimed(chain, channel_id) == 0 and not _batches_since(chain, first_block)

        node = start_node_process(port, "--channel-wait", "0")
        try:
            deadline = time.monotonic() + 30
            while _claimed(chain, channel_id) == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)  # a second batch, were one to be sent, would have landed by now
            assert _claimed(chain, channel_id) == 3 * fee
        finally:
            stop_node_process(node)
        node = start_node_process(port, "--channel-wait", "0")  # a third run finds nothing left to do
        try:
            time.sleep(1.5)
            assert httpx.get(f"{url}/health").json()["outbox"] == {"settled": 3}
        finally:
            stop_node_process(node)
        [batch] = _batches_since(chain, first_block)
        assert batch["args"]["records"] == 3 and batch["args"]["fees"] == 3 * fee


def _answered_and_left(chain, tmp_path, calls: int):
    """`calls` answered channel calls of a node that stopped before committing them: (channel id,
    fee, the node's outbox, the operator's key)."""
    from ogcli.node.outbox import Outbox

    payer = channel_payer(chain, tmp_path)
    with running_node(tmp_path / "node", batch_min_records=100, batch_max_wait_s=3600) as (url, _node):
        session = sdk_channel_session(chain, payer)
        answers = [session.post(f"{url}/v1/infer", json=BODY) for _ in range(calls)]
    assert [a.status_code for a in answers] == [200] * calls
    receipt = answers[0].json()["receipt"]
    return (receipt["settlement"]["channel"], int(receipt["value_wei"]), Outbox(tmp_path / "node" / "outbox.db"),
            accounts.get("node-operator").local_account)


def test_a_batch_sent_before_a_crash_is_reconciled_from_its_receipt_not_resent(seeded_profile, tmp_path):
    from ogcli.chain.sender import Sender
    from ogcli.node.batch_committer import BatchCommitter

    chain = seeded_profile
    with chain.snapshot():
        channel_id, fee, outbox, operator = _answered_and_left(chain, tmp_path, 2)
        first_block = chain.w3.eth.block_number + 1
        assert BatchCommitter(chain.protocol, gives_up_waiting()(chain.w3, operator), outbox).commit_pending() == 0
        assert outbox.counts() == {"sent": 2}
        # The batch landed while the node was down (automine mines just after the send returns).
        chain.w3.eth.wait_for_transaction_receipt(outbox.in_state("sent", scheme="batch-settlement")[0].tx_hash,
                                                  timeout=30)
        nonce = chain.w3.eth.get_transaction_count(operator.address, "pending")
        BatchCommitter(chain.protocol, Sender(chain.w3, operator), outbox).reconcile()
        assert outbox.counts() == {"settled": 2}
        assert chain.w3.eth.get_transaction_count(operator.address, "pending") == nonce  # nothing resent
        [batch] = _batches_since(chain, first_block)
        assert {outbox.get(c.request_id).record_id for c in outbox.in_state("settled", scheme="batch-settlement")} \
            == {batch["args"]["batchId"]}
        assert _claimed(chain, channel_id) == 2 * fee
        outbox.close()


def test_a_batch_still_in_the_mempool_is_waited_for_not_sent_again(seeded_profile, tmp_path):
    from ogcli.chain.sender import Sender
    from ogcli.node.batch_committer import BatchCommitter

    chain = seeded_profile
    with chain.snapshot():
        channel_id, fee, outbox, operator = _answered_and_left(chain, tmp_path, 2)
        chain.rpc("evm_setAutomine", [False])
        try:
            assert BatchCommitter(chain.protocol, gives_up_waiting()(chain.w3, operator), outbox).commit_pending() == 0
            committer = BatchCommitter(chain.protocol, Sender(chain.w3, operator), outbox)
            committer.reconcile()
            assert outbox.counts() == {"sent": 2}  # still in the mempool: left to land
            assert committer.commit_pending() == 0  # nothing pending, nothing sent
            assert int(chain.rpc("txpool_status")["pending"], 16) == 1
            chain.rpc("evm_mine")
            committer.reconcile()
        finally:
            chain.rpc("evm_setAutomine", [True])
        assert outbox.counts() == {"settled": 2}
        assert _claimed(chain, channel_id) == 2 * fee
        outbox.close()


def _holding_upstream(received, release):
    """A test double of an OpenAI-compatible API (a handler for tests/http_doubles.serving): takes a
    chat and holds it until `release` is set (so the node sits inside the model run, after the
    call's channel charge and before its outbox row), setting `received` first."""
    import json
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.set()
            release.wait(60)
            data = json.dumps({"choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": f"upstream {body['model']} says hi"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args):
            pass

    return Handler


def test_sigkill_between_a_channel_charge_and_its_outbox_row(seeded_profile, cli, monkeypatch, tmp_path):
    """Killed after charging a channel call and before writing its outbox row (while the model
    runs): that call is never claimed (the payer's gain, by design: the node claims only what its
    outbox holds), the calls answered before and after it are claimed exactly once, and the
    channel goes on taking the payer's vouchers after the restart."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tests.cli_results import data as _data, use_devnet_wallet
    from tests.http_doubles import serving

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    chain = seeded_profile
    received, release = threading.Event(), threading.Event()
    with serving(_holding_upstream(received, release)) as upstream_url, chain.snapshot():
        payer = channel_payer(chain, tmp_path)  # and the devnet's models in a local store
        use_devnet_wallet(cli, "pub", "publisher-2")
        descriptor = tmp_path / "slow.json"
        descriptor.write_text('{"upstream_model": "slow-llm"}')
        slow_model = _data(cli("--json", "--yes", "model", "push", str(descriptor), "--name", "slow-llm", "--price",
                               "0.02", "--format", "openai-upstream", "--modes", "tee"))["model_id"]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        node = start_node_process(port, "--channel-wait", "3000", "--upstream", upstream_url)
        session = sdk_channel_session(chain, payer)
        try:
            before = session.post(f"{url}/v1/infer", json=BODY)
            assert before.status_code == 200, before.text
            with ThreadPoolExecutor(1) as pool:
                hung = pool.submit(session.post, f"{url}/v1/chat/completions",
                                   json={"model": slow_model, "messages": [{"role": "user", "content": "hi"}]})
                assert received.wait(30), "the node never ran the model"
                stop_node_process(node, signal.SIGKILL)  # charged on the channel, no outbox row
                with pytest.raises(Exception):  # noqa: B017 (the connection dies with the node)
                    hung.result(timeout=30)
        finally:
            if node.poll() is None:
                stop_node_process(node, signal.SIGKILL)
            release.set()  # the held chat ends with the node (the server's shutdown waits for it)
        channel_id = before.json()["receipt"]["settlement"]["channel"]
        fee = int(before.json()["receipt"]["value_wei"])
        assert _claimed(chain, channel_id) == 0

        node = start_node_process(port, "--channel-wait", "0", "--upstream", upstream_url)
        try:
            after = session.post(f"{url}/v1/infer", json=BODY)
            assert after.status_code == 200, after.text
            assert after.json()["receipt"]["settlement"]["channel"] == channel_id
            deadline = time.monotonic() + 30
            while _claimed(chain, channel_id) < 2 * fee and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.5)  # a claim for the lost call, were one to be made, would have landed by now
            assert _claimed(chain, channel_id) == 2 * fee, "claimed other than the two answered calls"
            assert httpx.get(f"{url}/health").json()["outbox"] == {"settled": 2}
        finally:
            stop_node_process(node)
