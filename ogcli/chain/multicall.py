"""Batches contract reads into one eth_call through Multicall3 (aggregate3).

Tables of validators or wallets read dozens of values; one round trip instead of one per value is
what keeps them fast over a remote RPC. Where no Multicall3 is deployed, reads fall back to one
call each, with the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ogcli.chain import abi, jsonrpc
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
    if not has_multicall(w3):
        return [_read_one(r) for r in reads]
    multicall = w3.eth.contract(address=MULTICALL3_ADDRESS, abi=artifacts.abi("Multicall3"))
    chunks = [reads[start : start + MAX_CALLS_PER_BATCH] for start in range(0, len(reads), MAX_CALLS_PER_BATCH)]
    requests = [
        ("eth_call", [{"to": MULTICALL3_ADDRESS, "data": "0x" + _aggregate(multicall, chunk).hex()}, "latest"])
        for chunk in chunks
    ]
    results: list[Any] = []
    for chunk, raw in zip(chunks, jsonrpc.batch(w3, requests)):  # every chunk in one round trip
        answers = abi.decode_output(multicall, "aggregate3", 1, bytes.fromhex(raw[2:]))
        for read, (success, data) in zip(chunk, answers):
            results.append(_decode(read, data) if success else ReadFailed(f"{read.function} reverted"))
    return results


def _aggregate(multicall: Contract, chunk: list[Read]) -> bytes:
    calls = [(r.contract.address, True, abi.encode_call(r.contract, r.function, r.args)) for r in chunk]
    return abi.encode_call(multicall, "aggregate3", [calls])


def remember_code(w3: Web3, code: str) -> None:
    """Records Multicall3's code (hex, as eth_getCode answers), fetched by the caller inside a
    batch of its own, so that `read_many` does not spend a round trip asking for it."""
    w3._ogcli_has_multicall = len(code) > len("0x")


def has_multicall(w3: Web3) -> bool:
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


def _decode(read: Read, data: bytes) -> Any:
    try:
        return abi.decode_output(read.contract, read.function, len(read.args), data)
    except Exception as exc:  # a view answering garbage must not hide the batch's other reads
        return ReadFailed(f"{read.function}: undecodable answer ({str(exc)[:80]})")
