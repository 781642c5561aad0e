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
def running_node(data_dir: Path, **settings):
    """Yields (url, node) for the active profile, with the devnet's operator and enclave keys."""
    import uvicorn

    from ogcli import context
    from ogcli.devnet import accounts
    from ogcli.node.app import create_app
    from ogcli.node.service import NodeSettings, build

    port = free_port()
    config = NodeSettings(port=port, **settings)
    node = build(context.resolve_network(), accounts.get("node-operator").local_account,
                 accounts.get("enclave-signer").local_account, data_dir, config)
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
