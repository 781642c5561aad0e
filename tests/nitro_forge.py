"""Forging Nitro-shaped attestation documents in tests, independently of the DEV issuer
(ogcli.node.dev_attestation): certificates, payload fields and COSE_Sign1 envelopes built from
the specs with `cryptography` and `cbor2`, around one point in time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

SIGNER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 test vector
ES384_HEADER = bytes.fromhex("a1013822")  # {1: -35}, byte for byte what Nitro sends
ROOT_CN = "ogcli DEV TEE root"


@dataclass(frozen=True)
class Forge:
    """Document parts valid around `at` (seconds): certificates from an hour before to an hour after."""

    at: int

    def make_cert(self, cn: str, *, key, issuer_cn: str, issuer_key, ca: bool, hash_alg=None,
                  not_before: int | None = None, not_after: int | None = None) -> bytes:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.fromtimestamp(self.at - 3600 if not_before is None else not_before, tz=UTC))
            .not_valid_after(datetime.fromtimestamp(self.at + 3600 if not_after is None else not_after, tz=UTC))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        return builder.sign(issuer_key, hash_alg or hashes.SHA384()).public_bytes(serialization.Encoding.DER)

    def nitro_fields(self, leaf_der: bytes, cabundle: list[bytes]) -> dict:
        pcrs = {i: hashlib.sha384(f"pcr{i}".encode()).digest() for i in range(16)}
        return {"module_id": "i-0abc-enc0123", "digest": "SHA384", "timestamp": self.at * 1000, "pcrs": pcrs,
                "certificate": leaf_der, "cabundle": cabundle, "public_key": None,
                "user_data": bytes.fromhex(SIGNER[2:]), "nonce": None}

    def forged(self, root, *, protected: bytes = ES384_HEADER, tag: bool = True, **changes) -> bytes:
        """A correctly signed document under `root` whose payload fields are `changes` applied to
        a valid set (a value of ... removes the field)."""
        leaf_key = ec.generate_private_key(ec.SECP384R1())
        leaf_der = self.make_cert("leaf", key=leaf_key, issuer_cn=ROOT_CN, issuer_key=root.private_key, ca=False)
        fields = self.nitro_fields(leaf_der, [root.certificate_der])
        for name, value in changes.items():
            if value is ...:
                del fields[name]
            else:
                fields[name] = value
        return cose_sign1(fields, leaf_key, protected=protected, tag=tag)


def cose_sign1(fields: dict | bytes, leaf_key, *, protected: bytes = ES384_HEADER, tag: bool = True,
               unprotected: dict | None = None) -> bytes:
    """A COSE_Sign1 over `fields` (a dict, encoded with cbor2, or a payload already encoded)."""
    payload = fields if isinstance(fields, bytes) else cbor2.dumps(fields)
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s = decode_dss_signature(leaf_key.sign(to_sign, ec.ECDSA(hashes.SHA384())))
    body = [protected, unprotected or {}, payload, r.to_bytes(48, "big") + s.to_bytes(48, "big")]
    return cbor2.dumps(cbor2.CBORTag(18, body) if tag else body)


def indefinite_map(entries: list[tuple]) -> bytes:
    """A CBOR map of indefinite length (as the genuine AWS payload is), keys in the order given;
    a key given twice is written twice."""
    return b"\xbf" + b"".join(cbor2.dumps(k) + cbor2.dumps(v) for k, v in entries) + b"\xff"


def cose_parts(document: bytes) -> list:
    item = cbor2.loads(document)
    return list(item.value if isinstance(item, cbor2.CBORTag) else item)


def with_parts(parts: list) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(18, parts))
