// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @notice The forge cheatcodes the invariant suite uses, declared here because the npm registry
/// has no usable forge-std (its only package, `forge-std` 1.1.2, is an unofficial 2022 copy whose
/// Test.sol imports a ds-test it does not ship, and it has no StdInvariant).
/// @dev Forge dispatches cheatcodes by selector, so a declaration only has to match the signature
/// of forge-std's Vm.sol (foundry-rs/forge-std, src/Vm.sol). Add a cheatcode by copying its line
/// from there; a wrong signature fails at run time with "unknown cheatcode".
interface Vm {
    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }

    // environment
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function getBlockTimestamp() external view returns (uint256 timestamp);
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function label(address account, string calldata newLabel) external;
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function deployCode(string calldata artifactPath, bytes calldata constructorArgs)
        external
        returns (address deployedAddress);

    // gas (I5): cool() makes the next call pay cold-access prices again, as a fresh transaction would
    function cool(address target) external;
    function lastCallGas() external view returns (Gas memory gas);
    function pauseGasMetering() external;
    function resumeGasMetering() external;

    // state snapshots: an invariant may try a call (a dispute) in the current state and undo it
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
    function revertToStateAndDelete(uint256 snapshotId) external returns (bool success);

    // fuzzing
    function assume(bool condition) external pure;

    // assertions (revert with the message; forge reports it as the invariant's failure)
    function assertTrue(bool condition, string calldata err) external pure;
    function assertFalse(bool condition, string calldata err) external pure;
    function assertEq(uint256 left, uint256 right, string calldata err) external pure;
    function assertEq(address left, address right, string calldata err) external pure;
    function assertGe(uint256 left, uint256 right, string calldata err) external pure;
    function assertLe(uint256 left, uint256 right, string calldata err) external pure;
    function assertLt(uint256 left, uint256 right, string calldata err) external pure;

    // formatting
    function toString(uint256 value) external pure returns (string memory stringifiedValue);
    function toString(address value) external pure returns (string memory stringifiedValue);
    function toString(bytes calldata value) external pure returns (string memory stringifiedValue);
    function toString(bytes32 value) external pure returns (string memory stringifiedValue);
    function toString(bool value) external pure returns (string memory stringifiedValue);
}

/// @dev The address forge answers cheatcodes at: address(uint160(uint256(keccak256("hevm cheat code")))).
Vm constant VM = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
