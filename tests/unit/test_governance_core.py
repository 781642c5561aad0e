"""Whitelist diffs and measurement hashes, the words voters read before they vote."""

from __future__ import annotations

import hashlib

import pytest

from ogcli.core.measurement import measurement
from ogcli.core.proposals import Whitelist, format_param, whitelist_diff
from ogcli.protocol.params import VENDORS, dev_measurement

A, B = b"\xaa" * 32, b"\xbb" * 32
CURRENT = Whitelist(vendors={0: False, 4: True}, measurements={(4, A): (True, "dev v1"), (4, B): (False, "dev v0")})


def test_diff_of_approvals_revocations_and_vendors():
    calls = [
        ("approveMeasurement", {"vendor": 4, "measurement": B, "label": "dev v0 again"}),
        ("revokeMeasurement", {"vendor": 4, "measurement": A}),
        ("approveMeasurement", {"vendor": 0, "measurement": A, "label": "nitro img"}),
        ("setVendor", {"vendor": 0, "enabled": True, "rootHash": B}),
        ("setVendor", {"vendor": 4, "enabled": True, "rootHash": B}),
    ]
    assert whitelist_diff(CURRENT, calls, VENDORS) == [
        f"+ DEV 0x{B.hex()[:16]}… \"dev v0 again\" approved",
        f"- DEV 0x{A.hex()[:16]}… \"dev v1\" revoked",
        f"+ NITRO 0x{A.hex()[:16]}… \"nitro img\" approved",
        "  warning: vendor NITRO is disabled, so no enclave can use it yet",
        "+ vendor NITRO enabled",
        "+ vendor DEV enabled (no change)",
    ]


def test_revoking_what_is_not_approved_says_so():
    lines = whitelist_diff(CURRENT, [("revokeMeasurement", {"vendor": 4, "measurement": B})], VENDORS)
    assert lines == [f"- DEV 0x{B.hex()[:16]}… \"dev v0\" revoked (not approved now: no change)"]


def test_nitro_measurement_is_sha256_of_the_pcrs_in_order():
    pcrs = {"pcr0": "11" * 48, "pcr1": "0x" + "22" * 48, "pcr2": "33" * 48}
    expected = hashlib.sha256(bytes.fromhex("11" * 48 + "22" * 48 + "33" * 48)).digest()
    assert measurement("nitro", pcrs) == expected
    assert measurement("dev", {"image": "v0.1"}) == dev_measurement("v0.1")


@pytest.mark.parametrize(
    "vendor,registers,message",
    [
        ("nitro", {"pcr0": "11" * 48}, "missing pcr1, pcr2"),
        ("nitro", {"pcr0": "11" * 48, "pcr1": "11" * 48, "pcr2": "11" * 32}, "32 bytes"),
        ("nitro", {"pcr0": "zz" * 48, "pcr1": "11" * 48, "pcr2": "11" * 48}, "not hex"),
        ("snp", {"measurement": "11" * 48, "pcr0": "11" * 48}, "not used: pcr0"),
        ("sgx", {}, "unknown vendor"),
        ("dev", {}, "--image"),
    ],
)
def test_bad_registers(vendor, registers, message):
    with pytest.raises(ValueError, match=message):
        measurement(vendor, registers)


def test_param_formats():
    assert [format_param(k, v) for k, v in (("duration", 1_209_600), ("bps", 1_250), ("opg", 10**22), ("count", 3))] == [
        "14d", "12.5%", "10,000 OPG", "3"
    ]
