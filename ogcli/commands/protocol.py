"""`ogcli protocol`: deploy the protocol's contracts to a chain and point a profile at them."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ogcli import context, diagnostics, output
from ogcli.appfactory import new_app
from ogcli.errors import OgcliError, UsageError
from ogcli.signing import PasswordFile

app = new_app(
    "Deploy the protocol's contracts to an EVM chain and point the profile at the deployment.\n\n"
    "Example: ogcli protocol deploy --profile base-sepolia"
)

# Transactions a deployment sends without vesting grants (protocol/deploy.py): 11 contracts,
# 5 wirings, 3 role changes: 19, shown rounded ("about 20").
DEPLOY_TRANSACTIONS = 20


@app.command()
def deploy(
    out: Annotated[
        Optional[Path],
        typer.Option("--out", help="Where to write the deployment file (default: the data dir's deployments/PROFILE.json).",
                     show_default=False),
    ] = None,
    community: Annotated[
        str, typer.Option("--community", help="Who receives the community allocation (default: the deployer).",
                          show_default=False)
    ] = "",
    password_file: PasswordFile = None,
) -> None:
    """Deploy every contract of the protocol from your account to the profile's chain, hand every
    privilege to the timelock, write the deployment file and point the profile at it. TEE
    enclaves are accepted from AWS Nitro only (its pinned root); the DEV vendor exists on local
    devnets alone. The chain must have Multicall3 at its canonical address (Base does).

    Example: ogcli protocol deploy --profile base-sepolia --yes
    """
    from ogcli import locations
    from ogcli.confirm import confirm
    from ogcli.core.addresses import AddressError, parse_address
    from ogcli.writes import show_rows

    network = context.resolve_network()
    if community:
        try:
            community = parse_address(community)
        except AddressError as exc:
            raise UsageError(f"--community: {exc}") from None
    target = (out or locations.data_dir() / "deployments" / f"{network.profile}.json").expanduser().resolve()
    if target.exists():
        raise UsageError(f"{target} exists; nothing was deployed (choose another --out, or move it away)")
    from ogcli.chain.session import connect
    from ogcli.signing import unlock_signer

    w3 = connect(network.rpc_url, network.chain_id)
    readiness = _readiness(w3)
    account = unlock_signer(network, password_file)
    eth = w3.eth.get_balance(account.address)
    rows = [("network", f"{network.profile} (chain id {network.chain_id}, {network.rpc_url})"), ("deployer", account.address),
            ("ETH", _eth(eth)), ("community allocation", community or f"{account.address} (the deployer)"),
            ("TEE vendors", "NITRO (AWS root pinned); measurements are added by governance"),
            ("transactions", f"about {DEPLOY_TRANSACTIONS}"), ("deployment file", str(target))]
    if not context.OPTIONS.json:
        show_rows("deploy the protocol", rows, readiness)
    if context.OPTIONS.dry_run:
        output.emit({"sent": False, "deployment": str(target), "deployer": account.address},
                    lambda: print("dry run: nothing was deployed"))
        return
    if eth == 0:
        raise UsageError(f"{account.address} holds no ETH on chain {network.chain_id} to pay the deployment's gas; nothing was sent")
    confirm(f"Deploy the protocol to chain {network.chain_id} from {account.address}?", yes=context.OPTIONS.yes)
    deployment = _deploy(w3, account, network, community or account.address)
    _write_and_point(deployment, target, network.profile)
    data = {"sent": True, "deployment": str(target), "profile": network.profile, "chain_id": deployment.chain_id,
            "block": deployment.block, "deployer": deployment.deployer, "contracts": deployment.contracts}

    def human() -> None:
        output.kv_table([("deployment", str(target)), ("profile", f"{network.profile} now uses it"),
                         ("from block", str(deployment.block)), *sorted(deployment.contracts.items())])

    output.emit(data, human)


def _readiness(w3) -> list[str]:
    """Refuses a chain the protocol cannot be read on; warnings for what will not work there."""
    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.chain.multicall import MULTICALL3_ADDRESS

    if not bytes(w3.eth.get_code(MULTICALL3_ADDRESS)):
        raise UsageError(f"this chain has no Multicall3 at {MULTICALL3_ADDRESS}: every read of the protocol batches "
                         "through it; deploy it there first (its canonical deployment); nothing was sent")
    if not bytes(w3.eth.get_code(BATCH_SETTLEMENT_ADDRESS)):
        return [f"no x402 batch-settlement contract at {BATCH_SETTLEMENT_ADDRESS} on this chain: calls can be paid "
                "by exact only (channels need it)"]
    return []


def _deploy(w3, account, network, community: str):
    from ogcli.chain.sender import Sender
    from ogcli.protocol.deploy import deploy_protocol
    from ogcli.protocol.params import AWS_NITRO_ROOT_SHA256, GenesisParams

    genesis = GenesisParams(community_recipient=community, vesting_start=int(w3.eth.get_block("latest")["timestamp"]),
                            tee_vendors=(("NITRO", AWS_NITRO_ROOT_SHA256),))
    with diagnostics.spinner("deploying the protocol") as update:
        try:
            return deploy_protocol(Sender(w3, account), genesis, network=network.profile,
                                   expected_chain_id=network.chain_id, progress=update)
        except OgcliError as exc:  # a revert or the endpoint failing: say what is left behind
            raise type(exc)(f"the deployment stopped: {exc.message}; the contracts sent so far are unused and "
                            "no deployment file was written") from None


def _write_and_point(deployment, target: Path, profile_name: str) -> None:
    import dataclasses

    from ogcli import config
    from ogcli.protocol.deployment import save

    target.parent.mkdir(parents=True, exist_ok=True)
    save(deployment, target)
    cfg = config.load()
    config.put_profile(profile_name, dataclasses.replace(cfg.profiles[profile_name], deployment=str(target)),
                       activate=False)


def _eth(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return f"{format_amount(wei, max_fraction=6)} ETH"
