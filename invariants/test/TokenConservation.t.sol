// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {ProtocolSetup} from "../src/ProtocolSetup.sol";
import {CallRecorder} from "../src/handlers/CallRecorder.sol";

import {INodeBonds, IStaking} from "../src/interfaces/Protocol.sol";

/// @notice Token conservation and the books of Staking, InferenceSettlement and ModelHub under
/// adversarial use. The whole protocol is deployed as ogcli/protocol/deploy.py deploys it
/// (ProtocolSetup); the fuzzer drives StakingHandler's actions (delegate, undelegate, redelegate,
/// withdraw, claim, register, unjail, rewards, transfers, donations, time) and SettlementHandler's
/// (settle, attest, dispute, claims and sweeps, enclaves, governance, publishers), and every
/// `invariant_*` below is checked after each call. The slashing guarantee (I1, I2, I4) is in
/// SlashingGuarantee.t.sol, over the same setup.
/// @dev Template for the rest of the suite (invariants/README.md): a new invariant is one more
/// public view function named `invariant_*` that reverts (VM.assert*) when the property fails.
contract TokenConservationInvariants is ProtocolSetup {
    // ---------------------------------------------------------------- invariants

    /// @notice Fixed supply, and every token is held by an actor (delegators, validators, nodes,
    /// payers, challengers and publishers are all actors), the rewarder, the community recipient
    /// (this contract), a handler or a protocol contract (the treasury is the timelock: fees,
    /// forfeited rewards, slashed stake): nothing is minted, burned or paid to an address no one
    /// controls. And the market's contracts hold exactly what they owe: InferenceSettlement the
    /// verdict rewards not yet claimed, forfeited or swept, ModelHub the publishers' earnings,
    /// NodeBonds its `totalBonded`, which is the sum of the nodes' bonds (active + unbonding; only
    /// actors bond).
    function invariant_tokensConserved() public view {
        vm.assertEq(token.totalSupply(), TOTAL_SUPPLY, "totalSupply changed");
        uint256 sum = token.balanceOf(address(this)) + token.balanceOf(rewarder) + token.balanceOf(address(handler))
            + token.balanceOf(address(market));
        address[] memory actors = handler.actors();
        for (uint256 i = 0; i < actors.length; ++i) {
            sum += token.balanceOf(actors[i]);
        }
        address[] memory holders = _protocolHolders();
        for (uint256 i = 0; i < holders.length; ++i) {
            sum += token.balanceOf(holders[i]);
        }
        vm.assertEq(sum, token.totalSupply(), "tokens outside the known holders");

        vm.assertEq(token.balanceOf(address(settlement)), market.settlementOwed(), "InferenceSettlement balance != rewards owed");
        uint256 earnings;
        for (uint256 i = 0; i < actors.length; ++i) {
            earnings += hub.earningsOf(actors[i]);
        }
        vm.assertEq(token.balanceOf(address(hub)), earnings, "ModelHub balance != publishers' earnings");

        uint256 bonded;
        for (uint256 i = 0; i < actors.length; ++i) {
            INodeBonds.BondView memory b = bonds.bondOf(actors[i]);
            bonded += b.active + b.unbonding;
        }
        vm.assertEq(token.balanceOf(address(bonds)), bonds.totalBonded(), "NodeBonds balance != totalBonded");
        vm.assertEq(bonds.totalBonded(), bonded, "NodeBonds totalBonded != sum of the nodes' bonds");
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
    /// unbonding balances (only actors ever call Staking, so only actors hold positions). Slashes
    /// reach unbonding entries lazily: `totalUnbonding` counts an entry's stored balance, which is
    /// its `initialBalance` (a redelegation's cut taken from the entry lowers both), while the
    /// view's `balance` also deducts what its own validator's slash will take at withdraw.
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

        uint256 payable_;
        uint256 initial;
        for (uint256 a = 0; a < actors.length; ++a) {
            IStaking.UnbondingEntry[] memory entries = staking.unbondingEntries(actors[a]);
            for (uint256 e = 0; e < entries.length; ++e) {
                payable_ += entries[e].balance;
                initial += entries[e].initialBalance;
                vm.assertLe(entries[e].balance, entries[e].initialBalance, "unbonding entry pays more than it holds");
            }
        }
        vm.assertEq(initial, staking.totalUnbonding(), "totalUnbonding != sum of unbonding entries");
        vm.assertLe(payable_, initial, "unbonding entries pay more than totalUnbonding");
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
        address[][] memory held = new address[][](actors.length); // read once per actor
        for (uint256 a = 0; a < actors.length; ++a) {
            held[a] = staking.delegatorValidators(actors[a]);
        }
        for (uint256 v = 0; v < validators.length; ++v) {
            uint256 holders;
            for (uint256 a = 0; a < actors.length; ++a) {
                (uint256 shares,) = staking.delegationOf(validators[v], actors[a]);
                if (shares > 0) ++holders;
                vm.assertEq(
                    _contains(held[a], validators[v]) ? 1 : 0,
                    shares > 0 ? 1 : 0,
                    "delegatorValidators out of step with shares"
                );
            }
            vm.assertEq(staking.getValidator(validators[v]).delegatorCount, holders, "delegatorCount != holders");
        }
    }

    /// @notice No call panicked (overflow, underflow, division by zero, bad index) or reverted
    /// without data: the contracts only revert with their custom errors. Both handlers' calls.
    function invariant_noPanics() public view {
        CallRecorder[2] memory recorders = _recorders();
        for (uint256 h = 0; h < recorders.length; ++h) {
            CallRecorder r = recorders[h];
            if (r.panics() + r.emptyReverts() == 0) continue;
            vm.assertEq(
                r.panics() + r.emptyReverts(),
                0,
                string.concat(
                    "panic or empty revert; first in ",
                    r.selectorName(r.firstBadSelector()),
                    ", revert data ",
                    vm.toString(r.firstBadRevert())
                )
            );
        }
    }

    /// @notice Every call made so far fits in a transaction under the EIP-7825 cap (2^24 gas),
    /// dispute and Staking.slash included (I5): both handlers' calls (each keeps its maximum over
    /// every target function, `maxTxGasAny`, besides the per-function maxima in `stats`).
    function invariant_callsFitInATransaction() public view {
        CallRecorder[2] memory recorders = _recorders();
        for (uint256 h = 0; h < recorders.length; ++h) {
            CallRecorder r = recorders[h];
            if (r.maxTxGasAny() < r.TX_GAS_CAP()) continue; // the message costs more than the check
            vm.assertLt(r.maxTxGasAny(), r.TX_GAS_CAP(), string.concat(r.selectorName(r.maxTxGasSelector()), " needs more than 2^24 gas"));
        }
    }

    function _contains(address[] memory list, address item) internal pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i] == item) return true;
        }
        return false;
    }
}
