"""Cooperative refunds: the official x402 client's `refund` (and `ogcli pay channel refund`) gets
back at once what a channel holds beyond everything the node charged on it; the node sends
BatchSettlement.refund as the channel's receiver authorizer, claims nothing directly, and still
commits and is paid for every call it answered before."""

from __future__ import annotations

import pytest

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.protocol import artifacts
from tests.chain.node_fixture import channel_payer, running_node

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

BODY = {"model": 1, "inputs": {"features": [[0.25] * 8]}}


def _refund(chain, scheme, payer, url, channel_id: str, amount_wei: int = 0):
    """The official client's refund, with the payer's signed RefundRequest (ogcli's addition: the
    node refunds only on it) in the fetch the SDK lets a caller give."""
    from x402.mechanisms.evm.batch_settlement.client.refund import RefundOptions

    from ogcli.sdk.channel_pay import refund_fetch

    contract = chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
    channel = bytes.fromhex(channel_id[2:])
    fetch = refund_fetch(payer, chain_id=31337, channel_id=channel,
                         refund_nonce=contract.functions.refundNonce(channel).call(), amount_wei=amount_wei)
    return scheme.refund(f"{url}/v1/channels/refund",
                         RefundOptions(amount=str(amount_wei) if amount_wei else None, fetch=fetch))


def _sdk(chain, payer):
    """The official SDK's batch-settlement client and a requests session paying with it."""
    from x402 import x402ClientSync
    from x402.http.clients import x402_requests
    from x402.mechanisms.evm.batch_settlement.client import BatchSettlementEvmScheme
    from x402.mechanisms.evm.signers import EthAccountSignerWithRPC

    network = f"eip155:{chain.w3.eth.chain_id}"
    scheme = BatchSettlementEvmScheme(EthAccountSignerWithRPC(payer, chain.url))
    client = x402ClientSync().register(network, scheme)
    client.set_spend_controls({"allowed_assets": [{"network": network, "asset": chain.protocol.token.address}]})
    return scheme, x402_requests(client)


def test_the_official_client_refunds_what_was_not_charged_and_the_node_is_still_paid(seeded_profile, tmp_path):
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        channels = chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
        token = chain.protocol.token.functions
        with running_node(tmp_path / "node", batch_min_records=100, batch_max_wait_s=3600,
                          batch_interval_s=0.1) as (url, node):
            scheme, session = _sdk(chain, payer)
            answers = [session.post(f"{url}/v1/infer", json=BODY) for _ in range(3)]
            assert [a.status_code for a in answers] == [200] * 3
            channel_id = answers[0].json()["receipt"]["settlement"]["channel"]
            fee = int(answers[0].json()["receipt"]["value_wei"])
            balance, claimed = channels.functions.channels(bytes.fromhex(channel_id[2:])).call()
            assert claimed == 0 and balance > 3 * fee  # charged, not committed yet
            held = token.balanceOf(payer.address).call()

            with pytest.raises(Exception, match="refund_authorization_invalid|Refund failed"):
                scheme.refund(f"{url}/v1/channels/refund")  # the scheme's request alone: its voucher is public
            settled = _refund(chain, scheme, payer, url, channel_id)
            assert settled.success and settled.transaction
            returned = token.balanceOf(payer.address).call() - held
            assert returned == balance - 3 * fee  # everything but what was charged
            assert channels.functions.channels(bytes.fromhex(channel_id[2:])).call() == [3 * fee, 0]
            sender = chain.w3.eth.get_transaction(settled.transaction)["from"]
            assert sender == node.channel_payments.operator  # the receiver authorizer, as BatchSettlement requires
            claims = channels.events.Claimed().get_logs(from_block=0)
            assert not [c for c in claims if c["args"]["channelId"].hex() == channel_id[2:]]  # no direct claim

            node.committer.commit_pending()  # the calls answered before are still claimed, in full
            assert channels.functions.channels(bytes.fromhex(channel_id[2:])).call() == [3 * fee, 3 * fee]
            assert node.outbox.counts() == {"settled": 3}

            # An emptied channel has nothing more to give back; a new call deposits again.
            with pytest.raises(Exception, match="no remaining balance|refund_no_balance|Refund failed"):
                _refund(chain, scheme, payer, url, channel_id)
            again = session.post(f"{url}/v1/infer", json=BODY)
            assert again.status_code == 200, again.text[:300]


def test_a_partial_refund_leaves_the_channel_paying(seeded_profile, tmp_path):
    chain = seeded_profile
    with chain.snapshot():
        payer = channel_payer(chain, tmp_path)
        token = chain.protocol.token.functions
        with running_node(tmp_path / "node", batch_min_records=100, batch_max_wait_s=3600,
                          batch_interval_s=0.1) as (url, node):
            scheme, session = _sdk(chain, payer)
            first = session.post(f"{url}/v1/infer", json=BODY)
            assert first.status_code == 200
            channel_id = first.json()["receipt"]["settlement"]["channel"]
            held = token.balanceOf(payer.address).call()
            assert _refund(chain, scheme, payer, url, channel_id, 1000).success
            assert token.balanceOf(payer.address).call() - held == 1000
            after = session.post(f"{url}/v1/infer", json=BODY)  # vouchers go on: nothing was lost track of
            assert after.status_code == 200, after.text[:300]
            node.committer.commit_pending()
            assert node.outbox.counts() == {"settled": 2}
