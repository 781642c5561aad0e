"""Turns revert data into words: custom errors of every protocol contract, Error(string), Panic."""

from __future__ import annotations

import functools

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector

from ogcli.protocol import artifacts

_PANICS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x31: "pop from an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialized function",
}


@functools.cache
def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    """selector -> (name, input types, input names) over every committed artifact's ABI."""
    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for abi in artifacts.all_abis():
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [_abi_type(i) for i in item["inputs"]]
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = (item["name"], types, [i["name"] for i in item["inputs"]])
    return table


def _abi_type(param: dict) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


def describe(data: bytes | str | None) -> str:
    """A one-line description of revert `data`."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x")) if data.startswith("0x") else None
    if not data:
        return "reverted without a reason"
    selector, payload = data[:4], data[4:]
    if selector == bytes.fromhex("08c379a0"):
        return decode(["string"], payload)[0]
    if selector == bytes.fromhex("4e487b71"):
        code = decode(["uint256"], payload)[0]
        return f"panic: {_PANICS.get(code, hex(code))}"
    known = _error_table().get(selector)
    if known is None:
        return f"reverted with unknown error 0x{data.hex()[:72]}"
    name, types, names = known
    try:
        values = decode(types, payload)
    except Exception:  # malformed payload for a known selector: still name the error
        return name
    args = ", ".join(f"{n}={_fmt(v)}" if n else _fmt(v) for n, v in zip(names, values))
    return f"{name}({args})"


def _fmt(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
