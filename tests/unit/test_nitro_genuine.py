"""The verifier accepts a genuine AWS Nitro attestation document at its pinned time, and refuses
it (or documents built from it) where it must."""

from __future__ import annotations

import base64
from pathlib import Path

import cbor2
import pytest

from ogcli.core.attestation import AttestationError, verify_nitro_document
from ogcli.node.dev_attestation import dev_root, dev_root_sha256, issue_document

DOCUMENT = base64.b64decode((Path(__file__).parents[1] / "fixtures/nitro/og-evm-attestation.b64").read_text())
# SHA-256 fingerprint of the AWS Nitro Enclaves root certificate, as AWS publishes it: pinned by value.
AWS_NITRO_ROOT_SHA256 = bytes.fromhex("641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b")
INSIDE = 1_770_919_200  # 2026-02-12 18:00 UTC, inside the chain's validity
AFTER = 1_770_930_000  # 2026-02-12 21:00 UTC, after the leaf expired
SIGNER = "0x565E4c3eF7d11C4Fa3D29EB6148e21fAC7608419"


def test_the_genuine_document_verifies_at_its_time():
    claims = verify_nitro_document(DOCUMENT, root_sha256=AWS_NITRO_ROOT_SHA256, at_time=INSIDE)
    assert len(claims.pcrs) == 16 and all(len(v) == 48 for v in claims.pcrs.values())
    assert any(claims.pcrs[0]) and len(claims.measurement) == 32
    assert claims.timestamp_ms // 1000 == 1_770_918_962  # 2026-02-12 17:56:02 UTC
    assert claims.module_id == "i-0340e0cb833504eb6-enc019c12d31f78864d"
    assert claims.leaf_subject.startswith(f"CN={claims.module_id}.us-east-2.aws")
    # Its user data is the Nitriding daemon's 68-byte layout, not an Ethereum signer: it binds none.
    assert len(claims.user_data) == 68 and claims.signer_address() is None


def test_the_genuine_document_is_refused_after_its_chain_expired():
    with pytest.raises(AttestationError, match="valid"):
        verify_nitro_document(DOCUMENT, root_sha256=AWS_NITRO_ROOT_SHA256, at_time=AFTER)


def test_another_root_and_a_flipped_payload_byte_are_refused():
    with pytest.raises(AttestationError, match="root"):
        verify_nitro_document(DOCUMENT, root_sha256=dev_root_sha256(), at_time=INSIDE)
    item = cbor2.loads(DOCUMENT)
    parts = list(item.value if isinstance(item, cbor2.CBORTag) else item)
    payload = bytearray(parts[2])
    payload[len(payload) // 3] ^= 0x01  # inside the certificate bytes or a PCR: either way the signature breaks
    parts[2] = bytes(payload)
    tampered = cbor2.dumps(cbor2.CBORTag(18, parts))
    with pytest.raises(AttestationError):
        verify_nitro_document(tampered, root_sha256=AWS_NITRO_ROOT_SHA256, at_time=INSIDE)


def test_zeroed_pcrs_are_a_debug_enclave_even_under_a_trusted_root():
    zeros = {i: bytes(48) for i in range(3)}
    document = issue_document(dev_root(), image="v0.1", signer_address=SIGNER, at_time=INSIDE, pcrs=zeros)
    with pytest.raises(AttestationError, match="debug-mode"):
        verify_nitro_document(document, root_sha256=dev_root_sha256(), at_time=INSIDE)
    honest = issue_document(dev_root(), image="v0.1", signer_address=SIGNER, at_time=INSIDE)
    assert verify_nitro_document(honest, root_sha256=dev_root_sha256(), at_time=INSIDE).signer_address() == SIGNER


def test_dev_documents_are_deterministic_in_their_time():
    one = issue_document(dev_root(), image="v0.1", signer_address=SIGNER, at_time=INSIDE)
    assert one == issue_document(dev_root(), image="v0.1", signer_address=SIGNER, at_time=INSIDE)
    assert one != issue_document(dev_root(), image="v0.1", signer_address=SIGNER, at_time=INSIDE + 1)
