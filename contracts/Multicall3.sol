// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @title Multicall3
/// @notice Batches read calls into one eth_call, with the `aggregate3` and `tryAggregate`
/// interfaces of the Multicall3 deployed at 0xcA11bde05977b3631167028862bE2a173976CA11 on most EVM
/// chains. The devnet places this build at that address, so the CLI (and the x402 SDK) batch their
/// reads the same way everywhere.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Call {
        address target;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    error CallFailed(uint256 index, bytes returnData);

    /// @notice Runs every call; a failing call reverts the batch unless it allows failure.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory results) {
        results = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool success, bytes memory returnData) = calls[i].target.call(calls[i].callData);
            if (!success && !calls[i].allowFailure) revert CallFailed(i, returnData);
            results[i] = Result(success, returnData);
        }
    }

    /// @notice Runs every call; with `requireSuccess`, a failing call reverts the batch. The older
    /// Multicall3 interface, which the x402 SDK's facilitator reads channel state through.
    function tryAggregate(bool requireSuccess, Call[] calldata calls) external payable returns (Result[] memory results) {
        results = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            (bool success, bytes memory returnData) = calls[i].target.call(calls[i].callData);
            if (!success && requireSuccess) revert CallFailed(i, returnData);
            results[i] = Result(success, returnData);
        }
    }

    function getCurrentBlockTimestamp() external view returns (uint256) {
        return block.timestamp;
    }

    function getBlockNumber() external view returns (uint256) {
        return block.number;
    }
}
