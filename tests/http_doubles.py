"""Serving a test double over HTTP on localhost, in a thread, for as long as a `with` lasts."""

from __future__ import annotations

import contextlib
import threading
from http.server import ThreadingHTTPServer


@contextlib.contextmanager
def serving(handler_class):
    """The base URL of a server answering with `handler_class` (a BaseHTTPRequestHandler) on a
    free localhost port; shut down on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
