"""A node takes no payment for a result no verifier can vouch for: once governance revokes its
enclave's measurement, a TEE call is refused (503 `enclave_not_active`) before the caller signs
anything, instead of being answered, charged, and then judged "not approved" by every verifier.
Vanilla calls, which claim no enclave, are still served."""

from __future__ import annotations

import json

import pytest

from ogcli.devnet import accounts
from ogcli.protocol.params import VENDOR_ID, dev_measurement
from tests.adversarial.test_verify_states import FEATURES
from tests.chain.conftest import send_as
from tests.chain.test_infer_e2e import node  # noqa: F401 (carol, a node on the seeded chain, a snapshot)

pytestmark = [pytest.mark.chain, pytest.mark.usefixtures("fast_wallets")]


def test_a_revoked_enclave_takes_no_tee_calls(node, cli):  # noqa: F811
    url, running, chain = node
    token, settlement = chain.protocol.token.functions, chain.protocol.settlement.functions
    payer = accounts.get("delegator-1").address
    registry = chain.protocol.registry.functions
    send_as(chain, chain.protocol.timelock.address, registry.revokeMeasurement(VENDOR_ID["DEV"], dev_measurement("v0.1")))
    chain.advance(2)  # the revocation applies to records dated after its second
    # The node reads the chain's time at most every second (its /health, read by the fixture at
    # start, sizes offers by it): a record dated before the revocation would still be approved.
    running._chain_time = None

    balance, records = token.balanceOf(payer).call(), settlement.recordCount().call()
    refused = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--mode", "tee",
                  "--input", json.dumps(FEATURES))
    error = json.loads(refused.stdout)
    assert refused.exit_code != 0 and error["ok"] is False
    assert "enclave_not_active" in error["error"]["message"] or "not active on chain" in error["error"]["message"], error
    assert (token.balanceOf(payer).call(), settlement.recordCount().call()) == (balance, records)

    served = cli("--json", "--yes", "infer", "run", "--node", url, "--model", "2", "--mode", "vanilla",
                 "--input", json.dumps(FEATURES))
    assert served.exit_code == 0, served.stdout
