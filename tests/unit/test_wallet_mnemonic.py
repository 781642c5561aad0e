"""BIP-39 import: the well-known Hardhat/Anvil test vector, and errors that never quote the phrase."""

from __future__ import annotations

import pytest

from ogcli.errors import UsageError
from ogcli.wallet import keys, mnemonic

PHRASE = "test test test test test test test test test test test junk"


@pytest.mark.parametrize(
    ("index", "address"),
    [(0, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), (1, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")],
)
def test_known_vector(index, address):
    assert keys.address_of_key(mnemonic.derive_private_key(PHRASE, index)) == address


def test_whitespace_and_case_are_normalised():
    messy = "  TEST test\ttest test test test test test\ntest test test junk \n"
    assert mnemonic.derive_private_key(messy) == mnemonic.derive_private_key(PHRASE)


@pytest.mark.parametrize("phrase", ["test " * 12, "secretword " * 12, "alpha beta"])
def test_invalid_phrase_is_a_clear_error_without_the_words(phrase):
    with pytest.raises(UsageError, match="not a valid BIP-39 mnemonic") as caught:
        mnemonic.derive_private_key(phrase)
    assert phrase.split()[0] not in caught.value.message
    assert caught.value.__context__ is None


def test_empty_phrase():
    with pytest.raises(UsageError, match="empty"):
        mnemonic.derive_private_key("   ")


@pytest.mark.parametrize("index", [-1, 2**31])
def test_index_out_of_range(index):
    with pytest.raises(UsageError, match="--index"):
        mnemonic.derive_private_key(PHRASE, index)


def test_derivation_path():
    assert mnemonic.derivation_path(7) == "m/44'/60'/0'/0/7"
