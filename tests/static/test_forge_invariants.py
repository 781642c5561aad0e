"""The forge invariant suite (invariants/test) passes under the `default` profile of foundry.toml
(40 runs x 250 calls for each invariant, fixed seed), and its interfaces match the contracts.

Fails, never skips, when forge is missing: `make test` installs it (`make setup`). `make fuzz`
runs the same suite long (profile `fuzz`) with a fresh seed.
"""

from __future__ import annotations

import pytest

from tests.static import forge_invariants

pytestmark = pytest.mark.slow

MIN_CALLS = 10_000


@pytest.fixture(scope="module")
def built():
    return forge_invariants.build("default", timeout=1200)


@pytest.mark.timeout(1300)
def test_harness_interfaces_match_the_contracts(built):
    drift = forge_invariants.interface_drift()
    assert not drift, (
        "invariants/src/interfaces/Protocol.sol no longer matches contracts/ (update the interface, "
        "then the handler calls that use it):\n  " + "\n  ".join(drift)
    )


@pytest.mark.timeout(1800)
def test_invariants_hold(built):
    run = forge_invariants.run("default", timeout=1700)
    print(forge_invariants.summary(run))
    failed = [r for r in run.results if not r.passed]
    assert not failed, forge_invariants.summary(run)
    invariants = [r for r in run.results if r.calls is not None]
    assert invariants, "no invariant test ran"
    for r in invariants:
        assert r.calls >= MIN_CALLS, f"{r.name} ran {r.calls} calls, fewer than {MIN_CALLS}: check foundry.toml [invariant]"
