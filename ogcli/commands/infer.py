"""`ogcli infer`: paid, signed inference from the terminal, and receipts anyone can check."""

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ogcli import context, output, parsing
from ogcli.appfactory import new_app
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app(
    "Inference: chat and ONNX calls paid with x402, each with an on-chain receipt.\n\n"
    'Example: ogcli infer chat --model ogcli-tiny-chat "what is a receipt?"'
)

ModelRef = Annotated[str, typer.Option("--model", help="Model id or name (see `ogcli model list`).", show_default=False)]
Mode = Annotated[str, typer.Option("--mode", help="auto (HACA routing), vanilla, tee (signed in an enclave) or zkml (with a proof).")]
Value = Annotated[str, typer.Option("--value", help="OPG riding on the answer, for --mode auto.")]
LatencyMs = Annotated[Optional[int], typer.Option("--latency-ms", min=1, help="Latency budget in ms, for --mode auto.")]
NodeUrl = Annotated[str, typer.Option("--node", help="Node URL (default: the profile's node_url, else the best-bonded "
                                                     "active endpoint on chain; `ogcli network status` says which).")]
MaxPrice = Annotated[str, typer.Option("--max-price", help="Refuse to pay more than this many OPG per call.")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the settlement transaction.")]
Pay = Annotated[str, typer.Option("--pay", help="auto (your channel with the node if you have one open, else exact), "
                                               "exact (an authorization per call) or channel (a voucher on your "
                                               "channel, opening it with a deposit if need be).")]


@app.command()
def run(
    model: ModelRef,
    input_: Annotated[str, typer.Option("--input", help="Inputs as JSON, or @FILE.", show_default=False)],
    mode: Mode = "auto",
    value: Value = "0",
    latency_ms: LatencyMs = None,
    node: NodeUrl = "",
    max_price: MaxPrice = "",
    pay: Pay = "auto",
    no_wait: NoWait = False,
    password_file: PasswordFile = None,
) -> None:
    """Run an ONNX model from the hub on a node, pay for the call, and print the outputs with the
    settlement transaction.

    Example: ogcli infer run --model 2 --input '{"features": [[0.1, 0.2, 0.3, 0.4]]}' --yes
    """
    inputs = _inputs(input_)
    if isinstance(inputs, list):  # a bare tensor: the model's one input
        inputs = {_single_input_name(model): inputs}
    call = _Call.open(node, max_price, password_file, pay)
    body = {"model": _model_ref(model), "inputs": inputs, "mode": call.mode(mode, body_model=_model_ref(model), value=value, latency_ms=latency_ms)}
    answer = call.pay("/v1/infer", body, f"run model {model}")
    if answer is None:
        return
    data = answer.json()
    result = call.finish(data["receipt"], no_wait)
    # What the record's hashes are computed over, so that `infer verify --response` can redo them.
    result.update(model=data["model"], outputs=data["outputs"], input={"model": data["model"], "inputs": inputs},
                  output=data["outputs"])
    if "proof" in data:  # a ZKML call: keep the proof, so that `infer verify --response` checks it
        result["proof"] = data["proof"]
    output.emit(result, lambda: _print_run(result))


@app.command()
def chat(
    prompt: Annotated[str, typer.Argument(help="What to ask; - reads it from stdin, @FILE from a file.",
                                          show_default=False)],
    model: Annotated[str, typer.Option("--model", help="Chat model id or name (default: the profile's default_model, "
                                                        "else the network's only chat model).", show_default=False)] = "",
    mode: Mode = "auto",
    value: Value = "0",
    latency_ms: LatencyMs = None,
    node: NodeUrl = "",
    max_price: MaxPrice = "",
    pay: Pay = "auto",
    no_wait: NoWait = False,
    password_file: PasswordFile = None,
) -> None:
    """Ask a chat model on a node (OpenAI-compatible), pay for the call, and print the answer with
    the settlement transaction.

    Example: ogcli infer chat --model ogcli-tiny-chat "what does a receipt prove?" --yes
    """
    prompt = _prompt(prompt)
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    model = model or context.resolve_network().default_model or _only_chat_model()
    call = _Call.open(node, max_price, password_file, pay)
    body = {"model": _model_ref(model), "messages": [{"role": "user", "content": prompt}],
            "mode": call.mode(mode, body_model=_model_ref(model), value=value, latency_ms=latency_ms)}
    answer = call.pay("/v1/chat/completions", body, f"chat with {model}")
    if answer is None:
        return
    data = answer.json()
    result = call.finish(data["ogcli"], no_wait)
    message = data["choices"][0]["message"]
    result.update(model=data["model"], chat_output=message, output=message,
                  input={"model": data["ogcli"]["modelId"], "messages": body["messages"]})
    output.emit(result, lambda: _print_chat(result))


@app.command()
def route(
    model: ModelRef,
    value: Value = "0",
    latency_ms: LatencyMs = None,
    node: NodeUrl = "",
) -> None:
    """Explain the HACA routing decision for a call: the mode `--mode auto` would use and why,
    from the model's and the node's modes, the value at stake, the latency budget and the
    profile's routing policy.

    Example: ogcli infer route --model 1 --value 5000 --latency-ms 200
    """
    from ogcli.chain.network import open_protocol
    from ogcli.sdk.discovery import pick_node

    network = context.resolve_network()
    protocol = open_protocol(network)
    picked = pick_node(protocol, network, node, parsing.amount(value, allow_zero=True))
    url, node_reasons = picked.url, picked.reasons
    decision = _route(protocol, network, url, _model_ref(model), value, latency_ms)
    data = {"mode": decision.mode, "reasons": list(decision.reasons), "candidates": list(decision.candidates),
            "policy": network.routing or "balanced", "node": url, "node_reasons": list(node_reasons)}
    lines = [f"node: {url}", *(f"  - {r}" for r in node_reasons), f"mode: {decision.mode}",
             *(f"  - {r}" for r in decision.reasons)]
    output.emit(data, lambda: print("\n".join(lines)))


@app.command()
def verify(
    ref: Annotated[str, typer.Argument(help="Request id or settlement transaction hash; `last`: your newest settled call.",
                                       show_default=False)],
    response: Annotated[
        str, typer.Option("--response", help="A saved `--json` answer of infer run/chat, to check its input and output too.")
    ] = "",
    node: Annotated[
        str, typer.Option("--node", help="Fetch the enclave's attestation document here (default: its registered endpoint).")
    ] = "",
) -> None:
    """Re-check a settled call from chain alone: the stored record, the enclave's signature, its
    registration, its measurement's approval at the time, the payment split; with --response,
    that the answer you hold is the one the record commits to. Exit 1 if any check fails, 6 if
    none failed but one could not be run here (then the call is unverified, never verified).

    Example: ogcli infer verify 0x5c1d...e8 --response answer.json
    """
    from ogcli.chain.network import open_protocol
    from ogcli.core.receipt_checks import FAILED, UNVERIFIED, VERIFIED, checks, verdict
    from ogcli.errors import ExitCode
    from ogcli.verify import calls

    saved = _saved_response(response) if response else None
    network = context.resolve_network()
    protocol = open_protocol(network)
    if ref.strip().lower() == "last":
        ref = _last_call(protocol, network)
    call = _find_call(protocol, ref)
    if isinstance(call, list):  # committed in a batch (paid by channel): the first record of it judged
        call, again = call[0], call[1:]
        results = checks(calls.batch_facts(protocol, call, saved, node, again))
        where = {"batch_id": call.batch.batch_id, "batch_index": call.index, "record_id": None,
                 "transaction_hash": call.batch.tx_hash, "model_id": call.record.model_id, "payer": call.payer,
                 "request_id": "0x" + call.record.request_id.hex(), "scheme": "batch-settlement",
                 "attestations": calls.batch_verdicts(protocol, call), "bond": calls.batch_bond(protocol, call)}
    else:
        results = checks(calls.record_facts(protocol, call, saved, node))
        where = {"record_id": call.record_id, "transaction_hash": call.tx_hash, "model_id": call.record["modelId"],
                 "payer": call.payer, "request_id": "0x" + bytes(call.record["requestId"]).hex(), "scheme": "exact",
                 "bond": calls.record_bond(protocol, call)}
    state = verdict(results)
    data = {
        "verified": state == VERIFIED,
        "state": state,
        **where,
        "checks": [{"name": c.name, "ok": c.ok, "status": c.status, "ran": c.ran, "detail": c.detail} for c in results],
    }
    output.emit(data, lambda: _print_checks(data))
    if state == FAILED:
        raise typer.Exit(ExitCode.ERROR)
    if state == UNVERIFIED:
        raise typer.Exit(ExitCode.UNVERIFIED)


@app.command()
def receipts(
    payer: Annotated[str, typer.Option("--payer", help="Whose calls (default: the active account).")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest first, at most this many.")] = 20,
) -> None:
    """Your settled calls, newest first: model, fee, time and the settlement transaction; calls
    paid by channel are listed from the batches that committed them (every channel the chain
    says you opened to the settlement, however it was opened).

    Example: ogcli infer receipts --limit 5
    """
    from ogcli.chain.network import open_reader
    from ogcli.signing import signer_address

    network = context.resolve_network()
    protocol = open_reader(network)
    who = parsing.address(payer) if payer else signer_address(network)
    rows = _receipt_rows(protocol, network, who, limit)
    output.emit({"payer": who, "receipts": rows}, lambda: _print_receipts(rows))


def _receipt_rows(protocol, network, who: str, limit: int) -> list[dict]:
    """`who`'s settled calls, newest first, at most `limit`: those settled alone (exact) and
    those committed in batches (channels)."""
    from ogcli.chain.batches import calls_of_payer
    from ogcli.chain.receipts import by_payer

    placed = [  # (block, log index) orders calls of one second too
        ((c.block, c.log_index),
         {"record_id": c.record_id, "batch_id": None, "request_id": "0x" + bytes(c.record["requestId"]).hex(),
          "model_id": c.record["modelId"], "mode": c.record["mode"], "fee_wei": str(c.fee_wei), "node": c.node,
          "settled_at": c.settled_at, "transaction_hash": c.tx_hash, "scheme": "exact"})
        for c in by_payer(protocol, who, limit)
    ]
    placed += [
        ((c.batch.block, c.batch.log_index),
         {"record_id": None, "batch_id": c.batch.batch_id, "request_id": "0x" + c.record.request_id.hex(),
          "model_id": c.record.model_id, "mode": c.record.mode, "fee_wei": str(c.record.fee_wei), "node": c.batch.node,
          "settled_at": c.batch.committed_at, "transaction_hash": c.batch.tx_hash, "scheme": "batch-settlement"})
        for c in calls_of_payer(protocol, who, _channel_ids(protocol, network, who))
    ]
    return [row for _at, row in sorted(placed, key=lambda p: p[0], reverse=True)][:limit]


def _channel_ids(protocol, network, payer: str) -> list[bytes]:
    """The payer's channels to look for: every one the chain says it opened to the settlement
    (ChannelCreated), those in its channel index, and the one the official client builds with
    each of the network's nodes (its operator the receiver authorizer, the reference node's
    withdraw delay), which a node may have opened without a log of its own yet."""
    from ogcli import channel_index
    from ogcli.chain.batch_settlement import BATCH_SETTLEMENT_ADDRESS
    from ogcli.chain.channels import channels_opened_by
    from ogcli.core.channel_terms import MIN_WITHDRAW_DELAY_S, ChannelTerms, client_channel
    from ogcli.sdk.discovery import node_offers

    ids = {bytes.fromhex(c.channel_id[2:]) for c in channel_index.channels_of(network.chain_id, payer)}
    ids.update(channels_opened_by(protocol, payer))
    for offer in node_offers(protocol):
        terms = ChannelTerms(offer.url, protocol.settlement.address, protocol.token.address, offer.operator,
                             MIN_WITHDRAW_DELAY_S, None)
        ids.add(client_channel(payer, terms, network.chain_id, BATCH_SETTLEMENT_ADDRESS)[1])
    return sorted(ids)


# ---------------------------------------------------------------------- helpers


class _Call:
    """The network, payer and node of one paid call."""

    def __init__(self, network, protocol, account, client) -> None:
        self.network, self.protocol, self.account, self.client = network, protocol, account, client
        self.price_wei, self.offer = 0, None

    @classmethod
    def open(cls, node: str, max_price: str, password_file, pay: str = "auto") -> "_Call":
        from ogcli import channel_index
        from ogcli.chain.network import open_protocol
        from ogcli.sdk.discovery import pick_node
        from ogcli.sdk.paid_http import PAYMENTS, PaidClient
        from ogcli.signing import unlock_signer

        if pay not in PAYMENTS:
            raise UsageError(f"--pay takes {', '.join(PAYMENTS)}, not {pay!r}")
        limit = parsing.amount(max_price, allow_zero=True) if max_price else None
        network = context.resolve_network()
        protocol = open_protocol(network)
        url = pick_node(protocol, network, node).url
        account = unlock_signer(network, password_file)
        client = PaidClient(url, account, chain_id=network.chain_id, token=protocol.token.address,
                            settlement=protocol.settlement.address, tills=protocol.tills.address,
                            max_price_wei=limit, payment=pay, rpc_url=protocol.rpc.url, channel_state_dir=channel_index.client_state_dir(network.chain_id))
        return cls(network, protocol, account, client)

    def mode(self, mode: str, *, body_model, value: str, latency_ms) -> str:
        """The mode to ask for: as given, or routed (HACA) when `auto`."""
        from ogcli import diagnostics

        if mode != "auto":
            return mode
        decision = _route(self.protocol, self.network, self.client.base_url, body_model, value, latency_ms)
        diagnostics.note(f"routing: {decision.mode} ({decision.reasons[-2] if len(decision.reasons) > 1 else decision.reasons[-1]})")
        return decision.mode

    def pay(self, path: str, body: dict, action: str):
        """The node's answer once paid; None after a --dry-run (nothing paid)."""
        from ogcli.confirm import confirm
        from ogcli.core.amounts import format_amount

        class DryRun(Exception):
            pass

        def approve(offer) -> None:
            self.price_wei, self.offer = offer.amount_wei, offer
            price = f"{format_amount(offer.amount_wei, group=True)} OPG"
            how = ""
            if offer.scheme != "exact":
                how = (f", paid from your channel {offer.channel_id[:10]}… after depositing "
                       f"{format_amount(offer.deposit_wei, group=True)} OPG into it" if offer.deposit_wei
                       else f", paid by a voucher on your channel {offer.channel_id[:10]}…")
            if context.OPTIONS.dry_run:
                output.emit({"sent": False, "price_wei": str(offer.amount_wei), "node": self.client.base_url,
                             "scheme": offer.scheme, "deposit_wei": str(offer.deposit_wei)},
                            lambda: print(f"dry run: {action} would cost {price}{how}; nothing was paid"))
                raise DryRun
            confirm(f"{action} on {self.client.base_url} for {price}{how} (signed by {self.account.address})?",
                    yes=context.OPTIONS.yes)

        try:
            return self.client.post(path, body, approve)
        except DryRun:
            return None

    def finish(self, receipt: dict, no_wait: bool) -> dict:
        from ogcli import diagnostics

        request_id = receipt["requestId"]
        scheme = receipt.get("settlement", {}).get("scheme", "exact")
        result = {"request_id": request_id, "price_wei": str(self.price_wei), "payer": self.account.address,
                  "node": self.client.base_url, "receipt": receipt, "transaction_hash": None, "record_id": None,
                  "settlement": "pending", "scheme": scheme}
        if scheme != "exact":  # committed with the node's next batch, up to its --channel-wait later
            result.update(channel=receipt["settlement"].get("channel"),
                          deposit_wei=str(self.offer.deposit_wei if self.offer else 0))
            return result
        answered = receipt.get("settlement", {})
        if answered.get("state") == "settled":  # a node answers an exact call once its settlement is mined
            result.update(transaction_hash=answered.get("tx_hash"), record_id=answered.get("record_id"),
                          settlement="settled")
            return result
        if not no_wait:
            from ogcli.errors import OgcliError

            try:
                with diagnostics.spinner("waiting for the settlement transaction"):
                    settled = self.client.wait_settled(request_id)
            except OgcliError as exc:  # the answer is the user's all the same: shown, then the warning
                note = f"answered, settlement pending ({exc}): `ogcli infer receipts` shows it later"
                diagnostics.warn(note)
                result["settlement_note"] = note  # what --json says in the warning's place
                return result
            result.update(transaction_hash=settled["tx_hash"], record_id=settled["record_id"], settlement=settled["state"])
            if settled["state"] == "failed":
                diagnostics.warn(f"the node could not settle this call: {settled['error']}")
        return result


def _route(protocol, network, node_url: str, model_ref, value: str, latency_ms):
    import httpx

    from ogcli.core.model_metadata import mode_names
    from ogcli.core.routing import NoRoute, Policy, route

    stake = parsing.amount(value, allow_zero=True)
    model = _find_model(protocol, model_ref)
    try:
        health = httpx.get(f"{node_url.rstrip('/')}/health", timeout=10).json()
        node_modes = health.get("modes", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        from ogcli.errors import NetworkError

        raise NetworkError(f"cannot reach the node at {node_url}") from None
    bond = _node_bond(protocol, health.get("operator"))
    try:
        return route(mode_names(model.modes), node_modes, stake, latency_ms, Policy(name=network.routing or "balanced"),
                     bond_wei=bond)
    except NoRoute as exc:
        raise UsageError(str(exc)) from None


def _node_bond(protocol, operator) -> int | None:
    """The free bond (what can back a new call) of the operator a node's /health names (None when
    it names none we can read)."""
    from ogcli.chain.bonds import read_bonds

    try:
        address = parsing.address(operator) if isinstance(operator, str) else None
    except UsageError:
        return None
    return read_bonds(protocol, [address])[address].free_wei if address else None


def _last_call(protocol, network) -> str:
    """The request id of the active account's newest settled call."""
    from ogcli.signing import signer_address

    who = signer_address(network)
    rows = _receipt_rows(protocol, network, who, 1)
    if not rows:
        raise UsageError(f"{who} has no settled call on this network yet (`ogcli infer receipts` lists them)")
    return rows[0]["request_id"]


def _find_call(protocol, ref: str):
    """The call `ref` names: a record settled alone (chain.receipts.SettledCall), or the calls of
    committed batches with that request id (a list of chain.batches.BatchCall, oldest first), by
    request id or transaction hash."""
    from ogcli.chain import batches, receipts

    try:
        return receipts.find(protocol, ref)
    except UsageError as not_a_record:
        text = ref.strip().lower()
        if not (text.startswith("0x") and len(text) == 66):
            raise
        found = batches.find(protocol, bytes.fromhex(text[2:]))
        if not found:
            raise UsageError(f"{ref} names no settled call: neither a record, a call committed in a batch, nor a "
                             "settlement transaction on this network") from not_a_record
        return found


def _saved_response(path_text: str) -> dict:
    path = Path(path_text)
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"--response {path}: not a readable JSON file ({exc})") from None
    data = document.get("data", document) if isinstance(document, dict) else None
    if not isinstance(data, dict) or "input" not in data or "output" not in data:
        raise UsageError(f"--response {path}: expected the --json output of `ogcli infer run` or `infer chat`")
    return data


def _print_checks(data: dict) -> None:
    marks = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "n/a": "[dim]n/a[/]",
             "unverified": "[yellow]not run[/]"}
    output.kv_table([(c["name"], f"{marks[c['status']]}  {c['detail']}") for c in data["checks"]])
    failed = sum(1 for c in data["checks"] if c["status"] == "fail")
    not_run = sum(1 for c in data["checks"] if c["status"] == "unverified")
    verdicts = {
        "verified": "verified",
        "failed": f"[bold red]NOT verified[/] ({failed} check{'s' if failed != 1 else ''} failed)",
        "unverified": f"[yellow]unverified[/] ({not_run} check{'s' if not_run != 1 else ''} could not be run here)",
    }
    _print_attestations(data)
    _print_bond(data)
    where = (f"record {data['record_id']}" if data["record_id"] is not None
             else f"batch {data['batch_id']} record {data['batch_index']}")
    output.console().print(f"{where} (request {data['request_id'][:18]}…): {verdicts[data['state']]}")


def _print_attestations(data: dict) -> None:
    """A batch call's verdicts so far (a record settled alone shows its own in `node disputes`)."""
    if "attestations" not in data:
        return
    given = data["attestations"]
    if not given:
        output.console().print("validators: no verdict on its batch yet")
        return
    colours = {"valid": "green", "invalid": "bold red", "uncheckable": "yellow"}
    verdicts = ", ".join(f"{a['validator']} [{colours[a['verdict']]}]{a['verdict']}[/]" for a in given)
    output.console().print(f"validators: {verdicts}")


def _print_bond(data: dict) -> None:
    import time

    from ogcli.core.amounts import format_amount

    bond = data.get("bond")
    if not bond:
        return
    amount = f"{format_amount(int(bond['bond_wei']), group=True)} OPG"
    until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(bond["disputable_until"]))
    console = output.console()
    if bond["disputed"]:
        console.print(f"the node {bond['node']} was slashed for this record; its payer was refunded from the bond")
    elif bond["ground"] is not None:  # the record itself is false: its node can be made to pay
        target = f"--record {data['record_id']}" if data["record_id"] is not None else f"--request {data['request_id']}"
        console.print(f"the node {bond['node']} has {amount} bonded: dispute it until {until} with "
                      f"`ogcli node dispute {target}` (the payer is refunded from the bond)")
    else:
        console.print(f"bond behind it: {amount} of node {bond['node']}, slashable for this record until {until}")


def _print_receipts(rows: list[dict]) -> None:
    from rich.table import Table

    from ogcli.core.amounts import format_amount
    from ogcli.core.units import format_utc

    table = Table(title="settled calls", title_justify="left")
    for column in ("record", "model", "fee OPG", "settled", "request id", "transaction"):
        table.add_column(column)
    for r in rows:
        where = str(r["record_id"]) if r["record_id"] is not None else f"batch {r['batch_id']}"
        table.add_row(where, str(r["model_id"]), format_amount(int(r["fee_wei"]), group=True),
                      format_utc(r["settled_at"]), r["request_id"][:18] + "…", r["transaction_hash"][:18] + "…")
    if not rows:
        table.caption = "no settled calls"
    output.console().print(table)


def _only_chat_model() -> str:
    """The name of the network's one live chat model, for `infer chat` without --model; with none
    or several, a one-line error naming them."""
    from ogcli.chain.models import list_models
    from ogcli.chain.network import open_protocol
    from ogcli.node import tiny_chat, upstream

    models = list_models(open_protocol(context.resolve_network()))
    chats = [m for m in models if not m.deprecated and m.metadata.get("format") in (tiny_chat.FORMAT, upstream.FORMAT)]
    if len(chats) == 1:
        return chats[0].name
    if not chats:
        raise UsageError("this network has no chat model; publish one or name an ONNX model with `infer run`")
    names = ", ".join(f"{m.name} ({m.id})" for m in chats)
    raise UsageError(f"give --model: this network has {len(chats)} chat models: {names}")


def _model_ref(text: str):
    text = text.strip()
    if not text:
        raise UsageError("--model is empty")
    return int(text) if text.isdigit() else text


def _prompt(text: str) -> str:
    """The prompt as given: `-` reads stdin to its end, `@FILE` a file (prompts longer than a
    command line); anything else is the prompt itself."""
    import sys

    if text == "-":
        return sys.stdin.read()
    if text.startswith("@") and len(text) > 1:
        path = Path(text[1:])
        if not path.is_file():
            raise UsageError(f"{path} is not a file")
        return path.read_text()
    return text


def _inputs(text: str) -> dict:
    raw = text
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise UsageError(f"{path} is not a file")
        raw = path.read_text()
    from ogcli.core.safe_json import JsonRefused, loads

    try:
        # Depth-limited: deep nesting overflows the standard parser's C stack (a crash, not an error).
        value = loads(raw)
    except JsonRefused as exc:
        raise UsageError(f"--input is not JSON this CLI takes: {exc}") from None
    if not isinstance(value, (dict, list)):
        raise UsageError('--input must be a JSON object of input name -> tensor, e.g. {"features": [[1, 2]]}, '
                         "or, for a model with one input, the tensor itself")
    return value


def _find_model(protocol, model_ref):
    """The model an id or a (live, unambiguous) name gives; UsageError otherwise."""
    from ogcli.chain.models import find_model, list_models

    if isinstance(model_ref, int):
        return find_model(protocol, model_ref)
    named = [m for m in list_models(protocol) if m.name == model_ref and not m.deprecated]
    if len(named) != 1:
        raise UsageError(f"{'no' if not named else 'more than one'} model named {model_ref!r}; give its id")
    return named[0]


def _single_input_name(ref: str) -> str:
    """The name of the model's one input (its signature, recorded on chain when it was pushed)."""
    from ogcli.chain.network import open_protocol

    model = _find_model(open_protocol(context.resolve_network()), _model_ref(ref))
    names = [t.get("name") for t in model.metadata.get("inputs", [])]
    if len(names) != 1 or not names[0]:
        listed = ", ".join(n for n in names if n) or "none recorded"
        raise UsageError(f"model {ref} takes {len(names)} inputs ({listed}): give --input as an object of name -> tensor")
    return names[0]


def _settlement_line(result: dict) -> str:
    if result["transaction_hash"]:
        return f"settled in {result['transaction_hash']} (record {result['record_id']})"
    if result.get("scheme", "exact") != "exact":
        return (f"paid by voucher on channel {result['channel']}; the node commits it with its next batch "
                f"(`ogcli infer verify {result['request_id']}` then)")
    return f"settlement pending; request {result['request_id']}"


def _print_run(result: dict) -> None:
    from ogcli.core.amounts import format_amount

    for name, value in result["outputs"].items():
        print(f"{name}: {json.dumps(value)}")
    if "proof" in result:
        print(f"zkML proof: {len(json.dumps(result['proof'])):,} bytes (check it with `ogcli infer verify --response` "
              "on this call's --json output)")
    print(f"paid {format_amount(int(result['price_wei']), group=True)} OPG; {_settlement_line(result)}")


def _print_chat(result: dict) -> None:
    from ogcli.core.amounts import format_amount

    print(result["chat_output"]["content"])
    print(f"paid {format_amount(int(result['price_wei']), group=True)} OPG; {_settlement_line(result)}", flush=True)

