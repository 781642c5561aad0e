"""What a paying client deposits into a channel on its own, whatever the node's offer asks: at
most MAX_DEPOSIT_CALLS calls' worth, into a channel whose withdraw delay is at most
MAX_WITHDRAW_DELAY_S; and which scheme `payment=` picks from an offer."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ogcli.sdk.channel_pay import MAX_DEPOSIT_CALLS, MAX_WITHDRAW_DELAY_S
from ogcli.sdk.paid_http import PaidClient, PaymentRejected

SETTLEMENT, TOKEN, TILLS = "0x" + "22" * 20, "0x" + "55" * 20, "0x" + "77" * 20
PRICE = 10**17


def _client(payment: str = "channel") -> PaidClient:
    from eth_account import Account

    return PaidClient("http://127.0.0.1:1", Account.create(), chain_id=31337, token=TOKEN, settlement=SETTLEMENT, tills=TILLS,
                      payment=payment, rpc_url="http://127.0.0.1:1", channel_state_dir="/nonexistent")


def _requirement(scheme: str = "batch-settlement", delay: int = 900, **changes):
    fields = dict(scheme=scheme, network="eip155:31337", asset=TOKEN, pay_to=SETTLEMENT, amount=str(PRICE),
                  extra={"receiverAuthorizer": "0x" + "33" * 20, "withdrawDelay": delay})
    fields.update(changes)
    return SimpleNamespace(**fields)


def test_a_deposit_of_up_to_the_bound_passes_and_one_over_it_is_refused():
    client = _client()
    client.channel.bounded_deposit(_requirement(), MAX_DEPOSIT_CALLS * PRICE)
    with pytest.raises(PaymentRejected, match="pay channel open"):
        client.channel.bounded_deposit(_requirement(), MAX_DEPOSIT_CALLS * PRICE + 1)


def test_a_channel_that_would_lock_the_deposit_for_long_is_refused():
    client = _client()
    client.channel.bounded_deposit(_requirement(delay=MAX_WITHDRAW_DELAY_S), PRICE)
    with pytest.raises(PaymentRejected, match="withdrawal starts"):
        client.channel.bounded_deposit(_requirement(delay=MAX_WITHDRAW_DELAY_S + 1), PRICE)


def test_the_scheme_follows_payment_and_the_offer():
    offer = SimpleNamespace(accepts=[_requirement("exact", extra={}), _requirement()])
    assert _client("exact").channel is None
    assert _client("channel").channel.offer(offer).scheme == "batch-settlement"
    only_exact = SimpleNamespace(accepts=[_requirement("exact", extra={})])
    with pytest.raises(PaymentRejected, match="takes no channel payments"):
        _client("channel").channel.offer(only_exact)
    assert _client("auto").channel.offer(only_exact) is None
    foreign = SimpleNamespace(accepts=[_requirement(pay_to="0x" + "99" * 20)])  # not our settlement
    with pytest.raises(PaymentRejected):
        _client("channel").channel.offer(foreign)
    only_channels = SimpleNamespace(accepts=[_requirement()])
    without, with_one = _client("auto"), _client("auto")
    without.channel.has_channel = lambda _r: False  # no channel open on chain: auto never opens one
    with pytest.raises(PaymentRejected, match="no channel open"):
        without.channel.offer(only_channels)
    with_one.channel.has_channel = lambda _r: True
    assert with_one.channel.offer(only_channels).scheme == "batch-settlement"
