// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title ModelHub
/// @notice Permissionless registry of models: anyone publishes content-addressed model bytes with a
/// price per call; the settlement contract credits the publisher for every settled call; the
/// publisher withdraws its earnings.
contract ModelHub is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Execution modes a model supports, as bits of `modes`.
    uint8 public constant MODE_VANILLA = 1;
    uint8 public constant MODE_TEE = 2;
    uint8 public constant MODE_ZKML = 4;
    uint8 public constant ALL_MODES = 7;

    /// @notice A price above this is a typo, not a business model (one million OPG per call).
    uint256 public constant MAX_PRICE_PER_CALL = 1_000_000 ether;

    /// @notice How long a price rise or a deprecation waits before calls settle under it. The
    /// settlement reads a model's terms when a call settles, which is after a node answered it
    /// (seconds for a batch of channel calls; up to InferenceSettlement.MAX_RECORD_AGE, an hour,
    /// for any record): a change that applied at once would let a publisher void the calls
    /// answered and not yet settled (`Underpaid`, `ModelNotCallable`), and be served free on its
    /// own model. A price cut applies at once (a call paid at the higher price still covers it).
    uint64 public constant TERMS_DELAY = 1 hours;

    struct Model {
        uint256 id;
        address publisher;
        string name;
        string cid; // CIDv1 (raw, sha2-256, base32) of the model bytes
        bytes32 sha256Digest;
        uint256 pricePerCall;
        uint8 modes;
        string metadataURI;
        uint32 version;
        bool deprecated;
        uint64 publishedAt;
        uint64 calls;
        uint256 earned; // total ever credited, withdrawn or not
    }

    IERC20 public immutable token;
    address public immutable timelock;
    address private immutable _deployer;
    address public settlement;

    Model[] private _models; // id = index + 1
    mapping(address publisher => mapping(bytes32 nameHash => uint256 id)) public modelIdByName;
    mapping(bytes32 sha256Digest => uint256 id) public modelIdByDigest;
    mapping(address publisher => uint256) public earningsOf; // withdrawable

    /// @dev A model's terms while a change waits out TERMS_DELAY: the price in force before the
    /// rise to `pricePerCall` (until `priceFrom`), and until when a deprecated model still takes
    /// calls.
    struct Pending {
        uint256 previousPrice;
        uint64 priceFrom;
        uint64 callableUntil;
    }

    mapping(uint256 modelId => Pending) private _pending;

    event ModelPublished(
        uint256 indexed modelId,
        address indexed publisher,
        string name,
        string cid,
        bytes32 sha256Digest,
        uint256 pricePerCall,
        uint8 modes,
        string metadataURI
    );
    event ModelVersionPublished(
        uint256 indexed modelId, uint32 version, string cid, bytes32 sha256Digest, string metadataURI
    );
    /// @notice `oldPrice` is the price in force when the change was made; `newPrice` applies to
    /// calls settled from `effectiveAt` on (TERMS_DELAY after a rise; at once for a cut).
    event PriceChanged(uint256 indexed modelId, uint256 oldPrice, uint256 newPrice, uint64 effectiveAt);
    /// @notice Honest nodes take no new calls of it at once; calls settle until `callableUntil`.
    event ModelDeprecated(uint256 indexed modelId, uint64 callableUntil);
    event ModelTransferred(uint256 indexed modelId, address indexed from, address indexed to);
    event EarningsCredited(uint256 indexed modelId, address indexed publisher, uint256 amount);
    event EarningsWithdrawn(address indexed publisher, uint256 amount);
    event SettlementChanged(address settlement);

    error OnlyTimelock();
    error OnlySettlement();
    error NotPublisher(uint256 modelId);
    error UnknownModel(uint256 modelId);
    error ModelIsDeprecated(uint256 modelId);
    error NameTaken(string name, uint256 existingId);
    error DigestTaken(bytes32 sha256Digest, uint256 existingId);
    error EmptyName();
    error EmptyCid();
    error BadModes(uint8 modes);
    error PriceTooHigh(uint256 price, uint256 max);
    error NothingToWithdraw();
    error ZeroAddress();
    error AlreadyInitialized();

    constructor(IERC20 token_, address timelock_) {
        token = token_;
        timelock = timelock_;
        _deployer = msg.sender;
    }

    modifier onlyPublisher(uint256 modelId) {
        if (_model(modelId).publisher != msg.sender) revert NotPublisher(modelId);
        _;
    }

    // ---------------------------------------------------------------- wiring

    /// @notice One-time deploy wiring by the deployer, before control passes to the timelock.
    function initSettlement(address settlement_) external {
        if (msg.sender != _deployer || settlement != address(0)) revert AlreadyInitialized();
        _setSettlement(settlement_);
    }

    /// @notice Points the hub at a new settlement contract (timelock only).
    function setSettlement(address settlement_) external {
        if (msg.sender != timelock) revert OnlyTimelock();
        _setSettlement(settlement_);
    }

    // ---------------------------------------------------------------- publishers

    /// @notice Publishes a model. The same publisher cannot reuse a name, and the same bytes cannot
    /// be published twice (publish a new version of the existing model instead).
    function publish(
        string calldata cid,
        bytes32 sha256Digest,
        string calldata name,
        uint256 pricePerCall,
        uint8 modes,
        string calldata metadataURI
    ) external returns (uint256 modelId) {
        if (bytes(name).length == 0) revert EmptyName();
        bytes32 nameHash = keccak256(bytes(name));
        uint256 existing = modelIdByName[msg.sender][nameHash];
        if (existing != 0) revert NameTaken(name, existing);
        _checkArtifact(cid, sha256Digest);
        _checkPrice(pricePerCall);
        if (modes == 0 || modes & ~ALL_MODES != 0) revert BadModes(modes);

        modelId = _models.length + 1;
        Model storage m = _models.push();
        m.id = modelId;
        m.publisher = msg.sender;
        m.name = name;
        m.cid = cid;
        m.sha256Digest = sha256Digest;
        m.pricePerCall = pricePerCall;
        m.modes = modes;
        m.metadataURI = metadataURI;
        m.version = 1;
        m.publishedAt = uint64(block.timestamp);
        modelIdByName[msg.sender][nameHash] = modelId;
        modelIdByDigest[sha256Digest] = modelId;
        emit ModelPublished(modelId, msg.sender, name, cid, sha256Digest, pricePerCall, modes, metadataURI);
    }

    /// @notice Replaces the model's bytes with a new version under the same id, name and price.
    function publishVersion(uint256 modelId, string calldata cid, bytes32 sha256Digest, string calldata metadataURI)
        external
        onlyPublisher(modelId)
    {
        Model storage m = _models[modelId - 1];
        if (m.deprecated) revert ModelIsDeprecated(modelId);
        _checkArtifact(cid, sha256Digest);
        m.cid = cid;
        m.sha256Digest = sha256Digest;
        m.metadataURI = metadataURI;
        m.version += 1;
        modelIdByDigest[sha256Digest] = modelId;
        emit ModelVersionPublished(modelId, m.version, cid, sha256Digest, metadataURI);
    }

    /// @notice A new price per call: a rise applies to calls settled TERMS_DELAY from now (until
    /// then, the price in force now), a cut at once.
    function setPrice(uint256 modelId, uint256 newPrice) external onlyPublisher(modelId) {
        _checkPrice(newPrice);
        Model storage m = _models[modelId - 1];
        Pending storage p = _pending[modelId];
        uint256 inForce = priceAt(modelId, uint64(block.timestamp));
        uint64 effectiveAt = uint64(block.timestamp) + (newPrice > inForce ? TERMS_DELAY : 0);
        p.previousPrice = inForce;
        p.priceFrom = effectiveAt;
        m.pricePerCall = newPrice;
        emit PriceChanged(modelId, inForce, newPrice, effectiveAt);
    }

    /// @notice Stops new calls to the model (honest nodes at once; calls answered before settle
    /// for TERMS_DELAY more); earnings already credited stay withdrawable.
    function deprecate(uint256 modelId) external onlyPublisher(modelId) {
        Model storage m = _models[modelId - 1];
        if (m.deprecated) revert ModelIsDeprecated(modelId);
        m.deprecated = true;
        uint64 until = uint64(block.timestamp) + TERMS_DELAY;
        _pending[modelId].callableUntil = until;
        emit ModelDeprecated(modelId, until);
    }

    /// @notice Hands the model (and its future earnings) to another publisher.
    function transferModel(uint256 modelId, address to) external onlyPublisher(modelId) {
        if (to == address(0)) revert ZeroAddress();
        Model storage m = _models[modelId - 1];
        bytes32 nameHash = keccak256(bytes(m.name));
        uint256 existing = modelIdByName[to][nameHash];
        if (existing != 0) revert NameTaken(m.name, existing);
        delete modelIdByName[msg.sender][nameHash];
        modelIdByName[to][nameHash] = modelId;
        m.publisher = to;
        emit ModelTransferred(modelId, msg.sender, to);
    }

    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = earningsOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        earningsOf[msg.sender] = 0;
        token.safeTransfer(msg.sender, amount);
        emit EarningsWithdrawn(msg.sender, amount);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Credits one settled call's price to the model's publisher. The settlement contract
    /// has transferred `amount` to this contract in the same transaction.
    function recordCall(uint256 modelId, uint256 amount) external {
        if (msg.sender != settlement) revert OnlySettlement();
        Model storage m = _models[modelId - 1];
        m.calls += 1;
        m.earned += amount;
        earningsOf[m.publisher] += amount;
        emit EarningsCredited(modelId, m.publisher, amount);
    }

    /// @notice Credits `calls` settled calls of one model, `amount` in all, to its publisher (a
    /// batch of records credits each run of one model's calls at once).
    function recordCalls(uint256 modelId, uint256 calls, uint256 amount) external {
        if (msg.sender != settlement) revert OnlySettlement();
        Model storage m = _models[modelId - 1];
        m.calls += uint64(calls);
        m.earned += amount;
        earningsOf[m.publisher] += amount;
        emit EarningsCredited(modelId, m.publisher, amount);
    }

    // ---------------------------------------------------------------- reads

    function modelCount() external view returns (uint256) {
        return _models.length;
    }

    function getModel(uint256 modelId) external view returns (Model memory) {
        return _model(modelId);
    }

    /// @notice Models `offset+1 .. offset+limit`, for paging without one call per model.
    function listModels(uint256 offset, uint256 limit) external view returns (Model[] memory page) {
        uint256 total = _models.length;
        uint256 end = offset + limit > total ? total : offset + limit;
        uint256 n = end > offset ? end - offset : 0;
        page = new Model[](n);
        for (uint256 i = 0; i < n; ++i) {
            page[i] = _models[offset + i];
        }
    }

    /// @notice What a call costs in publisher fees and whether the model accepts `mode` calls now;
    /// `mode` must be exactly one of the model's modes (one bit), never a mask sharing a bit.
    function callTerms(uint256 modelId, uint8 mode) external view returns (uint256 price, bool callable) {
        Model storage m = _model(modelId);
        bool oneKnownMode = mode == MODE_VANILLA || mode == MODE_TEE || mode == MODE_ZKML;
        bool taking = !m.deprecated || block.timestamp < _pending[modelId].callableUntil;
        return (priceAt(modelId, uint64(block.timestamp)), taking && oneKnownMode && (m.modes & mode) == mode);
    }

    /// @notice The price per call that calls settled at `time` pay, as the terms stand now (a
    /// time from now on: what a node quotes for a call it will settle by then).
    function priceAt(uint256 modelId, uint64 time) public view returns (uint256) {
        Model storage m = _model(modelId);
        Pending storage p = _pending[modelId];
        return time < p.priceFrom ? p.previousPrice : m.pricePerCall;
    }

    /// @notice (the price in force before a pending rise, when the rise applies, until when a
    /// deprecated model takes calls): 0s when nothing was changed.
    function pendingTerms(uint256 modelId) external view returns (uint256 previousPrice, uint64 priceFrom,
                                                                  uint64 callableUntil) {
        _model(modelId);
        Pending storage p = _pending[modelId];
        return (p.previousPrice, p.priceFrom, p.callableUntil);
    }

    // ---------------------------------------------------------------- internals

    function _model(uint256 modelId) private view returns (Model storage) {
        if (modelId == 0 || modelId > _models.length) revert UnknownModel(modelId);
        return _models[modelId - 1];
    }

    function _checkArtifact(string calldata cid, bytes32 sha256Digest) private view {
        if (bytes(cid).length == 0) revert EmptyCid();
        uint256 existing = modelIdByDigest[sha256Digest];
        if (existing != 0) revert DigestTaken(sha256Digest, existing);
    }

    function _checkPrice(uint256 price) private pure {
        if (price > MAX_PRICE_PER_CALL) revert PriceTooHigh(price, MAX_PRICE_PER_CALL);
    }

    function _setSettlement(address settlement_) private {
        if (settlement_ == address(0)) revert ZeroAddress();
        settlement = settlement_;
        emit SettlementChanged(settlement_);
    }
}
