// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice TEST DOUBLE of a hostile deposit collector (tests/adversarial/test_channel_attacks.py).
/// BatchSettlement.deposit lets its caller name any collector; this one, while `collect` runs
/// (inside deposit, after the channel's balance was already raised), makes the scripted calls
/// (re-entering the settlement, calling the real collector, ...), records what each returned,
/// then pays the deposit out of its own token balance so the outer deposit can complete.
/// With an empty script it is a plain "pay from my own balance" collector.
contract ScriptedCollector {
    address[] private targets;
    bytes[] private payloads;
    bool[] public ok;
    bytes[] public returned;
    bool private running;

    function setScript(address[] calldata targets_, bytes[] calldata payloads_) external {
        delete targets;
        delete payloads;
        delete ok;
        delete returned;
        for (uint256 i = 0; i < targets_.length; ++i) {
            targets.push(targets_[i]);
            payloads.push(payloads_[i]);
        }
    }

    function scriptLength() external view returns (uint256) {
        return ok.length;
    }

    function collect(address, address token, uint256 amount, bytes32, bytes calldata) external {
        if (!running) {
            running = true; // a nested deposit that got through would call us again: run once
            for (uint256 i = 0; i < targets.length; ++i) {
                (bool success, bytes memory data) = targets[i].call(payloads[i]);
                ok.push(success);
                returned.push(data);
            }
            running = false;
        }
        IERC20(token).transfer(msg.sender, amount);
    }
}
