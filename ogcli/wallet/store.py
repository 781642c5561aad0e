"""The keystore files: one V3 JSON per wallet under <data dir>/keystores/<name>.json, mode 0600.

Each file is a standard V3 keystore (geth and Foundry read it as is) plus an "ogcli" section
with what ogcli needs to know without the password: when it was created, and whether the user
opted in to keep its password in the OS keyring.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ogcli import locations
from ogcli.errors import ConfigError, UsageError
from ogcli import fsutil
from ogcli.wallet.errors import WalletExistsError, WalletNotFoundError

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
NAME_RULE = "1-40 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit"


@dataclass(frozen=True)
class WalletRecord:
    """What is known about a wallet without its password."""

    name: str
    address: str
    """Checksummed, with 0x."""
    path: Path
    created_at: int | None
    """Unix time of creation; None for a keystore ogcli did not write."""
    password_in_keyring: bool
    """The user opted in with --save-password and the keyring accepted it."""


def keystores_dir() -> Path:
    return locations.data_dir() / "keystores"


def validate_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        # A long "name" may be a key pasted in the wrong place: do not echo it.
        shown = repr(name) if len(name) <= 40 else f"({len(name)} characters)"
        raise UsageError(f"invalid wallet name {shown}: {NAME_RULE}")
    return name


def path_of(name: str) -> Path:
    return keystores_dir() / f"{validate_name(name)}.json"


def exists(name: str) -> bool:
    return path_of(name).exists()


def read(name: str) -> dict:
    """The keystore document of wallet `name`."""
    path = path_of(name)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise WalletNotFoundError(f"no wallet named {name!r}", hint="`ogcli wallet list` shows your wallets") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"keystore {path} is unreadable: {type(exc).__name__}") from None
    if not isinstance(document, dict) or not _address_field(document):
        raise ConfigError(f"keystore {path} has no address field")
    return document


def record(name: str) -> WalletRecord:
    return _record(name, path_of(name), read(name))


def all_records() -> list[WalletRecord]:
    """Every wallet, sorted by name."""
    directory = keystores_dir()
    if not directory.is_dir():
        return []
    names = sorted(p.stem for p in directory.glob("*.json") if NAME_PATTERN.fullmatch(p.stem))
    return [record(name) for name in names]


def ensure_free(name: str, address: str | None = None) -> None:
    """Refuses a name, or an address, that an existing wallet already has."""
    if exists(name):
        raise WalletExistsError(f"a wallet named {name!r} already exists")
    if address is not None:
        for other in all_records():
            if other.address.lower() == address.lower():
                raise WalletExistsError(f"{other.address} is already wallet {other.name!r}")


def add(name: str, keystore: dict, *, password_in_keyring: bool) -> WalletRecord:
    """Writes a new wallet's keystore (atomically, mode 0600); refuses taken names and addresses."""
    address = _checksum(_address_field(keystore))
    ensure_free(name, address)
    document = dict(keystore)
    document["ogcli"] = {"created_at": int(time.time()), "password_in_keyring": password_in_keyring}
    directory = keystores_dir()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    path = path_of(name)
    fsutil.write_atomic(path, json.dumps(document, indent=2) + "\n", mode=0o600)
    return _record(name, path, document)


def rewrite(name: str, keystore: dict, *, password_in_keyring: bool) -> WalletRecord:
    """Replaces wallet `name`'s keystore with `keystore` (the same key under another password),
    atomically: a crash leaves the old file or the new one, never neither. Its creation time stays."""
    old = read(name)
    if _address_field(keystore).lower().removeprefix("0x") != _address_field(old).lower().removeprefix("0x"):
        raise ConfigError(f"the new keystore of wallet {name!r} holds another address; nothing was written")
    meta = dict(old.get("ogcli") if isinstance(old.get("ogcli"), dict) else {})
    meta["password_in_keyring"] = password_in_keyring
    document = {**keystore, "ogcli": meta}
    path = path_of(name)
    fsutil.write_atomic(path, json.dumps(document, indent=2) + "\n", mode=0o600)
    return _record(name, path, document)


def standard(name: str) -> dict:
    """Wallet `name`'s keystore as other tools expect it: the V3 document without ogcli's section."""
    return {k: v for k, v in read(name).items() if k != "ogcli"}


def delete(name: str) -> WalletRecord:
    """Deletes the keystore file of `name`; returns what it was."""
    removed = record(name)
    removed.path.unlink()
    return removed


def _address_field(document: dict) -> str:
    address = document.get("address")
    return address if isinstance(address, str) else ""


def _checksum(address: str) -> str:
    from ogcli.core.addresses import to_checksum

    return to_checksum(address if address.startswith("0x") else f"0x{address}")


def _record(name: str, path: Path, document: dict) -> WalletRecord:
    meta = document.get("ogcli") if isinstance(document.get("ogcli"), dict) else {}
    created_at = meta.get("created_at")
    return WalletRecord(
        name=name,
        address=_checksum(_address_field(document)),
        path=path,
        created_at=created_at if isinstance(created_at, int) else None,
        password_in_keyring=meta.get("password_in_keyring") is True,
    )
