"""The Python verifier's verdict on every case of the agreement corpus (tests/nitro_cases.py),
without a chain: each broken case is refused, each sound one verifies. The chain's verdicts on
the same cases are tests/chain/test_nitro_verifier.py."""

from __future__ import annotations

import pytest

from ogcli.core.attestation import AttestationError, verify_nitro_document
from ogcli.protocol import params
from tests.nitro_cases import AWS_NITRO_ROOT_SHA256, GENUINE_ISSUED_AT, dev_cases, genuine_cases

AT = 1_700_000_000


@pytest.mark.parametrize("case", dev_cases(AT) + genuine_cases(), ids=lambda c: c.name)
def test_python_verdict_matches_the_case(case):
    at = GENUINE_ISSUED_AT if "genuine" in case.name else AT
    if case.contract_error is None:
        verify_nitro_document(case.document, root_sha256=case.root_sha256, at_time=at)
    else:
        with pytest.raises(AttestationError):
            verify_nitro_document(case.document, root_sha256=case.root_sha256, at_time=at)


def test_the_product_pins_the_root_aws_publishes():
    assert params.AWS_NITRO_ROOT_SHA256 == AWS_NITRO_ROOT_SHA256
