"""`ogcli devnet`: a local chain with the protocol deployed and two weeks of seeded history."""


import time
from pathlib import Path
from datetime import datetime, timezone
from typing import Annotated

import typer

from ogcli.appfactory import new_app

from ogcli import context, diagnostics, output
from ogcli.confirm import confirm
from ogcli.errors import UsageError

app = new_app("Run a local devnet: Anvil with the protocol deployed and a seeded network.\n\n"
    "Example: ogcli devnet up && ogcli devnet status")

# Defaults restated here rather than imported: ogcli.devnet.control pulls in process and HTTP
# modules that `ogcli --help` must not load. A test checks they match.
DEFAULT_PORT = 8545
DEFAULT_BLOCK_TIME_S = 1

Port = Annotated[int, typer.Option("--port", "-p", envvar="OGCLI_DEVNET_PORT", min=1, max=65535, help="RPC port on 127.0.0.1.")]
BlockTime = Annotated[
    int, typer.Option("--block-time", envvar="OGCLI_DEVNET_BLOCK_TIME", min=1, max=60, help="Seconds between blocks.")
]


@app.command()
def up(port: Port = DEFAULT_PORT, block_time: BlockTime = DEFAULT_BLOCK_TIME_S) -> None:
    """Start the devnet; the first time, deploy the protocol and seed it (validators, delegators,
    models, inference history, proposals). Makes `devnet` the active profile.

    Example: ogcli devnet up --port 8545
    """
    from ogcli.devnet import control

    with diagnostics.spinner("starting devnet") as update:
        result = control.up(port=port, block_time_s=block_time, progress=update)
    data = _up_data(result)

    def human() -> None:
        info = result.process
        if result.already_running:
            print(f"devnet already running at {info.rpc_url} (pid {info.pid}, since {_when(info.started_at)}); nothing changed")
            return
        how = "deployed and seeded" if result.fresh else "resumed from saved state"
        if result.outdated_contracts:
            diagnostics.warn(
                f"this devnet was built by another ogcli version ({', '.join(result.outdated_contracts)} differ); "
                "`ogcli devnet reset --yes` rebuilds it"
            )
        print(f"devnet {how} at {info.rpc_url} in {result.seconds:.1f}s (pid {info.pid}, chain id 31337)")
        print(f"profile 'devnet' is active; deployment: {result.deployment_path}")

    output.emit(data, human)


@app.command()
def down() -> None:
    """Stop the devnet; its chain state is saved and the next `up` resumes it.

    Example: ogcli devnet down
    """
    from ogcli.devnet import control

    with diagnostics.spinner("stopping devnet") as update:
        info = control.down(progress=update)
    output.emit(
        {"stopped": info is not None, "pid": info.pid if info else None},
        lambda: print(f"devnet stopped (pid {info.pid}); state saved" if info else "devnet is not running"),
    )


@app.command()
def status() -> None:
    """Say whether the devnet runs, where, since when, and what is deployed.

    Example: ogcli devnet status --json
    """
    from ogcli.devnet import control

    state = control.status()
    info = state.process
    data = {
        "running": state.running,
        "rpc_url": info.rpc_url if info else None,
        "pid": info.pid if info else None,
        "started_at": int(info.started_at) if info else None,
        "block_time_s": info.block_time_s if info else None,
        "chain_id": state.chain_id,
        "block_number": state.block_number,
        "block_timestamp": state.block_timestamp,
        "deployed": state.deployed,
        "contracts": state.contracts,
        "state_file": state.state_file,
        "state_bytes": state.state_bytes,
    }

    def human() -> None:
        if not state.running:
            saved = "a saved devnet exists; `ogcli devnet up` resumes it" if state.deployed else "no devnet yet; `ogcli devnet up` creates one"
            print(f"devnet is not running ({saved})")
            return
        rows = [
            ("status", "running"),
            ("rpc", info.rpc_url),
            ("pid", str(info.pid)),
            ("since", f"{_when(info.started_at)} ({_ago(info.started_at)})"),
            ("chain id", str(state.chain_id)),
            ("block", f"{state.block_number} at {_when(state.block_timestamp)}"),
            ("block time", f"{info.block_time_s}s"),
            ("state", f"{state.state_file} ({state.state_bytes / 1e6:.1f} MB)"),
        ]
        rows += [(name, address) for name, address in sorted(state.contracts.items())]
        output.kv_table(rows)

    output.emit(data, human)


@app.command()
def reset(
    port: Port = DEFAULT_PORT,
    block_time: BlockTime = DEFAULT_BLOCK_TIME_S,
) -> None:
    """Throw the devnet away (chain state, deployment) and create a new one.

    Example: ogcli devnet reset --yes
    """
    from ogcli.devnet import control

    confirm("Delete the devnet's chain state and start a new devnet?", yes=context.OPTIONS.yes)
    with diagnostics.spinner("resetting devnet") as update:
        result = control.reset(port=port, block_time_s=block_time, progress=update)
    output.emit(
        _up_data(result),
        lambda: print(f"new devnet at {result.process.rpc_url} in {result.seconds:.1f}s"),
    )


@app.command()
def advance(
    days: Annotated[str, typer.Option("--days", help="Days to move forward (decimals allowed).")] = "0",
    hours: Annotated[str, typer.Option("--hours", help="Hours to move forward.")] = "0",
    seconds: Annotated[int, typer.Option("--seconds", min=0, help="Seconds to move forward.")] = 0,
    blocks: Annotated[int, typer.Option("--blocks", min=0, help="Blocks to mine.")] = 0,
) -> None:
    """Move the devnet's clock forward (unbonding, voting periods, vesting) or mine blocks.

    Example: ogcli devnet advance --days 3
    """
    from ogcli.devnet import control

    total = seconds + _duration(days, "--days", 86_400) + _duration(hours, "--hours", 3_600)
    result = control.advance(seconds=total, blocks=blocks)
    output.emit(
        {"block_number": result.block_number, "block_timestamp": result.block_timestamp, "seconds": total, "blocks": blocks},
        lambda: print(f"advanced {total}s and {blocks} blocks: now block {result.block_number} at {_when(result.block_timestamp)}"),
    )


@app.command()
def fund(
    address: Annotated[str, typer.Argument(help="Address or wallet name to fund (e.g. from `ogcli wallet new`).")],
    opg: Annotated[str, typer.Option("--opg", help="OPG to send from the community allocation.")] = "10000",
    eth: Annotated[str, typer.Option("--eth", help="ETH for gas.")] = "10",
) -> None:
    """Devnet faucet: give an address OPG and ETH so it can stake, vote and pay for calls.

    Example: ogcli devnet fund me --opg 50000
    """
    from ogcli import parsing
    from ogcli.core.amounts import format_amount
    from ogcli.devnet import control

    if address.startswith("0x"):
        target = parsing.address(address)
    else:
        from ogcli import wallet

        target = wallet.address_of(address)  # a wallet name: its address, no password needed
    opg_wei = parsing.amount(opg, allow_zero=True)
    eth_wei = parsing.amount(eth, symbol="ETH", allow_zero=True)
    with diagnostics.spinner("funding"):
        funded = control.fund(target, opg_wei=opg_wei, eth_wei=eth_wei)
    output.emit(
        {"address": target, "opg_wei": str(opg_wei), "eth_wei": str(eth_wei), "tx_hash": funded.tx_hash},
        lambda: print(f"funded {target}: {format_amount(opg_wei, group=True)} OPG, {format_amount(eth_wei)} ETH"),
    )


@app.command()
def simulate(
    rate: Annotated[float, typer.Option("--rate", min=0.1, max=50, help="Calls per second.")] = 1.0,
    duration: Annotated[str, typer.Option("--duration", help="How long: 30s, 5m, 1h.")] = "60s",
    tamper: Annotated[float, typer.Option("--tamper", min=0, max=1, help="Share of calls from a compromised node.")] = 0.05,
    node: Annotated[str, typer.Option("--node", help="Node URL for the honest calls.")] = "http://127.0.0.1:8700",
) -> None:
    """Devnet traffic: paid inferences from the devnet's delegators through a node, a share of
    them tampered by a compromised node, attested by honest validators and one dishonest one, so
    liveness, correctness and disputes have live data (`ogcli node disputes` finds the lies).

    Example: ogcli devnet simulate --rate 2 --duration 5m --tamper 0.1
    """
    from ogcli import parsing
    from ogcli.chain.network import open_protocol
    from ogcli.devnet import control
    from ogcli.devnet.simulate import simulate as run_traffic
    from ogcli.errors import DevnetError

    seconds = parsing.duration_s(duration)
    info = control.running()
    if info is None:
        raise DevnetError("the devnet is not running; start it with `ogcli devnet up`")
    network = context.resolve_network()
    if network.chain_id != 31337:
        raise UsageError("simulate drives the local devnet only")
    with diagnostics.spinner("simulating traffic") as update:
        traffic = run_traffic(open_protocol(network), info.rpc_url, node, rate=rate, duration_s=seconds, tamper=tamper,
                              progress=update)
    data = {"calls": traffic.calls, "tampered": traffic.tampered, "attestations": traffic.attestations,
            "node_disputes": traffic.node_disputes, "rogue_bond_before_wei": str(traffic.rogue_bond_before_wei),
            "rogue_bond_after_wei": str(traffic.rogue_bond_after_wei), "refused_unbonded": traffic.refused_unbonded,
            "failures": traffic.failures}
    output.emit(data, lambda: _print_traffic(traffic))


@app.command("example-model")
def example_model(
    out: Annotated[Path, typer.Argument(help="Where to write the ONNX file (a new file).", show_default=False)],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Weights' seed: each seed is a different model.")] = 1,
) -> None:
    """Write a small ONNX model (a 4-feature MLP, random weights from --seed) to try `ogcli model
    push` with. Generated here: nothing is downloaded.

    Example: ogcli devnet example-model eth-vol.onnx --seed 7
    """
    from ogcli.devnet.models import make_mlp
    from ogcli.fsutil import write_new

    blob = make_mlp(out.stem, f"example model, seed {seed}: 4 features -> 8 -> 1", [4, 8, 1], 1_000 + seed, False)
    write_new(out, blob, mode=0o644)  # never over a file of yours
    output.emit({"path": str(out), "bytes": len(blob), "seed": seed},
                lambda: print(f"wrote {out} ({len(blob):,} bytes): push it with `ogcli model push {out} --name NAME --price 0.2`"))


def _duration(text: str, flag: str, unit_seconds: int) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{flag} takes a number, not {text!r}") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"{flag} must be a non-negative number, not {text!r}")
    return int(value * unit_seconds)


def _up_data(result) -> dict:
    info = result.process
    return {
        "rpc_url": info.rpc_url,
        "pid": info.pid,
        "chain_id": 31337,
        "already_running": result.already_running,
        "fresh": result.fresh,
        "seconds": round(result.seconds, 3),
        "deployment": str(result.deployment_path),
        "outdated_contracts": list(result.outdated_contracts),
    }


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(timestamp: float) -> str:
    delta = int(time.time() - timestamp)
    if delta < 120:
        return f"{delta}s ago"
    if delta < 7_200:
        return f"{delta // 60}m ago"
    return f"{delta // 3_600}h ago"


def _print_traffic(traffic) -> None:
    from ogcli.core.amounts import format_amount

    print(f"{traffic.calls} calls ({traffic.tampered} tampered), {traffic.attestations} attestations"
          + (f"; {len(traffic.failures)} failed: {traffic.failures[0]}" if traffic.failures else ""))
    print(f"compromised node: {traffic.node_disputes} forged records disputed, bond "
          f"{format_amount(traffic.rogue_bond_before_wei, group=True)} -> {format_amount(traffic.rogue_bond_after_wei, group=True)} OPG"
          + (f"; {traffic.refused_unbonded} more refused on chain (bond below the minimum)" if traffic.refused_unbonded else ""))
