"""`ogcli stake validators` on the seeded devnet: the dishonest validator ranks last, jailed."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts

pytestmark = pytest.mark.chain


def test_table_ranks_by_quality_and_flags_the_jailed_validator(seeded_profile, cli):
    result = cli("--json", "stake", "validators", "--window", "30d")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    rows = {r["address"]: r for r in data["validators"]}
    assert len(rows) == 8
    jailed = rows[accounts.get("validator-7").address]
    lapsed = rows[accounts.get("validator-6").address]
    best = rows[accounts.get("validator-1").address]
    assert jailed["status"] == "jailed" and jailed["slashes"] == 1
    assert lapsed["status"] == "active" and lapsed["slashes"] == 1
    assert data["validators"][-1]["address"] == jailed["address"]  # sorted by score, worst last
    assert best["score"] > lapsed["score"] > jailed["score"]
    assert best["sub_scores"]["correctness"] == 100.0
    assert jailed["sub_scores"]["correctness"] < 100.0  # it vouched for the tampered result
    assert 1 <= data["nakamoto_coefficient"] <= 8
    assert abs(sum(r["share"] for r in data["validators"]) - 1.0) < 1e-4


def test_sort_filter_limit_and_bad_input(seeded_profile, cli):
    result = cli("--json", "stake", "validators", "--sort", "commission", "--limit", "3", "--status", "active")
    rows = json.loads(result.stdout)["data"]["validators"]
    assert len(rows) == 3 and all(r["status"] == "active" for r in rows)
    assert [r["commission_bps"] for r in rows] == sorted(r["commission_bps"] for r in rows)
    bad = cli("stake", "validators", "--sort", "vibes")
    assert bad.exit_code == 2 and bad.stdout == ""


def test_human_table_has_the_footer(seeded_profile, cli):
    result = cli("stake", "validators")
    assert result.exit_code == 0
    assert "Nakamoto coefficient" in result.stdout and "jailed" in result.stdout
