"""The chain goes away under a running node (issue 14): calls get a 503 `chain_unavailable` with
Retry-After (not a bare 500), /health says what is down (503), and both recover when the chain
returns, without a restart. A dedicated Anvil, loaded with the seeded chain's state, stopped by
its pid and started again on the same port."""

from __future__ import annotations

import gzip
import time

import httpx
import pytest

from ogcli.devnet import anvil
from tests.adversarial.node_process import node_home, post, running
from tests.chain.node_fixture import free_port

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

CALL = b'{"model": 2, "inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}'
CHAT = b'{"model": "ogcli-tiny-chat", "messages": [{"role": "user", "content": "hi"}]}'


def _until(predicate, what: str, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _error(answer: httpx.Response) -> tuple:
    """(status, error code, whether it says when to retry) of an answer, whatever its body."""
    try:
        code = answer.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = answer.text[:60]
    return answer.status_code, code, answer.headers.get("Retry-After", "").isdigit()


def _health_once_down(node) -> httpx.Response:
    """/health's first 503 within 3 s of the outage (its chain probe is cached for 1 s), else its
    last answer; each answer within 2.5 s (one short probe, not the connection's 30 s timeout)."""
    deadline = time.monotonic() + 3.0
    while True:
        started = time.monotonic()
        health = httpx.get(f"{node.url}/health", timeout=5)
        assert time.monotonic() - started < 2.5
        if health.status_code == 503 or time.monotonic() > deadline:
            return health
        time.sleep(0.1)


def _down(health: httpx.Response) -> str:
    """What /health says is down: `chain`, or what it said instead."""
    report = health.json()
    if report.get("ok") is False and report.get("chain", {}).get("ok") is False:
        return "chain"
    return f"ok={report.get('ok')}, chain={report.get('chain')}"


def test_a_lost_chain_is_a_503_with_retry_after_and_health_says_so(seeded, tmp_path):
    state = tmp_path / "state.json"
    state.write_bytes(gzip.decompress(bytes.fromhex(seeded.rpc("anvil_dumpState")[2:])))
    port = free_port()

    def start_chain():
        return anvil.start(binary=anvil.find_binary(), host="127.0.0.1", port=port, state_file=state,
                           log_file=tmp_path / "anvil.log")

    chain = start_chain()
    try:
        env = node_home(tmp_path / "home", f"http://127.0.0.1:{port}", seeded.deployment)
        with running(env, log=tmp_path / "node.log") as node:
            assert post(node, "/v1/infer", CALL).status_code == 402
            assert httpx.get(f"{node.url}/health", timeout=5).status_code == 200

            anvil.stop(chain.pid)
            seen = {path: _error(post(node, path, body)) for path, body in (("/v1/infer", CALL), ("/v1/chat/completions", CHAT))}
            health = _health_once_down(node)
            seen["/health"] = (health.status_code, _down(health))
            assert seen == {"/v1/infer": (503, "chain_unavailable", True), "/v1/chat/completions": (503, "chain_unavailable", True),
                            "/health": (503, "chain")}, seen
            assert health.json()["chain"]["error"] and "outbox" in health.json()  # what the node holds is still told

            chain = start_chain()
            _until(lambda: httpx.get(f"{node.url}/health", timeout=5).status_code == 200, "/health to recover")
            assert httpx.get(f"{node.url}/health", timeout=5).json()["chain"]["ok"] is True
            assert post(node, "/v1/infer", CALL).status_code == 402
    finally:
        anvil.stop(chain.pid)
