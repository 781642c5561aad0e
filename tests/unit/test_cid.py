"""CIDv1 raw/sha2-256/base32, checked against values IPFS itself produces."""

import hashlib

import pytest

from ogcli.storage.cid import cid_from_digest, cid_of


@pytest.mark.parametrize(
    "data, expected",
    [
        # `ipfs add --cid-version=1 --raw-leaves` of an empty file and of "hello world\n".
        (b"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
        (b"hello world\n", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"),
    ],
)
def test_known_cids(data, expected):
    assert cid_of(data) == expected


def test_digest_must_be_32_bytes():
    with pytest.raises(ValueError):
        cid_from_digest(hashlib.sha1(b"x").digest())
