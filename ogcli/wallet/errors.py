"""The wallet errors: OgcliError subclasses, so the root handler prints them as one line."""

from __future__ import annotations

from ogcli.errors import OgcliError


class WalletError(OgcliError):
    """A wallet cannot be created, read or removed as asked."""

    code = "wallet"


class WalletNotFoundError(WalletError):
    """No keystore exists under that wallet name."""

    code = "wallet_not_found"


class WalletExistsError(WalletError):
    """The name, or the address, is already taken by another wallet."""

    code = "wallet_exists"


class WrongPasswordError(WalletError):
    """The password does not decrypt the keystore (its MAC does not match)."""

    code = "wrong_password"
