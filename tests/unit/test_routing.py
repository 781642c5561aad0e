"""HACA routing decisions and their reasons."""

import pytest

from ogcli.core.routing import NoRoute, Policy, route

OPG = 10**18
ALL = ["vanilla", "tee", "zkml"]


def test_balanced_takes_the_weakest_mode_that_meets_the_value():
    assert route(ALL, ALL, 0, None, Policy()).mode == "tee"
    assert route(ALL, ALL, 5_000 * OPG, None, Policy()).mode == "zkml"
    assert route(ALL, ALL, 0, None, Policy(tee_from_wei=OPG)).mode == "vanilla"


def test_latency_budget_drops_slow_modes_and_says_so():
    decision = route(ALL, ALL, 5_000 * OPG, 100, Policy())
    assert decision.mode == "tee"
    assert any("zkml cannot meet the 100 ms budget" in r for r in decision.reasons)
    assert any("zkml is not available here" in r for r in decision.reasons)


def test_node_and_model_must_agree():
    assert route(["vanilla", "tee"], ["vanilla", "tee"], 10**24, None, Policy()).mode == "tee"
    with pytest.raises(NoRoute, match="nothing in common"):
        route(["zkml"], ["vanilla", "tee"], 0, None, Policy())
    with pytest.raises(NoRoute, match="fits 1 ms"):
        route(ALL, ALL, 0, 1, Policy())


def test_policies():
    assert route(ALL, ALL, 0, None, Policy("strongest")).mode == "zkml"
    fastest = route(ALL, ALL, 5_000 * OPG, None, Policy("fastest"))
    assert fastest.mode == "vanilla" and any("weaker than" in r for r in fastest.reasons)
    with pytest.raises(ValueError):
        route(ALL, ALL, 0, None, Policy("cheapest"))


def test_a_bond_short_of_the_value_moves_balanced_to_a_proof_and_says_so():
    from ogcli.core.routing import Policy, route

    opg = 10**18
    covered = route(["vanilla", "tee", "zkml"], ["vanilla", "tee", "zkml"], 10 * opg, None, Policy(), bond_wei=5_000 * opg)
    assert covered.mode == "tee"
    assert any("covers the value at stake" in r for r in covered.reasons)
    short = route(["vanilla", "tee", "zkml"], ["vanilla", "tee", "zkml"], 10 * opg, None, Policy(), bond_wei=opg)
    assert short.mode == "zkml"
    assert any("does not cover" in r for r in short.reasons)
    # Without zkML on offer, tee stays, with the caveat in its reasons.
    no_proof = route(["vanilla", "tee"], ["vanilla", "tee"], 10 * opg, None, Policy(), bond_wei=opg)
    assert no_proof.mode == "tee" and any("does not cover" in r for r in no_proof.reasons)
    # A bond nobody knows changes nothing.
    assert route(["vanilla", "tee", "zkml"], ["vanilla", "tee", "zkml"], 10 * opg, None, Policy()).mode == "tee"


def test_the_node_whose_bond_covers_the_value_is_chosen():
    from ogcli.core.node_choice import NodeOffer, choose

    opg = 10**18
    small = NodeOffer("http://a", "0xA", 1_000 * opg, True)
    big = NodeOffer("http://b", "0xB", 9_000 * opg, True)
    unbonded = NodeOffer("http://c", "0xC", 0, False)
    assert choose([small, big], 10 * opg).url == "http://a"  # both cover: the earliest registered
    chosen = choose([unbonded, small, big], 5_000 * opg)
    assert chosen.url == "http://b" and "covers the value at stake" in chosen.reasons[-1]
    short = choose([unbonded, small, big], 50_000 * opg)
    assert short.url == "http://b" and "short" in short.reasons[-1]  # the largest cover on offer
    assert choose([unbonded], 0).reasons[-1].endswith("none can settle a TEE call")
    assert choose([], 0) is None
