"""`ogcli token`: OPG balances, transfers, supply and unlock schedule, voting power."""


import time
from typing import Annotated, Optional

import typer

from ogcli.appfactory import new_app

from ogcli import context, diagnostics, output, parsing
from ogcli.core.amounts import format_amount
from ogcli.receipt import report
from ogcli.signing import PasswordFile, signer_address, write_signer

app = new_app("OPG token: balances, transfers, supply, voting power.\n\nExample: ogcli token balance")

Who = Annotated[Optional[str], typer.Argument(help="Address or wallet name; default: your account.", show_default=False)]


@app.command()
def balance(who: Who = None) -> None:
    """OPG and ETH balance, voting power and vote delegate of an address.

    Example: ogcli token balance 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
    """
    from ogcli.chain.network import open_protocol

    network = context.resolve_network()
    address = _address(who, network)
    protocol = open_protocol(network)
    token = protocol.token.functions
    data = {
        "address": address,
        "opg_wei": str(token.balanceOf(address).call()),
        "eth_wei": str(protocol.w3.eth.get_balance(address)),
        "votes_wei": str(token.getVotes(address).call()),
        "delegate": token.delegates(address).call(),
    }
    output.emit(data, lambda: output.kv_table(_balance_rows(data)))
    _remind_to_delegate(data)


@app.command()
def transfer(
    to: Annotated[str, typer.Argument(help="Recipient address.")],
    amount: Annotated[str, typer.Argument(help="OPG, in whole tokens (e.g. 1.5).")],
    password_file: PasswordFile = None,
) -> None:
    """Send OPG to an address.

    Example: ogcli token transfer 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 12.5 --yes
    """
    from ogcli.chain.network import open_protocol
    from ogcli.chain.tx import BalanceChange, Plan
    from ogcli.writes import execute

    recipient = parsing.address(to)
    wei = parsing.amount(amount)
    network = context.resolve_network()
    protocol = open_protocol(network)
    account = write_signer(network, password_file)
    held = protocol.token.functions.balanceOf(account.address).call()
    plan = Plan(
        action=f"transfer {format_amount(wei)} OPG",
        call=protocol.token.functions.transfer(recipient, wei),
        rows=(("to", recipient), ("amount", f"{format_amount(wei, group=True)} OPG")),
        balance_changes=(BalanceChange("OPG", held, held - wei),),
        warnings=(("you are sending to yourself",) if recipient == account.address else ()),
    )
    report(execute(plan, w3=protocol.w3, network=network, account=account, options=context.OPTIONS))


@app.command("delegate-votes")
def delegate_votes(
    to: Annotated[str, typer.Argument(help="Address to give your voting power to, or 'self'.")],
    password_file: PasswordFile = None,
) -> None:
    """Give your OPG voting power to yourself or another address (tokens stay yours).

    Example: ogcli token delegate-votes self --yes
    """
    from ogcli.chain.network import open_protocol
    from ogcli.chain.tx import Plan
    from ogcli.writes import execute

    network = context.resolve_network()
    protocol = open_protocol(network)
    account = write_signer(network, password_file)
    delegatee = account.address if to == "self" else parsing.address(to)
    token = protocol.token.functions
    current = token.delegates(account.address).call()
    plan = Plan(
        action="delegate voting power",
        call=token.delegate(delegatee),
        rows=(("from delegate", current), ("to delegate", delegatee), ("votes", f"{format_amount(token.balanceOf(account.address).call(), group=True)} OPG")),
    )
    report(execute(plan, w3=protocol.w3, network=network, account=account, options=context.OPTIONS))


@app.command()
def votes(who: Who = None) -> None:
    """Voting power of an address and who it delegates to.

    Example: ogcli token votes --json
    """
    balance(who)


@app.command()
def supply() -> None:
    """Total, circulating and locked OPG, and the vesting unlock schedule, read from chain.

    Example: ogcli token supply
    """
    from ogcli.chain.network import open_protocol
    from ogcli.chain.supply import read_supply

    protocol = open_protocol()
    report = read_supply(protocol)
    output.emit(report.to_json(), lambda: _render_supply(report))


# ---------------------------------------------------------------------- helpers


def _address(who: str | None, network) -> str:
    if who is None:
        return signer_address(network)
    if who.startswith("0x"):
        return parsing.address(who)
    from ogcli import wallet

    return wallet.address_of(who)


def _balance_rows(data: dict) -> list[tuple[str, str]]:
    zero = "0x" + "0" * 40
    delegate = data["delegate"]
    return [
        ("address", data["address"]),
        ("OPG", format_amount(int(data["opg_wei"]), group=True)),
        ("ETH", format_amount(int(data["eth_wei"]), max_fraction=6, group=True)),
        ("votes", format_amount(int(data["votes_wei"]), group=True)),
        ("delegate", "none" if delegate == zero else ("self" if delegate == data["address"] else delegate)),
    ]


def _remind_to_delegate(data: dict) -> None:
    if int(data["opg_wei"]) > 0 and data["delegate"] == "0x" + "0" * 40:
        diagnostics.note(
            "note: this address holds OPG but has no voting power: it never delegated. "
            "`ogcli token delegate-votes self` activates it."
        )


def _render_supply(report) -> None:
    rows = [
        ("total", f"{format_amount(report.total_wei, group=True)} OPG"),
        ("circulating", f"{format_amount(report.circulating_wei, group=True)} OPG"),
        ("treasury", f"{format_amount(report.treasury_wei, group=True)} OPG (timelock)"),
        ("locked in vesting", f"{format_amount(report.locked_wei, group=True)} OPG"),
        ("vested, not released", f"{format_amount(report.releasable_wei, group=True)} OPG"),
    ]
    if report.next_unlock is not None:
        rows.append(("next unlock", f"{_date(report.next_unlock)} ({_countdown(report.next_unlock - report.now)})"))
    output.kv_table(rows)
    from rich.table import Table

    table = Table(title="vesting wallets", title_justify="left")
    for column in ("label", "address", "locked OPG", "cliff", "fully vested"):
        table.add_column(column, no_wrap=True)
    for wallet in report.wallets:
        table.add_row(
            wallet.label,
            wallet.address,
            format_amount(wallet.locked_wei, group=True, max_fraction=2),
            _date(wallet.cliff),
            _date(wallet.end),
        )
    output.console().print(table)


def _date(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


def _countdown(seconds: int) -> str:
    if seconds <= 0:
        return "now"
    days, rest = divmod(seconds, 86_400)
    return f"in {days}d {rest // 3_600}h"
