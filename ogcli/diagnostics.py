"""Everything ogcli tells a person on stderr: progress spinners, notes, warnings, errors."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from ogcli import context


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def note(message: str) -> None:
    if not context.OPTIONS.quiet and not context.OPTIONS.json:
        _stderr_console().print(_escape(message), soft_wrap=True)


def warn(message: str) -> None:
    if not context.OPTIONS.json:
        _stderr_console().print(f"[yellow]warning:[/] {_escape(message)}", soft_wrap=True)


def error(message: str, hint: str | None = None) -> None:
    console = _stderr_console()
    console.print(f"[red]error:[/] {_escape(message)}", soft_wrap=True)
    if hint:
        console.print(f"hint: {_escape(hint)}", soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextlib.contextmanager
def spinner(message: str) -> Iterator[callable]:
    """A spinner on stderr while waiting (a TTY only); yields a function that updates its text."""
    if context.OPTIONS.quiet or context.OPTIONS.json or not sys.stderr.isatty():
        def update(text: str) -> None:
            if context.OPTIONS.verbose and not context.OPTIONS.json:
                print(text, file=sys.stderr)

        yield update
        return
    console = _stderr_console()
    with console.status(message) as status:
        yield lambda text: status.update(text)


@contextlib.contextmanager
def progress_bar(message: str, total_bytes: int) -> Iterator[callable]:
    """A byte progress bar on stderr (a TTY only); yields `advance(n_bytes)`."""
    if context.OPTIONS.quiet or context.OPTIONS.json or not sys.stderr.isatty():
        yield lambda _n: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        console=_stderr_console(), transient=True,
    ) as bar:
        task = bar.add_task(message, total=total_bytes)
        yield lambda n: bar.advance(task, n)
