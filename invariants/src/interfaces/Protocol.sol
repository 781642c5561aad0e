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

    // wiring and governance
    function initSlasher(address s) external;
    function slasher() external view returns (address);
    function params() external view returns (Params memory);

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

interface IInferenceSettlement {
    struct Params {
        uint16 validatorFeeBps;
        uint16 treasuryFeeBps;
        uint8 rewardedAttesters;
        uint64 challengeWindow;
        uint16 slashFractionBps;
        uint16 challengerRewardBps;
    }

    function params() external view returns (Params memory);
    function treasury() external view returns (address);
}

interface IModelHub {
    function initSettlement(address settlement_) external;
    function settlement() external view returns (address);
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
}
