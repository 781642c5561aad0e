"""`ogcli gov`: token holders decide which TEE hardware the network trusts, and its parameters."""

from typing import Annotated, Optional

import typer

from ogcli import context, output, parsing, plans
from ogcli.appfactory import new_app
from ogcli.commands._session import WriteSession
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app(
    "Governance: the TEE whitelist, proposals, votes, queue and execute.\n\nExample: ogcli gov proposals --state active"
)
propose_app = new_app(
    "Propose a change; the preview shows the decoded calls and the whitelist diff.\n\n"
    "Example: ogcli gov propose tee-approve --vendor dev --measurement 0x... --label 'node v0.3'"
)
app.add_typer(propose_app, name="propose")

ProposalId = Annotated[str, typer.Argument(help="Proposal id (see `ogcli gov proposals`), its first 6+ digits, or "
                                                "`latest` (the newest proposal).", show_default=False)]
Vendor = Annotated[str, typer.Option("--vendor", help="nitro, tdx, snp, nvidia_cc or dev.", show_default=False)]
Description = Annotated[str, typer.Option("--description", help="Why: the body voters read under the title.")]
STATE_FILTERS = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed", "open", "all")


@app.command()
def whitelist() -> None:
    """TEE vendors (enabled, root certificate hash) and approved measurements with their label,
    approval time, the proposal that approved them, and the enclaves and validator stake that
    depend on each.

    Example: ogcli gov whitelist
    """
    from ogcli import diagnostics
    from ogcli.chain.governance import read_whitelist
    from ogcli.chain.network import open_reader
    from ogcli.chain.validators import read_board
    from ogcli.protocol.params import VERIFIABLE_VENDORS

    protocol = open_reader(context.resolve_network())
    with diagnostics.spinner("reading the whitelist"):
        vendors, measurements, _ = read_whitelist(protocol)
        board = read_board(protocol)
    stake_of = {s.address: s.tokens_wei for s in board.states}
    known_roots = _known_roots()
    relying: dict[tuple[int, bytes], set[str]] = {}
    signer_key = {e.signer: (e.vendor, e.measurement) for e in board.enclaves.values()}
    records = {e.args["recordId"]: e.args["record"]["enclaveSigner"] for e in board.of("InferenceSettled")}
    for e in board.of("Attested"):
        key = signer_key.get(records.get(e.args["recordId"]))
        if key is not None:
            relying.setdefault(key, set()).add(e.args["validator"])
    data = {
        "vendors": [{"id": v.id, "name": v.name, "enabled": v.enabled, "root": "0x" + v.root.hex(),
                     "root_name": known_roots.get(v.root), "verified_on_chain": v.name in VERIFIABLE_VENDORS}
                    for v in vendors],
        "measurements": [
            {
                "vendor": vendors[m.vendor].name if m.vendor < len(vendors) else m.vendor,
                "measurement": "0x" + m.measurement.hex(),
                "label": m.label,
                "approved": m.approved,
                "approved_at": m.approved_at or None,
                "revoked_at": m.revoked_at or None,
                "approved_by": str(m.approved_by) if m.approved_by is not None else "genesis",
                "enclaves": m.enclaves,
                "validators_relying": len(relying.get((m.vendor, m.measurement), ())),
                "stake_relying_wei": str(sum(stake_of.get(v, 0) for v in relying.get((m.vendor, m.measurement), ()))),
            }
            for m in measurements
        ],
    }
    output.emit(data, lambda: _render_whitelist(data))


@app.command()
def proposals(
    state: Annotated[str, typer.Option("--state", help=f"One of: {', '.join(STATE_FILTERS)}.")] = "all",
) -> None:
    """Every proposal with its state, tally, quorum progress and what happens next, newest first.

    Example: ogcli gov proposals --state open
    """
    from ogcli.chain.governance import read_proposals
    from ogcli.chain.network import open_reader

    if state not in STATE_FILTERS:
        raise UsageError(f"--state takes one of {', '.join(STATE_FILTERS)}, not {state!r}")
    network = context.resolve_network()
    protocol = open_reader(network)
    now, found = read_proposals(protocol)
    _remind_to_delegate(network, protocol)
    open_states = {"Pending", "Active", "Succeeded", "Queued"}
    keep = [p for p in found if state == "all" or p.state.lower() == state or (state == "open" and p.state in open_states)]
    rows = [_proposal_json(p, now) for p in keep]
    output.emit({"time": now, "proposals": rows}, lambda: _render_proposals(rows))


@app.command()
def show(
    proposal_id: ProposalId,
    votes: Annotated[bool, typer.Option("--votes", help="List who voted and how.")] = False,
) -> None:
    """One proposal: state, decoded actions, for/against/abstain with quorum progress, the
    countdown to its next state, its description, and (with --votes) every vote.

    Example: ogcli gov show 41683302817249 --votes
    """
    from ogcli.chain.governance import read_proposals, read_votes
    from ogcli.chain.network import open_reader

    pid = _proposal_id(proposal_id)
    protocol = open_reader(context.resolve_network())
    now, (proposal,) = read_proposals(protocol, only=pid)
    data = _proposal_json(proposal, now)
    data["description"] = proposal.description
    if votes:
        names = {0: "against", 1: "for", 2: "abstain"}
        data["ballots"] = [
            {"voter": e.args["voter"], "support": names.get(e.args["support"], str(e.args["support"])),
             "weight_wei": str(e.args["weight"]), "reason": e.args["reason"], "time": e.timestamp}
            for e in read_votes(protocol, proposal.id)
        ]
    output.emit(data, lambda: _render_show(data))


@app.command()
def vote(
    proposal_id: ProposalId,
    support: Annotated[str, typer.Argument(help="for, against or abstain.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Why, recorded on chain with the vote.")] = "",
    password_file: PasswordFile = None,
) -> None:
    """Vote on an active proposal with the voting power you had at its snapshot.

    Example: ogcli gov vote 41683302817249 for --reason "v0.3 fixes the clock bug" --yes
    """

    pid = _proposal_id(proposal_id)
    plans.check_support(support)  # before the wallet is unlocked
    session = WriteSession.open(password_file)
    session.run(plans.vote(session, pid, support, reason))


@app.command()
def queue(proposal_id: ProposalId, password_file: PasswordFile = None) -> None:
    """Queue a succeeded proposal in the timelock (recovered from chain by its id alone).

    Example: ogcli gov queue 41683302817249 --yes
    """
    from ogcli.chain.tx import Plan

    session, proposal, now = _open_proposal(proposal_id, password_file)
    pid = proposal.id
    if proposal.state != "Succeeded":
        raise UsageError(f"proposal {plans.short_id(pid)} is {proposal.state}; only a Succeeded proposal can be queued"
                         + (f" ({plans.why_not_active(proposal, now)})" if proposal.state in ("Pending", "Active") else ""))
    delay = session.protocol.timelock.functions.getMinDelay().call()
    session.run(Plan(action=f"queue {proposal.title}", call=session.protocol.governor.functions.queue(pid),
                     rows=(("proposal", f"{plans.short_id(pid)} {proposal.title}"), ("executable", f"{_duration(delay)} after queueing"))))


@app.command()
def execute(proposal_id: ProposalId, password_file: PasswordFile = None) -> None:
    """Execute a queued proposal once its timelock delay has passed.

    Example: ogcli gov execute 41683302817249 --yes
    """
    from ogcli.chain.tx import Plan

    session, proposal, now = _open_proposal(proposal_id, password_file)
    pid = proposal.id
    if proposal.state != "Queued":
        raise UsageError(f"proposal {plans.short_id(pid)} is {proposal.state}; only a Queued proposal can be executed")
    if now < proposal.eta:
        raise UsageError(f"the timelock holds proposal {plans.short_id(pid)} until {plans.utc(proposal.eta)} (in {_duration(proposal.eta - now)})")
    session.run(Plan(action=f"execute {proposal.title}", call=session.protocol.governor.functions.execute(pid),
                     rows=(("proposal", f"{plans.short_id(pid)} {proposal.title}"),
                           *(("action", a.describe()) for a in proposal.actions))))


@app.command()
def cancel(proposal_id: ProposalId, password_file: PasswordFile = None) -> None:
    """Withdraw your own proposal before voting starts.

    Example: ogcli gov cancel 41683302817249 --yes
    """
    from ogcli.chain.tx import Plan

    session, proposal, now = _open_proposal(proposal_id, password_file)
    pid = proposal.id
    if proposal.proposer != session.me:
        raise UsageError(f"proposal {plans.short_id(pid)} was made by {proposal.proposer}; only its proposer can cancel it")
    if proposal.state != "Pending":
        raise UsageError(f"proposal {plans.short_id(pid)} is {proposal.state}; a proposal can be cancelled only before voting starts")
    session.run(Plan(action=f"cancel {proposal.title}", call=session.protocol.governor.functions.cancel(pid),
                     rows=(("proposal", f"{plans.short_id(pid)} {proposal.title}"),)))


@app.command()
def delegate(
    to: Annotated[str, typer.Argument(help="Address to give your voting power to, or 'self'.", show_default=False)],
    password_file: PasswordFile = None,
) -> None:
    """Activate your voting power (OPG counts only once delegated, to yourself or someone else).

    Example: ogcli gov delegate self --yes
    """
    from ogcli.commands.token import delegate_votes

    delegate_votes(to, password_file)


@app.command()
def measurement(
    vendor: Vendor,
    pcr0: Annotated[str, typer.Option("--pcr0", help="NITRO: enclave image PCR (hex, 48 bytes).")] = "",
    pcr1: Annotated[str, typer.Option("--pcr1", help="NITRO: kernel PCR.")] = "",
    pcr2: Annotated[str, typer.Option("--pcr2", help="NITRO: application PCR.")] = "",
    mrtd: Annotated[str, typer.Option("--mrtd", help="TDX: MRTD.")] = "",
    rtmr0: Annotated[str, typer.Option("--rtmr0", help="TDX: RTMR0.")] = "",
    rtmr1: Annotated[str, typer.Option("--rtmr1", help="TDX: RTMR1.")] = "",
    rtmr2: Annotated[str, typer.Option("--rtmr2", help="TDX: RTMR2.")] = "",
    snp: Annotated[str, typer.Option("--snp-measurement", help="SNP: launch measurement.")] = "",
    image: Annotated[str, typer.Option("--image", help="DEV: image name, e.g. v0.2.")] = "",
) -> None:
    """The measurement hash the registry uses, from the values a vendor publishes (for NITRO,
    PCR0-2), to check a proposal's hash against an operator's published build.

    Example: ogcli gov measurement --vendor nitro --pcr0 <96 hex> --pcr1 <96 hex> --pcr2 <96 hex>
    """
    from ogcli.core.measurement import measurement as compute

    name = _vendor(vendor)
    registers = {"pcr0": pcr0, "pcr1": pcr1, "pcr2": pcr2, "mrtd": mrtd, "rtmr0": rtmr0, "rtmr1": rtmr1,
                 "rtmr2": rtmr2, "measurement": snp, "image": image}
    try:
        digest = compute(name, {k: v for k, v in registers.items() if v})
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    data = {"vendor": name, "measurement": "0x" + digest.hex()}
    output.emit(data, lambda: print(data["measurement"]))


# ---------------------------------------------------------------------- proposing


@propose_app.command("tee-approve")
def propose_tee_approve(
    vendor: Vendor,
    measurement_hex: Annotated[str, typer.Option("--measurement", help="32-byte hash (`ogcli gov measurement`).", show_default=False)],
    label: Annotated[str, typer.Option("--label", help="What the image is, e.g. 'ogcli-node v0.3'.", show_default=False)],
    description: Description = "",
    password_file: PasswordFile = None,
) -> None:
    """Propose approving an enclave image (vendor + measurement) for the whitelist.

    Example: ogcli gov propose tee-approve --vendor dev --measurement 0x9f... --label "dev enclave v0.3" --yes
    """
    from ogcli.protocol.params import VENDOR_ID

    name, digest = _vendor(vendor), _bytes32(measurement_hex)
    if not label.strip():
        raise UsageError("--label is required: voters need to know which build the hash is")
    _propose([("TEERegistry", "approveMeasurement", [VENDOR_ID[name], digest, label.strip()])],
             f"Approve {name} measurement {label.strip()}", description, password_file)


@propose_app.command("tee-revoke")
def propose_tee_revoke(
    vendor: Vendor,
    measurement_hex: Annotated[str, typer.Option("--measurement", help="32-byte hash to revoke.", show_default=False)],
    description: Description = "",
    password_file: PasswordFile = None,
) -> None:
    """Propose revoking an approved measurement: every enclave running it stops counting as TEE
    evidence from the moment the proposal executes (earlier results stay valid).

    Example: ogcli gov propose tee-revoke --vendor dev --measurement 0x9f... --description "clock bug" --yes
    """
    from ogcli.protocol.params import VENDOR_ID

    name, digest = _vendor(vendor), _bytes32(measurement_hex)
    _propose([("TEERegistry", "revokeMeasurement", [VENDOR_ID[name], digest])],
             f"Revoke {name} measurement 0x{digest.hex()[:16]}", description, password_file)


@propose_app.command("vendor")
def propose_vendor(
    vendor: Vendor,
    enable: Annotated[Optional[bool], typer.Option("--enable/--disable", help="Accept or stop accepting the vendor.", show_default=False)] = None,
    root: Annotated[str, typer.Option("--root", help="sha-256 of the vendor's root certificate (DER), to set or rotate it.")] = "",
    root_cert: Annotated[str, typer.Option("--root-cert", help="The vendor's root certificate (DER or PEM file), to pin or rotate it by its sha-256.")] = "",
    description: Description = "",
    password_file: PasswordFile = None,
) -> None:
    """Propose enabling or disabling a TEE vendor (and pinning or rotating its root certificate:
    --root-cert FILE checks the certificate is a root the chain accepts and pins its sha-256).

    Example: ogcli gov propose vendor --vendor nitro --enable --root-cert aws-nitro-root.pem --yes
    """
    from ogcli.chain.network import open_protocol
    from ogcli.protocol.params import VENDOR_ID

    if enable is None:
        raise UsageError("give --enable or --disable")
    if root and root_cert:
        raise UsageError("give --root HASH or --root-cert FILE, not both")
    name = _vendor(vendor)
    if root_cert:
        root_bytes = _root_cert_sha256(root_cert)
    elif root:
        root_bytes = _bytes32(root, flag="--root")
    else:
        root_bytes = bytes(open_protocol(context.resolve_network()).registry.functions.vendorRoot(VENDOR_ID[name]).call())
    _propose([("TEERegistry", "setVendor", [VENDOR_ID[name], enable, root_bytes])],
             f"{'Enable' if enable else 'Disable'} {name}", description, password_file)


def _root_cert_sha256(path_text: str) -> bytes:
    from pathlib import Path

    from ogcli.core.attestation import AttestationError, root_certificate_sha256

    path = Path(path_text)
    if not path.is_file() or path.stat().st_size > 64 << 10:
        raise UsageError(f"--root-cert {path_text}: no such certificate file (at most 64 KiB)")
    try:
        return root_certificate_sha256(path.read_bytes())
    except AttestationError as exc:
        raise UsageError(f"--root-cert {path_text}: {exc}") from None


@propose_app.command("param")
def propose_param(
    contract: Annotated[str, typer.Argument(help="staking, settlement or bonds.", show_default=False)],
    name: Annotated[str, typer.Argument(help="Parameter, e.g. slash_fraction (see --help of the contract).", show_default=False)],
    value: Annotated[str, typer.Argument(help="New value: 14d, 15%, 10000 (OPG) or a count.", show_default=False)],
    description: Description = "",
    password_file: PasswordFile = None,
) -> None:
    """Propose changing one staking, settlement or node-bond parameter; the preview shows old and new.

    staking: unbonding_period, max_commission, max_commission_change, commission_change_delay,
    min_self_stake, jail_duration. settlement: validator_fee, treasury_fee, rewarded_attesters,
    challenge_window, slash_fraction, challenger_reward. bonds: min_bond, unbonding_delay,
    slash_fraction.

    Example: ogcli gov propose param settlement slash_fraction 15% --description "deter tampering" --yes
    """
    from ogcli.chain.network import open_protocol
    from ogcli.core.proposals import PARAM_CONTRACTS, PARAMS, format_param

    if contract not in PARAMS:
        raise UsageError(f"param proposals change {', '.join(PARAMS)}, not {contract!r}")
    spec = PARAMS[contract].get(name)
    if spec is None:
        raise UsageError(f"{contract} has no parameter {name!r} (parameters: {', '.join(PARAMS[contract])})")
    new = _param_value(spec.kind, value)
    bound = open_protocol(context.resolve_network()).contract(PARAM_CONTRACTS[contract])
    current = list(bound.functions.params().call())
    if current[spec.index] == new:
        raise UsageError(f"{contract} {name} is {format_param(spec.kind, new)} already")
    old = current[spec.index]
    current[spec.index] = new
    _propose([(PARAM_CONTRACTS[contract], "setParams", [tuple(current)])],
             f"Set {contract} {name} to {format_param(spec.kind, new)} (from {format_param(spec.kind, old)})",
             description, password_file)


def _propose(calls: list, title: str, body: str, password_file) -> None:
    from ogcli.chain.governance import decode_actions, read_whitelist
    from ogcli.chain.tx import Plan
    from ogcli.core.proposals import whitelist_diff
    from ogcli.protocol.params import VENDORS

    session = WriteSession.open(password_file)
    protocol = session.protocol
    governor = protocol.governor.functions
    targets = [protocol.contract(c).address for c, _f, _a in calls]
    calldatas = [protocol.contract(c).encode_abi(f, args=a) for c, f, a in calls]
    description = f"# {title}\n\n{body.strip()}" if body.strip() else f"# {title}"
    clock = governor.clock().call()
    threshold = governor.proposalThreshold().call()
    power = governor.getVotes(session.me, clock - 1).call()
    if power < threshold:
        raise UsageError(
            f"the proposal threshold is {_fmt(threshold)} OPG of voting power; {session.me} has {_fmt(power)}"
            + (" (`ogcli gov delegate self` activates yours)" if power == 0 else "")
        )
    actions = decode_actions(protocol, targets, [0] * len(calls), calldatas)
    _vendors, _measurements, current = read_whitelist(protocol)
    diff = whitelist_diff(current, [(a.function, a.params) for a in actions if a.contract == "TEERegistry"], VENDORS)
    delay, period = governor.votingDelay().call(), governor.votingPeriod().call()
    timelock = protocol.timelock.functions.getMinDelay().call()
    rows = [("title", title)]
    rows += [("action", a.describe()) for a in actions]
    rows += [("whitelist", line) for line in diff]
    rows += [
        ("your votes", f"{_fmt(power)} OPG (threshold {_fmt(threshold)})"),
        ("schedule", f"voting opens in {_duration(delay)}, lasts {_duration(period)}; then queue, {_duration(timelock)} timelock, execute"),
    ]
    outcome = session.send(Plan(action="create a proposal", call=governor.propose(targets, [0] * len(calls), calldatas, description), rows=tuple(rows)))
    proposal_id = None
    if outcome.sent:
        from web3.logs import DISCARD

        receipt = protocol.w3.eth.get_transaction_receipt(outcome.tx_hash)
        proposal_id = protocol.governor.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0]["args"]["proposalId"]
    data = {**outcome.to_json(), "proposal_id": str(proposal_id) if proposal_id is not None else None, "whitelist_diff": diff}

    def human() -> None:
        from ogcli.receipt import report

        if proposal_id is None:
            report(outcome)
            return
        print(f"proposal {proposal_id}")
        print(f"sent {outcome.tx_hash}, mined in block {outcome.block_number}")
        print(f"voting opens in {_duration(delay)}: `ogcli gov vote {proposal_id} for`")

    output.emit(data, human)


# ---------------------------------------------------------------------- helpers


def _remind_to_delegate(network, protocol) -> None:
    """Holders who never delegated have no votes; say so where they look at proposals."""
    from ogcli import diagnostics
    from ogcli.errors import OgcliError
    from ogcli.signing import signer_address

    if not network.account:
        return
    try:
        me = signer_address(network)
    except OgcliError:
        return  # no usable active account: nothing to remind
    from ogcli.chain.multicall import Read, read_many

    balance, delegate = read_many(protocol.rpc, [Read(protocol.token, "balanceOf", (me,)), Read(protocol.token, "delegates", (me,))])
    if balance > 0 and int(delegate, 16) == 0:
        diagnostics.note(f"note: {me} holds OPG but has no voting power: `ogcli gov delegate self` activates it")


def _open_proposal(proposal_id: str, password_file):
    """The write session, and the proposal its id (or id prefix) names, with the chain's time."""
    pid = _proposal_id(proposal_id)
    session = WriteSession.open(password_file)
    proposal, now = _proposal(session, pid)
    return session, proposal, now


def _proposal(session: WriteSession, pid: str):
    from ogcli.chain.governance import read_proposals

    now, (proposal,) = read_proposals(session.protocol, only=pid)
    return proposal, now


def _proposal_id(text: str) -> str:
    """A proposal id as typed: its decimal digits, whole or a prefix of at least 6, or `latest`."""
    from ogcli.chain.governance import LATEST

    digits = text.strip()
    if digits.lower() == LATEST:
        return LATEST
    if not digits.isdigit() or digits.startswith("0"):
        raise UsageError(f"a proposal id is a decimal number (or its first digits), not {text!r}")
    return digits


def _vendor(text: str) -> str:
    from ogcli.protocol.params import VENDORS

    name = text.strip().upper()
    if name not in VENDORS:
        raise UsageError(f"--vendor takes one of {', '.join(v.lower() for v in VENDORS)}, not {text!r}")
    return name


def _bytes32(text: str, flag: str = "--measurement") -> bytes:
    raw = text.strip().lower().removeprefix("0x")
    try:
        value = bytes.fromhex(raw)
    except ValueError:
        raise UsageError(f"{flag} is not hex: {text!r}") from None
    if len(value) != 32:
        raise UsageError(f"{flag} must be 32 bytes (64 hex digits), not {len(value)}")
    return value


def _param_value(kind: str, text: str) -> int:
    if kind == "duration":
        return parsing.duration_s(text)
    if kind == "bps":
        if text.strip() in ("0", "0%"):
            return 0
        return parsing.fraction_bps(text)
    if kind == "opg":
        return parsing.amount(text)
    if not text.strip().isdigit():
        raise UsageError(f"expected a whole number, not {text!r}")
    return int(text)


def _next_step(p, now: int) -> str:
    from ogcli.core.proposals import next_step

    return next_step(p.state, p.vote_start, p.vote_end, p.eta, now)


def _proposal_json(p, now: int) -> dict:
    return {
        "id": str(p.id),
        "title": p.title,
        "state": p.state,
        "proposer": p.proposer,
        "actions": [{"target": a.target, "contract": a.contract, "function": a.function, "text": a.describe()} for a in p.actions],
        "votes": {"for_wei": str(p.votes_for), "against_wei": str(p.votes_against), "abstain_wei": str(p.votes_abstain)},
        "quorum_wei": str(p.quorum),
        "quorum_reached": p.quorum_votes >= p.quorum > 0,
        "vote_start": p.vote_start,
        "vote_end": p.vote_end,
        "eta": p.eta or None,
        "created_at": p.created_at,
        "next": _next_step(p, now),
    }


def _known_roots() -> dict[bytes, str]:
    """The root certificates a voter would recognise, by their sha-256."""
    from ogcli.node.dev_attestation import dev_root_sha256
    from ogcli.protocol.params import AWS_NITRO_ROOT_SHA256

    return {AWS_NITRO_ROOT_SHA256: "AWS Nitro Enclaves root", dev_root_sha256(): "ogcli DEV root (devnet only)"}


def _render_whitelist(data: dict) -> None:
    from rich.table import Table

    table = Table(title="TEE vendors", title_justify="left")
    for column in ("vendor", "status", "pinned root certificate (sha-256)", "documents"):
        table.add_column(column)
    for v in data["vendors"]:
        root = v["root"][:18] + "…" + (f" {v['root_name']}" if v["root_name"] else "") if int(v["root"], 16) else "-"
        documents = "verified on chain" if v["verified_on_chain"] else "[dim]no on-chain verifier: cannot register[/]"
        table.add_row(v["name"], "enabled" if v["enabled"] else "[dim]disabled[/]", root, documents)
    output.console().print(table)
    table = Table(title="measurements", title_justify="left")
    for column, justify in (("vendor", "left"), ("label", "left"), ("hash", "left"), ("status", "left"),
                            ("approved by", "left"), ("enclaves", "right"), ("validators", "right"), ("stake relying", "right")):
        table.add_column(column, justify=justify)
    for m in data["measurements"]:
        status = f"approved {plans.utc(m['approved_at'])}" if m["approved"] else f"[red]revoked {plans.utc(m['revoked_at'])}[/]" if m["revoked_at"] else "not approved"
        by = m["approved_by"] if m["approved_by"] == "genesis" else f"proposal {m['approved_by'][:10]}…"
        table.add_row(m["vendor"], m["label"], m["measurement"][:18] + "…", status, by, str(m["enclaves"]),
                      str(m["validators_relying"]), f"{_fmt(int(m['stake_relying_wei']), 0)} OPG")
    output.console().print(table)


def _render_proposals(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(title="proposals", title_justify="left")
    for column in ("id", "title", "state", "for / against / abstain", "quorum", "next"):
        table.add_column(column)
    for r in rows:
        v = r["votes"]
        tally = f"{_fmt(int(v['for_wei']), 0)} / {_fmt(int(v['against_wei']), 0)} / {_fmt(int(v['abstain_wei']), 0)}"
        reached = int(v["for_wei"]) + int(v["abstain_wei"])
        quorum = f"{100 * reached / int(r['quorum_wei']):.0f}%" if int(r["quorum_wei"]) else "-"
        table.add_row(r["id"][:10], r["title"], r["state"], tally, quorum, r["next"])
    if not rows:
        table.caption = "no proposals match"
    output.console().print(table)


def _render_show(data: dict) -> None:
    v = data["votes"]
    quorum = int(data["quorum_wei"])
    reached = int(v["for_wei"]) + int(v["abstain_wei"])
    rows = [
        ("proposal", data["id"]),
        ("title", data["title"]),
        ("state", f"{data['state']} ({data['next']})"),
        ("proposer", data["proposer"]),
        ("voting", f"{plans.utc(data['vote_start'])} to {plans.utc(data['vote_end'])}"),
        ("for", f"{_fmt(int(v['for_wei']))} OPG"),
        ("against", f"{_fmt(int(v['against_wei']))} OPG"),
        ("abstain", f"{_fmt(int(v['abstain_wei']))} OPG"),
        ("quorum", f"{_fmt(reached)} of {_fmt(quorum)} OPG ({100 * reached / quorum:.0f}%)" if quorum else "-"),
    ]
    if data["eta"]:
        rows.append(("timelock", f"executable from {plans.utc(data['eta'])}"))
    rows += [("action", a["text"]) for a in data["actions"]]
    output.kv_table(rows)
    body = data["description"].split("\n", 1)[1].strip() if "\n" in data["description"] else ""
    if body:
        print()
        print(body)
    if "ballots" in data:
        from rich.table import Table

        table = Table(title="votes", title_justify="left")
        for column in ("voter", "vote", "weight", "reason"):
            table.add_column(column)
        for b in data["ballots"]:
            table.add_row(b["voter"], b["support"], f"{_fmt(int(b['weight_wei']), 0)} OPG", b["reason"] or "-")
        if not data["ballots"]:
            table.caption = "no votes yet"
        output.console().print(table)


def _duration(seconds: int) -> str:
    from ogcli.core.units import format_duration

    return format_duration(seconds)


def _fmt(wei: int, max_fraction: int | None = None) -> str:
    from ogcli.core.amounts import format_amount

    if max_fraction is None:
        return format_amount(wei, group=True)
    return format_amount(wei, max_fraction=max_fraction, group=True)
