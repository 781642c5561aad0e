// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

import {IAttestationVerifier} from "./attestation/IAttestationVerifier.sol";

/// @title TEERegistry
/// @notice Which TEE hardware the network trusts (vendors and approved enclave measurements, changed
/// only by the timelock) and which enclave signers are registered under them.
/// @dev Approvals are kept as time intervals, not a flag, so `isActive(signer, time)` can answer
/// for the moment an inference ran: a result signed before a revocation stays valid, one signed
/// after it does not. An enclave is registered only with an attestation document NitroVerifier
/// accepts under the vendor's pinned root: the enclave proves its measurement and the signer key
/// it holds, nobody takes the registrant's word for them. The document is logged at registration
/// (EnclaveAttestation) so any validator can re-verify exactly what was registered.
contract TEERegistry {
    /// @notice Vendor ids; the CLI prints them by name.
    uint8 public constant NITRO = 0;
    uint8 public constant TDX = 1;
    uint8 public constant SNP = 2;
    uint8 public constant NVIDIA_CC = 3;
    uint8 public constant DEV = 4;
    uint8 public constant VENDOR_COUNT = 5;
    /// @notice The longest endpoint URL an enclave may register: every reader of the registry
    /// (listEnclaves in one eth_call) pays for each byte.
    uint256 public constant MAX_ENDPOINT_BYTES = 256;

    struct Interval {
        uint64 from;
        uint64 until; // 0 while open
    }

    struct Vendor {
        bytes32 rootHash; // sha256 of the vendor's root certificate (DER)
        Interval[] enabled;
    }

    struct Measurement {
        string label;
        Interval[] approved;
    }

    struct Enclave {
        address operator;
        uint8 vendor;
        bytes32 measurement;
        bytes32 attestationHash;
        uint64 registeredAt;
        uint64 deregisteredAt; // 0 while registered
        uint64 registeredBlock; // where EnclaveAttestation logged its document
        string endpoint;
    }

    /// @notice What the CLI reads about one enclave.
    struct EnclaveView {
        address signer;
        address operator;
        uint8 vendor;
        bytes32 measurement;
        bytes32 attestationHash;
        uint64 registeredAt;
        uint64 deregisteredAt;
        string endpoint;
        bool active;
        uint64 registeredBlock;
    }

    /// @notice What the CLI reads about one measurement.
    struct MeasurementView {
        uint8 vendor;
        bytes32 measurement;
        string label;
        bool approved;
        uint64 approvedAt;
        uint64 revokedAt;
        uint256 enclaveCount;
    }

    address public immutable timelock;
    /// @notice Checks every attestation document before an enclave is registered (NitroVerifier).
    IAttestationVerifier public immutable verifier;
    address public immutable deployer;
    /// @notice The only contract allowed to disable an enclave (InferenceSettlement, when a record
    /// the enclave's operator settled is proven false).
    address public slasher;

    mapping(uint8 vendor => Vendor) private _vendors;
    mapping(uint8 vendor => mapping(bytes32 measurement => Measurement)) private _measurements;
    mapping(uint8 vendor => bytes32[]) private _measurementList;
    mapping(address signer => Enclave) private _enclaves;
    mapping(uint8 vendor => mapping(bytes32 measurement => uint256)) private _enclaveCount;
    address[] private _signers;

    event PolicyChanged(string kind, uint8 indexed vendor, bytes32 indexed measurement, bool allowed, string label);
    event VendorRootChanged(uint8 indexed vendor, bytes32 rootHash);
    event EnclaveRegistered(
        address indexed signer,
        address indexed operator,
        uint8 vendor,
        bytes32 measurement,
        bytes32 attestationHash,
        string endpoint
    );
    event EnclaveDeregistered(address indexed signer, address indexed operator);
    /// @notice The operator moved the enclave's public endpoint (its node now answers there).
    event EndpointChanged(address indexed signer, address indexed operator, string endpoint);
    /// @notice A record its operator settled was proven false: the enclave is retired for good.
    event EnclaveDisabled(address indexed signer, address indexed operator);
    event SlasherChanged(address slasher);
    /// @notice The document an enclave was registered with, and the root it was verified under.
    event EnclaveAttestation(address indexed signer, uint8 vendor, bytes32 rootSha256, bytes document);

    error OnlyTimelock();
    error UnknownVendor(uint8 vendor);
    error VendorNotEnabled(uint8 vendor);
    error MeasurementNotApproved(uint8 vendor, bytes32 measurement);
    error AlreadyInState();
    error DevVendorNotAllowedOnChain(uint256 chainId);
    error SignerAlreadyRegistered(address signer);
    error SignerNotRegistered(address signer);
    error BadSignerProof();
    error NotOperator();
    error VendorNotVerifiable(uint8 vendor);
    error UserDataNotASigner(uint256 length);
    error OnlySlasher();
    error NotDeployer();
    error SlasherAlreadySet();
    error ZeroAddress();
    error EndpointTooLong(uint256 length);

    modifier onlyTimelock() {
        if (msg.sender != timelock) revert OnlyTimelock();
        _;
    }

    /// @param genesisVendors vendors enabled at genesis, with their root hashes
    /// @param genesisMeasurementVendors vendor of each genesis measurement
    /// @param genesisMeasurements measurements approved at genesis
    /// @param genesisLabels human labels of the genesis measurements
    constructor(
        address timelock_,
        IAttestationVerifier verifier_,
        uint8[] memory genesisVendors,
        bytes32[] memory genesisRoots,
        uint8[] memory genesisMeasurementVendors,
        bytes32[] memory genesisMeasurements,
        string[] memory genesisLabels
    ) {
        timelock = timelock_;
        verifier = verifier_;
        deployer = msg.sender;
        for (uint256 i = 0; i < genesisVendors.length; ++i) {
            _setVendor(genesisVendors[i], true, genesisRoots[i]);
        }
        for (uint256 i = 0; i < genesisMeasurements.length; ++i) {
            _setMeasurement(genesisMeasurementVendors[i], genesisMeasurements[i], true, genesisLabels[i]);
        }
    }

    // ---------------------------------------------------------------- governance (timelock only)

    /// @notice Enables or disables a vendor and sets its root certificate hash.
    function setVendor(uint8 vendor, bool enabled, bytes32 rootHash) external onlyTimelock {
        _setVendor(vendor, enabled, rootHash);
    }

    /// @notice Approves an enclave measurement of a vendor under a human label.
    function approveMeasurement(uint8 vendor, bytes32 measurement, string calldata label) external onlyTimelock {
        _setMeasurement(vendor, measurement, true, label);
    }

    /// @notice Revokes a measurement: enclaves running it stop being active from now on.
    function revokeMeasurement(uint8 vendor, bytes32 measurement) external onlyTimelock {
        _setMeasurement(vendor, measurement, false, _measurements[vendor][measurement].label);
    }

    /// @notice Names the slasher during deployment (deployer only, once).
    function initSlasher(address s) external {
        if (msg.sender != deployer) revert NotDeployer();
        if (slasher != address(0)) revert SlasherAlreadySet();
        _setSlasher(s);
    }

    /// @notice Replaces the slasher (timelock only).
    function setSlasher(address s) external onlyTimelock {
        _setSlasher(s);
    }

    // ---------------------------------------------------------------- enclaves

    /// @notice Registers the enclave signer that `document` attests, run by msg.sender. The
    /// document must verify (`verifier.verifyDocument`) under the vendor's pinned root, with its
    /// certificates cached beforehand, and bind the signer's 20-byte address in `user_data`; its
    /// PCRs give the measurement, which must be approved. A signer is registered once, ever: its
    /// registration and retirement times are the history every record it signed is judged
    /// against, so they must never be rewritten. Rotating a key is registering a new signer.
    /// @param vendor NITRO, or DEV on a local dev chain: the vendors whose documents are
    ///        Nitro-shaped, the only kind the chain can verify
    /// @param signerProof the enclave signer's EIP-191 signature over
    ///        keccak256(abi.encode(block.chainid, address(this), msg.sender, sha256(document))),
    ///        proving that msg.sender runs the enclave (a copied document is not an enclave)
    function registerEnclave(
        uint8 vendor,
        bytes calldata document,
        string calldata endpoint,
        bytes calldata signerProof
    ) external returns (address signer) {
        _checkVendorAllowedHere(vendor);
        _checkEndpoint(endpoint);
        if (vendor != NITRO && vendor != DEV) revert VendorNotVerifiable(vendor);
        if (!_isOpen(_vendors[vendor].enabled)) revert VendorNotEnabled(vendor);
        bytes32 rootSha256 = _vendors[vendor].rootHash;
        IAttestationVerifier.Attested memory claims = verifier.verifyDocument(document, rootSha256);
        if (!claims.hasUserData || claims.userData.length != 20) revert UserDataNotASigner(claims.userData.length);
        signer = address(bytes20(claims.userData));
        bytes32 measurement = claims.measurement;
        if (!_isOpen(_measurements[vendor][measurement].approved)) {
            revert MeasurementNotApproved(vendor, measurement);
        }
        if (_enclaves[signer].operator != address(0)) revert SignerAlreadyRegistered(signer);
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(
            keccak256(abi.encode(block.chainid, address(this), msg.sender, claims.documentHash))
        );
        if (ECDSA.recover(digest, signerProof) != signer) revert BadSignerProof();

        _signers.push(signer);
        _enclaves[signer] = Enclave({
            operator: msg.sender,
            vendor: vendor,
            measurement: measurement,
            attestationHash: claims.documentHash,
            registeredAt: uint64(block.timestamp),
            deregisteredAt: 0,
            registeredBlock: uint64(block.number),
            endpoint: endpoint
        });
        _enclaveCount[vendor][measurement] += 1;
        emit EnclaveRegistered(signer, msg.sender, vendor, measurement, claims.documentHash, endpoint);
        emit EnclaveAttestation(signer, vendor, rootSha256, document);
    }

    /// @notice The operator retires one of its enclave signers, for good: results it signs from now
    /// on are not active; those it signed before stay as they were.
    function deregisterEnclave(address signer) external {
        Enclave storage enclave = _enclaves[signer];
        if (enclave.operator == address(0) || enclave.deregisteredAt != 0) revert SignerNotRegistered(signer);
        if (enclave.operator != msg.sender) revert NotOperator();
        enclave.deregisteredAt = uint64(block.timestamp);
        _enclaveCount[enclave.vendor][enclave.measurement] -= 1;
        emit EnclaveDeregistered(signer, msg.sender);
    }

    /// @notice The operator moves a registered, active enclave's endpoint: where callers and
    /// verifiers reach its node from now on. Nothing else about the enclave changes.
    function setEndpoint(address signer, string calldata endpoint) external {
        Enclave storage enclave = _enclaves[signer];
        if (enclave.operator == address(0) || enclave.deregisteredAt != 0) revert SignerNotRegistered(signer);
        if (enclave.operator != msg.sender) revert NotOperator();
        _checkEndpoint(endpoint);
        enclave.endpoint = endpoint;
        emit EndpointChanged(signer, msg.sender, endpoint);
    }

    /// @notice Retires `signer` from now on because a record its operator settled was proven false
    /// (slasher only). Records dated up to now keep the history they were judged under. Does
    /// nothing to a signer already retired, so a dispute never fails on it.
    function disableEnclave(address signer) external {
        if (msg.sender != slasher) revert OnlySlasher();
        Enclave storage enclave = _enclaves[signer];
        if (enclave.operator == address(0) || enclave.deregisteredAt != 0) return;
        enclave.deregisteredAt = uint64(block.timestamp);
        _enclaveCount[enclave.vendor][enclave.measurement] -= 1;
        emit EnclaveDisabled(signer, enclave.operator);
    }

    // ---------------------------------------------------------------- reads

    /// @notice Who registered `signer` (the zero address if nobody did).
    function operatorOf(address signer) external view returns (address) {
        return _enclaves[signer].operator;
    }

    /// @notice Whether `signer` was registered, its vendor enabled and its measurement approved at
    /// `time`. Every change applies to records dated after the second it was made in, never to one
    /// dated in that second or before: blocks can share a timestamp, and a change made after a
    /// verdict in the same second must not turn the verdict false (slashable). So an interval
    /// excludes the second it opened in and includes the second it closed in.
    function isActive(address signer, uint64 time) public view returns (bool) {
        Enclave storage enclave = _enclaves[signer];
        if (enclave.operator == address(0)) return false;
        if (time <= enclave.registeredAt) return false;
        if (enclave.deregisteredAt != 0 && time > enclave.deregisteredAt) return false;
        return _covers(_vendors[enclave.vendor].enabled, time)
            && _covers(_measurements[enclave.vendor][enclave.measurement].approved, time);
    }

    /// @notice Whether `signer` has ever been registered (a dispute's "unknown signer" test).
    function isRegistered(address signer) external view returns (bool) {
        return _enclaves[signer].operator != address(0);
    }

    function isVendorEnabled(uint8 vendor) external view returns (bool) {
        return _isOpen(_vendors[vendor].enabled);
    }

    function vendorRoot(uint8 vendor) external view returns (bytes32) {
        return _vendors[vendor].rootHash;
    }

    function isMeasurementApproved(uint8 vendor, bytes32 measurement) external view returns (bool) {
        return _isOpen(_measurements[vendor][measurement].approved);
    }

    function wasMeasurementApprovedAt(uint8 vendor, bytes32 measurement, uint64 time) external view returns (bool) {
        return _covers(_measurements[vendor][measurement].approved, time);
    }

    /// @notice Every measurement ever listed for `vendor`, approved or revoked.
    function listMeasurements(uint8 vendor) external view returns (MeasurementView[] memory views) {
        bytes32[] storage list = _measurementList[vendor];
        views = new MeasurementView[](list.length);
        for (uint256 i = 0; i < list.length; ++i) {
            views[i] = getMeasurement(vendor, list[i]);
        }
    }

    function getMeasurement(uint8 vendor, bytes32 hash) public view returns (MeasurementView memory view_) {
        Measurement storage m = _measurements[vendor][hash];
        uint256 n = m.approved.length;
        view_.vendor = vendor;
        view_.measurement = hash;
        view_.label = m.label;
        view_.enclaveCount = _enclaveCount[vendor][hash];
        if (n > 0) {
            Interval storage last = m.approved[n - 1];
            view_.approved = last.until == 0;
            view_.approvedAt = last.from;
            view_.revokedAt = last.until;
        }
    }

    function getEnclave(address signer) public view returns (EnclaveView memory view_) {
        Enclave storage e = _enclaves[signer];
        view_ = EnclaveView({
            signer: signer,
            operator: e.operator,
            vendor: e.vendor,
            measurement: e.measurement,
            attestationHash: e.attestationHash,
            registeredAt: e.registeredAt,
            deregisteredAt: e.deregisteredAt,
            endpoint: e.endpoint,
            active: e.operator != address(0) && isActive(signer, uint64(block.timestamp)),
            registeredBlock: e.registeredBlock
        });
    }

    function enclaveCount() external view returns (uint256) {
        return _signers.length;
    }

    function listEnclaves() external view returns (EnclaveView[] memory views) {
        views = new EnclaveView[](_signers.length);
        for (uint256 i = 0; i < _signers.length; ++i) {
            views[i] = getEnclave(_signers[i]);
        }
    }

    // ---------------------------------------------------------------- internals

    function _setSlasher(address s) private {
        if (s == address(0)) revert ZeroAddress();
        slasher = s;
        emit SlasherChanged(s);
    }

    function _setVendor(uint8 vendor, bool enabled, bytes32 rootHash) private {
        if (vendor >= VENDOR_COUNT) revert UnknownVendor(vendor);
        Vendor storage v = _vendors[vendor];
        if (rootHash != v.rootHash) {
            v.rootHash = rootHash;
            emit VendorRootChanged(vendor, rootHash);
        }
        if (enabled != _isOpen(v.enabled)) {
            _toggle(v.enabled, enabled);
            emit PolicyChanged("vendor", vendor, bytes32(0), enabled, "");
        }
    }

    function _setMeasurement(uint8 vendor, bytes32 hash, bool approved, string memory label) private {
        if (vendor >= VENDOR_COUNT) revert UnknownVendor(vendor);
        Measurement storage m = _measurements[vendor][hash];
        if (approved == _isOpen(m.approved)) revert AlreadyInState();
        if (m.approved.length == 0) _measurementList[vendor].push(hash);
        m.label = label;
        _toggle(m.approved, approved);
        emit PolicyChanged("measurement", vendor, hash, approved, label);
    }

    function _toggle(Interval[] storage intervals, bool open) private {
        if (open) {
            intervals.push(Interval({from: uint64(block.timestamp), until: 0}));
        } else {
            intervals[intervals.length - 1].until = uint64(block.timestamp);
        }
    }

    function _isOpen(Interval[] storage intervals) private view returns (bool) {
        uint256 n = intervals.length;
        return n > 0 && intervals[n - 1].until == 0;
    }

    /// @dev Newest first: the common question is about a recent time.
    function _covers(Interval[] storage intervals, uint64 time) private view returns (bool) {
        for (uint256 i = intervals.length; i > 0; --i) {
            Interval storage interval = intervals[i - 1];
            // (from, until]: see isActive. An earlier interval may still cover `time` == from,
            // when it closed in that same second.
            if (time > interval.from) return interval.until == 0 || time <= interval.until;
        }
        return false;
    }

    /// @dev The DEV vendor signs with a key anyone can have; it is only acceptable on local dev chains.
    function _checkEndpoint(string calldata endpoint) private pure {
        if (bytes(endpoint).length > MAX_ENDPOINT_BYTES) revert EndpointTooLong(bytes(endpoint).length);
    }

    function _checkVendorAllowedHere(uint8 vendor) private view {
        if (vendor == DEV && block.chainid != 31337 && block.chainid != 1337) {
            revert DevVendorNotAllowedOnChain(block.chainid);
        }
    }
}
