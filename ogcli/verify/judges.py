"""What a verifier checks beyond signatures and payments, from the calls nodes keep public.

A node keeps every ONNX call's input and outputs (and a ZKML call's proof) and serves them at
`GET /v1/calls/{request id}` on the endpoint its enclave registered. Two judges use them:

- `ZkJudge`: a ZKML record's proof must verify under the circuit the model's publisher committed
  to and prove exactly the recorded input and output;
- `ReExecutor`: for a sample of ONNX calls, the verifier runs the model itself, with onnxruntime
  set up to be deterministic (one thread, sequential, no graph rewrites), and compares outputs at a
  fixed-point scale: floats from two machines may differ in their last bits, a wrong answer does
  not round to the same 2^-16 grid.

Both first check that the kept input and outputs hash to the record's `inputHash` and
`outputHash`: a node cannot show verifiers another call than the one it settled.

Whatever a verifier (or `infer verify`) fetches from a node goes through `fetch_public`: the
endpoint is named on chain by whoever registered the enclave, so it is treated as hostile. A
fetch has a total deadline, from connecting to the last byte (a per-read timeout alone is beaten
by a server sending one byte a second), and a size cap. Off a devnet, the host is resolved and
every address it has must be public (no loopback, private, link-local, unspecified, multicast or
reserved address): an endpoint naming the verifier's own machine or network would make it a
proxy into places only it can reach. The connection then goes to the address that was checked,
so a second DNS answer cannot swap it for another.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from ogcli.core.onnx_types import numpy_dtype
from ogcli.errors import NetworkError

log = logging.getLogger("ogcli.verify.judges")

OUTPUT_SCALE_BITS = 16  # re-executed outputs agree when they round to the same multiple of 2^-16
ROUNDING_SLACK = 1  # ... give or take one step: two floats astride a rounding boundary
MAX_KEPT_CALL_BYTES = 20 << 20  # a node's answer is read up to this; more is a node misbehaving

DEV_CHAIN_IDS = frozenset({31337, 1337})  # local dev chains (Anvil, Hardhat/Ganache): their nodes live on loopback
FETCH_DEADLINE_S = 20.0  # one fetch from a node, connect to last byte (20 MB at 1 MB/s; far more than any document)
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0  # between two reads, inside the deadline


class UnsafeEndpoint(NetworkError):
    """An endpoint this machine will not ask, whatever the round: off a devnet, a host with an
    address that is not public. Not a fault of the call's: the record is left unjudged."""

    code = "unsafe_endpoint"


def address_refusal(address: str) -> str | None:
    """What kind of non-public address `address` (an IP literal) is; None for a public one."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    kinds = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
             ("multicast", ip.is_multicast), ("private", ip.is_private), ("reserved", ip.is_reserved))
    for kind, holds in kinds:
        if holds:
            return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
    return None if ip.is_global else "not a globally routable address"


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself); NetworkError when none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise NetworkError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_addresses(url: str, chain_id: int) -> tuple[str, int, list[str] | None]:
    """(host, port, the addresses to connect to) for fetching `url` on chain `chain_id`; the
    addresses are None on a devnet, where anything goes. UnsafeEndpoint when any address of the
    host is not public (one bad address is enough: which one a connection gets is not ours to pick)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeEndpoint(f"{url!r} is not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if chain_id in DEV_CHAIN_IDS:
        return parts.hostname, port, None
    addresses = resolve(parts.hostname, port)
    for address in addresses:
        refusal = address_refusal(address)
        if refusal is not None:
            what = refusal if address == parts.hostname else f"{address}, {refusal}"
            raise UnsafeEndpoint(f"not fetching {url}: {parts.hostname} is {what}, and chain {chain_id} is not a devnet")
    return parts.hostname, port, addresses


def fetch_public(url: str, *, chain_id: int, max_bytes: int, deadline_s: float | None = None) -> tuple[int, bytes | None]:
    """(HTTP status, body) of GET `url`, within `deadline_s` (FETCH_DEADLINE_S) in all; the body
    is None when it would exceed `max_bytes`. UnsafeEndpoint when the host may not be asked;
    NetworkError when it cannot be fetched now (refused, unreachable, too slow)."""
    import httpcore

    host, _port, addresses = checked_addresses(url, chain_id)
    deadline = time.monotonic() + (FETCH_DEADLINE_S if deadline_s is None else deadline_s)
    backend = _DeadlineBackend(deadline, {host: addresses[0]} if addresses else {})
    timeouts = {"connect": CONNECT_TIMEOUT_S, "read": READ_TIMEOUT_S, "write": READ_TIMEOUT_S, "pool": CONNECT_TIMEOUT_S}
    try:
        with httpcore.ConnectionPool(network_backend=backend) as pool, \
                pool.stream("GET", url, extensions={"timeout": timeouts}) as response:
            body = bytearray()
            for chunk in response.iter_stream():
                body += chunk
                if len(body) > max_bytes:
                    return response.status, None
            return response.status, bytes(body)
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
            OSError) as exc:
        raise NetworkError(f"cannot fetch {url}: {str(exc)[:120] or type(exc).__name__}") from None


class _DeadlineBackend:
    """httpcore's network backend with one deadline over every connect, read and write of a
    fetch, connecting to pinned addresses (host -> the address that was checked)."""

    def __init__(self, deadline: float, pinned: dict[str, str]) -> None:
        import httpcore

        self.deadline, self.pinned = deadline, pinned
        self._inner = httpcore.SyncBackend()

    def left(self, timeout: float | None) -> float:
        import httpcore

        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise httpcore.ReadTimeout("the fetch ran past its deadline")
        return min(math.inf if timeout is None else timeout, remaining)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._inner.connect_tcp(self.pinned.get(host, host), port, timeout=self.left(timeout),
                                         local_address=local_address, socket_options=socket_options)
        return _DeadlineStream(stream, self)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        import httpcore

        raise httpcore.ConnectError("unix sockets are not fetched from")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, max(self.deadline - time.monotonic(), 0)))


class _DeadlineStream:
    """A connection whose every read and write waits no later than the fetch's deadline."""

    def __init__(self, inner, backend: _DeadlineBackend) -> None:
        self._inner, self._backend = inner, backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        # The certificate is checked against the URL's host name, not the pinned address.
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, self._backend.left(timeout)),
                               self._backend)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class KeptCalls:
    """Fetches what nodes keep public about their calls, and the models those calls ran."""

    def __init__(self, protocol, store, cache_dir: Path, node_url: str = "", chain_id: int | None = None) -> None:
        self.protocol, self.store, self.cache_dir = protocol, store, cache_dir
        self.node_url = node_url  # ask this node instead of the enclave's registered endpoint
        self._chain_id = chain_id  # whose rules decide which addresses may be asked (default: the protocol's chain)
        self._models: dict[int, object] = {}

    @property
    def chain_id(self) -> int:
        return self._chain_id if self._chain_id is not None else self.protocol.rpc.chain_id

    def call(self, record: dict) -> dict | None:
        """The node's kept input and outputs (and proof) for the record; None when the node says
        it has none (404) or answers something that is not one. NetworkError when it cannot be
        asked now (down, restarting, 5xx, too slow): that is no verdict, the round is retried
        later; UnsafeEndpoint (a NetworkError) when it must not be asked at all."""
        from ogcli.chain.multicall import Read, read_one
        from ogcli.core import safe_json

        endpoint = self.node_url or read_one(
            self.protocol.rpc, Read(self.protocol.registry, "getEnclave", (record["enclaveSigner"],), named=True))["endpoint"]
        url = f"{endpoint.rstrip('/')}/v1/calls/0x{_bytes(record['requestId']).hex()}"
        status, body = fetch_public(url, chain_id=self.chain_id, max_bytes=MAX_KEPT_CALL_BYTES)
        if status == 404:
            return None
        if status != 200:
            raise NetworkError(f"{url} answered HTTP {status}")
        if body is None:
            return None  # no call is that big: not a kept call
        try:  # a stranger's bytes: nesting limited before the parser recurses, no NaN (safe_json)
            kept = safe_json.loads(body)
        except safe_json.JsonRefused:
            return None
        return kept if isinstance(kept, dict) else None

    def model(self, model_id: int):
        from ogcli.chain.models import find_model

        if model_id not in self._models:
            self._models[model_id] = find_model(self.protocol, model_id)
        return self._models[model_id]


def hash_reasons(kept: dict, record: dict) -> list[str]:
    """Why the kept call is not the one the record commits to ([] when it is)."""
    from ogcli.core import records

    reasons = []
    if records.content_hash(kept.get("input")) != _bytes(record["inputHash"]):
        reasons.append("the published input is not the one the record hashes")
    if records.content_hash(kept.get("outputs")) != _bytes(record["outputHash"]):
        reasons.append("the published output is not the one the record hashes")
    return reasons


class ZkJudge:
    """Checks ZKML records: the kept proof against the publisher's circuit (by the CIDs in the
    model's metadata)."""

    def __init__(self, calls: KeptCalls) -> None:
        self.calls = calls

    def reasons(self, record: dict) -> list[str] | None:
        """Why the record fails; [] when it holds; None when this verifier cannot tell."""
        from ogcli.verify import zkml

        if not zkml.available():
            return None
        kept = self.calls.call(record)
        if kept is None or "proof" not in kept:
            return ["the node does not publish the proof of this ZKML call"]
        return self.check(kept, record)

    def check(self, kept: dict, record: dict) -> list[str] | None:
        """Why `kept` (input, outputs, proof) fails the record under the model's circuit; None
        when the circuit's files cannot be fetched here now (the store is down: no verdict)."""
        from ogcli.verify import zkml

        block = self.calls.model(record["modelId"]).metadata.get("zkml")
        try:
            circuit = zkml.fetch(block, self.calls.store, self.calls.cache_dir / "zk", with_pk=False)
        except zkml.ZkmlError as exc:  # the publisher named no usable circuit: nothing proves the call
            return [str(exc)]
        except Exception as exc:  # noqa: BLE001 (storage errors of any backend)
            log.warning("model %s: its circuit cannot be fetched here: %s", record["modelId"], str(exc)[:200])
            return None
        try:
            return zkml.check_bundle(kept, record, circuit, block)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # the node's bundle, not this verifier
            return [f"the published proof bundle is malformed: {str(exc)[:120] or type(exc).__name__}"]


class ReExecutor:
    """Re-runs a sample of ONNX calls. Which calls is decided by a hash of a salt only this
    verifier knows and the request id: each verifier samples its own share, and a node cannot
    tell which of its calls will be re-run (a public salt would let it lie only where nobody looks)."""

    def __init__(self, calls: KeptCalls, rate: float, salt: bytes) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the sample rate is a fraction from 0 to 1, not {rate}")
        self.calls, self.rate, self.salt = calls, rate, salt
        self._sessions: dict[str, object] = {}
        self._lock = threading.Lock()
        self.reran = 0  # calls re-run so far (for logs and tests)

    def sampled(self, record: dict) -> bool:
        from ogcli.core.records import keccak

        if self.rate <= 0.0:
            return False
        if self.rate >= 1.0:
            return True
        draw = int.from_bytes(keccak(self.salt + _bytes(record["requestId"]))[:8], "big") / 2**64
        return draw < self.rate

    def reasons(self, record: dict) -> list[str] | None:
        """Why re-running the call does not give its answer ([] when it does, or when the model
        is not an ONNX model: only those are re-run); None when this verifier cannot re-run it
        (the model's bytes cannot be had or loaded here: no fault of the node's)."""
        import numpy as np

        model = self.calls.model(record["modelId"])
        if model.metadata.get("format", "onnx") != "onnx":
            return []
        kept = self.calls.call(record)
        if kept is None:
            return ["the node does not publish the input of this call, so it cannot be re-run"]
        reasons = hash_reasons(kept, record)
        if reasons:
            return reasons
        session = self._session(model)
        if session is None:
            return None
        try:
            feeds = {i.name: np.asarray(kept["input"]["inputs"][i.name], dtype=numpy_dtype(i.type)) for i in session.get_inputs()}
            names = [o.name for o in session.get_outputs()]
            ours = dict(zip(names, session.run(names, feeds)))
            theirs = {name: np.asarray(kept["outputs"][name], dtype=np.float64) for name in names}
        except Exception as exc:  # noqa: BLE001 (onnxruntime's errors derive from Exception only)
            # The node settled this input itself (its hash matches): a model that cannot take it
            # means the node answered something the model never computed.
            return [f"the published input does not fit the model: {str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}"]
        self.reran += 1
        scale = float(1 << OUTPUT_SCALE_BITS)
        for name in names:
            mine, claimed = np.asarray(ours[name], dtype=np.float64), theirs[name]
            if mine.shape != claimed.shape or np.any(np.abs(np.round(mine * scale) - np.round(claimed * scale)) > ROUNDING_SLACK):
                return [f"re-running the model gives another {name!r} than the node answered"]
        return []

    def _session(self, model):
        """The model in a deterministic onnxruntime session; None when it cannot be had here."""
        import onnxruntime

        from ogcli.storage.cid import cid_from_digest, digest_of_cid

        with self._lock:
            if model.cid not in self._sessions:
                try:
                    cid = cid_from_digest(digest_of_cid(model.cid))  # its canonical form names the file
                    path = self.calls.cache_dir / "models" / cid
                    if not path.exists():
                        path.parent.mkdir(parents=True, exist_ok=True)
                        self.calls.store.fetch_to(cid, path)  # verified against the CID
                    options = onnxruntime.SessionOptions()
                    options.intra_op_num_threads = 1
                    options.inter_op_num_threads = 1
                    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
                    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
                    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                except Exception as exc:  # noqa: BLE001 (a bad CID, the store down, bytes onnxruntime refuses)
                    log.warning("model %s cannot be re-run here: %s", model.id, str(exc)[:200])
                    return None
                self._sessions[model.cid] = session
            return self._sessions[model.cid]


def sampling_salt(data_dir: Path) -> bytes:
    """This verifier's secret salt for sampling (32 random bytes, made once, mode 0600)."""
    import os
    import secrets

    path = data_dir / "sampling-salt"
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_bytes(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(salt)
    return salt


def _bytes(value) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
