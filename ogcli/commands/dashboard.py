"""`ogcli dashboard`: the live network dashboard (Textual)."""

from typing import Annotated

import typer

from ogcli import context
from ogcli.appfactory import new_app

app = new_app(
    "The live dashboard: usage, validators, models, governance, positions and events; delegate and vote from it."
    "\n\nExample: ogcli dashboard --refresh 5",
    no_args_is_help=False,  # bare `ogcli dashboard` opens it: the command has a default action
)


@app.callback(invoke_without_command=True)
def dashboard(
    refresh: Annotated[float, typer.Option("--refresh", min=1, help="Seconds between the end of one refresh and the next.")] = 5.0,
) -> None:
    """Open the dashboard: network usage with sparklines, the validator table (sortable,
    searchable, with a detail pane), models, proposals with countdowns and the TEE whitelist, the
    active account's positions, and a live event feed. `d` delegates to the selected validator and
    `v` votes on the selected proposal, with the CLI's preview and confirmation. Keyboard first;
    `?` lists the keys, `q` quits.

    Example: ogcli dashboard --refresh 5
    """
    # Textual loads here, not at `ogcli --help` (the dashboard reads without web3; writes load it).
    from tui.app import Dashboard
    from tui.snapshot import NetworkLoader

    Dashboard(NetworkLoader(context.resolve_network()), refresh_s=refresh).run()
