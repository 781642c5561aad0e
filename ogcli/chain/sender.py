"""Signs and sends transactions from a local key: simulate, sign, send, wait, decode reverts.

This is the bare engine. Interactive commands wrap it with a preview and a confirmation; the
deployer and the devnet seeder use it directly because nothing there needs a human.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ogcli.chain import revert
from ogcli.errors import NetworkError, RevertedError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.contract.contract import ContractFunction

# Estimates are exact on a quiet chain; the margin absorbs state that moves between estimate and
# inclusion (a new delegator raising a loop bound, a rounding branch).
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 12, 10
# EIP-7825: no transaction may carry a gas limit above 2^24. A call estimated below the cap is sent
# with a limit at most the cap (its margin trimmed), or chains enforcing it would refuse it.
TX_GAS_CAP = 2**24


@dataclass(frozen=True)
class Receipt:
    """What a caller needs from a mined transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    contract_address: str | None
    logs: list[Any]
    raw: Any


class Sender:
    """Sends transactions signed by one local account, tracking its nonce locally."""

    def __init__(self, w3: Web3, account: LocalAccount, *, receipt_timeout_s: float = 120.0) -> None:
        self.w3 = w3
        self.account = account
        self.address = account.address
        self.chain_id = w3.eth.chain_id
        self.receipt_timeout_s = receipt_timeout_s
        self._nonce: int | None = None
        # One account may send from several threads (a node's settler and verifier share one
        # operator): each nonce is handed out once.
        self._nonce_lock = threading.Lock()

    def transact(self, call: ContractFunction, *, value: int = 0, label: str = "") -> Receipt:
        """Simulates `call`, then signs, sends and waits for it; RevertedError explains a refusal."""
        return self.send_call(call, gas=self.estimate(call, value=value, label=label), value=value, label=label)

    def estimate(self, call: ContractFunction, *, value: int = 0, label: str = "") -> int:
        """Gas for `call` with the safety margin; a revert becomes RevertedError in words."""
        tx_params = {"from": self.address, "value": value}
        return self._estimate(lambda: call.estimate_gas(tx_params), label or call.fn_name)

    def send_call(self, call: ContractFunction, *, gas: int, value: int = 0, label: str = "") -> Receipt:
        """Signs and sends an already simulated `call` with `gas`, and waits for its receipt."""
        tx_hash, tx = self.submit(call, gas=gas, value=value, label=label)
        return self.confirm(tx_hash, tx, label or call.fn_name)

    def send_transaction(self, tx: dict, *, label: str) -> Receipt:
        """Signs, sends and waits for a transaction built whole by the caller (its nonce and fees
        included: a replacement at a stuck transaction's nonce)."""
        return self._send(dict(tx), label)

    def fee_fields(self) -> dict[str, int]:
        """The EIP-1559 fee fields this sender puts on its transactions."""
        return self._fee_fields()

    def deploy(self, abi: list[dict], bytecode: str, *args: Any, label: str = "") -> Receipt:
        """Deploys a contract and returns the receipt (with `contract_address`)."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        constructor = factory.constructor(*args)
        gas = self._estimate(lambda: constructor.estimate_gas({"from": self.address}), label or "deploy")
        tx = constructor.build_transaction(
            {"from": self.address, **self._fee_fields(), "gas": gas, "nonce": self._next_nonce()}
        )
        return self._send(tx, label or "deploy")

    def resync(self) -> None:
        """Forgets the locally tracked nonce (after the chain was reverted underneath us)."""
        with self._nonce_lock:
            self._nonce = None

    # ------------------------------------------------------------------ internals

    def _estimate(self, estimate, label: str) -> int:
        try:
            gas = estimate()
        except Exception as exc:
            data = _revert_data(exc)
            if data is not None or "revert" in str(exc).lower():
                raise RevertedError(f"{label} would revert: {revert.describe(data)}") from None
            raise NetworkError(f"{label}: gas estimate failed: {str(exc)[:200]}") from None
        with_margin = gas * GAS_MARGIN_NUM // GAS_MARGIN_DEN
        return min(with_margin, TX_GAS_CAP) if gas <= TX_GAS_CAP else with_margin

    def _fee_fields(self) -> dict[str, int]:
        # From the chain's recent blocks (core/fees.py); read at most once a second per connection.
        return current_fees(self.w3).fields()

    def _next_nonce(self) -> int:
        with self._nonce_lock:
            if self._nonce is None:
                self._nonce = self.w3.eth.get_transaction_count(self.address, "pending")
            nonce = self._nonce
            self._nonce += 1
            return nonce

    def submit(self, call: ContractFunction, *, gas: int, value: int = 0, label: str = "") -> tuple[str, dict]:
        """Signs and sends `call` without waiting; returns (tx hash, the transaction) for
        `confirm`. For callers that must record the hash before the wait (the node's outbox)."""
        tx = call.build_transaction(
            {"from": self.address, "value": value, **self._fee_fields(), "gas": gas, "nonce": self._next_nonce()}
        )
        return self._submit(tx, label or call.fn_name), tx

    def confirm(self, tx_hash: str, tx: dict, label: str = "") -> Receipt:
        """Waits for a submitted transaction; RevertedError (with the reason) if it failed."""
        from hexbytes import HexBytes

        receipt = self._wait(HexBytes(tx_hash), label)
        if receipt["status"] != 1:
            raise RevertedError(f"{label} reverted on chain in tx {tx_hash}: {self._replay(tx, receipt)}")
        return Receipt(
            tx_hash=tx_hash,
            block_number=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
            contract_address=receipt.get("contractAddress"),
            logs=list(receipt["logs"]),
            raw=receipt,
        )

    def _submit(self, tx: dict, label: str) -> str:
        tx.setdefault("chainId", self.chain_id)
        signed = self.account.sign_transaction(tx)
        try:
            return self.w3.eth.send_raw_transaction(signed.raw_transaction).to_0x_hex()
        except Exception as exc:
            self._nonce = None  # the node did not take it: re-read the nonce next time
            raise NetworkError(f"{label}: sending failed: {str(exc)[:200]}") from None

    def _send(self, tx: dict, label: str) -> Receipt:
        return self.confirm(self._submit(tx, label), tx, label)

    def _wait(self, tx_hash, label: str):
        return wait_for_receipt(self.w3, tx_hash, label=label, timeout_s=self.receipt_timeout_s)

    def _replay(self, tx: dict, receipt) -> str:
        """Re-runs a mined failure as a call at its block to recover the revert reason."""
        call = {k: tx[k] for k in ("to", "data", "value") if k in tx}
        call["from"] = self.address
        try:
            self.w3.eth.call(call, receipt["blockNumber"] - 1)
        except Exception as exc:
            return revert.describe(_revert_data(exc))
        return "no reason (out of gas?)"


def wait_for_receipt(w3, tx_hash, *, label: str, timeout_s: float = 120.0):
    """The receipt of `tx_hash` (bytes or 0x hex) once it is mined; NetworkError after
    `timeout_s`, saying it may still be mined."""
    from hexbytes import HexBytes

    tx_hash = HexBytes(tx_hash)
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            if receipt is not None:
                return receipt
        except Exception as exc:
            if type(exc).__name__ != "TransactionNotFound":
                raise NetworkError(f"{label}: receipt lookup failed: {str(exc)[:200]}") from None
        if time.monotonic() > deadline:
            raise NetworkError(
                f"{label}: tx {tx_hash.to_0x_hex()} not mined after {timeout_s:.0f}s; "
                "it may still be mined: look it up before sending again (`ogcli tx status HASH`)"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


_BASE_FEE_TTL_S = 1.0
_FEES_TTL_S = 1.0


def current_fees(w3):
    """What to offer now (core.fees.Fees), from eth_feeHistory over the last blocks; from the base
    fee alone on an endpoint that does not answer it. Cached for a second per connection."""
    from ogcli.core import fees

    cached = getattr(w3, "_ogcli_fees", None)
    now = time.monotonic()
    if cached is not None and now - cached[1] < _FEES_TTL_S:
        return cached[0]
    try:
        offer = fees.from_history(dict(w3.eth.fee_history(fees.HISTORY_BLOCKS, "latest", [fees.TIP_PERCENTILE])))
    except Exception:  # an endpoint without eth_feeHistory (some providers, old nodes): the base fee alone
        offer = fees.from_base_fee(base_fee(w3))
    w3._ogcli_fees = (offer, now)
    return offer


def base_fee(w3) -> int:
    """The latest base fee per gas, cached for a second per connection."""
    cached = getattr(w3, "_ogcli_base_fee", None)
    now = time.monotonic()
    if cached is not None and now - cached[1] < _BASE_FEE_TTL_S:
        return cached[0]
    latest = w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0
    w3._ogcli_base_fee = (latest, now)
    return latest


def _revert_data(exc: Exception) -> bytes | str | None:
    """Revert data from the exception shapes web3 raises (ContractCustomError, ContractLogicError, RPC error)."""
    data = getattr(exc, "data", None)
    if isinstance(data, (bytes, str)) and data:
        return data
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, dict):
            inner = arg.get("data")
            if isinstance(inner, str) and inner.startswith("0x"):
                return inner
        if isinstance(arg, str) and arg.startswith("0x") and len(arg) >= 10:
            return arg
    return None
