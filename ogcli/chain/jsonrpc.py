"""One raw JSON-RPC request over HTTP, without web3: for dev-namespace calls (anvil_*, evm_*)
and for answers that must not come from web3's cache (the chain id checked before signing)."""

import json


def call(url: str, method: str, params: list, timeout: float = 10.0):
    """The `result` of `method`; NetworkError when the endpoint does not answer or refuses."""
    # urllib is imported here: `ogcli --help` must not load the HTTP stack.
    import urllib.error
    import urllib.request

    from ogcli.errors import NetworkError

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            reply = json.load(response)
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as exc:
        raise NetworkError(f"{url} did not answer {method}: {exc}") from None
    if "error" in reply:
        raise NetworkError(f"{method} failed: {reply['error'].get('message', reply['error'])}")
    return reply.get("result")


def batch(w3, requests: list[tuple[str, list]]) -> list:
    """The raw `result` of each request, sent as one JSON-RPC batch over `w3`'s connection (one
    round trip). Results are as the node sends them (hex strings, no web3 formatting), which is
    what makes large log reads cheap. NetworkError if the batch or any request in it fails."""
    from ogcli.errors import NetworkError

    if not requests:
        return []
    try:
        replies = w3.provider.make_batch_request(requests)
    except Exception as exc:  # requests' and web3's errors have no common base
        raise NetworkError(f"batch of {len(requests)} requests failed: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(replies, list):  # the node refused the whole batch
        raise NetworkError(f"batch refused: {replies.get('error', {}).get('message', replies)}")
    results = []
    for (method, _params), reply in zip(requests, replies):
        if "error" in reply:
            raise NetworkError(f"{method} failed: {reply['error'].get('message', reply['error'])}")
        results.append(reply.get("result"))
    return results
