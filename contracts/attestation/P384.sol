// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @title P384
/// @notice ECDSA signature verification over NIST P-384 (secp384r1), the curve of AWS Nitro
/// attestation documents (COSE ES384) and of their X.509 certificate chain, in plain EVM
/// arithmetic (~3.7 M gas a verification).
/// @dev No precompile is called, so the cost is the same under every gas schedule. Why not a kept
/// library: Solarity's ECDSA384 (their npm solidity-lib 3.1.0, the one published) does its
/// field arithmetic through the modexp precompile, which EIP-7883 (Osaka) reprices: one
/// verification costs 8.3 M gas under Prague and 50.2 M under Osaka, three times EIP-7825's 2^24
/// per-transaction cap that arrives with the same fork. tests/chain/test_p384.py holds this code
/// to Python's `cryptography` (OpenSSL) on random and constructed edge cases. The structure:
///  - a field element is a 384-bit number held in two words, hi (top 128 bits) and lo (low 256
///    bits), kept below 2^384 but reduced into [0, p) only where a value is compared;
///  - a product's 512-bit pieces come from MUL and MULMOD(.., 2^256 - 1), and the 768-bit product
///    is reduced with the special form of p (a Solinas prime): 2^384 = 2^128 + 2^96 - 2^32 + 1
///    (mod p), so the part above 2^384 folds back with one-word multiplications;
///  - the scalars u1 = e / s and u2 = r / s mod n take one binary extended Euclid inversion of s
///    and two products reduced with n's form 2^384 - D, D < 2^190;
///  - u1 G + u2 Q by interleaved width-w NAFs (Straus-Shamir with signed windows) in Jacobian
///    coordinates: a constant affine table of odd multiples of G (mixed additions) and a table of
///    odd multiples of Q built per call (with the Z^2 and Z^3 that every addition needs);
///  - no final inversion: x(R) = X / Z^2 is compared with r as X == r Z^2, and as X == (r + n) Z^2
///    when r + n < p (x(R) mod n == r has those two solutions in [0, p)).
/// The addition handles the point at infinity and a doubling in disguise (R == T): the key is the
/// caller's (an attacker's) choice, and so are the points met along the way.
library P384 {
    /// @dev G, 3G, 5G, ..., 31G (affine; x || y, 48-byte big-endian each): the digits of u1's
    /// width-6 NAF are odd and in [-31, 31]. A constant, so G's additions are mixed ones.
    bytes private constant G_ODD =
        hex"aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7"
        hex"3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f"
        hex"077a41d4606ffa1464793c7e5fdc7d98cb9d3910202dcd06bea4f240d3566da6b408bbae5026580d02d7e5c70500c831"
        hex"c995f7ca0b0c42837d0bbe9602a9fc998520b41c85115aa5f7684c0edc111eacc24abd6be4b5d298b65f28600a2f1df1"
        hex"11de24a2c251c777573cac5ea025e467f208e51dbff98fc54f6661cbe56583b037882f4a1ca297e60abcdbc3836d84bc"
        hex"8fa696c77440f92d0f5837e90a00e7c5284b447754d5dee88c986533b6901aeb3177686d0ae8fb33184414abe6c1713a"
        hex"283c1d7365ce4788f29f8ebf234edffead6fe997fbea5ffa2d58cc9dfa7b1c508b05526f55b9ebb2040f05b48fb6d0e1"
        hex"9475c99061e41b88ba52efdb8c1690471a61d867ed799729d9c92cd01dbd225630d84ede32a78f9e64664cdac512ef8c"
        hex"8f0a39a4049bcb3ef1bf29b8b025b78f2216f7291e6fd3bac6cb1ee285fb6e21c388528bfee2b9535c55e4461079118b"
        hex"62c77e1438b601d6452c4a5322c3a9799a9b3d7ca3c400c6b7678854aed9b3029e743efedfd51b68262da4f9ac664af8"
        hex"099056e27da7b998da1eeec2904816c57fe935ed5837c37456c9fd14892d3f8c4749b66e3afb81d626356f3b55b4ddd8"
        hex"2e4c0c234e30ab96688505544ac5e0396fc4eed8dfc363fd43ff93f41b52a3255466d51263aaff357d5dba8138c5e0bb"
        hex"a567ba97b67aea5bafdaf5002ffcc6ab9632bff9f01f873f6267bcd1f0f11c139ee5f441abd99f1baaf1ca1e3b5cbce7"
        hex"de1b38b3989f3318644e4147af164ecc5185595046932ec086329be057857d66776bcb8272218a7d6423a12736f429cc"
        hex"b3d13fc8b32b01058cc15c11d813525522a94156fff01c205b21f9f7da7c4e9ca849557a10b6383b4b88701a9606860b"
        hex"152919e7df9162a61b049b2536164b1beebac4a11d749af484d1114373dfbfd9838d24f8b284af50985d588d33f7bd62"
        hex"4099952208b4889600a5ebbcb13e1a32692befb0733b41e6dcc614e42e5805f817012a991af1f486caf3a9add9ffcc03"
        hex"5ecf94777833059839474594af603598163ad3f8008ad0cd9b797d277f2388b304da4d2faa9680ecfa650ef5e23b09a0"
        hex"8d481dab912bc8ab16858a211d750b77e07dbecca86cd9b012390b430467aabf59c8651060801c0e9599e68713f5d41b"
        hex"a1592ff0121460857be99f2a60669050b2291b68a1039aa0594b32fd7adc0e8c11ffba5608004e646995b07e75e52245"
        hex"27935df4e25c6f47c7817121057d46e1606290985f8283f5f9936136bf42cdb746a37313df88fd64626b4c175eb77422"
        hex"380a1a3b4898d4cd9ab1a3798d1e3524a4f2d4aec079c6b7585d9c4e6c615b532b6f8d9838ef0c139d5606eb10c69f84"
        hex"3cb647a5df014c23e741a4a8000d5eb822c0102fd4293a78a68749c30c7f9aa484a900a91f7c4ab51e555ebc684aac81"
        hex"28300479a8f88dd04966f85ebdc18cb46103c7b0218bc8377afbf0557ead636809be21f6414b9be279b65fea0d5a2b14"
        hex"e4c6d5cb9183a6709ee9eb526794676207c4d76fab5ce0a3555746bd28fda97431a8a58b3dcb2ca446f41be83716be9a"
        hex"a37245523aa57845c0027f165dd74ca95942e18d15922f206280b8afe5d6a5a209a957bbac49722cffaf54d7e6aac897"
        hex"9c5fa2c13f418e623c316d5a82c8b70508e3acaa2b4a8d3a4acb49c0d7ba04e220761bc15898e1b06b4eedfa23e2e546"
        hex"f641de0cb075851a5afe81503cb7bf6194fdf1b7da9e59556f015651bd9218e30ef2c4b2213f519b529fb56479f48752"
        hex"f1bc35f9656c6eead7b75810ce554ee56e0af4f41cbcde50fa46d04f4d4dfca2ad69e407f57b1e27977bb83b1eb1a373"
        hex"2458497a559bcdccf733c547c0f2b3dc8d7aec776d94fc70531f70960a30e8383ffe8f5147848a0e53e0d05ef28faf29"
        hex"f2e6f06f0ea533e804fcfa12c087d446c73e3336394c98c59d3993124d374e62061fa485bd1b8a650c8361dba9eb28b9"
        hex"8f86e464c200bc46f9e442612fcffbd14a041a8651780d313fb0b9ac114251cd3e8802c6d2fc9ebf3152f5ba7852680c";

    /// @notice Whether `signature` (r || s, 48 bytes each, big-endian) is a P-384 ECDSA signature
    /// of the 48-byte message hash `digest` under `publicKey` (x || y, 48 bytes each, the
    /// uncompressed point without its 0x04 prefix). The digest is read as a 384-bit big-endian
    /// integer and reduced mod n, as ECDSA does with a hash as long as the order. Malformed input
    /// of any kind is `false`, never a revert. Both s and n - s are accepted (no low-s rule: X.509
    /// and COSE signers do not normalize s).
    function verify(bytes memory digest, bytes memory signature, bytes memory publicKey)
        internal
        pure
        returns (bool ok)
    {
        if (digest.length != 48 || signature.length != 96 || publicKey.length != 96) return false;
        bytes memory gOdd = G_ODD;

        // Scratch memory past the free memory pointer, not allocated (nothing outlives the block):
        // R, the accumulator (X, Y, Z)                                at m + 0x000 (0x0c0 bytes)
        // 2Q (X, Y, Z, Z^2, Z^3)                                      at m + 0x0c0 (0x140)
        // G's table unpacked, 16 x (x, y)                             at m + 0x200 (0x800)
        // Q's table: Q, 3Q, ..., 15Q, 8 x (X, Y, Z, Z^2, Z^3)         at m + 0xa00 (0xa00)
        // the NAF digits of u1 and of u2, one signed byte each        at m + 0x1400, m + 0x1600
        // A field element takes two words: hi (top 128 bits), then lo (low 256 bits).
        assembly ("memory-safe") {
            // ---------------------------------------------------------------- field, mod p
            // p = 2^384 - 2^128 - 2^96 + 2^32 - 1, so 2^384 = 2^128 + C2 (mod p) with
            // C2 = 2^96 - 2^32 + 1. Field elements are kept below 2^384 (hi < 2^128), which is what
            // the products need, but not necessarily below p: a full reduction after every
            // operation would cost a comparison with p each time, and only the zero tests and the
            // final comparison need canonical values (isZeroP, canonP).

            /// x + y mod p, below 2^384 (x, y < 2^384).
            function fadd(xh, xl, yh, yl) -> h, l {
                l := add(xl, yl)
                h := add(add(xh, yh), lt(l, xl))
                // Subtract p while at or above 2^384: at most twice, as x + y < 2^384 + p + C.
                if shr(128, h) {
                    h, l := subP(h, l)
                    if shr(128, h) { h, l := subP(h, l) }
                }
            }

            /// x - y mod p, below 2^384 (x, y < 2^384).
            function fsub(xh, xl, yh, yl) -> h, l {
                l := sub(xl, yl)
                h := sub(sub(xh, yh), lt(xl, yl))
                // A borrow out of the 384 bits leaves h negative (as a signed word): add p, and
                // once more if x - y < -p.
                if slt(h, 0) {
                    h, l := addP(h, l)
                    if slt(h, 0) { h, l := addP(h, l) }
                }
            }

            /// x - p (x >= p).
            function subP(xh, xl) -> h, l {
                let pl := 0xfffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff
                h := sub(sub(xh, 0xffffffffffffffffffffffffffffffff), lt(xl, pl))
                l := sub(xl, pl)
            }

            /// x + p mod 2^384 (x negative as a signed 384-bit number: hi is a negative word).
            function addP(xh, xl) -> h, l {
                let pl := 0xfffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff
                l := add(xl, pl)
                h := add(add(xh, 0xffffffffffffffffffffffffffffffff), lt(l, pl))
            }

            /// x mod p in [0, p), for x < 2^384 < 2p: x >= p iff h + (l >= p's low word) reaches
            /// 2^128, p's top 128 bits being all ones.
            function canonP(xh, xl) -> h, l {
                h := xh
                l := xl
                if shr(128, add(h, iszero(lt(l, 0xfffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff)))) {
                    h, l := subP(h, l)
                }
            }

            /// Whether x = 0 mod p, for x < 2^384: x is 0 or p.
            function isZeroP(xh, xl) -> z {
                z := or(
                    iszero(or(xh, xl)),
                    and(
                        eq(xh, 0xffffffffffffffffffffffffffffffff),
                        eq(xl, 0xfffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff)
                    )
                )
            }

            // The high word of a 512-bit product a * b is recovered from its residues mod 2^256
            // (MUL) and mod 2^256 - 1 (MULMOD): with lo = a b mod 2^256 and mm = a b mod (2^256 - 1),
            // hi = mm - lo mod (2^256 - 1). This holds for any number below 2^256 (2^256 - 1), so
            // it also gives the high word of a sum of products from the sums of their residues.

            /// x y mod p, below 2^384 (x, y < 2^384).
            function fmul(xh, xl, yh, yl) -> h, l {
                let w0 := mul(xl, yl)
                let mm := mulmod(xl, yl, not(0))
                let w1 := sub(sub(mm, w0), lt(mm, w0))
                // The cross terms xh yl + xl yh < 2^385.
                let c0 := add(mul(xh, yl), mul(xl, yh))
                mm := addmod(mulmod(xh, yl, not(0)), mulmod(xl, yh, not(0)), not(0))
                let c1 := sub(sub(mm, c0), lt(mm, c0))
                w1 := add(w1, c0)
                let w2 := add(add(mul(xh, yh), c1), lt(w1, c0))
                h, l := reduceP(w2, w1, w0)
            }

            /// x^2 mod p, below 2^384 (x < 2^384).
            function fsqr(xh, xl) -> h, l {
                let w0 := mul(xl, xl)
                let mm := mulmod(xl, xl, not(0))
                let w1 := sub(sub(mm, w0), lt(mm, w0))
                // The cross term 2 xh xl, one product as 2 xh < 2^129.
                let x2 := add(xh, xh)
                let c0 := mul(x2, xl)
                mm := mulmod(x2, xl, not(0))
                let c1 := sub(sub(mm, c0), lt(mm, c0))
                w1 := add(w1, c0)
                let w2 := add(add(mul(xh, xh), c1), lt(w1, c0))
                h, l := reduceP(w2, w1, w0)
            }

            /// t = w2 * 2^512 + w1 * 2^256 + w0 (< 2^768) mod p, below 2^384.
            function reduceP(w2, w1, w0) -> h, l {
                // In 128-bit limbs t0..t5 and B = 2^128 (B^3 = B + C2): t = t0 + t3 C2 + t5 C2 +
                // (t1 + t3 + t5 + t4 C2) B + (t2 + t4 + t5 C2) B^2, three columns below 2^226 each.
                let t4 := and(w2, 0xffffffffffffffffffffffffffffffff)
                let t5 := shr(128, w2)
                let s := add(shr(128, w1), t5)
                let a := mul(s, 0xffffffffffffffff00000001)
                l := add(w0, a)
                let k := lt(l, a)
                let m := add(s, mul(t4, 0xffffffffffffffff00000001))
                a := shl(128, m)
                l := add(l, a)
                h := add(
                    add(add(and(w1, 0xffffffffffffffffffffffffffffffff), t4), mul(t5, 0xffffffffffffffff00000001)),
                    add(shr(128, m), add(k, lt(l, a)))
                )
                // h < 2^226: its bits from 128 up are multiples of 2^384 = 2^128 + C2 (mod p).
                let q := shr(128, h)
                let f := add(shl(128, q), mul(q, 0xffffffffffffffff00000001))
                l := add(l, f)
                h := add(and(h, 0xffffffffffffffffffffffffffffffff), lt(l, f))
                // Below 2^384 + 2^256 now: subtract p if at or above 2^384.
                if shr(128, h) { h, l := subP(h, l) }
            }

            /// k x mod p, below 2^384 (x < 2^384, k < 2^64).
            function fsmall(xh, xl, k) -> h, l {
                l := mul(xl, k)
                let mm := mulmod(xl, k, not(0))
                h := add(mul(xh, k), sub(sub(mm, l), lt(mm, l)))
                // h < 2^192: its bits from 128 up are multiples of 2^384 = 2^128 + C2 (mod p).
                let q := shr(128, h)
                let f := add(shl(128, q), mul(q, 0xffffffffffffffff00000001))
                l := add(l, f)
                h := add(and(h, 0xffffffffffffffffffffffffffffffff), lt(l, f))
                // Below 2^384 + 2^256 now: subtract p if at or above 2^384.
                if shr(128, h) { h, l := subP(h, l) }
            }

            // ---------------------------------------------------------------- scalars, mod n
            // n = 2^384 - D, D < 2^190.

            /// x * y mod n (x, y < 2^384).
            function mulN(xh, xl, yh, yl) -> h, l {
                let w0 := mul(xl, yl)
                let mm := mulmod(xl, yl, not(0))
                let w1 := sub(sub(mm, w0), lt(mm, w0))
                let c0 := add(mul(xh, yl), mul(xl, yh))
                mm := addmod(mulmod(xh, yl, not(0)), mulmod(xl, yh, not(0)), not(0))
                let c1 := sub(sub(mm, c0), lt(mm, c0))
                w1 := add(w1, c0)
                let w2 := add(add(mul(xh, yh), c1), lt(w1, c0))
                // t = t1 * 2^384 + t0 = t0 + t1 * D (mod n), t1 = t >> 384 split (th, tl).
                let tl := or(shl(128, w2), shr(128, w1))
                let a0 := mul(tl, 0x389cb27e0bc8d220a7e5f24db74f58851313e695333ad68d)
                mm := mulmod(tl, 0x389cb27e0bc8d220a7e5f24db74f58851313e695333ad68d, not(0))
                let a1 := sub(sub(mm, a0), lt(mm, a0))
                let th := shr(128, w2)
                let b0 := mul(th, 0x389cb27e0bc8d220a7e5f24db74f58851313e695333ad68d)
                mm := mulmod(th, 0x389cb27e0bc8d220a7e5f24db74f58851313e695333ad68d, not(0))
                let b1 := sub(sub(mm, b0), lt(mm, b0))
                // u = t0 + a0 + (a1 + b0) * 2^256 + b1 * 2^512 < 2^575, in words u2, u1, u0.
                let u0 := add(w0, a0)
                let u1 := add(add(and(w1, 0xffffffffffffffffffffffffffffffff), a1), lt(u0, a0))
                u1 := add(u1, b0)
                let u2 := add(b1, lt(u1, b0))
                // u >> 384 < 2^191, times D < 2^381: one more fold lands below 2^384 + 2^381 < 2n.
                tl := or(shl(128, u2), shr(128, u1))
                a0 := mul(tl, 0x389cb27e0bc8d220a7e5f24db74f58851313e695333ad68d)
                mm := mulmod(tl, 0x389cb27e0bc8d220a7e5f24db74f58851313e695333ad68d, not(0))
                a1 := sub(sub(mm, a0), lt(mm, a0))
                l := add(u0, a0)
                h := add(add(and(u1, 0xffffffffffffffffffffffffffffffff), a1), lt(l, a0))
                // x >= n iff x + D >= 2^384.
                let sl := add(l, 0x389cb27e0bc8d220a7e5f24db74f58851313e695333ad68d)
                let sh := add(h, lt(sl, l))
                if shr(128, sh) {
                    h := and(sh, 0xffffffffffffffffffffffffffffffff)
                    l := sl
                }
            }

            /// x - y mod n (x, y < n).
            function subN(xh, xl, yh, yl) -> h, l {
                l := sub(xl, yl)
                h := sub(sub(xh, yh), lt(xl, yl))
                if slt(h, 0) {
                    let nl := 0xffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973
                    l := add(l, nl)
                    h := add(add(h, 0xffffffffffffffffffffffffffffffff), lt(l, nl))
                }
            }

            /// 1 / x mod n (0 < x < n) by a variant of the binary extended Euclidean algorithm
            /// ("Guide to Elliptic Curve Cryptography", algorithm 2.22), keeping x a = u and
            /// x b = v (mod n), a in (h, l), with v odd: halve u until it is odd; unless u is 1,
            /// subtract the smaller of u and v from the larger into u (swapping them first if
            /// needed), which leaves u even again. gcd(x, n) = 1, so two odd u and v differ unless
            /// both are 1, and u never becomes 0.
            function invN(xh, xl) -> h, l {
                let uh := xh
                let ul := xl
                let vh := 0xffffffffffffffffffffffffffffffff
                let vl := 0xffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973
                h := 0
                l := 1
                let bh := 0
                let bl := 0
                for {} 1 {} {
                    // a / 2 mod n = (a >> 1) + (a odd) (n + 1) / 2, below n.
                    for {} iszero(and(ul, 1)) {} {
                        ul := or(shr(1, ul), shl(255, uh))
                        uh := shr(1, uh)
                        let odd := and(l, 1)
                        l := or(shr(1, l), shl(255, h))
                        h := shr(1, h)
                        if odd {
                            let hl := 0xffffffffffffffffe3b1a6c0fa1b96efac0d06d9245853bd76760cb5666294ba
                            l := add(l, hl)
                            h := add(h, add(0x7fffffffffffffffffffffffffffffff, lt(l, hl)))
                        }
                    }
                    if and(iszero(uh), eq(ul, 1)) { leave }
                    if lt384(uh, ul, vh, vl) {
                        let t := uh
                        uh := vh
                        vh := t
                        t := ul
                        ul := vl
                        vl := t
                        t := h
                        h := bh
                        bh := t
                        t := l
                        l := bl
                        bl := t
                    }
                    uh := sub(sub(uh, vh), lt(ul, vl))
                    ul := sub(ul, vl)
                    h, l := subN(h, l, bh, bl)
                }
            }

            // ---------------------------------------------------------------- the curve
            // A point in memory: X at +0x00, Y at +0x40, Z at +0x80, and for a table entry also
            // Z^2 at +0xc0 and Z^3 at +0x100. Z = 0 is the point at infinity, and only the
            // infinity set as such has a zero Z: a finite point's Z is a nonzero residue (a
            // product of nonzero factors), so no Z is ever p.

            /// pt = 2 pt, in place ("dbl-2001-b" with Z3 = 2 Y Z; a = -3). Infinity (Z = 0) stays
            /// infinity; Y = 0 is impossible on a curve of prime order.
            function ecDbl(pt) {
                let xh := mload(pt)
                let xl := mload(add(pt, 0x20))
                let yh := mload(add(pt, 0x40))
                let yl := mload(add(pt, 0x60))
                let zh := mload(add(pt, 0x80))
                let zl := mload(add(pt, 0xa0))
                let th, tl := fmul(yh, yl, zh, zl)
                th, tl := fadd(th, tl, th, tl)
                mstore(add(pt, 0x80), th)
                mstore(add(pt, 0xa0), tl)
                // alpha = 3 (X - Z^2)(X + Z^2)
                zh, zl := fsqr(zh, zl)
                th, tl := fsub(xh, xl, zh, zl)
                zh, zl := fadd(xh, xl, zh, zl)
                th, tl := fmul(th, tl, zh, zl)
                let ah, al := fsmall(th, tl, 3)
                // gamma = Y^2, beta = X gamma
                yh, yl := fsqr(yh, yl)
                let bh, bl := fmul(xh, xl, yh, yl)
                // X3 = alpha^2 - 8 beta
                xh, xl := fsqr(ah, al)
                th, tl := fsmall(bh, bl, 8)
                xh, xl := fsub(xh, xl, th, tl)
                mstore(pt, xh)
                mstore(add(pt, 0x20), xl)
                // Y3 = alpha (4 beta - X3) - 8 gamma^2
                bh, bl := fsmall(bh, bl, 4)
                bh, bl := fsub(bh, bl, xh, xl)
                ah, al := fmul(ah, al, bh, bl)
                yh, yl := fsqr(yh, yl)
                yh, yl := fsmall(yh, yl, 8)
                ah, al := fsub(ah, al, yh, yl)
                mstore(add(pt, 0x40), ah)
                mstore(add(pt, 0x60), al)
            }

            /// pt = pt + t, or pt - t if neg, in place ("add-1998-cmo-2"). t is affine (x, y) if
            /// affine, else a table entry with its Z^2 and Z^3; it is never infinity.
            function ecAdd(pt, t, neg, affine) {
                let yh := mload(add(t, 0x40))
                let yl := mload(add(t, 0x60))
                if neg {
                    yh, yl := fsub(0, 0, yh, yl)
                }
                let zh := mload(add(pt, 0x80))
                let zl := mload(add(pt, 0xa0))
                if iszero(or(zh, zl)) {
                    mstore(pt, mload(t))
                    mstore(add(pt, 0x20), mload(add(t, 0x20)))
                    mstore(add(pt, 0x40), yh)
                    mstore(add(pt, 0x60), yl)
                    switch affine
                    case 0 {
                        mstore(add(pt, 0x80), mload(add(t, 0x80)))
                        mstore(add(pt, 0xa0), mload(add(t, 0xa0)))
                    }
                    default {
                        mstore(add(pt, 0x80), 0)
                        mstore(add(pt, 0xa0), 1)
                    }
                    leave
                }
                // U2 = X2 Z1^2 and S2 = Y2 Z1^3, then U1 = X1 Z2^2 and S1 = Y1 Z2^3.
                let sh, sl := fsqr(zh, zl)
                let uh, ul := fmul(mload(t), mload(add(t, 0x20)), sh, sl)
                sh, sl := fmul(sh, sl, zh, zl)
                sh, sl := fmul(yh, yl, sh, sl)
                let u1h := mload(pt)
                let u1l := mload(add(pt, 0x20))
                let s1h := mload(add(pt, 0x40))
                let s1l := mload(add(pt, 0x60))
                if iszero(affine) {
                    u1h, u1l := fmul(u1h, u1l, mload(add(t, 0xc0)), mload(add(t, 0xe0)))
                    s1h, s1l := fmul(s1h, s1l, mload(add(t, 0x100)), mload(add(t, 0x120)))
                    zh, zl := fmul(zh, zl, mload(add(t, 0x80)), mload(add(t, 0xa0)))
                }
                // H = U2 - U1, r = S2 - S1 (in uh/ul and sh/sl from here on).
                uh, ul := fsub(uh, ul, u1h, u1l)
                sh, sl := fsub(sh, sl, s1h, s1l)
                if isZeroP(uh, ul) {
                    // Same X: the same point (double it) or opposite points (infinity).
                    switch isZeroP(sh, sl)
                    case 1 { ecDbl(pt) }
                    default {
                        mstore(add(pt, 0x80), 0)
                        mstore(add(pt, 0xa0), 0)
                    }
                    leave
                }
                // Z3 = Z1 Z2 H
                zh, zl := fmul(zh, zl, uh, ul)
                mstore(add(pt, 0x80), zh)
                mstore(add(pt, 0xa0), zl)
                // H^2 (in zh/zl), H^3 (in uh/ul), V = U1 H^2 (in u1h/u1l)
                zh, zl := fsqr(uh, ul)
                uh, ul := fmul(uh, ul, zh, zl)
                u1h, u1l := fmul(u1h, u1l, zh, zl)
                // X3 = r^2 - H^3 - 2 V
                let xh, xl := fsqr(sh, sl)
                xh, xl := fsub(xh, xl, uh, ul)
                xh, xl := fsub(xh, xl, u1h, u1l)
                xh, xl := fsub(xh, xl, u1h, u1l)
                mstore(pt, xh)
                mstore(add(pt, 0x20), xl)
                // Y3 = r (V - X3) - S1 H^3
                u1h, u1l := fsub(u1h, u1l, xh, xl)
                sh, sl := fmul(sh, sl, u1h, u1l)
                s1h, s1l := fmul(s1h, s1l, uh, ul)
                sh, sl := fsub(sh, sl, s1h, s1l)
                mstore(add(pt, 0x40), sh)
                mstore(add(pt, 0x60), sl)
            }

            /// Z^2 and Z^3 of the point at pt, stored after it.
            function withZPowers(pt) {
                let zh := mload(add(pt, 0x80))
                let zl := mload(add(pt, 0xa0))
                let h, l := fsqr(zh, zl)
                mstore(add(pt, 0xc0), h)
                mstore(add(pt, 0xe0), l)
                h, l := fmul(h, l, zh, zl)
                mstore(add(pt, 0x100), h)
                mstore(add(pt, 0x120), l)
            }

            /// Writes the width-w NAF of k (< 2^384) to dst, digit i (odd with |digit| < 2^(w-1),
            /// or 0) as a signed byte at dst + i, over zeroed memory; returns 1 + the top nonzero
            /// digit's index. A nonzero digit is k mod 2^w taken in (-2^(w-1), 2^(w-1)); subtracting
            /// it leaves k divisible by 2^w, so the w - 1 digits above it are zero.
            function naf(kh, kl, dst, w) -> len {
                let full := shl(w, 1)
                for { let i := 0 } or(kh, kl) {} {
                    switch and(kl, 1)
                    case 0 {
                        kl := or(shr(1, kl), shl(255, kh))
                        kh := shr(1, kh)
                        i := add(i, 1)
                    }
                    default {
                        let d := and(kl, sub(full, 1))
                        switch lt(d, shr(1, full))
                        case 1 { kl := sub(kl, d) }
                        default {
                            // k - (d - 2^w) = k + (2^w - d): may carry into kh.
                            let c := sub(full, d)
                            kl := add(kl, c)
                            kh := add(kh, lt(kl, c))
                            d := sub(d, full)
                        }
                        mstore8(add(dst, i), d)
                        kl := or(shr(w, kl), shl(sub(256, w), kh))
                        kh := shr(w, kh)
                        i := add(i, w)
                        len := add(sub(i, w), 1)
                    }
                }
            }

            /// pt += digit * (table entry), for a signed NAF digit byte at dig.
            function addDigit(pt, dig, tab, size, affine) {
                let d := signextend(0, byte(0, mload(dig)))
                if d {
                    let neg := slt(d, 0)
                    if neg { d := sub(0, d) }
                    ecAdd(pt, add(tab, mul(shr(1, d), size)), neg, affine)
                }
            }

            /// x < y for 384-bit numbers.
            function lt384(xh, xl, yh, yl) -> r {
                r := or(lt(xh, yh), and(eq(xh, yh), lt(xl, yl)))
            }

            /// The NAFs of u1 = e / s (width 6, at dig1) and u2 = r / s (width 5, at dig2), mod n;
            /// returns the longer one's length.
            function nafs(sh, sl, rh, rl, dPtr, dig1, dig2) -> top {
                let wh, wl := invN(sh, sl)
                let eh, el := mulN(shr(128, mload(add(dPtr, 0x20))), mload(add(dPtr, 0x30)), wh, wl)
                top := naf(eh, el, dig1, 6)
                eh, el := mulN(rh, rl, wh, wl)
                let top2 := naf(eh, el, dig2, 5)
                if gt(top2, top) { top := top2 }
            }

            /// verify, for well-sized input (the lengths are checked outside).
            function run(dPtr, sigPtr, keyPtr, gTable) -> valid {
                let m := mload(0x40)
                let rPt := m
                let twoQ := add(m, 0xc0)
                let gTab := add(m, 0x200)
                let qTab := add(m, 0xa00)
                let dig1 := add(m, 0x1400)
                let dig2 := add(m, 0x1600)

                // 0 < r < n, 0 < s < n
                let rh := shr(128, mload(add(sigPtr, 0x20)))
                let rl := mload(add(sigPtr, 0x30))
                let sh := shr(128, mload(add(sigPtr, 0x50)))
                let sl := mload(add(sigPtr, 0x60))
                let nh := 0xffffffffffffffffffffffffffffffff
                let nl := 0xffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973
                if or(iszero(or(rh, rl)), iszero(lt384(rh, rl, nh, nl))) { leave }
                if or(iszero(or(sh, sl)), iszero(lt384(sh, sl, nh, nl))) { leave }

                // Q: coordinates below p, y^2 = x^3 - 3x + b. Stored as the first entry of its
                // table, with Z = Z^2 = Z^3 = 1.
                {
                    let xh := shr(128, mload(add(keyPtr, 0x20)))
                    let xl := mload(add(keyPtr, 0x30))
                    let yh := shr(128, mload(add(keyPtr, 0x50)))
                    let yl := mload(add(keyPtr, 0x60))
                    let ph := 0xffffffffffffffffffffffffffffffff
                    let pl := 0xfffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff
                    if iszero(and(lt384(xh, xl, ph, pl), lt384(yh, yl, ph, pl))) { leave }
                    let ch, cl := fsqr(xh, xl)
                    ch, cl := fmul(ch, cl, xh, xl)
                    let th, tl := fsmall(xh, xl, 3)
                    ch, cl := fsub(ch, cl, th, tl)
                    ch, cl := fadd(
                        ch,
                        cl,
                        0xb3312fa7e23ee7e4988e056be3f82d19,
                        0x181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef
                    )
                    th, tl := fsqr(yh, yl)
                    th, tl := fsub(th, tl, ch, cl)
                    if iszero(isZeroP(th, tl)) { leave }
                    mstore(qTab, xh)
                    mstore(add(qTab, 0x20), xl)
                    mstore(add(qTab, 0x40), yh)
                    mstore(add(qTab, 0x60), yl)
                    for { let o := 0x80 } lt(o, 0x140) { o := add(o, 0x40) } {
                        mstore(add(qTab, o), 0)
                        mstore(add(qTab, add(o, 0x20)), 1)
                    }
                }

                // u1 = e / s and u2 = r / s (mod n), as NAFs of widths 6 and 5.
                for { let o := 0 } lt(o, 0x400) { o := add(o, 0x20) } { mstore(add(dig1, o), 0) }
                let top := nafs(sh, sl, rh, rl, dPtr, dig1, dig2)

                // The tables: G's unpacked from G_ODD; Q's as (2j + 1)Q = (2j - 1)Q + 2Q.
                for { let i := 0 } lt(i, 16) { i := add(i, 1) } {
                    let src := add(add(gTable, 0x20), mul(i, 0x60))
                    let dst := add(gTab, shl(7, i))
                    mstore(dst, shr(128, mload(src)))
                    mstore(add(dst, 0x20), mload(add(src, 0x10)))
                    mstore(add(dst, 0x40), shr(128, mload(add(src, 0x30))))
                    mstore(add(dst, 0x60), mload(add(src, 0x40)))
                }
                mcopy(twoQ, qTab, 0xc0)
                ecDbl(twoQ)
                withZPowers(twoQ)
                for { let i := 1 } lt(i, 8) { i := add(i, 1) } {
                    let e := add(qTab, mul(i, 0x140))
                    mcopy(e, sub(e, 0x140), 0xc0)
                    ecAdd(e, twoQ, 0, 0)
                    withZPowers(e)
                }

                // R = u1 G + u2 Q, Horner from the top digit; R starts at infinity.
                mstore(add(rPt, 0x80), 0)
                mstore(add(rPt, 0xa0), 0)
                for { let i := top } 1 {} {
                    i := sub(i, 1)
                    addDigit(rPt, add(dig1, i), gTab, 0x80, 1)
                    addDigit(rPt, add(dig2, i), qTab, 0x140, 0)
                    if iszero(i) { break }
                    ecDbl(rPt)
                }

                // x(R) mod n == r, with x(R) = X / Z^2: X == r Z^2, or X == (r + n) Z^2 if r + n < p.
                let zh := mload(add(rPt, 0x80))
                let zl := mload(add(rPt, 0xa0))
                if iszero(or(zh, zl)) { leave }
                zh, zl := fsqr(zh, zl)
                let xh, xl := canonP(mload(rPt), mload(add(rPt, 0x20)))
                let th, tl := fmul(rh, rl, zh, zl)
                th, tl := canonP(th, tl)
                if and(eq(th, xh), eq(tl, xl)) {
                    valid := 1
                    leave
                }
                // p - n < 2^190
                if and(iszero(rh), lt(rl, 0x389cb27e0bc8d21fa7e5f24cb74f58851313e696333ad68c)) {
                    rl := add(rl, nl)
                    rh := add(nh, lt(rl, nl))
                    th, tl := fmul(rh, rl, zh, zl)
                    th, tl := canonP(th, tl)
                    valid := and(eq(th, xh), eq(tl, xl))
                }
            }

            ok := run(digest, signature, publicKey, gOdd)
        }
    }
}
