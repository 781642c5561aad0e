"""The Nitro attestation verifier, exercised with the DEV vendor's documents and hand-forged ones."""

from __future__ import annotations

import ast
import hashlib
import inspect
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ogcli.core import attestation
from ogcli.core.attestation import AttestationError, verify_nitro_document
from ogcli.core.measurement import measurement
from ogcli.node.dev_attestation import dev_measurement_for, dev_root, dev_root_sha256, issue_document
from tests.nitro_forge import ES384_HEADER, ROOT_CN, SIGNER, Forge, cose_parts, cose_sign1, with_parts

AT = 1_700_000_000  # a block time, seconds
IMAGE = "v0.1"


@pytest.fixture(scope="module")
def root():
    return dev_root()


@pytest.fixture(scope="module")
def root_hash(root):
    return hashlib.sha256(root.certificate_der).digest()


@pytest.fixture(scope="module")
def document(root):
    return issue_document(root, image=IMAGE, signer_address=SIGNER, at_time=AT, nonce=b"challenge")


# --- documents forged independently of the issuer (tests/nitro_forge.py) --------------------------

FORGE = Forge(AT)
make_cert, nitro_fields, forged = FORGE.make_cert, FORGE.nitro_fields, FORGE.forged


def refused(document: bytes, root_hash: bytes, at_time: int = AT) -> str:
    with pytest.raises(AttestationError) as caught:
        verify_nitro_document(document, root_sha256=root_hash, at_time=at_time)
    return str(caught.value)


# --- round trip ----------------------------------------------------------------------------------

def test_issued_document_verifies_with_its_claims(document, root_hash):
    claims = verify_nitro_document(document, root_sha256=root_hash, at_time=AT)

    assert claims.module_id == f"ogcli-dev-{IMAGE}"
    assert claims.timestamp_ms == AT * 1000
    assert claims.pcrs == {i: hashlib.sha384(f"ogcli-node dev enclave {IMAGE} pcr{i}".encode()).digest() for i in range(3)}
    assert claims.public_key is None
    assert claims.user_data == bytes.fromhex(SIGNER[2:])
    assert claims.nonce == b"challenge"
    assert claims.leaf_subject == f"CN=ogcli DEV enclave {IMAGE}"
    assert claims.signer_address() == SIGNER


def test_measurement_follows_the_registry_nitro_rule(document, root_hash):
    claims = verify_nitro_document(document, root_sha256=root_hash, at_time=AT)
    published = {f"pcr{i}": claims.pcrs[i].hex() for i in range(3)}

    assert claims.measurement == dev_measurement_for(IMAGE)
    assert claims.measurement == measurement("nitro", published)
    assert dev_measurement_for("v0.2") != dev_measurement_for(IMAGE)


def test_issued_document_has_the_aws_nitro_shape(document, root):
    item = cbor2.loads(document)
    assert isinstance(item, cbor2.CBORTag) and item.tag == 18
    protected, unprotected, payload, signature = item.value
    assert protected == ES384_HEADER
    assert dict(unprotected) == {}
    assert len(signature) == 96
    fields = cbor2.loads(payload)
    assert set(fields) == {"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle",
                           "public_key", "user_data", "nonce"}
    assert fields["digest"] == "SHA384"
    assert list(fields["cabundle"]) == [root.certificate_der]
    leaf = x509.load_der_x509_certificate(fields["certificate"])
    assert leaf.not_valid_before_utc == datetime.fromtimestamp(AT - 3600, tz=UTC)
    assert leaf.not_valid_after_utc == datetime.fromtimestamp(AT, tz=UTC) + timedelta(hours=3)


def test_a_document_from_independent_cose_code_verifies(root, root_hash):
    """The verifier follows the COSE spec, not just the issuer's encoding: untagged is fine too."""
    claims = verify_nitro_document(forged(root, tag=False), root_sha256=root_hash, at_time=AT)
    assert claims.module_id == "i-0abc-enc0123"
    assert len(claims.pcrs) == 16


def test_a_chain_through_intermediates_verifies(root, root_hash):
    zonal_key, instance_key, leaf_key = (ec.generate_private_key(ec.SECP384R1()) for _ in range(3))
    first = make_cert("zonal", key=zonal_key, issuer_cn=ROOT_CN, issuer_key=root.private_key, ca=True)
    second = make_cert("instance", key=instance_key, issuer_cn="zonal", issuer_key=zonal_key, ca=True)
    leaf = make_cert("leaf", key=leaf_key, issuer_cn="instance", issuer_key=instance_key, ca=False)
    document = cose_sign1(nitro_fields(leaf, [root.certificate_der, first, second]), leaf_key)

    assert verify_nitro_document(document, root_sha256=root_hash, at_time=AT).leaf_subject == "CN=leaf"


def test_refuses_a_p256_link_which_the_chain_cannot_verify(root, root_hash):
    """Nitro signs its whole chain with P-384; the contract verifies only P-384, so this does too."""
    zonal_key, p256_key, leaf_key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(
        ec.SECP256R1()), ec.generate_private_key(ec.SECP384R1())
    first = make_cert("zonal", key=zonal_key, issuer_cn=ROOT_CN, issuer_key=root.private_key, ca=True)
    second = make_cert("instance", key=p256_key, issuer_cn="zonal", issuer_key=zonal_key, ca=True)
    leaf = make_cert("leaf", key=leaf_key, issuer_cn="instance", issuer_key=p256_key, ca=False,
                     hash_alg=hashes.SHA256())
    document = cose_sign1(nitro_fields(leaf, [root.certificate_der, first, second]), leaf_key)

    assert refused(document, root_hash) == "cabundle[2] key is not ECDSA P-384"


def test_signer_address_is_none_unless_user_data_is_an_address(root, root_hash):
    claims = verify_nitro_document(forged(root, user_data=b"\x01" * 32), root_sha256=root_hash, at_time=AT)
    assert claims.signer_address() is None


def test_validity_bounds_are_inclusive(root, document, root_hash):
    # The leaf's first second of validity, checked with a document issued then (one issued later
    # is refused before it exists: tests/unit/test_verify_attestation_time.py).
    issued_at_not_before = forged(root, timestamp=(AT - 3600) * 1000)
    assert verify_nitro_document(issued_at_not_before, root_sha256=root_hash, at_time=AT - 3600)
    assert verify_nitro_document(document, root_sha256=root_hash, at_time=AT + 3 * 3600)


# --- the DEV root --------------------------------------------------------------------------------

def test_dev_root_is_deterministic():
    first, second = dev_root(), dev_root()

    assert first.certificate_der == second.certificate_der
    assert dev_root_sha256() == hashlib.sha256(first.certificate_der).digest()
    assert dev_root_sha256(b"another seed") != dev_root_sha256()


def test_dev_root_certificate_fields(root):
    cert = x509.load_der_x509_certificate(root.certificate_der)

    assert cert.subject.rfc4514_string() == "CN=ogcli DEV TEE root"
    assert cert.issuer == cert.subject
    assert cert.not_valid_before_utc == datetime(2020, 1, 1, tzinfo=UTC)
    assert cert.not_valid_after_utc == datetime(2100, 1, 1, tzinfo=UTC)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(cert.public_key().curve, ec.SECP384R1)
    assert cert.public_key().public_numbers() == root.private_key.public_key().public_numbers()
    cert.verify_directly_issued_by(cert)  # self-signed


# --- refusals ------------------------------------------------------------------------------------

def test_refuses_a_root_other_than_the_pinned_one(document):
    assert "is not the pinned root" in refused(document, hashlib.sha256(b"some other root").digest())


def test_refuses_a_document_issued_under_another_root(root_hash):
    other = issue_document(dev_root(b"someone else's root"), image=IMAGE, signer_address=SIGNER, at_time=AT)
    assert "is not the pinned root" in refused(other, root_hash)


def test_refuses_a_leaf_the_pinned_root_did_not_sign(root, root_hash):
    impostor = dev_root(b"impostor")  # same subject name as the real root, different key
    leaf_key = ec.generate_private_key(ec.SECP384R1())
    leaf = make_cert("leaf", key=leaf_key, issuer_cn=ROOT_CN, issuer_key=impostor.private_key, ca=False)
    document = cose_sign1(nitro_fields(leaf, [root.certificate_der]), leaf_key)

    message = refused(document, root_hash)
    assert "leaf certificate 'CN=leaf' was not issued by root certificate" in message


def test_refuses_a_chain_through_a_non_ca(root, root_hash):
    middle_key = ec.generate_private_key(ec.SECP384R1())
    leaf_key = ec.generate_private_key(ec.SECP384R1())
    middle = make_cert("middle", key=middle_key, issuer_cn=ROOT_CN, issuer_key=root.private_key, ca=False)
    leaf = make_cert("leaf", key=leaf_key, issuer_cn="middle", issuer_key=middle_key, ca=False)
    document = cose_sign1(nitro_fields(leaf, [root.certificate_der, middle]), leaf_key)

    assert "intermediate certificate 'CN=middle' is not a CA" in refused(document, root_hash)


@pytest.mark.parametrize("at_time", [AT - 3601, AT + 3 * 3600 + 1])
def test_refuses_a_time_outside_the_leaf_validity(document, root_hash, at_time):
    message = refused(document, root_hash, at_time)
    assert message.startswith(f"leaf certificate 'CN=ogcli DEV enclave {IMAGE}' is valid")
    assert "not at" in message


def test_refuses_a_flipped_byte_in_the_payload(document, root_hash):
    parts = cose_parts(document)
    address = bytes.fromhex(SIGNER[2:])
    assert parts[2].count(address) == 1
    parts[2] = parts[2].replace(address, address[:-1] + bytes([address[-1] ^ 1]))  # rebind the signer

    assert refused(with_parts(parts), root_hash) == "COSE signature does not verify under the leaf certificate's key"


def test_refuses_a_flipped_byte_in_the_signature(document, root_hash):
    parts = cose_parts(document)
    parts[3] = parts[3][:50] + bytes([parts[3][50] ^ 1]) + parts[3][51:]

    assert refused(with_parts(parts), root_hash) == "COSE signature does not verify under the leaf certificate's key"


def test_refuses_an_algorithm_other_than_es384(root, root_hash):
    document = forged(root, protected=cbor2.dumps({1: -7}))  # ES256
    assert refused(document, root_hash) == "COSE protected header is a10126; expected a1013822 ({1: -35}, alg ES384)"


def test_refuses_es384_written_in_a_longer_form(root, root_hash):
    """{1: -35} with -35 in a two-byte head decodes to the same map, but the chain compares the
    header's bytes; so does the Python verifier, or the two would disagree."""
    document = forged(root, protected=bytes.fromhex("a1013900" + "22"))
    assert refused(document, root_hash).startswith("COSE protected header is a101390022")


def test_refuses_a_digest_other_than_sha384(root, root_hash):
    assert refused(forged(root, digest="SHA256"), root_hash) == "attestation digest is 'SHA256'; expected 'SHA384'"


def test_refuses_missing_pcrs(root, root_hash):
    assert refused(forged(root, pcrs=...), root_hash) == "attestation field pcrs is missing"


def test_refuses_pcrs_without_pcr2(root, root_hash):
    pcrs = {0: b"\x00" * 48, 1: b"\x01" * 48}
    assert refused(forged(root, pcrs=pcrs), root_hash) == "attestation pcrs lack PCR2"


def test_refuses_a_pcr_of_the_wrong_size(root, root_hash):
    pcrs = {0: b"\x00" * 48, 1: b"\x01" * 32, 2: b"\x02" * 48}
    assert refused(forged(root, pcrs=pcrs), root_hash) == "attestation PCR1 is 32 bytes, not 48"


@pytest.mark.parametrize(("garbage", "message"), [
    (b"", "document is truncated at byte 0"),
    (b"\xff\x00 not cbor", "COSE_Sign1: indefinite length is allowed only for arrays and maps"),
    (b"\x5f", "COSE_Sign1: indefinite length is allowed only for arrays and maps"),
    (b"\x84\x44\xa1\x01", "COSE protected header claims 4 bytes; document is truncated"),
])
def test_refuses_bytes_that_are_not_cbor(garbage, message, root_hash):
    assert refused(garbage, root_hash) == message


def test_refuses_cbor_that_is_not_cose_sign1(root_hash):
    assert refused(cbor2.dumps({"hello": "world"}), root_hash) == "COSE_Sign1 is a map; expected an array"


def test_refuses_trailing_bytes(document, root_hash):
    assert refused(document + b"\x00", root_hash) == "document has 1 bytes after its end"


def test_refuses_a_tag_other_than_cose_sign1(document, root_hash):
    assert refused(cbor2.dumps(cbor2.CBORTag(98, cose_parts(document))), root_hash) == "COSE_Sign1 is a tag; expected an array"


# --- time comes from the caller ------------------------------------------------------------------

def test_verifier_never_reads_the_clock():
    tree = ast.parse(inspect.getsource(attestation))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    called = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}

    assert "time" not in imported
    assert not called & {"now", "utcnow", "today", "time"}
