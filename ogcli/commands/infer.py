"""`ogcli infer`: paid, signed inference from the terminal, and receipts anyone can check."""

import json
from pathlib import Path
from typing import Annotated

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
Mode = Annotated[str, typer.Option("--mode", help="tee (signed in an enclave) or vanilla.")]
NodeUrl = Annotated[str, typer.Option("--node", help="Node URL (default: the first active enclave's endpoint on chain).")]
MaxPrice = Annotated[str, typer.Option("--max-price", help="Refuse to pay more than this many OPG per call.")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Do not wait for the settlement transaction.")]


@app.command()
def run(
    model: ModelRef,
    input_: Annotated[str, typer.Option("--input", help="Inputs as JSON, or @FILE.", show_default=False)],
    mode: Mode = "tee",
    node: NodeUrl = "",
    max_price: MaxPrice = "",
    no_wait: NoWait = False,
    password_file: PasswordFile = None,
) -> None:
    """Run an ONNX model from the hub on a node, pay for the call, and print the outputs with the
    settlement transaction.

    Example: ogcli infer run --model 2 --input '{"features": [[0.1, 0.2, 0.3, 0.4]]}' --yes
    """
    inputs = _inputs(input_)
    call = _Call.open(node, max_price, password_file)
    body = {"model": _model_ref(model), "inputs": inputs, "mode": mode}
    answer = call.pay("/v1/infer", body, f"run model {model}")
    if answer is None:
        return
    data = answer.json()
    result = call.finish(data["receipt"], no_wait)
    result.update(model=data["model"], outputs=data["outputs"])
    output.emit(result, lambda: _print_run(result))


@app.command()
def chat(
    prompt: Annotated[str, typer.Argument(help="What to ask.", show_default=False)],
    model: ModelRef,
    mode: Mode = "tee",
    node: NodeUrl = "",
    max_price: MaxPrice = "",
    no_wait: NoWait = False,
    password_file: PasswordFile = None,
) -> None:
    """Ask a chat model on a node (OpenAI-compatible), pay for the call, and print the answer with
    the settlement transaction.

    Example: ogcli infer chat --model ogcli-tiny-chat "what does a receipt prove?" --yes
    """
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    call = _Call.open(node, max_price, password_file)
    body = {"model": _model_ref(model), "messages": [{"role": "user", "content": prompt}], "mode": mode}
    answer = call.pay("/v1/chat/completions", body, f"chat with {model}")
    if answer is None:
        return
    data = answer.json()
    result = call.finish(data["ogcli"], no_wait)
    result.update(model=data["model"], chat_output=data["choices"][0]["message"])
    output.emit(result, lambda: _print_chat(result))


# ---------------------------------------------------------------------- helpers


class _Call:
    """The network, payer and node of one paid call."""

    def __init__(self, network, protocol, account, client) -> None:
        self.network, self.protocol, self.account, self.client = network, protocol, account, client
        self.price_wei = 0

    @classmethod
    def open(cls, node: str, max_price: str, password_file) -> "_Call":
        from ogcli.chain.network import open_protocol
        from ogcli.sdk.discovery import find_node
        from ogcli.sdk.paid_http import PaidClient
        from ogcli.signing import unlock_signer

        limit = parsing.amount(max_price, allow_zero=True) if max_price else None
        network = context.resolve_network()
        protocol = open_protocol(network)
        url = node or find_node(protocol)
        account = unlock_signer(network, password_file)
        client = PaidClient(url, account, chain_id=network.chain_id, token=protocol.token.address,
                            settlement=protocol.settlement.address, max_price_wei=limit)
        return cls(network, protocol, account, client)

    def pay(self, path: str, body: dict, action: str):
        """The node's answer once paid; None after a --dry-run (nothing paid)."""
        from ogcli.confirm import confirm
        from ogcli.core.amounts import format_amount

        class DryRun(Exception):
            pass

        def approve(offer) -> None:
            self.price_wei = offer.amount_wei
            price = f"{format_amount(offer.amount_wei, group=True)} OPG"
            if context.OPTIONS.dry_run:
                output.emit({"sent": False, "price_wei": str(offer.amount_wei), "node": self.client.base_url},
                            lambda: print(f"dry run: {action} would cost {price}; nothing was paid"))
                raise DryRun
            confirm(f"{action} on {self.client.base_url} for {price} (signed by {self.account.address})?",
                    yes=context.OPTIONS.yes)

        try:
            return self.client.post(path, body, approve)
        except DryRun:
            return None

    def finish(self, receipt: dict, no_wait: bool) -> dict:
        from ogcli import diagnostics

        request_id = receipt["requestId"]
        result = {"request_id": request_id, "price_wei": str(self.price_wei), "payer": self.account.address,
                  "node": self.client.base_url, "receipt": receipt, "transaction_hash": None, "record_id": None,
                  "settlement": "pending"}
        if not no_wait:
            with diagnostics.spinner("waiting for the settlement transaction"):
                settled = self.client.wait_settled(request_id)
            result.update(transaction_hash=settled["tx_hash"], record_id=settled["record_id"], settlement=settled["state"])
            if settled["state"] == "failed":
                diagnostics.warn(f"the node could not settle this call: {settled['error']}")
        return result


def _model_ref(text: str):
    text = text.strip()
    if not text:
        raise UsageError("--model is empty")
    return int(text) if text.isdigit() else text


def _inputs(text: str) -> dict:
    raw = text
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise UsageError(f"{path} is not a file")
        raw = path.read_text()
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"--input is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError('--input must be a JSON object of input name -> tensor, e.g. {"features": [[1, 2]]}')
    return value


def _settlement_line(result: dict) -> str:
    if result["transaction_hash"]:
        return f"settled in {result['transaction_hash']} (record {result['record_id']})"
    return f"settlement pending; request {result['request_id']}"


def _print_run(result: dict) -> None:
    from ogcli.core.amounts import format_amount

    for name, value in result["outputs"].items():
        print(f"{name}: {json.dumps(value)}")
    print(f"paid {format_amount(int(result['price_wei']), group=True)} OPG; {_settlement_line(result)}")


def _print_chat(result: dict) -> None:
    from ogcli.core.amounts import format_amount

    print(result["chat_output"]["content"])
    print(f"paid {format_amount(int(result['price_wei']), group=True)} OPG; {_settlement_line(result)}", flush=True)

