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
    """A TEE record signed by `key` now (a draft: settled, it is bound to its payment)."""
    return market.record(key=key)


def test_a_signer_registered_after_an_earlier_verdict_is_judged_by_todays_registry(market):
    """The attack's first step no longer settles by `exact` (a TEE record settles only from its
    enclave's operator, so its signer is registered); the verifier's ground finder still must not
    carry an "unknown signer" over to a later record of a key registered since (batch records name
    no signer, and are judged by the same registry facts)."""
    from ogcli.verify.record_grounds import GROUND_UNKNOWN_SIGNER, GroundFinder

    key = os.urandom(32)
    keys = ("modelId", "inputHash", "outputHash", "requestId", "timestamp", "mode", "enclaveSigner", "signature")
    early = _record_signed_by(market, key)
    with pytest.raises(RevertedError, match="NotSettlersEnclave"):
        market.settle(early, market.payment(2 * 10**17), node="rogue-node")
    finder = GroundFinder(market.p)  # one long-lived finder, as the verifier keeps
    assert finder.ground(dict(zip(keys, early))) == GROUND_UNKNOWN_SIGNER
    _register(market, "rogue-node", key)
    market.chain.advance(5)
    later = _record_signed_by(market, key)
    assert finder.ground(dict(zip(keys, later))) is None, "judged by today's registry: registered and active"


def test_a_verdict_the_contract_would_judge_otherwise_is_never_sent(market, tmp_path):
    from ogcli.verify.record_grounds import GROUND_UNKNOWN_SIGNER
    from ogcli.verify.record_judge import Verdict

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
