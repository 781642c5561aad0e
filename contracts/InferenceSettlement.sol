// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @dev The part of OPGToken this contract uses: ERC-3009 pulls of x402 payments.
interface IERC3009Pull {
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

/// @dev The part of Staking this contract uses.
interface IStakingSlasher {
    function isActive(address validator) external view returns (bool);
    function slash(address validator, uint64 infractionTime, uint16 fractionBps, string calldata reason)
        external
        returns (uint256);
    function distributeReward(address validator, uint256 amount) external;
}

/// @dev The part of TEERegistry this contract uses.
interface ITEERegistryView {
    function isRegistered(address signer) external view returns (bool);
    function isActive(address signer, uint64 time) external view returns (bool);
}

/// @dev The part of ModelHub this contract uses.
interface IModelHubSettlement {
    function callTerms(uint256 modelId, uint8 mode) external view returns (uint256 price, bool callable);
    function recordCall(uint256 modelId, uint256 amount) external;
}

/// @title InferenceSettlement
/// @notice Settles paid inference calls (x402 payment pulled with ERC-3009, fee split, record
/// stored) and runs verification after the fact: validators attest records, and anyone may dispute
/// an attestation with evidence this contract checks itself; a won dispute slashes the validator
/// (and so its delegators) through Staking and pays the challenger.
/// @dev Only the record's hash is stored; the full record travels in the `InferenceSettled` event
/// and is passed back as calldata to `dispute`, which checks it against the hash. That keeps a
/// settlement to a few storage slots.
contract InferenceSettlement is EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

    uint8 public constant MODE_VANILLA = 1;
    uint8 public constant MODE_TEE = 2;
    uint8 public constant MODE_ZKML = 4;

    /// @notice What the enclave signs for every result (EIP-712, this contract's domain).
    bytes32 public constant RESULT_TYPEHASH = keccak256(
        "InferenceResult(uint256 modelId,bytes32 inputHash,bytes32 outputHash,bytes32 requestId,uint64 timestamp)"
    );

    /// @notice Dispute grounds; the contract checks each from the record alone.
    uint8 public constant GROUND_BAD_SIGNATURE = 1; // signature does not recover to the enclave signer
    uint8 public constant GROUND_UNKNOWN_SIGNER = 2; // signer never registered in TEERegistry
    uint8 public constant GROUND_NOT_APPROVED = 3; // signer's measurement/vendor not approved at record time

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

    /// @notice An x402 "exact" EVM payment: an ERC-3009 TransferWithAuthorization to this contract.
    struct Payment {
        address from;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
        bytes signature;
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
    }

    struct Attestation {
        uint64 attestedAt;
        bool valid;
        bool disputed;
    }

    IERC20 public immutable token;
    IStakingSlasher public immutable staking;
    ITEERegistryView public immutable teeRegistry;
    IModelHubSettlement public immutable modelHub;
    address public immutable timelock;
    address public treasury;
    Params private _params;

    RecordState[] private _records; // recordId = index + 1
    mapping(bytes32 requestId => uint256 recordId) public recordIdByRequest;
    mapping(uint256 recordId => mapping(address validator => Attestation)) private _attestations;

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
    event Attested(uint256 indexed recordId, address indexed validator, bool valid, uint256 reward);
    event DisputeWon(
        uint256 indexed recordId, address indexed validator, address indexed challenger, uint8 ground, uint256 slashed, uint256 challengerReward
    );
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

    constructor(
        IERC20 token_,
        IStakingSlasher staking_,
        ITEERegistryView teeRegistry_,
        IModelHubSettlement modelHub_,
        address timelock_,
        Params memory params_
    ) EIP712("OGInference", "1") {
        token = token_;
        staking = staking_;
        teeRegistry = teeRegistry_;
        modelHub = modelHub_;
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
        treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    function params() external view returns (Params memory) {
        return _params;
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Pulls the caller-signed payment, splits it and stores the record; the sender is the node.
    function settle(Record calldata record, Payment calldata payment) external nonReentrant returns (uint256) {
        return _settle(record, payment);
    }

    /// @notice Settles many calls in one transaction to amortize the base cost.
    function settleBatch(Record[] calldata records, Payment[] calldata payments)
        external
        nonReentrant
        returns (uint256 firstRecordId)
    {
        if (records.length != payments.length) revert LengthMismatch();
        firstRecordId = _records.length + 1;
        for (uint256 i = 0; i < records.length; ++i) {
            _settle(records[i], payments[i]);
        }
    }

    /// @notice The hash this contract stores for a record (and checks disputes against).
    function hashRecord(Record calldata record) public pure returns (bytes32) {
        return keccak256(abi.encode(record));
    }

    /// @notice The EIP-712 digest the enclave signs for a result.
    function resultDigest(
        uint256 modelId,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 requestId,
        uint64 timestamp
    ) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RESULT_TYPEHASH, modelId, inputHash, outputHash, requestId, timestamp)));
    }

    // ---------------------------------------------------------------- verification

    /// @notice A validator's verdict on a record. The first `rewardedAttesters` share the validator fee.
    function attest(uint256 recordId, bool valid) external nonReentrant {
        RecordState storage state = _record(recordId);
        if (!staking.isActive(msg.sender)) revert NotActiveValidator(msg.sender);
        Attestation storage a = _attestations[recordId][msg.sender];
        if (a.attestedAt != 0) revert AlreadyAttested(recordId, msg.sender);
        a.attestedAt = uint64(block.timestamp);
        a.valid = valid;
        state.attestations += 1;
        uint256 reward = state.attestations <= _params.rewardedAttesters ? state.rewardPerAttester : 0;
        if (reward > 0) {
            token.forceApprove(address(staking), reward);
            staking.distributeReward(msg.sender, reward);
        }
        emit Attested(recordId, msg.sender, valid, reward);
    }

    /// @notice Disputes `validator`'s "valid" attestation of `record` on `ground`. The contract checks
    /// the ground itself; a false ground reverts and changes nothing.
    function dispute(uint256 recordId, Record calldata record, address validator, uint8 ground)
        external
        nonReentrant
        returns (uint256 slashed)
    {
        RecordState storage state = _record(recordId);
        if (state.recordHash != hashRecord(record)) revert RecordMismatch(recordId);
        Attestation storage a = _attestations[recordId][validator];
        if (a.attestedAt == 0 || !a.valid) revert NotAttestedValid(recordId, validator);
        if (a.disputed) revert AlreadyDisputed(recordId, validator);
        if (block.timestamp > a.attestedAt + _params.challengeWindow) revert ChallengeWindowClosed(recordId, validator);
        if (record.mode != MODE_TEE) revert UnsupportedMode(record.mode);
        if (!_groundHolds(record, ground)) revert DisputeRejected(recordId);

        a.disputed = true;
        slashed = staking.slash(validator, a.attestedAt, _params.slashFractionBps, _groundName(ground));
        uint256 challengerReward = slashed * _params.challengerRewardBps / 10_000;
        if (challengerReward > 0) token.safeTransfer(msg.sender, challengerReward);
        if (slashed > challengerReward) token.safeTransfer(treasury, slashed - challengerReward);
        emit DisputeWon(recordId, validator, msg.sender, ground, slashed, challengerReward);
    }

    // ---------------------------------------------------------------- reads

    function recordCount() external view returns (uint256) {
        return _records.length;
    }

    function recordState(uint256 recordId) external view returns (RecordState memory) {
        return _record(recordId);
    }

    function attestationOf(uint256 recordId, address validator) external view returns (Attestation memory) {
        return _attestations[recordId][validator];
    }

    /// @notice Whether `ground` holds for `record`, without changing anything (what `dispute` checks).
    function checkGround(Record calldata record, uint8 ground) external view returns (bool) {
        return _groundHolds(record, ground);
    }

    // ---------------------------------------------------------------- internals

    function _settle(Record calldata record, Payment calldata payment) private returns (uint256 recordId) {
        uint256 existing = recordIdByRequest[record.requestId];
        if (existing != 0) revert RequestAlreadySettled(record.requestId, existing);
        (uint256 price, bool callable) = modelHub.callTerms(record.modelId, record.mode);
        if (!callable) revert ModelNotCallable(record.modelId, record.mode);

        uint256 validatorCut = payment.value * _params.validatorFeeBps / 10_000;
        uint256 treasuryCut = payment.value * _params.treasuryFeeBps / 10_000;
        uint256 required = price + validatorCut + treasuryCut;
        if (payment.value < required) revert Underpaid(payment.value, required);

        IERC3009Pull(address(token)).transferWithAuthorization(
            payment.from,
            address(this),
            payment.value,
            payment.validAfter,
            payment.validBefore,
            payment.nonce,
            payment.signature
        );

        uint128 rewardPerAttester = uint128(validatorCut / _params.rewardedAttesters);
        recordId = _records.length + 1;
        _records.push(
            RecordState({
                recordHash: hashRecord(record),
                settledAt: uint64(block.timestamp),
                attestations: 0,
                rewardPerAttester: rewardPerAttester
            })
        );
        recordIdByRequest[record.requestId] = recordId;

        if (price > 0) {
            token.safeTransfer(address(modelHub), price);
        }
        modelHub.recordCall(record.modelId, price);
        uint256 nodeCut = payment.value - required;
        // Rounding dust of the per-attester split goes to the treasury with its own cut.
        uint256 treasuryTotal = treasuryCut + (validatorCut - uint256(rewardPerAttester) * _params.rewardedAttesters);
        if (nodeCut > 0) token.safeTransfer(msg.sender, nodeCut);
        if (treasuryTotal > 0) token.safeTransfer(treasury, treasuryTotal);
        emit InferenceSettled(
            recordId, record.modelId, payment.from, msg.sender, record, payment.value, price, nodeCut, validatorCut, treasuryCut
        );
    }

    function _groundHolds(Record calldata record, uint8 ground) private view returns (bool) {
        if (ground == GROUND_BAD_SIGNATURE) {
            bytes32 digest =
                resultDigest(record.modelId, record.inputHash, record.outputHash, record.requestId, record.timestamp);
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

    function _groundName(uint8 ground) private pure returns (string memory) {
        if (ground == GROUND_BAD_SIGNATURE) return "attested a result whose signature is not the enclave's";
        if (ground == GROUND_UNKNOWN_SIGNER) return "attested a result from an unregistered enclave";
        return "attested a result from an enclave not approved at the time";
    }

    function _record(uint256 recordId) private view returns (RecordState storage) {
        if (recordId == 0 || recordId > _records.length) revert UnknownRecord(recordId);
        return _records[recordId - 1];
    }

    function _setParams(Params memory p) private {
        if (uint256(p.validatorFeeBps) + p.treasuryFeeBps > 10_000) revert FeeSplitTooLarge();
        if (p.rewardedAttesters == 0 || p.slashFractionBps > 10_000 || p.challengerRewardBps > 10_000) {
            revert BadParams();
        }
        _params = p;
        emit ParamsChanged(p);
    }
}
