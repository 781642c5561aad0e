"""The one rule for accepting a secp256k1 signature, the same on chain and off: what
OpenZeppelin's `ECDSA.tryRecover` accepts (65 bytes r || s || v; v in {27, 28}; 0 < r < n;
0 < s <= n/2, so a signature has exactly one accepted form).

The verifier, `infer verify` and the dispute finder apply it before recovering a signer: a
malleated copy of an honest signature (high s, v as 0/1, extra bytes) is refused here exactly as
the contract refuses it, so no validator vouches off chain for what the chain slashes as
BAD_SIGNATURE. The same vectors test both sides (tests/adversarial/test_slashing_attacks.py).
"""

from __future__ import annotations

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SIGNATURE_BYTES = 65


def rejection(signature: bytes) -> str | None:
    """Why the chain would refuse `signature` (None when it is in its one accepted form)."""
    if len(signature) != SIGNATURE_BYTES:
        return f"a signature is {SIGNATURE_BYTES} bytes, not {len(signature)}"
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if v not in (27, 28):
        return f"v is {v}; only 27 and 28 are accepted"
    if not 0 < r < SECP256K1_N:
        return "r is out of range"
    if not 0 < s <= SECP256K1_N // 2:
        return "s is in the upper half of the curve order (a malleated signature)"
    return None
