// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {VM, Vm} from "./Vm.sol";

/// @notice What forge reads from an invariant test contract: the same public getters, structs and
/// return types as forge-std's StdInvariant (which the npm registry does not have, see Vm.sol), so
/// a test written on this base also runs on forge-std.
/// @dev Forge calls `setUp()`, then these getters by name, then fuzzes the targeted selectors and
/// calls every `invariant_*()` after each call; an invariant fails by reverting (`VM.assert*`).
/// `afterInvariant()`, if defined, runs once at the end of each run.
abstract contract InvariantTest {
    Vm internal constant vm = VM;

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    struct FuzzArtifactSelector {
        string artifact;
        bytes4[] selectors;
    }

    struct FuzzInterface {
        address addr;
        string[] artifacts;
    }

    address[] private _targetedContracts;
    address[] private _excludedContracts;
    address[] private _targetedSenders;
    address[] private _excludedSenders;
    FuzzSelector[] private _targetedSelectors;
    FuzzSelector[] private _excludedSelectors;

    // ---------------------------------------------------------------- for setUp()

    /// @dev Only targeted contracts are fuzzed; with none, forge fuzzes every contract deployed in setUp.
    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function excludeContract(address target) internal {
        _excludedContracts.push(target);
    }

    /// @dev Restricts which selectors of `selector.addr` are called (default: all non-view ones).
    function targetSelector(FuzzSelector memory selector) internal {
        _targetedSelectors.push(selector);
    }

    function excludeSelector(FuzzSelector memory selector) internal {
        _excludedSelectors.push(selector);
    }

    /// @dev msg.sender of the fuzzed calls (default: random addresses).
    function targetSender(address sender) internal {
        _targetedSenders.push(sender);
    }

    function excludeSender(address sender) internal {
        _excludedSenders.push(sender);
    }

    // ---------------------------------------------------------------- read by forge

    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function excludeContracts() public view returns (address[] memory) {
        return _excludedContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    function excludeSelectors() public view returns (FuzzSelector[] memory) {
        return _excludedSelectors;
    }

    function targetSenders() public view returns (address[] memory) {
        return _targetedSenders;
    }

    function excludeSenders() public view returns (address[] memory) {
        return _excludedSenders;
    }

    function targetArtifacts() public pure returns (string[] memory) {}

    function excludeArtifacts() public pure returns (string[] memory) {}

    function targetArtifactSelectors() public pure returns (FuzzArtifactSelector[] memory) {}

    function targetInterfaces() public pure returns (FuzzInterface[] memory) {}
}

/// @notice Maps a fuzzed `x` into [min, max], keeping values already inside (so the fuzzer's
/// dictionary of interesting values, e.g. an exact balance, survives), as forge-std's `bound`.
function bound(uint256 x, uint256 min, uint256 max) pure returns (uint256) {
    require(min <= max, "bound: min > max");
    if (x >= min && x <= max) return x;
    uint256 span = max - min;
    if (span == type(uint256).max) return x;
    return min + x % (span + 1);
}
