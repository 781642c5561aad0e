// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @title IAttestationVerifier
/// @notice What TEERegistry asks of the verifier of attestation documents (NitroVerifier).
interface IAttestationVerifier {
    /// @notice What a verified document attests.
    struct Attested {
        bytes32 measurement; // sha256(PCR0 || PCR1 || PCR2), the registry's NITRO measurement
        bytes32 documentHash; // sha256 of the whole document
        bytes32 leafHash; // keccak256 of the leaf certificate, the cache key of the enclave's key
        uint64 timestampMs;
        bool hasUserData;
        bytes userData;
    }

    /// @notice The claims of `document` if it verifies now under the root whose DER hashes to
    /// `rootSha256`; reverts with a named error otherwise.
    function verifyDocument(bytes calldata document, bytes32 rootSha256) external view returns (Attested memory claims);
}
