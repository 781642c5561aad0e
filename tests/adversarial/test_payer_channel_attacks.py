"""Attacks on the payer's side of x402 batch-settlement channels (ogcli/sdk/paid_http.py, `ogcli
infer --pay`, the SDK's LLM) and on reading batches back for verification and disputes
(ogcli/chain/batches.py, ogcli/verify/calls.py, ogcli/core/receipt_checks.py, `ogcli infer verify`,
`ogcli node dispute --request`, `ogcli node disputes`).

Payer side: a real reference node in process on the seeded session Anvil, behind a hostile front
(tests/adversarial/payer_attack_doubles.py's HostileFront, a TEST DOUBLE of a lying node) that
controls every HTTP answer; the payer is `ogcli infer` (or the SDK) with a real wallet, and what
the node gets out of it is then taken on chain with the payer's own signatures.

Batch side: batches committed straight to InferenceSettlement (tests/chain/batch_market.py) by the
devnet's node operator, as a hostile node commits them, on the fresh session chain.

Each test drives one attack end to end and asserts the SECURE outcome: a test FAILS when its
attack works."""

from __future__ import annotations

import json
import os
from decimal import Decimal

import httpx
import pytest
from web3.logs import DISCARD

from ogcli.core import batch_records
from ogcli.core.batch_records import BatchRecord
from ogcli.devnet import accounts
from ogcli.protocol.params import OPG
from tests.adversarial import payer_attack_doubles as doubles
from tests.adversarial.payer_attack_doubles import HostileFront
from tests.chain.batch_market import FEE, BatchMarket
from tests.chain.market import MODE_TEE
from tests.chain.test_pay_channel_cli import _opg, _state, _status, paying  # noqa: F401
from tests.cli_results import data, use_devnet_wallet

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets"), pytest.mark.timeout(240)]

INPUT = json.dumps({"features": [[0.25] * 8]})
CALL = {"model": 1, "inputs": {"features": [[0.25] * 8]}}
MODE_VANILLA = 1
GROUND_UNKNOWN_SIGNER = 2


# ---------------------------------------------------------------------------------------------- helpers


def _price(url: str) -> int:
    """The node's price for CALL, from its own (unpaid) 402 offer."""
    from x402.http import decode_payment_required_header

    answer = httpx.post(f"{url}/v1/infer", json=CALL, timeout=30)
    assert answer.status_code == 402
    offer = decode_payment_required_header(answer.headers["PAYMENT-REQUIRED"])
    return int(next(r for r in offer.accepts if r.scheme == doubles.SCHEME).amount)


def _opg_text(wei: int) -> str:
    return f"{Decimal(wei) / Decimal(OPG):f}"


def _infer(cli, url: str, *extra: str, yes: bool = True, **kwargs):
    flags = ("--json", "--yes") if yes else ()
    return cli(*flags, "infer", "run", "--node", url, "--model", "1", "--input", INPUT, *extra, **kwargs)


def _open(cli, url: str, opg: str) -> str:
    return data(cli("--json", "--yes", "pay", "channel", "open", "--amount", opg, "--node", url))["channel"]["id"]


# ================================================================================ payer side


def test_a_corrective_402_citing_the_voucher_just_sent_makes_one_call_cost_two(paying, cli):
    """Attack: the node answers the payer's voucher (cumulative C + price) with the spec's
    corrective 402, "cumulative amount mismatch", whose channel state claims it has already charged
    C + price, with the very voucher it is refusing as its evidence (a valid payer signature for
    that amount). The client resynchronises to it and signs again, C + 2 x price, which the node
    accepts for the one call it serves; then it claims that voucher on chain. A secure client never
    counts the voucher a node just refused as charged: it refuses to sign again (a voucher sent is
    payment: the node can claim that one, at most one price), and its channel state stays where it
    was before the call."""
    chain, payer, url, _node = paying
    price = _price(url)

    def on_paid(front, _path, _body, payload, _header):  # refuse the first voucher, serve the second
        if len(front.payloads) == 1:
            return doubles.corrective_citing_the_voucher_just_sent(front, payload)
        return doubles.served_answer(front, payload)

    with HostileFront(url, on_paid) as front:
        channel = _open(cli, front.url, "2")
        paid = _infer(cli, front.url, "--pay", "channel", "--max-price", _opg_text(price))
        assert paid.exit_code != 0 and "counting it as charged" in paid.stdout + paid.stderr
        assert front.served == 0 and len(front.payloads) == 1  # nothing more was signed
        held, amount = doubles.highest_voucher(front.payloads)
        claimed = doubles.claim_on_chain(chain, held)
    charged = [row["charged_wei"] for row in _status(cli) if row["channel_id"] == channel]
    assert claimed <= price, (
        f"one call at {price} wei (--max-price {price} wei), yet the payer signed a voucher for {amount} wei "
        f"and the node claimed {claimed} wei of channel {channel} on chain; `pay channel status` says charged {charged}")
    assert charged in ([None], ["0"]), charged  # the refusing node moved the client's state nowhere


def test_a_corrective_402_loop_leaves_the_node_vouchers_for_calls_it_never_served(paying, cli):
    """Attack: the node answers every voucher with a corrective 402 citing that voucher as charged.
    Each `ogcli infer` call resynchronises once, signs a second, higher voucher, is refused again
    and reports "the node refused the payment": nothing is served, but every attempt leaves the
    node a voucher two prices higher than the last, which it claims on chain. A secure client does
    not climb: a voucher sent is payment (the node can always keep the first one it is sent), but
    refused calls never raise what it signs, so the node claims at most one price in all."""
    chain, payer, url, _node = paying

    def on_paid(front, _path, _body, payload, _header):
        return doubles.corrective_citing_the_voucher_just_sent(front, payload)

    with HostileFront(url, on_paid) as front:
        channel = _open(cli, front.url, "2")
        for _attempt in range(3):
            refused = _infer(cli, front.url, "--pay", "channel")
            assert refused.exit_code != 0
        assert front.served == 0
        held, amount = doubles.highest_voucher(front.payloads)
        claimed = doubles.claim_on_chain(chain, held)
    price = _price(url)
    assert claimed <= price, (f"three refused calls, none served, and the node claimed {claimed} wei of channel "
                              f"{channel} with the payer's voucher for {amount} wei ({len(front.payloads)} vouchers "
                              "signed)")


def test_a_corrective_402_makes_the_client_deposit_without_the_confirmation_saying_so(paying, cli):
    """Attack: the payer's channel holds 1.5 calls' worth. The confirmation of the call says "paid
    by a voucher on your channel" (no deposit), and the payer agrees. The node answers with a
    corrective 402 citing that voucher as charged; the resynchronised client now needs a top-up
    and signs a deposit of the node's minDeposit (50 calls' worth) in the second round, which
    `_pay_by_channel` sends without asking again; the node sends it on chain. A secure client never
    signs a deposit the confirmation did not show: the payer's wallet keeps everything it held."""
    chain, payer, url, _node = paying
    price = _price(url)
    deposits = []

    def on_paid(front, _path, _body, payload, _header):
        if len(front.payloads) == 1:
            return doubles.corrective_citing_the_voucher_just_sent(front, payload)
        if "deposit" in payload.payload:
            deposits.append(doubles.deposit_on_chain(chain, payload))
        return doubles.served_answer(front, payload)

    with HostileFront(url, on_paid) as front:
        channel = _open(cli, front.url, _opg_text(price * 3 // 2))
        wallet = _opg(chain, payer.address)
        asked = _infer(cli, front.url, "--pay", "channel", yes=False, stdin_tty=True, input="y\n")
        shown = asked.stderr  # refused (the corrective cites the voucher just sent) or asked again: never unasked
    assert "paid by a voucher on your channel" in shown  # what the payer agreed to: no deposit
    lost = wallet - _opg(chain, payer.address)
    assert lost == 0 and not deposits, (
        f"the confirmation said {shown.strip()!r}, yet the client signed a deposit of {deposits} wei into channel "
        f"{channel} and the payer's wallet lost {lost} wei ({_state(chain, channel)} balance/claimed now)")


def test_auto_payment_never_deposits_into_a_channel_the_payer_did_not_open(paying, cli):
    """Attack: `LLM()` pays `auto` by default, documented as "by voucher on the payer's channel
    with the node when one is open on chain, else by exact". The node drops `exact` from its 402,
    offering only batch-settlement; the payer has no channel with it. The SDK, which asks no
    confirmation, then deposits the node's minDeposit (50 calls' worth) into a new channel, locked
    for its withdraw delay. A secure `auto` never opens a channel: it refuses (or pays exact), and
    the wallet keeps everything."""
    from ogcli.errors import OgcliError
    from ogcli.sdk import LLM

    chain, payer, url, _node = paying

    def only_channels(offer):
        return offer.model_copy(update={"accepts": [r for r in offer.accepts if r.scheme == doubles.SCHEME]})

    def on_paid(front, path, body, _payload, header):
        return doubles.forward_to_upstream(front, path, body, header)

    wallet = _opg(chain, payer.address)
    with HostileFront(url, on_paid, rewrite_offer=only_channels) as front:
        llm = LLM(node=front.url, password="pw")  # payment="auto", the default
        try:
            llm.infer(model=1, inputs=CALL["inputs"])
        except OgcliError:
            pass  # refused: the secure outcome
        finally:
            llm.close()
        deposits = [int(p.payload["deposit"]["amount"]) for p in front.payloads if "deposit" in p.payload]
    lost = wallet - _opg(chain, payer.address)
    assert not deposits and lost == 0, (f"payment='auto' with no channel open deposited {deposits} wei into a new "
                                        f"channel; the wallet lost {lost} wei")


@pytest.mark.parametrize("field", ["pay_to", "asset", "network"])
def test_a_channel_offer_paying_anyone_but_this_networks_settlement_in_opg_is_refused_unsigned(paying, cli, field):
    """Attack: the node's batch-settlement offer names as the channel's receiver its own operator
    (so it could take the deposit outright), another token, or another chain, and drops `exact`.
    A secure client refuses before it signs anything: no payload reaches the node."""
    chain, payer, url, _node = paying
    value = {"pay_to": accounts.get("node-operator").address, "asset": accounts.get("deployer").address,
             "network": "eip155:1"}[field]

    def foreign(offer):
        rows = [r.model_copy(update={field: value}) for r in offer.accepts if r.scheme == doubles.SCHEME]
        return offer.model_copy(update={"accepts": rows})

    wallet = _opg(chain, payer.address)
    with HostileFront(url, lambda *_a: (500, {}, b"{}"), rewrite_offer=foreign) as front:
        result = _infer(cli, front.url, "--pay", "channel")
        assert result.exit_code != 0 and front.payloads == [], "the client signed a payment for a foreign channel"
    assert _opg(chain, payer.address) == wallet and _status(cli) == []


# ================================================================================ batch side


@pytest.fixture
def market(devnet_profile):
    return BatchMarket(devnet_profile)


def _signed(market, channel: int, request_id: bytes, *, tamper: bool = False, mode: int = MODE_TEE) -> BatchRecord:
    """A record with a chosen request id, signed by the market's (registered) enclave now;
    `tamper`: reporting another output than the one it signed (a false record)."""
    when = market.chain.now()
    input_hash, output_hash = os.urandom(32), os.urandom(32)
    signature = market.sign_result(market.model_id, input_hash, output_hash, request_id, when, mode)
    return BatchRecord(model_id=market.model_id, input_hash=input_hash,
                       output_hash=os.urandom(32) if tamper else output_hash, request_id=request_id, timestamp=when,
                       mode=mode, channel=channel, fee_wei=FEE, signature=signature)


def _paid_channel(market, fee: int = FEE):
    chan = market.open_channel(10 * OPG)
    market.pay(chan, fee)
    return chan


def _verify(cli, ref: str):
    result = cli("--json", "infer", "verify", ref)
    body = json.loads(result.stdout).get("data", {}) if result.stdout.strip() else {}
    return result, body


def _said(result) -> str:
    """What a --json run said when it refused: its error message (stdout) or its stderr."""
    try:
        return json.loads(result.stdout)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return result.stderr.strip()[:300]


def _challenger(cli, market, monkeypatch) -> None:
    monkeypatch.setenv("OGCLI_PASSWORD", "pw")
    challenger = use_devnet_wallet(cli, "ch", "challenger")
    market.chain.rpc("anvil_setBalance", [challenger, hex(10**18)])


def _false_record_shadowed_by_a_later_sound_one(market):
    """A false TEE record for the victim's call (its channel pays it), then a second batch holding
    a sound record with the same request id, paid from a channel of the node's own (a fresh
    account it funds): (victim channel, false record, its batch)."""
    victim = _paid_channel(market)
    request_id = os.urandom(32)
    false = _signed(market, 0, request_id, tamper=True)
    committed = market.commit([victim], [false])
    own = _paid_channel(market)
    market.commit([own], [_signed(market, 0, request_id)])
    return victim, false, committed


def test_a_later_batch_reusing_a_request_id_cannot_turn_a_false_record_verified(market, cli):
    """Attack: the node commits a false record for the victim's call (request id R, paid from the
    victim's channel), which `infer verify R` rightly fails. It then commits a second batch holding
    a sound record with the same R, paid from a channel of its own. `batches.find` returns the
    newest record with R, and its "paid by channel" check compares the channel's payer with itself,
    so it passes. A secure verify never says "verified" for R while a record with R is false (nor
    takes a record another payer paid for as the call): the verdict stays failed."""
    victim = _paid_channel(market)
    request_id = os.urandom(32)
    false = _signed(market, 0, request_id, tamper=True)
    committed = market.commit([victim], [false])
    ref = "0x" + request_id.hex()
    before, body = _verify(cli, ref)
    assert before.exit_code == 1 and body["state"] == "failed"  # control: the false record fails

    own = _paid_channel(market)
    market.commit([own], [_signed(market, 0, request_id)])
    after, body = _verify(cli, ref)
    assert body.get("state") != "verified", (
        f"request {ref[:18]}… now verifies: batch {body.get('batch_id')} (payer {body.get('payer')}), not the false "
        f"record of batch {committed.batch_id} paid by {victim.payer.address}")


def test_a_later_batch_reusing_a_request_id_cannot_shield_the_false_record_from_dispute(market, cli, monkeypatch):
    """Attack: as above, the false record of the victim's call is followed by a sound record with
    the same request id in a later batch. `ogcli node dispute --request R` picks the newest record
    with R, finds it holds up, and refuses: the false record, and the victim's refund from the
    node's bond, are out of the CLI's reach. A secure dispute finds the false record with R and
    files it: the victim is refunded the fee."""
    victim, false, committed = _false_record_shadowed_by_a_later_sound_one(market)
    _challenger(cli, market, monkeypatch)
    token = market.p.token.functions
    before = token.balanceOf(victim.payer.address).call()
    result = cli("--json", "--yes", "node", "dispute", "--request", "0x" + false.request_id.hex())
    refund = token.balanceOf(victim.payer.address).call() - before
    assert refund == false.fee_wei, (f"the dispute of the false record (batch {committed.batch_id}) was not filed: "
                                     f"exit {result.exit_code}: {_said(result)}")


def _request_id_is_a_batch_tx_hash(market):
    """A sound one-record batch committed in transaction T, then a false record of the victim's
    call whose request id the node chose to be T: (T, victim channel, false record, its batch)."""
    sound_chan = _paid_channel(market)
    sound = market.commit([sound_chan], [_signed(market, 0, os.urandom(32))])
    tx_hash = bytes(sound.receipt.raw["transactionHash"])
    victim = _paid_channel(market)
    false = _signed(market, 0, tx_hash, tamper=True)
    committed = market.commit([victim], [false])
    return "0x" + tx_hash.hex(), victim, false, committed


def test_a_request_id_equal_to_a_batch_transaction_hash_is_verified_as_that_record(market, cli):
    """Attack: the node gives the victim's (false) record a request id equal to the transaction
    hash of an earlier one-record batch of a sound call (request ids are the node's to write).
    `batches.find` tries the reference as a commitBatch transaction first, so `infer verify R`
    reports "verified" for the other record, never looking at the one whose request id is R. A
    secure verify judges the record with request id R (failed), or at least does not say
    "verified" while that record is false."""
    ref, victim, false, committed = _request_id_is_a_batch_tx_hash(market)
    result, body = _verify(cli, ref)
    assert body.get("state") != "verified", (
        f"`infer verify {ref[:18]}…` says verified for request {body.get('request_id', '')[:18]}… of batch "
        f"{body.get('batch_id')}, not the false record with that request id in batch {committed.batch_id}")


def test_a_request_id_equal_to_a_batch_transaction_hash_can_still_be_disputed(market, cli, monkeypatch):
    """Attack: as above, the false record's request id R is an earlier batch's transaction hash.
    `node dispute --request R` resolves R as that transaction, finds its record's request id is not
    R, and refuses ("no batch committed a call with request id R"): the false record cannot be
    disputed through the CLI. A secure dispute files it: the victim is refunded the fee."""
    ref, victim, false, committed = _request_id_is_a_batch_tx_hash(market)
    _challenger(cli, market, monkeypatch)
    token = market.p.token.functions
    before = token.balanceOf(victim.payer.address).call()
    result = cli("--json", "--yes", "node", "dispute", "--request", ref)
    refund = token.balanceOf(victim.payer.address).call() - before
    assert refund == false.fee_wei, (f"the false record of batch {committed.batch_id} could not be disputed: "
                                     f"exit {result.exit_code}: {_said(result)}")


def _commit_with_dirty_padding(market, chans, records) -> int:
    """Sends commitBatch as the node, its calldata exactly the ABI's except that the zero bytes
    padding `records` to a 32-byte word are 0xff (Solidity does not read them); returns the batch id."""
    call = market.commit_call(market.claims(chans), records)
    calldata = bytes.fromhex(call._encode_transaction_data()[2:])
    packed = batch_records.pack_all(records)
    at = calldata.rindex(packed) + len(packed)
    pad = -len(packed) % 32
    assert pad and calldata[at:at + pad] == bytes(pad) and at + pad == len(calldata)
    dirty = calldata[:at] + b"\xff" * pad
    w3, node = market.chain.w3, accounts.get("node-operator").address
    market.chain.rpc("anvil_impersonateAccount", [node])
    try:
        tx_hash = w3.eth.send_transaction({"from": node, "to": market.p.settlement.address, "data": dirty,
                                           "gas": 3_000_000})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    finally:
        market.chain.rpc("anvil_stopImpersonatingAccount", [node])
    assert receipt["status"] == 1, "the contract refused the batch"
    [event] = market.p.settlement.events.BatchCommitted().process_receipt(receipt, errors=DISCARD)
    return event["args"]["batchId"]


def test_dirty_abi_padding_in_commit_batch_cannot_hide_a_false_record_from_node_disputes(market, cli):
    """Attack: the node commits a batch holding a false TEE record with its calldata's padding
    bytes (after the packed records) set to 0xff: the contract ignores them and commits, but
    ogcli's strict ABI decoder refuses the calldata, `read_batches` skips the batch as unreadable,
    and `ogcli node disputes` lists neither the false record nor the verdict that vouched for it. A
    secure dispute finder reads every batch the contract accepted: both are listed."""
    # Control: the same kind of batch, committed with the ABI's own (zero) padding, is listed.
    clean_chan = _paid_channel(market)
    clean = market.commit([clean_chan], [market.batch_record(0, tamper=True)])
    victim = _paid_channel(market)
    false = market.batch_record(0, tamper=True)
    batch_id = _commit_with_dirty_padding(market, [victim], [false])
    market.attest_batch("validator-1", batch_id)  # vouches for the false record
    # The contract holds the record all the same: a proof built by hand disputes it (simulated).
    node = accounts.get("node-operator").address
    leaves = [batch_records.leaf(false.pack(), victim.payer.address, node)]
    proof = (0, false.pack(), victim.payer.address, node, batch_records.proof(leaves, 0))
    slashed = market.p.settlement.functions.disputeBatchProducer(batch_id, proof, GROUND_UNKNOWN_SIGNER).call(
        {"from": accounts.get("user").address})
    assert slashed > 0
    found = data(cli("--json", "node", "disputes"))
    against_node = [(d["batch_id"], d["request_id"]) for d in found["records"]]
    verdicts = [(d.get("batch_id"), d["validator"]) for d in found["disputable"]]
    assert clean.batch_id in {b for b, _r in against_node}, against_node  # the control is listed
    assert (batch_id, "0x" + false.request_id.hex()) in against_node, (
        f"batch {batch_id}'s false record is not listed against its node: {against_node}")
    assert (batch_id, accounts.get("validator-1").address) in verdicts, (
        f"the verdict that vouched for it is not listed: {verdicts}")


def test_dirty_abi_padding_in_commit_batch_cannot_hide_a_record_from_infer_verify(market, cli):
    """Attack: as above, a batch committed with non-zero ABI padding. `infer verify R` for its
    (false) record answers that R "names no settled call", so the payer never learns its call's
    record is false, nor that the node can be disputed. A secure verify finds the record the
    contract committed and fails it."""
    victim = _paid_channel(market)
    false = market.batch_record(0, tamper=True)
    batch_id = _commit_with_dirty_padding(market, [victim], [false])
    result, body = _verify(cli, "0x" + false.request_id.hex())
    assert result.exit_code == 1 and body.get("state") == "failed" and body.get("batch_id") == batch_id, (
        f"exit {result.exit_code}: {_said(result)}")


def test_verify_of_a_batch_committed_through_a_contract_is_a_one_line_refusal_not_a_crash(market, cli):
    """Attack: a batch committed through a contract (here Multicall3, named as the channel's
    receiver authorizer, so that msg.sender is it) has no readable calldata. `infer verify TX` with
    that transaction's hash must refuse in one line (exit 2), as it does for any reference it
    cannot resolve, not crash with an uncaught exception."""
    from ogcli.chain.multicall import MULTICALL3_ADDRESS
    from ogcli.protocol import artifacts
    from tests.chain.fixtures import send_as

    chan = market.open_channel(10 * OPG, receiver_authorizer=MULTICALL3_ADDRESS)
    market.pay(chan, FEE)
    record = market.batch_record(0, mode=MODE_VANILLA)
    inner = market.commit_call(market.claims([chan]), [record])._encode_transaction_data()
    multicall = market.chain.w3.eth.contract(address=MULTICALL3_ADDRESS, abi=artifacts.abi("Multicall3"))
    receipt = send_as(market.chain, accounts.get("user").address, multicall.functions.aggregate3(
        [(market.p.settlement.address, False, bytes.fromhex(inner[2:]))]))
    assert market.p.settlement.events.BatchCommitted().process_receipt(receipt, errors=DISCARD)  # committed
    ref = "0x" + bytes(receipt["transactionHash"]).hex()
    try:
        result = cli("infer", "verify", ref)
    except Exception as exc:  # noqa: BLE001 - what the attack is after
        pytest.fail(f"`ogcli infer verify {ref[:18]}…` crashed: {type(exc).__name__}: {exc}")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
