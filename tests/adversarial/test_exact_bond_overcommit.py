"""The `exact` path under attack (issue 16; found by the attacker review): TEE calls served beyond the node's free bond never settle, and
enough of them stop the settler for good.

The node serves a TEE call when its free bond covers that one call's fee (`Node._check_bond`,
the bond read at most once a second), not that fee on top of the TEE fees of the calls it has
answered and not settled. The contract reserves each settled TEE record's fee in the bond until
the day after its 7-day window closes. So calls that arrive together (within the settler's batch
window) are all served, the first settles, and the others revert `BondCommitted`: the settler
does not count that as final and retries them every round, until they are older than the
contract's MAX_RECORD_AGE (one hour) and revert `RecordTimeOutOfBounds`, which it does not count
as final either. The settler always takes the oldest pending calls first, `batch_size` (16) of
them: 16 calls that can never settle are retried forever and nothing behind them is ever sent.

The attacker: a model publisher (any account) publishes a TEE model priced at what one call may
hold of the node's bond (1/16 since the node capped it; about half the free bond when found),
and sends, at once, as many calls as the free bond covers and 16 more, with a balance that
covers them all (the node's balance rule); the ones beyond the bond are never charged, and the
price comes back to the attacker as the model's publisher. Result: 16 calls served for free, and
the node never settles another call (vanilla or TEE, anyone's) until an operator intervenes.
An honest node under load that exceeds its bond gets there without any attacker.

The test asserts the honest outcome and fails while the attack works.
"""

from __future__ import annotations

import pytest

from tests.adversarial.exact_attack_support import (
    BODY,
    FEATURES,
    answered,
    balance,
    bond_of,
    dearest_price,
    fund,
    new_payer,
    node,  # noqa: F401 (fixture)
    offer,
    pay,
    publish,
    served_and_settled,
    settle_now,
)

pytestmark = [pytest.mark.chain, pytest.mark.timeout(300)]
BEYOND = 16  # calls beyond what the free bond covers: batch_size of them, that would never settle


def test_tee_calls_beyond_the_free_bond_are_refused_not_served_and_never_block_the_settler(node):
    url, running, chain, blobs = node
    active, free = bond_of(chain, running)
    price, value = dearest_price(chain, running, active // 16)  # the dearest TEE call the node takes
    fit = free // value
    assert fit >= 1, "the free bond covers a call"
    calls = fit + BEYOND

    attacker = new_payer(chain, 0)
    model_id = publish(chain, attacker, price, 2, blobs=blobs)  # TEE only
    chain.advance(1)
    body = {"model": model_id, "inputs": FEATURES}
    requirement = offer(url, body)
    assert int(requirement.amount) == value
    fund(chain, attacker.address, 2 * calls * value)  # covers all of them: the balance rule is satisfied
    headers = [pay(attacker, requirement) for _ in range(calls)]
    spent_before = balance(chain, attacker.address)
    answers = answered([running], [(url, h, body) for h in headers], lambda: settle_now(running, rounds=3))
    served = sum(a.status_code == 200 for a in answers)
    print("served", served, "of", calls, {a.status_code for a in answers},
          {a.json().get("error", {}).get("code") if isinstance(a.json().get("error"), dict) else a.json().get("error")
           for a in answers if a.status_code != 200})
    counts = running.outbox.counts()
    charged = (spent_before - balance(chain, attacker.address)) // value
    errors = {c.error[:60] for c in running.outbox.in_state("pending", limit=100) if c.error}
    print("outbox:", counts, "charged calls:", charged, "errors:", errors)

    chain.advance(2 * 3600)  # two hours on: the stuck calls are now past MAX_RECORD_AGE
    running._chain_time = None  # the node's clock is read at most every second; this jump took none
    settle_now(running, rounds=3)
    print("after two hours:", running.outbox.counts(),
          {c.error[:60] for c in running.outbox.in_state("pending", limit=100) if c.error})

    # An honest payer's vanilla call of a seeded model, after the attack.
    honest_body = {**BODY, "mode": "vanilla"}
    honest_requirement = offer(url, honest_body)
    honest = new_payer(chain, int(honest_requirement.amount))
    assert served_and_settled(running, url, pay(honest, honest_requirement), honest_body).status_code == 200
    print("the honest call:", running.outbox.counts())

    failures = []
    if charged != served:
        failures.append(f"{served} TEE calls served, {charged} ever charged: the rest, beyond the bond, never settle")
    if balance(chain, honest.address) != 0:
        failures.append("an honest call made after the attack never settles: the settler retries the stuck calls forever")
    assert not failures, "; ".join(failures)


def test_calls_that_aged_past_the_record_limit_do_not_block_the_settler_for_good(node):
    """The second half on its own: whatever kept 16 calls from settling for an hour (the bond
    above, an RPC outage, a node left down), they revert `RecordTimeOutOfBounds` from then on,
    which the settler does not count as final; it retries them first every round, forever."""
    url, running, chain, _blobs = node
    requirement = offer(url)
    value = int(requirement.amount)
    payer = new_payer(chain, 16 * value)

    def age_then_settle():
        chain.advance(3601 + 60)  # the calls are past MAX_RECORD_AGE when the settler next runs
        running._chain_time = None  # the node's clock is read at most every second; this jump took none
        settle_now(running, rounds=2)

    old = answered([running], [(url, pay(payer, requirement)) for _ in range(16)], age_then_settle)
    print("the old calls:", running.outbox.counts(), {a.status_code for a in old},
          {c.error[:60] for c in running.outbox.in_state("pending", limit=100) if c.error})
    assert {a.status_code for a in old} == {402}, "calls that could not settle were answered"
    honest_requirement = offer(url)
    honest = new_payer(chain, int(honest_requirement.amount))
    assert served_and_settled(running, url, pay(honest, honest_requirement)).status_code == 200
    print("then:", running.outbox.counts())
    assert balance(chain, honest.address) == 0, "a new call never settles: 16 calls that never can are retried first"
