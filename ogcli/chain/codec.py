"""Solidity ABI encoding and decoding in plain Python, for the read paths.

Why not eth_abi: importing it (with eth_utils) costs about 0.4 s, more than a whole
`ogcli stake validators` read takes. The protocol's views, events and Multicall3 use a small set
of types, and this module covers exactly those: uintN, intN, address, bool, bytesN, bytes,
string, dynamic and fixed arrays (`T[]`, `T[k]`) and tuples, nested freely. Values are those
eth_abi gives (ints, lowercase 0x address strings, bytes, str, tuples for arrays and tuples;
`chain.abi` checksums addresses, as web3 does, where it names the values);
tests/unit/test_codec.py checks both directions against eth_abi on generated types and values.

Decoding is strict the way eth_abi's is: padding must be zero, booleans 0 or 1, and offsets and
lengths inside the data; anything else raises `CodecError`. Calldata (`decode(..., calldata=True)`,
what `chain.abi.decode_call` reads) is read as a contract reads it instead: a bytes value's
padding is neither checked nor required, so no call the contract took is unreadable here.
"""

from __future__ import annotations

import contextvars
from functools import lru_cache
from typing import Any

WORD = 32
# Whether `decode` is reading a transaction's calldata (contract semantics) or return data.
_AS_CALLDATA: contextvars.ContextVar[bool] = contextvars.ContextVar("_AS_CALLDATA", default=False)


class CodecError(ValueError):
    """Bytes that are not a valid encoding of the types, or a value that does not fit its type."""


# ---------------------------------------------------------------------- types


class _Type:
    dynamic = False
    size = WORD  # bytes taken in the head when static

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes, at: int) -> Any:
        raise NotImplementedError


class _Uint(_Type):
    def __init__(self, bits: int) -> None:
        self.limit = 1 << bits

    def encode(self, value: Any) -> bytes:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < self.limit:
            raise CodecError(f"{value!r} does not fit uint{self.limit.bit_length() - 1}")
        return value.to_bytes(WORD, "big")

    def decode(self, data: bytes, at: int) -> int:
        value = int.from_bytes(_word(data, at), "big")
        if value >= self.limit:
            raise CodecError(f"value at byte {at} overflows uint{self.limit.bit_length() - 1}")
        return value


class _Int(_Type):
    def __init__(self, bits: int) -> None:
        self.bound = 1 << (bits - 1)

    def encode(self, value: Any) -> bytes:
        if isinstance(value, bool) or not isinstance(value, int) or not -self.bound <= value < self.bound:
            raise CodecError(f"{value!r} does not fit int{self.bound.bit_length()}")
        return value.to_bytes(WORD, "big", signed=True)

    def decode(self, data: bytes, at: int) -> int:
        value = int.from_bytes(_word(data, at), "big", signed=True)
        if not -self.bound <= value < self.bound:
            raise CodecError(f"value at byte {at} overflows int{self.bound.bit_length()}")
        return value


class _Address(_Type):
    def encode(self, value: Any) -> bytes:
        if isinstance(value, str) and len(value) == 42 and value[:2] in ("0x", "0X"):
            try:
                return bytes(12) + bytes.fromhex(value[2:])
            except ValueError:
                pass
        elif isinstance(value, bytes) and len(value) == 20:
            return bytes(12) + value
        raise CodecError(f"{value!r} is not an address")

    def decode(self, data: bytes, at: int) -> str:
        word = _word(data, at)
        if any(word[:12]):
            raise CodecError(f"address at byte {at} has non-zero padding")
        return "0x" + word[12:].hex()


class _Bool(_Type):
    def encode(self, value: Any) -> bytes:
        if not isinstance(value, bool):
            raise CodecError(f"{value!r} is not a bool")
        return int(value).to_bytes(WORD, "big")

    def decode(self, data: bytes, at: int) -> bool:
        value = int.from_bytes(_word(data, at), "big")
        if value > 1:
            raise CodecError(f"bool at byte {at} is {value}")
        return value == 1


class _FixedBytes(_Type):
    def __init__(self, length: int) -> None:
        self.length = length

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, (bytes, bytearray)) or len(value) > self.length:
            raise CodecError(f"{value!r} does not fit bytes{self.length}")
        return bytes(value).ljust(WORD, b"\0")

    def decode(self, data: bytes, at: int) -> bytes:
        word = _word(data, at)
        if any(word[self.length :]):
            raise CodecError(f"bytes{self.length} at byte {at} has non-zero padding")
        return word[: self.length]


class _Bytes(_Type):
    dynamic = True

    def __init__(self, text: bool) -> None:
        self.text = text

    def encode(self, value: Any) -> bytes:
        if self.text:
            if not isinstance(value, str):
                raise CodecError(f"{value!r} is not a string")
            value = value.encode()
        elif not isinstance(value, (bytes, bytearray)):
            raise CodecError(f"{value!r} is not bytes")
        padded = -(-len(value) // WORD) * WORD
        return len(value).to_bytes(WORD, "big") + bytes(value).ljust(padded, b"\0")

    def decode(self, data: bytes, at: int) -> bytes | str:
        length = _length(data, at)
        end = at + WORD + length
        padded_end = at + WORD + -(-length // WORD) * WORD
        if _AS_CALLDATA.get():
            # Solidity reads calldata bytes up to their length and never looks at the padding
            # (nor requires it there): a decoder stricter than the contract can be made blind to
            # a call the contract took.
            if end > len(data):
                raise CodecError(f"bytes at byte {at} run past the end of the data")
        else:
            if padded_end > len(data):
                raise CodecError(f"bytes at byte {at} run past the end of the data")
            if any(data[end:padded_end]):
                raise CodecError(f"bytes at byte {at} have non-zero padding")
        raw = data[at + WORD : end]
        if not self.text:
            return raw
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise CodecError(f"string at byte {at} is not UTF-8") from None


class _Tuple(_Type):
    """A tuple, and the head/tail layout every sequence of values shares (arrays reuse it)."""

    def __init__(self, items: list[_Type]) -> None:
        self.items = items
        self.dynamic = any(t.dynamic for t in items)
        self.size = sum(WORD if t.dynamic else t.size for t in items)

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, (list, tuple)) or len(value) != len(self.items):
            raise CodecError(f"{value!r} is not a sequence of {len(self.items)} values")
        return _encode_sequence(self.items, value)

    def decode(self, data: bytes, at: int) -> tuple:
        return _decode_sequence(self.items, data, at)


class _Array(_Type):
    def __init__(self, item: _Type, length: int | None) -> None:
        self.item = item
        self.length = length  # None for T[]
        self.dynamic = length is None or item.dynamic
        self.size = 0 if length is None else length * item.size

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, (list, tuple)) or (self.length is not None and len(value) != self.length):
            raise CodecError(f"{value!r} is not an array of {self.length or 'any number of'} values")
        body = _encode_sequence([self.item] * len(value), value)
        return body if self.length is not None else len(value).to_bytes(WORD, "big") + body

    def decode(self, data: bytes, at: int) -> tuple:
        if self.length is not None:
            return _decode_sequence([self.item] * self.length, data, at)
        count = _length(data, at)
        if count * (WORD if self.item.dynamic else self.item.size) > len(data) - at - WORD:
            raise CodecError(f"array at byte {at} claims {count} items, more than the data holds")
        return _decode_sequence([self.item] * count, data, at + WORD)


def _encode_sequence(items: list[_Type], values) -> bytes:
    head_size = sum(WORD if t.dynamic else t.size for t in items)
    heads, tails, tail_size = [], [], 0
    for kind, value in zip(items, values):
        encoded = kind.encode(value)
        if kind.dynamic:
            heads.append((head_size + tail_size).to_bytes(WORD, "big"))
            tails.append(encoded)
            tail_size += len(encoded)
        else:
            heads.append(encoded)
    return b"".join(heads) + b"".join(tails)


def _decode_sequence(items: list[_Type], data: bytes, start: int) -> tuple:
    values = []
    at = start
    for kind in items:
        if kind.dynamic:
            values.append(kind.decode(data, start + _length(data, at)))
            at += WORD
        else:
            values.append(kind.decode(data, at))
            at += kind.size
    return tuple(values)


def _word(data: bytes, at: int) -> bytes:
    if at + WORD > len(data):
        raise CodecError(f"data ends at byte {len(data)}, a value was expected at byte {at}")
    return data[at : at + WORD]


def _length(data: bytes, at: int) -> int:
    """An offset or a length word, which must point inside the data."""
    value = int.from_bytes(_word(data, at), "big")
    if value > len(data):
        raise CodecError(f"offset or length {value} at byte {at} points past the end of the data")
    return value


# ---------------------------------------------------------------------- parsing type strings


@lru_cache(maxsize=None)
def parse(type_string: str) -> _Type:
    """The codec of one canonical ABI type string, e.g. `(address,uint256[])[]`."""
    kind, rest = _parse(type_string.replace(" ", ""), 0)
    if rest != len(type_string.replace(" ", "")):
        raise CodecError(f"cannot parse ABI type {type_string!r}")
    return kind


def _parse(text: str, at: int) -> tuple[_Type, int]:
    if text.startswith("(", at):
        items, at = [], at + 1
        while not text.startswith(")", at):
            item, at = _parse(text, at)
            items.append(item)
            if text.startswith(",", at):
                at += 1
        kind: _Type = _Tuple(items)
        at += 1
    else:
        end = at
        while end < len(text) and (text[end].isalnum()):
            end += 1
        kind = _base(text[at:end])
        at = end
    while text.startswith("[", at):
        close = text.index("]", at)
        size = text[at + 1 : close]
        kind = _Array(kind, int(size) if size else None)
        at = close + 1
    return kind, at


def _base(name: str) -> _Type:
    if name == "address":
        return _Address()
    if name == "bool":
        return _Bool()
    if name in ("string", "bytes"):
        return _Bytes(text=name == "string")
    for prefix, make in (("uint", _Uint), ("int", _Int)):
        if name.startswith(prefix):
            bits = int(name[len(prefix) :] or 256)
            if bits % 8 or not 8 <= bits <= 256:
                break
            return make(bits)
    if name.startswith("bytes") and name[5:].isdigit() and 1 <= int(name[5:]) <= 32:
        return _FixedBytes(int(name[5:]))
    raise CodecError(f"unsupported ABI type {name!r}")


# ---------------------------------------------------------------------- the API


def encode(types: list[str] | tuple[str, ...], values) -> bytes:
    """The ABI encoding of `values` as the tuple `types` (what follows a selector in calldata)."""
    return parse(f"({','.join(types)})").encode(tuple(values))


def decode(types: list[str] | tuple[str, ...], data: bytes, *, calldata: bool = False) -> tuple:
    """The values of `types` encoded in `data` (a view's return data, a log's data). `calldata`:
    read as a contract reads its calldata, so that whatever the contract accepted decodes (bytes'
    padding is not checked)."""
    token = _AS_CALLDATA.set(calldata)
    try:
        return parse(f"({','.join(types)})").decode(bytes(data), 0)
    finally:
        _AS_CALLDATA.reset(token)


@lru_cache(maxsize=4096)
def checksum(address: str) -> str:
    """EIP-55 form of a 0x address (cached: a table repeats the same few hundred addresses)."""
    from ogcli.core.addresses import to_checksum

    return to_checksum(address)
