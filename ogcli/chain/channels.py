"""The payer's side of x402 batch-settlement channels: a node's channel terms (from its
/health), the channels' state read in one Multicall3 round, and the deposit and withdrawal calls
to BatchSettlement that `ogcli pay channel` sends through the write pipeline.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ogcli.chain.abi import ContractRef
from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
from ogcli.core import channels
from ogcli.core.channel_terms import ChannelTerms, TermsRefused, node_key, terms_from_health
from ogcli.errors import NetworkError, OgcliError, UsageError
from ogcli.protocol import artifacts

if TYPE_CHECKING:
    from ogcli.chain.contracts import Protocol
    from ogcli.chain.rpc import Endpoint

NODE_TIMEOUT_S = 10.0
# How long a deposit's ERC-3009 authorization stays valid (chain time): what the x402 SDK gives
# its own deposits (the node's maxTimeoutSeconds), long enough to think over the confirmation.
DEPOSIT_VALID_S = 3_600


class ChannelTermsError(OgcliError):
    """The node offers no channel terms this network's payer may use; nothing was signed."""

    code = "channel_terms"


@dataclass(frozen=True)
class ChannelState:
    """A channel as BatchSettlement holds it."""

    channel_id: bytes
    balance_wei: int  # deposited, less what was refunded or withdrawn
    claimed_wei: int  # claimed by the receiver so far (out of the balance)
    withdrawal_wei: int  # requested by a pending withdrawal (0: none)
    withdrawal_started: int  # chain time it was requested (0: none pending)

    @property
    def exists(self) -> bool:
        """Ever deposited into (the contract's own test for a new channel)."""
        return self.balance_wei > 0 or self.claimed_wei > 0

    @property
    def available_wei(self) -> int:
        """What the payer could still take back: balance less what was claimed."""
        return self.balance_wei - self.claimed_wei

    @property
    def withdrawal_pending(self) -> bool:
        return self.withdrawal_started != 0


def node_terms(node_url: str, *, chain_id: int, settlement: str, token: str) -> ChannelTerms:
    """The channel terms the node at `node_url` states in its /health, checked for this network
    (payTo its settlement, asset its OPG: ogcli.core.channel_terms). One-line errors: a URL that
    is not one, a node that does not answer, or answers no terms a payer here may use."""
    url = node_key(node_url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{node_url!r} is not a node URL (http://host:port)")
    health = _health(url)
    try:
        return terms_from_health(url, health, chain_id=chain_id, settlement=settlement, token=token)
    except TermsRefused as exc:
        raise ChannelTermsError(f"{exc}; nothing was signed") from None


def read_channels(rpc: Endpoint, channel_ids: list[bytes]) -> tuple[int, list[ChannelState]]:
    """(chain time, each channel's state) in one Multicall3 round: `channels` and
    `pendingWithdrawals` of every channel, and the block's timestamp."""
    from ogcli.chain.multicall import MULTICALL3_ADDRESS, Read, ReadFailed, read_many

    contract = channels_ref()
    reads = [Read(ContractRef(MULTICALL3_ADDRESS, artifacts.abi("Multicall3")), "getCurrentBlockTimestamp")]
    for channel_id in channel_ids:
        reads += [Read(contract, "channels", (channel_id,)), Read(contract, "pendingWithdrawals", (channel_id,))]
    results = read_many(rpc, reads)
    failed = [r for r in results[1:] if isinstance(r, ReadFailed)]
    if failed:
        raise NetworkError(f"cannot read the channels from BatchSettlement at {BATCH_SETTLEMENT_ADDRESS}: {failed[0]}")
    now = results[0] if not isinstance(results[0], ReadFailed) else int(rpc.block()["timestamp"], 16)  # no Multicall3
    states = []
    for k, channel_id in enumerate(channel_ids):
        (balance, claimed), (requested, started) = results[1 + 2 * k], results[2 + 2 * k]
        states.append(ChannelState(channel_id, balance, claimed, requested, started))
    return now, states


def channels_ref() -> ContractRef:
    return ContractRef(BATCH_SETTLEMENT_ADDRESS, artifacts.abi("BatchSettlement"))


def channels_opened_by(protocol: Protocol, payer: str) -> list[bytes]:
    """The ids of every channel `payer` has to this deployment's settlement, by BatchSettlement's
    ChannelCreated logs since the deployment (a channel's config is in its log, not its topics:
    one query for all, filtered here), whatever client opened them, with whatever salt or delay."""
    from ogcli.chain import events as event_logs

    contract = channels_ref()
    query = event_logs.log_filter(contract, ("ChannelCreated",), protocol.deployment.block)
    created = event_logs.decode(contract, ("ChannelCreated",), protocol.rpc.batch([("eth_getLogs", [query])])[0])
    mine, settlement = payer.lower(), protocol.settlement.address.lower()
    return [bytes(e.args["channelId"]) for e in created
            if e.args["config"]["payer"].lower() == mine and e.args["config"]["receiver"].lower() == settlement]


def channels_contract(protocol: Protocol):
    """BatchSettlement as a web3 contract on the protocol's connection (for writes)."""
    return protocol.contract("BatchSettlement", BATCH_SETTLEMENT_ADDRESS)


def deposit_call(protocol: Protocol, account, config: channels.ChannelConfig, amount_wei: int, chain_id: int,
                 now: int):
    """`BatchSettlement.deposit(config, amount, collector, collectorData)` with the payer's
    ERC-3009 ReceiveWithAuthorization to the collector, its nonce bound to the channel (so it can
    fund no other), valid for DEPOSIT_VALID_S of chain time from `now`. Signs; sends nothing."""
    from ogcli.core.typed_data import token_domain

    channel = channels.channel_id(config, chain_id, BATCH_SETTLEMENT_ADDRESS)
    salt = int.from_bytes(os.urandom(32), "big")
    valid_before = now + DEPOSIT_VALID_S
    message = channels.receive_authorization(config.payer, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, amount_wei, 0,
                                             valid_before, channels.deposit_nonce(channel, salt))
    signed = account.sign_typed_data(token_domain(chain_id, config.token), channels.RECEIVE_WITH_AUTHORIZATION_TYPES,
                                     message)
    data = channels.collector_data(0, valid_before, salt, bytes(signed.signature))
    return channels_contract(protocol).functions.deposit(config.as_tuple(), amount_wei,
                                                           ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data)


def initiate_withdraw_call(protocol: Protocol, config: channels.ChannelConfig, amount_wei: int):
    return channels_contract(protocol).functions.initiateWithdraw(config.as_tuple(), amount_wei)


def finalize_withdraw_call(protocol: Protocol, config: channels.ChannelConfig):
    return channels_contract(protocol).functions.finalizeWithdraw(config.as_tuple())


def withdrawn_wei(protocol: Protocol, tx_hash: str) -> int:
    """What a mined finalizeWithdraw returned to the payer (its WithdrawFinalized event)."""
    from web3.logs import DISCARD

    receipt = protocol.w3.eth.get_transaction_receipt(tx_hash)
    events = channels_contract(protocol).events.WithdrawFinalized().process_receipt(receipt, errors=DISCARD)
    return sum(e["args"]["amount"] for e in events)


def _health(url: str) -> dict:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=NODE_TIMEOUT_S) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 503:
            raise NetworkError(f"the node at {url} is down: it cannot reach its chain ({_reason(exc)})") from None
        raise NetworkError(f"the node at {url} answered HTTP {exc.code} to /health: is it an ogcli node?") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise NetworkError(f"cannot reach the node at {url}: {getattr(exc, 'reason', exc)}") from None
    try:
        health = json.loads(body)
    except ValueError:
        raise NetworkError(f"the node at {url} answered /health with no JSON: is it an ogcli node?") from None
    if not isinstance(health, dict):
        raise NetworkError(f"the node at {url} answered /health with no JSON object: is it an ogcli node?")
    return health


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        chain = json.loads(exc.read()).get("chain", {})
        return str(chain.get("error") or "no reason given")[:120]
    except (ValueError, AttributeError, OSError):
        return "no reason given"
