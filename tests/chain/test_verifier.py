"""The node's verifier role: judges settled records and attests each exactly once, across restarts."""

from __future__ import annotations

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.node.verifier import Verifier
from tests.chain.fixtures import story_seeder

pytestmark = pytest.mark.chain


def test_verifier_attests_honest_and_tampered_records_once(seeded_profile, tmp_path):
    chain = seeded_profile
    with chain.snapshot():
        settlement = chain.protocol.settlement.functions
        seeder = story_seeder(chain, 3_000)  # past the seeded story's request ids
        model = chain.protocol.hub.functions.getModel(1).call()
        _, honest = seeder.settle_call(model[0], model[5], accounts.get("delegator-11"), tampered=False)
        _, tampered = seeder.settle_call(model[0], model[5], accounts.get("delegator-12"), tampered=True)
        validator = accounts.get("validator-3").local_account
        state = tmp_path / "verifier.db"

        verifier = Verifier(chain.protocol, Sender(chain.w3, validator), state)
        verifier.step()
        verdicts = verifier.verdicts()
        assert verdicts[honest] is True and verdicts[tampered] is False
        for record_id, valid in ((honest, True), (tampered, False)):
            attestation = settlement.attestationOf(record_id, validator.address).call()
            assert attestation[0] > 0 and attestation[1] is valid
        nonce = chain.w3.eth.get_transaction_count(validator.address)
        assert verifier.step() == 0  # nothing new
        verifier.stop()

        restarted = Verifier(chain.protocol, Sender(chain.w3, validator), state)  # a restart keeps its checkpoint
        assert restarted.step() == 0
        restarted.stop()
        amnesiac = Verifier(chain.protocol, Sender(chain.w3, validator), tmp_path / "lost.db")  # state lost
        amnesiac.step()
        assert chain.w3.eth.get_transaction_count(validator.address) == nonce  # the chain says: attested already
        # The seeded story's tampered record (the one its disputes were won on) is judged invalid too.
        [disputed] = {log["args"]["recordId"] for log in chain.protocol.settlement.events.DisputeWon().get_logs(from_block=0)}
        assert amnesiac.verdicts()[disputed] is False
        amnesiac.stop()


def contract_signs_over(settlement, record: dict, digest: bytes) -> bool:
    """Whether the contract's own digest of `record` is `digest`: a signature over `digest` is a
    good signature for the contract (its bad-signature ground does not hold) only then."""
    from eth_account import Account

    key = Account.create()
    signed = Account.unsafe_sign_hash(digest, key.key)
    contract_record = (record["modelId"], record["inputHash"], record["outputHash"], record["requestId"],
                       record["timestamp"], record["mode"], key.address, bytes(signed.signature))
    return not settlement.functions.checkGround(contract_record, 1).call()  # GROUND_BAD_SIGNATURE


def test_local_result_digest_and_recovery_match_the_contract(seeded):
    from eth_account import Account

    from ogcli.core import typed_data
    from ogcli.core.result_signature import domain_separator, recover, result_digest

    settlement = seeded.protocol.settlement
    record = {"modelId": 2, "inputHash": b"\x01" * 32, "outputHash": b"\x02" * 32, "requestId": b"\x03" * 32,
              "timestamp": 1_800_000_000, "mode": 2}
    digest = result_digest(domain_separator(31337, settlement.address), record)
    assert contract_signs_over(settlement, record, digest)
    assert not contract_signs_over(settlement, record, bytes(32))  # the check can fail
    signer = accounts.get("enclave-signer")
    signature = Account.sign_typed_data(
        signer.private_key, typed_data.settlement_domain(31337, settlement.address), typed_data.INFERENCE_RESULT_TYPES,
        typed_data.inference_result(2, b"\x01" * 32, b"\x02" * 32, b"\x03" * 32, 1_800_000_000, 2),
    ).signature
    assert recover(digest, bytes(signature)) == signer.address
    assert recover(digest, bytes(signature[:64]) + b"\x05") is None
    assert recover(b"\x00" * 32, bytes(signature)) != signer.address
    # The packed encoding against the contract's at the fields' extremes and on random values.
    import os
    import random

    separator = domain_separator(31337, settlement.address)
    rng = random.Random(7)
    for model_id, timestamp, mode in ((2**256 - 1, 2**64 - 1, 255), (0, 0, 0),
                                      *((rng.randrange(2**256), rng.randrange(2**64), rng.randrange(256)) for _ in range(5))):
        hashes = [os.urandom(32) for _ in range(3)]
        record = {"modelId": model_id, "inputHash": hashes[0], "outputHash": hashes[1], "requestId": hashes[2],
                  "timestamp": timestamp, "mode": mode}
        assert contract_signs_over(settlement, record, result_digest(separator, record))
    with pytest.raises(ValueError):
        result_digest(separator, {**record, "timestamp": 2**64})
    with pytest.raises(ValueError):
        result_digest(separator, {**record, "inputHash": b"\x01" * 31})


def test_verifier_claims_what_its_verdicts_earned_once_they_stand(seeded_profile, tmp_path):
    from ogcli.chain import attester_rewards as ar

    chain = seeded_profile
    with chain.snapshot():
        settlement, staking = chain.protocol.settlement.functions, chain.protocol.staking.functions
        seeder = story_seeder(chain, 3_500)  # past the seeded story's request ids
        model = chain.protocol.hub.functions.getModel(1).call()
        fresh = [seeder.settle_call(model[0], model[5], accounts.get(f"delegator-{i}"), tampered=False)[1] for i in (8, 9)]
        validator = accounts.get("validator-4").local_account
        verifier = Verifier(chain.protocol, Sender(chain.w3, validator), tmp_path / "verifier.db")
        verifier.step()
        assert all(verifier.verdicts()[r] is True for r in fresh)
        assert verifier.claim_rewards() == 0  # still inside the challenge window: nothing is paid yet

        chain.advance(settlement.params().call()[3] + 1)
        owed = ar.read_rewards(chain.protocol, validator.address, list(verifier.verdicts()))
        assert set(fresh) <= set(owed.ids(ar.CLAIMABLE))  # first on the fresh records: they hold slots
        pending = staking.pendingRewards(validator.address, validator.address).call()
        assert verifier.claim_rewards() == owed.total(ar.CLAIMABLE) > 0
        assert staking.pendingRewards(validator.address, validator.address).call() > pending
        assert ar.read_rewards(chain.protocol, validator.address).total(ar.CLAIMABLE) == 0

        nonce = chain.w3.eth.get_transaction_count(validator.address)
        assert verifier.claim_rewards() == 0  # every verdict is settled for good: nothing asked, nothing sent
        assert chain.w3.eth.get_transaction_count(validator.address) == nonce
        verifier.stop()
