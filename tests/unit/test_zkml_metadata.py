"""A model's zkML metadata is anyone's text: only canonical CIDs go near a file name."""

from __future__ import annotations

import pytest

from ogcli.verify import zkml
from ogcli.storage.cid import cid_from_digest


class _NoStore:
    """Test double of a blob store that must never be asked."""

    def fetch_to(self, *_args):
        raise AssertionError("nothing may be fetched for bad metadata")


GOOD = cid_from_digest(b"\x01" * 32)


@pytest.mark.parametrize("bad", ["../../escape", "/etc/passwd", "bafy not a cid", ""])
def test_bad_cids_are_refused_before_any_path_is_built(tmp_path, bad):
    block = {name: GOOD for name in zkml.ARTIFACTS} | {"vk": bad, "inputs": ["x"], "outputs": ["y"]}
    with pytest.raises(zkml.ZkmlError, match="bad CID"):
        zkml.fetch(block, _NoStore(), tmp_path / "cache", with_pk=False)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
    assert not (tmp_path / "escape").exists()


def test_no_circuit_named_is_refused(tmp_path):
    with pytest.raises(zkml.ZkmlError, match="names no zkML circuit"):
        zkml.fetch(None, _NoStore(), tmp_path, with_pk=False)
    with pytest.raises(zkml.ZkmlError, match="names no zkML circuit"):
        zkml.fetch({"vk": GOOD}, _NoStore(), tmp_path, with_pk=False)


def test_the_cache_is_keyed_by_every_cid_of_the_circuit(tmp_path):
    """Two models naming the same verifying key with other settings do not share files."""

    class Recording:
        def __init__(self):
            self.paths = []

        def fetch_to(self, cid, path):
            self.paths.append(path)
            path.write_text("{}")

    one = {name: GOOD for name in zkml.ARTIFACTS}
    other = {**one, "settings": cid_from_digest(b"\x02" * 32)}
    store = Recording()
    first = zkml.fetch(one, store, tmp_path, with_pk=False)
    second = zkml.fetch(other, store, tmp_path, with_pk=False)
    assert first.directory != second.directory
    assert not any(p.name == "pk.key" for p in store.paths)  # a verifier never fetches the proving key
