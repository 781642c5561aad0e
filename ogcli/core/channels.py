"""The x402 batch-settlement scheme's messages as plain data: the channel config and its id, the
payer's vouchers, the receiver authorizer's claim batches and refunds, and the ERC-3009 deposit
authorization with its collector data. The same EIP-712 types and encodings as the scheme's EVM
spec, the official SDK and contracts/x402/BatchSettlement.sol (tests/unit/test_channels.py holds
them to the SDK; tests/chain/test_batch_settlement.py to the contract).
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.core.records import keccak

# The deposit's type is ERC-3009's; re-exported here with the scheme's own types.
from ogcli.core.typed_data import (  # noqa: F401
    RECEIVE_WITH_AUTHORIZATION_TYPES,
    domain_separator,
    transfer_authorization,
    typed_digest,
)

DOMAIN_NAME = "x402 Batch Settlement"
DOMAIN_VERSION = "1"
ZERO_ADDRESS = "0x" + "00" * 20

CHANNEL_CONFIG_FIELDS = (
    ("payer", "address"),
    ("payerAuthorizer", "address"),
    ("receiver", "address"),
    ("receiverAuthorizer", "address"),
    ("token", "address"),
    ("withdrawDelay", "uint40"),
    ("salt", "bytes32"),
)
CHANNEL_CONFIG_TYPE = "ChannelConfig(" + ",".join(f"{t} {n}" for n, t in CHANNEL_CONFIG_FIELDS) + ")"

VOUCHER_TYPES = {"Voucher": [{"name": "channelId", "type": "bytes32"}, {"name": "maxClaimableAmount", "type": "uint128"}]}
REFUND_TYPES = {"Refund": [{"name": "channelId", "type": "bytes32"}, {"name": "nonce", "type": "uint256"},
                           {"name": "amount", "type": "uint128"}]}
CLAIM_BATCH_TYPES = {
    "ClaimBatch": [{"name": "claims", "type": "ClaimEntry[]"}],
    "ClaimEntry": [{"name": "channelId", "type": "bytes32"}, {"name": "maxClaimableAmount", "type": "uint128"},
                   {"name": "totalClaimed", "type": "uint128"}],
}


@dataclass(frozen=True)
class ChannelConfig:
    """A channel's identity; every field is part of its id, so none can change for the channel."""

    payer: str
    receiver: str
    receiver_authorizer: str
    token: str
    withdraw_delay_s: int
    payer_authorizer: str = ZERO_ADDRESS  # zero: the payer signs its vouchers itself
    salt: bytes = bytes(32)

    def as_tuple(self) -> tuple:
        """The ABI tuple, in the struct's field order."""
        return (self.payer, self.payer_authorizer, self.receiver, self.receiver_authorizer, self.token,
                self.withdraw_delay_s, self.salt)


def domain(chain_id: int, settlement: str) -> dict:
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": settlement}


def channel_id(config: ChannelConfig, chain_id: int, settlement: str) -> bytes:
    """The EIP-712 hash of the config under the settlement's domain, as the contract computes it."""
    from eth_abi import encode
    struct = keccak(encode(["bytes32"] + [t for _n, t in CHANNEL_CONFIG_FIELDS],
                           [keccak(CHANNEL_CONFIG_TYPE.encode()), *config.as_tuple()]))
    return typed_digest(domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, settlement), struct)


def voucher(channel: bytes, max_claimable_wei: int) -> dict:
    return {"channelId": channel, "maxClaimableAmount": max_claimable_wei}


VOUCHER_TYPE = "Voucher(bytes32 channelId,uint128 maxClaimableAmount)"


def voucher_digest(channel: bytes, max_claimable_wei: int, chain_id: int, settlement: str) -> bytes:
    """What a payer signs for a voucher (EIP-712 under the channels contract's domain)."""
    if len(channel) != 32 or not 0 <= max_claimable_wei < 2**128:
        raise ValueError("a voucher is a 32-byte channel id and a uint128 amount")
    struct = keccak(keccak(VOUCHER_TYPE.encode()) + channel + max_claimable_wei.to_bytes(32, "big"))
    return typed_digest(domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, settlement), struct)


# A payer's request for a cooperative refund, signed by the payer (or its payer authorizer): the
# scheme's own refund request carries only the channel's last voucher, which its batch publishes in
# calldata, so anyone could replay it. This message is ogcli's: the node refunds only on it, bound
# to the channel's next refund nonce (used once) and the amount (0: everything not charged).
REFUND_REQUEST_TYPES = {"RefundRequest": [{"name": "channelId", "type": "bytes32"},
                                          {"name": "refundNonce", "type": "uint256"},
                                          {"name": "amount", "type": "uint128"}]}
REFUND_REQUEST_TYPE = "RefundRequest(bytes32 channelId,uint256 refundNonce,uint128 amount)"
REFUND_AUTHORIZATION_HEADER = "Refund-Authorization"


def refund_request(channel: bytes, refund_nonce: int, amount_wei: int) -> dict:
    return {"channelId": channel, "refundNonce": refund_nonce, "amount": amount_wei}


def refund_request_digest(channel: bytes, refund_nonce: int, amount_wei: int, chain_id: int, settlement: str) -> bytes:
    """What a payer signs to ask for a cooperative refund (EIP-712, the channels contract's domain)."""
    if len(channel) != 32 or not 0 <= amount_wei < 2**128 or not 0 <= refund_nonce < 2**256:
        raise ValueError("a refund request is a 32-byte channel id, a uint256 nonce and a uint128 amount")
    struct = keccak(keccak(REFUND_REQUEST_TYPE.encode()) + channel + refund_nonce.to_bytes(32, "big")
                    + amount_wei.to_bytes(32, "big"))
    return typed_digest(domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, settlement), struct)


def claim_batch(entries: list[tuple[bytes, int, int]]) -> dict:
    """The ClaimBatch message over (channel id, voucher ceiling, total claimed) rows."""
    return {"claims": [{"channelId": c, "maxClaimableAmount": ceiling, "totalClaimed": total}
                       for c, ceiling, total in entries]}


def refund(channel: bytes, nonce: int, amount_wei: int) -> dict:
    return {"channelId": channel, "nonce": nonce, "amount": amount_wei}


def deposit_nonce(channel: bytes, salt: int) -> bytes:
    """The ERC-3009 nonce of a deposit: bound to its channel, so no one can move it to another."""
    from eth_abi import encode
    return keccak(encode(["bytes32", "uint256"], [channel, salt]))


def receive_authorization(payer: str, collector: str, value_wei: int, valid_after: int, valid_before: int,
                          nonce: bytes) -> dict:
    """The deposit's ReceiveWithAuthorization message: the collector as `to`, the only one who may
    execute it."""
    return transfer_authorization(payer, collector, value_wei, valid_after, valid_before, nonce)


def collector_data(valid_after: int, valid_before: int, salt: int, signature: bytes) -> bytes:
    """What the ERC-3009 deposit collector decodes: the authorization's window, salt and signature."""
    from eth_abi import encode

    return encode(["uint256", "uint256", "uint256", "bytes"], [valid_after, valid_before, salt, signature])
