"""`node run --public-url URL`: the address callers and verifiers should reach this node at.

The node registers (or moves, with TEERegistry.setEndpoint) its enclave's endpoint to URL only
once it has asked URL for /health and heard its own enclave answer: a URL that reaches nothing,
or another node, is never written on chain. Off a devnet the URL must also pass the rule every
verifier applies before it fetches from an endpoint (a public address), or verifiers would
refuse to check this node's records.
"""

from __future__ import annotations

import logging
import threading
import time

from ogcli.errors import ConfigError, OgcliError, UsageError

log = logging.getLogger("ogcli.node")

REACH_TIMEOUT_S = 5.0
START_TIMEOUT_S = 30.0


def checked_public_url(url: str, chain_id: int) -> str:
    """`url` as the node will register it (no trailing slash), or a UsageError saying why it
    cannot be: not an http(s) base URL, too long for the registry, or an address verifiers
    refuse off a devnet."""
    from ogcli.config import check_node_url
    from ogcli.verify.judges import UnsafeEndpoint, checked_addresses

    try:
        url = check_node_url(url)
    except UsageError as exc:
        raise UsageError(exc.message.replace("node_url", "--public-url")) from None
    if len(url.encode()) > MAX_ENDPOINT_BYTES:
        raise UsageError(f"--public-url is {len(url.encode())} bytes; the registry keeps at most {MAX_ENDPOINT_BYTES}")
    try:
        checked_addresses(url, chain_id)
    except UnsafeEndpoint as exc:
        raise UsageError(f"--public-url {url}: verifiers will not fetch from it ({exc.message})") from None
    return url


MAX_ENDPOINT_BYTES = 256  # TEERegistry.MAX_ENDPOINT_BYTES


def reaches_this_node(url: str, enclave_signer: str) -> None:
    """Returns if `url`/health is answered by the node whose enclave is `enclave_signer`; a
    ConfigError naming what answered instead, otherwise."""
    import httpx

    try:
        answer = httpx.get(f"{url}/health", timeout=REACH_TIMEOUT_S, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ConfigError(f"--public-url {url} does not reach this node: {type(exc).__name__}: {exc}"[:300]) from None
    try:
        signer = answer.json().get("enclave_signer")
    except (ValueError, AttributeError):
        signer = None
    if not isinstance(signer, str):
        raise ConfigError(f"--public-url {url} does not reach this node: its /health answered {answer.status_code} "
                          "without an enclave signer")
    if signer.lower() != enclave_signer.lower():
        raise ConfigError(f"--public-url {url} reaches another node (enclave {signer}), not this one ({enclave_signer})")


def announce(node, url: str, register) -> str:
    """Writes `url` as the enclave's endpoint: `register(url)` for an enclave not registered yet,
    setEndpoint for one registered elsewhere; nothing when it is already there. Returns what it did."""
    from ogcli.chain.multicall import Read, read_one

    registry = node.protocol.registry
    view = read_one(node.protocol.rpc, Read(registry, "getEnclave", (node.enclave.signer,), named=True))
    if int(view["operator"], 16) == 0:
        register(url)
        return f"enclave {node.enclave.signer} registered at {url}"
    if view["endpoint"] == url:
        return f"enclave {node.enclave.signer} already registered at {url}"
    node.settler.sender.transact(registry.functions.setEndpoint(node.enclave.signer, url), label="setEndpoint")
    return f"enclave {node.enclave.signer} moved from {view['endpoint'] or '(none)'} to {url}"


class Announcer(threading.Thread):
    """Once the HTTP server is up: checks the URL reaches this node, then announces it. On a
    failure it records why and stops the server, so `node run` exits with that one line."""

    def __init__(self, server, node, url: str, register) -> None:
        super().__init__(name="public-url", daemon=True)
        self.server, self.node, self.url, self.register = server, node, url, register
        self.error: str | None = None

    def run(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if self.server.should_exit or time.monotonic() > deadline:
                return  # it never served: serve() reports that
            time.sleep(0.05)
        try:
            reaches_this_node(self.url, self.node.enclave.signer)
            log.info("public url: %s", announce(self.node, self.url, self.register))
        except OgcliError as exc:
            self.error = exc.message
        except Exception as exc:  # the RPC failing under the write: the node must not serve unannounced
            self.error = f"cannot register --public-url {self.url}: {type(exc).__name__}: {exc}"[:300]
        if self.error is not None:
            log.error("%s; stopping", self.error)
            self.server.should_exit = True
