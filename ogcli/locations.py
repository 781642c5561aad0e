"""Where ogcli keeps its files: XDG config, data and cache directories, one function each."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ogcli"


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / fallback
    return base / APP_NAME


def config_dir() -> Path:
    """Settings the user edits: config.toml with its profiles."""
    return _xdg("XDG_CONFIG_HOME", ".config")


def data_dir() -> Path:
    """State worth keeping: keystores, devnet chain state, deployments of the devnet."""
    return _xdg("XDG_DATA_HOME", ".local/share")


def cache_dir() -> Path:
    """State that can be rebuilt: the log indexer's SQLite files."""
    return _xdg("XDG_CACHE_HOME", ".cache")


def state_dir() -> Path:
    """What ogcli writes about its own runs: the log of internal errors."""
    return _xdg("XDG_STATE_HOME", ".local/state")


def config_file() -> Path:
    return config_dir() / "config.toml"


def devnet_dir() -> Path:
    return data_dir() / "devnet"


def node_dir(profile: str) -> Path:
    """The reference node's state for one profile: outbox, enclave key, model cache."""
    return data_dir() / "node" / profile


def channels_dir() -> Path:
    """The payer's side of payment channels: one index of channels per chain (ogcli/channel_index.py)."""
    return data_dir() / "channels"
