"""Devnet traffic: paid inferences from many wallets at a steady rate, a share of them from a
compromised node that settles outputs its enclave never signed, and validators attesting them:
honest ones judge each record, one dishonest validator vouches for everything; the challenger
disputes each forged record against the node that settled it, so the compromised node's bond
drains until it can settle no more. So liveness, correctness and disputes have live data on the
devnet and in the dashboard.

Honest calls go through a real node (x402, signed, settled by its outbox). Tampered calls are
settled directly by the `rogue-node` devnet account, as a compromised operator could. validator-1
is left to a node running `--role verifier|all` (it uses that key); the simulator attests for
validators 2 to 5 and 8 (honest) and 6 (dishonest). validator-7 stays jailed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from ogcli.chain.contracts import Protocol
from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.sdk.paid_http import PaidClient

HONEST_VALIDATORS = ("validator-2", "validator-3", "validator-4", "validator-5", "validator-8")
DISHONEST_VALIDATOR = "validator-6"
ONNX_INPUTS = {1: {"features": [[0.0] * 8]}, 2: {"features": [[0.1, 0.2, 0.3, 0.4]]}, 3: {"features": [[1.0] * 16]}}


@dataclass
class Traffic:
    calls: int = 0
    tampered: int = 0
    attestations: int = 0
    node_disputes: int = 0
    rogue_bond_before_wei: int = 0
    rogue_bond_after_wei: int = 0
    refused_unbonded: int = 0  # forged calls the chain refused: the rogue's bond fell below the minimum
    failures: list[str] = field(default_factory=list)


def simulate(protocol: Protocol, rpc_url: str, node_url: str, *, rate: float, duration_s: float, tamper: float,
             seed: int = 7, progress=lambda _m: None) -> Traffic:
    from ogcli.devnet.anvil import rpc
    from ogcli.devnet.seed import Seeder
    from ogcli.errors import OgcliError
    rng = random.Random(seed)
    traffic = Traffic()
    rogue = Seeder(protocol, rpc_url, 0, lambda _m: None)
    rogue._request_counter = int(time.time() * 1000)  # request ids never seen before
    rpc(rpc_url, "anvil_setBalance", [accounts.get("rogue-node").address, hex(10**21)])
    challenger = Sender(protocol.w3, accounts.get("challenger").local_account)
    rogue_address = accounts.get("rogue-node").address
    traffic.rogue_bond_before_wei = _bond(protocol, rogue_address)
    to_dispute: list[tuple[int, tuple]] = []
    validators = {name: Sender(protocol.w3, accounts.get(name).local_account)
                  for name in (*HONEST_VALIDATORS, DISHONEST_VALIDATOR)}
    active = {n for n in validators if protocol.staking.functions.isActive(accounts.get(n).address).call()}
    payers = accounts.group("delegator")
    models = [1, 2, 3]
    client_for = {}
    pending: list[tuple[str, PaidClient]] = []  # honest calls answered, not yet settled
    to_attest: list[tuple[int, dict[str, bool]]] = []
    deadline = time.monotonic() + duration_s
    interval = 1.0 / rate
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at += interval
        payer = rng.choice(payers)
        model_id = rng.choice(models)
        try:
            if rng.random() < tamper:
                price = protocol.hub.functions.getModel(model_id).call()[5]
                try:
                    settled, record_id = rogue.settle_call(model_id, price, payer, tampered=True)
                except OgcliError as exc:
                    if "NodeNotBonded" not in str(exc):
                        raise
                    traffic.refused_unbonded += 1
                    continue
                traffic.tampered += 1
                to_attest.append((record_id, {n: n == DISHONEST_VALIDATOR for n in active}))
                to_dispute.append((record_id, settled))
            else:
                if payer.name not in client_for:
                    client_for[payer.name] = PaidClient(node_url, payer.local_account, chain_id=protocol.w3.eth.chain_id,
                                                        token=protocol.token.address, settlement=protocol.settlement.address,
                                                        tills=protocol.tills.address)
                client = client_for[payer.name]
                answer = client.post("/v1/infer", {"model": model_id, "inputs": ONNX_INPUTS[model_id], "mode": "tee"}).json()
                pending.append((answer["receipt"]["requestId"], client))
            traffic.calls += 1
        except OgcliError as exc:  # one failed call must not end the run
            traffic.failures.append(str(exc)[:200])
        pending = _collect_settled(pending, to_attest, active)
        traffic.attestations += _attest(protocol, validators, to_attest, traffic)
        traffic.node_disputes += _dispute_producers(protocol, challenger, to_dispute, traffic)
        progress(f"{traffic.calls} calls, {traffic.tampered} tampered, {traffic.attestations} attestations, "
                 f"{traffic.node_disputes} forged records disputed against their node")
    drain_until = time.monotonic() + 30
    while pending and time.monotonic() < drain_until:  # the last calls' settlements
        time.sleep(0.2)
        pending = _collect_settled(pending, to_attest, active)
    traffic.attestations += _attest(protocol, validators, to_attest, traffic)
    traffic.rogue_bond_after_wei = _bond(protocol, rogue_address)
    for client in client_for.values():
        client.close()
    return traffic


def _collect_settled(pending, to_attest, active) -> list:
    still = []
    for request_id, client in pending:
        receipt = client.receipt(request_id)
        if receipt["state"] == "settled":
            to_attest.append((receipt["record_id"], {n: True for n in active}))
        elif receipt["state"] != "failed":
            still.append((request_id, client))
    return still


def _attest(protocol, validators, to_attest, traffic) -> int:
    """Sends every queued attestation at once (one block for all), then waits for them."""
    from ogcli.errors import OgcliError

    settlement = protocol.settlement.functions
    sent = []
    for record_id, verdicts in to_attest:
        for name, verdict in verdicts.items():
            call = settlement.attest(record_id, verdict)
            try:
                sent.append((validators[name], *validators[name].submit(call, gas=validators[name].estimate(call), label="attest")))
            except OgcliError as exc:
                traffic.failures.append(str(exc)[:200])
    to_attest.clear()
    done = 0
    for sender, tx_hash, tx in sent:
        try:
            sender.confirm(tx_hash, tx, label="attest")
            done += 1
        except OgcliError as exc:
            traffic.failures.append(str(exc)[:200])
    return done


def _bond(protocol, operator: str) -> int:
    active, unbonding, _release, _reserved = protocol.bonds.functions.bondOf(operator).call()
    return active + unbonding


def _dispute_producers(protocol, challenger, to_dispute, traffic) -> int:
    """Files every queued forged record against the node that settled it (ground 1: the signature
    is not the enclave's); the rogue's bond pays."""
    from ogcli.errors import OgcliError
    from ogcli.verify.record_grounds import GROUND_BAD_SIGNATURE

    settlement = protocol.settlement.functions
    done = 0
    for record_id, settled in to_dispute:
        try:
            challenger.transact(settlement.disputeProducer(record_id, settled, GROUND_BAD_SIGNATURE), label="disputeProducer")
            done += 1
        except OgcliError as exc:
            traffic.failures.append(str(exc)[:200])
    to_dispute.clear()
    return done
