"""Parses JSON from strangers: UTF-8 only, nesting limited before the parser sees it, and only
values every JSON reader takes the same way (finite numbers of sane length, text that is Unicode).

Why the depth is checked first: the standard parser recurses on the C stack once per level, and a
dependency of the node (py_ecc) raises Python's recursion limit to 100,000, so 100,000 nested
brackets (200 KB) overflow the stack and kill the process instead of raising. The depth is found
without recursion and in C-speed passes: strings removed with one regular expression (so brackets
inside them do not count), everything but brackets deleted, and the running sum of +1 per opener
and -1 per closer taken at its highest.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # arrays and objects; a model input tensor of rank 60 still fits
MAX_NUMBER_CHARS = 64  # a float64 needs 24 characters; the rest is someone's 100,000-digit integer

# A JSON string, its escapes taken as pairs (so `\"` does not end it). An unterminated one does
# not match, and then no quote follows it: the brackets after it are counted, the parser refuses.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class JsonRefused(ValueError):
    """The bytes are not JSON this parser accepts; the message says why, for the sender."""


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The value `data` holds; JsonRefused when it is not UTF-8, nests deeper than `max_depth`,
    is not JSON, or holds a number or string that other readers would not take the same way."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"the body is not UTF-8 (byte {exc.start} is not)") from None
    check_depth(raw, max_depth)
    try:
        value = json.loads(text, parse_int=_integer, parse_float=_float, parse_constant=_constant)
    except JsonRefused:
        raise
    except ValueError as exc:
        raise JsonRefused(f"the body is not JSON: {exc}") from None
    _check_text(raw, value)
    return value


def check_depth(raw: bytes, max_depth: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `raw` (outside strings: as many levels as
    the parser would recurse); JsonRefused when it passes `max_depth`. Unbalanced input is left to
    the parser to refuse."""
    brackets = _STRING.sub(b"", raw).translate(_SIGNS, delete=_NOT_BRACKETS)
    deepest = max(accumulate(memoryview(brackets).cast("b"), initial=0))
    if deepest > max_depth:
        raise JsonRefused(f"the body nests arrays and objects {deepest} deep; at most {max_depth} levels are taken")
    return deepest


def _integer(digits: str) -> int:
    _check_length(digits)
    return int(digits)


def _float(literal: str) -> float:
    _check_length(literal)
    value = float(literal)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {literal} is beyond the range of a float")
    return value


def _check_length(literal: str) -> None:
    if len(literal) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number in the body has {len(literal)} characters; at most {MAX_NUMBER_CHARS} are taken")


def _constant(name: str) -> None:
    raise JsonRefused(f"{name} is not JSON (JSON numbers are finite)")


def _check_text(raw: bytes, value: Any) -> None:
    """Refuses strings holding a lone surrogate (`"\\ud800"`): legal JSON escaping but not Unicode
    text, so it could not be hashed or answered as UTF-8. Raw UTF-8 cannot encode a surrogate (the
    decode refused it), so only a body with a surrogate escape is re-encoded to find out."""
    if not _SURROGATE_ESCAPE.search(raw):
        return
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRefused("a string in the body holds a lone UTF-16 surrogate, which is not Unicode text") from None
