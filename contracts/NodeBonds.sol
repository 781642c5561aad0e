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
/// settles a TEE record only while its active bond is at least `minBond` and its free bond covers
/// the record's fee: that fee is then reserved in the bond until the record's challenge window
/// closes, so a record proven false (InferenceSettlement.disputeProducer) always refunds its payer
/// in full, whatever other disputes took first (a node cannot empty its bond through a record it
/// paid for itself: that record's refund is its own reservation). The penalty on top of the
/// refund comes from the free bond, then from what is unbonding. Unbonding takes `unbondingDelay`,
/// longer than every challenge window a record may still be disputed under, and never touches
/// reserved bond.
/// @dev One unbonding amount per operator: a further `unbond` adds to it and restarts its delay.
/// Reservations are kept per expiry day in a ring of RING days, released lazily.
contract NodeBonds is ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint16 internal constant BPS = 10_000;
    uint64 public constant MAX_DURATION = 365 days;
    uint64 internal constant DAY = 1 days;
    /// @dev A reservation expires at most MAX_DURATION + 1 day after it is made (windows are
    /// shorter than the unbonding delay, at most MAX_DURATION): days that far ahead never share a slot.
    uint256 internal constant RING = 367;

    struct Params {
        uint256 minBond; // active bond a node needs to settle TEE records
        uint64 unbondingDelay; // from `unbond` to `withdraw`
        uint16 slashFractionBps; // of the whole bond, taken per false record on top of its fee
    }

    struct Bond {
        uint256 active; // includes `reserved`
        uint256 unbonding;
        uint64 releaseAt; // when `unbonding` can be withdrawn
    }

    /// @notice What the CLI reads: `reserved` is the part of `active` held for the fees of records
    /// whose window is still open; `active - reserved` is free to back new records or to unbond.
    struct BondView {
        uint256 active;
        uint256 unbonding;
        uint64 releaseAt;
        uint256 reserved;
    }

    struct Reservations {
        uint256 total; // open reservations, as of day `releasedThrough`
        uint64 releasedThrough; // the last day whose expiring reservations were released
        uint256[RING] byExpiryDay; // by (expiry day % RING)
    }

    IERC20 public immutable token;
    address public immutable timelock;
    address public immutable deployer;
    /// @notice The only contract allowed to slash (InferenceSettlement).
    address public settlement;
    Params private _params;
    mapping(address operator => Bond) private _bonds;
    mapping(address operator => Reservations) private _reservations;
    uint256 public totalBonded; // active + unbonding, every operator

    event Bonded(address indexed operator, uint256 amount, uint256 active);
    event UnbondStarted(address indexed operator, uint256 amount, uint256 unbonding, uint64 releaseAt);
    event Withdrawn(address indexed operator, uint256 amount);
    event BondSlashed(address indexed operator, uint256 amount, uint256 refund, uint256 activeLeft, uint256 unbondingLeft);
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
    error NodeNotBonded(address node);
    error BondCommitted(address node, uint256 free, uint256 needed);

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
        uint256 free = b.active - _release(msg.sender);
        if (amount > free) revert BondCommitted(msg.sender, free, amount);
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

    /// @notice Reserves `fee` of `operator`'s free bond for a TEE record whose window closes at
    /// `until` (settlement only). Reverts unless the active bond is at least `minBond` and its
    /// free part covers the fee.
    function reserve(address operator, uint256 fee, uint64 until) external {
        if (msg.sender != settlement) revert OnlySettlement();
        Bond storage b = _bonds[operator];
        if (b.active < _params.minBond) revert NodeNotBonded(operator);
        uint256 reserved = _release(operator);
        if (b.active - reserved < fee) revert BondCommitted(operator, b.active - reserved, fee);
        Reservations storage r = _reservations[operator];
        r.total = reserved + fee;
        r.byExpiryDay[_expiryDay(until) % RING] += fee;
    }

    /// @notice Slashes `operator` for one false record whose payer paid `fee` and whose window
    /// closes at `until` (settlement only): the record's own reservation (the refund, the fee in
    /// full), plus `slashFractionBps` of the whole bond taken from what is not reserved for other
    /// records (free active bond first, then unbonding). Both are sent to the settlement.
    function slash(address operator, uint256 fee, uint64 until)
        external
        nonReentrant
        returns (uint256 amount, uint256 refund)
    {
        if (msg.sender != settlement) revert OnlySettlement();
        Bond storage b = _bonds[operator];
        Reservations storage r = _reservations[operator];
        uint256 reserved = _release(operator);
        uint256 slot = _expiryDay(until) % RING;
        refund = fee < r.byExpiryDay[slot] ? fee : r.byExpiryDay[slot];
        r.byExpiryDay[slot] -= refund;
        r.total = reserved - refund;
        b.active -= refund;
        uint256 penalty = (b.active + b.unbonding) * _params.slashFractionBps / BPS;
        uint256 freeActive = b.active - r.total;
        if (penalty > freeActive + b.unbonding) penalty = freeActive + b.unbonding;
        uint256 fromActive = penalty < freeActive ? penalty : freeActive;
        b.active -= fromActive;
        b.unbonding -= penalty - fromActive;
        amount = refund + penalty;
        totalBonded -= amount;
        if (amount > 0) token.safeTransfer(msg.sender, amount);
        emit BondSlashed(operator, amount, refund, b.active, b.unbonding);
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

    function bondOf(address operator) external view returns (BondView memory) {
        Bond storage b = _bonds[operator];
        return BondView(b.active, b.unbonding, b.releaseAt, reservedOf(operator));
    }

    /// @notice The part of `operator`'s active bond reserved for records still open to dispute.
    function reservedOf(address operator) public view returns (uint256 reserved) {
        Reservations storage r = _reservations[operator];
        reserved = r.total;
        uint256 today = block.timestamp / DAY;
        if (r.releasedThrough == 0 || reserved == 0) return reserved;
        uint256 last = today - r.releasedThrough > RING ? r.releasedThrough + RING : today;
        for (uint256 day = r.releasedThrough + 1; day <= last; ++day) {
            reserved -= r.byExpiryDay[day % RING];
        }
    }

    /// @notice Whether `operator` may settle TEE records: its active bond is at least `minBond`.
    function isBonded(address operator) external view returns (bool) {
        return _bonds[operator].active >= _params.minBond;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Releases the reservations that expired since the last call; returns what stays reserved.
    /// At most RING iterations, whatever the gap (a year idle: about RING cold slots).
    function _release(address operator) private returns (uint256) {
        Reservations storage r = _reservations[operator];
        uint64 today = uint64(block.timestamp / DAY);
        uint64 from = r.releasedThrough;
        if (from == 0 || r.total == 0) {
            r.releasedThrough = today;
            return r.total;
        }
        uint64 last = today - from > RING ? from + uint64(RING) : today;
        uint256 total = r.total;
        for (uint64 day = from + 1; day <= last; ++day) {
            uint256 slot = day % RING;
            uint256 expiring = r.byExpiryDay[slot];
            if (expiring != 0) {
                total -= expiring;
                r.byExpiryDay[slot] = 0;
            }
        }
        r.total = total;
        r.releasedThrough = today;
        return total;
    }

    /// @dev Released on this day: the first whole day after `until`.
    function _expiryDay(uint64 until) private pure returns (uint256) {
        return until / DAY + 1;
    }

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
