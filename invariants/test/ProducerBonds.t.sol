// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {ProtocolSetup} from "../src/ProtocolSetup.sol";
import {SettlementHandler} from "../src/handlers/SettlementHandler.sol";

import {INodeBonds} from "../src/interfaces/Protocol.sol";

/// @notice The producer pays for a false result: the node that settled a TEE record stands behind
/// it with its bond (NodeBonds), and a record proven false (InferenceSettlement.disputeProducer)
/// slashes the bond, refunds the payer, pays the challenger and disables the node's enclave. Over
/// the same random sequences as the other suites (ProtocolSetup), with nodes bonding, unbonding and
/// withdrawing, settling only while bonded, and governance moving the window and the bond's
/// parameters:
/// - I6: every false TEE record is slashable against its node while its window is open, and every
///   producer dispute that succeeds follows the slash rule exactly;
/// - I7: no honest record is ever producer-slashable;
/// - I8: no bond leaves before the windows of the records it stood behind have closed.
/// "False" and "honest" are SettlementHandler's ground truth (it made the records and models the
/// registry; I1 checks its model against checkGround), the window is its own model of the rule
/// (a record keeps the challenge window in force when it settled; a change applies from the next
/// second), checked against recordDisputableUntil at every settlement.
contract ProducerBondInvariants is ProtocolSetup {
    /// @notice I6. Not `view`: in every state, every false TEE record whose window is open and
    /// whose node was not disputed yet is disputed for real with the ground that holds, by one of
    /// the actors, and undone (`snapshotState` / `revertToStateAndDelete`): it must succeed, and
    /// the node's bond must be cut by exactly min(fee + bond x fraction, bond), active first, the
    /// payer refunded exactly min(fee, slashed), the challenger paid its share of the rest, the
    /// treasury the remainder, nothing kept by the settlement or paid to the node, and the record's
    /// enclave disabled from the next second exactly when the node registered it
    /// (SettlementHandler._producerOutcome). Plus the fuzzer's own producer disputes, the
    /// settlements (a TEE record settles exactly when its node is bonded), the window model against
    /// recordDisputableUntil and the stored hash against the record's own hash (`producerFailures`).
    function invariant_falseRecordsSlashTheirProducer() public {
        vm.assertEq(market.producerFailures(), 0, string.concat("producer slash rule broken: ", market.firstProducerFailure()));
        uint256[] memory open = market.openRecords(true);
        for (uint256 i = 0; i < open.length; ++i) {
            uint256 snapshot = vm.snapshotState();
            (bool slashable, string memory why) = market.probeFalseRecord(open[i]);
            vm.revertToStateAndDelete(snapshot);
            if (slashable) continue;
            SettlementHandler.RecordGhost memory r = market.recordAt(open[i]);
            vm.assertTrue(
                slashable,
                string.concat(
                    "false record escapes its producer in its window: record ",
                    vm.toString(r.id),
                    " by node ",
                    vm.toString(r.node),
                    ", window until ",
                    vm.toString(uint256(r.windowEnd)),
                    ": ",
                    why
                )
            );
        }
    }

    /// @notice I7. Not `view`: no producer dispute the fuzzer made succeeded against an honest
    /// record, and in every state every honest TEE record still in its window is disputed for real
    /// with grounds 1-3, as its node and as another actor: each must revert (a refused dispute
    /// changes nothing, so no snapshot is needed).
    function invariant_honestRecordsNeverSlashTheirProducer() public {
        vm.assertEq(market.honestProducersSlashed(), 0, string.concat("an honest record's node was slashed: ", market.firstHonestProducerSlash()));
        uint256[] memory open = market.openRecords(false);
        for (uint256 i = 0; i < open.length; ++i) {
            (bool disputed, uint8 ground) = market.probeHonestRecord(open[i]);
            if (!disputed) continue;
            vm.assertFalse(
                disputed,
                string.concat(
                    "honest record producer-slashable: record ",
                    vm.toString(market.recordAt(open[i]).id),
                    ", ground ",
                    vm.toString(uint256(ground))
                )
            );
        }
    }

    /// @notice I8: every unbond the fuzzer made is released after the window end of every TEE
    /// record its node had settled (so a dispute on the last second of one still finds the bond),
    /// and every withdrawal came after the windows of the records settled before the node's last
    /// unbond had closed (`bondReleaseViolations`, SettlementHandler._unbonded / _withdrew). In
    /// every state: what is unbonding is released after those windows, and each node's reserved
    /// bond is exactly the fees of its TEE records not producer-disputed, until the day after their
    /// windows close (SettlementHandler.modelReserved), and never more than its active bond.
    function invariant_bondsOutlastTheirRecords() public view {
        vm.assertEq(market.bondReleaseViolations(), 0, string.concat("a bond left before its records' windows closed: ", market.firstBondReleaseViolation()));
        address[] memory actors = handler.actors();
        for (uint256 i = 0; i < actors.length; ++i) {
            INodeBonds.BondView memory b = bonds.bondOf(actors[i]);
            vm.assertEq(b.reserved, market.modelReserved(actors[i]), string.concat("reserved bond of ", vm.toString(actors[i]), " != the fees of its open records"));
            vm.assertLe(b.reserved, b.active, "reserved more than the active bond");
            if (b.unbonding == 0 || b.releaseAt > market.windowEndAtUnbond(actors[i])) continue;
            vm.assertLt(
                market.windowEndAtUnbond(actors[i]),
                b.releaseAt,
                string.concat("unbonding of ", vm.toString(actors[i]), " released before a window it stood behind closes")
            );
        }
    }
}
