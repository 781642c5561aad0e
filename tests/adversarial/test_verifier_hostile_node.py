"""A node that answers 5xx, or drips its answer a byte at a time, cannot stall the verifier: each
fetch has a total deadline (not only a per-read timeout, which a byte every second never trips),
a record is tried a bounded number of times across rounds, then the verifier abstains on it,
records the abstention and moves its checkpoint on. Off the devnet it asks no loopback address
at all."""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.node.verifier import Verifier
from tests.adversarial.test_verify_states import paid_call
from tests.chain.test_infer_e2e import node  # noqa: F401 (carol, a node on the seeded chain, a snapshot)

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(180)]

FETCH_DEADLINE_S = 2.0  # the test's deadline per fetch; the product's default is longer
POLL_S = 0.05  # the verifier's polling interval here (its retries are spaced in polls)
BUDGET_S = 45.0  # how long the test gives the verifier to get past the hostile record


class HostileNodeDouble:
    """Test double of a node that serves kept calls: 404 for every call but `target`, which it
    answers with HTTP 503 (`mode="5xx"`) or with a body it drips one byte per second, forever
    (`mode="drip"`). Counts the requests for `target`."""

    def __init__(self, target: str, mode: str) -> None:
        self.target, self.mode = target, mode
        self.asked = 0
        self.stopping = threading.Event()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if not self.path.endswith(double.target):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                double.asked += 1
                if double.mode == "5xx":
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                while not double.stopping.wait(1.0):
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


def _judges(chain, url: str, tmp_path, **options):
    from ogcli import context
    from ogcli.storage.blobs import open_store
    from ogcli.verify.judges import KeptCalls, ReExecutor

    calls = KeptCalls(chain.protocol, open_store(context.resolve_network().storage), tmp_path / "cache", node_url=url,
                      **options)
    return calls, ReExecutor(calls, 1.0, b"test salt")  # every ONNX call is re-run, so every one is fetched


def _run_until_past(verifier: Verifier, block: int, budget_s: float) -> bool:
    """Runs the verifier's own loop until its checkpoint passes `block`; False when the budget ran out."""
    verifier.start()
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        if verifier.checkpoint() >= block:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("mode", ["5xx", "drip"])
def test_a_hostile_node_costs_the_verifier_bounded_time_then_an_abstention(node, cli, tmp_path, monkeypatch, caplog, mode):  # noqa: F811
    url, _running, chain = node
    monkeypatch.setattr("ogcli.verify.judges.FETCH_DEADLINE_S", FETCH_DEADLINE_S, raising=False)
    call = paid_call(cli, url)
    settled_block = chain.w3.eth.get_transaction(call["transaction_hash"])["blockNumber"]
    double = HostileNodeDouble(call["request_id"], mode)
    _calls, rerun = _judges(chain, double.url, tmp_path)
    validator = accounts.get("validator-3")
    verifier = Verifier(chain.protocol, Sender(chain.w3, validator.local_account), tmp_path / "v.db", rerun=rerun,
                        poll_interval_s=POLL_S)
    caplog.set_level(logging.INFO, logger="ogcli.node.verifier")
    started = time.monotonic()
    try:
        moved_on = _run_until_past(verifier, settled_block, BUDGET_S)
        elapsed = time.monotonic() - started
        verdicts, abstentions = verifier.verdicts(), verifier.abstentions()
    finally:
        double.close()
        verifier.stop()
    assert moved_on, f"the checkpoint is stuck before block {settled_block} after {BUDGET_S:.0f}s ({mode})"
    assert 1 < double.asked <= 3, double.asked  # retried, but a bounded number of times
    assert elapsed < 3 * (FETCH_DEADLINE_S + 5) + 10, elapsed
    record_id = call["record_id"]
    assert record_id not in verdicts and record_id in abstentions
    assert chain.protocol.settlement.functions.attestationOf(record_id, validator.address).call()[0] == 0
    assert any(f"record {record_id}: abstaining" in line for line in caplog.messages), caplog.messages

    # The abstention is kept: a restarted verifier does not go back to the hostile node.
    asked = double.asked
    again = Verifier(chain.protocol, Sender(chain.w3, validator.local_account), tmp_path / "v.db", rerun=rerun)
    try:
        again.step()
        assert double.asked == asked and record_id in again.abstentions()
    finally:
        again.stop()


def test_off_the_devnet_the_verifier_asks_no_loopback_address(node, cli, tmp_path):  # noqa: F811
    """A chain id that is not a devnet's (84532, Base Sepolia): the node's own 127.0.0.1 address is
    refused before any request, and the judge abstains rather than guessing."""
    from ogcli.verify.judges import UnsafeEndpoint

    url, _running, chain = node
    call = paid_call(cli, url)
    calls, rerun = _judges(chain, url, tmp_path, chain_id=84532)
    from ogcli.chain.receipts import find

    record = find(chain.protocol, call["request_id"]).record
    with pytest.raises(UnsafeEndpoint, match="loopback"):
        calls.call(record)
    validator = accounts.get("validator-3").local_account
    verifier = Verifier(chain.protocol, Sender(chain.w3, validator), tmp_path / "v.db", rerun=rerun)
    try:
        verdict = verifier.judge(_settled_args(chain, call["record_id"]))
    finally:
        verifier.stop()
    assert verdict.valid is None and "loopback" in "; ".join(verdict.reasons)


def _settled_args(chain, record_id: int) -> dict:
    """The InferenceSettled arguments of `record_id`, decoded as the verifier decodes them."""
    from ogcli.chain import events as event_logs

    settlement = chain.protocol.settlement
    raw = chain.protocol.rpc.request("eth_getLogs", [event_logs.log_filter(settlement, ("InferenceSettled",), 0)])
    return next(e.args for e in event_logs.decode(settlement, ("InferenceSettled",), raw) if e.args["recordId"] == record_id)
