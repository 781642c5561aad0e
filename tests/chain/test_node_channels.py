"""The official x402 SDK's batch-settlement client, unchanged, pays a real node by channel: its
first call deposits (an ERC-3009 authorization the node sends), the next are paid by vouchers
alone, and the node commits them all in one InferenceSettlement.commitBatch, claiming the
channel itself there and nowhere else."""

from __future__ import annotations

import time

import pytest
from web3.logs import DISCARD

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.protocol import artifacts
from tests.chain.node_fixture import channel_payer, running_node, sdk_channel_session, wait_until

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

CALLS = 4


def _payer_and_channels(chain, tmp_path):
    return channel_payer(chain, tmp_path), chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS,
                                                                 abi=artifacts.abi("BatchSettlement"))


def test_the_official_sdk_client_pays_the_node_by_channel_and_its_calls_commit_in_one_batch(seeded_profile, tmp_path):
    chain = seeded_profile
    with chain.snapshot():
        payer, channels = _payer_and_channels(chain, tmp_path)
        settlement = chain.protocol.settlement
        first_block = chain.w3.eth.block_number + 1
        with running_node(tmp_path / "node", batch_min_records=CALLS, batch_max_wait_s=3600,
                          batch_interval_s=0.1) as (url, node):
            session = sdk_channel_session(chain, payer)
            answers = [session.post(f"{url}/v1/infer", json={"model": 1, "inputs": {"features": [[k / 10] * 8]}})
                       for k in range(CALLS)]
            assert [a.status_code for a in answers] == [200] * CALLS, answers[0].text[:300]
            receipts = [a.json()["receipt"] for a in answers]
            assert {r["settlement"]["scheme"] for r in receipts} == {"batch-settlement"}
            channel_id = receipts[0]["settlement"]["channel"]
            fee = int(receipts[0]["value_wei"])
            assert all(int(r["value_wei"]) == fee for r in receipts)
            wait_until(lambda: node.outbox.counts().get("settled", 0) >= CALLS)
            committed = [node.outbox.get(r["requestId"]) for r in receipts]
        assert {c.state for c in committed} == {"settled"} and len({c.record_id for c in committed}) == 1
        batch_id = committed[0].record_id
        [event] = settlement.events.BatchCommitted().get_logs(from_block=first_block)
        assert event["args"]["batchId"] == batch_id and event["args"]["records"] == CALLS
        assert event["args"]["fees"] == CALLS * fee
        # The channel was claimed for exactly the calls served, by the settlement in the batch only.
        assert channels.functions.channels(bytes.fromhex(channel_id[2:])).call()[1] == CALLS * fee
        claims = channels.events.Claimed().get_logs(from_block=first_block)
        assert [c["args"]["sender"] for c in claims] == [settlement.address]
        deposits = channels.events.Deposited().get_logs(from_block=first_block)
        assert len(deposits) == 1  # the first call's; the others were vouchers alone
        # The batch's records are the node's receipts, provable against its root.
        receipt = chain.w3.eth.get_transaction_receipt(committed[0].tx_hash)
        assert settlement.events.BatchCommitted().process_receipt(receipt, errors=DISCARD)[0]["args"]["batchId"] == batch_id


def test_a_restarted_node_refuses_a_replayed_voucher_and_a_client_that_lost_its_state_recovers(seeded_profile,
                                                                                               tmp_path):
    """The node's channel state is on disk: after a restart an older voucher presented again is
    refused with the channel's state (the spec's corrective 402) and charges nothing, the calls
    answered before the restart are still committed, and a client that lost its own state is put
    right by that 402 and pays on."""
    import httpx

    chain = seeded_profile
    with chain.snapshot():
        payer, channels = _payer_and_channels(chain, tmp_path)
        data_dir = tmp_path / "node"
        body = {"model": 1, "inputs": {"features": [[0.5] * 8]}}
        with running_node(data_dir, batch_min_records=100, batch_max_wait_s=3600) as (url, node):
            session = sdk_channel_session(chain, payer)
            before = [session.post(f"{url}/v1/infer", json=body) for _ in range(2)]
            assert [a.status_code for a in before] == [200, 200]
            replay = before[1].request.headers["PAYMENT-SIGNATURE"]
            assert node.outbox.counts() == {"pending": 2}
        with running_node(data_dir, batch_min_records=3, batch_max_wait_s=3600, batch_interval_s=0.1) as (url, node):
            refused = httpx.post(f"{url}/v1/infer", json=body, headers={"PAYMENT-SIGNATURE": replay}, timeout=30)
            assert refused.status_code == 402
            assert refused.json()["error"] == "invalid_batch_settlement_evm_cumulative_amount_mismatch"
            [offer] = [a for a in refused.json()["accepts"] if a["scheme"] == "batch-settlement"]
            assert int(offer["extra"]["channelState"]["chargedCumulativeAmount"]) == 2 * int(offer["amount"])
            assert node.outbox.counts() == {"pending": 2}  # nothing charged for the replay
            after = sdk_channel_session(chain, payer).post(f"{url}/v1/infer", json=body)  # a client with no state
            assert after.status_code == 200, after.text[:300]
            wait_until(lambda: node.outbox.counts().get("settled", 0) == 3)
        fee = int(after.json()["receipt"]["value_wei"])
        channel_id = after.json()["receipt"]["settlement"]["channel"]
        assert channels.functions.channels(bytes.fromhex(channel_id[2:])).call()[1] == 3 * fee


def test_a_payer_starting_a_withdrawal_gets_its_calls_committed_at_once_and_keeps_only_the_rest(seeded_profile,
                                                                                                tmp_path):
    """A withdrawal takes back what is unclaimed once its delay has passed: the node commits a
    channel's answered calls as soon as its payer starts one, not when its batch would be due,
    so the payer gets back its deposit less exactly the calls it was served."""
    chain = seeded_profile
    with chain.snapshot():
        payer, channels = _payer_and_channels(chain, tmp_path)
        token = chain.protocol.token.functions
        with running_node(tmp_path / "node", batch_min_records=100, batch_max_wait_s=3600,
                          batch_interval_s=0.1) as (url, node):
            answers = [sdk_channel_session(chain, payer).post(f"{url}/v1/infer", json={"model": 1, "inputs": {
                "features": [[0.3] * 8]}}) for _ in range(2)]
            assert [a.status_code for a in answers] == [200, 200]
            receipt = answers[0].json()["receipt"]
            channel_id, fee = bytes.fromhex(receipt["settlement"]["channel"][2:]), int(receipt["value_wei"])
            time.sleep(1)
            assert node.outbox.counts() == {"pending": 2}  # not due: 2 of 100, an hour to wait
            config = _channel_config(node, receipt)
            balance, _claimed = channels.functions.channels(channel_id).call()
            chain.rpc("anvil_setBalance", [payer.address, hex(10**18)])
            chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(payer.sign_transaction(
                channels.functions.initiateWithdraw(config, balance).build_transaction({
                    "from": payer.address, "nonce": chain.w3.eth.get_transaction_count(payer.address),
                    "gas": 200_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1})).raw_transaction))
            wait_until(lambda: node.outbox.counts() == {"settled": 2})
        assert channels.functions.channels(channel_id).call()[1] == 2 * fee
        chain.advance(901)
        before = token.balanceOf(payer.address).call()
        chain.w3.eth.wait_for_transaction_receipt(chain.w3.eth.send_raw_transaction(payer.sign_transaction(
            channels.functions.finalizeWithdraw(config).build_transaction({
                "from": payer.address, "nonce": chain.w3.eth.get_transaction_count(payer.address),
                "gas": 200_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1})).raw_transaction))
        assert token.balanceOf(payer.address).call() - before == balance - 2 * fee


def _channel_config(node, receipt) -> tuple:
    """The channel's config as the node keeps it (the SDK's record), as the contract takes it."""
    record = node.channel_payments.storage.get(receipt["settlement"]["channel"])
    c = record.channel_config
    return (c.payer, c.payer_authorizer, c.receiver, c.receiver_authorizer, c.token, int(c.withdraw_delay),
            bytes.fromhex(c.salt[2:]))
