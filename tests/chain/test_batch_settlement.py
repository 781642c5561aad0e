"""contracts/x402/BatchSettlement.sol and its ERC-3009 deposit collector, as the devnet places them
at the scheme's canonical addresses, driven directly with signatures made here (the SDK's own
client and facilitator drive them in test_batch_settlement_sdk.py). The rules an attacker would
try first: a deposit authorization cannot be moved to another channel or pulled outside a
deposit, a collector that pays nothing credits nothing, a voucher claims only up to its ceiling,
the channel's balance and once, only the receiver's side claims or refunds, a signed refund is
used once, and a payer's withdrawal waits its delay while the receiver's claims still win.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from eth_account import Account
from web3.logs import DISCARD

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS, ERC3009_DEPOSIT_COLLECTOR_ADDRESS
from ogcli.core import channels
from ogcli.core.typed_data import token_domain
from ogcli.devnet import accounts
from ogcli.protocol import artifacts
from ogcli.protocol.params import OPG
from tests.chain.fixtures import revert_reason, send_as

pytestmark = pytest.mark.chain

DELAY = 900
CHAIN_ID = 31337


class Channels:
    """The placed contracts, a funded payer and a receiver with its authorizer, on the test chain."""

    def __init__(self, chain) -> None:
        self.chain = chain
        w3 = chain.w3
        self.contract = w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
        self.collector = w3.eth.contract(address=ERC3009_DEPOSIT_COLLECTOR_ADDRESS,
                                         abi=artifacts.abi("ERC3009DepositCollector"))
        self.token = chain.protocol.token
        self.payer = Account.create()
        self.receiver = Account.create().address
        self.authorizer = Account.create()
        self.deployer = accounts.get("deployer").address
        self.domain = channels.domain(CHAIN_ID, BATCH_SETTLEMENT_ADDRESS)
        send_as(chain, self.deployer, self.token.functions.transfer(self.payer.address, 1_000 * OPG))

    def config(self, payer=None, **changes) -> tuple:
        config = channels.ChannelConfig(payer=(payer or self.payer).address, receiver=self.receiver,
                                        receiver_authorizer=self.authorizer.address, token=self.token.address,
                                        withdraw_delay_s=DELAY)
        return replace(config, **changes).as_tuple()

    def channel_id(self, config: tuple) -> bytes:
        return self.contract.functions.getChannelId(config).call()

    def deposit_authorization(self, config, amount: int, payer=None) -> bytes:
        """collectorData: the payer's ReceiveWithAuthorization to the collector, bound to the channel."""
        payer = payer or self.payer
        salt = int.from_bytes(os.urandom(32), "big")
        valid_before = self.chain.now() + 3600
        message = channels.receive_authorization(payer.address, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, amount, 0,
                                                 valid_before, channels.deposit_nonce(self.channel_id(config), salt))
        signed = payer.sign_typed_data(token_domain(CHAIN_ID, self.token.address),
                                       channels.RECEIVE_WITH_AUTHORIZATION_TYPES, message)
        return channels.collector_data(0, valid_before, salt, signed.signature)

    def deposit(self, config, amount: int, sender: str | None = None, payer=None):
        data = self.deposit_authorization(config, amount, payer=payer)
        return send_as(self.chain, sender or self.deployer,
                       self.contract.functions.deposit(config, amount, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data))

    def voucher(self, config, max_claimable: int, signer=None) -> bytes:
        message = channels.voucher(self.channel_id(config), max_claimable)
        return (signer or self.payer).sign_typed_data(self.domain, channels.VOUCHER_TYPES, message).signature

    def claim_batch_signature(self, rows, signer=None) -> bytes:
        message = channels.claim_batch([(self.channel_id(cfg), ceiling, total) for ((cfg, ceiling), _sig, total) in rows])
        return (signer or self.authorizer).sign_typed_data(self.domain, channels.CLAIM_BATCH_TYPES, message).signature

    def refund_signature(self, config, nonce: int, amount: int, signer=None) -> bytes:
        message = channels.refund(self.channel_id(config), nonce, amount)
        return (signer or self.authorizer).sign_typed_data(self.domain, channels.REFUND_TYPES, message).signature

    def state(self, config) -> tuple[int, int]:
        return tuple(self.contract.functions.channels(self.channel_id(config)).call())

    def balance(self, address: str) -> int:
        return self.token.functions.balanceOf(address).call()


@pytest.fixture
def ch(fresh):
    return Channels(fresh)


def _refused(call, chain, sender: str) -> str:
    with pytest.raises(Exception) as caught:
        send_as(chain, sender, call)
    return revert_reason(caught.value)


def test_a_deposit_credits_exactly_its_channel(ch):
    config = ch.config()
    before = ch.balance(ch.payer.address)
    ch.deposit(config, 10 * OPG)
    ch.deposit(config, 5 * OPG)
    assert ch.state(config) == (15 * OPG, 0)
    assert ch.balance(ch.payer.address) == before - 15 * OPG
    assert ch.balance(BATCH_SETTLEMENT_ADDRESS) == 15 * OPG
    assert ch.balance(ERC3009_DEPOSIT_COLLECTOR_ADDRESS) == 0
    # The id the contract computes is the one ogcli computes offline.
    offline = channels.ChannelConfig(payer=ch.payer.address, receiver=ch.receiver,
                                     receiver_authorizer=ch.authorizer.address, token=ch.token.address,
                                     withdraw_delay_s=DELAY)
    assert offline.as_tuple() == config
    assert ch.channel_id(config) == channels.channel_id(offline, CHAIN_ID, BATCH_SETTLEMENT_ADDRESS)


def test_a_deposit_authorization_cannot_fund_another_channel(ch):
    """Lifted from the mempool and sent with another config (the attacker as receiver), the payer's
    signature fails: its nonce binds the channel id."""
    config = ch.config()
    data = ch.deposit_authorization(config, 10 * OPG)
    attacker = Account.create().address
    hijacked = ch.config(receiver=attacker, receiver_authorizer=attacker)
    reason = _refused(ch.contract.functions.deposit(hijacked, 10 * OPG, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data),
                      ch.chain, attacker)
    assert "ERC3009InvalidSignature" in reason
    assert ch.state(hijacked) == (0, 0)
    send_as(ch.chain, attacker, ch.contract.functions.deposit(config, 10 * OPG, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data))
    assert ch.state(config) == (10 * OPG, 0)  # anyone may send it, into the channel it names


def test_a_collector_that_pays_nothing_credits_nothing(ch):
    config = ch.config()
    data = ch.deposit_authorization(config, 10 * OPG)
    # A test double of a lying collector: code that is a single STOP, so `collect` "succeeds".
    liar = Account.create().address
    ch.chain.rpc("anvil_setCode", [liar, "0x00"])
    reason = _refused(ch.contract.functions.deposit(config, 10 * OPG, liar, data), ch.chain, ch.deployer)
    assert "DepositCollectionFailed" in reason
    assert ch.state(config) == (0, 0)


def test_the_collector_pulls_only_for_the_settlement(ch):
    config = ch.config()
    data = ch.deposit_authorization(config, 10 * OPG)
    attacker = Account.create().address
    call = ch.collector.functions.collect(ch.payer.address, ch.token.address, 10 * OPG, ch.channel_id(config), data)
    assert "OnlyBatchSettlement" in _refused(call, ch.chain, attacker)
    assert ch.balance(ch.payer.address) == 1_000 * OPG


def test_bad_channels_and_amounts_are_refused(ch):
    for config, amount, error in (
        (ch.config(withdraw_delay_s=DELAY - 1), OPG, "WithdrawDelayOutOfRange"),
        (ch.config(withdraw_delay_s=30 * 86_400 + 1), OPG, "WithdrawDelayOutOfRange"),
        (ch.config(receiver_authorizer=channels.ZERO_ADDRESS), OPG, "InvalidChannel"),
        (ch.config(), 0, "ZeroDeposit"),
    ):
        call = ch.contract.functions.deposit(config, amount, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, b"")
        assert error in _refused(call, ch.chain, ch.deployer)


def test_claims_stay_within_the_ceiling_the_balance_and_the_receivers_side(ch):
    config = ch.config()
    ch.deposit(config, 10 * OPG)
    ceiling = 4 * OPG
    voucher = ((config, ceiling), ch.voucher(config, ceiling), 3 * OPG)
    claim = ch.contract.functions.claim
    stranger = Account.create().address
    assert "NotAuthorizedToClaim" in _refused(claim([voucher]), ch.chain, stranger)
    over_ceiling = ((config, ceiling), ch.voucher(config, ceiling), 5 * OPG)
    assert "ClaimExceedsCeiling" in _refused(claim([over_ceiling]), ch.chain, ch.receiver)
    big = 20 * OPG
    over_balance = ((config, big), ch.voucher(config, big), 11 * OPG)
    assert "ClaimExceedsBalance" in _refused(claim([over_balance]), ch.chain, ch.receiver)
    forged = ((config, ceiling), ch.voucher(config, ceiling, signer=Account.create()), 3 * OPG)
    assert "InvalidSignature" in _refused(claim([forged]), ch.chain, ch.receiver)
    assert "EmptyBatch" in _refused(claim([]), ch.chain, ch.receiver)

    send_as(ch.chain, ch.receiver, claim([voucher]))
    send_as(ch.chain, ch.authorizer.address, claim([voucher]))  # a replay claims nothing more
    assert ch.state(config) == (10 * OPG, 3 * OPG)
    assert tuple(ch.contract.functions.receivers(ch.receiver, ch.token.address).call()) == (3 * OPG, 0)


def test_a_signed_claim_batch_claims_many_channels_and_settles_in_one_transfer(ch):
    second = Account.create()
    send_as(ch.chain, ch.deployer, ch.token.functions.transfer(second.address, 100 * OPG))
    first_config, second_config = ch.config(), ch.config(payer=second)
    ch.deposit(first_config, 10 * OPG)
    ch.deposit(second_config, 10 * OPG, payer=second)
    rows = [((first_config, 2 * OPG), ch.voucher(first_config, 2 * OPG), 2 * OPG),
            ((second_config, 3 * OPG), ch.voucher(second_config, 3 * OPG, signer=second), 3 * OPG)]
    claim = ch.contract.functions.claimWithSignature
    anyone = Account.create().address
    wrong = ch.claim_batch_signature(rows, signer=Account.create())
    assert "InvalidSignature" in _refused(claim(rows, wrong), ch.chain, anyone)
    tampered = [rows[0], (rows[1][0], rows[1][1], 4 * OPG)]  # a total the authorizer did not sign
    assert "InvalidSignature" in _refused(claim(tampered, ch.claim_batch_signature(rows)), ch.chain, anyone)
    receipt = send_as(ch.chain, anyone, claim(rows, ch.claim_batch_signature(rows)))
    assert receipt.status == 1
    assert ch.state(first_config)[1] == 2 * OPG and ch.state(second_config)[1] == 3 * OPG
    settle = send_as(ch.chain, anyone, ch.contract.functions.settle(ch.receiver, ch.token.address))
    assert ch.balance(ch.receiver) == 5 * OPG
    assert len(ch.contract.events.Settled().process_receipt(settle, errors=DISCARD)) == 1
    assert tuple(ch.contract.functions.receivers(ch.receiver, ch.token.address).call()) == (5 * OPG, 5 * OPG)
    send_as(ch.chain, anyone, ch.contract.functions.settle(ch.receiver, ch.token.address))  # nothing more
    assert ch.balance(ch.receiver) == 5 * OPG


def test_claim_batches_of_one_authorizer_only(ch):
    other = Account.create()
    first_config, second_config = ch.config(), ch.config(receiver_authorizer=other.address, salt=b"\x01" * 32)
    ch.deposit(first_config, 10 * OPG)
    ch.deposit(second_config, 10 * OPG)
    rows = [((first_config, OPG), ch.voucher(first_config, OPG), OPG),
            ((second_config, OPG), ch.voucher(second_config, OPG), OPG)]
    call = ch.contract.functions.claimWithSignature(rows, ch.claim_batch_signature(rows))
    assert "NotReceiverAuthorizer" in _refused(call, ch.chain, ch.deployer)


def test_a_signed_refund_returns_the_unclaimed_balance_once(ch):
    config = ch.config()
    ch.deposit(config, 10 * OPG)
    send_as(ch.chain, ch.receiver, ch.contract.functions.claim([((config, 4 * OPG), ch.voucher(config, 4 * OPG), 4 * OPG)]))
    before = ch.balance(ch.payer.address)
    signature = ch.refund_signature(config, 0, 100 * OPG)
    refund = ch.contract.functions.refundWithSignature(config, 100 * OPG, 0, signature)
    anyone = Account.create().address
    send_as(ch.chain, anyone, refund)
    assert ch.balance(ch.payer.address) == before + 6 * OPG  # only what was not claimed
    assert ch.state(config) == (4 * OPG, 4 * OPG)
    assert "InvalidRefundNonce" in _refused(refund, ch.chain, anyone)
    forged = ch.contract.functions.refundWithSignature(config, OPG, 1, ch.refund_signature(config, 1, OPG, signer=ch.payer))
    assert "InvalidSignature" in _refused(forged, ch.chain, anyone)
    assert "NotAuthorizedToRefund" in _refused(ch.contract.functions.refund(config, OPG), ch.chain, ch.payer.address)


def test_a_withdrawal_waits_its_delay_and_claims_made_meanwhile_win(ch):
    config = ch.config()
    ch.deposit(config, 10 * OPG)
    functions = ch.contract.functions
    assert "NotAuthorizedToWithdraw" in _refused(functions.initiateWithdraw(config, OPG), ch.chain, ch.receiver)
    assert "WithdrawAmountExceedsAvailable" in _refused(functions.initiateWithdraw(config, 11 * OPG), ch.chain,
                                                        ch.payer.address)
    send_as(ch.chain, ch.payer.address, functions.initiateWithdraw(config, 10 * OPG))
    assert "WithdrawalAlreadyPending" in _refused(functions.initiateWithdraw(config, OPG), ch.chain, ch.payer.address)
    assert "WithdrawDelayNotElapsed" in _refused(functions.finalizeWithdraw(config), ch.chain, ch.payer.address)
    # The receiver sees the request and claims what it is owed before the delay ends.
    send_as(ch.chain, ch.receiver, functions.claim([((config, 7 * OPG), ch.voucher(config, 7 * OPG), 7 * OPG)]))
    ch.chain.advance(DELAY)
    before = ch.balance(ch.payer.address)
    send_as(ch.chain, ch.payer.address, functions.finalizeWithdraw(config))
    assert ch.balance(ch.payer.address) == before + 3 * OPG
    assert ch.state(config) == (7 * OPG, 7 * OPG)
    assert "WithdrawalNotPending" in _refused(functions.finalizeWithdraw(config), ch.chain, ch.payer.address)
    send_as(ch.chain, ch.deployer, functions.settle(ch.receiver, ch.token.address))
    assert ch.balance(ch.receiver) == 7 * OPG
    assert ch.balance(BATCH_SETTLEMENT_ADDRESS) == 0  # everything deposited went to one side or the other
