"""A node's batch-settlement channel terms (what its /health offers) checked before a payer uses
them, and the channel config the payer's side builds from them: exactly the official x402 SDK
client's (`build_channel_config`), so a channel opened by `ogcli pay channel open` is the channel
the SDK client, and `ogcli infer`, pay their vouchers on.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.core.addresses import AddressError, parse_address
from ogcli.core.channels import ZERO_ADDRESS, ChannelConfig

SCHEME = "batch-settlement"
REFUND_PATH = "/v1/channels/refund"  # where a node takes cooperative refund requests (the SDK client's refund URL)
# BatchSettlement's own bounds (MIN_WITHDRAW_DELAY, MAX_WITHDRAW_DELAY): a deposit outside them reverts.
MIN_WITHDRAW_DELAY_S = 15 * 60
MAX_WITHDRAW_DELAY_S = 30 * 86_400


class TermsRefused(ValueError):
    """The node's channel terms cannot be used on this network; the message says why."""


@dataclass(frozen=True)
class ChannelTerms:
    """What a node asks of a channel that pays it, as checked by `terms_from_health`."""

    node_url: str
    pay_to: str  # the channel's receiver: this network's InferenceSettlement
    asset: str  # this network's OPG token
    receiver_authorizer: str  # the node's operator, who signs its claims
    withdraw_delay_s: int
    min_deposit_wei: int | None  # a hint (the SDK's client deposits at least this), not a rule


def node_key(url: str) -> str:
    """One spelling of a node URL, so that `http://h:1/` and `http://h:1` are the same node."""
    return url.strip().rstrip("/")


def terms_from_health(node_url: str, health, *, chain_id: int, settlement: str, token: str) -> ChannelTerms:
    """The node's channel terms from its /health answer, if a payer on chain `chain_id` may use
    them: paid to this network's settlement contract in its OPG token (the rule `exact` offers
    are held to), with a non-zero receiver authorizer and a withdraw delay the contract accepts.
    TermsRefused (one line) otherwise."""
    url = node_key(node_url)
    offer = health.get("channels") if isinstance(health, dict) else None
    if not isinstance(offer, dict):
        raise TermsRefused(f"the node at {url} takes no channel payments (its /health offers no batch-settlement terms)")
    if offer.get("scheme") != SCHEME:
        raise TermsRefused(f"the node at {url} offers channels of scheme {offer.get('scheme')!r}, not {SCHEME!r}")
    network = f"eip155:{chain_id}"
    if offer.get("network", network) != network or health.get("chain_id", chain_id) != chain_id:
        raise TermsRefused(f"the node at {url} takes channel payments on {offer.get('network') or health.get('chain_id')}, "
                           f"not on this network ({network})")
    pay_to = _address(url, offer, "payTo")
    if pay_to != parse_address(settlement):
        raise TermsRefused(f"the node at {url} asks channels paid to {pay_to}, not to this network's settlement "
                           f"contract {parse_address(settlement)}")
    asset = _address(url, offer, "asset")
    if asset != parse_address(token):
        raise TermsRefused(f"the node at {url} asks channels in token {asset}, not in this network's OPG "
                           f"({parse_address(token)})")
    authorizer = _address(url, offer, "receiverAuthorizer")
    if authorizer == ZERO_ADDRESS:
        raise TermsRefused(f"the node at {url} names no receiver authorizer for its channels")
    delay = offer.get("withdrawDelay")
    if not isinstance(delay, int) or isinstance(delay, bool) or not MIN_WITHDRAW_DELAY_S <= delay <= MAX_WITHDRAW_DELAY_S:
        raise TermsRefused(f"the node at {url} asks a withdraw delay of {delay!r} s; the channels contract takes "
                           f"{MIN_WITHDRAW_DELAY_S} to {MAX_WITHDRAW_DELAY_S} s")
    return ChannelTerms(url, pay_to, asset, authorizer, delay, _min_deposit(offer.get("minDeposit")))


def channel_config(payer: str, terms: ChannelTerms) -> ChannelConfig:
    """The SDK client's channel config for `payer` under `terms`: the payer is its own payer
    authorizer (not zero) and the salt is 32 zero bytes, as `build_channel_config` makes it."""
    return ChannelConfig(payer=parse_address(payer), receiver=terms.pay_to, receiver_authorizer=terms.receiver_authorizer,
                         token=terms.asset, withdraw_delay_s=terms.withdraw_delay_s, payer_authorizer=parse_address(payer),
                         salt=bytes(32))


def client_channel(payer: str, terms: ChannelTerms, chain_id: int, channels_address: str) -> tuple[ChannelConfig, bytes]:
    """(config, channel id) of the SDK client's channel for `payer` under `terms`, on the channels
    contract at `channels_address`."""
    from ogcli.core.channels import channel_id

    config = channel_config(payer, terms)
    return config, channel_id(config, chain_id, channels_address)


def _address(url: str, offer: dict, field: str) -> str:
    value = offer.get(field)
    try:
        return parse_address(value) if isinstance(value, str) else parse_address(repr(value))
    except AddressError:
        raise TermsRefused(f"the node at {url} gives no usable {field} for its channels ({value!r})") from None


def _min_deposit(value) -> int | None:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None
