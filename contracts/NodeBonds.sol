// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @dev The part of InferenceSettlement this contract reads.
interface IOpenWindow {
    function longestOpenWindow() external view returns (uint64);
}

/// @title NodeBonds
/// @notice The OPG an inference node's operator puts up behind the records it settles. A node
/// settles TEE records only while its active bond is at least `minBond`; a record of its proven
/// false on chain (InferenceSettlement.disputeProducer) slashes the bond, which refunds the payer
/// and pays the challenger. Unbonding takes `unbondingDelay`, longer than every challenge window a
/// record may still be disputed under, so no bond leaves before the records it stood behind close.
/// @dev One unbonding amount per operator: a further `unbond` adds to it and restarts its delay.
/// What is unbonding is still slashable (after the active bond) until it is withdrawn.
contract NodeBonds is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint16 internal constant BPS = 10_000;
    uint64 public constant MAX_DURATION = 365 days;

    struct Params {
        uint256 minBond; // active bond a node needs to settle TEE records
        uint64 unbondingDelay; // from `unbond` to `withdraw`
        uint16 slashFractionBps; // of the whole bond, taken per false record on top of its fee
    }

    struct Bond {
        uint256 active;
        uint256 unbonding;
        uint64 releaseAt; // when `unbonding` can be withdrawn
    }

    IERC20 public immutable token;
    address public immutable timelock;
    address public immutable deployer;
    /// @notice The only contract allowed to slash (InferenceSettlement).
    address public settlement;
    Params private _params;
    mapping(address operator => Bond) private _bonds;
    uint256 public totalBonded; // active + unbonding, every operator

    event Bonded(address indexed operator, uint256 amount, uint256 active);
    event UnbondStarted(address indexed operator, uint256 amount, uint256 unbonding, uint64 releaseAt);
    event Withdrawn(address indexed operator, uint256 amount);
    event BondSlashed(address indexed operator, uint256 amount, uint256 activeLeft, uint256 unbondingLeft);
    event ParamsChanged(Params params);
    event SettlementChanged(address settlement);

    error OnlyTimelock();
    error OnlySettlement();
    error NotDeployer();
    error SettlementAlreadySet();
    error ZeroAddress();
    error BadParams();
    error ZeroAmount();
    error InsufficientBond(uint256 active, uint256 requested);
    error NothingUnbonding();
    error BondStillUnbonding(uint64 releaseAt);

    constructor(IERC20 token_, address timelock_, Params memory params_) {
        token = token_;
        timelock = timelock_;
        deployer = msg.sender;
        _setParams(params_);
    }

    // ---------------------------------------------------------------- operators

    /// @notice Adds `amount` (pulled from the caller, who must have approved it) to its active bond.
    function bond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Bond storage b = _bonds[msg.sender];
        b.active += amount;
        totalBonded += amount;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Bonded(msg.sender, amount, b.active);
    }

    /// @notice Starts unbonding `amount` of the caller's active bond: withdrawable after
    /// `unbondingDelay`, slashable until then. Restarts the delay of what is already unbonding.
    function unbond(uint256 amount) external {
        Bond storage b = _bonds[msg.sender];
        if (amount == 0) revert ZeroAmount();
        if (amount > b.active) revert InsufficientBond(b.active, amount);
        b.active -= amount;
        b.unbonding += amount;
        b.releaseAt = uint64(block.timestamp) + _params.unbondingDelay;
        emit UnbondStarted(msg.sender, amount, b.unbonding, b.releaseAt);
    }

    /// @notice Withdraws what finished unbonding.
    function withdraw() external nonReentrant returns (uint256 amount) {
        Bond storage b = _bonds[msg.sender];
        amount = b.unbonding;
        if (amount == 0) revert NothingUnbonding();
        if (block.timestamp < b.releaseAt) revert BondStillUnbonding(b.releaseAt);
        b.unbonding = 0;
        b.releaseAt = 0;
        totalBonded -= amount;
        token.safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Slashes `operator` for one false record whose payer paid `fee`: the fee plus
    /// `slashFractionBps` of its whole bond, at most all of it, active first. The amount is sent
    /// to the settlement, which refunds the payer and pays the challenger.
    function slash(address operator, uint256 fee) external nonReentrant returns (uint256 amount) {
        if (msg.sender != settlement) revert OnlySettlement();
        Bond storage b = _bonds[operator];
        uint256 total = b.active + b.unbonding;
        amount = fee + total * _params.slashFractionBps / BPS;
        if (amount > total) amount = total;
        uint256 fromActive = amount < b.active ? amount : b.active;
        b.active -= fromActive;
        b.unbonding -= amount - fromActive;
        totalBonded -= amount;
        if (amount > 0) token.safeTransfer(msg.sender, amount);
        emit BondSlashed(operator, amount, b.active, b.unbonding);
    }

    // ---------------------------------------------------------------- governance

    function setParams(Params calldata p) external {
        if (msg.sender != timelock) revert OnlyTimelock();
        _setParams(p);
    }

    /// @notice Names the settlement during deployment (deployer only, once).
    function initSettlement(address s) external {
        if (msg.sender != deployer) revert NotDeployer();
        if (settlement != address(0)) revert SettlementAlreadySet();
        if (s == address(0)) revert ZeroAddress();
        settlement = s;
        emit SettlementChanged(s);
        _checkDelay(_params.unbondingDelay);
    }

    // ---------------------------------------------------------------- reads

    function params() external view returns (Params memory) {
        return _params;
    }

    function unbondingDelay() external view returns (uint64) {
        return _params.unbondingDelay;
    }

    function minBond() external view returns (uint256) {
        return _params.minBond;
    }

    function bondOf(address operator) external view returns (Bond memory) {
        return _bonds[operator];
    }

    /// @notice Whether `operator` may settle TEE records: its active bond is at least `minBond`.
    function isBonded(address operator) external view returns (bool) {
        return _bonds[operator].active >= _params.minBond;
    }

    // ---------------------------------------------------------------- internals

    /// @dev A zero minimum would let a node with nothing at stake settle; a zero slash fraction
    /// would cost a lying node no more than the fee it was paid.
    function _setParams(Params memory p) private {
        if (p.minBond == 0 || p.unbondingDelay == 0 || p.unbondingDelay > MAX_DURATION || p.slashFractionBps == 0
                || p.slashFractionBps > BPS) revert BadParams();
        _checkDelay(p.unbondingDelay);
        _params = p;
        emit ParamsChanged(p);
    }

    /// @dev The bond must outlast every window a record may still be disputed under: a dispute on
    /// the last second of one finds the bond behind the record still there.
    function _checkDelay(uint64 delay) private view {
        if (settlement != address(0) && delay <= IOpenWindow(settlement).longestOpenWindow()) revert BadParams();
    }
}
