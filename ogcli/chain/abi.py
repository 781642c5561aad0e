"""ABI encoding and decoding for the hot read paths (Multicall batches, event logs).

web3's contract layer re-validates the whole ABI and recomputes every selector on each call;
over a 100-validator table that was most of the time. Here each function and event is looked up
once and encoded or decoded with `chain.codec` directly (plain Python: no web3 or eth_abi import,
so a read command starts fast). Addresses come back EIP-55 checksummed, as from web3, so values
from either path compare equal.

A contract here is anything with `.address` and `.abi`: a web3 Contract or a `ContractRef`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ogcli.chain import codec
from ogcli.chain.codec import checksum


class Contract(Protocol):
    address: str
    abi: list[dict]


@dataclass(frozen=True, eq=False)
class ContractRef:
    """A deployed contract for reading: its address and ABI, no connection (see chain.contracts)."""

    address: str
    abi: list[dict]


@dataclass(frozen=True)
class FunctionAbi:
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[dict, ...]


@dataclass(frozen=True)
class EventAbi:
    name: str
    topic: str  # 0x-prefixed lowercase keccak of the signature
    inputs: tuple[dict, ...]


_functions: dict[tuple[str, str, int], FunctionAbi] = {}  # by (lowercase address, name, arity)
_events: dict[tuple[str, str], EventAbi] = {}
_by_selector: dict[str, dict[bytes, dict]] = {}  # lowercase address -> selector -> ABI item


def function_abi(contract: Contract, name: str, arity: int) -> FunctionAbi:
    return function_abi_of(contract.address, contract.abi, name, arity)


def function_abi_of(address: str, contract_abi: list[dict], name: str, arity: int) -> FunctionAbi:
    """The function's selector and types in a raw ABI (for callers holding no web3 Contract)."""
    # Matched by name and arity: OpenZeppelin overloads some views (released() / released(token)).
    key = (address.lower(), name, arity)
    if key not in _functions:
        item = next(
            i for i in contract_abi if i.get("type") == "function" and i["name"] == name and len(i["inputs"]) == arity
        )
        inputs = tuple(abi_type(p) for p in item["inputs"])
        selector = _keccak(f"{name}({','.join(inputs)})")[:4]
        _functions[key] = FunctionAbi(selector, inputs, tuple(item["outputs"]))
    return _functions[key]


def encode_call(contract: Contract, name: str, args: tuple | list) -> bytes:
    fn = function_abi(contract, name, len(args))
    return fn.selector + codec.encode(fn.inputs, args)


def decode_output(contract: Contract, name: str, arity: int, data: bytes, *, named: bool = False) -> Any:
    """What `contract.functions.<name>(...).call()` would return for `data`. `named`: structs as
    dicts by their fields' names, and several outputs as a dict by theirs (`view["endpoint"]`,
    not `view[7]`: a field added to a struct moves no reader)."""
    fn = function_abi(contract, name, arity)
    values = codec.decode([abi_type(p) for p in fn.outputs], data)
    values = [_normalize(p, v, as_dict=named) for p, v in zip(fn.outputs, values)]
    if len(values) == 1:
        return values[0]
    return {p["name"]: v for p, v in zip(fn.outputs, values)} if named else list(values)


def decode_call(contract: Contract, calldata: bytes) -> tuple[str, dict[str, Any]]:
    """The function name and named arguments of calldata for `contract` (what web3's
    decode_function_input gives); CodecError when no function of the ABI has its selector."""
    key = contract.address.lower()
    if key not in _by_selector:
        _by_selector[key] = {
            _keccak(f"{i['name']}({','.join(abi_type(p) for p in i['inputs'])})")[:4]: i
            for i in contract.abi
            if i.get("type") == "function"
        }
    calldata = bytes(calldata)
    item = _by_selector[key].get(calldata[:4])
    if item is None:
        raise codec.CodecError(f"no function of the ABI has selector 0x{calldata[:4].hex()}")
    values = codec.decode([abi_type(p) for p in item["inputs"]], calldata[4:], calldata=True)
    return item["name"], {p["name"]: _normalize(p, v, as_dict=True) for p, v in zip(item["inputs"], values)}


def event_abi(contract: Contract, name: str) -> EventAbi:
    key = (contract.address, name)
    if key not in _events:
        item = next(i for i in contract.abi if i.get("type") == "event" and i["name"] == name)
        signature = f"{name}({','.join(abi_type(p) for p in item['inputs'])})"
        _events[key] = EventAbi(name, "0x" + _keccak(signature).hex(), tuple(item["inputs"]))
    return _events[key]


def decode_event(contract: Contract, event: EventAbi, topics: list[str], data: str) -> dict[str, Any]:
    """The arguments of one raw log (hex strings as JSON-RPC returns them). Indexed dynamic
    values (strings, arrays, structs) are only their hash in a log and come back as bytes.

    Static values (addresses, integers, booleans, fixed bytes) are read straight from their
    32-byte words; only logs with dynamic data go through the codec. Most protocol events are
    all-static, and this is what lets the indexer keep up with a busy chain."""
    args: dict[str, Any] = {}
    indexed = [p for p in event.inputs if p["indexed"]]
    for param, topic in zip(indexed, topics[1:]):
        raw = bytes.fromhex(topic[2:])
        kind = abi_type(param)
        if kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("("):
            args[param["name"]] = raw
        else:
            args[param["name"]] = _static_word(kind, raw)
    plain = [p for p in event.inputs if not p["indexed"]]
    body = bytes.fromhex(data[2:])
    kinds = [abi_type(p) for p in plain]
    if all(_is_static_word(k) for k in kinds) and len(body) >= 32 * len(kinds):
        values = [_static_word(k, body[32 * i : 32 * i + 32]) for i, k in enumerate(kinds)]
    else:
        values = [_normalize(p, v, as_dict=True) for p, v in zip(plain, codec.decode(kinds, body))]
    for param, value in zip(plain, values):
        args[param["name"]] = value
    return {p["name"]: args[p["name"]] for p in event.inputs}


def _is_static_word(kind: str) -> bool:
    return kind in ("address", "bool") or kind.startswith(("uint", "int")) or (
        kind.startswith("bytes") and kind != "bytes" and not kind.endswith("]"))


def _static_word(kind: str, word: bytes) -> Any:
    """One 32-byte ABI word as the codec would decode it (addresses checksummed)."""
    if kind == "address":
        return checksum("0x" + word[12:].hex())
    if kind == "bool":
        return word[-1] == 1
    if kind.startswith("uint"):
        return int.from_bytes(word, "big")
    if kind.startswith("int"):
        return int.from_bytes(word, "big", signed=True)
    return word[: int(kind[5:])]  # bytesN: left-aligned


def _keccak(text: str) -> bytes:
    from ogcli.core.records import keccak

    return keccak(text.encode())


def abi_type(param: dict) -> str:
    if param["type"].startswith("tuple"):
        return f"({','.join(abi_type(c) for c in param['components'])}){param['type'][5:]}"
    return param["type"]


def _normalize(param: dict, value: Any, *, as_dict: bool) -> Any:
    kind = param["type"]
    if kind.endswith("]"):
        inner = dict(param, type=kind[: kind.rindex("[")])
        return [_normalize(inner, v, as_dict=as_dict) for v in value]
    if kind == "address":
        return checksum(value)
    if kind == "tuple":
        items = [_normalize(c, v, as_dict=as_dict) for c, v in zip(param["components"], value)]
        return {c["name"]: v for c, v in zip(param["components"], items)} if as_dict else tuple(items)
    return value
