"""Verifying an AWS Nitro attestation document: the enclave's own word on what it runs and which
key it holds, signed by a chain that ends in the vendor's root.

A document is a COSE_Sign1 (CBOR, optionally tagged 18) `[protected, unprotected, payload,
signature]`. The registry pins a vendor by the sha-256 of its root certificate's DER, so one
verifier serves real Nitro documents and the devnet's DEV vendor (ogcli.node.dev_attestation),
which issues documents of the same shape under its own root. The chain verifies the same
documents in contracts/NitroVerifier.sol when an enclave registers; every rule here is a rule
there (tests/chain/test_attestation_agreement.py holds the two to it). What is checked, in order:

1. COSE structure and payload fields by the chain's grammar (ogcli.core.nitro_document): the
   protected header is exactly `{1: -35}` (ES384), because the algorithm must be the one we verify
   with, never one the document chooses for us; `digest == "SHA384"` (PCRs are 48-byte SHA-384).
2. `sha256(cabundle[0]) == root_sha256`: the pinned root, and the only trust anchor; the root is
   a self-issued CA.
3. The chain cabundle[0] -> intermediates -> certificate, signature by signature: X.509 v3,
   ECDSA P-384 keys (uncompressed) signing with SHA-384 only, as Nitro's chain does and the
   contract verifies; every issuer a CA whose subject is the issuer name; every certificate
   valid at `at_time`.
4. The leaf's P-384 key verifies the COSE signature (raw r||s over the Sig_structure).
5. The document's own `timestamp` (milliseconds) is not after `at_time`: a document cannot vouch
   for an enclave before it was issued, however long before that its certificates were valid.
6. Not a debug-mode enclave: Nitro zeroes the PCRs of an enclave started in debug mode, whose
   memory the host can read, so such a document proves nothing about the code.

Time is pinned to `at_time`, the block time the caller reads from the chain, never the wall clock:
every verifier of the same document at the same block must agree, and a node's clock must not
decide what is valid. Nothing here reads the clock, the network or a chain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import SignatureAlgorithmOID

from ogcli.core import nitro_document
from ogcli.core.nitro_document import DocumentError

ES384_COORDINATE_BYTES = 48  # a raw ES384 signature is r || s, each 48 bytes
ADDRESS_BYTES = 20
MS_PER_S = 1000  # the payload's timestamp is in milliseconds, at_time in seconds


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


def parse_document(document: bytes) -> nitro_document.NitroDocument:
    """The document's parts by the chain's grammar; AttestationError when it breaks a rule."""
    try:
        return nitro_document.parse(document)
    except DocumentError as exc:
        raise AttestationError(str(exc)) from None


def verify_nitro_document(document: bytes, *, root_sha256: bytes, at_time: int) -> AttestationClaims:
    """The claims of `document` if it verifies under the root whose DER hashes to `root_sha256`
    at `at_time` (seconds since the epoch, the chain's block time); AttestationError otherwise."""
    parsed = parse_document(document)
    _check_root_pin(parsed.cabundle[0], root_sha256)  # before parsing any DER an unknown root vouches for
    chain = _load_chain(parsed.cabundle, parsed.certificate)
    _check_chain(chain, _as_datetime(at_time))
    _check_issued_by_then(parsed.timestamp_ms, at_time)
    if not any(parsed.pcrs012):
        raise AttestationError("PCR0-2 are all zeros: a debug-mode enclave, whose memory the host can read")
    _check_cose_signature(chain[-1], parsed.sig_structure(), parsed.signature)
    return AttestationClaims(
        module_id=parsed.module_id,
        timestamp_ms=parsed.timestamp_ms,
        pcrs=dict(parsed.pcrs),
        public_key=parsed.public_key,
        user_data=parsed.user_data,
        nonce=parsed.nonce,
        leaf_subject=chain[-1].subject.rfc4514_string(),
    )


def _load_chain(cabundle: tuple[bytes, ...], leaf_der: bytes) -> list[x509.Certificate]:
    """Root first, leaf last, as the Nitro cabundle orders them; each certificate of the kind the
    contract's X.509 reader accepts (contracts/attestation/X509.sol)."""
    chain = []
    for position, der in enumerate([*cabundle, leaf_der]):
        what = "certificate (leaf)" if position == len(cabundle) else f"cabundle[{position}]"
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise AttestationError(f"{what} is not a DER certificate ({exc})") from None
        _check_form(cert, der, what)
        chain.append(cert)
    return chain


def _check_form(cert: x509.Certificate, der: bytes, what: str) -> None:
    if cert.version != x509.Version.v3:
        raise AttestationError(f"{what} is X.509 {cert.version.name}; only v3 is accepted")
    if any(len(rdn) > 1 for name in (cert.issuer, cert.subject) for rdn in name.rdns):
        raise AttestationError(f"{what} has a multi-valued name component, which the chain's reader refuses")
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA384:
        raise AttestationError(f"{what} is not signed with ecdsa-with-SHA384")
    try:
        key = cert.public_key()
    except (ValueError, TypeError) as exc:
        raise AttestationError(f"{what} has an unreadable key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != ec.SECP384R1.name:
        raise AttestationError(f"{what} key is not ECDSA P-384")
    # The chain reads the key as an uncompressed point; a compressed one is refused there, so here.
    if key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) not in der:
        raise AttestationError(f"{what} key is not an uncompressed P-384 point")


def root_certificate_sha256(data: bytes) -> bytes:
    """The sha-256 a vendor root is pinned by, of a root certificate given as DER or PEM, after
    checking it is one the chain accepts as a root: X.509 v3, P-384 with SHA-384, a CA, issued
    by itself (AttestationError otherwise)."""
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            data = x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
        except ValueError as exc:
            raise AttestationError(f"not a PEM certificate ({exc})") from None
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise AttestationError(f"not a DER certificate ({exc})") from None
    _check_form(cert, data, "the root certificate")
    _check_issued_by(cert, cert, "the root certificate", "itself")
    return hashlib.sha256(data).digest()


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
            f"the document was issued at {_describe_ms(timestamp_ms)} ({timestamp_ms} ms), "
            f"after the time it is checked at, {_as_datetime(at_time).isoformat()}")


def _describe_ms(timestamp_ms: int) -> str:
    try:
        return _as_datetime(timestamp_ms // MS_PER_S).isoformat()
    except AttestationError:
        return "a time out of range"


def _check_chain(chain: list[x509.Certificate], at: datetime) -> None:
    """The root a self-issued CA; each certificate valid at `at` and signed by the one before it,
    which must be a CA."""
    root = chain[0]
    if root.issuer.public_bytes() != root.subject.public_bytes():
        raise AttestationError(f"{_describe(chain, 0)} is not self-issued")
    if not _is_ca(root):
        raise AttestationError(f"{_describe(chain, 0)} is not a CA")
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
    # Byte for byte, as the contract compares the encoded names.
    if cert.issuer.public_bytes() != issuer.subject.public_bytes():
        raise AttestationError(f"{name} names an issuer other than {issuer_name}")
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise AttestationError(f"{name} was not issued by {issuer_name} ({str(exc) or 'bad signature'})") from None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _check_cose_signature(leaf: x509.Certificate, signed: bytes, signature: bytes) -> None:
    key = leaf.public_key()
    r = int.from_bytes(signature[:ES384_COORDINATE_BYTES], "big")
    s = int.from_bytes(signature[ES384_COORDINATE_BYTES:], "big")
    try:
        key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        raise AttestationError("COSE signature does not verify under the leaf certificate's key") from None
