"""A small market on the session chain for contract tests: a published model, a registered DEV
enclave run by a bonded node operator, two validators and a paying user, with helpers that sign,
settle, attest and dispute."""

from __future__ import annotations

import hashlib
import os

from eth_account import Account
from web3.logs import DISCARD

from ogcli.chain.sender import Sender
from ogcli.chain.tills import ensure_open
from ogcli.core import typed_data
from ogcli.core.records import exact_request_id
from ogcli.devnet import accounts
from ogcli.protocol.params import OPG

MODE_TEE = 2
PRICE = OPG // 10
NODE_BOND = 5_000 * OPG


class Market:
    """A published model, a registered enclave, two validators and a paying user on the chain."""

    def __init__(self, chain) -> None:
        self.chain = chain
        self.p = chain.protocol
        self.senders = {}
        self.settled: dict[int, tuple] = {}  # record id -> (payer, node, fee), as InferenceSettled logged them
        # A record made without a request id gets a placeholder, and is signed again at settlement
        # with the id its payment gives it (ExactTills binds the two): placeholder -> how to make it.
        self._drafts: dict[bytes, dict] = {}
        self.bound: dict[bytes, tuple] = {}  # placeholder -> the record as settled
        self._tills: dict[str, str] = {}
        self._unaddressed: dict[bytes, tuple] = {}  # nonce -> (payer, value, valid_after, valid_before)
        deployer = self.sender("deployer")
        for name in ("user", "validator-1", "validator-2", "publisher-1"):
            deployer.transact(self.p.token.functions.transfer(accounts.get(name).address, 100_000 * OPG))
        for name in ("validator-1", "validator-2"):
            self.sender(name).transact(self.p.token.functions.approve(self.p.staking.address, 2**255))
            self.sender(name).transact(self.p.staking.functions.registerValidator(500, "", 20_000 * OPG))
        blob = os.urandom(64)
        receipt = self.sender("publisher-1").transact(
            self.p.hub.functions.publish("bafy-test", hashlib.sha256(blob).digest(), "m", PRICE, 3, "")
        )
        self.model_id = self.p.hub.events.ModelPublished().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]["modelId"]
        self.signer = accounts.get("enclave-signer")
        self._register_enclave()
        self.bond("node-operator", NODE_BOND)
        chain.advance(1)  # the registry counts a registration from the second after it

    def sender(self, name):
        if name not in self.senders:
            account = accounts.get(name)
            self.chain.rpc("anvil_setBalance", [account.address, hex(10**21)])
            self.senders[name] = Sender(self.chain.w3, account.local_account)
        return self.senders[name]

    def bond(self, name: str, amount: int) -> None:
        """`name` bonds `amount` (funded by the deployer) behind the TEE records it settles."""
        bonds = self.p.bonds
        self.fund(name, amount)
        self.sender(name).transact(self.p.token.functions.approve(bonds.address, amount))
        self.sender(name).transact(bonds.functions.bond(amount))

    def bonded(self, name: str) -> int:
        """`name`'s whole bond (active and unbonding): what a dispute can slash."""
        active, unbonding, _release, _reserved = self.p.bonds.functions.bondOf(accounts.get(name).address).call()
        return active + unbonding

    def settled_call(self, record_id: int, record) -> tuple:
        """The contract's SettledCall for `record` as `record_id` was settled (payer, node, fee
        from its event): what every dispute passes back."""
        return (self.as_settled(record), *self.settled[record_id])

    def as_settled(self, record) -> tuple:
        """`record` as it was settled: a draft (made without a request id) bound to its payment."""
        return self.bound.get(bytes(record[3]), record)

    def till(self, node: str = "node-operator") -> str:
        """`node`'s till (opened): where the payments of the calls it settles go."""
        if node not in self._tills:
            self._tills[node] = ensure_open(self.p, self.sender(node), accounts.get(node).address)
        return self._tills[node]

    def _register_enclave(self):
        from tests.chain.enclaves import register_dev_enclave

        register_dev_enclave(self.chain, self.signer, sender=self.sender("node-operator"))

    def sign_result(self, model_id, input_hash, output_hash, request_id, timestamp, mode=MODE_TEE, key=None) -> bytes:
        """The enclave's EIP-712 signature over a result, as the node makes it."""
        return bytes(Account.sign_typed_data(
            key or self.signer.private_key,
            typed_data.settlement_domain(self.chain.w3.eth.chain_id, self.p.settlement.address),
            typed_data.INFERENCE_RESULT_TYPES,
            typed_data.inference_result(model_id, input_hash, output_hash, request_id, timestamp, mode),
        ).signature)

    def enclave(self, operator: str) -> bytes:
        """A new DEV enclave registered by `operator` (counted from the next second); its key.
        A TEE record settles only from its enclave's operator."""
        from tests.chain.enclaves import register_dev_enclave

        key = os.urandom(32)
        register_dev_enclave(self.chain, key, sender=self.sender(operator))
        self.chain.advance(1)
        return key

    def record(self, *, tamper=False, request_id=None, timestamp=None, mode=MODE_TEE, signature=None, key=None):
        """A record tuple (modelId, inputHash, outputHash, requestId, timestamp, mode, signer, signature)
        signed by the market's enclave (or the enclave of `key`) now (or at `timestamp`); `tamper`
        reports another output. Without `request_id` it is a draft: `settle` signs it again under
        the request id its payment gives it."""
        when = self.chain.now() if timestamp is None else timestamp
        draft = request_id is None
        request_id = request_id or os.urandom(32)
        input_hash, output_hash = os.urandom(32), os.urandom(32)
        reported = os.urandom(32) if tamper else output_hash
        signer = Account.from_key(key).address if key else self.signer.address
        if draft:
            self._drafts[request_id] = {"input_hash": input_hash, "output_hash": output_hash, "reported": reported,
                                        "when": when, "mode": mode, "key": key, "signer": signer, "signature": signature}
        return self._signed(input_hash, output_hash, reported, request_id, when, mode, key, signer, signature)

    def _signed(self, input_hash, output_hash, reported, request_id, when, mode, key, signer, signature):
        signed = self.sign_result(self.model_id, input_hash, output_hash, request_id, when, mode, key=key)
        return (self.model_id, input_hash, reported, request_id, when, mode, signer,
                signature if signature is not None else signed)

    def _bind(self, record, payment, node: str):
        """A draft record signed again under the request id of `payment` to `node`'s till."""
        draft = self._drafts.get(bytes(record[3]))
        if draft is None:
            return record
        request_id = exact_request_id(self.till(node), payment[0], payment[4])
        bound = self._signed(draft["input_hash"], draft["output_hash"], draft["reported"], request_id, draft["when"],
                             draft["mode"], draft["key"], draft["signer"], draft["signature"])
        self.bound[bytes(record[3])] = bound
        return bound

    def settle_one(self, record, fee: int | None = None) -> int:
        """Settles `record` with a fresh payment from the user; returns its record id."""
        return self.settle(record, self.payment(fee or PRICE * 2))["recordId"]

    def attest(self, validator: str, record_id: int, valid: bool, *, checkable: bool = True):
        """A verdict: valid, invalid because a ground holds, or (checkable=False) invalid for a
        reason the contract cannot check."""
        settlement = self.p.settlement.functions
        call = settlement.attest(record_id, valid) if checkable else settlement.attestUncheckable(record_id)
        return self.sender(validator).transact(call)

    def dispute(self, challenger: str, record_id: int, record, validator: str, ground: int):
        settlement = self.p.settlement.functions
        return self.sender(challenger).transact(
            settlement.dispute(record_id, self.settled_call(record_id, record), accounts.get(validator).address, ground))

    def dispute_producer(self, challenger: str, record_id: int, record, ground: int):
        return self.sender(challenger).transact(
            self.p.settlement.functions.disputeProducer(record_id, self.settled_call(record_id, record), ground))

    def validator_tokens(self, validator: str) -> int:
        return self.p.staking.functions.getValidator(accounts.get(validator).address).call()[1]

    def fund(self, name: str, amount_wei: int) -> None:
        self.sender("deployer").transact(self.p.token.functions.transfer(accounts.get(name).address, amount_wei))

    def payment(self, value, *, nonce=None, valid_before=None, payer: str = "user", node: str | None = None):
        """An ERC-3009 authorization of `value` from `payer` to `node`'s till; without `node`, to
        whichever node settles it (signed for node-operator, and again by `settle` for another)."""
        now = self.chain.now()
        nonce = nonce or os.urandom(32)
        valid_before = valid_before or now + 600
        if node is None:
            self._unaddressed[nonce] = (payer, value, now - 5, valid_before)
        return self._authorization(payer, node or "node-operator", value, now - 5, valid_before, nonce)

    def _authorization(self, payer: str, node: str, value, valid_after, valid_before, nonce):
        payer_account = accounts.get(payer)
        message = typed_data.transfer_authorization(payer_account.address, self.till(node), value, valid_after,
                                                    valid_before, nonce)
        signature = Account.sign_typed_data(
            payer_account.private_key,
            typed_data.token_domain(self.chain.w3.eth.chain_id, self.p.token.address),
            typed_data.TRANSFER_WITH_AUTHORIZATION_TYPES,
            message,
        ).signature
        return (payer_account.address, value, valid_after, valid_before, nonce, bytes(signature))

    def request_id_of(self, payment, node: str = "node-operator") -> bytes:
        """The request id `payment` gives the call `node` settles with it (ExactTills' rule)."""
        return exact_request_id(self.till(node), payment[0], bytes(payment[4]))

    def addressed(self, payment, node: str):
        """`payment` as paid to `node`'s till (signed again when it was made for no node)."""
        unaddressed = self._unaddressed.get(bytes(payment[4]))
        if unaddressed is None or node == "node-operator":
            return payment
        payer, value, valid_after, valid_before = unaddressed
        return self._authorization(payer, node, value, valid_after, valid_before, bytes(payment[4]))

    def paid(self, record, payment, node: str = "node-operator") -> tuple:
        """(record, payment) as `node` settles them: the payment to its till, a draft record bound
        to it (what `settle` does; for tests that call the contract themselves)."""
        payment = self.addressed(payment, node)
        return self._bind(record, payment, node), payment

    def settle(self, record, payment, node: str = "node-operator"):
        """Settles `record` from `node` (a draft record bound to `payment` first)."""
        record, payment = self.paid(record, payment, node)
        receipt = self.sender(node).transact(self.p.settlement.functions.settle(record, payment))
        args = self.p.settlement.events.InferenceSettled().process_receipt(receipt.raw, errors=DISCARD)[0]["args"]
        self.settled[args["recordId"]] = (args["payer"], args["node"], args["fee"])
        return args
