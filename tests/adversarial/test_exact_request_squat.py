"""The `exact` path under attack (issue 16; found by the attacker review): a request id taken on chain by someone else's record.

A call's request id is public (the payer knows it before it pays; a mempool watcher reads it from
the node's pending settlement). Before ExactTills, InferenceSettlement keyed records by request id
without checking that it belonged to the payment that settled it: anyone could settle a vanilla
record of their own under it (a zero-value authorization, a model priced 0) and the node's
settlement reverted `RequestAlreadySettled`: served, never paid. Now a request id is
keccak(till || payer || nonce), checked against the payment, and only the till's node settles it.

These tests assert the honest outcome (the squat is refused, the payer pays, the node gets its
cut); the second was a strict xfail until the contract bound request ids to payments.
"""

from __future__ import annotations

import pytest

from tests.adversarial.exact_attack_support import (
    answered,
    authorization,
    balance,
    decode_settlement,
    intercept,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    operator,
    pay,
    publish,
    request_id_of,
    send,
    served_and_settled,
    vanilla_record,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(240)]


def test_a_payer_cannot_settle_its_own_request_id_first_and_be_served_free(node):
    url, running, chain, _blobs = node
    settlement = chain.protocol.settlement
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, value)  # exactly one call's worth, and gas
    free_model = publish(chain, payer, 0, 1)  # vanilla; anyone may publish a model priced 0

    header = pay(payer, requirement)
    squatted = request_id_of(payer.address, header)
    # Before paying the node: a vanilla record of the payer's own under the call's request id,
    # paid by an authorization of 0 OPG: refused (the id is not this payment's).
    squat = send(chain, payer, settlement.functions.settle(vanilla_record(chain, free_model, squatted),
                                                           authorization(chain, payer, 0)), wait=False)
    assert chain.w3.eth.wait_for_transaction_receipt(squat)["status"] == 0, "a record squatted the call's request id"
    assert settlement.functions.recordIdByRequest(squatted).call() == 0
    operator_before = balance(chain, operator(running))

    answer = served_and_settled(running, url, header)
    assert answer.status_code in (200, 402), answer.text
    served = answer.status_code == 200

    if served:
        row = running.outbox.get("0x" + squatted.hex())
        print("outbox row:", row.state, row.record_id, row.error)
        assert balance(chain, payer.address) == 0, (
            f"served, and the payer still holds its {value} wei: the node marked the call "
            f"{row.state!r} under a record it never settled")
        assert balance(chain, operator(running)) > operator_before, "the node was never paid its cut"


def test_a_mempool_watcher_cannot_squat_the_request_ids_of_a_pending_settlement(node):
    """A third party reads the request ids from the node's pending settleBatch and tries to settle
    its own vanilla records under them first (it would pay nothing but gas): refused, and every
    call of the batch is paid."""
    url, running, chain, _blobs = node
    settlement = chain.protocol.settlement
    requirement = offer(url)
    value = int(requirement.amount)
    payers = [new_payer(chain, value) for _ in range(3)]
    headers = [pay(payer, requirement) for payer in payers]
    watcher = new_payer(chain, 0)
    free_model = publish(chain, watcher, 0, 1)
    operator_before = balance(chain, operator(running))

    def squat(pending_tx):
        for record, _payment in decode_settlement(chain, pending_tx):
            send(chain, watcher, settlement.functions.settle(vanilla_record(chain, free_model, bytes(record[3])),
                                                             authorization(chain, watcher, 0)),
                 priority_wei=50 * 10**9, wait=False)

    answers = answered([running], [(url, h) for h in headers], lambda: intercept(chain, running, squat))
    assert [a.status_code for a in answers] == [200] * 3, [a.text[:160] for a in answers]
    counts = running.outbox.counts()
    print("outbox:", counts)
    unpaid = [p.address for p in payers if balance(chain, p.address) == value]
    assert not unpaid, f"{len(unpaid)} of 3 served calls never charged their payer (outbox says {counts})"
    assert balance(chain, operator(running)) > operator_before
