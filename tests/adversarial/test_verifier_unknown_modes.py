"""A record's mode must be exactly one of the known ones (1 vanilla, 2 tee, 4 zkml). Any other
value (none, a combination of bits, an unassigned one) is judged invalid: taken for vanilla, it
would be a record that skips every check and is vouched for. The verifier must not rely on the
contract refusing such records at settlement."""

from __future__ import annotations

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.node.verifier import Verifier

pytestmark = pytest.mark.chain

FEE = 10**18
UNKNOWN_MODES = (0, 3, 5, 6, 7, 8, 255)


def _settled_args(chain, mode: int, record_id: int = 1) -> dict:
    """InferenceSettled arguments of a made-up record of `mode`, its fee split exactly as the
    settlement's parameters say."""
    validator_bps, treasury_bps = chain.protocol.settlement.functions.params().call()[:2]
    validators, treasury = FEE * validator_bps // 10_000, FEE * treasury_bps // 10_000
    record = {"modelId": 1, "inputHash": b"\x01" * 32, "outputHash": b"\x02" * 32, "requestId": b"\x03" * 32,
              "timestamp": chain.now(), "mode": mode, "enclaveSigner": "0x" + "00" * 20, "signature": b""}
    return {"recordId": record_id, "record": record, "fee": FEE, "publisherCut": 0,
            "nodeCut": FEE - validators - treasury, "validatorCut": validators, "treasuryCut": treasury}


@pytest.fixture
def verifier(fresh, tmp_path):
    judge = Verifier(fresh.protocol, Sender(fresh.w3, accounts.get("validator-3").local_account), tmp_path / "v.db")
    yield judge
    judge.stop()


def test_a_vanilla_record_with_a_sound_split_is_valid(fresh, verifier):
    assert verifier.judge(_settled_args(fresh, 1)).valid is True


@pytest.mark.parametrize("mode", UNKNOWN_MODES)
def test_a_record_of_an_unknown_mode_is_invalid(fresh, verifier, mode):
    verdict = verifier.judge(_settled_args(fresh, mode))
    assert verdict.valid is False
    assert any(f"unknown mode {mode}" in reason for reason in verdict.reasons), verdict.reasons
