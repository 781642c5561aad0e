"""CountingProxy, a test double: an HTTP relay in front of Anvil that counts round trips.

Every POST is one round trip, whether it carries one JSON-RPC request or a batch; `methods`
records what each carried, so a failing assertion can say what was asked. Given `hidden_topics`,
it also plays an endpoint that has lost some old logs: eth_getLogs answers leave out every log
whose first topic is one of them.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CountingProxy:
    def __init__(self, upstream: str, hidden_topics: frozenset[str] = frozenset()) -> None:
        self.upstream = upstream
        hidden = {topic.lower() for topic in hidden_topics}
        self.round_trips: list[list[str]] = []  # the methods of each POST
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                payload = json.loads(body)
                calls = payload if isinstance(payload, list) else [payload]
                proxy.round_trips.append([c["method"] for c in calls])
                request = urllib.request.Request(proxy.upstream, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as answer:
                    data = answer.read()
                if hidden:
                    data = _without_logs(data, calls, hidden)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _without_logs(data: bytes, calls: list[dict], hidden: set[str]) -> bytes:
    """The upstream answer with the hidden logs taken out of every eth_getLogs result."""
    answer = json.loads(data)
    replies = answer if isinstance(answer, list) else [answer]
    methods = {c.get("id"): c["method"] for c in calls}
    for reply in replies:
        if methods.get(reply.get("id")) == "eth_getLogs" and isinstance(reply.get("result"), list):
            reply["result"] = [log for log in reply["result"] if not log["topics"] or log["topics"][0].lower() not in hidden]
    return json.dumps(answer).encode()
