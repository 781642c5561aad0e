"""Runs the forge invariant suite (invariants/test) and summarises it; used by
tests/static/test_forge_invariants.py (`make test`, profile `default`) and `make fuzz` (profile `fuzz`).

Forge is the npm @foundry-rs/forge pinned in package.json; it compiles with scripts/solc-shim
(the pinned solcjs), configured in foundry.toml. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORGE_BIN = ROOT / "node_modules" / ".bin"
FORGE = FORGE_BIN / "forge"
MATCH_PATH = "invariants/test/*"


class ForgeError(RuntimeError):
    """Forge could not run or printed something unreadable."""


@dataclass
class TestResult:
    contract: str
    name: str
    status: str
    reason: str | None
    runs: int | None = None
    calls: int | None = None
    reverts: int | None = None
    counterexample: object = None
    logs: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "Success"


@dataclass
class Run:
    results: list[TestResult]
    build_seconds: float
    test_seconds: float
    stderr: str

    @property
    def calls(self) -> int:
        return sum(r.calls or 0 for r in self.results)


def forge_env(profile: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{FORGE_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["FOUNDRY_PROFILE"] = profile
    # Never the analysis-only mode of the shim (every contract would deploy empty).
    env.pop("SOLC_SHIM_OUTPUT", None)
    return env


def build(profile: str = "default", timeout: float = 3600) -> float:
    """`forge build` (incremental: only what changed); returns the seconds it took."""
    if not FORGE.exists():
        raise ForgeError("node_modules/.bin/forge is missing: run `make setup`")
    started = time.monotonic()
    proc = subprocess.run(
        [str(FORGE), "build"], cwd=ROOT, env=forge_env(profile), capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise ForgeError(f"forge build failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return time.monotonic() - started


def run(profile: str = "default", extra_args: list[str] | None = None, timeout: float = 3600) -> Run:
    build_seconds = build(profile, timeout)
    env = forge_env(profile)
    command = [str(FORGE), "test", "--match-path", MATCH_PATH, "--json", *(extra_args or [])]
    started = time.monotonic()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    test_seconds = time.monotonic() - started
    return Run(parse(proc.stdout, proc.stderr, proc.returncode), build_seconds, test_seconds, proc.stderr)


def parse(stdout: str, stderr: str, returncode: int) -> list[TestResult]:
    start = stdout.find("{")
    try:
        report = json.loads(stdout[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        raise ForgeError(f"forge test printed no JSON report (exit {returncode}):\n{stdout[-4000:]}\n{stderr[-4000:]}")
    results = []
    for contract, suite in report.items():
        for name, result in suite.get("test_results", {}).items():
            kind = result.get("kind") or {}
            invariant = kind.get("Invariant") or {}
            results.append(
                TestResult(
                    contract=contract,
                    name=name,
                    status=result.get("status", "?"),
                    reason=result.get("reason"),
                    runs=invariant.get("runs"),
                    calls=invariant.get("calls"),
                    reverts=invariant.get("reverts"),
                    counterexample=result.get("counterexample"),
                    logs=[str(line) for line in result.get("decoded_logs") or []],
                )
            )
    if not results:
        raise ForgeError(f"forge ran no test under {MATCH_PATH} (exit {returncode}):\n{stderr[-4000:]}")
    return results


# ---------------------------------------------------------------- interface drift

INTERFACES_SOURCE = "Protocol.sol"  # invariants/src/interfaces/Protocol.sol


def _canonical(param: dict) -> str:
    kind = param["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param.get("components", [])) + ")" + kind[len("tuple"):]
    return kind


def _functions(abi: list[dict]) -> dict[str, dict]:
    return {
        f"{e['name']}({','.join(_canonical(i) for i in e['inputs'])})": e for e in abi if e.get("type") == "function"
    }


def _artifact(name: str, source: str) -> Path:
    matches = sorted((ROOT / "build" / "forge" / "out").glob(f"**/{source}/{name}.json"))
    if not matches:
        raise ForgeError(f"no forge artifact for {source}:{name} under build/forge/out (did `forge build` run?)")
    return matches[0]


def interface_drift() -> list[str]:
    """Differences between each interface I<Name> of invariants/src/interfaces/Protocol.sol and the
    ABI of contract <Name> as built: missing functions, other outputs, view vs state-changing."""
    problems = []
    folder = _artifact("IStaking", INTERFACES_SOURCE).parent
    for path in sorted(folder.glob("I*.json")):
        interface = path.stem
        contract = interface[1:]
        theirs = _functions(json.loads(_artifact(contract, f"{contract}.sol").read_text())["abi"])
        for signature, ours in _functions(json.loads(path.read_text())["abi"]).items():
            real = theirs.get(signature)
            if real is None:
                problems.append(f"{interface}.{signature}: {contract} has no such function")
                continue
            want = [_canonical(o) for o in ours["outputs"]]
            got = [_canonical(o) for o in real["outputs"]]
            if want != got:
                problems.append(f"{interface}.{signature}: returns ({','.join(want)}), {contract} returns ({','.join(got)})")
            if ours["stateMutability"] in ("view", "pure") and real["stateMutability"] not in ("view", "pure"):
                problems.append(f"{interface}.{signature}: declared {ours['stateMutability']}, {contract} is {real['stateMutability']}")
    return problems


def summary(run_: Run) -> str:
    lines = [
        f"forge: build {run_.build_seconds:.1f} s, tests {run_.test_seconds:.1f} s, "
        f"{len(run_.results)} test(s), {run_.calls} handler calls in total"
    ]
    for r in run_.results:
        counts = f" runs {r.runs}, calls {r.calls}, reverts {r.reverts}" if r.calls is not None else ""
        lines.append(f"  [{'PASS' if r.passed else 'FAIL'}] {r.contract.split(':')[-1]}.{r.name}{counts}")
        if not r.passed:
            lines.append(f"      reason: {r.reason}")
            if r.counterexample:
                lines.append(f"      counterexample: {json.dumps(r.counterexample)[:4000]}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    profile = argv[0] if argv else "default"
    try:
        result = run(profile, argv[1:])
    except ForgeError as exc:
        print(f"forge invariants: {exc}", file=sys.stderr)
        return 2
    print(summary(result))
    return 0 if all(r.passed for r in result.results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
