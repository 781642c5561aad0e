"""x402 payments at the node, with the official `x402` SDK: the 402 offer (scheme `exact`,
network `eip155:<chain id>`, asset OPG, payTo the node's till), and verification of a
presented payment before the model runs.

The node is its own facilitator: the SDK's `ExactEvmFacilitatorScheme` checks the EIP-3009
signature, the time window and (by simulating `transferWithAuthorization`) the balance and the
nonce, reading the chain through the node's connection. Its `settle` is not used: the settlement
contract executes the authorization itself, later, from the outbox. What the SDK does not check
is done here: that the payment accepted exactly this offer (asset, amount, payTo, network), that
an authorization verified but not yet settled is not presented twice, and that the payer's balance
covers it on top of every `exact` payment of the payer's the node has accepted and not yet settled
(the SDK's simulation sees one authorization at a time: three payments of a balance that pays for
one each pass it while nothing has settled).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ogcli.chain.abi import checksum
from ogcli.core import typed_data

SETTLEMENT_MARGIN_S = 120  # an authorization must outlive the settlement that executes it
MAX_TIMEOUT_S = 3_600  # how long a client's authorization is valid (validBefore = now + this)

# The protocol's reason codes (x402.mechanisms.evm.constants), plus the two the SDK leaves to servers.
NONCE_USED = "invalid_exact_evm_nonce_already_used"
INSUFFICIENT_BALANCE = "invalid_exact_evm_insufficient_balance"
VALUE_MISMATCH = "invalid_exact_evm_payload_authorization_value_mismatch"
RECIPIENT_MISMATCH = "invalid_exact_evm_payload_recipient_mismatch"
VALID_BEFORE = "invalid_exact_evm_payload_authorization_valid_before"
NETWORK_MISMATCH = "network_mismatch"
UNSUPPORTED_SCHEME = "unsupported_scheme"
ASSET_MISMATCH = "invalid_payment_asset"
INVALID_PAYLOAD = "invalid_payload"


def validity_window_s(chain_time) -> int:
    """maxTimeoutSeconds for an offer: how long a client's authorization must be valid by its own
    clock (the x402 SDKs sign validBefore = their clock + maxTimeoutSeconds) to stay valid
    MAX_TIMEOUT_S by the chain's, which the token checks: longer by how far the chain runs ahead
    of this machine's clock (a devnet moved forward), rounded up to the hour so that an offer and
    a payment made on it agree (the batch-settlement SDK matches the field exactly).
    `chain_time`: the chain's time, or None (then MAX_TIMEOUT_S)."""
    import time

    ahead = (chain_time() - int(time.time())) if chain_time is not None else 0
    return MAX_TIMEOUT_S + (-(-ahead // 3_600) * 3_600 if ahead > 0 else 0)


class PaymentRefused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Payment:
    """A verified authorization, in the shape InferenceSettlement.settle takes."""

    payer: str
    value_wei: int
    valid_after: int
    valid_before: int
    nonce: bytes
    signature: bytes

    def to_record(self) -> dict:
        return {
            "from": self.payer, "value": str(self.value_wei), "validAfter": str(self.valid_after),
            "validBefore": str(self.valid_before), "nonce": "0x" + self.nonce.hex(), "signature": "0x" + self.signature.hex(),
        }


class _ChainReader:
    """The two reads the SDK's EIP-3009 verification makes, over the node's web3 connection.

    Encoded with the codec directly (web3's contract layer re-validates the ABI on every call,
    which was most of the verification time), and account code cached for a minute: a payer's
    code (EOA or smart wallet) does not change between its calls."""

    CODE_TTL_S = 60.0

    def __init__(self, w3) -> None:
        self.w3 = w3
        self._code: dict[str, tuple[float, bytes]] = {}

    def get_addresses(self) -> list[str]:
        return []

    def get_code(self, address: str) -> bytes:
        import time

        key = address.lower()
        cached = self._code.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.CODE_TTL_S:
            return cached[1]
        code = bytes(self.w3.eth.get_code(self.w3.to_checksum_address(address)))
        self._code[key] = (time.monotonic(), code)
        return code

    def read_contract(self, address: str, abi, function_name: str, *args):
        from ogcli.chain.abi import abi_type, function_abi_of

        fn = function_abi_of(address, abi, function_name, len(args))
        data = fn.selector + self.w3.codec.encode(list(fn.inputs), list(args))
        raw = self.w3.eth.call({"to": self.w3.to_checksum_address(address), "data": data})
        values = self.w3.codec.decode([abi_type(p) for p in fn.outputs], bytes(raw))
        return values[0] if len(values) == 1 else values


def _canonical_v(signature: bytes) -> bytes:
    """A 65-byte signature with its recovery byte as the token's ECDSA takes it (27 or 28): the
    SDK's checks accept 0 or 1 too, and a payment kept in that form would fail at settlement,
    after its call was served."""
    if len(signature) == 65 and signature[64] in (0, 1):
        return signature[:64] + bytes([signature[64] + 27])
    return signature


class Payments:
    def __init__(self, protocol, chain_id: int, node: str, till: str, is_spent, unsettled_wei) -> None:
        from x402.mechanisms.evm.exact import ExactEvmFacilitatorScheme

        self.network = f"eip155:{chain_id}"
        self.token = protocol.token.address
        self.node = node  # the operator: the settler of this node's calls
        self.till = till  # the node's payee (ExactTills): what is paid to it settles from the node only
        self._protocol = protocol
        self._verifier = ExactEvmFacilitatorScheme(_ChainReader(protocol.w3))
        self._is_spent = is_spent  # (payer, nonce) -> bool: in the outbox already
        self._unsettled_wei = unsettled_wei  # payer -> wei of its exact calls in the outbox, not yet settled
        self._reserved: dict[tuple[str, bytes], int] = {}  # verifying or being answered -> value
        self._lock = threading.Lock()
        self.chain_time = None  # () -> the chain's time (the node's chain_time): sizes the offer's window

    def requirements(self, amount_wei: int):
        from x402.schemas import PaymentRequirements

        return PaymentRequirements(
            scheme="exact",
            network=self.network,
            asset=self.token,
            amount=str(amount_wei),
            pay_to=self.till,
            max_timeout_seconds=validity_window_s(self.chain_time),
            # `node`: whose till payTo is, so a client can check it (ExactTills.tillOf) before signing.
            extra={"name": typed_data.TOKEN_NAME, "version": typed_data.TOKEN_VERSION, "node": self.node},
        )

    def payment_required(self, amount_wei: int, url: str, description: str, error: str = "Payment required",
                         also: tuple = ()):
        """(header value, JSON body) of a 402 answer offering this price (`exact`, then the
        requirements in `also`: the node's batch-settlement offer)."""
        from x402.http import encode_payment_required_header
        from x402.schemas import PaymentRequired, ResourceInfo

        offer = PaymentRequired(
            error=error, resource=ResourceInfo(url=url, description=description),
            accepts=[self.requirements(amount_wei), *also],
        )
        return encode_payment_required_header(offer), offer.model_dump(by_alias=True, exclude_none=True)

    def verify(self, header: str, amount_wei: int, now: int) -> Payment:
        """The payment in `header` if it pays exactly `amount_wei` for this offer; reserves its
        nonce until `release` or settlement. PaymentRefused carries the protocol's reason."""
        from x402.http import decode_payment_signature_header
        from x402.mechanisms.evm.types import ExactEIP3009Payload
        from x402.schemas import PaymentPayload

        try:
            payload = decode_payment_signature_header(header)
        except Exception:
            raise PaymentRefused(INVALID_PAYLOAD, "the PAYMENT-SIGNATURE header is not an x402 payment") from None
        if not isinstance(payload, PaymentPayload):
            raise PaymentRefused(INVALID_PAYLOAD, "only x402 version 2 payments are accepted")
        offer = self.requirements(amount_wei)
        accepted = payload.accepted
        if accepted.scheme != "exact":
            raise PaymentRefused(UNSUPPORTED_SCHEME, f"scheme {accepted.scheme!r} is not offered; pay with 'exact'")
        if accepted.network != self.network:
            raise PaymentRefused(NETWORK_MISMATCH, f"this node takes payments on {self.network}, not {accepted.network}")
        if accepted.asset.lower() != self.token.lower():
            raise PaymentRefused(ASSET_MISMATCH, f"this node takes OPG ({self.token}), not {accepted.asset}")
        try:
            inner = ExactEIP3009Payload.from_dict(payload.payload)
            auth = inner.authorization
            payment = Payment(
                payer=checksum(auth.from_address),
                value_wei=int(auth.value),
                valid_after=int(auth.valid_after),
                valid_before=int(auth.valid_before),
                nonce=bytes.fromhex(auth.nonce.removeprefix("0x")),
                signature=_canonical_v(bytes.fromhex(inner.signature.removeprefix("0x"))),
            )
        except (KeyError, ValueError, TypeError, AttributeError):
            raise PaymentRefused(INVALID_PAYLOAD, "the payment's authorization is malformed") from None
        if accepted.pay_to.lower() != self.till.lower() or auth.to.lower() != self.till.lower():
            raise PaymentRefused(RECIPIENT_MISMATCH, f"payments to this node go to its till {self.till}")
        if payment.value_wei != amount_wei or int(accepted.amount) != amount_wei:
            raise PaymentRefused(VALUE_MISMATCH, f"this call costs {amount_wei} wei; the payment authorizes {payment.value_wei}")
        if payment.valid_before < now + SETTLEMENT_MARGIN_S:
            raise PaymentRefused(VALID_BEFORE, f"the authorization expires too soon to be settled (needs {SETTLEMENT_MARGIN_S}s)")
        if len(payment.nonce) != 32:
            raise PaymentRefused(INVALID_PAYLOAD, "an ERC-3009 nonce is 32 bytes")
        key = (payment.payer, payment.nonce)
        with self._lock:
            if key in self._reserved or self._is_spent(payment.payer, payment.nonce):
                raise PaymentRefused(NONCE_USED, "this payment was presented before; sign a new one")
            self._reserved[key] = payment.value_wei
        try:
            result = self._verifier.verify(payload, offer)
            if result.is_valid:
                self._check_on_chain(payment)
        except PaymentRefused:
            self.release(payment)
            raise
        except Exception as exc:  # the SDK raises on RPC failures instead of answering
            self.release(payment)
            raise PaymentRefused("verification_unavailable", f"the payment could not be checked: {str(exc)[:160]}") from None
        if not result.is_valid:
            self.release(payment)
            raise PaymentRefused(result.invalid_reason or "invalid_payment", result.invalid_message or result.invalid_reason or "invalid payment")
        return payment

    def _check_on_chain(self, payment: Payment) -> None:
        """What the SDK's check of one authorization cannot see: the payer's balance must cover
        it on top of everything else of the payer's this node has taken and not settled: its
        exact calls in the outbox, and the payments being verified or answered now (this one among
        them). Reserved before the balance is read, so that two payments checked at once each
        count the other: at worst both are refused, never both served on one balance. A call
        moves into the outbox before its reservation is released, so it is never out of the count.
        With nothing else of the payer's, the SDK's simulated transfer of this payment has shown
        the balance covers it, and it is not read.

        (Nothing else can take the call's request id first: it names this node's till, and the
        contract settles it only from this node, with this payment.)
        """
        with self._lock:
            in_flight = sum(value for (payer, _nonce), value in self._reserved.items() if payer == payment.payer)
        owed = self._unsettled_wei(payment.payer) + in_flight
        if owed == payment.value_wei:
            return
        from ogcli.chain.multicall import Read, read_many

        balance, = read_many(self._protocol.rpc, [Read(self._protocol.token, "balanceOf", (payment.payer,))])
        if not isinstance(balance, int):
            raise PaymentRefused("verification_unavailable", "the payment could not be checked: a chain read failed")
        if balance < owed:
            raise PaymentRefused(INSUFFICIENT_BALANCE, (
                f"the payer's balance ({balance} wei) does not cover this call on top of its calls not yet "
                f"settled ({owed - payment.value_wei} wei); wait for them to settle, or pay by channel"))

    def release(self, payment: Payment) -> None:
        """Frees a reservation whose call did not happen (bad input, model failure)."""
        with self._lock:
            self._reserved.pop((payment.payer, payment.nonce), None)

    def settlement_header(self, payment: Payment, tx_hash: str = "") -> str:
        from x402.http import encode_payment_response_header
        from x402.schemas import SettleResponse

        return encode_payment_response_header(
            SettleResponse(success=True, payer=payment.payer, transaction=tx_hash, network=self.network,
                           amount=str(payment.value_wei))
        )
