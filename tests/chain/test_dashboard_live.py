"""The real dashboard against a real chain: in tmux, as a person would run it, its numbers match
`ogcli network stats`; and with its Anvil killed and started again on the same port, it shows
the outage and recovers without a restart."""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.cli_results import data

pytestmark = pytest.mark.chain
TMUX = "/usr/bin/tmux"
OGCLI = Path(sys.executable).parent / "ogcli"


def _pane(socket: str) -> str:
    return subprocess.run([TMUX, "-L", socket, "capture-pane", "-p", "-t", "dash"], capture_output=True, text=True,
                          check=True).stdout


def _wait_pane(socket: str, pattern: str, timeout: float = 60.0) -> re.Match:
    deadline = time.monotonic() + timeout
    while True:
        screen = _pane(socket)
        found = re.search(pattern, screen)
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{pattern!r} never appeared; the pane shows:\n{screen}")
        time.sleep(0.2)


@pytest.mark.skipif(not os.access(TMUX, os.X_OK), reason="needs tmux")
def test_the_dashboard_in_tmux_shows_the_numbers_network_stats_gives(carol, cli):
    stats = data(cli("--json", "network", "stats"))
    socket = f"ogcli-test-{uuid.uuid4().hex[:12]}"  # its own tmux server: nothing of the user's is touched
    # The server inherits this process's environment: the test's XDG dirs, OGCLI_PASSWORD.
    subprocess.run([TMUX, "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "dash", "-x", "80", "-y", "24",
                    f"{OGCLI} dashboard"], check=True)  # as the README says: bare, no option
    try:
        inferences = _wait_pane(socket, r"inferences\s+(\d+)")
        assert int(inferences.group(1)) == stats["totals"]["inferences"] > 0
        screen = _pane(socket)
        assert int(re.search(r"models live\s+(\d+)", screen).group(1)) == stats["totals"]["models_live"]
        assert int(re.search(r"active wallets\s+(\d+)", screen).group(1)) == stats["totals"]["active_wallets"]
        nakamoto = stats["stake"]["nakamoto_coefficient"]
        assert f"Nakamoto coefficient {nakamoto}" in screen and f"Nakamoto {nakamoto}" in screen
        assert f"{stats['stake']['validators']} validators" in screen

        subprocess.run([TMUX, "-L", socket, "send-keys", "-t", "dash", "2"], check=True)
        _wait_pane(socket, r"sorted by score")
        assert "Aurora Labs" in _pane(socket)
        subprocess.run([TMUX, "-L", socket, "send-keys", "-t", "dash", "3"], check=True)
        assert _wait_pane(socket, r"(\d+) models, (\d+) live").group(2) == str(stats["totals"]["models_live"])
        subprocess.run([TMUX, "-L", socket, "send-keys", "-t", "dash", "4"], check=True)
        _wait_pane(socket, r"voting closes in \d+")  # the seeded proposal still in its voting period
        subprocess.run([TMUX, "-L", socket, "send-keys", "-t", "dash", "5"], check=True)
        _wait_pane(socket, r"account 0x[0-9a-fA-F]{40}")
        subprocess.run([TMUX, "-L", socket, "send-keys", "-t", "dash", "6"], check=True)
        feed = _wait_pane(socket, r"newest (\d+) of ([\d,]+) indexed events")
        assert int(feed.group(2).replace(",", "")) >= stats["index"]["events"]
        subprocess.run([TMUX, "-L", socket, "send-keys", "-t", "dash", "q"], check=True)
    finally:
        subprocess.run([TMUX, "-L", socket, "kill-server"], capture_output=True)


def test_killing_the_chain_shows_an_outage_and_its_return_recovers(seeded, tmp_path):
    """A dedicated Anvil on a free port, loaded with the seeded chain's state (history included);
    killed while the dashboard runs, then started again on the same port from what it saved."""
    from ogcli import config, context
    from ogcli.devnet import anvil
    from ogcli.protocol.deployment import save
    from tests.chain.node_fixture import free_port
    from tui.app import Dashboard
    from tui.snapshot import NetworkLoader

    state = tmp_path / "state.json"
    state.write_bytes(gzip.decompress(bytes.fromhex(seeded.rpc("anvil_dumpState")[2:])))
    port = free_port()
    deployment = tmp_path / "deployment.json"
    save(seeded.deployment, deployment)
    config.put_profile("outage", config.Profile(rpc_url=f"http://127.0.0.1:{port}", chain_id=31337,
                                                deployment=str(deployment)), activate=True)

    def start():
        return anvil.start(binary=anvil.find_binary(), host="127.0.0.1", port=port, state_file=state,
                           log_file=tmp_path / "anvil.log")

    process = start()
    try:
        async def main():
            nonlocal process
            app = Dashboard(NetworkLoader(context.resolve_network()), refresh_s=0.5)
            async with app.run_test(size=(80, 24)) as pilot:
                async def until(predicate, what, timeout=60.0):
                    deadline = time.monotonic() + timeout
                    while not predicate():
                        assert time.monotonic() < deadline, f"timed out waiting for {what}"
                        await pilot.pause(0.1)

                await until(lambda: app.snapshot is not None, "the first read")
                first = app.snapshot
                assert len(first.validators) == 8
                await until(lambda: app.snapshot.usage is not None, "the usage count")
                assert app.snapshot.usage["totals"]["inferences"] > 0
                first = app.snapshot
                anvil.stop(process.pid)
                await until(lambda: app.outage_since is not None, "the outage banner")
                status = str(app.query_one("#status").render())
                assert "RPC OUTAGE" in status and "showing the last data" in status
                assert app.snapshot is first and app.query_one("#table").row_count == 8  # the last data stays
                process = start()
                await until(lambda: app.outage_since is None, "recovery")
                assert "block" in str(app.query_one("#status").render()) and not app.query_one("#status").has_class("outage")
                assert app.snapshot is not first and len(app.snapshot.validators) == 8
        asyncio.run(main())
    finally:
        anvil.stop(process.pid)
