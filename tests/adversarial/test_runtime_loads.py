"""Model loads under attack (issue 14): a slow download of one model must not hold up every other
model's calls (the runtime's lock is per CID, not global), one model is still fetched once however
many calls want it at once, and a CID that is not one never reaches the store or a path."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from multiformats import CID

from ogcli.devnet.models import seed_models
from ogcli.node.runtime import Runtime
from ogcli.storage.blobs import BlobStore
from ogcli.storage.cid import cid_of

pytestmark = pytest.mark.timeout(60)

BLOBS = {cid_of(blob): blob for _name, blob in seed_models()}
SLOW, FAST = list(BLOBS)[:2]
SLOW_IN_BASE16 = str(CID.decode(SLOW).set(base="base16"))  # the same digest, another file name


class GatedStoreForTests(BlobStore):
    """Test double of a model store: serves the devnet's models, counts the downloads of each CID,
    and holds a download of a CID in `gated` until the test opens its gate."""

    def __init__(self, gated: set[str] = frozenset()) -> None:
        self.fetches: Counter[str] = Counter()
        self.gated = gated
        self.gate = threading.Event()
        self._lock = threading.Lock()

    def describe(self) -> str:
        return "the gated test store"

    def chunks(self, cid: str):
        with self._lock:
            self.fetches[cid] += 1
        if cid in self.gated:
            assert self.gate.wait(timeout=20), "the gate was never opened"
        yield BLOBS[cid]


def _in_thread(target, *args) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(target(*args)), daemon=True)
    thread.start()
    return thread, out


def test_a_slow_download_does_not_block_loading_another_model(tmp_path: Path):
    store = GatedStoreForTests(gated={SLOW})
    runtime = Runtime(store, tmp_path / "models")
    slow, _ = _in_thread(runtime.load, SLOW)
    try:
        deadline = time.monotonic() + 5
        while not store.fetches[SLOW] and time.monotonic() < deadline:
            time.sleep(0.01)
        fast, loaded = _in_thread(runtime.load, FAST)
        fast.join(timeout=5)
        assert loaded and loaded[0].cid == FAST, "loading one model waited for another model's download"
    finally:
        store.gate.set()
        slow.join(timeout=10)


def test_one_model_wanted_by_many_calls_at_once_is_fetched_once(tmp_path: Path):
    store = GatedStoreForTests(gated={SLOW})
    runtime = Runtime(store, tmp_path / "models")
    callers = [_in_thread(runtime.load, SLOW) for _ in range(8)]
    time.sleep(0.2)  # all eight are waiting on the one download
    store.gate.set()
    for thread, _ in callers:
        thread.join(timeout=10)
    sessions = {id(out[0]) for _, out in callers}
    assert store.fetches[SLOW] == 1 and len(sessions) == 1


@pytest.mark.parametrize("cid", ["../../etc/passwd", "/etc/hostname", "", "bafk not a cid", SLOW_IN_BASE16, f" {SLOW}"])
def test_a_cid_that_is_not_a_canonical_cid_never_reaches_the_store(tmp_path: Path, cid: str):
    from ogcli.storage.cid import CidError

    store = GatedStoreForTests()
    runtime = Runtime(store, tmp_path / "models")
    with pytest.raises(CidError):
        runtime.load(cid)
    assert not store.fetches
