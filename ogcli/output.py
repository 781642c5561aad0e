"""Renders results: one JSON document on stdout with --json, readable text otherwise.

stdout carries data only; progress, warnings and errors go to stderr (see diagnostics.py).
Colour follows rich's rules: off when NO_COLOR is set or stdout is not a terminal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from ogcli import context


def emit(data: Any, human: Callable[[], None]) -> None:
    """Prints `data` as the one JSON document, or calls `human` to print it for people."""
    if context.OPTIONS.json:
        sys.stdout.write(json.dumps({"ok": True, "data": data}, default=str) + "\n")
    else:
        human()


def emit_error(code: str, message: str) -> None:
    sys.stdout.write(json.dumps({"ok": False, "error": {"code": code, "message": message}}) + "\n")


def console():
    """A rich Console on stdout for tables (colour only on a TTY without NO_COLOR)."""
    from rich.console import Console

    # Piped output is read by scripts and pasted by people: do not fold tables to 80 columns.
    width = None if sys.stdout.isatty() else 200
    return Console(highlight=False, soft_wrap=True, width=width)


def kv_table(rows: list[tuple[str, str]], title: str | None = None) -> None:
    """Two aligned columns of label and value, the shape of most `show`/`status` outputs."""
    from rich.table import Table

    table = Table(show_header=False, box=None, title=title, title_justify="left", pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # addresses and paths are never cut off with an ellipsis
    for label, value in rows:
        table.add_row(label, value)
    console().print(table)
