"""`ogcli network`: what the active profile points at, whether its parts answer, and its usage."""


import time
from typing import Annotated

import typer

from ogcli import context, output
from ogcli.appfactory import new_app
from ogcli.errors import UsageError

app = new_app("The network the active profile points at, and its usage.\n\nExample: ogcli network stats")


@app.command()
def status() -> None:
    """Chain id, head block, contract addresses, whether the registered nodes answer, and which
    node `ogcli infer` calls when given no --node, and why.

    Example: ogcli network status --json
    """
    from ogcli.chain.network import open_reader
    from ogcli.chain.nodes import probe_nodes

    network = context.resolve_network()
    protocol = open_reader(network)
    block = protocol.rpc.block("latest")
    head = {"number": int(block["number"], 16), "timestamp": int(block["timestamp"], 16)}
    nodes = probe_nodes(protocol)
    infer_node = _infer_node(protocol, network)
    data = {
        "profile": network.profile,
        "rpc_url": network.rpc_url,
        "chain_id": network.chain_id,
        "block_number": head["number"],
        "block_timestamp": head["timestamp"],
        "block_age_s": max(0, int(time.time()) - head["timestamp"]),
        "contracts": protocol.deployment.contracts,
        "nodes": nodes,
        "infer_node": infer_node,
        "default_model": network.default_model or None,
    }

    def human() -> None:
        rows = [
            ("profile", network.profile),
            ("rpc", network.rpc_url),
            ("chain id", str(network.chain_id)),
            ("block", f"{head['number']} ({data['block_age_s']}s ago)"),
        ]
        rows += sorted(protocol.deployment.contracts.items())
        for node in nodes:
            state = "up" if node["reachable"] else f"unreachable ({node['error']})"
            rows.append((f"node {node['endpoint']}", state))
        if not nodes:
            rows.append(("nodes", "none registered"))
        if infer_node["url"]:
            rows.append(("infer uses", infer_node["url"]))
        rows += [("", f"- {reason}") for reason in infer_node["reasons"]]
        rows.append(("chat model", network.default_model or "the network's only chat model (no default_model set)"))
        output.kv_table(rows)

    output.emit(data, human)


@app.command()
def stats(
    window: Annotated[str, typer.Option("--window", help="24h (hourly buckets), 7d or 30d (daily).")] = "7d",
) -> None:
    """Network usage from the local event index (synced first): inferences, transactions, active
    wallets, attestations, models live, fees paid, publisher earnings, stake and its concentration,
    with a sparkline per series.

    Example: ogcli network stats --window 24h
    """
    from ogcli.core.stats import WINDOWS

    if window not in WINDOWS:
        raise UsageError(f"--window takes one of {', '.join(WINDOWS)}, not {window!r}")
    from ogcli import diagnostics
    from ogcli.chain.network import open_reader
    from ogcli.chain.usage import network_usage

    network = context.resolve_network()
    with diagnostics.spinner("indexing events"):
        data = network_usage(open_reader(network), network.profile, window)
    output.emit(data, lambda: _render_stats(data))


def _render_stats(data: dict) -> None:
    from ogcli.core.amounts import format_amount
    from ogcli.core.stats import sparkline

    series, totals = data["series"], data["totals"]

    def opg(wei) -> str:
        return f"{format_amount(int(wei), max_fraction=2, group=True)} OPG"

    rows = [
        ("inferences", f"{totals['inferences']:>8}  {sparkline(series['inferences'])}"),
        ("  paid by channel", f"{totals['inferences_in_batches']:>8}  in {totals['batches']} "
                              f"batch{'es' if totals['batches'] != 1 else ''}"
                              + (f", {totals['batch_gas_per_call']:,} gas a call" if totals["batch_gas_per_call"] else "")),
        ("transactions", f"{totals['transactions']:>8}  {sparkline(series['transactions'])}"),
        ("attestations", f"{totals['attestations']:>8}  {sparkline(series['attestations'])}"),
        ("batch verdicts", f"{totals['batch_verdicts']:>8}  {sparkline(series['batch_verdicts'])}"),
        ("active wallets", f"{totals['active_wallets']:>8}"),
        ("models live", f"{totals['models_live']:>8}"),
        ("fees paid", f"{opg(totals['fees_wei'])}  {sparkline([int(v) for v in series['fees_wei']])}"),
        ("publisher earnings", f"{opg(totals['publisher_earnings_wei'])}  {sparkline([int(v) for v in series['publisher_earnings_wei']])}"),
        ("stake", f"{opg(data['stake']['total_wei'])} over {data['stake']['validators']} validators, "
                  f"Nakamoto coefficient {data['stake']['nakamoto_coefficient']}"),
    ]
    output.kv_table(rows, title=f"network, last {data['window']} ({'hourly' if data['bucket_seconds'] == 3600 else 'daily'} buckets)")


def _infer_node(protocol, network) -> dict:
    """{url, source, reasons}: the node `infer` would call without --node; with none to pick, url
    is None and the reason says what to do."""
    from ogcli.sdk.discovery import pick_node

    try:
        picked = pick_node(protocol, network)
    except UsageError as exc:
        return {"url": None, "source": None, "reasons": [exc.message]}
    return {"url": picked.url, "source": picked.source, "reasons": list(picked.reasons)}
