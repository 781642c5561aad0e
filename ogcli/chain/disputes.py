"""Evidence against attestations: which records fail a dispute ground, and which validators
vouched for them while their challenge window is open.

Grounds, as InferenceSettlement checks them: 1, the result's signature does not recover to the
enclave signer; 2, the signer is not a registered enclave; 3, the enclave's measurement was not
approved at the record's time. Only TEE records can be disputed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain import events as event_logs
from ogcli.chain import jsonrpc
from ogcli.chain.contracts import Protocol
from ogcli.core import typed_data
from ogcli.core.model_metadata import MODES

GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER, GROUND_NOT_APPROVED = 1, 2, 3
GROUND_NAMES = {
    GROUND_BAD_SIGNATURE: "the signature is not the enclave's",
    GROUND_UNKNOWN_SIGNER: "the signer is not a registered enclave",
    GROUND_NOT_APPROVED: "the enclave was not approved at the time",
}


def recover_result_signer(chain_id: int, settlement: str, record: dict) -> str | None:
    """Who signed the record's result (EIP-712 InferenceResult), or None for a malformed signature."""
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    message = typed_data.inference_result(record["modelId"], bytes(record["inputHash"]), bytes(record["outputHash"]),
                                          bytes(record["requestId"]), record["timestamp"])
    try:
        return Account.recover_message(
            encode_typed_data(typed_data.settlement_domain(chain_id, settlement), typed_data.INFERENCE_RESULT_TYPES, message),
            signature=bytes(record["signature"]),
        )
    except Exception:  # a malformed signature recovers to nobody
        return None


class GroundFinder:
    """The first dispute ground a TEE record fails, with registry answers cached per signer."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.chain_id = protocol.w3.eth.chain_id
        self._registered: dict[str, bool] = {}

    def ground(self, record: dict) -> int | None:
        if record["mode"] != MODES["tee"]:
            return None
        signer = record["enclaveSigner"]
        if recover_result_signer(self.chain_id, self.protocol.settlement.address, record) != signer:
            return GROUND_BAD_SIGNATURE
        registry = self.protocol.registry.functions
        if signer not in self._registered:
            self._registered[signer] = registry.isRegistered(signer).call()
        if not self._registered[signer]:
            return GROUND_UNKNOWN_SIGNER
        if not registry.isActive(signer, record["timestamp"]).call():
            return GROUND_NOT_APPROVED
        return None


@dataclass(frozen=True)
class Disputable:
    record_id: int
    record: dict
    validator: str
    ground: int
    attested_at: int
    window_closes: int


def find_disputable(protocol: Protocol) -> tuple[int, list[Disputable]]:
    """(chain time, attestations of bad records still open to dispute), oldest first."""
    settlement = protocol.settlement
    names = ("InferenceSettled", "Attested", "DisputeWon")
    head, raw = jsonrpc.batch(protocol.w3, [
        ("eth_getBlockByNumber", ["latest", False]),
        ("eth_getLogs", [event_logs.log_filter(settlement, names, protocol.deployment.block)]),
    ])
    now = int(head["timestamp"], 16)
    logs = event_logs.fill_timestamps(protocol.w3, event_logs.decode(settlement, names, raw))
    window = settlement.functions.params().call()[3]
    finder = GroundFinder(protocol)
    records = {e.args["recordId"]: dict(e.args["record"]) for e in logs if e.name == "InferenceSettled"}
    disputed = {(e.args["recordId"], e.args["validator"]) for e in logs if e.name == "DisputeWon"}
    grounds: dict[int, int | None] = {}
    found = []
    for e in logs:
        if e.name != "Attested" or not e.args["valid"]:
            continue
        record_id, validator = e.args["recordId"], e.args["validator"]
        if (record_id, validator) in disputed or e.timestamp + window < now:
            continue
        if record_id not in grounds:
            grounds[record_id] = finder.ground(records[record_id])
        if grounds[record_id] is not None:
            found.append(Disputable(record_id, records[record_id], validator, grounds[record_id], e.timestamp,
                                    e.timestamp + window))
    return now, found


def settled_record(protocol: Protocol, record_id: int) -> dict:
    """The record as settled (from its event); UsageError when there is none."""
    from ogcli.errors import UsageError

    settlement = protocol.settlement
    query = event_logs.log_filter(settlement, ("InferenceSettled",), protocol.deployment.block)
    query["topics"].append("0x" + record_id.to_bytes(32, "big").hex())
    events = event_logs.decode(settlement, ("InferenceSettled",), jsonrpc.batch(protocol.w3, [("eth_getLogs", [query])])[0])
    if not events:
        raise UsageError(f"there is no settled record {record_id}")
    return dict(events[0].args["record"])
