"""The forge invariant suite (invariants/test) passes under the `default` profile of foundry.toml
(40 runs x 250 calls for each invariant, fixed seed), its interfaces match the contracts, its
slashing campaigns reach the market (records settled, verdicts given, disputes won) and its
producer-bond campaigns reach the bonds (records settled, producer disputes made and won).

Fails, never skips, when forge is missing: `make test` installs it (`make setup`). `make fuzz`
runs the same suite long (profile `fuzz`) with a fresh seed.
"""

from __future__ import annotations

import re

import pytest

from tests.static import forge_invariants

pytestmark = pytest.mark.slow

MIN_CALLS = 10_000
# invariants/test/SlashingGuarantee.t.sol: I1, I2, I4 (I3 and I5 are in TokenConservation.t.sol).
SLASHING_INVARIANTS = (
    "invariant_honestValidatorsNeverSlashed()",
    "invariant_badVerdictsSlashableInWindow()",
    "invariant_delegatorLossBounded()",
)
# invariants/test/ProducerBonds.t.sol: I6, I7, I8.
PRODUCER_INVARIANTS = (
    "invariant_falseRecordsSlashTheirProducer()",
    "invariant_honestRecordsNeverSlashTheirProducer()",
    "invariant_bondsOutlastTheirRecords()",
)


@pytest.fixture(scope="module")
def built():
    return forge_invariants.build("default", timeout=1200)


@pytest.fixture(scope="module")
def invariant_run(built):
    # -vv: forge keeps the afterInvariant logs (decoded_logs) only at that verbosity.
    return forge_invariants.run("default", extra_args=["-vv"], timeout=1700)


@pytest.mark.timeout(1300)
def test_harness_interfaces_match_the_contracts(built):
    drift = forge_invariants.interface_drift()
    assert not drift, (
        "invariants/src/interfaces/Protocol.sol no longer matches contracts/ (update the interface, "
        "then the handler calls that use it):\n  " + "\n  ".join(drift)
    )


@pytest.mark.timeout(1800)
def test_invariants_hold(invariant_run):
    run = invariant_run
    print(forge_invariants.summary(run))
    failed = [r for r in run.results if not r.passed]
    assert not failed, forge_invariants.summary(run)
    invariants = [r for r in run.results if r.calls is not None]
    assert invariants, "no invariant test ran"
    for r in invariants:
        assert r.calls >= MIN_CALLS, f"{r.name} ran {r.calls} calls, fewer than {MIN_CALLS}: check foundry.toml [invariant]"
    names = {r.name for r in invariants}
    missing = [name for name in SLASHING_INVARIANTS + PRODUCER_INVARIANTS if name not in names]
    assert not missing, f"slashing or producer-bond invariants missing from the run: {missing}"


# Records settled in a campaign's last run: 13 to 20 seen before records were bound to their
# payment's till (2026-12-07), 7 to 20 since (a payment made out to another node's till, and a
# record signed for the wrong one, are refused by design). What proves the market is reached is
# this with the disputes below, which must slash or be covered.
MIN_SETTLED = 5
MIN_ATTESTED = 5  # verdicts given in it (9 to 12 seen)


def _stats(logs: list[str], target: str) -> tuple[int, int]:
    """(calls, reverts) of `target` in an afterInvariant log (invariants/src/ProtocolSetup.sol)."""
    for line in logs:
        match = re.match(rf"{re.escape(target)}: calls (\d+), reverts (\d+),", line)
        if match:
            return int(match[1]), int(match[2])
    return 0, 0


@pytest.mark.timeout(1800)
def test_slashing_campaigns_reach_the_market(invariant_run):
    """An invariant over states the fuzzer never reaches proves nothing: in the last run of each
    slashing campaign (what afterInvariant logs), records settle, verdicts are given and disputes
    are made, and over the three campaigns some dispute slashed or was covered."""
    results = {r.name: r for r in invariant_run.results}
    won = 0
    for name in SLASHING_INVARIANTS:
        logs = results[name].logs
        # Forge's run is not reproducible to the call even with a fixed seed (two runs of one build
        # differ: 27/11 and 24/7 settles/refusals seen), and a third to a half are refused by
        # design (unbonded nodes, spent fees, bad records): the campaign reaches the market when
        # enough records settle and are judged, counted, not as a share.
        for target, least in (("Settlement.settle", MIN_SETTLED), ("Settlement.attest", MIN_ATTESTED)):
            calls, reverts = _stats(logs, target)
            assert calls - reverts >= least, (
                f"{name}: only {calls - reverts} {target} of {calls} went through (at least {least} must):\n"
                + "\n".join(logs))
        assert _stats(logs, "Settlement.dispute")[0] > 0, f"{name}: no dispute was made:\n" + "\n".join(logs)
        summary = next((line for line in logs if line.startswith("records good/bad")), "")
        match = re.search(r"disputes slashed/covered (\d+)/(\d+)", summary)
        assert match, f"{name}: no market summary in the logs:\n" + "\n".join(logs)
        won += int(match[1]) + int(match[2])
    assert won > 0, "no dispute slashed or was covered in the slashing campaigns' last runs"


@pytest.mark.timeout(1800)
def test_producer_campaigns_reach_the_bonds(invariant_run):
    """The same for the producer's bond: in the last run of each producer-bond campaign, records
    settle (TEE ones only by bonded nodes) and producer disputes are made, and over the
    three campaigns some producer dispute slashed a bond."""
    results = {r.name: r for r in invariant_run.results}
    slashed = not_theirs = lifted = 0
    for name in PRODUCER_INVARIANTS:
        logs = results[name].logs
        # Counted, not as a share, as for the slashing campaigns: forge's runs differ even with a
        # fixed seed, and half refused (unbonded nodes, fees over a free bond) was seen in a
        # campaign that also slashed (14 of 28 settled; 2026-12-07).
        calls, reverts = _stats(logs, "Settlement.settle")
        assert calls - reverts >= MIN_SETTLED, (
            f"{name}: only {calls - reverts} Settlement.settle of {calls} went through (at least {MIN_SETTLED} must):\n"
            + "\n".join(logs))
        assert _stats(logs, "Settlement.disputeProducer")[0] > 0, f"{name}: no producer dispute was made:\n" + "\n".join(logs)
        summary = next((line for line in logs if line.startswith("producer disputes slashed")), "")
        match = re.match(r"producer disputes slashed (\d+)", summary)
        assert match, f"{name}: no producer summary in the logs:\n" + "\n".join(logs)
        slashed += int(match[1])
        refusals = re.search(r"NodeNotBonded/BondCommitted/NotSettlersEnclave (\d+)/(\d+)/(\d+)", summary)
        assert refusals, f"{name}: no settlement refusals in the producer summary:\n" + "\n".join(logs)
        not_theirs += int(refusals[3])
        lifts = next((re.match(r"exact payments made out to another node's till, refused (\d+)", line)
                      for line in logs if line.startswith("exact payments made out")), None)
        assert lifts, f"{name}: no count of lifted payments in the producer summary:\n" + "\n".join(logs)
        lifted += int(lifts[1])
    assert slashed > 0, "no producer dispute slashed a bond in the producer-bond campaigns' last runs"
    # A copy of another node's settlement (issue 16's mempool lift) must be tried, and refused.
    assert not_theirs > 0, "no TEE settlement from outside its enclave's operator was tried in the producer campaigns"
    # An authorization made out to another node's till (ExactTills) must be tried, and refused.
    assert lifted > 0, "no payment made out to another node's till was tried in the producer campaigns"
