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
on chain, hold ZKML records it cannot check or sampled records it cannot re-run, name an enclave
whose registered document does not verify here, or when the chain judges a record's signature
otherwise than this verifier does.

The registry is asked afresh for every batch, once per signer and second, in one Multicall3 batch
with the contract's own recovery of one record of each: no local registry fact is kept that could
go stale.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ogcli.chain import abi
from ogcli.chain.batches import decode_commit, record_view
from ogcli.core import batch_records
from ogcli.core.model_metadata import MODES
from ogcli.core.result_signature import domain_separator
from ogcli.errors import NetworkError
from ogcli.verify.batch_grounds import BatchGroundQuestions
from ogcli.verify.judges import UnsafeEndpoint
from ogcli.verify.record_grounds import GROUND_NAMES


@dataclass(frozen=True)
class BatchVerdict:
    batch_id: int
    invalid_bits: int | None  # None: abstain (or, with `retry`, no verdict yet)
    uncheckable_bits: int
    reasons: tuple[str, ...]  # why records are invalid, or why the verifier abstains
    retry: bool = False  # a node could not be asked now: judge the batch again later

    @property
    def abstains(self) -> bool:
        return self.invalid_bits is None and not self.retry


class BatchJudge:
    def __init__(self, protocol, documents, zk=None, rerun=None) -> None:
        self.protocol = protocol
        self.documents = documents  # ogcli.chain.enclave_documents.DocumentChecks
        self.zk = zk
        self.rerun = rerun  # ogcli.verify.judges.ReExecutor: re-runs a sample of ONNX calls
        self.separator = domain_separator(protocol.rpc.chain_id, protocol.settlement.address)

    def verdict(self, batch_id: int, tx_hash: str) -> BatchVerdict:
        """The verdict on batch `batch_id` (committed in `tx_hash`)."""
        return next(self.verdicts([(batch_id, tx_hash)]))

    def verdicts(self, batches: list[tuple[int, str]]) -> Iterator[BatchVerdict]:
        """The verdict on each (batch id, commit transaction), in order. The chain's part is in
        flight while this thread recovers signatures: the next batch's transaction is fetched, and
        the last one's registry questions answered, during this one's recovery, so a verifier
        catching up judges at the pace of its one core, not of its round trips (one thread does
        the reads; the endpoint takes one request at a time)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-reads") as reads:
            fetching = reads.submit(self._commit_and_root, *batches[0]) if batches else None
            judging = None
            for position, (batch_id, _tx_hash) in enumerate(batches):
                fetched = fetching
                if position + 1 < len(batches):
                    fetching = reads.submit(self._commit_and_root, *batches[position + 1])
                prepared = self._prepare(batch_id, fetched.result(), reads)
                if judging is not None:
                    yield self._finish(judging)
                judging = prepared
            if judging is not None:
                yield self._finish(judging)

    def _prepare(self, batch_id: int, fetched: tuple[dict, bytes], reads) -> _Judging | BatchVerdict:
        """The batch's records read back and checked against its root, their signers recovered,
        and the chain's questions about them sent (to `reads`); or an abstention."""
        tx, root = fetched
        try:
            records, payers, _channels = decode_commit(self.protocol, tx)
        except ValueError as exc:
            return BatchVerdict(batch_id, None, 0, (str(exc),))
        leaves = [batch_records.leaf(r.pack(), p, tx["from"]) for r, p in zip(records, payers)]
        if batch_records.root(leaves) != root:
            return BatchVerdict(batch_id, None, 0, ("the calldata's records do not make the batch's root",))
        views = [record_view(r, self.separator) for r in records]
        questions = BatchGroundQuestions(self.protocol, self.separator, records, views)
        return _Judging(batch_id, views, questions, reads.submit(questions.ask))

    def _finish(self, judging: _Judging | BatchVerdict) -> BatchVerdict:
        """The verdict once the chain has answered: every record judged by the per-record rules.
        A node that must never be asked (its endpoint unsafe, or none) makes the verifier abstain
        from the batch; one that cannot be asked now leaves it for a later round (`retry`), which
        the verifier role bounds: a hostile record must cost its batch a verdict, never the
        verifier its progress."""
        if isinstance(judging, BatchVerdict):
            return judging
        found = judging.questions.grounds(judging.answers.result())  # the chain down: the round is retried
        if isinstance(found, str):
            return BatchVerdict(judging.batch_id, None, 0, (found,))
        try:
            return self._judged(judging.batch_id, judging.views, found)
        except UnsafeEndpoint as exc:
            return BatchVerdict(judging.batch_id, None, 0, (f"a record's node must not be asked: {exc}",))
        except NetworkError as exc:
            return BatchVerdict(judging.batch_id, None, 0, (f"a record's node cannot be asked now: {exc}",), retry=True)

    def _judged(self, batch_id: int, views: list[dict], found: dict[int, int | None]) -> BatchVerdict:
        invalid, uncheckable, reasons = 0, 0, []
        for index, view in enumerate(views):
            if view["mode"] == MODES["tee"]:
                ground = found[index]
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
        return BatchVerdict(batch_id, invalid, uncheckable, tuple(reasons))

    def _commit_and_root(self, batch_id: int, tx_hash: str) -> tuple[dict, bytes]:
        """The commitBatch transaction (as eth_getTransactionByHash answers: hex strings) and the
        batch's root on chain, in one round trip."""
        settlement = self.protocol.settlement
        get_batch = {"to": settlement.address, "data": "0x" + abi.encode_call(settlement, "getBatch", (batch_id,)).hex()}
        tx, raw = self.protocol.rpc.batch([("eth_getTransactionByHash", [tx_hash]), ("eth_call", [get_batch, "latest"])])
        if tx is None:
            raise NetworkError(f"no transaction {tx_hash} at {self.protocol.rpc.url}")
        return tx, bytes(abi.decode_output(settlement, "getBatch", 1, bytes.fromhex(raw[2:]), named=True)["root"])


@dataclass
class _Judging:
    """A batch between its two stages: recovered here, its chain questions in flight."""

    batch_id: int
    views: list[dict]
    questions: BatchGroundQuestions
    answers: Future
