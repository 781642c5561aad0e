"""The CLI's side of the write pipeline: the preview a person reads, the question, the spinner.

`chain.tx` prepares (simulates, prices) and commits (checks the chain id, signs, sends); it draws
nothing and asks nothing. This module shows what was prepared and asks before the commit; the
dashboard shows the same `preview_rows` in its own dialog (tui/writer.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ogcli import diagnostics
from ogcli.core.amounts import format_amount

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ogcli.chain.tx import Outcome, Plan, Preview
    from ogcli.context import GlobalOptions, Network


def execute(plan: Plan, *, w3, network: Network, account: LocalAccount, options: GlobalOptions) -> Outcome:
    """Runs `plan` through the whole pipeline: prepare, show the preview, ask, commit; stops
    after the preview with --dry-run."""
    from ogcli.chain.tx import Outcome, commit, prepare
    from ogcli.confirm import confirm

    prepared = prepare(plan, w3=w3, network=network, account=account, dry_run=options.dry_run)
    if not options.json:
        render_preview(prepared.preview)
    if options.dry_run:
        return Outcome(preview=prepared.preview, sent=False)
    if options.unsigned:
        return _write_unsigned(prepared, w3, network, options.unsigned)
    confirm("Sign and send this transaction?", yes=options.yes)
    return commit(prepared, network, waiting=lambda: diagnostics.spinner(f"waiting for {plan.action} to be mined"))


def _write_unsigned(prepared, w3, network: Network, target: str) -> Outcome:
    """--unsigned: the prepared write, at the signer's next nonce, into a new file; nothing signed."""
    from pathlib import Path

    from ogcli.chain import offline
    from ogcli.chain.tx import Outcome

    nonce = w3.eth.get_transaction_count(prepared.sender.address, "pending")
    document = offline.unsigned_document(prepared, network, nonce, preview_rows(prepared.preview))
    offline.write_new(Path(target), document)
    return Outcome(preview=prepared.preview, sent=False, unsigned_file=target)


def preview_rows(preview: Preview) -> list[tuple[str, str]]:
    """The preview as (label, value) lines: the CLI prints them as a table, the dashboard in its
    confirmation dialog, so both show the same thing."""
    rows = [("network", f"{preview.network} (chain id {preview.chain_id})"), ("signer", preview.signer)]
    rows += [(label, value) for label, value in preview.rows]
    rows.append(("fee", f"~{format_amount(preview.fee_estimate_wei, max_fraction=8)} ETH (max {format_amount(preview.max_fee_wei, max_fraction=8)})"))
    rows.append(("ETH", f"{format_amount(preview.eth_before, max_fraction=8)} -> {format_amount(preview.eth_after, max_fraction=8)}"))
    for change in preview.balance_changes:
        before = format_amount(change.before, decimals=change.decimals, group=True)
        after = format_amount(change.after, decimals=change.decimals, group=True)
        rows.append((change.asset, f"{before} -> {after}"))
    return rows


def render_preview(preview: Preview) -> None:
    show_rows(preview.action, preview_rows(preview), preview.warnings)


def show_rows(title: str, rows: list[tuple[str, str]], warnings: list[str] | tuple[str, ...] = ()) -> None:
    """A titled table of what is about to happen, then its warnings, on stderr: it is for the
    person deciding, not for a pipe."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_header=False, box=None, title=f"[bold]{escape(title)}[/]", title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(escape(label), escape(value))
    Console(stderr=True, highlight=False).print(table)
    for warning in warnings:
        diagnostics.warn(warning)
