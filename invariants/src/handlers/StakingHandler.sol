// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {VM} from "../Vm.sol";
import {bound} from "../InvariantTest.sol";
import {CallRecorder} from "./CallRecorder.sol";

import {IOPGToken, IStaking} from "../interfaces/Protocol.sol";

/// @notice The fuzzer's hands on Staking and the token: every public function here is one bounded
/// action by one of a fixed set of adversarial actors (any actor may act as delegator or
/// validator), calling the real contracts through `_call` (which records reverts, panics and gas).
/// Inputs are folded into useful ranges (`bound`, picking actors and validators by seed), so most
/// calls reach the contracts' logic instead of their first check; calls the protocol refuses still
/// happen sometimes and are counted, never fatal.
/// @dev Adding an action: see invariants/README.md. In short, a public function taking fuzzed
/// uint256 seeds, that bounds them, calls `_call(actor, target, abi.encodeCall(...), token)`,
/// updates any ghost variable on success, and is listed in `actions()`.
contract StakingHandler is CallRecorder {
    IOPGToken public immutable token;
    IStaking public immutable staking;
    /// @notice Pays rewards into Staking, standing in for InferenceSettlement.attest's fee share.
    address public immutable rewarder;

    address[] internal _actors;
    uint256[] internal _actorKeys;

    /// @notice The clock the handler keeps (block.timestamp as the fuzzed run sees it).
    uint256 public currentTime;

    // ghosts: what went in and out, by kind
    uint256 public ghostRewardsDistributed;
    uint256 public ghostDonated;
    uint256 public ghostWarps;

    constructor(IOPGToken token_, IStaking staking_, address rewarder_, uint256[] memory actorKeys) {
        token = token_;
        staking = staking_;
        rewarder = rewarder_;
        currentTime = VM.getBlockTimestamp();
        for (uint256 i = 0; i < actorKeys.length; ++i) {
            address actor = VM.addr(actorKeys[i]);
            _actors.push(actor);
            _actorKeys.push(actorKeys[i]);
            VM.label(actor, string.concat("actor", VM.toString(i)));
            VM.prank(actor);
            token_.approve(address(staking_), type(uint256).max);
        }
        VM.prank(rewarder_);
        token_.approve(address(staking_), type(uint256).max);

        _name(IStaking.delegate.selector, "Staking.delegate");
        _name(IStaking.undelegate.selector, "Staking.undelegate");
        _name(IStaking.undelegateAll.selector, "Staking.undelegateAll");
        _name(IStaking.redelegate.selector, "Staking.redelegate");
        _name(IStaking.withdraw.selector, "Staking.withdraw");
        _name(IStaking.claimRewards.selector, "Staking.claimRewards");
        _name(IStaking.claimAllRewards.selector, "Staking.claimAllRewards");
        _name(IStaking.registerValidator.selector, "Staking.registerValidator");
        _name(IStaking.unjail.selector, "Staking.unjail");
        _name(IStaking.distributeReward.selector, "Staking.distributeReward");
        _name(IOPGToken.transfer.selector, "OPGToken.transfer");
    }

    /// @notice The selectors the fuzzer calls (the test passes them to `targetSelector`).
    function actions() external pure returns (bytes4[] memory list) {
        list = new bytes4[](13);
        list[0] = this.delegate.selector;
        list[1] = this.undelegate.selector;
        list[2] = this.undelegateAll.selector;
        list[3] = this.redelegate.selector;
        list[4] = this.withdraw.selector;
        list[5] = this.claimRewards.selector;
        list[6] = this.claimAllRewards.selector;
        list[7] = this.registerValidator.selector;
        list[8] = this.unjail.selector;
        list[9] = this.distributeReward.selector;
        list[10] = this.transfer.selector;
        list[11] = this.donate.selector;
        list[12] = this.warp.selector;
    }

    // ---------------------------------------------------------------- reads for invariants

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    /// @notice The private key of actor `i` (to sign enclave results, payments, permits).
    function actorKey(uint256 i) external view returns (uint256) {
        return _actorKeys[i];
    }

    // ---------------------------------------------------------------- delegator actions

    function delegate(uint256 actorSeed, uint256 validatorSeed, uint256 amount) external {
        address actor = _actor(actorSeed);
        address validator = _validator(validatorSeed);
        uint256 balance = token.balanceOf(actor);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        _call(actor, address(staking), abi.encodeCall(IStaking.delegate, (validator, amount)), address(token));
    }

    function undelegate(uint256 actorSeed, uint256 validatorSeed, uint256 amount) external {
        address actor = _actor(actorSeed);
        address validator = _position(actor, validatorSeed);
        (, uint256 value) = staking.delegationOf(validator, actor);
        if (value == 0) return;
        amount = bound(amount, 1, value);
        _call(actor, address(staking), abi.encodeCall(IStaking.undelegate, (validator, amount)), address(token));
    }

    function undelegateAll(uint256 actorSeed, uint256 validatorSeed) external {
        address actor = _actor(actorSeed);
        address validator = _position(actor, validatorSeed);
        (uint256 shares,) = staking.delegationOf(validator, actor);
        if (shares == 0) return;
        _call(actor, address(staking), abi.encodeCall(IStaking.undelegateAll, (validator)), address(token));
    }

    function redelegate(uint256 actorSeed, uint256 srcSeed, uint256 dstSeed, uint256 amount) external {
        address actor = _actor(actorSeed);
        address src = _position(actor, srcSeed);
        address dst = _validator(dstSeed);
        if (src == dst) dst = _validator(dstSeed ^ 1);
        if (src == dst) return;
        (, uint256 value) = staking.delegationOf(src, actor);
        if (value == 0) return;
        amount = bound(amount, 1, value);
        _call(actor, address(staking), abi.encodeCall(IStaking.redelegate, (src, dst, amount)), address(token));
    }

    function withdraw(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        _call(actor, address(staking), abi.encodeCall(IStaking.withdraw, ()), address(token));
    }

    function claimRewards(uint256 actorSeed, uint256 validatorSeed) external {
        address actor = _actor(actorSeed);
        address validator = _validator(validatorSeed);
        _call(actor, address(staking), abi.encodeCall(IStaking.claimRewards, (validator)), address(token));
    }

    function claimAllRewards(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        _call(actor, address(staking), abi.encodeCall(IStaking.claimAllRewards, ()), address(token));
    }

    // ---------------------------------------------------------------- validator actions

    function registerValidator(uint256 actorSeed, uint16 commissionBps, uint256 selfStake) external {
        address actor = _actor(actorSeed);
        IStaking.Params memory p = staking.params();
        uint256 balance = token.balanceOf(actor);
        if (balance < p.minSelfStake) return;
        commissionBps = uint16(bound(commissionBps, 0, p.maxCommissionBps));
        selfStake = bound(selfStake, p.minSelfStake, balance);
        _call(
            actor,
            address(staking),
            abi.encodeCall(IStaking.registerValidator, (commissionBps, "invariant validator", selfStake)),
            address(token)
        );
    }

    function unjail(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        _call(actor, address(staking), abi.encodeCall(IStaking.unjail, ()), address(0));
    }

    // ---------------------------------------------------------------- money moving without staking

    /// @notice Rewards for a validator's pool, as InferenceSettlement.attest pays them.
    function distributeReward(uint256 validatorSeed, uint256 amount) external {
        address validator = _validator(validatorSeed);
        amount = bound(amount, 1, 1_000e18);
        if (token.balanceOf(rewarder) < amount) return;
        (bool ok,) = _call(
            rewarder, address(staking), abi.encodeCall(IStaking.distributeReward, (validator, amount)), address(token)
        );
        if (ok) ghostRewardsDistributed += amount;
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _actor(fromSeed);
        address to = _actor(toSeed);
        amount = bound(amount, 0, token.balanceOf(from));
        _call(from, address(token), abi.encodeCall(IOPGToken.transfer, (to, amount)), address(0));
    }

    /// @notice Tokens sent to Staking without calling it: allowed, and must never be owed to anyone.
    function donate(uint256 actorSeed, uint256 amount) external {
        address actor = _actor(actorSeed);
        amount = bound(amount, 0, token.balanceOf(actor) < 1_000e18 ? token.balanceOf(actor) : 1_000e18);
        (bool ok,) = _call(actor, address(token), abi.encodeCall(IOPGToken.transfer, (address(staking), amount)), address(0));
        if (ok) ghostDonated += amount;
    }

    // ---------------------------------------------------------------- time

    /// @notice Moves time forward by up to 20 days (past the 14-day unbonding period and the
    /// 2-day jail), one block per warp.
    function warp(uint256 secondsForward) external {
        secondsForward = bound(secondsForward, 1, 20 days);
        currentTime += secondsForward;
        VM.warp(currentTime);
        VM.roll(block.number + 1);
        ghostWarps += 1;
    }

    // ---------------------------------------------------------------- picking

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    /// @dev A validator `actor` holds shares of, or any validator when it holds none.
    function _position(address actor, uint256 seed) internal view returns (address) {
        address[] memory held = staking.delegatorValidators(actor);
        if (held.length == 0) return _validator(seed);
        return held[seed % held.length];
    }

    /// @dev A registered validator, or an actor while none is registered (the call then reverts).
    function _validator(uint256 seed) internal view returns (address) {
        address[] memory registered = staking.validators();
        if (registered.length == 0) return _actor(seed);
        return registered[seed % registered.length];
    }
}
