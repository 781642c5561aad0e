"""The official x402 Python SDK's `batch-settlement` scheme, unchanged, against our contracts.

contracts/x402/BatchSettlement.sol and ERC3009DepositCollector.sol sit (on the devnet, as on the
session chain) at the addresses the SDK hard-codes, next to our Multicall3 at its canonical one.
Here the SDK's own client (x402ClientSync + BatchSettlementEvmScheme, signing with an RPC-backed
eth_account signer), resource server (x402ResourceServerSync + the server scheme, with a local
receiver-authorizer key), facilitator (x402FacilitatorSync + BatchSettlementEvmFacilitator sending
transactions with FacilitatorWeb3Signer) and server channel manager drive them, in process, with
no HTTP between them. What it proves, each against the chain's own state: a deposit made from an
ERC-3009 authorization lands in the channel and pays for the first call; later calls are paid by
vouchers alone with no transaction; the receiver claims what was charged and settles it to
itself; a cooperative refund (claim and refund in one multicall) returns exactly the unclaimed
rest; two payers' channels are claimed by one claimWithSignature; a client that lost its local
channel state is put right by the server's corrective 402; and a server that lost its record of
a channel rebuilds it from the client's next voucher, so no charge is lost.
"""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from x402 import x402ClientSync, x402FacilitatorSync, x402ResourceServerSync
from x402.mechanisms.evm.batch_settlement import compute_channel_id
from x402.mechanisms.evm.batch_settlement.authorizer_signer import LocalAuthorizerSigner
from x402.mechanisms.evm.batch_settlement.client import BatchSettlementEvmScheme as ClientScheme
from x402.mechanisms.evm.batch_settlement.facilitator import BatchSettlementEvmFacilitator
from x402.mechanisms.evm.batch_settlement.server import (
    BatchSettlementChannelManagerSync,
    BatchSettlementEvmScheme as ServerScheme,
    BatchSettlementEvmSchemeServerConfig,
    ChannelManagerConfigSync,
)
from x402.mechanisms.evm.signers import EthAccountSignerWithRPC, FacilitatorWeb3Signer
from x402.schemas import PaymentAbortedError, PaymentResponseContext, ResourceConfig

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.devnet import accounts
from ogcli.protocol import artifacts
from ogcli.protocol.params import OPG
from tests.chain.fixtures import send_as

pytestmark = pytest.mark.chain

NETWORK = "eip155:31337"
PRICE = OPG // 1000  # per call, in atomic OPG
VOUCHER_CALLS = 3  # calls paid by vouchers alone after the deposit


class Service:
    """One paid route: the SDK's resource server, its facilitator and a receiver with its authorizer."""

    def __init__(self, chain) -> None:
        self.chain = chain
        self.token = chain.protocol.token
        self.settlement = chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
        self.receiver = Account.create().address
        self.authorizer = LocalAuthorizerSigner(Account.create())
        gas_payer = Account.create()
        chain.rpc("anvil_setBalance", [gas_payer.address, hex(10**20)])
        self.facilitator = x402FacilitatorSync().register(
            [NETWORK], BatchSettlementEvmFacilitator(FacilitatorWeb3Signer(gas_payer.key.hex(), chain.url)))
        self.scheme = ServerScheme(self.receiver,
                                   BatchSettlementEvmSchemeServerConfig(receiver_authorizer_signer=self.authorizer))
        self.server = x402ResourceServerSync(self.facilitator).register(NETWORK, self.scheme)
        self.server.initialize()
        # A price in OPG atoms with OPG's ERC-3009 domain: the SDK has no default asset on 31337.
        price = {"amount": str(PRICE), "asset": self.token.address, "extra": {"name": "OpenGradient", "version": "1"}}
        self.requirements = self.server.build_payment_requirements(
            ResourceConfig(scheme="batch-settlement", pay_to=self.receiver, price=price, network=NETWORK,
                           max_timeout_seconds=600))
        self.manager = BatchSettlementChannelManagerSync(ChannelManagerConfigSync(
            scheme=self.scheme, facilitator=self.facilitator, receiver=self.receiver, token=self.token.address,
            network=NETWORK))

    def call(self, payer: Payer):
        """One paid request, as the HTTP transport would run it: 402, payload, verify, settle,
        and the client's payment-response hook; a corrective 402 is handed to the client and the
        request retried once. Returns the payload that paid and its settle response."""
        required = self.server.create_payment_required_response(self.requirements)
        for attempt in range(2):
            payload = payer.client.create_payment_payload(required)
            requirements = self.server.find_matching_requirements(self.requirements, payload)
            try:
                verified = self.server.verify_payment(payload, requirements)
            except PaymentAbortedError as aborted:
                corrective = self.server.create_payment_required_response(
                    self.requirements, error=aborted.reason, payment_payload=payload)
                recovered = payer.client.handle_payment_response(
                    PaymentResponseContext(payment_payload=payload, requirements=requirements,
                                           payment_required=corrective))
                assert recovered is not None and attempt == 0, corrective.error
                payer.corrections.append(corrective)
                continue
            assert verified.verify.is_valid, verified.verify
            settled = self.server.settle_payment(payload, requirements)
            assert settled.success, (settled.error_reason, settled.error_message)
            payer.client.handle_payment_response(
                PaymentResponseContext(payment_payload=payload, requirements=requirements, settle_response=settled))
            return payload, settled
        raise AssertionError("unreachable")

    def channel_id(self, payer: Payer) -> str:
        return compute_channel_id(payer.scheme.build_channel_config(self.requirements[0]), NETWORK)

    def channel(self, payer: Payer) -> tuple[int, int]:
        """(balance, totalClaimed) of the payer's channel, on chain."""
        return tuple(self.settlement.functions.channels(bytes.fromhex(self.channel_id(payer)[2:])).call())

    def charged(self, payer: Payer) -> int:
        """What the server has charged the payer's channel so far (its storage)."""
        return int(self.scheme.get_storage().get(self.channel_id(payer)).charged_cumulative_amount)

    def opg(self, address: str) -> int:
        return self.token.functions.balanceOf(address).call()


class Payer:
    """A funded account paying through the SDK's client."""

    def __init__(self, chain, name: str, opg: int = 10 * OPG) -> None:
        self.account = accounts.get(name).local_account
        self.address = self.account.address
        send_as(chain, accounts.get("deployer").address, chain.protocol.token.functions.transfer(self.address, opg))
        self.chain = chain
        self.corrections = []  # the corrective 402s its client recovered from
        self.restart()

    def restart(self) -> None:
        """A fresh client for the same key: its local channel state (in memory) is gone."""
        self.scheme = ClientScheme(EthAccountSignerWithRPC(self.account, self.chain.url))
        self.client = x402ClientSync().register(NETWORK, self.scheme)
        # The SDK knows no default asset on 31337, so its spend controls must allow OPG there.
        opg = {"network": NETWORK, "asset": self.chain.protocol.token.address}
        self.client.set_spend_controls({"allowed_assets": [opg]})


@pytest.fixture
def service(fresh):
    # The client signs its ERC-3009 window from the wall clock and the token checks it against
    # the chain's: the session chain runs behind the wall clock (snapshots restore its time).
    assert fresh.now() < time.time(), "the chain clock is ahead of the wall clock"
    return Service(fresh)


def pay_calls(service: Service, payer: Payer, calls: int) -> int:
    """`calls` paid requests; returns the deposit the first one made."""
    payload, _ = service.call(payer)
    assert payload.payload["type"] == "deposit"
    deposit = int(payload.payload["deposit"]["amount"])
    for _ in range(calls - 1):
        payload, _ = service.call(payer)
        assert payload.payload["type"] == "voucher"
    return deposit


def test_a_deposit_then_vouchers_pay_for_calls(fresh, service):
    payer = Payer(fresh, "delegator-1")
    opg_before = service.opg(payer.address)

    payload, settled = service.call(payer)

    assert payload.payload["type"] == "deposit"
    deposit = int(payload.payload["deposit"]["amount"])
    assert deposit >= PRICE
    assert settled.transaction and fresh.w3.eth.get_transaction_receipt(settled.transaction)["status"] == 1
    assert service.channel(payer) == (deposit, 0)
    assert service.opg(payer.address) == opg_before - deposit
    assert service.opg(BATCH_SETTLEMENT_ADDRESS) == deposit
    assert service.charged(payer) == PRICE

    block = fresh.w3.eth.block_number
    for n in range(VOUCHER_CALLS):
        payload, settled = service.call(payer)
        assert payload.payload["type"] == "voucher"
        assert int(payload.payload["voucher"]["maxClaimableAmount"]) == (n + 2) * PRICE
        assert settled.transaction == ""

    assert fresh.w3.eth.block_number == block  # no transaction for any voucher
    assert service.opg(payer.address) == opg_before - deposit
    assert service.channel(payer) == (deposit, 0)
    assert service.charged(payer) == (VOUCHER_CALLS + 1) * PRICE


def test_claim_and_settle_through_the_channel_manager(fresh, service):
    payer = Payer(fresh, "delegator-1")
    deposit = pay_calls(service, payer, VOUCHER_CALLS + 1)
    charged = service.charged(payer)
    assert charged == (VOUCHER_CALLS + 1) * PRICE

    claims = service.manager.claim()

    assert [c.vouchers for c in claims] == [1]
    assert service.channel(payer) == (deposit, charged)
    assert service.settlement.functions.receivers(service.receiver, service.token.address).call() == [charged, 0]
    assert service.opg(service.receiver) == 0

    service.manager.settle()

    assert service.opg(service.receiver) == charged
    assert service.settlement.functions.receivers(service.receiver, service.token.address).call() == [charged, charged]
    assert service.opg(BATCH_SETTLEMENT_ADDRESS) == deposit - charged
    assert service.manager.claim() == []  # nothing new to claim


def test_a_cooperative_refund_returns_the_unclaimed_rest(fresh, service):
    payer = Payer(fresh, "delegator-1")
    deposit = pay_calls(service, payer, VOUCHER_CALLS + 1)
    charged = service.charged(payer)
    channel_id = bytes.fromhex(service.channel_id(payer)[2:])
    opg_before = service.opg(payer.address)
    assert service.settlement.functions.refundNonce(channel_id).call() == 0

    [refund] = service.manager.refund()

    # One multicall: the outstanding voucher claimed, then the rest refunded.
    tx = fresh.w3.eth.get_transaction(refund.transaction)
    assert service.settlement.decode_function_input(tx["input"])[0].fn_name == "multicall"
    assert service.opg(payer.address) == opg_before + deposit - charged
    balance, claimed = service.channel(payer)
    assert (balance, claimed) == (charged, charged)  # nothing unclaimed is left
    assert service.settlement.functions.refundNonce(channel_id).call() == 1
    assert service.scheme.get_storage().get(service.channel_id(payer)) is None
    service.manager.settle()
    assert service.opg(service.receiver) == charged
    assert service.opg(BATCH_SETTLEMENT_ADDRESS) == 0


def test_two_payers_channels_are_claimed_in_one_transaction(fresh, service):
    first, second = Payer(fresh, "delegator-1"), Payer(fresh, "delegator-2")
    deposits = [pay_calls(service, first, 2), pay_calls(service, second, 3)]
    block = fresh.w3.eth.block_number

    [claim] = service.manager.claim()

    assert claim.vouchers == 2
    assert fresh.w3.eth.block_number == block + 1
    tx = fresh.w3.eth.get_transaction(claim.transaction)
    function, args = service.settlement.decode_function_input(tx["input"])
    assert function.fn_name == "claimWithSignature" and len(args["voucherClaims"]) == 2
    assert service.channel(first) == (deposits[0], 2 * PRICE)
    assert service.channel(second) == (deposits[1], 3 * PRICE)
    assert service.settlement.functions.receivers(service.receiver, service.token.address).call() == [5 * PRICE, 0]


def test_a_client_that_lost_its_channel_state_is_corrected(fresh, service):
    payer = Payer(fresh, "delegator-1")
    deposit = pay_calls(service, payer, 2)
    payer.restart()  # it still knows its key, not what it was charged

    payload, _ = service.call(payer)

    [corrective] = payer.corrections
    assert corrective.error == "invalid_batch_settlement_evm_cumulative_amount_mismatch"
    # The server's record: what it charged and the voucher that signed for it.
    assert corrective.accepts[0].extra["channelState"]["chargedCumulativeAmount"] == str(2 * PRICE)
    assert corrective.accepts[0].extra["voucherState"]["signedMaxClaimable"] == str(2 * PRICE)
    assert payload.payload["type"] == "voucher"  # it found its channel on chain: no second deposit
    assert int(payload.payload["voucher"]["maxClaimableAmount"]) == 3 * PRICE
    assert service.charged(payer) == 3 * PRICE
    assert service.channel(payer) == (deposit, 0)


def test_a_server_that_lost_its_channel_record_rebuilds_it_from_the_next_voucher(fresh, service):
    payer = Payer(fresh, "delegator-1")
    deposit = pay_calls(service, payer, 2)
    service.scheme.get_storage().update_channel(service.channel_id(payer), lambda _current: None)

    payload, _ = service.call(payer)  # verified by the facilitator against the chain, not locally

    assert payer.corrections == []
    assert int(payload.payload["voucher"]["maxClaimableAmount"]) == 3 * PRICE
    assert service.charged(payer) == 3 * PRICE
    service.manager.claim()
    assert service.channel(payer) == (deposit, 3 * PRICE)
