"""InferenceSettlement: x402 payment split to the wei, replay refused, attest, dispute -> slash."""

from __future__ import annotations

from web3.logs import DISCARD

import hashlib
import os

import pytest
from eth_account import Account

from ogcli.chain.sender import Sender
from ogcli.core import typed_data
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.protocol.params import OPG

pytestmark = pytest.mark.chain

MODE_TEE = 2
PRICE = OPG // 10


class Market:
    """A published model, a registered enclave, two validators and a paying user on the chain."""

    def __init__(self, chain) -> None:
        self.chain = chain
        self.p = chain.protocol
        self.senders = {}
        deployer = self.sender("deployer")
        for name in ("user", "validator-1", "validator-2", "publisher-1"):
            deployer.transact(self.p.token.functions.transfer(accounts.get(name).address, 100_000 * OPG))
        for name in ("validator-1", "validator-2"):
            self.sender(name).transact(self.p.token.functions.approve(self.p.staking.address, 2**255))
            self.sender(name).transact(self.p.staking.functions.registerValidator(500, "", 20_000 * OPG))
        blob = os.urandom(64)
        receipt = self.sender("publisher-1").transact(
            self.p.hub.functions.publish("bafy-test", hashlib.sha256(blob).digest(), "m", PRICE, 3, "")
        )
        self.model_id = self.p.hub.events.ModelPublished().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["modelId"]
        self.signer = accounts.get("enclave-signer")
        self._register_enclave()

    def sender(self, name):
        if name not in self.senders:
            account = accounts.get(name)
            self.chain.rpc("anvil_setBalance", [account.address, hex(10**21)])
            self.senders[name] = Sender(self.chain.w3, account.local_account)
        return self.senders[name]

    def _register_enclave(self):
        from eth_account.messages import encode_defunct

        from ogcli.protocol.params import VENDOR_ID, dev_measurement

        operator = accounts.get("node-operator")
        registry = self.p.registry
        attestation_hash = b"\x07" * 32
        digest = self.chain.w3.keccak(
            self.chain.w3.codec.encode(
                ["uint256", "address", "address", "bytes32"],
                [self.chain.w3.eth.chain_id, registry.address, operator.address, attestation_hash],
            )
        )
        proof = Account.sign_message(encode_defunct(primitive=digest), self.signer.private_key).signature
        self.sender("node-operator").transact(
            registry.functions.registerEnclave(
                self.signer.address, VENDOR_ID["DEV"], dev_measurement("v0.1"), attestation_hash, "", proof
            )
        )

    def record(self, *, tamper=False, request_id=None):
        now = self.chain.now()
        request_id = request_id or os.urandom(32)
        input_hash, output_hash = os.urandom(32), os.urandom(32)
        signature = Account.sign_typed_data(
            self.signer.private_key,
            typed_data.settlement_domain(self.chain.w3.eth.chain_id, self.p.settlement.address),
            typed_data.INFERENCE_RESULT_TYPES,
            typed_data.inference_result(self.model_id, input_hash, output_hash, request_id, now),
        ).signature
        reported = os.urandom(32) if tamper else output_hash
        return (self.model_id, input_hash, reported, request_id, now, MODE_TEE, self.signer.address, bytes(signature))

    def payment(self, value, *, nonce=None, valid_before=None):
        payer = accounts.get("user")
        now = self.chain.now()
        nonce = nonce or os.urandom(32)
        valid_before = valid_before or now + 600
        message = typed_data.transfer_authorization(payer.address, self.p.settlement.address, value, now - 5, valid_before, nonce)
        signature = Account.sign_typed_data(
            payer.private_key,
            typed_data.token_domain(self.chain.w3.eth.chain_id, self.p.token.address),
            typed_data.TRANSFER_WITH_AUTHORIZATION_TYPES,
            message,
        ).signature
        return (payer.address, value, now - 5, valid_before, nonce, bytes(signature))

    def settle(self, record, payment):
        receipt = self.sender("node-operator").transact(self.p.settlement.functions.settle(record, payment))
        return self.p.settlement.events.InferenceSettled().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]


@pytest.fixture
def market(fresh):
    return Market(fresh)


def test_fee_split_is_exact_to_the_wei(market):
    balance = market.p.token.functions.balanceOf
    treasury, node = market.chain.deployment.address("OGTimelock"), accounts.get("node-operator").address
    before = {who: balance(who).call() for who in (treasury, node, market.p.settlement.address)}
    fee = PRICE + OPG // 20 + 12_345
    event = market.settle(market.record(), market.payment(fee))
    params = market.p.settlement.functions.params().call()
    validator_cut = fee * params[0] // 10_000
    treasury_cut = fee * params[1] // 10_000
    per_attester = validator_cut // params[2]
    assert event["publisherCut"] == PRICE
    assert event["validatorCut"] == validator_cut
    assert event["nodeCut"] == fee - PRICE - validator_cut - treasury_cut
    assert balance(node).call() - before[node] == event["nodeCut"]
    assert balance(treasury).call() - before[treasury] == treasury_cut + (validator_cut - per_attester * params[2])
    assert balance(market.p.settlement.address).call() - before[market.p.settlement.address] == per_attester * params[2]
    assert market.p.hub.functions.earningsOf(accounts.get("publisher-1").address).call() == PRICE


def test_replayed_request_and_reused_payment_are_refused(market):
    record = market.record()
    nonce = os.urandom(32)
    market.settle(record, market.payment(PRICE * 2, nonce=nonce))
    with pytest.raises(RevertedError, match="RequestAlreadySettled"):
        market.settle(record, market.payment(PRICE * 2))
    with pytest.raises(RevertedError, match="ERC3009UsedAuthorization"):
        market.settle(market.record(), market.payment(PRICE * 2, nonce=nonce))


def test_underpayment_is_refused_and_moves_nothing(market):
    user = accounts.get("user").address
    before = market.p.token.functions.balanceOf(user).call()
    with pytest.raises(RevertedError, match="Underpaid"):
        market.settle(market.record(), market.payment(PRICE))
    assert market.p.token.functions.balanceOf(user).call() == before


def test_only_active_validators_attest(market):
    market.settle(market.record(), market.payment(PRICE * 2))
    record_id = market.p.settlement.functions.recordCount().call()
    with pytest.raises(RevertedError, match="NotActiveValidator"):
        market.sender("user").transact(market.p.settlement.functions.attest(record_id, True))
    market.sender("validator-1").transact(market.p.settlement.functions.attest(record_id, True))
    with pytest.raises(RevertedError, match="AlreadyAttested"):
        market.sender("validator-1").transact(market.p.settlement.functions.attest(record_id, True))


def test_dispute_of_a_tampered_result_slashes_and_pays_the_challenger(market):
    settlement = market.p.settlement.functions
    honest, tampered = market.record(), market.record(tamper=True)
    market.settle(honest, market.payment(PRICE * 2))
    honest_id = settlement.recordCount().call()
    market.settle(tampered, market.payment(PRICE * 2))
    tampered_id = settlement.recordCount().call()
    v1 = accounts.get("validator-1").address
    market.sender("validator-1").transact(settlement.attest(honest_id, True))
    market.sender("validator-1").transact(settlement.attest(tampered_id, True))

    challenger = market.sender("challenger")
    with pytest.raises(RevertedError, match="DisputeRejected"):
        challenger.transact(settlement.dispute(honest_id, honest, v1, 1))
    with pytest.raises(RevertedError, match="RecordMismatch"):
        challenger.transact(settlement.dispute(tampered_id, honest, v1, 1))

    stake_before = market.p.staking.functions.getValidator(v1).call()[1]
    challenger.transact(settlement.dispute(tampered_id, tampered, v1, 1))
    params = settlement.params().call()
    slashed = stake_before * params[4] // 10_000
    view = market.p.staking.functions.getValidator(v1).call()
    assert view[1] == stake_before - slashed
    assert view[6] is True  # jailed
    reward = slashed * params[5] // 10_000
    assert market.p.token.functions.balanceOf(challenger.address).call() == reward
    with pytest.raises(RevertedError, match="AlreadyDisputed"):
        challenger.transact(settlement.dispute(tampered_id, tampered, v1, 1))


def test_batch_settlement_stores_every_record_and_costs_less_per_call(market):
    settlement = market.p.settlement.functions
    single = market.sender("node-operator").transact(settlement.settle(market.record(), market.payment(PRICE * 2)))
    records = [market.record() for _ in range(5)]
    payments = [market.payment(PRICE * 2) for _ in range(5)]
    first_id = settlement.recordCount().call() + 1
    receipt = market.sender("node-operator").transact(settlement.settleBatch(records, payments))
    assert settlement.recordCount().call() == first_id + 4
    for offset, record in enumerate(records):
        assert settlement.recordState(first_id + offset).call()[0] == settlement.hashRecord(record).call()
    assert receipt.gas_used / 5 < single.gas_used
    with pytest.raises(RevertedError, match="LengthMismatch"):
        market.sender("node-operator").transact(settlement.settleBatch(records[:2], payments[:1]))
