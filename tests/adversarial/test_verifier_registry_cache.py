"""The reference verifier never attests a checkable "invalid" on stale facts (issue 14, found by
the attacker review): it used to cache a signer's "not registered" answer for the life of the
process, so an attacker who settles one record signed by a fresh key, registers that key, and
settles a perfectly valid record with it, got the honest verifier to attest the valid record
"invalid, unknown signer", and then won a ground-0 dispute against it (a slash of the honest
validator and its delegators, and the challenger's reward for the attacker)."""

from __future__ import annotations

import os

import pytest
from eth_account import Account

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.node.verifier import Verifier
from tests.chain.enclaves import register_dev_enclave
from tests.chain.market import MODE_TEE, Market

pytestmark = pytest.mark.chain
GROUND_NONE = 0


@pytest.fixture
def market(fresh):
    return Market(fresh)


def _register(market, operator: str, signer_key: bytes) -> None:
    register_dev_enclave(market.chain, signer_key, sender=market.sender(operator))


def _record_signed_by(market, key: bytes):
    now = market.chain.now()
    request_id, input_hash, output_hash = os.urandom(32), os.urandom(32), os.urandom(32)
    signature = market.sign_result(market.model_id, input_hash, output_hash, request_id, now, MODE_TEE, key=key)
    return (market.model_id, input_hash, output_hash, request_id, now, MODE_TEE, Account.from_key(key).address, signature)


def test_a_signer_registered_after_an_earlier_verdict_is_judged_by_todays_registry(market, tmp_path):
    key = os.urandom(32)
    honest = accounts.get("validator-1").address
    verifier = Verifier(market.p, Sender(market.chain.w3, accounts.get("validator-1").local_account), tmp_path / "v.db")
    try:
        early = market.settle_one(_record_signed_by(market, key))  # the key is not registered: truly "unknown signer"
        market.chain.rpc("evm_mine")
        verifier.step()
        assert verifier.verdicts()[early] is False
        _register(market, "rogue-node", key)
        market.chain.advance(5)
        valid = _record_signed_by(market, key)
        valid_id = market.settle_one(valid)
        market.chain.rpc("evm_mine")
        verifier.step()  # the same long-lived verifier
    finally:
        verifier.stop()
    assert market.p.settlement.functions.attestationOf(valid_id, honest).call()[1] is True  # judged valid
    stake = market.validator_tokens("validator-1")
    with pytest.raises(RevertedError, match="DisputeRejected|NotAttestedValid"):
        market.dispute("rogue-node", valid_id, valid, "validator-1", GROUND_NONE)
    assert market.validator_tokens("validator-1") == stake


def test_a_verdict_the_contract_would_judge_otherwise_is_never_sent(market, tmp_path):
    from ogcli.chain.disputes import GROUND_UNKNOWN_SIGNER
    from ogcli.node.verifier import Verdict

    record = market.record()  # signed by the registered enclave: no ground holds
    record_id = market.settle_one(record)
    keys = ("modelId", "inputHash", "outputHash", "requestId", "timestamp", "mode", "enclaveSigner", "signature")
    stale = Verdict(record_id, False, ("stale local fact",), GROUND_UNKNOWN_SIGNER, dict(zip(keys, record)))
    validator = accounts.get("validator-2")
    verifier = Verifier(market.p, Sender(market.chain.w3, validator.local_account), tmp_path / "v.db")
    try:
        nonce = market.chain.w3.eth.get_transaction_count(validator.address)
        assert verifier._attest(stale) == 0
        assert market.chain.w3.eth.get_transaction_count(validator.address) == nonce  # nothing sent
        assert "does not hold on chain" in verifier.abstentions()[record_id]
    finally:
        verifier.stop()
