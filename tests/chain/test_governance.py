"""The whitelist changes through the Governor and Timelock, and only through them."""

from __future__ import annotations

from web3.logs import DISCARD

import hashlib

import pytest

from ogcli.chain.sender import Sender
from ogcli.devnet import accounts
from ogcli.errors import ChainMismatchError, RevertedError
from ogcli.protocol.deploy import deploy_protocol
from ogcli.protocol.params import DAY, OPG, VENDOR_ID, GenesisParams

pytestmark = pytest.mark.chain


def _sender(chain, name):
    account = accounts.get(name)
    chain.rpc("anvil_setBalance", [account.address, hex(10**21)])
    return Sender(chain.w3, account.local_account)


def test_a_passed_proposal_approves_a_measurement_through_the_timelock(fresh):
    protocol = fresh.protocol
    deployer, voter = _sender(fresh, "deployer"), _sender(fresh, "holder-1")
    deployer.transact(protocol.token.functions.transfer(voter.address, 60_000_000 * OPG))
    voter.transact(protocol.token.functions.delegate(voter.address))
    fresh.advance(1)

    measurement = hashlib.sha256(b"nitro image 1").digest()
    registry = protocol.registry
    calldata = registry.encode_abi("approveMeasurement", args=[VENDOR_ID["NITRO"], measurement, "nitro image 1"])
    description = "Approve nitro image 1"
    governor = protocol.governor.functions
    receipt = voter.transact(governor.propose([registry.address], [0], [calldata], description))
    proposal_id = protocol.governor.events.ProposalCreated().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["proposalId"]

    fresh.advance(DAY + 1)
    voter.transact(governor.castVote(proposal_id, 1))
    fresh.advance(3 * DAY + 1)
    assert governor.state(proposal_id).call() == 4  # Succeeded
    voter.transact(governor.queue(proposal_id))
    with pytest.raises(RevertedError):
        voter.transact(governor.execute(proposal_id))  # timelock delay not over
    fresh.advance(2 * DAY + 1)
    voter.transact(governor.execute(proposal_id))
    assert registry.functions.isMeasurementApproved(VENDOR_ID["NITRO"], measurement).call() is True


PRIVILEGED_CALLS = {
    "Staking.setParams": lambda p: p.staking.functions.setParams(p.staking.functions.params().call()),
    "Staking.setSlasher": lambda p: p.staking.functions.setSlasher(accounts.get("user").address),
    "Staking.tombstone": lambda p: p.staking.functions.tombstone(accounts.get("validator-1").address),
    "InferenceSettlement.setParams": lambda p: p.settlement.functions.setParams(p.settlement.functions.params().call()),
    "InferenceSettlement.setTreasury": lambda p: p.settlement.functions.setTreasury(accounts.get("user").address),
    "ModelHub.setSettlement": lambda p: p.hub.functions.setSettlement(accounts.get("user").address),
}


@pytest.mark.parametrize("call", sorted(PRIVILEGED_CALLS))
@pytest.mark.parametrize("who", ["deployer", "holder-1"])
def test_parameters_are_timelock_only(fresh, call, who):
    with pytest.raises(RevertedError, match="OnlyTimelock"):
        _sender(fresh, who).transact(PRIVILEGED_CALLS[call](fresh.protocol))


def test_one_time_wiring_cannot_be_redone(fresh):
    deployer = _sender(fresh, "deployer")
    other = accounts.get("user").address
    with pytest.raises(RevertedError, match="SlasherAlreadySet|AlreadyInitialized"):
        deployer.transact(fresh.protocol.staking.functions.initSlasher(other))
    with pytest.raises(RevertedError, match="AlreadyInitialized"):
        deployer.transact(fresh.protocol.hub.functions.initSettlement(other))


def test_deployer_keeps_no_timelock_admin_role(fresh):
    timelock = fresh.protocol.timelock.functions
    admin = timelock.DEFAULT_ADMIN_ROLE().call()
    assert timelock.hasRole(admin, fresh.deployment.deployer).call() is False
    assert timelock.hasRole(timelock.PROPOSER_ROLE().call(), fresh.deployment.address("OGGovernor")).call()


def test_deploying_to_the_wrong_chain_id_sends_nothing(fresh):
    deployer = _sender(fresh, "deployer")
    nonce_before = fresh.w3.eth.get_transaction_count(deployer.address)
    with pytest.raises(ChainMismatchError, match="31337"):
        deploy_protocol(
            deployer, GenesisParams(community_recipient=deployer.address), network="base", expected_chain_id=8453
        )
    assert fresh.w3.eth.get_transaction_count(deployer.address) == nonce_before
