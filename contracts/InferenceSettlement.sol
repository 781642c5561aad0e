// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {BatchSettlement} from "./x402/BatchSettlement.sol";
import {BatchRecords, IModelTerms} from "./BatchRecords.sol";
import {ExactTills, ExactPayment} from "./ExactTills.sol";

/// @dev The part of Staking this contract uses.
interface IStakingSlasher {
    function isActive(address validator) external view returns (bool);
    function slash(address validator, uint64 infractionTime, uint16 fractionBps, string calldata reason)
        external
        returns (uint256 slashedAmount, uint256 selfStakeSlashed);
    function distributeReward(address validator, uint256 amount) external;
    function unbondingPeriod() external view returns (uint64);
}

/// @dev The part of TEERegistry this contract uses.
interface ITEERegistryView {
    function isRegistered(address signer) external view returns (bool);
    function isActive(address signer, uint64 time) external view returns (bool);
    function operatorOf(address signer) external view returns (address);
    function disableEnclave(address signer) external;
}

/// @dev The part of NodeBonds this contract uses.
interface INodeBonds {
    function reserve(address operator, uint256 fee, uint64 until) external;
    function slash(address operator, uint256 fee, uint64 until) external returns (uint256 amount, uint256 refund);
    function unbondingDelay() external view returns (uint64);
}

/// @dev The part of ModelHub this contract uses.
interface IModelHubSettlement {
    function callTerms(uint256 modelId, uint8 mode) external view returns (uint256 price, bool callable);
    function recordCall(uint256 modelId, uint256 amount) external;
    function recordCalls(uint256 modelId, uint256 calls, uint256 amount) external;
}

/// @title InferenceSettlement
/// @notice Settles paid inference calls (x402 payment pulled with ERC-3009 through the node's
/// till, fee split, record stored) and runs verification after the fact: validators attest records, and anyone may dispute
/// an attestation with evidence this contract checks itself; a won dispute slashes the validator
/// (and so its delegators) through Staking and pays the challenger. The node that settled a TEE
/// record stands behind it with its bond (NodeBonds): a record proven false slashes the bond,
/// refunds the payer what the call cost, pays the challenger and disables the enclave.
/// @dev Only a hash of the settled call (record, payer, node, fee) is stored; the call travels in
/// the `InferenceSettled` event and is passed back as calldata to the disputes, which check it
/// against the hash. That keeps a settlement to a few storage slots, and binds the record to who
/// paid for it and who settled it: nobody can redirect a refund or blame another node.
contract InferenceSettlement is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint8 public constant MODE_VANILLA = 1;
    uint8 public constant MODE_TEE = 2;
    uint8 public constant MODE_ZKML = 4;

    /// @notice What the enclave signs for every result (EIP-712, this contract's domain). The mode
    /// is signed too, so a record cannot be settled under another mode than the one it ran in.
    bytes32 public constant RESULT_TYPEHASH = keccak256(
        "InferenceResult(uint256 modelId,bytes32 inputHash,bytes32 outputHash,bytes32 requestId,uint64 timestamp,uint8 mode)"
    );

    /// @notice How old a record may be when it settles: its time lies in
    /// [settlement time - MAX_RECORD_AGE, settlement time]. A record dated after its own settlement
    /// could be judged against a registry history that does not exist yet.
    uint64 public constant MAX_RECORD_AGE = 1 hours;

    /// @notice At most this many channels pay for one batch (a record names its channel in one byte).
    uint256 private constant MAX_BATCH_CHANNELS = 256;

    /// @notice Dispute grounds; the contract checks each from the record alone.
    uint8 public constant GROUND_BAD_SIGNATURE = 1; // signature does not recover to the enclave signer
    uint8 public constant GROUND_UNKNOWN_SIGNER = 2; // signer never registered in TEERegistry
    uint8 public constant GROUND_NOT_APPROVED = 3; // signer's measurement/vendor not approved at record time
    /// @notice Against an "invalid" verdict: no ground holds, so the facts the contract can check
    /// contradict it.
    uint8 public constant GROUND_NONE = 0;

    struct Record {
        uint256 modelId;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes32 requestId;
        uint64 timestamp; // when the enclave produced the result
        uint8 mode;
        address enclaveSigner;
        bytes signature; // enclave's EIP-712 signature over the result
    }

    /// @notice A record as settled: who paid (`fee`, the whole payment) and which node settled it.
    struct SettledCall {
        Record record;
        address payer;
        address node;
        uint256 fee;
    }

    struct Params {
        uint16 validatorFeeBps; // of the payment, to the validators who attest
        uint16 treasuryFeeBps; // of the payment, to the treasury
        uint8 rewardedAttesters; // the first N attesters share the validator fee
        uint64 challengeWindow; // seconds after an attestation during which it can be disputed
        uint16 slashFractionBps; // of the validator's stake, per won dispute
        uint16 challengerRewardBps; // of the slashed amount, to the challenger
    }

    /// @dev One storage slot of bookkeeping per record besides its hash.
    struct RecordState {
        bytes32 recordHash;
        uint64 settledAt;
        uint32 attestations;
        uint128 rewardPerAttester;
        uint8 rewardSlotsLeft; // rewarded verdicts still to be given out for this record
        bool producerDisputed; // its node was slashed for it (once per record)
    }

    /// @dev From `since` on, records settle under `window`.
    struct WindowChange {
        uint64 since;
        uint64 window;
    }

    /// @dev `checkable`: valid, or invalid because a ground holds (both disputable, both rewarded
    /// once they stand); otherwise an invalid verdict for a reason the contract cannot check
    /// (a re-execution or a proof), which is neither rewarded nor disputable.
    struct Attestation {
        uint64 attestedAt;
        bool valid;
        bool disputed;
        bool checkable;
        bool rewarded; // holds one of the record's reward slots
        bool claimed;
    }

    /// @dev As stored: `Attestation` plus the end of the verdict's challenge window, fixed when the
    /// verdict is given. A later change of the window applies to later verdicts only: lengthened,
    /// it would reopen verdicts whose stake (unbonding under the old rules) may have left.
    struct StoredAttestation {
        uint64 attestedAt;
        uint64 disputableUntil;
        bool valid;
        bool disputed;
        bool checkable;
        bool rewarded;
        bool claimed;
    }

    /// @notice A committed batch: its Merkle root and bookkeeping in one slot, and which of its
    /// records are TEE records (bit per record; the only ones a verdict is paid for).
    struct Batch {
        bytes32 root;
        uint64 committedAt;
        uint16 count;
        uint8 rewardSlotsLeft;
        uint128 rewardPerAttester;
        uint256 teeMask;
    }

    /// @dev A validator's verdict on a batch, one slot; its bitmaps are stored only when nonzero.
    struct BatchVerdict {
        uint64 attestedAt;
        uint64 disputableUntil;
        bool rewarded;
        bool claimed;
        bool disputed;
    }

    struct BatchVerdictView {
        uint64 attestedAt;
        uint64 disputableUntil;
        uint256 invalidBits;
        uint256 uncheckableBits;
        bool rewarded;
        bool claimed;
        bool disputed;
    }

    /// @notice One record of a batch and its Merkle proof (siblings from the leaf up).
    struct BatchRecordProof {
        uint256 index;
        bytes record;
        address payer;
        address node;
        bytes32[] proof;
    }

    IERC20 public immutable token;
    IStakingSlasher public immutable staking;
    ITEERegistryView public immutable teeRegistry;
    IModelHubSettlement public immutable modelHub;
    INodeBonds public immutable bonds;
    /// @notice The x402 batch-settlement channels this contract receives payments through.
    BatchSettlement public immutable channels;
    /// @notice The batch records' format and checks (stateless; see BatchRecords).
    BatchRecords public immutable batchRecords;
    /// @notice Where `exact` payments are made out to: one till per node (see ExactTills).
    ExactTills public immutable tills;
    address public immutable timelock;
    address public treasury;
    Params private _params;
    /// @dev The longest window replaced by a shorter one, and when the last verdict given under
    /// it stops being disputable (see longestOpenWindow).
    uint64 private _retiredWindow;
    uint64 private _retiredWindowOpenUntil;
    /// @dev Every challenge window records were settled under, oldest first: a record is
    /// disputable against its node for the window in force when it settled (recordDisputableUntil).
    WindowChange[] private _windows;

    RecordState[] private _records; // recordId = index + 1
    mapping(bytes32 requestId => uint256 recordId) public recordIdByRequest;
    mapping(uint256 recordId => mapping(address validator => StoredAttestation)) private _attestations;

    Batch[] private _batches; // batchId = index + 1
    mapping(uint256 batchId => mapping(address validator => BatchVerdict)) private _batchVerdicts;
    mapping(uint256 batchId => mapping(address validator => uint256)) private _invalidBits;
    mapping(uint256 batchId => mapping(address validator => uint256)) private _uncheckableBits;
    mapping(uint256 batchId => uint256) private _producerDisputedBits;
    // What each channel's claimed total stood at when a batch (or returnUnrecorded) last accounted
    // for it. Its node can also claim the channel directly on BatchSettlement; such a claim reaches
    // this contract with the next settle() but no record: the next batch of that channel counts it
    // towards its records' fees, or returnUnrecorded gives it back to the payer.
    mapping(bytes32 channelId => uint256) private _accountedClaims;

    event InferenceSettled(
        uint256 indexed recordId,
        uint256 indexed modelId,
        address indexed payer,
        address node,
        Record record,
        uint256 fee,
        uint256 publisherCut,
        uint256 nodeCut,
        uint256 validatorCut,
        uint256 treasuryCut
    );
    /// @notice `reward`: what this verdict is paid once it stands after the challenge window
    /// (`claimAttestationRewards`); 0 when it holds no reward slot.
    event Attested(uint256 indexed recordId, address indexed validator, bool valid, uint256 reward);
    event AttestationRewardsClaimed(address indexed validator, uint256 amount, uint256 records);
    event RewardForfeited(uint256 indexed recordId, address indexed validator, uint256 amount);
    event DisputeWon(
        uint256 indexed recordId, address indexed validator, address indexed challenger, uint8 ground, uint256 slashed, uint256 challengerReward
    );
    /// @notice `slashed`: taken from the node's bond; `refund`: to the payer (the fee, while the
    /// bond lasts); `challengerReward`: to the challenger; the rest to the treasury.
    event ProducerSlashed(
        uint256 indexed recordId,
        address indexed node,
        address indexed challenger,
        uint8 ground,
        uint256 slashed,
        uint256 refund,
        uint256 challengerReward
    );
    event BatchCommitted(
        uint256 indexed batchId, address indexed node, bytes32 root, uint256 records, uint256 fees, uint256 teeMask
    );
    event BatchAttested(
        uint256 indexed batchId, address indexed validator, uint256 invalidBits, uint256 uncheckableBits, uint256 reward
    );
    event BatchRewardForfeited(uint256 indexed batchId, address indexed validator, uint256 amount);
    event BatchDisputeWon(
        uint256 indexed batchId,
        uint256 index,
        address indexed validator,
        address indexed challenger,
        uint8 ground,
        uint256 slashed,
        uint256 challengerReward
    );
    event BatchProducerSlashed(
        uint256 indexed batchId,
        uint256 index,
        address indexed node,
        address indexed challenger,
        uint8 ground,
        uint256 slashed,
        uint256 refund,
        uint256 challengerReward
    );
    event BatchRewardsClaimed(address indexed validator, uint256 amount, uint256 batches);
    event UnrecordedClaimReturned(bytes32 indexed channelId, address indexed payer, uint256 amount);
    event ParamsChanged(Params params);
    event TreasuryChanged(address treasury);

    error OnlyTimelock();
    error FeeSplitTooLarge();
    error BadParams();
    error RequestAlreadySettled(bytes32 requestId, uint256 recordId);
    error ModelNotCallable(uint256 modelId, uint8 mode);
    error Underpaid(uint256 paid, uint256 required);
    error LengthMismatch();
    error UnknownRecord(uint256 recordId);
    error NotActiveValidator(address validator);
    error AlreadyAttested(uint256 recordId, address validator);
    error RecordMismatch(uint256 recordId);
    error NotAttestedValid(uint256 recordId, address validator);
    error AlreadyDisputed(uint256 recordId, address validator);
    error ChallengeWindowClosed(uint256 recordId, address validator);
    error UnsupportedMode(uint8 mode);
    error DisputeRejected(uint256 recordId);
    error UnknownMode(uint8 mode);
    error RecordTimeOutOfBounds(uint64 recordTime, uint64 settlementTime);
    error NotAttested(uint256 recordId, address validator);
    error NotDisputable(uint256 recordId, address validator);
    error NothingToClaim();
    error RewardsStillOpen(uint256 recordId);
    error ProducerAlreadyDisputed(uint256 recordId);
    error RecordWindowClosed(uint256 recordId, uint64 disputableUntil);
    error BadBatch();
    error UnknownBatch(uint256 batchId);
    error ForeignChannel(uint256 row);
    error ChannelsNotSorted(uint256 row);
    error ChannelPaymentMismatch(uint256 row, uint256 claimed, uint256 fees);
    error BadVerdict();
    error BadProof(uint256 batchId);
    error NotSettlersEnclave();

    constructor(
        IERC20 token_,
        IStakingSlasher staking_,
        ITEERegistryView teeRegistry_,
        IModelHubSettlement modelHub_,
        INodeBonds bonds_,
        BatchSettlement channels_,
        BatchRecords batchRecords_,
        ExactTills tills_,
        address timelock_,
        Params memory params_
    ) EIP712("OGInference", "1") {
        channels = channels_;
        batchRecords = batchRecords_;
        tills = tills_;
        token = token_;
        staking = staking_;
        teeRegistry = teeRegistry_;
        modelHub = modelHub_;
        bonds = bonds_;
        timelock = timelock_;
        treasury = timelock_;
        _setParams(params_);
    }

    // ---------------------------------------------------------------- governance

    function setParams(Params calldata params_) external {
        if (msg.sender != timelock) revert OnlyTimelock();
        _setParams(params_);
    }

    function setTreasury(address treasury_) external {
        if (msg.sender != timelock) revert OnlyTimelock();
        // Every settlement and dispute pays the treasury: the zero address would make them revert.
        if (treasury_ == address(0)) revert BadParams();
        treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    /// @notice The longest challenge window a verdict may still be open under: the current one, or
    /// a longer one it replaced while verdicts given under it can still be disputed. Staking keeps
    /// its unbonding period longer than this, so no open verdict outlives the stake behind it.
    function longestOpenWindow() public view returns (uint64) {
        uint64 current = _params.challengeWindow;
        if (block.timestamp <= _retiredWindowOpenUntil && _retiredWindow > current) return _retiredWindow;
        return current;
    }

    function params() external view returns (Params memory) {
        return _params;
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Pulls the caller-signed payment (through the sender's till, ExactTills), splits it
    /// and stores the record; the sender is the node.
    function settle(Record calldata record, ExactPayment calldata payment) external nonReentrant returns (uint256 recordId) {
        uint256 teeFees;
        (recordId, teeFees) = _settle(record, payment);
        _reserve(teeFees);
    }

    /// @notice Settles many calls in one transaction to amortize the base cost.
    function settleBatch(Record[] calldata records, ExactPayment[] calldata payments)
        external
        nonReentrant
        returns (uint256 firstRecordId)
    {
        if (records.length != payments.length) revert LengthMismatch();
        firstRecordId = _records.length + 1;
        uint256 teeFees;
        for (uint256 i = 0; i < records.length; ++i) {
            (, uint256 fee) = _settle(records[i], payments[i]);
            teeFees += fee;
        }
        _reserve(teeFees); // one reservation for the batch: its records share a window
    }

    /// @dev The EIP-712 digest the enclave signs for a result.
    function _resultDigest(
        uint256 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 requestId,
        uint64 timestamp,
        uint8 mode
    ) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(RESULT_TYPEHASH, modelId, inputHash, outputHash, requestId, timestamp, mode))
        );
    }

    // ---------------------------------------------------------------- verification

    /// @notice A validator's verdict on a record: `valid`, or invalid because a dispute ground holds
    /// (the facts this contract checks). Either is disputable inside the challenge window, and the
    /// first `rewardedAttesters` of them on a TEE record (given within the window after settlement) share the
    /// validator fee, paid only once they stand (`claimAttestationRewards`).
    function attest(uint256 recordId, bool valid) external nonReentrant {
        _attest(recordId, valid, true);
    }

    /// @notice An invalid verdict for a reason this contract cannot check (the output did not
    /// re-execute, the proof failed): recorded for everyone to see, neither rewarded nor disputable.
    function attestUncheckable(uint256 recordId) external nonReentrant {
        _attest(recordId, false, false);
    }

    /// @notice Disputes `validator`'s verdict on `record`. Against a valid verdict, `ground` names
    /// a ground that holds; against an invalid one, `ground` is GROUND_NONE and no ground may
    /// hold. The contract checks it itself; a false dispute reverts and changes nothing. A won
    /// dispute forfeits the verdict's reward and slashes the validator (once per infraction
    /// window, in Staking); the challenger gets `challengerRewardBps` of the validator's own stake
    /// that was slashed, never of its delegators', so that nobody profits from slashing itself.
    function dispute(uint256 recordId, SettledCall calldata call, address validator, uint8 ground)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        RecordState storage state = _settledRecord(recordId, call);
        Record calldata record = call.record;
        StoredAttestation storage a = _attestations[recordId][validator];
        if (a.attestedAt == 0) revert NotAttested(recordId, validator);
        if (!a.checkable) revert NotDisputable(recordId, validator);
        if (a.disputed) revert AlreadyDisputed(recordId, validator);
        if (block.timestamp > a.disputableUntil) revert ChallengeWindowClosed(recordId, validator);
        if (a.valid) {
            if (ground == GROUND_NONE) revert DisputeRejected(recordId);
            if (record.mode != MODE_TEE) revert UnsupportedMode(record.mode);
            if (!_groundHolds(record, ground)) revert DisputeRejected(recordId);
        } else {
            if (ground != GROUND_NONE) revert NotAttestedValid(recordId, validator);
            if (_anyGroundHolds(record)) revert DisputeRejected(recordId);
        }

        a.disputed = true;
        // A claimed reward was paid: forfeiting it again (the window may have been lengthened
        // since) would pay the treasury out of other records' rewards.
        if (a.rewarded && !a.claimed) {
            a.rewarded = false;
            uint256 forfeited = state.rewardPerAttester;
            if (forfeited > 0) token.safeTransfer(treasury, forfeited);
            emit RewardForfeited(recordId, validator, forfeited);
        }
        uint256 challengerReward;
        (slashed, challengerReward) = _slashValidator(validator, a.attestedAt, ground);
        emit DisputeWon(recordId, validator, msg.sender, ground, slashed, challengerReward);
    }

    /// @notice Disputes a TEE record against the node that settled it: `ground` must hold for the
    /// record itself (its signature is not its enclave's, its signer was never registered, or was
    /// not active at the record's time), until the challenge window it settled under closes. Once
    /// per record. The node's bond is slashed (NodeBonds.slash): the fee, reserved in the bond for
    /// this record since it settled, goes back to the payer in full; a fraction of the bond on top,
    /// from what is not reserved for other records, goes `challengerRewardBps` to the challenger
    /// and the rest to the treasury; the record's enclave, when the node registered it, is
    /// disabled. Validators' verdicts on the record stay disputable on their own (`dispute`).
    function disputeProducer(uint256 recordId, SettledCall calldata call, uint8 ground)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        RecordState storage state = _settledRecord(recordId, call);
        if (state.producerDisputed) revert ProducerAlreadyDisputed(recordId);
        uint64 until = state.settledAt + _windowAt(state.settledAt);
        if (block.timestamp > until) revert RecordWindowClosed(recordId, until);
        if (call.record.mode != MODE_TEE) revert UnsupportedMode(call.record.mode);
        if (ground == GROUND_NONE || !_groundHolds(call.record, ground)) revert DisputeRejected(recordId);

        state.producerDisputed = true;
        uint256 refund;
        uint256 challengerReward;
        (slashed, refund, challengerReward) = _slashNode(call.node, call.payer, call.fee, until, call.record.enclaveSigner);
        emit ProducerSlashed(recordId, call.node, msg.sender, ground, slashed, refund, challengerReward);
    }

    /// @notice Pays `validator` (into its Staking pool, commission first) for each of its
    /// rewarded verdicts on `recordIds` that stood through the challenge window; others are skipped.
    function claimAttestationRewards(address validator, uint256[] calldata recordIds)
        external
        nonReentrant
        returns (uint256 amount)
    {
        uint256 count;
        for (uint256 i = 0; i < recordIds.length; ++i) {
            StoredAttestation storage a = _attestations[recordIds[i]][validator];
            if (!a.rewarded || a.claimed || block.timestamp <= a.disputableUntil) continue;
            a.claimed = true;
            amount += _record(recordIds[i]).rewardPerAttester;
            ++count;
        }
        if (amount == 0) revert NothingToClaim();
        token.forceApprove(address(staking), amount);
        staking.distributeReward(validator, amount);
        emit AttestationRewardsClaimed(validator, amount, count);
    }

    /// @notice Sends the reward slots nobody took (the window for taking them has passed) to the treasury.
    function sweepUnusedRewards(uint256[] calldata recordIds) external nonReentrant returns (uint256 amount) {
        for (uint256 i = 0; i < recordIds.length; ++i) {
            RecordState storage state = _record(recordIds[i]);
            if (block.timestamp <= state.settledAt + _params.challengeWindow) revert RewardsStillOpen(recordIds[i]);
            amount += uint256(state.rewardSlotsLeft) * state.rewardPerAttester;
            state.rewardSlotsLeft = 0;
        }
        if (amount > 0) token.safeTransfer(treasury, amount);
    }

    // ---------------------------------------------------------------- batches (x402 batch-settlement)

    /// @notice Commits a batch of records paid through batch-settlement channels, sent by the node
    /// that served them. `claims` are the latest vouchers of the channels the batch is paid from
    /// (receiver: this contract; receiver authorizer: the node; this contract's token), sorted by
    /// channel id; this contract claims them itself and counts a channel's payment as the rise of
    /// its claimed total since it last accounted for the channel (this claim, and any the node
    /// made directly), which must equal the fees of the batch's records on that channel.
    /// `records` are packed as BatchRecords describes, at most BatchRecords.MAX_RECORDS. The fees are split as `settle` splits them, with one transfer per
    /// beneficiary for the whole batch; the contract stores the batch's Merkle root and one packed
    /// slot (two with TEE records) and nothing per record: signatures and the registry are checked
    /// only when a dispute names a record by its proof.
    function commitBatch(BatchSettlement.VoucherClaim[] calldata claims, bytes calldata records)
        external
        nonReentrant
        returns (uint256 batchId)
    {
        (address[] memory payers, uint256[] memory paid) = _claimChannels(claims);
        (BatchRecords.Totals memory totals, uint256[] memory owed, BatchRecords.ModelRun[] memory runs) = batchRecords
            .split(records, payers, msg.sender, _params.validatorFeeBps, _params.treasuryFeeBps, IModelTerms(address(modelHub)));
        for (uint256 c = 0; c < paid.length; ++c) {
            if (owed[c] != paid[c]) revert ChannelPaymentMismatch(c, paid[c], owed[c]);
        }
        uint256 toPublishers;
        for (uint256 k = 0; k < runs.length; ++k) {
            modelHub.recordCalls(runs[k].modelId, runs[k].calls, runs[k].amount);
            toPublishers += runs[k].amount;
        }
        uint256 count = records.length / batchRecords.RECORD_BYTES();

        batchId = _batches.length + 1;
        uint8 slots = totals.teeMask != 0 ? _params.rewardedAttesters : 0;
        uint128 rewardPerAttester = slots > 0 ? uint128(totals.validatorPool / slots) : 0;
        _batches.push(
            Batch({
                root: totals.root,
                committedAt: uint64(block.timestamp),
                count: uint16(count),
                rewardSlotsLeft: slots,
                rewardPerAttester: rewardPerAttester,
                teeMask: totals.teeMask
            })
        );
        _reserve(totals.teeFees);
        if (toPublishers > 0) token.safeTransfer(address(modelHub), toPublishers);
        if (totals.toNode > 0) token.safeTransfer(msg.sender, totals.toNode);
        uint256 toTreasury = totals.toTreasury + (totals.validatorPool - uint256(rewardPerAttester) * slots);
        if (toTreasury > 0) token.safeTransfer(treasury, toTreasury);
        emit BatchCommitted(batchId, msg.sender, totals.root, count, totals.fees, totals.teeMask);
    }

    /// @notice Returns to a channel's payer what its node claimed on BatchSettlement directly,
    /// outside commitBatch, and no batch has accounted for since: money taken with no record to
    /// show for it. Anyone may send it; nothing unaccounted is not an error.
    function returnUnrecorded(BatchSettlement.ChannelConfig calldata config) external nonReentrant {
        if (config.receiver != address(this) || config.token != address(token)) revert ForeignChannel(0);
        bytes32 id = channels.getChannelId(config);
        uint256 amount = _account(id);
        if (amount == 0) return;
        channels.settle(address(this), address(token));
        token.safeTransfer(config.payer, amount);
        emit UnrecordedClaimReturned(id, config.payer, amount);
    }

    /// @notice A validator's verdicts on every record of a batch: bit i of `invalidBits` says
    /// record i is invalid because a dispute ground holds (checkable, so disputable like a valid
    /// verdict), bit i of `uncheckableBits` that it is invalid for a reason this contract cannot
    /// check (neither rewarded nor disputable); a record in neither is valid. The first
    /// `rewardedAttesters` verdicts on a batch with TEE records, given within the challenge window
    /// after its commit and calling none of its TEE records uncheckable, share its validator fees
    /// once they stand (claimBatchRewards).
    function attestBatch(uint256 batchId, uint256 invalidBits, uint256 uncheckableBits) external nonReentrant {
        Batch storage batch = _batch(batchId);
        if (!staking.isActive(msg.sender)) revert NotActiveValidator(msg.sender);
        uint256 used = invalidBits | uncheckableBits;
        if (invalidBits & uncheckableBits != 0 || (batch.count < 256 && used >> batch.count != 0)) revert BadVerdict();
        BatchVerdict storage verdict = _batchVerdicts[batchId][msg.sender];
        if (verdict.attestedAt != 0) revert AlreadyAttested(batchId, msg.sender);
        verdict.attestedAt = uint64(block.timestamp);
        verdict.disputableUntil = uint64(block.timestamp) + _params.challengeWindow;
        if (invalidBits != 0) _invalidBits[batchId][msg.sender] = invalidBits;
        if (uncheckableBits != 0) _uncheckableBits[batchId][msg.sender] = uncheckableBits;
        uint256 reward;
        if (
            batch.rewardSlotsLeft > 0 && uncheckableBits & batch.teeMask == 0
                && block.timestamp <= batch.committedAt + _params.challengeWindow
        ) {
            batch.rewardSlotsLeft -= 1;
            verdict.rewarded = true;
            reward = batch.rewardPerAttester;
        }
        emit BatchAttested(batchId, msg.sender, invalidBits, uncheckableBits, reward);
    }

    /// @notice Disputes `validator`'s verdict on the record `p` proves in batch `batchId`, on the
    /// terms of `dispute`: against a valid verdict `ground` names a ground that holds for the
    /// record (a TEE record); against a checkable invalid one `ground` is GROUND_NONE and no ground
    /// may hold. Once per verdict on a batch; a won dispute forfeits the verdict's reward.
    function disputeBatch(uint256 batchId, address validator, BatchRecordProof calldata p, uint8 ground)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        _provenBatch(batchId, p);
        BatchVerdict storage verdict = _batchVerdicts[batchId][validator];
        if (verdict.attestedAt == 0) revert NotAttested(batchId, validator);
        uint256 bit = 1 << p.index;
        if (_uncheckableBits[batchId][validator] & bit != 0) revert NotDisputable(batchId, validator);
        if (verdict.disputed) revert AlreadyDisputed(batchId, validator);
        if (block.timestamp > verdict.disputableUntil) revert ChallengeWindowClosed(batchId, validator);
        (address signer, bool recovered, uint8 mode, uint64 time,) = _inspect(p.record);
        if (_invalidBits[batchId][validator] & bit == 0) {
            if (ground == GROUND_NONE) revert DisputeRejected(batchId);
            if (mode != MODE_TEE) revert UnsupportedMode(mode);
            if (!_signerGround(signer, recovered, time, ground)) revert DisputeRejected(batchId);
        } else {
            if (ground != GROUND_NONE) revert NotAttestedValid(batchId, validator);
            if (
                mode == MODE_TEE
                    && (!recovered || _signerGround(signer, true, time, GROUND_UNKNOWN_SIGNER)
                        || _signerGround(signer, true, time, GROUND_NOT_APPROVED))
            ) revert DisputeRejected(batchId);
        }

        verdict.disputed = true;
        if (verdict.rewarded && !verdict.claimed) {
            verdict.rewarded = false;
            uint256 forfeited = _batches[batchId - 1].rewardPerAttester;
            if (forfeited > 0) token.safeTransfer(treasury, forfeited);
            emit BatchRewardForfeited(batchId, validator, forfeited);
        }
        uint256 challengerReward;
        (slashed, challengerReward) = _slashValidator(validator, verdict.attestedAt, ground);
        emit BatchDisputeWon(batchId, p.index, validator, msg.sender, ground, slashed, challengerReward);
    }

    /// @notice Disputes the TEE record `p` proves in batch `batchId` against the node that
    /// committed it, on the terms of `disputeProducer` (the signer is who the record's signature
    /// recovers to), until the challenge window the batch was committed under closes. Once per record.
    function disputeBatchProducer(uint256 batchId, BatchRecordProof calldata p, uint8 ground)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        Batch storage batch = _provenBatch(batchId, p);
        uint256 bit = 1 << p.index;
        if (_producerDisputedBits[batchId] & bit != 0) revert ProducerAlreadyDisputed(batchId);
        uint64 until = batch.committedAt + _windowAt(batch.committedAt);
        if (block.timestamp > until) revert RecordWindowClosed(batchId, until);
        (address signer, bool recovered, uint8 mode, uint64 time, uint256 fee) = _inspect(p.record);
        if (mode != MODE_TEE) revert UnsupportedMode(mode);
        if (ground == GROUND_NONE || !_signerGround(signer, recovered, time, ground)) revert DisputeRejected(batchId);

        _producerDisputedBits[batchId] |= bit;
        uint256 refund;
        uint256 challengerReward;
        (slashed, refund, challengerReward) = _slashNode(p.node, p.payer, fee, until, signer);
        emit BatchProducerSlashed(batchId, p.index, p.node, msg.sender, ground, slashed, refund, challengerReward);
    }

    /// @notice Pays `validator` (into its Staking pool) for each of its rewarded verdicts on
    /// `batchIds` that stood through the challenge window; others are skipped.
    function claimBatchRewards(address validator, uint256[] calldata batchIds)
        external
        nonReentrant
        returns (uint256 amount)
    {
        uint256 count;
        for (uint256 i = 0; i < batchIds.length; ++i) {
            BatchVerdict storage verdict = _batchVerdicts[batchIds[i]][validator];
            if (!verdict.rewarded || verdict.claimed || block.timestamp <= verdict.disputableUntil) continue;
            verdict.claimed = true;
            amount += _batch(batchIds[i]).rewardPerAttester;
            ++count;
        }
        if (amount == 0) revert NothingToClaim();
        token.forceApprove(address(staking), amount);
        staking.distributeReward(validator, amount);
        emit BatchRewardsClaimed(validator, amount, count);
    }

    /// @notice Sends the batch reward slots nobody took in time to the treasury.
    function sweepUnusedBatchRewards(uint256[] calldata batchIds) external nonReentrant returns (uint256 amount) {
        for (uint256 i = 0; i < batchIds.length; ++i) {
            Batch storage batch = _batch(batchIds[i]);
            if (block.timestamp <= batch.committedAt + _params.challengeWindow) revert RewardsStillOpen(batchIds[i]);
            amount += uint256(batch.rewardSlotsLeft) * batch.rewardPerAttester;
            batch.rewardSlotsLeft = 0;
        }
        if (amount > 0) token.safeTransfer(treasury, amount);
    }

    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _batch(batchId);
    }

    /// @notice `validator`'s verdict on batch `batchId` (attestedAt 0: none).
    function batchVerdictOf(uint256 batchId, address validator) external view returns (BatchVerdictView memory) {
        BatchVerdict storage v = _batchVerdicts[batchId][validator];
        return BatchVerdictView(
            v.attestedAt,
            v.disputableUntil,
            _invalidBits[batchId][validator],
            _uncheckableBits[batchId][validator],
            v.rewarded,
            v.claimed,
            v.disputed
        );
    }

    /// @notice Which records of batch `batchId` were disputed against their node (bit per record),
    /// and the last second they can be (the challenge window in force at its commit).
    function batchProducerDisputes(uint256 batchId)
        external
        view
        returns (uint256 disputedBits, uint64 disputableUntil)
    {
        uint64 committedAt = _batch(batchId).committedAt;
        return (_producerDisputedBits[batchId], committedAt + _windowAt(committedAt));
    }

    // ---------------------------------------------------------------- reads

    function recordCount() external view returns (uint256) {
        return _records.length;
    }

    function recordState(uint256 recordId) external view returns (RecordState memory) {
        return _record(recordId);
    }

    function attestationOf(uint256 recordId, address validator) external view returns (Attestation memory) {
        StoredAttestation storage a = _attestations[recordId][validator];
        return Attestation(a.attestedAt, a.valid, a.disputed, a.checkable, a.rewarded, a.claimed);
    }

    /// @dev The challenge window records settled at `time` were given.
    function _windowAt(uint64 time) private view returns (uint64) {
        for (uint256 i = _windows.length; i > 1; --i) {
            if (_windows[i - 1].since <= time) return _windows[i - 1].window;
        }
        return _windows[0].window;
    }

    /// @notice The last second `recordId` can be disputed against its node.
    function recordDisputableUntil(uint256 recordId) external view returns (uint64) {
        uint64 settledAt = _record(recordId).settledAt;
        return settledAt + _windowAt(settledAt);
    }

    /// @notice The last second `validator`'s verdict on `recordId` can be disputed (0: no verdict).
    function disputableUntil(uint256 recordId, address validator) external view returns (uint64) {
        return _attestations[recordId][validator].disputableUntil;
    }

    /// @notice Whether `ground` holds for `record`, without changing anything (what `dispute`
    /// checks); for GROUND_NONE, whether no ground holds at all (what contradicts an invalid verdict).
    function checkGround(Record calldata record, uint8 ground) external view returns (bool) {
        return ground == GROUND_NONE ? !_anyGroundHolds(record) : _groundHolds(record, ground);
    }

    /// @dev Whether `mode` is exactly one of the known modes (a single bit, never a mask).
    function _isKnownMode(uint8 mode) private pure returns (bool) {
        return mode == MODE_VANILLA || mode == MODE_TEE || mode == MODE_ZKML;
    }

    // ---------------------------------------------------------------- internals

    /// @dev Reserves `teeFees` of the sender's bond until the window of records settled now closes.
    function _reserve(uint256 teeFees) private {
        if (teeFees > 0) bonds.reserve(msg.sender, teeFees, uint64(block.timestamp) + _windowAt(uint64(block.timestamp)));
    }

    /// @dev Returns the record id and the fee a TEE record puts on the sender's bond (0 otherwise).
    function _settle(Record calldata record, ExactPayment calldata payment) private returns (uint256 recordId, uint256 teeFee) {
        uint256 existing = recordIdByRequest[record.requestId];
        if (existing != 0) revert RequestAlreadySettled(record.requestId, existing);
        if (!_isKnownMode(record.mode)) revert UnknownMode(record.mode);
        if (record.timestamp > block.timestamp || record.timestamp + MAX_RECORD_AGE < block.timestamp) {
            revert RecordTimeOutOfBounds(record.timestamp, uint64(block.timestamp));
        }
        // A TEE record can be disputed against its node: its fee is reserved in the node's bond
        // (NodeBonds.reserve, by the caller, once per transaction; it reverts NodeNotBonded).
        // It settles only from the operator of its enclave, so the bond behind a TEE record is
        // always the one of the node whose enclave signed it. (The payment is bound to its node
        // by ExactTills: a copy of another node's settle() is refused there.)
        if (record.mode == MODE_TEE) {
            if (teeRegistry.operatorOf(record.enclaveSigner) != msg.sender) {
                revert NotSettlersEnclave();
            }
            teeFee = payment.value;
        }
        (uint256 price, bool callable) = modelHub.callTerms(record.modelId, record.mode);
        if (!callable) revert ModelNotCallable(record.modelId, record.mode);

        uint256 validatorCut = payment.value * _params.validatorFeeBps / 10_000;
        uint256 treasuryCut = payment.value * _params.treasuryFeeBps / 10_000;
        uint256 required = price + validatorCut + treasuryCut;
        if (payment.value < required) revert Underpaid(payment.value, required);

        tills.collect(msg.sender, record.requestId, payment);

        // Only verdicts this contract can check (TEE records: signature and registry) are
        // disputable, so only they are paid; on other records a blind "valid" would earn with no
        // risk. Their validator fee goes to the treasury.
        bool checkable = record.mode == MODE_TEE;
        uint128 rewardPerAttester = checkable ? uint128(validatorCut / _params.rewardedAttesters) : 0;
        uint8 slots = checkable ? _params.rewardedAttesters : 0;
        recordId = _records.length + 1;
        _records.push(
            RecordState({
                recordHash: _hashSettled(record, payment.from, msg.sender, payment.value),
                settledAt: uint64(block.timestamp),
                attestations: 0,
                rewardPerAttester: rewardPerAttester,
                rewardSlotsLeft: slots,
                producerDisputed: false
            })
        );
        recordIdByRequest[record.requestId] = recordId;

        if (price > 0) {
            token.safeTransfer(address(modelHub), price);
        }
        modelHub.recordCall(record.modelId, price);
        uint256 nodeCut = payment.value - required;
        // Rounding dust of the per-attester split goes to the treasury with its own cut.
        uint256 treasuryTotal = treasuryCut + (validatorCut - uint256(rewardPerAttester) * slots);
        if (nodeCut > 0) token.safeTransfer(msg.sender, nodeCut);
        if (treasuryTotal > 0) token.safeTransfer(treasury, treasuryTotal);
        emit InferenceSettled(
            recordId, record.modelId, payment.from, msg.sender, record, payment.value, price, nodeCut, validatorCut, treasuryCut
        );
    }

    function _groundHolds(Record calldata record, uint8 ground) private view returns (bool) {
        if (ground == GROUND_BAD_SIGNATURE) {
            bytes32 digest = _resultDigest(
                record.modelId, record.inputHash, record.outputHash, record.requestId, record.timestamp, record.mode
            );
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, record.signature);
            return err != ECDSA.RecoverError.NoError || recovered != record.enclaveSigner;
        }
        if (ground == GROUND_UNKNOWN_SIGNER) return !teeRegistry.isRegistered(record.enclaveSigner);
        if (ground == GROUND_NOT_APPROVED) {
            return teeRegistry.isRegistered(record.enclaveSigner)
                && !teeRegistry.isActive(record.enclaveSigner, record.timestamp);
        }
        return false;
    }

    function _anyGroundHolds(Record calldata record) private view returns (bool) {
        return record.mode == MODE_TEE
            && (_groundHolds(record, GROUND_BAD_SIGNATURE) || _groundHolds(record, GROUND_UNKNOWN_SIGNER)
                || _groundHolds(record, GROUND_NOT_APPROVED));
    }

    function _attest(uint256 recordId, bool valid, bool checkable) private {
        RecordState storage state = _record(recordId);
        if (!staking.isActive(msg.sender)) revert NotActiveValidator(msg.sender);
        StoredAttestation storage a = _attestations[recordId][msg.sender];
        if (a.attestedAt != 0) revert AlreadyAttested(recordId, msg.sender);
        a.attestedAt = uint64(block.timestamp);
        a.disputableUntil = uint64(block.timestamp) + _params.challengeWindow;
        a.valid = valid;
        a.checkable = checkable;
        state.attestations += 1;
        uint256 reward;
        if (checkable && state.rewardSlotsLeft > 0 && block.timestamp <= state.settledAt + _params.challengeWindow) {
            state.rewardSlotsLeft -= 1;
            a.rewarded = true;
            reward = state.rewardPerAttester;
        }
        emit Attested(recordId, msg.sender, valid, reward);
    }

    /// @dev Slashes `validator` for a verdict given at `attestedAt` that a won dispute proved
    /// false; the challenger gets `challengerRewardBps` of the validator's own stake that was
    /// slashed, never of its delegators', so that nobody profits from slashing itself.
    function _slashValidator(address validator, uint64 attestedAt, uint8 ground)
        private
        returns (uint256 slashed, uint256 challengerReward)
    {
        uint256 selfSlashed;
        (slashed, selfSlashed) = staking.slash(validator, attestedAt, _params.slashFractionBps, _groundName(ground));
        challengerReward = selfSlashed * _params.challengerRewardBps / 10_000;
        if (challengerReward > 0) token.safeTransfer(msg.sender, challengerReward);
        if (slashed > challengerReward) token.safeTransfer(treasury, slashed - challengerReward);
    }

    /// @dev Slashes `node`'s bond for a false record it was paid `fee` for by `payer` (reserved
    /// until `until`): the fee back to the payer, `challengerRewardBps` of the rest to the
    /// challenger, the remainder to the treasury; `signer`'s enclave is disabled when it is the
    /// node's own (a record can name anyone's signer, and that must not let a node switch off a
    /// competitor).
    function _slashNode(address node, address payer, uint256 fee, uint64 until, address signer)
        private
        returns (uint256 slashed, uint256 refund, uint256 challengerReward)
    {
        (slashed, refund) = bonds.slash(node, fee, until);
        challengerReward = (slashed - refund) * _params.challengerRewardBps / 10_000;
        if (refund > 0) token.safeTransfer(payer, refund);
        if (challengerReward > 0) token.safeTransfer(msg.sender, challengerReward);
        uint256 rest = slashed - refund - challengerReward;
        if (rest > 0) token.safeTransfer(treasury, rest);
        if (signer != address(0) && teeRegistry.operatorOf(signer) == node) teeRegistry.disableEnclave(signer);
    }

    /// @dev The slash's reason, as Staking logs it; each fits one word of code.
    function _groundName(uint8 ground) private pure returns (string memory) {
        if (ground == GROUND_NONE) return "called a valid result invalid";
        if (ground == GROUND_BAD_SIGNATURE) return "vouched for a forged signature";
        if (ground == GROUND_UNKNOWN_SIGNER) return "vouched for unregistered enclave";
        return "vouched for unapproved enclave";
    }

    function _hashSettled(Record calldata record, address payer, address node, uint256 fee)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(record, payer, node, fee));
    }

    /// @dev The record `recordId`, after checking that `call` is exactly what was settled.
    function _settledRecord(uint256 recordId, SettledCall calldata call) private view returns (RecordState storage state) {
        state = _record(recordId);
        if (state.recordHash != _hashSettled(call.record, call.payer, call.node, call.fee)) revert RecordMismatch(recordId);
    }

    function _record(uint256 recordId) private view returns (RecordState storage) {
        if (recordId == 0 || recordId > _records.length) revert UnknownRecord(recordId);
        return _records[recordId - 1];
    }

    /// @dev Claims the batch's channels (this contract is their receiver) and returns each row's
    /// payer and the rise of its channel's claimed total since last accounted; then sweeps the
    /// claimed funds here. Rows are sorted by channel id, so no channel is counted twice.
    function _claimChannels(BatchSettlement.VoucherClaim[] calldata claims)
        private
        returns (address[] memory payers, uint256[] memory paid)
    {
        uint256 n = claims.length;
        if (n == 0 || n > MAX_BATCH_CHANNELS) revert BadBatch();
        payers = new address[](n);
        paid = new uint256[](n);
        bytes32[] memory ids = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            BatchSettlement.ChannelConfig calldata config = claims[i].voucher.channel;
            if (config.receiver != address(this) || config.receiverAuthorizer != msg.sender || config.token != address(token))
            {
                revert ForeignChannel(i);
            }
            bytes32 id = channels.getChannelId(config);
            if (i > 0 && uint256(id) <= uint256(ids[i - 1])) revert ChannelsNotSorted(i);
            ids[i] = id;
            payers[i] = config.payer;
        }
        _forwardClaims(claims);
        for (uint256 i = 0; i < n; ++i) {
            paid[i] = _account(ids[i]);
        }
        channels.settle(address(this), address(token));
    }

    /// @dev The rise of channel `id`'s claimed total since this contract last accounted for it,
    /// now accounted for.
    function _account(bytes32 id) private returns (uint256 rise) {
        (, uint128 claimed) = channels.channels(id);
        rise = claimed - _accountedClaims[id];
        _accountedClaims[id] = claimed;
    }

    /// @dev `channels.claim(claims)`, sent with the claims' calldata as it came: the array's
    /// encoding (from its length word on; the offsets inside it are relative to it) is copied, not
    /// decoded and encoded again, which would take code this contract has no room for. Copying to
    /// the end of the calldata keeps every tail the offsets can reach; the decoder ignores the rest.
    function _forwardClaims(BatchSettlement.VoucherClaim[] calldata claims) private {
        address target = address(channels);
        bytes4 selector = BatchSettlement.claim.selector;
        assembly ("memory-safe") {
            let start := sub(claims.offset, 0x20)
            let size := sub(calldatasize(), start)
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), 0x20)
            calldatacopy(add(ptr, 0x24), start, size)
            if iszero(call(gas(), target, 0, ptr, add(0x24, size), 0, 0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev The batch `batchId`, after checking that `p` proves its record at `p.index` in it.
    function _provenBatch(uint256 batchId, BatchRecordProof calldata p) private view returns (Batch storage batch) {
        batch = _batch(batchId);
        if (!batchRecords.proves(batch.root, batch.count, p.index, p.record, p.payer, p.node, p.proof)) {
            revert BadProof(batchId);
        }
    }

    /// @dev A batch record's signer (who its signature recovers to; zero when it does not), mode,
    /// time and fee.
    function _inspect(bytes calldata record)
        private
        view
        returns (address signer, bool recovered, uint8 mode, uint64 time, uint256 fee)
    {
        return batchRecords.inspect(record, _domainSeparatorV4(), RESULT_TYPEHASH);
    }

    /// @dev The grounds as for a `Record`, with the signer the one the signature recovers to: a
    /// signature that does not recover is a bad signature and names no registered signer.
    function _signerGround(address signer, bool recovered, uint64 time, uint8 ground) private view returns (bool) {
        if (ground == GROUND_BAD_SIGNATURE) return !recovered;
        if (ground == GROUND_UNKNOWN_SIGNER) return !teeRegistry.isRegistered(signer);
        if (ground == GROUND_NOT_APPROVED) return teeRegistry.isRegistered(signer) && !teeRegistry.isActive(signer, time);
        return false;
    }

    function _batch(uint256 batchId) private view returns (Batch storage) {
        if (batchId == 0 || batchId > _batches.length) revert UnknownBatch(batchId);
        return _batches[batchId - 1];
    }

    function _setParams(Params memory p) private {
        if (uint256(p.validatorFeeBps) + p.treasuryFeeBps > 10_000) revert FeeSplitTooLarge();
        // challengerRewardBps < 100% of the validator's own slashed stake: a validator disputing
        // itself always loses more than it is paid.
        // A zero slash fraction or challenge window would make every dispute revert (Staking
        // refuses a zero fraction; nothing could be disputed in no time): false vouching free.
        // The window must close before any stake that left after the verdict can be withdrawn:
        // a dispute later than that finds the stake gone (Staking refuses the infraction as too old).
        if (
            p.rewardedAttesters == 0 || p.slashFractionBps == 0 || p.slashFractionBps > 10_000
                || p.challengeWindow == 0 || p.challengeWindow >= staking.unbondingPeriod()
                || p.challengeWindow >= bonds.unbondingDelay() || p.challengerRewardBps >= 10_000
        ) revert BadParams();
        // Verdicts keep the window they were given: a shorter one leaves the longer open a while.
        uint64 open = longestOpenWindow();
        if (p.challengeWindow < open) {
            _retiredWindow = open;
            uint64 until = uint64(block.timestamp) + open;
            if (until > _retiredWindowOpenUntil) _retiredWindowOpenUntil = until;
        }
        _params = p;
        _recordWindow(p.challengeWindow);
        emit ParamsChanged(p);
    }

    /// @dev A change applies to records settled from the next second on, as in TEERegistry:
    /// records of the second it was made in keep the window they were settled under. The genesis
    /// window holds from time 0, so a change in the deployment's own second is a change like any
    /// other (found by the invariant campaign: it used to overwrite the genesis entry).
    function _recordWindow(uint64 window) private {
        uint256 n = _windows.length;
        uint64 since = uint64(block.timestamp) + 1;
        if (n == 0) _windows.push(WindowChange({since: 0, window: window}));
        else if (_windows[n - 1].since == since) _windows[n - 1].window = window;
        else if (_windows[n - 1].window != window) _windows.push(WindowChange({since: since, window: window}));
    }
}
