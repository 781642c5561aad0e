// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @title X509
/// @notice A strict DER parser for the certificates of an AWS Nitro attestation chain, which are all
/// ECDSA P-384 keys signed with ecdsa-with-SHA384.
/// @dev Anything a Nitro chain does not use is refused rather than interpreted: the fewer encodings
/// the parser accepts, the fewer ways two parties can read one certificate differently. Every TLV is
/// checked against the structure it must have, down to the primitive values, except the contents of
/// the extnValue of extensions other than basicConstraints, which are skipped unread. Of primitive
/// values, OIDs are compared (never decoded) and the characters of Name strings are not checked.
/// Offsets are counted from the first byte of `der`. Every value is bounded by `der.length` and
/// lengths are at most two bytes long, so offset arithmetic cannot wrap.
library X509 {
    /// @notice The fields of one certificate that a chain check needs.
    struct Certificate {
        uint256 tbsOffset; // offset of the TBSCertificate TLV (tag byte included) within `der`: what the issuer signed
        uint256 tbsLength; // length of that whole TLV
        bytes32 issuerHash; // keccak256 of the issuer Name TLV (as encoded)
        bytes32 subjectHash; // keccak256 of the subject Name TLV
        uint64 notBefore; // unix seconds
        uint64 notAfter; // unix seconds
        bool isCA; // basicConstraints present with cA TRUE
        bytes publicKey; // 96 bytes: x || y of the subject's secp384r1 key
        bytes signature; // 96 bytes: r || s of the issuer's signature, each left-padded to 48 bytes
    }

    /// @notice The encoding breaks DER or the certificate's structure at `offset`, where a TLV or
    /// leftover bytes start: wrong tag, indefinite or non-minimal length, a value past its parent's
    /// end, bytes left over, or a BOOLEAN, INTEGER or Name that DER does not allow.
    error X509Malformed(uint256 offset);
    /// @notice The certificate is not X.509 v3.
    error X509UnsupportedVersion();
    /// @notice A signature AlgorithmIdentifier is not ecdsa-with-SHA384 without parameters.
    error X509UnsupportedAlgorithm();
    /// @notice The subject key is not an uncompressed secp384r1 point.
    error X509UnsupportedKey();
    /// @notice A validity time is not a well-formed UTCTime or GeneralizedTime in Zulu with seconds,
    /// names a date that does not exist, or lies before 1970.
    error X509BadTime();
    /// @notice The signature value is not a DER Ecdsa-Sig-Value of two positive integers of at most
    /// 48 bytes each.
    error X509BadSignatureEncoding();
    /// @notice issuerUniqueID or subjectUniqueID is present (RFC 5280 forbids them to conforming CAs).
    error X509UniqueIdPresent();
    /// @notice basicConstraints appears more than once.
    error X509DuplicateBasicConstraints();

    // DER tags.
    uint256 private constant BOOLEAN = 0x01;
    uint256 private constant INTEGER = 0x02;
    uint256 private constant BIT_STRING = 0x03;
    uint256 private constant OCTET_STRING = 0x04;
    uint256 private constant OID = 0x06;
    uint256 private constant UTC_TIME = 0x17;
    uint256 private constant GENERALIZED_TIME = 0x18;
    uint256 private constant SEQUENCE = 0x30;
    uint256 private constant SET = 0x31;
    uint256 private constant EXTENSIONS = 0xa3; // [3] EXPLICIT, constructed

    /// @dev One bit per tag: UTF8String (12), NumericString (18), PrintableString (19),
    /// TeletexString (20), IA5String (22), VisibleString (26), UniversalString (28), BMPString (30),
    /// the string types attribute values in a Name are written in.
    uint256 private constant STRING_TAGS = 0x545c1000;

    /// @dev `a0 03 02 01 02`: [0] EXPLICIT INTEGER 2, the only encoding of v3, in the top 5 bytes.
    uint256 private constant VERSION_V3 = 0xa003020102000000000000000000000000000000000000000000000000000000;
    uint256 private constant VERSION_LENGTH = 5;

    /// @dev Content of AlgorithmIdentifier { ecdsa-with-SHA384 } (OID 1.2.840.10045.4.3.3, no
    /// parameters), in the top 10 bytes.
    uint256 private constant ECDSA_SHA384 = 0x06082a8648ce3d04030300000000000000000000000000000000000000000000;
    uint256 private constant ECDSA_SHA384_LENGTH = 10;

    /// @dev Content of a secp384r1 SubjectPublicKeyInfo up to the point's coordinates, in the top 22
    /// bytes: AlgorithmIdentifier { id-ecPublicKey, secp384r1 }, BIT STRING of 98 bytes with 0 unused
    /// bits, then 0x04 (uncompressed). What follows is x || y; the whole content is 118 bytes.
    uint256 private constant P384_SPKI_PREFIX = 0x301006072a8648ce3d020106052b810400220362000400000000000000000000;
    uint256 private constant P384_SPKI_PREFIX_LENGTH = 22;
    uint256 private constant P384_SPKI_LENGTH = 118;

    /// @dev extnID of basicConstraints, 2.5.29.19, as OID content in the top 3 bytes.
    uint256 private constant BASIC_CONSTRAINTS = 0x551d130000000000000000000000000000000000000000000000000000000000;
    uint256 private constant BASIC_CONSTRAINTS_LENGTH = 3;

    uint256 private constant COORDINATE_LENGTH = 48;
    uint256 private constant POINT_LENGTH = 96; // two coordinates, or r || s

    /// @notice Parses one DER certificate; reverts unless `der` is exactly one certificate of the
    /// shape described above. Neither its signature nor its place in a chain is checked here.
    function parse(bytes memory der) internal pure returns (Certificate memory cert) {
        (uint256 tbs, uint256 certEnd) = _expect(der, 0, der.length, SEQUENCE);
        if (certEnd != der.length) revert X509Malformed(certEnd);

        uint256 tbsEnd;
        uint256 p;
        (p, tbsEnd) = _expect(der, tbs, certEnd, SEQUENCE);
        cert.tbsOffset = tbs;
        cert.tbsLength = tbsEnd - tbs;

        p = _version(der, p, tbsEnd);
        p = _serialNumber(der, p, tbsEnd);
        p = _signatureAlgorithm(der, p, tbsEnd);
        (cert.issuerHash, p) = _name(der, p, tbsEnd);
        (cert.notBefore, cert.notAfter, p) = _validity(der, p, tbsEnd);
        (cert.subjectHash, p) = _name(der, p, tbsEnd);
        (cert.publicKey, p) = _publicKey(der, p, tbsEnd);
        if (p < tbsEnd) {
            // [1] and [2] are IMPLICIT BIT STRINGs; their constructed forms are refused along with them.
            uint256 tag = _byteAt(der, p);
            if (tag == 0x81 || tag == 0x82 || tag == 0xa1 || tag == 0xa2) revert X509UniqueIdPresent();
            cert.isCA = _extensions(der, p, tbsEnd);
        }

        p = _signatureAlgorithm(der, tbsEnd, certEnd);
        cert.signature = _signatureValue(der, p, certEnd);
    }

    /// @dev Reads the TLV header at `offset`, which must carry `tag` and whose value must end by
    /// `end`; returns where the value starts and ends. Long-form lengths take at most two bytes: a
    /// certificate of 64 KiB is no Nitro certificate, and the cap keeps every length below 2**16.
    /// High tag numbers are not decoded: every `tag` asked for has a tag number below 31, so the
    /// high-tag-number form (low five bits all set) never matches.
    function _expect(bytes memory der, uint256 offset, uint256 end, uint256 tag)
        private
        pure
        returns (uint256 valueStart, uint256 valueEnd)
    {
        bool bad;
        // Bytes past `end` may be read, but any value they reach is then bounded by `end`; and as
        // the value ends at least two bytes after `offset`, that bound keeps the header inside too.
        assembly ("memory-safe") {
            let word := mload(add(add(der, 0x20), offset))
            let length := byte(1, word)
            valueStart := add(offset, 2)
            if gt(length, 0x7f) {
                let first := byte(2, word)
                switch length
                case 0x81 {
                    valueStart := add(offset, 3)
                    bad := lt(first, 0x80)
                    length := first
                }
                case 0x82 {
                    valueStart := add(offset, 4)
                    bad := iszero(first)
                    length := and(shr(224, word), 0xffff)
                }
                default {
                    bad := 1 // indefinite, or a length of more than two bytes
                }
            }
            valueEnd := add(valueStart, length)
            bad := or(bad, or(gt(valueEnd, end), xor(shr(248, word), tag)))
        }
        if (bad) revert X509Malformed(offset);
    }

    /// @dev An OBJECT IDENTIFIER, which has at least one byte; its arcs are compared, never decoded.
    function _oid(bytes memory der, uint256 p, uint256 end) private pure returns (uint256 start, uint256 stop) {
        (start, stop) = _expect(der, p, end, OID);
        if (stop == start) revert X509Malformed(p);
    }

    function _version(bytes memory der, uint256 p, uint256 end) private pure returns (uint256) {
        unchecked {
            if (p + VERSION_LENGTH > end) revert X509Malformed(p);
            if (_word(der, p) & _mask(VERSION_LENGTH) != VERSION_V3) revert X509UnsupportedVersion();
            return p + VERSION_LENGTH;
        }
    }

    /// @dev The serial plays no part in a chain check, so only its DER form is checked; its sign and
    /// size are left alone, as RFC 5280 asks of relying parties.
    function _serialNumber(bytes memory der, uint256 p, uint256 end) private pure returns (uint256 stop) {
        uint256 start;
        (start, stop) = _expect(der, p, end, INTEGER);
        _checkInteger(der, p, start, stop);
    }

    function _signatureAlgorithm(bytes memory der, uint256 p, uint256 end) private pure returns (uint256 stop) {
        uint256 start;
        (start, stop) = _expect(der, p, end, SEQUENCE);
        if (stop - start != ECDSA_SHA384_LENGTH || _word(der, start) & _mask(ECDSA_SHA384_LENGTH) != ECDSA_SHA384) {
            revert X509UnsupportedAlgorithm();
        }
    }

    /// @dev Name ::= SEQUENCE OF SET OF SEQUENCE { type OBJECT IDENTIFIER, value ANY }. The chain
    /// check only compares Names by hash, but their structure is still checked like everything else.
    /// Nitro Names have one attribute per RDN; refusing more spares checking DER's SET OF order.
    function _name(bytes memory der, uint256 p, uint256 end) private pure returns (bytes32 hash, uint256 nameEnd) {
        uint256 q;
        (q, nameEnd) = _expect(der, p, end, SEQUENCE);
        while (q < nameEnd) {
            (uint256 attribute, uint256 rdnEnd) = _expect(der, q, nameEnd, SET);
            (uint256 field, uint256 attributeEnd) = _expect(der, attribute, rdnEnd, SEQUENCE);
            if (attributeEnd != rdnEnd) revert X509Malformed(attributeEnd);
            (, field) = _oid(der, field, attributeEnd);
            // Attribute values must be one of the string types; their characters are not checked.
            uint256 tag = _byteAt(der, field);
            if ((STRING_TAGS >> tag) & 1 == 0) revert X509Malformed(field);
            (, uint256 valueEnd) = _expect(der, field, attributeEnd, tag);
            if (valueEnd != attributeEnd) revert X509Malformed(valueEnd);
            q = rdnEnd;
        }
        assembly ("memory-safe") {
            hash := keccak256(add(add(der, 0x20), p), sub(nameEnd, p))
        }
    }

    function _validity(bytes memory der, uint256 p, uint256 end)
        private
        pure
        returns (uint64 notBefore, uint64 notAfter, uint256 stop)
    {
        uint256 q;
        (q, stop) = _expect(der, p, end, SEQUENCE);
        (notBefore, q) = _time(der, q, stop);
        (notAfter, q) = _time(der, q, stop);
        if (q != stop) revert X509Malformed(q);
    }

    /// @dev UTCTime YYMMDDHHMMSSZ (YY below 50 is 20YY, RFC 5280 4.1.2.5.1) or GeneralizedTime
    /// YYYYMMDDHHMMSSZ: the only forms RFC 5280 allows in a certificate's validity (Zulu, whole
    /// seconds). Its rule that years before 2050 use UTCTime is not enforced: both forms name the
    /// same instant, so it cannot change what the certificate says.
    function _time(bytes memory der, uint256 p, uint256 end) private pure returns (uint64 time, uint256 stop) {
        uint256 start;
        uint256 year;
        if (_byteAt(der, p) == UTC_TIME) {
            (start, stop) = _expect(der, p, end, UTC_TIME);
            if (stop - start != 13) revert X509BadTime();
            year = _twoDigits(der, start);
            year += year < 50 ? 2000 : 1900;
            start += 2;
        } else {
            (start, stop) = _expect(der, p, end, GENERALIZED_TIME);
            if (stop - start != 15) revert X509BadTime();
            year = _twoDigits(der, start) * 100 + _twoDigits(der, start + 2);
            start += 4;
        }
        uint256 month = _twoDigits(der, start);
        uint256 day = _twoDigits(der, start + 2);
        uint256 hour = _twoDigits(der, start + 4);
        uint256 minute = _twoDigits(der, start + 6);
        uint256 second = _twoDigits(der, start + 8);
        if (_byteAt(der, start + 10) != 0x5a) revert X509BadTime(); // 'Z'
        // uint64 seconds cannot go below the epoch; leap seconds are not valid in a certificate.
        if (year < 1970 || month == 0 || month > 12 || hour > 23 || minute > 59 || second > 59) {
            revert X509BadTime();
        }
        if (day == 0 || day > _daysInMonth(year, month)) revert X509BadTime();
        time = uint64(_daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second);
    }

    /// @dev Two ASCII digits at `p` as a number; anything but '0'..'9' is refused. Callers have
    /// bounded `p + 2` by the time's length.
    function _twoDigits(bytes memory der, uint256 p) private pure returns (uint256) {
        uint256 word = _word(der, p);
        unchecked {
            // A byte below '0' wraps to a huge value, so one comparison per digit covers both ends.
            uint256 tens = (word >> 248) - 0x30;
            uint256 ones = ((word >> 240) & 0xff) - 0x30;
            if (tens > 9 || ones > 9) revert X509BadTime();
            return tens * 10 + ones;
        }
    }

    function _daysInMonth(uint256 year, uint256 month) private pure returns (uint256) {
        if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) return 29;
        // Two bits per month (at bit 2 * month): its length minus 28.
        return 28 + ((0x3bbeecc >> (2 * month)) & 3);
    }

    /// @dev Days since 1970-01-01 of a valid date from 1970 on, after Howard Hinnant's
    /// days_from_civil: counting years from March puts the leap day last, so the days before a month
    /// follow one formula and the leap days before a year are y/4 - y/100 + y/400.
    function _daysFromCivil(uint256 year, uint256 month, uint256 day) private pure returns (uint256) {
        unchecked {
            if (month <= 2) year -= 1;
            uint256 dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
            // 719468 is the day count of 1970-01-01 (year 1969 from March) from 0000-03-01.
            return 365 * year + year / 4 - year / 100 + year / 400 + dayOfYear - 719468;
        }
    }

    /// @dev The SubjectPublicKeyInfo is compared with the one encoding a secp384r1 key with an
    /// uncompressed point has, so any other key, curve, point form or unused-bit count is refused.
    /// Whether the point lies on the curve is left to the signature check that uses it.
    function _publicKey(bytes memory der, uint256 p, uint256 end)
        private
        pure
        returns (bytes memory key, uint256 stop)
    {
        uint256 start;
        (start, stop) = _expect(der, p, end, SEQUENCE);
        if (
            stop - start != P384_SPKI_LENGTH
                || _word(der, start) & _mask(P384_SPKI_PREFIX_LENGTH) != P384_SPKI_PREFIX
        ) revert X509UnsupportedKey();
        key = new bytes(POINT_LENGTH);
        assembly ("memory-safe") {
            mcopy(add(key, 0x20), add(add(der, 0x20), add(start, P384_SPKI_PREFIX_LENGTH)), POINT_LENGTH)
        }
    }

    /// @dev [3] EXPLICIT Extensions, which must close the TBSCertificate; returns basicConstraints' cA.
    function _extensions(bytes memory der, uint256 p, uint256 end) private pure returns (bool isCA) {
        (uint256 list, uint256 stop) = _expect(der, p, end, EXTENSIONS);
        if (stop != end) revert X509Malformed(stop);
        (uint256 q, uint256 listEnd) = _expect(der, list, stop, SEQUENCE);
        if (listEnd != stop) revert X509Malformed(listEnd);
        // RFC 5280: "If present, this field is a SEQUENCE of one or more certificate extensions."
        if (q == listEnd) revert X509Malformed(list);
        bool seen;
        while (q < listEnd) {
            (uint256 field, uint256 extensionEnd) = _expect(der, q, listEnd, SEQUENCE);
            uint256 oidStart;
            (oidStart, field) = _oid(der, field, extensionEnd);
            bool isBasicConstraints = field - oidStart == BASIC_CONSTRAINTS_LENGTH
                && _word(der, oidStart) & _mask(BASIC_CONSTRAINTS_LENGTH) == BASIC_CONSTRAINTS;
            // critical is DEFAULT FALSE, so DER encodes it only as TRUE. It changes nothing here:
            // extensions other than basicConstraints are skipped whether critical or not.
            if (field < extensionEnd && _byteAt(der, field) == BOOLEAN) field = _true(der, field, extensionEnd);
            uint256 valueStart;
            (valueStart, field) = _expect(der, field, extensionEnd, OCTET_STRING);
            if (field != extensionEnd) revert X509Malformed(field);
            if (isBasicConstraints) {
                if (seen) revert X509DuplicateBasicConstraints();
                seen = true;
                isCA = _basicConstraints(der, valueStart, extensionEnd);
            }
            q = extensionEnd;
        }
    }

    /// @dev BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER
    /// (0..MAX) OPTIONAL }, filling the extnValue from `p` to `end` exactly.
    function _basicConstraints(bytes memory der, uint256 p, uint256 end) private pure returns (bool isCA) {
        (uint256 q, uint256 stop) = _expect(der, p, end, SEQUENCE);
        if (stop != end) revert X509Malformed(stop);
        if (q < stop && _byteAt(der, q) == BOOLEAN) {
            q = _true(der, q, stop);
            isCA = true;
        }
        if (q < stop) {
            (uint256 start, uint256 integerEnd) = _expect(der, q, stop, INTEGER);
            _checkInteger(der, q, start, integerEnd);
            if (_byteAt(der, start) >= 0x80) revert X509Malformed(q);
            if (integerEnd != stop) revert X509Malformed(integerEnd);
        }
    }

    /// @dev A BOOLEAN at `p` that must be TRUE: every BOOLEAN here is DEFAULT FALSE, and DER omits a
    /// default value rather than encoding it; TRUE itself has the one DER form 0xff.
    function _true(bytes memory der, uint256 p, uint256 end) private pure returns (uint256 stop) {
        uint256 start;
        (start, stop) = _expect(der, p, end, BOOLEAN);
        if (stop - start != 1 || _byteAt(der, start) != 0xff) revert X509Malformed(p);
    }

    /// @dev DER INTEGER content from `start` to `stop` (the TLV at `p`): at least one byte, and no
    /// leading byte that only repeats the sign of the next.
    function _checkInteger(bytes memory der, uint256 p, uint256 start, uint256 stop) private pure {
        if (stop == start) revert X509Malformed(p);
        if (stop - start > 1) {
            uint256 top = _word(der, start) >> 247; // first byte and the next one's top bit
            if (top == 0 || top == 0x1ff) revert X509Malformed(p);
        }
    }

    /// @dev signatureValue BIT STRING { Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } },
    /// closing the certificate; returns r || s, each left-padded to 48 bytes.
    function _signatureValue(bytes memory der, uint256 p, uint256 end) private pure returns (bytes memory sig) {
        (uint256 q, uint256 stop) = _expect(der, p, end, BIT_STRING);
        if (stop != end) revert X509Malformed(stop);
        if (q == stop || _byteAt(der, q) != 0) revert X509BadSignatureEncoding(); // unused bits
        uint256 sequenceEnd;
        (q, sequenceEnd) = _expect(der, q + 1, stop, SEQUENCE);
        if (sequenceEnd != stop) revert X509Malformed(sequenceEnd);
        sig = new bytes(POINT_LENGTH);
        q = _scalar(der, q, stop, sig, 0);
        q = _scalar(der, q, stop, sig, COORDINATE_LENGTH);
        if (q != stop) revert X509Malformed(q);
    }

    /// @dev Copies a positive, minimally encoded INTEGER of at most 48 magnitude bytes into the
    /// 48-byte slot of `sig` at `slot`, right-aligned; `sig` is freshly zeroed, which pads it.
    function _scalar(bytes memory der, uint256 p, uint256 end, bytes memory sig, uint256 slot)
        private
        pure
        returns (uint256 stop)
    {
        uint256 start;
        (start, stop) = _expect(der, p, end, INTEGER);
        if (stop == start) revert X509BadSignatureEncoding();
        uint256 word = _word(der, start);
        if (word >> 255 != 0) revert X509BadSignatureEncoding(); // negative
        if (word >> 248 == 0) {
            // A leading zero only keeps a set top bit positive; alone it is zero, which is not positive.
            if (stop - start == 1 || (word >> 247) & 1 == 0) revert X509BadSignatureEncoding();
            start += 1;
        }
        uint256 length = stop - start;
        if (length > COORDINATE_LENGTH) revert X509BadSignatureEncoding();
        assembly ("memory-safe") {
            mcopy(add(add(sig, 0x20), sub(add(slot, COORDINATE_LENGTH), length)), add(add(der, 0x20), start), length)
        }
    }

    function _byteAt(bytes memory der, uint256 p) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(add(add(der, 0x20), p)))
        }
    }

    function _word(bytes memory der, uint256 p) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(der, 0x20), p))
        }
    }

    /// @dev A mask keeping the top `n` bytes of a word.
    function _mask(uint256 n) private pure returns (uint256) {
        return ~(type(uint256).max >> (8 * n));
    }
}
