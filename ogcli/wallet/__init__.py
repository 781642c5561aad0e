"""Wallets: encrypted V3 keystores, their passwords, and the two calls the rest of ogcli uses.

`unlock(name)` gives a signing account; `address_of(name)` gives its address without a password.
Nothing here imports eth_account or keyring at import time (`ogcli --help` must stay cheap).
"""

from __future__ import annotations

from ogcli.wallet.manage import address_of, unlock

__all__ = ["address_of", "unlock"]
