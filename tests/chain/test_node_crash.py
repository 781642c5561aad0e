"""The node killed (SIGKILL) around an `exact` call's settlement: nothing is lost, nothing is
settled twice, and nothing is charged for a call that was never answered.

A node answers an `exact` call once its settlement is mined, or after `--settle-wait` with its
settlement pending. Killed while the call waits, it does not settle the call at restart (its payer
got nothing). Killed after answering (the wait gave up), it settles it at restart."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from ogcli.devnet import accounts
from tests.chain.node_fixture import (free_port, gives_up_waiting, start_node_process, stop_node_process,
                                      use_local_storage)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]


def _start(port: int, batch_window: str, *options: str):
    return start_node_process(port, "--batch-window", batch_window, *options)


def _stop(process, sig=signal.SIGTERM) -> None:
    stop_node_process(process, sig)


def _settled_events(chain, request_id: bytes) -> int:
    settlement = chain.protocol.settlement
    logs = settlement.events.InferenceSettled().get_logs(from_block=0)
    return sum(1 for log in logs if bytes(log["args"]["record"]["requestId"]) == request_id)


def _client(port: int, payer: str):
    from ogcli.chain.network import open_protocol
    from ogcli.sdk.paid_http import PaidClient

    protocol = open_protocol()
    return protocol, PaidClient(f"http://127.0.0.1:{port}", accounts.get(payer).local_account, chain_id=31337,
                                token=protocol.token.address, settlement=protocol.settlement.address,
                                tills=protocol.tills.address)


def test_sigkill_between_answer_and_settlement(seeded_profile, tmp_path):
    chain = seeded_profile
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        port = free_port()
        # Settlements held back for a minute; the call is answered after a second, its settlement pending.
        node = _start(port, "60", "--settle-wait", "1")
        protocol, client = _client(port, "delegator-3")
        try:
            answer = client.post("/v1/infer", {"model": 1, "inputs": {"features": [[0.0] * 8]}}).json()
        finally:
            client.close()
        assert answer["receipt"]["settlement"]["state"] == "pending"
        request_id = bytes.fromhex(answer["receipt"]["requestId"][2:])
        _stop(node, signal.SIGKILL)  # answered, in the outbox, not settled
        settlement = protocol.settlement.functions
        assert settlement.recordIdByRequest(request_id).call() == 0

        node = _start(port, batch_window="0")
        try:
            deadline = time.monotonic() + 30
            while settlement.recordIdByRequest(request_id).call() == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert settlement.recordIdByRequest(request_id).call() != 0
            receipt = httpx.get(f"http://127.0.0.1:{port}/v1/receipts/0x{request_id.hex()}").json()
            assert receipt["state"] == "settled"
        finally:
            _stop(node)
        node = _start(port, batch_window="0")  # a third run finds nothing left to do
        try:
            time.sleep(1.5)
            assert _settled_events(chain, request_id) == 1
            assert httpx.get(f"http://127.0.0.1:{port}/health").json()["outbox"] == {"settled": 1}
        finally:
            _stop(node)


def test_sigkill_while_a_call_waits_on_its_settlement_charges_nothing(seeded_profile, tmp_path):
    """Killed with the call in its outbox and the answer not sent: at restart the call is failed,
    not settled, and the payer keeps its money."""
    from concurrent.futures import ThreadPoolExecutor

    from ogcli.errors import NetworkError

    chain = seeded_profile
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        port = free_port()
        node = _start(port, "60")  # holds settlements back for a minute: the call waits on its own
        protocol, client = _client(port, "delegator-4")
        payer = client.account.address
        before = protocol.token.functions.balanceOf(payer).call()
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(client.post, "/v1/infer", {"model": 1, "inputs": {"features": [[0.5] * 8]}})
            deadline = time.monotonic() + 30
            while httpx.get(f"http://127.0.0.1:{port}/health").json()["outbox"] != {"pending": 1}:
                assert time.monotonic() < deadline and not waiting.done(), "the call never reached the outbox"
                time.sleep(0.1)
            _stop(node, signal.SIGKILL)
            with pytest.raises(NetworkError):
                waiting.result(timeout=30)
        client.close()

        node = _start(port, batch_window="0")
        try:
            time.sleep(1.5)
            assert httpx.get(f"http://127.0.0.1:{port}/health").json()["outbox"] == {"failed": 1}
        finally:
            _stop(node)
        assert protocol.token.functions.balanceOf(payer).call() == before, "charged for a call never answered"


def _paid_call_left_in_the_outbox(chain, tmp_path, payer: str, value: float):
    """A paid call answered by a node that then stopped before settling it (answered after its
    one-second settle wait, its settlement held back): (request id, the node's outbox, the
    operator's key)."""
    from ogcli.node.outbox import Outbox
    from ogcli.sdk.paid_http import PaidClient
    from tests.chain.node_fixture import running_node

    use_local_storage(tmp_path / "blobs")
    with running_node(tmp_path / "node", batch_window_s=3600, settle_wait_s=1) as (url, _node):
        client = PaidClient(url, accounts.get(payer).local_account, chain_id=31337,
                            token=chain.protocol.token.address, settlement=chain.protocol.settlement.address,
                            tills=chain.protocol.tills.address)
        try:
            answer = client.post("/v1/infer", {"model": 1, "inputs": {"features": [[value] * 8]}}).json()
        finally:
            client.close()
    return answer["receipt"]["requestId"], Outbox(tmp_path / "node" / "outbox.db"), accounts.get("node-operator").local_account


def _gives_up_waiting():
    return gives_up_waiting()


def test_a_crash_after_sending_is_reconciled_from_the_chain_not_resent(seeded_profile, tmp_path):
    """The settlement transaction left, the node died before recording the receipt: on restart
    the chain says it is settled, and nothing is sent again."""
    from ogcli.chain.sender import Sender
    from ogcli.node.settler import Settler

    chain = seeded_profile
    with chain.snapshot():
        request_id, outbox, operator = _paid_call_left_in_the_outbox(chain, tmp_path, "delegator-4", 0.5)
        crashing = Settler(chain.protocol, _gives_up_waiting()(chain.w3, operator), outbox)
        assert crashing.settle_pending() == 0
        assert outbox.get(request_id).state == "sent"
        # The transaction landed while the node was down (automine mines just after
        # eth_sendRawTransaction returns: wait for it, or the restart finds it still in the mempool).
        chain.w3.eth.wait_for_transaction_receipt(outbox.get(request_id).tx_hash, timeout=30)
        nonce = chain.w3.eth.get_transaction_count(operator.address, "pending")
        Settler(chain.protocol, Sender(chain.w3, operator), outbox).reconcile()
        call = outbox.get(request_id)
        assert call.state == "settled" and call.record_id
        assert chain.w3.eth.get_transaction_count(operator.address, "pending") == nonce  # nothing resent
        assert _settled_events(chain, bytes.fromhex(request_id[2:])) == 1
        outbox.close()


def test_a_settlement_still_in_the_mempool_is_waited_for_not_sent_again(seeded_profile, tmp_path):
    """On a chain with block times the settlement may still wait in the mempool when the node
    restarts (or gives up waiting): it must be left to land, not sent a second time."""
    from ogcli.chain.sender import Sender
    from ogcli.node.settler import Settler

    chain = seeded_profile
    with chain.snapshot():
        request_id, outbox, operator = _paid_call_left_in_the_outbox(chain, tmp_path, "delegator-5", 0.25)
        chain.rpc("evm_setAutomine", [False])
        try:
            assert Settler(chain.protocol, _gives_up_waiting()(chain.w3, operator), outbox).settle_pending() == 0
            assert outbox.get(request_id).state == "sent"
            settler = Settler(chain.protocol, Sender(chain.w3, operator), outbox)
            settler.reconcile()
            assert outbox.get(request_id).state == "sent"  # still in the mempool: left to land
            assert settler.settle_pending() == 0  # nothing pending, nothing sent
            assert int(chain.rpc("txpool_status")["pending"], 16) == 1
            chain.rpc("evm_mine")
            settler.reconcile()
        finally:
            chain.rpc("evm_setAutomine", [True])
        call = outbox.get(request_id)
        assert call.state == "settled" and call.record_id
        assert _settled_events(chain, bytes.fromhex(request_id[2:])) == 1
        outbox.close()


def _infer_run_in_outbox(port: int, value: float):
    """`ogcli --json --yes infer run` as a user types it, against the node on `port`, returned
    (the process) once its call is in the node's outbox."""
    import json
    import subprocess
    import sys

    run = subprocess.Popen([sys.executable, "-m", "ogcli", "--json", "--yes", "infer", "run", "--node",
                            f"http://127.0.0.1:{port}", "--model", "1", "--input", json.dumps([[value] * 8])],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while httpx.get(f"http://127.0.0.1:{port}/health").json()["outbox"] != {"pending": 1}:
        assert time.monotonic() < deadline and run.poll() is None, "the call never reached the outbox"
        time.sleep(0.1)
    return run


def test_the_cli_says_which_call_was_lost_when_the_node_dies_before_answering(seeded_profile, cli, monkeypatch,
                                                                                tmp_path):
    """As issue 18 found it (a 266-line traceback, nothing on stdout under --json, the call settled
    later all the same): `infer run` waiting on a node that dies before answering exits with one
    error document naming the call's request id, and the node, restarted, does not settle it."""
    import json

    from tests.cli_results import use_devnet_wallet

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    chain = seeded_profile
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        payer = use_devnet_wallet(cli, "dave", "delegator-6")
        token = chain.protocol.token.functions
        before = token.balanceOf(payer).call()
        port = free_port()
        node = _start(port, "60")  # the call waits on its settlement for a minute
        try:
            run = _infer_run_in_outbox(port, 0.5)
        finally:
            _stop(node, signal.SIGKILL)
        out, err = run.communicate(timeout=60)
        document = json.loads(out)
        assert run.returncode != 0 and document["ok"] is False and "Traceback" not in out + err, (out, err)
        message = document["error"]["message"]
        assert "went away before answering call 0x" in message, message

        node = _start(port, batch_window="0")
        try:
            time.sleep(1.5)
            outbox = httpx.get(f"http://127.0.0.1:{port}/health").json()["outbox"]
            assert outbox == {"failed": 1}, outbox
            request_id = message.split("answering call ")[1].split()[0]
            assert httpx.get(f"http://127.0.0.1:{port}/v1/receipts/{request_id}").json()["state"] == "failed"
        finally:
            _stop(node)
        assert token.balanceOf(payer).call() == before, "charged for a call never answered"


def test_an_answer_whose_settlement_wait_is_cut_short_still_reaches_the_user(seeded_profile, cli, monkeypatch,
                                                                              tmp_path):
    """As issue 18 found it: the node died while `infer run` waited for the settlement of a call
    it had answered, and the CLI printed a traceback and no outputs. (A node answers once the call
    is settled, or after --settle-wait with it pending: this is the second case.) Now the outputs
    are printed, and a warning says the settlement is pending."""
    import json

    from tests.cli_results import use_devnet_wallet

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    chain = seeded_profile
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        use_devnet_wallet(cli, "erin", "delegator-7")
        port = free_port()
        node = _start(port, "60", "--settle-wait", "1")  # answered after a second, its settlement held
        try:
            run = _infer_run_in_outbox(port, 0.75)
            time.sleep(4)  # answered (after its one-second wait); the CLI now follows the settlement
            assert run.poll() is None, run.communicate()
        finally:
            _stop(node, signal.SIGKILL)
        out, err = run.communicate(timeout=90)
        assert run.returncode == 0 and "Traceback" not in out + err, (out, err)
        data = json.loads(out)["data"]
        assert data["outputs"] and data["settlement"] == "pending" and data["request_id"].startswith("0x")
        assert "answered, settlement pending" in data["settlement_note"] and "ogcli infer receipts" in data["settlement_note"]
