"""The chain's half of the write pipeline every command shares: simulate -> preview ->
(confirm, elsewhere) -> check the chain id -> sign -> send -> wait.

A command builds a `Plan` (what it wants to do, in words and as a contract call); `prepare`
simulates it and builds its `Preview`, `commit` sends it. Between the two a person says yes: the
CLI asks in `ogcli.writes.execute`, the dashboard in a dialog. This module draws nothing and
asks nothing, so both ask the same question about the same preview.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ogcli.chain import revert, rpc
from ogcli.chain.sender import Sender, _revert_data, base_fee
from ogcli.core.amounts import format_amount
from ogcli.errors import ChainMismatchError, InsufficientFundsError, NetworkError, RevertedError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3.contract.contract import ContractFunction

    from ogcli.context import Network


@dataclass(frozen=True)
class BalanceChange:
    asset: str
    before: int
    after: int
    decimals: int = 18


@dataclass(frozen=True)
class Plan:
    """One write, described for the preview and ready to send."""

    action: str
    call: ContractFunction
    value_wei: int = 0
    rows: tuple[tuple[str, str], ...] = ()
    balance_changes: tuple[BalanceChange, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass
class Preview:
    network: str
    chain_id: int
    signer: str
    action: str
    rows: list[tuple[str, str]]
    gas_limit: int
    fee_estimate_wei: int
    max_fee_wei: int
    eth_before: int
    eth_after: int
    balance_changes: list[BalanceChange]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rows"] = dict(self.rows)
        for key in ("fee_estimate_wei", "max_fee_wei", "eth_before", "eth_after"):
            data[key] = str(data[key])
        data["balance_changes"] = [
            {"asset": c.asset, "before": str(c.before), "after": str(c.after)} for c in self.balance_changes
        ]
        return data


@dataclass
class Outcome:
    preview: Preview
    sent: bool
    tx_hash: str | None = None
    block_number: int | None = None
    gas_used: int | None = None
    explorer_link: str | None = None
    unsigned_file: str | None = None  # --unsigned: where the prepared, unsigned transaction went

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            **({"unsigned_file": self.unsigned_file} if self.unsigned_file else {}),
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "gas_used": self.gas_used,
            "explorer_link": self.explorer_link,
            "preview": self.preview.to_json(),
        }


@dataclass
class Prepared:
    """A plan that passed simulation, with its gas and preview: what a person confirms."""

    plan: Plan
    sender: Sender
    gas: int
    preview: Preview


def prepare(plan: Plan, *, w3, network: Network, account: LocalAccount, dry_run: bool = False) -> Prepared:
    """Simulates `plan` and builds its preview; nothing is signed. The CLI and the dashboard both
    start here, so a refusal reads the same and the preview has the same lines."""
    sender = Sender(w3, account)
    _simulate(plan, sender)
    gas = sender.estimate(plan.call, value=plan.value_wei, label=plan.action)
    preview = _preview(plan, sender, network, gas)
    if not dry_run and preview.eth_before < preview.max_fee_wei + plan.value_wei:
        # Nothing to preview or confirm: the network would refuse it. (--dry-run still shows it.)
        raise InsufficientFundsError(
            f"{sender.address} holds {format_amount(preview.eth_before)} ETH; {plan.action} may cost up to "
            f"{format_amount(preview.max_fee_wei + plan.value_wei)} ETH: fund it first; nothing was sent"
        )
    return Prepared(plan, sender, gas, preview)


def commit(prepared: Prepared, network: Network, waiting=contextlib.nullcontext) -> Outcome:
    """After the person said yes: checks the endpoint's chain id again, signs, sends and waits
    (inside `waiting()`, a spinner on the CLI)."""
    check_chain_id(network)
    plan = prepared.plan
    with waiting():
        receipt = prepared.sender.send_call(plan.call, gas=prepared.gas, value=plan.value_wei, label=plan.action)
    link = explorer_link(network, receipt.tx_hash)
    return Outcome(prepared.preview, True, receipt.tx_hash, receipt.block_number, receipt.gas_used, link)


def _simulate(plan: Plan, sender: Sender) -> None:
    """eth_call first: a refusal is explained before any fee is estimated or anything signed."""
    try:
        plan.call.call({"from": sender.address, "value": plan.value_wei})
    except Exception as exc:
        data = _revert_data(exc)
        if data is None and "revert" not in str(exc).lower():
            raise NetworkError(f"simulation failed: {str(exc)[:200]}") from None
        raise RevertedError(f"{plan.action} would fail: {revert.describe(data)}; nothing was sent") from None


def _preview(plan: Plan, sender: Sender, network: Network, gas: int) -> Preview:
    fees = sender.fee_fields()
    estimate = gas * (base_fee(sender.w3) + fees["maxPriorityFeePerGas"])
    eth_before = sender.w3.eth.get_balance(sender.address)
    warnings = list(plan.warnings)
    if eth_before < gas * fees["maxFeePerGas"] + plan.value_wei:
        warnings.append("the signer may not hold enough ETH for gas")
    return Preview(
        network=network.profile,
        chain_id=network.chain_id,
        signer=sender.address,
        action=plan.action,
        rows=list(plan.rows),
        gas_limit=gas,
        fee_estimate_wei=estimate,
        max_fee_wei=gas * fees["maxFeePerGas"],
        eth_before=eth_before,
        eth_after=eth_before - estimate - plan.value_wei,
        balance_changes=list(plan.balance_changes),
        warnings=warnings,
    )


def explorer_link(network: Network, tx_hash: str) -> str | None:
    """The transaction's page on the profile's block explorer; None without one."""
    return f"{network.explorer_url.rstrip('/')}/tx/{tx_hash}" if network.explorer_url else None


def check_chain_id(network: Network) -> None:
    """Asks the endpoint for its chain id again, uncached, right before signing: a profile whose
    endpoint now serves another chain must not get a signature replayable there."""
    try:
        chain_id = int(rpc.call(network.rpc_url, "eth_chainId", []), 16)
    except (NetworkError, TypeError, ValueError) as exc:  # no answer, or not a chain id
        raise NetworkError(f"cannot confirm the chain id of {network.rpc_url}: {exc}") from None
    if chain_id != network.chain_id:
        raise ChainMismatchError(
            f"{network.rpc_url} now serves chain id {chain_id}, not {network.chain_id}; nothing was signed"
        )
