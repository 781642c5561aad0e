"""Peak memory of pushing and pulling a 200 MB model (issue 5: constant memory, peak RSS under
150 MB).

A child process hashes the file, stores it in a local store, uploads it to an IPFS node (the
KuboDouble from the tests, running in this parent process so its memory is not counted), and
downloads it back with verification; it reports its own peak RSS. A second child only imports
the same modules, for the baseline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kubo_double import KuboDouble  # noqa: E402

SIZE = 200 * (1 << 20)
TARGET_MB = 150

CHILD = """
import resource, sys, time
from pathlib import Path
from ogcli.storage.blobs import LocalStore
from ogcli.storage.cid import cid_from_digest, digest_file
from ogcli.storage.ipfs import IpfsStore
if sys.argv[1] == "work":
    source, work, kubo = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    started = time.perf_counter()
    cid = cid_from_digest(digest_file(source)[0])
    assert LocalStore(work / "store").put_file(source) == cid
    ipfs = IpfsStore(kubo)
    assert ipfs.put_file(source) == cid
    ipfs.fetch_to(cid, work / "pulled.bin")
    print(f"{time.perf_counter() - started:.2f}")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "model.bin"
        with source.open("wb") as out:
            for _ in range(SIZE // (1 << 20)):
                out.write(os.urandom(1 << 20))
        with KuboDouble(work / "kubo") as kubo:
            started = time.perf_counter()
            lines = subprocess.run(
                [sys.executable, "-c", CHILD, "work", str(source), str(work), kubo.url],
                check=True, capture_output=True, text=True, cwd=ROOT,
            ).stdout.split()
            wall = time.perf_counter() - started
        baseline = subprocess.run(
            [sys.executable, "-c", CHILD, "baseline"], check=True, capture_output=True, text=True, cwd=ROOT
        ).stdout.split()
        assert (work / "pulled.bin").stat().st_size == SIZE
    seconds, peak = float(lines[0]), int(lines[1])
    print(f"200 MB: hash + local store + IPFS upload + verified download in {seconds:.1f}s ({wall:.1f}s with start-up)")
    print(f"peak RSS {peak} MB (the same process after imports only: {baseline[0]} MB)")
    print(f"{'meets' if peak < TARGET_MB else 'MISSES'} the {TARGET_MB} MB target")


if __name__ == "__main__":
    main()
