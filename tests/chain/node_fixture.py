"""A real reference node for tests: built by `ogcli.node.service` against the session chain and
served by uvicorn in a thread on a free port; stopped (and its settler with it) at the end."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def store_devnet_models(blobs: Path) -> None:
    from ogcli.devnet.models import chat_model, seed_models
    from ogcli.storage.blobs import LocalStore

    store = LocalStore(blobs)
    for _name, blob in [*seed_models(), chat_model()]:
        store.put_bytes(blob)


def use_local_storage(blobs: Path, profile_name: str = "seeded") -> None:
    """The devnet's models in a local store at `blobs`, and the profile pointed at it."""
    from ogcli import config

    store_devnet_models(blobs)
    profile = config.load().profiles[profile_name]
    config.put_profile(profile_name, config.Profile(**{**profile.__dict__, "storage": blobs.as_uri()}), activate=True)


@contextlib.contextmanager
def running_node(data_dir: Path, operator=None, enclave=None, **settings):
    """Yields (url, node) for the active profile, run by `operator` with `enclave` (local
    accounts; the devnet's node operator and enclave signer by default)."""
    import uvicorn

    from ogcli import context
    from ogcli.devnet import accounts
    from ogcli.node.app import create_app
    from ogcli.node.service import NodeSettings, build

    port = free_port()
    config = NodeSettings(port=port, **settings)
    node = build(context.resolve_network(), operator or accounts.get("node-operator").local_account,
                 enclave or accounts.get("enclave-signer").local_account, data_dir, config)
    server = uvicorn.Server(uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health").status_code == 200:
                break
        time.sleep(0.05)
    try:
        yield url, node
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        node.committer.stop()
        node.settler.stop()
        node.outbox.close()


def start_node_process(port: int, *options: str):
    """`ogcli node run --dev-keys --port PORT OPTIONS...` as a child process, once /health answers."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "ogcli", "node", "run", "--dev-keys", "--port", str(port), *options],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"node exited: {process.stderr.read().decode()[-800:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("node did not start")


def stop_node_process(process, sig=None) -> None:
    """Stops the node by its pid (SIGTERM unless `sig`), and waits for it."""
    import os
    import signal

    os.kill(process.pid, sig or signal.SIGTERM)
    process.wait(timeout=30)


def wait_until(condition, timeout_s: float = 30.0) -> None:
    """Returns once `condition()` holds; AssertionError after `timeout_s` (polled every 0.1 s)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def gives_up_waiting():
    """A Sender class that sends for real, then gives up on the receipt (a crash, or a timeout):
    a test double."""
    from ogcli.chain.sender import Sender
    from ogcli.errors import NetworkError

    class GivesUpWaiting(Sender):
        def confirm(self, tx_hash, tx, label=""):
            raise NetworkError("gave up waiting for the receipt")

    return GivesUpWaiting


def sdk_channel_session(chain, payer):
    """A requests session that pays x402 offers with the official SDK's batch-settlement client,
    as an outside agent would (nothing of ours on the client side)."""
    from x402 import x402ClientSync
    from x402.http.clients import x402_requests
    from x402.mechanisms.evm.batch_settlement.client import BatchSettlementEvmScheme
    from x402.mechanisms.evm.signers import EthAccountSignerWithRPC

    network = f"eip155:{chain.w3.eth.chain_id}"
    client = x402ClientSync().register(network, BatchSettlementEvmScheme(EthAccountSignerWithRPC(payer, chain.url)))
    # The SDK knows no default asset on the devnet: its spend controls must allow OPG there.
    client.set_spend_controls({"allowed_assets": [{"network": network, "asset": chain.protocol.token.address}]})
    return x402_requests(client)


def channel_payer(chain, tmp_path):
    """A new payer holding 10 OPG and no gas (the node sends its deposit), with the devnet's
    models in a local store for the node."""
    from eth_account import Account

    from ogcli.devnet import accounts
    from ogcli.protocol.params import OPG
    from tests.chain.fixtures import send_as

    use_local_storage(tmp_path / "blobs")
    payer = Account.create()
    send_as(chain, accounts.get("deployer").address, chain.protocol.token.functions.transfer(payer.address, 10 * OPG))
    return payer
