"""One corpus of attestation documents, each with the verdict the chain must give it, for holding
the Python verifier (ogcli.core.attestation) and the contract (contracts/NitroVerifier.sol) to the
same answers: tests/chain/test_nitro_verifier.py runs both on every case.

A case is a document, the root hash it is checked under, and the contract's named revert (None:
it verifies). Cases are built around a time `at`, the block time they are checked at.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ogcli.node.dev_attestation import dev_root, issue_document
from tests.nitro_forge import ROOT_CN, SIGNER, Forge, cose_parts, cose_sign1, indefinite_map, with_parts

GENUINE = base64.b64decode((Path(__file__).parent / "fixtures/nitro/og-evm-attestation.b64").read_text())
# SHA-256 fingerprint of the AWS Nitro Enclaves root certificate, as AWS publishes it: pinned by value
# here, independently of the product's copy (ogcli.protocol.params), which a test compares with it.
AWS_NITRO_ROOT_SHA256 = bytes.fromhex("641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b")
GENUINE_ISSUED_AT = 1_770_918_963  # the first second at or after the document's timestamp (17:56:02.724 UTC)


@dataclass(frozen=True)
class Case:
    name: str
    document: bytes
    root_sha256: bytes
    contract_error: str | None  # None: verifies


def genuine_leaf_not_after() -> int:
    leaf = x509.load_der_x509_certificate(cbor2.loads(cose_parts(GENUINE)[2])["certificate"])
    return int(leaf.not_valid_after_utc.timestamp())


def genuine_cases() -> list[Case]:
    """The genuine AWS document, at a time inside its chain's validity."""
    parts = cose_parts(GENUINE)
    flipped = bytearray(parts[3])
    flipped[10] ^= 0x01
    dev_hash = hashlib.sha256(dev_root().certificate_der).digest()
    return [
        Case("genuine AWS document", GENUINE, AWS_NITRO_ROOT_SHA256, None),
        Case("genuine document, a signature byte flipped", cbor2.dumps([parts[0], parts[1], parts[2], bytes(flipped)]),
             AWS_NITRO_ROOT_SHA256, "BadDocumentSignature"),
        Case("genuine document under another root", GENUINE, dev_hash, "RootNotPinned"),
        Case("genuine document truncated", GENUINE[:-100], AWS_NITRO_ROOT_SHA256, "CborMalformed"),
    ]


def dev_cases(at: int) -> list[Case]:
    """DEV-rooted documents, each valid or broken in one way, checked at block time `at`."""
    root = dev_root()
    root_hash = hashlib.sha256(root.certificate_der).digest()
    forge = Forge(at)
    good = issue_document(root, image="v0.1", signer_address=SIGNER, at_time=at - 60)
    parts = cose_parts(good)

    def case(name, document, error, root_sha256=root_hash):
        return Case(name, document, root_sha256, error)

    def chain_with(*, leaf_key=None, leaf_hash=None, middle_not_after=None, middle_ca=True, middle_signer=None,
                   middle_issuer_cn=ROOT_CN, links=1, unprotected=None):
        """A document under root -> `links` intermediates -> leaf, with one thing changed."""
        keys = [ec.generate_private_key(ec.SECP384R1()) for _ in range(links)]
        cabundle, issuer_cn, issuer_key = [root.certificate_der], ROOT_CN, root.private_key
        for index, key in enumerate(keys):
            cabundle.append(forge.make_cert(
                f"zone {index}", key=key, issuer_cn=middle_issuer_cn if index == 0 else issuer_cn,
                issuer_key=(middle_signer or issuer_key) if index == 0 else issuer_key, ca=middle_ca,
                not_after=middle_not_after))
            issuer_cn, issuer_key = f"zone {index}", key
        key = leaf_key or ec.generate_private_key(ec.SECP384R1())
        leaf = forge.make_cert("leaf", key=key, issuer_cn=issuer_cn, issuer_key=issuer_key, ca=False, hash_alg=leaf_hash)
        signing_key = key if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1" else \
            ec.generate_private_key(ec.SECP384R1())
        return cose_sign1(forge.nitro_fields(leaf, cabundle), signing_key, unprotected=unprotected)

    fields = forge.nitro_fields(b"", [])
    leaf_key = ec.generate_private_key(ec.SECP384R1())
    leaf = forge.make_cert("leaf", key=leaf_key, issuer_cn=ROOT_CN, issuer_key=root.private_key, ca=False)
    entries = [(k, v) for k, v in {**fields, "certificate": leaf, "cabundle": [root.certificate_der]}.items()]
    flipped = bytearray(parts[3])
    flipped[50] ^= 0x80
    return [
        case("DEV document", good, None),
        case("DEV document through three intermediates", chain_with(links=3), None),
        case("indefinite-length payload map", cose_sign1(indefinite_map(entries), leaf_key), None),
        case("DEV document, untagged", cbor2.dumps(parts), None),
        case("another root than the pinned one",
             issue_document(dev_root(b"another root"), image="v0.1", signer_address=SIGNER, at_time=at - 60),
             "RootNotPinned"),
        case("debug-mode PCRs", issue_document(root, image="v0.1", signer_address=SIGNER, at_time=at - 60,
                                               pcrs={i: bytes(48) for i in range(3)}), "DebugModeEnclave"),
        case("truncated CBOR", good[: len(good) // 2], "CborMalformed"),
        case("a byte after the document", good + b"\x00", "AttestationTrailingBytes"),
        case("COSE algorithm ES256", forge.forged(root, protected=cbor2.dumps({1: -7})), "CoseWrongAlgorithm"),
        case("unprotected header not empty", chain_with(unprotected={4: b"kid"}), "CoseUnprotectedNotEmpty"),
        case("signature flipped", with_parts([parts[0], parts[1], parts[2], bytes(flipped)]), "BadDocumentSignature"),
        case("a chain longer than the limit", chain_with(links=6), "AttestationCabundleSize"),
        case("an unknown field", forge.forged(root, extra=b"x"), "AttestationFieldUnknown"),
        case("a field twice", cose_sign1(indefinite_map([*entries, ("nonce", None)]), leaf_key),
             "AttestationFieldDuplicate"),
        case("digest SHA256", forge.forged(root, digest="SHA256"), "AttestationDigestNotSha384"),
        case("PCR1 missing", forge.forged(root, pcrs={0: bytes([1]) * 48, 2: bytes([2]) * 48}), "AttestationPcrMissing"),
        case("issued after the block time", forge.forged(root, timestamp=(at + 1800) * 1000), "DocumentFromTheFuture"),
        case("an expired intermediate", chain_with(middle_not_after=at - 1), "CertificateNotValidAt"),
        case("an intermediate that is not a CA", chain_with(middle_ca=False), "IssuerNotCA"),
        case("an intermediate signed by another key",
             chain_with(middle_signer=ec.generate_private_key(ec.SECP384R1())), "BadCertificateSignature"),
        case("an intermediate naming another issuer", chain_with(middle_issuer_cn="someone else"), "IssuerNameMismatch"),
        case("a P-256 leaf key", chain_with(leaf_key=ec.generate_private_key(ec.SECP256R1()), leaf_hash=hashes.SHA384()),
             "X509UnsupportedKey"),
        case("a leaf signed with SHA-256", chain_with(leaf_hash=hashes.SHA256()), "X509UnsupportedAlgorithm"),
    ]
