// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// @title Staking
/// @notice Staking is responsible for the OPG bonded behind the validators who verify inference
/// results: their registration, delegation, unbonding, redelegation, rewards and slashing.
/// @dev Design notes (the reasons behind the code):
/// - A position is a number of shares of a validator's pool, so a slash of the pool is one write
///   that every delegator feels pro rata, instead of one write per delegator.
/// - Rounding always favours the contract: shares minted round down, shares burned round up,
///   rewards accrued round down and reward debts round up. The contract therefore never owes more
///   than it holds: `token.balanceOf(this) >= totalBonded + totalUnbonding + totalRewardsHeld`,
///   with equality unless someone sends tokens without calling the contract.
/// - A validator is slashed at most once per infraction window (Cosmos' "slash once, then jail"):
///   a slash jails it, and evidence of any infraction committed before that slash finds it
///   already paid for (`SlashCovered`). So infraction times grow strictly from one slash to the
///   next, and any unbonding or redelegation entry is reached by at most one slash: the first one
///   executed after the entry was created, if its infraction is no later than the entry.
/// - `slash` does constant work whatever the state (a transaction must fit 2^24 gas, EIP-7825;
///   sybil one-wei undelegations must not make a validator unslashable): it cuts the bonded
///   pool and appends to the validator's slash history. Unbonding and redelegation entries pay
///   their cut lazily, exactly as an eager walk would have taken it: an unbonding entry when it is
///   withdrawn, a redelegation when its owner next reduces its stake at the destination (or when
///   anyone calls `applyRedelegationSlash`). Each lookup is a binary search of the history.
/// - Redelegated stake pays its source's slash wherever it went at the destination (collected at
///   the destination's value when collected: if the destination was slashed in between, the owner
///   pays the source's cut in full from what is left, i.e. up to the destination's fraction of
///   that cut more than an eager walk would have taken; each infraction still takes at most its
///   fraction of the stake it found): from what is still bonded there first, then from its owner's unbonding entries at the destination created
///   after the redelegation; those entries mature no earlier than the redelegations they may owe
///   to, and `withdraw` collects what those owe first. (Capping the cut at what is still bonded,
///   as early Cosmos did, let stake redelegate and undelegate at once and leave unslashed.)
/// - Evidence "covered" by a slash (the infraction came before it executed) still widens that
///   slash's reach back to its own infraction time: the entries created between the two
///   infractions pay the one slash too. Otherwise a validator could exit after a lie, commit and
///   self-dispute a later infraction, and the first lie would reach nothing.
/// - Cosmos rules are followed where the brief does not say otherwise: at most `MAX_ENTRIES`
///   unbonding entries per (delegator, validator) and redelegation entries per (delegator, src,
///   dst), no transitive redelegation, and redelegated stake stays slashable for the source's
///   infractions until it would have finished unbonding.
/// - The slash fraction is applied to the validator's *current* bonded tokens (Cosmos uses the
///   power at the infraction); unbonding and redelegation entries lose the fraction of their
///   initial balance.
/// @dev The part of the slasher (InferenceSettlement) Staking reads.
interface IChallengeWindow {
    function longestOpenWindow() external view returns (uint64);
}

contract Staking is ReentrancyGuard {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;

    // ------------------------------------------------------------------ types

    /// @notice Governance-controlled parameters.
    struct Params {
        uint64 unbondingPeriod;
        uint16 maxCommissionBps;
        uint16 maxCommissionChangeBps;
        uint64 commissionChangeDelay;
        uint256 minSelfStake;
        uint64 jailDuration;
    }

    /// @notice A validator as returned by `getValidator`.
    struct ValidatorView {
        address operator;
        uint256 tokens;
        uint256 totalShares;
        uint256 selfStake;
        uint16 commissionBps;
        uint64 commissionUpdatedAt;
        bool jailed;
        uint64 jailedUntil;
        bool tombstoned;
        uint32 slashCount;
        uint64 registeredAt;
        uint256 delegatorCount;
        string metadataURI;
    }

    /// @notice Tokens on their way out of a validator, paid by `withdraw` once `completionTime` is reached.
    struct UnbondingEntry {
        uint256 id;
        address validator;
        uint256 initialBalance;
        uint256 balance;
        uint64 creationTime;
        uint64 completionTime;
    }

    /// @notice Value moved from `src` to `dst`, still slashable for `src`'s infractions until `completionTime`.
    struct RedelegationEntry {
        uint256 id;
        address src;
        address dst;
        uint256 initialBalance;
        uint256 sharesDst;
        uint64 creationTime;
        uint64 completionTime;
    }

    struct Validator {
        bool registered;
        bool jailed;
        bool tombstoned;
        uint16 commissionBps;
        uint32 slashCount;
        uint64 commissionUpdatedAt;
        uint64 jailedUntil;
        uint64 registeredAt;
        uint256 tokens;
        uint256 totalShares;
        uint256 accRewardPerShare; // scaled by ACC_SCALE
        uint256 commissionOwed;
        uint256 delegatorCount;
        string metadataURI;
    }

    struct Delegation {
        uint256 shares;
        uint256 rewardDebt; // shares * accRewardPerShare / ACC_SCALE at the last settlement, rounded up
        uint256 rewardsOwed; // settled and not yet claimed
    }

    struct StoredUnbonding {
        UnbondingEntry entry;
        address delegator; // zero once withdrawn
    }

    struct StoredRedelegation {
        RedelegationEntry entry;
        address delegator; // zero once pruned (completed)
        bool slashResolved; // its one possible slash has been applied, or can no longer come
    }

    /// @notice One executed slash. `entryWatermark` is the next entry id at the time, so the entries
    /// created before the slash are exactly those with a smaller id (times can tie within a block).
    struct SlashEvent {
        uint64 infractionTime;
        uint64 executedAt;
        uint16 fractionBps;
        uint64 entryWatermark;
    }

    // ------------------------------------------------------------------ constants and state

    uint256 private constant BPS = 10_000;
    /// @dev Large enough that flooring the per-share increment loses nothing measurable, and
    /// `mulDiv` keeps the products from overflowing.
    uint256 private constant ACC_SCALE = 1e36;
    /// @notice Bound on open unbonding entries per (delegator, validator) and on immature
    /// redelegations per (delegator, src, dst), as in Cosmos, to bound the gas of the loops.
    uint256 public constant MAX_ENTRIES = 7;
    /// @notice Upper bound for every duration parameter, so `now + duration` always fits in uint64.
    uint64 public constant MAX_DURATION = 3650 days;

    /// @notice The staked token (OPG).
    IERC20 public immutable token;
    /// @notice The governance timelock: sets parameters, the slasher, and tombstones validators.
    address public immutable timelock;
    /// @notice The deployer, allowed to call `initSlasher` once during deployment wiring.
    address public immutable deployer;
    /// @notice The only contract allowed to slash and jail (the settlement contract).
    address public slasher;

    Params private _params;

    mapping(address validator => Validator) private _validators;
    address[] private _validatorList;
    mapping(address validator => mapping(address delegator => Delegation)) private _delegations;
    /// @dev Validators where the delegator holds shares.
    mapping(address delegator => EnumerableSet.AddressSet) private _positions;
    /// @dev Validators where the delegator holds no shares any more but still has rewards to claim,
    /// so `claimAllRewards` still finds them.
    mapping(address delegator => EnumerableSet.AddressSet) private _leftoverRewards;

    /// @dev Shared counter for unbonding and redelegation ids; 0 means "no entry".
    uint256 private _nextEntryId = 1;
    mapping(uint256 id => StoredUnbonding) private _unbondings;
    mapping(address delegator => uint256[]) private _unbondingIdsOf;
    mapping(address delegator => mapping(address validator => uint256)) private _openUnbondings;
    mapping(uint256 id => StoredRedelegation) private _redelegations;
    mapping(address delegator => uint256[]) private _redelegationIdsOf;
    mapping(address validator => SlashEvent[]) private _slashHistory;

    /// @notice Sum of every validator's bonded tokens.
    uint256 public totalBonded;
    /// @notice Sum of the balances of every unbonding entry not yet withdrawn (matured or not).
    uint256 public totalUnbonding;
    /// @notice Rewards and commission received and not yet claimed, including rounding dust.
    uint256 public totalRewardsHeld;

    // ------------------------------------------------------------------ events

    event ParamsChanged(Params params);
    event SlasherChanged(address indexed previousSlasher, address indexed newSlasher);
    event ValidatorRegistered(address indexed validator, uint16 commissionBps, uint256 selfStake, string metadataURI);
    event CommissionChanged(address indexed validator, uint16 oldBps, uint16 newBps);
    event MetadataChanged(address indexed validator, string metadataURI);
    event Delegated(address indexed delegator, address indexed validator, uint256 amount, uint256 shares);
    event Undelegated(
        address indexed delegator,
        address indexed validator,
        uint256 indexed entryId,
        uint256 amount,
        uint256 shares,
        uint64 completionTime
    );
    event Redelegated(
        address indexed delegator,
        address indexed src,
        address indexed dst,
        uint256 entryId,
        uint256 amount,
        uint256 sharesSrc,
        uint256 sharesDst,
        uint64 completionTime
    );
    event UnbondingCompleted(
        uint256 indexed entryId, address indexed delegator, address indexed validator, uint256 amount
    );
    event Withdrawn(address indexed delegator, uint256 amount, uint256 entries);
    event RewardDistributed(
        address indexed validator, address indexed from, uint256 amount, uint256 commission, uint256 accRewardPerShare
    );
    event RewardsClaimed(address indexed delegator, address indexed validator, uint256 amount);
    event CommissionClaimed(address indexed validator, uint256 amount);
    event Slashed(
        address indexed validator,
        uint64 infractionTime,
        uint16 fractionBps,
        uint256 bondedSlashed,
        uint256 selfStakeSlashed,
        string reason
    );
    /// @notice Evidence of an infraction committed before the validator's last slash: already paid for
    /// by the bonded stake; the covering slash now reaches entries created since `infractionTime`.
    event SlashCovered(address indexed validator, uint64 infractionTime, uint64 lastSlashedAt, string reason);
    event UnbondingSlashed(
        uint256 indexed entryId, address indexed delegator, address indexed validator, uint256 amount, uint256 balance
    );
    event RedelegationSlashed(
        uint256 indexed entryId, address indexed delegator, address indexed dst, address src, uint256 amount, uint256 shares
    );
    event Jailed(address indexed validator, uint64 until, string reason);
    event Unjailed(address indexed validator);
    event Tombstoned(address indexed validator);

    // ------------------------------------------------------------------ errors

    error OnlyTimelock();
    error OnlySlasher();
    error NotDeployer();
    error SlasherAlreadySet();
    error ZeroAddress();
    error InvalidParams();
    error ZeroAmount();
    error AmountTooSmall(uint256 amount);
    error UnknownValidator(address validator);
    error AlreadyRegistered(address validator);
    error IndexOutOfRange(uint256 index);
    error SelfStakeBelowMinimum(uint256 selfStake, uint256 minimum);
    error CommissionTooHigh(uint16 bps, uint16 max);
    error CommissionChangeTooLarge(uint16 oldBps, uint16 newBps, uint16 maxChange);
    error CommissionChangeTooSoon(uint64 allowedAt);
    error ValidatorJailed(address validator);
    error ValidatorTombstoned(address validator);
    error ValidatorWipedOut(address validator);
    error ValidatorNotActive(address validator);
    error InsufficientStake(uint256 requested, uint256 available);
    error NoDelegation(address validator, address delegator);
    error TooManyUnbondingEntries(address delegator, address validator);
    error TooManyRedelegationEntries(address delegator, address src, address dst);
    error SameValidator();
    error TransitiveRedelegation(address src, uint256 pendingEntryId);
    error NotJailed(address validator);
    error StillJailed(uint64 until);
    error InvalidFraction(uint16 fractionBps);
    error InfractionInFuture(uint64 infractionTime);
    error InfractionTooOld(uint64 infractionTime, uint64 oldestSlashable);
    error NothingToWithdraw();
    error NothingToClaim();

    // ------------------------------------------------------------------ construction and modifiers

    /// @param token_ The staked ERC20 (OPG).
    /// @param timelock_ The governance timelock.
    /// @param initialParams The initial parameters (validated like `setParams`).
    constructor(IERC20 token_, address timelock_, Params memory initialParams) {
        if (address(token_) == address(0) || timelock_ == address(0)) revert ZeroAddress();
        token = token_;
        timelock = timelock_;
        deployer = msg.sender;
        _setParams(initialParams);
    }

    modifier onlyTimelock() {
        if (msg.sender != timelock) revert OnlyTimelock();
        _;
    }

    modifier onlySlasher() {
        if (msg.sender != slasher) revert OnlySlasher();
        _;
    }

    // ------------------------------------------------------------------ governance

    /// @notice The current parameters.
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @notice How long stake stays slashable after it starts to leave.
    function unbondingPeriod() external view returns (uint64) {
        return _params.unbondingPeriod;
    }

    /// @notice Replaces the parameters (timelock only). Reverts with `InvalidParams` unless
    /// 0 < unbondingPeriod <= MAX_DURATION, the other durations <= MAX_DURATION and both
    /// commission bounds <= 10000.
    /// @dev Existing entries keep the completion time they were created with.
    function setParams(Params calldata p) external onlyTimelock {
        _setParams(p);
    }

    /// @notice Names the slasher during deployment (deployer only, once, while no slasher is set),
    /// so that everything can be wired before control passes to the timelock.
    function initSlasher(address s) external {
        if (msg.sender != deployer) revert NotDeployer();
        if (slasher != address(0)) revert SlasherAlreadySet();
        _setSlasher(s);
    }

    /// @notice Replaces the slasher (timelock only).
    function setSlasher(address s) external onlyTimelock {
        _setSlasher(s);
    }

    /// @notice Bans `validator` for good (timelock only): jailed, it can never unjail or receive
    /// new stake. Its delegators can still undelegate and redelegate away.
    function tombstone(address validator) external onlyTimelock {
        Validator storage v = _validator(validator);
        v.tombstoned = true;
        v.jailed = true;
        emit Tombstoned(validator);
    }

    // ------------------------------------------------------------------ validators

    /// @notice Registers msg.sender as a validator, pulling `selfStake` (>= minSelfStake) from it.
    /// @param commissionBps The share of rewards kept by the validator, at most `maxCommissionBps`.
    /// @param metadataURI Free-form description (name, site, contact).
    /// @param selfStake The operator's own stake, pulled with `transferFrom`.
    function registerValidator(uint16 commissionBps, string calldata metadataURI, uint256 selfStake)
        external
        nonReentrant
    {
        if (selfStake == 0) revert ZeroAmount();
        Validator storage v = _validators[msg.sender];
        if (v.registered) revert AlreadyRegistered(msg.sender);
        if (selfStake < _params.minSelfStake) revert SelfStakeBelowMinimum(selfStake, _params.minSelfStake);
        if (commissionBps > _params.maxCommissionBps) revert CommissionTooHigh(commissionBps, _params.maxCommissionBps);
        v.registered = true;
        v.commissionBps = commissionBps;
        // Registration counts as a commission change: the first change waits `commissionChangeDelay`,
        // so a validator cannot attract delegators with a low rate and raise it at once.
        v.commissionUpdatedAt = uint64(block.timestamp);
        v.registeredAt = uint64(block.timestamp);
        v.metadataURI = metadataURI;
        _validatorList.push(msg.sender);
        emit ValidatorRegistered(msg.sender, commissionBps, selfStake, metadataURI);
        _mint(msg.sender, msg.sender, selfStake);
        token.safeTransferFrom(msg.sender, address(this), selfStake);
    }

    /// @notice Changes the caller's commission: at most `maxCommissionBps`, by at most
    /// `maxCommissionChangeBps`, and not sooner than `commissionChangeDelay` after the last change.
    function setCommission(uint16 newCommissionBps) external {
        Validator storage v = _validator(msg.sender);
        uint16 oldBps = v.commissionBps;
        uint16 maxBps = _params.maxCommissionBps;
        if (newCommissionBps > maxBps) revert CommissionTooHigh(newCommissionBps, maxBps);
        uint16 change = newCommissionBps > oldBps ? newCommissionBps - oldBps : oldBps - newCommissionBps;
        if (change > _params.maxCommissionChangeBps) {
            revert CommissionChangeTooLarge(oldBps, newCommissionBps, _params.maxCommissionChangeBps);
        }
        uint64 allowedAt = v.commissionUpdatedAt + _params.commissionChangeDelay;
        if (block.timestamp < allowedAt) revert CommissionChangeTooSoon(allowedAt);
        v.commissionBps = newCommissionBps;
        v.commissionUpdatedAt = uint64(block.timestamp);
        emit CommissionChanged(msg.sender, oldBps, newCommissionBps);
    }

    /// @notice Replaces the caller's metadata URI.
    function setMetadata(string calldata metadataURI) external {
        _validator(msg.sender).metadataURI = metadataURI;
        emit MetadataChanged(msg.sender, metadataURI);
    }

    /// @notice Leaves jail: only the validator itself, once `jailedUntil` has passed, if it is not
    /// tombstoned and its self-stake (after any slash) is still at least `minSelfStake`.
    /// @dev A validator slashed below the minimum can top its self-stake up with `delegate` first.
    function unjail() external {
        Validator storage v = _validator(msg.sender);
        if (v.tombstoned) revert ValidatorTombstoned(msg.sender);
        if (!v.jailed) revert NotJailed(msg.sender);
        if (block.timestamp < v.jailedUntil) revert StillJailed(v.jailedUntil);
        uint256 selfStake = _value(v, _delegations[msg.sender][msg.sender].shares);
        if (selfStake == 0 || selfStake < _params.minSelfStake) {
            revert SelfStakeBelowMinimum(selfStake, _params.minSelfStake);
        }
        v.jailed = false;
        emit Unjailed(msg.sender);
    }

    // ------------------------------------------------------------------ delegators

    /// @notice Delegates `amount` (pulled with `transferFrom`) to `validator`, minting
    /// `amount * totalShares / tokens` shares (1:1 for an empty pool), rounded down.
    /// @dev Reverts for an unknown, tombstoned or wiped-out validator, and for a jailed one unless
    /// the caller is its operator topping up its self-stake (otherwise a validator slashed below
    /// the minimum self-stake could never unjail).
    function delegate(address validator, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Validator storage v = _validator(validator);
        if (v.tombstoned) revert ValidatorTombstoned(validator);
        if (v.jailed && msg.sender != validator) revert ValidatorJailed(validator);
        _mint(validator, msg.sender, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` tokens of the caller's stake with `validator`; they are
    /// paid by `withdraw` after the unbonding period and stay slashable until then.
    /// @dev Burns `amount * totalShares / tokens` shares rounded up, so nobody takes out more than
    /// they own. The operator may not leave its self-stake between zero and `minSelfStake`; leaving
    /// it at zero jails the validator.
    /// @return entryId The id of the new unbonding entry.
    function undelegate(address validator, uint256 amount) external nonReentrant returns (uint256 entryId) {
        if (amount == 0) revert ZeroAmount();
        _validator(validator);
        uint64 notBefore = _collectRedelegationSlashes(msg.sender, validator);
        uint256 shares = _burnValue(validator, msg.sender, amount);
        _checkSelfStake(validator, msg.sender);
        entryId = _openUnbonding(validator, msg.sender, amount, shares, notBefore);
    }

    /// @notice Starts unbonding all of the caller's stake with `validator` (all its shares).
    /// @return entryId The id of the new unbonding entry, or 0 when the shares were worth nothing
    /// (a pool slashed to zero): they are burned and no entry is created.
    function undelegateAll(address validator) external nonReentrant returns (uint256 entryId) {
        Validator storage v = _validator(validator);
        uint64 notBefore = _collectRedelegationSlashes(msg.sender, validator);
        uint256 shares = _delegations[validator][msg.sender].shares;
        if (shares == 0) revert NoDelegation(validator, msg.sender);
        uint256 amount = _value(v, shares);
        _removeShares(validator, msg.sender, shares, amount);
        _checkSelfStake(validator, msg.sender);
        if (amount == 0) {
            emit Undelegated(msg.sender, validator, 0, 0, shares, uint64(block.timestamp));
            return 0;
        }
        entryId = _openUnbonding(validator, msg.sender, amount, shares, notBefore);
    }

    /// @notice Moves `amount` tokens of the caller's stake from `src` to the active validator `dst`
    /// at once. The moved value stays slashable for `src`'s infractions (committed before the move)
    /// until the unbonding period has passed.
    /// @dev Refuses (`TransitiveRedelegation`) to move stake out of `src` while the caller has an
    /// immature redelegation into `src`, as Cosmos does: otherwise stake could hop away from the
    /// validator it must stay slashable for. The returned id is an addition to the brief's interface.
    /// @return entryId The id of the new redelegation entry.
    function redelegate(address src, address dst, uint256 amount) external nonReentrant returns (uint256 entryId) {
        if (amount == 0) revert ZeroAmount();
        if (src == dst) revert SameValidator();
        _validator(src);
        _validator(dst);
        if (!isActive(dst)) revert ValidatorNotActive(dst);
        _checkRedelegations(msg.sender, src, dst);
        _collectRedelegationSlashes(msg.sender, src);
        uint256 sharesSrc = _burnValue(src, msg.sender, amount);
        _checkSelfStake(src, msg.sender);
        uint256 sharesDst = _mint(dst, msg.sender, amount);
        entryId = _recordRedelegation(src, dst, amount, sharesSrc, sharesDst);
    }

    /// @notice Pays the caller every one of its unbonding entries that has matured, and deletes them.
    /// @dev Reverts with `NothingToWithdraw` when no entry has matured. An entry slashed to zero is
    /// deleted without payment.
    /// @return amount The total paid.
    function withdraw() external nonReentrant returns (uint256 amount) {
        // What the caller's redelegations owe their sources may come out of these entries: first.
        uint256 redelegationCuts = _resolveAllRedelegations(msg.sender);
        if (redelegationCuts > 0) token.safeTransfer(timelock, redelegationCuts);
        uint256[] storage ids = _unbondingIdsOf[msg.sender];
        uint256 count;
        uint256 slashedTotal;
        uint256 i;
        while (i < ids.length) {
            uint256 id = ids[i];
            if (_unbondings[id].entry.completionTime > block.timestamp) {
                ++i;
                continue;
            }
            (uint256 paid, uint256 cut) = _closeUnbonding(id, msg.sender);
            amount += paid;
            slashedTotal += cut;
            ++count;
            // Swap-and-pop: order of a delegator's entries does not matter, and `i` is revisited.
            ids[i] = ids[ids.length - 1];
            ids.pop();
        }
        if (count == 0) revert NothingToWithdraw();
        totalUnbonding -= amount + slashedTotal;
        emit Withdrawn(msg.sender, amount, count);
        if (amount > 0) token.safeTransfer(msg.sender, amount);
        if (slashedTotal > 0) token.safeTransfer(timelock, slashedTotal);
    }

    // ------------------------------------------------------------------ rewards

    /// @notice Pulls `amount` from the caller (`transferFrom`) as rewards for `validator`: the
    /// commission goes to the validator's claimable balance and the rest to its shares. With no
    /// shares, everything goes to the validator.
    function distributeReward(address validator, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Validator storage v = _validator(validator);
        uint256 commission = amount;
        if (v.totalShares > 0) {
            commission = amount * v.commissionBps / BPS;
            // Rounded down: the remainder stays in the contract as dust (counted in totalRewardsHeld).
            v.accRewardPerShare += Math.mulDiv(amount - commission, ACC_SCALE, v.totalShares);
        }
        v.commissionOwed += commission;
        totalRewardsHeld += amount;
        emit RewardDistributed(validator, msg.sender, amount, commission, v.accRewardPerShare);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Rewards `delegator` can claim from `validator`, including the commission when
    /// `delegator` is the validator itself.
    function pendingRewards(address validator, address delegator) external view returns (uint256 amount) {
        Validator storage v = _validators[validator];
        Delegation storage d = _delegations[validator][delegator];
        amount = d.rewardsOwed + _accrued(v, d);
        if (delegator == validator) amount += v.commissionOwed;
    }

    /// @notice Claims the caller's rewards from `validator` (and its commission if the caller is
    /// that validator). Reverts with `NothingToClaim` when there is nothing.
    /// @return amount The amount paid.
    function claimRewards(address validator) external nonReentrant returns (uint256 amount) {
        _validator(validator);
        amount = _collect(validator, msg.sender);
        if (msg.sender == validator) amount += _collectCommission(validator);
        if (amount == 0) revert NothingToClaim();
        _payRewards(amount);
    }

    /// @notice Claims the caller's rewards from every validator it delegates to (or left with
    /// rewards unclaimed), plus its commission if it is a validator. Reverts with `NothingToClaim`
    /// when there is nothing.
    /// @return amount The amount paid.
    function claimAllRewards() external nonReentrant returns (uint256 amount) {
        address[] memory list = _positions[msg.sender].values();
        for (uint256 i = 0; i < list.length; ++i) {
            amount += _collect(list[i], msg.sender);
        }
        // Copied first: `_collect` removes claimed validators from this set.
        list = _leftoverRewards[msg.sender].values();
        for (uint256 i = 0; i < list.length; ++i) {
            amount += _collect(list[i], msg.sender);
        }
        if (_validators[msg.sender].registered) amount += _collectCommission(msg.sender);
        if (amount == 0) revert NothingToClaim();
        _payRewards(amount);
    }

    // ------------------------------------------------------------------ slashing

    /// @notice Slashes `validator` by `fractionBps` for an infraction at `infractionTime` (slasher
    /// only), then jails it; at most once per infraction window. Its bonded tokens lose
    /// `tokens * fractionBps / 10000` now (every delegator pro rata; sent to the slasher). Its
    /// unbonding entries and immature redelegations created at or after the infraction lose
    /// `initialBalance * fractionBps / 10000` (capped at what is left), collected lazily: see the
    /// design notes. Evidence of an infraction no later than the last slash changes nothing.
    /// @param infractionTime When the infraction happened; not in the future and not older than
    /// the unbonding period (else `InfractionTooOld`), since older stake may be gone already.
    /// @param fractionBps The fraction to slash, 1..10000.
    /// @param reason Free text for indexers.
    /// @return slashedAmount The bonded tokens taken now, transferred to msg.sender.
    /// @return selfStakeSlashed The part of `slashedAmount` that was the validator's own stake.
    function slash(address validator, uint64 infractionTime, uint16 fractionBps, string calldata reason)
        external
        onlySlasher
        nonReentrant
        returns (uint256 slashedAmount, uint256 selfStakeSlashed)
    {
        Validator storage v = _validator(validator);
        _checkInfraction(infractionTime, fractionBps);
        SlashEvent[] storage history = _slashHistory[validator];
        if (history.length > 0 && infractionTime <= history[history.length - 1].executedAt) {
            SlashEvent storage covering = history[_firstExecutedAtOrAfter(history, infractionTime)];
            // Entries created since this earlier infraction owe the covering slash too. The times
            // stay strictly ordered: the slash before `covering` executed before `infractionTime`.
            if (infractionTime < covering.infractionTime) covering.infractionTime = infractionTime;
            emit SlashCovered(validator, infractionTime, covering.executedAt, reason);
            return (0, 0);
        }
        uint256 selfShares = _delegations[validator][validator].shares;
        uint256 selfBefore = _value(v, selfShares);
        slashedAmount = _slashBonded(validator, fractionBps);
        selfStakeSlashed = selfBefore - _value(v, selfShares);
        history.push(SlashEvent(infractionTime, uint64(block.timestamp), fractionBps, uint64(_nextEntryId)));
        emit Slashed(validator, infractionTime, fractionBps, slashedAmount, selfStakeSlashed, reason);
        _jail(validator, reason);
        if (slashedAmount > 0) token.safeTransfer(msg.sender, slashedAmount);
    }

    /// @notice Collects the slash that reaches redelegation `entryId` (burning that much of its
    /// owner's stake at the destination, to the treasury). Anyone may call it; its owner's next
    /// undelegation or redelegation from the destination does it anyway.
    /// @return cut The tokens taken (0 when no slash reaches the entry, or it was collected).
    function applyRedelegationSlash(uint256 entryId) external nonReentrant returns (uint256 cut) {
        cut = _resolveRedelegation(entryId);
        if (cut > 0) token.safeTransfer(timelock, cut);
    }

    /// @notice Every slash `validator` has taken, oldest first.
    function slashHistory(address validator) external view returns (SlashEvent[] memory) {
        return _slashHistory[validator];
    }

    /// @notice Jails `validator` without slashing (slasher only), e.g. for downtime.
    function jail(address validator, string calldata reason) external onlySlasher {
        _validator(validator);
        _jail(validator, reason);
    }

    // ------------------------------------------------------------------ reads

    /// @notice Number of registered validators (ever; validators are never removed).
    function validatorCount() external view returns (uint256) {
        return _validatorList.length;
    }

    /// @notice The `index`-th registered validator, in registration order.
    function validatorAt(uint256 index) external view returns (address) {
        if (index >= _validatorList.length) revert IndexOutOfRange(index);
        return _validatorList[index];
    }

    /// @notice Every registered validator, in registration order.
    function validators() external view returns (address[] memory) {
        return _validatorList;
    }

    /// @notice Everything about `validator`; reverts with `UnknownValidator` for an unregistered address.
    function getValidator(address validator) external view returns (ValidatorView memory view_) {
        Validator storage v = _validator(validator);
        view_.operator = validator;
        view_.tokens = v.tokens;
        view_.totalShares = v.totalShares;
        view_.selfStake = _value(v, _delegations[validator][validator].shares);
        view_.commissionBps = v.commissionBps;
        view_.commissionUpdatedAt = v.commissionUpdatedAt;
        view_.jailed = v.jailed;
        view_.jailedUntil = v.jailedUntil;
        view_.tombstoned = v.tombstoned;
        view_.slashCount = v.slashCount;
        view_.registeredAt = v.registeredAt;
        view_.delegatorCount = v.delegatorCount;
        view_.metadataURI = v.metadataURI;
    }

    /// @notice Whether `validator` is registered, not jailed, not tombstoned and has bonded tokens.
    function isActive(address validator) public view returns (bool) {
        Validator storage v = _validators[validator];
        return v.registered && !v.jailed && !v.tombstoned && v.tokens > 0;
    }

    /// @notice `delegator`'s shares of `validator`'s pool and their current value in tokens (rounded down).
    function delegationOf(address validator, address delegator)
        external
        view
        returns (uint256 shares, uint256 tokens)
    {
        shares = _delegations[validator][delegator].shares;
        tokens = _value(_validators[validator], shares);
    }

    /// @notice The validators in which `delegator` holds shares.
    function delegatorValidators(address delegator) external view returns (address[] memory) {
        return _positions[delegator].values();
    }

    /// @notice `delegator`'s unbonding entries not yet withdrawn (matured or not), in no particular order.
    function unbondingEntries(address delegator) external view returns (UnbondingEntry[] memory entries) {
        uint256[] storage ids = _unbondingIdsOf[delegator];
        entries = new UnbondingEntry[](ids.length);
        for (uint256 i = 0; i < ids.length; ++i) {
            UnbondingEntry storage entry = _unbondings[ids[i]].entry;
            entries[i] = entry;
            entries[i].balance = entry.balance - _unbondingCut(entry); // what withdraw will pay
        }
    }

    /// @notice `delegator`'s redelegations that are still slashable (not yet completed).
    function redelegationEntries(address delegator) external view returns (RedelegationEntry[] memory entries) {
        uint256[] storage ids = _redelegationIdsOf[delegator];
        uint256 count;
        for (uint256 i = 0; i < ids.length; ++i) {
            if (_redelegations[ids[i]].entry.completionTime > block.timestamp) ++count;
        }
        entries = new RedelegationEntry[](count);
        count = 0;
        for (uint256 i = 0; i < ids.length; ++i) {
            RedelegationEntry storage entry = _redelegations[ids[i]].entry;
            if (entry.completionTime > block.timestamp) entries[count++] = entry;
        }
    }

    // ------------------------------------------------------------------ internals: pools

    /// @dev Adds `amount` tokens to `validator`'s pool for `delegator`; returns the shares minted.
    function _mint(address validator, address delegator, uint256 amount) private returns (uint256 shares) {
        Validator storage v = _validators[validator];
        if (v.totalShares == 0) {
            // Empty pool: 1:1. Any dust left by the previous holders goes to the newcomer.
            shares = amount;
        } else {
            // A pool slashed to nothing has no share price; minting would divide by zero.
            if (v.tokens == 0) revert ValidatorWipedOut(validator);
            shares = Math.mulDiv(amount, v.totalShares, v.tokens);
            // Would otherwise donate `amount` to the other holders.
            if (shares == 0) revert AmountTooSmall(amount);
        }
        Delegation storage d = _delegations[validator][delegator];
        _settle(v, d);
        if (d.shares == 0) _addPosition(validator, delegator);
        d.shares += shares;
        v.totalShares += shares;
        v.tokens += amount;
        totalBonded += amount;
        _resetDebt(v, d);
        emit Delegated(delegator, validator, amount, shares);
    }

    /// @dev Takes `amount` tokens of `delegator`'s value out of `validator`'s pool; returns the
    /// shares burned (rounded up; all of them when `amount` is the whole position).
    function _burnValue(address validator, address delegator, uint256 amount) private returns (uint256 shares) {
        Validator storage v = _validators[validator];
        uint256 held = _delegations[validator][delegator].shares;
        uint256 available = _value(v, held);
        if (amount > available) revert InsufficientStake(amount, available);
        // amount <= held * tokens / totalShares, hence the rounded-up burn never exceeds `held`.
        shares = amount == available ? held : Math.mulDiv(amount, v.totalShares, v.tokens, Math.Rounding.Ceil);
        _removeShares(validator, delegator, shares, amount);
    }

    /// @dev Burns `shares` of `delegator` at `validator` and takes `amount` tokens out of the pool,
    /// settling rewards first. Callers guarantee `amount` is at most the shares' value.
    function _removeShares(address validator, address delegator, uint256 shares, uint256 amount) private {
        Validator storage v = _validators[validator];
        Delegation storage d = _delegations[validator][delegator];
        _settle(v, d);
        d.shares -= shares;
        v.totalShares -= shares;
        v.tokens -= amount;
        totalBonded -= amount;
        _resetDebt(v, d);
        if (d.shares == 0) _removePosition(validator, delegator, d.rewardsOwed);
    }

    /// @dev The operator may not leave its self-stake strictly between zero and the minimum;
    /// leaving entirely jails the validator, which no longer has stake at risk.
    function _checkSelfStake(address validator, address delegator) private {
        if (validator != delegator) return;
        Validator storage v = _validators[validator];
        uint256 remaining = _value(v, _delegations[validator][validator].shares);
        if (remaining == 0) {
            if (!v.jailed) _jail(validator, "self-stake withdrawn");
        } else if (remaining < _params.minSelfStake) {
            revert SelfStakeBelowMinimum(remaining, _params.minSelfStake);
        }
    }

    /// @dev Value of `shares` in tokens, rounded down.
    function _value(Validator storage v, uint256 shares) private view returns (uint256) {
        uint256 total = v.totalShares;
        return total == 0 ? 0 : Math.mulDiv(shares, v.tokens, total);
    }

    function _addPosition(address validator, address delegator) private {
        _positions[delegator].add(validator);
        // Back in the position set, which claimAllRewards also walks.
        _leftoverRewards[delegator].remove(validator);
        _validators[validator].delegatorCount += 1;
    }

    function _removePosition(address validator, address delegator, uint256 rewardsOwed) private {
        _positions[delegator].remove(validator);
        if (rewardsOwed > 0) _leftoverRewards[delegator].add(validator);
        _validators[validator].delegatorCount -= 1;
    }

    // ------------------------------------------------------------------ internals: entries

    /// @dev `notBefore`: the latest maturity of the redelegations into `validator` whose source's
    /// slash the new entry may have to pay (a shorter unbonding period since would otherwise let
    /// it leave first).
    function _openUnbonding(address validator, address delegator, uint256 amount, uint256 shares, uint64 notBefore)
        private
        returns (uint256 id)
    {
        if (_openUnbondings[delegator][validator] >= MAX_ENTRIES) revert TooManyUnbondingEntries(delegator, validator);
        _openUnbondings[delegator][validator] += 1;
        id = _nextEntryId++;
        uint64 created = uint64(block.timestamp);
        uint64 completion = created + _params.unbondingPeriod;
        if (notBefore > completion) completion = notBefore;
        StoredUnbonding storage stored = _unbondings[id];
        stored.entry = UnbondingEntry(id, validator, amount, amount, created, completion);
        stored.delegator = delegator;
        _unbondingIdsOf[delegator].push(id);
        totalUnbonding += amount;
        emit Undelegated(delegator, validator, id, amount, shares, completion);
    }

    /// @dev Deletes unbonding entry `id` of `delegator`; returns (what it pays, the slash it owed).
    /// The caller removes it from the delegator's list.
    function _closeUnbonding(uint256 id, address delegator) private returns (uint256 paid, uint256 cut) {
        UnbondingEntry storage entry = _unbondings[id].entry;
        address validator = entry.validator;
        cut = _unbondingCut(entry);
        paid = entry.balance - cut;
        if (cut > 0) emit UnbondingSlashed(id, delegator, validator, cut, paid);
        _openUnbondings[delegator][validator] -= 1;
        delete _unbondings[id];
        emit UnbondingCompleted(id, delegator, validator, paid);
    }

    /// @dev Prunes the delegator's completed redelegations, then enforces the transitive rule and
    /// the per-route entry bound on the immature ones.
    function _checkRedelegations(address delegator, address src, address dst) private {
        uint256[] storage ids = _redelegationIdsOf[delegator];
        uint256 sameRoute;
        uint256 i;
        while (i < ids.length) {
            uint256 id = ids[i];
            RedelegationEntry storage entry = _redelegations[id].entry;
            if (entry.completionTime <= block.timestamp) {
                // Completed: no slash can reach it any more; collect one that did, then forget it.
                uint256 cut = _resolveRedelegation(id);
                if (cut > 0) token.safeTransfer(timelock, cut);
                delete _redelegations[id];
                ids[i] = ids[ids.length - 1];
                ids.pop();
                continue;
            }
            if (entry.dst == src) revert TransitiveRedelegation(src, id);
            if (entry.src == src && entry.dst == dst) ++sameRoute;
            ++i;
        }
        if (sameRoute >= MAX_ENTRIES) revert TooManyRedelegationEntries(delegator, src, dst);
    }

    function _recordRedelegation(address src, address dst, uint256 amount, uint256 sharesSrc, uint256 sharesDst)
        private
        returns (uint256 id)
    {
        id = _nextEntryId++;
        uint64 created = uint64(block.timestamp);
        uint64 completion = created + _params.unbondingPeriod;
        StoredRedelegation storage stored = _redelegations[id];
        stored.entry = RedelegationEntry(id, src, dst, amount, sharesDst, created, completion);
        stored.delegator = msg.sender;
        _redelegationIdsOf[msg.sender].push(id);
        emit Redelegated(msg.sender, src, dst, id, amount, sharesSrc, sharesDst, completion);
    }

    // ------------------------------------------------------------------ internals: rewards

    /// @dev Rewards accrued since the last settlement: rounded down, and never negative (the debt
    /// is rounded up, so right after a settlement it may exceed the rounded-down product by one).
    function _accrued(Validator storage v, Delegation storage d) private view returns (uint256) {
        uint256 gross = Math.mulDiv(d.shares, v.accRewardPerShare, ACC_SCALE);
        return gross > d.rewardDebt ? gross - d.rewardDebt : 0;
    }

    /// @dev Moves accrued rewards into `rewardsOwed`; must run before any change of `d.shares`.
    function _settle(Validator storage v, Delegation storage d) private {
        uint256 accrued = _accrued(v, d);
        if (accrued > 0) d.rewardsOwed += accrued;
    }

    /// @dev Rounded up so that the sum of what delegators can claim never exceeds what was distributed.
    function _resetDebt(Validator storage v, Delegation storage d) private {
        d.rewardDebt = Math.mulDiv(d.shares, v.accRewardPerShare, ACC_SCALE, Math.Rounding.Ceil);
    }

    function _collect(address validator, address delegator) private returns (uint256 amount) {
        Validator storage v = _validators[validator];
        Delegation storage d = _delegations[validator][delegator];
        _settle(v, d);
        _resetDebt(v, d);
        amount = d.rewardsOwed;
        d.rewardsOwed = 0;
        if (d.shares == 0) _leftoverRewards[delegator].remove(validator);
        if (amount > 0) emit RewardsClaimed(delegator, validator, amount);
    }

    function _collectCommission(address validator) private returns (uint256 amount) {
        Validator storage v = _validators[validator];
        amount = v.commissionOwed;
        if (amount == 0) return 0;
        v.commissionOwed = 0;
        emit CommissionClaimed(validator, amount);
    }

    function _payRewards(uint256 amount) private {
        totalRewardsHeld -= amount;
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ internals: slashing

    function _checkInfraction(uint64 infractionTime, uint16 fractionBps) private view {
        if (fractionBps == 0 || fractionBps > BPS) revert InvalidFraction(fractionBps);
        if (infractionTime > block.timestamp) revert InfractionInFuture(infractionTime);
        if (block.timestamp - infractionTime > _params.unbondingPeriod) {
            revert InfractionTooOld(infractionTime, uint64(block.timestamp) - _params.unbondingPeriod);
        }
    }

    /// @dev The slash that reaches an entry of `validator` made as entry `id` at `creationTime`
    /// and maturing at `completionTime`: the first slash executed after the entry was created, if
    /// its infraction is no later than the creation and it ran before maturity. Returns
    /// (fractionBps, whether that question is settled for good). An unreached entry is settled
    /// only once it has matured: until then a slash may still run, or covered evidence may move
    /// the first slash's infraction time back to before the entry (see `slash`).
    function _slashReaching(address validator, uint256 id, uint64 creationTime, uint64 completionTime)
        private
        view
        returns (uint16 fractionBps, bool settled)
    {
        SlashEvent[] storage history = _slashHistory[validator];
        // Binary search for the first slash whose watermark is above `id` (executed after it).
        uint256 low;
        uint256 high = history.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (history[mid].entryWatermark > id) high = mid;
            else low = mid + 1;
        }
        if (low < history.length) {
            SlashEvent storage first = history[low];
            if (first.infractionTime <= creationTime && first.executedAt < completionTime) {
                return (first.fractionBps, true);
            }
        }
        return (0, completionTime <= block.timestamp);
    }

    /// @dev Index of the first slash in `history` executed at or after `time` (one exists: the
    /// caller checked the last one).
    function _firstExecutedAtOrAfter(SlashEvent[] storage history, uint64 time) private view returns (uint256 low) {
        uint256 high = history.length - 1;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (history[mid].executedAt >= time) high = mid;
            else low = mid + 1;
        }
    }

    /// @dev What unbonding `entry` owes to the slash that reaches it (0 if none does, yet).
    function _unbondingCut(UnbondingEntry storage entry) private view returns (uint256) {
        (uint16 fractionBps,) = _slashReaching(entry.validator, entry.id, entry.creationTime, entry.completionTime);
        return Math.min(entry.balance, entry.initialBalance * fractionBps / BPS);
    }

    /// @dev Takes what redelegation `id` owes to the slash of its source that reaches it,
    /// `initialBalance * fractionBps / 10000`: from its owner's shares at the destination first,
    /// then from its owner's unbonding entries at the destination created after it (stake that
    /// moved on is still the stake that stood behind the source), capped at what those hold.
    /// Marks the entry resolved once the question is settled for good; returns the tokens taken,
    /// for the caller to send to the treasury.
    function _resolveRedelegation(uint256 id) private returns (uint256 cut) {
        StoredRedelegation storage stored = _redelegations[id];
        RedelegationEntry storage entry = stored.entry;
        address delegator = stored.delegator;
        if (delegator == address(0) || stored.slashResolved) return 0;
        (uint16 fractionBps, bool settled) = _slashReaching(entry.src, id, entry.creationTime, entry.completionTime);
        if (!settled) return 0;
        stored.slashResolved = true;
        uint256 owed = entry.initialBalance * fractionBps / BPS;
        if (owed == 0) return 0;
        address dst = entry.dst;
        uint256 held = _delegations[dst][delegator].shares;
        uint256 heldValue = _value(_validators[dst], held);
        uint256 bonded = Math.min(owed, heldValue);
        uint256 shares;
        if (bonded > 0) {
            shares = bonded == heldValue ? held : _sharesCeil(dst, bonded);
            _removeShares(dst, delegator, shares, bonded);
            entry.sharesDst = entry.sharesDst > shares ? entry.sharesDst - shares : 0;
            // The owner may be the destination validator itself: a cut no one chose to take
            // cannot revert like an undelegation would, so a self-stake left under the minimum jails.
            if (delegator == dst) _jailIfUnderMinimum(dst);
        }
        cut = bonded + _cutUnbondingsAfter(delegator, dst, id, owed - bonded);
        if (cut > 0) emit RedelegationSlashed(id, delegator, dst, entry.src, cut, shares);
    }

    /// @dev Takes up to `amount` from `delegator`'s open unbonding entries at `validator` created
    /// after entry `afterId`, leaving each what its own validator's pending slash will take.
    function _cutUnbondingsAfter(address delegator, address validator, uint256 afterId, uint256 amount)
        private
        returns (uint256 taken)
    {
        if (amount == 0) return 0;
        uint256[] storage ids = _unbondingIdsOf[delegator];
        for (uint256 i = 0; i < ids.length && taken < amount; ++i) {
            if (ids[i] <= afterId) continue;
            UnbondingEntry storage entry = _unbondings[ids[i]].entry;
            if (entry.validator != validator) continue;
            uint256 free = entry.balance - _unbondingCut(entry);
            uint256 take = Math.min(free, amount - taken);
            if (take == 0) continue;
            entry.balance -= take;
            // What the entry still stands for: its own validator's slash takes the fraction of
            // this, not of stake that has already paid for another infraction.
            entry.initialBalance -= take;
            taken += take;
            emit UnbondingSlashed(entry.id, delegator, validator, take, entry.balance);
        }
        totalUnbonding -= taken;
    }

    /// @dev Resolves every redelegation of `delegator` that a slash reaches (before a withdrawal);
    /// returns the tokens taken.
    function _resolveAllRedelegations(address delegator) private returns (uint256 total) {
        uint256[] storage ids = _redelegationIdsOf[delegator];
        for (uint256 i = 0; i < ids.length; ++i) {
            total += _resolveRedelegation(ids[i]);
        }
    }

    /// @dev Before `delegator` takes stake out of `validator`: collects the slashes that reach its
    /// redelegations into it. Returns the latest maturity of those still open (a slash may yet
    /// reach them, and take its cut from the unbonding entry about to be opened).
    function _collectRedelegationSlashes(address delegator, address validator) private returns (uint64 openUntil) {
        uint256[] storage ids = _redelegationIdsOf[delegator];
        uint256 total;
        for (uint256 i = 0; i < ids.length; ++i) {
            StoredRedelegation storage stored = _redelegations[ids[i]];
            if (stored.entry.dst != validator) continue;
            total += _resolveRedelegation(ids[i]);
            if (!stored.slashResolved && stored.entry.completionTime > openUntil) openUntil = stored.entry.completionTime;
        }
        if (total > 0) token.safeTransfer(timelock, total);
    }

    function _sharesCeil(address validator, uint256 amount) private view returns (uint256) {
        Validator storage v = _validators[validator];
        return Math.mulDiv(amount, v.totalShares, v.tokens, Math.Rounding.Ceil);
    }

    /// @dev Shares are unchanged, so every holder of the pool loses the same fraction.
    function _slashBonded(address validator, uint16 fractionBps) private returns (uint256 cut) {
        Validator storage v = _validators[validator];
        cut = v.tokens * fractionBps / BPS;
        v.tokens -= cut;
        totalBonded -= cut;
        v.slashCount += 1;
    }

    function _jailIfUnderMinimum(address validator) private {
        Validator storage v = _validators[validator];
        if (v.jailed) return;
        if (_value(v, _delegations[validator][validator].shares) < _params.minSelfStake) {
            _jail(validator, "self-stake below the minimum after a redelegation slash");
        }
    }

    /// @dev Jails until `now + jailDuration`, never shortening a longer jail already running.
    function _jail(address validator, string memory reason) private {
        Validator storage v = _validators[validator];
        v.jailed = true;
        uint64 until = uint64(block.timestamp) + _params.jailDuration;
        if (until > v.jailedUntil) v.jailedUntil = until;
        emit Jailed(validator, v.jailedUntil, reason);
    }

    // ------------------------------------------------------------------ internals: misc

    function _validator(address validator) private view returns (Validator storage v) {
        v = _validators[validator];
        if (!v.registered) revert UnknownValidator(validator);
    }

    /// @dev A zero jail would let a slashed validator unjail and lie again in the slash's own
    /// second, where the lie counts as covered. The unbonding period must outlast the slasher's
    /// challenge window, or a dispute in time could find the stake behind the verdict gone.
    function _setParams(Params memory p) private {
        if (
            p.unbondingPeriod == 0 || p.unbondingPeriod > MAX_DURATION || p.commissionChangeDelay > MAX_DURATION
                || p.jailDuration == 0 || p.jailDuration > MAX_DURATION || p.maxCommissionBps > BPS
                || p.maxCommissionChangeBps > BPS
        ) revert InvalidParams();
        if (slasher != address(0)) {
            // A slasher without a challenge window (another contract named by governance) has
            // nothing to compare.
            // Every verdict still open, not only the current window: verdicts keep theirs.
            try IChallengeWindow(slasher).longestOpenWindow() returns (uint64 window) {
                if (p.unbondingPeriod <= window) revert InvalidParams();
            } catch {}
        }
        _params = p;
        emit ParamsChanged(p);
    }

    function _setSlasher(address s) private {
        if (s == address(0)) revert ZeroAddress();
        emit SlasherChanged(slasher, s);
        slasher = s;
    }
}
