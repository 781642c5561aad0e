"""The dispute grounds of records committed in a batch, as the chain judges them now: one library
for every reader of batches (the verifier role's judge, the dispute finder, `ogcli infer
verify`), so that none judges a batch record otherwise than the others.

A batch record names no signer: it is whoever the record's signature recovers to under the one
signature rule (ogcli/chain/batches.py record_view). Its grounds, as InferenceSettlement's
`_signerGround` has them: bad signature (it recovers to nobody), unknown signer (the registry has
never registered it), not approved (registered, but not active at the record's second).
"""

from __future__ import annotations

from ogcli.core.result_signature import result_typehash

from ogcli.core.batch_records import BatchRecord
from ogcli.core.model_metadata import MODES
from ogcli.verify.record_grounds import GROUND_BAD_SIGNATURE, GROUND_NOT_APPROVED, GROUND_UNKNOWN_SIGNER


def batch_grounds(protocol, separator: bytes, records: list[BatchRecord], views: list[dict]) -> dict[int, int | None] | str:
    """BatchGroundQuestions asked and answered in one go (see there)."""
    questions = BatchGroundQuestions(protocol, separator, records, views)
    return questions.grounds(questions.ask())


class BatchGroundQuestions:
    """What the chain is asked (one Multicall3 batch) to judge a batch's TEE records, and the
    dispute ground each fails by its answers (None: none holds), or why the verifier abstains.

    Records whose signature recovers here fall into classes of one signer and one second: a
    batch record's registry grounds depend on nothing else (InferenceSettlement._signerGround:
    unknown when the registry has never registered the signer, not approved when it has but
    does not hold it active at the record's second; the registry's answer for a past second
    never changes), so the registry is asked isRegistered once per signer and isActive once
    per class. The contract's own recovery (BatchRecords.inspect) is asked about one record
    of each signer, which it must recover to that signer, and about every record whose
    signature does not recover here, which it must not recover either (the one signature
    rule and one result digest on both sides; a false record recovers to a signer of its
    own, so each is asked about). Where the chain and this verifier disagree, a verdict could
    be slashed: the verifier abstains (a missed reward, never a slash)."""

    def __init__(self, protocol, separator: bytes, records: list[BatchRecord], views: list[dict]) -> None:
        from ogcli.chain.multicall import Read

        self.protocol = protocol
        self.class_of: dict[int, tuple[str, int]] = {}  # TEE record whose signature recovers -> (signer, second)
        self.unrecovered: list[int] = []  # TEE records whose signature does not
        self.inspected: dict[str, int] = {}  # signer -> the record of it inspect is asked about
        for index, view in enumerate(views):
            if view["mode"] != MODES["tee"]:
                continue
            if int(view["enclaveSigner"], 16) == 0:
                self.unrecovered.append(index)
            else:
                self.class_of[index] = (view["enclaveSigner"], view["timestamp"])
                self.inspected.setdefault(view["enclaveSigner"], index)
        self.seconds = list(dict.fromkeys(self.class_of.values()))
        self.asked = [*self.inspected.values(), *self.unrecovered]
        inspector, registry, typehash = protocol.contract("BatchRecords"), protocol.registry, result_typehash()
        self.reads = [
            *(Read(inspector, "inspect", (records[index].pack(), separator, typehash), named=True) for index in self.asked),
            *(Read(registry, "isRegistered", (signer,)) for signer in self.inspected),
            *(Read(registry, "isActive", key) for key in self.seconds),
        ]

    def ask(self) -> list:
        """The chain's answers (one Multicall3 round; NetworkError when it cannot be asked)."""
        from ogcli.chain.multicall import read_many

        return read_many(self.protocol.rpc, self.reads)

    def grounds(self, answers: list) -> dict[int, int | None] | str:
        """{record index: the ground it fails, None when none holds} for every TEE record, or why
        no verdict can be given on these answers (the chain and this reader disagree)."""
        failed = next((answer for answer in answers if isinstance(answer, Exception)), None)
        if failed is not None:
            return f"the chain did not answer every check ({failed})"
        recovered_on_chain = dict(zip(self.asked, answers))
        for signer, index in self.inspected.items():
            inspected = recovered_on_chain[index]
            if not inspected["recovered"] or inspected["signer"].lower() != signer.lower():
                return f"record {index}: the chain recovers another signer than this verifier"
        for index in self.unrecovered:
            if recovered_on_chain[index]["recovered"]:
                return f"record {index}: its signature recovers on chain, not here"
        registered = dict(zip(self.inspected, answers[len(self.asked):]))
        active = dict(zip(self.seconds, answers[len(self.asked) + len(self.inspected):]))
        grounds: dict[int, int | None] = dict.fromkeys(self.unrecovered, GROUND_BAD_SIGNATURE)
        for index, (signer, second) in self.class_of.items():
            if registered[signer] is not True:
                grounds[index] = GROUND_UNKNOWN_SIGNER
            elif active[(signer, second)] is not True:
                grounds[index] = GROUND_NOT_APPROVED
            else:
                grounds[index] = None
        return grounds
