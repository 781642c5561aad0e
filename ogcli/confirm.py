"""Asks before anything destructive or costly; never prompts when stdin is not a terminal."""

from __future__ import annotations

import sys

from ogcli.errors import NotConfirmedError


def confirm(question: str, *, yes: bool) -> None:
    """Returns if the user agreed (or passed --yes); raises NotConfirmedError otherwise. Default no."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise NotConfirmedError(f"{question} Refusing without a terminal to ask; pass --yes to go ahead")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise NotConfirmedError("not confirmed; nothing changed")
