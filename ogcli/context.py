"""The global options of one invocation, and how they resolve against the config file.

Precedence, per value: command-line flag > OGCLI_* environment variable > active profile in
config.toml > built-in default. Typer applies the first two; `resolve_network` the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ogcli.errors import ConfigError, UsageError


@dataclass
class GlobalOptions:
    profile: str | None = None
    rpc_url: str | None = None
    account: str | None = None
    json: bool = False
    yes: bool = False
    dry_run: bool = False
    quiet: bool = False
    verbose: bool = False
    unsigned: str | None = None  # a file: prepare writes there, unsigned, instead of sending them


OPTIONS = GlobalOptions()


@dataclass(frozen=True)
class Network:
    """Where this invocation talks to: resolved profile name, endpoint, chain and deployment."""

    profile: str
    rpc_url: str
    chain_id: int
    deployment_path: Path | None
    explorer_url: str
    account: str
    storage: str = ""
    routing: str = ""
    node_url: str = ""
    default_model: str = ""


def resolve_network(options: GlobalOptions | None = None) -> Network:
    """The network this invocation uses; a UsageError names what is missing."""
    from ogcli import config

    options = options or OPTIONS
    cfg = config.load()
    name = options.profile or cfg.active_profile
    if not name:
        raise UsageError(
            "no profile selected: run `ogcli devnet up` for a local network, or "
            "`ogcli config profile add NAME --rpc-url URL --chain-id ID`",
        )
    profile = cfg.profiles.get(name)
    if profile is None:
        known = ", ".join(sorted(cfg.profiles)) or "none"
        raise UsageError(f"unknown profile {name!r} (profiles: {known})")
    deployment_path = Path(profile.deployment) if profile.deployment else _packaged_deployment(profile.chain_id)
    return Network(
        profile=name,
        rpc_url=options.rpc_url or profile.rpc_url,
        chain_id=profile.chain_id,
        deployment_path=deployment_path,
        explorer_url=profile.explorer_url,
        account=options.account or profile.account,
        storage=profile.storage,
        routing=profile.routing,
        node_url=profile.node_url,
        default_model=profile.default_model,
    )


def _packaged_deployment(chain_id: int) -> Path | None:
    """The deployment file shipped with ogcli for a public chain, if there is one."""
    from ogcli.protocol.deployment import PACKAGED_DIR

    for path in sorted(PACKAGED_DIR.glob("*.json")):
        try:
            import json

            if json.loads(path.read_text()).get("chain_id") == chain_id:
                return path
        except (OSError, ValueError) as exc:
            raise ConfigError(f"packaged deployment {path.name} is unreadable: {exc}") from None
    return None
