"""Test doubles and payload builders for tests/adversarial/test_refund_attacks.py: refund requests
built by hand (as a payer or a stranger would), a Sender whose receipt wait gives up on the
refund only, and a hostile node (a proxy) that forges a refund's success. Nothing here is product
code: every hostile component is a test double."""

from __future__ import annotations

import contextlib
from http.server import BaseHTTPRequestHandler

import httpx
from x402.http import decode_payment_required_header, encode_payment_response_header, encode_payment_signature_header
from x402.mechanisms.evm.batch_settlement.types import ChannelConfig as SdkConfig
from x402.mechanisms.evm.batch_settlement.utils import compute_channel_id
from x402.schemas import PaymentPayload, SettleResponse

from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
from ogcli.core import channels
from tests.http_doubles import serving

REFUND_PATH = "/v1/channels/refund"
NETWORK = "eip155:31337"
SIG = "PAYMENT-SIGNATURE"


def probe(url: str):
    """(PaymentRequired, the batch-settlement requirement) of the node's refund 402: what anyone
    can read without paying or signing."""
    answer = httpx.get(url + REFUND_PATH, timeout=30)
    assert answer.status_code == 402, answer.text[:300]
    required = decode_payment_required_header(answer.headers["PAYMENT-REQUIRED"])
    [requirement] = [a for a in required.accepts if a.scheme == "batch-settlement"]
    return required, requirement


def sign_voucher(chain, signer, channel_id: str, ceiling: int) -> str:
    message = channels.voucher(bytes.fromhex(channel_id[2:]), ceiling)
    domain = channels.domain(chain.w3.eth.chain_id, BATCH_SETTLEMENT_ADDRESS)
    return "0x" + bytes(signer.sign_typed_data(domain, channels.VOUCHER_TYPES, message).signature).hex()


def refund_header(url: str, config: dict, ceiling: int, signature: str, amount=None, *, omit_amount: bool = False) -> str:
    """A cooperative refund request (PAYMENT-SIGNATURE) for `config`'s channel, built by hand from
    the node's public refund 402: the voucher at `ceiling` with `signature` (anyone's copy of it),
    and `amount` as given (any JSON value) unless `omit_amount`."""
    required, requirement = probe(url)
    channel_id = compute_channel_id(SdkConfig.from_dict(config), NETWORK)
    payload = {"type": "refund", "channelConfig": dict(config),
               "voucher": {"channelId": channel_id, "maxClaimableAmount": str(ceiling), "signature": signature}}
    if amount is not None and not omit_amount:
        payload["amount"] = amount
    return encode_payment_signature_header(PaymentPayload(x402_version=2, accepted=requirement, payload=payload,
                                                          resource=required.resource))


def ask_refund(url: str, header: str, authorization: str | None = None) -> httpx.Response:
    """The refund request, with the payer's signed RefundRequest when `authorization` is given."""
    headers = {SIG: header}
    if authorization is not None:
        headers[channels.REFUND_AUTHORIZATION_HEADER] = authorization
    return httpx.get(url + REFUND_PATH, headers=headers, timeout=60)


def authorize(chain, signer, channel_id: str, amount_wei: int = 0) -> str:
    """The payer's signed RefundRequest for the channel's refund nonce on chain now (0: all)."""
    from ogcli.protocol import artifacts

    contract = chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))
    channel = bytes.fromhex(channel_id[2:])
    nonce = contract.functions.refundNonce(channel).call()
    domain = channels.domain(chain.w3.eth.chain_id, BATCH_SETTLEMENT_ADDRESS)
    message = channels.refund_request(channel, nonce, amount_wei)
    return "0x" + bytes(signer.sign_typed_data(domain, channels.REFUND_REQUEST_TYPES, message).signature).hex()


def config_from_claim(config_tuple) -> dict:
    """A ChannelConfig dict (the SDK's spelling) from the tuple commitBatch's calldata carries."""
    payer, payer_authorizer, receiver, receiver_authorizer, token, delay, salt = config_tuple
    return {"payer": payer, "payerAuthorizer": payer_authorizer, "receiver": receiver,
            "receiverAuthorizer": receiver_authorizer, "token": token, "withdrawDelay": int(delay),
            "salt": "0x" + bytes(salt).hex()}


def give_up_on_refund_receipts(sender):
    """Makes `sender` (the node's own Sender instance) a test double for the refund only: it sends
    BatchSettlement.refund for real and waits until it is mined, then gives up on the receipt as
    a receipt wait that timed out (or a node that crashed after sending) would. Every other
    transaction is untouched. Returns the undo callable."""
    from ogcli.errors import NetworkError

    real_confirm = sender.confirm

    def confirm(tx_hash, tx, label=""):  # test double
        if label == "refund":
            real_confirm(tx_hash, tx, label)  # it is mined, with its Refunded event
            raise NetworkError("gave up waiting for the receipt")
        return real_confirm(tx_hash, tx, label)

    sender.confirm = confirm
    return lambda: setattr(sender, "confirm", real_confirm)


@contextlib.contextmanager
def hostile_refund_proxy(real_url: str, chain_network: str = NETWORK):
    """A hostile node (test double): a proxy forwarding every request to the real node at
    `real_url`, except a refund request carrying a PAYMENT-SIGNATURE, which it answers itself with
    a forged success PAYMENT-RESPONSE (a made-up transaction hash, the whole balance "refunded")
    and never passes on: no refund is ever sent on chain. Yields (its url, the requests it forged
    an answer to)."""
    forged: list[str] = []

    class Handler(BaseHTTPRequestHandler):  # test double
        def _forward(self, method: str):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if method == "GET" and self.path.startswith(REFUND_PATH) and self.headers.get(SIG):
                forged.append(self.headers[SIG])
                fake = encode_payment_response_header(SettleResponse(
                    success=True, transaction="0x" + "ab" * 32, network=chain_network,
                    payer="0x" + "00" * 20, amount="1999999999999999999", extra={"chargedAmount": "0"}))
                self._answer(200, {"PAYMENT-RESPONSE": fake, "Content-Type": "application/json"}, b'{"refunded":true}')
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = httpx.request(method, real_url + self.path, headers=headers, content=body, timeout=120)
            keep = {k: v for k, v in answer.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")}
            self._answer(answer.status_code, keep, answer.content)

        def _answer(self, status: int, headers: dict, body: bytes):
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 (http.server's name)
            self._forward("GET")

        def do_POST(self):  # noqa: N802
            self._forward("POST")

        def log_message(self, *_args):
            pass

    with serving(Handler) as url:
        yield url, forged
