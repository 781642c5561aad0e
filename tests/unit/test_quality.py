"""Validator scoring: bounded, order-independent, monotone in what it rewards, penalties bite."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogcli.core.quality import (
    ValidatorMetrics,
    nakamoto_coefficient,
    percentile_ranks,
    score_validators,
)


def metrics(address="v", **overrides) -> ValidatorMetrics:
    base = dict(
        address=address,
        records_in_window=100,
        attested=95,
        disputes_lost=0,
        overturned=0,
        delay_p50_s=10.0,
        delay_p95_s=30.0,
        commission_bps=500,
        commission_changes=0,
        self_stake_wei=100,
        stake_wei=1_000,
        slash_count=0,
        jailed=False,
        exposed_attestations=0,
        proposals_in_window=4,
        proposals_voted=3,
    )
    base.update(overrides)
    return ValidatorMetrics(**base)


validator_metrics = st.builds(
    lambda i, records, attested, lost, p50, commission, stake, slashes, jailed, voted: metrics(
        f"v{i}",
        records_in_window=records,
        attested=min(attested, records),
        disputes_lost=lost,
        delay_p50_s=p50,
        delay_p95_s=p50 * 3,
        commission_bps=commission,
        stake_wei=stake,
        self_stake_wei=stake // 10,
        slash_count=slashes,
        jailed=jailed,
        proposals_voted=voted,
    ),
    st.integers(0, 10**6),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 3),
    st.floats(0.1, 600),
    st.integers(0, 2_000),
    st.integers(1, 10**24),
    st.integers(0, 3),
    st.booleans(),
    st.integers(0, 4),
)


@settings(max_examples=200)
@given(st.lists(validator_metrics, min_size=1, max_size=12, unique_by=lambda m: m.address))
def test_scores_are_bounded_and_independent_of_order(group):
    scores = score_validators(group)
    for score in scores:
        assert 0.0 <= score.composite <= 100.0
        assert all(0.0 <= v <= 100.0 for v in score.sub_scores.values())
    reversed_scores = {s.address: s for s in score_validators(list(reversed(group)))}
    assert all(reversed_scores[s.address] == s for s in scores)


@given(st.lists(validator_metrics, min_size=2, max_size=8, unique_by=lambda m: m.address), st.integers(1, 100))
def test_more_liveness_never_lowers_a_score(group, extra):
    target = group[0]
    better = dataclasses.replace(target, attested=min(target.records_in_window, target.attested + extra))
    before = score_validators(group)[0].composite
    after = score_validators([better, *group[1:]])[0].composite
    assert after >= before


def test_penalties_for_jail_slashes_and_lost_disputes():
    honest = metrics("honest")
    jailed = metrics("jailed", jailed=True, slash_count=1, disputes_lost=1)
    scores = {s.address: s for s in score_validators([honest, jailed])}
    assert scores["jailed"].penalties == {"jailed": 40.0, "slashes": 15.0, "disputes_lost": 10.0}
    assert scores["honest"].composite - scores["jailed"].composite > 50


def test_concentration_gets_no_decentralization_credit():
    whale = metrics("whale", stake_wei=900)
    minnows = [metrics(f"m{i}", stake_wei=10) for i in range(10)]
    scores = {s.address: s for s in score_validators([whale, *minnows])}
    assert scores["whale"].sub_scores["decentralization"] == 0.0
    assert scores["m0"].sub_scores["decentralization"] > 0.0


def test_percentile_ranks_share_ties_and_handle_missing():
    assert percentile_ranks([1.0, 2.0, 3.0], higher_is_better=True) == [0.0, 50.0, 100.0]
    assert percentile_ranks([1.0, 1.0, 3.0], higher_is_better=False) == [75.0, 75.0, 0.0]
    assert percentile_ranks([None, 5.0], higher_is_better=True) == [0.0, 100.0]


@pytest.mark.parametrize(
    "stakes, expected",
    [([100], 1), ([40, 30, 30], 1), ([30, 30, 20, 20], 2), ([10] * 10, 4), ([], 0)],
)
def test_nakamoto_coefficient(stakes, expected):
    assert nakamoto_coefficient(stakes) == expected


def test_explain_names_the_raw_metrics_of_every_sub_score():
    from ogcli.core.quality import SUB_SCORE_INPUTS, WEIGHTS, ValidatorMetrics, explain, score_validators

    metrics = ValidatorMetrics(
        address="0xA", records_in_window=10, attested=8, disputes_lost=1, overturned=0, delay_p50_s=2.0,
        delay_p95_s=5.0, commission_bps=500, commission_changes=1, self_stake_wei=10, stake_wei=100,
        slash_count=1, jailed=False, exposed_attestations=2, proposals_in_window=4, proposals_voted=1,
    )
    score = score_validators([metrics])[0]
    parts = explain(metrics, score)
    assert set(parts) == set(WEIGHTS) == set(SUB_SCORE_INPUTS)
    assert parts["liveness"] == {"score": 80.0, "weight": 25, "metrics": {"attested": 8, "records_in_window": 10}}
    assert parts["governance"]["metrics"] == {"proposals_voted": 1, "proposals_in_window": 4}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-5, 5).map(float)), max_size=30), st.booleans())
def test_percentile_ranks_match_their_definition(values, higher_is_better):
    """Counted by bisection, equal to counting below and equal one by one (the definition)."""
    present = [v for v in values if v is not None]
    expected = []
    for value in values:
        if value is None:
            expected.append(0.0)
        elif len(present) == 1:
            expected.append(100.0)
        else:
            below = sum(1 for v in present if (v < value if higher_is_better else v > value))
            equal = sum(1 for v in present if v == value)
            expected.append(100.0 * (below + (equal - 1) / 2) / (len(present) - 1))
    assert percentile_ranks(values, higher_is_better=higher_is_better) == expected
