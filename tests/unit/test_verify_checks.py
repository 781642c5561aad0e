"""`infer verify`'s checks and verdict: pass, fail, does-not-apply and could-not-run kept apart, a
mode that is not exactly a known one failed, and the fee split judged under the terms of the
call's time (or left unverified when they cannot be read)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ogcli.core.receipt_checks import (FAIL, FAILED, NOT_APPLICABLE, PASS, UNVERIFIED, VERIFIED, Check, Facts, Pulled,
                                       Terms, checks, verdict)

PAYER = "0x" + "11" * 20
SETTLEMENT = "0x" + "22" * 20
TILL = "0x" + "44" * 20
SIGNER = "0x" + "33" * 20
FEE, PRICE = 1_000_000, 100_000


def _facts(**changes) -> Facts:
    validators, treasury = FEE * 1000 // 10_000, FEE * 500 // 10_000
    base = Facts(
        record_hash_on_chain=b"h" * 32, record_hash_computed=b"h" * 32, mode=2, signer=SIGNER, recovered_signer=SIGNER,
        registered=True, approved_at_time=True, fee_wei=FEE, publisher_wei=PRICE,
        node_wei=FEE - PRICE - validators - treasury, validators_wei=validators, treasury_wei=treasury,
        terms=Terms(validator_bps=1000, treasury_bps=500, model_price_wei=PRICE), payer=PAYER, settlement=SETTLEMENT,
        till=TILL, pulled=Pulled(sender=PAYER, to=TILL, value_wei=FEE), input_hash=b"i" * 32, output_hash=b"o" * 32,
        response_input_hash=None, response_output_hash=None, attestation=(PASS, "checked"),
    )
    return replace(base, **changes)


def _statuses(facts: Facts) -> dict[str, str]:
    return {c.name: c.status for c in checks(facts)}


def test_a_tee_call_whose_every_check_passed_is_verified():
    results = checks(_facts())
    assert all(c.status == PASS and c.ok is True and c.ran for c in results)
    assert verdict(results) == VERIFIED


def test_a_check_that_could_not_run_is_neither_passed_nor_failed():
    results = checks(_facts(attestation=(UNVERIFIED, "the endpoint is down")))
    [document] = [c for c in results if c.name == "attestation document"]
    assert document.ok is None and not document.ran and document.status == UNVERIFIED
    assert verdict(results) == UNVERIFIED


def test_a_failed_check_outweighs_one_that_could_not_run():
    results = checks(_facts(attestation=(UNVERIFIED, "down"), recovered_signer="0x" + "44" * 20))
    assert verdict(results) == FAILED


def test_a_vanilla_call_has_nothing_to_sign_and_is_verified():
    results = checks(_facts(mode=1, attestation=None))
    assert _statuses(_facts(mode=1, attestation=None))["enclave signature"] == NOT_APPLICABLE
    assert verdict(results) == VERIFIED


@pytest.mark.parametrize("mode", [0, 3, 5, 6, 7, 8, 255])
def test_a_mode_that_is_not_exactly_a_known_one_fails(mode):
    results = checks(_facts(mode=mode, attestation=None))
    [check] = [c for c in results if c.name == "mode"]
    assert check.status == FAIL and f"unknown mode {mode}" in check.detail
    assert verdict(results) == FAILED


def test_a_zkml_proof_that_was_not_checked_leaves_the_call_unverified():
    assert verdict(checks(_facts(mode=4, attestation=None, zk_proof=(UNVERIFIED, "ezkl is not installed")))) == UNVERIFIED
    assert verdict(checks(_facts(mode=4, attestation=None, zk_proof=None))) == UNVERIFIED
    assert verdict(checks(_facts(mode=4, attestation=None, zk_proof=(PASS, "verifies")))) == VERIFIED


def test_the_split_is_judged_under_the_terms_given_and_unverified_without_them():
    assert _statuses(_facts())["payment split"] == PASS
    doubled = Terms(validator_bps=2000, treasury_bps=1000, model_price_wei=PRICE)
    assert _statuses(_facts(terms=doubled))["payment split"] == FAIL
    missing = checks(_facts(terms=None, terms_missing="no event before block 9 sets the settlement parameters"))
    [split] = [c for c in missing if c.name == "payment split"]
    assert split.status == UNVERIFIED and "block 9" in split.detail


def test_the_payment_must_be_the_payers_fee_into_the_nodes_till():
    assert _statuses(_facts())["payment pulled"] == PASS
    assert _statuses(_facts(pulled=Pulled(PAYER, TILL, FEE, before_settlement=True)))["payment pulled"] == PASS
    assert _statuses(_facts(pulled=Pulled(PAYER, TILL, 2 * FEE)))["payment pulled"] == FAIL
    assert _statuses(_facts(pulled=Pulled(PAYER, SETTLEMENT, FEE)))["payment pulled"] == FAIL
    assert _statuses(_facts(pulled=Pulled(PAYER, "0x" + "55" * 20, FEE)))["payment pulled"] == FAIL
    assert _statuses(_facts(pulled=Pulled("0x" + "55" * 20, TILL, FEE)))["payment pulled"] == FAIL
    assert _statuses(_facts(pulled=None))["payment pulled"] == UNVERIFIED


def test_check_status_maps_to_ok_and_ran():
    assert [(Check("x", s, "").ok, Check("x", s, "").ran) for s in (PASS, FAIL, NOT_APPLICABLE, UNVERIFIED)] == [
        (True, True), (False, True), (None, False), (None, False)]


# ---------------------------------------------------------------------- calls committed in batches

OPG_TOKEN = "0x" + "55" * 20


def _batch_facts(fee: int = FEE, **place_changes) -> Facts:
    from ogcli.core.receipt_checks import BatchPlace

    place = BatchPlace(batch_id=7, index=2, count=10, channel_payer=PAYER, channel_receiver=SETTLEMENT,
                       channel_token=OPG_TOKEN, token=OPG_TOKEN, channel_fees_wei=3 * fee, claimed_wei=3 * fee)
    return _facts(fee_wei=fee, pulled=None, batch=replace(place, **place_changes))


def test_a_batch_call_is_judged_on_its_root_its_fee_and_its_channel_claim():
    statuses = _statuses(_batch_facts())
    assert statuses["record committed"] == statuses["fee covers price"] == statuses["paid by channel"] == PASS
    assert "record stored" not in statuses and "payment split" not in statuses and "payment pulled" not in statuses
    assert verdict(checks(_batch_facts())) == VERIFIED
    assert _statuses(replace(_batch_facts(), record_hash_computed=b"x" * 32))["record committed"] == FAIL


def test_a_batch_fee_below_the_price_and_cuts_fails():
    # The cuts are the fee's (rounded down): a fee covers the price and its cuts from about PRICE / 0.85.
    assert _statuses(_batch_facts(fee=PRICE))["fee covers price"] == FAIL
    assert _statuses(_batch_facts(fee=117_645))["fee covers price"] == FAIL
    assert _statuses(_batch_facts(fee=117_646))["fee covers price"] == PASS  # exactly covered, rounding down as the contract does
    assert _statuses(replace(_batch_facts(), terms=None))["fee covers price"] == UNVERIFIED


@pytest.mark.parametrize("change, status", [
    ({"claimed_wei": 3 * FEE + 1}, FAIL),  # claimed more than its calls: not the contract's rule
    ({"claimed_wei": FEE}, UNVERIFIED),  # part claimed directly before the batch: not told apart
    ({"channel_receiver": "0x" + "66" * 20}, FAIL),  # a channel that does not pay the settlement
    ({"channel_token": "0x" + "77" * 20}, FAIL),  # nor in OPG
    ({"channel_payer": "0x" + "88" * 20}, FAIL),  # nor the record's payer's
])
def test_the_channel_claim_must_be_the_payers_for_exactly_its_calls(change, status):
    assert _statuses(_batch_facts(**change))["paid by channel"] == status


def test_a_request_id_committed_again_fails_the_call():
    statuses = _statuses(_batch_facts(also_in=("batch 9 #0",)))
    assert statuses["recorded once"] == FAIL and _statuses(_batch_facts())["recorded once"] == PASS
    assert verdict(checks(_batch_facts(also_in=("batch 9 #0",)))) == FAILED
