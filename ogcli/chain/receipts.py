"""Settled calls read back from chain: by request id or settlement transaction, or by payer; and
the ERC-3009 transfer that paid for one of them."""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain import events as event_logs
from ogcli.chain.contracts import Protocol
from ogcli.chain.multicall import Read, read_one
from ogcli.core.records import record_tuple
from ogcli.core.records import exact_request_id
from ogcli.errors import UsageError

SETTLED = ("InferenceSettled",)
PAYMENT_EVENTS = ("AuthorizationUsed", "Transfer")


@dataclass(frozen=True)
class SettledCall:
    record_id: int
    record: dict  # modelId, inputHash, outputHash, requestId, timestamp, mode, enclaveSigner, signature
    payer: str
    node: str
    fee_wei: int
    publisher_wei: int
    node_wei: int
    validators_wei: int
    treasury_wei: int
    tx_hash: str
    block: int
    log_index: int  # of its InferenceSettled log: where in the block it settled
    settled_at: int

    def as_argument(self) -> tuple:
        """The contract's SettledCall (record, payer, node, fee): what every dispute passes back."""
        return (record_tuple(self.record), self.payer, self.node, self.fee_wei)


@dataclass(frozen=True)
class AuthorizedTransfer:
    """An ERC-3009 authorization used in a transaction, and the transfer it made."""

    nonce: bytes
    sender: str
    to: str
    value_wei: int


def _topic(value: int | str) -> str:
    if isinstance(value, int):
        return "0x" + value.to_bytes(32, "big").hex()
    return "0x" + bytes.fromhex(value[2:]).rjust(32, b"\0").hex()


def from_event(e) -> SettledCall:
    """The settled call an `InferenceSettled` event (decoded, with its timestamp) describes."""
    a = e.args
    return SettledCall(
        record_id=a["recordId"], record=dict(a["record"]), payer=a["payer"], node=a["node"], fee_wei=a["fee"],
        publisher_wei=a["publisherCut"], node_wei=a["nodeCut"], validators_wei=a["validatorCut"],
        treasury_wei=a["treasuryCut"], tx_hash=e.tx_hash, block=e.block, log_index=e.log_index,
        settled_at=e.timestamp,
    )


def find(protocol: Protocol, ref: str) -> SettledCall:
    """The settled call a request id or a settlement transaction hash names (UsageError if none)."""
    text = ref.strip().lower()
    if not (text.startswith("0x") and len(text) == 66):
        raise UsageError(f"give a request id or a transaction hash (0x and 64 hex digits), not {ref!r}")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise UsageError(f"{ref!r} is not hex") from None
    settlement = protocol.settlement
    record_id = read_one(protocol.rpc, Read(settlement, "recordIdByRequest", (bytes.fromhex(text[2:]),)))
    query = event_logs.log_filter(settlement, SETTLED, protocol.deployment.block)
    if record_id:
        query["topics"].append(_topic(record_id))
        raw = protocol.rpc.batch([("eth_getLogs", [query])])[0]
    else:
        receipt = protocol.rpc.batch([("eth_getTransactionReceipt", [text])])[0]
        if receipt is None:
            raise UsageError(f"{ref} is neither a settled request id nor a transaction on this network")
        raw = [log for log in receipt["logs"] if log["address"].lower() == settlement.address.lower()]
    calls = [from_event(e) for e in event_logs.fill_timestamps(protocol.rpc, event_logs.decode(settlement, SETTLED, raw))]
    if not calls:
        raise UsageError(f"{ref} settled no inference call")
    if len(calls) > 1:
        ids = ", ".join("0x" + bytes(c.record["requestId"]).hex() for c in calls)
        raise UsageError(f"transaction {ref} settled {len(calls)} calls; verify one by its request id ({ids})")
    return calls[0]


def by_record_id(protocol: Protocol, record_id: int) -> SettledCall:
    """The settled call `record_id` names, from its event (UsageError if there is none)."""
    settlement = protocol.settlement
    query = event_logs.log_filter(settlement, SETTLED, protocol.deployment.block)
    query["topics"].append(_topic(record_id))
    raw = protocol.rpc.batch([("eth_getLogs", [query])])[0]
    calls = [from_event(e) for e in event_logs.fill_timestamps(protocol.rpc, event_logs.decode(settlement, SETTLED, raw))]
    if not calls:
        raise UsageError(f"there is no settled record {record_id}")
    return calls[0]


def by_payer(protocol: Protocol, payer: str, limit: int) -> list[SettledCall]:
    settlement = protocol.settlement
    query = event_logs.log_filter(settlement, SETTLED, protocol.deployment.block)
    query["topics"] += [None, None, _topic(payer)]
    raw = protocol.rpc.batch([("eth_getLogs", [query])])[0]
    calls = [from_event(e) for e in event_logs.fill_timestamps(protocol.rpc, event_logs.decode(settlement, SETTLED, raw))]
    return sorted(calls, key=lambda c: c.record_id, reverse=True)[:limit]


def paying_transfer(token, raw_logs: list[dict], payer: str, request_id: bytes) -> AuthorizedTransfer | None:
    """Among a transaction's logs (as eth_getTransactionReceipt gives them), the transfer that
    paid for `request_id`: the token's AuthorizationUsed of `payer` and the Transfer right after
    it, which ERC-3009 emits for that authorization, whose nonce and recipient (the node's till)
    make that request id (keccak(till || payer || nonce)). None when no authorization of the payer
    gives the id. A batch settling several calls of one payer holds several such pairs: each
    belongs to one call only."""
    own = [log for log in raw_logs if log["address"].lower() == token.address.lower()]
    events = event_logs.decode(token, PAYMENT_EVENTS, own)
    for position, event in enumerate(events):
        if event.name != "AuthorizationUsed" or event.args["authorizer"].lower() != payer.lower():
            continue
        transfer = next((e for e in events[position + 1 :] if e.name == "Transfer"), None)
        if transfer is None:
            continue
        nonce = bytes(event.args["nonce"])
        if exact_request_id(transfer.args["to"], payer, nonce) != bytes(request_id):
            continue
        return AuthorizedTransfer(nonce=nonce, sender=transfer.args["from"], to=transfer.args["to"],
                                  value_wei=transfer.args["value"])
    return None


def prior_authorizations(protocol: Protocol, payer: str, before_block: int) -> list[str]:
    """The transactions, up to `before_block`, in which an ERC-3009 authorization of `payer` was
    used: where to look for a payment executed before its settlement (anyone may execute an
    authorization straight on the token; its node's settlement then takes it from the till)."""
    token = protocol.token
    query = event_logs.log_filter(token, ("AuthorizationUsed",), protocol.deployment.block, before_block)
    query["topics"].append(_topic(payer))
    raw = protocol.rpc.batch([("eth_getLogs", [query])])[0]
    return list(dict.fromkeys(log["transactionHash"] for log in raw))
