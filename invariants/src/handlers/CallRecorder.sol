// SPDX-License-Identifier: MIT
pragma solidity ^0.8.26;

import {VM} from "../Vm.sol";

/// @notice Base of every handler: `_call` makes one call to a real contract as an actor and
/// records what happened, so invariants can be written over the calls as well as over the state:
/// - per target selector: calls, reverts, and the most gas any call used (`stats`, for I5);
/// - panics (`Panic(uint256)`: arithmetic overflow, division by zero, out-of-bounds, assert) and
///   reverts without data: the contracts revert with custom errors only, so either one is a bug
///   that a plain state invariant would miss (the handler swallows reverts to keep the run going).
abstract contract CallRecorder {
    /// @dev EIP-7825 (Osaka) caps a transaction's gas at 2^24; everything a user must be able to
    /// call has to fit, in every state the protocol can reach.
    uint256 public constant TX_GAS_CAP = 1 << 24;
    bytes4 internal constant PANIC = 0x4e487b71; // Panic(uint256)

    struct Stats {
        uint64 calls;
        uint64 reverts;
        uint64 maxGas; // execution gas of the call, cold storage (see _call)
        uint64 maxTxGas; // gas of a transaction making the same call (_txGas)
    }

    /// @dev Keyed by target selector, XORed with the target's tag (`_tag`; 0 for most targets): two
    /// contracts of one handler may share a selector (`withdraw()`: ModelHub and NodeBonds).
    mapping(bytes4 selector => Stats) public stats;
    /// @notice Readable names of target selectors, for reports (`_name` in the handler's constructor).
    mapping(bytes4 selector => string) public selectorName;
    bytes4[] internal _seenSelectors;
    mapping(address target => bytes4) internal _targetTag;

    /// @notice The largest `maxTxGas` of any selector, and that selector (I5 reads one slot per check).
    uint64 public maxTxGasAny;
    bytes4 public maxTxGasSelector;

    uint256 public panics;
    uint256 public emptyReverts;
    bytes4 public firstBadSelector; // target selector of the first panic or empty revert
    bytes public firstBadRevert; // its revert data

    /// @notice Every target selector `_call` has seen (for reports and per-selector invariants).
    function seenSelectors() external view returns (bytes4[] memory) {
        return _seenSelectors;
    }

    function _name(bytes4 selector, string memory name) internal {
        selectorName[selector] = name;
    }

    /// @dev Gives `target`'s calls their own keys in `stats` (name them with `_key(target, selector)`).
    function _tag(address target, bytes4 tag) internal {
        _targetTag[target] = tag;
    }

    function _key(address target, bytes4 selector) internal view returns (bytes4) {
        return selector ^ _targetTag[target];
    }

    /// @dev Calls `target` with `data` as `actor` (msg.sender), measuring its gas. The target and
    /// `alsoCool` (e.g. the token it moves) are made cold first, so the measure is what a fresh
    /// transaction pays even when the handler read them just before. Never reverts.
    /// Only for the first state-changing call of an action: `vm.cool` also un-touches the account,
    /// and forge then drops whatever an earlier call of the same action wrote to it (seen: a
    /// slash's token transfer vanished while Staking's books kept it). Later calls: `_callAgain`.
    function _call(address actor, address target, bytes memory data, address alsoCool)
        internal
        returns (bool ok, bytes memory ret)
    {
        bytes4 selector = bytes4(data) ^ _targetTag[target];
        VM.cool(target);
        if (alsoCool != address(0)) VM.cool(alsoCool);
        VM.prank(actor);
        uint256 before = gasleft();
        (ok, ret) = target.call(data);
        uint256 used = before - gasleft();
        _record(selector, ok, ret, used, data);
    }

    /// @dev `_call` without cooling, for a call that follows another state-changing call in the
    /// same action (its gas is then measured warm: a lower bound).
    function _callAgain(address actor, address target, bytes memory data) internal returns (bool ok, bytes memory ret) {
        bytes4 selector = bytes4(data) ^ _targetTag[target];
        VM.prank(actor);
        uint256 before = gasleft();
        (ok, ret) = target.call(data);
        uint256 used = before - gasleft();
        _record(selector, ok, ret, used, data);
    }

    function _record(bytes4 selector, bool ok, bytes memory ret, uint256 used, bytes memory data) internal {
        Stats storage s = stats[selector];
        if (s.calls == 0) _seenSelectors.push(selector);
        s.calls += 1;
        if (used > s.maxGas) s.maxGas = uint64(used);
        uint256 txGas = _txGas(used, data);
        if (txGas > s.maxTxGas) s.maxTxGas = uint64(txGas);
        if (txGas > maxTxGasAny) {
            maxTxGasAny = uint64(txGas);
            maxTxGasSelector = selector;
        }
        if (ok) return;
        s.reverts += 1;
        bool bad = ret.length == 0 || (ret.length >= 4 && bytes4(ret) == PANIC);
        if (!bad) return;
        if (ret.length == 0) emptyReverts += 1;
        else panics += 1;
        if (firstBadSelector == bytes4(0)) {
            firstBadSelector = selector;
            firstBadRevert = ret;
        }
    }

    /// @dev Gas of a transaction that makes this call with `data` and uses `execution` gas
    /// (Prague, EIP-7623): 21000 + max(4 * tokens + execution, 10 * tokens), where tokens = zero
    /// bytes + 4 * non-zero bytes of calldata. (The measured execution includes the CALL's own cold
    /// account access, which a transaction pays as part of its 21000: a slight overestimate.)
    /// Non-zero bytes are counted a word at a time (the harness is compiled without the optimizer,
    /// and a byte loop over every call's calldata was a third of a settle-heavy run's time).
    function _txGas(uint256 execution, bytes memory data) internal pure returns (uint256) {
        uint256 tokens = data.length + 3 * _nonZeroBytes(data);
        uint256 standard = 4 * tokens + execution;
        uint256 floor = 10 * tokens;
        return 21_000 + (standard > floor ? standard : floor);
    }

    /// @dev Per 32-byte word (the last one masked to the data's end): OR-fold each byte into its
    /// lowest bit, keep those bits, and sum the 32 of them with one multiplication (the top byte
    /// of x * 0x0101..01 is the sum of x's bytes, each 0 or 1).
    function _nonZeroBytes(bytes memory data) internal pure returns (uint256 count) {
        assembly ("memory-safe") {
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            let ptr := add(data, 0x20)
            let end := add(ptr, mload(data))
            for {} lt(ptr, end) { ptr := add(ptr, 0x20) } {
                let w := mload(ptr)
                let left := sub(end, ptr)
                if lt(left, 0x20) { w := and(w, not(sub(shl(mul(8, sub(0x20, left)), 1), 1))) }
                let x := or(w, shr(1, w))
                x := or(x, shr(2, x))
                x := or(x, shr(4, x))
                count := add(count, shr(248, mul(and(x, ones), ones)))
            }
        }
    }
}
