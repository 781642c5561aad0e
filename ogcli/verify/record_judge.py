"""The verdict on a call settled as its own record (`exact`), as the verifier role gives it and
attests it: a record is valid when its mode is exactly one the protocol knows; (TEE) no dispute
ground holds against it (record_grounds.py) and the enclave's registration document verifies here
too (else abstain); (ZKML) its proof verifies and proves exactly the recorded input and output
(else abstain where ezkl is missing); (a sample of ONNX calls, when asked) re-running the model
gives its output; and the payment split adds up under the parameters in force when it settled.
Calls committed in batches are judged by batch_judge.py on the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain.history import HistoryMissing, Point, SettlementParams, Timeline
from ogcli.core.model_metadata import MODES
from ogcli.core.pricing import BPS
from ogcli.errors import NetworkError
from ogcli.verify.judges import UnsafeEndpoint
from ogcli.verify.record_grounds import GROUND_NAMES, GroundFinder

MODE_ZKML = MODES["zkml"]
MODE_TEE = MODES["tee"]
KNOWN_MODES = frozenset(MODES.values())


@dataclass(frozen=True)
class Verdict:
    record_id: int
    valid: bool | None  # None: abstain (a ZKML record this verifier cannot check)
    reasons: tuple[str, ...]
    ground: int | None = None  # the dispute ground that holds: an invalid verdict the chain can check
    record: dict | None = None  # the record as settled (for the chain's own check before attesting)

    def attest_call(self, settlement):
        """The verdict as the contract takes it: valid; invalid because a ground holds (disputable
        by anyone if none does); or invalid for a reason the chain cannot check (re-execution,
        proof, payment split: neither rewarded nor disputable, so never a risk to an honest verifier)."""
        if self.valid or self.ground is not None:
            return settlement.attest(self.record_id, bool(self.valid))
        return settlement.attestUncheckable(self.record_id)


def mode_reason(mode: int) -> str | None:
    """Why `mode` is no record's mode; None for one the protocol knows (exactly 1, 2 or 4)."""
    if mode in KNOWN_MODES:
        return None
    known = ", ".join(f"{name} ({value})" for name, value in MODES.items())
    return f"unknown mode {mode}: a record's mode is exactly one of {known}"


def split_reasons(args: dict, params: SettlementParams) -> list[str]:
    """Why the settled call's cuts are not the split of its fee under `params` ([] when they are)."""
    fee = args["fee"]
    parts = args["publisherCut"] + args["nodeCut"] + args["validatorCut"] + args["treasuryCut"]
    if (parts != fee or args["validatorCut"] != fee * params.validator_fee_bps // BPS
            or args["treasuryCut"] != fee * params.treasury_fee_bps // BPS):
        return ["the payment split does not add up under the settlement's parameters"]
    return []


class RecordJudge:
    """Judges records settled alone. `documents`: ogcli.chain.enclave_documents.DocumentChecks
    (shared with the batch judge); `zk`, `rerun`: ogcli/verify/judges.py, or None to abstain
    where they would be needed."""

    def __init__(self, protocol, documents, zk=None, rerun=None) -> None:
        self.grounds = GroundFinder(protocol)
        self.documents = documents
        self.zk, self.rerun = zk, rerun

    def outcomes(self, batch: list[dict], points: list[Point], params: Timeline[SettlementParams]) -> list[Verdict | NetworkError]:
        """A verdict per settled-call event (InferenceSettled's arguments) under the settlement
        parameters in force at its `points` (from `params`), or the NetworkError that kept its node
        from being asked now. The registry is read once for the whole list."""
        grounds = self.grounds.grounds([args["record"] for args in batch])
        outcomes: list[Verdict | NetworkError] = []
        for args, ground, point in zip(batch, grounds, points):
            try:
                outcomes.append(self._verdict(args, ground, point, params))
            except UnsafeEndpoint as exc:  # never to be asked: waiting would change nothing
                outcomes.append(Verdict(args["recordId"], None, (str(exc),)))
            except NetworkError as exc:
                outcomes.append(exc)
        return outcomes

    def _verdict(self, args: dict, ground, point: Point, params_timeline: Timeline[SettlementParams]) -> Verdict:
        record_id, record = args["recordId"], args["record"]
        try:
            params = params_timeline.at(point)
        except HistoryMissing as exc:
            return Verdict(record_id, None, (str(exc),))
        unknown = mode_reason(record["mode"])
        if unknown is not None:
            return Verdict(record_id, False, (unknown, *split_reasons(args, params)))
        reasons = [GROUND_NAMES[ground]] if ground is not None else []
        if record["mode"] == MODE_TEE and ground is None:
            # The registry verified the enclave's document; so does this verifier, before it vouches.
            problem = self.documents.problem(record["enclaveSigner"])
            if problem is not None:
                return Verdict(record_id, None, (f"enclave {record['enclaveSigner']}: {problem}",))
        if record["mode"] == MODE_ZKML:
            proof_reasons = self.zk.reasons(record) if self.zk is not None else None
            if proof_reasons is None:
                return Verdict(record_id, None, ("cannot check zkML proofs here",))
            reasons += proof_reasons
        elif self.rerun is not None and self.rerun.sampled(record):
            rerun_reasons = self.rerun.reasons(record)
            if rerun_reasons is None:
                return Verdict(record_id, None, ("cannot re-run this model here",))
            reasons += rerun_reasons
        reasons += split_reasons(args, params)
        return Verdict(record_id, not reasons, tuple(reasons), ground, record)
