"""One Anvil per test session with the protocol deployed; each test runs inside a snapshot (registered by tests/conftest.py)."""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass

import pytest

from ogcli.chain.contracts import Protocol
from ogcli.chain.session import connect
from ogcli.devnet import anvil
from ogcli.devnet.genesis import deploy_devnet
from ogcli.protocol.deployment import Deployment


@dataclass
class Chain:
    url: str
    protocol: Protocol
    deployment: Deployment

    @property
    def w3(self):
        return self.protocol.w3

    def rpc(self, method: str, params: list | None = None):
        return anvil.rpc(self.url, method, params or [])

    @contextlib.contextmanager
    def snapshot(self):
        """Everything done inside is undone on exit (hypothesis examples use this per example)."""
        snapshot_id = self.rpc("evm_snapshot")
        try:
            yield
        finally:
            assert self.rpc("evm_revert", [snapshot_id]) is True

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def advance(self, seconds: int) -> None:
        self.rpc("evm_increaseTime", [seconds])
        self.rpc("evm_mine")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _session_anvil(workdir, build):
    """A throwaway Anvil with genesis 14 days back; `build(url, genesis_time)` returns the
    deployment to bind. Stopped by pid at the end of the session."""
    port = _free_port()
    genesis_time = int(time.time()) - 14 * 86_400
    process = anvil.start(
        binary=anvil.find_binary(),
        host="127.0.0.1",
        port=port,
        state_file=None,
        log_file=workdir / "anvil.log",
        genesis_timestamp=genesis_time,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deployment = build(url, genesis_time)
        yield Chain(url=url, protocol=Protocol(connect(url, anvil.DEV_CHAIN_ID), deployment), deployment=deployment)
    finally:
        anvil.stop(process.pid)


@pytest.fixture(scope="session")
def chain(tmp_path_factory):
    """The protocol deployed, nothing seeded."""
    with _session_anvil(tmp_path_factory.mktemp("anvil"), lambda url, t: deploy_devnet(url, t, lambda _m: None)) as c:
        yield c


@pytest.fixture
def fresh(chain):
    """The session chain, reverted to its deployed state after the test."""
    with chain.snapshot():
        yield chain


def send_as(chain: Chain, address: str, call, value: int = 0):
    """Sends `call` from `address` through Anvil impersonation (for the timelock and other
    contracts whose keys do not exist); returns the receipt, raising on revert."""
    chain.rpc("anvil_impersonateAccount", [address])
    chain.rpc("anvil_setBalance", [address, hex(10**20)])
    try:
        tx_hash = call.transact({"from": address, "value": value})
        return chain.w3.eth.wait_for_transaction_receipt(tx_hash)
    finally:
        chain.rpc("anvil_stopImpersonatingAccount", [address])


def revert_reason(exc: BaseException) -> str:
    """The decoded revert of a web3 exception, for asserting which custom error fired."""
    from ogcli.chain import revert
    from ogcli.chain.sender import _revert_data

    return revert.describe(_revert_data(exc))


@pytest.fixture
def devnet_profile(fresh, tmp_path):
    """An active profile that points the CLI at the session chain (inside the test's snapshot)."""
    from ogcli import config
    from ogcli.protocol.deployment import save

    path = tmp_path / "deployment.json"
    save(fresh.deployment, path)
    config.put_profile(
        "test", config.Profile(rpc_url=fresh.url, chain_id=31337, deployment=str(path)), activate=True
    )
    return fresh



@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """A second Anvil with the whole devnet story seeded (validators, records, disputes, votes)."""
    from ogcli.devnet.genesis import build_devnet

    with _session_anvil(tmp_path_factory.mktemp("seeded"), lambda url, t: build_devnet(url, t, lambda _m: None)[0]) as c:
        yield c


@pytest.fixture
def seeded_profile(seeded, tmp_path):
    from ogcli import config
    from ogcli.protocol.deployment import save

    path = tmp_path / "deployment.json"
    save(seeded.deployment, path)
    config.put_profile("seeded", config.Profile(rpc_url=seeded.url, chain_id=31337, deployment=str(path)), activate=True)
    return seeded


@pytest.fixture
def carol(seeded_profile, cli, monkeypatch):
    """Wallet `carol` (devnet delegator-1's key), active, inside a snapshot of the seeded chain."""
    from tests.cli_results import use_devnet_wallet

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    with seeded_profile.snapshot():
        use_devnet_wallet(cli, "carol", "delegator-1")
        yield seeded_profile


def story_seeder(chain, first_request: int):
    """A quiet Seeder settling new calls on the seeded chain, its request ids numbered from
    `first_request` (past the seeded story's, and other tests' that share the session chain)."""
    from ogcli.devnet.seed import Seeder

    seeder = Seeder(chain.protocol, chain.url, 0, lambda _m: None)
    seeder._request_counter = first_request
    return seeder
