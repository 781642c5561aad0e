// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @title NitroDocument
/// @notice A strict parser of an AWS Nitro attestation document: a COSE_Sign1 (CBOR, optionally
/// tagged 18) `[protected, unprotected, payload, signature]` whose payload is the attestation map.
/// @dev Strict on purpose, and rule for rule the grammar of its Python twin
/// (ogcli/core/nitro_document.py): every leniency one of them had and the other lacked would be a
/// document the chain and the off-chain verifier disagree on. Unknown and duplicate keys, tags
/// other than the outer 18 (as the one byte d2), floats, simple values other than null where
/// allowed, indefinite-length strings and trailing bytes are all refused. Non-shortest heads are
/// accepted, as CBOR decoders accept them. Text is compared byte for byte, not checked to be UTF-8.
///
/// Every offset is absolute within `doc` and every read is bounded by the end of the item that
/// contains it (the document, or the payload byte string), checked by subtraction so that an
/// absurd 8-byte length cannot wrap. The parser only records offsets while walking; it copies the
/// outputs (signature, PCR0-2, certificates, user_data) and nothing else.
library NitroDocument {
    uint256 internal constant MAX_CABUNDLE = 6; // certificates in cabundle (root first)
    uint256 internal constant MAX_USER_BYTES = 1024; // public_key, user_data, nonce

    struct Document {
        uint256 payloadOffset; // offset of the payload byte string's CONTENT within `doc`
        uint256 payloadLength;
        bytes signature; // 96 bytes r || s (COSE raw ES384 signature)
        uint64 timestampMs;
        bytes pcrs012; // PCR0 || PCR1 || PCR2, 144 bytes
        bytes certificate; // the leaf certificate DER
        bytes[] cabundle; // DER certificates, root first, 1..MAX_CABUNDLE of them
        bool hasUserData; // user_data present and not null
        bytes userData;
    }

    /// @notice Not well-formed CBOR at `offset`: truncated, a reserved additional info (28..30),
    /// an indefinite length on anything but an array or a map, or a stray break.
    error CborMalformed(uint256 offset);
    /// @notice Not a 4-array of (bstr, map, bstr, bstr), optionally under tag 18.
    error CoseNotSign1();
    /// @notice The protected header is not exactly {1: -35} (ES384), the bytes a1 01 38 22.
    error CoseWrongAlgorithm();
    error CoseUnprotectedNotEmpty();
    error CoseBadSignatureLength(uint256 length);
    /// @notice Bytes after the COSE array, or inside the payload after its map.
    error AttestationTrailingBytes();
    error AttestationPayloadNotMap();
    /// @notice A key that is not one of the nine text keys of the Nitro document.
    error AttestationFieldUnknown();
    error AttestationFieldDuplicate(string field);
    error AttestationFieldMissing(string field);
    error AttestationFieldBadType(string field);
    error AttestationFieldTooLong(string field, uint256 length);
    error AttestationModuleIdEmpty();
    error AttestationDigestNotSha384();
    /// @notice PCR `index` is out of 0..31 or its value is not a 48-byte byte string.
    error AttestationBadPcr(uint256 index);
    error AttestationPcrDuplicate(uint256 index);
    error AttestationPcrMissing(uint256 index);
    error AttestationCabundleSize(uint256 count);

    // The argument `_head` returns for an indefinite-length array or map: no 8-byte argument
    // reaches it, so it cannot be mistaken for a length.
    uint256 private constant INDEFINITE = type(uint256).max;
    uint256 private constant BREAK = 0xff;
    uint256 private constant NULL = 0xf6;

    uint256 private constant MAJOR_UINT = 0;
    uint256 private constant MAJOR_BYTES = 2;
    uint256 private constant MAJOR_TEXT = 3;
    uint256 private constant MAJOR_ARRAY = 4;
    uint256 private constant MAJOR_MAP = 5;

    uint256 private constant COSE_SIGN1_TAG_HEAD = 0xd2; // tag 18
    uint256 private constant ES384_PROTECTED = 0xa1013822; // {1: -35}
    uint256 private constant SIGNATURE_BYTES = 96;
    uint256 private constant PCR_BYTES = 48;
    uint256 private constant PCR_COUNT = 32;

    // Field ids: bit positions in the `seen` mask of the payload map.
    uint256 private constant F_MODULE_ID = 0;
    uint256 private constant F_DIGEST = 1;
    uint256 private constant F_TIMESTAMP = 2;
    uint256 private constant F_PCRS = 3;
    uint256 private constant F_CERTIFICATE = 4;
    uint256 private constant F_CABUNDLE = 5;
    uint256 private constant F_PUBLIC_KEY = 6;
    uint256 private constant F_USER_DATA = 7;
    uint256 private constant F_NONCE = 8;
    uint256 private constant REQUIRED_FIELDS = 0x3f; // module_id .. cabundle
    uint256 private constant LONGEST_KEY = 11; // "certificate"

    // cbor2.dumps(["Signature1", h'a1013822', h'', payload]) up to the payload's head:
    // 84 (array of 4), 6a "Signature1", 44 a1013822, 40 (empty external AAD).
    bytes32 private constant SIG_PREFIX = 0x846a5369676e61747572653144a1013822400000000000000000000000000000;
    uint256 private constant SIG_PREFIX_BYTES = 18;

    /// @notice The document's signature, payload position and fields; reverts with the error of
    /// the first rule `doc` breaks.
    function parse(bytes memory doc) internal pure returns (Document memory d) {
        uint256 end = doc.length;
        uint256 pos = end != 0 && _byte(doc, 0, end) == COSE_SIGN1_TAG_HEAD ? 1 : 0;
        (uint256 major, uint256 items, uint256 next) = _head(doc, pos, end);
        if (major != MAJOR_ARRAY || (items != 4 && items != INDEFINITE)) revert CoseNotSign1();

        (bool ok, uint256 start, uint256 len, uint256 protectedEnd) = _string(doc, next, end, MAJOR_BYTES);
        if (!ok) revert CoseNotSign1();
        // Compared as bytes, not decoded: the algorithm is ours to fix, never the document's.
        if (len != 4 || _word(doc, start) >> 224 != ES384_PROTECTED) revert CoseWrongAlgorithm();

        uint256 entries;
        (major, entries, pos) = _head(doc, protectedEnd, end);
        if (major != MAJOR_MAP) revert CoseNotSign1();
        bool more;
        (more, pos, ) = _more(doc, pos, end, entries);
        if (more) revert CoseUnprotectedNotEmpty();

        (ok, start, len, pos) = _string(doc, pos, end, MAJOR_BYTES);
        if (!ok) revert CoseNotSign1();
        d.payloadOffset = start;
        d.payloadLength = len;

        (ok, start, len, pos) = _string(doc, pos, end, MAJOR_BYTES);
        if (!ok) revert CoseNotSign1();
        if (len != SIGNATURE_BYTES) revert CoseBadSignatureLength(len);
        d.signature = _copy(doc, start, len);

        if (items == INDEFINITE) {
            (more, pos, ) = _more(doc, pos, end, INDEFINITE);
            if (more) revert CoseNotSign1();
        }
        if (pos != end) revert AttestationTrailingBytes();

        _parsePayload(doc, d);
    }

    /// @notice The bytes the COSE signature covers: the CBOR encoding of the array
    /// ["Signature1", h'a1013822', h'', payload] (COSE Sig_structure, no external AAD), encoded with
    /// shortest-form heads exactly as Python's cbor2.dumps(["Signature1", protected, b"", payload]) does.
    /// @dev `d` must be `parse(doc)`: its payload offset and length are trusted, not checked again.
    /// The payload is re-headed in shortest form whatever head the document gave it, as cbor2 does.
    function sigStructure(bytes memory doc, Document memory d) internal pure returns (bytes memory out) {
        uint256 len = d.payloadLength;
        uint256 src = d.payloadOffset;
        // The payload's byte string head: `headBytes` bytes, right-aligned in `head`.
        uint256 head;
        uint256 headBytes;
        if (len < 24) {
            (head, headBytes) = (0x40 | len, 1);
        } else if (len <= type(uint8).max) {
            (head, headBytes) = (0x5800 | len, 2);
        } else if (len <= type(uint16).max) {
            (head, headBytes) = (0x590000 | len, 3);
        } else if (len <= type(uint32).max) {
            (head, headBytes) = ((0x5a << 32) | len, 5);
        } else {
            (head, headBytes) = ((0x5b << 64) | len, 9);
        }
        out = new bytes(SIG_PREFIX_BYTES + headBytes + len);
        bytes32 prefix = SIG_PREFIX;
        assembly ("memory-safe") {
            let dst := add(out, 32)
            // In this order, each whole-word store's zero tail is overwritten by the next write
            // (past the end of `out` it only zeroes free memory).
            mstore(dst, prefix)
            dst := add(dst, SIG_PREFIX_BYTES)
            mstore(dst, shl(sub(256, shl(3, headBytes)), head))
            mcopy(add(dst, headBytes), add(add(doc, 32), src), len)
        }
    }

    /// @dev The payload map, which must end exactly where the payload byte string ends.
    function _parsePayload(bytes memory doc, Document memory d) private pure {
        uint256 end = d.payloadOffset + d.payloadLength;
        (uint256 major, uint256 remaining, uint256 pos) = _head(doc, d.payloadOffset, end);
        if (major != MAJOR_MAP) revert AttestationPayloadNotMap();
        uint256 seen = 0; // a bit per field read so far
        bool more;
        bool ok;
        uint256 start;
        uint256 len;
        // Bounded whatever the count claims: each key is one of nine and may appear only once.
        while (true) {
            (more, pos, remaining) = _more(doc, pos, end, remaining);
            if (!more) break;
            (ok, start, len, pos) = _string(doc, pos, end, MAJOR_TEXT);
            if (!ok) revert AttestationFieldUnknown();
            uint256 field = _field(doc, start, len);
            if (seen & (1 << field) != 0) revert AttestationFieldDuplicate(_name(field));
            seen |= 1 << field;

            if (field == F_MODULE_ID) {
                (ok, start, len, pos) = _string(doc, pos, end, MAJOR_TEXT);
                if (!ok) revert AttestationFieldBadType("module_id");
                if (len == 0) revert AttestationModuleIdEmpty();
            } else if (field == F_DIGEST) {
                (ok, start, len, pos) = _string(doc, pos, end, MAJOR_TEXT);
                if (!ok) revert AttestationFieldBadType("digest");
                if (len != 6 || bytes6(bytes32(_word(doc, start))) != "SHA384") revert AttestationDigestNotSha384();
            } else if (field == F_TIMESTAMP) {
                uint256 timestamp;
                (major, timestamp, pos) = _head(doc, pos, end);
                if (major != MAJOR_UINT) revert AttestationFieldBadType("timestamp");
                d.timestampMs = uint64(timestamp); // a head's argument has at most 8 bytes
            } else if (field == F_PCRS) {
                pos = _parsePcrs(doc, pos, end, d);
            } else if (field == F_CERTIFICATE) {
                (ok, start, len, pos) = _string(doc, pos, end, MAJOR_BYTES);
                if (!ok) revert AttestationFieldBadType("certificate");
                d.certificate = _copy(doc, start, len);
            } else if (field == F_CABUNDLE) {
                pos = _parseCabundle(doc, pos, end, d);
            } else {
                (ok, start, len, pos) = _optionalBytes(doc, pos, end, field);
                if (ok && field == F_USER_DATA) {
                    d.hasUserData = true;
                    d.userData = _copy(doc, start, len);
                }
            }
        }
        if (pos != end) revert AttestationTrailingBytes();
        if (seen & REQUIRED_FIELDS != REQUIRED_FIELDS) {
            uint256 field;
            while (seen & (1 << field) != 0) ++field;
            revert AttestationFieldMissing(_name(field));
        }
    }

    /// @dev pcrs: {index 0..31 => 48-byte bstr}, each index once, 0, 1 and 2 present; copies
    /// PCR0..2 into `d.pcrs012`. Returns the offset after the map.
    function _parsePcrs(bytes memory doc, uint256 pos, uint256 end, Document memory d) private pure returns (uint256) {
        uint256 major;
        uint256 remaining;
        (major, remaining, pos) = _head(doc, pos, end);
        if (major != MAJOR_MAP) revert AttestationFieldBadType("pcrs");
        bytes memory pcrs012 = new bytes(3 * PCR_BYTES);
        uint256 seen;
        bool more;
        // Bounded whatever the count claims: 32 indices, each only once.
        while (true) {
            (more, pos, remaining) = _more(doc, pos, end, remaining);
            if (!more) break;
            uint256 index;
            (major, index, pos) = _head(doc, pos, end);
            if (major != MAJOR_UINT) revert AttestationFieldBadType("pcrs");
            if (index >= PCR_COUNT) revert AttestationBadPcr(index);
            if (seen & (1 << index) != 0) revert AttestationPcrDuplicate(index);
            seen |= 1 << index;
            (bool ok, uint256 start, uint256 len, uint256 next) = _string(doc, pos, end, MAJOR_BYTES);
            if (!ok || len != PCR_BYTES) revert AttestationBadPcr(index);
            if (index < 3) {
                assembly ("memory-safe") {
                    mcopy(add(add(pcrs012, 32), mul(index, PCR_BYTES)), add(add(doc, 32), start), PCR_BYTES)
                }
            }
            pos = next;
        }
        for (uint256 index; index < 3; ++index) {
            if (seen & (1 << index) == 0) revert AttestationPcrMissing(index);
        }
        d.pcrs012 = pcrs012;
        return pos;
    }

    /// @dev cabundle: an array of 1..MAX_CABUNDLE byte strings, copied into `d.cabundle`.
    /// Returns the offset after the array.
    function _parseCabundle(bytes memory doc, uint256 pos, uint256 end, Document memory d) private pure returns (uint256) {
        uint256 major;
        uint256 remaining;
        (major, remaining, pos) = _head(doc, pos, end);
        if (major != MAJOR_ARRAY) revert AttestationFieldBadType("cabundle");
        bool indefinite = remaining == INDEFINITE;
        if (!indefinite && (remaining == 0 || remaining > MAX_CABUNDLE)) revert AttestationCabundleSize(remaining);
        // An indefinite array's size is known only at its break: allocate the most, trim below.
        bytes[] memory certs = new bytes[](indefinite ? MAX_CABUNDLE : remaining);
        uint256 count;
        bool more;
        while (true) {
            (more, pos, remaining) = _more(doc, pos, end, remaining);
            if (!more) break;
            if (count == MAX_CABUNDLE) revert AttestationCabundleSize(count + 1); // indefinite only
            (bool ok, uint256 start, uint256 len, uint256 next) = _string(doc, pos, end, MAJOR_BYTES);
            if (!ok) revert AttestationFieldBadType("cabundle");
            certs[count++] = _copy(doc, start, len);
            pos = next;
        }
        if (count == 0) revert AttestationCabundleSize(0);
        assembly ("memory-safe") {
            mstore(certs, count)
        }
        d.cabundle = certs;
        return pos;
    }

    /// @dev public_key, user_data, nonce: null, or a byte string of at most MAX_USER_BYTES.
    /// `present` is false for null.
    function _optionalBytes(bytes memory doc, uint256 pos, uint256 end, uint256 field)
        private
        pure
        returns (bool present, uint256 start, uint256 len, uint256 next)
    {
        if (_byte(doc, pos, end) == NULL) return (false, 0, 0, pos + 1);
        (present, start, len, next) = _string(doc, pos, end, MAJOR_BYTES);
        if (!present) revert AttestationFieldBadType(_name(field));
        if (len > MAX_USER_BYTES) revert AttestationFieldTooLong(_name(field), len);
    }

    /// @dev The field id of the text key at `start`, `len` bytes long.
    function _field(bytes memory doc, uint256 start, uint256 len) private pure returns (uint256) {
        if (len > LONGEST_KEY) revert AttestationFieldUnknown();
        // The key left-aligned and zero-padded, as a string literal converts to bytes32, with its
        // length in the low byte: a key may itself end in zero bytes.
        uint256 key = (_word(doc, start) & ~(type(uint256).max >> (len * 8))) | len;
        if (key == uint256(bytes32("module_id")) | 9) return F_MODULE_ID;
        if (key == uint256(bytes32("digest")) | 6) return F_DIGEST;
        if (key == uint256(bytes32("timestamp")) | 9) return F_TIMESTAMP;
        if (key == uint256(bytes32("pcrs")) | 4) return F_PCRS;
        if (key == uint256(bytes32("certificate")) | 11) return F_CERTIFICATE;
        if (key == uint256(bytes32("cabundle")) | 8) return F_CABUNDLE;
        if (key == uint256(bytes32("public_key")) | 10) return F_PUBLIC_KEY;
        if (key == uint256(bytes32("user_data")) | 9) return F_USER_DATA;
        if (key == uint256(bytes32("nonce")) | 5) return F_NONCE;
        revert AttestationFieldUnknown();
    }

    /// @dev A field's key, for error data.
    function _name(uint256 field) private pure returns (string memory) {
        if (field == F_MODULE_ID) return "module_id";
        if (field == F_DIGEST) return "digest";
        if (field == F_TIMESTAMP) return "timestamp";
        if (field == F_PCRS) return "pcrs";
        if (field == F_CERTIFICATE) return "certificate";
        if (field == F_CABUNDLE) return "cabundle";
        if (field == F_PUBLIC_KEY) return "public_key";
        if (field == F_USER_DATA) return "user_data";
        return "nonce";
    }

    /// @dev Whether another entry of an array or map follows at `pos`, given the entries
    /// `remaining` (INDEFINITE: until the break, which this consumes); returns the offset of that
    /// entry, or after the container, and the entries then left.
    function _more(bytes memory doc, uint256 pos, uint256 end, uint256 remaining)
        private
        pure
        returns (bool more, uint256 next, uint256 left)
    {
        unchecked {
            if (remaining == INDEFINITE) {
                return _byte(doc, pos, end) == BREAK ? (false, pos + 1, remaining) : (true, pos, remaining);
            }
            return remaining == 0 ? (false, pos, 0) : (true, pos, remaining - 1);
        }
    }

    /// @dev The head of the item at `pos`: its major type, its argument (a length, a count or a
    /// value; INDEFINITE for an indefinite array or map) and the offset after the head.
    function _head(bytes memory doc, uint256 pos, uint256 end)
        private
        pure
        returns (uint256 major, uint256 arg, uint256 next)
    {
        if (pos >= end) revert CborMalformed(pos);
        // One load serves the initial byte and the (at most 8-byte) argument that follows it.
        uint256 word = _word(doc, pos);
        major = word >> 253;
        arg = (word >> 248) & 31;
        // Offsets stay below end <= doc.length, far from overflow.
        unchecked {
            next = pos + 1;
            if (arg < 24) return (major, arg, next);
            if (arg < 28) {
                uint256 size = 1 << (arg - 24); // 1, 2, 4 or 8 bytes, big-endian
                if (size > end - next) revert CborMalformed(pos);
                return (major, (word << 8) >> (256 - 8 * size), next + size);
            }
        }
        if (arg == 31 && (major == MAJOR_ARRAY || major == MAJOR_MAP)) return (major, INDEFINITE, next);
        revert CborMalformed(pos);
    }

    /// @dev A definite string of major type `major`: its content's offset and length, bounds-checked,
    /// and the offset after it. `ok` is false (nothing else checked) for an item of another type.
    function _string(bytes memory doc, uint256 pos, uint256 end, uint256 major)
        private
        pure
        returns (bool ok, uint256 start, uint256 len, uint256 next)
    {
        uint256 actual;
        (actual, len, start) = _head(doc, pos, end);
        if (actual != major) return (false, 0, 0, 0);
        unchecked {
            // By subtraction (`_head` ensures start <= end): an 8-byte length must not wrap.
            if (len > end - start) revert CborMalformed(pos);
            return (true, start, len, start + len);
        }
    }

    function _byte(bytes memory doc, uint256 pos, uint256 end) private pure returns (uint256) {
        if (pos >= end) revert CborMalformed(pos);
        return _word(doc, pos) >> 248;
    }

    /// @dev 32 bytes of `doc` from `pos`; past the end of `doc` they are whatever memory holds, so
    /// callers use only bytes they have bounds-checked.
    function _word(bytes memory doc, uint256 pos) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(doc, 32), pos))
        }
    }

    function _copy(bytes memory doc, uint256 start, uint256 len) private pure returns (bytes memory out) {
        out = new bytes(len);
        assembly ("memory-safe") {
            mcopy(add(out, 32), add(add(doc, 32), start), len)
        }
    }
}
