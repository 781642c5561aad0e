"""Attacks on InferenceSettlement's batches (commitBatch, attestBatch, disputeBatch,
disputeBatchProducer, claimBatchRewards, sweepUnusedBatchRewards), BatchRecords and the x402
channels. Every test drives one attack end to end and asserts that it fails: a passing test is a
closed hole, a failing one an open hole."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_abi import encode
from web3.logs import DISCARD

from ogcli.core import batch_records
from ogcli.core.records import keccak
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.protocol.params import OPG
from tests.chain.batch_market import FEE, BatchMarket, balance, paid_batch, refused

pytestmark = pytest.mark.chain

GROUND_NONE, GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER, GROUND_NOT_APPROVED = 0, 1, 2, 3
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ROW_TYPE = "(((address,address,address,address,address,uint40,bytes32),uint128),bytes,uint128)"


@pytest.fixture
def m(fresh):
    return BatchMarket(fresh)


def window(m) -> int:
    return m.p.settlement.functions.params().call()[3]


def addr(name: str) -> str:
    return accounts.get(name).address


# ------------------------------------------------------------------ crafted claims calldata


def _word(value: int) -> bytes:
    return (value % 2**256).to_bytes(32, "big")


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 32)


def test_a_claims_row_offset_pointing_before_the_array_cannot_make_the_two_decoders_disagree(m):
    """The settlement decodes `claims` from its own calldata while BatchSettlement decodes the copy
    _forwardClaims makes of it (from the array's length word to the end). A row whose offset is
    negative points, for the settlement, at bytes placed before the array (a gap after the head);
    in the copy those bytes are not there. The settlement must not count a claim that
    BatchSettlement did not make, nor may BatchSettlement claim a row the settlement did not check."""
    (chan,), records = paid_batch(m, payers=1, calls_each=2)
    row = m.claims([chan])[0]
    row_tuple = encode([ROW_TYPE], [row])[32:]  # the row's own encoding (its tail)
    packed = batch_records.pack_all(records)
    records_tail = _word(len(packed)) + _padded(packed)
    selector = m.p.settlement.functions.commitBatch([row], packed)._encode_transaction_data()[:10]
    selector = bytes.fromhex(selector[2:])

    def calldata(row_at_gap: bool) -> str:
        gap = row_tuple if row_at_gap else b""
        head_size = 64
        records_at = head_size + len(gap)
        claims_at = records_at + len(records_tail)
        base = claims_at + 32  # the array's offsets count from after its length word
        if row_at_gap:
            claims_tail = _word(1) + _word(head_size - base)  # negative: back into the gap
        else:
            claims_tail = _word(1) + _word(32) + row_tuple  # a well-formed array placed after the records
        body = _word(claims_at) + _word(records_at) + gap + records_tail + claims_tail
        return "0x" + (selector + body).hex()

    tx = {"from": addr("node-operator"), "to": m.p.settlement.address}
    # Control: the same claim, encoded unusually (claims after records) but consistently, is accepted.
    ok = m.chain.w3.eth.call({**tx, "data": calldata(False)})
    assert int.from_bytes(ok, "big") == m.p.settlement.functions.batchCount().call() + 1
    # The attack: the settlement reads a row at a negative offset; the forwarded copy does not hold it.
    with pytest.raises(Exception) as caught:
        m.chain.w3.eth.call({**tx, "data": calldata(True)})
    # BatchSettlement reads zeros there (receiver 0) and refuses: NotAuthorizedToClaim().
    assert "defb7069" in str(caught.value.args)
    assert m.channels.functions.channels(chan.id).call()[1] == 0  # nothing claimed


def test_a_node_cannot_claim_another_nodes_channel_through_the_channels_contract(m):
    """The settlement is every node's channel receiver; a node is only its own channels' receiver
    authorizer, so it can neither claim a competitor's channel directly nor through a batch."""
    victim = m.open_channel(10 * OPG, node="validator-1")
    m.pay(victim, FEE)
    rows = m.claims([victim])
    assert "NotAuthorizedToClaim" in refused(lambda: m.sender("node-operator").transact(m.channels.functions.claim(rows)))
    assert "ForeignChannel" in refused(lambda: m.sender("node-operator").transact(
        m.commit_call(rows, [m.batch_record(0)])))
    assert m.channels.functions.channels(victim.id).call()[1] == 0


def test_money_a_node_claims_outside_a_batch_is_paid_by_its_records_or_returned_to_its_payer(m):
    """A node is its channels' receiver authorizer, so BatchSettlement lets it claim a voucher
    directly, without committing records, and the next settle() (any node's next batch) sweeps that
    money into the settlement. It must not stay there with no record to show for it: the node's
    next batch on the channel counts it towards its records' fees, and a claim no records ever
    back goes back to the payer, once, on anyone's call."""
    (chan,), _ = paid_batch(m, payers=1, calls_each=0)
    records = []
    for _ in range(3):
        m.pay(chan, FEE)
        records.append(m.batch_record(0))
    node = m.sender("node-operator")
    node.transact(m.channels.functions.claim(m.claims([chan])))  # outside any batch
    m.commit(*paid_batch(m, payers=1, calls_each=1, mode=1))  # another batch sweeps it in
    committed = m.commit([chan], records)  # the records of those calls, on the voucher already claimed
    event = m.p.settlement.events.BatchCommitted().process_receipt(committed.receipt.raw, errors=DISCARD)[0]["args"]
    assert event["fees"] == 3 * FEE

    m.pay(chan, 2 * FEE)
    node.transact(m.channels.functions.claim(m.claims([chan])))  # a claim no records will back
    payer = chan.payer.address
    before = balance(m, payer)
    m.sender("user").transact(m.p.settlement.functions.returnUnrecorded(chan.config))
    assert balance(m, payer) - before == 2 * FEE
    m.sender("user").transact(m.p.settlement.functions.returnUnrecorded(chan.config))
    assert balance(m, payer) - before == 2 * FEE  # once


def test_return_unrecorded_pays_nothing_for_batched_money_or_another_receivers_channel(m):
    """returnUnrecorded pays out of the settlement's balance, so it must pay only what a channel of
    the settlement's own claimed beyond every batch: nothing for money its records accounted for,
    nothing (a refusal) for a channel whose claims went to another receiver."""
    (chan,), records = paid_batch(m, payers=1, calls_each=2)
    m.commit([chan], records)
    settlement = m.p.settlement.address
    before = balance(m, settlement)
    receipt = m.sender("user").transact(m.p.settlement.functions.returnUnrecorded(chan.config))
    assert balance(m, settlement) == before
    assert not m.p.settlement.events.UnrecordedClaimReturned().process_receipt(receipt.raw, errors=DISCARD)
    # A channel paying the node directly: the node claims it (as its receiver) on BatchSettlement.
    own = m.open_channel(10 * OPG, receiver=addr("node-operator"))
    m.pay(own, 3 * FEE)
    m.sender("node-operator").transact(m.channels.functions.claim(m.claims([own])))
    assert m.channels.functions.channels(own.id).call()[1] == 3 * FEE
    assert "ForeignChannel" in refused(lambda: m.sender("user").transact(
        m.p.settlement.functions.returnUnrecorded(own.config)))
    assert balance(m, settlement) == before


# ------------------------------------------------------------------ signatures


def _malleate(signature: bytes) -> bytes:
    """The other (high-s) signature of the same message by the same key."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def test_a_malleated_or_raw_v_signature_is_false_for_everyone_and_never_traps_an_honest_verdict(m):
    """A record whose signature is the enclave's, malleated to high s, or with v as 0/1: the
    contract (OpenZeppelin ECDSA) does not recover it, so it is a bad signature. A validator who
    calls it invalid must not be slashable; one who vouches for it must be; its node pays."""
    (chan,), _ = paid_batch(m, payers=1, calls_each=0)
    good = m.batch_record(0)
    high_s = m.batch_record(0)
    high_s = replace(high_s, signature=_malleate(high_s.signature))
    raw_v = m.batch_record(0)
    raw_v = replace(raw_v, signature=raw_v.signature[:64] + bytes([raw_v.signature[64] - 27]))
    records = [good, high_s, raw_v]
    for _ in records:
        m.pay(chan, FEE)
    committed = m.commit([chan], records)
    m.attest_batch("validator-1", committed.batch_id, invalid_bits=0b110)  # honest
    m.attest_batch("validator-2", committed.batch_id)  # vouches for all three
    for index in (1, 2):
        assert "DisputeRejected" in refused(lambda: m.dispute_batch("user", committed, index, "validator-1",
                                                                      GROUND_NONE))
    # Its valid verdict on the true record 0 cannot be disputed on any ground.
    for ground in (GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER, GROUND_NOT_APPROVED):
        assert "DisputeRejected" in refused(lambda: m.dispute_batch("user", committed, 0, "validator-1", ground))
    tokens = m.validator_tokens("validator-2")
    m.dispute_batch("user", committed, 1, "validator-2", GROUND_BAD_SIGNATURE)
    assert m.validator_tokens("validator-2") < tokens
    payer_before = balance(m, committed.payers[2])
    receipt = m.dispute_batch_producer("user", committed, 2, GROUND_BAD_SIGNATURE)
    slashed = m.p.settlement.events.BatchProducerSlashed().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]
    assert slashed["refund"] == FEE and balance(m, committed.payers[2]) - payer_before == FEE


# ------------------------------------------------------------------ proofs


def test_a_record_cannot_be_proven_where_it_is_not_nor_for_another_node_or_payer(m):
    chans, records = paid_batch(m, payers=2, calls_each=2)
    records[2] = m.batch_record(1, tamper=True)
    committed = m.commit(chans, records)  # 4 records: two levels
    settlement = m.p.settlement.functions
    i = 2
    packed, proof = records[i].pack(), batch_records.proof(committed.leaves, i)
    attempts = {
        "other node": (i, packed, committed.payers[i], addr("validator-1"), proof),
        "other payer": (i, packed, addr("user"), committed.node, proof),
        "padding index": (5, packed, committed.payers[i], committed.node, proof),
        "wrapped index": (i + 4, packed, committed.payers[i], committed.node, proof),  # same low bits
        "short proof": (i, packed, committed.payers[i], committed.node, proof[:1]),
        "long proof": (i, packed, committed.payers[i], committed.node, proof + [bytes(32)]),
    }
    for name, p in attempts.items():
        assert "BadProof" in refused(lambda: m.sender("user").transact(
            settlement.disputeBatchProducer(committed.batch_id, p, GROUND_UNKNOWN_SIGNER))), name
    # An inner node as a "leaf": the level-1 pair (record 2, record 3) proven with one sibling.
    level1 = keccak(committed.leaves[2] + committed.leaves[3])
    sibling = keccak(committed.leaves[0] + committed.leaves[1])
    assert keccak(sibling + level1) == batch_records.root(committed.leaves)
    assert not m.records_contract.functions.proves(
        batch_records.root(committed.leaves), 4, 1, packed, committed.payers[i], committed.node, [sibling]).call()
    # The honest path still works, once, and refunds the actual payer.
    payer_before = balance(m, committed.payers[i])
    m.dispute_batch_producer("user", committed, i, GROUND_UNKNOWN_SIGNER)
    assert balance(m, committed.payers[i]) - payer_before == FEE


def test_a_record_committed_twice_refunds_each_payment_once_and_not_more(m):
    """The same (false) record at two positions: each position was paid for, so each can be
    refunded once; neither position can be refunded twice."""
    (chan,), _ = paid_batch(m, payers=1, calls_each=0)
    false = m.batch_record(0, tamper=True)
    m.pay(chan, FEE)
    m.pay(chan, FEE)
    committed = m.commit([chan], [false, false])
    payer = committed.payers[0]
    before = balance(m, payer)
    m.dispute_batch_producer("user", committed, 0, GROUND_UNKNOWN_SIGNER)
    m.dispute_batch_producer("user", committed, 1, GROUND_UNKNOWN_SIGNER)
    for index in (0, 1):
        assert "ProducerAlreadyDisputed" in refused(lambda: m.dispute_batch_producer("user", committed, index,
                                                                                      GROUND_UNKNOWN_SIGNER))
    assert balance(m, payer) - before == 2 * FEE  # exactly what it paid


# ------------------------------------------------------------------ rewards and accounting


def test_rewards_cannot_be_taken_twice_swept_away_or_kept_after_a_won_dispute_and_all_fees_are_accounted(m):
    settlement = m.p.settlement
    base = balance(m, settlement.address)
    chans, records = paid_batch(m, payers=2, calls_each=2)
    records[3] = m.batch_record(1, tamper=True)
    committed = m.commit(chans, records)
    bid = committed.batch_id
    per_attester = settlement.functions.getBatch(bid).call()[4]
    attesters = settlement.functions.params().call()[2]
    assert balance(m, settlement.address) - base == per_attester * attesters  # only the reward pool stays
    m.attest_batch("validator-1", bid, invalid_bits=0b1000)  # honest
    m.attest_batch("validator-2", bid)  # vouches for the false record 3
    treasury = settlement.functions.treasury().call()
    treasury_before = balance(m, treasury)
    m.dispute_batch("user", committed, 3, "validator-2", GROUND_UNKNOWN_SIGNER)
    # The forfeited reward went to the treasury (together with the treasury's slash share).
    assert balance(m, treasury) - treasury_before >= per_attester
    # Sweep cannot run early, nor take slots already taken.
    assert "RewardsStillOpen" in refused(lambda: m.sender("user").transact(
        settlement.functions.sweepUnusedBatchRewards([bid])))
    # Nobody can dispute the honest verdict on any record.
    for index in range(4):
        for ground in (GROUND_NONE, GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER, GROUND_NOT_APPROVED):
            with pytest.raises(RevertedError):
                m.dispute_batch("user", committed, index, "validator-1", ground)
    m.chain.advance(window(m) + 1)
    m.sender("user").transact(settlement.functions.sweepUnusedBatchRewards([bid, bid]))
    m.sender("user").transact(settlement.functions.sweepUnusedBatchRewards([bid]))
    v1, v2 = addr("validator-1"), addr("validator-2")
    staking_before = balance(m, m.p.staking.address)
    m.sender("user").transact(settlement.functions.claimBatchRewards(v1, [bid, bid]))  # the id twice
    assert balance(m, m.p.staking.address) - staking_before == per_attester
    assert "NothingToClaim" in refused(lambda: m.sender("user").transact(
        settlement.functions.claimBatchRewards(v1, [bid])))
    assert "NothingToClaim" in refused(lambda: m.sender("user").transact(
        settlement.functions.claimBatchRewards(v2, [bid])))
    # After all of it, the settlement holds exactly what it held before the batch.
    assert balance(m, settlement.address) == base


def test_a_verdict_given_after_the_reward_window_still_answers_for_a_false_record(m):
    chans, records = paid_batch(m, payers=1, calls_each=1, tamper=True)
    committed = m.commit(chans, records)
    m.chain.advance(window(m) + 1)
    m.sender("user").transact(m.p.settlement.functions.sweepUnusedBatchRewards([committed.batch_id]))
    m.attest_batch("validator-1", committed.batch_id)  # too late for a reward, not for a dispute
    tokens = m.validator_tokens("validator-1")
    m.dispute_batch("user", committed, 0, "validator-1", GROUND_UNKNOWN_SIGNER)
    assert m.validator_tokens("validator-1") < tokens


def test_uncheckable_bits_cannot_earn_a_reward_while_dodging_a_false_tee_record(m):
    """Calling the false TEE record uncheckable dodges its dispute, so it must forfeit the reward;
    calling only a vanilla record uncheckable keeps the reward but leaves the TEE records disputable."""
    (chan,), _ = paid_batch(m, payers=1, calls_each=0)
    records = [m.batch_record(0, tamper=True), m.batch_record(0, mode=1)]
    for _ in records:
        m.pay(chan, FEE)
    committed = m.commit([chan], records)
    bid = committed.batch_id
    m.attest_batch("validator-1", bid, uncheckable_bits=0b01)
    m.attest_batch("validator-2", bid, uncheckable_bits=0b10)
    assert "NotDisputable" in refused(lambda: m.dispute_batch("user", committed, 0, "validator-1",
                                                                GROUND_UNKNOWN_SIGNER))
    view1 = m.p.settlement.functions.batchVerdictOf(bid, addr("validator-1")).call()
    assert view1[4] is False  # not rewarded
    tokens = m.validator_tokens("validator-2")
    m.dispute_batch("user", committed, 0, "validator-2", GROUND_UNKNOWN_SIGNER)
    assert m.validator_tokens("validator-2") < tokens
    m.chain.advance(window(m) + 1)
    for v in ("validator-1", "validator-2"):
        assert "NothingToClaim" in refused(lambda: m.sender("user").transact(
            m.p.settlement.functions.claimBatchRewards(addr(v), [bid])))


def test_an_invalid_verdict_on_a_record_whose_enclave_registers_later_stays_safe(m):
    """A record signed by a key nobody registered: the honest verdict is invalid. The node then
    registers that key (after the record): the dispute against the invalid verdict must still fail."""
    from eth_account import Account
    from tests.chain.enclaves import register_dev_enclave

    key = Account.create()
    (chan,), _ = paid_batch(m, payers=1, calls_each=0)
    m.pay(chan, FEE)
    committed = m.commit([chan], [m.batch_record(0, key=key.key)])
    m.attest_batch("validator-1", committed.batch_id, invalid_bits=0b1)
    register_dev_enclave(m.chain, key, sender=m.sender("node-operator"))
    m.chain.advance(1)
    assert "DisputeRejected" in refused(lambda: m.dispute_batch("user", committed, 0, "validator-1", GROUND_NONE))
