"""The root Typer app: global options, the sub-apps, and the one place errors become exit codes."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from ogcli import __version__, diagnostics, output
from ogcli.commands import devnet as devnet_commands
from ogcli.errors import ExitCode, OgcliError

app = typer.Typer(
    name="ogcli",
    help="Stake, publish models, vote and run nodes on a verifiable-AI network.\n\n"
    "Example: ogcli devnet up",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(devnet_commands.app, name="devnet")


def _version(value: bool) -> None:
    if value:
        print(f"ogcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    json_output: Annotated[
        bool, typer.Option("--json", envvar="OGCLI_JSON", help="Print one JSON document on stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", envvar="OGCLI_QUIET", help="Only results, no progress.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", envvar="OGCLI_VERBOSE", help="Explain each step.")] = False,
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Stake, publish models, vote and run nodes on a verifiable-AI network."""
    output.configure(json_mode=json_output, quiet=quiet, verbose=verbose)


def _json_requested(argv: list[str]) -> bool:
    # Errors can happen before the root callback has parsed --json (a usage error, say).
    return "--json" in argv or os.environ.get("OGCLI_JSON", "").lower() in ("1", "true", "yes")


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and maps every failure to one line and an exit code."""
    argv = sys.argv[1:] if argv is None else argv
    json_mode = _json_requested(argv)
    try:
        code = app(args=argv, prog_name="ogcli", standalone_mode=False)
    except OgcliError as exc:
        _fail(json_mode, exc.code, exc.message, exc.hint, exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail(json_mode, "interrupted", "interrupted", None, ExitCode.INTERRUPTED)
    except typer.TyperException as exc:
        # Typer's own parse errors (bad option, missing argument, no arguments at all).
        usage = getattr(exc, "exit_code", 1) == ExitCode.USAGE
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(ExitCode.USAGE)  # Typer has printed the help already
        message = exc.format_message()
        if usage and ctx is not None and not json_mode:
            message = f"{message}\n{ctx.get_usage()}"
        _fail(json_mode, "usage" if usage else "error", message, None, ExitCode.USAGE if usage else ExitCode.ERROR)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _fail(json_mode: bool, code: str, message: str, hint: str | None, exit_code: int) -> None:
    if json_mode:
        output.emit_error(code, message)
    else:
        diagnostics.error(message, hint)
    sys.exit(int(exit_code))
