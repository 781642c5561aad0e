"""Static analysis gate: slither's high and medium findings on contracts/ are all triaged.

Fails, never skips, when slither or forge is missing: `make test` installs both (`make setup`).
The gate itself lives in slither_gate.py beside this file, which `make slither` runs too.
"""

from __future__ import annotations

import json

import pytest

from tests.static import slither_gate


def test_triage_file_is_well_formed():
    triage = slither_gate.load_triage()
    assert triage, "the triage file lists no finding"
    raw = json.loads(slither_gate.TRIAGE_FILE.read_text())["findings"]
    assert len(raw) == len(triage), "a (detector, contract, function) is listed twice"


def test_finding_key_ignores_lines():
    function = {"type": "function", "name": "slash", "type_specific_fields": {"parent": {"type": "contract", "name": "Staking"}}}
    local = {"type": "variable", "name": "count", "type_specific_fields": {"parent": function}}
    node = {"type": "node", "name": "x = 1", "source_mapping": {"lines": [42]}, "type_specific_fields": {"parent": function}}
    contract = {"type": "contract", "name": "Multicall3"}
    aggregate = {"type": "function", "name": "aggregate3", "type_specific_fields": {"parent": contract}}
    key = slither_gate.finding_key
    assert key({"check": "uninitialized-local", "elements": [local]}) == slither_gate.Key("uninitialized-local", "Staking", "slash")
    assert key({"check": "unused-return", "elements": [function, node]}) == slither_gate.Key("unused-return", "Staking", "slash")
    assert key({"check": "locked-ether", "elements": [contract, aggregate]}) == slither_gate.Key("locked-ether", "Multicall3", "aggregate3")
    assert key({"check": "x", "elements": [contract]}) == slither_gate.Key("x", "Multicall3", "*")
    state = {"type": "variable", "name": "_slashHistory", "type_specific_fields": {"parent": {"type": "contract", "name": "Staking"}}}
    assert key({"check": "uninitialized-state", "elements": [state, function]}) == slither_gate.Key(
        "uninitialized-state", "Staking", "_slashHistory"
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_no_untriaged_high_or_medium_finding():
    triage = slither_gate.load_triage()
    findings, elapsed = slither_gate.run_slither(timeout=840)
    untriaged, stale = slither_gate.check(findings, triage)
    print(f"slither: {len(findings)} high/medium result(s) in {elapsed:.1f} s, {len(stale)} stale triage entries")
    for key in stale:
        print(f"stale triage entry (finding gone; remove it): {key}")
    assert not untriaged, (
        f"untriaged slither findings (fix them, or add them to {slither_gate.TRIAGE_FILE.name} with a reason):\n"
        + "\n".join(f"  [{f.impact}] {f.key}: {f.description[:300]}" for f in untriaged)
    )
