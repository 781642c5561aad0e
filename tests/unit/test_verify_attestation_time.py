"""An attestation document issued after the time it is checked at is refused: a document cannot
vouch for an enclave before it existed, however long its certificate chain has been valid."""

from __future__ import annotations

import hashlib

import pytest

from ogcli.core.attestation import AttestationError, verify_nitro_document
from ogcli.node.dev_attestation import dev_root, issue_document

ISSUED_AT = 1_700_000_000  # seconds; the document's own timestamp is this in milliseconds
SIGNER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


@pytest.fixture(scope="module")
def root():
    return dev_root()


@pytest.fixture(scope="module")
def document(root):
    return issue_document(root, image="v0.1", signer_address=SIGNER, at_time=ISSUED_AT)


def test_a_document_checked_one_second_before_it_was_issued_is_refused(root, document):
    # The DEV leaf is valid from an hour before its issue time, so only the timestamp can refuse it.
    with pytest.raises(AttestationError, match="issued .* after"):
        verify_nitro_document(document, root_sha256=hashlib.sha256(root.certificate_der).digest(), at_time=ISSUED_AT - 1)


@pytest.mark.parametrize("at_time", [ISSUED_AT, ISSUED_AT + 1, ISSUED_AT + 3_600])
def test_a_document_checked_at_or_after_its_issue_time_verifies(root, document, at_time):
    claims = verify_nitro_document(document, root_sha256=hashlib.sha256(root.certificate_der).digest(), at_time=at_time)
    assert claims.timestamp_ms == ISSUED_AT * 1000
