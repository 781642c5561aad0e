"""`ogcli infer verify` on calls paid by channel and committed in batches: the record is read from
its batch's commitBatch calldata and held to the root on chain, and judged by the same rules as a
record settled alone (signature, registry, terms, payment, the answer you hold), with the
validators' verdicts on its batch and the bond behind it."""

from __future__ import annotations

import json

import pytest

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.devnet import accounts
from ogcli.protocol import artifacts
from tests.chain.batch_market import BatchMarket, paid_batch
from tests.chain.node_fixture import channel_payer, running_node, sdk_channel_session, wait_until
from tests.cli_results import data

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

GROUND_UNKNOWN_SIGNER = 2


def _checks(result) -> dict:
    return {c["name"]: c["status"] for c in json.loads(result.stdout)["data"]["checks"]}


def test_a_call_the_official_sdk_paid_by_channel_verifies_from_its_batch(seeded_profile, cli, tmp_path):
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        inputs = [{"features": [[k / 10] * 8]} for k in range(2)]
        with running_node(tmp_path / "node", batch_min_records=2, batch_max_wait_s=3600,
                          batch_interval_s=0.1) as (url, node):
            session = sdk_channel_session(chain, payer)
            answers = [session.post(f"{url}/v1/infer", json={"model": 1, "inputs": i}).json() for i in inputs]
            wait_until(lambda: node.outbox.counts().get("settled", 0) >= 2)
            committed = node.outbox.get(answers[0]["receipt"]["requestId"])
        assert committed.state == "settled", committed
        request_id = answers[0]["receipt"]["requestId"]
        saved = tmp_path / "answer.json"
        saved.write_text(json.dumps({"input": {"model": answers[0]["model"], "inputs": inputs[0]},
                                     "output": answers[0]["outputs"]}))

        result = cli("--json", "infer", "verify", request_id, "--response", str(saved))
        verified = data(result)
        assert verified["state"] == "verified", verified["checks"]
        assert verified["scheme"] == "batch-settlement" and verified["record_id"] is None
        assert verified["batch_id"] == committed.record_id and verified["transaction_hash"] == committed.tx_hash
        assert verified["payer"] == payer.address and verified["request_id"] == request_id
        assert _checks(result) == {"record committed": "pass", "recorded once": "pass", "enclave signature": "pass",
                                   "enclave registered": "pass",
                                   "measurement approved then": "pass", "attestation document": "pass",
                                   "fee covers price": "pass", "paid by channel": "pass",
                                   "response output": "pass", "response input": "pass"}
        assert verified["attestations"] == [] and verified["bond"]["ground"] is None

        # Someone else's output presented as this call's: the record does not commit to it.
        saved.write_text(json.dumps({"input": {"model": answers[0]["model"], "inputs": inputs[0]},
                                     "output": answers[1]["outputs"]}))
        tampered = cli("--json", "infer", "verify", request_id, "--response", str(saved))
        assert tampered.exit_code == 1 and _checks(tampered)["response output"] == "fail"

        # The batch's transaction holds two calls: it names no one call.
        by_tx = cli("infer", "verify", committed.tx_hash)
        assert by_tx.exit_code == 2 and "verify one by its request id" in by_tx.stderr
        assert request_id[2:12] in by_tx.stderr or answers[1]["receipt"]["requestId"][2:12] in by_tx.stderr


@pytest.fixture
def market(devnet_profile):
    return BatchMarket(devnet_profile)


def test_a_forged_batch_record_fails_and_names_the_dispute_that_refunds_its_payer(market, cli):
    chans, records = paid_batch(market, payers=1, calls_each=2)
    records[1] = market.batch_record(0, tamper=True)  # an output the enclave never signed
    committed = market.commit(chans, records)
    market.attest_batch("validator-1", committed.batch_id)  # vouches for both
    market.attest_batch("validator-2", committed.batch_id, invalid_bits=0b10)

    forged = cli("--json", "infer", "verify", "0x" + records[1].request_id.hex())
    assert forged.exit_code == 1
    body = json.loads(forged.stdout)["data"]
    assert body["state"] == "failed" and body["batch_index"] == 1
    # A batch record names no signer: a forged one recovers to an address no enclave registered.
    assert _checks(forged)["enclave registered"] == "fail"
    assert _checks(forged)["record committed"] == "pass"  # it is what the node committed: that is the evidence
    verdicts = {a["validator"]: a["verdict"] for a in body["attestations"]}
    assert verdicts == {accounts.get("validator-1").address: "valid", accounts.get("validator-2").address: "invalid"}
    assert body["bond"]["ground"] == GROUND_UNKNOWN_SIGNER and body["bond"]["disputed"] is False

    human = cli("infer", "verify", "0x" + records[1].request_id.hex())
    assert human.exit_code == 1
    assert f"ogcli node dispute --request 0x{records[1].request_id.hex()}" in human.stdout
    assert "batch" in human.stdout and "NOT verified" in human.stdout

    # Its neighbour in the batch is sound: the proof is per record.
    honest = cli("--json", "infer", "verify", "0x" + records[0].request_id.hex())
    assert _checks(honest)["enclave registered"] == "pass" and _checks(honest)["paid by channel"] == "pass"
    assert json.loads(honest.stdout)["data"]["bond"]["ground"] is None


def test_the_payment_is_the_batch_claim_on_the_records_own_channel(market, cli):
    """Two payers in one batch: each record is held to its own channel's claim in the batch's
    transaction, not to the batch's total."""
    chans, records = paid_batch(market, payers=2, calls_each=1)
    committed = market.commit(chans, records)
    channels = market.chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
    assert channels.functions.channels(chans[0].id).call()[1] == chans[0].signed_wei
    result = cli("--json", "infer", "verify", "0x" + records[0].request_id.hex())
    body = json.loads(result.stdout)["data"]
    paid = next(c for c in body["checks"] if c["name"] == "paid by channel")
    assert paid["status"] == "pass" and f"claimed {chans[0].signed_wei} wei" in paid["detail"]
    assert chans[0].signed_wei != sum(c.signed_wei for c in chans)
    assert body["payer"] == chans[0].payer.address and body["batch_id"] == committed.batch_id


def test_infer_receipts_finds_calls_on_a_channel_opened_by_any_client(market, cli):
    """A channel the payer opened itself (its own salt, on chain only: in no channel index, not
    the one the official client would build) still has its batch calls listed by `infer
    receipts --payer`, found from BatchSettlement's ChannelCreated log."""
    chans, records = paid_batch(market, payers=1, calls_each=3)
    committed = market.commit(chans, records)
    payer = chans[0].payer.address
    listed = json.loads(cli("--json", "infer", "receipts", "--payer", payer).stdout)["data"]["receipts"]
    assert sorted(r["request_id"] for r in listed) == sorted("0x" + r.request_id.hex() for r in records)
    assert {r["batch_id"] for r in listed} == {committed.batch_id}


def test_an_unknown_request_id_is_a_one_line_error(devnet_profile, cli):
    result = cli("infer", "verify", "0x" + "ab" * 32)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "names no settled call" in result.stderr


def test_node_dispute_by_request_id_proves_a_batch_record_against_its_node_and_its_voucher(market, cli, monkeypatch):
    """The dispute `infer verify` names, typed as it names it: the proof is built from the batch's
    calldata; the node's bond refunds the payer, the validator that vouched is slashed, and a
    sound neighbour in the same batch cannot be disputed."""
    from tests.cli_results import refused, use_devnet_wallet

    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    chans, records = paid_batch(market, payers=1, calls_each=2)
    records[1] = market.batch_record(0, tamper=True)
    committed = market.commit(chans, records)
    market.attest_batch("validator-1", committed.batch_id)  # vouches for the forged record too
    challenger = use_devnet_wallet(cli, "ch", "challenger")
    market.chain.rpc("anvil_setBalance", [challenger, hex(10**18)])  # gas; the fresh chain funds only its deployer
    payer = chans[0].payer.address
    token = market.p.token.functions
    forged, sound = "0x" + records[1].request_id.hex(), "0x" + records[0].request_id.hex()

    refused(cli("--yes", "node", "dispute", "--request", sound), "holds up")
    refused(cli("--yes", "node", "dispute", "--request", "0x1234"), "64 hex digits")
    refused(cli("--yes", "node", "dispute", "--request", forged, "--validator", accounts.get("validator-2").address),
            "gave no checkable verdict")

    before = token.balanceOf(payer).call()
    data(cli("--json", "--yes", "node", "dispute", "--request", forged))
    assert token.balanceOf(payer).call() - before == records[1].fee_wei  # refunded from the node's bond
    refused(cli("--yes", "node", "dispute", "--request", forged), "disputed against its node already")

    stake_before = market.p.staking.functions.getValidator(accounts.get("validator-1").address).call()[1]
    data(cli("--json", "--yes", "node", "dispute", "--request", forged, "--validator",
             accounts.get("validator-1").address))
    assert market.p.staking.functions.getValidator(accounts.get("validator-1").address).call()[1] < stake_before
    after = cli("--json", "infer", "verify", forged)
    assert json.loads(after.stdout)["data"]["bond"]["disputed"] is True


def test_node_disputes_lists_what_can_be_filed_on_batches(market, cli):
    """The dispute finder reads batches too: a verdict that vouched for a forged record and one
    that called a sound record invalid are each listed once, with the forged record against its
    node; nothing is listed for a batch that holds up."""
    chans, records = paid_batch(market, payers=1, calls_each=3)
    records[2] = market.batch_record(0, tamper=True)
    committed = market.commit(chans, records)
    sound_chans, sound_records = paid_batch(market, payers=1, calls_each=2)
    sound = market.commit(sound_chans, sound_records)
    market.attest_batch("validator-1", committed.batch_id)  # vouches for the forged record
    market.attest_batch("validator-2", committed.batch_id, invalid_bits=0b101)  # and calls record 0 invalid
    market.attest_batch("validator-1", sound.batch_id)  # right

    found = data(cli("--json", "node", "disputes"))
    verdicts = {(d["batch_id"], d["batch_index"], d["validator"], d["ground"]) for d in found["disputable"]}
    assert verdicts == {(committed.batch_id, 2, accounts.get("validator-1").address, GROUND_UNKNOWN_SIGNER),
                        (committed.batch_id, 0, accounts.get("validator-2").address, 0)}
    against_node = [(d["batch_id"], d["batch_index"], d["request_id"]) for d in found["records"]]
    assert against_node == [(committed.batch_id, 2, "0x" + records[2].request_id.hex())]

    table = cli("node", "disputes")
    assert table.exit_code == 0 and f"batch {committed.batch_id} #2" in table.stdout
    command = f"ogcli node dispute --request 0x{records[2].request_id.hex()}"
    assert f"{command} --validator {accounts.get('validator-1').address}" in table.stdout  # against the verdict
    assert f"{command}\n" in table.stdout  # against the node


def test_the_verifier_re_runs_sampled_batch_calls_and_marks_a_made_up_answer(seeded_profile, tmp_path):
    """Re-execution covers batches: with every call sampled, the verifier re-runs each ONNX record
    of a committed batch from what the node keeps public; the honest call is valid, and the one a
    lying node answered (signed, charged and committed) with a made-up output is marked invalid,
    as uncheckable (the contract cannot check a re-run)."""
    from ogcli import context
    from ogcli.chain.enclave_documents import DocumentChecks
    from ogcli.storage.blobs import open_store
    from ogcli.verify.batch_judge import BatchJudge
    from ogcli.verify.judges import KeptCalls, ReExecutor

    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", batch_min_records=2, batch_max_wait_s=3600,
                          batch_interval_s=0.1) as (url, node):
            session = sdk_channel_session(chain, payer)
            body = {"model": 1, "inputs": {"features": [[0.3] * 8]}}
            honest = session.post(f"{url}/v1/infer", json=body)
            real = node.run_onnx

            def lying(model, inputs):  # a test double: a node answering a made-up output
                outputs = real(model, inputs)
                name = next(iter(outputs))
                outputs[name] = [[v + 1.0 for v in row] for row in outputs[name]]
                return outputs

            node.run_onnx = lying
            try:
                lie = session.post(f"{url}/v1/infer", json=body)
            finally:
                del node.run_onnx
            assert honest.status_code == lie.status_code == 200
            wait_until(lambda: node.outbox.counts().get("settled", 0) >= 2)
            committed = node.outbox.get(lie.json()["receipt"]["requestId"])
            calls = KeptCalls(chain.protocol, open_store(context.resolve_network().storage), tmp_path / "cache",
                              node_url=url)
            rerun = ReExecutor(calls, 1.0, b"test salt")
            judge = BatchJudge(chain.protocol, DocumentChecks(chain.protocol), rerun=rerun)
            verdict = judge.verdict(committed.record_id, committed.tx_hash)
            unsampled = BatchJudge(chain.protocol, DocumentChecks(chain.protocol),
                                   rerun=ReExecutor(calls, 0.0, b"test salt")).verdict(committed.record_id,
                                                                                     committed.tx_hash)
        from ogcli.chain import batches

        [in_batch] = batches.find(chain.protocol, bytes.fromhex(lie.json()["receipt"]["requestId"][2:]))
        assert not verdict.abstains and verdict.invalid_bits == 0 and rerun.reran == 2
        assert verdict.uncheckable_bits == 1 << in_batch.index, verdict  # the lie, and only it
        assert any("re-running the model gives another" in r for r in verdict.reasons), verdict.reasons
        assert unsampled.uncheckable_bits == 0 and not unsampled.abstains  # only a re-run sees it
