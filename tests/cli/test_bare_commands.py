"""Every command group typed bare, as a person exploring types it: `ogcli wallet` shows the
wallet commands (it printed nothing and exited 2, as bare `ogcli dashboard` did), a noun with a
default action runs it, and --json gets one error document instead of help."""

from __future__ import annotations

import json

import pytest
import typer.main

from ogcli.lazy import SUBCOMMANDS


def _groups() -> list[tuple[str, ...]]:
    """Every group below the root, as the words a user types (`pay channel`, `gov propose`)."""
    import importlib

    found = []

    def walk(path: tuple[str, ...], command) -> None:
        if hasattr(command, "commands"):  # a group (Typer vendors its own click: no isinstance)
            found.append(path)
            for name, sub in command.commands.items():
                walk((*path, name), sub)

    for noun, (module, _line) in SUBCOMMANDS.items():
        walk((noun,), typer.main.get_command(importlib.import_module(module).app))
    return found


GROUPS = [g for g in _groups() if g != ("dashboard",)]  # bare `ogcli dashboard` opens it: tests/tui


def test_every_group_is_found():
    assert {("wallet",), ("pay", "channel"), ("gov", "propose"), ("config", "profile")} <= set(GROUPS)


@pytest.mark.parametrize("words", GROUPS, ids=" ".join)
def test_a_bare_group_shows_its_commands(cli, words):
    result = cli(*words)
    assert result.exit_code == 0, result
    assert result.stdout.startswith(f"Usage: ogcli {' '.join(words)} ") and "Commands:" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("words", [("wallet",), ("pay", "channel")], ids=" ".join)
def test_a_bare_group_under_json_is_one_error_document(cli, words):
    result = cli("--json", *words)
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "usage" and f"ogcli {' '.join(words)} --help" in error["message"]
