"""The user's config file: typed profiles (which network, which account) stored as TOML."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from ogcli import locations
from ogcli.errors import ConfigError
from ogcli.fsutil import write_atomic


@dataclass(frozen=True)
class Profile:
    """One network the CLI can talk to."""

    rpc_url: str
    """JSON-RPC endpoint, e.g. http://127.0.0.1:8545."""
    chain_id: int
    """Chain id the endpoint must report before anything is signed."""
    deployment: str = ""
    """Path of the deployment file (contract addresses); empty uses the packaged one for the chain."""
    account: str = ""
    """Default wallet name for signing."""
    explorer_url: str = ""
    """Block explorer base URL for transaction links; empty for none."""


@dataclass
class Config:
    """The whole config file."""

    active_profile: str = ""
    profiles: dict[str, Profile] = field(default_factory=dict)


def load(path: Path | None = None) -> Config:
    """Reads the config file; a missing file is an empty config."""
    path = path or locations.config_file()
    if not path.exists():
        return Config()
    try:
        raw = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    profiles = {}
    known = {f.name for f in dataclasses.fields(Profile)}
    for name, values in raw.get("profiles", {}).items():
        try:
            profiles[name] = Profile(**{k: v for k, v in values.items() if k in known})
        except TypeError as exc:
            raise ConfigError(f"profile {name!r} in {path} is incomplete: {exc}") from None
    return Config(active_profile=raw.get("active_profile", ""), profiles=profiles)


def save(config: Config, path: Path | None = None) -> None:
    """Writes the config atomically (comments in the file are not kept; see README)."""
    path = path or locations.config_file()
    document: dict = {}
    if config.active_profile:
        document["active_profile"] = config.active_profile
    document["profiles"] = {
        name: {k: v for k, v in dataclasses.asdict(profile).items() if v != ""}
        for name, profile in sorted(config.profiles.items())
    }
    write_atomic(path, tomli_w.dumps(document), mode=0o600)


def put_profile(name: str, profile: Profile, *, activate: bool, path: Path | None = None) -> None:
    """Adds or replaces one profile, optionally making it the active one."""
    config = load(path)
    config.profiles[name] = profile
    if activate:
        config.active_profile = name
    save(config, path)
