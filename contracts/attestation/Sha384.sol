// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @title Sha384
/// @notice SHA-384 (FIPS 180-4) of a byte range in memory. The EVM has no SHA-384 precompile, so
/// this is SHA-512's compression function with SHA-384's initial values, its digest cut to 48
/// bytes. ~32k gas a 128-byte block: ~1.16 M for a 4.5 KB COSE Sig_structure.
library Sha384 {
    error Sha384OutOfBounds();

    /// @notice SHA-384 of all of `data`.
    function hash(bytes memory data) internal pure returns (bytes memory) {
        return hash(data, 0, data.length);
    }

    /// @notice SHA-384 of `data[offset:offset + length]`, read in place: `data` is neither copied
    /// nor changed. Reverts with Sha384OutOfBounds if the range does not lie within `data`.
    function hash(bytes memory data, uint256 offset, uint256 length) internal pure returns (bytes memory digest) {
        // In this form no sum can overflow (offset + length could).
        if (offset > data.length || length > data.length - offset) revert Sha384OutOfBounds();
        assembly ("memory-safe") {
            // A 64-bit word lives in the low bits of a 256-bit one, over junk that is left there:
            // additions and bitwise operations get the low 64 bits right whatever lies above. Only
            // a rotation needs the bare word: mul(and(x, m), dbl), with m = 2^64 - 1 and
            // dbl = 2^64 + 1, is the word twice side by side, so that shr(n) of it has rotr(x, n)
            // in its low 64 bits. m and dbl are read from memory rather than written as literals:
            // a literal used this often is rebuilt by the optimizer from shifts, for code size, at
            // ~12 gas a use in the innermost loop.
            //
            // Scratch memory from `base` (the free memory pointer; never allocated, the digest is
            // written over it at the end): 0x0000 W, the message schedule (80 words); 0x0a00 K,
            // the round constants, K[t] at W[t] + 0xa00; 0x1400 H, the state (8 words); 0x1500
            // 2^64 - 1; 0x1520 the last block or two, padded.

            // One block: the 128 bytes at `src` added into H.
            function compress(src, base) {
                let m := mload(add(base, 0x1500))
                let dbl := add(m, 2)
                for { let i := 0 } lt(i, 0x80) { i := add(i, 0x20) } {
                    let v := mload(add(src, i))
                    let p := add(base, shl(2, i))
                    mstore(p, shr(192, v))
                    mstore(add(p, 0x20), and(shr(128, v), m))
                    mstore(add(p, 0x40), and(shr(64, v), m))
                    mstore(add(p, 0x60), and(v, m))
                }
                // W words are stored bare, as each is shifted twice later. Two a turn, keeping the
                // newest two (W[t-1], W[t-2]) on the stack; q is at W[t-16].
                let w1 := mload(add(base, 0x1e0))
                let w2 := mload(add(base, 0x1c0))
                for { let q := base } lt(q, add(base, 0x800)) { q := add(q, 0x40) } {
                    let x := mload(add(q, 0x20)) // W[t-15]
                    let xx := mul(x, dbl)
                    let yy := mul(w2, dbl)
                    w2 := and(
                        add(
                            add(mload(q), mload(add(q, 0x120))),
                            add(
                                xor(xor(shr(1, xx), shr(8, xx)), shr(7, x)),
                                xor(xor(shr(19, yy), shr(61, yy)), shr(6, w2))
                            )
                        ),
                        m
                    )
                    mstore(add(q, 0x200), w2)
                    let x2 := mload(add(q, 0x40)) // W[t-14]
                    xx := mul(x2, dbl)
                    yy := mul(w1, dbl)
                    w1 := and(
                        add(
                            add(x, mload(add(q, 0x140))),
                            add(
                                xor(xor(shr(1, xx), shr(8, xx)), shr(7, x2)),
                                xor(xor(shr(19, yy), shr(61, yy)), shr(6, w1))
                            )
                        ),
                        m
                    )
                    mstore(add(q, 0x220), w1)
                }
                let end := add(base, 0xa00)
                let a := mload(add(end, 0xa00))
                let b := mload(add(end, 0xa20))
                let c := mload(add(end, 0xa40))
                let d := mload(add(end, 0xa60))
                let e := mload(add(end, 0xa80))
                let f := mload(add(end, 0xaa0))
                let g := mload(add(end, 0xac0))
                let h := mload(add(end, 0xae0))
                // Eight rounds a turn, so that the letters' roles come back round instead of being
                // passed along every round. A round makes d + T1 (the new e) and T1 + T2 (the new
                // a) in place of d and h; the next round reads the letters one place on.
                let p := base
                for {} lt(p, end) { p := add(p, 0x100) } {
                    let l
                    let t
                    l := mul(and(e, m), dbl)
                    t := add(
                        add(h, add(mload(add(p, 0x00)), mload(add(p, 0xa00)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(g, and(e, xor(f, g))))
                    )
                    d := add(d, t)
                    l := mul(and(a, m), dbl)
                    h := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(a, or(b, c)), and(b, c))))
                    l := mul(and(d, m), dbl)
                    t := add(
                        add(g, add(mload(add(p, 0x20)), mload(add(p, 0xa20)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(f, and(d, xor(e, f))))
                    )
                    c := add(c, t)
                    l := mul(and(h, m), dbl)
                    g := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(h, or(a, b)), and(a, b))))
                    l := mul(and(c, m), dbl)
                    t := add(
                        add(f, add(mload(add(p, 0x40)), mload(add(p, 0xa40)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(e, and(c, xor(d, e))))
                    )
                    b := add(b, t)
                    l := mul(and(g, m), dbl)
                    f := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(g, or(h, a)), and(h, a))))
                    l := mul(and(b, m), dbl)
                    t := add(
                        add(e, add(mload(add(p, 0x60)), mload(add(p, 0xa60)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(d, and(b, xor(c, d))))
                    )
                    a := add(a, t)
                    l := mul(and(f, m), dbl)
                    e := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(f, or(g, h)), and(g, h))))
                    l := mul(and(a, m), dbl)
                    t := add(
                        add(d, add(mload(add(p, 0x80)), mload(add(p, 0xa80)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(c, and(a, xor(b, c))))
                    )
                    h := add(h, t)
                    l := mul(and(e, m), dbl)
                    d := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(e, or(f, g)), and(f, g))))
                    l := mul(and(h, m), dbl)
                    t := add(
                        add(c, add(mload(add(p, 0xa0)), mload(add(p, 0xaa0)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(b, and(h, xor(a, b))))
                    )
                    g := add(g, t)
                    l := mul(and(d, m), dbl)
                    c := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(d, or(e, f)), and(e, f))))
                    l := mul(and(g, m), dbl)
                    t := add(
                        add(b, add(mload(add(p, 0xc0)), mload(add(p, 0xac0)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(a, and(g, xor(h, a))))
                    )
                    f := add(f, t)
                    l := mul(and(c, m), dbl)
                    b := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(c, or(d, e)), and(d, e))))
                    l := mul(and(f, m), dbl)
                    t := add(
                        add(a, add(mload(add(p, 0xe0)), mload(add(p, 0xae0)))),
                        add(xor(xor(shr(14, l), shr(18, l)), shr(41, l)), xor(h, and(f, xor(g, h))))
                    )
                    e := add(e, t)
                    l := mul(and(b, m), dbl)
                    a := add(t, add(xor(xor(shr(28, l), shr(34, l)), shr(39, l)), or(and(b, or(c, d)), and(c, d))))
                }
                // H is addressed from p (== end here) rather than from base: from base, the
                // optimizer would see these loads as the ones before the rounds and keep eight more
                // values on the stack through them, which is more than it has.
                let st := add(p, 0xa00)
                mstore(st, add(mload(st), a))
                mstore(add(st, 0x20), add(mload(add(st, 0x20)), b))
                mstore(add(st, 0x40), add(mload(add(st, 0x40)), c))
                mstore(add(st, 0x60), add(mload(add(st, 0x60)), d))
                mstore(add(st, 0x80), add(mload(add(st, 0x80)), e))
                mstore(add(st, 0xa0), add(mload(add(st, 0xa0)), f))
                mstore(add(st, 0xc0), add(mload(add(st, 0xc0)), g))
                mstore(add(st, 0xe0), add(mload(add(st, 0xe0)), h))
            }

            // K: FIPS 180-4, 4.2.3. H: SHA-384's initial hash value, 5.3.4.
            let base := mload(0x40)
            mstore(add(base, 0xa00), 0x428a2f98d728ae22)
            mstore(add(base, 0xa20), 0x7137449123ef65cd)
            mstore(add(base, 0xa40), 0xb5c0fbcfec4d3b2f)
            mstore(add(base, 0xa60), 0xe9b5dba58189dbbc)
            mstore(add(base, 0xa80), 0x3956c25bf348b538)
            mstore(add(base, 0xaa0), 0x59f111f1b605d019)
            mstore(add(base, 0xac0), 0x923f82a4af194f9b)
            mstore(add(base, 0xae0), 0xab1c5ed5da6d8118)
            mstore(add(base, 0xb00), 0xd807aa98a3030242)
            mstore(add(base, 0xb20), 0x12835b0145706fbe)
            mstore(add(base, 0xb40), 0x243185be4ee4b28c)
            mstore(add(base, 0xb60), 0x550c7dc3d5ffb4e2)
            mstore(add(base, 0xb80), 0x72be5d74f27b896f)
            mstore(add(base, 0xba0), 0x80deb1fe3b1696b1)
            mstore(add(base, 0xbc0), 0x9bdc06a725c71235)
            mstore(add(base, 0xbe0), 0xc19bf174cf692694)
            mstore(add(base, 0xc00), 0xe49b69c19ef14ad2)
            mstore(add(base, 0xc20), 0xefbe4786384f25e3)
            mstore(add(base, 0xc40), 0x0fc19dc68b8cd5b5)
            mstore(add(base, 0xc60), 0x240ca1cc77ac9c65)
            mstore(add(base, 0xc80), 0x2de92c6f592b0275)
            mstore(add(base, 0xca0), 0x4a7484aa6ea6e483)
            mstore(add(base, 0xcc0), 0x5cb0a9dcbd41fbd4)
            mstore(add(base, 0xce0), 0x76f988da831153b5)
            mstore(add(base, 0xd00), 0x983e5152ee66dfab)
            mstore(add(base, 0xd20), 0xa831c66d2db43210)
            mstore(add(base, 0xd40), 0xb00327c898fb213f)
            mstore(add(base, 0xd60), 0xbf597fc7beef0ee4)
            mstore(add(base, 0xd80), 0xc6e00bf33da88fc2)
            mstore(add(base, 0xda0), 0xd5a79147930aa725)
            mstore(add(base, 0xdc0), 0x06ca6351e003826f)
            mstore(add(base, 0xde0), 0x142929670a0e6e70)
            mstore(add(base, 0xe00), 0x27b70a8546d22ffc)
            mstore(add(base, 0xe20), 0x2e1b21385c26c926)
            mstore(add(base, 0xe40), 0x4d2c6dfc5ac42aed)
            mstore(add(base, 0xe60), 0x53380d139d95b3df)
            mstore(add(base, 0xe80), 0x650a73548baf63de)
            mstore(add(base, 0xea0), 0x766a0abb3c77b2a8)
            mstore(add(base, 0xec0), 0x81c2c92e47edaee6)
            mstore(add(base, 0xee0), 0x92722c851482353b)
            mstore(add(base, 0xf00), 0xa2bfe8a14cf10364)
            mstore(add(base, 0xf20), 0xa81a664bbc423001)
            mstore(add(base, 0xf40), 0xc24b8b70d0f89791)
            mstore(add(base, 0xf60), 0xc76c51a30654be30)
            mstore(add(base, 0xf80), 0xd192e819d6ef5218)
            mstore(add(base, 0xfa0), 0xd69906245565a910)
            mstore(add(base, 0xfc0), 0xf40e35855771202a)
            mstore(add(base, 0xfe0), 0x106aa07032bbd1b8)
            mstore(add(base, 0x1000), 0x19a4c116b8d2d0c8)
            mstore(add(base, 0x1020), 0x1e376c085141ab53)
            mstore(add(base, 0x1040), 0x2748774cdf8eeb99)
            mstore(add(base, 0x1060), 0x34b0bcb5e19b48a8)
            mstore(add(base, 0x1080), 0x391c0cb3c5c95a63)
            mstore(add(base, 0x10a0), 0x4ed8aa4ae3418acb)
            mstore(add(base, 0x10c0), 0x5b9cca4f7763e373)
            mstore(add(base, 0x10e0), 0x682e6ff3d6b2b8a3)
            mstore(add(base, 0x1100), 0x748f82ee5defb2fc)
            mstore(add(base, 0x1120), 0x78a5636f43172f60)
            mstore(add(base, 0x1140), 0x84c87814a1f0ab72)
            mstore(add(base, 0x1160), 0x8cc702081a6439ec)
            mstore(add(base, 0x1180), 0x90befffa23631e28)
            mstore(add(base, 0x11a0), 0xa4506cebde82bde9)
            mstore(add(base, 0x11c0), 0xbef9a3f7b2c67915)
            mstore(add(base, 0x11e0), 0xc67178f2e372532b)
            mstore(add(base, 0x1200), 0xca273eceea26619c)
            mstore(add(base, 0x1220), 0xd186b8c721c0c207)
            mstore(add(base, 0x1240), 0xeada7dd6cde0eb1e)
            mstore(add(base, 0x1260), 0xf57d4f7fee6ed178)
            mstore(add(base, 0x1280), 0x06f067aa72176fba)
            mstore(add(base, 0x12a0), 0x0a637dc5a2c898a6)
            mstore(add(base, 0x12c0), 0x113f9804bef90dae)
            mstore(add(base, 0x12e0), 0x1b710b35131c471b)
            mstore(add(base, 0x1300), 0x28db77f523047d84)
            mstore(add(base, 0x1320), 0x32caab7b40c72493)
            mstore(add(base, 0x1340), 0x3c9ebe0a15c9bebc)
            mstore(add(base, 0x1360), 0x431d67c49c100d4c)
            mstore(add(base, 0x1380), 0x4cc5d4becb3e42b6)
            mstore(add(base, 0x13a0), 0x597f299cfc657e2a)
            mstore(add(base, 0x13c0), 0x5fcb6fab3ad6faec)
            mstore(add(base, 0x13e0), 0x6c44198c4a475817)
            let st := add(base, 0x1400)
            mstore(st, 0xcbbb9d5dc1059ed8)
            mstore(add(st, 0x20), 0x629a292a367cd507)
            mstore(add(st, 0x40), 0x9159015a3070dd17)
            mstore(add(st, 0x60), 0x152fecd8f70e5939)
            mstore(add(st, 0x80), 0x67332667ffc00b31)
            mstore(add(st, 0xa0), 0x8eb44a8768581511)
            mstore(add(st, 0xc0), 0xdb0c2e0d64f98fa7)
            mstore(add(st, 0xe0), 0x47b5481dbefa4fa4)
            mstore(add(base, 0x1500), 0xffffffffffffffff)

            let src := add(add(data, 0x20), offset)
            for { let end := add(src, and(length, not(0x7f))) } lt(src, end) { src := add(src, 0x80) } {
                compress(src, base)
            }

            // The tail, 0x80, zeros and the message length in bits (128-bit, big-endian): one
            // block, or two when the tail leaves fewer than 17 bytes for the rest (112 to 127).
            let pad := add(base, 0x1520)
            let rem := and(length, 0x7f)
            calldatacopy(pad, calldatasize(), 0x100) // 256 zero bytes: calldata reads zero past its end
            let last := pad
            if gt(rem, 111) { last := add(pad, 0x80) }
            // First, as its upper 16 bytes (zero) overlap where the tail and 0x80 may go.
            mstore(add(last, 0x60), shl(3, length))
            mcopy(pad, src, rem)
            mstore8(add(pad, rem), 0x80)
            compress(pad, base)
            if gt(rem, 111) { compress(last, base) }

            // H0..H5 with the junk above each word shifted out.
            digest := base
            mstore(digest, 48)
            mstore(
                add(digest, 0x20),
                or(
                    or(shl(192, mload(st)), shr(64, shl(192, mload(add(st, 0x20))))),
                    or(shr(128, shl(192, mload(add(st, 0x40)))), shr(192, shl(192, mload(add(st, 0x60)))))
                )
            )
            mstore(add(digest, 0x40), or(shl(192, mload(add(st, 0x80))), shr(64, shl(192, mload(add(st, 0xa0))))))
            mstore(0x40, add(digest, 0x60))
        }
    }
}
