"""Model storage: CIDs, the local store, the IPFS client (against KuboDouble), verified downloads."""

from __future__ import annotations

import hashlib
import os

import pytest

from ogcli.storage.blobs import LocalStore, StorageError, open_store
from ogcli.storage.cid import CidError, cid_of, digest_file, digest_of_cid
from ogcli.storage.ipfs import IpfsStore
from tests.kubo_double import KuboDouble


def test_cid_round_trip_and_refusals():
    data = b"hello world\n"
    assert digest_of_cid(cid_of(data)) == hashlib.sha256(data).digest()
    with pytest.raises(CidError, match="not a CID"):
        digest_of_cid("bafy-not-a-cid")
    # A dag-pb CID (what IPFS gives big files) is not a raw sha2-256 CID: refused as an identity.
    with pytest.raises(CidError, match="dag-pb"):
        digest_of_cid("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")


def test_digest_file_streams(tmp_path):
    path = tmp_path / "blob"
    payload = os.urandom(3 * (1 << 20) + 5)
    path.write_bytes(payload)
    seen = []
    assert digest_file(path, seen.append) == (hashlib.sha256(payload).digest(), len(payload))
    assert sum(seen) == len(payload) and max(seen) <= 1 << 20


def test_local_store_round_trip_and_corruption(tmp_path):
    store = LocalStore(tmp_path / "store")
    source = tmp_path / "model.onnx"
    source.write_bytes(b"model bytes" * 1000)
    cid = store.put_file(source)
    assert cid == cid_of(source.read_bytes())
    out = tmp_path / "out" / "copy.onnx"
    assert store.fetch_to(cid, out) == source.stat().st_size
    assert out.read_bytes() == source.read_bytes()

    stored = store.path(cid)
    corrupted = bytearray(stored.read_bytes())
    corrupted[100] ^= 0x01
    stored.write_bytes(bytes(corrupted))
    fresh = tmp_path / "out" / "fresh.onnx"
    with pytest.raises(StorageError, match="corrupted or tampered; nothing was written"):
        store.fetch_to(cid, fresh)
    assert not fresh.exists()
    assert [p.name for p in fresh.parent.iterdir()] == ["copy.onnx"]  # no partial file left behind


def test_local_store_refuses_unknown_and_non_cid_names(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(StorageError, match="no bytes"):
        store.fetch_to(cid_of(b"never stored"), tmp_path / "x")
    with pytest.raises(CidError):
        store.path("../../etc/passwd")


@pytest.mark.parametrize("size", [1_000, 3 * (1 << 20) + 17])
def test_ipfs_store_against_kubo_double(tmp_path, size):
    payload = os.urandom(size)
    source = tmp_path / "model.bin"
    source.write_bytes(payload)
    with KuboDouble(tmp_path / "kubo") as kubo:
        store = open_store(kubo.url)
        assert isinstance(store, IpfsStore)
        cid = store.put_file(source)
        assert cid == cid_of(payload)
        locator = store.locator(cid)
        assert (locator is None) == (size <= 1 << 20)  # big files are named by a DAG root
        reader = IpfsStore(kubo.url)  # a fresh client learns the locator from metadata
        if locator:
            reader.hint(cid, locator)
        reader.fetch_to(cid, tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == payload


def test_gateway_is_read_only(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(StorageError, match="read-only"):
        IpfsStore("https://gateway.example/ipfs/").put_file(tmp_path / "f")


def test_no_storage_configured():
    with pytest.raises(StorageError, match="no model storage"):
        open_store("")
