"""Options shared by several commands, declared once with one spelling and one env var each."""

from __future__ import annotations

from typing import Annotated

import typer

Yes = Annotated[
    bool,
    typer.Option("--yes", "-y", envvar="OGCLI_YES", help="Do not ask for confirmation (required without a TTY)."),
]
