"""Dispute grounds, as InferenceSettlement checks them, and which records fail one (GroundFinder).
Finding what is open to dispute is ogcli/verify/disputes.py; the signature rule itself is
ogcli/core/result_signature.py.

Grounds: 1, the result's signature does not recover to the enclave signer; 2, the signer is not a
registered enclave; 3, the enclave's measurement was not approved at the record's time. Only TEE
records can be disputed on those grounds. An "invalid" verdict given as checkable
(`attest(id, false)`) is disputable the other way round: with ground 0, when no ground holds;
invalid verdicts for reasons the contract cannot check (`attestUncheckable`) are neither
disputable nor rewarded. A TEE record on which a ground holds is also disputable against the node
that settled it (`disputeProducer`): its bond pays. A TEE record settled alone names an enclave of
its node's (the contract refuses any other), so grounds 1 and 3 are what can hold for it; batch
records can fail any of the three.
"""

from __future__ import annotations

from ogcli.chain.contracts import Protocol
from ogcli.core.model_metadata import MODES
from ogcli.core.result_signature import domain_separator, recover, result_digest

GROUND_NONE, GROUND_BAD_SIGNATURE, GROUND_UNKNOWN_SIGNER, GROUND_NOT_APPROVED = 0, 1, 2, 3
GROUND_NAMES = {
    GROUND_NONE: "no ground holds: the 'invalid' verdict contradicts what the contract can check",
    GROUND_BAD_SIGNATURE: "the signature is not the enclave's",
    GROUND_UNKNOWN_SIGNER: "the signer is not a registered enclave",
    GROUND_NOT_APPROVED: "the enclave was not approved at the time",
}


class GroundFinder:
    """The first dispute ground each TEE record fails. Signatures are recovered locally; the
    registry's answers come in one Multicall3 batch per call of `grounds` (a registration cached
    once seen, approval asked per distinct (signer, time))."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.separator = domain_separator(protocol.rpc.chain_id, protocol.settlement.address)
        self._registered: dict[str, bool] = {}

    def ground(self, record: dict) -> int | None:
        return self.grounds([record])[0]

    def grounds(self, records: list[dict]) -> list[int | None]:
        from ogcli.chain.multicall import Read, read_many

        out: list[int | None] = []
        pending = []  # (index, signer, time) for records whose signature holds
        for index, record in enumerate(records):
            if record["mode"] != MODES["tee"]:
                out.append(None)
                continue
            signer = record["enclaveSigner"]
            signed = recover(result_digest(self.separator, record), bytes(record["signature"])) == signer
            if not signed:
                out.append(GROUND_BAD_SIGNATURE)
                continue
            out.append(None)
            pending.append((index, signer, record["timestamp"]))
        registry = self.protocol.registry
        unknown = sorted({s for _i, s, _t in pending if s not in self._registered})
        times = sorted({(s, t) for _i, s, t in pending})
        answers = read_many(self.protocol.rpc, [Read(registry, "isRegistered", (s,)) for s in unknown]
                            + [Read(registry, "isActive", (s, t)) for s, t in times])
        for signer, answer in zip(unknown, answers):
            # Only "registered" is cached: it is forever (a signer registers once and is never
            # removed). "Not registered" may stop being true at any block: cached, it would judge
            # a later, valid record of that signer "unknown signer" (a false verdict, slashable).
            if answer is True:
                self._registered[signer] = True
        unregistered = {s for s, answer in zip(unknown, answers) if answer is not True}
        active = {key: answer is True for key, answer in zip(times, answers[len(unknown):])}
        for index, signer, at in pending:
            if signer in unregistered:
                out[index] = GROUND_UNKNOWN_SIGNER
            elif not active[(signer, at)]:
                out[index] = GROUND_NOT_APPROVED
        return out
