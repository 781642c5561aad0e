"""`ogcli stake`: validators judged by quality, and (next) delegation from the terminal."""

from typing import Annotated

import typer

from ogcli import context, output, parsing
from ogcli.appfactory import new_app
from ogcli.errors import UsageError
from ogcli.receipt import report
from ogcli.signing import PasswordFile

app = new_app("Staking: validators ranked by quality, delegations.\n\nExample: ogcli stake validators")

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
    from ogcli.chain.network import open_protocol
    from ogcli.chain.validators import read_board
    from ogcli.core.quality import nakamoto_coefficient, score_validators

    with diagnostics.spinner("reading validators"):
        board = read_board(open_protocol(context.resolve_network()))
    states = board.states
    scores = {s.address: s for s in score_validators(board.metrics(WINDOWS[window]))}
    total = sum(s.tokens_wei for s in states) or 1
    rows = [_row(state, scores[state.address], total) for state in states]
    rows = [r for r in rows if status == "all" or r["status"] == status]
    rows.sort(key=lambda r: _sort_key(r, sort), reverse=sort != "commission")
    rows = rows[:limit]
    nakamoto = nakamoto_coefficient([s.tokens_wei for s in states])
    data = {"window": window, "nakamoto_coefficient": nakamoto, "validators": rows}
    output.emit(data, lambda: _render(rows, nakamoto, window))


def _row(state, score, total_wei: int) -> dict:
    return {
        "address": state.address,
        "moniker": state.moniker,
        "score": score.composite,
        "sub_scores": score.sub_scores,
        "penalties": score.penalties,
        "stake_wei": str(state.tokens_wei),
        "share": round(state.tokens_wei / total_wei, 6),
        "commission_bps": state.commission_bps,
        "self_stake_wei": str(state.self_stake_wei),
        "status": state.status,
        "slashes": state.slash_count,
        "delegators": state.delegator_count,
    }


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


LOW_SCORE = 50.0
CONCENTRATION_WARNING = 0.20

Validator = Annotated[str, typer.Argument(help="Validator address.", show_default=False)]
Amount = Annotated[str, typer.Argument(help="OPG, in whole tokens (e.g. 1500.5).", show_default=False)]


@app.command()
def delegate(validator: Validator, amount: Amount, password_file: PasswordFile = None) -> None:
    """Delegate OPG to a validator. You share its rewards (minus commission) and its slashes.

    Example: ogcli stake delegate 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 1000 --yes
    """
    from ogcli.chain.tx import BalanceChange, Plan

    session = _Session.open(password_file)
    target = parsing.address(validator)
    wei = parsing.amount(amount)
    held = session.token.balanceOf(session.me).call()
    _require_active(session, target)  # before any approval is signed for a delegation that cannot happen
    warnings = _delegation_warnings(session, target, wei)
    session.ensure_allowance(wei, warnings)
    session.run(
        Plan(
            action=f"delegate {_fmt(wei)} OPG",
            call=session.staking.delegate(target, wei),
            rows=(("validator", target), ("amount", f"{_fmt(wei)} OPG")),
            balance_changes=(BalanceChange("OPG (wallet)", held, held - wei),),
            warnings=tuple(warnings),
        )
    )


@app.command()
def undelegate(
    validator: Validator,
    amount: Annotated[str, typer.Argument(help="OPG, or omit with --all.", show_default=False)] = "",
    all_: Annotated[bool, typer.Option("--all", help="Undelegate the whole position.")] = False,
    password_file: PasswordFile = None,
) -> None:
    """Start unbonding stake from a validator; it can be withdrawn after the unbonding period and
    stays slashable for the validator's earlier faults until then.

    Example: ogcli stake undelegate 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --all --yes
    """
    from ogcli.chain.tx import Plan

    if all_ == bool(amount):
        raise UsageError("give an AMOUNT or --all (not both)")
    session = _Session.open(password_file)
    target = parsing.address(validator)
    _shares, position = session.staking.delegationOf(target, session.me).call()
    wei = position if all_ else parsing.amount(amount)
    if wei == 0:
        raise UsageError(f"you have no stake with {target}")
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
    source: Annotated[str, typer.Argument(help="Validator to move stake from.", show_default=False)],
    destination: Annotated[str, typer.Argument(help="Validator to move stake to.", show_default=False)],
    amount: Amount,
    password_file: PasswordFile = None,
) -> None:
    """Move stake between validators at once (it stays slashable for the source's faults for an
    unbonding period).

    Example: ogcli stake redelegate 0xSOURCE 0xDESTINATION 500 --yes
    """
    from ogcli.chain.tx import Plan

    session = _Session.open(password_file)
    src, dst = parsing.address(source), parsing.address(destination)
    wei = parsing.amount(amount)
    _require_active(session, dst)
    session.run(
        Plan(
            action=f"redelegate {_fmt(wei)} OPG",
            call=session.staking.redelegate(src, dst, wei),
            rows=(("from", src), ("to", dst), ("amount", f"{_fmt(wei)} OPG")),
            warnings=tuple(_delegation_warnings(session, dst, wei)),
        )
    )


@app.command()
def withdraw(password_file: PasswordFile = None) -> None:
    """Pay out every unbonding entry that has matured.

    Example: ogcli stake withdraw --yes
    """
    import time

    from ogcli.chain.tx import Plan

    session = _Session.open(password_file)
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

    session = _Session.open(password_file if claim else None, unlock=claim)
    validators = list(session.staking.delegatorValidators(session.me).call())
    if session.me not in validators and _is_validator(session, session.me):
        validators.append(session.me)
    pending = {v: session.staking.pendingRewards(v, session.me).call() for v in validators}
    total = sum(pending.values())
    if not claim:
        data = {"address": session.me, "total_wei": str(total), "by_validator": {v: str(w) for v, w in pending.items()}}
        output.emit(data, lambda: output.kv_table([(v, f"{_fmt(w)} OPG") for v, w in pending.items()] + [("total", f"{_fmt(total)} OPG")]))
        return
    if total == 0:
        raise UsageError("no rewards to claim")
    session.run(Plan(action=f"claim {_fmt(total)} OPG of rewards", call=session.staking.claimAllRewards(), rows=(("amount", f"{_fmt(total)} OPG"),)))


# ---------------------------------------------------------------------- helpers


class _Session:
    """The resolved network, protocol and (when writing) the unlocked signer of one command."""

    def __init__(self, network, protocol, account, me) -> None:
        self.network, self.protocol, self.account, self.me = network, protocol, account, me
        self.staking = protocol.staking.functions
        self.token = protocol.token.functions

    @classmethod
    def open(cls, password_file, unlock: bool = True) -> "_Session":
        from ogcli.chain.network import open_protocol
        from ogcli.signing import signer_address, unlock_signer

        network = context.resolve_network()
        protocol = open_protocol(network)
        if unlock:
            account = unlock_signer(network, password_file)
            return cls(network, protocol, account, account.address)
        return cls(network, protocol, None, signer_address(network))

    def run(self, plan) -> None:
        from ogcli.chain.tx import execute

        outcome = execute(plan, w3=self.protocol.w3, network=self.network, account=self.account, options=context.OPTIONS)
        report(outcome)

    def ensure_allowance(self, wei: int, warnings: list[str]) -> None:
        """Staking pulls the tokens: approve exactly what is missing first (its own confirmation).
        The delegation's warnings are shown before that approval, not only after it."""
        from ogcli import diagnostics
        from ogcli.chain.tx import Plan, execute

        spender = self.protocol.staking.address
        if self.token.allowance(self.me, spender).call() >= wei:
            return
        for warning in warnings:
            diagnostics.warn(warning)
        outcome = execute(
            Plan(action=f"approve Staking to pull {_fmt(wei)} OPG", call=self.token.approve(spender, wei), rows=(("spender", spender),)),
            w3=self.protocol.w3,
            network=self.network,
            account=self.account,
            options=context.OPTIONS,
        )
        if not outcome.sent:  # --dry-run: the delegation itself cannot be simulated without it
            report(outcome)
            raise typer.Exit(0)


def _delegation_warnings(session: _Session, target: str, wei: int) -> list[str]:
    from ogcli.chain.validators import read_board
    from ogcli.core.quality import score_validators

    board = read_board(session.protocol)
    states = board.states
    state = board.state(target)
    if state is None:
        return []  # the simulation will say it is not a validator
    warnings = []
    if state.jailed:
        warnings.append("this validator is jailed: it earns nothing and the contract refuses new stake")
    score = {s.address: s for s in score_validators(board.metrics(WINDOWS["7d"]))}[target]
    if score.composite < LOW_SCORE:
        warnings.append(f"this validator scores {score.composite:.0f}/100 (see `ogcli stake validators`)")
    total = sum(s.tokens_wei for s in states) + wei
    share = (state.tokens_wei + wei) / total
    if share > CONCENTRATION_WARNING:
        warnings.append(f"this would give the validator {share:.0%} of all stake (over {CONCENTRATION_WARNING:.0%}): concentration risk")
    return warnings


def _require_active(session: _Session, validator: str) -> None:
    from ogcli.errors import RevertedError

    if not session.staking.isActive(validator).call():
        known = _is_validator(session, validator)
        why = "is jailed or has no stake" if known else "is not a registered validator"
        raise RevertedError(f"{validator} {why}: it cannot take delegations; nothing was sent")


def _is_validator(session: _Session, address: str) -> bool:
    return address in session.staking.validators().call()


def _fmt(wei: int) -> str:
    from ogcli.core.amounts import format_amount

    return format_amount(wei, group=True)
