// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @notice TEST DOUBLE of an EIP-7702 delegate an attacker's EOA points its code at
/// (tests/adversarial/test_channel_attacks.py): once delegated, the account "is a contract" and
/// answers every ERC-1271 question with "invalid", so signatures it made as a plain EOA stop
/// verifying wherever SignatureChecker routes accounts with code to ERC-1271 only.
contract RejectingDelegate {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        return 0xffffffff;
    }
}
