// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {VM} from "../Vm.sol";
import {bound} from "../InvariantTest.sol";
import {CallRecorder} from "./CallRecorder.sol";
import {StakingHandler} from "./StakingHandler.sol";

import {
    IExactTills, IInferenceSettlement, IModelHub, INodeBonds, IOPGToken, IStaking, ITEERegistry
} from "../interfaces/Protocol.sol";

/// @notice The fuzzer's hands on the market and its verification: nodes settle records (good ones
/// and bad ones the handler makes on purpose), payers sign the x402 payments, validators attest,
/// anyone disputes, publishers publish, operators register and retire enclaves, governance (the
/// timelock) revokes measurements, disables the vendor and changes parameters. Every action makes
/// real calls to the deployed contracts through `_call`; the actors are StakingHandler's.
///
/// Ground truth. The handler knows, for every record it settles, whether a dispute ground holds:
/// it chose the signature (the enclave's, another key's, a tampered field, a malleated or
/// malformed one) and it keeps its own model of the registry's history (registrations,
/// retirements, measurement and vendor intervals), from which "was the signer active at the
/// record's time" follows. That answer is frozen when the record settles and cross-checked against
/// `settlement.checkGround` then and after every registry change (the only calls that can change
/// checkGround's answers, and all of them are made here), so a registry change that rewrites a
/// settled record's past is counted in `groundTruthMismatches` (I1's premise).
///
/// Ghosts for the slashing invariants (invariants/test/SlashingGuarantee.t.sol):
/// - I1: `vouchedBad[v]` once v gave a checkable verdict the facts contradict; disputes that
///   succeed against an honest verdict (`honestVerdictsDisputed`);
/// - I2: disputes of an open bad verdict with a ground that holds which were refused or whose
///   slash broke the "one slash per window" rule (`i2Failures`, rule in `_slashOutcome`);
/// - I4: every dispute measures each actor's stake before and after (`_disputeMeasured`);
///   losses above the slash fraction of the exposure are counted in `i4Violations`.
///
/// Ghosts for the producer's bond (invariants/test/ProducerBonds.t.sol): nodes bond in NodeBonds
/// (`nodeBond`) and settle TEE records only while bonded (each reserves its fee in the bond until
/// its window closes); the handler keeps, per record, the settled call (payer, node, fee) and the
/// end of its window by its own model of the window rule (a record keeps the challenge window in
/// force when it settled; a change applies from the next second), and per node the latest window
/// end of the TEE records it settled.
/// - I6: producer disputes of false records refused, or whose slash, refund, reward, treasury share,
///   bond cut or enclave disabling differ from the rule (`producerFailures`, `_producerOutcome`);
/// - I7: producer disputes that succeeded against an honest record (`honestProducersSlashed`);
/// - I8: an unbond whose release is not after the windows of the node's records, or a withdraw
///   while one of them is still open (`bondReleaseViolations`).
contract SettlementHandler is CallRecorder {
    uint8 internal constant MODE_VANILLA = 1;
    uint8 internal constant MODE_TEE = 2;
    uint8 internal constant GROUND_NONE = 0;
    uint8 internal constant GROUND_BAD_SIGNATURE = 1;
    uint8 internal constant GROUND_UNKNOWN_SIGNER = 2;
    uint8 internal constant GROUND_NOT_APPROVED = 3;
    uint8 internal constant VENDOR_DEV = 4;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant ENCLAVE_KEYS = 8;
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    bytes4 internal constant NODE_NOT_BONDED = bytes4(keccak256("NodeNotBonded(address)"));
    bytes4 internal constant BOND_COMMITTED = bytes4(keccak256("BondCommitted(address,uint256,uint256)"));
    bytes4 internal constant NOT_SETTLERS_ENCLAVE = bytes4(keccak256("NotSettlersEnclave()"));
    uint256 internal constant DAY = 1 days;
    bytes32 internal constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );

    IOPGToken public immutable token;
    IStaking public immutable staking;
    IInferenceSettlement public immutable settlement;
    INodeBonds public immutable bonds;
    IExactTills public immutable tills;
    IModelHub public immutable hub;
    ITEERegistry public immutable registry;
    address public immutable timelock;
    StakingHandler public immutable stakingHandler;
    bytes32 public immutable devRoot;
    bytes32 public immutable measurement0; // approved at genesis
    bytes32 public immutable measurement1; // approved only if governance does
    bytes32 internal immutable _tokenDomain;
    uint64 public immutable deployedAt; // the protocol was deployed in this second (ProtocolSetup)

    address[] internal _actors;
    uint256[] internal _actorKeys;
    uint256[] internal _enclaveKeys;
    uint256 internal _nonce;

    // ---------------------------------------------------------------- the registry, as the handler models it

    struct Interval {
        uint64 from;
        uint64 until; // 0 while open
    }

    struct EnclaveModel {
        address operator; // 0: never registered
        bytes32 measurement;
        uint64 registeredAt;
        uint64 deregisteredAt; // 0 while registered
    }

    Interval[] internal _vendorModel;
    mapping(bytes32 measurement => Interval[]) internal _measurementModel;
    mapping(address signer => EnclaveModel) internal _enclaveModel;

    // ---------------------------------------------------------------- records, verdicts, models

    /// @dev Frozen when the record settles (but `producerDisputed`).
    struct RecordGhost {
        uint256 id;
        bool tee;
        bool badSignature; // the signature is not the signer's (by construction)
        bool signerInactive; // the signer was not active at the record's time (model)
        bool bad; // tee && (badSignature || signerInactive): a dispute ground held
        address payer; // the settled call: who paid, which node settled, the whole payment
        address node;
        uint256 fee;
        uint64 windowEnd; // last second of its producer dispute window (the handler's window model)
        bool producerDisputed; // a producer dispute of it succeeded
    }

    /// @dev The handler's model of the record window rule: from `since` on, records settle under `window`.
    struct WindowChange {
        uint64 since;
        uint64 window;
    }

    /// @dev One attestation, as given. `dishonest`: checkable, and the facts at the time contradict it.
    struct Verdict {
        uint256 record; // index into _records
        address validator;
        uint64 attestedAt;
        bool valid;
        bool checkable;
        bool dishonest;
    }

    RecordGhost[] internal _records;
    IInferenceSettlement.Record[] internal _recordData;
    Verdict[] internal _verdicts;
    uint256[] internal _models;
    mapping(uint256 modelId => address) internal _modelPublisher; // ModelHub.transferModel is not fuzzed
    WindowChange[] internal _windowModel;
    /// @notice Per node: the latest window end of the TEE records it settled, and that value when
    /// it last unbonded (what the unbonding amount stood behind).
    mapping(address node => uint64) public lastWindowEnd;
    mapping(address node => uint64) public windowEndAtUnbond;

    // ---------------------------------------------------------------- ghosts

    mapping(address validator => bool) public vouchedBad;
    uint256 public groundTruthMismatches;
    string public firstMismatch;
    uint256 public honestVerdictsDisputed;
    string public firstHonestDispute;
    uint256 public i2Failures;
    string public firstI2Failure;
    uint256 public i4Violations;
    uint256 public worstI4Excess;
    string public firstI4Violation;
    uint256 public producerFailures;
    string public firstProducerFailure;
    uint256 public honestProducersSlashed;
    string public firstHonestProducerSlash;
    uint256 public bondReleaseViolations;
    string public firstBondReleaseViolation;

    // what the runs reached (afterInvariant)
    uint256 public recordsGood;
    uint256 public recordsBad;
    uint256 public verdictsHonest;
    uint256 public verdictsDishonest;
    uint256 public disputesSlashed;
    uint256 public disputesCovered;
    uint256 public openBadDisputesTried;
    uint256 public registryChanges;
    uint256 public paramChanges;
    uint256 public lossesMeasured; // I4: (dispute, actor) pairs where the actor lost stake
    uint256 public lossesThroughEntries; // ... and had unbonding or redelegation entries exposed
    uint256 public producerSlashes; // producer disputes that succeeded (fuzzer's own)
    uint256 public producerSlashesEmpty; // ... that found the bond empty (slashed 0)
    uint256 public enclavesDisabled; // ... that disabled the node's enclave
    uint256 public maxOpenFalseRecords; // the most false records open at once, as disputeProducer saw them
    uint256 public settlesUnbonded; // TEE settlements refused with NodeNotBonded
    uint256 public settlesCommitted; // ... with BondCommitted (free bond short of the fees)
    uint256 public settlesNotTheirs; // ... with NotSettlersEnclave (a record of another operator's enclave)
    uint256 public settlesLifted; // payments made out to another node's till, refused
    uint256 public bondsMade;
    uint256 public unbondsMade;
    uint256 public withdrawalsMade;

    constructor(
        StakingHandler stakingHandler_,
        IInferenceSettlement settlement_,
        INodeBonds bonds_,
        IModelHub hub_,
        address registry_,
        address timelock_,
        bytes32 devRoot_,
        bytes32 devMeasurement
    ) {
        stakingHandler = stakingHandler_;
        token = stakingHandler_.token();
        staking = stakingHandler_.staking();
        settlement = settlement_;
        bonds = bonds_;
        hub = hub_;
        registry = ITEERegistry(registry_);
        timelock = timelock_;
        devRoot = devRoot_;
        measurement0 = devMeasurement;
        measurement1 = keccak256("invariants: DEV enclave image v2");
        _tokenDomain = stakingHandler_.token().DOMAIN_SEPARATOR();
        tills = settlement_.tills();

        address[] memory actors_ = stakingHandler_.actors();
        for (uint256 i = 0; i < actors_.length; ++i) {
            _actors.push(actors_[i]);
            _actorKeys.push(stakingHandler_.actorKey(i));
            VM.prank(actors_[i]);
            token.approve(address(bonds_), type(uint256).max);
            tills.open(actors_[i]); // every actor may settle as a node: its till exists
        }
        _tag(address(bonds_), bytes4(keccak256("NodeBonds"))); // its withdraw() is ModelHub's selector
        for (uint256 i = 0; i < ENCLAVE_KEYS; ++i) {
            _enclaveKeys.push(0xE0000 + i);
            VM.label(VM.addr(0xE0000 + i), string.concat("enclave", VM.toString(i)));
        }

        // The registry was deployed in this block with DEV and measurement0 open (ProtocolDeployment).
        uint64 genesis = uint64(VM.getBlockTimestamp());
        deployedAt = genesis;
        _vendorModel.push(Interval(genesis, 0));
        _measurementModel[measurement0].push(Interval(genesis, 0));
        _windowModel.push(WindowChange(0, settlement_.params().challengeWindow));

        // Genesis market: one TEE+vanilla model, two enclaves (the others register during the run).
        _publish(_actors[5], 1e18, 3);
        _registerEnclave(_actors[3], 0, measurement0, true);
        _registerEnclave(_actors[4], 1, measurement0, true);
        // Genesis nodes: actors 1-4 bonded (5x the minimum); actors 0 and 5 settle TEE records only
        // once they bond (nodeBond), and are refused (NodeNotBonded) until then.
        for (uint256 i = 1; i <= 4; ++i) {
            (bool ok,) = _call(
                _actors[i], address(bonds_), abi.encodeCall(INodeBonds.bond, (5 * bonds_.minBond())), address(token)
            );
            if (ok) bondsMade += 1;
        }

        _name(IInferenceSettlement.settle.selector, "Settlement.settle");
        _name(IInferenceSettlement.settleBatch.selector, "Settlement.settleBatch");
        _name(IInferenceSettlement.attest.selector, "Settlement.attest");
        _name(IInferenceSettlement.attestUncheckable.selector, "Settlement.attestUncheckable");
        _name(IInferenceSettlement.dispute.selector, "Settlement.dispute");
        _name(IInferenceSettlement.disputeProducer.selector, "Settlement.disputeProducer");
        _name(_key(address(bonds_), INodeBonds.bond.selector), "NodeBonds.bond");
        _name(_key(address(bonds_), INodeBonds.unbond.selector), "NodeBonds.unbond");
        _name(_key(address(bonds_), INodeBonds.withdraw.selector), "NodeBonds.withdraw");
        _name(_key(address(bonds_), INodeBonds.setParams.selector), "NodeBonds.setParams (timelock)");
        _name(IInferenceSettlement.claimAttestationRewards.selector, "Settlement.claimAttestationRewards");
        _name(IInferenceSettlement.sweepUnusedRewards.selector, "Settlement.sweepUnusedRewards");
        _name(IInferenceSettlement.setParams.selector, "Settlement.setParams (timelock)");
        _name(IStaking.slash.selector, "Staking.slash (as the slasher, undone)");
        _name(IStaking.applyRedelegationSlash.selector, "Staking.applyRedelegationSlash");
        _name(IStaking.setParams.selector, "Staking.setParams (timelock)");
        _name(IStaking.undelegate.selector, "Staking.undelegate (fleeing a pending slash)");
        _name(IStaking.redelegate.selector, "Staking.redelegate (fleeing a pending slash)");
        _name(ITEERegistry.registerEnclave.selector, "TEERegistry.registerEnclave");
        _name(ITEERegistry.deregisterEnclave.selector, "TEERegistry.deregisterEnclave");
        _name(ITEERegistry.approveMeasurement.selector, "TEERegistry.approveMeasurement (timelock)");
        _name(ITEERegistry.revokeMeasurement.selector, "TEERegistry.revokeMeasurement (timelock)");
        _name(ITEERegistry.setVendor.selector, "TEERegistry.setVendor (timelock)");
        _name(IModelHub.publish.selector, "ModelHub.publish");
        _name(IModelHub.setPrice.selector, "ModelHub.setPrice");
        _name(IModelHub.deprecate.selector, "ModelHub.deprecate");
        _name(IModelHub.withdraw.selector, "ModelHub.withdraw");
    }

    /// @notice The selectors the fuzzer calls. A selector listed twice is picked twice as often:
    /// settling, attesting and disputing are what the slashing invariants are about.
    function actions() external pure returns (bytes4[] memory list) {
        list = new bytes4[](21);
        list[0] = this.settle.selector;
        list[1] = this.settle.selector;
        list[2] = this.settle.selector;
        list[3] = this.attest.selector;
        list[4] = this.attest.selector;
        list[5] = this.attest.selector;
        list[6] = this.dispute.selector;
        list[7] = this.dispute.selector;
        list[8] = this.disputeAny.selector;
        list[9] = this.claimAttestationRewards.selector;
        list[10] = this.sweepUnusedRewards.selector;
        list[11] = this.applyRedelegationSlash.selector;
        list[12] = this.slashAsSlasher.selector;
        list[13] = this.enclave.selector;
        list[14] = this.governance.selector;
        list[15] = this.publisher.selector;
        list[16] = this.advanceTime.selector;
        list[17] = this.flee.selector;
        list[18] = this.disputeProducer.selector;
        list[19] = this.nodeBond.selector;
        list[20] = this.nodeBond.selector;
    }

    // ================================================================ actions

    // ---------------------------------------------------------------- node and payer

    /// @notice A node (any actor) settles a record it made, paid by a payer (any actor) with an
    /// ERC-3009 authorization. `kindSeed` picks the record: honestly signed by one of the enclave
    /// keys (registered, retired or never registered: whatever the registry says now), signed by
    /// another key, tampered after signing, malleated (high s), malformed, signed by a stranger key,
    /// or a vanilla call; now and then a request the contract must refuse, or a batch of two. The
    /// node of a TEE record is most of the time its signer's operator (refused NodeNotBonded when
    /// it is not bonded), now and then another actor (refused: NotSettlersEnclave, the copy of a
    /// node's pending settlement by a competitor); one time in sixteen the fee is
    /// up to twice the node's bond (refused when its free bond does not cover it: BondCommitted;
    /// with the payer being the node, the self-paid record that must not drain the bond); and one
    /// time in sixteen the payment is made out to another actor's till (an authorization lifted
    /// from another node's settlement), which must never settle.
    function settle(uint256 payerSeed, uint256 nodeSeed, uint256 kindSeed, uint256 ageSeed, uint256 tip) external {
        Settling memory x;
        x.kind = kindSeed % 10;
        x.variant = (kindSeed >> 4) % 16;
        uint8 mode = x.kind == 9 ? MODE_VANILLA : MODE_TEE;
        (bool found, uint256 modelId) = _callableModel(kindSeed >> 8, mode);
        if (!found) return;
        x.payer = payerSeed % _actors.length;
        x.record = _draftRecord(modelId, mode, x.kind, kindSeed >> 16, _recordTime(ageSeed));
        x.node = _pickNode(nodeSeed, x.record);
        x.value = _fee(modelId, mode, 0);
        if (x.variant == 0 && x.value > 0) x.value -= 1; // underpaid, unless rounding still covers it
        else if (x.variant == 6 && mode == MODE_TEE) x.value += bound(tip, 0, 2 * bonds.bondOf(x.node).active); // may exceed the free bond
        else x.value += bound(tip, 0, 5e18);
        // The payer pays the node's till, and the record is signed under the request id that
        // payment gives it; variant 8: an authorization lifted from another node's settlement
        // (made out to that node's till), which the node binds to a record of its own.
        x.payee = x.variant == 8 ? _otherThan(x.node, nodeSeed >> 8) : x.node;
        _payAndSign(x, kindSeed >> 16);
        if (x.variant == 1 && _recordData.length > 0) x.record.requestId = _recordData[_recordData.length - 1].requestId;
        if (x.variant == 2) x.record.timestamp = uint64(_now()) - settlement.MAX_RECORD_AGE() - 1; // too old
        if (x.variant == 3) x.record.timestamp = uint64(_now()) + 1; // dated after its settlement
        if (token.balanceOf(_actors[x.payer]) < x.value) return;
        if (x.variant == 4 || x.variant == 5) _settleBatch(x, kindSeed);
        else _settleOne(x);
    }

    struct Settling {
        uint256 kind;
        uint256 variant;
        uint256 payer; // actor index
        address node;
        address payee; // whose till the payment is made out to (the node's, but in variant 8)
        uint256 value;
        IInferenceSettlement.Record record;
        IInferenceSettlement.Payment payment;
    }

    function _settleOne(Settling memory x) internal {
        IInferenceSettlement.Payment memory payment = x.payment;
        BondGate memory gate = _bondGate(x.node, x.record.mode == MODE_TEE ? x.value : 0);
        _coolAll();
        (bool ok, bytes memory ret) = _call(
            x.node, address(settlement), abi.encodeCall(IInferenceSettlement.settle, (x.record, payment)), address(token)
        );
        _checkSettlerGate(x.node, x.record.mode == MODE_TEE ? x.record.enclaveSigner : address(0), address(0), ok, ret);
        if (_checkPayee(x, ok)) return;
        if (bytes4(ret) != NOT_SETTLERS_ENCLAVE) _checkBondGate(gate, ok, ret);
        if (ok) _recordSettled(x.record, x.kind, settlement.recordCount(), _actors[x.payer], x.node, x.value);
    }

    /// @dev A payment made out to another node's till never settles (the lifted authorization);
    /// true when this one was such a payment (the rest of the settlement's checks do not apply).
    function _checkPayee(Settling memory x, bool ok) internal returns (bool lifted) {
        if (x.payee == x.node) return false;
        if (ok) {
            _producerFailure(type(uint256).max, string.concat("node ", VM.toString(x.node),
                " settled a payment made out to the till of ", VM.toString(x.payee)));
        }
        settlesLifted += 1;
        return true;
    }

    /// @dev The payment to `x.payee`'s till, and `x.record` made again (from `seed`, as the
    /// draft was) under the request id that payment gives a call `x.node` settles.
    function _payAndSign(Settling memory x, uint256 seed) internal {
        x.payment = _makePayment(x.payer, x.value, x.payee);
        bytes32 requestId = _requestIdOf(x.node, x.payment);
        x.record = _makeRecord(x.record.modelId, x.record.mode, x.kind, seed, x.record.timestamp, requestId);
    }

    /// @dev The second call of a batch: a TEE record of `kind`, paid `value` to the node's till.
    function _secondCall(Settling memory x, uint256 kind, uint256 seed, uint256 value)
        internal
        returns (IInferenceSettlement.Record memory record, IInferenceSettlement.Payment memory payment)
    {
        payment = _makePayment(x.payer, value, x.node);
        record = _makeRecord(x.record.modelId, MODE_TEE, kind, seed, x.record.timestamp, _requestIdOf(x.node, payment));
    }

    /// @dev An actor other than `node`.
    function _otherThan(address node, uint256 seed) internal view returns (address other) {
        other = _actor(seed);
        if (other == node) other = _actor(seed + 1);
    }

    /// @dev The request id ExactTills gives a call paid by `payment` to `node`'s till.
    function _requestIdOf(address node, IInferenceSettlement.Payment memory payment) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(tills.tillOf(node), payment.from, payment.nonce));
    }

    function _settleBatch(Settling memory x, uint256 seed) internal {
        IInferenceSettlement.Record[] memory records = new IInferenceSettlement.Record[](2);
        IInferenceSettlement.Payment[] memory payments = new IInferenceSettlement.Payment[](2);
        uint256 secondKind = (seed >> 40) % 9; // a TEE record
        records[0] = x.record;
        uint256 secondValue = _fee(x.record.modelId, MODE_TEE, 0);
        if (token.balanceOf(_actors[x.payer]) < x.value + secondValue) return;
        payments[0] = x.payment;
        (records[1], payments[1]) = _secondCall(x, secondKind, seed >> 48, secondValue);
        // One reservation for the batch: the fees of its TEE records (the second one is).
        BondGate memory gate = _bondGate(x.node, (x.record.mode == MODE_TEE ? x.value : 0) + secondValue);
        _coolAll();
        (bool ok, bytes memory ret) = _call(
            x.node,
            address(settlement),
            abi.encodeCall(IInferenceSettlement.settleBatch, (records, payments)),
            address(token)
        );
        _checkSettlerGate(x.node, x.record.mode == MODE_TEE ? x.record.enclaveSigner : address(0), records[1].enclaveSigner, ok, ret);
        if (bytes4(ret) != NOT_SETTLERS_ENCLAVE) _checkBondGate(gate, ok, ret);
        if (!ok) return;
        uint256 last = settlement.recordCount();
        _recordSettled(records[0], x.kind, last - 1, _actors[x.payer], x.node, x.value);
        _recordSettled(records[1], secondKind, last, _actors[x.payer], x.node, secondValue);
    }

    /// @dev The node of a TEE record: thirteen times in sixteen its signer's operator when it has
    /// one (refused NodeNotBonded when that operator is not bonded), otherwise any actor (refused
    /// NotSettlersEnclave unless it is the operator). A vanilla record's node is any actor.
    function _pickNode(uint256 seed, IInferenceSettlement.Record memory record) internal view returns (address) {
        seed = _mix(seed);
        address any = _actor(seed >> 4);
        if (record.mode != MODE_TEE) return any;
        address operator = _enclaveModel[record.enclaveSigner].operator;
        if (seed % 16 < 13 && operator != address(0)) return operator;
        return any;
    }

    /// @dev A settlement of TEE records (signers `a`, `b`; 0: none) succeeds only from the operator
    /// who registered each one's enclave, and NotSettlersEnclave refuses only a record of someone
    /// else's (or of no) enclave.
    function _checkSettlerGate(address node, address a, address b, bool ok, bytes memory ret) internal {
        bool refused = !ok && ret.length >= 4 && bytes4(ret) == NOT_SETTLERS_ENCLAVE;
        if (refused) settlesNotTheirs += 1;
        bool theirs = (a == address(0) || registry.operatorOf(a) == node) && (b == address(0) || registry.operatorOf(b) == node);
        string memory wrong;
        if (ok && !theirs) wrong = "settled a TEE record of another operator's enclave";
        if (refused && theirs) wrong = "refused NotSettlersEnclave for records of its own enclave";
        if (bytes(wrong).length == 0) return;
        _producerFailure(type(uint256).max, string.concat("node ", VM.toString(node), " ", wrong));
    }

    /// @dev What NodeBonds.reserve will decide for a settlement putting `teeFees` on `node`'s bond.
    struct BondGate {
        address node;
        uint256 teeFees;
        bool bonded; // active bond >= minBond
        uint256 free; // active - reserved
    }

    function _bondGate(address node, uint256 teeFees) internal view returns (BondGate memory gate) {
        INodeBonds.BondView memory b = bonds.bondOf(node);
        gate = BondGate(node, teeFees, bonds.isBonded(node), b.active - b.reserved);
    }

    /// @dev A settlement with TEE records succeeds only if the node is bonded and its free bond
    /// covers their fees; NodeNotBonded only when it is not bonded, BondCommitted only when it is
    /// but its free bond falls short (nothing else refuses for the bond).
    function _checkBondGate(BondGate memory gate, bool ok, bytes memory ret) internal {
        bytes4 refusal = ok || ret.length < 4 ? bytes4(0) : bytes4(ret);
        if (refusal == NODE_NOT_BONDED) settlesUnbonded += 1;
        if (refusal == BOND_COMMITTED) settlesCommitted += 1;
        bool mayReserve = gate.bonded && gate.free >= gate.teeFees;
        string memory wrong;
        if (ok && gate.teeFees > 0 && !mayReserve) wrong = "settled TEE records its bond does not cover";
        if (refusal == NODE_NOT_BONDED && (gate.bonded || gate.teeFees == 0)) wrong = "refused NodeNotBonded while bonded";
        if (refusal == BOND_COMMITTED && (!gate.bonded || gate.free >= gate.teeFees || gate.teeFees == 0)) {
            wrong = "refused BondCommitted with free bond covering the fees";
        }
        if (bytes(wrong).length == 0) return;
        _producerFailure(
            type(uint256).max,
            string.concat("node ", VM.toString(gate.node), " ", wrong, ": fees ", VM.toString(gate.teeFees), ", free bond ", VM.toString(gate.free))
        );
    }

    // ---------------------------------------------------------------- validators

    /// @notice An active validator gives a verdict on a recent record. Actors 0 and 3 are honest
    /// validators (they judge by the facts as they stand); the others (picked two times in three)
    /// also lie, both ways, or call a result invalid for a reason the contract cannot check.
    function attest(uint256 validatorSeed, uint256 recordSeed, uint256 verdictSeed) external {
        uint256 n = _records.length;
        if (n == 0) return;
        uint256 recent = n < 6 ? n : 6;
        uint256 index = recordSeed % 4 == 0 ? (recordSeed >> 8) % n : n - 1 - (recordSeed >> 8) % recent;
        (address validator, bool fresh) = _freshValidator(validatorSeed, _records[index].id, validatorSeed % 3 != 0);
        // No active validator has this record left to judge: three times in four nothing to do (a
        // run whose validators are jailed or drained would otherwise mostly bounce off this check).
        if (!fresh && (verdictSeed >> 8) % 4 != 0) return;
        bool truthBad = _badNow(index);

        uint256 choice = verdictSeed % 10;
        bool checkable = choice != 9;
        bool valid;
        if (isHonestByPolicy(validator)) valid = !truthBad;
        else if (choice < 3) valid = !truthBad;
        else if (choice < 8) valid = truthBad; // a lie
        else valid = true; // vouches without looking

        bytes memory data = checkable
            ? abi.encodeCall(IInferenceSettlement.attest, (_records[index].id, valid))
            : abi.encodeCall(IInferenceSettlement.attestUncheckable, (_records[index].id));
        VM.cool(address(staking));
        (bool ok,) = _call(validator, address(settlement), data, address(0));
        if (!ok) return;
        if (!checkable) valid = false;
        bool dishonest = checkable && valid == truthBad;
        _verdicts.push(Verdict(index, validator, uint64(_now()), valid, checkable, dishonest));
        if (dishonest) {
            vouchedBad[validator] = true;
            verdictsDishonest += 1;
        } else {
            verdictsHonest += 1;
        }
    }

    /// @notice Actors 0 and 3 only ever give the verdict the facts support.
    function isHonestByPolicy(address validator) public view returns (bool) {
        return validator == _actors[0] || validator == _actors[3];
    }

    // ---------------------------------------------------------------- challengers

    /// @notice A challenger (any actor, the validator itself included) disputes a bad verdict
    /// still open, with the ground that holds (GROUND_NONE against a false "invalid"); now and then
    /// with another ground. A refusal with the right ground is an I2 failure.
    function dispute(uint256 challengerSeed, uint256 verdictSeed, uint256 groundSeed) external {
        uint256[] memory open = openVerdicts(true);
        if (open.length == 0) return;
        uint256 index = open[verdictSeed % open.length];
        Verdict memory verdict = _verdicts[index];
        uint8 right = verdict.valid ? _groundNow(verdict.record) : GROUND_NONE;
        uint8 ground = groundSeed % 8 == 0 ? uint8((groundSeed >> 8) % 4) : right;
        address challenger = challengerSeed % 7 == 6 ? verdict.validator : _actor(challengerSeed);
        (bool ok, bytes memory ret) = _disputeMeasured(challenger, index, settledCall(verdict.record), ground);
        if (ground != right) return;
        openBadDisputesTried += 1;
        if (!ok) _i2Failure(index, string.concat("dispute refused: ", _revertName(ret)));
    }

    /// @notice Anyone disputes any attestation (honest, dishonest, uncheckable, already disputed,
    /// out of its window) with any ground, 4 (no such ground) included, sometimes with another
    /// record's data or a settled call with another payer or fee (never settled: it must fail).
    /// Against an honest verdict it must fail (I1).
    function disputeAny(uint256 challengerSeed, uint256 verdictSeed, uint256 groundSeed) external {
        if (_verdicts.length == 0) return;
        uint256 index = verdictSeed % _verdicts.length;
        Verdict memory verdict = _verdicts[index];
        uint8 ground = uint8(groundSeed % 5);
        uint256 variant = (groundSeed >> 8) % 16;
        uint256 dataIndex = variant == 0 ? (groundSeed >> 16) % _records.length : verdict.record;
        address challenger = challengerSeed % 7 == 6 ? verdict.validator : _actor(challengerSeed);
        IInferenceSettlement.SettledCall memory call = settledCall(dataIndex);
        if (variant == 1) call.payer = challenger == call.payer ? _actor(challengerSeed % _actors.length + 1) : challenger;
        if (variant == 2) call.fee += 1;
        (bool ok,) = _disputeMeasured(challenger, index, call, ground);
        if (ok && (variant == 1 || variant == 2)) _i2Failure(index, "dispute accepted with a call that was never settled");
    }

    /// @notice A challenger (any actor; the node itself one time in seven) disputes a record against
    /// the node that settled it. Three times in four a false TEE record still in its window, with
    /// the ground that holds: it must succeed and follow the slash rule (`_producerOutcome`; I6);
    /// otherwise any record with any ground 0-4. Now and then the settled call is altered (another
    /// payer to redirect the refund, another node to blame, another fee): it must fail. A producer
    /// dispute that succeeds against an honest record breaks I7.
    function disputeProducer(uint256 challengerSeed, uint256 recordSeed, uint256 groundSeed) external {
        if (_records.length == 0) return;
        ProducerDispute memory d = _pickProducerDispute(challengerSeed, recordSeed, groundSeed);
        if (d.openFalse > maxOpenFalseRecords) maxOpenFalseRecords = d.openFalse;
        ProducerBefore memory before = _producerBefore(d.index, d.challenger);
        _coolAll();
        (bool ok, bytes memory ret) = _call(
            d.challenger,
            address(settlement),
            abi.encodeCall(IInferenceSettlement.disputeProducer, (_records[d.index].id, d.call, d.ground)),
            address(token)
        );
        if (!ok) {
            if (d.aimed && !d.altered) {
                _producerFailure(d.index, string.concat("producer dispute of a false record refused: ", _revertName(ret)));
            }
            return;
        }
        if (d.altered) _producerFailure(d.index, "producer dispute accepted with a call that was never settled");
        if (!_records[d.index].bad) _honestProducerSlashed(d.index, d.ground);
        string memory why = _producerOutcome(d.index, d.challenger, before, ret);
        if (bytes(why).length > 0) _producerFailure(d.index, why);
        producerSlashes += 1;
        if (abi.decode(ret, (uint256)) == 0) producerSlashesEmpty += 1;
        _records[d.index].producerDisputed = true;
        if (before.disables) {
            enclavesDisabled += 1;
            _enclaveModel[_recordData[d.index].enclaveSigner].deregisteredAt = uint64(_now());
            _registryChanged("disableEnclave (producer dispute)");
        }
    }

    struct ProducerDispute {
        uint256 index; // into _records
        uint8 ground;
        address challenger;
        bool aimed; // a false record in its window, with the ground that holds
        bool altered; // the call passed is not the one settled
        uint256 openFalse; // false records open when it was picked
        IInferenceSettlement.SettledCall call;
    }

    function _pickProducerDispute(uint256 challengerSeed, uint256 recordSeed, uint256 groundSeed)
        internal
        view
        returns (ProducerDispute memory d)
    {
        groundSeed = _mix(groundSeed);
        uint256[] memory open = openRecords(true);
        d.openFalse = open.length;
        d.aimed = groundSeed % 4 != 0 && open.length > 0;
        d.index = d.aimed ? open[recordSeed % open.length] : recordSeed % _records.length;
        d.ground = d.aimed ? _groundNow(d.index) : uint8((groundSeed >> 2) % 5);
        d.call = settledCall(d.index);
        d.challenger = challengerSeed % 7 == 6 ? d.call.node : _actor(challengerSeed);
        uint256 variant = (groundSeed >> 8) % 16;
        if (variant >= 3) return d;
        address other = _actors[(challengerSeed % _actors.length + 1 + (groundSeed >> 12) % 5) % _actors.length];
        if (variant == 0) d.call.payer = other == d.call.payer ? d.challenger : other; // redirect the refund
        if (variant == 1) d.call.node = other == d.call.node ? d.challenger : other; // blame another node
        if (variant == 2) d.call.fee = d.call.fee == 0 ? 1 : d.call.fee - 1;
        d.altered = keccak256(abi.encode(d.call)) != keccak256(abi.encode(settledCall(d.index)));
    }

    /// @notice A delegator of a validator with a bad verdict pending tries to leave before the
    /// dispute lands: it undelegates or redelegates all or part of its stake. The stake that leaves
    /// stays slashable for that infraction (Staking), which is what I4 then measures.
    function flee(uint256 verdictSeed, uint256 actorSeed, uint256 amount, uint256 modeSeed) external {
        uint256[] memory open = openVerdicts(true);
        if (open.length == 0) return;
        address validator = _verdicts[open[verdictSeed % open.length]].validator;
        address actor;
        actorSeed %= _actors.length;
        for (uint256 k = 0; k < _actors.length; ++k) {
            address candidate = _actors[(actorSeed + k) % _actors.length];
            (, uint256 held) = staking.delegationOf(validator, candidate);
            if (held == 0 || candidate == validator) continue;
            if (actor == address(0)) actor = candidate;
            // Preferably stake that came by redelegation: it still owes its source's infractions
            // wherever it goes next (Staking takes that from its unbonding entries too).
            if (modeSeed % 4 != 0 && _redelegatedInto(candidate, validator)) {
                actor = candidate;
                break;
            }
        }
        if (actor == address(0)) return;
        (, uint256 value) = staking.delegationOf(validator, actor);
        amount = (modeSeed >> 2) % 2 == 0 ? value : bound(amount, 1, value); // everything, or a part
        address[] memory validators = staking.validators();
        address dst = validators[(modeSeed >> 3) % validators.length];
        bytes memory data = (modeSeed >> 1) % 2 == 0 || dst == validator
            ? abi.encodeCall(IStaking.undelegate, (validator, amount))
            : abi.encodeCall(IStaking.redelegate, (validator, dst, amount));
        _call(actor, address(staking), data, address(token));
    }

    function _redelegatedInto(address actor, address validator) internal view returns (bool) {
        IStaking.RedelegationEntry[] memory entries = staking.redelegationEntries(actor);
        for (uint256 i = 0; i < entries.length; ++i) {
            if (entries[i].dst == validator) return true;
        }
        return false;
    }

    /// @notice Anyone claims a validator's attestation rewards (preferably one that has some,
    /// among the 16 verdicts from a random start).
    function claimAttestationRewards(uint256 callerSeed, uint256 verdictSeed, uint256 countSeed) external {
        if (_verdicts.length == 0) return;
        uint256 start = verdictSeed % _verdicts.length;
        address validator = _verdicts[start].validator;
        for (uint256 k = 0; k < _verdicts.length && k < 16; ++k) {
            Verdict memory verdict = _verdicts[(start + k) % _verdicts.length];
            uint256 id = _records[verdict.record].id;
            IInferenceSettlement.Attestation memory a = settlement.attestationOf(id, verdict.validator);
            // A verdict keeps the window in force when it was given.
            if (a.rewarded && !a.claimed && _now() > settlement.disputableUntil(id, verdict.validator)) {
                validator = verdict.validator;
                break;
            }
        }
        uint256[] memory ids = new uint256[](bound(countSeed, 1, 8));
        uint256 count;
        for (uint256 k = 0; k < _verdicts.length && count < ids.length; ++k) {
            Verdict memory verdict = _verdicts[(start + k) % _verdicts.length];
            if (verdict.validator == validator) ids[count++] = _records[verdict.record].id;
        }
        assembly ("memory-safe") {
            mstore(ids, count)
        }
        VM.cool(address(staking));
        _call(
            _actor(callerSeed),
            address(settlement),
            abi.encodeCall(IInferenceSettlement.claimAttestationRewards, (validator, ids)),
            address(token)
        );
    }

    /// @notice Anyone sweeps the reward slots nobody took; now and then including a record whose
    /// slots are still open (refused).
    function sweepUnusedRewards(uint256 callerSeed, uint256 startSeed) external {
        uint256 n = _records.length;
        if (n == 0) return;
        uint256[] memory ids = new uint256[](8);
        uint256 count;
        uint256 window = settlement.params().challengeWindow;
        uint256 start = startSeed % n;
        for (uint256 k = 0; k < n && k < 16 && count < 8; ++k) {
            uint256 id = _records[(start + k) % n].id;
            IInferenceSettlement.RecordState memory state = settlement.recordState(id);
            bool closed = _now() > uint256(state.settledAt) + window;
            if ((closed && state.rewardSlotsLeft > 0) || (!closed && startSeed % 8 == 0)) ids[count++] = id;
        }
        assembly ("memory-safe") {
            mstore(ids, count)
        }
        _call(
            _actor(callerSeed),
            address(settlement),
            abi.encodeCall(IInferenceSettlement.sweepUnusedRewards, (ids)),
            address(token)
        );
    }

    /// @notice Anyone collects the slash a redelegation owes its source.
    function applyRedelegationSlash(uint256 ownerSeed, uint256 entrySeed, uint256 callerSeed) external {
        IStaking.RedelegationEntry[] memory entries = staking.redelegationEntries(_actor(ownerSeed));
        uint256 id = entries.length == 0 ? bound(entrySeed, 0, 64) : entries[entrySeed % entries.length].id;
        _call(
            _actor(callerSeed),
            address(staking),
            abi.encodeCall(IStaking.applyRedelegationSlash, (id)),
            address(token)
        );
    }

    /// @notice I5: `Staking.slash` called directly as the slasher (the settlement), in the state
    /// the run reached, measured by the CallRecorder, then undone (`snapshotState` /
    /// `revertToStateAndDelete`), so that only disputes ever slash (I1's ghost stays exact).
    function slashAsSlasher(uint256 validatorSeed, uint256 ageSeed) external {
        address[] memory validators = staking.validators();
        address validator = validators[validatorSeed % validators.length];
        uint256 age = bound(ageSeed, 0, staking.params().unbondingPeriod);
        bytes memory data = abi.encodeCall(
            IStaking.slash,
            (validator, uint64(_now() - age), settlement.params().slashFractionBps, "invariants: slash measured alone")
        );
        uint256 snapshot = VM.snapshotState();
        VM.cool(address(staking));
        VM.cool(address(token));
        VM.prank(address(settlement));
        uint256 before = gasleft();
        (bool ok, bytes memory ret) = address(staking).call(data);
        uint256 used = before - gasleft();
        VM.revertToStateAndDelete(snapshot); // also undoes the handler's own storage: record after
        _record(IStaking.slash.selector, ok, ret, used, data);
    }

    // ---------------------------------------------------------------- node operators

    /// @notice A node's bond: bonds (a quarter to five times the minimum, so it may stay below it),
    /// unbonds all or part of its free bond (one time in eight more: refused), or withdraws (preferably a
    /// node whose unbonding has matured; else refused). I8 checks each unbond's release time and
    /// each withdrawal against the windows of the records the node settled.
    function nodeBond(uint256 actorSeed, uint256 opSeed, uint256 amount) external {
        address actor = _actor(actorSeed);
        opSeed = _mix(opSeed);
        uint256 op = opSeed % 8;
        if (op < 3) {
            uint256 min = bonds.minBond();
            amount = bound(amount, min / 4 + 1, 5 * min);
            if (token.balanceOf(actor) < amount) return;
            (bool bonded,) = _call(actor, address(bonds), abi.encodeCall(INodeBonds.bond, (amount)), address(token));
            if (bonded) bondsMade += 1;
            return;
        }
        if (op < 5) {
            INodeBonds.BondView memory b = bonds.bondOf(actor);
            uint256 free = b.active - b.reserved;
            // all or part of the free bond; one time in eight more than that (refused: BondCommitted)
            if ((opSeed >> 3) % 8 == 0) amount = free + 1 + amount % (b.reserved + 1);
            else amount = free == 0 ? 1 : (opSeed >> 3) % 2 == 0 ? free : bound(amount, 1, free);
            (bool unbonded,) = _call(actor, address(bonds), abi.encodeCall(INodeBonds.unbond, (amount)), address(0));
            if (unbonded) _unbonded(actor);
            return;
        }
        for (uint256 k = 0; k < _actors.length; ++k) {
            address candidate = _actors[(actorSeed % _actors.length + k) % _actors.length];
            INodeBonds.BondView memory b = bonds.bondOf(candidate);
            if (b.unbonding > 0 && _now() >= b.releaseAt) {
                actor = candidate;
                break;
            }
        }
        (bool withdrawn,) = _call(actor, address(bonds), abi.encodeCall(INodeBonds.withdraw, ()), address(token));
        if (withdrawn) _withdrew(actor);
    }

    /// @dev I8 at an unbond: what is now unbonding (all of it: the delay restarts) is released
    /// after the window of every record the node settled so far has closed, so a producer dispute
    /// on the last second of one still finds it.
    function _unbonded(address node) internal {
        unbondsMade += 1;
        uint64 releaseAt = bonds.bondOf(node).releaseAt;
        windowEndAtUnbond[node] = lastWindowEnd[node];
        if (releaseAt > lastWindowEnd[node]) return;
        _bondReleaseViolation(
            string.concat(
                "node ",
                VM.toString(node),
                " unbonded at ",
                VM.toString(_now()),
                ": released at ",
                VM.toString(uint256(releaseAt)),
                ", a record it settled is disputable until ",
                VM.toString(uint256(lastWindowEnd[node]))
            )
        );
    }

    /// @dev I8 at a withdrawal: the windows of the records settled before the node's last unbond
    /// (the ones the withdrawn bond stood behind) are all closed.
    function _withdrew(address node) internal {
        withdrawalsMade += 1;
        if (_now() > windowEndAtUnbond[node]) return;
        _bondReleaseViolation(
            string.concat(
                "node ",
                VM.toString(node),
                " withdrew at ",
                VM.toString(_now()),
                " a bond behind a record disputable until ",
                VM.toString(uint256(windowEndAtUnbond[node]))
            )
        );
    }

    /// @notice An operator registers an enclave key (now and then with a forged proof, or a
    /// retired signer again: refused), or retires one (now and then not its own: refused). A
    /// signer is registered once ever, so retiring is rare: the market must not run out of keys.
    function enclave(uint256 actorSeed, uint256 keySeed, uint256 opSeed) external {
        address operator = _actor(actorSeed);
        bytes32 measurement = opSeed % 2 == 0 ? measurement0 : measurement1;
        uint256 key = keySeed % ENCLAVE_KEYS;
        address signer = VM.addr(_enclaveKeys[key]);
        EnclaveModel memory model = _enclaveModel[signer];
        uint256 op = (opSeed >> 1) % 8;
        if (model.operator == address(0)) return _registerEnclave(operator, key, measurement, op != 1);
        if (model.deregisteredAt != 0 && op == 0) return _registerEnclave(operator, key, measurement, true);
        if (model.deregisteredAt == 0 && op < 2) {
            address caller = op == 1 ? operator : model.operator;
            (bool ok,) =
                _call(caller, address(registry), abi.encodeCall(ITEERegistry.deregisterEnclave, (signer)), address(0));
            if (!ok) return;
            _enclaveModel[signer].deregisteredAt = uint64(_now());
            return _registryChanged("deregisterEnclave");
        }
        // Otherwise register the next key never registered, if any.
        for (uint256 k = 1; k < ENCLAVE_KEYS; ++k) {
            uint256 next = (key + k) % ENCLAVE_KEYS;
            if (_enclaveModel[VM.addr(_enclaveKeys[next])].operator == address(0)) {
                return _registerEnclave(operator, next, measurement, true);
            }
        }
    }

    // ---------------------------------------------------------------- governance (the timelock)

    /// @notice The timelock, without a proposal (vm.prank): toggles a measurement's approval or the
    /// DEV vendor, or changes the slashing parameters within their documented domain: a challenge
    /// window shorter than the unbonding period (params.py: "so slashes still land"), a nonzero
    /// slash fraction, fees that leave the node something; or NodeBonds' parameters (the unbonding
    /// delay drawn from half the window up: NodeBonds refuses one that a record's window outlasts).
    function governance(uint256 kindSeed, uint256 a, uint256 b, uint256 c) external {
        // A revocation or a disabled vendor makes every record bad until it is undone: seven
        // times in eight, undo it first, so the market spends most of its time trusting something.
        bool repair = kindSeed % 8 != 0;
        if (repair && !_isOpen(_measurementModel[measurement0])) return _toggleMeasurement(measurement0);
        if (repair && !_isOpen(_vendorModel)) return _toggleVendor();
        uint256 kind = (kindSeed >> 3) % 8;
        if (kind == 0) _toggleMeasurement(measurement0);
        else if (kind == 1) _toggleMeasurement(measurement1);
        else if (kind == 2) _toggleVendor();
        else if (kind < 6) _setSettlementParams(a, b, c);
        else if (kind == 6) _setUnbondingPeriod(a);
        else _setBondParams(a, b);
    }

    // ---------------------------------------------------------------- publishers

    /// @notice A publisher publishes a model, reprices or deprecates one (its own, or not), or
    /// withdraws its earnings.
    function publisher(uint256 actorSeed, uint256 opSeed, uint256 price) external {
        address actor = _actor(actorSeed);
        uint256 op = opSeed % 8;
        price = bound(price, 0, 10e18);
        if (op < 2) {
            uint8[4] memory modes = [uint8(3), 2, 7, 1];
            _publish(actor, price, modes[(opSeed >> 8) % 4]);
            return;
        }
        if (op == 7) {
            _call(actor, address(hub), abi.encodeCall(IModelHub.withdraw, ()), address(token));
            return;
        }
        uint256 modelId = _modelOf(actor, opSeed >> 8);
        if (op == 6 && _models.length > 1) {
            _call(actor, address(hub), abi.encodeCall(IModelHub.deprecate, (modelId)), address(0));
            return;
        }
        _call(actor, address(hub), abi.encodeCall(IModelHub.setPrice, (modelId, price)), address(0));
    }

    // ---------------------------------------------------------------- time

    /// @notice Short steps (StakingHandler.warp takes up to 20 days): half of them within two
    /// minutes, so records, verdicts and registry changes often share a second or a minute (the
    /// boundaries of "active at the record's time" and of MAX_RECORD_AGE).
    function advanceTime(uint256 seconds_) external {
        stakingHandler.warp(seconds_ % 2 == 0 ? bound(seconds_ >> 1, 1, 120) : bound(seconds_ >> 1, 1, 1 days));
    }

    // ================================================================ probes for the invariants

    /// @notice Tries to dispute dishonest verdict `index` as the invariant's challenger, with
    /// every ground that could apply, and checks the outcome against the slash rule. Called by
    /// I2 between `snapshotState` and `revertToStateAndDelete`: it changes the state.
    function probeBadVerdict(uint256 index) external returns (bool slashable, string memory why) {
        Verdict memory verdict = _verdicts[index];
        SlashBefore memory before = _slashBefore(verdict.validator);
        bytes memory lastRevert;
        for (uint8 g = verdict.valid ? 1 : 0; g <= (verdict.valid ? 3 : 0); ++g) {
            VM.prank(_actors[5]);
            (bool ok, bytes memory ret) = address(settlement).call(
                abi.encodeCall(
                    IInferenceSettlement.dispute,
                    (_records[verdict.record].id, settledCall(verdict.record), verdict.validator, g)
                )
            );
            if (ok) {
                (slashable, why,) = _slashOutcome(verdict, before);
                return (slashable, why);
            }
            lastRevert = ret;
        }
        return (false, string.concat("dispute refused: ", _revertName(lastRevert)));
    }

    /// @notice Tries to dispute honest verdict `index` with every ground the contract could accept
    /// against it (1-3 against "valid", GROUND_NONE against "invalid"; disputeAny tries the rest),
    /// as the validator itself and as another actor; returns the first that succeeded. I1 calls
    /// it: none may (a refused dispute changes nothing).
    function probeHonestVerdict(uint256 index) external returns (bool disputed, uint8 ground) {
        Verdict memory verdict = _verdicts[index];
        for (uint8 g = verdict.valid ? 1 : 0; g <= (verdict.valid ? 3 : 0); ++g) {
            VM.prank(g % 2 == 0 ? verdict.validator : _actors[5]);
            (bool ok,) = address(settlement).call(
                abi.encodeCall(
                    IInferenceSettlement.dispute,
                    (_records[verdict.record].id, settledCall(verdict.record), verdict.validator, g)
                )
            );
            if (ok) return (true, g);
        }
        return (false, 0);
    }

    /// @notice Disputes false record `index` against its node, with the ground that holds, as
    /// one of the actors (the node and the payer included, by index), and checks the outcome
    /// against the slash rule (`_producerOutcome`). Called by I6 between `snapshotState` and
    /// `revertToStateAndDelete`: it changes the state.
    function probeFalseRecord(uint256 index) external returns (bool slashable, string memory why) {
        address challenger = _actors[index % _actors.length];
        ProducerBefore memory before = _producerBefore(index, challenger);
        VM.prank(challenger);
        (bool ok, bytes memory ret) = address(settlement).call(
            abi.encodeCall(IInferenceSettlement.disputeProducer, (_records[index].id, settledCall(index), _groundNow(index)))
        );
        if (!ok) return (false, string.concat("producer dispute refused: ", _revertName(ret)));
        why = _producerOutcome(index, challenger, before, ret);
        return (bytes(why).length == 0, why);
    }

    /// @notice Disputes honest record `index` against its node with every ground (1-3; GROUND_NONE
    /// and 4 are refused before any check), as its node and as another actor; returns the first
    /// that succeeded. I7 calls it: none may (a refused dispute changes nothing).
    function probeHonestRecord(uint256 index) external returns (bool disputed, uint8 ground) {
        IInferenceSettlement.SettledCall memory call = settledCall(index);
        for (uint8 g = 1; g <= 3; ++g) {
            VM.prank(g % 2 == 0 ? call.node : _actors[5]);
            (bool ok,) = address(settlement).call(
                abi.encodeCall(IInferenceSettlement.disputeProducer, (_records[index].id, call, g))
            );
            if (ok) return (true, g);
        }
        return (false, 0);
    }

    // ================================================================ reads for the invariants

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function recordCount() external view returns (uint256) {
        return _records.length;
    }

    function verdictCount() external view returns (uint256) {
        return _verdicts.length;
    }

    /// @notice Record `index` as settled (what a challenger passes to `dispute`).
    function recordData(uint256 index) external view returns (IInferenceSettlement.Record memory) {
        return _recordData[index];
    }

    /// @notice Record `index` with its payer, node and fee: what the disputes pass back.
    function settledCall(uint256 index) public view returns (IInferenceSettlement.SettledCall memory call) {
        RecordGhost storage g = _records[index];
        call = IInferenceSettlement.SettledCall(_recordData[index], g.payer, g.node, g.fee);
    }

    /// @dev The EIP-712 digest an enclave signs for `r` (InferenceResult under the settlement's
    /// "OGInference" v1 domain), written out here as the protocol states it.
    function _resultDigest(IInferenceSettlement.Record memory r) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("OGInference"),
                keccak256("1"),
                block.chainid,
                address(settlement)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "InferenceResult(uint256 modelId,bytes32 inputHash,bytes32 outputHash,bytes32 requestId,uint64 timestamp,uint8 mode)"
                ),
                r.modelId,
                r.inputHash,
                r.outputHash,
                r.requestId,
                r.timestamp,
                r.mode
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }

    function recordAt(uint256 index) external view returns (RecordGhost memory) {
        return _records[index];
    }

    /// @notice What `node`'s bond must hold reserved, by the handler's books: the fee of every TEE
    /// record it settled that was not producer-disputed (the dispute refunds it), until the first
    /// whole day after the record's window closed (NodeBonds releases reservations by expiry day).
    function modelReserved(address node) external view returns (uint256 reserved) {
        uint256 today = _now() / DAY;
        for (uint256 i = 0; i < _records.length; ++i) {
            RecordGhost storage g = _records[i];
            if (g.tee && g.node == node && !g.producerDisputed && today <= g.windowEnd / DAY) reserved += g.fee;
        }
    }

    /// @notice TEE records whose producer dispute window (the handler's model) is open and whose
    /// producer was not disputed: the false ones (`bad`) or the honest ones.
    function openRecords(bool bad) public view returns (uint256[] memory list) {
        list = new uint256[](_records.length);
        uint256 count;
        uint256 now_ = _now();
        for (uint256 i = 0; i < _records.length; ++i) {
            RecordGhost storage g = _records[i];
            if (!g.tee || g.bad != bad || g.producerDisputed || now_ > g.windowEnd) continue;
            list[count++] = i;
        }
        assembly ("memory-safe") {
            mstore(list, count)
        }
    }

    function verdictAt(uint256 index) external view returns (Verdict memory) {
        return _verdicts[index];
    }

    /// @notice Checkable verdicts still inside their challenge window and not disputed, the
    /// dishonest ones (`dishonest`) or the honest ones.
    function openVerdicts(bool dishonest) public view returns (uint256[] memory list) {
        list = new uint256[](_verdicts.length);
        uint256 count;
        for (uint256 i = 0; i < _verdicts.length; ++i) {
            Verdict storage v = _verdicts[i];
            if (!v.checkable || v.dishonest != dishonest) continue;
            // A verdict keeps the window in force when it was given.
            if (_now() > settlement.disputableUntil(_records[v.record].id, v.validator)) continue;
            if (settlement.attestationOf(_records[v.record].id, v.validator).disputed) continue;
            list[count++] = i;
        }
        assembly ("memory-safe") {
            mstore(list, count)
        }
    }

    /// @notice What InferenceSettlement owes: for every record, its reward slots not yet taken
    /// plus the rewarded verdicts neither claimed nor forfeited, at the record's reward per verdict.
    function settlementOwed() external view returns (uint256 owed) {
        for (uint256 i = 0; i < _records.length; ++i) {
            IInferenceSettlement.RecordState memory state = settlement.recordState(_records[i].id);
            owed += uint256(state.rewardSlotsLeft) * state.rewardPerAttester;
        }
        for (uint256 i = 0; i < _verdicts.length; ++i) {
            uint256 id = _records[_verdicts[i].record].id;
            IInferenceSettlement.Attestation memory a = settlement.attestationOf(id, _verdicts[i].validator);
            if (a.rewarded && !a.claimed) owed += settlement.recordState(id).rewardPerAttester;
        }
    }

    // ================================================================ internals: disputes and the slash rule

    struct SlashBefore {
        uint256 historyLength;
        uint64 lastExecutedAt;
        uint256 tokens;
        uint16 fractionBps;
    }

    function _slashBefore(address validator) internal view returns (SlashBefore memory s) {
        IStaking.SlashEvent[] memory history = staking.slashHistory(validator);
        s.historyLength = history.length;
        if (history.length > 0) s.lastExecutedAt = history[history.length - 1].executedAt;
        s.tokens = staking.getValidator(validator).tokens;
        s.fractionBps = settlement.params().slashFractionBps;
    }

    /// @dev The slash rule a won dispute of a verdict given at `attestedAt` must follow (I2's
    /// "slashable"), one of:
    /// - slashed: a new slash event (infraction `attestedAt`, executed now, the settlement's
    ///   current slash fraction), the bonded pool cut by exactly tokens * fraction / 10000, and the
    ///   validator jailed;
    /// - covered: no new slash, because a slash of the validator was executed at or after
    ///   `attestedAt` (Staking's "one slash per infraction window": that slash already took the
    ///   fraction of the bonded stake for every infraction committed before it; `SlashCovered`),
    ///   and that covering slash (the first executed at or after `attestedAt`) now reaches back to
    ///   `attestedAt`: its infraction time is min(its own, attestedAt), so the unbonding and
    ///   redelegation entries made since this infraction pay it too.
    /// Anything else (no slash although none executed since the infraction, a slash of another
    /// size, no widening) breaks the guarantee. Returns the fraction the outcome may take from
    /// the exposure (I4): the new slash's, or the covering slash's.
    function _slashOutcome(Verdict memory verdict, SlashBefore memory before)
        internal
        view
        returns (bool, string memory, uint16)
    {
        address v = verdict.validator;
        IStaking.SlashEvent[] memory history = staking.slashHistory(v);
        if (history.length == before.historyLength + 1) {
            IStaking.SlashEvent memory last = history[history.length - 1];
            if (last.infractionTime != verdict.attestedAt) return (false, "slash dated at another infraction", 0);
            if (last.executedAt != _now()) return (false, "slash not executed now", 0);
            if (last.fractionBps != before.fractionBps) return (false, "slash of another fraction", 0);
            uint256 expected = before.tokens - before.tokens * before.fractionBps / BPS;
            if (staking.getValidator(v).tokens != expected) return (false, "bonded pool not cut by the fraction", 0);
            if (!staking.getValidator(v).jailed) return (false, "slashed validator not jailed", 0);
            return (true, "slashed", last.fractionBps);
        }
        if (history.length == before.historyLength && before.lastExecutedAt >= verdict.attestedAt && history.length > 0) {
            uint256 i = 0;
            while (history[i].executedAt < verdict.attestedAt) ++i;
            if (history[i].infractionTime > verdict.attestedAt) return (false, "covering slash not widened to the infraction", 0);
            if (staking.getValidator(v).tokens != before.tokens) return (false, "covered evidence cut the bonded pool", 0);
            return (true, "covered", history[i].fractionBps);
        }
        return (
            false,
            string.concat(
                "won dispute without the slash rule: history ",
                VM.toString(before.historyLength),
                " -> ",
                VM.toString(history.length)
            ),
            0
        );
    }

    struct Stake {
        uint256 total; // every position and unbonding entry, as withdrawable (lazy cuts deducted)
        uint256 exposure; // what a slash of the validator for this infraction may reach
        uint256 entries; // positions and entries in `exposure` (1 wei of rounding each)
    }

    /// @dev One dispute through `_call`, with I2's slash rule checked on success and I4 measured
    /// around it: each actor's stake before and after, redelegation slashes collected (real
    /// `applyRedelegationSlash` calls) so that a lazily collected cut counts against the
    /// infraction that caused it.
    function _disputeMeasured(address challenger, uint256 index, IInferenceSettlement.SettledCall memory call, uint8 ground)
        internal
        returns (bool ok, bytes memory ret)
    {
        Verdict memory verdict = _verdicts[index];
        // Nothing is owed before: slashes only come from disputes, and every dispute is followed
        // by the collection below (the probes' disputes and slashAsSlasher's slash are undone).
        // The dispute is the action's first call, so it is measured cold (see CallRecorder._call).
        Stake[] memory before = _stakes(verdict.validator, verdict.attestedAt);
        SlashBefore memory slashBefore = _slashBefore(verdict.validator);

        _coolAll();
        (ok, ret) = _call(
            challenger,
            address(settlement),
            abi.encodeCall(IInferenceSettlement.dispute, (_records[verdict.record].id, call, verdict.validator, ground)),
            address(token)
        );
        uint16 applied; // the fraction this dispute may take (0: refused, nothing)
        if (ok) {
            (bool ruled, string memory how, uint16 fraction) = _slashOutcome(verdict, slashBefore);
            // With the rule broken, bound the losses by the largest fraction that was in force.
            applied = ruled ? fraction : _maxFraction(verdict.validator, slashBefore.fractionBps);
            if (!ruled) _i2Failure(index, how);
            else if (keccak256(bytes(how)) == keccak256("slashed")) disputesSlashed += 1;
            else disputesCovered += 1;
            if (!verdict.dishonest) _honestDisputed(index, ground);
        }
        _collectRedelegationSlashes(challenger);
        _checkLosses(verdict, before, applied);
    }

    function _maxFraction(address validator, uint16 current) internal view returns (uint16 max) {
        max = current;
        IStaking.SlashEvent[] memory history = staking.slashHistory(validator);
        for (uint256 i = 0; i < history.length; ++i) {
            if (history[i].fractionBps > max) max = history[i].fractionBps;
        }
    }

    /// @dev Each actor's stake, and its exposure to `validator` for an infraction at `infraction`:
    /// its bonded value there, its unbonding entries from it and its redelegations out of it made
    /// at or after the infraction and still immature (what Staking says a slash reaches).
    function _stakes(address validator, uint64 infraction) internal view returns (Stake[] memory stakes) {
        address[] memory validators = staking.validators();
        stakes = new Stake[](_actors.length);
        uint256 now_ = _now();
        for (uint256 a = 0; a < _actors.length; ++a) {
            address actor = _actors[a];
            Stake memory s = stakes[a];
            for (uint256 i = 0; i < validators.length; ++i) {
                (, uint256 value) = staking.delegationOf(validators[i], actor);
                s.total += value;
                if (validators[i] == validator) {
                    s.exposure += value;
                    s.entries += 1;
                }
            }
            IStaking.UnbondingEntry[] memory unbonding = staking.unbondingEntries(actor);
            for (uint256 i = 0; i < unbonding.length; ++i) {
                IStaking.UnbondingEntry memory e = unbonding[i];
                s.total += e.balance;
                if (e.validator == validator && e.creationTime >= infraction && e.completionTime > now_) {
                    s.exposure += e.balance;
                    s.entries += 1;
                }
            }
            IStaking.RedelegationEntry[] memory moved = staking.redelegationEntries(actor);
            for (uint256 i = 0; i < moved.length; ++i) {
                if (moved[i].src == validator && moved[i].creationTime >= infraction) {
                    s.exposure += moved[i].initialBalance;
                    s.entries += 1;
                }
            }
        }
    }

    /// @dev I4: no actor lost more than ceil(exposure * fraction / 10000) + 1 wei per entry, where
    /// the fraction is the one the dispute's outcome applies (the new slash's, or for covered
    /// evidence the covering slash's: the settlement's parameter when that slash executed); with
    /// the dispute refused (`fractionBps` 0) nobody lost anything.
    function _checkLosses(Verdict memory verdict, Stake[] memory before, uint16 fractionBps) internal {
        Stake[] memory after_ = _stakes(verdict.validator, verdict.attestedAt);
        for (uint256 a = 0; a < _actors.length; ++a) {
            if (after_[a].total >= before[a].total) continue;
            uint256 loss = before[a].total - after_[a].total;
            lossesMeasured += 1;
            if (before[a].entries > 1) lossesThroughEntries += 1;
            uint256 allowed = fractionBps == 0
                ? 0
                : (before[a].exposure * fractionBps + BPS - 1) / BPS + before[a].entries;
            if (loss <= allowed) continue;
            i4Violations += 1;
            if (loss - allowed > worstI4Excess) worstI4Excess = loss - allowed;
            if (bytes(firstI4Violation).length == 0) {
                firstI4Violation = string.concat(
                    "delegator ",
                    VM.toString(_actors[a]),
                    " of validator ",
                    VM.toString(verdict.validator),
                    " lost ",
                    VM.toString(loss),
                    " (allowed ",
                    VM.toString(allowed),
                    ": exposure ",
                    VM.toString(before[a].exposure),
                    " x ",
                    VM.toString(uint256(fractionBps)),
                    " bps + ",
                    VM.toString(before[a].entries),
                    " entries)"
                );
            }
        }
    }

    /// @dev Collects, with real calls by `caller`, every slash the actors' redelegations owe
    /// (after the dispute in the same action: `_callAgain`, never cooling what it changed).
    function _collectRedelegationSlashes(address caller) internal {
        for (uint256 a = 0; a < _actors.length; ++a) {
            IStaking.RedelegationEntry[] memory entries = staking.redelegationEntries(_actors[a]);
            for (uint256 i = 0; i < entries.length; ++i) {
                _callAgain(caller, address(staking), abi.encodeCall(IStaking.applyRedelegationSlash, (entries[i].id)));
            }
        }
    }

    function _i2Failure(uint256 index, string memory how) internal {
        i2Failures += 1;
        if (bytes(firstI2Failure).length == 0) firstI2Failure = string.concat(_describe(index), ": ", how);
    }

    function _honestDisputed(uint256 index, uint8 ground) internal {
        honestVerdictsDisputed += 1;
        if (bytes(firstHonestDispute).length == 0) {
            firstHonestDispute = string.concat(_describe(index), " disputed with ground ", VM.toString(uint256(ground)));
        }
    }

    function _describe(uint256 index) internal view returns (string memory) {
        Verdict memory v = _verdicts[index];
        RecordGhost memory r = _records[v.record];
        return string.concat(
            "verdict ",
            v.valid ? "valid" : "invalid",
            " by ",
            VM.toString(v.validator),
            " at ",
            VM.toString(uint256(v.attestedAt)),
            " on record ",
            VM.toString(r.id),
            r.bad ? " (a ground held at settlement)" : " (no ground held at settlement)"
        );
    }

    // ================================================================ internals: the producer's slash

    /// @dev What a producer dispute of record `index` by `challenger` must change, read before it.
    struct ProducerBefore {
        INodeBonds.BondView bond;
        uint16 fractionBps; // NodeBonds'
        uint16 challengerRewardBps; // InferenceSettlement's
        address treasury;
        uint256 payerBalance;
        uint256 challengerBalance;
        uint256 nodeBalance;
        uint256 treasuryBalance;
        uint256 bondsBalance;
        uint256 settlementBalance;
        bool disables; // the node registered the record's signer, not yet retired (the model)
    }

    function _producerBefore(uint256 index, address challenger) internal view returns (ProducerBefore memory b) {
        RecordGhost storage g = _records[index];
        b.bond = bonds.bondOf(g.node);
        b.fractionBps = bonds.params().slashFractionBps;
        b.challengerRewardBps = settlement.params().challengerRewardBps;
        b.treasury = settlement.treasury();
        b.payerBalance = token.balanceOf(g.payer);
        b.challengerBalance = token.balanceOf(challenger);
        b.nodeBalance = token.balanceOf(g.node);
        b.treasuryBalance = token.balanceOf(b.treasury);
        b.bondsBalance = token.balanceOf(address(bonds));
        b.settlementBalance = token.balanceOf(address(settlement));
        EnclaveModel storage e = _enclaveModel[_recordData[index].enclaveSigner];
        b.disables = e.operator == g.node && e.deregisteredAt == 0;
    }

    /// @dev The rule a producer dispute that succeeded must follow ("" when it did). The payer is
    /// refunded the fee in full, from the record's own reservation (reserved since it settled,
    /// whatever the node's other records or its own payments did); the penalty on top is
    /// (active - fee + unbonding) * fraction / 10000, at most what is not reserved for other
    /// records (free active bond, then unbonding), taken in that order; so the bond drops by
    /// exactly slashed = fee + penalty, its reservations by the fee, its release time unchanged.
    /// The challenger gets penalty * challengerRewardBps / 10000, the treasury the rest, the node
    /// nothing (unless it is the payer or the challenger); NodeBonds' balance drops by `slashed`,
    /// the settlement's does not move; the record is marked producer-disputed; and the enclave
    /// that signed it is disabled from the next second exactly when its operator is the node (a
    /// record can name anyone's signer).
    function _producerOutcome(uint256 index, address challenger, ProducerBefore memory b, bytes memory ret)
        internal
        view
        returns (string memory)
    {
        RecordGhost memory g = _records[index];
        if (b.bond.reserved < g.fee) return "the record's fee was not reserved in the bond";
        uint256 free = b.bond.active - b.bond.reserved;
        uint256 penalty = (b.bond.active - g.fee + b.bond.unbonding) * b.fractionBps / BPS;
        if (penalty > free + b.bond.unbonding) penalty = free + b.bond.unbonding;
        (uint256 slashed, uint256 paid) = (abi.decode(ret, (uint256)), 0);
        if (slashed != g.fee + penalty) {
            return string.concat("slashed ", VM.toString(slashed), ", the rule says ", VM.toString(g.fee + penalty));
        }
        INodeBonds.BondView memory a = bonds.bondOf(g.node);
        paid = penalty < free ? penalty : free; // from the free active bond
        if (a.active != b.bond.active - g.fee - paid || a.unbonding != b.bond.unbonding - (penalty - paid)) {
            return "bond not cut by the refund and the penalty (free active bond first)";
        }
        if (a.reserved != b.bond.reserved - g.fee) return "reservations not cut by exactly the record's fee";
        if (a.releaseAt != b.bond.releaseAt) return "the slash moved the bond's release time";
        string memory why = _producerPayouts(g, challenger, b, penalty);
        if (bytes(why).length > 0) return why;
        if (!settlement.recordState(g.id).producerDisputed) return "record not marked producer-disputed";
        return _producerEnclave(_recordData[index].enclaveSigner, b.disables);
    }

    /// @dev The payer, challenger, treasury and node balances after a producer dispute refunded
    /// the fee and took `penalty`.
    function _producerPayouts(RecordGhost memory g, address challenger, ProducerBefore memory b, uint256 penalty)
        internal
        view
        returns (string memory)
    {
        uint256 reward = penalty * b.challengerRewardBps / BPS;
        if (token.balanceOf(g.payer) != b.payerBalance + g.fee + (challenger == g.payer ? reward : 0)) {
            return string.concat("payer not refunded its fee in full: ", VM.toString(g.fee));
        }
        if (challenger != g.payer && token.balanceOf(challenger) != b.challengerBalance + reward) {
            return "challenger not paid its share of the penalty";
        }
        if (g.node != g.payer && g.node != challenger && token.balanceOf(g.node) != b.nodeBalance) {
            return "the node's own balance moved";
        }
        if (token.balanceOf(b.treasury) != b.treasuryBalance + (penalty - reward)) {
            return "treasury not paid the rest of the penalty";
        }
        if (token.balanceOf(address(bonds)) + g.fee + penalty != b.bondsBalance) return "NodeBonds' balance not cut by the slash";
        if (token.balanceOf(address(settlement)) != b.settlementBalance) return "the settlement kept part of the slash";
        return "";
    }

    /// @dev The record's enclave is disabled from the next second on exactly when the node
    /// registered it (and had not retired it); its present second is unchanged.
    function _producerEnclave(address signer, bool disables) internal view returns (string memory) {
        uint64 now_ = uint64(_now());
        if (registry.isActive(signer, now_ + 1) != (disables ? false : _modelActive(signer, now_ + 1))) {
            return disables ? "the node's enclave not disabled" : "an enclave disabled that is not the node's";
        }
        if (registry.isActive(signer, now_) != _modelActive(signer, now_)) {
            return "the producer dispute changed whether the enclave is active in the present second";
        }
        return "";
    }

    function _producerFailure(uint256 index, string memory how) internal {
        producerFailures += 1;
        if (bytes(firstProducerFailure).length > 0) return;
        firstProducerFailure = index == type(uint256).max ? how : string.concat(_describeRecord(index), ": ", how);
    }

    function _honestProducerSlashed(uint256 index, uint8 ground) internal {
        honestProducersSlashed += 1;
        if (bytes(firstHonestProducerSlash).length == 0) {
            firstHonestProducerSlash = string.concat(_describeRecord(index), " slashed with ground ", VM.toString(uint256(ground)));
        }
    }

    function _bondReleaseViolation(string memory how) internal {
        bondReleaseViolations += 1;
        if (bytes(firstBondReleaseViolation).length == 0) firstBondReleaseViolation = how;
    }

    function _describeRecord(uint256 index) internal view returns (string memory) {
        RecordGhost storage g = _records[index];
        return string.concat(
            "record ",
            VM.toString(g.id),
            g.tee ? (g.bad ? " (TEE, false)" : " (TEE, honest)") : " (vanilla)",
            " settled by node ",
            VM.toString(g.node),
            " for payer ",
            VM.toString(g.payer),
            ", fee ",
            VM.toString(g.fee),
            ", window until ",
            VM.toString(uint256(g.windowEnd))
        );
    }

    // ================================================================ internals: ground truth

    /// @dev Whether a ground holds for record `i` by the model, now (an honest validator's view).
    function _badNow(uint256 i) internal view returns (bool) {
        RecordGhost memory g = _records[i];
        IInferenceSettlement.Record memory r = _recordData[i];
        return g.tee && (g.badSignature || !_modelActive(r.enclaveSigner, r.timestamp));
    }

    /// @dev The ground a challenger names against a "valid" verdict on record `i`.
    function _groundNow(uint256 i) internal view returns (uint8) {
        if (_records[i].badSignature) return GROUND_BAD_SIGNATURE;
        if (_enclaveModel[_recordData[i].enclaveSigner].operator == address(0)) return GROUND_UNKNOWN_SIGNER;
        return GROUND_NOT_APPROVED;
    }

    /// @dev TEERegistry.isActive's rule: every change applies to records dated after the second it
    /// was made in. So: registered before `time`, not retired before it, and `time` inside one of
    /// the vendor's and one of the measurement's intervals (from, until].
    function _modelActive(address signer, uint64 time) internal view returns (bool) {
        EnclaveModel storage e = _enclaveModel[signer];
        if (e.operator == address(0) || time <= e.registeredAt) return false;
        if (e.deregisteredAt != 0 && time > e.deregisteredAt) return false;
        return _covers(_vendorModel, time) && _covers(_measurementModel[e.measurement], time);
    }

    /// @dev Any interval, oldest first (the contract searches newest first: the same answer).
    function _covers(Interval[] storage intervals, uint64 time) internal view returns (bool) {
        for (uint256 i = 0; i < intervals.length; ++i) {
            if (time > intervals[i].from && (intervals[i].until == 0 || time <= intervals[i].until)) return true;
        }
        return false;
    }

    function _recordSettled(
        IInferenceSettlement.Record memory record,
        uint256 kind,
        uint256 id,
        address payer,
        address node,
        uint256 fee
    ) internal {
        RecordGhost memory g;
        g.id = id;
        g.tee = record.mode == MODE_TEE;
        g.badSignature = kind >= 4 && kind <= 7;
        g.signerInactive = !_modelActive(record.enclaveSigner, record.timestamp);
        g.bad = g.tee && (g.badSignature || g.signerInactive);
        g.payer = payer;
        g.node = node;
        g.fee = fee;
        g.windowEnd = uint64(_now()) + _windowFor(uint64(_now()));
        _records.push(g);
        _recordData.push(record);
        if (g.bad) recordsBad += 1;
        else recordsGood += 1;
        if (g.tee && g.windowEnd > lastWindowEnd[node]) lastWindowEnd[node] = g.windowEnd;
        uint256 i = _records.length - 1;
        _crossCheck(i, "at settlement", false);
        if (settlement.recordDisputableUntil(id) != g.windowEnd) {
            _producerFailure(i, string.concat("recordDisputableUntil ", VM.toString(uint256(settlement.recordDisputableUntil(id))), " != the window model's ", VM.toString(uint256(g.windowEnd))));
        }
        IInferenceSettlement.SettledCall memory call = settledCall(i);
        if (keccak256(abi.encode(call.record, call.payer, call.node, call.fee)) != settlement.recordState(id).recordHash) {
            _producerFailure(i, "stored hash is not keccak256(abi.encode(record, payer, node, fee))");
        }
    }

    /// @dev The window records settled at `time` get (the handler's model of the rule).
    function _windowFor(uint64 time) internal view returns (uint64) {
        for (uint256 i = _windowModel.length; i > 1; --i) {
            if (_windowModel[i - 1].since <= time) return _windowModel[i - 1].window;
        }
        return _windowModel[0].window;
    }

    /// @dev A new challenge window applies to records settled from the next second on.
    function _windowChanged(uint64 window) internal {
        uint64 since = uint64(_now()) + 1;
        uint256 n = _windowModel.length;
        if (_windowModel[n - 1].since == since) _windowModel[n - 1].window = window;
        else _windowModel.push(WindowChange(since, window));
    }

    /// @dev checkGround must agree with the frozen ground truth: GROUND_NONE with "no ground held";
    /// for TEE records BAD_SIGNATURE with the signature, UNKNOWN_SIGNER or NOT_APPROVED with
    /// "inactive at the record's time", and UNKNOWN_SIGNER with "never registered" (the one ground
    /// about the present: a later registration moves an inactive record from UNKNOWN_SIGNER to
    /// NOT_APPROVED, which keeps it disputable). After a registry change (`registryOnly`) only what
    /// the registry decides is asked again: the signature's ground cannot change, and with it
    /// holding (or for a vanilla record) GROUND_NONE cannot either.
    function _crossCheck(uint256 i, string memory when, bool registryOnly) internal {
        RecordGhost memory g = _records[i];
        if (registryOnly && (!g.tee || g.badSignature)) return;
        IInferenceSettlement.Record memory r = _recordData[i];
        string memory wrong;
        if (!registryOnly && settlement.checkGround(r, GROUND_NONE) == g.bad) wrong = "GROUND_NONE";
        if (g.tee) {
            bool unknown = settlement.checkGround(r, GROUND_UNKNOWN_SIGNER);
            bool notApproved = settlement.checkGround(r, GROUND_NOT_APPROVED);
            if (!registryOnly && settlement.checkGround(r, GROUND_BAD_SIGNATURE) != g.badSignature) wrong = "BAD_SIGNATURE";
            if ((unknown || notApproved) != g.signerInactive) wrong = "UNKNOWN_SIGNER or NOT_APPROVED";
            if (unknown != (_enclaveModel[r.enclaveSigner].operator == address(0))) wrong = "UNKNOWN_SIGNER";
        }
        if (bytes(wrong).length == 0) return;
        groundTruthMismatches += 1;
        if (bytes(firstMismatch).length == 0) {
            firstMismatch = string.concat(
                "record ",
                VM.toString(g.id),
                " (signer ",
                VM.toString(r.enclaveSigner),
                ", dated ",
                VM.toString(uint256(r.timestamp)),
                g.bad ? ", a ground held" : ", no ground held",
                " when settled): checkGround(",
                wrong,
                ") changed ",
                when,
                " at ",
                VM.toString(_now())
            );
        }
    }

    /// @dev After every successful registry change: every settled record, checked again.
    function _registryChanged(string memory what) internal {
        registryChanges += 1;
        for (uint256 i = 0; i < _records.length; ++i) {
            _crossCheck(i, string.concat("after ", what), true);
        }
    }

    // ================================================================ internals: making things

    /// @dev A draft (request id 0): made to see its signer, which the node is picked from, and
    /// made again under the request id of its payment (_payAndSign).
    function _draftRecord(uint256 modelId, uint8 mode, uint256 kind, uint256 seed, uint64 time)
        internal
        returns (IInferenceSettlement.Record memory)
    {
        return _makeRecord(modelId, mode, kind, seed, time, bytes32(0));
    }

    function _makeRecord(uint256 modelId, uint8 mode, uint256 kind, uint256 seed, uint64 time, bytes32 requestId)
        internal
        returns (IInferenceSettlement.Record memory r)
    {
        r.modelId = modelId;
        r.requestId = requestId;
        r.timestamp = time;
        r.mode = mode;
        _sign(r, kind, seed);
    }

    /// @dev Fills in `r`'s hashes, signer and signature (its model, mode, time and request id set).
    function _sign(IInferenceSettlement.Record memory r, uint256 kind, uint256 seed) internal {
        _nonce += 1;
        r.inputHash = keccak256(abi.encode("input", _nonce));
        r.outputHash = keccak256(abi.encode("output", _nonce));
        uint256 key = kind == 8
            ? uint256(keccak256(abi.encode("stranger", _nonce))) % (SECP256K1_N - 1) + 1 // never registered
            : _enclaveKey(seed, r.timestamp);
        r.enclaveSigner = VM.addr(key);
        if (kind == 4) key = key % (SECP256K1_N - 1) + 1; // signed by another key (key + 1)
        bytes32 digest = _resultDigest(r);
        (uint8 v, bytes32 rr, bytes32 s) = VM.sign(key, digest);
        r.signature = abi.encodePacked(rr, s, v);
        if (kind == 5) r.outputHash = keccak256(abi.encode("tampered", _nonce)); // reports another output
        if (kind == 6) {
            // The same signature, malleated: s -> n - s with v flipped recovers the same key, but
            // the contract (OpenZeppelin ECDSA) accepts low s only.
            r.signature = abi.encodePacked(rr, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        }
        if (kind == 7) {
            r.signature = seed % 2 == 0 ? abi.encodePacked(rr, s, v, uint8(0)) : abi.encodePacked(rr, s, v - 27);
        }
    }

    /// @dev One of the enclave keys; three times in four one active at `time` if there is one
    /// (what an honest node signs with), else any (registered, retired or never registered).
    function _enclaveKey(uint256 seed, uint64 time) internal view returns (uint256) {
        if (seed % 4 != 0) {
            for (uint256 k = 0; k < ENCLAVE_KEYS; ++k) {
                uint256 key = _enclaveKeys[(seed + k) % ENCLAVE_KEYS];
                if (_modelActive(VM.addr(key), time)) return key;
            }
        }
        return _enclaveKeys[seed % ENCLAVE_KEYS];
    }

    /// @dev The smallest payment that covers the price and both fee cuts, plus `tip` for the node.
    function _fee(uint256 modelId, uint8 mode, uint256 tip) internal view returns (uint256) {
        (uint256 price,) = hub.callTerms(modelId, mode);
        IInferenceSettlement.Params memory p = settlement.params();
        uint256 kept = BPS - p.validatorFeeBps - p.treasuryFeeBps; // > 0 in the governed domain
        return (price * BPS + kept - 1) / kept + tip;
    }

    /// @dev An x402 "exact" payment: the payer's ERC-3009 TransferWithAuthorization to `node`'s till.
    function _makePayment(uint256 payer, uint256 value, address node)
        internal
        returns (IInferenceSettlement.Payment memory p)
    {
        _nonce += 1;
        p.from = _actors[payer];
        p.value = value;
        p.validAfter = _now() - 5;
        p.validBefore = _now() + 600;
        p.nonce = keccak256(abi.encode("payment", _nonce));
        bytes32 structHash = keccak256(
            abi.encode(
                TRANSFER_WITH_AUTHORIZATION_TYPEHASH, p.from, tills.tillOf(node), value, p.validAfter, p.validBefore, p.nonce
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            VM.sign(_actorKeys[payer], keccak256(abi.encodePacked("\x19\x01", _tokenDomain, structHash)));
        p.signature = abi.encodePacked(r, s, v);
    }

    /// @dev Now, or up to MAX_RECORD_AGE ago (a node may settle a record an hour after it ran).
    function _recordTime(uint256 seed) internal view returns (uint64) {
        uint256 age = seed % 3 == 0 ? 0 : bound(seed >> 2, 0, settlement.MAX_RECORD_AGE());
        return uint64(_now() - age);
    }

    function _callableModel(uint256 seed, uint8 mode) internal view returns (bool, uint256) {
        for (uint256 k = 0; k < _models.length; ++k) {
            uint256 id = _models[(seed + k) % _models.length];
            (, bool callable) = hub.callTerms(id, mode);
            if (callable) return (true, id);
        }
        return (false, 0);
    }

    /// @dev Three times in four a model `actor` publishes (if any), else any model.
    function _modelOf(address actor, uint256 seed) internal view returns (uint256) {
        if (seed % 4 != 0) {
            for (uint256 k = 0; k < _models.length; ++k) {
                uint256 id = _models[(seed + k) % _models.length];
                if (_modelPublisher[id] == actor) return id;
            }
        }
        return _models[seed % _models.length];
    }

    function _publish(address actor, uint256 price, uint8 modes) internal {
        _nonce += 1;
        bytes32 digest = keccak256(abi.encode("model bytes", _nonce));
        (bool ok, bytes memory ret) = _call(
            actor,
            address(hub),
            abi.encodeCall(IModelHub.publish, ("bafy-invariant", digest, VM.toString(digest), price, modes, "")),
            address(0)
        );
        if (!ok) return;
        uint256 modelId = abi.decode(ret, (uint256));
        _models.push(modelId);
        _modelPublisher[modelId] = actor;
    }

    function _registerEnclave(address operator, uint256 key, bytes32 measurement, bool honestProof) internal {
        address signer = VM.addr(_enclaveKeys[key]);
        bytes memory document = abi.encode(signer, measurement); // AttestationVerifierDouble's format
        bytes32 attestationHash = sha256(document);
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19Ethereum Signed Message:\n32",
                keccak256(abi.encode(block.chainid, address(registry), operator, attestationHash))
            )
        );
        uint256 proofKey = honestProof ? _enclaveKeys[key] : _enclaveKeys[(key + 1) % ENCLAVE_KEYS];
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(proofKey, digest);
        (bool ok,) = _call(
            operator,
            address(registry),
            abi.encodeCall(
                ITEERegistry.registerEnclave,
                (VENDOR_DEV, document, "", abi.encodePacked(r, s, v))
            ),
            address(0)
        );
        if (!ok) return;
        _enclaveModel[signer] = EnclaveModel(operator, measurement, uint64(_now()), 0);
        _registryChanged("registerEnclave");
    }

    function _isOpen(Interval[] storage intervals) internal view returns (bool) {
        return intervals.length > 0 && intervals[intervals.length - 1].until == 0;
    }

    function _toggleMeasurement(bytes32 measurement) internal {
        Interval[] storage intervals = _measurementModel[measurement];
        bool open = _isOpen(intervals);
        bytes memory data = open
            ? abi.encodeCall(ITEERegistry.revokeMeasurement, (VENDOR_DEV, measurement))
            : abi.encodeCall(ITEERegistry.approveMeasurement, (VENDOR_DEV, measurement, "invariant image"));
        (bool ok,) = _call(timelock, address(registry), data, address(0));
        if (!ok) return;
        _toggle(intervals, open);
        _registryChanged(open ? "revokeMeasurement" : "approveMeasurement");
    }

    function _toggleVendor() internal {
        bool open = _isOpen(_vendorModel);
        (bool ok,) = _call(
            timelock, address(registry), abi.encodeCall(ITEERegistry.setVendor, (VENDOR_DEV, !open, devRoot)), address(0)
        );
        if (!ok) return;
        _toggle(_vendorModel, open);
        _registryChanged(open ? "setVendor(disable)" : "setVendor(enable)");
    }

    function _toggle(Interval[] storage intervals, bool close) internal {
        if (close) intervals[intervals.length - 1].until = uint64(_now());
        else intervals.push(Interval(uint64(_now()), 0));
    }

    /// @dev Also in the deployment's second (README "Findings" 5: a change there used to overwrite
    /// the genesis window of the records settled in that second; fixed, the genesis window now
    /// holds from time 0).
    function _setSettlementParams(uint256 a, uint256 b, uint256 c) internal {
        IInferenceSettlement.Params memory p;
        p.slashFractionBps = uint16(bound(a, 1, BPS));
        p.challengerRewardBps = uint16(bound(a >> 16, 0, BPS - 1));
        p.rewardedAttesters = uint8(bound(a >> 32, 1, 5));
        p.validatorFeeBps = uint16(bound(b, 0, 3_000));
        p.treasuryFeeBps = uint16(bound(b >> 16, 0, 2_000));
        uint256 unbonding = staking.params().unbondingPeriod;
        uint256 delay = bonds.unbondingDelay();
        p.challengeWindow = uint64(bound(c, 1 hours, (unbonding < delay ? unbonding : delay) - 1));
        (bool ok,) =
            _call(timelock, address(settlement), abi.encodeCall(IInferenceSettlement.setParams, (p)), address(0));
        if (!ok) return;
        paramChanges += 1;
        _windowChanged(p.challengeWindow);
    }

    function _setBondParams(uint256 a, uint256 b) internal {
        INodeBonds.Params memory p;
        p.minBond = bound(a, 100e18, 2_000e18);
        p.slashFractionBps = uint16(bound(a >> 128, 1, BPS));
        p.unbondingDelay = uint64(bound(b, settlement.params().challengeWindow / 2, 28 days));
        (bool ok,) = _call(timelock, address(bonds), abi.encodeCall(INodeBonds.setParams, (p)), address(0));
        if (ok) paramChanges += 1;
    }

    function _setUnbondingPeriod(uint256 a) internal {
        IStaking.Params memory p = staking.params();
        p.unbondingPeriod = uint64(bound(a, settlement.params().challengeWindow + 1, 28 days));
        (bool ok,) = _call(timelock, address(staking), abi.encodeCall(IStaking.setParams, (p)), address(0));
        if (ok) paramChanges += 1;
    }

    // ================================================================ internals: picking

    /// @dev An active validator that has not attested record `recordId` yet (`sloppy`: preferably
    /// one that is not honest by policy, so that bad verdicts keep coming while the liars that got
    /// slashed sit in jail), or any validator (the call is then refused); `fresh`: one was found.
    function _freshValidator(uint256 seed, uint256 recordId, bool sloppy) internal view returns (address, bool fresh) {
        address[] memory validators = staking.validators();
        seed %= validators.length; // (seed + k) must not overflow
        address fallback_ = validators[seed];
        for (uint256 k = 0; k < validators.length; ++k) {
            address v = validators[(seed + k) % validators.length];
            if (!staking.isActive(v) || settlement.attestationOf(recordId, v).attestedAt != 0) continue;
            if (!sloppy || !isHonestByPolicy(v)) return (v, true);
            fallback_ = v;
            fresh = true;
        }
        return (fallback_, fresh);
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    /// @dev For the bond actions' branch choices: the fuzzer feeds seeds from its dictionary and
    /// edge values (0, small numbers, 2^256 - 1) far more often than at random, which would make a
    /// "one time in sixteen" branch fire most of the time.
    function _mix(uint256 seed) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed)));
    }

    function _now() internal view returns (uint256) {
        return VM.getBlockTimestamp();
    }

    /// @dev A dispute reads Staking and the registry: cold, as in a new transaction (I5).
    function _coolAll() internal {
        VM.cool(address(staking));
        VM.cool(address(registry));
        VM.cool(address(hub));
        VM.cool(address(bonds));
    }

    function _revertName(bytes memory ret) internal pure returns (string memory) {
        if (ret.length < 4) return "revert without data";
        bytes4 selector = bytes4(ret);
        if (selector == bytes4(keccak256("DisputeRejected(uint256)"))) return "DisputeRejected";
        if (selector == bytes4(keccak256("ChallengeWindowClosed(uint256,address)"))) return "ChallengeWindowClosed";
        if (selector == bytes4(keccak256("UnsupportedMode(uint8)"))) return "UnsupportedMode";
        if (selector == bytes4(keccak256("NotAttestedValid(uint256,address)"))) return "NotAttestedValid";
        if (selector == bytes4(keccak256("InfractionTooOld(uint64,uint64)"))) return "Staking.InfractionTooOld";
        if (selector == bytes4(keccak256("InvalidFraction(uint16)"))) return "Staking.InvalidFraction";
        if (selector == bytes4(keccak256("RecordWindowClosed(uint256,uint64)"))) return "RecordWindowClosed";
        if (selector == bytes4(keccak256("ProducerAlreadyDisputed(uint256)"))) return "ProducerAlreadyDisputed";
        if (selector == bytes4(keccak256("RecordMismatch(uint256)"))) return "RecordMismatch";
        if (selector == NODE_NOT_BONDED) return "NodeNotBonded";
        if (selector == BOND_COMMITTED) return "BondCommitted";
        return VM.toString(abi.encodePacked(selector));
    }
}
