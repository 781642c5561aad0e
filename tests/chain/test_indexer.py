"""The event index: complete, resumable, and rewound on a reorg; `network stats` reads it."""

from __future__ import annotations

import json

import pytest

from ogcli.chain.indexer import Indexer
from ogcli.devnet import accounts

pytestmark = pytest.mark.chain


def _direct_count(chain, contract, name) -> int:
    return len(getattr(contract.events, name)().get_logs(from_block=0))


def test_index_matches_the_chain_and_resumes(seeded, tmp_path):
    with seeded.snapshot():
        index = Indexer(seeded.protocol, tmp_path / "index.sqlite")
        first = index.sync()
        assert first.events > 300 and not first.rewound
        settlement, staking = seeded.protocol.settlement, seeded.protocol.staking
        assert len(index.events("InferenceSettled")) == _direct_count(seeded, settlement, "InferenceSettled")
        assert len(index.events("Attested")) == _direct_count(seeded, settlement, "Attested")
        assert len(index.events("Delegated")) == _direct_count(seeded, staking, "Delegated")
        [(timestamp, actor, args)] = index.events("DisputeWon")[:1]
        assert actor == args["validator"] and timestamp > 0
        assert index.sync().events == 0  # nothing new: resumes from its checkpoint
        total = index.count()
        index.close()
        again = Indexer(seeded.protocol, tmp_path / "index.sqlite")  # reopened: same data, no rework
        assert again.count() == total and again.sync().events == 0
        again.close()


def test_a_reorg_rewinds_and_rereads(fresh, tmp_path):
    from tests.chain.conftest import send_as

    chain = fresh
    staking, token = chain.protocol.staking.functions, chain.protocol.token.functions
    deployer = accounts.get("deployer").address
    index = Indexer(chain.protocol, tmp_path / "index.sqlite")
    index.sync()
    fork = chain.rpc("evm_snapshot")
    validator = accounts.get("validator-1").address
    send_as(chain, deployer, token.transfer(validator, 20_000 * 10**18))
    send_as(chain, validator, token.approve(chain.protocol.staking.address, 20_000 * 10**18))
    send_as(chain, validator, staking.registerValidator(500, "data:,orphan", 20_000 * 10**18))
    index.sync()
    assert len(index.events("ValidatorRegistered")) == 1
    assert chain.rpc("evm_revert", [fork]) is True  # the chain reorganises past that registration
    for _ in range(5):
        chain.rpc("evm_mine")
    result = index.sync()
    assert result.rewound is True
    assert index.events("ValidatorRegistered") == []
    index.close()


def test_network_stats_agree_with_the_chain(seeded_profile, cli):
    result = cli("--json", "network", "stats", "--window", "30d")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    settled = seeded_profile.protocol.settlement.events.InferenceSettled().get_logs(from_block=0)
    assert data["totals"]["inferences"] == len(settled) == sum(data["series"]["inferences"])
    assert data["totals"]["active_wallets"] == len({log["args"]["payer"] for log in settled})
    assert int(data["totals"]["fees_wei"]) == sum(log["args"]["fee"] for log in settled)
    assert data["stake"]["validators"] == 8 and 1 <= data["stake"]["nakamoto_coefficient"] <= 8
    assert data["totals"]["models_live"] == 4
    human = cli("network", "stats")
    assert human.exit_code == 0 and "Nakamoto coefficient" in human.stdout
    assert cli("network", "stats", "--window", "1y").exit_code == 2


def test_fast_decoding_agrees_with_web3(seeded):
    """The indexer's decoder (static words read directly) gives what web3 gives, for every log."""
    from ogcli.chain import events as event_logs
    from ogcli.chain.indexer import INDEXED

    protocol = seeded.protocol
    checked = set()
    for name, events in INDEXED.items():
        contract = protocol.contract(name)
        raw = protocol.rpc.batch([("eth_getLogs", [{"address": contract.address, "fromBlock": "0x0", "toBlock": "latest"}])])[0]
        ours = {(e.block, e.log_index): e for e in event_logs.decode(contract, tuple(events), raw)}
        for event_name in events:
            for log in getattr(contract.events, event_name)().get_logs(from_block=0):
                mine = ours[(log["blockNumber"], log["logIndex"])]
                theirs = {k: (dict(v) if hasattr(v, "keys") else v) for k, v in log["args"].items()}
                assert mine.args == theirs, (event_name, mine.args, theirs)
                checked.add(event_name)
    assert {"InferenceSettled", "Attested", "Delegated", "VoteCast", "Slashed", "ProposalCreated"} <= checked


def test_batches_are_indexed_and_counted_with_the_gas_their_calls_paid(devnet_profile, cli, tmp_path):
    """Calls committed in batches are inferences too: `network stats` counts a batch's records,
    fees and payers with those settled alone, and says what settlement by channel cost a call (the
    batches' transactions' gas over their calls), read from the index."""
    from tests.chain.batch_market import BatchMarket, paid_batch

    market = BatchMarket(devnet_profile)
    chans, records = paid_batch(market, payers=2, calls_each=3)
    committed = market.commit(chans, records)
    market.attest_batch("validator-1", committed.batch_id, invalid_bits=0b1)
    stats = json.loads(cli("--json", "network", "stats").stdout)["data"]
    totals = stats["totals"]
    assert totals["inferences"] == totals["inferences_in_batches"] == 6 and totals["batches"] == 1
    assert totals["batch_gas_per_call"] == round(committed.receipt.gas_used / 6)
    assert int(totals["fees_wei"]) == sum(r.fee_wei for r in records)
    assert totals["batch_verdicts"] == 1 and sum(stats["series"]["inferences"]) == 6
    assert totals["active_wallets"] == 2  # the batch's two payers, the window's only ones
    human = cli("network", "stats")
    assert human.exit_code == 0 and "6  in 1 batch" in human.stdout and "1 batches" not in human.stdout

    from tui.screens.feed import describe

    [(_t, node, args)] = Indexer.for_network(devnet_profile.protocol, "test").events("BatchCommitted")
    assert node == accounts.get("node-operator").address and args["gasUsed"] == committed.receipt.gas_used
    assert describe("BatchCommitted", args).startswith(f"batch {committed.batch_id}: 6 calls")


def test_a_cache_of_another_version_is_read_again(fresh, tmp_path):
    """A cache written by a version that indexed other events would lack the new ones for every
    block it had read: it is dropped and read again from the deployment."""
    index = Indexer(fresh.protocol, tmp_path / "index.sqlite")
    index.sync()
    total = index.count()
    index.db.execute("UPDATE meta SET value = 'an older list of events' WHERE key = 'version'")
    index.close()
    again = Indexer(fresh.protocol, tmp_path / "index.sqlite")
    assert again.count() == 0 and again.sync().events == total
    again.close()
