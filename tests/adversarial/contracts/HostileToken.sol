// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice TEST DOUBLE of a hostile ERC-20 (tests/adversarial/test_channel_attacks.py): anyone
/// mints any amount (to reach the uint128 edges), and an armed hook makes one scripted call from
/// inside the next transfer (to re-enter the settlement while it pays out), recording the result.
contract HostileToken is ERC20 {
    address private hookTarget;
    bytes private hookPayload;
    bool public hookRan;
    bool public hookOk;
    bytes public hookReturned;

    constructor() ERC20("Hostile", "HOST") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target, bytes calldata payload) external {
        hookTarget = target;
        hookPayload = payload;
        hookRan = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hookTarget != address(0) && !hookRan) {
            hookRan = true;
            (hookOk, hookReturned) = hookTarget.call(hookPayload);
        }
    }
}
