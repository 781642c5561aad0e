"""Batches contract reads into one eth_call through Multicall3 (aggregate3).

Tables of validators or wallets read dozens of values; one round trip instead of one per value is
what keeps them fast over a remote RPC. Where no Multicall3 is deployed, the reads go as plain
eth_calls in one JSON-RPC batch instead, with the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ogcli.chain import abi
from ogcli.chain.abi import Contract, ContractRef
from ogcli.chain.rpc import Endpoint
from ogcli.protocol import artifacts

MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
MAX_CALLS_PER_BATCH = 500  # keeps one eth_call well inside node gas caps


@dataclass(frozen=True)
class Read:
    """One view call: `contract.functions.<function>(*args)`."""

    contract: Contract
    function: str
    args: tuple = ()
    named: bool = False  # the result by the ABI's names (abi.decode_output)


class ReadFailed(Exception):
    """A read in a batch reverted; the batch's other results are still good."""


def read_many(rpc: Endpoint, reads: list[Read]) -> list[Any]:
    """Results in order; a reverting read yields a ReadFailed instance in its place."""
    if not reads:
        return []
    if not has_multicall(rpc):
        return _read_each(rpc, reads)
    multicall = ContractRef(MULTICALL3_ADDRESS, artifacts.abi("Multicall3"))
    chunks = [reads[start : start + MAX_CALLS_PER_BATCH] for start in range(0, len(reads), MAX_CALLS_PER_BATCH)]
    requests = [("eth_call", [_call(multicall, "aggregate3", ([_leg(r) for r in chunk],)), "latest"]) for chunk in chunks]
    results: list[Any] = []
    for chunk, raw in zip(chunks, rpc.batch(requests)):  # every chunk in one round trip
        answers = abi.decode_output(multicall, "aggregate3", 1, bytes.fromhex(raw[2:]))
        for read, (success, data) in zip(chunk, answers):
            results.append(_decode(read, data) if success else ReadFailed(f"{read.function} reverted"))
    return results


def read_one(rpc: Endpoint, read: Read) -> Any:
    """One view call on its own (no Multicall3): its decoded result. A revert raises
    NetworkError with the node's message (callers that expect one catch it)."""
    raw = rpc.request("eth_call", [_call(read.contract, read.function, read.args), "latest"])
    return abi.decode_output(read.contract, read.function, len(read.args), bytes.fromhex(raw[2:]), named=read.named)


def _leg(read: Read) -> tuple:
    return (read.contract.address, True, abi.encode_call(read.contract, read.function, read.args))


def _call(contract: Contract, function: str, args: tuple) -> dict:
    return {"to": contract.address, "data": "0x" + abi.encode_call(contract, function, args).hex()}


def remember_code(rpc: Endpoint, code: str) -> None:
    """Records Multicall3's code (hex, as eth_getCode answers), fetched by the caller inside a
    batch of its own, so that `read_many` does not spend a round trip asking for it."""
    rpc.has_multicall = len(code) > len("0x")


def has_multicall(rpc: Endpoint) -> bool:
    if rpc.has_multicall is None:
        remember_code(rpc, rpc.request("eth_getCode", [MULTICALL3_ADDRESS, "latest"]))
    return rpc.has_multicall


def _read_each(rpc: Endpoint, reads: list[Read]) -> list[Any]:
    replies = rpc.batch_replies([("eth_call", [_call(r.contract, r.function, r.args), "latest"]) for r in reads])
    results = []
    for read, reply in zip(reads, replies):
        if "error" in reply:  # a revert of one read must not hide the others
            results.append(ReadFailed(f"{read.function}: {str(reply['error'].get('message', ''))[:120]}"))
        else:
            results.append(_decode(read, bytes.fromhex(reply["result"][2:])))
    return results


def _decode(read: Read, data: bytes) -> Any:
    try:
        return abi.decode_output(read.contract, read.function, len(read.args), data, named=read.named)
    except Exception as exc:  # a view answering garbage must not hide the batch's other reads
        return ReadFailed(f"{read.function}: undecodable answer ({str(exc)[:80]})")
