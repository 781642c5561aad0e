"""TEERegistry: only the timelock changes the whitelist; approvals are answered for a point in time."""

from __future__ import annotations

import pytest
from eth_account import Account

from ogcli.chain.certificates import cache_chain
from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.errors import RevertedError
from ogcli.node.enclave import registration_proof
from ogcli.protocol.params import VENDOR_ID, dev_measurement

from .conftest import send_as
from .enclaves import dev_enclave, operator_sender, register_dev_enclave

pytestmark = pytest.mark.chain

DEV = VENDOR_ID["DEV"]
NITRO = VENDOR_ID["NITRO"]


def _register(chain, signer, image, operator_name="node-operator"):
    return register_dev_enclave(chain, signer, image=image, operator_name=operator_name, endpoint="http://n")


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
    measurement = dev_measurement("v9")
    signer = Account.create()

    with pytest.raises(RevertedError, match="MeasurementNotApproved"):
        _register(fresh, signer, "v9")
    send_as(fresh, timelock, registry.functions.approveMeasurement(DEV, measurement, "image v9"))
    _register(fresh, signer, "v9")
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
    """A copied document is not an enclave: registering one needs its signer's consent."""
    signer, impostor = Account.create(), Account.create()
    sender = operator_sender(fresh)
    enclave = dev_enclave(fresh, signer)
    enclave.document = enclave.issue_document(fresh.now())
    cache_chain(fresh.protocol, sender, enclave.document)
    impostor_proof = registration_proof(impostor, fresh.w3.eth.chain_id, fresh.protocol.registry.address,
                                        sender.address, enclave.attestation_hash())
    with pytest.raises(RevertedError, match="BadSignerProof"):
        sender.transact(fresh.protocol.registry.functions.registerEnclave(DEV, enclave.document, "", impostor_proof))
