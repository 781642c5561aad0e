"""The node's fast path for vouchers (ChannelPayments._charge_synced): a voucher on a channel the
node holds fresh from the chain is checked and charged in one write, without the SDK's verify and
settle. It must accept nothing the SDK would refuse: each test puts the node's record of a channel
it already serves into a state the SDK refuses a voucher in (the balance spent, the ceiling
claimed already, a request in flight) and sends the payer's honest next voucher, which must be
refused, with the channel's charged total left as it was; a channel whose chain state is stale
goes through the SDK, which reads the chain again. The honest case shows the fast path is the one
taken (the SDK's verify is not called at all)."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from x402.mechanisms.evm.batch_settlement import errors as sdk_errors
from x402.mechanisms.evm.batch_settlement.server.storage import PendingRequest

from tests.adversarial.test_channel_payment_attacks import HOLD, _post, _served, _template, _voucher
from tests.chain.node_fixture import channel_payer, running_node, sdk_channel_session

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]


def _changed(node, channel_id: str, **fields) -> None:
    """The node's record of the channel, with `fields` replaced (as if read so from the chain)."""

    def change(current):
        following = current.copy()
        for name, value in fields.items():
            setattr(following, name, value)
        return following

    node.channel_payments.storage.update_channel(channel_id, change)


def _charged(node, channel_id: str) -> int:
    return int(node.channel_payments.storage.get(channel_id).charged_cumulative_amount)


@contextmanager
def _one_call_served(chain, tmp_path):
    """A node that has served one call on a new payer's channel (so holds it fresh): (the node's
    URL, the node, the payer, the SDK's payload of that call, its channel id, the call's price)."""
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        with running_node(tmp_path / "node", **HOLD) as (url, node):
            [first] = _served(sdk_channel_session(chain, payer), url, 1)
            yield (url, node, payer, *_template(first))


def test_a_synced_channels_voucher_is_charged_without_the_sdk(seeded_profile, tmp_path, monkeypatch):
    chain = seeded_profile
    with _one_call_served(chain, tmp_path) as (url, node, payer, template, channel_id, price):

        def no_sdk(*_args):  # a test double: the SDK's verify must not be reached
            raise AssertionError("the SDK's verify was called")

        monkeypatch.setattr(node.channel_payments, "_verify_with_sdk", no_sdk)
        answer = _post(url, _voucher(chain, template, payer, 2 * price))
        assert answer.status_code == 200, answer.text[:300]
        assert _charged(node, channel_id) == 2 * price
        assert node.outbox.counts() == {"pending": 2}


@pytest.mark.parametrize("state, reason", [
    ("spent", sdk_errors.ERR_CUMULATIVE_EXCEEDS_BALANCE),
    ("claimed", sdk_errors.ERR_CUMULATIVE_AMOUNT_BELOW_CLAIMED),
    ("busy", sdk_errors.ERR_CHANNEL_BUSY),
])
def test_a_voucher_the_sdk_refuses_is_not_charged_by_the_fast_path(seeded_profile, tmp_path, state, reason):
    chain = seeded_profile
    with _one_call_served(chain, tmp_path) as (url, node, payer, template, channel_id, price):
        if state == "spent":  # the chain's balance covers only what was charged
            _changed(node, channel_id, balance=str(price))
        elif state == "claimed":  # the chain has the next call's ceiling claimed already
            _changed(node, channel_id, total_claimed=str(2 * price))
        else:  # another request on the channel is in flight
            _changed(node, channel_id, pending_request=PendingRequest(
                pending_id="other", signed_max_claimable=str(2 * price), expires_at=int(time.time() * 1000) + 60_000))
        answer = _post(url, _voucher(chain, template, payer, 2 * price))
        assert answer.status_code == 402 and answer.json()["error"] == reason, answer.text[:300]
        assert _charged(node, channel_id) == price
        assert node.outbox.counts() == {"pending": 1}


def test_a_channel_whose_chain_state_is_stale_is_read_again_before_its_voucher_is_charged(seeded_profile, tmp_path):
    """The node's record says the channel holds 100x what it does: stale (synced long ago), so the
    SDK reads the chain, and the voucher is charged against the real balance."""
    chain = seeded_profile
    with _one_call_served(chain, tmp_path) as (url, node, payer, template, channel_id, price):
        real_balance = int(node.channel_payments.storage.get(channel_id).balance)
        _changed(node, channel_id, balance=str(100 * real_balance), onchain_synced_at=1)
        answer = _post(url, _voucher(chain, template, payer, 2 * price))
        assert answer.status_code == 200, answer.text[:300]
        record = node.channel_payments.storage.get(channel_id)
        assert int(record.balance) == real_balance and record.onchain_synced_at > 1
        assert _charged(node, channel_id) == 2 * price
