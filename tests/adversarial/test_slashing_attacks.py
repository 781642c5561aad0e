"""The slashing guarantee under attack, on a real Anvil: no honest validator can be slashed, no false
vouching escapes, and nobody profits from slashing themselves.

Each test drives one exploit end to end with the protocol's public calls, the way an adversary
would, and asserts the outcome the rules promise. Against the contracts before issue 14 every one
of them fails: the exploit went through.
"""

from __future__ import annotations

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.protocol.params import DAY, OPG
from ogcli.verify.record_grounds import GroundFinder
from tests.chain.market import PRICE, Market
from tests.chain.sybils import sybil_unbondings

pytestmark = pytest.mark.chain

BAD_SIGNATURE, UNKNOWN_SIGNER, NOT_APPROVED = 1, 2, 3
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
EIP_7825_GAS_CAP = 2**24


@pytest.fixture
def market(fresh):
    return Market(fresh)


def _as_dict(record) -> dict:
    keys = ("modelId", "inputHash", "outputHash", "requestId", "timestamp", "mode", "enclaveSigner", "signature")
    return dict(zip(keys, record))


def _verify_and_attest(market, validator: str, tmp_path) -> None:
    """What an honest validator runs: the node's verifier role, judging every settled record."""
    from ogcli.node.verifier import Verifier

    for _ in range(4):  # past any confirmation depth the verifier waits for
        market.chain.rpc("evm_mine")
    account = accounts.get(validator).local_account
    verifier = Verifier(market.p, Sender(market.chain.w3, account), tmp_path / f"{validator}.db")
    try:
        verifier.step()
    finally:
        verifier.stop()


# ---------------------------------------------------------------- 1. re-registration


def test_reregistering_a_signer_cannot_rewrite_its_history(market):
    """An operator retires its enclave and registers the same signer again: every earlier record
    would fail `isActive(signer, record.timestamp)` and its honest attestations become disputable."""
    record = market.record()
    record_id = market.settle_one(record)
    market.attest("validator-1", record_id, True)
    stake = market.validator_tokens("validator-1")
    registry = market.p.registry.functions
    market.sender("node-operator").transact(registry.deregisterEnclave(market.signer.address))
    market.chain.advance(3_600)

    with pytest.raises(RevertedError, match="SignerAlreadyRegistered"):
        market._register_enclave()  # the same signer, a second time
        # Where that was allowed, the operator now disputes the honest verdict and is paid for it.
        market.dispute("node-operator", record_id, record, "validator-1", NOT_APPROVED)
    assert market.p.settlement.functions.checkGround(record, NOT_APPROVED).call() is False
    assert market.validator_tokens("validator-1") == stake


# ---------------------------------------------------------------- 2. future-dated records


def test_a_record_dated_after_its_settlement_is_refused(market):
    """A node signs a record dated three days ahead; validators see the enclave active and vouch;
    a deregistration dated before that timestamp then makes NOT_APPROVED hold against them."""
    record = market.record(timestamp=market.chain.now() + 3 * DAY)
    stake = market.validator_tokens("validator-1")
    with pytest.raises(RevertedError, match="RecordTimeOutOfBounds"):
        record_id = market.settle_one(record)
        market.attest("validator-1", record_id, True)
        market.sender("node-operator").transact(market.p.registry.functions.deregisterEnclave(market.signer.address))
        market.dispute("node-operator", record_id, record, "validator-1", NOT_APPROVED)
    assert market.validator_tokens("validator-1") == stake


# ---------------------------------------------------------------- 3. two signature rules


def _malleable_forms(signature: bytes) -> dict[str, bytes]:
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = (SECP256K1_N - s).to_bytes(32, "big")
    flipped = 55 - v  # 27 <-> 28
    return {
        "high-s, v flipped": r + high_s + bytes([flipped]),
        "v as 0/1": r + s.to_bytes(32, "big") + bytes([v - 27]),
        "high-s, v as 0/1": r + high_s + bytes([flipped - 27]),
        "65 bytes plus one": signature + b"\x00",
    }


def test_chain_and_python_accept_exactly_the_same_signatures(market):
    honest = market.record()
    finder = GroundFinder(market.p)
    settlement = market.p.settlement.functions
    assert finder.ground(_as_dict(honest)) is None
    assert settlement.checkGround(honest, BAD_SIGNATURE).call() is False
    for name, signature in _malleable_forms(honest[7]).items():
        forged = (*honest[:7], signature)
        on_chain = settlement.checkGround(forged, BAD_SIGNATURE).call()
        off_chain = finder.ground(_as_dict(forged)) == BAD_SIGNATURE
        assert on_chain is True, name
        assert off_chain == on_chain, f"{name}: Python and the contract disagree"


def test_an_honest_verifier_is_not_slashed_over_a_malleated_signature(market, tmp_path):
    """A node settles a malleated copy of an honest signature; the verifier must not vouch for it."""
    payment = market.payment(2 * PRICE)
    honest = market.record(request_id=market.request_id_of(payment))
    forged = (*honest[:7], _malleable_forms(honest[7])["high-s, v flipped"])
    record_id = market.settle(forged, payment)["recordId"]
    _verify_and_attest(market, "validator-1", tmp_path)
    stake = market.validator_tokens("validator-1")
    with pytest.raises(RevertedError, match="NotAttestedValid|NotDisputable"):
        market.dispute("challenger", record_id, forged, "validator-1", BAD_SIGNATURE)
    assert market.validator_tokens("validator-1") == stake


# ---------------------------------------------------------------- 4. self-dispute, and 0.9^N


def _wealth(market, name: str) -> int:
    address = accounts.get(name).address
    staking = market.p.staking.functions
    return (market.p.token.functions.balanceOf(address).call() + staking.delegationOf(address, address).call()[1]
            + staking.pendingRewards(address, address).call())


def test_a_validator_cannot_profit_from_disputing_itself(market):
    """validator-2 holds 20,000 OPG of its own and 100,000 of its delegators'. It vouches for its
    own bad record and disputes itself from an account it controls ('challenger')."""
    for name in ("delegator-1", "delegator-2"):
        market.fund(name, 50_000 * OPG)
        market.sender(name).transact(market.p.token.functions.approve(market.p.staking.address, 2**255))
        market.sender(name).transact(market.p.staking.functions.delegate(accounts.get("validator-2").address, 50_000 * OPG))
    before = _wealth(market, "validator-2") + _wealth(market, "challenger")
    bad = market.record(tamper=True)
    record_id = market.settle_one(bad)
    market.attest("validator-2", record_id, True)
    market.dispute("challenger", record_id, bad, "validator-2", BAD_SIGNATURE)
    after = _wealth(market, "validator-2") + _wealth(market, "challenger")
    assert after < before, f"the coalition gained {(after - before) / OPG:.2f} OPG by slashing its delegators"


def test_one_infraction_window_slashes_a_delegator_once(market):
    """validator-1 vouches for five bad records; five disputes must not take 1 - 0.9^5 of its delegators."""
    delegator = accounts.get("delegator-1").address
    market.fund("delegator-1", 10_000 * OPG)
    market.sender("delegator-1").transact(market.p.token.functions.approve(market.p.staking.address, 2**255))
    market.sender("delegator-1").transact(market.p.staking.functions.delegate(accounts.get("validator-1").address, 10_000 * OPG))
    bad = [market.record(tamper=True) for _ in range(5)]
    ids = [market.settle_one(record) for record in bad]
    for record_id in ids:
        market.attest("validator-1", record_id, True)
    for record_id, record in zip(ids, bad):
        try:
            market.dispute("challenger", record_id, record, "validator-1", BAD_SIGNATURE)
        except RevertedError:
            pass  # a rule may refuse the later disputes outright
    fraction = market.p.settlement.functions.params().call()[4]
    value = market.p.staking.functions.delegationOf(accounts.get("validator-1").address, delegator).call()[1]
    assert value >= 10_000 * OPG * (10_000 - fraction) // 10_000 - 1


# ---------------------------------------------------------------- 5. an unslashable validator


def test_sybil_unbondings_cannot_make_a_validator_unslashable(market):
    bad = market.record(tamper=True)
    record_id = market.settle_one(bad)
    market.attest("validator-1", record_id, True)
    sybil_unbondings(market.chain.w3, market.p, accounts.get("validator-1").address, 2_450)  # ~9,300 gas each in a walk: 22.8M, past 2^24
    stake = market.validator_tokens("validator-1")
    call = market.p.settlement.functions.dispute(record_id, market.settled_call(record_id, bad), accounts.get("validator-1").address,
                                                 BAD_SIGNATURE)
    challenger = market.sender("challenger")
    tx_hash, tx = challenger.submit(call, gas=EIP_7825_GAS_CAP, label="dispute")
    receipt = market.chain.w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1, f"dispute ran out of its {EIP_7825_GAS_CAP:,} gas ({receipt['gasUsed']:,} used)"
    assert market.validator_tokens("validator-1") < stake


# ---------------------------------------------------------------- 6. mode bits


@pytest.mark.parametrize("mode", [3, 6, 0x83, 0])
def test_a_record_carries_exactly_one_known_mode(market, mode, tmp_path):
    """The model takes vanilla and TEE calls (modes = 3). A record with mode 3 settles, a verifier
    reads it as vanilla (nothing to check) and vouches, and no dispute can reach it (not TEE)."""
    bad = market.record(tamper=True, mode=mode)
    stake = market.validator_tokens("validator-1")
    with pytest.raises(RevertedError, match="UnknownMode"):
        record_id = market.settle_one(bad)
        _verify_and_attest(market, "validator-1", tmp_path)
        market.dispute("challenger", record_id, bad, "validator-1", BAD_SIGNATURE)
    assert market.validator_tokens("validator-1") == stake


# ---------------------------------------------------------------- 7. verdicts paid whatever they say


def test_invalid_verdicts_on_everything_earn_no_reward(market):
    """validator-2 attests 'invalid' first on every record, without checking anything; the
    rewarded slots are the first ones, so it used to be paid at once and could never be challenged."""
    v2 = accounts.get("validator-2").address
    pending = market.p.staking.functions.pendingRewards
    honest = [market.record() for _ in range(3)]
    ids = [market.settle_one(record) for record in honest]
    before = pending(v2, v2).call()
    for record_id in ids:
        market.attest("validator-2", record_id, False)
        market.attest("validator-1", record_id, True)
    assert pending(v2, v2).call() == before, "an unchecked 'invalid' verdict was paid"
