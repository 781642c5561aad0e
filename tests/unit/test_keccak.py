"""ogcli's one keccak256 (core/records.py) is Ethereum's, whichever backend serves it."""

from __future__ import annotations

import os

import pytest
from eth_hash.backends import pycryptodome

from ogcli.core import records


@pytest.mark.parametrize("length", [0, 1, 31, 32, 135, 136, 137, 184, 1000])
def test_the_fast_keccak_agrees_with_eth_hash(length):
    data = os.urandom(length)
    assert records.keccak(data) == pycryptodome.keccak256(data)


def test_the_known_answer_of_the_empty_string():
    assert records.keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_the_c_backend_is_the_one_in_use():
    """safe-pysha3 is a dependency: without it every verifier hashes five times slower, silently."""
    import sha3

    assert records._keccak256()(b"abc") == sha3.keccak_256(b"abc").digest()
    assert records._keccak256().__module__ == records.__name__  # the sha3 wrapper, not eth_hash's fallback
