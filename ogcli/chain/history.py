"""What the settlement's parameters and a model's price were at a point of the chain, read from
the events that set them (ParamsChanged, ModelPublished, PriceChanged) rather than from state as
of an old block, which a restarted devnet (Anvil's saved state) or a pruned node no longer has.

Every value in force at a point is the last one set strictly before it, in (block, log index)
order: a settlement and a governance change in one block are ordered as the chain ran them, which
a read "as of block N" (the state after the whole block) would get wrong for the earlier one.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ogcli.chain import events as event_logs

if TYPE_CHECKING:
    from ogcli.chain.contracts import Protocol
    from ogcli.chain.events import Event

LOG_SPAN = 2_000  # blocks per eth_getLogs query: public endpoints cap the range of one
QUERIES_PER_BATCH = 50  # eth_getLogs queries sent in one JSON-RPC batch
PARAMS_EVENTS = ("ParamsChanged",)
PRICE_EVENTS = ("ModelPublished", "PriceChanged")

Value = TypeVar("Value")


class HistoryMissing(Exception):
    """No event sets the value before the point asked about: this endpoint does not serve the
    logs that far back (pruned), or the deployment's first block is wrong."""


@dataclass(frozen=True, order=True)
class Point:
    """A place in the chain, between two logs: what a log at (block, log_index) saw."""

    block: int
    log_index: int


@dataclass(frozen=True)
class SettlementParams:
    validator_fee_bps: int
    treasury_fee_bps: int
    rewarded_attesters: int
    challenge_window_s: int
    slash_fraction_bps: int
    challenger_reward_bps: int

    @classmethod
    def from_event(cls, params: Any) -> SettlementParams:
        """From ParamsChanged's `params` (a struct, decoded by name or by position)."""
        names = ("validatorFeeBps", "treasuryFeeBps", "rewardedAttesters", "challengeWindow", "slashFractionBps",
                 "challengerRewardBps")
        values = [params[name] for name in names] if isinstance(params, dict) else list(params)
        return cls(*values)


class Timeline(Generic[Value]):
    """Values set at points of the chain; `at(point)` is the one in force there."""

    def __init__(self, what: str) -> None:
        self.what = what  # named in HistoryMissing
        self._points: list[Point] = []
        self._values: list[Value] = []

    def set(self, point: Point, value: Value) -> None:
        index = bisect.bisect_left(self._points, point)
        if index < len(self._points) and self._points[index] == point:
            self._values[index] = value  # the same log seen twice (a rescanned span)
            return
        self._points.insert(index, point)
        self._values.insert(index, value)

    def at(self, point: Point) -> Value:
        """The value last set strictly before `point`; HistoryMissing when none was."""
        index = bisect.bisect_left(self._points, point) - 1
        if index < 0:
            raise HistoryMissing(f"no event before block {point.block} sets the {self.what}")
        return self._values[index]

    def __len__(self) -> int:
        return len(self._points)


def params_timeline() -> Timeline[SettlementParams]:
    return Timeline("settlement parameters")


def add_params_events(timeline: Timeline[SettlementParams], events: list[Event]) -> None:
    for event in events:
        if event.name == "ParamsChanged":
            timeline.set(Point(event.block, event.log_index), SettlementParams.from_event(event.args["params"]))


@dataclass(frozen=True)
class PriceSet:
    """A price change as ModelHub made it: `old` (the price in force then) until `effective_at`,
    `new` from then on (ModelHub.TERMS_DELAY after a rise, at once for a cut or a new model)."""

    old: int
    new: int
    effective_at: int

    def at(self, time: int) -> int:
        """The price a call settled at block time `time` paid (the contract's priceAt)."""
        return self.old if time < self.effective_at else self.new


def add_price_events(timeline: Timeline[PriceSet], events: list[Event]) -> None:
    for event in events:
        if event.name == "ModelPublished":
            price = event.args["pricePerCall"]
            timeline.set(Point(event.block, event.log_index), PriceSet(price, price, 0))
        elif event.name == "PriceChanged":
            timeline.set(Point(event.block, event.log_index),
                         PriceSet(event.args["oldPrice"], event.args["newPrice"], event.args["effectiveAt"]))


def scan_params(protocol: Protocol, timeline: Timeline[SettlementParams], from_block: int, to_block: int) -> None:
    """Adds the ParamsChanged events between the two blocks (inclusive) to `timeline`."""
    [events] = _scan(protocol, [(protocol.settlement, PARAMS_EVENTS, ())], from_block, to_block)
    add_params_events(timeline, events)


def terms_at(protocol: Protocol, model_id: int, point: Point) -> tuple[SettlementParams, int]:
    """(the settlement's parameters, the model's price per call) in force at `point`, from their
    events since the deployment, both histories in the same batches (a price by the block time of
    `point`: a rise waits out ModelHub.TERMS_DELAY). HistoryMissing when either has no event
    before the point; NetworkError when the endpoint refuses the queries."""
    model_topic = "0x" + model_id.to_bytes(32, "big").hex()
    params_events, price_events = _scan(
        protocol, [(protocol.settlement, PARAMS_EVENTS, ()), (protocol.hub, PRICE_EVENTS, (model_topic,))],
        protocol.deployment.block, point.block)
    params, prices = params_timeline(), Timeline[PriceSet](f"price of model {model_id}")
    add_params_events(params, params_events)
    add_price_events(prices, price_events)
    price = prices.at(point)
    if price.effective_at:  # a change: when it applies depends on the settling block's time
        return params.at(point), price.at(protocol.w3.eth.get_block(point.block)["timestamp"])
    return params.at(point), price.new


def _scan(protocol: Protocol, sources: list[tuple[Any, tuple[str, ...], tuple[str, ...]]], from_block: int,
          to_block: int) -> list[list[Event]]:
    """The events of each (contract, event names, extra topics) source between the blocks, in
    chain order: LOG_SPAN blocks per query, QUERIES_PER_BATCH queries per round trip."""
    queries: list[tuple[int, dict]] = []
    for start in range(max(from_block, 0), to_block + 1, LOG_SPAN):
        end = min(to_block, start + LOG_SPAN - 1)
        for index, (contract, names, topics) in enumerate(sources):
            query = event_logs.log_filter(contract, names, start, end)
            query["topics"] += list(topics)
            queries.append((index, query))
    raw: list[list[dict]] = [[] for _ in sources]
    for first in range(0, len(queries), QUERIES_PER_BATCH):
        chunk = queries[first : first + QUERIES_PER_BATCH]
        for (index, _query), logs in zip(chunk, protocol.rpc.batch([("eth_getLogs", [q]) for _i, q in chunk])):
            raw[index] += logs
    return [event_logs.decode(contract, names, logs) for (contract, names, _topics), logs in zip(sources, raw)]
