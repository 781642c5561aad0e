"""Shared pieces of the attacks on the `exact` payment path (tests/adversarial/
test_exact_*.py): a real node on the seeded devnet whose settler is driven by the test, a
payer that pays with the official x402 SDK client, and a mempool watcher that reads the node's
pending settlement and gets its own transaction mined first."""

from __future__ import annotations

import contextlib
import os
import threading
import time

import httpx
import pytest
from eth_account import Account
from web3.logs import DISCARD

from ogcli.core import records, typed_data
from ogcli.devnet import accounts
from tests.chain.node_fixture import running_node, use_local_storage

FEATURES = {"features": [[0.1, 0.2, 0.3, 0.4]]}
BODY = {"model": 2, "inputs": FEATURES}  # wallet-risk-classifier, TEE mode by default
MODE_VANILLA, MODE_TEE = 1, 2
ZERO = "0x" + "00" * 20
FUNDER = "holder-1"  # 26M OPG on the seeded devnet


@pytest.fixture
def node(seeded_profile, tmp_path):
    """(url, node, chain, blobs dir): a node whose settler only runs when the test says so
    (an hour's batch window; `settle_now` runs its rounds). It answers an `exact` call once its
    settlement is mined: `answered` sends calls and runs the settler while they wait."""
    with seeded_profile.snapshot():
        blobs = tmp_path / "blobs"
        use_local_storage(blobs)
        with running_node(tmp_path / "node", batch_window_s=3600, batch_size=16) as (url, running):
            yield url, running, seeded_profile, blobs


# ---------------------------------------------------------------------------------------- money


def balance(chain, address: str) -> int:
    return chain.protocol.token.functions.balanceOf(address).call()


def fund(chain, address: str, amount_wei: int, gas: bool = True) -> None:
    """`amount_wei` OPG from the seeded holder, and gas for `address`'s own transactions."""
    funder = accounts.get(FUNDER)
    chain.rpc("anvil_impersonateAccount", [funder.address])
    try:
        tx = chain.protocol.token.functions.transfer(address, amount_wei).transact({"from": funder.address})
        chain.w3.eth.wait_for_transaction_receipt(tx)
    finally:
        chain.rpc("anvil_stopImpersonatingAccount", [funder.address])
    if gas:
        chain.rpc("anvil_setBalance", [address, hex(10**20)])


def new_payer(chain, amount_wei: int):
    payer = Account.from_key(os.urandom(32))
    fund(chain, payer.address, amount_wei)
    return payer


def send(chain, account, call, *, priority_wei: int | None = None, wait: bool = True):
    """Signs `call` with `account`'s key and sends it (tipping `priority_wei` when given)."""
    w3 = chain.w3
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = priority_wei if priority_wei is not None else 10**9
    tx = call.build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                                 "gas": 3_000_000, "maxFeePerGas": 4 * base + tip, "maxPriorityFeePerGas": tip,
                                 "chainId": w3.eth.chain_id})
    tx_hash = w3.eth.send_raw_transaction(Account.sign_transaction(tx, account.key).raw_transaction)
    if wait:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, f"{call.fn_name} reverted"
        return receipt
    return tx_hash


def cancel_call(chain, payer, nonce: bytes):
    """The payer's ERC-3009 cancelAuthorization of `nonce` (OPGToken inherits it), signed."""
    signed = Account.sign_typed_data(
        payer.key, typed_data.token_domain(chain.w3.eth.chain_id, chain.protocol.token.address),
        {"CancelAuthorization": [{"name": "authorizer", "type": "address"}, {"name": "nonce", "type": "bytes32"}]},
        {"authorizer": payer.address, "nonce": nonce})
    return chain.protocol.token.functions.cancelAuthorization(payer.address, nonce, signed.v, signed.r.to_bytes(32, "big"),
                                                              signed.s.to_bytes(32, "big"))


def authorization(chain, payer, value: int, *, nonce: bytes | None = None, valid_before: int | None = None,
                  to: str | None = None) -> tuple:
    """An ERC-3009 TransferWithAuthorization of `payer`'s, as the settlement's Payment tuple; to
    `payer`'s own till unless `to` says otherwise (what a payer settling as its own node pays)."""
    from ogcli.chain.tills import node_till

    now = chain.now()
    nonce = nonce or os.urandom(32)
    to = to or node_till(chain.protocol, payer.address)
    valid_before = valid_before or now + 3600
    message = typed_data.transfer_authorization(payer.address, to, value, now - 60, valid_before, nonce)
    signature = Account.sign_typed_data(payer.key, typed_data.token_domain(chain.w3.eth.chain_id, chain.protocol.token.address),
                                        typed_data.TRANSFER_WITH_AUTHORIZATION_TYPES, message).signature
    return (payer.address, value, now - 60, valid_before, nonce, bytes(signature))


# ---------------------------------------------------------------------------------------- x402


def offer(url: str, body: dict = BODY):
    from x402.http import PAYMENT_REQUIRED_HEADER, decode_payment_required_header

    answer = httpx.post(f"{url}/v1/infer", json=body, timeout=30)
    assert answer.status_code == 402, answer.text
    return decode_payment_required_header(answer.headers[PAYMENT_REQUIRED_HEADER]).accepts[0]


def pay(payer, requirement) -> str:
    """A PAYMENT-SIGNATURE header made by the official SDK's exact client."""
    from x402 import x402ClientSync
    from x402.http import encode_payment_signature_header
    from x402.mechanisms.evm.exact import ExactEvmScheme
    from x402.schemas import PaymentRequired

    client = x402ClientSync()
    client.register(requirement.network, ExactEvmScheme(payer))
    client.set_spend_controls(False)
    return encode_payment_signature_header(client.create_payment_payload(PaymentRequired(accepts=[requirement])))


def header_nonce(header: str) -> bytes:
    from x402.http import decode_payment_signature_header

    payload = decode_payment_signature_header(header)
    return bytes.fromhex(payload.payload["authorization"]["nonce"].removeprefix("0x"))


def header_authorization(header: str) -> dict:
    from x402.http import decode_payment_signature_header

    payload = decode_payment_signature_header(header)
    return {**payload.payload["authorization"], "signature": payload.payload["signature"]}


def request_id_of(payer_address: str, header: str) -> bytes:
    """The request id the node gives the call this header pays for (its till, payer, nonce)."""
    return records.exact_request_id(header_authorization(header)["to"], payer_address, header_nonce(header))


def call(url: str, header: str, body: dict = BODY) -> httpx.Response:
    from x402.http import PAYMENT_SIGNATURE_HEADER

    return httpx.post(f"{url}/v1/infer", json=body, headers={PAYMENT_SIGNATURE_HEADER: header}, timeout=60)


def answered(nodes, calls, meanwhile):
    """Sends `calls` ((url, header[, body]) each) at once and returns their answers. A node answers
    an `exact` call once its settlement is mined, and these nodes' settlers wait for the test: once
    every call is in a node's outbox (or answered already), `meanwhile()` runs (settle_now,
    intercept), and then the answers come."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call, *c) for c in calls]
        ids = ["0x" + request_id_of(header_authorization(c[1])["from"], c[1]).hex() for c in calls]
        deadline = time.monotonic() + 30
        while not all(f.done() or any(n.outbox.get(i) for n in nodes) for f, i in zip(futures, ids)):
            assert time.monotonic() < deadline, "the calls never reached an outbox"
            time.sleep(0.02)
        meanwhile()
        return [f.result(timeout=90) for f in futures]


def served_and_settled(running, url: str, header: str, body: dict = BODY) -> httpx.Response:
    """One call, its settlement run by the test (settle_now) while the node holds the answer."""
    answer, = answered([running], [(url, header, body)], lambda: settle_now(running))
    return answer


# ---------------------------------------------------------------------------------------- the node


def operator(running) -> str:
    return running.settler.sender.address


def settle_now(running, rounds: int = 1) -> None:
    """What the settler's loop does each round, `rounds` times (its own thread sleeps out the
    hour's batch window)."""
    running.settler.batch_window_s = 0
    for _ in range(rounds):
        running.settler.reconcile()
        while running.settler.settle_pending():
            pass


def intercept(chain, running, lift, timeout_s: float = 30.0):
    """Runs one settler round with automining off: once the node's settlement waits in the
    mempool, `lift(pending_tx)` sends the watcher's transactions (tipping more than the node), then
    one block is mined and the round finishes (the node sees its transaction's fate). Returns
    (the node's tx hash, the watcher's result)."""
    w3 = chain.w3
    running.settler.batch_window_s = 0
    known = {c.request_id for c in running.outbox.in_state("pending", limit=10_000)}
    errors: list[BaseException] = []

    def settle():
        try:
            running.settler.settle_pending()
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)

    chain.rpc("evm_setAutomine", [False])
    worker = threading.Thread(target=settle, daemon=True)
    try:
        worker.start()
        deadline = time.monotonic() + timeout_s
        tx_hash = None
        while time.monotonic() < deadline and tx_hash is None:
            sent = [c for c in running.outbox.in_state("sent", limit=10_000) if c.request_id in known]
            if sent:
                tx_hash = sent[0].tx_hash
            else:
                time.sleep(0.05)
        assert tx_hash is not None, "the node never sent its settlement"
        pending = w3.eth.get_transaction(tx_hash)
        result = lift(pending)
        chain.rpc("evm_mine")
    finally:
        chain.rpc("evm_setAutomine", [True])
    worker.join(timeout=60)
    assert not errors, errors
    # The round may have fallen back to settling call by call: let it finish with automine on.
    running.settler.reconcile()
    while running.settler.settle_pending():
        pass
    return tx_hash, result


def decode_settlement(chain, pending_tx) -> list[tuple[tuple, tuple]]:
    """[(record, payment)] of a pending settle / settleBatch."""
    fn, args = chain.protocol.settlement.decode_function_input(pending_tx["input"])
    if fn.fn_name == "settle":
        return [(_tuple(args["record"]), _tuple(args["payment"]))]
    return [(_tuple(r), _tuple(p)) for r, p in zip(args["records"], args["payments"])]


def _tuple(value):
    if isinstance(value, dict):
        return tuple(value.values())
    return tuple(value)


def settled_events(chain, receipt) -> list:
    return chain.protocol.settlement.events.InferenceSettled().process_receipt(receipt, errors=DISCARD)


def dearest_price(chain, running, fee_at_most_wei: int) -> tuple[int, int]:
    """(price, fee): the dearest model price whose call's fee is at most `fee_at_most_wei`."""
    from ogcli.core.pricing import quote

    params = chain.protocol.settlement.functions.params().call()
    low, high = 0, fee_at_most_wei
    while low < high:
        mid = (low + high + 1) // 2
        if quote(mid, running.node_fee_wei, params[0], params[1]) <= fee_at_most_wei:
            low = mid
        else:
            high = mid - 1
    return low, quote(low, running.node_fee_wei, params[0], params[1])


def bond_of(chain, running) -> tuple[int, int]:
    """(active, free) bond of the node's operator."""
    active, _unbonding, _release, reserved = chain.protocol.bonds.functions.bondOf(operator(running)).call()
    return active, active - reserved


# ---------------------------------------------------------------------------------------- models


def publish(chain, publisher, price_wei: int, modes: int, *, blobs=None, name: str | None = None) -> int:
    """A new model of `publisher`'s. With `blobs`, a real ONNX model (4 features in, like the
    seeded wallet-risk-classifier) stored there for the node to run; else only an entry on chain."""
    import hashlib

    from ogcli.devnet.seed import _model_metadata
    from ogcli.storage.cid import cid_of

    name = name or f"review-{os.urandom(4).hex()}"
    if blobs is not None:
        from ogcli.devnet.models import make_mlp
        from ogcli.storage.blobs import LocalStore

        blob = make_mlp(name, "review model", [4, 8, 3], int.from_bytes(os.urandom(2), "big"), True)
        LocalStore(blobs).put_bytes(blob)
        cid, digest, metadata = cid_of(blob), hashlib.sha256(blob).digest(), _model_metadata(blob)
    else:
        digest = os.urandom(32)
        cid, metadata = "bafy-" + digest.hex()[:20], ""
    hub = chain.protocol.hub
    receipt = send(chain, publisher, hub.functions.publish(cid, digest, name, price_wei, modes, metadata))
    return hub.events.ModelPublished().process_receipt(receipt, errors=DISCARD)[0]["args"]["modelId"]


def vanilla_record(chain, model_id: int, request_id: bytes | None = None) -> tuple:
    """A vanilla record of the caller's invention: no enclave, no signature."""
    return (model_id, os.urandom(32), os.urandom(32), request_id or os.urandom(32), chain.now(), MODE_VANILLA, ZERO, b"")


@contextlib.contextmanager
def other_node(data_dir, operator_name: str, **settings):
    """A second node on the active profile, run by `operator_name` with an enclave key of its own
    (registered on start), its settler driven by the test like `node`'s. Yields (url, node)."""
    with running_node(data_dir, accounts.get(operator_name).local_account, Account.from_key(os.urandom(32)),
                      **{"batch_window_s": 3600, **settings}) as (url, built):
        yield url, built
