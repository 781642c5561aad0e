"""Fractions, durations and validator metadata as typed and as stored."""

from __future__ import annotations

import pytest

from ogcli.core.units import format_duration, parse_duration_s, parse_fraction_bps
from ogcli.core.validator_metadata import MAX_URI_BYTES, encode_metadata, parse_metadata


@pytest.mark.parametrize("text,bps", [("5%", 500), ("0.05", 500), ("2.5%", 250), ("100%", 10_000), ("0.0001", 1)])
def test_fractions(text, bps):
    assert parse_fraction_bps(text) == bps


@pytest.mark.parametrize("text", ["0", "0%", "101%", "1.5", "0.00001", "five", "nan", "-1%", ""])
def test_bad_fractions(text):
    with pytest.raises(ValueError):
        parse_fraction_bps(text)


def test_durations():
    assert [parse_duration_s(t) for t in ("90", "90s", "15m", "36h", "7d")] == [90, 90, 900, 129_600, 604_800]
    with pytest.raises(ValueError):
        parse_duration_s("3 weeks")
    assert [format_duration(s) for s in (42, 60, 3_720, 90_000, 86_400 * 3)] == ["42s", "1m", "1h 2m", "1d 1h", "3d"]


def test_metadata_round_trip_keeps_unicode_and_reserved_characters():
    fields = {"name": "Ærø Nodes, 100%", "website": "https://x.example/?a=1&b=2", "security_contact": "sec@x.example"}
    uri = encode_metadata({**fields, "unknown": "dropped", "details": "  "})
    assert uri.startswith("data:application/json,")
    assert parse_metadata(uri) == fields


def test_older_and_foreign_metadata_forms_are_read():
    assert parse_metadata("data:,Gale: fast and cheap") == {"name": "Gale", "details": "fast and cheap"}
    assert parse_metadata("ipfs://bafy") == {"uri": "ipfs://bafy"}
    assert parse_metadata("data:application/json,%7Bbroken") == {"uri": "data:application/json,%7Bbroken"}
    assert parse_metadata("") == {}


def test_oversized_metadata_is_refused():
    with pytest.raises(ValueError, match="limit"):
        encode_metadata({"details": "x" * MAX_URI_BYTES})
