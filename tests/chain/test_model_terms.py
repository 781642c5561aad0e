"""ModelHub's terms under change (issue 16): a price rise and a deprecation wait TERMS_DELAY before
calls settle under them, a cut applies at once, and `infer verify`'s price history reads the same
rule from the events (the one rule, on chain and in Python)."""

from __future__ import annotations

import pytest

from ogcli.chain.history import PriceSet
from tests.chain.fixtures import send_as

pytestmark = pytest.mark.chain
MODE_VANILLA, MODE_TEE = 1, 2


def _hub(chain):
    return chain.protocol.hub.functions


def _publisher(chain, model_id: int) -> str:
    return _hub(chain).getModel(model_id).call()[1]


def test_a_rise_waits_out_the_delay_and_a_cut_applies_at_once(seeded_profile):
    chain = seeded_profile
    hub = _hub(chain)
    with chain.snapshot():
        delay = hub.TERMS_DELAY().call()
        assert delay == 3600
        before = hub.callTerms(1, MODE_TEE).call()[0]
        receipt = send_as(chain, _publisher(chain, 1), hub.setPrice(1, 2 * before))
        changed = chain.protocol.hub.events.PriceChanged().process_receipt(receipt)[0]["args"]
        at = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
        assert (changed["oldPrice"], changed["newPrice"], changed["effectiveAt"]) == (before, 2 * before, at + delay)
        assert hub.callTerms(1, MODE_TEE).call()[0] == before, "a rise applies at once"
        assert hub.priceAt(1, at + delay - 1).call() == before and hub.priceAt(1, at + delay).call() == 2 * before
        assert hub.getModel(1).call()[5] == 2 * before  # the price set, shown as the model's

        # A second change while the rise waits starts from the price in force, not the pending one.
        receipt = send_as(chain, _publisher(chain, 1), hub.setPrice(1, 3 * before))
        again = chain.protocol.hub.events.PriceChanged().process_receipt(receipt)[0]["args"]
        assert again["oldPrice"] == before and hub.callTerms(1, MODE_TEE).call()[0] == before
        chain.advance(delay)
        assert hub.callTerms(1, MODE_TEE).call()[0] == 3 * before

        receipt = send_as(chain, _publisher(chain, 1), hub.setPrice(1, before // 2))
        cut = chain.protocol.hub.events.PriceChanged().process_receipt(receipt)[0]["args"]
        assert cut["effectiveAt"] == chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
        assert hub.callTerms(1, MODE_TEE).call()[0] == before // 2, "a cut waits"


def test_a_deprecated_model_settles_calls_for_the_delay_and_then_none(seeded_profile):
    chain = seeded_profile
    hub = _hub(chain)
    with chain.snapshot():
        assert hub.callTerms(3, MODE_VANILLA).call()[1] or hub.callTerms(3, MODE_TEE).call()[1]
        mode = MODE_VANILLA if hub.callTerms(3, MODE_VANILLA).call()[1] else MODE_TEE
        receipt = send_as(chain, _publisher(chain, 3), hub.deprecate(3))
        until = chain.protocol.hub.events.ModelDeprecated().process_receipt(receipt)[0]["args"]["callableUntil"]
        assert until == chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] + hub.TERMS_DELAY().call()
        assert hub.getModel(3).call()[9] is True  # deprecated: nodes take no new calls
        assert hub.callTerms(3, mode).call()[1] is True, "calls already answered no longer settle"
        chain.advance(hub.TERMS_DELAY().call())
        assert hub.callTerms(3, mode).call()[1] is False


def test_the_price_history_reads_the_rule_the_contract_applies(seeded_profile):
    """terms_at (what `infer verify` checks a call's fee split against) at a point after a rise:
    the old price until the rise applies, the new one after, as callTerms says at that time."""
    from ogcli.chain.history import Point, terms_at

    chain = seeded_profile
    hub = _hub(chain)
    with chain.snapshot():
        before = hub.callTerms(1, MODE_TEE).call()[0]
        send_as(chain, _publisher(chain, 1), hub.setPrice(1, 2 * before))
        chain.advance(60)
        soon = chain.w3.eth.block_number
        assert terms_at(chain.protocol, 1, Point(soon, 10**6))[1] == before == hub.callTerms(1, MODE_TEE).call()[0]
        chain.advance(hub.TERMS_DELAY().call())
        later = chain.w3.eth.block_number
        assert terms_at(chain.protocol, 1, Point(later, 10**6))[1] == 2 * before == hub.callTerms(1, MODE_TEE).call()[0]


def test_a_price_set_applies_by_time():
    rise = PriceSet(old=5, new=9, effective_at=100)
    assert (rise.at(99), rise.at(100)) == (5, 9)
