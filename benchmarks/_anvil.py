"""A throwaway Anvil for benchmarks, started on a free port and stopped by pid; and the seeded
devnet on one, with a temporary home."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ogcli.devnet import anvil


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def throwaway_anvil(genesis_offset_s: int = 14 * 86_400, hardfork: str = anvil.HARDFORK):
    """Yields (rpc_url, genesis_time) of a fresh Anvil with no state file, on the devnet's gas
    schedule unless told otherwise."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        genesis_time = int(time.time()) - genesis_offset_s
        process = anvil.start(
            binary=anvil.find_binary(),
            host="127.0.0.1",
            port=port,
            state_file=None,
            log_file=Path(tmp) / "anvil.log",
            genesis_timestamp=genesis_time,
            hardfork=hardfork,
        )
        try:
            yield f"http://127.0.0.1:{port}", genesis_time
        finally:
            anvil.stop(process.pid)


@dataclass(frozen=True)
class SeededDevnet:
    url: str
    home: Path  # the temporary home every XDG dir points into
    protocol: object  # ogcli.chain.contracts.Protocol, with web3 (the benchmarks also write)


@contextlib.contextmanager
def seeded_devnet():
    """The seeded devnet (genesis story included) on a throwaway Anvil, with XDG_CONFIG_HOME,
    XDG_DATA_HOME and XDG_CACHE_HOME in a temporary home and an active `bench` profile for it."""
    from ogcli import config
    from ogcli.chain.contracts import Protocol
    from ogcli.chain.session import connect
    from ogcli.devnet.genesis import build_devnet
    from ogcli.protocol.deployment import save

    with tempfile.TemporaryDirectory() as home, throwaway_anvil() as (url, genesis_time):
        for variable, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
            os.environ[variable] = f"{home}/{folder}"
        deployment = build_devnet(url, genesis_time, lambda _m: None)[0]
        path = Path(home) / "deployment.json"
        save(deployment, path)
        config.put_profile("bench", config.Profile(rpc_url=url, chain_id=anvil.DEV_CHAIN_ID, deployment=str(path)),
                           activate=True)
        yield SeededDevnet(url, Path(home), Protocol(connect(url, anvil.DEV_CHAIN_ID), deployment))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextlib.contextmanager
def seeded_node(**settings):
    """A reference node (tests/chain/node_fixture.running_node) on a seeded devnet, the devnet's
    models in a local store: yields (devnet, node)."""
    from ogcli import config
    from tests.chain.node_fixture import running_node, store_devnet_models

    with seeded_devnet() as devnet:
        store_devnet_models(devnet.home / "blobs")
        profile = config.load().profiles["bench"]
        config.put_profile("bench", config.Profile(**{**profile.__dict__, "storage": (devnet.home / "blobs").as_uri()}),
                           activate=True)
        with running_node(devnet.home / "node", **settings) as (_url, node):
            yield devnet, node
