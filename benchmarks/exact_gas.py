"""Where the gas of one `exact` call settled alone goes, and the floor under it (issue 16).

A devnet is built on a throwaway Anvil and the reference node started on it in this process. Three
paid TEE calls are settled one transaction each, as the node's settler sends them; the last one's
call tree (Anvil's `debug_traceTransaction`, callTracer) says what each contract called took.

Then the floor: the payment alone. The payer's ERC-3009 `transferWithAuthorization` into the
settlement contract is sent as its own transaction with the record's bytes appended (the token's
decoder ignores them), so that it pays the same calldata a settlement does. Any `exact`
settlement pulls that payment, and must anchor the record on chain for a dispute to check it
against: at least one storage slot set from zero (EIP-2929's cold access plus EIP-2200's set,
22,100 gas by the schedule). The sum is the least an `exact` call settled alone can cost, whatever
the contract does besides.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._anvil import seeded_node  # noqa: E402
from ogcli.core.batch_records import RECORD_BYTES  # noqa: E402

CALLS = 3
FEATURES = {"features": [[0.1, 0.2, 0.3, 0.4]]}
NEW_SLOT_GAS = 22_100  # cold SSTORE from zero to nonzero (EIP-2929 2,100 + EIP-2200 20,000)
GOAL = 80_000


def main() -> None:
    from x402 import x402ClientSync
    from x402.http import encode_payment_signature_header
    from x402.mechanisms.evm.exact import ExactEvmScheme
    from x402.schemas import PaymentRequired

    from ogcli.devnet import accounts

    with seeded_node(batch_window_s=3600, batch_size=1) as (devnet, node):
        model = node.resolve(2)
        requirement = node.payments.requirements(node.price(model))
        payer = accounts.get("delegator-1").local_account
        client = x402ClientSync()
        client.register(requirement.network, ExactEvmScheme(payer))
        client.set_spend_controls(False)
        loaded = node.runtime.load(model.cid)
        node.settle_wait_s = 0  # each call answered at once, its settlement pending: settled below, one by one
        for _ in range(CALLS):
            header = encode_payment_signature_header(client.create_payment_payload(PaymentRequired(accepts=[requirement])))
            node.paid_call(model=model, mode="tee", payment_header=header, url="bench",
                           run=lambda: node.runtime.run(loaded, FEATURES), input_record={"model": model.id, "inputs": FEATURES})
            node.settler.settle_pending()
        protocol = devnet.protocol
        settled = [call for call in node.outbox.in_state("settled", limit=CALLS)]
        tx = protocol.w3.eth.get_transaction(settled[-1].tx_hash)
        total = protocol.w3.eth.get_transaction_receipt(tx["hash"])["gasUsed"]
        rows = _call_tree(protocol, tx["hash"])
        pull = _payment_alone(protocol, payer, int(requirement.amount), bytes(tx["input"]))
        least = _payment_alone(protocol, payer, int(requirement.amount), None, _packed(settled[-1]))

    print(f"one exact TEE call settled alone: {total:,} gas, {len(bytes(tx['input']))} bytes of calldata")
    for name, gas in rows:
        print(f"  {name:<48} {gas:>8,}")
    floor = least + NEW_SLOT_GAS
    print(f"the payment alone (transferWithAuthorization, its own transaction), with the settlement's calldata: {pull:,} gas")
    print(f"  with the least calldata (the authorization and the record packed in {RECORD_BYTES} bytes): {least:,} gas")
    print(f"floor of an exact call settled alone (that + one new slot for its record): {floor:,} gas")
    print(f"{'meets' if total <= GOAL else 'MISSES'} the {GOAL:,} goal; "
          f"{'no' if floor > GOAL else 'some'} design that pulls the payment and anchors the record can meet it")


def _call_tree(protocol, tx_hash) -> list[tuple[str, int]]:
    """(callee and function, gas) of the settlement's calls in `tx_hash`, and what was left to the
    settlement itself (its storage, events and checks, and the transaction's base and calldata)."""
    from ogcli.chain.abi import abi_type
    from ogcli.core.records import keccak

    trace = protocol.w3.provider.make_request("debug_traceTransaction", ["0x" + bytes(tx_hash).hex(), {"tracer": "callTracer"}])
    root = trace["result"]
    callees = (("OPGToken", protocol.token), ("ModelHub", protocol.hub), ("NodeBonds", protocol.bonds),
               ("TEERegistry", protocol.registry), ("ExactTills", protocol.tills))
    names = {contract.address.lower(): label for label, contract in callees}
    selectors = {}
    for label, contract in callees:
        for item in contract.abi:
            if item.get("type") == "function":
                signature = f"{item['name']}({','.join(abi_type(p) for p in item['inputs'])})"
                selectors[(label, "0x" + keccak(signature.encode())[:4].hex())] = item["name"]
    rows, children = [], 0
    for sub in root.get("calls", []):
        label = names.get(sub["to"].lower(), sub["to"])
        function = selectors.get((label, sub["input"][:10]), sub["input"][:10])
        gas = int(sub["gasUsed"], 16)
        children += gas
        rows.append((f"{label}.{function}", gas))
    total = int(root["gasUsed"], 16)
    # The transaction's gas is net of refunds: the till's balance slot, set and emptied again in
    # the same transaction, is refunded here, not in ExactTills.collect's row.
    rows.append(("the settlement itself, base, calldata and refunds", total - children))
    return rows


def _packed(call) -> bytes:
    """The call's record as a batch packs it (contracts/BatchRecords.sol): the fewest bytes that
    carry what a dispute checks (the signer is recovered, not sent)."""
    from ogcli.core.batch_records import BatchRecord

    r = call.record
    return BatchRecord(int(r["modelId"]), bytes.fromhex(r["inputHash"][2:]), bytes.fromhex(r["outputHash"][2:]),
                       bytes.fromhex(r["requestId"][2:]), int(r["timestamp"]), int(r["mode"]), 0, call.value_wei,
                       bytes.fromhex(r["signature"][2:])).pack()


def _payment_alone(protocol, payer, value: int, settlement_input: bytes | None, record: bytes = b"") -> int:
    """Gas of a fresh authorization from `payer` into the settlement, sent alone with `record`
    appended, or padded to the settlement's length with the settlement's own bytes (so zero and
    nonzero bytes, which cost differently, come in the same mix)."""
    from eth_account import Account

    from ogcli.core import typed_data
    from ogcli.devnet import accounts

    w3 = protocol.w3
    now = w3.eth.get_block("latest")["timestamp"]
    nonce = os.urandom(32)
    message = typed_data.transfer_authorization(payer.address, protocol.settlement.address, value, now - 5, now + 600, nonce)
    signature = Account.sign_typed_data(payer.key, typed_data.token_domain(w3.eth.chain_id, protocol.token.address),
                                        typed_data.TRANSFER_WITH_AUTHORIZATION_TYPES, message).signature
    call = protocol.token.functions.transferWithAuthorization(payer.address, protocol.settlement.address, value, now - 5,
                                                              now + 600, nonce, bytes(signature))
    sender = accounts.get("node-operator")
    data = bytes.fromhex(call._encode_transaction_data()[2:])
    data += settlement_input[len(data):] if settlement_input is not None else record
    tx = {"from": sender.address, "to": protocol.token.address, "data": data, "chainId": w3.eth.chain_id,
          "nonce": w3.eth.get_transaction_count(sender.address), "gas": 300_000,
          "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + 1, "maxPriorityFeePerGas": 1}
    tx_hash = w3.eth.send_raw_transaction(Account.sign_transaction(tx, sender.private_key).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise SystemExit("the payment alone reverted: the floor could not be measured")
    return receipt["gasUsed"]


if __name__ == "__main__":
    main()
