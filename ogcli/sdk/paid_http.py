"""Calls a node and pays for them with x402: by `exact` (the official SDK signs an EIP-3009
authorization per call) or by channel (`batch-settlement`: the official SDK's client signs a
cumulative voucher on the payer's channel with the node, depositing into it when it must).

One round: POST; on 402, read the offer from the PAYMENT-REQUIRED header, check it is for this
network's OPG, paid to the node's till (exact) or the settlement contract (channel), and within
the caller's limit, pick the scheme (`payment`: `exact`, `channel`, or `auto`: the channel when
the payer has one with this node on chain, else `exact`), let the caller approve it (seeing any
deposit), sign, and POST again with PAYMENT-SIGNATURE. The second answer carries the result and the receipt; a channel payment's
PAYMENT-RESPONSE is checked and recorded by the SDK's client rules (what the node charged, at most
the price; a corrective 402 resynchronises the channel once and pays again). `wait_settled`
follows the receipt until its settlement is mined (a channel call's: its batch).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ogcli.errors import NetworkError, UsageError
from ogcli.sdk.payment_types import NodeError, Offer, PaymentRejected, json_of, refused  # noqa: F401 (re-exported)
from ogcli.sdk.channel_pay import ChannelPayer

SETTLE_TIMEOUT_S = 60.0
PAYMENTS = ("auto", "exact", "channel")


class PaidClient:
    def __init__(self, base_url: str, account, *, chain_id: int, token: str, settlement: str, tills: str,
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
        self.chain_id, self.token, self.settlement, self.tills = chain_id, token, settlement, tills
        self.max_price_wei = max_price_wei
        self.payment, self.rpc_url, self.channel_state_dir = payment, rpc_url, channel_state_dir
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self.channel = ChannelPayer(self) if payment != "exact" else None  # the channel half

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
        requirement = self.channel.offer(offer) if self.channel is not None else None
        if requirement is not None:
            return self.channel.pay(path, body, offer, requirement, approve)
        requirement, summary = self._acceptable(offer)
        if approve is not None:
            approve(summary)
        header = self._sign(offer, requirement)
        try:
            paid = self._send(path, body, {PAYMENT_SIGNATURE_HEADER: header})
        except NetworkError as lost:
            # The node answers once the call is settled: gone before answering, it settles it
            # only if the settlement was already on its way (then `infer receipts` has it).
            raise NetworkError(f"{lost}; the node went away before answering call {_request_id(header)} "
                               "(not charged unless its settlement was already sent: `ogcli infer receipts`)") from None
        if paid.status_code == 402:
            raise refused(paid)
        return self._checked(paid)

    def receipt(self, request_id: str) -> dict:
        import httpx

        try:
            return self._checked(self._http.get(f"/v1/receipts/{request_id}")).json()
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach the node at {self.base_url}: {exc}") from None

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

    # ------------------------------------------------------------------ internals

    def _within_limit(self, amount: int) -> None:
        if self.max_price_wei is not None and amount > self.max_price_wei:
            raise UsageError(f"the node asks {amount} wei, above your limit of {self.max_price_wei} (--max-price)")

    def _acceptable(self, offer):
        network = f"eip155:{self.chain_id}"
        for requirement in offer.accepts:
            if (requirement.scheme == "exact" and requirement.network == network
                    and requirement.asset.lower() == self.token.lower() and self._pays_a_till(requirement)):
                amount = int(requirement.amount)
                self._within_limit(amount)
                description = offer.resource.description if offer.resource else ""
                return requirement, Offer(amount, requirement.network, requirement.asset, requirement.pay_to, description or "")
        asked = ", ".join(f"{r.amount} of {r.asset} on {r.network} to {r.pay_to}" for r in offer.accepts) or "nothing"
        raise PaymentRejected(
            f"the node does not accept OPG on {network} paid to its till (it asks {asked}); nothing was paid"
        )

    def _pays_a_till(self, requirement) -> bool:
        """Whether an exact offer's payTo is the till of the node it names (`extra.node`): what is
        paid there leaves only with a record that node settles."""
        from ogcli.chain.tills import till_for
        from ogcli.core.addresses import AddressError, parse_address

        try:
            node = parse_address(str((requirement.extra or {}).get("node", "")))
        except AddressError:
            return False
        return requirement.pay_to.lower() == till_for(self.tills, self.token, node).lower()

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
            raise NetworkError(f"cannot reach the node at {self.base_url}: {exc}") from None

    def _checked(self, response):
        if response.status_code >= 400:
            detail = json_of(response).get("error", {})
            if not isinstance(detail, dict):
                detail = {"code": str(detail), "message": ""}
            raise NodeError(response.status_code, detail.get("code", "error"), detail.get("message", response.text[:200]))
        return response


def _request_id(header: str) -> str:
    """The request id a node gives the exact call this PAYMENT-SIGNATURE pays for (its till,
    payer and nonce), as 0x hex."""
    from x402.http import decode_payment_signature_header

    from ogcli.core.records import exact_request_id

    auth = decode_payment_signature_header(header).payload["authorization"]
    return "0x" + exact_request_id(auth["to"], auth["from"], bytes.fromhex(auth["nonce"].removeprefix("0x"))).hex()


class PayingTransport:
    """An httpx transport that answers a node's 402 by paying (x402), for clients that take an
    `http_client`, such as the official `openai` one:

        http = httpx.Client(transport=PayingTransport(account, chain_id=..., token=..., settlement=..., tills=...))
        openai.OpenAI(base_url=f"{node}/v1", api_key="x402", http_client=http)

    The same checks as PaidClient apply (this network's OPG, paid to the node's till, at
    most `max_price_wei`); there is no confirmation step, as with any programmatic client.
    """

    def __init__(self, account, *, chain_id: int, token: str, settlement: str, tills: str,
                 max_price_wei: int | None = None, inner=None) -> None:
        import httpx

        self._inner = inner or httpx.HTTPTransport()
        self._payer = PaidClient.__new__(PaidClient)  # its offer checks and signing, without an HTTP client
        self._payer.account, self._payer.chain_id, self._payer.token = account, chain_id, token
        self._payer.settlement, self._payer.tills, self._payer.max_price_wei = settlement, tills, max_price_wei

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
