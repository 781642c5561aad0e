"""KuboDouble, a test double of an IPFS (Kubo) node's HTTP RPC API: `add` and `cat`, enough for
the store client. Streams to and from disk, so it can take the 200 MB benchmark file.

Like Kubo with `--raw-leaves --cid-version=1`, a file of one chunk is named by its raw CID; a
larger file gets a different name (a dag-pb CID here over the digest, standing in for the root
of the UnixFS DAG Kubo would build), which is what makes the client keep a locator.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

CHUNK_LIMIT = 1 << 20


def _name_for(digest: bytes, size: int) -> str:
    from multiformats import CID, multihash

    codec = "raw" if size <= CHUNK_LIMIT else "dag-pb"
    return str(CID("base32", 1, codec, multihash.wrap(digest, "sha2-256")))


class KuboDouble:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                parts = urlsplit(self.path)
                if parts.path == "/api/v0/add":
                    return self._add()
                if parts.path == "/api/v0/cat":
                    return self._cat(parse_qs(parts.query)["arg"][0])
                self.send_error(404)

            def _add(self):
                length = int(self.headers["Content-Length"])
                boundary = self.headers["Content-Type"].split("boundary=")[1].encode()
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    head += self.rfile.read(1)
                tail = len(b"\r\n--" + boundary + b"--\r\n")
                remaining = length - len(head) - tail
                hasher, size = hashlib.sha256(), remaining
                incoming = double.root / ".incoming"
                with incoming.open("wb") as out:
                    while remaining:
                        chunk = self.rfile.read(min(remaining, 1 << 20))
                        hasher.update(chunk)
                        out.write(chunk)
                        remaining -= len(chunk)
                self.rfile.read(tail)
                name = _name_for(hasher.digest(), size)
                incoming.rename(double.root / name)
                body = json.dumps({"Name": "file", "Hash": name, "Size": str(size)}).encode() + b"\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _cat(self, name):
                path = double.root / name
                if not path.is_file():
                    self.send_error(500, "block not found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(path.stat().st_size))
                self.end_headers()
                with path.open("rb") as source:
                    while chunk := source.read(1 << 20):
                        self.wfile.write(chunk)

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> KuboDouble:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
