"""The DEV vendor's attestation issuer: AWS-Nitro-shaped documents for the local devnet.

The documents are exactly what ogcli.core.attestation.verify_nitro_document checks for real Nitro
hardware (COSE_Sign1, ES384, a cabundle rooted in a pinned certificate), so the devnet exercises
the same verifier. What differs is only who holds the root key: here it is derived from a public
seed, so anyone can issue DEV documents. The DEV vendor proves the plumbing, never a real TEE.

The root is deterministic (same seed -> byte-identical DER -> same pinned hash), so the registry
can pin it in the devnet's genesis and every node and verifier computes the same hash offline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from ogcli.core.addresses import parse_address
from ogcli.core.measurement import dev_pcrs, measurement

DEFAULT_ROOT_SEED = b"ogcli devnet TEE root v1"
ROOT_SUBJECT = "ogcli DEV TEE root"
ROOT_SERIAL = 1
ROOT_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
ROOT_NOT_AFTER = datetime(2100, 1, 1, tzinfo=UTC)
# Order of the P-384 group (SEC 2, secp384r1 "n"): a private key must lie in [1, n - 1].
P384_ORDER = int(
    "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16)

LEAF_SUBJECT_PREFIX = "ogcli DEV enclave "
MAX_COMMON_NAME = 64  # X.520 upper bound, which cryptography enforces
LEAF_BACKDATE = timedelta(hours=1)  # tolerate a block time slightly behind the issuer's
LEAF_LIFETIME = timedelta(hours=3)  # as long as a Nitro leaf lives
COSE_SIGN1_TAG = 18
ES384_PROTECTED_HEADER = cbor2.dumps({1: -35})  # {alg: ES384}
ES384_COORDINATE_BYTES = 48


@dataclass(frozen=True)
class DevRoot:
    certificate_der: bytes
    private_key: ec.EllipticCurvePrivateKey


def dev_root(seed: bytes = DEFAULT_ROOT_SEED) -> DevRoot:
    """The DEV vendor's self-signed P-384 root; the same seed always gives the same DER."""
    key = _root_key(seed)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ROOT_SUBJECT)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(ROOT_SERIAL)
        .not_valid_before(ROOT_NOT_BEFORE)
        .not_valid_after(ROOT_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    # RFC 6979 nonces: random ones would give a new signature, hence a new DER hash, every call.
    certificate = builder.sign(key, hashes.SHA384(), ecdsa_deterministic=True)
    return DevRoot(certificate.public_bytes(serialization.Encoding.DER), key)


def dev_root_sha256(seed: bytes = DEFAULT_ROOT_SEED) -> bytes:
    """What the registry pins for the DEV vendor: sha-256 of the root certificate's DER."""
    return hashlib.sha256(dev_root(seed).certificate_der).digest()


def dev_measurement_for(image: str) -> bytes:
    """The registry's measurement for `image` by the NITRO rule: sha256(PCR0 || PCR1 || PCR2)."""
    return measurement("DEV", {"image": image})


def issue_document(root: DevRoot, *, image: str, signer_address: str, at_time: int,
                   nonce: bytes | None = None, pcrs: dict[int, bytes] | None = None) -> bytes:
    """A COSE_Sign1 attestation binding `signer_address` to `image`, valid around `at_time`.

    Deterministic: the same inputs give the same bytes (leaf key derived from them, RFC 6979
    signatures), so a node can serve the very document whose hash the registry recorded when its
    enclave was registered, without having kept it."""
    leaf_key = _root_key(b"leaf|" + root.certificate_der + f"|{parse_address(signer_address)}|{image}|{at_time}".encode())
    leaf_der = _leaf_certificate(root, leaf_key, image, at_time)
    payload = cbor2.dumps({
        "module_id": f"ogcli-dev-{image}",
        "digest": "SHA384",
        "timestamp": at_time * 1000,
        "pcrs": pcrs if pcrs is not None else dev_pcrs(image),  # an override builds debug-mode documents for tests
        "certificate": leaf_der,
        "cabundle": [root.certificate_der],
        "public_key": None,
        "user_data": _address_bytes(signer_address),
        "nonce": nonce,
    })
    signature = _es384_sign(leaf_key, ES384_PROTECTED_HEADER, payload)
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [ES384_PROTECTED_HEADER, {}, payload, signature]))


def _root_key(seed: bytes) -> ec.EllipticCurvePrivateKey:
    # Mapped into [1, n - 1] so no seed can give the invalid scalar 0.
    scalar = int.from_bytes(hashlib.sha384(seed).digest(), "big") % (P384_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP384R1())


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )


def _leaf_certificate(root: DevRoot, leaf_key: ec.EllipticCurvePrivateKey, image: str, at_time: int) -> bytes:
    common_name = LEAF_SUBJECT_PREFIX + image
    if not image or len(common_name) > MAX_COMMON_NAME:
        raise ValueError(f"DEV image name must be 1..{MAX_COMMON_NAME - len(LEAF_SUBJECT_PREFIX)} characters")
    issued_at = datetime.fromtimestamp(at_time, tz=UTC)
    root_certificate = x509.load_der_x509_certificate(root.certificate_der)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(root_certificate.subject)
        .public_key(leaf_key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(leaf_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()[:19], "big") | 1)
        .not_valid_before(issued_at - LEAF_BACKDATE)
        .not_valid_after(issued_at + LEAF_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(root.private_key, hashes.SHA384(), ecdsa_deterministic=True)
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def _address_bytes(address: str) -> bytes:
    # parse_address refuses a mistyped checksum: binding the wrong signer would go unnoticed.
    return bytes.fromhex(parse_address(address)[2:])


def _es384_sign(key: ec.EllipticCurvePrivateKey, protected: bytes, payload: bytes) -> bytes:
    """Raw r || s over the COSE Sig_structure, as COSE (unlike X.509) encodes ECDSA signatures."""
    signed = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s = decode_dss_signature(key.sign(signed, ec.ECDSA(hashes.SHA384(), deterministic_signing=True)))
    return r.to_bytes(ES384_COORDINATE_BYTES, "big") + s.to_bytes(ES384_COORDINATE_BYTES, "big")
