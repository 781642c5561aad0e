"""x402 `batch-settlement` payments at the node, with the official `x402` SDK's server scheme: a
payer deposits once into a channel (receiver: InferenceSettlement; receiver authorizer: this
node's operator) and pays each call with a cumulative voucher the node checks locally.

The node is its own facilitator: the SDK's facilitator scheme checks deposits (and sends them,
from the operator's account through the node's own Sender, so one nonce sequence) and vouchers.
What the SDK would also do, and this node must not, is claim channels on BatchSettlement
directly: a claim there carries no record, so the settlement counts it only towards the node's
next batch and anyone may hand it back to the payer (SECURITY.md). Claims, settles and the claims
a refund would batch in are taken out here; the node claims only in `commitBatch`
(ogcli/node/batch_committer.py), with the records the vouchers paid for.

The node also refuses a voucher signature BatchSettlement would refuse (the one signature rule,
ogcli/core/signature_rule.py), which the SDK accepts: one such voucher in a batch would revert it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.core import signature_rule, typed_data
from ogcli.node.payments import MAX_TIMEOUT_S, PaymentRefused

SCHEME = "batch-settlement"
WITHDRAW_DELAY_S = 900  # the scheme's minimum: a payer's withdrawal waits this long for the node's claim
# What the 402 asks a new channel to hold (the SDK's client deposits it): the SDK's own default is
# 5 calls' worth, a deposit transaction (about 120k gas, paid by the node) every 5 calls.
MIN_DEPOSIT_CALLS = 50
SIGNATURE_REFUSED = "invalid_batch_settlement_evm_voucher_signature"
REFUNDS_NOT_YET = "refund_not_supported"


@dataclass(frozen=True)
class ChannelPayment:
    """A verified voucher payment for one call, as the outbox keeps it and commitBatch claims it."""

    payer: str
    channel_id: str
    config: dict  # the channel's ChannelConfig, as the SDK's to_dict writes it
    ceiling_wei: int  # the voucher's maxClaimableAmount: everything charged on the channel so far
    signature: str
    fee_wei: int
    deposit_tx: str = ""

    def to_record(self) -> dict:
        return {"scheme": SCHEME, "channelId": self.channel_id, "channelConfig": self.config,
                "maxClaimableAmount": str(self.ceiling_wei), "signature": self.signature, "fee": str(self.fee_wei)}


class _OperatorSigner:
    """The SDK facilitator's signer over the node's chain connection: reads and typed-data checks
    as the SDK's web3 signer does them, transactions through the operator's Sender."""

    def __init__(self, sender, rpc_url: str) -> None:
        from x402.mechanisms.evm.signers import FacilitatorWeb3Signer

        self._sender = sender
        self._reader = FacilitatorWeb3Signer(sender.account.key.hex(), rpc_url)

    def __getattr__(self, name):  # reads, get_code, get_balance, verify_typed_data, receipts
        return getattr(self._reader, name)

    def get_addresses(self) -> list[str]:
        return [self._sender.address]

    def write_contract(self, address: str, abi, function_name: str, *args, data_suffix: str | None = None) -> str:
        if data_suffix:
            raise ValueError("the node does not append data suffixes to its transactions")
        contract = self._sender.w3.eth.contract(address=self._sender.w3.to_checksum_address(address), abi=abi)
        call = getattr(contract.functions, function_name)(*args)
        gas = self._sender.estimate(call, label=function_name)
        tx_hash, _tx = self._sender.submit(call, gas=gas, label=function_name)
        return tx_hash

    def send_transaction(self, to: str, data: bytes) -> str:
        raise ValueError("the node sends no raw transactions for payers (smart-wallet deployment is not offered)")


class _NoDirectClaims:
    """The facilitator the SDK's resource server talks to, without the settle paths that would
    claim on BatchSettlement directly."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def get_supported(self):
        return self._inner.get_supported()

    def verify(self, payload, requirements):
        return self._inner.verify(payload, requirements)

    def settle(self, payload, requirements):
        from x402.schemas import SettleResponse

        if payload.payload.get("type") in ("claim", "settle", "refund"):
            return SettleResponse(success=False, error_reason="direct_claims_disabled", transaction="",
                                  network=requirements.network)
        return self._inner.settle(payload, requirements)


class CorrectivePayment(PaymentRefused):
    """A refusal the client can put right from the channel state sent with it."""

    def __init__(self, reason: str, message: str, payload) -> None:
        super().__init__(reason, message)
        self.payload = payload


class ChannelPayments:
    def __init__(self, protocol, sender, rpc_url: str, chain_id: int, storage) -> None:
        from x402 import x402FacilitatorSync, x402ResourceServerSync
        from x402.mechanisms.evm.batch_settlement.authorizer_signer import LocalAuthorizerSigner
        from x402.mechanisms.evm.batch_settlement.facilitator import BatchSettlementEvmFacilitator
        from x402.mechanisms.evm.batch_settlement.server import (
            BatchSettlementEvmScheme,
            BatchSettlementEvmSchemeServerConfig,
        )

        self.network = f"eip155:{chain_id}"
        self.token = protocol.token.address
        self.settlement = protocol.settlement.address
        self.operator = sender.address
        self.storage = storage
        facilitator = x402FacilitatorSync().register(
            [self.network], BatchSettlementEvmFacilitator(_OperatorSigner(sender, rpc_url)))
        self._scheme = BatchSettlementEvmScheme(self.settlement, BatchSettlementEvmSchemeServerConfig(
            storage=storage, receiver_authorizer_signer=LocalAuthorizerSigner(sender.account),
            withdraw_delay=WITHDRAW_DELAY_S))
        self._server = x402ResourceServerSync(_NoDirectClaims(facilitator)).register(self.network, self._scheme)
        self._server.initialize()
        self.channels_contract = BATCH_SETTLEMENT_ADDRESS

    def requirements(self, amount_wei: int):
        """The batch-settlement offer for one call at `amount_wei`."""
        from x402.schemas import ResourceConfig

        price = {"amount": str(amount_wei), "asset": self.token,
                 "extra": {"name": typed_data.TOKEN_NAME, "version": typed_data.TOKEN_VERSION,
                           "minDeposit": str(MIN_DEPOSIT_CALLS * amount_wei)}}
        [requirement] = self._server.build_payment_requirements(ResourceConfig(
            scheme=SCHEME, pay_to=self.settlement, price=price, network=self.network,
            max_timeout_seconds=MAX_TIMEOUT_S))
        return requirement

    @staticmethod
    def is_channel_payment(header: str) -> bool:
        """Whether the PAYMENT-SIGNATURE header pays with this scheme (else: `exact`)."""
        from x402.http import decode_payment_signature_header

        try:
            return decode_payment_signature_header(header).accepted.scheme == SCHEME
        except Exception:
            return False

    def verify(self, header: str, amount_wei: int):
        """(payload, requirement) of a voucher (or deposit) that pays `amount_wei` now; the
        channel is reserved for this call until `settle` or `cancel`. PaymentRefused carries the
        protocol's reason, and `corrective` (the channel's state) where the SDK gives one."""
        from x402.http import decode_payment_signature_header
        from x402.mechanisms.evm.batch_settlement.types import is_refund_payload
        from x402.schemas import PaymentAbortedError

        try:
            payload = decode_payment_signature_header(header)
        except Exception:
            raise PaymentRefused("invalid_payload", "the PAYMENT-SIGNATURE header is not an x402 payment") from None
        requirement = self._server.find_matching_requirements([self.requirements(amount_wei)], payload)
        if requirement is None:
            raise PaymentRefused("invalid_payment_requirements",
                                 f"this call costs {amount_wei} wei of OPG on {self.network}, paid to {self.settlement}")
        if is_refund_payload(payload.payload):
            raise PaymentRefused(REFUNDS_NOT_YET, "this node does not sign cooperative refunds yet: "
                                 "withdraw after the channel's delay instead")
        signature = (payload.payload.get("voucher") or {}).get("signature", "")
        try:
            refused = signature_rule.rejection(bytes.fromhex(str(signature).removeprefix("0x")))
        except ValueError:
            refused = "not hex"
        if refused:
            raise PaymentRefused(SIGNATURE_REFUSED, f"the voucher's signature would be refused on chain: {refused}")
        try:
            verified = self._server.verify_payment(payload, requirement)
        except PaymentAbortedError as aborted:
            raise CorrectivePayment(aborted.reason, str(aborted), payload) from None
        if not verified.verify.is_valid:
            reason = verified.verify.invalid_reason or "invalid_payment"
            raise CorrectivePayment(reason, verified.verify.invalid_message or reason, payload)
        return payload, requirement

    def cancel(self, payload, requirement) -> None:
        """Releases the channel's reservation of a call that did not happen (nothing is charged)."""
        from x402.schemas import VerifiedPaymentCancelOptions

        self._server.create_payment_cancellation_dispatcher(payload, requirement).cancel_sync(
            VerifiedPaymentCancelOptions(reason="handler_threw"))

    def payment_of(self, payload, requirement) -> ChannelPayment:
        """What the call is paid with, to be written to the outbox before `settle` charges it."""
        raw = payload.payload
        voucher = raw["voucher"]
        return ChannelPayment(payer=raw["channelConfig"]["payer"], channel_id=voucher["channelId"].lower(),
                              config=dict(raw["channelConfig"]), ceiling_wei=int(voucher["maxClaimableAmount"]),
                              signature=voucher["signature"], fee_wei=int(requirement.amount))

    def settle(self, payload, requirement) -> str:
        """Charges the call on the channel (a deposit is sent and mined first) and returns the
        PAYMENT-RESPONSE header the client updates its channel state from."""
        from x402.http import encode_payment_response_header
        from x402.schemas import PaymentAbortedError

        try:
            settled = self._server.settle_payment(payload, requirement)
        except PaymentAbortedError as aborted:
            raise PaymentRefused(aborted.reason, str(aborted)) from None
        if not settled.success:
            raise PaymentRefused(settled.error_reason or "settle_failed", settled.error_message or "settlement failed")
        return encode_payment_response_header(settled)

    def payment_required(self, amount_wei: int, url: str, description: str, error: str, payload=None):
        """(header value, JSON body) of a 402 offering this scheme, with the channel's state when
        `payload` is the payment refused (the spec's corrective 402)."""
        from x402.http import encode_payment_required_header
        from x402.schemas import ResourceInfo

        required = self._server.create_payment_required_response(
            [self.requirements(amount_wei)], ResourceInfo(url=url, description=description), error=error,
            payment_payload=payload)
        return encode_payment_required_header(required), required.model_dump(by_alias=True, exclude_none=True)
