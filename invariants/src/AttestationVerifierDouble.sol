// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {INitroVerifier} from "./interfaces/Protocol.sol";

/// @notice A test double of NitroVerifier for the invariant suite, named as one: it accepts a
/// document that is abi.encode(signer, measurement) and attests exactly that. The suite is about
/// what staking and slashing guarantee whatever the registry holds; a real Nitro-shaped document
/// needs a P-384 signature, which the harness cannot make inside the EVM (the real verifier is
/// tested against real documents in tests/chain/test_nitro_verifier.py).
contract AttestationVerifierDouble is INitroVerifier {
    function verifyDocument(bytes calldata document, bytes32)
        external
        pure
        override
        returns (Attested memory claims)
    {
        (address signer, bytes32 measurement) = abi.decode(document, (address, bytes32));
        claims.measurement = measurement;
        claims.documentHash = sha256(document);
        claims.hasUserData = true;
        claims.userData = abi.encodePacked(signer);
    }
}
