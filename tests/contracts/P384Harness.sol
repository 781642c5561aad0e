// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {P384} from "attestation/P384.sol";

/// @notice A test harness: exposes contracts/attestation/P384.sol, compiled with the artifacts'
/// settings, so tests/chain/test_p384.py can hold it to another implementation by eth_call.
contract P384Harness {
    function verify(bytes calldata digest, bytes calldata signature, bytes calldata publicKey)
        external
        pure
        returns (bool)
    {
        return P384.verify(digest, signature, publicKey);
    }
}
