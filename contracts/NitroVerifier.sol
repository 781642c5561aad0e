// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {IAttestationVerifier} from "./attestation/IAttestationVerifier.sol";
import {NitroDocument} from "./attestation/NitroDocument.sol";
import {P384} from "./attestation/P384.sol";
import {Sha384} from "./attestation/Sha384.sol";
import {X509} from "./attestation/X509.sol";

/// @title NitroVerifier
/// @notice Verifies AWS-Nitro-shaped attestation documents in the EVM: the COSE_Sign1 ES384
/// signature, the certificate chain from a root the caller pins, every certificate's validity at
/// block time, and a non-debug enclave. TEERegistry registers an enclave only with a document this
/// contract accepts, for real Nitro hardware and for the devnet's DEV vendor alike.
/// @dev One P-384 verification costs ~9 M gas, and a Nitro chain has five (four certificates and
/// the document), far beyond one transaction's 2^24 gas (EIP-7825). So certificates are verified
/// once each, in their own transaction (`verifyCertificate`), and remembered; a document then
/// costs a single verification, its own signature. Roots and intermediates live for years, so a
/// later registration under the same chain pays only for its short-lived leaf.
///
/// The cache holds facts, not trust: "certificate C is signed by the key of certificate I". It is
/// open to anyone, and a fact about a certificate is keyed by (C, I), so nobody can block a
/// genuine chain by caching the same certificate under an impostor issuer first. Trust is decided
/// only in `verifyDocument`, by the sha-256 of the chain's root, which governance pins per vendor.
contract NitroVerifier is IAttestationVerifier {
    /// @notice What a certificate says about itself; filled the first time it is cached, and the
    /// same for every caller because it is read from the DER alone.
    struct CertificateRecord {
        bytes32 subjectHash;
        uint64 notBefore;
        uint64 notAfter;
        bool isCA;
        bytes publicKey; // x || y of its P-384 key
    }

    mapping(bytes32 certHash => CertificateRecord) private _certificates;
    /// @dev For a root, (root, root): admitted as a chain's start, which is not trusting it.
    mapping(bytes32 certHash => mapping(bytes32 issuerHash => bool)) private _signedBy;

    event CertificateVerified(bytes32 indexed certHash, bytes32 indexed issuerHash);

    error RootNotSelfIssued(bytes32 certHash);
    error RootNotCA(bytes32 certHash);
    error IssuerNotCached(bytes32 issuerHash);
    error IssuerNotCA(bytes32 issuerHash);
    error IssuerNameMismatch(bytes32 certHash, bytes32 issuerHash);
    error BadCertificateSignature(bytes32 certHash, bytes32 issuerHash);
    error CertificateNotValidAt(bytes32 certHash, uint64 notBefore, uint64 notAfter, uint256 time);
    error RootNotPinned(bytes32 rootSha256, bytes32 pinnedSha256);
    error CertificateNotVerified(bytes32 certHash, bytes32 issuerHash);
    error DocumentFromTheFuture(uint64 timestampMs, uint256 blockTime);
    error DebugModeEnclave();
    error BadDocumentSignature();

    // ---------------------------------------------------------------- the certificate cache

    /// @notice Admits a self-issued CA certificate as the start of chains. It proves nothing by
    /// itself: a document is accepted only under a root whose sha-256 the caller pins.
    /// @return certHash keccak256 of `der`, the key later calls name it by
    function addRoot(bytes calldata der) external returns (bytes32 certHash) {
        certHash = keccak256(der);
        if (_signedBy[certHash][certHash]) return certHash;
        X509.Certificate memory cert = X509.parse(der);
        if (cert.issuerHash != cert.subjectHash) revert RootNotSelfIssued(certHash);
        if (!cert.isCA) revert RootNotCA(certHash);
        _checkValidNow(certHash, cert.notBefore, cert.notAfter);
        _remember(certHash, cert);
        _signedBy[certHash][certHash] = true;
        emit CertificateVerified(certHash, certHash);
    }

    /// @notice Verifies that `der` is signed by the cached CA certificate `issuerHash` and caches
    /// the fact. Idempotent: a fact already cached costs a lookup.
    /// @return certHash keccak256 of `der`
    function verifyCertificate(bytes calldata der, bytes32 issuerHash) external returns (bytes32 certHash) {
        certHash = keccak256(der);
        if (_signedBy[certHash][issuerHash]) return certHash;
        CertificateRecord storage issuer = _certificates[issuerHash];
        if (issuer.publicKey.length == 0) revert IssuerNotCached(issuerHash);
        if (!issuer.isCA) revert IssuerNotCA(issuerHash);
        _checkValidNow(issuerHash, issuer.notBefore, issuer.notAfter);

        bytes memory certDer = der; // in memory, where the parser and the hash read it
        X509.Certificate memory cert = X509.parse(certDer);
        if (cert.issuerHash != issuer.subjectHash) revert IssuerNameMismatch(certHash, issuerHash);
        _checkValidNow(certHash, cert.notBefore, cert.notAfter);
        bytes memory digest = Sha384.hash(certDer, cert.tbsOffset, cert.tbsLength);
        if (!P384.verify(digest, cert.signature, issuer.publicKey)) revert BadCertificateSignature(certHash, issuerHash);

        if (_certificates[certHash].publicKey.length == 0) _remember(certHash, cert);
        _signedBy[certHash][issuerHash] = true;
        emit CertificateVerified(certHash, issuerHash);
    }

    /// @notice Whether `certHash` is cached as signed by `issuerHash` (a root: by itself).
    function isVerified(bytes32 certHash, bytes32 issuerHash) external view returns (bool) {
        return _signedBy[certHash][issuerHash];
    }

    /// @notice What the cache holds about a certificate (an empty key when it holds nothing).
    function certificate(bytes32 certHash) external view returns (CertificateRecord memory) {
        return _certificates[certHash];
    }

    // ---------------------------------------------------------------- documents

    /// @notice The claims of `document` if it verifies now under the root whose DER hashes to
    /// `rootSha256`, with every certificate of its chain cached (`addRoot`, `verifyCertificate`);
    /// reverts with a named error otherwise. Checks, as ogcli/core/attestation.py does: the COSE
    /// shape and fields (NitroDocument), the root pin, each link of the chain and each
    /// certificate's validity at block time, the document not issued after block time, not a
    /// debug-mode enclave, and the document's ES384 signature under the leaf's key.
    function verifyDocument(bytes calldata document, bytes32 rootSha256)
        external
        view
        override
        returns (Attested memory claims)
    {
        bytes memory doc = document;
        NitroDocument.Document memory d = NitroDocument.parse(doc);

        bytes32 rootSha = sha256(d.cabundle[0]);
        if (rootSha != rootSha256) revert RootNotPinned(rootSha, rootSha256);
        bytes32 issuerHash = keccak256(d.cabundle[0]);
        _checkLink(issuerHash, issuerHash);
        for (uint256 i = 1; i < d.cabundle.length; ++i) {
            bytes32 certHash = keccak256(d.cabundle[i]);
            _checkLink(certHash, issuerHash);
            issuerHash = certHash;
        }
        bytes32 leafHash = keccak256(d.certificate);
        _checkLink(leafHash, issuerHash);

        if (d.timestampMs > block.timestamp * 1000) revert DocumentFromTheFuture(d.timestampMs, block.timestamp);
        if (_isAllZero(d.pcrs012)) revert DebugModeEnclave();
        bytes memory signed = NitroDocument.sigStructure(doc, d);
        if (!P384.verify(Sha384.hash(signed), d.signature, _certificates[leafHash].publicKey)) {
            revert BadDocumentSignature();
        }

        claims = Attested({
            measurement: sha256(d.pcrs012),
            documentHash: sha256(doc),
            leafHash: leafHash,
            timestampMs: d.timestampMs,
            hasUserData: d.hasUserData,
            userData: d.userData
        });
    }

    // ---------------------------------------------------------------- internals

    function _remember(bytes32 certHash, X509.Certificate memory cert) private {
        _certificates[certHash] = CertificateRecord({
            subjectHash: cert.subjectHash,
            notBefore: cert.notBefore,
            notAfter: cert.notAfter,
            isCA: cert.isCA,
            publicKey: cert.publicKey
        });
    }

    /// @dev A chain link is usable when cached and its certificate is valid now.
    function _checkLink(bytes32 certHash, bytes32 issuerHash) private view {
        if (!_signedBy[certHash][issuerHash]) revert CertificateNotVerified(certHash, issuerHash);
        CertificateRecord storage record = _certificates[certHash];
        _checkValidNow(certHash, record.notBefore, record.notAfter);
    }

    /// @dev Inclusive at both ends, as X.509 (RFC 5280 4.1.2.5) and the Python verifier read it.
    function _checkValidNow(bytes32 certHash, uint64 notBefore, uint64 notAfter) private view {
        if (block.timestamp < notBefore || block.timestamp > notAfter) {
            revert CertificateNotValidAt(certHash, notBefore, notAfter, block.timestamp);
        }
    }

    function _isAllZero(bytes memory data) private pure returns (bool zero) {
        zero = true;
        for (uint256 i = 0; i < data.length; i += 32) {
            bytes32 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 32), i))
            }
            uint256 left = data.length - i;
            if (left < 32) word &= bytes32(type(uint256).max << (8 * (32 - left)));
            if (word != 0) return false;
        }
    }
}
