"""`ogcli stake`: validators judged by quality, and (next) delegation from the terminal."""

from typing import Annotated

import typer

from ogcli import context, output
from ogcli.appfactory import new_app
from ogcli.errors import UsageError

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
    from ogcli.chain.validators import read_metrics, read_validator_states
    from ogcli.core.quality import nakamoto_coefficient, score_validators

    protocol = open_protocol(context.resolve_network())
    with diagnostics.spinner("reading validators"):
        states = read_validator_states(protocol)
        scores = {s.address: s for s in score_validators(read_metrics(protocol, states, WINDOWS[window]))}
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
