"""Human renderings of `ogcli stake` results (the JSON shapes are built in stake.py)."""

from __future__ import annotations

from ogcli import output
from ogcli.core.amounts import format_amount
from ogcli.core.units import format_duration, format_utc


def opg(wei: int | str) -> str:
    return f"{format_amount(int(wei), group=True)} OPG"


def _table(title: str, columns: list[tuple[str, str]]):
    from rich.table import Table

    table = Table(title=title, title_justify="left", caption_justify="left")
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=justify == "right")
    return table


def validator_detail(data: dict, now: int) -> None:
    console = output.console()
    name = data["moniker"] or data["address"]
    status = data["status"] if data["status"] == "active" else f"[bold red]{data['status']}[/]"
    if data["jailed_until"] and data["status"] == "jailed":
        left = data["jailed_until"] - now
        status += f" (may unjail {'now' if left <= 0 else 'in ' + format_duration(left)})"
    meta = data["metadata"]
    rows = [
        ("validator", f"{name} {data['address']}"),
        ("score", f"{data['score']:.0f}/100, rank {data['rank']} of {data['of']} over {data['window']}"),
        ("status", status),
        ("stake", f"{opg(data['stake_wei'])} ({data['share'] * 100:.1f}% of all stake)"),
        ("self-bond", opg(data["self_stake_wei"])),
        ("commission", f"{data['commission_bps'] / 100:.2f}%"),
        ("delegators", str(data["delegators"])),
        ("registered", format_utc(data["registered_at"])),
    ]
    rows += [(key.replace("_", " "), meta[key]) for key in ("website", "security_contact", "details", "uri") if key in meta]
    output.kv_table(rows)

    table = _table("score breakdown", [("sub-score", "left"), ("weight", "right"), ("score", "right"), ("from", "left")])
    for sub, part in data["breakdown"].items():
        table.add_row(sub, str(part["weight"]), f"{part['score']:.0f}", _metrics_text(part["metrics"]))
    penalties = ", ".join(f"{k.replace('_', ' ')} -{v:.0f}" for k, v in data["penalties"].items())
    table.caption = f"penalties: {penalties}" if penalties else "no penalties"
    console.print(table)

    table = _table("commission history", [("when", "left"), ("change", "left")])
    for change in data["commission_history"]:
        moved = f"{change['to_bps'] / 100:.2f}% at registration" if change["from_bps"] is None else (
            f"{change['from_bps'] / 100:.2f}% -> {change['to_bps'] / 100:.2f}%"
        )
        table.add_row(format_utc(change["time"]), moved)
    console.print(table)

    if data["slash_history"]:
        table = _table("slashes", [("when", "left"), ("fraction", "right"), ("taken", "right"), ("reason", "left")])
        for slash in data["slash_history"]:
            taken = int(slash["bonded_wei"]) + int(slash["unbonding_wei"]) + int(slash["redelegation_wei"])
            table.add_row(format_utc(slash["time"]), f"{slash['fraction_bps'] / 100:g}%", opg(taken), slash["reason"])
        console.print(table)
    else:
        console.print("slashes: none")

    if data["tee"]:
        table = _table(
            f"TEE enclaves it vouched for ({data['window']})",
            [("vendor", "left"), ("measurement", "left"), ("attested", "right"), ("revocation", "left")],
        )
        for tee in data["tee"]:
            threat = ", ".join(f"proposal {p[:10]}…" for p in tee["revocation_proposals"])
            table.add_row(
                tee["vendor"],
                f"{tee['label'] or ''} {tee['measurement'][:18]}…".strip(),
                str(tee["attestations"]),
                f"[bold red]open: {threat}[/]" if threat else "none open",
            )
        console.print(table)
    else:
        console.print(f"TEE enclaves: it attested no records in the last {data['window']}")


def _metrics_text(metrics: dict) -> str:
    parts = []
    for key, value in metrics.items():
        label = key.replace("_", " ")
        if value is None:
            parts.append(f"{label} -")
        elif isinstance(value, bool):
            parts.append(f"{label} {'yes' if value else 'no'}")
        elif key.endswith("_wei"):
            parts.append(f"{label.removesuffix(' wei')} {format_amount(int(value), max_fraction=0, group=True)}")
        elif key.endswith("_bps"):
            parts.append(f"{label.removesuffix(' bps')} {value / 100:.2f}%")
        elif key.endswith("_s"):
            parts.append(f"{label.removesuffix(' s')} {value:g}s")
        else:
            parts.append(f"{label} {value}")
    return ", ".join(parts)


def _name(validators: dict, address: str) -> str:
    state = validators.get(address)
    moniker = state.moniker if state is not None else ""
    return f"{moniker} {address[:10]}…" if moniker else address


def positions(data: dict, validators: dict) -> None:
    console = output.console()
    totals = data["totals"]
    output.kv_table(
        [
            ("address", data["address"]),
            ("delegated", opg(totals["delegated_wei"])),
            ("pending rewards", opg(totals["pending_rewards_wei"])),
            ("unbonding", opg(totals["unbonding_wei"])),
            ("withdrawable now", opg(totals["withdrawable_wei"])),
        ]
    )
    if data["delegations"]:
        table = _table("delegations", [("validator", "left"), ("status", "left"), ("value", "right"), ("rewards", "right")])
        for d in data["delegations"]:
            status = d["status"] if d["status"] == "active" else f"[bold red]{d['status']}[/]"
            table.add_row(_name(validators, d["validator"]), status, opg(d["value_wei"]), opg(d["pending_rewards_wei"]))
        console.print(table)
    else:
        console.print("delegations: none")
    if data["unbonding"]:
        table = _table("unbonding", [("id", "right"), ("validator", "left"), ("balance", "right"), ("matures", "left")])
        for u in data["unbonding"]:
            left = "[green]ready: `ogcli stake withdraw`[/]" if u["matured"] else f"in {format_duration(u['seconds_left'])}"
            balance = opg(u["balance_wei"])
            if u["balance_wei"] != u["initial_wei"]:
                balance += f" (of {opg(u['initial_wei'])}; slashed)"
            table.add_row(str(u["id"]), _name(validators, u["validator"]), balance, f"{format_utc(u['completes'])}, {left}")
        console.print(table)
    if data["redelegations"]:
        table = _table(
            "redelegations still slashable for the source's faults",
            [("from", "left"), ("to", "left"), ("amount", "right"), ("until", "left")],
        )
        for r in data["redelegations"]:
            table.add_row(
                _name(validators, r["from"]), _name(validators, r["to"]), opg(r["amount_wei"]),
                f"{format_utc(r['completes'])}, in {format_duration(r['seconds_left'])}",
            )
        console.print(table)
    if data["exposure"]:
        table = _table(
            "slashing exposure",
            [("validator", "left"), ("reachable by a slash", "right"), (f"one dispute ({data['dispute_slash_bps'] / 100:g}%)", "right")],
        )
        for e in data["exposure"]:
            table.add_row(_name(validators, e["validator"]), opg(e["reachable_wei"]), opg(e["per_dispute_loss_wei"]))
        table.caption = "What-ifs for other fractions and fault times: `ogcli stake exposure`."
        console.print(table)


def exposure(data: dict, validators: dict) -> None:
    console = output.console()
    if not data["validators"]:
        console.print(f"{data['address']} has nothing a slash could reach.")
        return
    table = _table(
        f"if slashed by {data['fraction_bps'] / 100:g}% now, for a fault at {format_utc(data['infraction_time'])}",
        [("validator", "left"), ("bonded", "right"), ("unbonding", "right"), ("redelegated", "right"), ("you lose", "right")],
    )
    for v in data["validators"]:
        table.add_row(
            _name(validators, v["validator"]), opg(v["bonded_loss_wei"]), opg(v["unbonding_loss_wei"]),
            opg(v["redelegation_loss_wei"]), f"[bold]{opg(v['total_loss_wei'])}[/]",
        )
    table.caption = (
        "Each row is that validator slashed on its own. Your unbonding and redelegation entries made "
        "before the fault are safe; later ones lose the fraction of their initial amount."
    )
    console.print(table)
    _enclave_bonds(data.get("enclaves", []))


def _enclave_bonds(enclaves: list[dict]) -> None:
    if not enclaves:
        return
    table = _table("the bonds in front of your stake", [("enclave", "left"), ("operator", "left"), ("bond", "right"),
                                                       ("settles TEE", "left")])
    for e in enclaves:
        table.add_row(e["signer"], e["operator"], opg(e["bond_wei"]), "yes" if e["bonded"] else "[red]no: below the minimum[/]")
    table.caption = ("A false TEE record slashes the bond of the node that settled it (refunding its payer) as well as "
                     "every validator that vouched for it.")
    output.console().print(table)
