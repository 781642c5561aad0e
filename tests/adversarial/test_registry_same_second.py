"""A registry change never reaches back into its own second (issue 14, found by the attacker
review). Blocks can share a timestamp (L2s; Anvil with a zero timestamp interval): a record, a true
"unknown signer" verdict on it, and then the signer's registration, all in one second, used to make
the signer active at the record's time, so no ground held any more and the true verdict was slashed
with ground 0. Every registry change (registration, vendor or measurement approval, retirement,
revocation) now applies to records dated after the second it was made in."""

from __future__ import annotations

import os

import pytest

from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from tests.adversarial.test_verifier_registry_cache import _record_signed_by, _register
from tests.chain.market import NODE_BOND, PRICE, Market

pytestmark = pytest.mark.chain
GROUND_NONE, GROUND_NOT_APPROVED = 0, 3


@pytest.fixture
def market(fresh):
    market = Market(fresh)
    market.bond("rogue-node", NODE_BOND)
    return market


def _settle_as_rogue(market, record) -> int:
    """Settles `record` from rogue-node, the operator of its signer (a TEE record settles only
    from its enclave's operator)."""
    return market.settle(record, market.payment(2 * PRICE), node="rogue-node")["recordId"]


def test_a_registration_in_the_records_second_does_not_flip_a_true_verdict(market):
    """An unregistered signer's record no longer settles by `exact`; the same second still counts
    against a signer registered in it: a record of that second is "not approved", and the true
    verdict saying so stands."""
    key = os.urandom(32)
    market.chain.rpc("anvil_setBlockTimestampInterval", [0])  # the next blocks share one second
    try:
        _register(market, "rogue-node", key)
        record = _record_signed_by(market, key)
        record_id = _settle_as_rogue(market, record)
        market.attest("validator-1", record_id, False)  # true: not active in its registration's second
        registered_at = market.p.registry.functions.getEnclave(record[6]).call()[5]
    finally:
        market.chain.rpc("anvil_removeBlockTimestampInterval")
    assert registered_at == record[4]  # the same second
    assert market.p.settlement.functions.checkGround(record, GROUND_NOT_APPROVED).call() is True
    stake = market.validator_tokens("validator-1")
    with pytest.raises(RevertedError, match="DisputeRejected"):
        market.dispute("challenger", record_id, record, "validator-1", GROUND_NONE)
    assert market.validator_tokens("validator-1") == stake


def test_an_enclave_signs_valid_records_from_the_second_after_its_registration(market):
    key = os.urandom(32)
    _register(market, "rogue-node", key)
    signer = _record_signed_by(market, key)[6]
    registered_at = market.p.registry.functions.getEnclave(signer).call()[5]
    registry = market.p.registry.functions
    assert registry.isActive(signer, registered_at).call() is False
    assert registry.isActive(signer, registered_at + 1).call() is True
    market.chain.advance(1)
    record = _record_signed_by(market, key)
    record_id = _settle_as_rogue(market, record)
    assert market.p.settlement.functions.checkGround(record, GROUND_NONE).call() is True  # no ground holds
    market.attest("validator-1", record_id, True)
    with pytest.raises(RevertedError, match="DisputeRejected"):
        market.dispute("challenger", record_id, record, "validator-1", GROUND_NOT_APPROVED)
