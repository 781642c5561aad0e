"""A throwaway Anvil for benchmarks: started on a free port, stopped by pid."""

from __future__ import annotations

import contextlib
import socket
import tempfile
import time
from pathlib import Path

from ogcli.devnet import anvil


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def throwaway_anvil(genesis_offset_s: int = 14 * 86_400):
    """Yields (rpc_url, genesis_time) of a fresh Anvil with no state file."""
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
        )
        try:
            yield f"http://127.0.0.1:{port}", genesis_time
        finally:
            anvil.stop(process.pid)
