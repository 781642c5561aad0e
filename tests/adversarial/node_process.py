"""A real node in its own process for attack tests (an attack that crashes it must fail the test,
not kill pytest), its home (config, data) in a directory of its own, and raw-socket clients for
requests no polite HTTP library sends."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.chain.node_fixture import free_port, store_devnet_models

HOST = "127.0.0.1"  # every attack stays on loopback


def node_home(root: Path, rpc_url: str, deployment, storage: str = "") -> dict:
    """XDG dirs under `root` with an active profile `seeded` for `rpc_url` (models in a local
    store at root/blobs unless `storage` names another); the environment a node process runs
    with. The test process's own environment is left as it was."""
    from ogcli import config
    from ogcli.protocol.deployment import save

    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with pytest.MonkeyPatch.context() as patch:
        for variable, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
            (root / folder).mkdir(parents=True, exist_ok=True)
            patch.setenv(variable, str(root / folder))
            env[variable] = str(root / folder)
        if not storage:
            store_devnet_models(root / "blobs")
            storage = (root / "blobs").as_uri()
        save(deployment, root / "deployment.json")
        config.put_profile("seeded", config.Profile(rpc_url=rpc_url, chain_id=31337, deployment=str(root / "deployment.json"),
                                                    storage=storage), activate=True)
    for variable in ("OGCLI_PROFILE", "OGCLI_RPC_URL", "OGCLI_JSON"):
        env.pop(variable, None)
    return env


class NodeProcess:
    """`ogcli node run --dev-keys` (or, with `limits`, tests/adversarial/run_node.py, which passes
    them to serve()) on a free loopback port; stopped by its pid."""

    def __init__(self, env: dict, limits: dict | None = None, log: Path | None = None) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        if limits is None:
            command = [sys.executable, "-m", "ogcli", "node", "run", "--dev-keys", "--port", str(self.port)]
        else:
            command = [sys.executable, "-m", "tests.adversarial.run_node", "--port", str(self.port),
                       *(f"--limit={name}={value}" for name, value in limits.items())]
        self._log = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=self._log,
                                        cwd=Path(__file__).resolve().parents[2])
        self._log_path = log

    def wait_ready(self, timeout_s: float = 60.0) -> NodeProcess:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the node exited at start ({self.process.returncode}): {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code in (200, 503):
                    return self
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the node did not start: {self.log_tail()}")

    @property
    def data_dir(self) -> Path:
        """Its state (outbox, model cache in `models/`): ogcli.locations.node_dir of profile seeded."""
        return Path(self.env["XDG_DATA_HOME"]) / "ogcli" / "node" / "seeded"

    def state(self) -> str:
        """What became of the process, for assertion messages."""
        code = self.process.poll()
        if code is None:
            return "is still running"
        if code < 0:
            return f"died of {signal.Signals(-code).name}"
        return f"exited with status {code}"

    def log_tail(self) -> str:
        if self._log_path is None:
            return ""
        self._log.flush()
        return self._log_path.read_text(errors="replace")[-1500:]

    def assert_alive(self) -> None:
        """Still running, and /health answers."""
        assert self.process.poll() is None, f"the node {self.state()}"
        health = httpx.get(f"{self.url}/health", timeout=5)
        assert health.status_code == 200 and health.json()["ok"] is True, health.text

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        if self._log is not subprocess.DEVNULL:
            self._log.close()


@contextlib.contextmanager
def running(env: dict, limits: dict | None = None, log: Path | None = None):
    node = NodeProcess(env, limits, log)
    try:
        yield node.wait_ready()
    finally:
        node.stop()


def post(node: NodeProcess, path: str, body: bytes, timeout_s: float = 10.0, **headers) -> httpx.Response:
    """POSTs raw bytes; a node that dies or hangs up instead of answering fails the test, saying
    what happened to the process."""
    try:
        return httpx.post(f"{node.url}{path}", content=body, timeout=timeout_s,
                          headers={"content-type": "application/json", **headers})
    except httpx.HTTPError as exc:
        time.sleep(0.2)  # let a crashing process finish dying, so state() can tell
        raise AssertionError(f"no answer ({type(exc).__name__}: {exc}); the node {node.state()}") from None


def connect(node: NodeProcess, timeout_s: float = 5.0) -> socket.socket:
    sock = socket.create_connection((HOST, node.port), timeout=timeout_s)
    sock.settimeout(timeout_s)
    return sock


def read_response(sock: socket.socket, timeout_s: float) -> tuple[int, bytes]:
    """(status, whole raw response) of what the server sends until it closes the connection or
    `timeout_s` passes; status 0 when it closed without a response. TimeoutError when it neither
    answered nor closed in time."""
    sock.settimeout(timeout_s)
    received = b""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        except (TimeoutError, socket.timeout):
            if received:
                break
            raise TimeoutError(f"no answer and no close within {timeout_s}s") from None
        if not chunk:
            break
        received += chunk
        if b"\r\n\r\n" in received and _complete(received):
            break
        sock.settimeout(max(0.01, deadline - time.monotonic()))
    if not received:
        return 0, b""
    return int(received.split(b" ", 2)[1]), received


def _complete(raw: bytes) -> bool:
    head, _, body = raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def closed_by_server(sock: socket.socket) -> bool:
    """True if the server has closed (or reset) this connection, after whatever it sent last (a
    408, say: read and dropped here); never blocks."""
    sock.setblocking(False)
    try:
        while True:
            if sock.recv(65536) == b"":
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)
