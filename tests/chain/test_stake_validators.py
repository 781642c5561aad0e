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


def test_a_hundred_validators_cost_three_round_trips(seeded_profile, cli):
    """The whole table (states, scores from two weeks of history, Nakamoto footer) in at most
    3 JSON-RPC round trips, counted at the HTTP level by a relay in front of Anvil."""
    from ogcli.devnet.bulk import add_validators
    from tests.chain.rpc_counter import CountingProxy

    with seeded_profile.snapshot():
        before = seeded_profile.protocol.staking.functions.validatorCount().call()
        add_validators(seeded_profile.url, seeded_profile.protocol, 100 - before, accounts.get("deployer").address, 10_000 * 10**18)
        assert seeded_profile.protocol.staking.functions.validatorCount().call() == 100
        with CountingProxy(seeded_profile.url) as proxy:
            result = cli("--rpc-url", proxy.url, "--json", "stake", "validators", "--window", "30d")
        assert result.exit_code == 0, result.stderr
        rows = json.loads(result.stdout)["data"]["validators"]
        assert len(rows) == 100
        assert len(proxy.round_trips) <= 3, proxy.round_trips
        assert {r["moniker"] for r in rows} >= {"Bulk 0", "Bulk 91", "Aurora Labs"}


READ_COMMANDS = [
    ["stake", "validators"],
    ["stake", "validator", accounts.get("validator-1").address],
    ["stake", "positions", accounts.get("user").address],
    ["network", "stats"],
    ["network", "status"],
    ["gov", "proposals"],
    ["gov", "whitelist"],
    ["model", "list"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_read_commands_do_not_load_web3(seeded_profile, command):
    """Read commands answer from chain.rpc and chain.codec: web3 (a second to import) stays out."""
    import subprocess
    import sys

    probe = (
        "import sys, io, contextlib, json\n"
        "from ogcli.main import app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        f"        app(args=['--json', *{command!r}], prog_name='ogcli', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "ok = json.loads(out.getvalue())['ok']\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'web3', 'eth_abi', 'eth_account', 'eth_utils', 'textual'})\n"
        "print('@@' + json.dumps({'ok': ok, 'heavy': heavy}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.rsplit("@@", 1)[1])
    assert report == {"ok": True, "heavy": []}
