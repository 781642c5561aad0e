"""BIP-39 mnemonic import: the private key at m/44'/60'/0'/0/INDEX of a phrase."""

from __future__ import annotations

from ogcli.errors import UsageError

MAX_INDEX = 2**31 - 1  # non-hardened BIP-32 child indexes


def derivation_path(index: int) -> str:
    return f"m/44'/60'/0'/0/{index}"


def derive_private_key(phrase: str, index: int = 0) -> bytes:
    """The key of account `index` of `phrase` (words separated by any whitespace, any case)."""
    if not 0 <= index <= MAX_INDEX:
        raise UsageError(f"--index must be between 0 and {MAX_INDEX}, not {index}")
    words = " ".join(phrase.lower().split())
    if not words:
        raise UsageError("the mnemonic phrase is empty")
    from eth_account import Account

    # The HD wallet API is marked unaudited by eth-account; it is the same BIP-32/39/44
    # derivation as MetaMask, Foundry and Hardhat, which the tests check against a known vector.
    Account.enable_unaudited_hdwallet_features()
    try:
        account = Account.from_mnemonic(words, account_path=derivation_path(index))
    except Exception:  # eth-account's errors quote the phrase itself: never pass them on
        account = None
    if account is None:
        # Raised outside the except block, so not even the suppressed __context__ holds the phrase.
        raise UsageError(
            "not a valid BIP-39 mnemonic phrase (check the words, their order and their count: 12, 15, 18, 21 or 24)"
        )
    return bytes(account.key)
