"""Verifying an AWS Nitro attestation document: the enclave's own word on what it runs and which
key it holds, signed by a chain that ends in the vendor's root.

A document is a COSE_Sign1 (CBOR, optionally tagged 18) `[protected, unprotected, payload,
signature]`. The registry pins a vendor by the sha-256 of its root certificate's DER, so one
verifier serves real Nitro documents and the devnet's DEV vendor (ogcli.node.dev_attestation),
which issues documents of the same shape under its own root. What is checked, in order:

1. COSE structure: a 4-array; the protected header is exactly `{1: -35}` (ES384), because the
   algorithm must be the one we verify with, never one the document chooses for us.
2. The payload's fields and their types, and `digest == "SHA384"` (PCRs are 48-byte SHA-384).
3. `sha256(cabundle[0]) == root_sha256`: the pinned root, and the only trust anchor.
4. The chain cabundle[0] -> intermediates -> certificate, signature by signature (ECDSA P-384 with
   SHA-384, or P-256 with SHA-256); every issuer must be a CA; every certificate must be valid
   at `at_time`.
5. The leaf's P-384 key verifies the COSE signature (raw r||s over the Sig_structure).
6. The document's own `timestamp` (milliseconds) is not after `at_time`: a document cannot vouch
   for an enclave before it was issued, however long before that its certificates were valid.
7. Not a debug-mode enclave: Nitro zeroes the PCRs of an enclave started in debug mode, whose
   memory the host can read, so such a document proves nothing about the code.

Time is pinned to `at_time`, the block time the caller reads from the chain, never the wall clock:
every verifier of the same document at the same block must agree, and a node's clock must not
decide what is valid. Nothing here reads the clock, the network or a chain.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

COSE_SIGN1_TAG = 18
COSE_HEADER_ALG = 1
COSE_ALG_ES384 = -35
ES384_COORDINATE_BYTES = 48  # a raw ES384 signature is r || s, each 48 bytes
PCR_BYTES = 48  # SHA-384
MAX_USER_BYTES = 1024  # public_key, user_data and nonce: the Nitro spec's bound
ADDRESS_BYTES = 20
MS_PER_S = 1000  # the payload's timestamp is in milliseconds, at_time in seconds

# cbor2 decodes arrays inside a tag as tuples and may give maps as frozendicts: accept either form.
CBOR_ARRAY = (list, tuple)
CBOR_MAP = Mapping

# The curves a certificate may be signed with, each with the hash that matches its strength.
CHAIN_HASH_FOR_CURVE = {ec.SECP384R1.name: hashes.SHA384, ec.SECP256R1.name: hashes.SHA256}


class AttestationError(ValueError):
    """The document does not verify; the message names the first check that failed."""


@dataclass(frozen=True)
class AttestationClaims:
    """What a verified document says about its enclave."""

    module_id: str
    timestamp_ms: int
    pcrs: dict[int, bytes]
    public_key: bytes | None
    user_data: bytes | None
    nonce: bytes | None
    leaf_subject: str

    @property
    def measurement(self) -> bytes:
        """The registry's NITRO measurement: sha256(PCR0 || PCR1 || PCR2)."""
        return hashlib.sha256(self.pcrs[0] + self.pcrs[1] + self.pcrs[2]).digest()

    def signer_address(self) -> str | None:
        """The EIP-55 address the enclave bound in user_data, or None if user_data is not one."""
        if self.user_data is None or len(self.user_data) != ADDRESS_BYTES:
            return None
        from eth_utils import to_checksum_address  # imported here: core stays cheap to import

        return to_checksum_address(self.user_data)


def verify_nitro_document(document: bytes, *, root_sha256: bytes, at_time: int) -> AttestationClaims:
    """The claims of `document` if it verifies under the root whose DER hashes to `root_sha256`
    at `at_time` (seconds since the epoch, the chain's block time); AttestationError otherwise."""
    protected, payload, signature = _parse_cose_sign1(document)
    fields = _parse_payload(payload)
    _check_root_pin(fields["cabundle"][0], root_sha256)  # before parsing any DER an unknown root vouches for
    chain = _load_chain(fields["cabundle"], fields["certificate"])
    _check_chain(chain, _as_datetime(at_time))
    _check_cose_signature(chain[-1], protected, payload, signature)
    _check_issued_by_then(fields["timestamp"], at_time)
    if all(not any(fields["pcrs"][i]) for i in (0, 1, 2)):
        raise AttestationError("PCR0-2 are all zeros: a debug-mode enclave, whose memory the host can read")
    return AttestationClaims(
        module_id=fields["module_id"],
        timestamp_ms=fields["timestamp"],
        pcrs=dict(fields["pcrs"]),
        public_key=fields.get("public_key"),
        user_data=fields.get("user_data"),
        nonce=fields.get("nonce"),
        leaf_subject=chain[-1].subject.rfc4514_string(),
    )


def _decode_cbor(data: bytes, what: str) -> Any:
    """Exactly one CBOR item; trailing bytes are refused so two parsers cannot disagree."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception as exc:  # untrusted input: any decoder failure means "not CBOR"
        raise AttestationError(f"{what} is not valid CBOR ({exc})") from None
    if stream.tell() != len(data):
        raise AttestationError(f"{what} has {len(data) - stream.tell()} bytes after its CBOR item")
    return item


def _parse_cose_sign1(document: bytes) -> tuple[bytes, bytes, bytes]:
    """(protected header bytes, payload, raw signature) after checking the COSE_Sign1 shape."""
    if not isinstance(document, bytes | bytearray):
        raise AttestationError("document must be bytes")
    item = _decode_cbor(bytes(document), "document")
    if isinstance(item, cbor2.CBORTag):
        if item.tag != COSE_SIGN1_TAG:
            raise AttestationError(f"document has CBOR tag {item.tag}; COSE_Sign1 is tag {COSE_SIGN1_TAG}")
        item = item.value
    if not isinstance(item, CBOR_ARRAY) or len(item) != 4:
        raise AttestationError("document is not a COSE_Sign1 (a CBOR array of 4 items)")
    protected, unprotected, payload, signature = item
    if not isinstance(protected, bytes) or not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise AttestationError("COSE_Sign1 protected header, payload and signature must be byte strings")
    if not isinstance(unprotected, CBOR_MAP):
        raise AttestationError("COSE_Sign1 unprotected header must be a map")
    header = _decode_cbor(protected, "COSE protected header")
    if not isinstance(header, CBOR_MAP) or dict(header) != {COSE_HEADER_ALG: COSE_ALG_ES384}:
        raise AttestationError(f"COSE protected header is {header!r}; expected {{1: -35}} (alg ES384)")
    if len(signature) != 2 * ES384_COORDINATE_BYTES:
        raise AttestationError(f"COSE signature is {len(signature)} bytes; ES384 is {2 * ES384_COORDINATE_BYTES}")
    return protected, payload, signature


def _parse_payload(payload: bytes) -> Mapping[str, Any]:
    """The attestation document map, with every field's type checked."""
    fields = _decode_cbor(payload, "attestation payload")
    if not isinstance(fields, CBOR_MAP):
        raise AttestationError("attestation payload is not a CBOR map")
    _require(fields, "module_id", str)
    if not fields["module_id"]:
        raise AttestationError("attestation field module_id is empty")
    _require(fields, "digest", str)
    if fields["digest"] != "SHA384":
        raise AttestationError(f"attestation digest is {fields['digest']!r}; expected 'SHA384'")
    _require(fields, "timestamp", int)
    if isinstance(fields["timestamp"], bool) or fields["timestamp"] < 0:
        raise AttestationError("attestation field timestamp is not an unsigned integer")
    _require(fields, "pcrs", CBOR_MAP)
    _check_pcrs(fields["pcrs"])
    _require(fields, "certificate", bytes)
    _require(fields, "cabundle", CBOR_ARRAY)
    if not fields["cabundle"] or not all(isinstance(der, bytes) for der in fields["cabundle"]):
        raise AttestationError("attestation field cabundle must be a non-empty array of DER certificates")
    for name in ("public_key", "user_data", "nonce"):
        value = fields.get(name)  # Nitro writes absent optional fields as null
        if value is not None and (not isinstance(value, bytes) or len(value) > MAX_USER_BYTES):
            raise AttestationError(f"attestation field {name} must be null or at most {MAX_USER_BYTES} bytes")
    return fields


def _require(fields: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> None:
    if name not in fields:
        raise AttestationError(f"attestation field {name} is missing")
    if not isinstance(fields[name], kind):
        expected = (kind[0] if isinstance(kind, tuple) else kind).__name__.lower()
        raise AttestationError(f"attestation field {name} is not a {expected}")


def _check_pcrs(pcrs: Mapping[Any, Any]) -> None:
    for index, value in pcrs.items():
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 32:
            raise AttestationError(f"attestation PCR index {index!r} is not an integer in 0..31")
        if not isinstance(value, bytes) or len(value) != PCR_BYTES:
            raise AttestationError(f"attestation PCR{index} is not {PCR_BYTES} bytes")
    missing = [index for index in (0, 1, 2) if index not in pcrs]
    if missing:
        raise AttestationError(f"attestation pcrs lack {', '.join(f'PCR{i}' for i in missing)}")


def _load_chain(cabundle: tuple[bytes, ...] | list[bytes], leaf_der: bytes) -> list[x509.Certificate]:
    """Root first, leaf last, as the Nitro cabundle orders them."""
    chain = []
    for position, der in enumerate([*cabundle, leaf_der]):
        what = "certificate (leaf)" if position == len(cabundle) else f"cabundle[{position}]"
        try:
            chain.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            raise AttestationError(f"{what} is not a DER certificate ({exc})") from None
    return chain


def _check_root_pin(root_der: bytes, root_sha256: bytes) -> None:
    if not isinstance(root_sha256, bytes) or len(root_sha256) != 32:
        raise AttestationError("root_sha256 must be the 32-byte sha-256 of the root certificate's DER")
    actual = hashlib.sha256(root_der).digest()
    if actual != root_sha256:
        raise AttestationError(
            f"cabundle root sha256 {actual.hex()} is not the pinned root {root_sha256.hex()}")


def _as_datetime(at_time: int) -> datetime:
    if isinstance(at_time, bool) or not isinstance(at_time, int):
        raise AttestationError("at_time must be an integer number of seconds (the block time)")
    try:
        return datetime.fromtimestamp(at_time, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise AttestationError(f"at_time {at_time} is out of range") from None


def _check_issued_by_then(timestamp_ms: int, at_time: int) -> None:
    if timestamp_ms > at_time * MS_PER_S:
        raise AttestationError(
            f"the document was issued at {_as_datetime(timestamp_ms // MS_PER_S).isoformat()} ({timestamp_ms} ms), "
            f"after the time it is checked at, {_as_datetime(at_time).isoformat()}")


def _check_chain(chain: list[x509.Certificate], at: datetime) -> None:
    """Each certificate valid at `at` and signed by the one before it, which must be a CA."""
    for position, cert in enumerate(chain):
        name = _describe(chain, position)
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            raise AttestationError(
                f"{name} is valid {cert.not_valid_before_utc.isoformat()} to "
                f"{cert.not_valid_after_utc.isoformat()}, not at {at.isoformat()}")
        if position > 0:
            _check_issued_by(cert, chain[position - 1], name, _describe(chain, position - 1))


def _describe(chain: list[x509.Certificate], position: int) -> str:
    role = "root" if position == 0 else "leaf" if position == len(chain) - 1 else "intermediate"
    return f"{role} certificate {chain[position].subject.rfc4514_string()!r}"


def _check_issued_by(cert: x509.Certificate, issuer: x509.Certificate, name: str, issuer_name: str) -> None:
    if not _is_ca(issuer):
        raise AttestationError(f"{issuer_name} is not a CA, so it cannot issue {name}")
    key = issuer.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in CHAIN_HASH_FOR_CURVE:
        raise AttestationError(f"{issuer_name} key is not ECDSA P-384 or P-256")
    expected_hash = CHAIN_HASH_FOR_CURVE[key.curve.name]
    if not isinstance(cert.signature_hash_algorithm, expected_hash):
        raise AttestationError(f"{name} is not signed with {expected_hash.name} as its issuer's curve requires")
    try:
        cert.verify_directly_issued_by(issuer)  # issuer name match and signature
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise AttestationError(f"{name} was not issued by {issuer_name} ({str(exc) or 'bad signature'})") from None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _check_cose_signature(leaf: x509.Certificate, protected: bytes, payload: bytes, signature: bytes) -> None:
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != ec.SECP384R1.name:
        raise AttestationError("leaf certificate key is not ECDSA P-384, which ES384 requires")
    # COSE Sig_structure for COSE_Sign1, with no external additional authenticated data.
    signed = cbor2.dumps(["Signature1", protected, b"", payload])
    r = int.from_bytes(signature[:ES384_COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[ES384_COORDINATE_BYTES:], "big")
    try:
        key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        raise AttestationError("COSE signature does not verify under the leaf certificate's key") from None
