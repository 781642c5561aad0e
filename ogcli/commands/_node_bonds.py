"""`ogcli node bond | unbond | withdraw | status`: the OPG an operator puts up behind the TEE
records its node settles (registered on the `node` app in commands/node.py)."""

from typing import Annotated

import typer

from ogcli import output, parsing
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)


def _when(timestamp: int) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def bond(
    amount: Annotated[str, typer.Argument(help="OPG to add to your node's bond.", show_default=False)],
    password_file: PasswordFile = None,
) -> None:
    """Bond OPG behind your node's TEE records: a node settles TEE records only while its active
    bond is at least the governance minimum, and a record of its proven false slashes the bond
    (the payer is refunded, the challenger paid, the enclave disabled).

    Example: ogcli node bond 1000 --yes
    """
    from ogcli.chain.bonds import read_bonds, read_terms
    from ogcli.chain.tx import BalanceChange, Plan
    from ogcli.commands._session import WriteSession
    from ogcli.plans import token_approval

    wei = parsing.amount(amount)
    session = WriteSession.open(password_file)
    protocol = session.protocol
    held = session.token.balanceOf(session.me).call()
    if wei > held:
        raise UsageError(f"{_fmt(wei)} OPG is more than the {_fmt(held)} OPG this account holds")
    terms = read_terms(protocol)
    current = read_bonds(protocol, [session.me])[session.me]
    after = current.active_wei + wei
    warnings = []
    if after < terms.min_bond_wei:
        warnings.append(f"{_fmt(after)} OPG is below the {_fmt(terms.min_bond_wei)} OPG minimum: "
                        "the node still cannot settle TEE records")
    plan = Plan(
        action=f"bond {_fmt(wei)} OPG",
        call=protocol.bonds.functions.bond(wei),
        rows=(("amount", f"{_fmt(wei)} OPG"), ("active bond after", f"{_fmt(after)} OPG"),
              ("minimum", f"{_fmt(terms.min_bond_wei)} OPG")),
        balance_changes=(BalanceChange("OPG (wallet)", held, held - wei),),
        warnings=tuple(warnings),
    )
    session.run_approval(token_approval(session, "NodeBonds", protocol.bonds.address, wei), warnings)
    session.run(plan)


def unbond(
    amount: Annotated[str, typer.Argument(help="OPG, or omit with --all.", show_default=False)] = "",
    all_: Annotated[bool, typer.Option("--all", help="Unbond the whole active bond.")] = False,
    password_file: PasswordFile = None,
) -> None:
    """Start unbonding part of your node's free bond (what is not reserved for the fees of records
    still open to dispute): withdrawable after the unbonding delay (longer than any challenge
    window), slashable for your node's records until then. A further unbond restarts the delay of
    everything unbonding.

    Example: ogcli node unbond --all --yes
    """
    from ogcli.chain.bonds import read_bonds, read_terms
    from ogcli.chain.tx import Plan
    from ogcli.commands._session import WriteSession
    from ogcli.core.units import format_duration

    if all_ == bool(amount):
        raise UsageError("give an AMOUNT or --all (not both)")
    session = WriteSession.open(password_file)
    protocol = session.protocol
    current = read_bonds(protocol, [session.me])[session.me]
    if current.free_wei == 0:
        raise UsageError("this account has no free bond to unbond" + (
            f" ({_fmt(current.reserved_wei)} OPG is reserved for records still open to dispute)" if current.reserved_wei else ""))
    wei = current.free_wei if all_ else parsing.amount(amount)
    if wei > current.free_wei:
        raise UsageError(f"{_fmt(wei)} OPG is more than your {_fmt(current.free_wei)} OPG free bond "
                         f"({_fmt(current.reserved_wei)} OPG is reserved for records still open to dispute)")
    terms = read_terms(protocol)
    now = protocol.w3.eth.get_block("latest")["timestamp"]
    warnings = []
    if current.active_wei - wei < terms.min_bond_wei:
        warnings.append(f"your active bond falls below the {_fmt(terms.min_bond_wei)} OPG minimum: "
                        "your node stops settling TEE records")
    if current.unbonding_wei:
        warnings.append(f"the {_fmt(current.unbonding_wei)} OPG already unbonding waits the full delay again")
    session.run(Plan(
        action=f"unbond {_fmt(wei)} OPG",
        call=protocol.bonds.functions.unbond(wei),
        rows=(("amount", f"{_fmt(wei)} OPG"), ("unbonding", format_duration(terms.unbonding_delay_s)),
              ("withdrawable", _when(now + terms.unbonding_delay_s))),
        warnings=tuple(warnings),
    ))


def withdraw(password_file: PasswordFile = None) -> None:
    """Pay out your node's bond that finished unbonding.

    Example: ogcli node withdraw --yes
    """
    from ogcli.chain.bonds import read_bonds
    from ogcli.chain.tx import Plan
    from ogcli.commands._session import WriteSession

    session = WriteSession.open(password_file)
    protocol = session.protocol
    current = read_bonds(protocol, [session.me])[session.me]
    if current.unbonding_wei == 0:
        raise UsageError("nothing is unbonding (start with `ogcli node unbond`)")
    now = protocol.w3.eth.get_block("latest")["timestamp"]
    if now < current.release_at:
        raise UsageError(f"{_fmt(current.unbonding_wei)} OPG is unbonding until {_when(current.release_at)}")
    session.run(Plan(action=f"withdraw {_fmt(current.unbonding_wei)} OPG of bond", call=protocol.bonds.functions.withdraw(),
                     rows=(("amount", f"{_fmt(current.unbonding_wei)} OPG"),)))


def status(
    operator: Annotated[str, typer.Argument(help="The operator (default: your account).", show_default=False)] = "",
) -> None:
    """Your node's bond (or another operator's): active and unbonding OPG, whether it may settle
    TEE records, and the enclaves it stands behind.

    Example: ogcli node status
    """
    from ogcli import context
    from ogcli.chain.bonds import enclave_operators, read_bonds, read_terms
    from ogcli.chain.network import open_protocol
    from ogcli.signing import signer_address

    network = context.resolve_network()
    protocol = open_protocol(network)
    who = parsing.address(operator) if operator else signer_address(network)
    terms = read_terms(protocol)
    current = read_bonds(protocol, [who])[who]
    enclaves = [signer for signer, owner in enclave_operators(protocol).items() if owner == who]
    document = {**current.to_json(terms), "min_bond_wei": str(terms.min_bond_wei),
                "unbonding_delay_s": terms.unbonding_delay_s, "slash_fraction_bps": terms.slash_fraction_bps,
                "enclaves": enclaves}
    output.emit(document, lambda: _print_status(current, terms, enclaves))


def _print_status(current, terms, enclaves: list[str]) -> None:
    from ogcli.core.units import format_duration

    console = output.console()
    verdict = "[green]bonded[/]" if current.covers_settlement(terms) else "[red]not bonded[/]"
    console.print(f"operator   {current.operator}  {verdict} (minimum {_fmt(terms.min_bond_wei)} OPG)")
    console.print(f"active     {_fmt(current.active_wei)} OPG ({_fmt(current.reserved_wei)} reserved for the fees of "
                  f"records still open to dispute, {_fmt(current.free_wei)} free)")
    if current.unbonding_wei:
        console.print(f"unbonding  {_fmt(current.unbonding_wei)} OPG, withdrawable {_when(current.release_at)}")
    console.print(f"slash      the fee (refunded) plus {terms.slash_fraction_bps / 100:g}% of the bond per false record; "
                  f"unbonding takes {format_duration(terms.unbonding_delay_s)}")
    console.print(f"enclaves   {', '.join(enclaves) if enclaves else 'none registered'}")
