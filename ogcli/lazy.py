"""Sub-commands that load on first use: `ogcli --help` lists them without importing any of them.

Each noun's module (and what it imports) is loaded only when that noun is run, completed or asked
for help, which keeps every invocation's start-up to the root plus the one noun it needs.
"""

import importlib

import typer
from typer.core import TyperGroup

# name -> (module with a Typer `app`, the one line shown by `ogcli --help`)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "config": (
        "ogcli.commands.config",
        "Show and edit config.toml: profiles (RPC endpoint, chain id, deployment, account) and which one is active.",
    ),
    "dashboard": ("ogcli.commands.dashboard", "The live dashboard: usage, validators, models, governance, positions and events; delegate and vote from it."),
    "devnet": ("ogcli.commands.devnet", "Run a local devnet: Anvil with the protocol deployed and a seeded network."),
    "gov": ("ogcli.commands.gov", "Governance: the TEE whitelist, proposals, votes, queue and execute."),
    "infer": ("ogcli.commands.infer", "Inference: chat and ONNX calls paid with x402, each with an on-chain receipt."),
    "model": ("ogcli.commands.model", "Model Hub: push models with a price, list, pull (verified), earnings."),
    "node": ("ogcli.commands.node", "Run the reference node (paid, signed inference settled on chain; verification) and file disputes."),
    "network": ("ogcli.commands.network", "The network the active profile points at, and its usage."),
    "pay": ("ogcli.commands.pay", "Pay nodes by channel (x402 batch-settlement): deposit once, then each call is a voucher."),
    "protocol": ("ogcli.commands.protocol", "Deploy the protocol's contracts to an EVM chain and point the profile at the deployment."),
    "stake": ("ogcli.commands.stake", "Staking: validators ranked by quality, delegations, positions and slashing exposure."),
    "token": ("ogcli.commands.token", "OPG token: balances, transfers, supply, voting power."),
    "tx": ("ogcli.commands.tx", "Transactions: look one up; speed up or cancel one stuck unmined (a replacement at its nonce)."),
    "validator": ("ogcli.commands.validator", "Run a validator: register, update commission and metadata, unjail, status, attestation rewards."),
    "wallet": ("ogcli.commands.wallet", "Wallets: encrypted keystores (V3, scrypt) for signing, and their balances."),
}


class LazyGroup(TyperGroup):
    """The root group: knows its sub-commands by name and loads each on demand."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(SUBCOMMANDS))

    def get_command(self, ctx, name):
        if name not in SUBCOMMANDS:
            return super().get_command(ctx, name)
        module = importlib.import_module(SUBCOMMANDS[name][0])
        # get_group, not get_command: a noun with a single verb (network status) stays a group.
        command = typer.main.get_group(module.app)
        command.name = name
        return command

    def format_commands(self, ctx, formatter):
        rows = [(name, help_line) for name, (_module, help_line) in sorted(SUBCOMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
