"""What PaidClient and its channel half (ogcli/sdk/channel_pay.py) share: the errors a call
can end in, the offer a caller approves, and a refusal read from a node's 402."""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.errors import OgcliError, RevertedError

CHANNEL_SCHEME = "batch-settlement"


class NodeError(OgcliError):
    """The node refused the call (4xx) or failed (5xx); nothing was paid."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"the node refused the call ({status} {code}): {message}")
        self.status, self.code = status, code


class PaymentRejected(RevertedError):
    """The node did not accept the payment; the authorization was not used."""


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


def refused(response) -> PaymentRejected:
    """The refusal a node's 402 to a payment says."""
    detail = json_of(response)
    return PaymentRejected(f"the node refused the payment: {detail.get('error')}: {detail.get('message', '')}".rstrip(": "))


def json_of(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
