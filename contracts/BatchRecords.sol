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
        uint256 nRuns;
        uint256 price;
        uint8 pricedMode;
        for (uint256 i = 0; i < count; ++i) {
            bytes calldata r = records[i * RECORD_BYTES:(i + 1) * RECORD_BYTES];
            uint256 channel = uint8(r[CHANNEL_AT]);
            if (channel >= payers.length) revert UnknownChannel(i);
            uint8 mode = uint8(r[MODE_AT]);
            if (mode != MODE_VANILLA && mode != MODE_TEE && mode != MODE_ZKML) revert UnknownMode(mode);
            uint64 time = uint40(bytes5(r[TIME_AT:TIME_AT + 5]));
            if (time > block.timestamp || time + MAX_RECORD_AGE < block.timestamp) {
                revert RecordTimeOutOfBounds(time, uint64(block.timestamp));
            }
            uint256 modelId = uint32(bytes4(r[0:4]));
            if (nRuns == 0 || modelId != runs[nRuns - 1].modelId) {
                runs[nRuns++].modelId = modelId;
                pricedMode = 0;
            }
            if (mode != pricedMode) {
                bool callable;
                (price, callable) = hub.callTerms(modelId, mode);
                if (!callable) revert ModelNotCallable(modelId, mode);
                pricedMode = mode;
            }
            uint256 fee = uint96(bytes12(r[FEE_AT:SIGNATURE_AT]));
            uint256 validatorCut = fee * validatorFeeBps / 10_000;
            uint256 treasuryCut = fee * treasuryFeeBps / 10_000;
            uint256 required = price + validatorCut + treasuryCut;
            if (fee < required) revert Underpaid(fee, required);
            owed[channel] += fee;
            t.fees += fee;
            runs[nRuns - 1].calls += 1;
            runs[nRuns - 1].amount += price;
            t.toNode += fee - required;
            t.toTreasury += treasuryCut;
            // Only TEE verdicts are checkable on chain, so only they are paid (as in `settle`).
            if (mode == MODE_TEE) {
                t.validatorPool += validatorCut;
                t.teeFees += fee;
                t.teeMask |= 1 << i;
            } else {
                t.toTreasury += validatorCut;
            }
            leaves[i] = keccak256(abi.encodePacked(r, payers[channel], node));
        }
        assembly ("memory-safe") {
            mstore(runs, nRuns)
        }
        t.root = _root(leaves);
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
    function _root(bytes32[] memory level) private pure returns (bytes32) {
        uint256 n = level.length;
        while (n > 1) {
            uint256 half = (n + 1) / 2;
            for (uint256 i = 0; i < half; ++i) {
                bytes32 right = 2 * i + 1 < n ? level[2 * i + 1] : bytes32(0);
                level[i] = _hashPair(level[2 * i], right);
            }
            n = half;
        }
        return level[0];
    }

    function _hashPair(bytes32 left, bytes32 right) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }
}
