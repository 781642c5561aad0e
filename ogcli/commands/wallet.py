"""`ogcli wallet`: create, import, list, show, export, remove and pick wallets; change a
password; sign messages and typed data; read balances."""


import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ogcli import context, diagnostics, output
from ogcli.appfactory import new_app
from ogcli.confirm import confirm
from ogcli.errors import NetworkError, UsageError
from ogcli.signing import PasswordFile

if TYPE_CHECKING:
    from ogcli.wallet.manage import Added

# ogcli.wallet and ogcli.config are imported inside the commands: `ogcli --help` (which builds
# this module's app) must not pay for the TOML parser and the keystore modules.

app = new_app(
    "Wallets: encrypted keystores (V3, scrypt) for signing, and their balances.\n\n"
    "Example: ogcli wallet new alice && ogcli wallet use alice"
)

Name = Annotated[str, typer.Argument(help="Wallet name (lowercase letters, digits, '-', '_').", show_default=False)]
SavePassword = Annotated[
    bool,
    typer.Option("--save-password", help="Keep the password in the OS keyring, so later commands do not ask."),
]


@app.command()
def new(name: Name, password_file: PasswordFile = None, save_password: SavePassword = False) -> None:
    """Create a wallet with a fresh random key, encrypted with your password.

    Example: ogcli wallet new alice --save-password
    """
    from ogcli.wallet import manage

    _report_added(manage.create(name, password_file=password_file, save_password=save_password), "created")


@app.command("import", context_settings={"allow_extra_args": True})
def import_(
    ctx: typer.Context,
    name: Name,
    private_key: Annotated[
        bool, typer.Option("--private-key", help="Read a hex private key from stdin (or a hidden prompt).")
    ] = False,
    mnemonic: Annotated[
        bool, typer.Option("--mnemonic", help="Read a BIP-39 phrase from stdin (or a hidden prompt).")
    ] = False,
    keystore: Annotated[
        Optional[Path],
        typer.Option("--keystore", help="A V3 keystore file from geth or Foundry; asks its password.", show_default=False),
    ] = None,
    index: Annotated[
        Optional[int], typer.Option("--index", min=0, help="With --mnemonic: account m/44'/60'/0'/0/INDEX.  [default: 0]", show_default=False)
    ] = None,
    password_file: PasswordFile = None,
    save_password: SavePassword = False,
) -> None:
    """Import a key: a private key or mnemonic phrase (from stdin or a prompt, never the command
    line), or another tool's keystore file.

    Example: ogcli wallet import bob --private-key < key.txt
    """
    if ctx.args:
        # Not click's "unexpected extra argument (...)": that would echo a pasted key to stderr.
        raise UsageError("unexpected argument after the wallet name: keys and phrases are read from stdin or a prompt, never the command line")
    sources = [flag for flag, given in (("--private-key", private_key), ("--mnemonic", mnemonic), ("--keystore", keystore)) if given]
    if len(sources) != 1:
        raise UsageError("choose exactly one of --private-key, --mnemonic, --keystore FILE")
    if index is not None and not mnemonic:
        raise UsageError("--index goes with --mnemonic only")
    from ogcli.wallet import manage

    options = {"password_file": password_file, "save_password": save_password}
    if private_key:
        added = manage.import_private_key(name, **options)
    elif mnemonic:
        added = manage.import_mnemonic(name, index=index or 0, **options)
    else:
        added = manage.import_keystore(name, keystore, **options)
    _report_added(added, "imported")


@app.command("list")
def list_() -> None:
    """List wallets; * marks the default (the active profile's account, or --account).

    Example: ogcli wallet list --json
    """
    from ogcli.wallet import store

    default = _default_wallet()
    wallets = [{"name": w.name, "address": w.address, "default": w.name == default} for w in store.all_records()]

    def human() -> None:
        if not wallets:
            print("no wallets yet; create one with `ogcli wallet new NAME` or `ogcli wallet import NAME`")
            return
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in ("", "name", "address"):
            table.add_column(column)
        for wallet in wallets:
            table.add_row("*" if wallet["default"] else "", wallet["name"], wallet["address"])
        output.console().print(table)

    output.emit(wallets, human)


@app.command()
def show(name: Name) -> None:
    """Show a wallet's address, keystore file, creation time and whether the keyring has its password.

    Example: ogcli wallet show alice
    """
    from ogcli.wallet import manage, store

    wallet = store.record(name)
    data = {
        "name": wallet.name,
        "address": wallet.address,
        "keystore": str(wallet.path),
        "created_at": wallet.created_at,
        "password_in_keyring": manage.password_saved(wallet),
        "default": wallet.name == _default_wallet(),
    }
    rows = [
        ("name", wallet.name),
        ("address", wallet.address),
        ("keystore", str(wallet.path)),
        ("created", _when(wallet.created_at)),
        ("keyring", "password saved" if data["password_in_keyring"] else "no password saved"),
        ("default", "yes" if data["default"] else "no"),
    ]
    output.emit(data, lambda: output.kv_table(rows))


@app.command()
def export(
    name: Name,
    keystore: Annotated[
        Optional[Path],
        typer.Option("--keystore", help="Write the encrypted V3 keystore to this new file instead of printing the key.",
                     show_default=False),
    ] = None,
    password_file: PasswordFile = None,
) -> None:
    """Print a wallet's private key, after unlocking it and confirming (anyone who sees the key
    controls the wallet's funds); or, with --keystore FILE, write its keystore for geth or cast,
    still encrypted with the wallet's password.

    Example: ogcli wallet export alice --keystore alice.json
    """
    from ogcli.wallet import manage, store

    if keystore is not None:
        wallet = manage.export_keystore(name, keystore)
        output.emit({"name": name, "address": wallet.address, "keystore": str(keystore)},
                    lambda: print(f"wallet {name!r} ({wallet.address}) written to {keystore}, encrypted with its password"))
        return
    wallet = store.record(name)
    confirm(
        f"Print the private key of wallet {name!r} ({wallet.address})? Anyone who sees it can take its funds.",
        yes=context.OPTIONS.yes,
    )
    account = manage.unlock(name, password_file=password_file)
    key_hex = "0x" + bytes(account.key).hex()
    output.emit({"name": name, "address": account.address, "private_key": key_hex}, lambda: print(key_hex))


@app.command()
def passwd(
    name: Name,
    password_file: PasswordFile = None,
    new_password_file: Annotated[
        Optional[Path],
        typer.Option("--new-password-file", help="Read the new password from this file (else a prompt asks twice).",
                     show_default=False),
    ] = None,
) -> None:
    """Change a wallet's password: the key is re-encrypted under the new one, and a password
    saved in the keyring is replaced.

    Example: ogcli wallet passwd alice
    """
    from ogcli.wallet import manage

    changed = manage.change_password(name, password_file=password_file, new_password_file=new_password_file)
    wallet = changed.record
    if changed.keyring_warning:
        diagnostics.warn(f"{changed.keyring_warning}; the old saved password was removed from the keyring")
    output.emit({"name": name, "address": wallet.address, "password_in_keyring": wallet.password_in_keyring},
                lambda: print(f"wallet {name!r} ({wallet.address}) has a new password"))


@app.command()
def sign(
    message: Annotated[
        Optional[str],
        typer.Argument(help="The message (0x... is hex bytes, as cast reads it); '-' reads it from stdin.",
                       show_default=False),
    ] = None,
    typed_data: Annotated[
        Optional[Path],
        typer.Option("--typed-data", help="Sign this EIP-712 JSON file (types, primaryType, domain, message) instead.",
                     show_default=False),
    ] = None,
    password_file: PasswordFile = None,
) -> None:
    """Sign a message (EIP-191, personal_sign) or EIP-712 typed data with your account, the same
    signature `cast wallet sign` makes. Typed data can authorize payments (permits, transfers),
    so it is shown and confirmed first. Nothing is sent anywhere.

    Example: ogcli wallet sign "I own this address" --account alice
    """
    from ogcli.wallet import manage, signatures

    if (message is None) == (typed_data is None):
        raise UsageError("give a MESSAGE to sign, or --typed-data FILE (one of them)")
    name = _default_wallet()  # a profile is not needed: signing a message reads no chain
    if not name:
        raise UsageError("no account to sign with: pass --account NAME or run `ogcli wallet use NAME`")
    address = manage.address_of(name)
    if typed_data is not None:
        document = signatures.read_typed_data(typed_data)
        _confirm_typed_data(signatures.summary(document), name, address)
        signature = signatures.sign_typed_data(manage.unlock(name, password_file=password_file), document)
        kind = "eip712"
    else:
        text = sys.stdin.read() if message == "-" else message
        signature = signatures.sign_message(manage.unlock(name, password_file=password_file),
                                            signatures.message_bytes(text))
        kind = "eip191"
    signature_hex = "0x" + signature.hex()
    output.emit({"wallet": name, "address": address, "kind": kind, "signature": signature_hex},
                lambda: print(signature_hex))


def _confirm_typed_data(summary, name: str, address: str) -> None:
    chain = f"chain id {summary.chain_id}" if summary.chain_id is not None else "no chain id"
    contract = f", contract {summary.verifying_contract}" if summary.verifying_contract else ""
    domain = repr(summary.domain_name) if summary.domain_name else "an unnamed domain"
    confirm(f"Sign {summary.primary_type} for {domain} ({chain}{contract}) with wallet {name!r} ({address})?",
            yes=context.OPTIONS.yes)


@app.command()
def remove(name: Name) -> None:
    """Delete a wallet's keystore and its saved keyring password. Without a backup of the key
    (`ogcli wallet export`), its funds are lost.

    Example: ogcli wallet remove alice --yes
    """
    from ogcli.wallet import manage, store

    wallet = store.record(name)
    confirm(
        f"Delete wallet {name!r} ({wallet.address})? Without a backup of its key its funds are lost.",
        yes=context.OPTIONS.yes,
    )
    removed = manage.remove(name)
    output.emit(
        {"name": removed.name, "address": removed.address, "removed": True},
        lambda: print(f"wallet {removed.name!r} ({removed.address}) removed"),
    )


@app.command()
def use(name: Name) -> None:
    """Make a wallet the account of the current profile (used to sign and for "my" reads).

    Example: ogcli wallet use alice
    """
    import dataclasses

    from ogcli import config
    from ogcli.wallet import store

    wallet = store.record(name)
    cfg = config.load()
    profile_name = context.OPTIONS.profile or cfg.active_profile
    if not profile_name:
        raise UsageError("no active profile to set the wallet on: run `ogcli devnet up`, or pass --profile NAME")
    profile = cfg.profiles.get(profile_name)
    if profile is None:
        raise UsageError(f"unknown profile {profile_name!r} (profiles: {', '.join(sorted(cfg.profiles)) or 'none'})")
    config.put_profile(profile_name, dataclasses.replace(profile, account=wallet.name), activate=False)
    output.emit(
        {"profile": profile_name, "account": wallet.name, "address": wallet.address},
        lambda: print(f"profile {profile_name!r} now uses wallet {wallet.name!r} ({wallet.address})"),
    )


@app.command()
def balance(
    who: Annotated[
        Optional[str], typer.Argument(help="Wallet name or address; default: your account.", show_default=False)
    ] = None,
) -> None:
    """Show the ETH and OPG balances of a wallet or address on the current network.

    Example: ogcli wallet balance alice
    """
    from ogcli.chain.network import open_protocol
    from ogcli.core.amounts import format_amount

    network = context.resolve_network()
    wallet_name, address = _target(who, network)
    protocol = open_protocol(network)
    try:
        eth_wei = protocol.w3.eth.get_balance(address)
        opg_wei = protocol.token.functions.balanceOf(address).call()
    except Exception as exc:  # web3 and requests errors share no base; the message says which
        raise NetworkError(f"cannot read balances from {network.rpc_url}: {str(exc).splitlines()[0][:200]}") from None
    data = {
        "wallet": wallet_name,
        "address": address,
        "profile": network.profile,
        "chain_id": network.chain_id,
        "eth_wei": str(eth_wei),
        "opg_wei": str(opg_wei),
    }
    rows = [
        ("wallet", wallet_name or "-"),
        ("address", address),
        ("network", f"{network.profile} (chain id {network.chain_id})"),
        ("ETH", format_amount(eth_wei, group=True)),
        ("OPG", format_amount(opg_wei, group=True)),
    ]
    output.emit(data, lambda: output.kv_table(rows))


def _report_added(added: "Added", verb: str) -> None:
    wallet = added.record
    if added.keyring_warning:
        diagnostics.warn(f"{added.keyring_warning}; the password was not saved (--save-password ignored)")
    data = {
        "name": wallet.name,
        "address": wallet.address,
        "keystore": str(wallet.path),
        "password_in_keyring": wallet.password_in_keyring,
    }

    def human() -> None:
        print(f"wallet {wallet.name!r} {verb}: {wallet.address}")
        diagnostics.note(f"keystore: {wallet.path}")

    output.emit(data, human)


def _target(who: str | None, network: context.Network) -> tuple[str | None, str]:
    """(wallet name or None, address) of what `balance` was asked about."""
    if who is not None and who.startswith("0x"):
        from ogcli.core.addresses import AddressError, parse_address

        try:
            return None, parse_address(who)
        except AddressError as exc:
            raise UsageError(str(exc)) from None
    from ogcli.signing import account_name
    from ogcli.wallet import manage

    name = who or account_name(network)
    return name, manage.address_of(name)


def _default_wallet() -> str:
    """The wallet commands sign with when none is named: --account, else the profile's account."""
    if context.OPTIONS.account:
        return context.OPTIONS.account
    from ogcli import config

    cfg = config.load()
    profile = cfg.profiles.get(context.OPTIONS.profile or cfg.active_profile)
    return profile.account if profile else ""


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
