"""TEERegistry: only the timelock changes the whitelist; approvals are answered for a point in time."""

from __future__ import annotations

import hashlib

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.protocol.params import VENDOR_ID, dev_measurement

from .conftest import send_as

pytestmark = pytest.mark.chain

DEV = VENDOR_ID["DEV"]
NITRO = VENDOR_ID["NITRO"]


def _register(chain, signer, measurement, operator_name="node-operator"):
    operator = accounts.get(operator_name)
    chain.rpc("anvil_setBalance", [operator.address, hex(10**20)])
    registry = chain.protocol.registry
    attestation_hash = hashlib.sha256(b"doc").digest()
    digest = chain.w3.keccak(
        chain.w3.codec.encode(
            ["uint256", "address", "address", "bytes32"],
            [chain.w3.eth.chain_id, registry.address, operator.address, attestation_hash],
        )
    )
    proof = Account.sign_message(encode_defunct(primitive=digest), signer.key).signature
    sender = Sender(chain.w3, operator.local_account)
    return sender.transact(
        registry.functions.registerEnclave(signer.address, DEV, measurement, attestation_hash, "http://n", proof)
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.functions.approveMeasurement(NITRO, b"\x01" * 32, "x"),
        lambda r: r.functions.revokeMeasurement(DEV, dev_measurement("v0.1")),
        lambda r: r.functions.setVendor(NITRO, True, b"\x02" * 32),
    ],
)
@pytest.mark.parametrize("who", ["deployer", "validator-1", "holder-1"])
def test_nobody_but_the_timelock_changes_the_whitelist(fresh, call, who):
    account = accounts.get(who)
    fresh.rpc("anvil_setBalance", [account.address, hex(10**20)])
    with pytest.raises(RevertedError, match="OnlyTimelock"):
        Sender(fresh.w3, account.local_account).transact(call(fresh.protocol.registry))


def test_approval_is_answered_for_the_time_of_the_result(fresh):
    registry = fresh.protocol.registry
    timelock = fresh.deployment.address("OGTimelock")
    measurement = hashlib.sha256(b"image v9").digest()
    signer = Account.create()

    with pytest.raises(RevertedError, match="MeasurementNotApproved"):
        _register(fresh, signer, measurement)
    send_as(fresh, timelock, registry.functions.approveMeasurement(DEV, measurement, "image v9"))
    _register(fresh, signer, measurement)
    registered_at = fresh.now()
    fresh.advance(100)
    send_as(fresh, timelock, registry.functions.revokeMeasurement(DEV, measurement))
    revoked_at = fresh.now()

    active = registry.functions.isActive
    assert active(signer.address, registered_at + 50).call() is True
    assert active(signer.address, revoked_at).call() is True  # a revocation never reaches its own second
    assert active(signer.address, revoked_at + 1).call() is False
    assert active(signer.address, registered_at - 1).call() is False
    view = registry.functions.getMeasurement(DEV, measurement).call()
    assert view[3] is False and view[5] == revoked_at  # approved, revokedAt


def test_enclave_registration_needs_the_signers_own_proof(fresh):
    signer, impostor = Account.create(), Account.create()
    operator = accounts.get("node-operator")
    fresh.rpc("anvil_setBalance", [operator.address, hex(10**20)])
    registry = fresh.protocol.registry
    attestation_hash = b"\x05" * 32
    digest = fresh.w3.keccak(
        fresh.w3.codec.encode(
            ["uint256", "address", "address", "bytes32"],
            [fresh.w3.eth.chain_id, registry.address, operator.address, attestation_hash],
        )
    )
    proof = Account.sign_message(encode_defunct(primitive=digest), impostor.key).signature
    with pytest.raises(RevertedError, match="BadSignerProof"):
        Sender(fresh.w3, operator.local_account).transact(
            registry.functions.registerEnclave(signer.address, DEV, dev_measurement("v0.1"), attestation_hash, "", proof)
        )
