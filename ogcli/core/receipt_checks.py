"""What `ogcli infer verify` checks about a settled call, in order, each passing or failing on
facts read from chain (and, when the response is given, recomputed from it). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.core.pricing import BPS


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: does not apply (a vanilla call has no enclave signature)
    detail: str


@dataclass(frozen=True)
class Facts:
    record_hash_on_chain: bytes
    record_hash_computed: bytes
    mode_tee: bool
    signer: str
    recovered_signer: str | None
    registered: bool
    approved_at_time: bool
    fee_wei: int
    publisher_wei: int
    node_wei: int
    validators_wei: int
    treasury_wei: int
    validator_bps: int
    treasury_bps: int
    model_price_wei: int
    payer_authorized_wei: int | None  # the ERC-3009 transfer into the settlement contract, if found
    input_hash: bytes
    output_hash: bytes
    response_input_hash: bytes | None  # recomputed from a saved response, when given
    response_output_hash: bytes | None
    attestation: tuple[bool | None, str] | None = None  # the enclave's attestation document, checked
    zk_proof: tuple[bool | None, str] | None = None  # a ZKML call's proof against the published circuit


def checks(f: Facts) -> list[Check]:
    out = [Check("record stored", f.record_hash_on_chain == f.record_hash_computed,
                 "the record in the settlement event hashes to what the contract stored")]
    if f.mode_tee:
        signed = f.recovered_signer is not None and f.recovered_signer.lower() == f.signer.lower()
        out.append(Check("enclave signature", signed,
                         f"the result's EIP-712 signature recovers to {f.recovered_signer}, the record names {f.signer}"))
        out.append(Check("enclave registered", f.registered, f"{f.signer} is in TEERegistry"))
        out.append(Check("measurement approved then", f.approved_at_time,
                         "the enclave's vendor and measurement were on the whitelist when the result was produced"))
        if f.attestation is not None:
            out.append(Check("attestation document", *f.attestation))
    elif f.zk_proof is not None:
        out.append(Check("zkML proof", *f.zk_proof))
    else:
        out.append(Check("enclave signature", None, "vanilla call: no enclave, nothing to check"))
    cuts_ok = (
        f.validators_wei == f.fee_wei * f.validator_bps // BPS
        and f.treasury_wei == f.fee_wei * f.treasury_bps // BPS
        and f.publisher_wei == f.model_price_wei
        and f.publisher_wei + f.node_wei + f.validators_wei + f.treasury_wei == f.fee_wei
    )
    out.append(Check("payment split", cuts_ok,
                     f"fee {f.fee_wei} = publisher {f.publisher_wei} + node {f.node_wei} + validators {f.validators_wei} "
                     f"+ treasury {f.treasury_wei} at {f.validator_bps / 100:g}% / {f.treasury_bps / 100:g}%"))
    if f.payer_authorized_wei is not None:
        out.append(Check("payment pulled", f.payer_authorized_wei == f.fee_wei,
                         f"the payer's authorization moved {f.payer_authorized_wei} wei into the settlement contract"))
    if f.response_output_hash is not None:
        out.append(Check("response output", f.response_output_hash == f.output_hash,
                         "the saved response's output hashes to the record's outputHash"))
        out.append(Check("response input", f.response_input_hash == f.input_hash,
                         "the saved response's input hashes to the record's inputHash"))
    return out
