// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {InvariantTest} from "../src/InvariantTest.sol";
import {ProtocolDeployment} from "../src/ProtocolDeployment.sol";
import {console} from "../src/Console.sol";
import {StakingHandler} from "../src/handlers/StakingHandler.sol";

import {IStaking} from "../src/interfaces/Protocol.sol";

/// @notice Token conservation and Staking's books under adversarial delegation. The whole protocol
/// is deployed as ogcli/protocol/deploy.py deploys it; the fuzzer drives StakingHandler's actions
/// (delegate, undelegate, redelegate, withdraw, claim, register, unjail, rewards, transfers,
/// donations, time), and every `invariant_*` below is checked after each call.
/// @dev Template for the rest of the suite (invariants/README.md): a new invariant is one more
/// public view function named `invariant_*` that reverts (VM.assert*) when the property fails.
contract TokenConservationInvariants is InvariantTest, ProtocolDeployment {
    uint256 internal constant ACTORS = 6;
    uint256 internal constant ACTOR_FUNDS = 1_000_000e18;
    uint256 internal constant REWARDER_FUNDS = 10_000_000e18;
    uint256 internal constant START = 1_750_000_000; // a realistic clock, far from 0

    StakingHandler internal handler;
    address internal rewarder;

    function setUp() public {
        vm.warp(START);
        _deployProtocol(address(this)); // this contract is the community recipient

        rewarder = vm.addr(0xBEEF);
        vm.label(rewarder, "rewarder");
        uint256[] memory keys = new uint256[](ACTORS);
        for (uint256 i = 0; i < ACTORS; ++i) {
            keys[i] = 0xA0000 + i;
        }
        handler = new StakingHandler(token, staking, rewarder, keys);

        address[] memory actors = handler.actors();
        for (uint256 i = 0; i < actors.length; ++i) {
            token.transfer(actors[i], ACTOR_FUNDS);
        }
        token.transfer(rewarder, REWARDER_FUNDS);

        // Three validators at genesis; the others may register during the run.
        uint16[3] memory commission = [uint16(500), 1_000, 2_000];
        uint256[3] memory selfStake = [uint256(20_000e18), 50_000e18, 100_000e18];
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(actors[i]);
            staking.registerValidator(commission[i], "genesis validator", selfStake[i]);
        }

        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: handler.actions()}));
    }

    // ---------------------------------------------------------------- invariants

    /// @notice Fixed supply, and every token is held by an actor, the rewarder, the community
    /// recipient (this contract) or a protocol contract: nothing is minted, burned or paid to an
    /// address no one controls.
    function invariant_tokensConserved() public view {
        vm.assertEq(token.totalSupply(), TOTAL_SUPPLY, "totalSupply changed");
        uint256 sum = token.balanceOf(address(this)) + token.balanceOf(rewarder) + token.balanceOf(address(handler));
        address[] memory actors = handler.actors();
        for (uint256 i = 0; i < actors.length; ++i) {
            sum += token.balanceOf(actors[i]);
        }
        address[] memory holders = _protocolHolders();
        for (uint256 i = 0; i < holders.length; ++i) {
            sum += token.balanceOf(holders[i]);
        }
        vm.assertEq(sum, token.totalSupply(), "tokens outside the known holders");
    }

    /// @notice Staking never owes more than it holds (its own design note).
    function invariant_stakingSolvent() public view {
        vm.assertGe(
            token.balanceOf(address(staking)),
            staking.totalBonded() + staking.totalUnbonding() + staking.totalRewardsHeld(),
            "Staking insolvent"
        );
    }

    /// @notice ... and holds exactly that, plus what was sent to it without a call.
    function invariant_stakingBalanceExact() public view {
        vm.assertEq(
            token.balanceOf(address(staking)),
            staking.totalBonded() + staking.totalUnbonding() + staking.totalRewardsHeld() + handler.ghostDonated(),
            "Staking balance != bonded + unbonding + rewards + donations"
        );
    }

    /// @notice The totals are the sums of their parts: validators' tokens, delegators' shares and
    /// unbonding balances (only actors ever call Staking, so only actors hold positions).
    function invariant_stakingBookkeeping() public view {
        address[] memory actors = handler.actors();
        address[] memory validators = staking.validators();
        uint256 bonded;
        for (uint256 v = 0; v < validators.length; ++v) {
            IStaking.ValidatorView memory view_ = staking.getValidator(validators[v]);
            bonded += view_.tokens;
            uint256 shares;
            uint256 value;
            for (uint256 a = 0; a < actors.length; ++a) {
                (uint256 s, uint256 t) = staking.delegationOf(validators[v], actors[a]);
                shares += s;
                value += t;
            }
            vm.assertEq(shares, view_.totalShares, "validator totalShares != sum of delegators' shares");
            vm.assertLe(value, view_.tokens, "delegations worth more than the pool");
        }
        vm.assertEq(bonded, staking.totalBonded(), "totalBonded != sum of validators' tokens");

        uint256 unbonding;
        for (uint256 a = 0; a < actors.length; ++a) {
            IStaking.UnbondingEntry[] memory entries = staking.unbondingEntries(actors[a]);
            for (uint256 e = 0; e < entries.length; ++e) {
                unbonding += entries[e].balance;
            }
        }
        vm.assertEq(unbonding, staking.totalUnbonding(), "totalUnbonding != sum of unbonding entries");
    }

    /// @notice Everything claimable (delegators' rewards and validators' commission) is covered by
    /// totalRewardsHeld: claims can never take bonded or unbonding tokens.
    function invariant_rewardsCovered() public view {
        address[] memory actors = handler.actors();
        address[] memory validators = staking.validators();
        uint256 claimable;
        for (uint256 v = 0; v < validators.length; ++v) {
            for (uint256 a = 0; a < actors.length; ++a) {
                // includes the commission once, when the actor is the validator itself
                claimable += staking.pendingRewards(validators[v], actors[a]);
            }
        }
        vm.assertLe(claimable, staking.totalRewardsHeld(), "claimable rewards exceed totalRewardsHeld");
    }

    /// @notice Position sets and delegator counts follow the shares: a validator is in
    /// `delegatorValidators(d)` exactly when d holds shares of it, and `delegatorCount` counts
    /// those delegators (Staking ignores EnumerableSet's add/remove results on this assumption).
    function invariant_positionsMatchShares() public view {
        address[] memory actors = handler.actors();
        address[] memory validators = staking.validators();
        for (uint256 v = 0; v < validators.length; ++v) {
            uint256 holders;
            for (uint256 a = 0; a < actors.length; ++a) {
                (uint256 shares,) = staking.delegationOf(validators[v], actors[a]);
                if (shares > 0) ++holders;
                vm.assertEq(
                    _contains(staking.delegatorValidators(actors[a]), validators[v]) ? 1 : 0,
                    shares > 0 ? 1 : 0,
                    "delegatorValidators out of step with shares"
                );
            }
            vm.assertEq(staking.getValidator(validators[v]).delegatorCount, holders, "delegatorCount != holders");
        }
    }

    /// @notice No call panicked (overflow, underflow, division by zero, bad index) or reverted
    /// without data: the contracts only revert with their custom errors.
    function invariant_noPanics() public view {
        if (handler.panics() + handler.emptyReverts() > 0) {
            bytes4 selector = handler.firstBadSelector();
            vm.assertEq(
                handler.panics() + handler.emptyReverts(),
                0,
                string.concat(
                    "panic or empty revert; first in ",
                    handler.selectorName(selector),
                    ", revert data length ",
                    vm.toString(handler.firstBadRevert().length)
                )
            );
        }
    }

    /// @notice Every call made so far fits in a transaction under the EIP-7825 cap (2^24 gas).
    /// I5 applies this to dispute and slash once the handler calls them.
    function invariant_callsFitInATransaction() public view {
        bytes4[] memory selectors = handler.seenSelectors();
        for (uint256 i = 0; i < selectors.length; ++i) {
            (,,, uint64 maxTxGas) = handler.stats(selectors[i]);
            vm.assertLt(maxTxGas, handler.TX_GAS_CAP(), "a call needs more than 2^24 gas");
        }
    }

    /// @notice Once per run (shown with -vv): what the run did.
    function afterInvariant() external view {
        bytes4[] memory selectors = handler.seenSelectors();
        for (uint256 i = 0; i < selectors.length; ++i) {
            (uint64 calls, uint64 reverts, uint64 maxGas, uint64 maxTxGas) = handler.stats(selectors[i]);
            console.log(
                string.concat(
                    handler.selectorName(selectors[i]),
                    ": calls ",
                    vm.toString(calls),
                    ", reverts ",
                    vm.toString(reverts),
                    ", max gas ",
                    vm.toString(maxGas),
                    ", max tx gas ",
                    vm.toString(maxTxGas)
                )
            );
        }
        console.log("validators", staking.validatorCount());
        console.log("warps", handler.ghostWarps());
    }

    function _contains(address[] memory list, address item) internal pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i] == item) return true;
        }
        return false;
    }
}
