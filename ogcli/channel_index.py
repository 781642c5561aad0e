"""The payer's local index of its payment channels: one JSON file per chain under the data dir,
keyed by payer, holding each channel's config and the node it pays, so that `ogcli pay channel
status` and `withdraw` find a channel without asking its node (which may be gone by then).

The chain is the truth for balances; this file only remembers which channels exist and where
their nodes are. Written atomically (ogcli/fsutil.py) under a lock, so two invocations adding at
once both land.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from ogcli import locations
from ogcli.core.channel_terms import node_key
from ogcli.core.channels import ChannelConfig
from ogcli.errors import ConfigError

VERSION = 1


@dataclass(frozen=True)
class IndexedChannel:
    channel_id: str  # 0x + 64 lowercase hex digits
    node_url: str
    config: ChannelConfig
    opened_at: int  # chain time of the deposit that added it


def index_file(chain_id: int) -> Path:
    return locations.channels_dir() / f"{chain_id}.json"


def client_state_dir(chain_id: int) -> Path:
    """Where ogcli's own paying client keeps the SDK's per-channel state (the x402 SDK's
    FileClientChannelStorage layout: `client/<channel id>.json`), which says what the node has
    charged on a channel so far."""
    return locations.channels_dir() / f"{chain_id}-client"


def channels_of(chain_id: int, payer: str) -> list[IndexedChannel]:
    """The payer's channels on this chain, in the order they were opened."""
    rows = _load(index_file(chain_id)).get("payers", {}).get(payer, {})
    return sorted((_entry(channel_id, row) for channel_id, row in rows.items()), key=lambda c: c.opened_at)


def channel_with(chain_id: int, payer: str, node_url: str) -> IndexedChannel | None:
    """The payer's newest channel with the node at `node_url`, if it has one."""
    matching = [c for c in channels_of(chain_id, payer) if c.node_url == node_key(node_url)]
    return matching[-1] if matching else None


def add(chain_id: int, channel: IndexedChannel) -> None:
    """Records `channel`; recorded again, it keeps its first `opened_at` and takes the new node URL."""
    path = index_file(chain_id)
    with _locked(path):
        data = _load(path)
        data.update(version=VERSION, chain_id=chain_id)
        rows = data.setdefault("payers", {}).setdefault(channel.config.payer, {})
        opened_at = rows.get(channel.channel_id, {}).get("opened_at", channel.opened_at)
        rows[channel.channel_id] = {"node": node_key(channel.node_url), "opened_at": opened_at,
                                    "config": _config_json(channel.config)}
        from ogcli.fsutil import write_atomic

        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)


def charged_wei(chain_id: int, channel_id: str) -> int | None:
    """What the node has charged on the channel, as ogcli's paying client last heard it; None when
    no client of ours has paid on it (the chain knows only what was claimed)."""
    path = client_state_dir(chain_id) / "client" / f"{channel_id.lower()}.json"
    try:
        value = json.loads(path.read_text()).get("chargedCumulativeAmount")
    except (OSError, ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, str) and value.isdigit() else None


# ---------------------------------------------------------------------- internals


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"the channel index {path} is unreadable ({exc}); move it aside to start a new one") from None
    if not isinstance(data, dict) or not isinstance(data.get("payers", {}), dict):
        raise ConfigError(f"the channel index {path} is not an ogcli channel index; move it aside to start a new one")
    return data


def _entry(channel_id: str, row: dict) -> IndexedChannel:
    try:
        c = row["config"]
        config = ChannelConfig(payer=c["payer"], payer_authorizer=c["payerAuthorizer"], receiver=c["receiver"],
                               receiver_authorizer=c["receiverAuthorizer"], token=c["token"],
                               withdraw_delay_s=int(c["withdrawDelay"]), salt=bytes.fromhex(c["salt"].removeprefix("0x")))
        return IndexedChannel(channel_id, row["node"], config, int(row.get("opened_at", 0)))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"channel {channel_id} in the channel index is malformed ({exc!r})") from None


def _config_json(config: ChannelConfig) -> dict:
    """The config as the SDK's ChannelConfig.to_dict writes it."""
    return {"payer": config.payer, "payerAuthorizer": config.payer_authorizer, "receiver": config.receiver,
            "receiverAuthorizer": config.receiver_authorizer, "token": config.token,
            "withdrawDelay": config.withdraw_delay_s, "salt": "0x" + config.salt.hex()}


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock beside the index for a read-modify-write (where the OS has flock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # no flock here: the atomic rename still keeps the file whole
        yield
        return
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
