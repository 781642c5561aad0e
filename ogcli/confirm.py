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
    # The question goes to stderr: stdout carries only data, even while asking.
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise NotConfirmedError("not confirmed; nothing changed")
