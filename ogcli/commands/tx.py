"""`ogcli tx`: look a transaction up; speed up or cancel one stuck in the pool; sign offline
what `--unsigned` prepared, and send it."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ogcli import context, diagnostics, output
from ogcli.appfactory import new_app
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app(
    "Transactions: look one up; speed up or cancel one stuck unmined (a replacement at its nonce).\n\n"
    "Example: ogcli tx status 0x5c1d...e8"
)

TxHash = Annotated[str, typer.Argument(help="Transaction hash (0x and 64 hex digits).", show_default=False)]
CANCEL_GAS = 21_000  # a plain transfer of nothing to oneself


@app.command()
def status(tx_hash: TxHash) -> None:
    """Where a transaction is: pending in the endpoint's pool, mined (its block, success or revert,
    gas used, fee paid, confirmations), or unknown to the endpoint (never sent there, dropped, or
    replaced by another at its nonce).

    Example: ogcli tx status 0x5c1d...e8
    """
    from ogcli.chain.network import open_reader
    from ogcli.chain.tx import explorer_link

    wanted = _hash(tx_hash)
    network = context.resolve_network()
    rpc = open_reader(network).rpc
    tx, receipt, head = rpc.batch([("eth_getTransactionByHash", [wanted]), ("eth_getTransactionReceipt", [wanted]),
                                   ("eth_blockNumber", [])])
    data = {"hash": wanted, "state": "unknown"}
    if tx is not None:
        def number(key: str) -> int | None:
            return int(tx[key], 16) if tx.get(key) else None

        data.update(state="pending", **{"from": tx["from"]}, to=tx.get("to"), nonce=number("nonce"),
                    value_wei=str(number("value") or 0), gas_limit=number("gas"),
                    max_fee_per_gas=number("maxFeePerGas") or number("gasPrice"),
                    max_priority_fee_per_gas=number("maxPriorityFeePerGas"))
    if receipt is not None:
        block, price, used = int(receipt["blockNumber"], 16), int(receipt["effectiveGasPrice"], 16), int(receipt["gasUsed"], 16)
        data.update(state="mined" if int(receipt["status"], 16) == 1 else "reverted", block=block, gas_used=used,
                    effective_gas_price=price, fee_wei=str(used * price), confirmations=int(head, 16) - block + 1)
    link = explorer_link(network, wanted) if tx is not None else None
    if link:
        data["explorer_link"] = link
    output.emit(data, lambda: _print_status(data))


@app.command()
def speedup(tx_hash: TxHash, password_file: PasswordFile = None) -> None:
    """Send your stuck transaction again at its nonce with higher fees (each raised by 12.5% at
    least, the most nodes ask of a replacement, or to what the chain asks now), so it is mined
    instead of the original. Previewed and confirmed first.

    Example: ogcli tx speedup 0x5c1d...e8 --yes
    """
    _replace(tx_hash, password_file, cancel=False)


@app.command()
def cancel(tx_hash: TxHash, password_file: PasswordFile = None) -> None:
    """Cancel your stuck transaction: a transfer of 0 ETH to yourself at its nonce, with higher
    fees, takes its place. Previewed and confirmed first; the original can still be mined first.

    Example: ogcli tx cancel 0x5c1d...e8 --yes
    """
    _replace(tx_hash, password_file, cancel=True)


@app.command()
def sign(
    file: Annotated[Path, typer.Argument(help="An unsigned transaction, written by a write with --unsigned FILE.",
                                         show_default=False)],
    out: Annotated[Optional[Path], typer.Option("--out", help="Where to write the signed transaction (a new file; "
                                                              "default: FILE with .signed.json).", show_default=False)] = None,
    password_file: PasswordFile = None,
) -> None:
    """Sign a transaction another machine prepared (`--unsigned FILE`), with no network: its
    preview is shown and confirmed, its chain id must be the profile's, its sender your wallet.

    Example: ogcli tx sign delegate.json --out delegate.signed.json
    """
    from ogcli import wallet
    from ogcli.chain import offline
    from ogcli.confirm import confirm
    from ogcli.signing import account_name
    from ogcli.writes import show_rows

    document = offline.read(file, offline.UNSIGNED)
    network = context.resolve_network()  # the profile only: nothing here talks to a chain
    offline.check_chain(document, network.chain_id, f"profile {network.profile!r}")
    target = out or file.with_name(file.name.removesuffix(".json") + ".signed.json")
    if target.exists():
        raise UsageError(f"{target} exists; nothing was signed (choose another --out)")
    if not context.OPTIONS.json:
        show_rows(f"sign: {document['action']}", [(str(k), str(v)) for k, v in document.get("preview", [])])
    confirm(f"Sign this transaction (nonce {document['transaction']['nonce']}) as {document['from']}?",
            yes=context.OPTIONS.yes)
    signed = offline.sign(document, wallet.unlock(account_name(network), password_file=password_file))
    offline.write_new(target, signed)
    output.emit({"signed": str(target), "hash": signed["hash"], "from": signed["from"], "nonce": signed["nonce"],
                 "chain_id": signed["chain_id"]},
                lambda: print(f"signed {signed['hash']} into {target}: send it with `ogcli tx send {target}`"))


@app.command()
def send(
    file: Annotated[Path, typer.Argument(help="A signed transaction, written by `ogcli tx sign`.", show_default=False)],
) -> None:
    """Send a transaction signed offline (`ogcli tx sign`) and wait for it: the endpoint's chain
    id, the file's and the one inside the signed bytes must all be the profile's.

    Example: ogcli tx send delegate.signed.json
    """
    from ogcli.chain import offline
    from ogcli.chain.sender import wait_for_receipt
    from ogcli.chain.session import connect
    from ogcli.chain.tx import check_chain_id, explorer_link
    from ogcli.confirm import confirm

    document = offline.read(file, offline.SIGNED)
    network = context.resolve_network()
    offline.check_chain(document, network.chain_id, f"profile {network.profile!r}")
    inside = offline.raw_chain_id(document["raw"])
    if inside != document["chain_id"]:
        raise UsageError(f"{file} says chain id {document['chain_id']} but its signed bytes are for chain id {inside}; "
                         "nothing was sent")
    check_chain_id(network)  # the endpoint serves the profile's chain, asked now
    confirm(f"Send {document['action']} ({document['hash'][:10]}…, nonce {document['nonce']}) to {network.rpc_url}?",
            yes=context.OPTIONS.yes)
    w3 = connect(network.rpc_url, network.chain_id)
    try:
        sent = w3.eth.send_raw_transaction(document["raw"]).to_0x_hex()
    except Exception as exc:  # the node refused it (nonce used, fees too low): its words, one line
        from ogcli.errors import NetworkError

        raise NetworkError(f"{network.rpc_url} refused the transaction: {str(exc)[:200]}") from None
    with diagnostics.spinner(f"waiting for {document['action']} to be mined"):
        receipt = wait_for_receipt(w3, sent, label=document["action"])
    data = {"sent": True, "tx_hash": sent, "block": receipt["blockNumber"],
            "status": "success" if receipt["status"] == 1 else "reverted", "gas_used": receipt["gasUsed"]}
    link = explorer_link(network, sent)
    if link:
        data["explorer_link"] = link
    output.emit(data, lambda: print(f"sent {sent}\nmined in block {data['block']} ({data['status']}), gas used "
                                    f"{data['gas_used']:,}" + (f"\n{data['explorer_link']}" if "explorer_link" in data else "")))
    if data["status"] != "success":
        from ogcli.errors import ExitCode

        raise typer.Exit(ExitCode.REVERTED)


def _replace(tx_hash: str, password_file, *, cancel: bool) -> None:
    from ogcli.chain.sender import Sender, current_fees
    from ogcli.chain.session import connect
    from ogcli.chain.tx import check_chain_id, explorer_link
    from ogcli.confirm import confirm
    from ogcli.core.amounts import format_amount
    from ogcli.core.fees import Fees, replacement
    from ogcli.signing import signer_address, unlock_signer
    from ogcli.writes import show_rows

    wanted = _hash(tx_hash)
    network = context.resolve_network()
    w3 = connect(network.rpc_url, network.chain_id)
    stuck = _pending(w3, wanted)
    me = signer_address(network)
    if stuck["from"].lower() != me.lower():
        raise UsageError(f"{wanted} was sent by {stuck['from']}, not your account {me}: only its sender can replace it")
    old = Fees(stuck.get("maxFeePerGas") or stuck["gasPrice"], stuck.get("maxPriorityFeePerGas") or stuck["gasPrice"])
    new = replacement(old, current_fees(w3))
    if cancel:
        tx = {"to": me, "value": 0, "data": "0x", "gas": CANCEL_GAS}
    else:
        tx = {"to": stuck["to"], "value": stuck["value"], "data": "0x" + bytes(stuck["input"]).hex(), "gas": stuck["gas"]}
    tx.update(nonce=stuck["nonce"], chainId=network.chain_id, type=2, **new.fields())

    def gwei(wei: int) -> str:
        return f"{format_amount(wei, decimals=9, max_fraction=4)} gwei"

    action = f"{'cancel' if cancel else 'speed up'} {wanted[:10]}… (nonce {stuck['nonce']})"
    rows = [("network", f"{network.profile} (chain id {network.chain_id})"), ("signer", me),
            ("replaces", wanted), ("nonce", str(stuck["nonce"])),
            ("fee cap", f"{gwei(old.max_fee_per_gas)} -> {gwei(new.max_fee_per_gas)}"),
            ("tip", f"{gwei(old.max_priority_fee_per_gas)} -> {gwei(new.max_priority_fee_per_gas)}"),
            ("at most", f"{format_amount(tx['gas'] * new.max_fee_per_gas, max_fraction=8)} ETH of gas")]
    if cancel:
        rows.insert(3, ("instead", "0 ETH to yourself (the original's call is not made)"))
    if not context.OPTIONS.json:
        show_rows(action, rows)
    if context.OPTIONS.dry_run:
        output.emit({"sent": False, "replaces": wanted, "nonce": stuck["nonce"], **new.fields()},
                    lambda: print("dry run: nothing was sent"))
        return
    confirm("Sign and send this replacement?", yes=context.OPTIONS.yes)
    account = unlock_signer(network, password_file)
    check_chain_id(network)
    sender = Sender(w3, account)
    with diagnostics.spinner(f"waiting for the replacement of {wanted[:10]}… to be mined"):
        receipt = sender.send_transaction(tx, label=action)
    data = {"sent": True, "replaces": wanted, "tx_hash": receipt.tx_hash, "block": receipt.block_number,
            "gas_used": receipt.gas_used, "nonce": stuck["nonce"], **new.fields()}
    link = explorer_link(network, receipt.tx_hash)
    if link:
        data["explorer_link"] = link
    output.emit(data, lambda: print(f"sent {receipt.tx_hash} in place of {wanted}\nmined in block {receipt.block_number}"
                                    + (f"\n{data['explorer_link']}" if "explorer_link" in data else "")))


def _pending(w3, wanted: str) -> dict:
    """The transaction `wanted` while it is still unmined; a UsageError saying where it is otherwise."""
    try:
        tx = w3.eth.get_transaction(wanted)
    except Exception as exc:
        if type(exc).__name__ != "TransactionNotFound":
            raise
        raise UsageError(f"{wanted} is not known to this endpoint (never sent here, dropped, or already replaced)") from None
    if tx.get("blockNumber") is not None:
        raise UsageError(f"{wanted} is already mined (block {tx['blockNumber']}): there is nothing to replace")
    return dict(tx)


def _hash(text: str) -> str:
    value = text.strip().lower()
    if not (value.startswith("0x") and len(value) == 66 and all(c in "0123456789abcdef" for c in value[2:])):
        raise UsageError(f"a transaction hash is 0x and 64 hex digits, not {text!r}")
    return value


def _print_status(data: dict) -> None:
    from ogcli.core.amounts import format_amount

    if data["state"] == "unknown":
        print(f"{data['hash']}: not known to this endpoint (never sent here, dropped, or replaced at its nonce)")
        return
    rows = [("state", data["state"]), ("from", data["from"]), ("to", data.get("to") or "(contract creation)"),
            ("nonce", str(data["nonce"]))]
    if data["state"] == "pending":
        rows.append(("fee cap", f"{format_amount(data['max_fee_per_gas'] or 0, decimals=9, max_fraction=4)} gwei"))
        rows.append(("next", "`ogcli tx speedup HASH` or `ogcli tx cancel HASH` if it stays stuck"))
    else:
        rows += [("block", f"{data['block']} ({data['confirmations']} confirmations)"), ("gas used", f"{data['gas_used']:,}"),
                 ("fee", f"{format_amount(int(data['fee_wei']), max_fraction=8)} ETH")]
    if data.get("explorer_link"):
        rows.append(("explorer", data["explorer_link"]))
    output.kv_table(rows)
