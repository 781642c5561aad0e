"""`ogcli node`: run the reference inference node."""

from typing import Annotated

import typer

from ogcli import context, diagnostics, output, parsing
from ogcli.appfactory import new_app
from ogcli.commands import _node_bonds as node_bonds
from ogcli.commands import _node_disputes as plans
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app("Run the reference node (paid, signed inference settled on chain; verification) and file disputes.\n\nExample: ogcli node run --dev-keys")


ROLES = ("inference", "verifier", "all")


@app.command()
def run(
    role: Annotated[str, typer.Option("--role", help="inference (serve calls), verifier (attest records) or all.")] = "inference",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port.")] = 8700,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    public_url: Annotated[
        str, typer.Option("--public-url", help="The URL callers and verifiers reach this node at; registered on chain "
                                               "once the node answers there (default: http://HOST:PORT, at the first "
                                               "start).", show_default=False)
    ] = "",
    node_fee: Annotated[str, typer.Option("--node-fee", help="OPG the node keeps per call, after the protocol's cuts.")] = "0.01",
    batch_window: Annotated[
        float, typer.Option("--batch-window", min=0, help="Seconds to gather calls into one settlement transaction.")
    ] = 0.2,
    settle_wait: Annotated[
        float, typer.Option("--settle-wait", min=1, max=600,
                            help="Seconds an exact-paid call waits for its settlement to be mined before it is "
                                 "answered anyway (its settlement then pending).")
    ] = 30.0,
    channel_batch: Annotated[
        int, typer.Option("--channel-batch", min=1, max=256,
                          help="Channel-paid calls to gather into one commitBatch transaction (at most 256).")
    ] = 100,
    channel_wait: Annotated[
        float, typer.Option("--channel-wait", min=0, max=3000,
                            help="Seconds a channel-paid call waits at most for its batch to fill.")
    ] = 30.0,
    upstream: Annotated[
        str, typer.Option("--upstream", help="OpenAI-compatible API for openai-upstream chat models (key: OGCLI_UPSTREAM_API_KEY).")
    ] = "",
    dev_keys: Annotated[
        bool, typer.Option("--dev-keys", help="Devnet only: the devnet's node-operator and enclave keys.")
    ] = False,
    sample_rate: Annotated[
        float, typer.Option("--sample-rate", min=0.0, max=1.0,
                            help="Verifier: the fraction of ONNX calls to re-run and compare (0 to 1).")
    ] = 0.0,
    confirmations: Annotated[
        int | None, typer.Option("--confirmations", min=0, show_default=False,
                                 help="Verifier: blocks a record must be buried under before it is judged "
                                      "(default 12; 0 on the devnet, where nothing reorganises).")
    ] = None,
    password_file: PasswordFile = None,
) -> None:
    """Serve OpenAI-compatible chat and ONNX inference for x402 payments; sign each result in the
    (DEV) enclave, keep every paid call in a durable outbox, and settle them on chain: calls paid
    with `exact` in settleBatch transactions, calls paid from x402 batch-settlement channels in
    commitBatch (--channel-batch of them, or after --channel-wait seconds). The
    operator account (--account, or the profile's) pays the settlement gas and earns the node fee.
    As a verifier (--role verifier or all) it judges every settled record and attests the verdict
    as its validator (the same account; with --dev-keys, the devnet's validator-1); with
    --sample-rate it also re-runs that share of ONNX calls and compares the answers, and it
    claims its verdicts' rewards once they have stood through the challenge window. With
    --public-url it registers the enclave's endpoint there (or moves it) once it hears itself
    answer at that URL, and stops if it does not.

    Example: ogcli node run --dev-keys --role all --port 8700 --sample-rate 0.1
    """
    from ogcli import locations
    from ogcli.node.service import NodeSettings, build, enclave_key, serve

    if role not in ROLES:
        raise UsageError(f"--role takes {', '.join(ROLES)}, not {role!r}")
    if confirmations is not None and role == "inference":
        raise UsageError("--confirmations is for the verifier: add --role verifier or --role all")
    network = context.resolve_network()
    fee = parsing.amount(node_fee, allow_zero=True)
    data_dir = locations.node_dir(network.profile)
    if public_url:
        if role == "verifier":
            raise UsageError("--public-url is where callers reach the inference node: add --role inference or all")
        from ogcli.node.public_endpoint import checked_public_url

        public_url = checked_public_url(public_url, network.chain_id)
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
    verifier = _verifier(network, validator, data_dir, sample_rate, confirmations) if role in ("verifier", "all") else None
    if role == "verifier":
        _verify_forever(verifier, validator.address)
        return
    if upstream and not upstream.startswith(("http://", "https://")):
        raise UsageError(f"--upstream takes an http(s):// URL, not {upstream!r}")
    settings = NodeSettings(host=host, port=port, node_fee_wei=fee, batch_window_s=batch_window, upstream_url=upstream,
                            settle_wait_s=settle_wait, batch_min_records=channel_batch, batch_max_wait_s=channel_wait,
                            public_url=public_url)
    with diagnostics.spinner("starting the node"):
        shared = verifier.sender if verifier is not None and verifier.sender.address == operator.address else None
        node = build(network, operator, enclave, data_dir, settings, sender=shared)
    diagnostics.note(
        f"node on http://{host}:{port} (operator {operator.address}, enclave {enclave.address}); outbox {data_dir / 'outbox.db'}"
    )
    if batch_window >= settle_wait:
        diagnostics.warn(f"--batch-window {batch_window:g} is not shorter than --settle-wait {settle_wait:g}: calls paid "
                         "by exact will be answered before their settlement, at the node's risk")
    if not node.bonded():
        diagnostics.warn(f"{operator.address} has less than the minimum bond: TEE calls are refused until "
                         "`ogcli node bond AMOUNT` (see `ogcli node status`)")
    try:
        serve(node, settings, data_dir)
    finally:
        if verifier is not None:
            verifier.stop()


def _verifier(network, validator, data_dir, sample_rate: float, confirmations: int | None):
    from ogcli.chain.network import open_protocol
    from ogcli.chain.sender import Sender
    from ogcli.node.verifier import Verifier
    from ogcli.storage.blobs import open_store
    from ogcli.verify.judges import KeptCalls, ReExecutor, ZkJudge, sampling_salt

    protocol = open_protocol(network)
    if not protocol.staking.functions.isActive(validator.address).call():
        raise UsageError(f"{validator.address} is not an active validator: it cannot attest (ogcli validator status)")
    calls = KeptCalls(protocol, open_store(network.storage), data_dir / "verifier-cache")
    rerun = ReExecutor(calls, sample_rate, sampling_salt(data_dir)) if sample_rate > 0 else None
    verifier = Verifier(protocol, Sender(protocol.w3, validator), data_dir / "verifier.db", zk=ZkJudge(calls), rerun=rerun,
                        confirmations=confirmations)
    verifier.start()
    diagnostics.note(f"verifier attesting as {validator.address} ({verifier.confirmations} confirmations); "
                     f"checkpoint {data_dir / 'verifier.db'}")
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


MAX_DOCUMENT_BYTES = 64 << 10  # a Nitro attestation document is a few kB


@app.command()
def register(
    document: Annotated[str, typer.Option("--document", help="The enclave's attestation document (COSE_Sign1 CBOR file).", show_default=False)],
    proof: Annotated[str, typer.Option("--proof", help="The enclave key's EIP-191 signature of the registration digest (hex; --dry-run prints the digest).", show_default=False)] = "",
    vendor: Annotated[str, typer.Option("--vendor", help="nitro, or dev on a local devnet.")] = "nitro",
    endpoint: Annotated[str, typer.Option("--endpoint", help="The node's public URL, where callers reach the enclave.")] = "",
    password_file: PasswordFile = None,
) -> None:
    """Register an enclave from the attestation document it issued: checked here first (as the
    chain will: chain to the vendor's pinned root at block time, PCRs, the signer in user_data),
    then its certificates the chain has not verified yet, one transaction each, then the document.
    `ogcli node run` does this for its own DEV enclave; this is for enclaves on real hardware.

    Example: ogcli node register --document attestation.cbor --proof 0x5f0e... --endpoint https://node.example --yes
    """
    import hashlib
    from pathlib import Path

    from ogcli.chain.certificates import chain_of, missing_steps
    from ogcli.chain.tx import Plan
    from ogcli.commands._session import WriteSession
    from ogcli.core.attestation import AttestationError, verify_nitro_document
    from ogcli.node.enclave import registration_digest
    from ogcli.protocol.params import VENDOR_ID, VERIFIABLE_VENDORS

    name = vendor.upper()
    if name not in VERIFIABLE_VENDORS:
        raise UsageError(f"--vendor takes {' or '.join(v.lower() for v in VERIFIABLE_VENDORS)}, not {vendor!r}")
    path = Path(document)
    if not path.is_file():
        raise UsageError(f"{document}: no such file")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise UsageError(f"{document} is over {MAX_DOCUMENT_BYTES >> 10} KiB: not an attestation document")
    raw = path.read_bytes()
    session = WriteSession.open(password_file, unlock=not context.OPTIONS.dry_run)
    registry = session.protocol.registry.functions
    now = session.protocol.w3.eth.get_block("latest")["timestamp"]
    try:
        claims = verify_nitro_document(raw, root_sha256=bytes(registry.vendorRoot(VENDOR_ID[name]).call()), at_time=now)
    except AttestationError as exc:
        raise UsageError(f"the attestation document does not verify: {exc}; nothing was sent") from None
    signer = claims.signer_address()
    if signer is None:
        raise UsageError("the attestation document binds no Ethereum signer (user_data is not a 20-byte address); nothing was sent")
    if not registry.isMeasurementApproved(VENDOR_ID[name], claims.measurement).call():
        raise UsageError(f"its measurement 0x{claims.measurement.hex()} is not approved for {name} (see `ogcli gov whitelist`)")
    if registry.isRegistered(signer).call():
        raise UsageError(f"enclave signer {signer} is registered already: a signer registers once")
    digest = registration_digest(session.network.chain_id, session.protocol.registry.address, session.me,
                                 hashlib.sha256(raw).digest())
    proof_bytes = _proof(proof, digest, signer, context.OPTIONS.dry_run)
    verifier = session.protocol.attestation_verifier.functions
    plans = [
        Plan(action=f"verify certificate {step.position} of the attestation chain on chain",
             call=step.call(verifier),
             rows=(("certificate", f"{step.position + 1} of {len(chain_of(raw))}, root first"),))
        for step in missing_steps(session.protocol, raw)
    ]
    registration = Plan(action=f"register enclave {signer}",
                        call=session.protocol.registry.functions.registerEnclave(VENDOR_ID[name], raw, endpoint, proof_bytes),
                        rows=(("signer", signer), ("vendor", name), ("measurement", "0x" + claims.measurement.hex()),
                              ("endpoint", endpoint or "-")))
    if context.OPTIONS.dry_run and plans:
        diagnostics.warn(f"registration digest to sign with the enclave key: 0x{digest.hex()}")
        session.run_all(plans)  # the registration itself simulates only once these are on chain
        return
    session.run_all([*plans, registration])


def _proof(text: str, digest: bytes, signer: str, dry_run: bool) -> bytes:
    """The signer's consent as bytes, checked: it must recover to the document's signer."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    if not text:
        if dry_run:
            return b"\x00" * 65
        raise UsageError(f"give --proof: the enclave key's EIP-191 signature of 0x{digest.hex()}")
    try:
        proof = bytes.fromhex(text.removeprefix("0x"))
        recovered = Account.recover_message(encode_defunct(primitive=digest), signature=proof)
    except ValueError:
        raise UsageError("--proof is not a 65-byte hex signature") from None
    if recovered != signer:
        raise UsageError(f"--proof is signed by {recovered}, not by the document's signer {signer}: "
                         f"the enclave key signs 0x{digest.hex()}")
    return proof


@app.command()
def disputes() -> None:
    """What a challenger can file now, with the time left for each: attestations that vouch
    against the facts the contract checks (a signature that is not the enclave's, an
    unregistered enclave, an enclave not approved at the time), and false TEE records still
    disputable against the node that settled them (its bond pays), records committed in batches
    included (filed with `node dispute --request ID`).

    Example: ogcli node disputes
    """
    from ogcli.chain.network import open_protocol
    from ogcli.verify.disputes import find_disputable
    from ogcli.verify.record_grounds import GROUND_NAMES

    with diagnostics.spinner("checking records"):
        found = find_disputable(open_protocol(context.resolve_network()))
    now = found.now
    verdicts = [
        {"record_id": d.record_id, "validator": d.validator, "ground": d.ground, "reason": GROUND_NAMES[d.ground],
         "attested_at": d.attested_at, "window_closes": d.window_closes, "seconds_left": d.window_closes - now}
        for d in found.verdicts
    ]
    records = [
        {"record_id": d.record_id, "node": d.call.node, "ground": d.ground, "reason": GROUND_NAMES[d.ground],
         "fee_wei": str(d.call.fee_wei), "bond_wei": str(d.bond_wei), "window_closes": d.window_closes,
         "seconds_left": d.window_closes - now}
        for d in found.records
    ]
    verdicts += [
        {"record_id": None, **_batch_place(d.call), "validator": d.validator, "ground": d.ground,
         "reason": GROUND_NAMES[d.ground], "attested_at": d.attested_at, "window_closes": d.window_closes,
         "seconds_left": d.window_closes - now}
        for d in found.batch_verdicts
    ]
    records += [
        {"record_id": None, **_batch_place(d.call), "node": d.call.batch.node, "ground": d.ground,
         "reason": GROUND_NAMES[d.ground], "fee_wei": str(d.call.record.fee_wei), "bond_wei": str(d.bond_wei),
         "window_closes": d.window_closes, "seconds_left": d.window_closes - now}
        for d in found.batch_records
    ]
    output.emit({"time": now, "disputable": verdicts, "records": records},
                lambda: _print_disputable(verdicts, records))


@app.command()
def dispute(
    record_id: Annotated[int | None, typer.Argument(help="The record (see `ogcli node disputes`).", show_default=False)] = None,
    validator: Annotated[str, typer.Argument(help="The validator that vouched for it.", show_default=False)] = "",
    record: Annotated[int | None, typer.Option("--record", help="Dispute this record against the node that settled it.",
                                               show_default=False)] = None,
    request: Annotated[str, typer.Option("--request", help="A call committed in a batch (paid by channel), by its "
                                                           "request id: against its node, or with --validator against "
                                                           "a verdict.", show_default=False)] = "",
    against: Annotated[str, typer.Option("--validator", help="With --request: the validator whose verdict on it to dispute.",
                                         show_default=False)] = "",
    password_file: PasswordFile = None,
) -> None:
    """File on-chain evidence; the contract checks the ground itself. Against a validator (RECORD
    VALIDATOR): it vouched for a bad record, and a won dispute slashes it (and so its delegators)
    and pays you part. Against a node (--record ID): the record it settled is false, and a won
    dispute slashes its bond, refunds the payer, pays you part and disables the enclave. A call
    committed in a batch is named by its request id (--request ID, with --validator ADDR for a
    verdict) and proved by its Merkle proof, built here from the batch's calldata.

    Example: ogcli node dispute --record 15 --yes   (or: ogcli node dispute 15 0x57FB313CD4817866253921692D20D76B222ffDfA --yes;
    ogcli node dispute --request 0x9f2c...41 --yes)
    """
    from ogcli.commands._session import WriteSession

    if request:
        if record is not None or record_id is not None or validator:
            raise UsageError("give --request ID (with --validator ADDR for a verdict) alone, without a record id")
        target = parsing.address(against) if against else ""
        session = WriteSession.open(password_file)
        session.run(plans.batch_verdict_dispute(session, request, target) if target
                    else plans.batch_producer_dispute(session, request))
        return
    if against:
        raise UsageError("--validator goes with --request; for a record settled alone give RECORD VALIDATOR")
    if record is not None:
        if record_id is not None or validator:
            raise UsageError("give RECORD VALIDATOR to dispute a verdict, or --record ID to dispute a node (not both)")
        session = WriteSession.open(password_file)
        session.run(plans.producer_dispute(session, record))
        return
    if record_id is None or not validator:
        raise UsageError("give RECORD VALIDATOR (a verdict), --record ID (the node that settled it) or --request ID "
                         "(a call committed in a batch)")
    target = parsing.address(validator)
    session = WriteSession.open(password_file)
    session.run(plans.verdict_dispute(session, record_id, target))


def _batch_place(call) -> dict:
    return {"batch_id": call.batch.batch_id, "batch_index": call.index, "request_id": "0x" + call.record.request_id.hex()}


def _which(row: dict) -> str:
    """The record column: a record id, or where in a batch."""
    if row["record_id"] is not None:
        return str(row["record_id"])
    return f"batch {row['batch_id']} #{row['batch_index']}"


def _print_batch_commands(rows: list[dict], against_validator: bool) -> None:
    """The commands that file the batch rows (a request id is too long to copy from a table cell)."""
    for r in rows:
        if r["record_id"] is None:
            validator = f" --validator {r['validator']}" if against_validator else ""
            print(f"  batch {r['batch_id']} #{r['batch_index']}: ogcli node dispute --request {r['request_id']}{validator}")


def _print_disputable(verdicts: list[dict], records: list[dict]) -> None:
    from rich.table import Table

    from ogcli.core.amounts import format_amount
    from ogcli.core.units import format_duration

    table = Table(title="attestations open to dispute", title_justify="left")
    for column in ("record", "validator", "why", "window"):
        table.add_column(column)
    for r in verdicts:
        table.add_row(_which(r), r["validator"], r["reason"], f"closes in {format_duration(r['seconds_left'])}")
    if not verdicts:
        table.caption = "none: every open attestation vouches for a record that holds up"
    output.console().print(table)
    _print_batch_commands(verdicts, against_validator=True)
    nodes = Table(title="false records open to dispute against their node", title_justify="left")
    for column in ("record", "node", "why", "fee", "bond", "window"):
        nodes.add_column(column)
    for r in records:
        nodes.add_row(_which(r), r["node"], r["reason"], f"{format_amount(int(r['fee_wei']), group=True)} OPG",
                      f"{format_amount(int(r['bond_wei']), group=True)} OPG", f"closes in {format_duration(r['seconds_left'])}")
    if not records:
        nodes.caption = "none: every open TEE record holds up"
    output.console().print(nodes)
    _print_batch_commands(records, against_validator=False)


app.command("bond")(node_bonds.bond)
app.command("unbond")(node_bonds.unbond)
app.command("withdraw")(node_bonds.withdraw)
app.command("status")(node_bonds.status)
