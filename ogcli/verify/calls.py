"""The facts `ogcli infer verify` judges (ogcli/core/receipt_checks.py), read from chain for one
call: a record settled alone (`record_facts`) or a record of a committed batch (`batch_facts`);
and the bond behind it, until when it can be disputed, and (for a batch) the validators' verdicts.
"""

from __future__ import annotations

from ogcli.chain.history import Point

def record_facts(protocol, call, saved, node_url: str = ""):
    """The facts of a call settled as its own record (`exact`): `call` a chain.receipts.SettledCall,
    `saved` the caller's saved answer or None."""
    from ogcli.chain.multicall import Read, read_one
    from ogcli.chain.tills import node_till
    from ogcli.core import records
    from ogcli.core.model_metadata import MODES
    from ogcli.core.receipt_checks import Facts
    from ogcli.core.result_signature import recover_result_signer

    registry = protocol.registry.functions
    r = call.record
    computed = records.settled_hash(r, call.payer, call.node, call.fee_wei)
    stored = bytes(read_one(protocol.rpc, Read(protocol.settlement, "recordState", (call.record_id,), named=True))["recordHash"])
    tee = r["mode"] == MODES["tee"]
    recovered = recover_result_signer(protocol.w3.eth.chain_id, protocol.settlement.address, r) if tee else None
    terms, terms_missing = _terms(protocol, call.record["modelId"], Point(call.block, call.log_index))
    return Facts(
        record_hash_on_chain=stored, record_hash_computed=computed, mode=r["mode"], signer=r["enclaveSigner"],
        recovered_signer=recovered,
        registered=registry.isRegistered(r["enclaveSigner"]).call() if tee else False,
        approved_at_time=registry.isActive(r["enclaveSigner"], r["timestamp"]).call() if tee else False,
        fee_wei=call.fee_wei, publisher_wei=call.publisher_wei, node_wei=call.node_wei, validators_wei=call.validators_wei,
        treasury_wei=call.treasury_wei, terms=terms, terms_missing=terms_missing, payer=call.payer,
        settlement=protocol.settlement.address, till=node_till(protocol, call.node), pulled=_pulled(protocol, call),
        input_hash=bytes(r["inputHash"]), output_hash=bytes(r["outputHash"]),
        response_input_hash=records.content_hash(saved["input"]) if saved else None,
        response_output_hash=records.content_hash(saved["output"]) if saved else None,
        attestation=_attestation(protocol, r["enclaveSigner"]) if tee else None,
        zk_proof=_zk_proof(protocol, r, saved, node_url) if r["mode"] == MODES["zkml"] else None,
    )


def _terms(protocol, model_id: int, point) -> tuple:
    """(the settlement parameters and model price in force at `point`, where the call settled,
    or None; why not). Read from the events that set them: a restarted devnet or a pruned node keeps no state
    as of old blocks, and a read "as of the block" would also see changes later in that block."""
    from ogcli.chain.history import HistoryMissing, terms_at
    from ogcli.core.receipt_checks import Terms
    from ogcli.errors import NetworkError

    try:
        params, price = terms_at(protocol, model_id, point)
    except (HistoryMissing, NetworkError) as exc:
        return None, str(exc)
    return Terms(validator_bps=params.validator_fee_bps, treasury_bps=params.treasury_fee_bps, model_price_wei=price), ""


def _zk_proof(protocol, record: dict, saved, node_url: str) -> tuple:
    """A ZKML call's proof, from the saved answer or else from the node that made it, checked as
    the verifier role checks it (`verify.judges.ZkJudge`): against the circuit the model's
    publisher committed to and against the record's hashes. (status, detail)."""
    from ogcli import context, locations
    from ogcli.core.receipt_checks import FAIL, PASS, UNVERIFIED
    from ogcli.errors import NetworkError
    from ogcli.verify import zkml
    from ogcli.storage.blobs import open_store
    from ogcli.verify.judges import KeptCalls, ZkJudge

    if not zkml.available():
        return UNVERIFIED, "ezkl is not installed here, so the proof cannot be checked: pip install 'ogcli[zkml]'"
    calls = KeptCalls(protocol, open_store(context.resolve_network().storage), locations.cache_dir(), node_url=node_url)
    if saved and "proof" in saved:
        kept = {"input": saved["input"], "outputs": saved["output"], "proof": saved["proof"]}
    else:
        try:
            kept = calls.call(record)
        except NetworkError as exc:  # unreachable now, or an endpoint not to be asked
            return UNVERIFIED, f"could not fetch the proof: {exc}"
        if kept is None or "proof" not in kept:
            return FAIL, "the node does not publish the proof of this call"
    reasons = ZkJudge(calls).check(kept, record)
    if reasons is None:
        return UNVERIFIED, "the model's circuit cannot be fetched from storage here"
    if reasons:
        return FAIL, "; ".join(reasons)
    return PASS, "verifies under the publisher's verifying key and proves exactly the recorded input and output"


def _attestation(protocol, signer: str) -> tuple:
    """The document the enclave was registered with, read from the registration's log and verified
    here: its hash is the registered one, its chain leads to the root it was registered under and
    was valid then, and it binds this signer to the registered measurement. (status, detail): a
    log this endpoint cannot give leaves the check unverified, never passed."""
    from ogcli.chain.enclave_documents import problem_with, registered_document
    from ogcli.core.receipt_checks import FAIL, PASS, UNVERIFIED

    registered = registered_document(protocol, signer)
    if registered is None:
        return UNVERIFIED, ("the JSON-RPC endpoint returned no EnclaveAttestation log for the enclave's registration "
                            "(an endpoint that prunes old logs cannot show the document)")
    problem = problem_with(registered)
    if problem is not None:
        return FAIL, problem
    return PASS, ("COSE_Sign1 ES384 chain to the vendor's pinned root, valid at registration (verified on chain "
                  f"and again here); PCRs give the measurement; binds {signer}")


def record_bond(protocol, call) -> dict | None:
    """The bond of the node that settled a TEE record, and until when the record can be held
    against it (None for other modes: no ground is checkable against them)."""
    from ogcli.chain.bonds import read_bonds, read_terms
    from ogcli.chain.multicall import Read, read_many
    from ogcli.core.model_metadata import MODES

    if call.record["mode"] != MODES["tee"]:
        return None
    settlement = protocol.settlement
    until, state = read_many(protocol.rpc, [Read(settlement, "recordDisputableUntil", (call.record_id,)),
                                            Read(settlement, "recordState", (call.record_id,))])
    from ogcli.verify.record_grounds import GroundFinder

    bond = read_bonds(protocol, [call.node])[call.node]
    return {"node": call.node, "bond_wei": str(bond.total_wei), "bonded": bond.covers_settlement(read_terms(protocol)),
            "disputable_until": until, "disputed": bool(state[5]),
            "ground": GroundFinder(protocol).ground(call.record)}


def _pulled(protocol, call):
    """The ERC-3009 transfer that paid for this call: in its settling transaction (a batch may
    hold several of one payer: each is told apart by its nonce), or, when the authorization was
    executed before (by anyone, straight on the token, into the node's till), in the earlier
    transaction that used it. None when none is found."""
    from ogcli.chain.receipts import paying_transfer, prior_authorizations
    from ogcli.core.receipt_checks import Pulled

    def found_in(tx_hashes: list[str]):
        receipts = protocol.rpc.batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes]) if tx_hashes else []
        for receipt in receipts:
            transfer = paying_transfer(protocol.token, receipt["logs"] if receipt else [], call.payer,
                                       bytes(call.record["requestId"]))
            if transfer is not None:
                return transfer
        return None

    transfer, before = found_in([call.tx_hash]), False
    if transfer is None:
        earlier = [h for h in prior_authorizations(protocol, call.payer, call.block) if h != call.tx_hash]
        transfer, before = found_in(earlier), True
    if transfer is None:
        return None
    return Pulled(sender=transfer.sender, to=transfer.to, value_wei=transfer.value_wei, before_settlement=before)


# ---------------------------------------------------------------------- calls committed in batches


def batch_facts(protocol, call, saved, node_url: str = "", again: list | None = None):
    """The facts of a channel-paid call committed in a batch: `call` a chain.batches.BatchCall,
    `again` the later records committed with the same request id (none, for an honest node). The
    record is read from its batch's commitBatch calldata and held to the root the contract
    stored; its signer is whoever its signature recovers to."""
    from ogcli.chain.batches import ZERO_ADDRESS, record_view
    from ogcli.chain.multicall import Read, read_many
    from ogcli.core import batch_records, records
    from ogcli.core.model_metadata import MODES
    from ogcli.core.receipt_checks import BatchPlace, Facts
    from ogcli.core.result_signature import domain_separator

    batch, record = call.batch, call.record
    settlement, registry = protocol.settlement, protocol.registry
    view = record_view(record, domain_separator(protocol.rpc.chain_id, settlement.address))
    signer = view["enclaveSigner"]
    tee = record.mode == MODES["tee"]
    asks_registry = tee and signer != ZERO_ADDRESS
    answers = read_many(protocol.rpc, [Read(settlement, "getBatch", (batch.batch_id,))]
                        + ([Read(registry, "isRegistered", (signer,)), Read(registry, "isActive", (signer, record.timestamp))]
                           if asks_registry else []))
    registered, active = (answers[1] is True, answers[2] is True) if asks_registry else (False, False)
    terms, terms_missing = _terms(protocol, record.model_id, Point(batch.block, batch.log_index))
    channel = call.channel
    place = BatchPlace(
        batch_id=batch.batch_id, index=call.index, count=len(batch.records), channel_payer=channel["payer"],
        channel_receiver=channel["receiver"], channel_token=channel["token"], token=protocol.token.address,
        channel_fees_wei=batch.fees_on_channel(record.channel), claimed_wei=_claimed(protocol, batch, channel),
        also_in=tuple(f"batch {c.batch.batch_id} #{c.index}" for c in again or ()),
    )
    return Facts(
        record_hash_on_chain=bytes(answers[0][0]), record_hash_computed=batch_records.root(batch.leaves()),
        mode=record.mode, signer=signer, recovered_signer=None if signer == ZERO_ADDRESS else signer,
        registered=registered, approved_at_time=active,
        fee_wei=record.fee_wei, publisher_wei=0, node_wei=0, validators_wei=0, treasury_wei=0,  # split per batch
        terms=terms, terms_missing=terms_missing, payer=call.payer, settlement=settlement.address, pulled=None,
        input_hash=record.input_hash, output_hash=record.output_hash,
        response_input_hash=records.content_hash(saved["input"]) if saved else None,
        response_output_hash=records.content_hash(saved["output"]) if saved else None,
        attestation=_attestation(protocol, signer) if asks_registry else None,
        zk_proof=_zk_proof(protocol, view, saved, node_url) if record.mode == MODES["zkml"] else None,
        batch=place,
    )


def _claimed(protocol, batch, channel: dict) -> int:
    """What the commitBatch transaction claimed on `channel` (its BatchSettlement Claimed log)."""
    from ogcli.chain import events as event_logs
    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.core import channels

    config = channels.ChannelConfig(
        payer=channel["payer"], receiver=channel["receiver"], receiver_authorizer=channel["receiverAuthorizer"],
        token=channel["token"], withdraw_delay_s=channel["withdrawDelay"], payer_authorizer=channel["payerAuthorizer"],
        salt=bytes(channel["salt"]),
    )
    channel_id = channels.channel_id(config, protocol.rpc.chain_id, BATCH_SETTLEMENT_ADDRESS)
    receipt = protocol.rpc.batch([("eth_getTransactionReceipt", [batch.tx_hash])])[0]
    contract = protocol.contract("BatchSettlement", BATCH_SETTLEMENT_ADDRESS)
    claimed = event_logs.decode(contract, ("Claimed",), receipt["logs"] if receipt else [])
    return sum(e.args["claimAmount"] for e in claimed if bytes(e.args["channelId"]) == channel_id)


def batch_verdicts(protocol, call) -> list[dict]:
    """Each validator's verdict on this record, from its batch's BatchAttested events: valid,
    invalid (a dispute ground holds) or uncheckable, in the order they were given."""
    from ogcli.chain import events as event_logs

    query = event_logs.log_filter(protocol.settlement, ("BatchAttested",), call.batch.block)
    query["topics"].append("0x" + call.batch.batch_id.to_bytes(32, "big").hex())
    raw = protocol.rpc.batch([("eth_getLogs", [query])])[0]
    bit = 1 << call.index
    out = []
    for e in event_logs.decode(protocol.settlement, ("BatchAttested",), raw):
        verdict = ("invalid" if e.args["invalidBits"] & bit else
                   "uncheckable" if e.args["uncheckableBits"] & bit else "valid")
        out.append({"validator": e.args["validator"], "verdict": verdict, "transaction_hash": e.tx_hash})
    return out


def batch_bond(protocol, call) -> dict | None:
    """The bond of the node that committed a TEE batch record, until when the record can be held
    against it (by its Merkle proof), and whether it was (None for other modes)."""
    from ogcli.chain.batches import record_view
    from ogcli.chain.bonds import read_bonds, read_terms
    from ogcli.chain.multicall import Read, read_one
    from ogcli.core.model_metadata import MODES
    from ogcli.core.result_signature import domain_separator
    from ogcli.verify.batch_grounds import batch_grounds

    if call.record.mode != MODES["tee"]:
        return None
    node = call.batch.node
    disputed_bits, until = read_one(protocol.rpc, Read(protocol.settlement, "batchProducerDisputes", (call.batch.batch_id,)))
    separator = domain_separator(protocol.rpc.chain_id, protocol.settlement.address)
    found = batch_grounds(protocol, separator, [call.record], [record_view(call.record, separator)])
    bond = read_bonds(protocol, [node])[node]
    return {"node": node, "bond_wei": str(bond.total_wei), "bonded": bond.covers_settlement(read_terms(protocol)),
            "disputable_until": until, "disputed": bool(disputed_bits >> call.index & 1),
            # The verifier role's own grounds (verify/batch_grounds.py); none when the chain disagrees.
            "ground": found.get(0) if isinstance(found, dict) else None}
