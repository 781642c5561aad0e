"""Builds every Typer app of the CLI with the same settings (one place to change them)."""

from __future__ import annotations

import typer


def new_app(help_text: str, **kwargs) -> typer.Typer:
    """A sub-app (or the root) with plain help rendering.

    Plain, not rich, help: Typer's rich help imports markdown and rich layout code that costs
    ~0.1 s per invocation, and `ogcli --help` must stay under 0.15 s. Tables and colours in
    command output still use rich, imported only where they are drawn.

    Command modules do not use `from __future__ import annotations`: Typer would then eval every
    parameter's annotation string on each start (~30 ms for the whole tree).
    """
    kwargs.setdefault("no_args_is_help", True)
    return typer.Typer(
        help=help_text,
        rich_markup_mode=None,
        pretty_exceptions_show_locals=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        **kwargs,
    )
