"""What `ogcli infer verify` checks about a settled call, in order, each passing, failing, not
applying, or not run (the facts it needs could not be had here), on facts read from chain (and,
when the response is given, recomputed from it); and the verdict the checks add up to. Pure.

A check that could not run is never counted as passed: a call is "verified" only when every
check that applies ran and passed, "failed" when any check failed, and "unverified" otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.core.model_metadata import MODES
from ogcli.core.pricing import BPS

PASS, FAIL, NOT_APPLICABLE, UNVERIFIED = "pass", "fail", "n/a", "unverified"  # a check's status
VERIFIED, FAILED = "verified", "failed"  # the verdict (or UNVERIFIED)

Outcome = tuple[str, str]  # (status, detail) of a check run outside, on fetched material


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # PASS, FAIL, NOT_APPLICABLE or UNVERIFIED
    detail: str

    @property
    def ok(self) -> bool | None:
        """True passed, False failed, None neither (does not apply, or could not run)."""
        return {PASS: True, FAIL: False}.get(self.status)

    @property
    def ran(self) -> bool:
        return self.status in (PASS, FAIL)


@dataclass(frozen=True)
class Terms:
    """What the fee split is checked against: the parameters and price in force at the call."""

    validator_bps: int
    treasury_bps: int
    model_price_wei: int


@dataclass(frozen=True)
class Pulled:
    """The ERC-3009 transfer that paid for the call: in its settling transaction, or in an earlier
    one (`before_settlement`: the authorization was executed straight on the token, into the till,
    and the settlement took it from there)."""

    sender: str
    to: str
    value_wei: int
    before_settlement: bool = False


@dataclass(frozen=True)
class BatchPlace:
    """Where a channel-paid call was committed (a batch's calldata and root), and the channel
    claim that paid it, read from the commitBatch transaction."""

    batch_id: int
    index: int  # of the record in its batch
    count: int
    channel_payer: str
    channel_receiver: str
    channel_token: str
    token: str  # this network's OPG
    channel_fees_wei: int  # the batch's fees on the record's channel, claimed together
    claimed_wei: int  # what the commitBatch transaction claimed on that channel (its Claimed log; 0: none)
    also_in: tuple[str, ...] = ()  # later records with the same request id ("batch 9 #3"): none, honestly


@dataclass(frozen=True)
class Facts:
    record_hash_on_chain: bytes
    record_hash_computed: bytes
    mode: int
    signer: str
    recovered_signer: str | None
    registered: bool
    approved_at_time: bool
    fee_wei: int
    publisher_wei: int
    node_wei: int
    validators_wei: int
    treasury_wei: int
    terms: Terms | None  # None: the history they come from cannot be read here (terms_missing says why)
    payer: str
    settlement: str
    pulled: Pulled | None  # None: no authorization of the payer gives this request id
    input_hash: bytes
    output_hash: bytes
    response_input_hash: bytes | None  # recomputed from a saved response, when given
    response_output_hash: bytes | None
    terms_missing: str = ""
    attestation: Outcome | None = None  # the enclave's attestation document, checked (TEE calls)
    zk_proof: Outcome | None = None  # a ZKML call's proof against the published circuit
    batch: BatchPlace | None = None  # a channel-paid call: record_hash_* are its batch's roots
    till: str = ""  # an exact call's: its node's till, which the payment must have paid


def holds(name: str, condition: bool, detail: str) -> Check:
    return Check(name, PASS if condition else FAIL, detail)


def checks(f: Facts) -> list[Check]:
    if f.batch is None:
        out = [holds("record stored", f.record_hash_on_chain == f.record_hash_computed,
                     "the record in the settlement event hashes to what the contract stored")]
    else:
        b = f.batch
        out = [holds("record committed", f.record_hash_on_chain == f.record_hash_computed,
                     f"batch {b.batch_id}'s records in its commitBatch calldata, each bound to its payer and node, "
                     f"make the root the contract stored (this is record {b.index + 1} of {b.count})"),
               holds("recorded once", not b.also_in,
                     "no other committed record has this request id" if not b.also_in else
                     f"the request id is committed again in {', '.join(b.also_in)}: a node records a call once, and "
                     "the first record of it is the one judged here")]
    out += _mode_checks(f)
    out.append(_split_check(f) if f.batch is None else _batch_fee_check(f))
    out.append(_pulled_check(f) if f.batch is None else _channel_check(f))
    if f.response_output_hash is not None:
        out.append(holds("response output", f.response_output_hash == f.output_hash,
                         "the saved response's output hashes to the record's outputHash"))
        out.append(holds("response input", f.response_input_hash == f.input_hash,
                         "the saved response's input hashes to the record's inputHash"))
    return out


def verdict(results: list[Check]) -> str:
    """FAILED if any check failed; else UNVERIFIED if any could not run; else VERIFIED."""
    if any(c.status == FAIL for c in results):
        return FAILED
    if any(c.status == UNVERIFIED for c in results):
        return UNVERIFIED
    return VERIFIED


def _mode_checks(f: Facts) -> list[Check]:
    if f.mode == MODES["tee"]:
        signed = f.recovered_signer is not None and f.recovered_signer.lower() == f.signer.lower()
        named = "the record names" if f.batch is None else "a batch record names no signer: its signer is"
        out = [
            holds("enclave signature", signed,
                  f"the result's EIP-712 signature recovers to {f.recovered_signer}, {named} {f.signer}"),
            holds("enclave registered", f.registered, f"{f.signer} is in TEERegistry"),
            holds("measurement approved then", f.approved_at_time,
                  "the enclave's vendor and measurement were on the whitelist when the result was produced"),
        ]
        if f.attestation is not None:
            out.append(Check("attestation document", *f.attestation))
        return out
    if f.mode == MODES["zkml"]:
        return [Check("zkML proof", *(f.zk_proof or (UNVERIFIED, "the proof was not checked")))]
    if f.mode == MODES["vanilla"]:
        return [Check("enclave signature", NOT_APPLICABLE, "vanilla call: no enclave, nothing to check")]
    known = ", ".join(f"{name} ({value})" for name, value in MODES.items())
    return [Check("mode", FAIL, f"unknown mode {f.mode}: a record's mode is exactly one of {known}")]


def _split_check(f: Facts) -> Check:
    parts = (f"fee {f.fee_wei} = publisher {f.publisher_wei} + node {f.node_wei} + validators {f.validators_wei} "
             f"+ treasury {f.treasury_wei}")
    if f.terms is None:
        return Check("payment split", UNVERIFIED, f"{parts}; the terms it is checked against cannot be read: {f.terms_missing}")
    t = f.terms
    cuts_ok = (
        f.validators_wei == f.fee_wei * t.validator_bps // BPS
        and f.treasury_wei == f.fee_wei * t.treasury_bps // BPS
        and f.publisher_wei == t.model_price_wei
        and f.publisher_wei + f.node_wei + f.validators_wei + f.treasury_wei == f.fee_wei
    )
    return holds("payment split", cuts_ok,
                 f"{parts} at {t.validator_bps / 100:g}% / {t.treasury_bps / 100:g}% and a model price of "
                 f"{t.model_price_wei}, as in force when the call settled")


def _pulled_check(f: Facts) -> Check:
    if f.pulled is None:
        return Check("payment pulled", UNVERIFIED,
                     "no ERC-3009 authorization of the payer gives this request id "
                     "(keccak(till || payer || nonce)): the payment cannot be told apart")
    p = f.pulled
    moved = (p.sender.lower() == f.payer.lower() and p.to.lower() == f.till.lower()
             and p.value_wei == f.fee_wei)
    when = " before its settlement" if p.before_settlement else ""
    return holds("payment pulled", moved,
                 f"the payer's authorization moved {p.value_wei} wei from {p.sender} to {p.to}{when} "
                 f"(the fee is {f.fee_wei}, the node's till {f.till})")


def _batch_fee_check(f: Facts) -> Check:
    """A batch record's fee must cover the model's price and the validators' and treasury's cuts
    (BatchRecords' rule); the node keeps the rest."""
    if f.terms is None:
        return Check("fee covers price", UNVERIFIED, f"fee {f.fee_wei}; the terms it is checked against cannot be read: "
                                                     f"{f.terms_missing}")
    t = f.terms
    validators, treasury = f.fee_wei * t.validator_bps // BPS, f.fee_wei * t.treasury_bps // BPS
    required = t.model_price_wei + validators + treasury
    return holds("fee covers price", f.fee_wei >= required,
                 f"fee {f.fee_wei} = publisher {t.model_price_wei} + validators {validators} + treasury {treasury} "
                 f"+ node {f.fee_wei - required} at {t.validator_bps / 100:g}% / {t.treasury_bps / 100:g}%, "
                 "as in force when the batch was committed")


def _channel_check(f: Facts) -> Check:
    """The batch's claim on the record's channel: the payer's channel, paying this settlement in
    OPG, claimed for exactly the batch's calls on it (the contract's own rule). Less claimed in the
    transaction means the node claimed part directly before, which the batch accounted for: the
    payment is then not told apart here."""
    b = f.batch
    assert b is not None
    ours = (b.channel_payer.lower() == f.payer.lower() and b.channel_receiver.lower() == f.settlement.lower()
            and b.channel_token.lower() == b.token.lower())
    detail = (f"the batch claimed {b.claimed_wei} wei on the payer's channel (receiver {b.channel_receiver}, "
              f"token {b.channel_token}) for its calls on it ({b.channel_fees_wei} wei, this call's fee {f.fee_wei})")
    if ours and b.claimed_wei < b.channel_fees_wei:
        return Check("paid by channel", UNVERIFIED, detail + "; the rest was claimed outside the batch, before it")
    return holds("paid by channel", ours and b.claimed_wei == b.channel_fees_wei, detail)
