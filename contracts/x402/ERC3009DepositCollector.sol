// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IDepositCollector} from "./BatchSettlement.sol";

/// @notice ERC-3009's receive form with a packed 65-byte signature (USDC's, and OPGToken's).
interface IERC3009Receive {
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

/// @title ERC3009DepositCollector
/// @notice The x402 batch-settlement deposit collector for ERC-3009 tokens: the payer signs a
/// ReceiveWithAuthorization to this contract with nonce keccak256(abi.encode(channelId, salt)),
/// so the authorization can only fund the channel it names; the settlement calls `collect`, which
/// receives the tokens and passes them on to the settlement in the same transaction.
/// @dev Placed by the devnet at the address the SDK hard-codes (0x4020806089470a89826cB9fB1f4059150b550004)
/// next to BatchSettlement at its own, which is why the settlement's address is a constant: the
/// runtime code is copied there, with no constructor run.
contract ERC3009DepositCollector is IDepositCollector {
    using SafeERC20 for IERC20;

    address public constant BATCH_SETTLEMENT = 0x4020074e9dF2ce1deE5A9C1b5c3f541D02a10003;

    error OnlyBatchSettlement();

    /// @param collectorData abi.encode(uint256 validAfter, uint256 validBefore, uint256 salt, bytes signature)
    function collect(address payer, address token, uint256 amount, bytes32 channelId, bytes calldata collectorData)
        external
    {
        if (msg.sender != BATCH_SETTLEMENT) revert OnlyBatchSettlement();
        (uint256 validAfter, uint256 validBefore, uint256 salt, bytes memory signature) =
            abi.decode(collectorData, (uint256, uint256, uint256, bytes));
        bytes32 nonce = keccak256(abi.encode(channelId, salt));
        IERC3009Receive(token).receiveWithAuthorization(
            payer, address(this), amount, validAfter, validBefore, nonce, signature
        );
        IERC20(token).safeTransfer(BATCH_SETTLEMENT, amount);
    }
}
