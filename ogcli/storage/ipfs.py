"""An IPFS node as the model store, over HTTP: Kubo's RPC API (`http://host:5001`: `add` to
upload, `cat` to download) or a read-only gateway (a URL ending in `/ipfs/`).

IPFS names a file larger than one block (Kubo: 256 KiB to 1 MiB) by the root of a UnixFS DAG,
not by the raw CID of its bytes that ModelHub records. `put_file` therefore returns both: the raw
CID (the model's identity, checked on every download) and the node's own name for the file
(its locator), which `model push` records in the model's metadata. Both streams are chunked: an
upload is sent as it is read, a download hashed as it arrives.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

from ogcli.storage.blobs import BlobStore, Progress, StorageError
from ogcli.storage.cid import CHUNK, cid_from_digest

TIMEOUT_S = 60


class IpfsStore(BlobStore):
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.gateway = self.url.endswith("/ipfs")
        parts = urlsplit(self.url)
        self._scheme, self._host, self._port, self._path = parts.scheme, parts.hostname, parts.port, parts.path
        self.locators: dict[str, str] = {}  # raw CID -> the node's name for it, learned by put/hint

    def describe(self) -> str:
        return f"the IPFS {'gateway' if self.gateway else 'node'} at {self.url}"

    def locator(self, cid: str) -> str | None:
        name = self.locators.get(cid)
        return name if name and name != cid else None

    def hint(self, cid: str, locator: str) -> None:
        """Tells the store the node's own name for `cid` (from the model's metadata)."""
        if locator:
            self.locators[cid] = locator

    def put_file(self, path: Path, progress: Progress = None) -> str:
        if self.gateway:
            raise StorageError(f"{self.describe()} is read-only; push to a Kubo RPC URL (http://host:5001)")
        boundary = uuid.uuid4().hex
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{quote(path.name)}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = path.stat().st_size
        query = "cid-version=1&raw-leaves=true&pin=true&progress=false&chunker=size-1048576"
        connection = self._connect()
        hasher = hashlib.sha256()
        try:
            connection.putrequest("POST", f"{self._path}/api/v0/add?{query}")
            connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            connection.putheader("Content-Length", str(len(head) + size + len(tail)))
            connection.endheaders()
            connection.send(head)
            with path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    hasher.update(chunk)
                    connection.send(chunk)
                    if progress is not None:
                        progress(len(chunk))
            connection.send(tail)
            response = connection.getresponse()
            body = response.read()
        except OSError as exc:
            raise StorageError(f"upload to {self.describe()} failed: {exc}") from None
        finally:
            connection.close()
        if response.status != 200:
            raise StorageError(f"{self.describe()} refused the upload: HTTP {response.status} {body[:200]!r}")
        try:
            locator = json.loads(body.decode().strip().splitlines()[-1])["Hash"]
        except (ValueError, KeyError, IndexError):
            raise StorageError(f"{self.describe()} answered the upload with {body[:200]!r}") from None
        cid = cid_from_digest(hasher.digest())
        self.locators[cid] = locator
        return cid

    def chunks(self, cid: str) -> Iterator[bytes]:
        name = self.locators.get(cid, cid)
        connection = self._connect()
        try:
            if self.gateway:
                connection.request("GET", f"{self._path}/{name}", headers={"Accept": "application/octet-stream"})
            else:
                connection.request("POST", f"{self._path}/api/v0/cat?arg={quote(name)}")
            response = connection.getresponse()
            if response.status != 200:
                raise StorageError(f"{self.describe()} has no bytes for {cid}: HTTP {response.status}")
            while chunk := response.read(CHUNK):
                yield chunk
        except OSError as exc:
            raise StorageError(f"download from {self.describe()} failed: {exc}") from None
        finally:
            connection.close()

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=TIMEOUT_S)
