"""ogcli.core.safe_json, the parser for request bodies: the depth limit holds whatever the shape
and is not fooled by brackets inside strings; numbers and text other readers would take another
way are refused; JSON as calls send it parses as the standard parser parses it, fast."""

from __future__ import annotations

import json
import time

import pytest

from ogcli.core.safe_json import MAX_DEPTH, JsonRefused, check_depth, loads


def _nested(depth: int, opener: bytes = b"[", closer: bytes = b"]", core: bytes = b"") -> bytes:
    return opener * depth + core + closer * depth


@pytest.mark.parametrize("body", [
    _nested(MAX_DEPTH + 1),
    _nested(MAX_DEPTH + 1, b'{"a":', b"}", b"1"),
    _nested(100_000),
    b"[" * 100_000,  # never closed: the parser would recurse all the same
    b'{"x": "]]]]", "y": ' + _nested(MAX_DEPTH, core=b'"[["') + b"}",  # brackets in strings count nothing
])
def test_too_deep_is_refused_before_parsing(body: bytes):
    with pytest.raises(JsonRefused, match="deep"):
        loads(body)


def test_exactly_the_limit_parses():
    assert check_depth(_nested(MAX_DEPTH)) == MAX_DEPTH
    assert loads(_nested(MAX_DEPTH - 1, b'{"a":', b"}", b"[1]"))


@pytest.mark.parametrize("text, depth", [
    (rb'["[", "\"[", "\\", {"k]": "{"}]', 2),  # escaped quote and backslash inside strings
    (rb'"\\\"[[["', 0),
    (b'{"\xc3\xa9[": [[]]}', 3),  # multi-byte UTF-8 beside a bracket
])
def test_brackets_inside_strings_do_not_count(text: bytes, depth: int):
    assert check_depth(text) == depth
    assert loads(text) == json.loads(text)


@pytest.mark.parametrize("body, why", [
    (b"[1" + b"0" * 100_000 + b"]", "characters"),
    (b"[1e999999]", "range"),
    (b"[-1e400]", "range"),
    (b"[NaN]", "not JSON"),
    (b"[Infinity, -Infinity]", "not JSON"),
    (b'["\\ud800"]', "surrogate"),
    (b'{"\\udfff": 1}', "surrogate"),
    (b'["\xff"]', "UTF-8"),
    (b'["\xed\xa0\x80"]', "UTF-8"),  # a surrogate encoded as raw UTF-8 bytes
    (b'\xef\xbb\xbf{"a": 1}', "not JSON"),  # a BOM
    (b'{"a": 1', "not JSON"),
    (b"", "not JSON"),
])
def test_values_other_readers_would_take_another_way_are_refused(body: bytes, why: str):
    with pytest.raises(JsonRefused, match=why):
        loads(body)


def test_ordinary_json_parses_as_the_standard_parser_does():
    body = json.dumps({"model": "m", "inputs": {"x": [[0.1, -2, 3e-8, 12345678901234567890]]},
                       "messages": [{"role": "user", "content": "h\u00e9llo \U0001f600 \\ \" [{"}], "n": None, "t": True})
    assert loads(body.encode()) == json.loads(body)
    assert loads(rb'"\ud83d\ude00"') == "\U0001f600"  # a surrogate pair is one character
    assert loads(rb'"\\ud800"') == "\\ud800"  # an escaped backslash, then text: no surrogate


def test_a_megabyte_of_any_shape_is_dealt_with_quickly():
    """Linear time: a tenth of a second each on a quiet machine (most of it the standard parser
    building 300,000 lists); the bound leaves room for a busy one, and none for a quadratic scan."""
    shapes = [
        b"[" + b",".join(b"[]" for _ in range(300_000)) + b"]",
        b"[" + b",".join(b"0.123456" for _ in range(120_000)) + b"]",
        b"[" + b",".join(b'"\\"\\\\"' for _ in range(150_000)) + b"]",
        b"[" * (1 << 20),
        b'["\\ud83d\\ude00",' + b",".join(b"[]" for _ in range(300_000)) + b"]",
    ]
    for body in shapes:
        started = time.monotonic()
        try:
            loads(body)
        except JsonRefused:
            pass
        assert time.monotonic() - started < 2.0, body[:40]
