// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {AttestationVerifierDouble} from "./AttestationVerifierDouble.sol";
import {VM} from "./Vm.sol";

import {
    IExactTills, IInferenceSettlement, IModelHub, INodeBonds, IOGTimelock, IOPGToken, IStaking, ITEERegistry
} from "./interfaces/Protocol.sol";

/// @notice Deploys and wires the protocol as ogcli/protocol/deploy.py does (same order, same
/// constructor arguments, the genesis defaults of ogcli/protocol/params.py, no vesting grants), with
/// the deployer being the contract that inherits this. The contracts are created from forge's
/// artifacts (`deployCode`), i.e. the bytecode of contracts/*.sol built with the settings of
/// scripts/build_contracts.mjs, byte for byte what ships. The harness sees them through the
/// interfaces of interfaces/Protocol.sol, so it compiles in seconds (see there why).
abstract contract ProtocolDeployment {
    uint256 internal constant OPG = 1e18;
    uint256 internal constant DAY = 86_400;

    // GenesisParams / GovernanceParams / StakingParams / SettlementParams defaults (params.py)
    uint256 internal constant TOTAL_SUPPLY = 1_000_000_000 * OPG;
    uint256 internal constant TREASURY = 300_000_000 * OPG;
    uint256 internal constant TIMELOCK_DELAY = 2 * DAY;
    uint48 internal constant VOTING_DELAY = uint48(1 * DAY);
    uint32 internal constant VOTING_PERIOD = uint32(3 * DAY);
    uint256 internal constant PROPOSAL_THRESHOLD = 100_000 * OPG;
    uint256 internal constant QUORUM_PERCENT = 4;
    uint8 internal constant VENDOR_DEV = 4;
    bytes32 internal constant DEV_ROOT = keccak256("invariants: DEV vendor root");
    bytes32 internal constant DEV_MEASUREMENT = keccak256("invariants: DEV enclave image");

    IOGTimelock internal timelock;
    IOPGToken internal token;
    address internal governor; // OGGovernor
    address internal registry; // TEERegistry
    IStaking internal staking;
    IModelHub internal hub;
    INodeBonds internal bonds;
    IInferenceSettlement internal settlement;
    address internal channels;
    address internal batchRecords;
    IExactTills internal tills;

    function _stakingParams() internal pure virtual returns (IStaking.Params memory) {
        return IStaking.Params({
            unbondingPeriod: uint64(14 * DAY),
            maxCommissionBps: 2_000,
            maxCommissionChangeBps: 200,
            commissionChangeDelay: uint64(1 * DAY),
            minSelfStake: 10_000 * OPG,
            jailDuration: uint64(2 * DAY)
        });
    }

    /// @dev BondParams (params.py): 1,000 OPG, 10 days (longer than the challenge window), 10%.
    function _bondParams() internal pure virtual returns (INodeBonds.Params memory) {
        return INodeBonds.Params({minBond: 1_000 * OPG, unbondingDelay: uint64(10 * DAY), slashFractionBps: 1_000});
    }

    function _settlementParams() internal pure virtual returns (IInferenceSettlement.Params memory) {
        return IInferenceSettlement.Params({
            validatorFeeBps: 1_000,
            treasuryFeeBps: 500,
            rewardedAttesters: 3,
            challengeWindow: uint64(7 * DAY),
            slashFractionBps: 1_000,
            challengerRewardBps: 2_000
        });
    }

    /// @param community receives everything but the treasury (genesis.community_recipient).
    function _deployProtocol(address community) internal {
        address deployer = address(this);

        address[] memory none = new address[](0);
        address[] memory anyone = new address[](1); // executors: [address(0)], anyone may execute
        timelock = IOGTimelock(_deploy("OGTimelock", abi.encode(TIMELOCK_DELAY, none, anyone, deployer)));

        address[] memory recipients = new address[](2);
        recipients[0] = address(timelock);
        recipients[1] = community;
        uint256[] memory amounts = new uint256[](2);
        amounts[0] = TREASURY;
        amounts[1] = TOTAL_SUPPLY - TREASURY;
        token = IOPGToken(_deploy("OPGToken", abi.encode(recipients, amounts)));

        governor = _deploy(
            "OGGovernor", abi.encode(token, timelock, VOTING_DELAY, VOTING_PERIOD, PROPOSAL_THRESHOLD, QUORUM_PERCENT)
        );

        uint8[] memory vendors = new uint8[](1);
        vendors[0] = VENDOR_DEV;
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = DEV_ROOT;
        bytes32[] memory measurements = new bytes32[](1);
        measurements[0] = DEV_MEASUREMENT;
        string[] memory labels = new string[](1);
        labels[0] = "dev image";
        // The one departure from deploy.py: a double stands in for NitroVerifier (see there why).
        address verifier = address(new AttestationVerifierDouble());
        registry = _deploy("TEERegistry", abi.encode(timelock, verifier, vendors, roots, vendors, measurements, labels));

        staking = IStaking(_deploy("Staking", abi.encode(token, timelock, _stakingParams())));
        hub = IModelHub(_deploy("ModelHub", abi.encode(token, timelock)));
        bonds = INodeBonds(_deploy("NodeBonds", abi.encode(token, timelock, _bondParams())));
        // deploy.py passes the scheme's fixed address, where the devnet places BatchSettlement;
        // its code works at any address, so here it is deployed like the rest.
        channels = _deploy("BatchSettlement", "");
        batchRecords = _deploy("BatchRecords", "");
        tills = IExactTills(_deploy("ExactTills", abi.encode(token)));
        settlement = IInferenceSettlement(
            _deploy(
                "InferenceSettlement",
                abi.encode(token, staking, registry, hub, bonds, channels, batchRecords, tills, timelock, _settlementParams())
            )
        );

        // wiring contracts (deploy.py's order)
        staking.initSlasher(address(settlement));
        bonds.initSettlement(address(settlement));
        ITEERegistry(registry).initSlasher(address(settlement));
        hub.initSettlement(address(settlement));
        tills.initSettlement(address(settlement));

        // handing control to the timelock
        timelock.grantRole(timelock.PROPOSER_ROLE(), governor);
        timelock.grantRole(timelock.CANCELLER_ROLE(), governor);
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer);

        VM.label(address(timelock), "OGTimelock");
        VM.label(address(token), "OPGToken");
        VM.label(governor, "OGGovernor");
        VM.label(registry, "TEERegistry");
        VM.label(address(staking), "Staking");
        VM.label(address(hub), "ModelHub");
        VM.label(address(bonds), "NodeBonds");
        VM.label(address(settlement), "InferenceSettlement");
    }

    /// @dev The protocol's contracts that may hold tokens (for conservation sums).
    function _protocolHolders() internal view returns (address[] memory holders) {
        holders = new address[](8);
        holders[0] = address(timelock);
        holders[1] = address(token);
        holders[2] = governor;
        holders[3] = registry;
        holders[4] = address(staking);
        holders[5] = address(hub);
        holders[6] = address(settlement);
        holders[7] = address(bonds);
    }

    function _deploy(string memory name, bytes memory args) private returns (address deployed) {
        deployed = VM.deployCode(string.concat(name, ".sol:", name), args);
    }
}
