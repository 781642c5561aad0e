"""The node's HTTP API (FastAPI): OpenAI-compatible chat, ONNX inference, models, health,
attestation, receipts. Every paid call: input checked, payment verified (x402), model run, result
signed by the enclave, written to the outbox. A call paid by `exact` is answered once its
settlement is mined (x402's order); one paid by channel voucher at once, committed in a batch after.

Errors are JSON `{"error": {"code", "message"}}` with a 4xx status; nothing is charged for a call
that fails: its authorization is never settled, and a settlement that fails is not answered.

Before a payment is verified a call is only checked, cheaply: its body (size, then JSON with a
depth limit: ogcli.core.safe_json), the model (on chain), the mode, and the input against the
signature in the model's metadata. Nothing is fetched, loaded or run for a call nobody paid for.
While the chain cannot be reached, calls are answered 503 `chain_unavailable` with Retry-After,
and /health says what is down.
"""



import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from ogcli.core import records
from ogcli.core.model_metadata import MODES
from ogcli.core.pricing import quote
from ogcli.node.payments import PaymentRefused

MAX_BODY_BYTES = 1 << 20
PARAMS_TTL_S = 5.0
QUOTE_MARGIN_S = 60  # a call's price is ModelHub's at its settlement's latest time, and this on
CHAIN_TIME_TTL_S = 1.0
CHAIN_PROBE_TIMEOUT_S = 1.0  # /health's one eth_blockNumber
CHAIN_PROBE_TTL_S = 1.0  # ... answered from memory for this long: a flood of /health is one RPC call a second
RETRY_AFTER_S = 5  # what a client is told to wait while the chain is unreachable
ZERO_ADDRESS = "0x" + "00" * 20
BASE_MODES = ["vanilla", "tee"]
TEE_CALL_BOND_SHARE = 16  # one TEE call's fee may be at most 1/16 of the node's active bond
SETTLEMENT_FAILED = "transaction_failed"  # x402's code for a settlement that did not go through


def _revert_reason(error: str | None) -> str:
    """The first line of an outbox error, short enough for a 402's message."""
    return (error or "refused").strip().splitlines()[0][:200]


def node_modes() -> list[str]:
    """What this node runs: zkML only where ezkl is installed (it is never faked)."""
    from ogcli.verify import zkml

    return BASE_MODES + (["zkml"] if zkml.available() else [])


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Node:
    """Everything a request needs; built by `ogcli.node.service.start`."""

    protocol: Any
    runtime: Any
    enclave: Any
    payments: Any
    outbox: Any
    settler: Any
    store: Any
    node_fee_wei: int
    chain_id: int
    started_at: float = field(default_factory=time.time)
    _chat_models: dict = field(default_factory=dict)
    _prices: dict = field(default_factory=dict)  # (model id, by channel) -> (monotonic read time, price per call)
    _params: tuple | None = None
    _chain_time: tuple | None = None
    _enclave_active: tuple | None = None  # (chain time, monotonic read time, active)
    _bonded: tuple | None = None  # (monotonic read time, (bonded, free bond, active bond))
    # TEE fees of calls between their bond check and their outbox row (then the outbox counts them).
    _bond_held_wei: int = 0
    _bond_lock: threading.Lock = field(default_factory=threading.Lock)
    upstream_url: str = ""
    settle_wait_s: float = 30.0  # how long an exact call waits for its settlement before it is answered anyway
    modes: list = field(default_factory=node_modes)
    calls_dir: Any = None  # where ONNX calls' input, outputs (and ZKML proof) are kept for verifiers
    channel_payments: Any = None  # ogcli.node.channel_payments.ChannelPayments: batch-settlement vouchers
    committer: Any = None  # ogcli.node.batch_committer.BatchCommitter: commits them in batches

    # ------------------------------------------------------------------ models and prices

    def models(self) -> list:
        from ogcli.chain.models import list_models

        return list_models(self.protocol)

    def resolve(self, ref) -> Any:
        from ogcli.chain.models import model_from

        hub = self.protocol.hub.functions
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            model_id = int(ref)
            if not 0 < model_id <= hub.modelCount().call():
                raise ApiError(404, "model_not_found", f"there is no model {model_id}")
            model = model_from(hub.getModel(model_id).call())
        elif isinstance(ref, str) and ref:
            named = [m for m in self.models() if m.name == ref and not m.deprecated] or [m for m in self.models() if m.name == ref]
            if not named:
                raise ApiError(404, "model_not_found", f"there is no model named {ref!r}")
            if len(named) > 1:
                raise ApiError(400, "model_ambiguous", f"{len(named)} publishers have a model named {ref!r}; use its id")
            model = named[0]
        else:
            raise ApiError(400, "invalid_request", "'model' must be a model id or name")
        if model.deprecated:
            raise ApiError(410, "model_deprecated", f"model {model.id} ({model.name}) is deprecated and takes no calls")
        return model

    def price(self, model, *, fresh: bool = False, by_channel: bool = False) -> int:
        """A call's price: the model's, the node's fee and the protocol's cuts (core/pricing.py).
        `by_channel`: for a call paid by voucher, committed up to the committer's wait later."""
        validator_bps, treasury_bps = self._fee_split(fresh)
        return quote(self._publisher_price(model, fresh, by_channel), self.node_fee_wei, validator_bps, treasury_bps)

    def _publisher_price(self, model, fresh: bool = False, by_channel: bool = False) -> int:
        """The model's price per call for a call answered now: ModelHub's `priceAt` the time the
        call settles. A rise waits out ModelHub.TERMS_DELAY (an hour) and the settlement takes the
        price of its block: a channel call, committed up to the committer's longest wait later
        (and a minute on), is quoted a rise due by then already; an `exact` call settles before it
        is answered, at the price in force now (quoting a rise not yet in force would overcharge
        its payer, the difference going to the node; in the seconds before a rise applies, its
        settlement may land after it and then be refused, Underpaid, with nothing charged). Read
        like the fee split."""
        now = time.monotonic()
        key = (model.id, by_channel)
        cached = self._prices.get(key)
        if fresh or cached is None or now - cached[0] > PARAMS_TTL_S:
            from ogcli.chain.multicall import Read, read_one

            wait_s = (int(self.committer.max_wait_s) + QUOTE_MARGIN_S) if by_channel and self.committer else 0
            at = self.chain_time() + wait_s
            cached = self._prices[key] = (now, read_one(self.protocol.rpc, Read(self.protocol.hub, "priceAt",
                                                                              (model.id, at))))
        return cached[1]

    def _fee_split(self, fresh: bool = False) -> tuple[int, int]:
        """The settlement's fee parameters. A quote (the 402 offer, free to ask for) reads them at
        most every PARAMS_TTL_S; a paid call reads them as it arrives (`fresh`), because the
        contract checks the payment against the parameters of the settling block: a payment made
        at a price quoted before a governance change would be refused there (Underpaid) after the
        model ran. Refused here instead, it costs nobody anything, and the next offer is current."""
        now = time.monotonic()
        if fresh or self._params is None or now - self._params[0] > PARAMS_TTL_S:
            # Through chain.multicall's read_one, not web3's contract layer: on every paid call,
            # web3's ABI re-validation was half the cost of this read.
            from ogcli.chain.multicall import Read, read_one

            params = read_one(self.protocol.rpc, Read(self.protocol.settlement, "params", ()))
            self._params = (now, (params[0], params[1]))
        return self._params[1]

    # ------------------------------------------------------------------ the paid path

    def paid_call(self, **call):
        """Runs `run()` for a paid call and returns (result, receipt, PAYMENT-RESPONSE header):
        `take_paid_call`, then `finish_paid_call` (an `exact` call's wait on its settlement)."""
        return self.finish_paid_call(self.take_paid_call(**call))

    def finish_paid_call(self, taken):
        """(result, receipt, PAYMENT-RESPONSE header) of a call `take_paid_call` took: at once for
        a channel call, once its settlement is mined for an `exact` one (a `Settling`)."""
        if isinstance(taken, Settling):
            return self._answered_once_settled(taken)
        return taken

    def take_paid_call(self, *, model, mode: str, payment_header: str | None, url: str, run, input_record: dict,
                       keep=None):
        """Checks, pays for and runs a call: its (result, receipt, PAYMENT-RESPONSE header), or
        for an `exact` call, in the outbox and waiting on its settlement, a `Settling`.
        `keep(request_id, result)` is called before the call enters the outbox: what verifiers
        read is on disk before anything can be settled. (Split from the wait so that the HTTP
        server waits outside its worker threads: calls waiting on their settlement must not
        starve every other request.)"""
        if mode not in self.modes:
            raise ApiError(400, "invalid_mode", f"this node runs {', '.join(self.modes)} calls, not {mode!r}")
        if not model.modes & MODES[mode]:
            raise ApiError(400, "mode_not_supported", f"model {model.id} does not support {mode} calls")
        now = self.chain_time()
        if mode != "vanilla" and not self.enclave_active(now):
            # A record the registry does not cover at its time is judged "not approved": the
            # caller would pay for a result no verifier vouches for. (The registry counts a
            # registration from the second after it; a revoked measurement stops it for good.)
            raise ApiError(503, "enclave_not_active",
                           f"this node's enclave {self.enclave.signer} is not active on chain at {now} "
                           "(registered this second, retired, or its measurement or vendor revoked)")
        description = f"{model.name} ({mode})"
        if not payment_header:
            if mode == "tee":  # said before any payment is asked for; a paid call is held to it below
                self._check_bond(self.price(model))
            raise PaymentNeeded(*self._offer(model, url, description))
        channel_payload = (self.channel_payments.channel_payload(payment_header)
                           if self.channel_payments is not None else None)
        if channel_payload is not None:
            # At the quote's parameters (read at most every PARAMS_TTL_S), not read afresh: a
            # channel call is committed with its batch, up to the committer's wait later, and the
            # contract prices it at the commit's parameters; reading them here would narrow that
            # window by nothing for a round trip on every call (README, "Paying by channel").
            amount = self.price(model, by_channel=True)
            with self._bond_held(mode, amount):
                return self._channel_call(model, mode, channel_payload, amount, url, description, run, input_record,
                                          keep, now)
        amount = self.price(model, fresh=True)
        with self._bond_held(mode, amount):  # until the call is in the outbox, which counts it from then on
            payment, record, result = self._exact_call(model, mode, payment_header, amount, url, description, run,
                                                       input_record, keep, now)
        return Settling(model, payment, record, result, url, description)

    def _exact_call(self, model, mode, payment_header, amount, url, description, run, input_record, keep, now):
        """A call paid by an `exact` authorization, in x402's order: verify, run, then (in
        `_answered_once_settled`) settle and answer. Returns (payment, record, result), the call
        in the outbox."""
        try:
            # The window by the time the settling block will carry: the chain's, when it runs ahead
            # of this machine's clock (a devnet moved forward; the offer sized the window so), else
            # the wall clock, which the next block's time follows (the latest block's may be old).
            payment = self.payments.verify(payment_header, amount, max(int(time.time()), self.chain_time()))
        except PaymentRefused as refused:
            header, body = self._offer(model, url, description, refused.reason)
            body["message"] = refused.message
            raise PaymentNeeded(header, body) from None
        try:
            result = run()
            request_id = records.exact_request_id(self.payments.till, payment.payer, payment.nonce)
            record = self._record(model, mode, input_record, result, request_id, now)
            if keep is not None:
                keep(record["requestId"], result)
            self.outbox.add(record["requestId"], model.id, payment.payer, payment.value_wei, record,
                            payment.to_record(), answered=False)
        finally:
            self.payments.release(payment)  # the outbox guards the nonce from here on
        return payment, record, result

    def _answered_once_settled(self, taken):  # a Settling
        """The answer leaves only once the settlement that takes the payment is mined: a payer
        who cancels its authorization, moves its balance or spends it at another node first
        makes the settlement fail, and then the call is refused (402, `transaction_failed`) with
        nothing charged and nothing answered. A settlement not mined within `settle_wait_s` (a
        slow chain) is answered anyway, its settlement pending (x402's `settlement_pending`)."""
        model, payment, record, result = taken.model, taken.payment, taken.record, taken.result
        url, description = taken.url, taken.description
        self.settler.poke()
        call = self.outbox.wait_done(record["requestId"], self.settle_wait_s)
        if call.state == "failed":
            header, body = self._offer(model, url, description, SETTLEMENT_FAILED)
            body["message"] = (f"the payment could not be taken on chain ({_revert_reason(call.error)}); "
                               "the call was not answered and nothing was charged")
            raise PaymentNeeded(header, body)
        self.outbox.mark_answered(record["requestId"])
        settlement = {"state": "settled", "tx_hash": call.tx_hash, "record_id": call.record_id} \
            if call.state == "settled" else {"state": "pending"}
        receipt = {**record, "payer": payment.payer, "value_wei": str(payment.value_wei),
                   "settlement": {**settlement, "url": f"/v1/receipts/{record['requestId']}"}}
        return result, receipt, self.payments.settlement_header(payment, call.tx_hash or "")

    def refund_channel(self, payment_header: str | None, url: str, authorization: str | None = None) -> str:
        """A payer's cooperative refund (the SDK client's `refund`): without a payment header, the
        402 the client reads the channel terms from; with one, the refund, and its PAYMENT-RESPONSE."""
        from ogcli.node.channel_payments import CorrectivePayment

        if self.channel_payments is None:
            raise ApiError(404, "no_channels", "this node takes no channel payments")
        amount = self._cheapest_call_wei()  # what /health's terms quote
        description = "cooperative refund of a payment channel"
        if not payment_header:
            raise PaymentNeeded(*self.channel_payments.payment_required(amount, url, description, "Payment required"))
        try:
            return self.channel_payments.refund(payment_header, amount, authorization)
        except CorrectivePayment as refused:
            header, body = self.channel_payments.payment_required(amount, url, description, refused.reason,
                                                                  refused.payload)
            body["message"] = refused.message
            raise PaymentNeeded(header, body) from None
        except PaymentRefused as refused:
            header, body = self.channel_payments.payment_required(amount, url, description, refused.reason)
            body["message"] = refused.message
            raise PaymentNeeded(header, body) from None

    def channel_terms(self) -> dict | None:
        """What /health says of this node's channels (None when it takes none): the terms of its
        batch-settlement offer, with the minDeposit hint of its cheapest call (a model priced 0:
        the node's fee grossed up for the protocol's cuts; a dearer model's 402 asks more)."""
        if self.channel_payments is None:
            return None
        return self.channel_payments.terms(self._cheapest_call_wei())

    def _cheapest_call_wei(self) -> int:
        """The price of a call of a model priced 0: the node's fee grossed up for the protocol's
        cuts (what /health's channel terms and the refund offer quote)."""
        validator_bps, treasury_bps = self._fee_split()
        return max(1, quote(0, self.node_fee_wei, validator_bps, treasury_bps))

    def _offer(self, model, url: str, description: str, error: str = "Payment required") -> tuple[str, dict]:
        """The 402 (header, body) for a call of `model`: `exact`, and batch-settlement where the
        node takes vouchers, each at its own price (they differ only when a rise is about due)."""
        also = ((self.channel_payments.requirements(self.price(model, by_channel=True)),)
                if self.channel_payments is not None else ())
        return self.payments.payment_required(self.price(model), url, description, error=error, also=also)

    def _channel_call(self, model, mode, payload, amount, url, description, run, input_record, keep, now):
        """A call paid by a batch-settlement voucher (or a deposit and its first voucher). The
        call is charged on the channel before the model runs: a call that then fails has no
        outbox row, and the node claims only what its outbox holds, so its payer is never claimed
        for it (the client's next voucher is put right by a corrective 402)."""
        from ogcli.node.channel_payments import SCHEME, CorrectivePayment

        channels = self.channel_payments
        try:
            payment, response_header = channels.take(payload, amount)
        except CorrectivePayment as refused:
            header, body = channels.payment_required(amount, url, description, refused.reason, refused.payload)
            body["message"] = refused.message
            raise PaymentNeeded(header, body) from None
        except PaymentRefused as refused:
            header, body = self._offer(model, url, description, refused.reason)
            body["message"] = refused.message
            raise PaymentNeeded(header, body) from None
        result = run()
        voucher_id = keccak(bytes.fromhex(payment.channel_id[2:]) + payment.ceiling_wei.to_bytes(32, "big"))
        request_id = records.channel_request_id(payment.payer, voucher_id)
        record = self._record(model, mode, input_record, result, request_id, now)
        if keep is not None:
            keep(record["requestId"], result)
        self.outbox.add(record["requestId"], model.id, payment.payer, payment.fee_wei, record, payment.to_record(),
                        scheme=SCHEME)
        self.committer.added()
        receipt = {**record, "payer": payment.payer, "value_wei": str(payment.fee_wei),
                   "settlement": {"state": "pending", "scheme": SCHEME, "channel": payment.channel_id,
                                  "url": f"/v1/receipts/{record['requestId']}"}}
        return result, receipt, response_header

    def enclave_active(self, now: int) -> bool:
        """The registry's own `isActive(signer, now)`, asked at most every CHAIN_TIME_TTL_S."""
        cached = self._enclave_active
        if cached is None or cached[0] != now or time.monotonic() - cached[1] > CHAIN_TIME_TTL_S:
            active = self.protocol.registry.functions.isActive(self.enclave.signer, now).call()
            self._enclave_active = cached = (now, time.monotonic(), active)
        return cached[2]

    def _check_bond(self, fee_wei: int) -> None:
        """The contract settles a TEE record only from a node whose active bond is at least the
        minimum and whose free bond covers the fee (then reserved until the record's window
        closes), on top of the TEE fees of every call answered and not yet settled or committed,
        and of those being served now: otherwise the caller would be served and its payment never
        taken (the settlement refuses BondCommitted)."""
        bonded, free, active = self.bond()
        if not bonded:
            raise ApiError(503, "node_not_bonded",
                           f"this node's operator {self.settler.sender.address} has less than the minimum bond "
                           "behind TEE records (`ogcli node bond`)")
        if fee_wei * TEE_CALL_BOND_SHARE > active:
            # One call may hold at most this share of the bond for the record's dispute window
            # (8 days): else one call of a model priced near the bond, bought by its own publisher
            # (who gets the price back), stops the node's TEE calls for a week.
            raise ApiError(503, "fee_above_bond_share",
                           f"this call's fee ({fee_wei} wei) is more than 1/{TEE_CALL_BOND_SHARE} of this node's "
                           f"bond ({active} wei), the most one TEE call may hold for its dispute window; "
                           "use a node with a larger bond, or --mode vanilla")
        committed = self.outbox.unsettled_tee_wei() + self._bond_held_wei
        if free < committed + fee_wei:
            raise ApiError(503, "node_bond_committed",
                           f"this node's free bond ({free} wei, {committed} of it backing calls not yet settled) "
                           "cannot back another TEE call now")

    @contextlib.contextmanager
    def _bond_held(self, mode: str, fee_wei: int):
        """Holds a TEE call's fee against the free bond from its check until its outbox row (or
        its failure): two calls served at once each count the other."""
        if mode != "tee":
            yield
            return
        with self._bond_lock:
            self._check_bond(fee_wei)
            self._bond_held_wei += fee_wei
        try:
            yield
        finally:
            with self._bond_lock:
                self._bond_held_wei -= fee_wei

    def bonded(self) -> bool:
        return self.bond()[0]

    def bond(self) -> tuple[bool, int, int]:
        """(whether the operator may settle TEE records, its free bond, its active bond), asked
        at most every CHAIN_TIME_TTL_S."""
        from ogcli.chain.bonds import read_bonds, read_terms

        cached = self._bonded
        if cached is None or time.monotonic() - cached[0] > CHAIN_TIME_TTL_S:
            operator = self.settler.sender.address
            bond = read_bonds(self.protocol, [operator])[operator]
            self._bonded = cached = (time.monotonic(), (bond.covers_settlement(read_terms(self.protocol)), bond.free_wei,
                                                        bond.active_wei))
        return cached[1]

    def chain_time(self) -> int:
        """The latest block's time, read at most every CHAIN_TIME_TTL_S. A record is dated by the
        chain's clock, never the node's: the contract refuses a record dated after the block that
        settles it, and a payment's validity window is the chain's too. The latest block's time
        (not an extrapolation) can only be at or before the settling block's."""
        now = time.monotonic()
        if self._chain_time is None or now - self._chain_time[0] > CHAIN_TIME_TTL_S:
            self._chain_time = (now, self.protocol.w3.eth.get_block("latest")["timestamp"])
        return self._chain_time[1]

    def _record(self, model, mode: str, input_record: dict, result, request_id: bytes, now: int) -> dict:
        input_hash = records.content_hash(input_record)
        output_hash = records.content_hash(result)
        if mode == "vanilla":
            signer, signature = ZERO_ADDRESS, b""
        else:
            signer = self.enclave.signer
            signature = self.enclave.sign_result(model.id, input_hash, output_hash, request_id, now, MODES[mode])
        return {
            "modelId": model.id, "inputHash": "0x" + input_hash.hex(), "outputHash": "0x" + output_hash.hex(),
            "requestId": "0x" + request_id.hex(), "timestamp": now, "mode": MODES[mode], "enclaveSigner": signer,
            "signature": "0x" + signature.hex(),
        }

    # ------------------------------------------------------------------ model execution

    def run_onnx(self, model, inputs):
        from ogcli.node.runtime import InputError

        if model.metadata.get("format", "onnx") != "onnx":
            raise ApiError(400, "not_onnx", f"model {model.id} is not an ONNX model; use /v1/chat/completions")
        loaded = self.runtime.load(model.cid, model.metadata.get("ipfs"))
        try:
            return self.runtime.run(loaded, inputs)
        except InputError as exc:
            raise ApiError(exc.status, "invalid_input", str(exc)) from None

    def prove_onnx(self, model, inputs: dict, computed: dict) -> tuple[dict, dict]:
        """(proven outputs shaped like `computed`, proof) for a ZKML call, with the circuit the
        model's publisher committed to in its metadata."""
        from ogcli.verify import zkml

        block = model.metadata.get("zkml")
        try:
            circuit = zkml.fetch(block, self.store, self.runtime.cache_dir / "zk", with_pk=True)
            proven = zkml.prove(circuit, zkml.flatten(inputs, block["inputs"]))
        except zkml.ZkmlError as exc:
            raise ApiError(422, "zkml_failed", str(exc)) from None
        return zkml.shaped_like(proven.outputs, computed, block["outputs"]), proven.proof

    def keep_call(self, request_id: str, bundle: dict) -> None:
        """Publishes an ONNX call's input and outputs (and a ZKML call's proof) for verifiers,
        who re-run sampled calls and check proofs (GET /v1/calls/ID); written before the call
        enters the outbox, so before it can be settled."""
        self.calls_dir.mkdir(parents=True, exist_ok=True)
        path = self.calls_dir / f"{request_id.lower()}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(bundle))
        temporary.replace(path)

    def call(self, request_id: str) -> dict | None:
        if self.calls_dir is None or not _is_request_id(request_id):
            return None
        path = self.calls_dir / f"{request_id.lower()}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def chat_model(self, model):
        """The chat model, fetched (verified) and loaded on first use: only for a paid call."""
        from ogcli.node import tiny_chat, upstream

        kind = check_chat_call(self, model)
        if model.cid not in self._chat_models:
            path = self.runtime.cache_dir / model.cid  # a canonical CID (checked above): no path of anyone's choosing
            if not path.exists():
                self.store.fetch_to(model.cid, path)  # verified against the CID
            if kind == upstream.FORMAT:
                self._chat_models[model.cid] = upstream.UpstreamChat(self.upstream_url, upstream.parse_descriptor(path.read_bytes()))
            else:
                self._chat_models[model.cid] = tiny_chat.TinyChat(path.read_bytes())
        return self._chat_models[model.cid]


def checked_model_cid(model) -> str:
    """The model's CID if it may name a file (ogcli.node.runtime.checked_cid); a 422 otherwise:
    the model is unusable, whoever calls it."""
    from ogcli.node.runtime import checked_cid
    from ogcli.storage.cid import CidError

    try:
        return checked_cid(model.cid)
    except CidError as exc:
        raise ApiError(422, "invalid_model_cid", f"model {model.id} has no usable CID: {exc}") from None


def check_onnx_call(model, inputs) -> None:
    """What is checked of an ONNX call before its payment, without the model's bytes: an ONNX
    model, a usable CID, and inputs that fit the signature in its metadata (when it has one;
    the loaded session checks again once paid)."""
    from ogcli.node.runtime import InputError, check_inputs, signature_of

    if model.metadata.get("format", "onnx") != "onnx":
        raise ApiError(400, "not_onnx", f"model {model.id} is not an ONNX model; use /v1/chat/completions")
    checked_model_cid(model)
    if not isinstance(inputs, dict):
        raise ApiError(400, "invalid_input", "'inputs' must be an object of input name -> tensor")
    signature = signature_of(model.metadata)
    if signature is not None:
        try:
            check_inputs(signature, inputs)
        except InputError as exc:
            raise ApiError(exc.status, "invalid_input", str(exc)) from None


def check_chat_call(node: Node, model) -> str:
    """What is checked of a chat call before its payment: a chat model this node runs, with a
    usable CID; its format."""
    from ogcli.node import tiny_chat, upstream

    kind = model.metadata.get("format")
    if kind not in (tiny_chat.FORMAT, upstream.FORMAT):
        raise ApiError(400, "not_chat", f"model {model.id} is not a chat model this node runs")
    if kind == upstream.FORMAT and not node.upstream_url:
        raise ApiError(503, "no_upstream", f"model {model.id} runs on an upstream LLM and this node has none (--upstream)")
    checked_model_cid(model)
    return kind


class ChainProbe:
    """Whether the node's RPC endpoint answers, for /health: one eth_blockNumber with a short
    timeout (not the connection's 30 s), its answer kept CHAIN_PROBE_TTL_S."""

    def __init__(self, w3) -> None:
        self.w3 = w3
        self._last: tuple[float, dict] | None = None
        self._lock = threading.Lock()  # one probe at a time; the others wait for its answer

    def status(self) -> dict:
        with self._lock:
            if self._last is None or time.monotonic() - self._last[0] > CHAIN_PROBE_TTL_S:
                self._last = (time.monotonic(), self._probe())
            return self._last[1]

    def _probe(self) -> dict:
        from ogcli.chain import rpc

        url = getattr(self.w3.provider, "endpoint_uri", None)
        try:
            if url is None:  # not an HTTP provider: its own timeout
                return {"ok": True, "block": self.w3.eth.block_number}
            return {"ok": True, "block": int(rpc.call(str(url), "eth_blockNumber", [], timeout=CHAIN_PROBE_TIMEOUT_S), 16)}
        except Exception as exc:  # noqa: BLE001 (any failure is the answer: the chain is not usable)
            return {"ok": False, "error": rpc.first_line(exc)}


def _is_request_id(text: str) -> bool:
    """0x and 64 hex digits: the only names looked up in the calls directory."""
    return len(text) == 66 and text.startswith("0x") and all(c in "0123456789abcdefABCDEF" for c in text[2:])


@dataclass(frozen=True)
class Settling:
    """An `exact` call taken (paid, run, in the outbox), its answer waiting on its settlement."""

    model: Any
    payment: Any
    record: dict
    result: Any
    url: str
    description: str


class PaymentNeeded(Exception):
    def __init__(self, header: str, body: dict) -> None:
        super().__init__(body.get("error"))
        self.header, self.body = header, body


def create_app(node: Node):
    # FastAPI reads the handlers' annotations at runtime: Request must be a real name here (this
    # module does not use postponed annotations for that reason).
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, StreamingResponse
    from requests.exceptions import RequestException
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect
    from x402.http import PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER, PAYMENT_SIGNATURE_HEADER

    from ogcli.core import safe_json
    from ogcli.errors import NetworkError

    app = FastAPI(title="ogcli node", docs_url=None, redoc_url=None)
    expose = {"Access-Control-Expose-Headers": f"{PAYMENT_REQUIRED_HEADER}, {PAYMENT_RESPONSE_HEADER}"}
    chain_probe = ChainProbe(node.protocol.w3)
    waiters: list = []  # the limiter of the threads calls wait on their settlement in (made in the event loop)

    async def paid(**call):
        """node.paid_call from a handler: the call taken in the server's worker threads, an
        `exact` call's wait on its settlement in threads of its own (as many as connections), so
        that calls waiting on a slow chain leave the workers to everyone else (/health, offers,
        channel calls)."""
        import anyio

        taken = await run_in_threadpool(lambda: node.take_paid_call(**call))
        if not isinstance(taken, Settling):
            return taken
        if not waiters:
            from ogcli.node.http_guard import HttpLimits

            waiters.append(anyio.CapacityLimiter(HttpLimits().max_connections))
        return await anyio.to_thread.run_sync(node.finish_paid_call, taken, limiter=waiters[0])

    @app.exception_handler(ApiError)
    def _api_error(_request, exc: ApiError):
        # A body refused unread is dropped with the connection, not drained to find the next request.
        headers = {"Connection": "close"} if exc.status in (408, 413) else None
        return JSONResponse(status_code=exc.status, content={"error": {"code": exc.code, "message": exc.message}},
                            headers=headers)

    def _chain_unavailable(_request, exc: Exception):
        """The RPC endpoint failed under a call (web3 raises requests' errors): a 503 to retry
        later, not a bare 500. Nothing was charged: no call gets past its payment without the chain."""
        from ogcli.chain.rpc import first_line

        return JSONResponse(status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)},
                            content={"error": {"code": "chain_unavailable",
                                               "message": f"the node cannot reach its chain: {first_line(exc)}"}})

    app.add_exception_handler(RequestException, _chain_unavailable)
    app.add_exception_handler(NetworkError, _chain_unavailable)

    @app.exception_handler(PaymentNeeded)
    def _payment_needed(_request, exc: PaymentNeeded):
        return JSONResponse(status_code=402, content=exc.body, headers={PAYMENT_REQUIRED_HEADER: exc.header, **expose})

    async def _body(request: Request) -> dict:
        """The JSON object of the request, read up to MAX_BODY_BYTES: refused on a declared
        Content-Length over it before a byte is read, and as soon as a streamed (chunked) body
        passes it. (ogcli.node.http_guard does the same at the server, with a deadline.)"""
        too_large = ApiError(413, "request_too_large", f"request bodies are limited to {MAX_BODY_BYTES} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise too_large
        raw = bytearray()
        try:
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > MAX_BODY_BYTES:
                    raise too_large
        except ClientDisconnect:
            raise ApiError(400, "client_disconnected", "the client went away before sending its body") from None
        try:
            body = safe_json.loads(bytes(raw))
        except safe_json.JsonRefused as exc:
            raise ApiError(400, "invalid_json", str(exc)) from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json", "the request body must be a JSON object")
        return body

    @app.get("/health")
    def health():
        """200 when the node can take calls, with its channel terms where it takes channel payments
        (`ogcli pay channel open` reads them); 503, saying what is down, when it cannot (its chain)."""
        chain = chain_probe.status()
        report = {"ok": chain["ok"], "chain": chain, "chain_id": node.chain_id, "modes": node.modes,
                  "operator": node.settler.sender.address, "enclave_signer": node.enclave.signer,
                  "outbox": node.outbox.counts(), "uptime_s": round(time.time() - node.started_at, 1)}
        if not chain["ok"]:
            return JSONResponse(report, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
        channels = node.channel_terms()  # the fee split is read at most every PARAMS_TTL_S
        if channels is not None:
            report["channels"] = channels
        return report

    @app.get("/attestation")
    def attestation():
        import base64

        from ogcli.protocol.params import VENDORS

        return {"vendor": VENDORS[node.enclave.vendor], "format": "aws-nitro-cose-sign1",
                "measurement": "0x" + node.enclave.measurement.hex(), "signer": node.enclave.signer,
                "document": base64.b64encode(node.enclave.document).decode(),
                "attestation_hash": "0x" + node.enclave.attestation_hash().hex()}

    @app.get("/v1/models")
    def models():
        data = []
        for m in node.models():
            if m.deprecated:
                continue
            data.append({"id": m.name, "object": "model", "created": m.published_at, "owned_by": m.publisher,
                         "ogcli": {"model_id": m.id, "format": m.metadata.get("format"), "modes": [k for k, v in MODES.items() if m.modes & v],
                                   "price_wei": str(node.price(m)), "cid": m.cid}})
        return {"object": "list", "data": data}

    @app.get("/ipfs/{cid}")
    def blob(cid: str):
        """The node's model store as a read-only IPFS-style gateway: a profile whose storage is
        `http://NODE/ipfs/` pulls (and verifies) models from here."""
        from ogcli.storage.blobs import StorageError
        from ogcli.storage.cid import CidError, digest_of_cid

        try:
            digest_of_cid(cid)
        except CidError as exc:
            raise ApiError(400, "invalid_cid", str(exc)) from None
        chunks = node.store.chunks(cid)
        try:
            first = next(chunks, b"")
        except StorageError:
            raise ApiError(404, "not_found", f"this node does not hold {cid}") from None

        def stream():
            yield first
            yield from chunks

        return StreamingResponse(stream(), media_type="application/octet-stream")

    @app.get("/v1/channels/refund")
    async def channel_refund(request: Request):
        from ogcli.core.channels import REFUND_AUTHORIZATION_HEADER

        settled = await run_in_threadpool(node.refund_channel, request.headers.get(PAYMENT_SIGNATURE_HEADER),
                                          str(request.url), request.headers.get(REFUND_AUTHORIZATION_HEADER))
        return JSONResponse({"refunded": True}, headers={PAYMENT_RESPONSE_HEADER: settled, **expose})

    @app.get("/v1/receipts/{request_id}")
    def receipt(request_id: str):
        call = node.outbox.get(request_id.lower())
        if call is None:
            raise ApiError(404, "unknown_request", f"this node has no call {request_id}")
        return {"request_id": call.request_id, "state": call.state, "tx_hash": call.tx_hash,
                "record_id": call.record_id, "error": call.error, "record": call.record}

    @app.post("/v1/infer")
    async def infer(request: Request):
        body = await _body(request)
        inputs = body.get("inputs")
        mode = body.get("mode", "tee")

        def checked_model():
            # Reads the chain: off the event loop, which a slow RPC endpoint would otherwise stall.
            model = node.resolve(body.get("model"))
            check_onnx_call(model, inputs)  # bad input is refused for free, without the model
            return model

        model = await run_in_threadpool(checked_model)
        proofs = []

        def run():
            # Only once the payment has been verified: fetching, loading and running the model.
            computed = node.run_onnx(model, inputs)
            if mode != "zkml":
                return computed
            # The answer is what the proof proves (the circuit's fixed point), which is what gets hashed.
            proven, proof = node.prove_onnx(model, inputs, computed)
            proofs.append(proof)
            return proven

        input_record = {"model": model.id, "inputs": inputs}

        def keep(request_id: str, outputs) -> None:
            node.keep_call(request_id, {"input": input_record, "outputs": outputs, **({"proof": proofs[0]} if proofs else {})})

        outputs, receipt, settled = await paid(
            model=model, mode=mode, payment_header=request.headers.get(PAYMENT_SIGNATURE_HEADER),
            url=str(request.url), run=run, input_record=input_record, keep=keep,
        )
        answer = {"model": model.id, "outputs": outputs, "receipt": receipt}
        if proofs:
            answer["proof"] = proofs[0]
        return JSONResponse(answer, headers={PAYMENT_RESPONSE_HEADER: settled, **expose})

    @app.get("/v1/calls/{request_id}")
    def kept_call(request_id: str):
        """An ONNX call's input and outputs (and a ZKML call's proof): what verifiers check the
        record against, by re-running the model or by checking the proof."""
        kept = node.call(request_id)
        if kept is None:
            raise ApiError(404, "unknown_call", f"this node keeps no call {request_id}")
        return kept

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await _body(request)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise ApiError(400, "invalid_messages", "'messages' must be a non-empty list of {role, content}")
        mode = body.get("mode", "tee")

        def checked_model():
            model = node.resolve(body.get("model"))
            check_chat_call(node, model)
            return model

        model = await run_in_threadpool(checked_model)

        def run():
            from ogcli.node.upstream import UpstreamError

            chat_model = node.chat_model(model)  # fetched and loaded only for a verified payment
            try:
                return {"role": "assistant", "content": chat_model.reply(messages)}
            except UpstreamError as exc:
                raise ApiError(502, "upstream_failed", str(exc)) from None

        message, receipt, settled = await paid(
            model=model, mode=mode, payment_header=request.headers.get(PAYMENT_SIGNATURE_HEADER),
            url=str(request.url), run=run, input_record={"model": model.id, "messages": messages},
        )
        completion_id = "chatcmpl-" + receipt["requestId"][2:26]
        created = receipt["timestamp"]
        headers = {PAYMENT_RESPONSE_HEADER: settled, **expose}
        if body.get("stream"):
            def events():
                first = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model.name,
                         "choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}
                yield f"data: {json.dumps(first)}\n\n"
                words = message["content"].split(" ")
                for piece in [words[0], *(" " + w for w in words[1:])]:  # joined, they are the content
                    chunk = {**first, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    yield f"data: {json.dumps(chunk)}\n\n"
                last = {**first, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "ogcli": receipt}
                yield f"data: {json.dumps(last)}\n\n"
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
        words = len(message["content"].split())
        prompt_words = sum(len(str(m.get("content", "")).split()) for m in messages)
        return JSONResponse(
            {"id": completion_id, "object": "chat.completion", "created": created, "model": model.name,
             "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": prompt_words, "completion_tokens": words, "total_tokens": prompt_words + words},
             "ogcli": receipt},
            headers=headers,
        )

    return app
