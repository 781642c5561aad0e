"""ModelHub reads: the catalogue (paged, one call per 500 models) and one model's history."""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain import abi
from ogcli.chain import events as event_logs
from ogcli.chain.contracts import Protocol
from ogcli.chain.events import Event
from ogcli.chain.multicall import Read, ReadFailed, read_many, read_one
from ogcli.core import model_metadata
from ogcli.errors import NetworkError, UsageError

PAGE = 500
MAX_PRICE_PER_CALL_WEI = 1_000_000 * 10**18  # ModelHub.MAX_PRICE_PER_CALL
HISTORY_EVENTS = ("ModelPublished", "ModelVersionPublished", "PriceChanged", "ModelDeprecated", "ModelTransferred")


@dataclass(frozen=True)
class Model:
    id: int
    publisher: str
    name: str
    cid: str
    sha256: bytes
    price_wei: int
    modes: int
    metadata_uri: str
    version: int
    deprecated: bool
    published_at: int
    calls: int
    earned_wei: int

    @property
    def metadata(self) -> dict:
        return model_metadata.parse(self.metadata_uri)


def model_from(view) -> Model:
    return Model(
        id=view[0], publisher=view[1], name=view[2], cid=view[3], sha256=bytes(view[4]), price_wei=view[5],
        modes=view[6], metadata_uri=view[7], version=view[8], deprecated=view[9], published_at=view[10],
        calls=view[11], earned_wei=view[12],
    )


def list_models(protocol: Protocol) -> list[Model]:
    models: list[Model] = []
    while True:
        page = read_one(protocol.rpc, Read(protocol.hub, "listModels", (len(models), PAGE)))
        models += [model_from(v) for v in page]
        if len(page) < PAGE:
            return models


def model_history(protocol: Protocol, model_id: int) -> tuple[Model, list[Event]]:
    """The model and its events (publication, versions, price changes, deprecation, transfers),
    in one JSON-RPC batch. Raises the contract's UnknownModel as a RevertedError."""
    hub = protocol.hub
    query = event_logs.log_filter(hub, HISTORY_EVENTS, protocol.deployment.block)
    query["topics"].append("0x" + model_id.to_bytes(32, "big").hex())
    call = {"to": hub.address, "data": "0x" + abi.encode_call(hub, "getModel", (model_id,)).hex()}
    try:
        raw_model, logs = protocol.rpc.batch([("eth_call", [call, "latest"]), ("eth_getLogs", [query])])
    except NetworkError as exc:
        if "revert" in str(exc).lower():  # getModel's UnknownModel
            raise UsageError(f"there is no model {model_id} (see `ogcli model list`)") from None
        raise
    model = model_from(abi.decode_output(hub, "getModel", 1, bytes.fromhex(raw_model[2:])))
    events = event_logs.fill_timestamps(protocol.rpc, event_logs.decode(hub, HISTORY_EVENTS, logs))
    return model, events


def find_model(protocol: Protocol, model_id: int) -> Model:
    """The model, or a UsageError naming the unknown id."""
    count, view = (0, None) if model_id < 1 else read_many(
        protocol.rpc, [Read(protocol.hub, "modelCount"), Read(protocol.hub, "getModel", (model_id,))])
    if not 1 <= model_id <= count or isinstance(view, ReadFailed):
        raise UsageError(f"there is no model {model_id} (see `ogcli model list`)")
    return model_from(view)
