// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

/// @notice The parts of the protocol's contracts the invariant harness calls, as interfaces.
/// @dev Why interfaces and not `import "contracts/Staking.sol"`: forge hands solc every imported
/// source with full output, so a harness that imports the contracts re-runs the via-IR optimizer
/// over all of contracts/ on every harness edit (~1 min with solcjs); against interfaces a harness
/// edit compiles in seconds. The contracts are deployed from their artifacts (ProtocolDeployment).
///
/// Interface `I<Name>` mirrors contract `<Name>`: tests/static/test_forge_invariants.py fails when
/// a function declared here is missing from `<Name>`'s ABI or differs in inputs or outputs (e.g.
/// after `slash` starts returning two values), so a stale line cannot silently make calls revert.
/// Add what a new action or invariant needs, copying the signature from the contract.

interface IStaking {
    struct Params {
        uint64 unbondingPeriod;
        uint16 maxCommissionBps;
        uint16 maxCommissionChangeBps;
        uint64 commissionChangeDelay;
        uint256 minSelfStake;
        uint64 jailDuration;
    }

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

    struct UnbondingEntry {
        uint256 id;
        address validator;
        uint256 initialBalance;
        uint256 balance;
        uint64 creationTime;
        uint64 completionTime;
    }

    struct RedelegationEntry {
        uint256 id;
        address src;
        address dst;
        uint256 initialBalance;
        uint256 sharesDst;
        uint64 creationTime;
        uint64 completionTime;
    }

    struct SlashEvent {
        uint64 infractionTime;
        uint64 executedAt;
        uint16 fractionBps;
        uint64 entryWatermark;
    }

    // wiring and governance
    function initSlasher(address s) external;
    function slasher() external view returns (address);
    function params() external view returns (Params memory);
    function setParams(Params calldata p) external;

    // validators
    function registerValidator(uint16 commissionBps, string calldata metadataURI, uint256 selfStake) external;
    function unjail() external;

    // delegators
    function delegate(address validator, uint256 amount) external;
    function undelegate(address validator, uint256 amount) external returns (uint256 entryId);
    function undelegateAll(address validator) external returns (uint256 entryId);
    function redelegate(address src, address dst, uint256 amount) external returns (uint256 entryId);
    function withdraw() external returns (uint256 amount);

    // rewards
    function distributeReward(address validator, uint256 amount) external;
    function pendingRewards(address validator, address delegator) external view returns (uint256 amount);
    function claimRewards(address validator) external returns (uint256 amount);
    function claimAllRewards() external returns (uint256 amount);

    // slashing (slasher only, but applyRedelegationSlash: anyone)
    function slash(address validator, uint64 infractionTime, uint16 fractionBps, string calldata reason)
        external
        returns (uint256 slashedAmount, uint256 selfStakeSlashed);
    function applyRedelegationSlash(uint256 entryId) external returns (uint256 cut);
    function slashHistory(address validator) external view returns (SlashEvent[] memory);

    // reads
    function totalBonded() external view returns (uint256);
    function totalUnbonding() external view returns (uint256);
    function totalRewardsHeld() external view returns (uint256);
    function validatorCount() external view returns (uint256);
    function validators() external view returns (address[] memory);
    function getValidator(address validator) external view returns (ValidatorView memory);
    function isActive(address validator) external view returns (bool);
    function delegationOf(address validator, address delegator)
        external
        view
        returns (uint256 shares, uint256 tokens);
    function delegatorValidators(address delegator) external view returns (address[] memory);
    function unbondingEntries(address delegator) external view returns (UnbondingEntry[] memory);
    function redelegationEntries(address delegator) external view returns (RedelegationEntry[] memory);
}

/// @dev One `exact` payee per node (ExactTills).
interface IExactTills {
    function tillOf(address node) external view returns (address);
    function open(address node) external returns (address);
    function initSettlement(address settlement) external;
}

interface IInferenceSettlement {
    struct Params {
        uint16 validatorFeeBps;
        uint16 treasuryFeeBps;
        uint8 rewardedAttesters;
        uint64 challengeWindow;
        uint16 slashFractionBps;
        uint16 challengerRewardBps;
    }

    struct Record {
        uint256 modelId;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes32 requestId;
        uint64 timestamp;
        uint8 mode;
        address enclaveSigner;
        bytes signature;
    }

    /// @notice A record as settled: who paid (`fee`, the whole payment) and which node settled it
    /// (what the disputes pass back; the contract stores keccak256(abi.encode(record, payer, node, fee))).
    struct SettledCall {
        Record record;
        address payer;
        address node;
        uint256 fee;
    }

    struct Payment {
        address from;
        uint256 value;
        uint256 validAfter;
        uint256 validBefore;
        bytes32 nonce;
        bytes signature;
    }

    struct RecordState {
        bytes32 recordHash;
        uint64 settledAt;
        uint32 attestations;
        uint128 rewardPerAttester;
        uint8 rewardSlotsLeft;
        bool producerDisputed;
    }

    struct Attestation {
        uint64 attestedAt;
        bool valid;
        bool disputed;
        bool checkable;
        bool rewarded;
        bool claimed;
    }

    // governance
    function params() external view returns (Params memory);
    function setParams(Params calldata params_) external;
    function treasury() external view returns (address);
    function longestOpenWindow() external view returns (uint64);

    // settlement
    function settle(Record calldata record, Payment calldata payment) external returns (uint256);
    function tills() external view returns (IExactTills);
    function settleBatch(Record[] calldata records, Payment[] calldata payments)
        external
        returns (uint256 firstRecordId);

    // verification
    function attest(uint256 recordId, bool valid) external;
    function attestUncheckable(uint256 recordId) external;
    function dispute(uint256 recordId, SettledCall calldata call, address validator, uint8 ground)
        external
        returns (uint256 slashed);
    function disputeProducer(uint256 recordId, SettledCall calldata call, uint8 ground)
        external
        returns (uint256 slashed);
    function claimAttestationRewards(address validator, uint256[] calldata recordIds)
        external
        returns (uint256 amount);
    function sweepUnusedRewards(uint256[] calldata recordIds) external returns (uint256 amount);

    // reads
    function recordCount() external view returns (uint256);
    function recordState(uint256 recordId) external view returns (RecordState memory);
    function attestationOf(uint256 recordId, address validator) external view returns (Attestation memory);
    function disputableUntil(uint256 recordId, address validator) external view returns (uint64);
    function recordDisputableUntil(uint256 recordId) external view returns (uint64);
    function checkGround(Record calldata record, uint8 ground) external view returns (bool);
    function MAX_RECORD_AGE() external view returns (uint64);
}

/// @dev The registry's governance (timelock) and operator functions, and the reads a dispute makes.
interface INitroVerifier {
    struct Attested {
        bytes32 measurement;
        bytes32 documentHash;
        bytes32 leafHash;
        uint64 timestampMs;
        bool hasUserData;
        bytes userData;
    }

    function verifyDocument(bytes calldata document, bytes32 rootSha256) external view returns (Attested memory claims);
}

interface ITEERegistry {
    function setVendor(uint8 vendor, bool enabled, bytes32 rootHash) external;
    function approveMeasurement(uint8 vendor, bytes32 measurement, string calldata label) external;
    function revokeMeasurement(uint8 vendor, bytes32 measurement) external;
    function registerEnclave(
        uint8 vendor,
        bytes calldata document,
        string calldata endpoint,
        bytes calldata signerProof
    ) external returns (address signer);
    function deregisterEnclave(address signer) external;
    function isActive(address signer, uint64 time) external view returns (bool);
    function isRegistered(address signer) external view returns (bool);
    function operatorOf(address signer) external view returns (address);
    // the slasher (InferenceSettlement) disables the enclave of a node proven to settle a false record
    function initSlasher(address s) external;
    function setSlasher(address s) external;
    function disableEnclave(address signer) external;
    function slasher() external view returns (address);
    function deployer() external view returns (address);
}

/// @dev The bonds nodes put up behind the TEE records they settle: each TEE settlement reserves its
/// fee in the node's bond until the record's window closes (the payer's refund); disputeProducer
/// slashes the bond.
interface INodeBonds {
    struct Params {
        uint256 minBond;
        uint64 unbondingDelay;
        uint16 slashFractionBps;
    }

    /// @dev `reserved` is the part of `active` held for the fees of records still open to dispute.
    struct BondView {
        uint256 active;
        uint256 unbonding;
        uint64 releaseAt;
        uint256 reserved;
    }

    // wiring and governance
    function initSettlement(address s) external;
    function settlement() external view returns (address);
    function setParams(Params calldata p) external;
    function params() external view returns (Params memory);
    function unbondingDelay() external view returns (uint64);
    function minBond() external view returns (uint256);

    // operators
    function bond(uint256 amount) external;
    function unbond(uint256 amount) external;
    function withdraw() external returns (uint256 amount);

    // settlement only
    function reserve(address operator, uint256 fee, uint64 until) external;
    function slash(address operator, uint256 fee, uint64 until) external returns (uint256 amount, uint256 refund);

    // reads
    function bondOf(address operator) external view returns (BondView memory);
    function reservedOf(address operator) external view returns (uint256 reserved);
    function isBonded(address operator) external view returns (bool);
    function totalBonded() external view returns (uint256);
}

interface IModelHub {
    function initSettlement(address settlement_) external;
    function settlement() external view returns (address);
    function publish(
        string calldata cid,
        bytes32 sha256Digest,
        string calldata name,
        uint256 pricePerCall,
        uint8 modes,
        string calldata metadataURI
    ) external returns (uint256 modelId);
    function setPrice(uint256 modelId, uint256 newPrice) external;
    function deprecate(uint256 modelId) external;
    function withdraw() external returns (uint256 amount);
    function earningsOf(address publisher) external view returns (uint256);
    function modelCount() external view returns (uint256);
    function callTerms(uint256 modelId, uint8 mode) external view returns (uint256 price, bool callable);
}

interface IOGTimelock {
    function PROPOSER_ROLE() external view returns (bytes32);
    function CANCELLER_ROLE() external view returns (bytes32);
    function DEFAULT_ADMIN_ROLE() external view returns (bytes32);
    function grantRole(bytes32 role, address account) external;
    function renounceRole(bytes32 role, address callerConfirmation) external;
    function hasRole(bytes32 role, address account) external view returns (bool);
}

interface IOPGToken {
    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function approve(address spender, uint256 value) external returns (bool);
    function allowance(address owner, address spender) external view returns (uint256);
    // EIP-712 domain of ERC-2612 and ERC-3009 (settle pulls x402 payments with the latter)
    function DOMAIN_SEPARATOR() external view returns (bytes32);
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool);
}
