// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {InvariantTest} from "./InvariantTest.sol";
import {ProtocolDeployment} from "./ProtocolDeployment.sol";
import {console} from "./Console.sol";
import {CallRecorder} from "./handlers/CallRecorder.sol";
import {SettlementHandler} from "./handlers/SettlementHandler.sol";
import {StakingHandler} from "./handlers/StakingHandler.sol";

/// @notice What every invariant suite here starts from: the protocol deployed as deploy.py does,
/// six funded actors (three of them validators at genesis), and both handlers targeted, so every
/// invariant is checked over random sequences of delegation *and* market calls: settle, attest,
/// dispute, claims, registry and governance changes (invariants/README.md).
abstract contract ProtocolSetup is InvariantTest, ProtocolDeployment {
    uint256 internal constant ACTORS = 6;
    uint256 internal constant ACTOR_FUNDS = 1_000_000e18;
    uint256 internal constant REWARDER_FUNDS = 10_000_000e18;
    uint256 internal constant START = 1_750_000_000; // a realistic clock, far from 0

    StakingHandler internal handler;
    SettlementHandler internal market;
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

        // A published model, two registered enclaves, four bonded nodes (SettlementHandler's constructor).
        market =
            new SettlementHandler(handler, settlement, bonds, hub, registry, address(timelock), DEV_ROOT, DEV_MEASUREMENT);

        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: handler.actions()}));
        targetContract(address(market));
        targetSelector(FuzzSelector({addr: address(market), selectors: market.actions()}));
    }

    /// @dev Both handlers, for the invariants over calls (panics, gas).
    function _recorders() internal view returns (CallRecorder[2] memory) {
        return [CallRecorder(handler), CallRecorder(market)];
    }

    /// @notice Once per run (shown with -vv): what the run did, per target function of the real
    /// contracts (calls, reverts, gas), and how far the market got.
    function afterInvariant() external view {
        CallRecorder[2] memory recorders = _recorders();
        for (uint256 h = 0; h < recorders.length; ++h) {
            bytes4[] memory selectors = recorders[h].seenSelectors();
            for (uint256 i = 0; i < selectors.length; ++i) {
                (uint64 calls, uint64 reverts, uint64 maxGas, uint64 maxTxGas) = recorders[h].stats(selectors[i]);
                console.log(
                    string.concat(
                        recorders[h].selectorName(selectors[i]),
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
        }
        console.log("validators", staking.validatorCount());

        console.log("warps", handler.ghostWarps());
        console.log(
            string.concat(
                "records good/bad ",
                vm.toString(market.recordsGood()),
                "/",
                vm.toString(market.recordsBad()),
                ", verdicts honest/dishonest ",
                vm.toString(market.verdictsHonest()),
                "/",
                vm.toString(market.verdictsDishonest()),
                ", disputes slashed/covered ",
                vm.toString(market.disputesSlashed()),
                "/",
                vm.toString(market.disputesCovered()),
                ", open bad verdicts disputed ",
                vm.toString(market.openBadDisputesTried()),
                ", losses measured ",
                vm.toString(market.lossesMeasured()),
                " (with entries ",
                vm.toString(market.lossesThroughEntries()),
                "), registry changes ",
                vm.toString(market.registryChanges()),
                ", param changes ",
                vm.toString(market.paramChanges())
            )
        );
        console.log(
            string.concat(
                "producer disputes slashed ",
                vm.toString(market.producerSlashes()),
                " (bond empty ",
                vm.toString(market.producerSlashesEmpty()),
                ", enclaves disabled ",
                vm.toString(market.enclavesDisabled()),
                "), most false records open at once ",
                vm.toString(market.maxOpenFalseRecords()),
                ", bonds/unbonds/withdrawals ",
                vm.toString(market.bondsMade()),
                "/",
                vm.toString(market.unbondsMade()),
                "/",
                vm.toString(market.withdrawalsMade()),
                ", TEE settlements refused NodeNotBonded/BondCommitted/NotSettlersEnclave ",
                vm.toString(market.settlesUnbonded()),
                "/",
                vm.toString(market.settlesCommitted()),
                "/",
                vm.toString(market.settlesNotTheirs()),
                ", open TEE records now: false ",
                vm.toString(market.openRecords(true).length),
                ", honest ",
                vm.toString(market.openRecords(false).length)
            )
        );
        // Its own line: one more argument does not fit the summary's string.concat (stack depth).
        console.log(string.concat("exact payments made out to another node's till, refused ", vm.toString(market.settlesLifted())));
        console.log(
            string.concat(
                "open verdicts now: dishonest ",
                vm.toString(market.openVerdicts(true).length),
                ", honest ",
                vm.toString(market.openVerdicts(false).length)
            )
        );
    }
}
