"""Starts and stops the Anvil process from the pinned npm package, and talks to its dev RPCs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from ogcli.chain.rpc import call as rpc
from ogcli.errors import DevnetError, NetworkError

ANVIL_ENV = "OGCLI_ANVIL"
_RELATIVE_BINARY = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
DEV_CHAIN_ID = 31337
READY_TIMEOUT_S = 15.0
# The gas schedule the devnet runs: Osaka, mainnet's since December 2025, with EIP-7883's modexp
# prices and EIP-7825's cap of 2^24 gas per transaction, which `--enable-tx-gas-limit` makes Anvil
# enforce (it has no effect before Osaka). The contracts are compiled for Prague (scripts/
# build_contracts.mjs), so the same bytecode also runs on chains not yet on Osaka.
HARDFORK = "osaka"
STOP_TIMEOUT_S = 20.0


def find_binary() -> Path:
    """The anvil binary: $OGCLI_ANVIL, else node_modules of the checkout ogcli runs from or of the
    current directory. Started directly, not through npx, so no network is needed at run time."""
    override = os.environ.get(ANVIL_ENV)
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise DevnetError(f"{ANVIL_ENV}={override} is not an executable file")
    package_root = Path(__file__).resolve().parents[2]
    for base in (package_root, Path.cwd()):
        candidate = base / _RELATIVE_BINARY
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise DevnetError(
        "anvil binary not found: run `npm ci` in the ogcli checkout, or set OGCLI_ANVIL to an anvil binary"
    )


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_state_file(path: Path) -> None:
    """Anvil refuses a corrupted state file with a long message; say it in one line first."""
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            state = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise DevnetError(
            f"devnet chain state {path} is corrupted ({type(exc).__name__}); "
            "`ogcli devnet reset` starts a new devnet"
        ) from None
    if not isinstance(state, dict) or "accounts" not in state:
        raise DevnetError(f"devnet chain state {path} is not an Anvil state dump; `ogcli devnet reset` starts over")


def start(
    *,
    binary: Path,
    host: str,
    port: int,
    state_file: Path | None,
    log_file: Path,
    genesis_timestamp: int | None = None,
    chain_id: int = DEV_CHAIN_ID,
    hardfork: str = HARDFORK,
) -> subprocess.Popen:
    """Starts anvil detached from this process (it outlives the CLI) and waits until it answers."""
    if not port_is_free(host, port):
        raise DevnetError(f"port {port} on {host} is in use; pick another with --port")
    args = [
        str(binary),
        "--host", host,
        "--port", str(port),
        "--chain-id", str(chain_id),
        "--hardfork", hardfork,
        "--enable-tx-gas-limit",
        "--silent",
    ]
    # Anvil writes the chain's older states to disk, by default under ~/.foundry/anvil/tmp, and
    # leaves them there when it exits (gigabytes a test session). Kept next to its log instead,
    # and cleared at each start: a cache of history this process rebuilds, never the chain itself.
    states = log_file.with_name(log_file.stem + "-states")
    shutil.rmtree(states, ignore_errors=True)
    args += ["--cache-path", str(states)]
    if state_file is not None:
        args += ["--state", str(state_file), "--state-interval", "10"]
    if genesis_timestamp is not None:
        args += ["--timestamp", str(genesis_timestamp)]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevnetError(f"anvil exited at start (code {process.returncode}): {_last_line(log_file)}")
        try:
            rpc(url, "eth_chainId", [])
            return process
        except NetworkError:
            time.sleep(0.05)
    stop(process.pid)
    raise DevnetError(f"anvil did not answer on {url} within {READY_TIMEOUT_S:.0f}s")


def is_anvil(pid: int) -> bool:
    """Whether `pid` is alive and is an anvil process (a recycled pid is not ours to signal)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    argv0 = cmdline.split(b"\0", 1)[0]
    return os.path.basename(argv0) == b"anvil"


def stop(pid: int) -> None:
    """Asks anvil to exit (it dumps its state on SIGTERM) and waits until it has."""
    if not is_anvil(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            # Reap it if it is our child (tests); otherwise just watch it disappear.
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not is_anvil(pid) or _is_zombie(pid):
            return
        time.sleep(0.05)
    raise DevnetError(f"anvil (pid {pid}) did not exit within {STOP_TIMEOUT_S:.0f}s after SIGTERM")


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1][:300] if lines else "no output"
