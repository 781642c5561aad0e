"""`ogcli dashboard`: the live network dashboard (Textual)."""

from typing import Annotated

import typer

from ogcli import context
from ogcli.appfactory import new_app

app = new_app("The live dashboard: usage and validators, refreshed in the background.\n\nExample: ogcli dashboard --refresh 5")


@app.callback(invoke_without_command=True)
def dashboard(
    refresh: Annotated[float, typer.Option("--refresh", min=1, help="Seconds between refreshes.")] = 5.0,
) -> None:
    """Open the dashboard: network usage with sparklines and the validator table (sortable,
    searchable, with a detail pane). Keyboard first; `?` lists the keys, `q` quits.

    Example: ogcli dashboard --refresh 5
    """
    from tui.app import Dashboard
    from tui.snapshot import NetworkLoader

    Dashboard(NetworkLoader(context.resolve_network()), refresh_s=refresh).run()
