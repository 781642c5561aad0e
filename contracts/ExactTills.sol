// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @dev The part of an ERC-3009 token (OPGToken) the tills use.
interface IERC3009Transfer {
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool);
    function authorizationPaid(address authorizer, bytes32 nonce, address to, uint256 value) external view returns (bool);
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

/// @notice An x402 "exact" EVM payment: an ERC-3009 TransferWithAuthorization to a node's till.
struct ExactPayment {
    address from;
    uint256 value;
    uint256 validAfter;
    uint256 validBefore;
    bytes32 nonce;
    bytes signature;
}

/// @title ExactTill
/// @notice One node's x402 `exact` payee: it holds what the node's callers paid until the node
/// settles their records. It has no functions; only ExactTills, which created it, moves its funds.
contract ExactTill {
    constructor(IERC20 token) {
        SafeERC20.forceApprove(token, msg.sender, type(uint256).max);
    }
}

/// @title ExactTills
/// @notice Binds every `exact` call to the node that served it. A node's payers sign their
/// ERC-3009 authorizations to its till (a CREATE2 address per node), not to the settlement: a
/// watcher who lifts an authorization from the mempool can only pay that node's till, and only
/// that node's settlement takes from it. A call's request id is keccak(till || payer || nonce),
/// checked here against its payment, so nobody can settle another record under it first.
/// @dev An authorization executed straight on the token (anyone may) leaves its value in the
/// till; the node's settlement then takes it from there instead of executing it again.
contract ExactTills {
    using SafeERC20 for IERC20;

    IERC20 public immutable token;
    /// @notice keccak256 of a till's creation code (with the token): tillOf's CREATE2 input.
    bytes32 public immutable tillCodeHash;
    address private immutable _deployer;
    /// @notice The only caller of `collect`: InferenceSettlement (set once, by the deployer).
    address public settlement;

    event TillOpened(address indexed node, address till);

    error OnlySettlement();
    error OnlyDeployer();
    error AlreadyInitialized();
    error RequestNotPaid(bytes32 requestId);

    constructor(IERC20 token_) {
        token = token_;
        tillCodeHash = keccak256(abi.encodePacked(type(ExactTill).creationCode, abi.encode(token_)));
        _deployer = msg.sender;
    }

    function initSettlement(address settlement_) external {
        if (msg.sender != _deployer) revert OnlyDeployer();
        if (settlement != address(0)) revert AlreadyInitialized();
        settlement = settlement_;
    }

    /// @notice The address `node`'s exact payments are made out to (whether opened yet or not).
    function tillOf(address node) public view returns (address) {
        bytes32 salt = bytes32(uint256(uint160(node)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, tillCodeHash)))));
    }

    /// @notice Creates `node`'s till (anyone may; once). A node opens it before its first call.
    function open(address node) external returns (address till) {
        till = tillOf(node);
        if (till.code.length == 0) {
            new ExactTill{salt: bytes32(uint256(uint160(node)))}(token);
            emit TillOpened(node, till);
        }
    }

    /// @notice Moves `payment` from its payer through `node`'s till to the settlement, for the
    /// record `requestId` that `node` settles now. Reverts unless the request id is this payment's.
    function collect(address node, bytes32 requestId, ExactPayment calldata payment) external {
        if (msg.sender != settlement) revert OnlySettlement();
        address till = tillOf(node);
        if (requestId != keccak256(abi.encodePacked(till, payment.from, payment.nonce))) revert RequestNotPaid(requestId);
        IERC3009Transfer pull = IERC3009Transfer(address(token));
        // Executed already (by anyone, straight on the token): its value is in this till only if it
        // paid exactly that to it. A used nonce that did not (cancelled, or spent on another
        // authorization of the payer's with the same nonce) is refused: taking its value from the
        // till would spend what other payers paid into it.
        if (!pull.authorizationState(payment.from, payment.nonce)) {
            pull.transferWithAuthorization(
                payment.from, till, payment.value, payment.validAfter, payment.validBefore, payment.nonce, payment.signature
            );
        } else if (!pull.authorizationPaid(payment.from, payment.nonce, till, payment.value)) {
            revert RequestNotPaid(requestId);
        }
        token.safeTransferFrom(till, msg.sender, payment.value);
    }
}
