"""Test doubles for tests/adversarial/test_payer_channel_attacks.py.

`HostileFront` is a TEST DOUBLE of a lying node: an HTTP server standing in front of a real
reference node (tests/chain/node_fixture.py's `running_node`). It passes /health and unpaid calls
through, so its terms and its 402 offers are the real node's (optionally rewritten), and answers
every paid call (a request carrying PAYMENT-SIGNATURE) with the strategy it is given, keeping every
payment payload the payer signed. The strategies below are the lies; `claim_on_chain` and
`deposit_on_chain` are what the node then does with the payer's signatures, as any receiver
authorizer (or anyone holding a deposit authorization) can.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.chain.node_fixture import free_port

PAYMENT_REQUIRED = "PAYMENT-REQUIRED"
PAYMENT_SIGNATURE = "PAYMENT-SIGNATURE"
PAYMENT_RESPONSE = "PAYMENT-RESPONSE"
SCHEME = "batch-settlement"


class HostileFront:
    """A TEST DOUBLE: a lying node in front of a real one (see the module docstring).

    `on_paid(front, path, body, payload, header)` answers a paid call: (status, headers, body).
    `rewrite_offer(PaymentRequired)` may change the real node's 402 offer before the payer sees it.
    """

    def __init__(self, upstream: str, on_paid, *, rewrite_offer=None) -> None:
        self.upstream = upstream.rstrip("/")
        self.on_paid = on_paid
        self.rewrite_offer = rewrite_offer
        self.payloads: list = []  # every PaymentPayload the payer sent, in order
        self.offer = None  # the last 402 offer the payer was shown (a PaymentRequired)
        self.served = 0  # paid calls answered 200
        self.state: dict = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):  # quiet
                pass

            def _reply(self, status: int, headers: dict, body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                answer = httpx.get(front.upstream + self.path, timeout=30)
                self._reply(answer.status_code, {"Content-Type": answer.headers.get("content-type", "application/json")},
                            answer.content)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                header = self.headers.get(PAYMENT_SIGNATURE)
                if header:
                    from x402.http import decode_payment_signature_header

                    payload = decode_payment_signature_header(header)
                    front.payloads.append(payload)
                    status, headers, out = front.on_paid(front, self.path, body, payload, header)
                    if status == 200:
                        front.served += 1
                    self._reply(status, headers, out)
                    return
                answer = httpx.post(front.upstream + self.path, content=body,
                                    headers={"Content-Type": "application/json"}, timeout=60)
                headers = {"Content-Type": answer.headers.get("content-type", "application/json")}
                if PAYMENT_REQUIRED in answer.headers:
                    from x402.http import decode_payment_required_header, encode_payment_required_header

                    offer = decode_payment_required_header(answer.headers[PAYMENT_REQUIRED])
                    if front.rewrite_offer is not None:
                        offer = front.rewrite_offer(offer)
                    front.offer = offer
                    headers[PAYMENT_REQUIRED] = encode_payment_required_header(offer)
                self._reply(answer.status_code, headers, answer.content)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileFront:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def channel_requirement(self):
        return next(r for r in self.offer.accepts if r.scheme == SCHEME)


# ---------------------------------------------------------------------- the lies


def voucher_of(payload) -> dict:
    return payload.payload["voucher"]


def corrective_citing_the_voucher_just_sent(front, payload):
    """A TEST DOUBLE's answer: the spec's corrective 402 ("cumulative amount mismatch") whose
    channel state says the node has already charged exactly what the voucher it is refusing
    allows, with that very voucher (the payer's own signature) as its evidence."""
    from x402.http import encode_payment_required_header
    from x402.mechanisms.evm.batch_settlement.errors import ERR_CUMULATIVE_AMOUNT_MISMATCH
    from x402.schemas import PaymentRequired

    voucher = voucher_of(payload)
    requirement = front.channel_requirement()
    extra = dict(requirement.extra or {})
    extra["channelState"] = {"channelId": voucher["channelId"], "balance": "0", "totalClaimed": "0",
                             "chargedCumulativeAmount": str(voucher["maxClaimableAmount"])}
    extra["voucherState"] = {"signedMaxClaimable": str(voucher["maxClaimableAmount"]),
                             "signature": voucher["signature"]}
    required = PaymentRequired(error=ERR_CUMULATIVE_AMOUNT_MISMATCH, resource=front.offer.resource,
                               accepts=[requirement.model_copy(update={"extra": extra})])
    body = json.dumps(required.model_dump(by_alias=True, exclude_none=True)).encode()
    return 402, {"Content-Type": "application/json", PAYMENT_REQUIRED: encode_payment_required_header(required)}, body


def served_answer(front, payload, *, request_id: bytes | None = None):
    """A TEST DOUBLE's answer: 200 with an (invented) model output and a PAYMENT-RESPONSE saying
    it charged the call's price once, exactly as an honest node's does."""
    from x402.http import encode_payment_response_header
    from x402.schemas import SettleResponse

    requirement = front.channel_requirement()
    voucher = voucher_of(payload)
    settled = SettleResponse(success=True, transaction="", network=requirement.network,
                             payer=payload.payload["channelConfig"]["payer"],
                             extra={"chargedAmount": str(requirement.amount)})
    request_id = request_id or os.urandom(32)
    body = {"model": 1, "outputs": {"scores": [[0.5]]},
            "receipt": {"requestId": "0x" + request_id.hex(), "payer": payload.payload["channelConfig"]["payer"],
                        "value_wei": str(requirement.amount),
                        "settlement": {"state": "pending", "scheme": SCHEME, "channel": voucher["channelId"]}}}
    return 200, {"Content-Type": "application/json", PAYMENT_RESPONSE: encode_payment_response_header(settled)}, \
        json.dumps(body).encode()


def forward_to_upstream(front, path, body, header):
    """Pass a paid call on to the real node and relay its answer (an honest hop)."""
    answer = httpx.post(front.upstream + path, content=body,
                        headers={"Content-Type": "application/json", PAYMENT_SIGNATURE: header}, timeout=60)
    headers = {"Content-Type": answer.headers.get("content-type", "application/json")}
    for name in (PAYMENT_RESPONSE, PAYMENT_REQUIRED):
        if name in answer.headers:
            headers[name] = answer.headers[name]
    return answer.status_code, headers, answer.content


# ---------------------------------------------------------------------- what the node does with it


def _config_tuple(config: dict) -> tuple:
    from eth_utils import to_checksum_address

    return (to_checksum_address(config["payer"]), to_checksum_address(config["payerAuthorizer"]),
            to_checksum_address(config["receiver"]), to_checksum_address(config["receiverAuthorizer"]),
            to_checksum_address(config["token"]), int(config["withdrawDelay"]),
            bytes.fromhex(str(config["salt"]).removeprefix("0x")))


def channels_contract(chain):
    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.protocol import artifacts

    return chain.w3.eth.contract(address=BATCH_SETTLEMENT_ADDRESS, abi=artifacts.abi("BatchSettlement"))


def highest_voucher(payloads) -> tuple:
    """(payload, amount) of the highest voucher the payer signed among `payloads`."""
    best = max(payloads, key=lambda p: int(voucher_of(p)["maxClaimableAmount"]))
    return best, int(voucher_of(best)["maxClaimableAmount"])


def claim_on_chain(chain, payload) -> int:
    """The receiver authorizer (the devnet's node operator) claims the payer's voucher directly on
    BatchSettlement, as the channel lets it; returns the channel's claimed total afterwards."""
    from ogcli.devnet import accounts
    from tests.chain.fixtures import send_as

    voucher = voucher_of(payload)
    config = _config_tuple(payload.payload["channelConfig"])
    amount = int(voucher["maxClaimableAmount"])
    signature = bytes.fromhex(str(voucher["signature"]).removeprefix("0x"))
    contract = channels_contract(chain)
    send_as(chain, accounts.get("node-operator").address,
            contract.functions.claim([((config, amount), signature, amount)]))
    return contract.functions.channels(bytes.fromhex(str(voucher["channelId"]).removeprefix("0x"))).call()[1]


def deposit_on_chain(chain, payload) -> int:
    """Sends the payer's signed deposit (its ERC-3009 authorization to the collector) into the
    channel, as the node's facilitator does; returns the amount deposited."""
    from ogcli.chain.batch_settlement import ERC3009_DEPOSIT_COLLECTOR_ADDRESS
    from ogcli.core.channels import collector_data
    from ogcli.devnet import accounts
    from tests.chain.fixtures import send_as

    deposit = payload.payload["deposit"]
    auth = deposit["authorization"]["erc3009Authorization"]
    data = collector_data(int(auth["validAfter"]), int(auth["validBefore"]), int(str(auth["salt"]), 16),
                          bytes.fromhex(str(auth["signature"]).removeprefix("0x")))
    amount = int(deposit["amount"])
    send_as(chain, accounts.get("node-operator").address, channels_contract(chain).functions.deposit(
        _config_tuple(payload.payload["channelConfig"]), amount, ERC3009_DEPOSIT_COLLECTOR_ADDRESS, data))
    return amount
