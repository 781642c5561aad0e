"""`ogcli node`: run the reference inference node."""

from typing import Annotated

import typer

from ogcli import context, diagnostics, parsing
from ogcli.appfactory import new_app
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app("Run the reference node: paid, signed inference settled on chain.\n\nExample: ogcli node run --dev-keys")


ROLES = ("inference", "verifier", "all")


@app.command()
def run(
    role: Annotated[str, typer.Option("--role", help="inference (serve calls), verifier (attest records) or all.")] = "inference",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port.")] = 8700,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    node_fee: Annotated[str, typer.Option("--node-fee", help="OPG the node keeps per call, after the protocol's cuts.")] = "0.01",
    batch_window: Annotated[
        float, typer.Option("--batch-window", min=0, help="Seconds to gather calls into one settlement transaction.")
    ] = 0.2,
    upstream: Annotated[
        str, typer.Option("--upstream", help="OpenAI-compatible API for openai-upstream chat models (key: OGCLI_UPSTREAM_API_KEY).")
    ] = "",
    dev_keys: Annotated[
        bool, typer.Option("--dev-keys", help="Devnet only: the devnet's node-operator and enclave keys.")
    ] = False,
    password_file: PasswordFile = None,
) -> None:
    """Serve OpenAI-compatible chat and ONNX inference for x402 payments; sign each result in the
    (DEV) enclave, keep every paid call in a durable outbox, and settle them on chain. The
    operator account (--account, or the profile's) pays the settlement gas and earns the node fee.
    As a verifier (--role verifier or all) it judges every settled record and attests the verdict
    as its validator (the same account; with --dev-keys, the devnet's validator-1).

    Example: ogcli node run --dev-keys --role all --port 8700
    """
    from ogcli import locations
    from ogcli.node.service import NodeSettings, build, enclave_key, serve

    if role not in ROLES:
        raise UsageError(f"--role takes {', '.join(ROLES)}, not {role!r}")
    network = context.resolve_network()
    fee = parsing.amount(node_fee, allow_zero=True)
    data_dir = locations.node_dir(network.profile)
    if dev_keys:
        from ogcli.devnet import accounts
        from ogcli.devnet.anvil import DEV_CHAIN_ID

        if network.chain_id != DEV_CHAIN_ID:
            raise UsageError(f"--dev-keys is for the devnet (chain id {DEV_CHAIN_ID}); this profile is chain {network.chain_id}")
        operator, enclave = accounts.get("node-operator").local_account, accounts.get("enclave-signer").local_account
        validator = accounts.get("validator-1").local_account
    else:
        from ogcli.signing import unlock_signer

        operator, enclave = unlock_signer(network, password_file), enclave_key(data_dir)
        validator = operator
    verifier = _verifier(network, validator, data_dir) if role in ("verifier", "all") else None
    if role == "verifier":
        _verify_forever(verifier, validator.address)
        return
    if upstream and not upstream.startswith(("http://", "https://")):
        raise UsageError(f"--upstream takes an http(s):// URL, not {upstream!r}")
    settings = NodeSettings(host=host, port=port, node_fee_wei=fee, batch_window_s=batch_window, upstream_url=upstream)
    with diagnostics.spinner("starting the node"):
        node = build(network, operator, enclave, data_dir, settings)
    diagnostics.note(
        f"node on http://{host}:{port} (operator {operator.address}, enclave {enclave.address}); outbox {data_dir / 'outbox.db'}"
    )
    try:
        serve(node, settings)
    finally:
        if verifier is not None:
            verifier.stop()


def _verifier(network, validator, data_dir):
    from ogcli.chain.network import open_protocol
    from ogcli.chain.sender import Sender
    from ogcli.node.verifier import Verifier

    protocol = open_protocol(network)
    if not protocol.staking.functions.isActive(validator.address).call():
        raise UsageError(f"{validator.address} is not an active validator: it cannot attest (ogcli validator status)")
    verifier = Verifier(protocol, Sender(protocol.w3, validator), data_dir / "verifier.db")
    verifier.start()
    diagnostics.note(f"verifier attesting as {validator.address}; checkpoint {data_dir / 'verifier.db'}")
    return verifier


def _verify_forever(verifier, address: str) -> None:
    import time

    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        verifier.stop()
