"""The verifier's judgement of a committed batch: its records read back from the commitBatch
transaction's calldata (nothing is asked of the node), checked against the batch's root on
chain, and judged one by one by the per-record rules; the verdict is the contract's two bitmaps.

A record's signer is whoever its signature recovers to under the one signature rule (a batch
record does not name it); a TEE record on which a dispute ground holds (bad signature, unknown
signer, not approved at its time) is `invalid` (checkable, so disputable like a valid verdict);
a ZKML record whose proof fails is `uncheckable` (invalid for a reason the contract cannot check),
and so is an ONNX record the verifier re-ran (a sample, `rerun`, as for records settled alone)
whose answer the model does not give; every other record is valid. The verifier abstains from the
whole batch (a bitmap has no "abstain") when its records cannot be read back, do not make the root
on chain, hold ZKML records it cannot check or sampled records it cannot re-run, or name an
enclave whose registered document does not verify here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain.batches import decode_commit, record_view
from ogcli.chain.disputes import GROUND_NAMES, GROUND_NONE, GroundFinder
from ogcli.core import batch_records
from ogcli.core.batch_records import BatchRecord
from ogcli.core.records import record_tuple
from ogcli.core.model_metadata import MODES

@dataclass(frozen=True)
class BatchVerdict:
    batch_id: int
    invalid_bits: int | None  # None: abstain
    uncheckable_bits: int
    reasons: tuple[str, ...]  # why records are invalid, or why the verifier abstains

    @property
    def abstains(self) -> bool:
        return self.invalid_bits is None


def committed(protocol, tx_hash: str) -> tuple[list[BatchRecord], list[str], str]:
    """(records, each record's payer, the committing node) of the commitBatch sent in `tx_hash`.
    ValueError when that transaction is not a direct commitBatch call on the settlement."""
    tx = protocol.w3.eth.get_transaction(tx_hash)
    records, payers, _channels = decode_commit(protocol, tx)
    return records, payers, tx["from"]


class BatchJudge:
    def __init__(self, protocol, documents, zk=None, rerun=None) -> None:
        self.protocol = protocol
        self.documents = documents  # ogcli.chain.enclave_documents.DocumentChecks
        self.zk = zk
        self.rerun = rerun  # ogcli.node.judges.ReExecutor: re-runs a sample of ONNX calls
        self.grounds = GroundFinder(protocol)

    def verdict(self, batch_id: int, tx_hash: str) -> BatchVerdict:
        """The verdict on batch `batch_id` (committed in `tx_hash`): an abstention too when the
        contract's own checkGround disagrees on one of its TEE records."""
        try:
            records, payers, node = committed(self.protocol, tx_hash)
        except ValueError as exc:
            return BatchVerdict(batch_id, None, 0, (str(exc),))
        root = self.protocol.settlement.functions.getBatch(batch_id).call()[0]
        leaves = [batch_records.leaf(r.pack(), p, node) for r, p in zip(records, payers)]
        if batch_records.root(leaves) != bytes(root):
            return BatchVerdict(batch_id, None, 0, ("the calldata's records do not make the batch's root",))
        views = [record_view(r, self.grounds.separator) for r in records]
        found = self.grounds.grounds(views, recovered=True)
        invalid, uncheckable, reasons = 0, 0, []
        for index, (view, ground) in enumerate(zip(views, found)):
            if view["mode"] == MODES["tee"]:
                if ground is not None:
                    invalid |= 1 << index
                    reasons.append(f"record {index}: {GROUND_NAMES[ground]}")
                    continue
                problem = self.documents.problem(view["enclaveSigner"])
                if problem is not None:
                    return BatchVerdict(batch_id, None, 0, (f"enclave {view['enclaveSigner']}: {problem}",))
            elif view["mode"] == MODES["zkml"]:
                proof_reasons = self.zk.reasons(view) if self.zk is not None else None
                if proof_reasons is None:
                    return BatchVerdict(batch_id, None, 0, ("cannot check zkML proofs here",))
                if proof_reasons:
                    uncheckable |= 1 << index
                    reasons.append(f"record {index}: {'; '.join(proof_reasons)}")
                continue
            if self.rerun is not None and self.rerun.sampled(view):
                rerun_reasons = self.rerun.reasons(view)
                if rerun_reasons is None:
                    return BatchVerdict(batch_id, None, 0, (f"record {index}: cannot re-run this model here",))
                if rerun_reasons:
                    uncheckable |= 1 << index
                    reasons.append(f"record {index}: {'; '.join(rerun_reasons)}")
        disagreement = self._chain_disagrees(views, found)
        if disagreement is not None:
            return BatchVerdict(batch_id, None, 0, (disagreement,))
        return BatchVerdict(batch_id, invalid, uncheckable, tuple(reasons))

    def _chain_disagrees(self, views: list[dict], found: list[int | None]) -> str | None:
        """Why the contract would judge one of the TEE records otherwise right now (its own
        checkGround on the ground found here, every TEE record in one Multicall3 batch), or None:
        a stale local fact must never be attested and slashed."""
        from ogcli.chain.multicall import Read, read_many

        checks = []
        for index, (view, ground) in enumerate(zip(views, found)):
            if view["mode"] != MODES["tee"]:
                continue
            checks.append((index, ground, Read(self.protocol.settlement, "checkGround",
                                               (record_tuple(view), GROUND_NONE if ground is None else ground))))
        answers = read_many(self.protocol.rpc, [read for _i, _g, read in checks])
        for (index, ground, _read), holds in zip(checks, answers):
            if holds is not True:
                return f"record {index}: judged {'valid' if ground is None else 'invalid'} here, the chain disagrees"
        return None
