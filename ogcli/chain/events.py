"""Protocol event logs as plain records, fetched inside JSON-RPC batches.

A query is built here (`log_filter`), sent by the caller in whatever batch suits it
(`rpc.Endpoint.batch`), and the raw logs are decoded back (`decode`). Timestamps come with the logs
where the node includes `blockTimestamp` (Anvil and current clients do); `fill_timestamps`
fetches the blocks of the rest in one batch, so a node without it costs one extra round trip,
not one per block.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ogcli.chain import abi

if TYPE_CHECKING:
    from ogcli.chain.abi import Contract
    from ogcli.chain.rpc import Endpoint


@dataclass(frozen=True)
class Event:
    name: str
    args: dict[str, Any]
    block: int
    log_index: int
    timestamp: int | None  # None until filled where the node left it out
    tx_hash: str


def log_filter(contract: Contract, names: tuple[str, ...], from_block: int, to_block: int | str = "latest") -> dict:
    """eth_getLogs parameters for the named events of one contract (one query, topic0 OR-list)."""
    topics = [abi.event_abi(contract, name).topic for name in names]
    return {"address": contract.address, "topics": [topics], "fromBlock": _block(from_block), "toBlock": _block(to_block)}


def decode(contract: Contract, names: tuple[str, ...], raw_logs: list[dict]) -> list[Event]:
    """The logs of `names` among `raw_logs` (as the node sent them), in chain order."""
    by_topic = {abi.event_abi(contract, name).topic: abi.event_abi(contract, name) for name in names}
    events = []
    for log in raw_logs:
        event = by_topic.get(log["topics"][0].lower()) if log["topics"] else None
        if event is None or log.get("removed"):
            continue
        stamp = log.get("blockTimestamp")
        events.append(
            Event(
                name=event.name,
                args=abi.decode_event(contract, event, log["topics"], log["data"]),
                block=int(log["blockNumber"], 16),
                log_index=int(log["logIndex"], 16),
                timestamp=int(stamp, 16) if stamp is not None else None,
                tx_hash=log["transactionHash"],
            )
        )
    events.sort(key=lambda e: (e.block, e.log_index))
    return events


def fill_timestamps(rpc: Endpoint, events: list[Event]) -> list[Event]:
    """`events` with every timestamp set; blocks are fetched (one batch per 500) only for the
    events whose node left `blockTimestamp` out."""
    missing = sorted({e.block for e in events if e.timestamp is None})
    if not missing:
        return events
    stamps: dict[int, int] = {}
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        blocks = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
        stamps.update((number, int(block["timestamp"], 16)) for number, block in zip(chunk, blocks))
    return [e if e.timestamp is not None else replace(e, timestamp=stamps[e.block]) for e in events]


def _block(block: int | str) -> str:
    return hex(block) if isinstance(block, int) else block
