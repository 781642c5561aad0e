"""`ogcli devnet up | down | status | reset | advance`: the devnet's lifecycle, without any UI.

Files under the data dir's devnet/ folder:
  chain-state.json  Anvil's state (dumped every 10 s and on exit; loaded on the next up)
  deployment.json   where the protocol lives; written last, so its presence means "seeded"
  seed.json         what the seeder did (counts, proposal ids)
  process.json      pid, address and start time of the running Anvil; absent when down
  anvil.log         Anvil's own output
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ogcli import config, locations
from ogcli.errors import DevnetError
from ogcli.fsutil import write_atomic
from ogcli.devnet import anvil

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8545
DEFAULT_BLOCK_TIME_S = 1
PROFILE_NAME = "devnet"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def state(self) -> Path:
        return self.root / "chain-state.json"

    @property
    def deployment(self) -> Path:
        return self.root / "deployment.json"

    @property
    def seed(self) -> Path:
        return self.root / "seed.json"

    @property
    def process(self) -> Path:
        return self.root / "process.json"

    @property
    def log(self) -> Path:
        return self.root / "anvil.log"

    @property
    def blobs(self) -> Path:
        """The devnet's model store (content-addressed files, named by CID)."""
        return self.root / "blobs"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    host: str
    port: int
    started_at: float
    block_time_s: int

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class UpResult:
    process: ProcessInfo
    already_running: bool
    fresh: bool
    seconds: float
    deployment_path: Path
    outdated_contracts: tuple[str, ...] = ()


def paths() -> Paths:
    return Paths(locations.devnet_dir())


@contextlib.contextmanager
def _locked(p: Paths) -> Iterator[None]:
    """One lifecycle command at a time: two concurrent `up`s must not start two chains."""
    p.root.mkdir(parents=True, exist_ok=True)
    with p.lock.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DevnetError("another devnet command is running; try again when it has finished") from None
        yield


def running(p: Paths | None = None) -> ProcessInfo | None:
    """The running devnet, or None (a stale process file from a crash is cleaned up)."""
    p = p or paths()
    if not p.process.exists():
        return None
    try:
        info = ProcessInfo(**json.loads(p.process.read_text()))
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
        p.process.unlink(missing_ok=True)
        return None
    if not anvil.is_anvil(info.pid):
        p.process.unlink(missing_ok=True)
        return None
    return info


def up(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    block_time_s: int = DEFAULT_BLOCK_TIME_S,
    progress: Progress = lambda _m: None,
) -> UpResult:
    """Starts the devnet, deploying and seeding it the first time; a second call changes nothing."""
    p = paths()
    started = time.monotonic()
    with _locked(p):
        current = running(p)
        if current is not None:
            return UpResult(current, True, False, 0.0, p.deployment)
        binary = anvil.find_binary()
        if not anvil.port_is_free(host, port):
            raise DevnetError(f"port {port} on {host} is in use; pick another with --port")
        fresh = not p.deployment.exists()
        if fresh:
            info = _create(p, binary, host, port, block_time_s, progress)
        else:
            anvil.check_state_file(p.state)
            if not p.state.exists():
                raise DevnetError(
                    f"{p.deployment} exists but the chain state {p.state} is gone; `ogcli devnet reset` starts over"
                )
            progress("starting anvil from saved state")
            process = anvil.start(binary=binary, host=host, port=port, state_file=p.state, log_file=p.log)
            info = ProcessInfo(process.pid, host, port, time.time(), block_time_s)
            _resume_clock(info.rpc_url)
            anvil.rpc(info.rpc_url, "evm_setIntervalMining", [block_time_s])
        write_atomic(p.process, json.dumps(asdict(info)))
        _activate_profile(info, p)
    return UpResult(info, False, fresh, time.monotonic() - started, p.deployment, _outdated(p))


def _create(p: Paths, binary: Path, host: str, port: int, block_time_s: int, progress: Progress) -> ProcessInfo:
    """A new chain, deployed and seeded. On any failure nothing is left behind."""
    # Imported here: deploying needs web3, which `devnet status` and `--help` never pay for.
    from ogcli.devnet.genesis import build_devnet

    for leftover in (p.state, p.seed):
        leftover.unlink(missing_ok=True)
    genesis_time = int(time.time()) - _history_seconds()
    progress("starting anvil")
    process = anvil.start(
        binary=binary, host=host, port=port, state_file=p.state, log_file=p.log, genesis_timestamp=genesis_time
    )
    info = ProcessInfo(process.pid, host, port, time.time(), block_time_s)
    try:
        deployment, summary = build_devnet(info.rpc_url, genesis_time, progress)
        anvil.rpc(info.rpc_url, "evm_setNextBlockTimestamp", [max(int(time.time()), _latest_timestamp(info.rpc_url) + 1)])
        anvil.rpc(info.rpc_url, "evm_mine", [])
        anvil.rpc(info.rpc_url, "evm_setIntervalMining", [block_time_s])
        write_atomic(p.seed, json.dumps(summary, indent=2) + "\n")
        _store_seed_models(p)
        # Written last: its presence is what marks a devnet as complete.
        write_atomic(p.deployment, deployment.to_json())
    except BaseException:
        anvil.stop(process.pid)
        for partial in (p.state, p.seed, p.deployment):
            partial.unlink(missing_ok=True)
        raise
    return info


def _store_seed_models(p: Paths) -> None:
    """The seeded models' bytes, in the devnet's store, so `ogcli model pull` works at once."""
    from ogcli.devnet.models import chat_model, seed_models
    from ogcli.storage.blobs import LocalStore

    store = LocalStore(p.blobs)
    for _name, blob in [*seed_models(), chat_model()]:
        store.put_bytes(blob)


def down(progress: Progress = lambda _m: None) -> ProcessInfo | None:
    """Stops the devnet (its state is saved); returns what was running, or None."""
    p = paths()
    with _locked(p):
        info = running(p)
        if info is None:
            return None
        progress("stopping anvil (saving state)")
        anvil.stop(info.pid)
        p.process.unlink(missing_ok=True)
        return info


def reset(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    block_time_s: int = DEFAULT_BLOCK_TIME_S,
    progress: Progress = lambda _m: None,
) -> UpResult:
    """Throws the devnet away and builds a new one."""
    if down(progress) is not None:
        # The old anvil has exited, but the kernel may release its listening port a moment later.
        deadline = time.monotonic() + 5.0
        while not anvil.port_is_free(host, port) and time.monotonic() < deadline:
            time.sleep(0.05)
    p = paths()
    with _locked(p):
        for name in (p.state, p.deployment, p.seed, p.log):
            name.unlink(missing_ok=True)
    return up(host=host, port=port, block_time_s=block_time_s, progress=progress)


@dataclass(frozen=True)
class Status:
    running: bool
    process: ProcessInfo | None
    deployed: bool
    block_number: int | None
    block_timestamp: int | None
    chain_id: int | None
    contracts: dict
    state_file: str
    state_bytes: int


def status() -> Status:
    p = paths()
    info = running(p)
    contracts = {}
    if p.deployment.exists():
        try:
            contracts = json.loads(p.deployment.read_text()).get("contracts", {})
        except (json.JSONDecodeError, UnicodeDecodeError):
            contracts = {}
    block = chain_id = timestamp = None
    if info is not None:
        head = anvil.rpc(info.rpc_url, "eth_getBlockByNumber", ["latest", False])
        block, timestamp = int(head["number"], 16), int(head["timestamp"], 16)
        chain_id = int(anvil.rpc(info.rpc_url, "eth_chainId", []), 16)
    return Status(
        running=info is not None,
        process=info,
        deployed=p.deployment.exists(),
        block_number=block,
        block_timestamp=timestamp,
        chain_id=chain_id,
        contracts=contracts,
        state_file=str(p.state),
        state_bytes=p.state.stat().st_size if p.state.exists() else 0,
    )


@dataclass(frozen=True)
class Advanced:
    block_number: int
    block_timestamp: int
    seconds: int
    blocks: int


def advance(*, seconds: int = 0, blocks: int = 0) -> Advanced:
    """Moves the devnet's clock forward by `seconds` and/or mines `blocks` blocks."""
    if seconds < 0 or blocks < 0:
        raise DevnetError("the devnet only moves forward in time")
    if seconds == 0 and blocks == 0:
        raise DevnetError("nothing to advance: give --days, --hours, --seconds or --blocks")
    info = running()
    if info is None:
        raise DevnetError("the devnet is not running; start it with `ogcli devnet up`")
    url = info.rpc_url
    if seconds:
        anvil.rpc(url, "evm_increaseTime", [seconds])
        anvil.rpc(url, "evm_mine", [])
    if blocks:
        anvil.rpc(url, "anvil_mine", [hex(blocks)])
    head = anvil.rpc(url, "eth_getBlockByNumber", ["latest", False])
    return Advanced(int(head["number"], 16), int(head["timestamp"], 16), seconds, blocks)


@dataclass(frozen=True)
class Funded:
    address: str
    opg_wei: int
    eth_wei: int
    tx_hash: str | None


def fund(address: str, *, opg_wei: int, eth_wei: int) -> Funded:
    """Devnet faucet: OPG from the community allocation (a real transfer signed by the devnet
    deployer) and ETH for gas (set directly: the devnet has no ETH supply to draw from)."""
    from ogcli.chain.contracts import Protocol
    from ogcli.chain.sender import Sender
    from ogcli.chain.session import connect
    from ogcli.devnet import accounts
    from ogcli.protocol import deployment as deployment_file

    info = running()
    if info is None:
        raise DevnetError("the devnet is not running; start it with `ogcli devnet up`")
    w3 = connect(info.rpc_url, anvil.DEV_CHAIN_ID)
    protocol = Protocol(w3, deployment_file.load(paths().deployment))
    tx_hash = None
    if opg_wei:
        receipt = Sender(w3, accounts.get("deployer").local_account).transact(
            protocol.token.functions.transfer(address, opg_wei), label="faucet transfer"
        )
        tx_hash = receipt.tx_hash
    if eth_wei:
        balance = w3.eth.get_balance(address)
        anvil.rpc(info.rpc_url, "anvil_setBalance", [address, hex(balance + eth_wei)])
    return Funded(address, opg_wei, eth_wei, tx_hash)


# ---------------------------------------------------------------------- helpers


def _history_seconds() -> int:
    from ogcli.devnet.seed import HISTORY_DAYS
    from ogcli.protocol.params import DAY

    return HISTORY_DAYS * DAY


def _latest_timestamp(url: str) -> int:
    return int(anvil.rpc(url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


def _resume_clock(url: str) -> None:
    """After a restart Anvil mines at wall-clock time; a devnet advanced into the future must not
    step back, so the next block continues from the saved head."""
    latest = _latest_timestamp(url)
    if latest >= int(time.time()):
        anvil.rpc(url, "evm_setNextBlockTimestamp", [latest + 1])
        anvil.rpc(url, "evm_mine", [])


def _outdated(p: Paths) -> tuple[str, ...]:
    """Contracts whose code on the saved devnet differs from this ogcli's artifacts: the devnet
    was built by another version, and commands may not match it."""
    from ogcli.protocol import artifacts

    try:
        recorded = json.loads(p.deployment.read_text()).get("artifacts", {})
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return ()
    return tuple(sorted(name for name, digest in recorded.items() if digest != artifacts.digest(name)))


def _activate_profile(info: ProcessInfo, p: Paths) -> None:
    # The chain's fields are the devnet's; the user's own choices (account, routing, explorer,
    # node and chat model) survive a restart or a reset. The node and model start as the
    # reference node `make run` starts and the seeded chat model.
    from ogcli.devnet.models import CHAT_MODEL_NAME
    from ogcli.node.service import DEFAULT_PORT

    previous = config.load().profiles.get(PROFILE_NAME)
    config.put_profile(
        PROFILE_NAME,
        config.Profile(
            rpc_url=info.rpc_url,
            chain_id=anvil.DEV_CHAIN_ID,
            deployment=str(p.deployment),
            storage=p.blobs.as_uri(),
            account=previous.account if previous else "",
            explorer_url=previous.explorer_url if previous else "",
            routing=previous.routing if previous else "",
            node_url=previous.node_url if previous and previous.node_url else f"http://127.0.0.1:{DEFAULT_PORT}",
            default_model=previous.default_model if previous and previous.default_model else CHAT_MODEL_NAME,
        ),
        activate=True,
    )
