"""`ogcli model`: publishers push models with a price and earn per call; anyone lists and pulls them."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ogcli import context, output, parsing
from ogcli.appfactory import new_app
from ogcli.commands._session import WriteSession
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app("Model Hub: push models with a price, list, pull (verified), earnings.\n\nExample: ogcli model list")

ModelId = Annotated[int, typer.Argument(help="Model id (see `ogcli model list`).", show_default=False)]
SORT_KEYS = ("id", "calls", "earnings", "price")
MAX_NAME = 64


@app.command()
def push(
    file: Annotated[Path, typer.Argument(help="The model file (ONNX, or any bytes with --format raw).", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Model name, unique among your models.", show_default=False)],
    price: Annotated[str, typer.Option("--price", help="OPG you earn per call (0 for free).", show_default=False)],
    modes: Annotated[str, typer.Option("--modes", help="Comma list of vanilla, tee, zkml.")] = "vanilla,tee",
    description: Annotated[str, typer.Option("--description", help="One line about the model.")] = "",
    file_format: Annotated[
        str, typer.Option("--format", help="onnx, openai-upstream (a JSON descriptor), raw, or auto (onnx for *.onnx).")
    ] = "auto",
    new_version: Annotated[
        bool, typer.Option("--new-version", help="Publish as the next version of your model of this --name.")
    ] = False,
    password_file: PasswordFile = None,
) -> None:
    """Check a model file (ONNX: loaded, validated, its input/output signature recorded), upload it
    to the profile's storage, and publish it on ModelHub with a price per call; prints the model
    id and CID. Identical bytes already on the hub are refused, naming the model that has them.

    Example: ogcli model push ./eth-vol.onnx --name eth-vol --price 0.2 --description "1h ETH vol" --yes
    """
    from ogcli import diagnostics
    from ogcli.chain.tx import Plan
    from ogcli.core import model_metadata
    from ogcli.storage.blobs import StorageError, open_store
    from ogcli.storage.cid import cid_from_digest, digest_file

    path = _readable_file(file)
    name = _model_name(name)
    price_wei = _price(price)
    mask = _modes(modes)
    kind = _format(file_format, path)
    signature = _inspect(path) if kind == "onnx" else {}
    if kind == "openai-upstream":
        _upstream_descriptor(path)
    if mask & model_metadata.MODES["zkml"]:
        _zkml_ready(kind, signature)
    size = path.stat().st_size
    with diagnostics.progress_bar(f"hashing {path.name}", size) as advance:
        digest, _size = digest_file(path, advance)
    cid = cid_from_digest(digest)

    session = WriteSession.open(password_file)
    hub = session.protocol.hub.functions
    existing = hub.modelIdByDigest(digest).call()
    if existing:
        model = _model(session, existing)
        raise UsageError(f"these bytes are already model {existing} ({model.name} v{model.version}, by {model.publisher})")
    named = hub.modelIdByName(session.me, session.protocol.w3.keccak(text=name)).call()
    if named and not new_version:
        version = _model(session, named).version
        raise UsageError(
            f"you already have a model named {name!r} (model {named}); "
            f"add --new-version to publish these bytes as its version {version + 1}"
        )
    if new_version and not named:
        raise UsageError(f"--new-version: you have no model named {name!r} to add a version to")
    zk_modes = _model(session, named).modes if named else mask  # a new version keeps the model's modes
    if named and zk_modes & model_metadata.MODES["zkml"]:  # (a new model's --modes was checked above)
        _zkml_ready(kind, signature)
    store = open_store(session.network.storage)
    fields = {
        "description": description.strip(),
        "format": kind,
        "size": size,
        "filename": path.name,
        **signature,
    }
    _encode(fields)  # too big for the chain: refuse before uploading anything
    if not context.OPTIONS.dry_run:  # a dry run uploads nothing and builds nothing: it shows the plan
        with diagnostics.progress_bar(f"uploading {path.name}", size) as advance:
            stored = store.put_file(path, advance)
        if stored != cid:
            raise StorageError(f"{path.name} changed while it was being pushed; nothing was published")
        locator = store.locator(cid)
        if locator:
            fields["ipfs"] = locator
        if zk_modes & model_metadata.MODES["zkml"]:
            fields["zkml"] = _publish_circuit(path, signature, store)
    metadata = _encode(fields)

    rows = [("name", name), ("CID", cid), ("size", f"{size:,} bytes"), ("format", kind)]
    if signature:
        rows += [("inputs", model_metadata.signature_text(signature["inputs"])),
                 ("outputs", model_metadata.signature_text(signature["outputs"]))]
    if named:
        old = _model(session, named)
        plan = Plan(
            action=f"publish {name} v{old.version + 1}",
            call=hub.publishVersion(named, cid, digest, metadata),
            rows=(("model", str(named)), *rows, ("price", f"{_fmt(old.price_wei)} OPG per call (unchanged)")),
        )
    else:
        plan = Plan(
            action=f"publish model {name}",
            call=hub.publish(cid, digest, name, price_wei, mask, metadata),
            rows=(*rows, ("price", f"{_fmt(price_wei)} OPG per call"),
                  ("modes", ", ".join(model_metadata.mode_names(mask)))),
        )
    outcome = session.send(plan)
    model_id = named or (_published_id(session, outcome.tx_hash) if outcome.sent else None)
    data = {**outcome.to_json(), "model_id": model_id, "cid": cid, "name": name,
            "version": (_model(session, model_id).version if outcome.sent else None)}

    def human() -> None:
        from ogcli.receipt import report

        if not outcome.sent:
            report(outcome)
            return
        print(f"model {model_id}: {name} v{data['version']}")
        print(f"CID {cid}")
        print(f"sent {outcome.tx_hash}, mined in block {outcome.block_number}")

    output.emit(data, human)


def _zkml_ready(kind: str, signature: dict) -> None:
    """zkml mode is promised only for what can be proven here: an ONNX model with one input of
    fixed shape, on a machine with ezkl (refused before anything is uploaded or sent)."""
    from ogcli.verify import zkml

    if kind != "onnx":
        raise UsageError("--modes zkml needs an ONNX model")
    if not zkml.available():
        raise UsageError("--modes zkml needs ezkl, which is not installed here: pip install 'ogcli[zkml]'")
    shapes = [t["shape"] for t in signature["inputs"]]
    if len(shapes) != 1 or any(not isinstance(d, int) or d < 1 for d in shapes[0]):
        raise UsageError(f"--modes zkml needs a model with one input of fixed shape; this one takes {shapes}")


def _publish_circuit(path: Path, signature: dict, store) -> dict:
    """Builds the model's zkML circuit and stores its files; the metadata's `zkml` block."""
    import tempfile

    from ogcli import diagnostics
    from ogcli.verify import zkml

    with tempfile.TemporaryDirectory(prefix="ogcli-circuit-") as work:
        with diagnostics.spinner("building the zkML circuit (settings, a locally generated SRS, keys)"):
            try:
                circuit = zkml.build_circuit(path, [t["shape"] for t in signature["inputs"]], Path(work))
            except zkml.ZkmlError as exc:
                raise UsageError(str(exc)) from None
        return zkml.publish(circuit, store, [t["name"] for t in signature["inputs"]],
                            [t["name"] for t in signature["outputs"]])


@app.command("list")
def list_(
    publisher: Annotated[str, typer.Option("--publisher", help="Only this publisher's models.")] = "",
    search: Annotated[str, typer.Option("--search", help="Text in the name or description.")] = "",
    sort: Annotated[str, typer.Option("--sort", help=f"One of: {', '.join(SORT_KEYS)}.")] = "id",
    active: Annotated[bool, typer.Option("--active", help="Hide deprecated models.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = 100,
) -> None:
    """Models on the hub with price, calls, earnings and modes; filter by publisher or text, sort
    by calls, earnings or price (highest first).

    Example: ogcli model list --sort calls --search volatility
    """
    from ogcli.chain.models import list_models
    from ogcli.chain.network import open_reader

    if sort not in SORT_KEYS:
        raise UsageError(f"--sort takes one of {', '.join(SORT_KEYS)}, not {sort!r}")
    who = parsing.address(publisher) if publisher else None
    models = list_models(open_reader(context.resolve_network()))
    needle = search.strip().lower()
    rows = [
        _summary(m)
        for m in models
        if (who is None or m.publisher == who)
        and (not needle or needle in m.name.lower() or needle in str(m.metadata.get("description", "")).lower())
        and not (active and m.deprecated)
    ]
    key = {"id": lambda r: -r["id"], "calls": lambda r: r["calls"], "earnings": lambda r: int(r["earned_wei"]),
           "price": lambda r: int(r["price_wei"])}[sort]
    rows.sort(key=key, reverse=True)
    rows = rows[:limit]
    output.emit({"models": rows}, lambda: _render_list(rows))


@app.command()
def show(model_id: ModelId) -> None:
    """One model: metadata, input/output signature, versions, price history, calls, earnings and
    supported modes.

    Example: ogcli model show 1
    """
    from ogcli.chain.models import model_history
    from ogcli.chain.network import open_reader

    model, events = model_history(open_reader(context.resolve_network()), model_id)
    history = []
    for e in events:
        entry = {"time": e.timestamp, "event": e.name, "tx": e.tx_hash}
        if e.name == "ModelPublished":
            entry.update(price_wei=str(e.args["pricePerCall"]), cid=e.args["cid"], version=1)
        elif e.name == "ModelVersionPublished":
            entry.update(version=e.args["version"], cid=e.args["cid"])
        elif e.name == "PriceChanged":
            entry.update(old_price_wei=str(e.args["oldPrice"]), price_wei=str(e.args["newPrice"]),
                         effective_at=e.args["effectiveAt"])
        elif e.name == "ModelTransferred":
            entry.update(**{"from": e.args["from"], "to": e.args["to"]})
        history.append(entry)
    data = {**_summary(model), "sha256": "0x" + model.sha256.hex(), "metadata": model.metadata,
            "published_at": model.published_at, "history": history}
    output.emit(data, lambda: _render_show(data))


@app.command()
def pull(
    model_id: ModelId,
    out: Annotated[Optional[Path], typer.Option("-o", "--output", help="Where to write it (default: ./NAME.onnx).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Download a model's bytes from the profile's storage and verify them against the CID on
    chain; a mismatch is refused and nothing is written.

    Example: ogcli model pull 1 -o eth-vol.onnx
    """
    from ogcli import diagnostics
    from ogcli.chain.network import open_protocol
    from ogcli.storage.blobs import StorageError, open_store
    from ogcli.storage.cid import digest_of_cid

    network = context.resolve_network()
    model = _find(open_protocol(network), model_id)
    metadata = model.metadata
    suffix = ".onnx" if metadata.get("format", "onnx") == "onnx" else ""
    target = out or Path(f"{model.name}{suffix}")
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to overwrite it")
    if digest_of_cid(model.cid) != model.sha256:
        raise StorageError(f"model {model_id}'s CID and sha-256 on chain disagree; refusing to trust either")
    store = open_store(network.storage)
    if metadata.get("ipfs") and hasattr(store, "hint"):
        store.hint(model.cid, metadata["ipfs"])
    with diagnostics.progress_bar(f"downloading {model.name}", int(metadata.get("size", 0)) or 1) as advance:
        size = store.fetch_to(model.cid, target, advance)
    data = {"model_id": model_id, "path": str(target.resolve()), "cid": model.cid, "size": size, "verified": True}
    output.emit(data, lambda: print(f"{target}: {size:,} bytes, sha-256 matches {model.cid}"))


@app.command("set-price")
def set_price(
    model_id: ModelId,
    price: Annotated[str, typer.Argument(help="New OPG per call.", show_default=False)],
    password_file: PasswordFile = None,
) -> None:
    """Change what a call to your model costs. A cut applies at once; a rise to calls settled an
    hour from now (ModelHub.TERMS_DELAY), so that calls nodes answered at the old price settle at it.

    Example: ogcli model set-price 1 0.25 --yes
    """
    from ogcli.chain.tx import Plan

    price_wei = _price(price)
    session = WriteSession.open(password_file)
    model = _own(session, model_id)
    if price_wei == model.price_wei:
        raise UsageError(f"model {model_id} already costs {_fmt(price_wei)} OPG per call")
    from ogcli.core.units import format_utc

    hub = session.protocol.hub.functions
    now = session.protocol.w3.eth.get_block("latest")["timestamp"]
    in_force = hub.priceAt(model_id, now).call()
    applies = (f"to calls settled from {format_utc(now + hub.TERMS_DELAY().call())} (a rise waits an hour)"
               if price_wei > in_force else "at once (a cut)")
    session.run(
        Plan(
            action=f"set the price of {model.name} to {_fmt(price_wei)} OPG",
            call=hub.setPrice(model_id, price_wei),
            rows=(("model", f"{model_id} {model.name}"), ("price", f"{_fmt(in_force)} -> {_fmt(price_wei)} OPG per call"),
                  ("applies", applies)),
        )
    )


@app.command()
def deprecate(model_id: ModelId, password_file: PasswordFile = None) -> None:
    """Stop new calls to your model for good (nodes at once; calls they answered before still
    settle for an hour); earnings already credited stay withdrawable.

    Example: ogcli model deprecate 3 --yes
    """
    from ogcli.chain.tx import Plan

    session = WriteSession.open(password_file)
    model = _own(session, model_id)
    if model.deprecated:
        raise UsageError(f"model {model_id} is deprecated already")
    session.run(
        Plan(
            action=f"deprecate {model.name}",
            call=session.protocol.hub.functions.deprecate(model_id),
            rows=(("model", f"{model_id} {model.name}"), ("calls so far", str(model.calls))),
            warnings=("a deprecated model takes no new calls, and this cannot be undone",),
        )
    )


@app.command()
def earnings(
    model_id: Annotated[Optional[int], typer.Argument(help="One model (default: all of yours).", show_default=False)] = None,
    address: Annotated[str, typer.Option("--address", help="Publisher (default: the active account).")] = "",
) -> None:
    """What your models have earned: calls and OPG per model, and what you can withdraw now.

    Example: ogcli model earnings
    """
    from ogcli.chain.models import list_models
    from ogcli.chain.network import open_protocol
    from ogcli.signing import signer_address

    network = context.resolve_network()
    me = parsing.address(address) if address else signer_address(network)
    protocol = open_protocol(network)
    if model_id is not None:
        mine = [_find(protocol, model_id)]
    else:
        mine = [m for m in list_models(protocol) if m.publisher == me]
    withdrawable = protocol.hub.functions.earningsOf(me).call()
    data = {
        "publisher": me,
        "withdrawable_wei": str(withdrawable),
        "models": [{"id": m.id, "name": m.name, "calls": m.calls, "earned_wei": str(m.earned_wei)} for m in mine],
    }

    def human() -> None:
        rows = [(f"{m.id} {m.name}", f"{m.calls} calls, {_fmt(m.earned_wei)} OPG") for m in mine]
        output.kv_table(rows + [("withdrawable", f"{_fmt(withdrawable)} OPG (`ogcli model withdraw`)")])

    output.emit(data, human)


@app.command()
def withdraw(password_file: PasswordFile = None) -> None:
    """Withdraw every OPG your models have earned to your wallet.

    Example: ogcli model withdraw --yes
    """
    from ogcli.chain.tx import BalanceChange, Plan

    session = WriteSession.open(password_file)
    amount = session.protocol.hub.functions.earningsOf(session.me).call()
    if amount == 0:
        raise UsageError("your models have no earnings to withdraw")
    held = session.token.balanceOf(session.me).call()
    session.run(
        Plan(
            action=f"withdraw {_fmt(amount)} OPG of model earnings",
            call=session.protocol.hub.functions.withdraw(),
            rows=(("amount", f"{_fmt(amount)} OPG"),),
            balance_changes=(BalanceChange("OPG (wallet)", held, held + amount),),
        )
    )


# ---------------------------------------------------------------------- helpers


def _readable_file(file: Path) -> Path:
    if not file.is_file():
        raise UsageError(f"{file} is not a file")
    if file.stat().st_size == 0:
        raise UsageError(f"{file} is empty")
    return file


def _model_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise UsageError(f"--name must be 1 to {MAX_NAME} printable characters, not {name!r}")
    return name


def _price(text: str) -> int:
    from ogcli.chain.models import MAX_PRICE_PER_CALL_WEI

    wei = parsing.amount(text, allow_zero=True)
    if wei > MAX_PRICE_PER_CALL_WEI:
        raise UsageError(f"a price of {_fmt(wei)} OPG per call is above ModelHub's limit of {_fmt(MAX_PRICE_PER_CALL_WEI)}")
    return wei


def _modes(text: str) -> int:
    from ogcli.core.model_metadata import parse_modes

    try:
        return parse_modes(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _upstream_descriptor(path: Path) -> None:
    from ogcli.node.upstream import parse_descriptor

    try:
        parse_descriptor(path.read_bytes())
    except ValueError as exc:
        raise UsageError(f"{path.name}: {exc}") from None


def _format(text: str, path: Path) -> str:
    if text not in ("auto", "onnx", "raw", "openai-upstream"):
        raise UsageError(f"--format takes auto, onnx, openai-upstream or raw, not {text!r}")
    if text == "auto":
        return "onnx" if path.suffix.lower() == ".onnx" else "raw"
    return text


def _inspect(path: Path) -> dict:
    from ogcli.storage.onnx_file import NotOnnxError, inspect

    try:
        return inspect(path)
    except NotOnnxError as exc:
        raise UsageError(f"{exc} (push other files with --format raw)") from None


def _encode(fields: dict) -> str:
    from ogcli.core import model_metadata

    try:
        return model_metadata.encode(fields)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _model(session: WriteSession, model_id: int):
    from ogcli.chain.models import model_from

    return model_from(session.protocol.hub.functions.getModel(model_id).call())


def _find(protocol, model_id: int):
    from ogcli.chain.models import find_model

    return find_model(protocol, model_id)


def _own(session: WriteSession, model_id: int):
    model = _find(session.protocol, model_id)
    if model.publisher != session.me:
        raise UsageError(f"model {model_id} is published by {model.publisher}, not by {session.me}")
    return model


def _published_id(session: WriteSession, tx_hash: str) -> int:
    from web3.logs import DISCARD

    receipt = session.protocol.w3.eth.get_transaction_receipt(tx_hash)
    return session.protocol.hub.events.ModelPublished().process_receipt(receipt, errors=DISCARD)[0]["args"]["modelId"]


def _summary(model) -> dict:
    from ogcli.core.model_metadata import mode_names

    return {
        "id": model.id,
        "name": model.name,
        "publisher": model.publisher,
        "version": model.version,
        "price_wei": str(model.price_wei),
        "modes": mode_names(model.modes),
        "calls": model.calls,
        "earned_wei": str(model.earned_wei),
        "deprecated": model.deprecated,
        "cid": model.cid,
        "description": str(model.metadata.get("description", "")),
    }


def _render_list(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(title="models", title_justify="left")
    for column, justify in (("id", "right"), ("name", "left"), ("ver", "right"), ("price OPG", "right"),
                            ("calls", "right"), ("earned OPG", "right"), ("modes", "left"), ("publisher", "left")):
        table.add_column(column, justify=justify, no_wrap=justify == "right")
    for r in rows:
        name = r["name"] + (" [dim](deprecated)[/]" if r["deprecated"] else "")
        table.add_row(str(r["id"]), name, str(r["version"]), _fmt(int(r["price_wei"])), str(r["calls"]),
                      _fmt(int(r["earned_wei"])), ",".join(r["modes"]), r["publisher"][:10] + "…")
    if not rows:
        table.caption = "no models match"
    output.console().print(table)


def _render_show(data: dict) -> None:
    from ogcli.core.model_metadata import signature_text
    from ogcli.core.units import format_utc

    meta = data["metadata"]
    rows = [
        ("model", f"{data['id']} {data['name']} v{data['version']}" + (" (deprecated)" if data["deprecated"] else "")),
        ("publisher", data["publisher"]),
        ("description", meta.get("description", "-")),
        ("price", f"{_fmt(int(data['price_wei']))} OPG per call"),
        ("modes", ", ".join(data["modes"])),
        ("calls", str(data["calls"])),
        ("earned", f"{_fmt(int(data['earned_wei']))} OPG"),
        ("CID", data["cid"]),
        ("size", f"{meta['size']:,} bytes" if "size" in meta else "-"),
        ("format", meta.get("format", "-")),
    ]
    if meta.get("inputs"):
        rows += [("inputs", signature_text(meta["inputs"])), ("outputs", signature_text(meta.get("outputs", [])))]
    if meta.get("uri"):
        rows.append(("metadata", meta["uri"]))
    output.kv_table(rows)
    from rich.table import Table

    table = Table(title="history", title_justify="left")
    table.add_column("when")
    table.add_column("what")
    for h in data["history"]:
        what = {
            "ModelPublished": lambda h: f"published v1 at {_fmt(int(h['price_wei']))} OPG",
            "ModelVersionPublished": lambda h: f"version {h['version']}: {h['cid']}",
            "PriceChanged": lambda h: (f"price {_fmt(int(h['old_price_wei']))} -> {_fmt(int(h['price_wei']))} OPG"
                                       f" from {format_utc(h['effective_at'])}"),
            "ModelDeprecated": lambda h: "deprecated",
            "ModelTransferred": lambda h: f"transferred to {h['to']}",
        }[h["event"]](h)
        table.add_row(format_utc(h["time"]), what)
    output.console().print(table)


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)
