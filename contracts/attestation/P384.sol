// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @title P384
/// @notice ECDSA signature verification over NIST P-384 (secp384r1), the curve of AWS Nitro
/// attestation documents (COSE ES384) and of their X.509 certificate chain.
/// @dev The curve arithmetic is Solarity's ECDSA384, vendored below (~8.2 M gas a verification
/// under the Prague gas schedule). This wrapper fixes the curve and shields callers from three of
/// ECDSA384's habits: it asserts (a panic, not `false`) on a signature or key that is not 96
/// bytes; it accepts only s <= n/2, while X.509 and COSE signers do not normalize s (all four
/// certificates of a real Nitro chain have s > n/2); and it rejects a coordinate equal to p but
/// not one above it.
library P384 {
    // SEC 2 v2, section 3.2.1.4 (secp384r1), big-endian, 48 bytes each.
    bytes private constant A =
        hex"fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc";
    bytes private constant B =
        hex"b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef";
    bytes private constant GX =
        hex"aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7";
    bytes private constant GY =
        hex"3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f";
    bytes private constant P =
        hex"fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff";
    bytes private constant N =
        hex"ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

    // The same p, n and floor(n / 2) as 384-bit numbers split into their top 128 and low 256 bits.
    uint256 private constant P_HI = 0xffffffffffffffffffffffffffffffff;
    uint256 private constant P_LO = 0xfffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff;
    uint256 private constant N_HI = 0xffffffffffffffffffffffffffffffff;
    uint256 private constant N_LO = 0xffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973;
    uint256 private constant HALF_N_HI = 0x7fffffffffffffffffffffffffffffff;
    uint256 private constant HALF_N_LO = 0xffffffffffffffffe3b1a6c0fa1b96efac0d06d9245853bd76760cb5666294b9;

    /// @notice Whether `signature` (r || s, 48 bytes each, big-endian) is a P-384 ECDSA signature
    /// of the 48-byte message hash `digest` under `publicKey` (x || y, 48 bytes each, the
    /// uncompressed point without its 0x04 prefix). Malformed input of any kind is `false`, never
    /// a revert. Either s of a signature is accepted: (r, s) and (r, n - s) are both valid.
    function verify(bytes memory digest, bytes memory signature, bytes memory publicKey)
        internal
        view
        returns (bool)
    {
        if (digest.length != 48 || signature.length != 96 || publicKey.length != 96) return false;

        // A coordinate above p would pass ECDSA384's curve check as itself minus p: a second
        // encoding of some point, which is no public key.
        (uint256 xHi, uint256 xLo) = _read384(publicKey, 0);
        (uint256 yHi, uint256 yLo) = _read384(publicKey, 48);
        if (!_lessThan(xHi, xLo, P_HI, P_LO) || !_lessThan(yHi, yLo, P_HI, P_LO)) return false;

        // n - s is only defined for s < n; ECDSA384 would refuse s >= n anyway (as above n/2).
        (uint256 sHi, uint256 sLo) = _read384(signature, 48);
        if (!_lessThan(sHi, sLo, N_HI, N_LO)) return false;
        if (_lessThan(HALF_N_HI, HALF_N_LO, sHi, sLo)) signature = _withNegatedS(signature, sHi, sLo);

        // 0 < r < n, s != 0 and the key being on the curve are ECDSA384's checks. It takes the
        // digest as a 384-bit integer and reduces it mod n, as ECDSA does with a hash as long as
        // the order (one >= n is possible: n < 2^384).
        return ECDSA384.verify(
            ECDSA384.Parameters({a: A, b: B, gx: GX, gy: GY, p: P, n: N}), digest, signature, publicKey
        );
    }

    /// @dev The 48 bytes of `data` at `offset` as (top 128 bits, low 256 bits); in bounds by the
    /// length checks of `verify`.
    function _read384(bytes memory data, uint256 offset) private pure returns (uint256 hi, uint256 lo) {
        assembly ("memory-safe") {
            let p := add(add(data, 0x20), offset)
            hi := shr(128, mload(p))
            lo := mload(add(p, 0x10))
        }
    }

    function _lessThan(uint256 aHi, uint256 aLo, uint256 bHi, uint256 bLo) private pure returns (bool) {
        return aHi < bHi || (aHi == bHi && aLo < bLo);
    }

    /// @dev A copy of `signature` with s replaced by n - s (0 < s < n): the caller's bytes stay as
    /// they are.
    function _withNegatedS(bytes memory signature, uint256 sHi, uint256 sLo)
        private
        pure
        returns (bytes memory negated)
    {
        uint256 lo;
        uint256 hi;
        unchecked {
            lo = N_LO - sLo;
            hi = N_HI - sHi - (sLo > N_LO ? 1 : 0);
        }
        negated = new bytes(96);
        assembly ("memory-safe") {
            mstore(add(negated, 0x20), mload(add(signature, 0x20)))
            // The last 16 bytes of r, then the top 16 bytes of the new s.
            mstore(add(negated, 0x40), or(and(mload(add(signature, 0x40)), shl(128, not(0))), hi))
            mstore(add(negated, 0x60), lo)
        }
    }
}

// -------------------------------------------------------------------------------------------------
// Solarity's ECDSA384, vendored from npm @solarity/solidity-lib 3.1.0: the library of
// libs/crypto/ECDSA384.sol, and the functions it calls from libs/bn/U512.sol and
// libs/utils/MemoryUtils.sol. Their code is unchanged but for two things: every assembly block is
// marked ("memory-safe"), and what ECDSA384 does not call (and the doc comments of its library
// and of U512) is left out.
//
// Why not import the package: as published, ECDSA384 does not compile with this project's
// settings (viaIR with the optimizer; solc 0.8.37): _doubleScalarMultiplication is too deep in
// the stack. The compiler moves such variables to memory, but only in a contract all of whose
// assembly is marked memory-safe, and Solarity's is not marked. It is memory-safe: it writes only
// memory it has allocated by moving the free memory pointer (512-bit numbers of 64 bytes, and a
// 384-byte frame for the precompile calls whose first 0x40 bytes are the buffer that _buffer
// returns and whose writes end at call_ + 0x140, the frame's end).
//
// The original's license:
//
// MIT License
//
// Copyright (c) 2023 Solarity
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
// SOFTWARE.
// -------------------------------------------------------------------------------------------------

type uint512 is uint256;
type call512 is uint256;

library ECDSA384 {
    using MemoryUtils for *;

    /**
     * @notice 384-bit curve parameters.
     */
    struct Parameters {
        bytes a;
        bytes b;
        bytes gx;
        bytes gy;
        bytes p;
        bytes n;
    }

    // solhint-disable-next-line contract-name-capwords
    struct _Parameters {
        uint512 a;
        uint512 b;
        uint512 gx;
        uint512 gy;
        uint512 p;
        uint512 n;
    }

    // solhint-disable-next-line contract-name-capwords
    struct _Inputs {
        uint512 r;
        uint512 s;
        uint512 x;
        uint512 y;
    }

    /**
     * @notice The function to verify the ECDSA signature
     * @param curveParams_ the 384-bit curve parameters.
     * @param hashedMessage_ the already hashed message to be verified.
     * @param signature_ the ECDSA signature. Equals to `bytes(r) + bytes(s)`.
     * @param pubKey_ the full public key of a signer. Equals to `bytes(x) + bytes(y)`.
     *
     * Note that signatures only from the lower part of the curve are accepted.
     * If your `s > n / 2`, change it to `s = n - s`.
     */
    function verify(
        Parameters memory curveParams_,
        bytes memory hashedMessage_,
        bytes memory signature_,
        bytes memory pubKey_
    ) internal view returns (bool) {
        unchecked {
            _Inputs memory inputs_;

            (inputs_.r, inputs_.s) = _u512FromBytes2(signature_);
            (inputs_.x, inputs_.y) = _u512FromBytes2(pubKey_);

            _Parameters memory params_ = _Parameters({
                a: U512.fromBytes(curveParams_.a),
                b: U512.fromBytes(curveParams_.b),
                gx: U512.fromBytes(curveParams_.gx),
                gy: U512.fromBytes(curveParams_.gy),
                p: U512.fromBytes(curveParams_.p),
                n: U512.fromBytes(curveParams_.n)
            });

            call512 call_ = U512.initCall();

            /// accept s only from the lower part of the curve
            if (
                U512.eqU256(inputs_.r, 0) ||
                U512.cmp(inputs_.r, params_.n) >= 0 ||
                U512.eqU256(inputs_.s, 0) ||
                U512.cmp(inputs_.s, U512.shr(params_.n, 1)) > 0
            ) {
                return false;
            }

            if (!_isOnCurve(call_, params_.p, params_.a, params_.b, inputs_.x, inputs_.y)) {
                return false;
            }

            uint512 scalar1_ = U512.moddiv(
                call_,
                U512.fromBytes(hashedMessage_),
                inputs_.s,
                params_.n
            );
            uint512 scalar2_ = U512.moddiv(call_, inputs_.r, inputs_.s, params_.n);

            {
                /// We use 6-bit masks where the first 3 bits refer to `scalar1` and the last 3 bits refer to `scalar2`.
                uint512[2][64] memory points_ = _precomputePointsTable(
                    call_,
                    params_.p,
                    U512.fromUint256(2),
                    U512.fromUint256(3),
                    params_.a,
                    inputs_.x,
                    inputs_.y,
                    params_.gx,
                    params_.gy
                );

                (scalar1_, ) = _doubleScalarMultiplication(
                    call_,
                    params_.p,
                    U512.fromUint256(2),
                    U512.fromUint256(3),
                    params_.a,
                    points_,
                    scalar1_,
                    scalar2_
                );
            }

            U512.modAssign(call_, scalar1_, params_.n);

            return U512.eq(scalar1_, inputs_.r);
        }
    }

    /**
     * @dev Check if a point in affine coordinates is on the curve.
     */
    function _isOnCurve(
        call512 call_,
        uint512 p_,
        uint512 a_,
        uint512 b_,
        uint512 x_,
        uint512 y_
    ) private view returns (bool) {
        unchecked {
            if (U512.eqU256(x_, 0) || U512.eq(x_, p_) || U512.eqU256(y_, 0) || U512.eq(y_, p_)) {
                return false;
            }

            uint512 lhs_ = U512.modexpU256(call_, y_, 2, p_);
            uint512 rhs_ = U512.modexpU256(call_, x_, 3, p_);

            if (!U512.eqU256(a_, 0)) {
                rhs_ = U512.redadd(call_, rhs_, U512.modmul(call_, x_, a_, p_), p_); // x^3 + a*x
            }

            if (!U512.eqU256(b_, 0)) {
                rhs_ = U512.redadd(call_, rhs_, b_, p_); // x^3 + a*x + b
            }

            return U512.eq(lhs_, rhs_);
        }
    }

    /**
     * @dev Compute the Strauss-Shamir double scalar multiplication scalar1*G + scalar2*H.
     */
    function _doubleScalarMultiplication(
        call512 call_,
        uint512 p_,
        uint512 two_,
        uint512 three_,
        uint512 a_,
        uint512[2][64] memory points_,
        uint512 scalar1_,
        uint512 scalar2_
    ) private view returns (uint512 x_, uint512 y_) {
        unchecked {
            uint256 mask_;
            uint256 mask1_;
            uint256 mask2_;

            for (uint256 bit = 3; bit <= 386; ) {
                if (bit <= 384) {
                    mask1_ = _getWord(scalar1_, 384 - bit);
                    mask2_ = _getWord(scalar2_, 384 - bit);

                    if ((mask1_ >> 2) == 0 && (mask2_ >> 2) == 0) {
                        (x_, y_) = _twiceAffine(call_, p_, two_, three_, a_, x_, y_);
                        ++bit;
                        continue;
                    }

                    (x_, y_) = _twiceAffine(call_, p_, two_, three_, a_, x_, y_);
                    (x_, y_) = _twiceAffine(call_, p_, two_, three_, a_, x_, y_);
                    (x_, y_) = _twiceAffine(call_, p_, two_, three_, a_, x_, y_);

                    bit += 3;
                } else if (bit == 385) {
                    mask1_ = _getWord(scalar1_, 0) & 0x03;
                    mask2_ = _getWord(scalar2_, 0) & 0x03;

                    (x_, y_) = _twiceAffine(call_, p_, two_, three_, a_, x_, y_);
                    (x_, y_) = _twiceAffine(call_, p_, two_, three_, a_, x_, y_);

                    bit += 2;
                } else {
                    mask1_ = _getWord(scalar1_, 0) & 0x01;
                    mask2_ = _getWord(scalar2_, 0) & 0x01;

                    (x_, y_) = _twiceAffine(call_, p_, two_, three_, a_, x_, y_);

                    ++bit;
                }

                mask_ = (mask1_ << 3) | mask2_;

                if (mask_ != 0) {
                    (x_, y_) = _addAffine(
                        call_,
                        p_,
                        two_,
                        three_,
                        a_,
                        points_[mask_][0],
                        points_[mask_][1],
                        x_,
                        y_
                    );
                }
            }

            return (x_, y_);
        }
    }

    function _getWord(uint512 scalar_, uint256 bit_) private pure returns (uint256) {
        unchecked {
            uint256 word_;
            if (bit_ <= 253) {
                assembly ("memory-safe") {
                    word_ := mload(add(scalar_, 0x20))
                }

                return (word_ >> bit_) & 0x07;
            }

            assembly ("memory-safe") {
                word_ := mload(add(scalar_, 0x10))
            }

            return (word_ >> (bit_ - 128)) & 0x07;
        }
    }

    /**
     * @dev Double an elliptic curve point in affine coordinates.
     */
    function _twiceAffine(
        call512 call_,
        uint512 p_,
        uint512 two_,
        uint512 three_,
        uint512 a_,
        uint512 x1_,
        uint512 y1_
    ) private view returns (uint512 x2_, uint512 y2_) {
        unchecked {
            if (U512.isNull(x1_)) {
                return (x2_, y2_);
            }

            if (U512.eqU256(y1_, 0)) {
                return (x2_, y2_);
            }

            uint512 m1_ = U512.modexpU256(call_, x1_, 2, p_);
            U512.modmulAssign(call_, m1_, three_, p_);
            U512.redaddAssign(call_, m1_, a_, p_);

            uint512 m2_ = U512.modmul(call_, y1_, two_, p_);
            U512.moddivAssign(call_, m1_, m2_, p_);

            x2_ = U512.modexpU256(call_, m1_, 2, p_);
            U512.redsubAssign(call_, x2_, x1_, p_);
            U512.redsubAssign(call_, x2_, x1_, p_);

            y2_ = U512.redsub(call_, x1_, x2_, p_);
            U512.modmulAssign(call_, y2_, m1_, p_);
            U512.redsubAssign(call_, y2_, y1_, p_);
        }
    }

    /**
     * @dev Add two elliptic curve points in affine coordinates.
     */
    function _addAffine(
        call512 call_,
        uint512 p_,
        uint512 two_,
        uint512 three_,
        uint512 a_,
        uint512 x1_,
        uint512 y1_,
        uint512 x2_,
        uint512 y2_
    ) private view returns (uint512 x3, uint512 y3) {
        unchecked {
            if (U512.isNull(x1_) || U512.isNull(x2_)) {
                if (U512.isNull(x1_) && U512.isNull(x2_)) {
                    return (x3, y3);
                }

                return
                    U512.isNull(x1_)
                        ? (U512.copy(x2_), U512.copy(y2_))
                        : (U512.copy(x1_), U512.copy(y1_));
            }

            if (U512.eq(x1_, x2_)) {
                if (U512.eq(y1_, y2_)) {
                    return _twiceAffine(call_, p_, two_, three_, a_, x1_, y1_);
                }

                return (x3, y3);
            }

            uint512 m1_ = U512.redsub(call_, y1_, y2_, p_);
            uint512 m2_ = U512.redsub(call_, x1_, x2_, p_);

            U512.moddivAssign(call_, m1_, m2_, p_);

            x3 = U512.modexpU256(call_, m1_, 2, p_);
            U512.redsubAssign(call_, x3, x1_, p_);
            U512.redsubAssign(call_, x3, x2_, p_);

            y3 = U512.redsub(call_, x1_, x3, p_);
            U512.modmulAssign(call_, y3, m1_, p_);
            U512.redsubAssign(call_, y3, y1_, p_);
        }
    }

    function _precomputePointsTable(
        call512 call_,
        uint512 p_,
        uint512 two_,
        uint512 three_,
        uint512 a_,
        uint512 hx_,
        uint512 hy_,
        uint512 gx_,
        uint512 gy_
    ) private view returns (uint512[2][64] memory points_) {
        unchecked {
            (points_[0x01][0], points_[0x01][1]) = (U512.copy(hx_), U512.copy(hy_));
            (points_[0x08][0], points_[0x08][1]) = (U512.copy(gx_), U512.copy(gy_));

            for (uint256 i = 0; i < 8; ++i) {
                for (uint256 j = 0; j < 8; ++j) {
                    if (i + j < 2) {
                        continue;
                    }

                    uint256 maskTo = (i << 3) | j;

                    if (i != 0) {
                        uint256 maskFrom = ((i - 1) << 3) | j;

                        (points_[maskTo][0], points_[maskTo][1]) = _addAffine(
                            call_,
                            p_,
                            two_,
                            three_,
                            a_,
                            points_[maskFrom][0],
                            points_[maskFrom][1],
                            gx_,
                            gy_
                        );
                    } else {
                        (points_[maskTo][0], points_[maskTo][1]) = _addAffine(
                            call_,
                            p_,
                            two_,
                            three_,
                            a_,
                            points_[(i << 3) | (j - 1)][0],
                            points_[(i << 3) | (j - 1)][1],
                            hx_,
                            hy_
                        );
                    }
                }
            }

            return points_;
        }
    }

    /**
     * @dev Convert 96 bytes to two 512-bit unsigned integers.
     */
    function _u512FromBytes2(bytes memory bytes_) private view returns (uint512, uint512) {
        unchecked {
            assert(bytes_.length == 96);

            bytes memory lhs_ = new bytes(48);
            bytes memory rhs_ = new bytes(48);

            MemoryUtils.unsafeCopy(bytes_.getDataPointer(), lhs_.getDataPointer(), 48);
            MemoryUtils.unsafeCopy(bytes_.getDataPointer() + 48, rhs_.getDataPointer(), 48);

            return (U512.fromBytes(lhs_), U512.fromBytes(rhs_));
        }
    }
}

library U512 {
    uint256 private constant _UINT512_ALLOCATION = 64;
    uint256 private constant _CALL_ALLOCATION = 384;

    function initCall() internal pure returns (call512 call_) {
        unchecked {
            call_ = call512.wrap(_allocate(_CALL_ALLOCATION));

            assembly ("memory-safe") {
                call_ := add(call_, 0x40)
            }
        }
    }

    function fromUint256(uint256 u256_) internal pure returns (uint512 u512_) {
        unchecked {
            u512_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            assembly ("memory-safe") {
                mstore(u512_, 0x00)
                mstore(add(u512_, 0x20), u256_)
            }
        }
    }

    function fromBytes(bytes memory bytes_) internal view returns (uint512 u512_) {
        unchecked {
            assert(bytes_.length < 65);

            u512_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            assembly ("memory-safe") {
                mstore(u512_, 0)
                mstore(add(u512_, 0x20), 0)

                let size_ := mload(bytes_)
                pop(
                    staticcall(
                        gas(),
                        0x4,
                        add(bytes_, 0x20),
                        size_,
                        add(u512_, sub(0x40, size_)),
                        size_
                    )
                )
            }
        }
    }

    function copy(uint512 u512_) internal pure returns (uint512 u512Copy_) {
        unchecked {
            u512Copy_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            assembly ("memory-safe") {
                mstore(u512Copy_, mload(u512_))
                mstore(add(u512Copy_, 0x20), mload(add(u512_, 0x20)))
            }
        }
    }

    function assign(uint512 u512_, uint512 to_) internal pure {
        unchecked {
            assembly ("memory-safe") {
                mstore(to_, mload(u512_))
                mstore(add(to_, 0x20), mload(add(u512_, 0x20)))
            }
        }
    }

    function isNull(uint512 u512_) internal pure returns (bool isNull_) {
        unchecked {
            assembly ("memory-safe") {
                isNull_ := iszero(u512_)
            }
        }
    }

    function eq(uint512 a_, uint512 b_) internal pure returns (bool eq_) {
        unchecked {
            assembly ("memory-safe") {
                eq_ := and(
                    eq(mload(a_), mload(b_)),
                    eq(mload(add(a_, 0x20)), mload(add(b_, 0x20)))
                )
            }
        }
    }

    function eqU256(uint512 a_, uint256 u256_) internal pure returns (bool eq_) {
        unchecked {
            assembly ("memory-safe") {
                eq_ := and(eq(mload(a_), 0), eq(mload(add(a_, 0x20)), u256_))
            }
        }
    }

    function cmp(uint512 a_, uint512 b_) internal pure returns (int256) {
        unchecked {
            uint256 aWord_;
            uint256 bWord_;

            assembly ("memory-safe") {
                aWord_ := mload(a_)
                bWord_ := mload(b_)
            }

            if (aWord_ > bWord_) {
                return 1;
            }

            if (aWord_ < bWord_) {
                return -1;
            }

            assembly ("memory-safe") {
                aWord_ := mload(add(a_, 0x20))
                bWord_ := mload(add(b_, 0x20))
            }

            if (aWord_ > bWord_) {
                return 1;
            }

            if (aWord_ < bWord_) {
                return -1;
            }

            return 0;
        }
    }

    function modAssign(call512 call_, uint512 a_, uint512 m_) internal view {
        unchecked {
            _mod(call_, a_, m_, a_);
        }
    }

    function modexpU256(
        call512 call_,
        uint512 b_,
        uint256 e_,
        uint512 m_
    ) internal view returns (uint512 r_) {
        unchecked {
            r_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            _modexpU256(call_, b_, e_, m_, r_);
        }
    }

    function modmul(
        call512 call_,
        uint512 a_,
        uint512 b_,
        uint512 m_
    ) internal view returns (uint512 r_) {
        unchecked {
            r_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            _modmul(call_, a_, b_, m_, r_);
        }
    }

    function modmulAssign(call512 call_, uint512 a_, uint512 b_, uint512 m_) internal view {
        unchecked {
            _modmul(call_, a_, b_, m_, a_);
        }
    }

    function redadd(
        call512 call_,
        uint512 a_,
        uint512 b_,
        uint512 m_
    ) internal pure returns (uint512 r_) {
        unchecked {
            r_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            _redadd(call_, a_, b_, m_, r_);
        }
    }

    function redaddAssign(call512 call_, uint512 a_, uint512 b_, uint512 m_) internal pure {
        unchecked {
            _redadd(call_, a_, b_, m_, a_);
        }
    }

    function redsub(
        call512 call_,
        uint512 a_,
        uint512 b_,
        uint512 m_
    ) internal pure returns (uint512 r_) {
        unchecked {
            r_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            _redsub(call_, a_, b_, m_, r_);
        }
    }

    function redsubAssign(call512 call_, uint512 a_, uint512 b_, uint512 m_) internal pure {
        unchecked {
            _redsub(call_, a_, b_, m_, a_);
        }
    }

    function moddiv(
        call512 call_,
        uint512 a_,
        uint512 b_,
        uint512 m_
    ) internal view returns (uint512 r_) {
        unchecked {
            r_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            _moddiv(call_, a_, b_, m_, r_);
        }
    }

    function moddivAssign(call512 call_, uint512 a_, uint512 b_, uint512 m_) internal view {
        unchecked {
            _moddiv(call_, a_, b_, m_, a_);
        }
    }

    function shr(uint512 a_, uint8 b_) internal pure returns (uint512 r_) {
        unchecked {
            r_ = uint512.wrap(_allocate(_UINT512_ALLOCATION));

            _shr(a_, b_, r_);
        }
    }

    function _mod(call512 call_, uint512 a_, uint512 m_, uint512 r_) private view {
        unchecked {
            assembly ("memory-safe") {
                mstore(call_, 0x40)
                mstore(add(call_, 0x20), 0x20)
                mstore(add(call_, 0x40), 0x40)
                mstore(add(call_, 0x60), mload(a_))
                mstore(add(call_, 0x80), mload(add(a_, 0x20)))
                mstore(add(call_, 0xA0), 0x01)
                mstore(add(call_, 0xC0), mload(m_))
                mstore(add(call_, 0xE0), mload(add(m_, 0x20)))

                pop(staticcall(gas(), 0x5, call_, 0x0100, r_, 0x40))
            }
        }
    }

    function _modexpU256(
        call512 call_,
        uint512 a_,
        uint256 e_,
        uint512 m_,
        uint512 r_
    ) private view {
        unchecked {
            assembly ("memory-safe") {
                mstore(call_, 0x40)
                mstore(add(call_, 0x20), 0x20)
                mstore(add(call_, 0x40), 0x40)
                mstore(add(call_, 0x60), mload(a_))
                mstore(add(call_, 0x80), mload(add(a_, 0x20)))
                mstore(add(call_, 0xA0), e_)
                mstore(add(call_, 0xC0), mload(m_))
                mstore(add(call_, 0xE0), mload(add(m_, 0x20)))

                pop(staticcall(gas(), 0x5, call_, 0x0100, r_, 0x40))
            }
        }
    }

    function _modinv(call512 call_, uint512 a_, uint512 m_, uint512 r_) private view {
        unchecked {
            uint512 buffer_ = _buffer(call_);

            assembly ("memory-safe") {
                mstore(buffer_, 0x00)
                mstore(add(buffer_, 0x20), 0x02)
            }

            _sub(m_, buffer_, buffer_);

            assembly ("memory-safe") {
                mstore(call_, 0x40)
                mstore(add(0x20, call_), 0x40)
                mstore(add(0x40, call_), 0x40)
                mstore(add(0x60, call_), mload(a_))
                mstore(add(0x80, call_), mload(add(a_, 0x20)))
                mstore(add(0xA0, call_), mload(buffer_))
                mstore(add(0xC0, call_), mload(add(buffer_, 0x20)))
                mstore(add(0xE0, call_), mload(m_))
                mstore(add(0x0100, call_), mload(add(m_, 0x20)))

                pop(staticcall(gas(), 0x5, call_, 0x0120, r_, 0x40))
            }
        }
    }

    function _add(uint512 a_, uint512 b_, uint512 r_) private pure {
        unchecked {
            assembly ("memory-safe") {
                let aWord_ := mload(add(a_, 0x20))
                let sum_ := add(aWord_, mload(add(b_, 0x20)))

                mstore(add(r_, 0x20), sum_)

                sum_ := gt(aWord_, sum_)
                sum_ := add(sum_, add(mload(a_), mload(b_)))

                mstore(r_, sum_)
            }
        }
    }

    function _redadd(call512 call_, uint512 a_, uint512 b_, uint512 m_, uint512 r_) private pure {
        unchecked {
            uint512 buffer_ = _buffer(call_);
            bool overflowed_;

            assembly ("memory-safe") {
                let aWord_ := mload(add(a_, 0x20))
                let sum_ := add(aWord_, mload(add(b_, 0x20)))

                mstore(add(buffer_, 0x20), sum_)

                sum_ := gt(aWord_, sum_)
                sum_ := add(sum_, add(mload(a_), mload(b_)))

                mstore(buffer_, sum_)
                overflowed_ := gt(mload(a_), sum_)
            }

            if (overflowed_ || cmp(buffer_, m_) >= 0) {
                _sub(buffer_, m_, r_);
                return;
            }

            assign(buffer_, r_);
        }
    }

    function _sub(uint512 a_, uint512 b_, uint512 r_) private pure {
        unchecked {
            assembly ("memory-safe") {
                let aWord_ := mload(add(a_, 0x20))
                let diff_ := sub(aWord_, mload(add(b_, 0x20)))

                mstore(add(r_, 0x20), diff_)

                diff_ := gt(diff_, aWord_)
                diff_ := sub(sub(mload(a_), mload(b_)), diff_)

                mstore(r_, diff_)
            }
        }
    }

    function _redsub(call512 call_, uint512 a_, uint512 b_, uint512 m_, uint512 r_) private pure {
        unchecked {
            if (cmp(a_, b_) >= 0) {
                _sub(a_, b_, r_);
                return;
            }

            uint512 buffer_ = _buffer(call_);

            _add(a_, m_, buffer_);
            _sub(buffer_, b_, r_);
        }
    }

    function _modmul2p(call512 call_, uint512 a_, uint512 b_) private pure {
        unchecked {
            assembly ("memory-safe") {
                let a0_ := mload(a_)
                let a1_ := mload(add(a_, 0x20))
                let b0_ := mload(b_)
                let b1_ := mload(add(b_, 0x20))

                let mm_ := mulmod(
                    a1_,
                    b1_,
                    0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
                )
                let c3_ := mul(a1_, b1_)
                let c2_ := sub(sub(mm_, c3_), lt(mm_, c3_))

                mm_ := mulmod(
                    a0_,
                    b1_,
                    0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
                )
                let prod1_ := mul(a0_, b1_)
                let prod0_ := sub(sub(mm_, prod1_), lt(mm_, prod1_))

                c2_ := add(c2_, prod1_)
                let c1_ := lt(c2_, prod1_)
                c1_ := add(c1_, prod0_)
                let c0_ := lt(c1_, prod0_)

                mm_ := mulmod(
                    a1_,
                    b0_,
                    0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
                )
                prod1_ := mul(a1_, b0_)
                prod0_ := sub(sub(mm_, prod1_), lt(mm_, prod1_))

                c2_ := add(c2_, prod1_)
                c1_ := add(c1_, lt(c2_, prod1_))
                c1_ := add(c1_, prod0_)
                c0_ := add(c0_, lt(c1_, prod0_))

                mm_ := mulmod(
                    a0_,
                    b0_,
                    0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
                )
                prod1_ := mul(a0_, b0_)
                prod0_ := sub(sub(mm_, prod1_), lt(mm_, prod1_))

                c1_ := add(c1_, prod1_)
                c0_ := add(c0_, lt(c1_, prod1_))
                c0_ := add(c0_, prod0_)

                mstore(add(call_, 0xC0), c3_)
                mstore(add(call_, 0xA0), c2_)
                mstore(add(call_, 0x80), c1_)
                mstore(add(call_, 0x60), c0_)
            }
        }
    }

    function _modmul(call512 call_, uint512 a_, uint512 b_, uint512 m_, uint512 r_) private view {
        unchecked {
            _modmul2p(call_, a_, b_);

            assembly ("memory-safe") {
                mstore(call_, 0x80)
                mstore(add(call_, 0x20), 0x20)
                mstore(add(call_, 0x40), 0x40)
                mstore(add(call_, 0xE0), 0x01)
                mstore(add(call_, 0x0100), mload(m_))
                mstore(add(call_, 0x0120), mload(add(m_, 0x20)))

                pop(staticcall(gas(), 0x5, call_, 0x0140, r_, 0x40))
            }
        }
    }

    function _moddiv(call512 call_, uint512 a_, uint512 b_, uint512 m_, uint512 r_) private view {
        unchecked {
            uint512 buffer_ = _buffer(call_);

            _modinv(call_, b_, m_, buffer_);
            _modmul2p(call_, a_, buffer_);

            assembly ("memory-safe") {
                mstore(call_, 0x80)
                mstore(add(call_, 0x20), 0x20)
                mstore(add(call_, 0x40), 0x40)
                mstore(add(call_, 0xE0), 0x01)
                mstore(add(call_, 0x0100), mload(m_))
                mstore(add(call_, 0x0120), mload(add(m_, 0x20)))

                pop(staticcall(gas(), 0x5, call_, 0x0140, r_, 0x40))
            }
        }
    }

    function _shr(uint512 a_, uint8 b_, uint512 r_) private pure {
        unchecked {
            assembly ("memory-safe") {
                mstore(
                    add(r_, 0x20),
                    or(shr(b_, mload(add(a_, 0x20))), shl(sub(256, b_), mload(a_)))
                )
                mstore(r_, shr(b_, mload(a_)))
            }
        }
    }

    function _buffer(call512 call_) private pure returns (uint512 buffer_) {
        unchecked {
            assembly ("memory-safe") {
                buffer_ := sub(call_, 0x40)
            }
        }
    }

    function _allocate(uint256 bytes_) private pure returns (uint256 handler_) {
        unchecked {
            assembly ("memory-safe") {
                handler_ := mload(0x40)
                mstore(0x40, add(handler_, bytes_))
            }
        }
    }
}

library MemoryUtils {
    function unsafeCopy(
        uint256 sourcePointer_,
        uint256 destinationPointer_,
        uint256 size_
    ) internal view {
        assembly ("memory-safe") {
            pop(staticcall(gas(), 4, sourcePointer_, size_, destinationPointer_, size_))
        }
    }

    function getDataPointer(bytes memory data_) internal pure returns (uint256 pointer_) {
        assembly ("memory-safe") {
            pointer_ := add(data_, 32)
        }
    }
}
