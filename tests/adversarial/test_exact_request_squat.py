"""The `exact` path under attack (issue 16; found by the attacker review): a request id can be taken on chain by someone else's record.

`requestId = keccak(payer || nonce)` is public (the payer knows it before it pays; a mempool
watcher reads it from the node's pending settlement), and InferenceSettlement keys records by
request id without checking that the record's request id belongs to the payment that settles it.
Anyone can settle a vanilla record of their own under that request id, paid by a zero-value
authorization for a model priced 0. The node's settlement then reverts `RequestAlreadySettled`,
which the settler reads as "this call is settled already" and marks the call settled, with the
squatter's record id: the payer's authorization is never executed, the node is never paid, and
its outbox says it was.

These tests assert the honest outcome (the payer pays, the node gets its cut): they fail while the
attack works.
"""

from __future__ import annotations

import pytest

from tests.adversarial.exact_attack_support import (
    authorization,
    balance,
    call,
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
    settle_now,
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
    # paid by an authorization of 0 OPG.
    send(chain, payer, settlement.functions.settle(vanilla_record(chain, free_model, squatted),
                                                   authorization(chain, payer, 0)))
    assert settlement.functions.recordIdByRequest(squatted).call() != 0
    operator_before = balance(chain, operator(running))

    answer = call(url, header)
    assert answer.status_code in (200, 402), answer.text
    served = answer.status_code == 200
    settle_now(running)

    if served:
        row = running.outbox.get("0x" + squatted.hex())
        print("outbox row:", row.state, row.record_id, row.error)
        assert balance(chain, payer.address) == 0, (
            f"served, and the payer still holds its {value} wei: the node marked the call "
            f"{row.state!r} under a record it never settled")
        assert balance(chain, operator(running)) > operator_before, "the node was never paid its cut"


@pytest.mark.xfail(strict=True, reason=(
    "open (SECURITY.md, known limits): the contract does not bind a record's request id to the payment that "
    "settles it; the node now marks such calls failed instead of settled, but they stay unpaid"))
def test_a_mempool_watcher_cannot_squat_the_request_ids_of_a_pending_settlement(node):
    """A third party reads the request ids from the node's pending settleBatch and settles its own
    vanilla records under them first (it pays nothing but gas): every call of the batch is marked
    settled by the node and none is paid."""
    url, running, chain, _blobs = node
    settlement = chain.protocol.settlement
    requirement = offer(url)
    value = int(requirement.amount)
    payers = [new_payer(chain, value) for _ in range(3)]
    for payer in payers:
        assert call(url, pay(payer, requirement)).status_code == 200
    watcher = new_payer(chain, 0)
    free_model = publish(chain, watcher, 0, 1)
    operator_before = balance(chain, operator(running))

    def squat(pending_tx):
        for record, _payment in decode_settlement(chain, pending_tx):
            send(chain, watcher, settlement.functions.settle(vanilla_record(chain, free_model, bytes(record[3])),
                                                             authorization(chain, watcher, 0)),
                 priority_wei=50 * 10**9, wait=False)

    intercept(chain, running, squat)
    counts = running.outbox.counts()
    print("outbox:", counts)
    unpaid = [p.address for p in payers if balance(chain, p.address) == value]
    assert not unpaid, f"{len(unpaid)} of 3 served calls never charged their payer (outbox says {counts})"
    assert balance(chain, operator(running)) > operator_before
