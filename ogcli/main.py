"""The root Typer app: global options, the sub-apps, and the one place errors become exit codes."""


import os
import sys
from typing import Annotated, Optional

import typer

from ogcli import __version__, context, diagnostics, output
from ogcli.appfactory import new_app
from ogcli.lazy import LazyGroup
from ogcli.errors import ExitCode, OgcliError

app = new_app(
    "Stake, publish models, vote and run nodes on a verifiable-AI network.\n\nExample: ogcli devnet up",
    name="ogcli",
    cls=LazyGroup,  # sub-commands load on first use (ogcli/lazy.py)
)


def _version(value: bool) -> None:
    if value:
        print(f"ogcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    profile: Annotated[
        Optional[str], typer.Option("--profile", envvar="OGCLI_PROFILE", help="Config profile to use.", show_default=False)
    ] = None,
    rpc_url: Annotated[
        Optional[str], typer.Option("--rpc-url", envvar="OGCLI_RPC_URL", help="JSON-RPC endpoint (overrides the profile's).", show_default=False)
    ] = None,
    account: Annotated[
        Optional[str], typer.Option("--account", envvar="OGCLI_ACCOUNT", help="Wallet to sign with.", show_default=False)
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", envvar="OGCLI_JSON", help="Print one JSON document on stdout.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", envvar="OGCLI_YES", help="Do not ask for confirmation (required without a TTY).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", envvar="OGCLI_DRY_RUN", help="Show what a write would do; send nothing.")
    ] = False,
    unsigned: Annotated[
        Optional[str], typer.Option("--unsigned", help="Write the transaction, unsigned, to this new file (for `ogcli tx "
                                                       "sign` on the machine with the key) instead of sending it.",
                                    show_default=False)
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", envvar="OGCLI_QUIET", help="Only results, no progress.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", envvar="OGCLI_VERBOSE", help="Explain each step.")] = False,
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Stake, publish models, vote and run nodes on a verifiable-AI network."""
    context.OPTIONS = context.GlobalOptions(
        profile=profile,
        rpc_url=rpc_url,
        account=account,
        json=json_output,
        yes=yes,
        dry_run=dry_run,
        quiet=quiet,
        verbose=verbose,
        unsigned=unsigned,
    )


_GLOBAL_FLAGS = {"--json", "--yes", "-y", "--dry-run", "--quiet", "-q", "--verbose", "-v"}
_GLOBAL_VALUED = {"--profile", "--rpc-url", "--account", "--unsigned"}


def hoist_global_options(argv: list[str]) -> list[str]:
    """Moves global options written after the subcommand to the front, so `ogcli devnet reset
    --yes` works like `ogcli --yes devnet reset`. No subcommand defines an option of these names;
    everything after `--` is left alone."""
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            rest.extend(argv[index:])
            break
        name = arg.split("=", 1)[0]
        if arg in _GLOBAL_FLAGS:
            hoisted.append(arg)
        elif name in _GLOBAL_VALUED and "=" in arg:
            hoisted.append(arg)
        elif arg in _GLOBAL_VALUED and index + 1 < len(argv):
            hoisted.extend(argv[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return hoisted + rest


def _json_requested(argv: list[str]) -> bool:
    # Errors can happen before the root callback has parsed --json (a usage error, say).
    return "--json" in argv or os.environ.get("OGCLI_JSON", "").lower() in ("1", "true", "yes")


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and maps every failure to one line and an exit code."""
    argv = hoist_global_options(sys.argv[1:] if argv is None else argv)
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
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            # A bare noun (`ogcli wallet`): its help is what was asked for. Click leaves printing
            # it to standalone mode, which ogcli does not use, so it is printed here.
            if json_mode:
                _fail(json_mode, "usage", f"give a command: `{ctx.command_path} --help` lists them", None, ExitCode.USAGE)
            sys.stdout.write(ctx.get_help() + "\n")
            sys.exit(ExitCode.OK)
        message = exc.format_message()
        if usage and ctx is not None and not json_mode:
            message = f"{message}\n{ctx.get_usage()}"
        _fail(json_mode, "usage" if usage else "error", message, None, ExitCode.USAGE if usage else ExitCode.ERROR)
    except Exception as exc:  # the last resort: a bug, said in one line, its traceback logged
        from ogcli.crash_log import record

        where = record(exc, argv)
        _fail(json_mode, "internal", f"internal error ({type(exc).__name__}), see {where}; please report it", None,
              ExitCode.ERROR)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _fail(json_mode: bool, code: str, message: str, hint: str | None, exit_code: int) -> None:
    if json_mode:
        output.emit_error(code, message)
    else:
        diagnostics.error(message, hint)
    sys.exit(int(exit_code))
