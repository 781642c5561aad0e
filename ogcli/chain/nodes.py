"""Finds the inference nodes registered on chain and checks whether each one answers."""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from ogcli.chain.contracts import Protocol
from ogcli.chain.multicall import Read, read_one

HEALTH_TIMEOUT_S = 2.0


def probe_nodes(protocol: Protocol) -> list[dict]:
    """One entry per distinct endpoint of a registered, active enclave: reachable or why not."""
    enclaves = read_one(protocol.rpc, Read(protocol.registry, "listEnclaves", named=True))
    endpoints = sorted({e["endpoint"] for e in enclaves if e["active"] and e["endpoint"]})
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(_probe, endpoints))


def _probe(endpoint: str) -> dict:
    url = endpoint.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_S) as response:
            return {"endpoint": endpoint, "reachable": 200 <= response.status < 300, "error": None}
    except urllib.error.HTTPError as exc:
        return {"endpoint": endpoint, "reachable": False, "error": f"HTTP {exc.code}"}
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"endpoint": endpoint, "reachable": False, "error": str(reason)[:80]}
