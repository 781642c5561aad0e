"""`node run --public-url URL`: the node registers (or moves) its enclave's endpoint to URL once
it hears itself answer there, and stops with one line when URL reaches nothing or another node.
TEERegistry.setEndpoint: the operator alone moves an endpoint, within the registry's bound."""

from __future__ import annotations

import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler

import pytest
from eth_account import Account

from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from tests.chain.enclaves import operator_sender, register_dev_enclave
from tests.chain.node_fixture import free_port, start_node_process, stop_node_process, use_local_storage, wait_until
from tests.http_doubles import serving

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

SEEDED_ENDPOINT = "http://127.0.0.1:8700"  # where the devnet seeds the reference node's enclave


def _endpoint(chain, signer: str) -> str:
    return chain.protocol.registry.functions.getEnclave(signer).call()[7]


def _moves(chain) -> int:
    return len(chain.protocol.registry.events.EndpointChanged().get_logs(from_block=0))


def _logged(process, text: str, timeout_s: float = 30) -> str:
    """The node's stderr up to the first line holding `text`; AssertionError (with what it did
    log) when none comes within `timeout_s`. Polled through `selectors` (epoll): select() refuses
    descriptors above 1023, which a long test session reaches."""
    import selectors
    import time

    seen, deadline = "", time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                line = process.stderr.readline().decode()
                seen += line
                if text in line:
                    return seen
                if not line:  # the node exited
                    break
    raise AssertionError(f"no {text!r} in the node's log: {seen[-1500:]}")


def _node_run(*options: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ogcli", "node", "run", *options], capture_output=True, text=True,
                          timeout=timeout)


def test_a_node_moves_its_endpoint_to_its_public_url_once_it_answers_there(seeded_profile, tmp_path):
    chain, signer = seeded_profile, accounts.get("enclave-signer").address
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        assert _endpoint(chain, signer) == SEEDED_ENDPOINT
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        node = start_node_process(port, "--public-url", url + "/")
        try:
            _logged(node, f"moved from {SEEDED_ENDPOINT} to {url}")
            assert _endpoint(chain, signer) == url
        finally:
            stop_node_process(node)
        moved = chain.protocol.registry.events.EndpointChanged().get_logs(from_block=0)
        assert [(e["args"]["signer"], e["args"]["endpoint"]) for e in moved] == [(signer, url)]
        node = start_node_process(port, "--public-url", url)  # already there: nothing is sent again
        try:
            _logged(node, f"already registered at {url}")
        finally:
            stop_node_process(node)
        assert _moves(chain) == 1


def test_a_public_url_that_reaches_nothing_stops_the_node_and_writes_nothing(seeded_profile, tmp_path):
    chain, signer = seeded_profile, accounts.get("enclave-signer").address
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        nowhere = f"http://127.0.0.1:{free_port()}"
        result = _node_run("--dev-keys", "--port", str(free_port()), "--public-url", nowhere)
        assert result.returncode == 1, result.stderr[-1500:]
        last = result.stderr.strip().splitlines()[-1]
        assert f"--public-url {nowhere} does not reach this node" in last and "Traceback" not in result.stderr
        assert _endpoint(chain, signer) == SEEDED_ENDPOINT and _moves(chain) == 0


class _AnotherNode(BaseHTTPRequestHandler):
    """A test double of another node: its /health names an enclave that is not ours."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = json.dumps({"ok": True, "enclave_signer": "0x" + "ab" * 20}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_public_url_that_reaches_another_node_is_refused(seeded_profile, tmp_path):
    chain, signer = seeded_profile, accounts.get("enclave-signer").address
    with chain.snapshot(), serving(_AnotherNode) as other:
        use_local_storage(tmp_path / "blobs")
        result = _node_run("--dev-keys", "--port", str(free_port()), "--public-url", other)
        assert result.returncode == 1, result.stderr[-1500:]
        assert f"reaches another node (enclave 0x{'ab' * 20})" in result.stderr.strip().splitlines()[-1]
        assert _endpoint(chain, signer) == SEEDED_ENDPOINT


def test_a_new_enclave_is_registered_at_its_public_url(seeded_profile, cli, monkeypatch, tmp_path):
    """Without --dev-keys: the operator's wallet, a fresh enclave key. Registration waits for the
    reachability check, so the first endpoint on chain is the public one."""
    from tests.cli_results import use_devnet_wallet

    chain = seeded_profile
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with chain.snapshot():
        use_local_storage(tmp_path / "blobs")
        use_devnet_wallet(cli, "op", "delegator-4")
        before = {view[0] for view in chain.protocol.registry.functions.listEnclaves().call()}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen([sys.executable, "-m", "ogcli", "node", "run", "--port", str(port), "--public-url", url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            def registered() -> bool:
                assert process.poll() is None, process.stderr.read().decode()[-1500:]
                views = chain.protocol.registry.functions.listEnclaves().call()
                return any(view[0] not in before for view in views)

            wait_until(registered, timeout_s=90)
        finally:
            stop_node_process(process)
        new = [view for view in chain.protocol.registry.functions.listEnclaves().call() if view[0] not in before]
        assert [(view[1], view[7]) for view in new] == [(accounts.get("delegator-4").address, url)]
        assert _moves(chain) == 0  # registered there at once, not moved there


@pytest.mark.parametrize("url, words", [
    ("ftp://node.example", "must start with http://"),
    ("http://node.example/?key=1", "base URL"),
    ("http://node.example/" + "a" * 300, "at most 256"),
])
def test_a_bad_public_url_is_one_line_before_anything_starts(seeded_profile, url, words):
    result = _node_run("--dev-keys", "--port", str(free_port()), "--public-url", url, timeout=60)
    assert result.returncode == 2 and words in result.stderr, result.stderr[-800:]


def test_off_a_devnet_the_public_url_must_be_one_verifiers_fetch_from():
    from ogcli.errors import UsageError
    from ogcli.node.public_endpoint import checked_public_url

    with pytest.raises(UsageError, match="verifiers will not fetch from it .*loopback"):
        checked_public_url("http://127.0.0.1:8700", 84532)
    assert checked_public_url("http://127.0.0.1:8700/", 31337) == "http://127.0.0.1:8700"


def test_only_the_operator_moves_an_endpoint_within_the_bound(fresh):
    signer = Account.create()
    register_dev_enclave(fresh, signer, endpoint="http://first")
    registry = fresh.protocol.registry.functions
    stranger = operator_sender(fresh, "holder-1")
    with pytest.raises(RevertedError, match="NotOperator"):
        stranger.transact(registry.setEndpoint(signer.address, "http://hijacked"))
    operator = operator_sender(fresh)
    with pytest.raises(RevertedError, match="EndpointTooLong"):
        operator.transact(registry.setEndpoint(signer.address, "http://x/" + "a" * 300))
    with pytest.raises(RevertedError, match="SignerNotRegistered"):
        operator.transact(registry.setEndpoint(Account.create().address, "http://nobody"))
    operator.transact(registry.setEndpoint(signer.address, "http://second"))
    assert registry.getEnclave(signer.address).call()[7] == "http://second"
    operator.transact(registry.deregisterEnclave(signer.address))
    with pytest.raises(RevertedError, match="SignerNotRegistered"):  # a retired enclave has no endpoint to move
        operator.transact(registry.setEndpoint(signer.address, "http://third"))
