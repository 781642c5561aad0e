"""Which account signs this invocation's writes, unlocked from its keystore."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class WatchOnly:
    """The signing account's address without its key: under --unsigned a write is prepared for
    it here and signed on the machine that holds the key (`ogcli tx sign`)."""

    address: str


def unlock_signer(network: Network, password_file: Path | None) -> LocalAccount:
    """The account that signs here. Under --unsigned a command that must sign here (a payment,
    a deposit's authorization, a node) is refused: nothing it needs can be signed elsewhere."""
    from ogcli import wallet

    if context.OPTIONS.unsigned:
        raise UsageError("--unsigned prepares a transaction for another machine to sign; this command signs "
                         "here (a payment or an authorization), so it cannot")
    return wallet.unlock(account_name(network), password_file=password_file)


def write_signer(network: Network, password_file: Path | None):
    """The account a write through the pipeline (`writes.execute`) is signed by: unlocked, or
    under --unsigned its address alone (WatchOnly), the password never asked."""
    if context.OPTIONS.unsigned:
        return WatchOnly(signer_address(network))
    return unlock_signer(network, password_file)


def signer_address(network: Network) -> str:
    """The signing account's address, without unlocking it (for reads about 'me')."""
    from ogcli import wallet

    return wallet.address_of(account_name(network))
