"""ogcli/core/channels.py builds the batch-settlement messages exactly as the official x402 SDK
does: the same channel id, and signatures over its typed data that the SDK's own hashing accepts."""

from __future__ import annotations

import os

from eth_account import Account
from eth_account.messages import encode_typed_data
from x402.mechanisms.evm.batch_settlement import compute_channel_id
from x402.mechanisms.evm.batch_settlement import constants as sdk
from x402.mechanisms.evm.batch_settlement.types import ChannelConfig as SdkChannelConfig

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.core import channels


def _pair(salt: bytes, payer_authorizer: str = channels.ZERO_ADDRESS):
    payer, receiver, authorizer, token = (Account.create().address for _ in range(4))
    ours = channels.ChannelConfig(payer=payer, receiver=receiver, receiver_authorizer=authorizer, token=token,
                                  withdraw_delay_s=3600, payer_authorizer=payer_authorizer, salt=salt)
    theirs = SdkChannelConfig(payer=payer, payer_authorizer=payer_authorizer, receiver=receiver,
                              receiver_authorizer=authorizer, token=token, withdraw_delay=3600,
                              salt="0x" + salt.hex())
    return ours, theirs


def test_the_channel_id_is_the_sdks_on_any_chain():
    for chain_id in (31337, 8453, 84532):
        for authorizer in (channels.ZERO_ADDRESS, Account.create().address):
            ours, theirs = _pair(os.urandom(32), authorizer)
            expected = compute_channel_id(theirs, f"eip155:{chain_id}")
            assert "0x" + channels.channel_id(ours, chain_id, BATCH_SETTLEMENT_ADDRESS).hex() == expected.lower()


def test_the_types_are_the_sdks():
    assert channels.VOUCHER_TYPES == sdk.VOUCHER_TYPES
    assert channels.REFUND_TYPES == sdk.REFUND_TYPES
    assert channels.CLAIM_BATCH_TYPES == sdk.CLAIM_BATCH_TYPES
    assert channels.RECEIVE_WITH_AUTHORIZATION_TYPES == sdk.RECEIVE_AUTHORIZATION_TYPES
    assert channels.CHANNEL_CONFIG_TYPE == sdk.CHANNEL_CONFIG_TYPE_STRING
    assert (channels.DOMAIN_NAME, channels.DOMAIN_VERSION) == (sdk.BATCH_SETTLEMENT_DOMAIN_NAME,
                                                               sdk.BATCH_SETTLEMENT_DOMAIN_VERSION)


def test_a_voucher_signature_recovers_to_its_signer():
    payer = Account.create()
    ours, _ = _pair(bytes(32))
    domain = channels.domain(31337, BATCH_SETTLEMENT_ADDRESS)
    message = channels.voucher(channels.channel_id(ours, 31337, BATCH_SETTLEMENT_ADDRESS), 10**18)
    signed = payer.sign_typed_data(domain, channels.VOUCHER_TYPES, message)
    assert Account.recover_message(encode_typed_data(domain, channels.VOUCHER_TYPES, message),
                                   signature=signed.signature) == payer.address


def test_the_voucher_digest_is_what_the_sdk_client_signs():
    from eth_account import Account
    from x402.mechanisms.evm.batch_settlement.client.voucher import sign_voucher
    from x402.mechanisms.evm.signers import EthAccountSigner

    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.core import channels
    from ogcli.core.result_signature import recover

    payer = Account.create()
    channel = bytes(range(32))
    signed = sign_voucher(EthAccountSigner(payer), "0x" + channel.hex(), 12345, "eip155:31337")
    signature = bytes.fromhex(signed.signature[2:])
    assert recover(channels.voucher_digest(channel, 12345, 31337, BATCH_SETTLEMENT_ADDRESS), signature) == payer.address
    assert recover(channels.voucher_digest(channel, 12346, 31337, BATCH_SETTLEMENT_ADDRESS), signature) != payer.address
