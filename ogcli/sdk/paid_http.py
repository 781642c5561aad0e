"""Calls a node and pays for them with x402: by `exact` (the official SDK signs an EIP-3009
authorization per call) or by channel (`batch-settlement`: the official SDK's client signs a
cumulative voucher on the payer's channel with the node, depositing into it when it must).

One round: POST; on 402, read the offer from the PAYMENT-REQUIRED header, check it is for this
network's OPG and settlement contract and within the caller's limit, pick the scheme (`payment`:
`exact`, `channel`, or `auto`: the channel when the payer has one with this node on chain, else
`exact`), let the caller approve it (seeing any deposit), sign, and POST again with
PAYMENT-SIGNATURE. The second answer carries the result and the receipt; a channel payment's
PAYMENT-RESPONSE is checked and recorded by the SDK's client rules (what the node charged, at most
the price; a corrective 402 resynchronises the channel once and pays again). `wait_settled`
follows the receipt until its settlement is mined (a channel call's: its batch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ogcli.errors import OgcliError, RevertedError, UsageError

SETTLE_TIMEOUT_S = 60.0


class NodeError(OgcliError):
    """The node refused the call (4xx) or failed (5xx); nothing was paid."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"the node refused the call ({status} {code}): {message}")
        self.status, self.code = status, code


class PaymentRejected(RevertedError):
    """The node did not accept the payment; the authorization was not used."""


PAYMENTS = ("auto", "exact", "channel")
CHANNEL_SCHEME = "batch-settlement"
# What a paying client deposits into a channel on its own (the node's offer names the amount and
# the delay before a withdrawal returns it): at most this many calls' worth, locked at most this
# long: what the reference node asks (50 calls, 15 minutes) with room for the delay. More is for
# `ogcli pay channel open`, where the payer names the amount.
MAX_DEPOSIT_CALLS = 50
MAX_WITHDRAW_DELAY_S = 86_400


@dataclass(frozen=True)
class Offer:
    amount_wei: int
    network: str
    asset: str
    pay_to: str
    description: str
    scheme: str = "exact"
    deposit_wei: int = 0  # a channel payment that first deposits this much into the channel
    channel_id: str = ""


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


class PaidClient:
    def __init__(self, base_url: str, account, *, chain_id: int, token: str, settlement: str,
                 max_price_wei: int | None = None, timeout_s: float = 60.0, payment: str = "exact",
                 rpc_url: str | None = None, channel_state_dir=None) -> None:
        """`payment` other than `exact` needs `rpc_url` (the channel's state is read from chain)
        and `channel_state_dir`, where the SDK's client keeps what each channel has been charged."""
        import httpx

        if payment not in PAYMENTS:
            raise UsageError(f"payment must be one of {', '.join(PAYMENTS)}, not {payment!r}")
        if payment != "exact" and (rpc_url is None or channel_state_dir is None):
            raise ValueError("paying by channel needs rpc_url and channel_state_dir")
        self.base_url = base_url.rstrip("/")
        self.account = account
        self.chain_id, self.token, self.settlement = chain_id, token, settlement
        self.max_price_wei = max_price_wei
        self.payment, self.rpc_url, self.channel_state_dir = payment, rpc_url, channel_state_dir
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self._channels = None  # the SDK's x402HTTPClientSync, made on the first channel payment
        self._open_channels: set[bytes] = set()  # channels seen open on chain (payment="auto")
        self._indexed: set[bytes] = set()  # channels this client has put into the payer's channel index

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, body: dict, approve: Callable[[Offer], None] | None = None):
        """The node's successful answer (an httpx.Response), paid for if it asked."""
        from x402.http import PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER, decode_payment_required_header

        first = self._send(path, body, {})
        if first.status_code != 402:
            return self._checked(first)
        try:
            offer = decode_payment_required_header(first.headers[PAYMENT_REQUIRED_HEADER])
        except Exception:
            raise NodeError(402, "bad_offer", "the node asked for payment without a readable x402 offer") from None
        channel = self._channel_offer(offer)
        if channel is not None:
            return self._pay_by_channel(path, body, offer, channel, approve)
        requirement, summary = self._acceptable(offer)
        if approve is not None:
            approve(summary)
        paid = self._send(path, body, {PAYMENT_SIGNATURE_HEADER: self._sign(offer, requirement)})
        if paid.status_code == 402:
            raise _refused(paid)
        return self._checked(paid)

    def receipt(self, request_id: str) -> dict:
        return self._checked(self._http.get(f"/v1/receipts/{request_id}")).json()

    def wait_settled(self, request_id: str, timeout_s: float = SETTLE_TIMEOUT_S) -> dict:
        """The receipt once settled (or failed); NodeError when it does not settle in time."""
        deadline = time.monotonic() + timeout_s
        delay = 0.05
        while True:
            receipt = self.receipt(request_id)
            if receipt["state"] in ("settled", "failed"):
                return receipt
            if time.monotonic() > deadline:
                raise NodeError(504, "settlement_pending",
                                f"call {request_id} is not settled after {timeout_s:.0f}s; `ogcli infer verify {request_id}` later")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    # ------------------------------------------------------------------ by channel

    def _channel_offer(self, offer):
        """The offer's batch-settlement requirement when this call is to be paid by channel, else
        None (pay by `exact`). PaymentRejected when `channel` was asked and the node offers no
        channel this payer may use."""
        if self.payment == "exact":
            return None
        network = f"eip155:{self.chain_id}"
        ours = [r for r in offer.accepts if r.scheme == CHANNEL_SCHEME and r.network == network
                and r.asset.lower() == self.token.lower() and r.pay_to.lower() == self.settlement.lower()
                and (r.extra or {}).get("receiverAuthorizer")]
        if not ours:
            if self.payment == "channel":
                raise PaymentRejected(f"the node at {self.base_url} takes no channel payments in OPG on {network} "
                                      "paid to the settlement contract; nothing was paid (pay by exact instead)")
            return None
        requirement = ours[0]
        self._within_limit(int(requirement.amount))
        if self.payment == "channel" or self._has_channel(requirement):
            return requirement
        if not any(r.scheme == "exact" for r in offer.accepts):  # `auto` never opens a channel itself
            raise PaymentRejected(f"the node at {self.base_url} takes only channel payments and you have no channel "
                                  "open with it: open one (`ogcli pay channel open --amount OPG --node URL`) or "
                                  "pay by channel (--pay channel, payment='channel'); nothing was paid")
        return None

    def _has_channel(self, requirement) -> bool:
        """Whether the payer's channel with this node (the one the SDK's client builds) holds
        more than has been claimed from it, on chain (asked once per client while it does)."""
        from ogcli.chain.channels import read_channels
        from ogcli.chain.rpc import Endpoint

        channel = self._channel_id(requirement)
        if channel in self._open_channels:
            return True
        _now, [state] = read_channels(Endpoint(self.rpc_url), [channel])
        if state.available_wei > 0 and not state.withdrawal_pending:
            self._open_channels.add(channel)
            return True
        return False

    def _channel_config(self, requirement):
        """The channel the SDK's client builds for this payer under the offer's terms."""
        from ogcli.core.channel_terms import ChannelTerms, channel_config

        extra = requirement.extra or {}
        terms = ChannelTerms(self.base_url, requirement.pay_to, requirement.asset, extra["receiverAuthorizer"],
                             int(extra.get("withdrawDelay") or 900), None)
        return channel_config(self.account.address, terms)

    def _channel_id(self, requirement) -> bytes:
        from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
        from ogcli.core.channels import channel_id

        return channel_id(self._channel_config(requirement), self.chain_id, BATCH_SETTLEMENT_ADDRESS)

    def _remember(self, requirement) -> None:
        """Puts the channel a call was paid on into the payer's channel index (once per client),
        so `ogcli pay channel status|refund|withdraw` and `infer receipts` know it."""
        from ogcli import channel_index

        key = self._channel_id(requirement)
        if key in self._indexed:
            return
        config = self._channel_config(requirement)
        if channel_index.channel_with(self.chain_id, config.payer, self.base_url) is None:
            channel_index.add(self.chain_id, channel_index.IndexedChannel("0x" + key.hex(), self.base_url, config,
                                                                          int(time.time())))
        self._indexed.add(key)

    def _channel_client(self):
        """The official SDK's batch-settlement client for this payer, its channel state on disk
        (`channel_state_dir`), so the next process pays on from where this one stopped."""
        if self._channels is None:
            from x402 import x402ClientSync
            from x402.http.x402_http_client import x402HTTPClientSync

            self._channel_storage = channel_storage(self.channel_state_dir)
            scheme = channel_scheme(self.account, self.rpc_url, self._channel_storage)
            client = x402ClientSync().register(f"eip155:{self.chain_id}", scheme)
            client.set_spend_controls(False)  # the limit is ours (max_price_wei), checked on the offer
            self._channels = x402HTTPClientSync(client)
        return self._channels

    def _pay_by_channel(self, path: str, body: dict, offer, requirement, approve):
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
                raise _refused(paid)
            answer = self._checked(paid)
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
            self._bounded_deposit(requirement, deposit_wei)
        if approve is not None:
            description = offer.resource.description if offer.resource else ""
            approve(Offer(int(requirement.amount), requirement.network, requirement.asset, requirement.pay_to,
                          description or "", scheme=CHANNEL_SCHEME, deposit_wei=deposit_wei,
                          channel_id="0x" + self._channel_id(requirement).hex()))
        header = http.encode_payment_signature_header(payload)[PAYMENT_SIGNATURE_HEADER]
        return self._send(path, body, {PAYMENT_SIGNATURE_HEADER: header}), payload

    def _bounded_deposit(self, requirement, deposit_wei: int) -> None:
        """A deposit the client makes on its own stays within MAX_DEPOSIT_CALLS calls' worth and
        a withdraw delay of MAX_WITHDRAW_DELAY_S, whatever the node's offer asks (it could
        otherwise lock much of the payer's wallet in its channel); refused before anything is sent."""
        from ogcli.core.amounts import format_amount

        amount, delay = int(requirement.amount), int((requirement.extra or {}).get("withdrawDelay") or 0)
        opening = f"open the channel yourself: `ogcli pay channel open --amount OPG --node {self.base_url}`"
        if deposit_wei > MAX_DEPOSIT_CALLS * amount:
            raise PaymentRejected(f"the node asks a deposit of {format_amount(deposit_wei, group=True)} OPG for a call "
                                  f"of {format_amount(amount, group=True)}: more than {MAX_DEPOSIT_CALLS} calls' worth, "
                                  f"which is all a paying client deposits on its own; nothing was paid ({opening})")
        if delay > MAX_WITHDRAW_DELAY_S:
            raise PaymentRejected(f"the node's channels keep a deposit {delay} s after a withdrawal starts, more than "
                                  f"the {MAX_WITHDRAW_DELAY_S} s a paying client accepts on its own; nothing was paid "
                                  f"({opening})")

    # ------------------------------------------------------------------ internals

    def _within_limit(self, amount: int) -> None:
        if self.max_price_wei is not None and amount > self.max_price_wei:
            raise UsageError(f"the node asks {amount} wei, above your limit of {self.max_price_wei} (--max-price)")

    def _acceptable(self, offer):
        network = f"eip155:{self.chain_id}"
        for requirement in offer.accepts:
            if (requirement.scheme == "exact" and requirement.network == network
                    and requirement.asset.lower() == self.token.lower()
                    and requirement.pay_to.lower() == self.settlement.lower()):
                amount = int(requirement.amount)
                self._within_limit(amount)
                description = offer.resource.description if offer.resource else ""
                return requirement, Offer(amount, requirement.network, requirement.asset, requirement.pay_to, description or "")
        asked = ", ".join(f"{r.amount} of {r.asset} on {r.network} to {r.pay_to}" for r in offer.accepts) or "nothing"
        raise PaymentRejected(
            f"the node does not accept OPG on {network} paid to the settlement contract (it asks {asked}); nothing was paid"
        )

    def _sign(self, offer, requirement) -> str:
        from x402 import x402ClientSync
        from x402.http import encode_payment_signature_header
        from x402.mechanisms.evm.exact import ExactEvmScheme
        from x402.schemas import PaymentRequired

        client = x402ClientSync()
        client.register(requirement.network, ExactEvmScheme(self.account))
        client.set_spend_controls(False)  # the limit is ours (max_price_wei), checked above
        payload = client.create_payment_payload(PaymentRequired(accepts=[requirement], resource=offer.resource))
        return encode_payment_signature_header(payload)

    def _send(self, path: str, body: dict, headers: dict):
        import httpx

        try:
            return self._http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            from ogcli.errors import NetworkError

            raise NetworkError(f"cannot reach the node at {self.base_url}: {exc}") from None

    def _checked(self, response):
        if response.status_code >= 400:
            detail = _json(response).get("error", {})
            if not isinstance(detail, dict):
                detail = {"code": str(detail), "message": ""}
            raise NodeError(response.status_code, detail.get("code", "error"), detail.get("message", response.text[:200]))
        return response


def _refused(response) -> PaymentRejected:
    detail = _json(response)
    return PaymentRejected(f"the node refused the payment: {detail.get('error')}: {detail.get('message', '')}".rstrip(": "))


def _json(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class PayingTransport:
    """An httpx transport that answers a node's 402 by paying (x402), for clients that take an
    `http_client`, such as the official `openai` one:

        http = httpx.Client(transport=PayingTransport(account, chain_id=..., token=..., settlement=...))
        openai.OpenAI(base_url=f"{node}/v1", api_key="x402", http_client=http)

    The same checks as PaidClient apply (this network's OPG, paid to the settlement contract, at
    most `max_price_wei`); there is no confirmation step, as with any programmatic client.
    """

    def __init__(self, account, *, chain_id: int, token: str, settlement: str, max_price_wei: int | None = None,
                 inner=None) -> None:
        import httpx

        self._inner = inner or httpx.HTTPTransport()
        self._payer = PaidClient.__new__(PaidClient)  # its offer checks and signing, without an HTTP client
        self._payer.account, self._payer.chain_id, self._payer.token = account, chain_id, token
        self._payer.settlement, self._payer.max_price_wei = settlement, max_price_wei

    def handle_request(self, request):
        from x402.http import PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER, decode_payment_required_header

        body = request.read()
        response = self._inner.handle_request(request)
        if response.status_code != 402 or PAYMENT_REQUIRED_HEADER not in response.headers:
            return response
        offer = decode_payment_required_header(response.headers[PAYMENT_REQUIRED_HEADER])
        response.close()
        requirement, _summary = self._payer._acceptable(offer)
        paid = request.__class__(
            request.method, request.url, headers={**request.headers, PAYMENT_SIGNATURE_HEADER: self._payer._sign(offer, requirement)},
            content=body,
        )
        return self._inner.handle_request(paid)

    def close(self) -> None:
        self._inner.close()

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
