"""Where model bytes are kept: a local directory (the devnet's store, which the reference node
serves) or an IPFS node. Both stream in CHUNK pieces, so memory stays flat for any file size,
and every download is verified against the CID before it reaches its destination.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ogcli.errors import OgcliError
from ogcli.storage.cid import CHUNK, cid_from_digest, digest_of_cid

Progress = Callable[[int], None] | None


class StorageError(OgcliError):
    """The store could not be reached, lacks the bytes, or served bytes that do not match."""


class BlobStore:
    """A content-addressed store: bytes in, CID out; CID in, verified bytes out."""

    def put_file(self, path: Path, progress: Progress = None) -> str:
        raise NotImplementedError

    def chunks(self, cid: str) -> Iterator[bytes]:
        """The stored bytes of `cid`, unverified (fetch_to verifies)."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def locator(self, cid: str) -> str | None:
        """The store's own name for `cid` when it differs (IPFS names big files by a DAG root)."""
        return None

    def fetch_to(self, cid: str, destination: Path, progress: Progress = None) -> int:
        """Downloads `cid` next to `destination`, checks its sha-256 against the CID, and only
        then moves it into place; returns the size. On a mismatch nothing is written."""
        expected = digest_of_cid(cid)
        destination = destination.resolve()
        destination.parent.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in self.chunks(cid):
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
            if hasher.digest() != expected:
                raise StorageError(
                    f"the bytes {self.describe()} served for {cid} hash to {cid_from_digest(hasher.digest())}: "
                    f"corrupted or tampered; nothing was written to {destination}"
                )
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return size


class LocalStore(BlobStore):
    """Files named by their CID in one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"the store at {self.root}"

    def path(self, cid: str) -> Path:
        digest_of_cid(cid)  # a CID, not a path someone slipped in
        return self.root / cid

    def put_file(self, path: Path, progress: Progress = None) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        handle, temporary = tempfile.mkstemp(prefix=".incoming.", dir=self.root)
        try:
            with os.fdopen(handle, "wb") as out, path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
            cid = cid_from_digest(hasher.digest())
            os.replace(temporary, self.root / cid)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return cid

    def put_bytes(self, data: bytes) -> str:
        cid = cid_from_digest(hashlib.sha256(data).digest())
        target = self.root / cid
        if not target.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            from ogcli.fsutil import write_atomic

            write_atomic(target, data)
        return cid

    def chunks(self, cid: str) -> Iterator[bytes]:
        path = self.path(cid)
        try:
            source = path.open("rb")
        except FileNotFoundError:
            raise StorageError(f"{self.describe()} has no bytes for {cid}") from None
        with source:
            while chunk := source.read(CHUNK):
                yield chunk


def open_store(url: str) -> BlobStore:
    """The store a profile's `storage` URL names; StorageError when it names none."""
    if not url:
        raise StorageError(
            "this profile has no model storage: `ogcli config set storage file:///DIR` or an IPFS node's URL"
        )
    if url.startswith("file://"):
        return LocalStore(Path(url[len("file://") :]))
    from ogcli.storage.ipfs import IpfsStore

    return IpfsStore(url)
