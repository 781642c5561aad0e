"""How long `ogcli devnet up` takes from cold (no state) to seeded, and a warm restart.

Runs the real CLI in a subprocess with its own XDG dirs and a free port, three times, and prints
the figures. Target (issue 2): cold up under 20 s on the 2-core reference machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _anvil import free_port  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def ogcli(env: dict, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "ogcli", "--json", *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"ogcli {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return json.loads(result.stdout)["data"]


def main() -> None:
    cold, warm = [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "XDG_DATA_HOME": f"{home}/data", "XDG_CONFIG_HOME": f"{home}/config", "XDG_CACHE_HOME": f"{home}/cache"}
            port = str(free_port())
            started = time.perf_counter()
            ogcli(env, "devnet", "up", "--port", port)
            cold.append(time.perf_counter() - started)
            ogcli(env, "devnet", "down")
            started = time.perf_counter()
            ogcli(env, "devnet", "up", "--port", port)
            warm.append(time.perf_counter() - started)
            ogcli(env, "devnet", "down")
    print(f"devnet up, {RUNS} runs on {os.cpu_count()} cores (wall clock, CLI process included)")
    print(f"{'':<22}{'median':>9}{'min':>9}{'max':>9}")
    for label, series in (("cold (deploy + seed)", cold), ("warm (saved state)", warm)):
        print(f"{label:<22}{statistics.median(series):>8.2f}s{min(series):>8.2f}s{max(series):>8.2f}s")
    target = 20.0
    verdict = "meets" if statistics.median(cold) < target else "MISSES"
    print(f"cold median {statistics.median(cold):.2f}s {verdict} the {target:.0f}s target")


if __name__ == "__main__":
    main()
