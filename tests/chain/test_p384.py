"""contracts/attestation/P384.sol, the P-384 ECDSA verifier of the attestation chain, against
Python's `cryptography` (OpenSSL) as the oracle: on random keys and messages with either s, on
every kind of corruption, and on the inputs built to reach the rare paths of the curve code (a
second point encoding, x(R) >= n, a doubling met inside an addition, the point at infinity, the
digest reduced mod n).

The contract is reached through tests/contracts/P384Harness.sol, compiled with the artifacts'
settings (scripts/build_contracts.mjs --sources) and called with eth_call on the session Anvil.
The signatures for arbitrary keys (a key nobody holds, a point built to order) use the textbook
construction: for any Q and scalars a, b, R = aG + bQ, r = x(R) mod n, s = r / b, e = a s verify.
`_Curve` below is a test double of the curve, plain affine arithmetic, used only to build inputs;
`cryptography` judges them.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

pytestmark = pytest.mark.chain

ROOT = Path(__file__).resolve().parents[2]

P = 2**384 - 2**128 - 2**96 + 2**32 - 1
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973
B = 0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF
G = (
    0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
    0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
)
SEED = 384


class _Curve:
    """Affine P-384 arithmetic (None is the point at infinity), a test double used to build inputs."""

    @staticmethod
    def add(p1, p2):
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2) = p1, p2
        if x1 == x2 and (y1 + y2) % P == 0:
            return None
        if p1 == p2:
            slope = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P) % P
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
        x3 = (slope * slope - x1 - x2) % P
        return x3, (slope * (x1 - x3) - y1) % P

    @classmethod
    def mul(cls, k, point):
        result = None
        while k:
            if k & 1:
                result = cls.add(result, point)
            point = cls.add(point, point)
            k >>= 1
        return result

    @staticmethod
    def lift_x(x):
        """A point with this x, or None when x^3 - 3x + b is not a square mod p (p = 3 mod 4)."""
        rhs = (x**3 - 3 * x + B) % P
        y = pow(rhs, (P + 1) // 4, P)
        return (x, y) if y * y % P == rhs else None


def _b48(value: int) -> bytes:
    return value.to_bytes(48, "big")


def _key_bytes(point) -> bytes:
    return _b48(point[0]) + _b48(point[1])


def _signature(r: int, s: int) -> bytes:
    return _b48(r) + _b48(s)


def _oracle(digest: bytes, signature: bytes, key: bytes) -> bool:
    """What OpenSSL says; a key off the curve or out of range cannot be loaded and verifies nothing."""
    x, y = int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big")
    r, s = int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    try:
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP384R1()).public_key()
    except ValueError:
        return False
    if x >= P or y >= P:  # OpenSSL reduces an out-of-range coordinate; a second encoding is no key
        return False
    try:
        public.verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA384())))
        return True
    except (InvalidSignature, ValueError):
        return False


def _forged_for(point, rng: random.Random):
    """(digest, signature) that verify under `point` without its private key (see the module doc)."""
    while True:
        a, b = rng.randrange(1, N), rng.randrange(1, N)
        r_point = _Curve.add(_Curve.mul(a, G), _Curve.mul(b, point))
        if r_point is None or r_point[0] % N == 0:
            continue
        r = r_point[0] % N
        s = r * pow(b, -1, N) % N
        return _b48(a * s % N), _signature(r, s)


@pytest.fixture(scope="module")
def p384(chain, tmp_path_factory):
    """The harness deployed on the session chain (reverted after the module); its `verify` as a callable."""
    out = tmp_path_factory.mktemp("harness")
    subprocess.run(
        ["node", str(ROOT / "scripts/build_contracts.mjs"), "--sources", str(ROOT / "tests/contracts"), "--out", str(out)],
        check=True, cwd=ROOT, capture_output=True, timeout=300,
    )
    artifact = json.loads((out / "P384Harness.json").read_text())
    w3 = chain.w3
    with chain.snapshot():
        deployer = w3.eth.accounts[0]
        tx = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"]).constructor().transact({"from": deployer})
        address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        harness = w3.eth.contract(address=address, abi=artifact["abi"])
        yield lambda digest, signature, key: harness.functions.verify(digest, signature, key).call()


def _agree(p384, digest: bytes, signature: bytes, key: bytes) -> bool:
    expected = _oracle(digest, signature, key)
    assert p384(digest, signature, key) is expected, (digest.hex(), signature.hex(), key.hex(), expected)
    return expected


def test_random_signatures_verify_with_either_s(p384):
    rng = random.Random(SEED)
    for i in range(24):
        private = ec.derive_private_key(rng.randrange(1, N), ec.SECP384R1())
        numbers = private.public_key().public_numbers()
        key = _b48(numbers.x) + _b48(numbers.y)
        message = rng.randbytes(rng.randrange(0, 200))
        r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA384())))
        digest = hashes.Hash(hashes.SHA384())
        digest.update(message)
        digest = digest.finalize()
        assert _agree(p384, digest, _signature(r, s), key), i
        assert _agree(p384, digest, _signature(r, N - s), key), i  # X.509 and COSE do not normalize s


def test_every_corruption_is_refused_as_openssl_refuses_it(p384):
    rng = random.Random(SEED + 1)
    refused = 0
    for _ in range(12):
        private = ec.derive_private_key(rng.randrange(1, N), ec.SECP384R1())
        numbers = private.public_key().public_numbers()
        key = _b48(numbers.x) + _b48(numbers.y)
        digest = rng.randbytes(48)
        r, s = decode_dss_signature(private.sign(digest, ec.ECDSA(Prehashed(hashes.SHA384()))))
        signature = _signature(r, s)
        for field in ("digest", "signature", "key"):
            parts = {"digest": bytearray(digest), "signature": bytearray(signature), "key": bytearray(key)}
            bit = rng.randrange(len(parts[field]) * 8)
            parts[field][bit // 8] ^= 1 << (bit % 8)
            refused += not _agree(p384, bytes(parts["digest"]), bytes(parts["signature"]), bytes(parts["key"]))
    assert refused == 36  # every flipped bit of every part breaks the signature


def test_out_of_range_scalars_and_sizes_are_false_not_a_revert(p384):
    rng = random.Random(SEED + 2)
    private = ec.derive_private_key(rng.randrange(1, N), ec.SECP384R1())
    numbers = private.public_key().public_numbers()
    key = _b48(numbers.x) + _b48(numbers.y)
    digest = rng.randbytes(48)
    r, s = decode_dss_signature(private.sign(digest, ec.ECDSA(Prehashed(hashes.SHA384()))))
    for bad_r, bad_s in ((0, s), (r, 0), (N, s), (r, N), (r + N, s) if r + N < 2**384 else (2**384 - 1, s),
                         (r, s + N) if s + N < 2**384 else (r, 2**384 - 1)):
        assert not _agree(p384, digest, _signature(bad_r, bad_s), key), (bad_r, bad_s)
    assert p384(digest, _signature(r, s), key) is True
    assert p384(digest[:47], _signature(r, s), key) is False
    assert p384(digest, _signature(r, s)[:95], key) is False
    assert p384(digest, _signature(r, s), key + b"\x00") is False
    assert p384(digest, _signature(r, s), b"\x04" + key[:95]) is False


def test_keys_off_the_curve_at_infinity_or_encoded_twice_are_refused(p384):
    rng = random.Random(SEED + 3)
    # (0, sqrt(b)) is a point (b is a square mod p); (p, sqrt(b)) is the same point encoded above p.
    zero_x = _Curve.lift_x(0)
    assert zero_x is not None
    digest, signature = _forged_for(zero_x, rng)
    assert _agree(p384, digest, signature, _key_bytes(zero_x))
    assert p384(digest, signature, _b48(P) + _b48(zero_x[1])) is False
    assert p384(digest, signature, _b48(zero_x[0]) + _b48(P - zero_x[1])) is False  # -Q, another key
    # Any point with a small x has a second encoding x + p within 384 bits.
    point = next(pt for pt in map(_Curve.lift_x, range(1, 1000)) if pt is not None)
    digest, signature = _forged_for(point, rng)
    assert _agree(p384, digest, signature, _key_bytes(point))
    assert p384(digest, signature, _b48(point[0] + P) + _b48(point[1])) is False
    assert p384(digest, signature, _b48(point[0]) + _b48(2**384 - 1)) is False  # y above p
    # Not on the curve, and the point at infinity's usual encodings.
    x, y = G
    assert not _agree(p384, digest, signature, _b48(x) + _b48(y + 1))
    assert p384(digest, signature, bytes(96)) is False
    assert p384(digest, signature, _b48(P) + _b48(P)) is False


def test_x_of_r_at_or_above_n_is_compared_mod_n(p384):
    """x(R) in [n, p): r = x(R) - n verifies (the X == (r + n) Z^2 branch), r = x(R) does not."""
    rng = random.Random(SEED + 4)
    found = 0
    for t in range(1, 200):
        r_point = _Curve.lift_x(N + t)
        if r_point is None:
            continue
        a, b = rng.randrange(1, N), rng.randrange(1, N)
        # Q = (R - aG) / b, so that aG + bQ = R.
        minus_a_g = _Curve.mul(N - a, G)
        q = _Curve.mul(pow(b, -1, N), _Curve.add(r_point, minus_a_g))
        r = r_point[0] - N
        s = r * pow(b, -1, N) % N
        digest = _b48(a * s % N)
        assert _agree(p384, digest, _signature(r, s), _key_bytes(q))
        assert _agree(p384, digest, _signature(r, N - s), _key_bytes(q))  # -R has the same x
        assert not _agree(p384, digest, _signature(r_point[0], s), _key_bytes(q))  # r must be below n
        found += 1
        if found == 3:
            break
    assert found == 3


def test_doublings_inside_additions_and_infinity(p384):
    """Q = G with u1 = u2 = 1 adds G to G (an addition that is a doubling); u2 = n - 1 cancels to
    infinity; small and negated keys with ordinary signatures."""
    two_g = _Curve.add(G, G)
    r = two_g[0] % N
    key_g = _key_bytes(G)
    # u1 = e / s = 1 and u2 = r / s = 1: s = e = r.
    assert _agree(p384, _b48(r), _signature(r, r), key_g)
    # u1 = 1, u2 = n - 1: R = G - G, the point at infinity; no r can match it.
    s = 12345
    assert not _agree(p384, _b48(s), _signature(N - s, s), key_g)
    rng = random.Random(SEED + 5)
    for d in (1, 2, 3, N - 1, N - 2, 2**383):
        private = ec.derive_private_key(d, ec.SECP384R1())
        numbers = private.public_key().public_numbers()
        digest = rng.randbytes(48)
        rr, ss = decode_dss_signature(private.sign(digest, ec.ECDSA(Prehashed(hashes.SHA384()))))
        assert _agree(p384, digest, _signature(rr, ss), _b48(numbers.x) + _b48(numbers.y)), d


def test_digests_at_and_above_n_are_reduced(p384):
    rng = random.Random(SEED + 6)
    private = ec.derive_private_key(rng.randrange(1, N), ec.SECP384R1())
    numbers = private.public_key().public_numbers()
    key = _b48(numbers.x) + _b48(numbers.y)
    for value in (0, 1, N - 1, N, N + 1, 2**384 - 1):
        digest = _b48(value)
        r, s = decode_dss_signature(private.sign(digest, ec.ECDSA(Prehashed(hashes.SHA384()))))
        assert _agree(p384, digest, _signature(r, s), key), hex(value)
        # e and e + n are the same scalar: a digest >= n and its reduction verify alike.
        if value < 2**384 - N:
            assert _agree(p384, _b48(value + N), _signature(r, s), key), hex(value)
