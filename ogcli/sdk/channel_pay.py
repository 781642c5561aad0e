"""Paying a node by channel (x402 `batch-settlement`), for ogcli/sdk/paid_http.py's PaidClient:
the official SDK's client signs each voucher (or a deposit and its first voucher) on the payer's
channel with the node, its state kept on disk; this module decides when a call goes by channel,
bounds what the client deposits on its own, holds a corrective 402 to the spec's purpose (a voucher
sent is payment: a node refusing it while counting it as charged gets nothing more), and keeps
the payer's channel index current. Also the SDK client's refund, with ogcli's RefundRequest.
"""

from __future__ import annotations

import time

from ogcli.sdk.payment_types import CHANNEL_SCHEME, Offer, PaymentRejected, refused

# What a paying client deposits into a channel on its own (the node's offer names the amount and
# the delay before a withdrawal returns it): at most this many calls' worth, locked at most this
# long: what the reference node asks (50 calls, 15 minutes) with room for the delay. More is for
# `ogcli pay channel open`, where the payer names the amount.
MAX_DEPOSIT_CALLS = 50
MAX_WITHDRAW_DELAY_S = 86_400


def channel_storage(state_dir):
    """The SDK client's channel state on disk (its file layout), in `state_dir`."""
    from x402.mechanisms.evm.batch_settlement.client.file_storage import (
        FileChannelStorageOptions,
        FileClientChannelStorage,
    )

    return FileClientChannelStorage(FileChannelStorageOptions(directory=state_dir))


def refund_fetch(account, *, chain_id: int, channel_id: bytes, refund_nonce: int, amount_wei: int):
    """The fetch the SDK client's `refund(url, RefundOptions(fetch=...))` sends its requests
    with: the refund request itself gets the payer's signed RefundRequest (core.channels) for the
    channel's current refund nonce and this amount (0: all), which the node refunds on, once."""
    import httpx
    from x402.mechanisms.evm.batch_settlement.client.refund import _RefundResponse

    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.core import channels

    signed = account.sign_typed_data(channels.domain(chain_id, BATCH_SETTLEMENT_ADDRESS), channels.REFUND_REQUEST_TYPES,
                                     channels.refund_request(channel_id, refund_nonce, amount_wei))
    authorization = "0x" + bytes(signed.signature).hex()

    def fetch(url: str, headers: dict[str, str]):
        if headers:  # the request; the probe before it carries no payment
            headers = {**headers, channels.REFUND_AUTHORIZATION_HEADER: authorization}
        response = httpx.get(url, headers=headers, timeout=120)
        return _RefundResponse(status=response.status_code, headers=dict(response.headers))

    return fetch


def channel_scheme(account, rpc_url: str, storage):
    """The official SDK's batch-settlement client scheme for `account`, its channel state in
    `storage` (channel_storage), reading channels on chain through `rpc_url`."""
    from x402.mechanisms.evm.batch_settlement.client import BatchSettlementEvmScheme
    from x402.mechanisms.evm.batch_settlement.client.config import BatchSettlementEvmSchemeOptions
    from x402.mechanisms.evm.signers import EthAccountSignerWithRPC

    return BatchSettlementEvmScheme(EthAccountSignerWithRPC(account, rpc_url), BatchSettlementEvmSchemeOptions(storage=storage))


class ChannelPayer:
    """The channel half of one PaidClient (its node, payer, network and limits)."""

    def __init__(self, client) -> None:
        self.client = client
        self._channels = None  # the SDK's x402HTTPClientSync, made on the first channel payment
        self._channel_storage = None
        self._open_channels: set[bytes] = set()  # channels seen open on chain (payment="auto")
        self._indexed: set[bytes] = set()  # channels this client has put into the payer's channel index

    def offer(self, asked):
        """The batch-settlement requirement of the node's offer `asked` when this call is to be
        paid by channel, else None (pay by `exact`). PaymentRejected when `channel` was asked and
        the node offers no channel this payer may use."""
        if self.client.payment == "exact":
            return None
        network = f"eip155:{self.client.chain_id}"
        ours = [r for r in asked.accepts if r.scheme == CHANNEL_SCHEME and r.network == network
                and r.asset.lower() == self.client.token.lower() and r.pay_to.lower() == self.client.settlement.lower()
                and (r.extra or {}).get("receiverAuthorizer")]
        if not ours:
            if self.client.payment == "channel":
                raise PaymentRejected(f"the node at {self.client.base_url} takes no channel payments in OPG on {network} "
                                      "paid to the settlement contract; nothing was paid (pay by exact instead)")
            return None
        requirement = ours[0]
        self.client._within_limit(int(requirement.amount))
        if self.client.payment == "channel" or self.has_channel(requirement):
            return requirement
        if not any(r.scheme == "exact" for r in asked.accepts):  # `auto` never opens a channel itself
            raise PaymentRejected(f"the node at {self.client.base_url} takes only channel payments and you have no channel "
                                  "open with it: open one (`ogcli pay channel open --amount OPG --node URL`) or "
                                  "pay by channel (--pay channel, payment='channel'); nothing was paid")
        return None

    def has_channel(self, requirement) -> bool:
        """Whether the payer's channel with this node (the one the SDK's client builds) holds
        more than has been claimed from it, on chain (asked once per client while it does)."""
        from ogcli.chain.channels import read_channels
        from ogcli.chain.rpc import Endpoint

        channel = self._channel_id(requirement)
        if channel in self._open_channels:
            return True
        _now, [state] = read_channels(Endpoint(self.client.rpc_url), [channel])
        if state.available_wei > 0 and not state.withdrawal_pending:
            self._open_channels.add(channel)
            return True
        return False

    def _channel(self, requirement):
        """(config, id) of the channel the SDK's client builds for this payer under the offer's terms."""
        from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
        from ogcli.core.channel_terms import MIN_WITHDRAW_DELAY_S, ChannelTerms, client_channel

        extra = requirement.extra or {}
        terms = ChannelTerms(self.client.base_url, requirement.pay_to, requirement.asset, extra["receiverAuthorizer"],
                             int(extra.get("withdrawDelay") or MIN_WITHDRAW_DELAY_S), None)
        return client_channel(self.client.account.address, terms, self.client.chain_id, BATCH_SETTLEMENT_ADDRESS)

    def _channel_id(self, requirement) -> bytes:
        return self._channel(requirement)[1]

    def _remember(self, requirement) -> None:
        """Puts the channel a call was paid on into the payer's channel index (once per client),
        so `ogcli pay channel status|refund|withdraw` and `infer receipts` know it."""
        from ogcli import channel_index

        config, key = self._channel(requirement)
        if key in self._indexed:
            return
        if channel_index.channel_with(self.client.chain_id, config.payer, self.client.base_url) is None:
            channel_index.add(self.client.chain_id, channel_index.IndexedChannel("0x" + key.hex(), self.client.base_url, config,
                                                                          int(time.time())))
        self._indexed.add(key)

    def _channel_client(self):
        """The official SDK's batch-settlement client for this payer, its channel state on disk
        (`channel_state_dir`), so the next process pays on from where this one stopped."""
        if self._channels is None:
            from x402 import x402ClientSync
            from x402.http.x402_http_client import x402HTTPClientSync

            self._channel_storage = channel_storage(self.client.channel_state_dir)
            scheme = channel_scheme(self.client.account, self.client.rpc_url, self._channel_storage)
            client = x402ClientSync().register(f"eip155:{self.client.chain_id}", scheme)
            client.set_spend_controls(False)  # the limit is ours (max_price_wei), checked on the offer
            self._channels = x402HTTPClientSync(client)
        return self._channels

    def pay(self, path: str, body: dict, offer, requirement, approve):
        """One call paid by channel. A corrective 402 (the node's view of what the channel has
        been charged, with a payer-signed voucher as its evidence) resynchronises the SDK client's
        state once and pays again, except when the charge it cites is the voucher just sent: a
        voucher is payment, and a node refusing it while counting it as charged would have the
        payer sign again for the same call. Then, and on any final refusal, the client's channel
        state is put back as it was before the call, so a refusing node moves it nowhere."""
        from x402.schemas import PaymentRequired

        http = self._channel_client()
        key = "0x" + self._channel_id(requirement).hex()
        before = self._channel_storage.get(key)
        required = PaymentRequired(accepts=[requirement], resource=offer.resource)
        try:
            paid, payload = self._voucher_round(path, body, http, required, requirement, offer, approve)
            if self._resynchronised(http, paid, payload):
                cited = self._charged(key)
                if cited == int(payload.payload["voucher"]["maxClaimableAmount"]):
                    raise PaymentRejected(
                        "the node refused the voucher just sent while counting it as charged (its corrective "
                        f"402 cites {cited} wei, the amount of that voucher): nothing more was signed; the node "
                        "can claim at most that one voucher")
                paid, payload = self._voucher_round(path, body, http, required, requirement, offer, approve)
                self._resynchronised(http, paid, payload)
            if paid.status_code == 402:
                raise refused(paid)
            answer = self.client._checked(paid)
        except BaseException:
            self._restore(key, before)
            raise
        self._remember(requirement)
        return answer

    def _resynchronised(self, http, paid, payload) -> bool:
        """Runs the SDK's client rules on a channel payment's answer (its PAYMENT-RESPONSE, or a
        corrective 402's channel state); True when they resynchronised the channel's state."""
        try:
            return http.process_payment_result(payload, paid.headers.get, paid.status_code).recovered
        except ValueError as exc:  # e.g. a response saying the node charged more than the price
            raise PaymentRejected(f"the node's payment response breaks the channel rules: {exc}") from None

    def _charged(self, key: str) -> int | None:
        context = self._channel_storage.get(key)
        return int(context.charged_cumulative_amount) if context and context.charged_cumulative_amount else None

    def _restore(self, key: str, before) -> None:
        if before is None:
            self._channel_storage.delete(key)
        else:
            self._channel_storage.set(key, before)

    def _voucher_round(self, path, body, http, required, requirement, offer, approve):
        """Signs the channel payment (a voucher, or a deposit and its first voucher), lets the
        caller approve it, and sends it: (response, payload). Nothing leaves this process unapproved."""
        from x402.http import PAYMENT_SIGNATURE_HEADER

        payload = http.create_payment_payload(required)
        deposit = (payload.payload.get("deposit") or {}) if isinstance(payload.payload, dict) else {}
        deposit_wei = int(deposit.get("amount") or 0)
        if deposit_wei:
            self.bounded_deposit(requirement, deposit_wei)
        if approve is not None:
            description = offer.resource.description if offer.resource else ""
            approve(Offer(int(requirement.amount), requirement.network, requirement.asset, requirement.pay_to,
                          description or "", scheme=CHANNEL_SCHEME, deposit_wei=deposit_wei,
                          channel_id="0x" + self._channel_id(requirement).hex()))
        header = http.encode_payment_signature_header(payload)[PAYMENT_SIGNATURE_HEADER]
        return self.client._send(path, body, {PAYMENT_SIGNATURE_HEADER: header}), payload

    def bounded_deposit(self, requirement, deposit_wei: int) -> None:
        """A deposit the client makes on its own stays within MAX_DEPOSIT_CALLS calls' worth and
        a withdraw delay of MAX_WITHDRAW_DELAY_S, whatever the node's offer asks (it could
        otherwise lock much of the payer's wallet in its channel); refused before anything is sent."""
        from ogcli.core.amounts import format_amount

        amount, delay = int(requirement.amount), int((requirement.extra or {}).get("withdrawDelay") or 0)
        opening = f"open the channel yourself: `ogcli pay channel open --amount OPG --node {self.client.base_url}`"
        if deposit_wei > MAX_DEPOSIT_CALLS * amount:
            raise PaymentRejected(f"the node asks a deposit of {format_amount(deposit_wei, group=True)} OPG for a call "
                                  f"of {format_amount(amount, group=True)}: more than {MAX_DEPOSIT_CALLS} calls' worth, "
                                  f"which is all a paying client deposits on its own; nothing was paid ({opening})")
        if delay > MAX_WITHDRAW_DELAY_S:
            raise PaymentRejected(f"the node's channels keep a deposit {delay} s after a withdrawal starts, more than "
                                  f"the {MAX_WITHDRAW_DELAY_S} s a paying client accepts on its own; nothing was paid "
                                  f"({opening})")

