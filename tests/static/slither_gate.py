"""The slither gate: every high or medium finding on contracts/ must be triaged in .slither-triage.json.

Run as `make slither` (prints the findings and their triage, exits 1 on an untriaged one) or through
tests/static/test_slither.py (part of `make test`). A finding is matched by (detector, contract,
function), never by line, so edits elsewhere in a file do not invalidate the triage.

Slither runs from its own virtualenv (build/slither-venv, made by `make setup`): slither-analyzer
0.11.6 requires web3<8, which would downgrade the project's web3 if it shared .venv. It compiles
through forge (node_modules/.bin first on PATH) into build/forge/slither with the solc shim in
analysis mode (AST only, no code generation: seconds instead of a minute, see scripts/solc-shim).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRIAGE_FILE = ROOT / ".slither-triage.json"
SLITHER = ROOT / "build" / "slither-venv" / "bin" / "slither"
FORGE_BIN = ROOT / "node_modules" / ".bin"
GATED_IMPACTS = {"High", "Medium"}
FILTER_PATHS = "node_modules/|invariants/"


@dataclass(frozen=True, order=True)
class Key:
    detector: str
    contract: str
    function: str

    def __str__(self) -> str:
        return f"{self.detector} {self.contract}.{self.function}"


@dataclass(frozen=True)
class Finding:
    key: Key
    impact: str
    confidence: str
    description: str


class GateError(RuntimeError):
    """Slither could not run (missing install, compile failure, unreadable output)."""


def slither_command() -> list[str]:
    return [
        str(SLITHER),
        ".",
        "--compile-force-framework",
        "foundry",
        "--filter-paths",
        FILTER_PATHS,
        "--exclude-informational",
        "--exclude-low",
        "--exclude-optimization",
        "--json",
        "-",
    ]


def slither_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{FORGE_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["FOUNDRY_PROFILE"] = "default"
    env["FOUNDRY_OUT"] = "build/forge/slither/out"
    env["FOUNDRY_CACHE_PATH"] = "build/forge/slither/cache"
    env["SOLC_SHIM_OUTPUT"] = "analysis"
    return env


def run_slither(timeout: float = 600) -> tuple[list[Finding], float]:
    """Runs slither on the repository; returns the gated findings and the seconds it took."""
    if not SLITHER.exists():
        raise GateError(f"{SLITHER.relative_to(ROOT)} is missing: run `make setup`")
    if not (FORGE_BIN / "forge").exists():
        raise GateError("node_modules/.bin/forge is missing: run `make setup`")
    started = time.monotonic()
    proc = subprocess.run(
        slither_command(), cwd=ROOT, env=slither_env(), capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.monotonic() - started
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise GateError(f"slither printed no JSON (exit {proc.returncode}):\n{proc.stderr[-4000:]}") from exc
    if not report.get("success"):
        raise GateError(f"slither failed: {report.get('error')}\n{proc.stderr[-4000:]}")
    results = report.get("results", {}).get("detectors", [])
    findings = [_finding(r) for r in results if r.get("impact") in GATED_IMPACTS]
    return findings, elapsed


def _finding(result: dict) -> Finding:
    return Finding(
        key=finding_key(result),
        impact=result.get("impact", ""),
        confidence=result.get("confidence", ""),
        description=" ".join(result.get("description", "").split()),
    )


def finding_key(result: dict) -> Key:
    """(detector, contract, function) of a slither result, never its lines:
    - a result about a state variable (e.g. uninitialized-state) is keyed by the variable's name in
      place of the function, since every function using it is listed after it;
    - otherwise the first element that is, or lies in, a function names the function and its
      contract (a local variable or a node climbs to its function);
    - a result about a contract alone (e.g. locked-ether) takes the first function listed after
      it, or "*"."""
    elements = result.get("elements", [])
    check_name = result.get("check", "?")
    if elements and elements[0].get("type") == "variable":
        parent = elements[0].get("type_specific_fields", {}).get("parent", {})
        if parent.get("type") == "contract":
            return Key(check_name, parent.get("name", "*"), elements[0].get("name", "*"))
    contract = ""
    function = ""
    for element in elements:
        c, f = _locate(element)
        if not contract and c:
            contract = c
        if f and (not contract or c == contract):
            function = f
            contract = contract or c
            break
    return Key(check_name, contract or "*", function or "*")


def _locate(element: dict) -> tuple[str, str]:
    """(contract, function) that `element` is or lies in, climbing its parents."""
    contract = function = ""
    node: dict | None = element
    while node:
        kind = node.get("type")
        if kind == "function" and not function:
            function = node.get("name", "")
        elif kind == "contract" and not contract:
            contract = node.get("name", "")
        node = node.get("type_specific_fields", {}).get("parent")
    return contract, function


def load_triage() -> dict[Key, dict]:
    data = json.loads(TRIAGE_FILE.read_text())
    triage: dict[Key, dict] = {}
    for entry in data["findings"]:
        key = Key(entry["detector"], entry["contract"], entry["function"])
        if entry.get("status") not in ("accepted", "needs fix"):
            raise GateError(f"{TRIAGE_FILE.name}: {key}: status must be 'accepted' or 'needs fix'")
        if not entry.get("why", "").strip():
            raise GateError(f"{TRIAGE_FILE.name}: {key}: 'why' is empty")
        triage[key] = entry
    return triage


def check(findings: list[Finding], triage: dict[Key, dict]) -> tuple[list[Finding], list[Key]]:
    """Untriaged findings, and triage entries no finding matches any more (stale)."""
    found = {f.key for f in findings}
    untriaged = sorted((f for f in findings if f.key not in triage), key=lambda f: f.key)
    # keep one finding per key: slither reports e.g. one unused-return per ignored call
    seen: set[Key] = set()
    unique = [f for f in untriaged if not (f.key in seen or seen.add(f.key))]
    stale = sorted(k for k in triage if k not in found)
    return unique, stale


def main() -> int:
    try:
        triage = load_triage()
        findings, elapsed = run_slither()
    except GateError as exc:
        print(f"slither gate: {exc}", file=sys.stderr)
        return 2
    untriaged, stale = check(findings, triage)
    keys = sorted({f.key for f in findings})
    print(f"slither: {len(findings)} high/medium result(s), {len(keys)} distinct, in {elapsed:.1f} s")
    for key in keys:
        entry = triage.get(key)
        impact = next(f.impact for f in findings if f.key == key)
        status = entry["status"] if entry else "UNTRIAGED"
        print(f"  [{impact}] {key}: {status}")
    for key in stale:
        print(f"  stale triage entry (no such finding now; remove it from {TRIAGE_FILE.name}): {key}")
    if untriaged:
        print(f"\n{len(untriaged)} untriaged finding(s); fix them or add them to {TRIAGE_FILE.name}:")
        for f in untriaged:
            print(f"  [{f.impact}/{f.confidence}] {f.key}\n      {f.description[:400]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
