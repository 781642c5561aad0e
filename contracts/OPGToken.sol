// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {ERC3009} from "@openzeppelin/contracts/token/ERC20/extensions/draft-ERC3009.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";

/// @title OPGToken
/// @notice The network's token: fixed supply minted once at genesis, gasless approvals (ERC-2612),
/// gasless transfers for x402 payments (ERC-3009) and checkpointed voting power (ERC-5805).
/// @dev The voting clock is the block timestamp, not the block number, so governance periods read
/// in seconds on every chain (L2 block times vary) and `devnet advance --days` moves them.
contract OPGToken is ERC20, ERC20Permit, ERC20Votes, ERC3009 {
    error AllocationLengthMismatch();

    /// @dev A used authorization that paid nothing (cancelled), until `_transferWithAuthorization`
    /// records what it paid.
    bytes32 private constant PAID_NOTHING = bytes32(uint256(1));

    /// @dev Every used ERC-3009 nonce, by authorizer: PAID_NOTHING for a cancelled one, else
    /// keccak256(to, value) of the transfer it made. (In place of the base contract's used-nonce
    /// flag, in the one slot it would have written: what an authorization paid costs no more gas.)
    mapping(address authorizer => mapping(bytes32 nonce => bytes32 paid)) private _authorizations;

    constructor(address[] memory recipients, uint256[] memory amounts)
        ERC20("OpenGradient", "OPG")
        ERC20Permit("OpenGradient")
    {
        if (recipients.length != amounts.length) revert AllocationLengthMismatch();
        for (uint256 i = 0; i < recipients.length; ++i) {
            _mint(recipients[i], amounts[i]);
        }
    }

    /// @notice The voting clock: block timestamp (ERC-6372).
    function clock() public view override returns (uint48) {
        return Time.timestamp();
    }

    /// @notice Describes the voting clock (ERC-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @notice ERC-3009 transfer with a packed 65-byte signature, the form x402 facilitators send.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        (uint8 v, bytes32 r, bytes32 s) = _split(signature);
        transferWithAuthorization(from, to, value, validAfter, validBefore, nonce, v, r, s);
    }

    /// @notice ERC-3009 receive with a packed 65-byte signature, the form x402 deposit collectors
    /// send (the batch-settlement scheme's ERC3009DepositCollector, ours and the official one).
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        (uint8 v, bytes32 r, bytes32 s) = _split(signature);
        receiveWithAuthorization(from, to, value, validAfter, validBefore, nonce, v, r, s);
    }

    /// @notice Whether `authorizer`'s authorization `nonce` is used (executed or cancelled).
    function authorizationState(address authorizer, bytes32 nonce) public view override returns (bool) {
        return _authorizations[authorizer][nonce] != bytes32(0);
    }

    /// @notice Whether `authorizer`'s authorization `nonce` was executed as a transfer of `value`
    /// to `to` (not cancelled, and not a transfer to anyone else or of another value). A payee
    /// that finds an authorization made out to it executed already by someone else (anyone may
    /// send a TransferWithAuthorization) asks this before counting its value as received.
    function authorizationPaid(address authorizer, bytes32 nonce, address to, uint256 value)
        external
        view
        returns (bool)
    {
        return _authorizations[authorizer][nonce] == keccak256(abi.encode(to, value));
    }

    function _consumeNonce(address authorizer, bytes32 nonce) internal override {
        if (_authorizations[authorizer][nonce] != bytes32(0)) revert ERC3009UsedAuthorization(authorizer, nonce);
        _authorizations[authorizer][nonce] = PAID_NOTHING;
    }

    function _transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce
    ) internal override {
        super._transferWithAuthorization(from, to, value, validAfter, validBefore, nonce);
        _authorizations[from][nonce] = keccak256(abi.encode(to, value));
    }

    function _split(bytes calldata signature) private pure returns (uint8 v, bytes32 r, bytes32 s) {
        if (signature.length != 65) revert ERC3009InvalidSignature();
        r = bytes32(signature[0:32]);
        s = bytes32(signature[32:64]);
        v = uint8(signature[64]);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
