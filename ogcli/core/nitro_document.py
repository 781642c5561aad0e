"""Reading a Nitro attestation document's CBOR by exactly the grammar the chain reads it with.

contracts/attestation/NitroDocument.sol parses the document in the EVM when an enclave registers;
this module is its twin, rule for rule, so that the Python verifier (ogcli.core.attestation) and
the contract accept and refuse the same documents. A general CBOR library would be more lenient
(duplicate keys, indefinite strings, unknown fields, any protected-header encoding) and every
leniency the contract lacks is a document the two would disagree on.

The grammar:

- The document: optionally tag 18 (head 0xd2), then an array of exactly 4 items: the protected
  header as a byte string that must be exactly a1 01 38 22 ({1: -35}, ES384), the unprotected header
  as an empty map, the payload byte string and a 96-byte signature byte string. Nothing after it.
- The payload: a map with text keys, each at most once and none unknown: module_id (non-empty
  text), digest (text "SHA384"), timestamp (unsigned), pcrs (map of unsigned index 0..31 to a
  48-byte byte string, each index once, 0, 1 and 2 present), certificate (bytes), cabundle (array
  of 1..MAX_CABUNDLE byte strings), and optional public_key, user_data, nonce (bytes of at most
  MAX_USER_BYTES, or null). Nothing after the map inside the payload.
- Heads: arguments inline or in 1, 2, 4 or 8 bytes (non-shortest forms accepted, as CBOR decoders
  do); indefinite length only for maps and arrays, never for strings; no tag but the outer 18; no
  simple value but null where a field allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

PROTECTED_ES384 = bytes.fromhex("a1013822")
SIGNATURE_BYTES = 96  # ES384: r || s, 48 bytes each
PCR_BYTES = 48
PCR_INDEXES = 32
MAX_CABUNDLE = 6  # a Nitro chain is root, 3 intermediates, leaf: room to spare, a bound on the gas
MAX_USER_BYTES = 1024

TAG_COSE_SIGN1_HEAD = 0xD2  # tag 18, as the contract reads it
NULL = 0xF6
BREAK = 0xFF
INDEFINITE = 31
MAJOR_UINT, MAJOR_BYTES, MAJOR_TEXT, MAJOR_ARRAY, MAJOR_MAP = 0, 2, 3, 4, 5
MAJOR_NAMES = {0: "an unsigned integer", 1: "a negative integer", 2: "a byte string", 3: "a text string",
               4: "an array", 5: "a map", 6: "a tag", 7: "a simple value or float"}

REQUIRED_FIELDS = ("module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle")
OPTIONAL_FIELDS = ("public_key", "user_data", "nonce")


class DocumentError(ValueError):
    """The document does not follow the grammar; the message names where."""


@dataclass(frozen=True)
class NitroDocument:
    protected: bytes
    payload: bytes
    signature: bytes
    module_id: str
    timestamp_ms: int
    pcrs: dict[int, bytes]
    certificate: bytes
    cabundle: tuple[bytes, ...]
    public_key: bytes | None
    user_data: bytes | None
    nonce: bytes | None

    @property
    def pcrs012(self) -> bytes:
        return self.pcrs[0] + self.pcrs[1] + self.pcrs[2]

    def sig_structure(self) -> bytes:
        """What the COSE signature covers: ["Signature1", protected, h'', payload] in CBOR."""
        return (bytes([0x84]) + _head(MAJOR_TEXT, 10) + b"Signature1" + _head(MAJOR_BYTES, len(self.protected))
                + self.protected + _head(MAJOR_BYTES, 0) + _head(MAJOR_BYTES, len(self.payload)) + self.payload)


def parse(document: bytes) -> NitroDocument:
    """The document's parts and fields; DocumentError names the first rule it breaks."""
    if not isinstance(document, bytes | bytearray):
        raise DocumentError("document must be bytes")
    reader = _Reader(bytes(document), "document")
    if reader.peek() == TAG_COSE_SIGN1_HEAD:
        reader.pos += 1
    count = reader.container(MAJOR_ARRAY, "COSE_Sign1")
    if count is not None and count != 4:
        raise DocumentError(f"document is not a COSE_Sign1 (an array of 4 items): it has {count}")
    protected = reader.string(MAJOR_BYTES, "COSE protected header")
    _empty_map(reader)
    payload = reader.string(MAJOR_BYTES, "COSE payload")
    signature = reader.string(MAJOR_BYTES, "COSE signature")
    if count is None and reader.more(None, 4):
        raise DocumentError("document is not a COSE_Sign1 (an array of 4 items): it has more")
    reader.end("document")
    if protected != PROTECTED_ES384:
        raise DocumentError(f"COSE protected header is {protected.hex()}; expected a1013822 ({{1: -35}}, alg ES384)")
    if len(signature) != SIGNATURE_BYTES:
        raise DocumentError(f"COSE signature is {len(signature)} bytes; ES384 is {SIGNATURE_BYTES}")
    fields = _payload_fields(payload)
    return NitroDocument(protected=protected, payload=payload, signature=signature, **fields)


def _empty_map(reader: _Reader) -> None:
    count = reader.container(MAJOR_MAP, "COSE unprotected header")
    if reader.more(count, 0):
        raise DocumentError("COSE unprotected header must be an empty map")


def _payload_fields(payload: bytes) -> dict:
    reader = _Reader(payload, "attestation payload")
    count = reader.container(MAJOR_MAP, "attestation payload")
    seen: dict[str, object] = {}
    while reader.more(count, len(seen)):
        key = reader.string(MAJOR_TEXT, "attestation payload key")
        name = key.decode("utf-8", "replace")
        if name not in REQUIRED_FIELDS and name not in OPTIONAL_FIELDS:
            raise DocumentError(f"attestation payload has an unknown field {name!r}")
        if name in seen:
            raise DocumentError(f"attestation field {name} appears twice")
        seen[name] = _FIELD_READERS[name](reader, name)
    reader.end("attestation payload")
    missing = [name for name in REQUIRED_FIELDS if name not in seen]
    if missing:
        raise DocumentError(f"attestation field {missing[0]} is missing")
    return {
        "module_id": seen["module_id"], "timestamp_ms": seen["timestamp"], "pcrs": seen["pcrs"],
        "certificate": seen["certificate"], "cabundle": seen["cabundle"],
        **{name: seen.get(name) for name in OPTIONAL_FIELDS},
    }


def _module_id(reader: _Reader, name: str) -> str:
    value = reader.string(MAJOR_TEXT, f"attestation field {name}")
    if not value:
        raise DocumentError("attestation field module_id is empty")
    return value.decode("utf-8", "replace")


def _digest(reader: _Reader, name: str) -> str:
    value = reader.string(MAJOR_TEXT, f"attestation field {name}")
    if value != b"SHA384":
        raise DocumentError(f"attestation digest is {value.decode('utf-8', 'replace')!r}; expected 'SHA384'")
    return "SHA384"


def _timestamp(reader: _Reader, name: str) -> int:
    return reader.uint(f"attestation field {name}")


def _pcrs(reader: _Reader, name: str) -> dict[int, bytes]:
    count = reader.container(MAJOR_MAP, f"attestation field {name}")
    pcrs: dict[int, bytes] = {}
    while reader.more(count, len(pcrs)):
        index = reader.uint("attestation PCR index")
        if index >= PCR_INDEXES:
            raise DocumentError(f"attestation PCR index {index} is not in 0..{PCR_INDEXES - 1}")
        if index in pcrs:
            raise DocumentError(f"attestation PCR{index} appears twice")
        value = reader.string(MAJOR_BYTES, f"attestation PCR{index}")
        if len(value) != PCR_BYTES:
            raise DocumentError(f"attestation PCR{index} is {len(value)} bytes, not {PCR_BYTES}")
        pcrs[index] = value
    missing = [index for index in (0, 1, 2) if index not in pcrs]
    if missing:
        raise DocumentError(f"attestation pcrs lack {', '.join(f'PCR{i}' for i in missing)}")
    return pcrs


def _certificate(reader: _Reader, name: str) -> bytes:
    return reader.string(MAJOR_BYTES, f"attestation field {name}")


def _cabundle(reader: _Reader, name: str) -> tuple[bytes, ...]:
    count = reader.container(MAJOR_ARRAY, f"attestation field {name}")
    certificates: list[bytes] = []
    while reader.more(count, len(certificates)):
        if len(certificates) == MAX_CABUNDLE:
            raise DocumentError(f"attestation cabundle holds more than {MAX_CABUNDLE} certificates")
        certificates.append(reader.string(MAJOR_BYTES, f"cabundle[{len(certificates)}]"))
    if not certificates:
        raise DocumentError("attestation cabundle is empty: a chain needs its root")
    return tuple(certificates)


def _optional_bytes(reader: _Reader, name: str) -> bytes | None:
    if reader.peek() == NULL:
        reader.pos += 1
        return None
    value = reader.string(MAJOR_BYTES, f"attestation field {name}")
    if len(value) > MAX_USER_BYTES:
        raise DocumentError(f"attestation field {name} is {len(value)} bytes; at most {MAX_USER_BYTES}")
    return value


_FIELD_READERS = {
    "module_id": _module_id, "digest": _digest, "timestamp": _timestamp, "pcrs": _pcrs,
    "certificate": _certificate, "cabundle": _cabundle,
    "public_key": _optional_bytes, "user_data": _optional_bytes, "nonce": _optional_bytes,
}


class _Reader:
    """A cursor over one buffer; every read is bounds-checked against it."""

    def __init__(self, data: bytes, what: str):
        self.data, self.what, self.pos = data, what, 0

    def peek(self) -> int:
        if self.pos >= len(self.data):
            raise DocumentError(f"{self.what} is truncated at byte {self.pos}")
        return self.data[self.pos]

    def head(self, what: str) -> tuple[int, int | None]:
        """(major type, argument), the argument None for an indefinite length."""
        first = self.peek()
        self.pos += 1
        major, info = first >> 5, first & 0x1F
        if info < 24:
            return major, info
        if info == INDEFINITE:
            if major not in (MAJOR_ARRAY, MAJOR_MAP):
                raise DocumentError(f"{what}: indefinite length is allowed only for arrays and maps")
            return major, None
        if info > 27:
            raise DocumentError(f"{self.what} has a reserved CBOR head 0x{first:02x} at byte {self.pos - 1}")
        size = 1 << (info - 24)
        if self.pos + size > len(self.data):
            raise DocumentError(f"{self.what} is truncated at byte {self.pos}")
        argument = int.from_bytes(self.data[self.pos:self.pos + size], "big")
        self.pos += size
        return major, argument

    def expect(self, major: int, what: str) -> int | None:
        if self.peek() == NULL:
            raise DocumentError(f"{what} is null; expected {MAJOR_NAMES[major]}")
        got, argument = self.head(what)
        if got != major:
            raise DocumentError(f"{what} is {MAJOR_NAMES[got]}; expected {MAJOR_NAMES[major]}")
        return argument

    def uint(self, what: str) -> int:
        return self.expect(MAJOR_UINT, what)

    def string(self, major: int, what: str) -> bytes:
        length = self.expect(major, what)
        if length > len(self.data) - self.pos:
            raise DocumentError(f"{what} claims {length} bytes; {self.what} is truncated")
        value = self.data[self.pos:self.pos + length]
        self.pos += length
        return value

    def container(self, major: int, what: str) -> int | None:
        """The item count of a definite array or map; None for an indefinite one."""
        return self.expect(major, what)

    def more(self, count: int | None, done: int) -> bool:
        """Whether another entry follows: by count, or, indefinite, until the break byte."""
        if count is not None:
            return done < count
        if self.peek() == BREAK:
            self.pos += 1
            return False
        return True

    def end(self, what: str) -> None:
        if self.pos != len(self.data):
            raise DocumentError(f"{what} has {len(self.data) - self.pos} bytes after its end")


def _head(major: int, length: int) -> bytes:
    """A shortest-form head, as every encoder writes one."""
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise ValueError("length out of range")
