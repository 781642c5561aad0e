"""InferenceSettlement's batches: a node commits records paid through x402 batch-settlement
channels in one transaction (the contract claims the channels itself), validators attest a batch
with a bitmap of the records they judge invalid, and a dispute names one record by its Merkle
proof, against a validator's verdict or against the node that committed it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from web3.logs import DISCARD

from ogcli.core import batch_records
from ogcli.devnet import accounts
from ogcli.protocol.params import OPG
from tests.chain.batch_market import FEE, BatchMarket, balance, paid_batch, refused
from tests.chain.market import MODE_TEE, PRICE

pytestmark = pytest.mark.chain

MODE_VANILLA = 1
GROUND_NONE, GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER = 0, 1, 2
ZERO = "0x" + "00" * 20


@pytest.fixture
def m(fresh):
    return BatchMarket(fresh)


def test_a_batch_claims_its_channels_splits_the_fees_and_stores_only_its_root(m):
    chans, records = paid_batch(m, payers=3, calls_each=4)
    node = accounts.get("node-operator").address
    treasury = m.p.settlement.functions.treasury().call()
    publisher = accounts.get("publisher-1").address
    params = m.p.settlement.functions.params().call()
    validator_bps, treasury_bps, attesters = params[0], params[1], params[2]
    before = {a: balance(m, a) for a in (node, treasury)}
    earnings_before = m.p.hub.functions.earningsOf(publisher).call()
    calls_before = m.p.hub.functions.getModel(m.model_id).call()[11]

    committed = m.commit(chans, records)

    fees = FEE * len(records)
    validator_cut = FEE * validator_bps // 10_000
    treasury_cut = FEE * treasury_bps // 10_000
    pool = validator_cut * len(records)
    per_attester = pool // attesters
    batch = m.p.settlement.functions.getBatch(committed.batch_id).call()
    assert batch[0] == batch_records.root(committed.leaves)  # the same tree, built off chain
    assert batch[2] == len(records) and batch[3] == attesters and batch[4] == per_attester
    assert batch[5] == 2 ** len(records) - 1  # every record a TEE record
    for channel in chans:
        assert m.channels.functions.channels(channel.id).call() == [100 * OPG, channel.signed_wei]
    assert balance(m, node) - before[node] == (FEE - PRICE - validator_cut - treasury_cut) * len(records)
    assert balance(m, treasury) - before[treasury] == treasury_cut * len(records) + (pool - per_attester * attesters)
    assert m.p.hub.functions.earningsOf(publisher).call() - earnings_before == PRICE * len(records)
    assert m.p.hub.functions.getModel(m.model_id).call()[11] - calls_before == len(records)
    assert balance(m, m.p.settlement.address) >= per_attester * attesters
    event = m.p.settlement.events.BatchCommitted().process_receipt(committed.receipt.raw, errors=DISCARD)[0]["args"]
    assert (event["node"], event["records"], event["fees"]) == (node, len(records), fees)


def test_the_python_proofs_are_the_contracts_for_every_size_and_position(m):
    node = accounts.get("node-operator").address
    for count in (1, 2, 3, 5, 8, 9):
        packed = [m.batch_record(0).pack() for _ in range(count)]
        payers = [accounts.get("user").address] * count
        leaves = [batch_records.leaf(p, payers[0], node) for p in packed]
        root = batch_records.root(leaves)
        for index in range(count):
            proof = batch_records.proof(leaves, index)
            assert m.records_contract.functions.leaf(packed[index], payers[0], node).call() == leaves[index]
            assert m.records_contract.functions.proves(root, count, index, packed[index], payers[0], node, proof).call()
            # The same record is not at another position, and not for another node.
            other = (index + 1) % count
            if other != index:
                assert not m.records_contract.functions.proves(root, count, other, packed[index], payers[0], node,
                                                               proof).call()
            assert not m.records_contract.functions.proves(root, count, index, packed[index], payers[0],
                                                           payers[0], proof).call()
        assert not m.records_contract.functions.proves(root, count, count, packed[0], payers[0], node,
                                                       batch_records.proof(leaves, 0)).call()


def test_claims_must_pay_exactly_their_records(m):
    chans, records = paid_batch(m, payers=2, calls_each=2)
    # One record more than the vouchers paid for.
    extra = records + [m.batch_record(0)]
    assert "ChannelPaymentMismatch" in refused(lambda: m.commit(chans, extra))
    # A voucher claimed beyond what the records' fees add up to (the node pockets the rest).
    m.pay(chans[0], FEE)
    assert "ChannelPaymentMismatch" in refused(lambda: m.commit(chans, records))


def test_a_channel_is_counted_once_and_only_the_nodes_own(m):
    chans, records = paid_batch(m, payers=2, calls_each=1)
    twice = m.claims([chans[0], chans[0]])
    assert "ChannelsNotSorted" in refused(
        lambda: m.commit(chans, [records[0], replace(records[0], channel=1)], claims=twice))
    reversed_claims = m.claims(list(reversed(chans)))
    assert "ChannelsNotSorted" in refused(lambda: m.commit(chans, records, claims=reversed_claims))
    # Another node's channel cannot pay for this node's batch.
    foreign = m.open_channel(10 * OPG, node="validator-1")
    m.pay(foreign, FEE)
    assert "ForeignChannel" in refused(lambda: m.commit([foreign], [m.batch_record(0)]))


def test_records_out_of_time_mode_or_price_are_refused(m):
    (channel,), _ = paid_batch(m, payers=1, calls_each=0)
    m.pay(channel, FEE)
    stale = m.batch_record(0, timestamp=m.chain.now() - 3601)
    assert "RecordTimeOutOfBounds" in refused(lambda: m.commit([channel], [stale]))
    assert "UnknownMode" in refused(lambda: m.commit([channel], [m.batch_record(0, mode=3)]))
    assert "UnknownChannel" in refused(lambda: m.commit([channel], [m.batch_record(1)]))
    m.pay(channel, PRICE - FEE)  # now the voucher covers one call at PRICE: below price plus cuts
    assert "Underpaid" in refused(lambda: m.commit([channel], [m.batch_record(0, fee_wei=PRICE)]))


def test_a_valid_verdict_on_a_false_record_is_slashed_by_proof(m):
    chans, records = paid_batch(m, payers=2, calls_each=2)
    records[3] = m.batch_record(1, tamper=True)
    committed = m.commit(chans, records)
    m.attest_batch("validator-1", committed.batch_id)  # all valid: vouches for the tampered record too
    tokens = m.validator_tokens("validator-1")
    # Proving a true record, or the false one at another position, wins nothing.
    assert "DisputeRejected" in refused(lambda: m.dispute_batch("user", committed, 0, "validator-1",
                                                                  GROUND_UNKNOWN_SIGNER))
    moved = (2, records[3].pack(), committed.payers[3], committed.node, batch_records.proof(committed.leaves, 3))
    assert "BadProof" in refused(lambda: m.sender("user").transact(m.p.settlement.functions.disputeBatch(
        committed.batch_id, accounts.get("validator-1").address, moved, GROUND_UNKNOWN_SIGNER)))
    receipt = m.dispute_batch("user", committed, 3, "validator-1", GROUND_UNKNOWN_SIGNER)
    won = m.p.settlement.events.BatchDisputeWon().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]
    assert won["index"] == 3 and won["slashed"] > 0
    assert m.validator_tokens("validator-1") < tokens
    assert m.p.settlement.functions.batchVerdictOf(committed.batch_id, accounts.get("validator-1").address).call()[6]
    assert "AlreadyDisputed" in refused(lambda: m.dispute_batch("user", committed, 3, "validator-1",
                                                                  GROUND_UNKNOWN_SIGNER))


def test_an_invalid_verdict_on_a_true_record_is_slashed_and_an_uncheckable_one_is_not(m):
    chans, records = paid_batch(m, payers=1, calls_each=3)
    committed = m.commit(chans, records)
    m.attest_batch("validator-1", committed.batch_id, invalid_bits=0b010)
    m.attest_batch("validator-2", committed.batch_id, uncheckable_bits=0b100)
    assert "NotAttestedValid" in refused(lambda: m.dispute_batch("user", committed, 1, "validator-1",
                                                                   GROUND_UNKNOWN_SIGNER))
    receipt = m.dispute_batch("user", committed, 1, "validator-1", GROUND_NONE)
    assert m.p.settlement.events.BatchDisputeWon().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["slashed"] > 0
    assert "NotDisputable" in refused(lambda: m.dispute_batch("user", committed, 2, "validator-2", GROUND_NONE))


def test_verdict_bitmaps_name_only_records_of_the_batch(m):
    chans, records = paid_batch(m, payers=1, calls_each=3)
    committed = m.commit(chans, records)
    assert "BadVerdict" in refused(lambda: m.attest_batch("validator-1", committed.batch_id, invalid_bits=0b1000))
    assert "BadVerdict" in refused(lambda: m.attest_batch("validator-1", committed.batch_id, 0b1, 0b1))
    assert "NotActiveValidator" in refused(lambda: m.attest_batch("user", committed.batch_id))
    m.attest_batch("validator-1", committed.batch_id)
    assert "AlreadyAttested" in refused(lambda: m.attest_batch("validator-1", committed.batch_id))


def test_rewards_go_to_verdicts_that_stand_and_not_to_uncheckable_ones(m):
    chans, records = paid_batch(m, payers=1, calls_each=2)
    committed = m.commit(chans, records)
    per_attester = m.p.settlement.functions.getBatch(committed.batch_id).call()[4]
    m.attest_batch("validator-2", committed.batch_id, uncheckable_bits=0b01)  # a TEE record: no reward
    m.attest_batch("validator-1", committed.batch_id)
    window = m.p.settlement.functions.params().call()[3]
    v1, v2 = (accounts.get(n).address for n in ("validator-1", "validator-2"))
    assert "NothingToClaim" in refused(lambda: m.sender("user").transact(
        m.p.settlement.functions.claimBatchRewards(v1, [committed.batch_id])))
    m.chain.advance(window + 1)
    staking_before = balance(m, m.p.staking.address)
    m.sender("user").transact(m.p.settlement.functions.claimBatchRewards(v1, [committed.batch_id]))
    assert balance(m, m.p.staking.address) - staking_before == per_attester
    assert "NothingToClaim" in refused(lambda: m.sender("user").transact(
        m.p.settlement.functions.claimBatchRewards(v2, [committed.batch_id])))


def test_a_false_record_slashes_its_node_and_refunds_its_payer_once(m):
    chans, records = paid_batch(m, payers=2, calls_each=1)
    records[1] = m.batch_record(1, tamper=True)
    committed = m.commit(chans, records)
    payer = committed.payers[1]
    bond_before, payer_before = m.bonded("node-operator"), balance(m, payer)
    assert "DisputeRejected" in refused(lambda: m.dispute_batch_producer("user", committed, 0, GROUND_UNKNOWN_SIGNER))
    receipt = m.dispute_batch_producer("user", committed, 1, GROUND_UNKNOWN_SIGNER)
    slashed = m.p.settlement.events.BatchProducerSlashed().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]
    assert slashed["refund"] == FEE and balance(m, payer) - payer_before == FEE
    assert bond_before - m.bonded("node-operator") == slashed["slashed"]
    bits, until = m.p.settlement.functions.batchProducerDisputes(committed.batch_id).call()
    committed_at = m.p.settlement.functions.getBatch(committed.batch_id).call()[1]
    assert bits == 0b10 and until == committed_at + m.p.settlement.functions.params().call()[3]
    assert "ProducerAlreadyDisputed" in refused(lambda: m.dispute_batch_producer("user", committed, 1,
                                                                                  GROUND_UNKNOWN_SIGNER))


def test_a_false_record_is_disputable_against_its_node_until_the_window_at_its_commit_closes(m):
    chans, records = paid_batch(m, payers=1, calls_each=2)
    records[1] = m.batch_record(0, tamper=True)
    committed = m.commit(chans, records)
    bits, until = m.p.settlement.functions.batchProducerDisputes(committed.batch_id).call()
    assert bits == 0 and until > m.chain.now()
    m.chain.advance(until - m.chain.now() + 1)
    assert "RecordWindowClosed" in refused(lambda: m.dispute_batch_producer("user", committed, 1,
                                                                             GROUND_UNKNOWN_SIGNER))


def test_a_vanilla_record_is_not_disputable_against_its_node_and_earns_validators_nothing(m):
    chans, records = paid_batch(m, payers=1, calls_each=2, mode=MODE_VANILLA)
    committed = m.commit(chans, records)
    batch = m.p.settlement.functions.getBatch(committed.batch_id).call()
    assert batch[3] == 0 and batch[4] == 0 and batch[5] == 0
    assert "UnsupportedMode" in refused(lambda: m.dispute_batch_producer("user", committed, 0, GROUND_BAD_SIGNATURE))


# ------------------------------------------------------------------ BatchRecords.split, reckoned independently

VALIDATOR_BPS, TREASURY_BPS = 1_000, 500


def _publish(m, name: str, price: int, modes: int) -> int:
    import hashlib
    import os

    receipt = m.sender("publisher-1").transact(
        m.p.hub.functions.publish("bafy-split", hashlib.sha256(os.urandom(8)).digest(), name, price, modes, ""))
    return m.p.hub.events.ModelPublished().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["modelId"]


def _split(m, records, payers):
    node = accounts.get("node-operator").address
    return m.records_contract.functions.split(batch_records.pack_all(records), payers, node, VALIDATOR_BPS,
                                              TREASURY_BPS, m.p.hub.address).call()


def _split_refusal(m, records, payers) -> str:
    from ogcli.chain import revert

    with pytest.raises(Exception) as caught:
        _split(m, records, payers)
    data = getattr(caught.value, "data", None)
    return revert.describe(data if isinstance(data, str) else None)


def _reckon(m, records, payers):
    """What split must answer, computed here from the rules as `settle` states them."""
    node = accounts.get("node-operator").address
    totals = dict(fees=0, to_node=0, to_treasury=0, pool=0, tee_fees=0, tee_mask=0)
    owed = [0] * len(payers)
    runs: list[list[int]] = []
    for i, r in enumerate(records):
        price, callable_ = m.p.hub.functions.callTerms(r.model_id, r.mode).call()
        assert callable_
        v_cut, t_cut = r.fee_wei * VALIDATOR_BPS // 10_000, r.fee_wei * TREASURY_BPS // 10_000
        owed[r.channel] += r.fee_wei
        if not runs or runs[-1][0] != r.model_id:
            runs.append([r.model_id, 0, 0])
        runs[-1][1] += 1
        runs[-1][2] += price
        totals["fees"] += r.fee_wei
        totals["to_node"] += r.fee_wei - price - v_cut - t_cut
        totals["to_treasury"] += t_cut + (0 if r.mode == MODE_TEE else v_cut)
        if r.mode == MODE_TEE:
            totals["pool"] += v_cut
            totals["tee_fees"] += r.fee_wei
            totals["tee_mask"] |= 1 << i
    leaves = [batch_records.leaf(r.pack(), payers[r.channel], node) for r in records]
    expected_totals = (batch_records.root(leaves), totals["fees"], totals["to_node"], totals["to_treasury"],
                       totals["pool"], totals["tee_fees"], totals["tee_mask"])
    return expected_totals, owed, [tuple(run) for run in runs]


def test_split_answers_what_the_rules_reckon_on_mixed_batches_and_names_the_first_bad_record(m):
    """BatchRecords.split's loop is assembly (it runs once per call served): on batches mixing
    models, modes, channels and fees in random runs, its totals, per-channel dues, model runs and
    root must equal an independent reckoning, and a batch with one bad record must be refused
    with that record's own error, wherever it sits."""
    import random

    rng = random.Random(16)
    cheap, dear = _publish(m, "cheap", PRICE // 3, 3), _publish(m, "dear", PRICE * 5, 1)  # vanilla + TEE; vanilla only
    models = {m.model_id: (1, 2), cheap: (1, 2), dear: (1,)}
    payers = [accounts.get(name).address for name in ("user", "validator-1", "validator-2", "publisher-1")]
    for size in (1, 2, 3, 37, 256):
        records = []
        while len(records) < size:
            model = rng.choice(list(models))
            for _ in range(rng.randint(1, 6)):
                mode = rng.choice(models[model])
                price = m.p.hub.functions.callTerms(model, mode).call()[0]
                least = -(-price * 10_000 // (10_000 - VALIDATOR_BPS - TREASURY_BPS))  # price + cuts <= fee
                fee = least + rng.choice((0, 0, 1, rng.randrange(10**15)))
                records.append(m.batch_record(rng.randrange(len(payers)), model_id=model, mode=mode, fee_wei=fee))
        records = records[:size]
        totals, owed, runs = _split(m, records, payers)
        assert (tuple(totals), list(owed), [tuple(r) for r in runs]) == _reckon(m, records, payers)

    records = [m.batch_record(k % 4, fee_wei=FEE) for k in range(40)]
    assert _reckon(m, records, payers)  # the batch itself is good
    bad = 23
    now = m.chain.now()
    price = m.p.hub.functions.callTerms(m.model_id, MODE_TEE).call()[0]
    required = price + FEE // 2 * VALIDATOR_BPS // 10_000 + FEE // 2 * TREASURY_BPS // 10_000
    cases = {
        f"UnknownChannel(record={bad})": replace(records[bad], channel=4),
        "UnknownMode(mode=3)": replace(records[bad], mode=3),
        "RecordTimeOutOfBounds": replace(records[bad], timestamp=now + 3600),
        "RecordTimeOutOfBounds(": replace(records[bad], timestamp=now - 3601),
        f"ModelNotCallable(modelId={dear}, mode=2)": replace(records[bad], model_id=dear),
        f"Underpaid(paid={FEE // 2}, required={required})": replace(records[bad], fee_wei=FEE // 2),
        "UnknownModel": replace(records[bad], model_id=999),
    }
    for error, broken in cases.items():
        batch = records[:bad] + [broken] + records[bad + 1:]
        assert error in _split_refusal(m, batch, payers)
    def pays(fee: int) -> bool:
        return fee >= price + fee * VALIDATOR_BPS // 10_000 + fee * TREASURY_BPS // 10_000

    least = -(-price * 10_000 // (10_000 - VALIDATOR_BPS - TREASURY_BPS))
    while pays(least - 1):  # the cuts round down: the exact least fee can be a little lower
        least -= 1
    edge = records[:bad] + [replace(records[bad], fee_wei=least)] + records[bad + 1:]
    assert _split(m, edge, payers)[0][1] == sum(r.fee_wei for r in edge)  # exactly price + cuts passes
    below = records[:bad] + [replace(records[bad], fee_wei=least - 1)] + records[bad + 1:]
    assert "Underpaid" in _split_refusal(m, below, payers)


# ------------------------------------------------------------------ the verifier role on batches


def test_the_verifier_attests_a_batch_from_its_calldata_once_and_its_verdict_stands(m, tmp_path):
    """The verifier reads a committed batch's records back from the commitBatch calldata, checks
    them against the root on chain, and attests the contract's bitmaps: the false record (its
    output is not what the enclave signed) invalid, the rest valid. The verdict cannot be
    disputed on any record; the vouching validator's can, by proof. A second round, or a restart
    with its state, attests nothing again."""
    from ogcli.chain.sender import Sender
    from ogcli.node.verifier import Verifier

    chans, records = paid_batch(m, payers=2, calls_each=3)
    records[4] = m.batch_record(1, tamper=True)
    vanilla = m.batch_record(0, mode=MODE_VANILLA, fee_wei=FEE)
    m.pay(chans[0], FEE)
    committed = m.commit(chans, [*records, vanilla])
    validator = accounts.get("validator-1").local_account
    state = tmp_path / "verifier.db"
    verifier = Verifier(m.p, Sender(m.chain.w3, validator), state, confirmations=0)
    assert verifier.step() == 1
    assert verifier.batch_verdicts() == {committed.batch_id: (1 << 4, 0)}
    on_chain = m.p.settlement.functions.batchVerdictOf(committed.batch_id, validator.address).call()
    assert on_chain[0] and on_chain[2] == 1 << 4 and on_chain[3] == 0
    for index in range(len(committed.records)):
        for ground in (GROUND_NONE, GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER):
            refused(lambda: m.dispute_batch("user", committed, index, "validator-1", ground))
    nonce = m.chain.w3.eth.get_transaction_count(validator.address)
    assert verifier.step() == 0
    verifier.stop()
    restarted = Verifier(m.p, Sender(m.chain.w3, validator), state, confirmations=0)
    assert restarted.step() == 0 and m.chain.w3.eth.get_transaction_count(validator.address) == nonce
    restarted.stop()
    amnesiac = Verifier(m.p, Sender(m.chain.w3, validator), tmp_path / "lost.db", confirmations=0)
    amnesiac.step()  # the chain says it attested already: recorded, nothing sent
    assert m.chain.w3.eth.get_transaction_count(validator.address) == nonce
    assert list(amnesiac.batch_verdicts()) == [committed.batch_id]
    amnesiac.stop()
    m.attest_batch("validator-2", committed.batch_id)  # vouches for the false record too
    tokens = m.validator_tokens("validator-2")
    m.dispute_batch("user", committed, 4, "validator-2", GROUND_UNKNOWN_SIGNER)
    assert m.validator_tokens("validator-2") < tokens


def test_the_verifier_abstains_from_a_batch_whose_calldata_does_not_make_its_root(m, tmp_path):
    """Records the verifier cannot read back as committed (here: a batch committed through a
    contract, so the transaction's calldata is not the commitBatch call) get no verdict."""
    from ogcli.verify.batch_judge import BatchJudge

    chans, records = paid_batch(m, payers=1, calls_each=2)
    committed = m.commit(chans, records)
    judge = BatchJudge(m.p, documents=None)
    some_other_tx = m.sender("user").transact(m.p.token.functions.transfer(accounts.get("user").address, 1))
    verdict = judge.verdict(committed.batch_id, some_other_tx.tx_hash)
    assert verdict.abstains and "another contract" in verdict.reasons[0]


def test_the_batch_judge_asks_the_chain_once_per_signer_and_second(m, monkeypatch):
    """The chain is asked about one record of each (signer, second) class (a false record
    recovers to a signer of its own, so each is its own class), not about every record: the
    contract's inspect (the signer it recovers) once per signer, the registry once per signer and
    class. A signer the chain recovers otherwise than the judge makes the judge abstain."""
    from ogcli.chain import multicall
    from ogcli.verify import batch_judge
    from ogcli.verify.batch_judge import BatchJudge

    chans, records = paid_batch(m, payers=2, calls_each=4, timestamp=m.chain.now())
    later = records[0].timestamp + 1
    m.chain.advance(1)  # the commit's block is at `later` or after
    records[1] = m.batch_record(0, tamper=True, timestamp=records[0].timestamp)
    records[5] = m.batch_record(1, timestamp=later)
    committed = m.commit(chans, records)
    tx_hash = committed.receipt.raw["transactionHash"].hex()
    asked = []
    real_read_many = multicall.read_many
    monkeypatch.setattr(multicall, "read_many", lambda rpc, reads: asked.append(reads) or real_read_many(rpc, reads))
    judge = BatchJudge(m.p, documents=_NoProblems())
    verdict = judge.verdict(committed.batch_id, tx_hash)
    assert verdict.invalid_bits == 1 << 1, verdict.reasons
    [reads] = asked
    functions = [r.function for r in reads]
    assert functions.count("inspect") == 2  # one of the enclave's records, and the false one
    assert functions.count("isRegistered") == 2  # the enclave, and whoever the false record recovers to
    assert functions.count("isActive") == 3  # the enclave at two seconds, the false record's signer

    real_view = batch_judge.record_view
    stranger = accounts.get("user").address

    def misread(record, separator):  # test double: this verifier's recovery gone wrong for record 5
        view = real_view(record, separator)
        return {**view, "enclaveSigner": stranger} if record.request_id == records[5].request_id else view

    monkeypatch.setattr(batch_judge, "record_view", misread)
    wrong = judge.verdict(committed.batch_id, tx_hash)
    assert wrong.abstains and wrong.reasons == ("record 5: the chain recovers another signer than this verifier",)

    def unrecovered(record, separator):  # test double: record 6's signature fails here
        view = real_view(record, separator)
        return {**view, "enclaveSigner": ZERO} if record.request_id == records[6].request_id else view

    monkeypatch.setattr(batch_judge, "record_view", unrecovered)
    wrong = judge.verdict(committed.batch_id, tx_hash)
    assert wrong.abstains and wrong.reasons == ("record 6: its signature recovers on chain, not here",)


class _NoProblems:
    """Test double of DocumentChecks: every enclave's registered document verifies."""

    def problem(self, signer):
        return None
