// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @dev The part of ModelHub a batch's records are priced by.
interface IModelTerms {
    function callTerms(uint256 modelId, uint8 mode) external view returns (uint256 price, bool callable);
}

/// @title BatchRecords
/// @notice The format of the records InferenceSettlement commits in batches, and the checks a
/// batch's records must pass, as a stateless contract the settlement calls (it has no room for
/// them in its own code). A record is BATCH_RECORD_BYTES packed:
///   modelId uint32 | inputHash | outputHash | requestId | timestamp uint40 | mode uint8 |
///   channel uint8 (index into the batch's claims) | fee uint96 | signature (r, s, v; 65 bytes)
/// Its leaf is keccak256(record || payer || node); leaves pair up level by level in order (an odd
/// last node with zero) into the batch's root, and a proof is the siblings from the leaf up, one
/// per level, so it names the record's position as well as the record.
/// @dev No storage, no owner, nothing to upgrade: the settlement names it once, at deployment.
contract BatchRecords {
    uint256 public constant RECORD_BYTES = 184;
    uint256 private constant TIME_AT = 100;
    uint256 private constant MODE_AT = 105;
    uint256 private constant CHANNEL_AT = 106;
    uint256 private constant FEE_AT = 107;
    uint256 private constant SIGNATURE_AT = 119;
    uint256 public constant MAX_RECORDS = 256;
    uint256 private constant CALL_TERMS_SELECTOR = 0xd1ee9d34; // IModelTerms.callTerms(uint256,uint8)
    /// @notice As InferenceSettlement.MAX_RECORD_AGE: a record's time lies in [commit - 1 h, commit].
    uint64 public constant MAX_RECORD_AGE = 1 hours;

    uint8 private constant MODE_VANILLA = 1;
    uint8 private constant MODE_TEE = 2;
    uint8 private constant MODE_ZKML = 4;

    /// @notice What a batch's records add up to. `fees` per channel is in `owed`; `toPublishers`
    /// is the sum of the runs' amounts; a TEE record's validator cut goes to `validatorPool`,
    /// every other record's to `toTreasury`.
    struct Totals {
        bytes32 root;
        uint256 fees;
        uint256 toNode;
        uint256 toTreasury;
        uint256 validatorPool;
        uint256 teeFees;
        uint256 teeMask;
    }

    /// @notice Consecutive records of one model, credited to its publisher at once.
    struct ModelRun {
        uint256 modelId;
        uint256 calls;
        uint256 amount;
    }

    error BadBatch();
    error UnknownChannel(uint256 record);
    error UnknownMode(uint8 mode);
    error RecordTimeOutOfBounds(uint64 recordTime, uint64 settlementTime);
    error ModelNotCallable(uint256 modelId, uint8 mode);
    error Underpaid(uint256 paid, uint256 required);

    /// @notice Checks every record of `records` (a known mode, a time within MAX_RECORD_AGE before
    /// now, a model callable in that mode, a fee covering its price and the cuts, a channel among
    /// `payers`) and adds up their split; leaves bind each record to its channel's payer and `node`.
    /// Returns the totals, what each channel owes, and the publisher credits in runs of one model.
    function split(
        bytes calldata records,
        address[] calldata payers,
        address node,
        uint16 validatorFeeBps,
        uint16 treasuryFeeBps,
        IModelTerms hub
    ) external view returns (Totals memory t, uint256[] memory owed, ModelRun[] memory runs) {
        uint256 count = records.length / RECORD_BYTES;
        if (count == 0 || count > MAX_RECORDS || records.length != count * RECORD_BYTES) revert BadBatch();
        bytes32[] memory leaves = new bytes32[](count);
        owed = new uint256[](payers.length);
        runs = new ModelRun[](count);
        uint256 failed = _splitLoop(records, payers, node, validatorFeeBps, treasuryFeeBps, hub, t, owed, runs, leaves);
        if (failed != 0) _revertFor(records, failed - 1, payers, validatorFeeBps, treasuryFeeBps, hub);
        t.root = _root(leaves);
    }

    /// @dev split's loop, in assembly: it runs once per call the network serves, and compiled
    /// from Solidity it spent some 2,000 gas a record on spilled locals and recomputed offsets
    /// (about 400 here). It applies split's rules to every record in order, adds the record's split
    /// to `t` (all but the root), `owed` and the current model run (trimming `runs` to the runs
    /// made), and writes its leaf; at the first record that breaks a rule it stops and returns
    /// that record's index + 1 (0: every record passed), and split reverts for it with the rule's
    /// own error (_revertFor). `payers` are addresses the settlement decoded (clean words); the
    /// sums cannot overflow: a fee is a uint96, a batch at most 256 records, a price at most the
    /// fee it is checked against.
    function _splitLoop(
        bytes calldata records,
        address[] calldata payers,
        address node,
        uint256 validatorFeeBps,
        uint256 treasuryFeeBps,
        IModelTerms hub,
        Totals memory t,
        uint256[] memory owed,
        ModelRun[] memory runs,
        bytes32[] memory leaves
    ) private view returns (uint256 failed) {
        assembly ("memory-safe") {
            // The loop keeps only per-record values on the stack (more would be spilled to memory
            // by the compiler, at a cost per use); the rest sits in a context block past the free
            // memory pointer, followed by the scratch the leaves and the callTerms calls use.
            let ctx := mload(0x40)
            mstore(ctx, hub)
            mstore(add(ctx, 0x20), validatorFeeBps)
            mstore(add(ctx, 0x40), treasuryFeeBps)
            mstore(add(ctx, 0x60), node)
            mstore(add(ctx, 0x80), payers.offset)
            mstore(add(ctx, 0xa0), payers.length)
            mstore(add(ctx, 0xc0), t)
            mstore(add(ctx, 0xe0), owed)
            mstore(add(ctx, 0x100), runs)
            mstore(add(ctx, 0x120), 0) // run: the current ModelRun (runs[nRuns - 1])
            mstore(add(ctx, 0x140), not(0)) // its model id (no uint32 equals this)
            mstore(add(ctx, 0x160), 0) // the mode `price` is for (0: none)
            mstore(add(ctx, 0x180), 0) // price
            mstore(add(ctx, 0x1a0), 0) // nRuns
            let scratch := add(ctx, 0x1c0)
            let i := 0
            for { let at := records.offset } lt(at, add(records.offset, records.length)) {
                at := add(at, RECORD_BYTES)
                i := add(i, 1)
            } {
                let tail := calldataload(add(at, TIME_AT)) // time uint40 | mode | channel | ...
                let mode := byte(5, tail)
                let channel := byte(6, tail)
                if iszero(lt(channel, mload(add(ctx, 0xa0)))) {
                    failed := add(i, 1)
                    break
                }
                if iszero(or(eq(mode, MODE_VANILLA), or(eq(mode, MODE_TEE), eq(mode, MODE_ZKML)))) {
                    failed := add(i, 1)
                    break
                }
                {
                    let time := shr(216, tail)
                    if or(gt(time, timestamp()), lt(add(time, MAX_RECORD_AGE), timestamp())) {
                        failed := add(i, 1)
                        break
                    }
                }
                {
                    let modelId := shr(224, calldataload(at)) // uint32
                    if iszero(eq(modelId, mload(add(ctx, 0x140)))) {
                        let nRuns := mload(add(ctx, 0x1a0))
                        let run := mload(add(mload(add(ctx, 0x100)), shl(5, add(nRuns, 1))))
                        mstore(run, modelId)
                        mstore(add(ctx, 0x120), run)
                        mstore(add(ctx, 0x1a0), add(nRuns, 1))
                        mstore(add(ctx, 0x140), modelId)
                        mstore(add(ctx, 0x160), 0)
                    }
                    if iszero(eq(mode, mload(add(ctx, 0x160)))) {
                        mstore(scratch, shl(224, CALL_TERMS_SELECTOR))
                        mstore(add(scratch, 0x04), modelId)
                        mstore(add(scratch, 0x24), mode)
                        let ok := staticcall(gas(), mload(ctx), scratch, 0x44, scratch, 0x40)
                        // A failed or odd answer, or a model not callable: _revertFor asks again
                        // through Solidity's ABI decoder and reverts with what it finds.
                        if or(iszero(ok), or(lt(returndatasize(), 0x40), iszero(mload(add(scratch, 0x20))))) {
                            failed := add(i, 1)
                            break
                        }
                        mstore(add(ctx, 0x180), mload(scratch))
                        mstore(add(ctx, 0x160), mode)
                    }
                }
                let fee := shr(160, calldataload(add(at, FEE_AT))) // uint96
                {
                    let price := mload(add(ctx, 0x180))
                    let validatorCut := div(mul(fee, mload(add(ctx, 0x20))), 10000)
                    let treasuryCut := div(mul(fee, mload(add(ctx, 0x40))), 10000)
                    if or(lt(fee, price), lt(sub(fee, price), add(validatorCut, treasuryCut))) {
                        failed := add(i, 1)
                        break
                    }
                    let run := mload(add(ctx, 0x120))
                    mstore(add(run, 0x20), add(mload(add(run, 0x20)), 1)) // run.calls
                    mstore(add(run, 0x40), add(mload(add(run, 0x40)), price)) // run.amount
                    let totals := mload(add(ctx, 0xc0))
                    mstore(add(totals, 0x20), add(mload(add(totals, 0x20)), fee)) // fees
                    mstore(add(totals, 0x40), add(mload(add(totals, 0x40)), sub(sub(sub(fee, price), validatorCut), treasuryCut))) // toNode
                    // Only TEE verdicts are checkable on chain, so only they are paid (as in `settle`).
                    switch eq(mode, MODE_TEE)
                    case 1 {
                        mstore(add(totals, 0x60), add(mload(add(totals, 0x60)), treasuryCut)) // toTreasury
                        mstore(add(totals, 0x80), add(mload(add(totals, 0x80)), validatorCut)) // validatorPool
                        mstore(add(totals, 0xa0), add(mload(add(totals, 0xa0)), fee)) // teeFees
                        mstore(add(totals, 0xc0), or(mload(add(totals, 0xc0)), shl(i, 1))) // teeMask
                    }
                    default {
                        mstore(add(totals, 0x60), add(mload(add(totals, 0x60)), add(treasuryCut, validatorCut)))
                    }
                }
                {
                    let slot := add(mload(add(ctx, 0xe0)), shl(5, add(channel, 1))) // owed[channel]
                    mstore(slot, add(mload(slot), fee))
                }
                // leaves[i] = keccak256(record || payer || node)
                calldatacopy(scratch, at, RECORD_BYTES)
                mstore(add(scratch, RECORD_BYTES), shl(96, calldataload(add(mload(add(ctx, 0x80)), shl(5, channel)))))
                mstore(add(scratch, add(RECORD_BYTES, 20)), shl(96, mload(add(ctx, 0x60))))
                mstore(add(leaves, shl(5, add(i, 1))), keccak256(scratch, add(RECORD_BYTES, 40)))
            }
            mstore(runs, mload(add(ctx, 0x1a0)))
        }
    }

    /// @dev Reverts with the error of the first rule record `i` breaks (split's rules, checked
    /// again in Solidity: the slow path, taken only by a batch that is refused anyway).
    function _revertFor(
        bytes calldata records,
        uint256 i,
        address[] calldata payers,
        uint256 validatorFeeBps,
        uint256 treasuryFeeBps,
        IModelTerms hub
    ) private view {
        bytes calldata r = records[i * RECORD_BYTES:(i + 1) * RECORD_BYTES];
        if (uint8(r[CHANNEL_AT]) >= payers.length) revert UnknownChannel(i);
        uint8 mode = uint8(r[MODE_AT]);
        if (mode != MODE_VANILLA && mode != MODE_TEE && mode != MODE_ZKML) revert UnknownMode(mode);
        uint64 time = uint40(bytes5(r[TIME_AT:TIME_AT + 5]));
        if (time > block.timestamp || time + MAX_RECORD_AGE < block.timestamp) {
            revert RecordTimeOutOfBounds(time, uint64(block.timestamp));
        }
        uint256 modelId = uint32(bytes4(r[0:4]));
        (uint256 price, bool callable) = hub.callTerms(modelId, mode);
        if (!callable) revert ModelNotCallable(modelId, mode);
        uint256 fee = uint96(bytes12(r[FEE_AT:SIGNATURE_AT]));
        uint256 required = price + fee * validatorFeeBps / 10_000 + fee * treasuryFeeBps / 10_000;
        if (fee < required) revert Underpaid(fee, required);
        revert BadBatch(); // unreachable while _splitLoop and this function state the same rules
    }

    /// @notice The leaf of `record` paid by `payer` and committed by `node`.
    function leaf(bytes calldata record, address payer, address node) public pure returns (bytes32) {
        if (record.length != RECORD_BYTES) revert BadBatch();
        return keccak256(abi.encodePacked(record, payer, node));
    }

    /// @notice Whether `proof` puts `record` (paid by `payer`, committed by `node`) at `index` of a
    /// batch of `count` records whose root is `root`. The proof must have exactly one sibling per
    /// level, so an inner node can never pass for a leaf.
    function proves(
        bytes32 root,
        uint256 count,
        uint256 index,
        bytes calldata record,
        address payer,
        address node,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        if (index >= count) return false;
        uint256 depth;
        for (uint256 n = count; n > 1; n = (n + 1) / 2) ++depth;
        if (proof.length != depth) return false;
        bytes32 h = leaf(record, payer, node);
        for (uint256 k = 0; k < depth; ++k) {
            h = index & 1 == 0 ? _hashPair(h, proof[k]) : _hashPair(proof[k], h);
            index >>= 1;
        }
        return h == root;
    }

    /// @notice Who `record`'s signature recovers to over the result it states (the settlement's
    /// InferenceResult, under `domainSeparator`), and whether it recovers at all (OpenZeppelin's
    /// ECDSA: 65 bytes, low s, v 27 or 28; the protocol's one rule). Also its mode, time and fee.
    function inspect(bytes calldata record, bytes32 domainSeparator, bytes32 resultTypehash)
        external
        pure
        returns (address signer, bool recovered, uint8 mode, uint64 time, uint256 fee)
    {
        if (record.length != RECORD_BYTES) revert BadBatch();
        mode = uint8(record[MODE_AT]);
        time = uint40(bytes5(record[TIME_AT:TIME_AT + 5]));
        fee = uint96(bytes12(record[FEE_AT:SIGNATURE_AT]));
        bytes32 structHash = keccak256(
            abi.encode(
                resultTypehash,
                uint256(uint32(bytes4(record[0:4]))),
                bytes32(record[4:36]),
                bytes32(record[36:68]),
                bytes32(record[68:TIME_AT]),
                time,
                mode
            )
        );
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", domainSeparator, structHash));
        (address who, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, record[SIGNATURE_AT:RECORD_BYTES]);
        recovered = err == ECDSA.RecoverError.NoError;
        signer = recovered ? who : address(0);
    }

    /// @dev The root over `level` (overwritten): pairs in order, an odd last node with zero.
    function _root(bytes32[] memory level) private pure returns (bytes32 root) {
        assembly ("memory-safe") {
            let first := add(level, 0x20)
            let n := mload(level)
            // An odd level gets a zero after its last node; the word there is free memory or the
            // next array's length, so it is restored after the level is hashed.
            for {} gt(n, 1) {} {
                let end := add(first, shl(5, n))
                let saved := mload(end)
                if and(n, 1) { mstore(end, 0) }
                let half := shr(1, add(n, 1))
                for { let i := 0 } lt(i, half) { i := add(i, 1) } {
                    let pair := add(first, shl(6, i))
                    mstore(add(first, shl(5, i)), keccak256(pair, 0x40))
                }
                mstore(end, saved)
                n := half
            }
            root := mload(first)
        }
    }

    function _hashPair(bytes32 left, bytes32 right) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }
}
