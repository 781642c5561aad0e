"""The devnet's genesis: its parameters, then deploy + seed on a running Anvil."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
from ogcli.chain.contracts import Protocol
from ogcli.chain.multicall import MULTICALL3_ADDRESS
from ogcli.chain.sender import Sender
from ogcli.chain.session import connect
from ogcli.devnet import accounts
from ogcli.devnet.anvil import DEV_CHAIN_ID, rpc
from ogcli.node.dev_attestation import dev_root_sha256
from ogcli.devnet.models import seed_models
from ogcli.devnet.seed import ETH_PER_ACCOUNT, Seeder
from ogcli.protocol import artifacts
from ogcli.protocol.deploy import deploy_protocol
from ogcli.protocol.deployment import Deployment
from ogcli.protocol.params import (
    OPG,
    GenesisParams,
    TeeMeasurement,
    VestingGrant,
    dev_measurement,
)

# The DEV vendor's root: the devnet's own certificate authority for Nitro-shaped dev attestations.
DEV_ROOT_HASH = dev_root_sha256()  # sha-256 of the DER of ogcli.node.dev_attestation's root


def devnet_genesis(genesis_time: int) -> GenesisParams:
    return GenesisParams(
        community_recipient=accounts.get("deployer").address,
        vesting_grants=(
            VestingGrant(accounts.get("team").address, 150_000_000 * OPG, "team"),
            VestingGrant(accounts.get("investor").address, 100_000_000 * OPG, "investors"),
        ),
        vesting_start=genesis_time,
        tee_vendors=(("DEV", DEV_ROOT_HASH),),
        tee_measurements=(TeeMeasurement("DEV", dev_measurement("v0.1"), "ogcli-node dev enclave v0.1"),),
    )


def deploy_devnet(rpc_url: str, genesis_time: int, progress: Callable[[str], None]) -> Deployment:
    """Deploys the protocol with devnet parameters (no seeding)."""
    w3 = connect(rpc_url, DEV_CHAIN_ID)
    deployer = accounts.get("deployer")
    rpc(rpc_url, "anvil_setBalance", [deployer.address, hex(ETH_PER_ACCOUNT)])
    # Most chains have Multicall3 at its canonical address; the devnet gets our build of it there.
    rpc(rpc_url, "anvil_setCode", [MULTICALL3_ADDRESS, artifacts.load("Multicall3")["deployedBytecode"]])
    # The x402 batch-settlement contracts at the addresses the SDK hard-codes (the official ones
    # live there on Base): our builds have no constructor and no immutables, so their runtime code
    # works wherever it is placed.
    for address, name in ((BATCH_SETTLEMENT_ADDRESS, "BatchSettlement"),
                          (ERC3009_DEPOSIT_COLLECTOR_ADDRESS, "ERC3009DepositCollector")):
        rpc(rpc_url, "anvil_setCode", [address, artifacts.load(name)["deployedBytecode"]])
    sender = Sender(w3, deployer.local_account)
    return deploy_protocol(
        sender, devnet_genesis(genesis_time), network="devnet", expected_chain_id=DEV_CHAIN_ID, progress=progress
    )


def build_devnet(rpc_url: str, genesis_time: int, progress: Callable[[str], None]) -> tuple[Deployment, dict]:
    """Deploys and seeds; returns the deployment and the seed summary."""
    deployment = deploy_devnet(rpc_url, genesis_time, progress)
    w3 = connect(rpc_url, DEV_CHAIN_ID)
    summary = Seeder(Protocol(w3, deployment), rpc_url, genesis_time, progress).run(seed_models())
    return deployment, asdict(summary)
