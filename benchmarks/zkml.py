"""zkML cost against the plain model call (issue 8): for each ONNX model the devnet publishes,
the circuit build (settings, calibration, compile, a locally generated SRS, keys), proving,
verifying and the proof's size, next to an onnxruntime call of the same model on the same input.

Everything runs here and offline: the SRS is generated locally (see ogcli/verify/zkml.py). Prints
one line per model and the ratios the README quotes. Needs the zkml extra (ezkl).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PLAIN_RUNS = 2_000
PROVE_RUNS = 3
VERIFY_RUNS = 10


def main() -> None:
    import numpy as np
    import onnxruntime

    from ogcli.devnet.models import seed_models
    from ogcli.verify import zkml

    if not zkml.available():
        sys.exit("zkML is unavailable here: pip install 'ogcli[zkml]'")
    rows = []
    with tempfile.TemporaryDirectory() as home:
        for name, blob in seed_models():
            path = Path(home) / f"{name}.onnx"
            path.write_bytes(blob)
            session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            [tensor] = session.get_inputs()
            shape = list(tensor.shape)
            x = np.random.default_rng(7).normal(size=shape).astype(np.float32)
            plain = _median(lambda: session.run(None, {tensor.name: x}), PLAIN_RUNS)

            started = time.perf_counter()
            circuit = zkml.build_circuit(path, [shape], Path(home) / name)
            build_s = time.perf_counter() - started
            flat = x.reshape(-1).astype(float).tolist()
            proofs = []
            prove = _median(lambda: proofs.append(zkml.prove(circuit, flat)), PROVE_RUNS)
            proven = proofs[-1]
            verify = _median(lambda: zkml.verify(proven.proof, circuit), VERIFY_RUNS)
            rows.append({
                "model": name,
                "logrows": circuit.settings["run_args"]["logrows"],
                "plain_ms": plain * 1e3,
                "build_s": build_s,
                "prove_s": prove,
                "verify_ms": verify * 1e3,
                "proof_bytes": len(bytes.fromhex(proven.proof["hex_proof"].removeprefix("0x"))),
                "proof_json_bytes": len(json.dumps(proven.proof)),
                "pk_bytes": circuit.path("pk").stat().st_size,
                "vk_bytes": circuit.path("vk").stat().st_size,
                "max_abs_error": float(np.max(np.abs(np.array(proven.outputs) - session.run(None, {tensor.name: x})[0].reshape(-1)))),
            })
    for r in rows:
        print(f"{r['model']:<24} 2^{r['logrows']} rows | plain call {r['plain_ms']:.3f} ms | circuit build {r['build_s']:.1f} s | "
              f"prove {r['prove_s']:.2f} s ({r['prove_s'] / (r['plain_ms'] / 1e3):,.0f}x) | "
              f"verify {r['verify_ms']:.1f} ms ({r['verify_ms'] / r['plain_ms']:,.0f}x) | "
              f"proof {r['proof_bytes']:,} B ({r['proof_json_bytes']:,} B as JSON) | pk {r['pk_bytes'] / 1e6:.1f} MB, "
              f"vk {r['vk_bytes'] / 1e3:.1f} kB | max |proven - float| {r['max_abs_error']:.1e}")
    ratios = [r["prove_s"] / (r["plain_ms"] / 1e3) for r in rows]
    print(f"proving is {min(ratios):,.0f}x to {max(ratios):,.0f}x slower than the plain call "
          f"(the seeds say 1,000-10,000x); verifying takes {min(r['verify_ms'] for r in rows):.0f}-"
          f"{max(r['verify_ms'] for r in rows):.0f} ms")


def _median(fn, runs: int) -> float:
    fn()  # warm
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


if __name__ == "__main__":
    main()
