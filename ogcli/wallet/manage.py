"""Wallet operations: create and import (key, mnemonic, foreign keystore), unlock, export, remove.

Order matters for "nothing written on failure": every check and every question (name, key,
address, password) comes before the one write, and a keyring entry made for a wallet whose
keystore then fails to write is taken back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ogcli.wallet import keychain, keys, keystore, mnemonic, passwords, prompt, store
from ogcli.wallet.errors import WrongPasswordError
from ogcli.wallet.store import WalletRecord

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount


@dataclass(frozen=True)
class Added:
    """A wallet just written, and why its password is not in the keyring if it was asked to be."""

    record: WalletRecord
    keyring_warning: str | None = None


def create(name: str, *, password_file: Path | None = None, save_password: bool = False) -> Added:
    """A new wallet with a fresh random key."""
    return _add(name, keys.new_private_key, password_file=password_file, save_password=save_password)


def import_private_key(name: str, *, password_file: Path | None = None, save_password: bool = False) -> Added:
    """A wallet for the hex private key piped on stdin or typed at a hidden prompt."""
    return _add(
        name,
        lambda: keys.parse_private_key(prompt.read_secret("private key")),
        password_file=password_file,
        save_password=save_password,
    )


def import_mnemonic(
    name: str, *, index: int = 0, password_file: Path | None = None, save_password: bool = False
) -> Added:
    """A wallet for account `index` (m/44'/60'/0'/0/index) of a BIP-39 phrase from stdin or a prompt."""
    return _add(
        name,
        lambda: mnemonic.derive_private_key(prompt.read_secret("mnemonic phrase"), index),
        password_file=password_file,
        save_password=save_password,
    )


def import_keystore(
    name: str, source: Path, *, password_file: Path | None = None, save_password: bool = False
) -> Added:
    """A wallet for the key in another tool's V3 keystore (geth, Foundry), re-encrypted with
    scrypt under the new password. Its current password comes from the same sources."""

    def obtain() -> bytes:
        foreign = keystore.read_file(source)
        password = passwords.existing(f"keystore {source.name}", password_file=password_file)
        return keystore.decrypt(foreign, password.value, label=f"keystore {source}")

    return _add(name, obtain, password_file=password_file, save_password=save_password)


def unlock(name: str, *, password_file: Path | None = None, password_text: str | None = None) -> LocalAccount:
    """The signing account of wallet `name`, its password resolved in the documented order (or
    `password_text`, from a program: the SDK)."""
    from eth_account import Account

    wallet = store.record(name)
    document = store.read(name)
    if password_text is not None:
        password = passwords.Password(password_text, "argument")
    else:
        password = passwords.existing(
            f"wallet {name!r}",
            password_file=password_file,
            keyring_name=name if wallet.password_in_keyring else None,
        )
    try:
        private_key = keystore.decrypt(document, password.value, label=f"wallet {name!r}")
    except WrongPasswordError as exc:
        if password.source != "keyring":
            raise
        raise WrongPasswordError(
            exc.message, hint="the password saved in the OS keyring is out of date; pass --password-file or OGCLI_PASSWORD"
        ) from None
    return Account.from_key(private_key)


def change_password(
    name: str, *, password_file: Path | None = None, new_password_file: Path | None = None
) -> Added:
    """Re-encrypts wallet `name` under a new password. The current one comes from the usual
    sources; the new one from `new_password_file` or a prompt (twice), never OGCLI_PASSWORD, which
    holds the current one. A password saved in the keyring is replaced by the new one; if the
    keyring refuses, the entry is removed (an out-of-date entry would fail every unlock)."""
    wallet = store.record(name)
    private_key = bytes(unlock(name, password_file=password_file).key)
    password = passwords.new(f"wallet {name!r}", password_file=new_password_file, from_env=False)
    document = keystore.encrypt(private_key, password.value)
    record = store.rewrite(name, document, password_in_keyring=wallet.password_in_keyring)
    warning = None
    if wallet.password_in_keyring:
        warning = keychain.save(name, password.value)
        if warning is not None:
            keychain.delete(name)
            record = store.rewrite(name, document, password_in_keyring=False)
    return Added(record, warning)


def export_keystore(name: str, target: Path) -> WalletRecord:
    """Writes wallet `name`'s keystore to `target` (mode 0600) as geth and cast read it, under its
    current password; refuses to replace an existing file."""
    import json

    from ogcli.fsutil import write_new

    wallet = store.record(name)
    write_new(target, json.dumps(store.standard(name), indent=2) + "\n")
    return wallet


def address_of(name: str) -> str:
    """The checksummed address of wallet `name`, read without its password."""
    return store.record(name).address


def password_saved(wallet: WalletRecord) -> bool:
    """True if the keyring holds a password for this wallet (asked only if the user opted in)."""
    return wallet.password_in_keyring and keychain.get(wallet.name) is not None


def remove(name: str) -> WalletRecord:
    """Deletes the wallet's keystore and its keyring entry, if it had one."""
    removed = store.delete(name)
    if removed.password_in_keyring:
        keychain.delete(name)
    return removed


def _add(
    name: str, obtain_key: Callable[[], bytes], *, password_file: Path | None, save_password: bool
) -> Added:
    store.validate_name(name)
    store.ensure_free(name)  # before asking for any secret
    private_key = obtain_key()
    store.ensure_free(name, keys.address_of_key(private_key))
    password = passwords.new(f"wallet {name!r}", password_file=password_file)
    document = keystore.encrypt(private_key, password.value)
    warning = keychain.save(name, password.value) if save_password else None
    in_keyring = save_password and warning is None
    try:
        wallet = store.add(name, document, password_in_keyring=in_keyring)
    except BaseException:
        if in_keyring:
            keychain.delete(name)
        raise
    return Added(wallet, warning)
