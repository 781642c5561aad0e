"""Where a wallet password comes from, in order: --password-file, OGCLI_PASSWORD, the OS keyring
(only for a wallet saved with --save-password), a hidden prompt on a terminal."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ogcli.errors import UsageError
from ogcli.wallet import keychain, prompt

ENV_VAR = "OGCLI_PASSWORD"
_NO_SOURCE = "no password: run in a terminal to be asked, or use --password-file PATH or OGCLI_PASSWORD"


@dataclass(frozen=True)
class Password:
    """A password and where it came from ("file", "env", "keyring", "prompt")."""

    value: str = field(repr=False)  # repr=False: a logged or printed Password never shows it
    source: str


def from_file(path: Path) -> str:
    """The first line of `path`, without its line ending."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UsageError(f"no password file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read password file {path}: {type(exc).__name__}") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise UsageError(f"password file {path} is empty (its first line is the password)")
    return lines[0]


def _given(password_file: Path | None) -> Password | None:
    if password_file is not None:
        return Password(from_file(password_file), "file")
    value = os.environ.get(ENV_VAR)
    if value:
        return Password(value, "env")
    return None


def existing(label: str, *, password_file: Path | None = None, keyring_name: str | None = None) -> Password:
    """The password that unlocks an existing keystore; `keyring_name` consults the keyring entry
    of that wallet (pass it only for wallets saved with --save-password)."""
    given = _given(password_file)
    if given is not None:
        return given
    if keyring_name is not None:
        saved = keychain.get(keyring_name)
        if saved:
            return Password(saved, "keyring")
    if prompt.stdin_is_tty():
        return Password(prompt.hidden(f"Password for {label}: "), "prompt")
    raise UsageError(_NO_SOURCE)


def new(label: str, *, password_file: Path | None = None, from_env: bool = True) -> Password:
    """A password for a new keystore; a prompt asks twice, and both must match. `from_env=False`
    skips OGCLI_PASSWORD (when changing a password, that variable holds the current one)."""
    given = _given(password_file) if from_env or password_file is not None else None
    if given is not None:
        return given
    if not prompt.stdin_is_tty():
        raise UsageError(_NO_SOURCE)
    first = prompt.hidden(f"New password for {label}: ")
    if not first:
        raise UsageError("the password must not be empty")
    if prompt.hidden("Repeat the password: ") != first:
        raise UsageError("the passwords do not match; nothing was written")
    return Password(first, "prompt")
