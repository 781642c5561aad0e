"""Batches contract reads into one eth_call through Multicall3 (aggregate3).

Tables of validators or wallets read dozens of values; one round trip instead of one per value is
what keeps them fast over a remote RPC. Where no Multicall3 is deployed, reads fall back to one
call each, with the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ogcli.protocol import artifacts

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
MAX_CALLS_PER_BATCH = 500  # keeps one eth_call well inside node gas caps


@dataclass(frozen=True)
class Read:
    """One view call: `contract.functions.<function>(*args)`."""

    contract: Contract
    function: str
    args: tuple = ()


class ReadFailed(Exception):
    """A read in a batch reverted; the batch's other results are still good."""


def read_many(w3: Web3, reads: list[Read]) -> list[Any]:
    """Results in order; a reverting read yields a ReadFailed instance in its place."""
    if not reads:
        return []
    if not _has_multicall(w3):
        return [_read_one(r) for r in reads]
    multicall = w3.eth.contract(address=MULTICALL3_ADDRESS, abi=artifacts.abi("Multicall3"))
    results: list[Any] = []
    for start in range(0, len(reads), MAX_CALLS_PER_BATCH):
        chunk = reads[start : start + MAX_CALLS_PER_BATCH]
        calls = [(r.contract.address, True, r.contract.encode_abi(r.function, args=list(r.args))) for r in chunk]
        for read, (success, data) in zip(chunk, multicall.functions.aggregate3(calls).call()):
            results.append(_decode(w3, read, data) if success else ReadFailed(f"{read.function} reverted"))
    return results


def _has_multicall(w3: Web3) -> bool:
    cached = getattr(w3, "_ogcli_has_multicall", None)
    if cached is None:
        cached = len(w3.eth.get_code(MULTICALL3_ADDRESS)) > 0
        w3._ogcli_has_multicall = cached
    return cached


def _read_one(read: Read) -> Any:
    try:
        return getattr(read.contract.functions, read.function)(*read.args).call()
    except Exception as exc:  # a revert of one read must not hide the others
        return ReadFailed(f"{read.function}: {str(exc)[:120]}")


def _decode(w3: Web3, read: Read, data: bytes) -> Any:
    # Matched by name and arity: OpenZeppelin overloads some views (released() / released(token)).
    abi = next(
        item
        for item in read.contract.abi
        if item.get("type") == "function" and item["name"] == read.function and len(item["inputs"]) == len(read.args)
    )
    output_types = [_type(o) for o in abi["outputs"]]
    values = w3.codec.decode(output_types, data)
    return values[0] if len(values) == 1 else list(values)


def _type(param: dict) -> str:
    if param["type"].startswith("tuple"):
        return f"({','.join(_type(c) for c in param['components'])}){param['type'][5:]}"
    return param["type"]
