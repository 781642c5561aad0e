"""Starts a node: connects, loads or creates its enclave key, registers the enclave, opens the
outbox, starts the settler (which first settles what a previous run left), and serves HTTP."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ogcli.errors import ConfigError

DEFAULT_PORT = 8700
DEFAULT_NODE_FEE_WEI = 10**16  # 0.01 OPG per call


@dataclass(frozen=True)
class NodeSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    node_fee_wei: int = DEFAULT_NODE_FEE_WEI
    batch_size: int = 16
    settle_interval_s: float = 0.5
    batch_window_s: float = 0.2
    # An exact call is answered once its settlement is mined, or after this long (then pending).
    settle_wait_s: float = 30.0
    image: str = "v0.1"  # the DEV enclave image this node reports
    upstream_url: str = ""  # OpenAI-compatible API for `openai-upstream` chat models
    # Where callers reach the node (node run --public-url); registered once the node has heard
    # itself answer there. Empty: http://host:port, registered at the first start only.
    public_url: str = ""
    # Channel (batch-settlement) calls are committed once this many wait, or the oldest has
    # waited batch_max_wait_s; the committer looks every batch_interval_s.
    batch_min_records: int = 100
    batch_max_wait_s: float = 30.0
    batch_interval_s: float = 2.0


def build(network, operator_key, enclave_key, data_dir: Path, settings: NodeSettings, sender=None):
    """The Node (see app.py) for `network`, with its settler started. `sender`: the operator's
    Sender when something else in the process sends from the same account (the verifier, when the
    operator is also the validator), so that the two share one nonce sequence."""
    from ogcli.chain.network import open_protocol
    from ogcli.chain.sender import Sender
    from ogcli.chain.tills import ensure_open
    from ogcli.core.records import exact_request_id
    from ogcli.node.app import Node
    from ogcli.node.batch_committer import BatchCommitter
    from ogcli.node.channel_payments import SCHEME as CHANNEL_SCHEME
    from ogcli.node.channel_payments import ChannelPayments
    from ogcli.node.channel_storage import SqliteChannelStorage
    from ogcli.node.enclave import Enclave
    from ogcli.node.outbox import Outbox
    from ogcli.node.payments import Payments
    from ogcli.node.runtime import Runtime
    from ogcli.node.settler import Settler
    from ogcli.protocol.params import VENDOR_ID, dev_measurement
    from ogcli.storage.blobs import open_store

    protocol = open_protocol(network)
    store = open_store(network.storage)
    operator = sender if sender is not None else Sender(protocol.w3, operator_key)
    enclave = Enclave(enclave_key, VENDOR_ID["DEV"], dev_measurement(settings.image), network.chain_id,
                      protocol.settlement.address, image=settings.image)
    registry = protocol.registry.functions
    if not registry.isMeasurementApproved(enclave.vendor, enclave.measurement).call():
        raise ConfigError(f"the DEV image {settings.image!r} is not on the whitelist; nothing would verify its results")
    document_path = data_dir / "attestation.cbor"
    if registry.isRegistered(enclave.signer).call():
        enclave.load_document(protocol, document_path.read_bytes() if document_path.exists() else None)
    elif not settings.public_url:  # with one, serve() registers it once the node answers there
        register_enclave(protocol, operator, enclave, f"http://{settings.host}:{settings.port}", document_path)
    outbox = Outbox(data_dir / "outbox.db")
    # The node's payers pay its till (ExactTills), which only its own settlements take from.
    till = ensure_open(protocol, operator, operator.address)

    def spent(payer: str, nonce: bytes) -> bool:
        return outbox.get("0x" + exact_request_id(till, payer, nonce).hex()) is not None

    payments = Payments(protocol, network.chain_id, operator.address, till, spent, outbox.unsettled_wei)
    settler = Settler(protocol, operator, outbox, batch_size=settings.batch_size, interval_s=settings.settle_interval_s,
                      batch_window_s=settings.batch_window_s)
    settler.start()
    channel_storage = SqliteChannelStorage(data_dir / "channels.db")
    channel_storage.catch_up(outbox.latest_vouchers(CHANNEL_SCHEME))
    channel_payments = ChannelPayments(protocol, operator, network.rpc_url, network.chain_id, channel_storage)
    committer = BatchCommitter(protocol, operator, outbox, interval_s=settings.batch_interval_s,
                               max_wait_s=settings.batch_max_wait_s, min_records=settings.batch_min_records,
                               on_withdrawal=channel_payments.forget_chain_state)
    committer.start()
    node = Node(protocol=protocol, runtime=Runtime(store, data_dir / "models"), enclave=enclave, payments=payments,
                outbox=outbox, settler=settler, store=store, node_fee_wei=settings.node_fee_wei, chain_id=network.chain_id,
                upstream_url=settings.upstream_url, settle_wait_s=settings.settle_wait_s, calls_dir=_pruned(data_dir / "calls"),
                channel_payments=channel_payments, committer=committer)
    # Offers size their validity window by the chain's clock, which the node reads (its payers sign by theirs).
    payments.chain_time = channel_payments.chain_time = node.chain_time
    return node


def register_enclave(protocol, operator, enclave, endpoint: str, document_path: Path) -> None:
    """Registers the enclave at `endpoint` and keeps its document (a restart reads it back)."""
    now = protocol.w3.eth.get_block("latest")["timestamp"]
    enclave.register(protocol, operator, endpoint, at_time=now)
    document_path.parent.mkdir(parents=True, exist_ok=True)
    document_path.write_bytes(enclave.document)


KEEP_CALLS_S = 30 * 86_400  # far past the challenge window: verifiers have long judged them by then


def _pruned(calls_dir: Path) -> Path:
    """The kept-calls directory, without the files older than KEEP_CALLS_S (at each start)."""
    import time

    cutoff = time.time() - KEEP_CALLS_S
    if calls_dir.is_dir():
        for path in calls_dir.glob("0x*.json"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
    return calls_dir


def enclave_key(data_dir: Path):
    """The DEV enclave's key, kept in the node's data directory (mode 0600) so that a restart does
    not register a new enclave; a hardware enclave would keep it sealed instead."""
    from eth_account import Account

    path = data_dir / "enclave.key"
    if path.exists():
        return Account.from_key(path.read_text().strip())
    account = Account.create()
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(account.key.hex())
    return account


def serve(node, settings: NodeSettings, data_dir: Path | None = None, limits=None) -> None:
    """Serves the node's HTTP API until interrupted, within `limits` (an
    ogcli.node.http_guard.HttpLimits; its defaults when None: request heads within 10 s, bodies
    of at most 1 MiB within 30 s, 512 connections), then stops the settler and closes the outbox.
    With settings.public_url, the node announces that URL once it answers there (public_endpoint),
    and stops with a ConfigError if it does not (`data_dir` keeps a new registration's document)."""
    import uvicorn

    from ogcli.node.app import create_app
    from ogcli.node.http_guard import HttpLimits, server_config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The node's own INFO lines (settlements, verdicts) are what an operator reads; one line per
    # HTTP request the verifier makes, or per ezkl step, would drown them.
    for chatty in ("httpx", "ezkl"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        server = uvicorn.Server(server_config(create_app(node), settings.host, settings.port, limits or HttpLimits()))
        announcer = None
        if settings.public_url:
            from ogcli.node.public_endpoint import Announcer

            if data_dir is None:
                raise ValueError("serve() needs the node's data_dir to announce a public_url")
            document_path = data_dir / "attestation.cbor"
            announcer = Announcer(server, node, settings.public_url, lambda url: register_enclave(
                node.protocol, node.settler.sender, node.enclave, url, document_path))
            announcer.start()
        server.run()
        if not server.started:  # uvicorn has logged why (the port taken, most likely)
            raise ConfigError(f"the node could not serve on {settings.host}:{settings.port}")
        if announcer is not None:
            announcer.join(timeout=1)
            if announcer.error is not None:
                raise ConfigError(announcer.error)
    finally:
        node.committer.stop()
        node.settler.stop()
        node.outbox.close()
