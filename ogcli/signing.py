"""Which account signs this invocation's writes, unlocked from its keystore."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ogcli import context
from ogcli.errors import UsageError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ogcli.context import Network

PasswordFile = Annotated[
    Optional[Path],
    typer.Option(
        "--password-file",
        envvar="OGCLI_PASSWORD_FILE",
        help="Read the keystore password from this file (else OGCLI_PASSWORD, the keyring, a prompt).",
        show_default=False,
    ),
]


def account_name(network: Network) -> str:
    name = context.OPTIONS.account or network.account
    if not name:
        raise UsageError("no account to sign with: pass --account NAME or run `ogcli wallet use NAME`")
    return name


def unlock_signer(network: Network, password_file: Path | None) -> LocalAccount:
    from ogcli import wallet

    return wallet.unlock(account_name(network), password_file=password_file)


def signer_address(network: Network) -> str:
    """The signing account's address, without unlocking it (for reads about 'me')."""
    from ogcli import wallet

    return wallet.address_of(account_name(network))
