"""Work only for a verified payment (issue 14): before it, a real node checks a call cheaply (the
model exists, takes this mode, and the input fits the signature recorded on chain) and fetches,
loads and runs nothing; and a model's CID, anyone's text on chain, never becomes a path."""

from __future__ import annotations

import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ogcli.devnet import accounts
from ogcli.sdk.paid_http import PaidClient
from tests.adversarial.node_process import node_home, post, running
from tests.chain.fixtures import send_as

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]

CHAT_MODEL, RISK_MODEL, SENTIMENT_MODEL = 4, 2, 3  # the seeded devnet's ids


class CountingGatewayForTests:
    """Test double of an IPFS gateway (GET /ipfs/CID) over the devnet's models, counting the
    downloads of each CID: what a node fetched is visible from outside it."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self.fetches: Counter[str] = Counter()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                cid = self.path.removeprefix("/ipfs/")
                gateway.fetches[cid] += 1
                blob = blobs.get(cid)
                if blob is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob)

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/ipfs/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CountingGatewayForTests:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def gated(seeded, tmp_path_factory):
    """(node process, gateway, seeded chain): a node whose model store is the counting gateway."""
    from ogcli.devnet.models import chat_model, seed_models
    from ogcli.storage.cid import cid_of

    blobs = {cid_of(blob): blob for _name, blob in [*seed_models(), chat_model()]}
    root = tmp_path_factory.mktemp("gated")
    with seeded.snapshot(), CountingGatewayForTests(blobs) as gateway:
        env = node_home(root, seeded.url, seeded.deployment, storage=gateway.url)
        with running(env, log=root / "node.log") as node:
            yield node, gateway, seeded


def _cid(chain, model_id: int) -> str:
    from ogcli.chain.models import model_from

    return model_from(chain.protocol.hub.functions.getModel(model_id).call()).cid


def _client(node, chain, delegator: str) -> PaidClient:
    return PaidClient(node.url, accounts.get(delegator).local_account, chain_id=31337,
                      token=chain.protocol.token.address, settlement=chain.protocol.settlement.address, tills=chain.protocol.tills.address)


def test_an_unpaid_onnx_call_fetches_and_runs_nothing(gated):
    node, gateway, chain = gated
    answer = post(node, "/v1/infer", b'{"model": 2, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}')
    assert answer.status_code == 402, answer.text
    assert gateway.fetches[_cid(chain, RISK_MODEL)] == 0, "the model was fetched for a call nobody paid for"

    client = _client(node, chain, "delegator-8")
    try:
        paid = client.post("/v1/infer", {"model": RISK_MODEL, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}).json()
        again = client.post("/v1/infer", {"model": RISK_MODEL, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}).json()
    finally:
        client.close()
    assert [len(row) for row in paid["outputs"]["probabilities"]] == [3] and again["outputs"] == paid["outputs"]
    assert gateway.fetches[_cid(chain, RISK_MODEL)] == 1  # fetched once paid for, then cached


def test_input_that_does_not_fit_the_signature_is_refused_for_free_without_the_model(gated):
    node, gateway, chain = gated
    cases = [
        (b'{"model": 3, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}', "shape"),  # takes float32[1,16]
        (b'{"model": 3, "inputs": {"words": [[0.0]]}}', "features"),
        (b'{"model": 3, "inputs": {"features": [["a", "b"]]}}', "numeric"),
    ]
    for body, what in cases:
        answer = post(node, "/v1/infer", body)
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["code"] == "invalid_input" and what in error["message"], error
    assert gateway.fetches[_cid(chain, SENTIMENT_MODEL)] == 0, "the model was fetched to check an input"


def test_an_unpaid_chat_fetches_nothing(gated):
    node, gateway, chain = gated
    answer = post(node, "/v1/chat/completions",
                  b'{"model": "ogcli-tiny-chat", "messages": [{"role": "user", "content": "hi"}]}')
    assert answer.status_code == 402, answer.text
    assert gateway.fetches[_cid(chain, CHAT_MODEL)] == 0, "the chat model was fetched for a call nobody paid for"


def _publish(chain, cid: str, name: str, metadata: dict) -> int:
    """Publishes a model under any CID text, as anyone may (ModelHub checks only that it is not
    empty); its id."""
    from ogcli.core import model_metadata

    hub = chain.protocol.hub.functions
    publisher = accounts.get("publisher-2").address
    send_as(chain, publisher, hub.publish(cid, os.urandom(32), name, 10**15, 3, model_metadata.encode(metadata)))
    return hub.modelCount().call()


def test_a_chat_model_whose_cid_is_a_path_is_refused(gated, tmp_path):
    """The CID names a file outside the node's store (planted here as a valid chat model): the
    node used to load it and ask to be paid for it."""
    from ogcli.node import tiny_chat

    node, gateway, chain = gated
    planted = tmp_path / "planted-chat.json"
    planted.write_bytes(tiny_chat.build())
    model_id = _publish(chain, str(planted), "planted-chat", {"format": tiny_chat.FORMAT, "kind": "chat"})
    answer = post(node, "/v1/chat/completions",
                  b'{"model": %d, "messages": [{"role": "user", "content": "hi"}]}' % model_id)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_model_cid" and "CID" in error["message"], error
    node.assert_alive()


def test_an_onnx_model_whose_cid_climbs_out_of_the_cache_is_refused(gated, tmp_path):
    """A relative CID (`../../...`) naming a planted ONNX file: the node used to run it."""
    import onnx

    from ogcli.devnet.models import seed_models
    from ogcli.storage.onnx_file import describe

    node, gateway, chain = gated
    blob = seed_models()[1][1]
    planted = tmp_path / "planted.onnx"
    planted.write_bytes(blob)
    cache = node.data_dir / "models"
    cache.mkdir(parents=True, exist_ok=True)  # as after the node's first download: `models/..` resolves
    climb = os.path.relpath(planted, cache)
    assert climb.startswith("..")
    model_id = _publish(chain, climb, "planted-onnx", {"format": "onnx", **describe(onnx.load_from_string(blob))})
    answer = post(node, "/v1/infer", b'{"model": %d, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}' % model_id)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_model_cid"
    node.assert_alive()


def test_a_cid_not_in_canonical_form_is_refused(gated):
    """The same digest in another multibase (base16 here) would name another file in the cache."""
    from multiformats import CID

    node, gateway, chain = gated
    real = _cid(chain, SENTIMENT_MODEL)
    base16 = str(CID.decode(real).set(base="base16"))
    model_id = _publish(chain, base16, "sentiment-in-base16", {"format": "onnx", "inputs": [
        {"name": "features", "type": "float32", "shape": [1, 16]}]})
    answer = post(node, "/v1/infer", b'{"model": %d, "inputs": {"features": [[%s]]}}' % (model_id, b",".join([b"0"] * 16)))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_model_cid"

