"""V3 keystore crypto: encrypt a private key with scrypt, decrypt any V3 keystore (geth, Foundry)."""

from __future__ import annotations

import json
from pathlib import Path

from ogcli.errors import UsageError
from ogcli.wallet.errors import WalletError, WrongPasswordError

SCRYPT_N: int | None = None
"""scrypt work factor; None keeps eth-account's default (2**18). Only tests lower it, for speed."""


def encrypt(private_key: bytes, password: str) -> dict:
    """The V3 keystore of `private_key` under `password`, with the scrypt KDF."""
    # eth_account is imported here, not at module level, so `ogcli --help` never pays for it.
    from eth_account import Account

    return Account.encrypt(private_key, password, kdf="scrypt", iterations=SCRYPT_N)


def decrypt(keystore: dict, password: str, *, label: str) -> bytes:
    """The private key inside `keystore`; `label` names it in errors (never the password)."""
    from eth_account import Account

    try:
        return bytes(Account.decrypt(keystore, password))
    except ValueError as exc:
        # eth-keyfile says "MAC mismatch" for a wrong password; its other ValueErrors are about
        # the file's format. None of its messages contain the password.
        if "MAC mismatch" in str(exc):
            raise WrongPasswordError(f"wrong password for {label}") from None
        raise WalletError(f"{label} cannot be decrypted: {exc}") from None
    except (KeyError, TypeError, NotImplementedError) as exc:
        raise WalletError(f"{label} is not a V3 keystore we can read ({type(exc).__name__}: {exc})") from None


def read_file(path: Path) -> dict:
    """A keystore file written by another tool (geth, Foundry's `cast wallet`), checked to be V3."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"no keystore file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read keystore file {path}: {exc}") from None
    except json.JSONDecodeError:
        raise UsageError(f"{path} is not a keystore (not JSON)") from None
    if not isinstance(document, dict) or document.get("version") != 3:
        raise UsageError(f"{path} is not a V3 keystore (no \"version\": 3)")
    if not isinstance(document.get("crypto", document.get("Crypto")), dict):
        raise UsageError(f"{path} is not a V3 keystore (no \"crypto\" section)")
    return document
