"""Paid inference end to end on the seeded devnet: the CLI and the SDK call a real node, pay with
x402, and every party's balance moves by the contract's split, to the wei."""

from __future__ import annotations

import json

import httpx
import pytest

from ogcli.core.pricing import quote, split
from ogcli.devnet import accounts
from tests.chain.node_fixture import running_node, use_local_storage
from tests.cli_results import data as _data, use_devnet_wallet

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

FEATURES = {"features": [[0.1, 0.2, 0.3, 0.4]]}


@pytest.fixture
def node(seeded_profile, cli, monkeypatch, tmp_path):
    """carol (delegator-1) as the active wallet, and a node on the seeded chain, in a snapshot."""

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        use_local_storage(tmp_path / "blobs")
        use_devnet_wallet(cli, "carol", "delegator-1")
        with running_node(tmp_path / "node") as (url, running):
            yield url, running, seeded_profile


class Ledger:
    """OPG balances of every party a settlement pays."""

    def __init__(self, chain, model_id: int):
        p = chain.protocol
        self.token, self.hub = p.token.functions, p.hub.functions
        self.publisher = self.hub.getModel(model_id).call()[1]
        self.parties = {
            "payer": accounts.get("delegator-1").address,
            "node": accounts.get("node-operator").address,
            "treasury": p.settlement.functions.treasury().call(),
            "settlement": p.settlement.address,
        }

    def read(self) -> dict:
        balances = {k: self.token.balanceOf(a).call() for k, a in self.parties.items()}
        balances["publisher_earnings"] = self.hub.earningsOf(self.publisher).call()
        return balances

    def assert_paid(self, chain, before: dict, payment: int, model_price: int) -> None:
        """Every party moved by the contract's split of `payment`, to the wei."""
        vbps, tbps, attesters = chain.protocol.settlement.functions.params().call()[:3]
        parts = split(payment, model_price, vbps, tbps)
        pool = parts.validators_wei // attesters * attesters  # attesters' share; the dust goes to the treasury
        after = self.read()
        assert after["payer"] == before["payer"] - payment
        assert after["publisher_earnings"] == before["publisher_earnings"] + model_price
        assert after["node"] == before["node"] + parts.node_wei
        assert after["treasury"] == before["treasury"] + parts.treasury_wei + (parts.validators_wei - pool)
        assert after["settlement"] == before["settlement"] + pool


def test_paid_onnx_call_through_the_cli_splits_the_payment_to_the_wei(node, cli):
    url, running, chain = node
    settlement = chain.protocol.settlement.functions
    vbps, tbps = settlement.params().call()[:2]
    model_price = chain.protocol.hub.functions.getModel(2).call()[5]
    payment = quote(model_price, running.node_fee_wei, vbps, tbps)
    ledger = Ledger(chain, 2)
    before = ledger.read()

    result = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES)))
    assert result["settlement"] == "settled" and result["transaction_hash"].startswith("0x")
    assert result["price_wei"] == str(payment)
    assert [len(row) for row in result["outputs"]["probabilities"]] == [3]
    assert settlement.recordIdByRequest(bytes.fromhex(result["request_id"][2:])).call() == result["record_id"]

    ledger.assert_paid(chain, before, payment, model_price)


def test_paid_chat_through_the_cli_and_the_sdk(node, cli):
    url, running, chain = node
    chat_id = 4  # the devnet's ogcli-tiny-chat
    chat_price = chain.protocol.hub.functions.getModel(chat_id).call()[5]
    ledger = Ledger(chain, chat_id)
    before = ledger.read()
    answer = _data(cli("--json", "--yes", "infer", "chat", "--node", url, "--model", "ogcli-tiny-chat", "what is a receipt?"))
    assert answer["chat_output"]["role"] == "assistant" and answer["chat_output"]["content"]
    assert answer["receipt"]["enclaveSigner"] == accounts.get("enclave-signer").address
    ledger.assert_paid(chain, before, int(answer["price_wei"]), chat_price)

    from ogcli.sdk import LLM

    llm = LLM(node=url, password="pw")
    try:
        before = ledger.read()
        completion = llm.chat(model="ogcli-tiny-chat", messages=[{"role": "user", "content": "tell me about validators"}])
        assert completion.chat_output == {"role": "assistant", "content": completion.choices[0].message.content}
        receipt = chain.w3.eth.get_transaction_receipt(completion.transaction_hash)
        assert receipt["status"] == 1
        ledger.assert_paid(chain, before, completion.price_wei, chat_price)
        onnx_ledger = Ledger(chain, 2)
        before = onnx_ledger.read()
        onnx = llm.infer(model=2, inputs=FEATURES)
        assert onnx.outputs == answer_outputs() and onnx.transaction_hash
        onnx_ledger.assert_paid(chain, before, onnx.price_wei, chain.protocol.hub.functions.getModel(2).call()[5])
        again = llm.completion(model="ogcli-tiny-chat", prompt="tell me about validators")
        assert again.chat_output == completion.chat_output  # deterministic model, same answer
        assert again.request_id != completion.request_id  # a new payment, a new record
    finally:
        llm.close()


def answer_outputs() -> dict:
    """What model 2 answers for FEATURES, computed here with onnxruntime from the generated bytes:
    the node must have run exactly the model the hub names."""
    import numpy as np
    import onnxruntime

    from ogcli.devnet.models import seed_models

    session = onnxruntime.InferenceSession(seed_models()[1][1], providers=["CPUExecutionProvider"])
    [out] = session.run(None, {"features": np.asarray(FEATURES["features"], dtype=np.float32)})
    return {"probabilities": np.round(out.astype(np.float64), 6).tolist()}


def test_bad_calls_get_clear_4xx_and_charge_nothing(node, cli):
    url, running, chain = node
    token = chain.protocol.token.functions
    payer = accounts.get("delegator-1").address
    before = token.balanceOf(payer).call()
    raw = httpx.Client(base_url=url)
    assert raw.post("/v1/infer", content=b"{not json").json()["error"]["code"] == "invalid_json"
    big = {"model": 2, "inputs": {"features": [[0.0] * 70_000]}}
    assert raw.post("/v1/infer", json=big).status_code == 413
    assert raw.post("/v1/infer", json={"model": 99, "inputs": FEATURES}).status_code == 404
    assert raw.post("/v1/infer", json={"model": 2, "inputs": {"wrong": [[1]]}}).status_code == 400
    huge = raw.post("/v1/infer", content=b"{" + b" " * (2 << 20) + b"}")
    assert huge.status_code == 413
    # Deprecated model: refused before any payment is asked for.
    seller = chain.protocol.hub.functions.getModel(3).call()[1]
    from tests.chain.conftest import send_as

    send_as(chain, seller, chain.protocol.hub.functions.deprecate(3))
    gone = raw.post("/v1/chat/completions", json={"model": 3, "messages": [{"role": "user", "content": "x"}]})
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "model_deprecated"
    # Through the CLI: an unknown model is a one-line error, nothing paid.
    result = cli("--yes", "infer", "run", "--node", url, "--model", "99", "--input", json.dumps(FEATURES))
    assert result.exit_code == 2 and "no model 99" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = cli("--yes", "infer", "run", "--node", url, "--model", "99", "--mode", "tee", "--input", json.dumps(FEATURES))
    assert result.exit_code == 1 and "404" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert token.balanceOf(payer).call() == before
    assert running.outbox.counts() == {}


def test_wrong_payments_are_refused_with_the_protocol_codes(node):
    """Underpaying, paying on another chain and replaying: 402 with x402 reason codes."""
    from eth_account import Account
    from x402 import x402ClientSync
    from x402.http import (PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER, decode_payment_required_header,
                           encode_payment_signature_header)
    from x402.mechanisms.evm.exact import ExactEvmScheme

    url, running, chain = node
    payer = Account.from_key(accounts.get("delegator-2").private_key)
    body = {"model": 2, "inputs": FEATURES}
    raw = httpx.Client(base_url=url)
    offer = decode_payment_required_header(raw.post("/v1/infer", json=body).headers[PAYMENT_REQUIRED_HEADER])
    assert [r.scheme for r in offer.accepts] == ["exact", "batch-settlement"]
    requirement = offer.accepts[0]

    def pay(req) -> str:
        client = x402ClientSync()
        client.register(req.network, ExactEvmScheme(payer))
        client.set_spend_controls(False)
        from x402.schemas import PaymentRequired

        return encode_payment_signature_header(client.create_payment_payload(PaymentRequired(accepts=[req])))

    def refused(header) -> str:
        answer = raw.post("/v1/infer", json=body, headers={PAYMENT_SIGNATURE_HEADER: header})
        assert answer.status_code == 402, answer.text
        return answer.json()["error"]

    under = requirement.model_copy(update={"amount": str(int(requirement.amount) - 1)})
    assert refused(pay(under)) == "invalid_exact_evm_payload_authorization_value_mismatch"
    foreign = requirement.model_copy(update={"network": "eip155:8453"})
    assert refused(pay(foreign)) == "network_mismatch"
    assert refused("not base64 at all") == "invalid_payload"
    short_lived = requirement.model_copy(update={"max_timeout_seconds": 30})  # would expire before settlement
    assert refused(pay(short_lived)) == "invalid_exact_evm_payload_authorization_valid_before"
    good = pay(requirement)
    assert raw.post("/v1/infer", json=body, headers={PAYMENT_SIGNATURE_HEADER: good}).status_code == 200
    assert refused(good) == "invalid_exact_evm_nonce_already_used"
    assert sum(running.outbox.counts().values()) == 1  # one payment, one call


def test_verify_passes_a_real_call_and_fails_a_tampered_answer(node, cli, tmp_path):
    url, _running, chain = node
    answer = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES))
    saved = tmp_path / "answer.json"
    saved.write_text(answer.stdout)
    data = _data(answer)
    for ref in (data["request_id"], data["transaction_hash"]):
        report = _data(cli("--json", "infer", "verify", ref, "--response", str(saved), "--node", url))
        assert report["verified"] is True
        assert [c["name"] for c in report["checks"] if c["ok"]] == [
            "record stored", "enclave signature", "enclave registered", "measurement approved then",
            "attestation document", "payment split", "payment pulled", "response output", "response input",
        ]
    tampered = json.loads(saved.read_text())
    tampered["data"]["output"]["probabilities"][0][0] += 0.01
    saved.write_text(json.dumps(tampered))
    failed = cli("--json", "infer", "verify", data["request_id"], "--response", str(saved), "--node", url)
    assert failed.exit_code == 1
    report = json.loads(failed.stdout)["data"]
    assert report["verified"] is False
    assert [c["name"] for c in report["checks"] if c["ok"] is False] == ["response output"]
    listed = _data(cli("--json", "infer", "receipts"))["receipts"]
    assert listed[0]["request_id"] == data["request_id"] and listed[0]["transaction_hash"] == data["transaction_hash"]
    _bad = cli("infer", "verify", "0x1234")
    assert _bad.exit_code == 2


def test_verify_catches_a_record_whose_signature_is_not_the_enclaves(seeded_profile, cli):
    """The seeded devnet settled a tampered result, the one its disputes were won on: the enclave
    never signed it."""
    settlement = seeded_profile.protocol.settlement
    [record_id] = {log["args"]["recordId"] for log in settlement.events.DisputeWon().get_logs(from_block=0)}
    logs = settlement.events.InferenceSettled().get_logs(from_block=0, argument_filters={"recordId": record_id})
    request_id = "0x" + bytes(logs[0]["args"]["record"]["requestId"]).hex()
    failed = cli("--json", "infer", "verify", request_id)
    assert failed.exit_code == 1
    report = json.loads(failed.stdout)["data"]
    assert [c["name"] for c in report["checks"] if c["ok"] is False] == ["enclave signature"]
    # The seeder derives request ids as a node does (keccak(payer || nonce)): the transfer that
    # paid for the call is found and checked, not left unverified.
    pulled = next(c for c in report["checks"] if c["name"] == "payment pulled")
    assert pulled["status"] == "pass", pulled


def test_the_official_openai_client_works_through_the_paying_transport(node):
    import openai

    from ogcli.sdk.paid_http import PayingTransport

    url, _running, chain = node
    payer = accounts.get("delegator-7").local_account
    token = chain.protocol.token.functions
    before = token.balanceOf(payer.address).call()
    transport = PayingTransport(payer, chain_id=31337, token=chain.protocol.token.address,
                                settlement=chain.protocol.settlement.address, tills=chain.protocol.tills.address)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="x402", http_client=httpx.Client(transport=transport))
    completion = client.chat.completions.create(
        model="ogcli-tiny-chat", messages=[{"role": "user", "content": "what do validators do?"}]
    )
    assert completion.choices[0].message.role == "assistant" and completion.choices[0].message.content
    receipt = completion.model_extra["ogcli"]  # the node's receipt rides along as an extra field
    import time

    deadline = time.monotonic() + 20
    while (state := httpx.get(f"{url}/v1/receipts/{receipt['requestId']}").json())["state"] != "settled":
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    assert before - token.balanceOf(payer.address).call() == int(receipt["value_wei"])


def test_auto_mode_routes_and_explains(node, cli):
    url, _running, _chain = node
    decision = _data(cli("--json", "infer", "route", "--node", url, "--model", "2", "--value", "5000"))
    assert decision["mode"] == "tee" and decision["policy"] == "balanced"
    assert any("zkml" in r and "strongest" in r for r in decision["reasons"])
    fast = _data(cli("--json", "--yes", "config", "set", "routing", "fastest"))
    assert fast["value"] == "fastest"
    assert _data(cli("--json", "infer", "route", "--node", url, "--model", "2"))["mode"] == "vanilla"
    answer = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES)))
    assert answer["receipt"]["mode"] == 1  # vanilla, as routed
    too_tight = cli("infer", "route", "--node", url, "--model", "2", "--latency-ms", "1")
    assert too_tight.exit_code == 2 and "fits 1 ms" in too_tight.stderr


def test_the_node_serves_its_model_store_as_a_gateway(node, cli, tmp_path):
    """A profile whose storage is the node's /ipfs/ pulls models from it, verified."""
    url, _running, _chain = node
    assert cli("config", "set", "storage", f"{url}/ipfs/").exit_code == 0
    target = tmp_path / "pulled.onnx"
    assert _data(cli("--json", "model", "pull", "2", "-o", str(target)))["verified"] is True
    from ogcli.devnet.models import seed_models

    assert target.read_bytes() == seed_models()[1][1]
    assert httpx.get(f"{url}/ipfs/not-a-cid").status_code == 400
    from ogcli.storage.cid import cid_of

    assert httpx.get(f"{url}/ipfs/{cid_of(b'never stored')}").status_code == 404


class UpstreamDouble:
    """Test double of an OpenAI-compatible API: answers every chat with a fixed echo."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[dict] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                double.requests.append(body)
                text = f"upstream {body['model']} says: {body['messages'][-1]['content']}"
                data = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                "finish_reason": "stop"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_chat_through_an_openai_compatible_upstream(seeded_profile, cli, monkeypatch, tmp_path):

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    upstream = UpstreamDouble()
    with seeded_profile.snapshot():
        use_local_storage(tmp_path / "blobs")
        use_devnet_wallet(cli, "pub", "publisher-2")
        descriptor = tmp_path / "hosted.json"
        descriptor.write_text('{"upstream_model": "llama-3.1-8b"}')
        bad = tmp_path / "bad.json"
        bad.write_text('{"model": "x"}')
        refused = cli("--yes", "model", "push", str(bad), "--name", "bad", "--price", "0", "--format", "openai-upstream")
        assert refused.exit_code == 2 and "upstream_model" in refused.stderr
        pushed = _data(cli("--json", "--yes", "model", "push", str(descriptor), "--name", "hosted-llama", "--price", "0.02",
                           "--format", "openai-upstream", "--modes", "tee"))
        # Two chat models now: `infer chat` without --model names both rather than guess.
        refused = cli("--yes", "infer", "chat", "hello")
        assert refused.exit_code == 2 and "2 chat models" in refused.stderr and "hosted-llama" in refused.stderr
        assert "ogcli-tiny-chat" in refused.stderr and refused.stdout == ""
        with running_node(tmp_path / "node", upstream_url=upstream.url) as (url, _node):
            answer = _data(cli("--json", "--yes", "infer", "chat", "--node", url, "--model", str(pushed["model_id"]), "hello"))
            assert answer["chat_output"]["content"] == "upstream llama-3.1-8b says: hello"
            assert answer["settlement"] == "settled"
            assert upstream.requests[-1]["temperature"] == 0
        with running_node(tmp_path / "node2") as (url, _node):  # no upstream configured
            no_upstream = cli("--yes", "infer", "chat", "--node", url, "--model", str(pushed["model_id"]), "--mode", "tee", "hi")
            assert no_upstream.exit_code == 1 and "503" in no_upstream.stderr
    upstream.close()


def test_a_one_input_model_takes_the_bare_tensor(node, cli):
    """As the issue found it: `--input '[[0.1, 0.2, 0.3, 0.4]]'` was refused for a model with one
    input; a model with several still needs the names."""
    url, _running, _chain = node
    bare = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", "[[0.1, 0.2, 0.3, 0.4]]"))
    named = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES)))
    assert bare["outputs"] == named["outputs"] and bare["input"]["inputs"] == FEATURES


def test_chat_without_a_model_asks_the_networks_only_chat_model(node, cli):
    """As the issue found it: `ogcli infer chat "hi"` on a devnet with one chat model used to fail
    with "Missing option '--model'"."""
    url, _running, _chain = node
    answer = _data(cli("--json", "--yes", "infer", "chat", "--node", url, "hi"))
    assert answer["model"] == "ogcli-tiny-chat" and answer["chat_output"]["content"]


def test_streamed_chat_gives_the_same_answer_and_a_receipt(node):
    """stream=True (server-sent events): the pieces join into the signed answer; the last chunk
    carries the receipt."""
    import openai

    from ogcli.core import records
    from ogcli.sdk.paid_http import PayingTransport

    url, _running, chain = node
    transport = PayingTransport(accounts.get("delegator-8").local_account, chain_id=31337,
                                token=chain.protocol.token.address, settlement=chain.protocol.settlement.address,
                                tills=chain.protocol.tills.address)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="x402", http_client=httpx.Client(transport=transport))
    messages = [{"role": "user", "content": "what is a receipt?"}]
    chunks = list(client.chat.completions.create(model="ogcli-tiny-chat", messages=messages, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    receipt = chunks[-1].model_extra["ogcli"]
    assert chunks[-1].choices[0].finish_reason == "stop" and text
    assert receipt["outputHash"] == "0x" + records.content_hash({"role": "assistant", "content": text}).hex()


def test_two_calls_at_once_from_a_wallet_that_affords_one(seeded_profile, cli, monkeypatch, tmp_path):
    """As issue 18 found it: two `infer run` processes at once from a wallet that pays for one
    both exited 0 with outputs, one of them `"settlement": "failed"`, and nothing said so. The node
    answers an `exact` call once its settlement is mined: at most one is answered, and it settled;
    any other exits non-zero with the node's refusal as its JSON document, and no outputs. (Both
    may be refused, when each is checked while the other is: never both served.)"""
    import os
    import subprocess
    import sys

    from eth_account import Account

    from tests.adversarial.exact_attack_support import fund, offer

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        use_local_storage(tmp_path / "blobs")
        with running_node(tmp_path / "node") as (url, _running):
            value = int(offer(url, {"model": 2, "inputs": FEATURES}).amount)
            poor = Account.from_key(os.urandom(32))
            fund(seeded_profile, poor.address, value, gas=False)
            assert cli("wallet", "import", "poor", "--private-key", input=poor.key.hex() + "\n").exit_code == 0
            assert cli("wallet", "use", "poor").exit_code == 0
            command = [sys.executable, "-m", "ogcli", "--json", "--yes", "infer", "run", "--node", url, "--model", "2",
                       "--input", json.dumps(FEATURES)]
            runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
            finished = [(run.wait(timeout=120), run.stdout.read(), run.stderr.read()) for run in runs]
        token = seeded_profile.protocol.token.functions
        served = [out for code, out, _err in finished if code == 0]
        print([(code, out[-300:], err.strip()[:200]) for code, out, err in finished])
        assert len(served) <= 1, "two calls answered on a balance that pays for one"
        for code, out, err in finished:
            document = json.loads(out)  # --json: one document on stdout, answered or not
            if code == 0:
                assert document["data"]["settlement"] == "settled" and document["data"]["outputs"]
            else:
                assert document["ok"] is False and "data" not in document and not err.strip(), (out, err)
                assert "the node refused the payment" in document["error"]["message"]
        assert token.balanceOf(poor.address).call() == value - len(served) * value


@pytest.mark.parametrize("pay", ["exact", "channel"])
def test_paid_calls_work_after_the_devnet_clock_jumps_a_month(node, cli, pay):
    """As issue 18 found it: after `ogcli devnet advance --days 30` every paid call failed, the
    payment's validity window taken from the wall clock while the chain's was a month ahead. The
    node's offer now sizes the window so that it runs on the chain's clock."""
    url, running, chain = node
    chain.advance(30 * 86_400)  # what `devnet advance` does (the session's chain is not `devnet up`'s)
    running._chain_time = None  # the node reads the chain's time at most every second
    result = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES),
                 "--pay", pay)
    assert result.exit_code == 0, result.stdout + result.stderr
    answer = _data(result)
    assert answer["outputs"] and answer["scheme"] == ("exact" if pay == "exact" else "batch-settlement")


def test_chat_reads_a_long_prompt_from_stdin_or_a_file(node, cli, tmp_path):
    """As issue 18 asks: `infer chat -` reads the prompt from stdin, `@FILE` from a file, for
    prompts longer than a command line; the record's input is that text."""
    url, _running, _chain = node
    prompt = "what is a receipt? " * 2_000  # longer than a comfortable command line
    from_stdin = _data(cli("--json", "--yes", "infer", "chat", "--node", url, "--model", "ogcli-tiny-chat", "-",
                           input=prompt))
    assert from_stdin["input"]["messages"] == [{"role": "user", "content": prompt}]
    path = tmp_path / "prompt.txt"
    path.write_text(prompt)
    from_file = _data(cli("--json", "--yes", "infer", "chat", "--node", url, "--model", "ogcli-tiny-chat", f"@{path}"))
    assert from_file["input"]["messages"] == [{"role": "user", "content": prompt}]
    missing = cli("--yes", "infer", "chat", "--node", url, "--model", "ogcli-tiny-chat", f"@{tmp_path / 'nope'}")
    assert missing.exit_code == 2 and "is not a file" in missing.stderr


def test_bare_infer_chat_uses_the_profiles_node_and_model(node, cli):
    """As the issue found it: `infer chat "hi"` went to the endpoint registered on chain (here
    :8700, where nothing listens) though the user's node listens elsewhere. The profile's
    node_url and default_model, set with `config set`, make the bare command work, and
    `network status` says which node `infer` uses and why."""
    url, _running, _chain = node
    before = _data(cli("--json", "network", "status"))["infer_node"]
    assert before["source"] == "registry" and before["url"] == "http://127.0.0.1:8700"
    assert cli("config", "set", "node_url", url + "/").exit_code == 0
    assert cli("config", "set", "default_model", "ogcli-tiny-chat").exit_code == 0
    status = _data(cli("--json", "network", "status"))
    assert status["infer_node"]["url"] == url and status["infer_node"]["source"] == "profile"
    assert status["default_model"] == "ogcli-tiny-chat"
    assert "node_url of profile" in cli("network", "status").stdout
    answer = _data(cli("--json", "--yes", "infer", "chat", "hi"))
    assert answer["settlement"] == "settled" and answer["chat_output"]["content"]
    assert _data(cli("--json", "infer", "route", "--model", "2"))["node"] == url
    # --node still wins over the profile
    elsewhere = cli("--yes", "infer", "chat", "--node", "http://127.0.0.1:9", "hi")
    assert elsewhere.exit_code != 0 and "127.0.0.1:9" in elsewhere.stderr


def test_infer_verify_last_checks_your_newest_call(node, cli):
    url, _running, _chain = node
    answer = _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES)))
    report = _data(cli("--json", "infer", "verify", "last"))
    assert report["request_id"] == answer["request_id"] and report["verified"] is True
    assert cli("wallet", "new", "newcomer").exit_code == 0 and cli("wallet", "use", "newcomer").exit_code == 0
    none_yet = cli("infer", "verify", "last")
    assert none_yet.exit_code == 2 and "has no settled call on this network yet" in none_yet.stderr
