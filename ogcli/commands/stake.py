"""`ogcli stake`: validators judged by quality, delegation from the terminal, positions and what-ifs."""

from typing import Annotated

import typer

from ogcli import context, output, parsing, plans
from ogcli.appfactory import new_app
from ogcli.commands._session import WriteSession
from ogcli.errors import UsageError
from ogcli.signing import PasswordFile

app = new_app("Staking: validators ranked by quality, delegations, positions and slashing exposure.\n\nExample: ogcli stake validators")

SORT_KEYS = ("score", "stake", "commission", "liveness", "correctness", "timeliness")
WINDOWS = {"24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}


@app.command()
def validators(
    sort: Annotated[str, typer.Option("--sort", help=f"One of: {', '.join(SORT_KEYS)}.")] = "score",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = 100,
    status: Annotated[str, typer.Option("--status", help="active, jailed or all.")] = "all",
    window: Annotated[str, typer.Option("--window", help="Scoring window: 24h, 7d or 30d.")] = "7d",
) -> None:
    """Every validator with its composite quality score (0-100), sub-scores, stake, share,
    commission, self-bond, status and slashes; the footer gives the Nakamoto coefficient.

    Example: ogcli stake validators --sort commission --limit 5
    """
    if sort not in SORT_KEYS:
        raise UsageError(f"--sort takes one of {', '.join(SORT_KEYS)}, not {sort!r}")
    if status not in ("active", "jailed", "all"):
        raise UsageError(f"--status takes active, jailed or all, not {status!r}")
    if window not in WINDOWS:
        raise UsageError(f"--window takes one of {', '.join(WINDOWS)}, not {window!r}")
    from ogcli import diagnostics
    from ogcli.chain.network import open_reader
    from ogcli.chain.validators import read_board, table_rows
    from ogcli.core.quality import nakamoto_coefficient

    with diagnostics.spinner("reading validators"):
        board = read_board(open_reader(context.resolve_network()))
    states = board.states
    rows = table_rows(board, WINDOWS[window])
    rows = [r for r in rows if status == "all" or r["status"] == status]
    rows.sort(key=lambda r: _sort_key(r, sort), reverse=sort != "commission")
    rows = rows[:limit]
    nakamoto = nakamoto_coefficient([s.tokens_wei for s in states])
    data = {"window": window, "nakamoto_coefficient": nakamoto, "validators": rows}
    output.emit(data, lambda: _render(rows, nakamoto, window))


def _sort_key(row: dict, key: str):
    if key == "score":
        return row["score"]
    if key == "stake":
        return int(row["stake_wei"])
    if key == "commission":
        return row["commission_bps"]
    return row["sub_scores"][key]


def _render(rows: list[dict], nakamoto: int, window: str) -> None:
    from rich.table import Table

    from ogcli.core.amounts import format_amount

    table = Table(title=f"validators, scored over {window}", title_justify="left", caption_justify="left")
    for column, justify in (
        ("validator", "left"), ("score", "right"), ("live", "right"), ("correct", "right"),
        ("fast", "right"), ("stake OPG", "right"), ("share", "right"), ("comm.", "right"),
        ("self-bond", "right"), ("status", "left"), ("slashes", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=True)
    for row in rows:
        sub = row["sub_scores"]
        status = row["status"] if row["status"] == "active" else f"[bold red]{row['status']}[/]"
        name = f"{row['moniker']} {row['address'][:10]}…" if row["moniker"] else row["address"]
        table.add_row(
            name,
            f"{row['score']:.0f}",
            f"{sub['liveness']:.0f}",
            f"{sub['correctness']:.0f}",
            f"{sub['timeliness']:.0f}",
            format_amount(int(row["stake_wei"]), max_fraction=0, group=True),
            f"{row['share'] * 100:.1f}%",
            f"{row['commission_bps'] / 100:.1f}%",
            format_amount(int(row["self_stake_wei"]), max_fraction=0, group=True),
            status,
            str(row["slashes"]),
        )
    table.caption = (
        f"Nakamoto coefficient {nakamoto}: the fewest validators holding over 1/3 of stake. "
        "Scores: README 'Validator quality'."
    )
    output.console().print(table)


@app.command()
def validator(
    address: Annotated[str, typer.Argument(help="Validator: its address, the start of it as the tables show it "
                                                "(at least 8 hex digits), or its name.", show_default=False)],
    window: Annotated[str, typer.Option("--window", help="Scoring window: 24h, 7d or 30d.")] = "7d",
) -> None:
    """One validator in depth: each sub-score with its weight and the raw metrics behind it,
    commission history, slashes with their reasons, jailings, delegators, and the TEE enclaves
    whose results it vouched for, with any open proposal to revoke them.

    Example: ogcli stake validator 0xFD2934c2 --window 30d
    """
    if window not in WINDOWS:
        raise UsageError(f"--window takes one of {', '.join(WINDOWS)}, not {window!r}")
    from ogcli import diagnostics
    from ogcli.chain import validators as chain_validators
    from ogcli.chain.network import open_reader
    from ogcli.commands import _stake_render
    from ogcli.core.quality import explain, score_validators

    with diagnostics.spinner("reading validator"):
        board = chain_validators.read_board(open_reader(context.resolve_network()))
    target = _validator_address(address, board.states)
    state = board.state(target)
    if state is None:
        raise UsageError(f"{target} is not a registered validator (see `ogcli stake validators`)")
    metrics = {m.address: m for m in board.metrics(WINDOWS[window])}
    scores = sorted(score_validators(list(metrics.values())), key=lambda s: s.composite, reverse=True)
    score = next(s for s in scores if s.address == target)
    from ogcli.chain.validators import table_row

    total = sum(s.tokens_wei for s in board.states) or 1
    data = {
        **table_row(state, score, total),
        "metadata": state.metadata,
        "window": window,
        "rank": [s.address for s in scores].index(target) + 1,
        "of": len(scores),
        "registered_at": state.registered_at,
        "jailed_until": state.jailed_until or None,
        "breakdown": explain(metrics[target], score),
        "commission_history": [
            {"time": c.time, "from_bps": c.from_bps, "to_bps": c.to_bps, "tx": c.tx_hash}
            for c in chain_validators.commission_history(board, target)
        ],
        "slash_history": [
            {
                "time": r.time, "infraction_time": r.infraction_time, "fraction_bps": r.fraction_bps,
                "bonded_wei": str(r.bonded_wei), "unbonding_wei": str(r.unbonding_wei),
                "redelegation_wei": str(r.redelegation_wei), "reason": r.reason,
                "record_id": r.record_id, "challenger": r.challenger, "tx": r.tx_hash,
            }
            for r in chain_validators.slash_history(board, target)
        ],
        "jail_history": [
            {"time": j.time, "event": j.event, "until": j.until, "reason": j.reason}
            for j in chain_validators.jail_history(board, target)
        ],
        "tee": [
            {
                "vendor": t.vendor, "measurement": "0x" + t.measurement.hex(), "label": t.label,
                "attestations": t.attestations, "signers": list(t.signers),
                "revocation_proposals": [str(p) for p in t.revocation_proposals],
            }
            for t in chain_validators.tee_reliance(board, target, WINDOWS[window])
        ],
    }
    output.emit(data, lambda: _stake_render.validator_detail(data, board.head_timestamp))


Holder = Annotated[
    str, typer.Argument(help="Delegator address (default: the active account).", show_default=False)
]


@app.command()
def positions(address: Holder = "") -> None:
    """Delegations with their current value and pending rewards, unbonding entries with their
    maturity and a countdown, redelegations still slashable, and slashing exposure per validator.

    Example: ogcli stake positions 0x4F351633C1f629417Be9125BE7C482662109E91a
    """
    from ogcli.commands import _stake_render

    held = _read_positions(address)
    now = held.now
    exposure = []
    for v in held.exposed_to():
        worst = held.slash_loss(v, 10_000)
        dispute = held.slash_loss(v, held.dispute_slash_bps) if held.dispute_slash_bps else None
        exposure.append(
            {
                "validator": v,
                "reachable_wei": str(worst.total_wei),
                "per_dispute_loss_wei": str(dispute.total_wei if dispute else 0),
            }
        )
    data = {
        "address": held.address,
        "time": now,
        "delegations": [
            {
                "validator": d.validator,
                "moniker": held.validators[d.validator].moniker,
                "status": held.validators[d.validator].status,
                "shares": str(d.shares),
                "value_wei": str(d.value_wei),
                "pending_rewards_wei": str(d.pending_rewards_wei),
            }
            for d in held.delegations
        ],
        "unbonding": [
            {
                "id": u.id,
                "validator": u.validator,
                "initial_wei": str(u.initial_wei),
                "balance_wei": str(u.balance_wei),
                "created": u.created,
                "completes": u.completes,
                "seconds_left": max(0, u.completes - now),
                "matured": u.completes <= now,
            }
            for u in sorted(held.unbondings, key=lambda u: u.completes)
        ],
        "redelegations": [
            {
                "id": r.id,
                "from": r.src,
                "to": r.dst,
                "amount_wei": str(r.initial_wei),
                "created": r.created,
                "completes": r.completes,
                "seconds_left": max(0, r.completes - now),
            }
            for r in sorted(held.redelegations, key=lambda r: r.completes)
        ],
        "rewards_without_stake": {v: str(w) for v, w in held.rewards_elsewhere_wei.items()},
        "exposure": exposure,
        "dispute_slash_bps": held.dispute_slash_bps,
        "totals": {
            "delegated_wei": str(sum(d.value_wei for d in held.delegations)),
            "pending_rewards_wei": str(
                sum(d.pending_rewards_wei for d in held.delegations) + sum(held.rewards_elsewhere_wei.values())
            ),
            "unbonding_wei": str(sum(u.balance_wei for u in held.unbondings if u.completes > now)),
            "withdrawable_wei": str(sum(u.balance_wei for u in held.unbondings if u.completes <= now)),
        },
    }
    output.emit(data, lambda: _stake_render.positions(data, held.validators))


@app.command()
def exposure(
    validator_: Annotated[
        str, typer.Option("--validator", help="Only this validator (default: every one you are exposed to).")
    ] = "",
    fraction: Annotated[
        str, typer.Option("--fraction", help="Slash fraction: 5% or 0.05 (default: one won dispute's).")
    ] = "",
    infraction_age: Annotated[
        str,
        typer.Option(
            "--infraction-age",
            help="How long ago the fault was, e.g. 36h or 3d (default: as old as the contract allows, the worst case).",
        ),
    ] = "",
    address: Annotated[str, typer.Option("--address", help="Delegator (default: the active account).")] = "",
) -> None:
    """What-if: what you would lose if a validator were slashed now, counting your unbonding and
    redelegation entries exactly as the contract does (entries made before the fault are safe).

    Example: ogcli stake exposure --validator 0xFD2934c2019872f82B3a2F601d0D079172798302 --fraction 5%
    """
    from ogcli.commands import _stake_render

    target = _validator(validator_) if validator_ else None
    bps = parsing.fraction_bps(fraction) if fraction else None
    age = parsing.duration_s(infraction_age) if infraction_age else None
    held = _read_positions(address)
    bps = bps or held.dispute_slash_bps
    if age is not None and age > held.unbonding_period_s:
        raise UsageError(
            f"--infraction-age {infraction_age} is older than the unbonding period "
            f"({held.unbonding_period_s // 86_400} days): the contract refuses to slash for it"
        )
    infraction_time = held.now - age if age is not None else held.oldest_slashable
    validators = [target] if target else held.exposed_to()
    losses = [held.slash_loss(v, bps, infraction_time) for v in validators]
    data = {
        "address": held.address,
        "fraction_bps": bps,
        "infraction_time": infraction_time,
        "time": held.now,
        "validators": [
            {
                "validator": loss.validator,
                "bonded_loss_wei": str(loss.bonded_wei),
                "unbonding_loss_wei": str(loss.unbonding_wei),
                "redelegation_loss_wei": str(loss.redelegation_wei),
                "total_loss_wei": str(loss.total_wei),
                "unbonding_entries": [{"id": i, "loss_wei": str(c)} for i, c in loss.unbonding],
                "redelegation_entries": [{"id": i, "to": d, "loss_wei": str(c)} for i, d, c in loss.redelegation],
            }
            for loss in losses
        ],
        "enclaves": _enclave_bonds(),
    }
    output.emit(data, lambda: _stake_render.exposure(data, held.validators))


def _enclave_bonds() -> list[dict]:
    """Every active enclave and the bond behind its records: what pays first when one is false."""
    from ogcli.chain.bonds import enclave_bonds
    from ogcli.chain.network import open_reader

    terms, enclaves = enclave_bonds(open_reader())
    return [{"signer": e.signer, "operator": e.operator, "endpoint": e.endpoint, "bond_wei": str(e.bond.total_wei),
             "bonded": e.bond.covers_settlement(terms)} for e in enclaves if e.active]


def _read_positions(address: str):
    from ogcli import diagnostics
    from ogcli.chain.network import open_reader
    from ogcli.chain.positions import read_positions
    from ogcli.signing import signer_address

    network = context.resolve_network()
    holder = parsing.address(address) if address else signer_address(network)
    with diagnostics.spinner("reading positions"):
        return read_positions(open_reader(network), holder)


Validator = Annotated[str, typer.Argument(help="Validator: its address, the start of it (8+ hex digits) or its name.",
                                          show_default=False)]
Amount = Annotated[str, typer.Argument(help="OPG, in whole tokens (e.g. 1500.5).", show_default=False)]


@app.command()
def delegate(validator: Validator, amount: Amount, password_file: PasswordFile = None) -> None:
    """Delegate OPG to a validator. You share its rewards (minus commission) and its slashes.

    Example: ogcli stake delegate Aurora 1000 --yes
    """

    target = _validator(validator)
    wei = parsing.amount(amount)
    session = WriteSession.open(password_file)
    planned = plans.delegation(session, target, wei)
    session.run_approval(planned.approval, planned.warnings)
    session.run(planned.plan)


@app.command()
def undelegate(
    validator: Validator,
    amount: Annotated[str, typer.Argument(help="OPG, or omit with --all.", show_default=False)] = "",
    all_: Annotated[bool, typer.Option("--all", help="Undelegate the whole position.")] = False,
    password_file: PasswordFile = None,
) -> None:
    """Start unbonding stake from a validator; it can be withdrawn after the unbonding period and
    stays slashable for the validator's earlier faults until then.

    Example: ogcli stake undelegate Aurora --all --yes
    """
    from ogcli.chain.tx import Plan

    if all_ == bool(amount):
        raise UsageError("give an AMOUNT or --all (not both)")
    target = _validator(validator)
    wei = None if all_ else parsing.amount(amount)
    session = WriteSession.open(password_file)
    plans.require_known(session, target)
    _shares, position = session.staking.delegationOf(target, session.me).call()
    if position == 0:
        raise UsageError(f"you have no stake with {target}")
    if wei is None:
        wei = position
    elif wei > position:
        raise UsageError(f"{_fmt(wei)} OPG is more than your {_fmt(position)} OPG delegated to {target}")
    days = session.staking.params().call()[0] / 86_400
    call = session.staking.undelegateAll(target) if all_ else session.staking.undelegate(target, wei)
    session.run(
        Plan(
            action=f"undelegate {_fmt(wei)} OPG",
            call=call,
            rows=(("validator", target), ("amount", f"{_fmt(wei)} OPG"), ("unbonding", f"{days:g} days")),
        )
    )


@app.command()
def redelegate(
    source: Annotated[str, typer.Argument(help="Validator to move stake from (address, its start or name).",
                                          show_default=False)],
    destination: Annotated[str, typer.Argument(help="Validator to move stake to.", show_default=False)],
    amount: Amount,
    password_file: PasswordFile = None,
) -> None:
    """Move stake between validators at once (it stays slashable for the source's faults for an
    unbonding period).

    Example: ogcli stake redelegate Aurora Borealis 500 --yes
    """
    from ogcli.chain.tx import Plan

    src, dst = _validators(source, destination)
    wei = parsing.amount(amount)
    if src == dst:
        raise UsageError("cannot redelegate a validator's stake to itself")
    session = WriteSession.open(password_file)
    plans.require_known(session, src)
    _shares, position = session.staking.delegationOf(src, session.me).call()
    if wei > position:
        raise UsageError(f"{_fmt(wei)} OPG is more than your {_fmt(position)} OPG delegated to {src}")
    plans.require_active(session, dst)
    session.run(
        Plan(
            action=f"redelegate {_fmt(wei)} OPG",
            call=session.staking.redelegate(src, dst, wei),
            rows=(("from", src), ("to", dst), ("amount", f"{_fmt(wei)} OPG")),
            warnings=tuple(plans.delegation_warnings(session, dst, wei)),
        )
    )


@app.command()
def withdraw(password_file: PasswordFile = None) -> None:
    """Pay out every unbonding entry that has matured.

    Example: ogcli stake withdraw --yes
    """
    import time

    from ogcli.chain.tx import Plan

    session = WriteSession.open(password_file)
    now = session.protocol.w3.eth.get_block("latest")["timestamp"]
    entries = session.staking.unbondingEntries(session.me).call()
    matured = sum(e[3] for e in entries if e[5] <= now)
    if not any(e[5] <= now for e in entries):
        pending = [e for e in entries if e[5] > now]
        when = f"; the next matures {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(min(e[5] for e in pending)))}" if pending else ""
        raise UsageError(f"nothing to withdraw{when}")
    session.run(Plan(action=f"withdraw {_fmt(matured)} OPG", call=session.staking.withdraw(), rows=(("amount", f"{_fmt(matured)} OPG"),)))


@app.command()
def rewards(
    claim: Annotated[bool, typer.Option("--claim", help="Claim them (one transaction for all validators).")] = False,
    password_file: PasswordFile = None,
) -> None:
    """Pending rewards per validator you delegate to (and your commission, if you validate).

    Example: ogcli stake rewards --claim --yes
    """
    from ogcli.chain.tx import Plan

    from ogcli.chain.positions import read_positions

    session = WriteSession.open(password_file if claim else None, unlock=claim)
    held = read_positions(session.protocol, session.me)
    # Where stake is held, plus validators left with unclaimed rewards after a full undelegation
    # (claimAllRewards pays those too); a validator's own entry includes its commission.
    pending = {d.validator: d.pending_rewards_wei for d in held.delegations}
    pending.update(held.rewards_elsewhere_wei)
    total = sum(pending.values())
    if not claim:
        data = {"address": session.me, "total_wei": str(total), "by_validator": {v: str(w) for v, w in pending.items()}}
        output.emit(data, lambda: output.kv_table([(v, f"{_fmt(w)} OPG") for v, w in pending.items()] + [("total", f"{_fmt(total)} OPG")]))
        return
    if total == 0:
        raise UsageError("no rewards to claim")
    session.run(Plan(action=f"claim {_fmt(total)} OPG of rewards", call=session.staking.claimAllRewards(), rows=(("amount", f"{_fmt(total)} OPG"),)))


# ---------------------------------------------------------------------- helpers


def _validator(text: str) -> str:
    return _validators(text)[0]


def _validators(*texts: str) -> list[str]:
    """The addresses validator references name: a full address as typed (checksum checked), else
    the start of one or a name, among the registered validators (read once, without web3)."""
    states = None
    if any(len(text.strip()) != 42 for text in texts):
        from ogcli.chain.network import open_reader
        from ogcli.chain.validators import read_validator_states

        states = read_validator_states(open_reader(context.resolve_network()))
    return [_validator_address(text, states) for text in texts]


def _validator_address(text: str, states) -> str:
    from ogcli.core.validator_ref import ValidatorRefError, match_validator

    if len(text.strip()) == 42:  # a full address: checked (checksum included) as everywhere else
        return parsing.address(text)
    try:
        return match_validator(text, [(s.address, s.metadata.get("name", "")) for s in states])
    except ValidatorRefError as exc:
        raise UsageError(str(exc)) from None


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)
