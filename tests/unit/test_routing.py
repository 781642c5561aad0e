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
