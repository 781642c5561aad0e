"""A JSON-RPC endpoint for reads: one kept-alive HTTP connection, single requests and batches.

The read commands (validator tables, positions, stats, the dashboard) go through this rather than
web3: importing web3 takes over a second on a small machine, several times what the whole read
takes. Answers are the node's raw JSON (hex strings); `chain.abi` and `chain.events` decode them.
Writes, which need signing and web3's transaction handling, keep using web3 (`chain.session`).
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit

from ogcli.errors import ChainMismatchError, NetworkError

RPC_TIMEOUT_S = 30


class Endpoint:
    """One JSON-RPC endpoint. Thread-safe: requests from several threads take turns on the one
    connection (the dashboard's worker and the node's verifier share one)."""

    def __init__(self, url: str, timeout: float = RPC_TIMEOUT_S) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError(f"{url!r} is not an http(s) JSON-RPC URL")
        self.url = url
        self._parts = parts
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._connection = None
        self._lock = threading.Lock()
        self._next_id = 0
        self._chain_id: int | None = None  # read once, by `check_chain` or on first use
        self.has_multicall: bool | None = None  # learnt once by `chain.multicall`

    @classmethod
    def open(cls, url: str, expected_chain_id: int | None) -> Endpoint:
        """An endpoint whose chain id has been read once and, when given, matches."""
        endpoint = cls(url)
        endpoint.check_chain(expected_chain_id)
        return endpoint

    def check_chain(self, expected_chain_id: int | None) -> int:
        """Reads the chain id (uncached); ChainMismatchError when it is not the expected one."""
        chain_id = int(self.request("eth_chainId", []), 16)
        if expected_chain_id is not None and chain_id != expected_chain_id:
            raise ChainMismatchError(
                f"{self.url} serves chain id {chain_id}, expected {expected_chain_id}; refusing to continue"
            )
        self._chain_id = chain_id
        return chain_id

    @property
    def chain_id(self) -> int:
        return self._chain_id if self._chain_id is not None else self.check_chain(None)

    @chain_id.setter
    def chain_id(self, value: int) -> None:
        self._chain_id = value

    def block(self, number: int | str = "latest") -> dict:
        """The block header as the node sends it (hex strings: `int(b["timestamp"], 16)`)."""
        block = self.request("eth_getBlockByNumber", [hex(number) if isinstance(number, int) else number, False])
        if block is None:
            raise NetworkError(f"{self.url} has no block {number}")
        return block

    def request(self, method: str, params: list) -> Any:
        """The `result` of one request; NetworkError when it fails or the node refuses it."""
        reply = self._post({"jsonrpc": "2.0", "id": self._id(), "method": method, "params": params})
        if not isinstance(reply, dict):
            raise NetworkError(f"{method}: unexpected answer from {self.url}")
        if "error" in reply:
            raise NetworkError(f"{method} failed: {_message(reply['error'])}")
        return reply.get("result")

    def batch_replies(self, requests: list[tuple[str, list]]) -> list[dict]:
        """The raw reply of each request (with `result` or `error`), in order, in one round trip."""
        if not requests:
            return []
        first = self._id(len(requests))
        payload = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": params}
            for i, (method, params) in enumerate(requests)
        ]
        replies = self._post(payload)
        if not isinstance(replies, list):  # the node refused the whole batch
            error = replies.get("error", replies) if isinstance(replies, dict) else replies
            raise NetworkError(f"batch of {len(requests)} requests refused: {_message(error)}")
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        missing = [method for i, (method, _p) in enumerate(requests) if first + i not in by_id]
        if missing:
            raise NetworkError(f"batch answered without {len(missing)} of its requests ({missing[0]}...)")
        return [by_id[first + i] for i in range(len(requests))]  # a node may answer out of order

    def batch(self, requests: list[tuple[str, list]]) -> list:
        """The `result` of each request, in one round trip; NetworkError if any of them fails."""
        results = []
        for (method, _params), reply in zip(requests, self.batch_replies(requests)):
            if "error" in reply:
                raise NetworkError(f"{method} failed: {_message(reply['error'])}")
            results.append(reply.get("result"))
        return results

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # ------------------------------------------------------------------ HTTP

    def _id(self, count: int = 1) -> int:
        with self._lock:
            first = self._next_id
            self._next_id += count
            return first

    def _post(self, payload) -> Any:
        import http.client  # here, not at import: `ogcli --help` loads no HTTP stack

        body = json.dumps(payload).encode()
        with self._lock:
            # A kept-alive connection the server has since closed fails on first use; one retry on
            # a fresh connection tells that apart from a server that is really gone. Reads only,
            # so a request sent twice changes nothing.
            for attempt in (1, 2):
                connection = self._connection or self._connect()
                try:
                    connection.request("POST", self._target, body, {"Content-Type": "application/json"})
                    response = connection.getresponse()
                    data = response.read()
                except (http.client.HTTPException, OSError) as exc:
                    connection.close()
                    self._connection = None
                    if attempt == 2 or isinstance(exc, TimeoutError):
                        raise NetworkError(f"cannot reach {self.url}: {first_line(exc)}") from None
                    continue
                if response.will_close:
                    connection.close()
                    self._connection = None
                else:
                    self._connection = connection
                break
        if response.status != 200:
            raise NetworkError(f"{self.url} answered HTTP {response.status}: {data[:120].decode(errors='replace')}")
        try:
            return json.loads(data)
        except ValueError:
            raise NetworkError(f"{self.url} answered something that is not JSON") from None

    def _connect(self):
        import http.client

        host, port = self._parts.hostname, self._parts.port
        if self._parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self._timeout)
        return http.client.HTTPConnection(host, port, timeout=self._timeout)


def _message(error) -> str:
    return str(error.get("message", error) if isinstance(error, dict) else error)[:200]


def first_line(exc: Exception) -> str:
    """An exception in one line of at most 200 characters, for one-line errors."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def call(url: str, method: str, params: list, timeout: float = 10.0) -> Any:
    """One request to `url` on a connection of its own: for dev-namespace calls (anvil_*, evm_*)
    and for answers that must not come from any cache (the chain id checked before signing)."""
    endpoint = Endpoint(url, timeout)
    try:
        return endpoint.request(method, params)
    finally:
        endpoint.close()
