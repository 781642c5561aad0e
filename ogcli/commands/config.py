"""`ogcli config`: show and edit config.toml, the profiles that say which network and wallet to use."""

# No `from __future__ import annotations` here: Typer would eval every annotation string on
# each start (see ogcli/appfactory.py).
import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ogcli import context, diagnostics, locations, output
from ogcli.appfactory import new_app
from ogcli.confirm import confirm
from ogcli.errors import ConfigError, UsageError

# ogcli.config (the TOML model) is imported inside each command, not here: its dataclasses cost
# ~3 ms that `ogcli --help` and every other command would pay. So the key names are restated;
# tests/unit/test_config.py checks they match ogcli.config.SETTABLE_KEYS.
SETTABLE_KEYS = ("rpc_url", "chain_id", "deployment", "account", "explorer_url", "storage", "routing", "node_url",
                 "default_model", "active_profile")

if TYPE_CHECKING:
    from ogcli import config as toml_config

_COMMENTS = (
    "ogcli rewrites config.toml whole and cannot keep comments: a write that drops them first "
    "saves the file as config.toml.bak and says so."
)

app = new_app(
    "Show and edit config.toml: profiles (RPC endpoint, chain id, deployment, account) and "
    f"which one is active.\n\n{_COMMENTS}\n\nExample: ogcli config show"
)
profile_app = new_app("Add, list, activate and remove profiles.\n\nExample: ogcli config profile list")
app.add_typer(profile_app, name="profile")


def _complete_profile_names(incomplete: str) -> list[str]:
    from ogcli import config as toml_config

    try:
        names = toml_config.load().profiles
    except ConfigError:
        return []
    return sorted(name for name in names if name.startswith(incomplete))


def _complete_keys(incomplete: str) -> list[str]:
    return [key for key in SETTABLE_KEYS if key.startswith(incomplete)]


ProfileName = Annotated[
    str, typer.Argument(help="Profile name.", autocompletion=_complete_profile_names, show_default=False)
]
Key = Annotated[
    str,
    typer.Argument(
        help=f"One of: {', '.join(SETTABLE_KEYS)}.", autocompletion=_complete_keys, show_default=False
    ),
]


@app.command()
def show() -> None:
    """Show the active profile, every profile, and what this invocation would use.

    Example: ogcli config show --json
    """
    from ogcli import config as toml_config

    cfg = toml_config.load()
    effective = _effective_network()
    data = {
        "path": str(locations.config_file()),
        "active_profile": cfg.active_profile or None,
        "profiles": {name: dataclasses.asdict(profile) for name, profile in sorted(cfg.profiles.items())},
        "effective": effective,
    }

    def human() -> None:
        _kv_table([("config", data["path"]), ("active profile", cfg.active_profile or "none")])
        if cfg.profiles:
            _profiles_table(cfg)
        else:
            diagnostics.note(_NO_PROFILES)
        if effective and (effective["profile"] != cfg.active_profile or _overridden(effective, cfg)):
            _kv_table([(key.replace("_", " "), str(value)) for key, value in effective.items()], title="in use")

    output.emit(data, human)


@app.command("path")
def show_path() -> None:
    """Print where the config file is (whether or not it exists yet).

    Example: $EDITOR "$(ogcli config path)"
    """
    path = locations.config_file()
    output.emit({"path": str(path), "exists": path.exists()}, lambda: print(path))


@app.command("set")
def set_key(key: Key, value: Annotated[str, typer.Argument(help="The new value.", show_default=False)]) -> None:
    """Set one field of the selected profile (--profile, else the active one), or active_profile.

    rpc_url and explorer_url take http:// or https:// URLs, storage a file:///directory or an IPFS
    node's http:// URL, chain_id a whole number above 0,
    deployment an existing file, account a wallet name or a 0x address, node_url the node `infer`
    calls without --node, default_model the chat model `infer chat` asks without --model,
    active_profile the name of an existing profile. Comments in config.toml are not kept (it is backed up to
    config.toml.bak first).

    Example: ogcli config set rpc_url https://sepolia.base.org --profile base-sepolia
    """
    from ogcli import config as toml_config

    _check_key(key)
    cfg = toml_config.load()
    if key == "active_profile":
        target = None
        old, new = cfg.active_profile, _existing_profile(cfg, value)
        cfg.active_profile = new
    else:
        new = toml_config.parse_field(key, value)
        target = _selected_profile(cfg)
        old = getattr(cfg.profiles[target], key)
        cfg.profiles[target] = dataclasses.replace(cfg.profiles[target], **{key: new})
    _write(cfg, changed=old != new)
    where = f" in profile {target!r}" if target else ""
    output.emit(
        {"profile": target, "key": key, "value": new, "previous": None if old == "" else old, "changed": old != new},
        lambda: print(f"{key} = {new}{where}" + ("" if old != new else " (unchanged)")),
    )


@app.command()
def unset(key: Key) -> None:
    """Reset a field of the selected profile to its default (empty), or clear active_profile.

    rpc_url and chain_id cannot be unset: every profile needs them. Comments in config.toml are
    not kept (it is backed up to config.toml.bak first).

    Example: ogcli config unset explorer_url --profile base
    """
    from ogcli import config as toml_config

    _check_key(key)
    if key in toml_config.REQUIRED_FIELDS:
        raise UsageError(f"{key} cannot be unset: every profile needs one; `ogcli config set {key} VALUE` changes it")
    cfg = toml_config.load()
    if key == "active_profile":
        target, old = None, cfg.active_profile
        cfg.active_profile = ""
    else:
        target = _selected_profile(cfg)
        old = getattr(cfg.profiles[target], key)
        cfg.profiles[target] = dataclasses.replace(cfg.profiles[target], **{key: ""})
    _write(cfg, changed=old != "")
    where = f" in profile {target!r}" if target else ""
    output.emit(
        {"profile": target, "key": key, "previous": old or None, "changed": old != ""},
        lambda: print(f"{key} unset{where}" + ("" if old else " (was not set)")),
    )


@profile_app.command("list")
def list_profiles() -> None:
    """List the profiles; the active one is marked with *.

    Example: ogcli config profile list --json
    """
    from ogcli import config as toml_config

    cfg = toml_config.load()
    data = {
        "active_profile": cfg.active_profile or None,
        "profiles": [
            {"name": name, "active": name == cfg.active_profile, **dataclasses.asdict(profile)}
            for name, profile in sorted(cfg.profiles.items())
        ],
    }
    output.emit(data, lambda: _profiles_table(cfg) if cfg.profiles else diagnostics.note(_NO_PROFILES))


@profile_app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Profile name: lowercase letters, digits, - and _.", show_default=False)],
    chain_id: Annotated[Optional[int], typer.Option("--chain-id", help="Chain id the endpoint must report (required "
                                                                      "without --preset).", show_default=False)] = None,
    rpc_url: Annotated[Optional[str], typer.Option("--rpc-url", help="JSON-RPC endpoint (required without --preset).",
                                                   show_default=False)] = None,
    preset: Annotated[str, typer.Option("--preset", help="A known network: base-sepolia or base (chain id, public RPC, "
                                                         "explorer; each can still be given).", show_default=False)] = "",
    deployment: Annotated[str, typer.Option("--deployment", help="Deployment file (contract addresses).")] = "",
    account: Annotated[Optional[str], typer.Option("--account", help="Default wallet to sign with.", show_default=False)] = None,
    explorer_url: Annotated[str, typer.Option("--explorer-url", help="Block explorer base URL.")] = "",
    storage: Annotated[str, typer.Option("--storage", help="Model storage: file:///dir or an IPFS node's http:// URL.")] = "",
    use: Annotated[bool, typer.Option("--use", help="Make it the active profile.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a profile of the same name.")] = False,
) -> None:
    """Add a profile; it becomes active with --use, or when no profile is active yet. --preset
    fills in a known network's chain id, public RPC endpoint and explorer (and the deployment
    ogcli ships for it, once one is published).

    Comments in config.toml are not kept (it is backed up to config.toml.bak first).

    Example: ogcli config profile add base-sepolia --preset base-sepolia --use
    """
    from ogcli import config as toml_config
    from ogcli.presets import PRESETS

    toml_config.check_profile_name(name)
    # --rpc-url and --account are also global options, which main.py moves in front of the
    # subcommand; so a value typed here arrives on the root command (an OGCLI_* variable does not count).
    rpc_url = rpc_url or _typed_on_root(ctx, "rpc_url")
    account = account or _typed_on_root(ctx, "account") or ""
    if preset:
        known = PRESETS.get(preset)
        if known is None:
            raise UsageError(f"unknown preset {preset!r} (presets: {', '.join(PRESETS)})")
        if chain_id is not None and chain_id != known.chain_id:
            raise UsageError(f"--chain-id {chain_id} is not {known.label}'s chain id ({known.chain_id})")
        chain_id, rpc_url = known.chain_id, rpc_url or known.rpc_url
        explorer_url = explorer_url or known.explorer_url
    if not rpc_url:
        raise UsageError("--rpc-url is required: the JSON-RPC endpoint of the network (or --preset NAME)")
    if chain_id is None:
        raise UsageError("--chain-id is required: the chain id the endpoint must report (or --preset NAME)")
    profile = toml_config.Profile(
        rpc_url=toml_config.check_rpc_url(rpc_url),
        chain_id=toml_config.parse_chain_id(chain_id),
        deployment=toml_config.check_deployment(deployment) if deployment else "",
        account=toml_config.check_account(account) if account else "",
        explorer_url=toml_config.check_explorer_url(explorer_url) if explorer_url else "",
        storage=toml_config.check_storage(storage) if storage else "",
    )
    cfg = toml_config.load()
    replaced = name in cfg.profiles
    if replaced and not force:
        raise UsageError(f"profile {name!r} exists already", hint="pass --force to replace it")
    cfg.profiles[name] = profile
    activate = use or not cfg.active_profile
    if activate:
        cfg.active_profile = name
    _write(cfg, changed=True)
    output.emit(
        {"name": name, "active": activate, "replaced": replaced, **dataclasses.asdict(profile)},
        lambda: print(f"profile {name!r} {'replaced' if replaced else 'added'}" + (" and active" if activate else "")),
    )


@profile_app.command("use")
def use_profile(name: ProfileName) -> None:
    """Make a profile the active one.

    Comments in config.toml are not kept (it is backed up to config.toml.bak first).

    Example: ogcli config profile use devnet
    """
    from ogcli import config as toml_config

    cfg = toml_config.load()
    old = cfg.active_profile
    cfg.active_profile = _existing_profile(cfg, name)
    _write(cfg, changed=old != name)
    output.emit(
        {"active_profile": name, "previous": old or None, "changed": old != name},
        lambda: print(f"profile {name!r} is active" + ("" if old != name else " (unchanged)")),
    )


@profile_app.command()
def remove(name: ProfileName) -> None:
    """Remove a profile after asking; removing the active one leaves no profile active.

    Comments in config.toml are not kept (it is backed up to config.toml.bak first).

    Example: ogcli config profile remove base-sepolia --yes
    """
    from ogcli import config as toml_config

    cfg = toml_config.load()
    profile = cfg.profiles.get(_existing_profile(cfg, name))
    was_active = cfg.active_profile == name
    consequence = " It is the active profile; none will be active." if was_active else ""
    confirm(f"Remove profile {name!r} ({profile.rpc_url}, chain id {profile.chain_id})?{consequence}", yes=context.OPTIONS.yes)
    toml_config.remove_profile(cfg, name)
    _write(cfg, changed=True)
    output.emit(
        {"removed": name, "was_active": was_active},
        lambda: print(f"profile {name!r} removed" + ("; no profile is active now" if was_active else "")),
    )


_NO_PROFILES = (
    "no profiles yet: `ogcli devnet up` creates one for a local network, "
    "`ogcli config profile add NAME --rpc-url URL --chain-id ID` adds any other"
)


def _check_key(key: str) -> None:
    if key not in SETTABLE_KEYS:
        raise UsageError(f"unknown key {key!r} (keys: {', '.join(SETTABLE_KEYS)})")


def _existing_profile(cfg: "toml_config.Config", name: str) -> str:
    if name not in cfg.profiles:
        known = ", ".join(sorted(cfg.profiles)) or "none"
        raise UsageError(f"unknown profile {name!r} (profiles: {known})")
    return name


def _selected_profile(cfg: "toml_config.Config") -> str:
    """The profile a field change applies to: --profile (or OGCLI_PROFILE), else the active one."""
    name = context.OPTIONS.profile or cfg.active_profile
    if not name:
        raise UsageError("no profile selected: pass --profile NAME, or make one active with `ogcli config profile use NAME`")
    return _existing_profile(cfg, name)


def _typed_on_root(ctx: typer.Context, param: str) -> Optional[str]:
    root = ctx.find_root()
    source = root.get_parameter_source(param)
    return root.params.get(param) if source is not None and source.name == "COMMANDLINE" else None


def _write(cfg: "toml_config.Config", *, changed: bool) -> None:
    """Saves the config when something changed, and says so when comments were dropped."""
    from ogcli import config as toml_config

    if not changed:
        return
    result = toml_config.save(cfg)
    if result.comments_dropped:
        # Short enough for one line of an 80-column terminal (warn() wraps).
        diagnostics.warn(f"comments are not kept; the file with them is now {result.backup.name}")


def _effective_network() -> Optional[dict[str, Any]]:
    """What commands of this invocation would use (flags and OGCLI_* applied), None without a profile."""
    from ogcli import config as toml_config

    try:
        network = context.resolve_network()
    except UsageError as exc:
        if context.OPTIONS.profile:
            raise
        if toml_config.load().active_profile:
            diagnostics.warn(str(exc.message))
        return None
    return {
        "profile": network.profile,
        "rpc_url": network.rpc_url,
        "chain_id": network.chain_id,
        "deployment": str(network.deployment_path) if network.deployment_path else None,
        "explorer_url": network.explorer_url or None,
        "storage": network.storage or None,
        "routing": network.routing or "balanced",
        "account": network.account or None,
        "node_url": network.node_url or None,
        "default_model": network.default_model or None,
    }


def _overridden(effective: dict[str, Any], cfg: "toml_config.Config") -> bool:
    profile = cfg.profiles[effective["profile"]]
    return effective["rpc_url"] != profile.rpc_url or (effective["account"] or "") != profile.account


def _kv_table(rows: list[tuple[str, str]], title: Optional[str] = None) -> None:
    # Like output.kv_table, but long paths and URLs fold onto the next line instead of ending in
    # "…" (rich's default when stdout is not a terminal and the width falls back to 80).
    from rich.table import Table

    table = Table(show_header=False, box=None, title=title, title_justify="left", pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    output.console().print(table)


def _profiles_table(cfg: "toml_config.Config") -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("", "name", "chain id", "rpc url", "account", "deployment", "explorer", "storage"):
        table.add_column(column, overflow="fold")
    for name, profile in sorted(cfg.profiles.items()):
        marker = "*" if name == cfg.active_profile else ""
        table.add_row(
            marker, name, str(profile.chain_id), profile.rpc_url, profile.account or "-",
            profile.deployment or "(packaged)", profile.explorer_url or "-", profile.storage or "-",
        )
    output.console().print(table)
