"""`infer verify` says "verified" only when every check that applies ran and passed: a check it
could not run (the registration log of the attestation document out of reach) leaves the
call "unverified" (exit 6), a check that failed leaves it "failed" (exit 1), in the human and the
--json output alike. The --json report is printed in its `{"ok": true, "data": ...}` envelope
whatever the verdict: the command ran, the verdict is its data."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.chain.rpc_counter import CountingProxy
from tests.chain.test_infer_e2e import node  # noqa: F401 (carol, a node on the seeded chain, a snapshot)
from tests.cli_results import data as _data

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]

FEATURES = {"features": [[0.1, 0.2, 0.3, 0.4]]}
EXIT_FAILED, EXIT_UNVERIFIED = 1, 6


def paid_call(cli, url: str, *options: str) -> dict:
    """A paid, settled ONNX call of model 2 through the node at `url` (the CLI's --json data)."""
    return _data(cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES),
                     *options))


def report(result) -> dict:
    """The verify report of a --json run: printed as data whatever the verdict."""
    document = json.loads(result.stdout)
    assert document["ok"] is True, document
    return document["data"]


def by_name(data: dict) -> dict:
    return {c["name"]: c for c in data["checks"]}


def verdict_line(result) -> str:
    return result.stdout.strip().splitlines()[-1]


class CountingServerDouble:
    """Test double of a node endpoint on 127.0.0.1: answers 404 to everything and counts requests."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                double.requests.append(self.path)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _without_registration_logs(chain) -> CountingProxy:
    """An endpoint in front of the chain that has lost the registry's EnclaveAttestation logs."""
    registry = chain.protocol.registry
    topic = "0x" + chain.w3.keccak(text="EnclaveAttestation(address,uint8,bytes32,bytes)").hex().removeprefix("0x")
    assert any(e["type"] == "event" and e["name"] == "EnclaveAttestation" for e in registry.abi)
    return CountingProxy(chain.url, hidden_topics=frozenset({topic}))


def test_an_attestation_document_out_of_reach_leaves_the_call_unverified(node, cli):  # noqa: F811
    url, _running, chain = node
    call = paid_call(cli, url)

    with _without_registration_logs(chain) as pruned:
        result = cli("--json", "--rpc-url", pruned.url, "infer", "verify", call["request_id"])
        human = cli("--rpc-url", pruned.url, "infer", "verify", call["request_id"])
    assert result.exit_code == EXIT_UNVERIFIED, (result.exit_code, result.stdout, result.stderr)
    data = report(result)
    assert data["verified"] is False and data["state"] == "unverified"
    checks = by_name(data)
    document = checks["attestation document"]
    assert document["ok"] is None and document["status"] == "unverified" and document["ran"] is False
    assert "no EnclaveAttestation log" in document["detail"]
    assert {name: c["status"] for name, c in checks.items() if name != "attestation document"} == {
        "record stored": "pass", "enclave signature": "pass", "enclave registered": "pass",
        "measurement approved then": "pass", "payment split": "pass", "payment pulled": "pass",
    }
    assert human.exit_code == EXIT_UNVERIFIED
    assert "unverified" in verdict_line(human).lower() and ": verified" not in verdict_line(human)


def test_a_call_whose_every_applicable_check_passed_is_verified(node, cli):  # noqa: F811
    url, _running, _chain = node
    call = paid_call(cli, url, "--mode", "vanilla")  # no enclave: its signature checks do not apply

    result = cli("--json", "infer", "verify", call["request_id"], "--node", url)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    data = report(result)
    assert data["verified"] is True and data["state"] == "verified"
    signature = by_name(data)["enclave signature"]
    assert signature["ok"] is None and signature["status"] == "n/a" and signature["ran"] is False
    assert verdict_line(cli("infer", "verify", call["request_id"], "--node", url)).endswith("verified")


def test_a_failed_check_makes_the_call_failed_even_when_another_could_not_run(node, cli, tmp_path):  # noqa: F811
    url, _running, chain = node
    answer = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--input", json.dumps(FEATURES))
    tampered = json.loads(answer.stdout)
    tampered["data"]["output"]["probabilities"][0][0] += 0.01
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps(tampered))

    with _without_registration_logs(chain) as pruned:
        request_id = tampered["data"]["request_id"]
        result = cli("--json", "--rpc-url", pruned.url, "infer", "verify", request_id, "--response", str(saved))
        human = cli("--rpc-url", pruned.url, "infer", "verify", request_id, "--response", str(saved))
    assert result.exit_code == EXIT_FAILED
    data = report(result)
    assert data["verified"] is False and data["state"] == "failed"
    statuses = {name: c["status"] for name, c in by_name(data).items()}
    assert statuses["response output"] == "fail" and statuses["attestation document"] == "unverified"
    assert human.exit_code == EXIT_FAILED and "NOT verified" in verdict_line(human)


def test_the_document_is_read_from_the_chain_never_from_the_node(node, cli):  # noqa: F811
    """The registration logged the document the registry verified: `infer verify` checks that one
    again, and asks the node (or a --node given) nothing about it."""
    url, _running, _chain = node
    call = paid_call(cli, url)
    double = CountingServerDouble()
    try:
        result = cli("--json", "infer", "verify", call["request_id"], "--node", double.url)
    finally:
        double.close()
    assert result.exit_code == 0, (result.stdout, result.stderr)
    document = by_name(report(result))["attestation document"]
    assert document["status"] == "pass" and "verified on chain and again here" in document["detail"]
    assert double.requests == []
