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

The node takes a voucher only as BatchSettlement will honour it later, whatever the SDK
accepts: the payer's key's (or its payer authorizer's) ECDSA signature in the one form the chain
accepts (ogcli/core/signature_rule.py), never an ERC-1271 approval the payer can revoke, and in
one spelling, which is what the outbox keeps. It serves no call on a channel whose payer has
started a withdrawal (the SDK records the withdrawal, and the committer makes the node re-read
the channel as soon as it sees one).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from ogcli.chain.abi import checksum
from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.core import channels, signature_rule, typed_data
from ogcli.core.channel_terms import REFUND_PATH
from ogcli.core.result_signature import recover
from ogcli.node.payments import PaymentRefused, validity_window_s

SCHEME = "batch-settlement"
WITHDRAW_DELAY_S = 900  # the scheme's minimum: a payer's withdrawal waits this long for the node's claim
# What the 402 asks a new channel to hold (the SDK's client deposits it): the SDK's own default is
# 5 calls' worth, a deposit transaction (about 120k gas, paid by the node) every 5 calls.
MIN_DEPOSIT_CALLS = 50
SIGNATURE_REFUSED = "invalid_batch_settlement_evm_voucher_signature"
REFUND_NOT_A_PAYMENT = "refund_not_a_payment"  # a refund request sent to a paid resource
WITHDRAWAL_PENDING = "channel_withdrawal_pending"
REFUND_AUTHORIZATION_REFUSED = "refund_authorization_invalid"
_UINT128 = re.compile(r"[0-9]{1,39}")  # ASCII only: str.isdigit takes other scripts' digits
ZERO_ADDRESS = "0x" + "00" * 20
_CANONICAL_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_CONFIG_ADDRESSES = ("payer", "payerAuthorizer", "receiver", "receiverAuthorizer", "token")
MAX_REMEMBERED_OFFERS = 1_000  # one per price a call has been paid at
MAX_REMEMBERED_CHANNEL_IDS = 100_000


@dataclass(frozen=True)
class ChannelPayment:
    """A verified voucher payment for one call, as the outbox keeps it and commitBatch claims it."""

    payer: str
    channel_id: str
    config: dict  # the channel's ChannelConfig, as the SDK's to_dict writes it
    ceiling_wei: int  # the voucher's maxClaimableAmount: everything charged on the channel so far
    signature: str
    fee_wei: int

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
        self.chain_id = chain_id
        self.token = protocol.token.address
        self.settlement = protocol.settlement.address
        self.operator = sender.address
        self.storage = storage
        self._sender = sender
        self._protocol = protocol
        facilitator = x402FacilitatorSync().register(
            [self.network], BatchSettlementEvmFacilitator(_OperatorSigner(sender, rpc_url)))
        self._scheme = BatchSettlementEvmScheme(self.settlement, BatchSettlementEvmSchemeServerConfig(
            storage=storage, receiver_authorizer_signer=LocalAuthorizerSigner(sender.account),
            withdraw_delay=WITHDRAW_DELAY_S))
        self._server = x402ResourceServerSync(_NoDirectClaims(facilitator)).register(self.network, self._scheme)
        self._server.initialize()
        self._offers: dict[tuple, object] = {}  # (amount, window) -> the offer, for matching payments
        self.chain_time = None  # () -> the chain's time (the node's chain_time): sizes the offer's window
        self._channel_ids: dict[tuple, str] = {}  # channel config -> its id

    def _offer(self, amount_wei: int):
        """The offer a payment is matched against (read only: `requirements` gives one to change)."""
        key = (amount_wei, validity_window_s(self.chain_time))
        offer = self._offers.get(key)
        if offer is None:
            if len(self._offers) >= MAX_REMEMBERED_OFFERS:
                self._offers.clear()
            offer = self._offers[key] = self.requirements(amount_wei)
        return offer

    def requirements(self, amount_wei: int):
        """The batch-settlement offer for one call at `amount_wei` (built anew each time: the SDK's
        corrective 402 writes the channel's state into the requirement it is given)."""
        from x402.schemas import ResourceConfig

        price = {"amount": str(amount_wei), "asset": self.token,
                 "extra": {"name": typed_data.TOKEN_NAME, "version": typed_data.TOKEN_VERSION,
                           "minDeposit": str(MIN_DEPOSIT_CALLS * amount_wei)}}
        [requirement] = self._server.build_payment_requirements(ResourceConfig(
            scheme=SCHEME, pay_to=self.settlement, price=price, network=self.network,
            max_timeout_seconds=validity_window_s(self.chain_time)))
        return requirement

    def terms(self, amount_wei: int) -> dict:
        """The channel terms of the offer for a call at `amount_wei`, for /health: what a payer
        needs to open a channel with this node before any call (`ogcli pay channel open`)."""
        requirement = self.requirements(amount_wei)
        extra = requirement.extra or {}
        return {"scheme": requirement.scheme, "network": requirement.network, "payTo": requirement.pay_to,
                "asset": requirement.asset, "receiverAuthorizer": extra.get("receiverAuthorizer"),
                "withdrawDelay": extra.get("withdrawDelay"), "minDeposit": extra.get("minDeposit")}

    @staticmethod
    def channel_payload(header: str):
        """The payment in a PAYMENT-SIGNATURE header when it pays with this scheme (else None:
        `exact`, or not a payment at all)."""
        from x402.http import decode_payment_signature_header

        try:
            payload = decode_payment_signature_header(header)
        except Exception:
            return None
        return payload if payload.accepted.scheme == SCHEME else None

    def take(self, payload, amount_wei: int) -> tuple[ChannelPayment, str]:
        """The call's payment, charged on its channel, and the PAYMENT-RESPONSE header the client
        updates its channel state from. A voucher on a channel this node holds fresh from the
        chain is checked and charged here in one write (`_charge_synced`); anything else (a
        deposit, a channel not known or not fresh, any check that does not pass) goes through the
        SDK's verify and settle, which also give the refusals and corrective 402s. PaymentRefused
        carries the protocol's reason (CorrectivePayment: and the payload refused)."""
        requirement = self._checked(payload, amount_wei)
        charged = self._charge_synced(payload, requirement)
        if charged is not None:
            return charged
        payload, requirement = self._verify_with_sdk(payload, requirement.model_copy(deep=True))
        payment = self.payment_of(payload, requirement)
        return payment, self.settle(payload, requirement)

    def _checked(self, payload, amount_wei: int):
        """The offer `payload` pays, with a voucher signature the chain will honour; not yet
        checked against the channel."""
        from x402.mechanisms.evm.batch_settlement.types import is_refund_payload

        requirement = self._server.find_matching_requirements([self._offer(amount_wei)], payload)
        if requirement is None:
            raise PaymentRefused("invalid_payment_requirements",
                                 f"this call costs {amount_wei} wei of OPG on {self.network}, paid to {self.settlement}")
        if is_refund_payload(payload.payload):
            raise PaymentRefused(REFUND_NOT_A_PAYMENT, f"a cooperative refund pays for no call: send it to {REFUND_PATH}")
        self._check_voucher_signature(payload.payload)
        return requirement

    def _charge_synced(self, payload, requirement) -> tuple[ChannelPayment, str] | None:
        """The SDK's own rules for a voucher on a channel whose on-chain state it holds fresh (its
        local verify, reservation and charge: x402 batch_settlement/server/verify.py and
        settle.py), applied in one write under the channel's lock: the channel id bound to its
        config, the config to this offer (receiver, receiver authorizer, token, withdraw delay),
        the voucher's ceiling exactly what was charged plus this call, within the balance and
        above what was claimed, no request in flight and no withdrawal started. The payer
        authorizer's signature was checked already (`_check_voucher_signature`). None, nothing
        written, when any of it does not hold: the SDK's path then decides, and explains."""
        from x402.mechanisms.evm.batch_settlement.constants import MAX_WITHDRAW_DELAY, MIN_WITHDRAW_DELAY
        from x402.mechanisms.evm.batch_settlement.types import is_voucher_payload
        from x402.mechanisms.evm.batch_settlement.utils import is_canonical_channel_id

        raw = payload.payload
        if not is_voucher_payload(raw) or not is_canonical_channel_id(raw["voucher"].get("channelId")):
            return None
        try:
            payment = self.payment_of(payload, requirement)
        except (KeyError, ValueError, TypeError, AttributeError):
            return None
        config, extra = payment.config, requirement.extra or {}
        authorizer = str(extra.get("receiverAuthorizer") or ZERO_ADDRESS)
        withdraw_delay = extra.get("withdrawDelay")
        if (int(config["payerAuthorizer"], 16) == 0  # the SDK asks the chain (ERC-1271) for these
                or config["receiver"].lower() != str(requirement.pay_to).lower()
                or int(authorizer, 16) == 0 or config["receiverAuthorizer"].lower() != authorizer.lower()
                or config["token"].lower() != str(requirement.asset).lower()
                or (withdraw_delay is not None and config["withdrawDelay"] != int(withdraw_delay))
                or not MIN_WITHDRAW_DELAY <= config["withdrawDelay"] <= MAX_WITHDRAW_DELAY
                or self._channel_id_of(config) != payment.channel_id):
            return None
        fee, ceiling = int(requirement.amount), payment.ceiling_wei
        now_ms = int(time.time() * 1000)
        ttl_ms = self._scheme.get_onchain_state_ttl_ms()
        before: list = []

        def charge(current):
            if (current is None or current.onchain_synced_at is None or now_ms - current.onchain_synced_at > ttl_ms
                    or (current.pending_request is not None and current.pending_request.expires_at > now_ms)
                    or current.withdraw_requested_at
                    or ceiling != int(current.charged_cumulative_amount) + fee
                    or ceiling > int(current.balance) or ceiling <= int(current.total_claimed)):
                return current
            following = current.copy()
            following.charged_cumulative_amount = str(ceiling)
            following.signed_max_claimable = str(ceiling)
            following.signature = raw["voucher"]["signature"]
            following.last_request_timestamp = now_ms
            following.pending_request = None
            before.append(current)
            return following

        if self.storage.update_channel(payment.channel_id, charge).status != "updated":
            return None
        return payment, self._charged_header(before[0], ceiling, requirement)

    def _charged_header(self, before, charged_wei: int, requirement) -> str:
        """The PAYMENT-RESPONSE of a charged voucher, as the SDK's settle writes it: the channel's
        state before the call, with its new charged total, and the amount charged."""
        from x402.http import encode_payment_response_header
        from x402.schemas import SettleResponse

        return encode_payment_response_header(SettleResponse(
            success=True, payer=before.channel_config.payer.lower(), transaction="", network=requirement.network,
            amount="", extra={"channelState": {
                "channelId": before.channel_id, "balance": before.balance, "totalClaimed": before.total_claimed,
                "withdrawRequestedAt": before.withdraw_requested_at, "refundNonce": str(before.refund_nonce),
                "chargedCumulativeAmount": str(charged_wei)}, "chargedAmount": requirement.amount}))

    def _channel_id_of(self, config: dict) -> str:
        """The id of a channel config (canonical, as payment_of writes it), as BatchSettlement
        computes it; remembered, since a payer pays many calls on one channel."""
        key = tuple(config[name] for name, _type in channels.CHANNEL_CONFIG_FIELDS)
        known = self._channel_ids.get(key)
        if known is None:
            known = "0x" + channels.channel_id(channels.ChannelConfig(
                payer=config["payer"], payer_authorizer=config["payerAuthorizer"], receiver=config["receiver"],
                receiver_authorizer=config["receiverAuthorizer"], token=config["token"],
                withdraw_delay_s=config["withdrawDelay"], salt=bytes.fromhex(config["salt"][2:])),
                self.chain_id, BATCH_SETTLEMENT_ADDRESS).hex()
            if len(self._channel_ids) >= MAX_REMEMBERED_CHANNEL_IDS:
                self._channel_ids.clear()
            self._channel_ids[key] = known
        return known

    def _verify_with_sdk(self, payload, requirement):
        """(payload, requirement) of a voucher (or deposit) the SDK verified; the channel is
        reserved for this call until `settle` or `cancel`."""
        from x402.schemas import PaymentAbortedError

        try:
            verified = self._server.verify_payment(payload, requirement)
        except PaymentAbortedError as aborted:
            raise CorrectivePayment(aborted.reason, str(aborted), payload) from None
        if not verified.verify.is_valid:
            reason = verified.verify.invalid_reason or "invalid_payment"
            raise CorrectivePayment(reason, verified.verify.invalid_message or reason, payload)
        channel = self.storage.get(payload.payload["voucher"]["channelId"])
        if channel is not None and channel.withdraw_requested_at:
            self.cancel(payload, requirement)
            raise PaymentRefused(WITHDRAWAL_PENDING, "this channel's payer has started a withdrawal: no call is "
                                 "served on it until the withdrawal is finalized; open a new channel")
        return payload, requirement

    def refund(self, header: str, amount_wei: int, authorization: str | None = None) -> str:
        """A cooperative refund (the spec's zero-charge voucher at the channel's charged total, with
        an optional amount): returns to the payer what the channel holds beyond everything charged
        on it, or the amount asked if less, in BatchSettlement.refund sent by the operator (the
        receiver authorizer); the PAYMENT-RESPONSE header. The channel is reserved meanwhile (no
        call is charged on it), and what was charged stays in it for the node's next batch to
        claim: nothing is claimed here (the node claims only in commitBatch). `amount_wei` is the
        price the refund's 402 quoted (a refund matches that offer and pays nothing).

        The scheme's request alone (the channel's last voucher) proves nothing: its batch publishes
        that voucher in calldata. So the node refunds only on `authorization`, the payer's
        signature of an ogcli RefundRequest (core.channels) for the channel's current refund
        nonce on chain and this amount (0: all): once, and only by the payer."""
        from x402.http import decode_payment_signature_header, encode_payment_response_header
        from x402.mechanisms.evm.batch_settlement.errors import ERR_REFUND_AMOUNT_INVALID, ERR_REFUND_NO_BALANCE
        from x402.mechanisms.evm.batch_settlement.types import is_refund_payload
        from x402.schemas import PaymentAbortedError, SettleResponse

        try:
            payload = decode_payment_signature_header(header)
        except Exception:
            raise PaymentRefused("invalid_payload", "the PAYMENT-SIGNATURE header is not an x402 payment") from None
        if not is_refund_payload(payload.payload):
            raise PaymentRefused("invalid_payload", "this endpoint takes cooperative refund requests only")
        requirement = self._server.find_matching_requirements([self.requirements(amount_wei)], payload)
        if requirement is None:
            raise PaymentRefused("invalid_payment_requirements", f"a refund names this node's offer on {self.network}")
        requested = payload.payload.get("amount")
        if requested is not None and not (isinstance(requested, str) and _UINT128.fullmatch(requested)
                                          and 0 < int(requested) < 2**128):
            raise PaymentRefused(ERR_REFUND_AMOUNT_INVALID, "a refund's amount is a positive whole number of wei "
                                 "(ASCII digits, below 2**128)")
        self._check_voucher_signature(payload.payload)
        if not (isinstance(authorization, str) and _CANONICAL_SIGNATURE.fullmatch(authorization)):
            raise PaymentRefused(REFUND_AUTHORIZATION_REFUSED, f"a cooperative refund needs the payer's signed "
                                 f"RefundRequest in the {channels.REFUND_AUTHORIZATION_HEADER} header "
                                 "(`ogcli pay channel refund` sends one)")
        try:
            verified = self._server.verify_payment(payload, requirement)  # reserves the channel
        except PaymentAbortedError as aborted:
            raise CorrectivePayment(aborted.reason, str(aborted), payload) from None
        if not verified.verify.is_valid:
            reason = verified.verify.invalid_reason or "invalid_payment"
            raise CorrectivePayment(reason, verified.verify.invalid_message or reason, payload)
        channel_id = "0x" + bytes.fromhex(str(payload.payload["voucher"]["channelId"]).removeprefix("0x")).hex()
        try:
            channel = self.storage.get(channel_id)
            self._check_refund_authorization(payload.payload, channel_id, int(requested or 0), authorization)
            refundable = int(channel.balance) - int(channel.charged_cumulative_amount)
            amount = refundable if requested is None else int(requested)
            if refundable <= 0 or amount > refundable:
                raise PaymentRefused(ERR_REFUND_NO_BALANCE, f"the channel holds {max(refundable, 0)} wei beyond what "
                                     f"was charged on it; {amount} cannot be refunded")
            try:
                refunded, tx_hash = self._send_refund(channel.channel_config, amount)
            except BaseException:
                # Sent or not, mined or not: the channel's balance is read from the chain again
                # before the next voucher on it is taken (else the node could serve calls on money
                # a refund it lost track of returned).
                self._reread_balance(channel_id)
                raise
        except BaseException:
            self.cancel(payload, requirement)
            raise
        self._after_refund(channel_id, refunded)
        return encode_payment_response_header(SettleResponse(
            success=True, transaction=tx_hash, network=self.network, payer=channel.channel_config.payer,
            amount=str(refunded), extra={"chargedAmount": "0", "channelState": {
                "channelId": channel_id, "balance": str(int(channel.balance) - refunded),
                "chargedCumulativeAmount": channel.charged_cumulative_amount,
                "refundNonce": str(channel.refund_nonce + 1)}}))

    def _check_refund_authorization(self, raw: dict, channel_id: str, amount_wei: int, authorization: str) -> None:
        """The payer's (or payer authorizer's) ECDSA signature of RefundRequest(channel, the
        channel's refund nonce on chain now, amount), in the one form the chain accepts. Read with
        the channel reserved, so two requests signed for one nonce refund once."""
        config = raw.get("channelConfig") or {}
        signature = bytes.fromhex(authorization[2:])
        refused = signature_rule.rejection(signature)
        if refused:
            raise PaymentRefused(REFUND_AUTHORIZATION_REFUSED, f"the refund authorization's signature: {refused}")
        contract = self._protocol.contract("BatchSettlement", BATCH_SETTLEMENT_ADDRESS)
        channel = bytes.fromhex(channel_id[2:])
        nonce = contract.functions.refundNonce(channel).call()
        digest = channels.refund_request_digest(channel, nonce, amount_wei, self.chain_id, BATCH_SETTLEMENT_ADDRESS)
        authorizer = str(config.get("payerAuthorizer") or ZERO_ADDRESS)
        signer = str(config.get("payer")) if int(authorizer, 16) == 0 else authorizer
        if (recover(digest, signature) or "").lower() != signer.lower():
            raise PaymentRefused(REFUND_AUTHORIZATION_REFUSED, f"the refund authorization is not {signer}'s signature "
                                 f"of RefundRequest(channel, refund nonce {nonce}, amount {amount_wei}): a request is "
                                 "honoured once, for the nonce it was signed for")

    def _reread_balance(self, channel_id: str) -> None:
        """The channel's balance as the chain has it now, into the node's channel state; when the
        chain cannot be asked, the state is marked stale, so the next voucher reads it first."""
        try:
            contract = self._protocol.contract("BatchSettlement", BATCH_SETTLEMENT_ADDRESS)
            balance, _claimed = contract.functions.channels(bytes.fromhex(channel_id[2:])).call()
        except Exception:  # noqa: BLE001 (any failure to read: fall back to a stale mark)
            self.forget_chain_state(channel_id)
            return

        def reread(current):
            if current is None:
                return current
            following = current.copy()
            following.balance = str(balance)
            return following

        self.storage.update_channel(channel_id, reread)

    def _send_refund(self, config, amount_wei: int) -> tuple[int, str]:
        """BatchSettlement.refund(config, amount) from the operator: (what it returned, tx hash)."""
        from web3.logs import DISCARD

        contract = self._protocol.contract("BatchSettlement", BATCH_SETTLEMENT_ADDRESS)
        as_tuple = (config.payer, config.payer_authorizer, config.receiver, config.receiver_authorizer, config.token,
                    int(config.withdraw_delay), bytes.fromhex(str(config.salt).removeprefix("0x")))
        receipt = self._sender.transact(contract.functions.refund(as_tuple, amount_wei), label="refund")
        events = contract.events.Refunded().process_receipt(receipt.raw, errors=DISCARD)
        return sum(e["args"]["amount"] for e in events), receipt.tx_hash

    def _after_refund(self, channel_id: str, refunded_wei: int) -> None:
        """The channel after its refund: the balance less what went back, the next refund nonce,
        and its reservation released."""
        def refunded(current):
            if current is None:
                return current
            following = current.copy()
            following.balance = str(int(current.balance) - refunded_wei)
            following.refund_nonce = current.refund_nonce + 1
            following.pending_request = None
            following.onchain_synced_at = int(time.time() * 1000)
            return following

        self.storage.update_channel(channel_id, refunded)

    def _check_voucher_signature(self, raw: dict) -> None:
        """The voucher's signature must be the payer's key's (or its payer authorizer's) ECDSA
        signature in the one form the chain accepts, written as 0x and 130 hex digits. The SDK
        also takes an ERC-1271 approval from a payer with code, which the payer can revoke
        (EIP-7702) once served: BatchSettlement checks the key first, and so does the node, only.
        It also takes other spellings (no 0x, spaces), which the outbox would keep as sent."""
        voucher, config = raw.get("voucher") or {}, raw.get("channelConfig") or {}
        text = str(voucher.get("signature", ""))
        if not _CANONICAL_SIGNATURE.fullmatch(text):
            raise PaymentRefused(SIGNATURE_REFUSED, "a voucher's signature is 0x and 130 hex digits (65 bytes)")
        signature = bytes.fromhex(text[2:])
        refused = signature_rule.rejection(signature)
        if refused:
            raise PaymentRefused(SIGNATURE_REFUSED, f"the voucher's signature would be refused on chain: {refused}")
        try:
            digest = channels.voucher_digest(bytes.fromhex(str(voucher["channelId"]).removeprefix("0x")),
                                             int(voucher["maxClaimableAmount"]), self.chain_id, BATCH_SETTLEMENT_ADDRESS)
            authorizer = str(config.get("payerAuthorizer") or ZERO_ADDRESS)
            signer = str(config["payer"]) if int(authorizer, 16) == 0 else authorizer
        except (KeyError, ValueError, TypeError):
            raise PaymentRefused("invalid_payload", "the payment's voucher or channel config is malformed") from None
        if (recover(digest, signature) or "").lower() != signer.lower():
            raise PaymentRefused(SIGNATURE_REFUSED, f"the voucher is not signed by {signer}'s key (the channel's "
                                 "payer authorizer, or its payer when it has none)")

    def forget_chain_state(self, channel_id: str) -> None:
        """Makes the next call on the channel read its state from the chain again (its payer has
        started a withdrawal: the balance the node holds may be taken back)."""

        def stale(current):
            if current is None or current.onchain_synced_at is None:
                return current
            following = current.copy()
            following.onchain_synced_at = None
            return following

        self.storage.update_channel(channel_id, stale)

    def cancel(self, payload, requirement) -> None:
        """Releases the channel's reservation of a call that did not happen (nothing is charged)."""
        from x402.schemas import VerifiedPaymentCancelOptions

        self._server.create_payment_cancellation_dispatcher(payload, requirement).cancel_sync(
            VerifiedPaymentCancelOptions(reason="handler_threw"))

    def payment_of(self, payload, requirement) -> ChannelPayment:
        """What the call is paid with, to be written to the outbox before `settle` charges it: in
        one spelling (checksummed addresses, 0x hex), whatever the client's was, so that what the
        committer claims is what was checked."""
        raw = payload.payload
        voucher, config = raw["voucher"], raw["channelConfig"]
        canonical = {name: checksum(config[name]) for name in _CONFIG_ADDRESSES}
        canonical["withdrawDelay"] = int(config["withdrawDelay"])
        canonical["salt"] = "0x" + bytes.fromhex(str(config["salt"]).removeprefix("0x")).hex()
        return ChannelPayment(payer=canonical["payer"], channel_id="0x" + bytes.fromhex(
                                  str(voucher["channelId"]).removeprefix("0x")).hex(),
                              config=canonical, ceiling_wei=int(voucher["maxClaimableAmount"]),
                              signature=str(voucher["signature"]).lower(), fee_wei=int(requirement.amount))

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
