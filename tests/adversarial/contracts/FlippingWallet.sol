// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice TEST DOUBLE of an attacker's ERC-1271 smart wallet used as a channel payer
/// (payerAuthorizer = 0), tests/adversarial/test_channel_attacks.py. It honours its owner's ECDSA
/// signatures until the owner flips it, then rejects everything (revoking every voucher it gave);
/// in `reenter` mode its isValidSignature tries to write state (a settle) to test that the
/// settlement's ERC-1271 check is a staticcall. `execute` lets the owner act as the payer.
contract FlippingWallet {
    address public immutable owner;
    bool public honouring = true;
    address public reenterTarget;
    bytes private reenterPayload;

    constructor(address owner_) {
        owner = owner_;
    }

    function setHonouring(bool honouring_) external {
        require(msg.sender == owner, "owner");
        honouring = honouring_;
    }

    function setReenter(address target, bytes calldata payload) external {
        require(msg.sender == owner, "owner");
        reenterTarget = target;
        reenterPayload = payload;
    }

    function execute(address target, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "owner");
        (bool success, bytes memory result) = target.call(data);
        if (!success) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external returns (bytes4) {
        if (reenterTarget != address(0)) {
            (bool success,) = reenterTarget.call(reenterPayload);
            require(success, "reentry failed");
        }
        if (!honouring) return 0xffffffff;
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}
