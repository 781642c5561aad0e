"""Deploys the whole protocol to any JSON-RPC endpoint and hands every privilege to the timelock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.errors import ChainMismatchError
from ogcli.protocol import artifacts
from ogcli.protocol.deployment import Deployment
from ogcli.protocol.params import VENDOR_ID, GenesisParams

if TYPE_CHECKING:
    from ogcli.chain.sender import Sender

Progress = Callable[[str], None]


def deploy_protocol(
    sender: Sender,
    genesis: GenesisParams,
    *,
    network: str,
    expected_chain_id: int,
    progress: Progress = lambda _step: None,
) -> Deployment:
    """Deploys timelock, vesting wallets, token, governor, attestation verifier, registry, staking,
    hub, node bonds, the batch-record checks and settlement, wires them, renounces the deployer's admin role and returns the deployment record.

    Refuses to start when the endpoint's chain id is not `expected_chain_id`: a deployment to the
    wrong chain spends real funds and leaves a protocol nobody will use.
    """
    w3 = sender.w3
    if sender.chain_id != expected_chain_id:
        raise ChainMismatchError(
            f"endpoint serves chain id {sender.chain_id}, but the deployment targets {expected_chain_id}"
        )
    if not genesis.community_recipient:
        raise ValueError("genesis.community_recipient is required")

    def deploy(name: str, *args) -> str:
        progress(f"deploying {name}")
        receipt = sender.deploy(artifacts.abi(name), artifacts.bytecode(name), *args, label=f"deploy {name}")
        return w3.to_checksum_address(receipt.contract_address)

    def bind(name: str, address: str):
        return w3.eth.contract(address=address, abi=artifacts.abi(name))

    first_block = w3.eth.block_number + 1
    deployer = sender.address
    gov = genesis.governance

    # The deployer is the timelock's temporary admin only to grant the governor its roles.
    timelock = deploy("OGTimelock", gov.timelock_delay_s, [], ["0x" + "00" * 20], deployer)

    vesting_wallets = []
    for grant in genesis.vesting_grants:
        address = deploy(
            "OPGVesting",
            w3.to_checksum_address(grant.beneficiary),
            genesis.vesting_start,
            genesis.vesting_duration_s,
            genesis.vesting_cliff_s,
        )
        vesting_wallets.append(
            {"address": address, "beneficiary": grant.beneficiary, "amount_wei": str(grant.amount_wei), "label": grant.label}
        )

    recipients = [timelock, w3.to_checksum_address(genesis.community_recipient)] + [v["address"] for v in vesting_wallets]
    amounts = [genesis.treasury_wei, genesis.community_wei] + [g.amount_wei for g in genesis.vesting_grants]
    token = deploy("OPGToken", recipients, amounts)

    governor = deploy(
        "OGGovernor",
        token,
        timelock,
        gov.voting_delay_s,
        gov.voting_period_s,
        gov.proposal_threshold_wei,
        gov.quorum_percent,
    )

    vendor_ids = [VENDOR_ID[name] for name, _root in genesis.tee_vendors]
    vendor_roots = [root for _name, root in genesis.tee_vendors]
    # The registry verifies every enclave's attestation document through it.
    verifier = deploy("NitroVerifier")
    registry = deploy(
        "TEERegistry",
        timelock,
        verifier,
        vendor_ids,
        vendor_roots,
        [VENDOR_ID[m.vendor] for m in genesis.tee_measurements],
        [m.measurement for m in genesis.tee_measurements],
        [m.label for m in genesis.tee_measurements],
    )
    staking = deploy("Staking", token, timelock, genesis.staking.as_tuple())
    hub = deploy("ModelHub", token, timelock)
    bonds = deploy("NodeBonds", token, timelock, genesis.bonds.as_tuple())
    batch_records = deploy("BatchRecords")
    tills = deploy("ExactTills", token)
    # The batch-settlement channels live at the scheme's own address on every chain (the devnet
    # places them there), as the x402 SDK expects.
    settlement = deploy(
        "InferenceSettlement", token, staking, registry, hub, bonds, BATCH_SETTLEMENT_ADDRESS, batch_records, tills,
        timelock,
        genesis.settlement.as_tuple(),
    )

    progress("wiring contracts")
    sender.transact(bind("Staking", staking).functions.initSlasher(settlement), label="Staking.initSlasher")
    sender.transact(bind("NodeBonds", bonds).functions.initSettlement(settlement), label="NodeBonds.initSettlement")
    sender.transact(bind("TEERegistry", registry).functions.initSlasher(settlement), label="TEERegistry.initSlasher")
    sender.transact(bind("ModelHub", hub).functions.initSettlement(settlement), label="ModelHub.initSettlement")
    sender.transact(bind("ExactTills", tills).functions.initSettlement(settlement), label="ExactTills.initSettlement")

    progress("handing control to the timelock")
    timelock_contract = bind("OGTimelock", timelock)
    roles = timelock_contract.functions
    sender.transact(roles.grantRole(roles.PROPOSER_ROLE().call(), governor), label="grant proposer")
    sender.transact(roles.grantRole(roles.CANCELLER_ROLE().call(), governor), label="grant canceller")
    sender.transact(roles.renounceRole(roles.DEFAULT_ADMIN_ROLE().call(), deployer), label="renounce admin")

    head = w3.eth.get_block("latest")
    contracts = {
        "OGTimelock": timelock,
        "OPGToken": token,
        "OGGovernor": governor,
        "NitroVerifier": verifier,
        "TEERegistry": registry,
        "Staking": staking,
        "ModelHub": hub,
        "NodeBonds": bonds,
        "BatchRecords": batch_records,
        "ExactTills": tills,
        "InferenceSettlement": settlement,
    }
    return Deployment(
        network=network,
        chain_id=sender.chain_id,
        block=first_block,
        deployed_at=int(head["timestamp"]),
        deployer=deployer,
        contracts=contracts,
        vesting_wallets=vesting_wallets,
        artifacts={name: artifacts.digest(name) for name in artifacts.PROTOCOL_CONTRACTS},
        params=_params_record(genesis),
    )


def _params_record(genesis: GenesisParams) -> dict:
    """The genesis parameters as JSON-safe values (wei as strings, bytes as hex)."""

    def clean(value):
        if isinstance(value, bytes):
            return "0x" + value.hex()
        if isinstance(value, int) and not isinstance(value, bool) and value >= 2**53:
            return str(value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    return clean(asdict(genesis))
