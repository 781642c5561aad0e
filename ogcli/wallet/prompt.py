"""Reads secrets a person types or pipes: piped stdin, or a hidden prompt on a terminal; never argv."""

from __future__ import annotations

import sys

from ogcli.errors import UsageError


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()


def hidden(prompt: str) -> str:
    """One hidden line from the terminal (the prompt goes to the terminal, not stdout)."""
    import getpass  # deferred: it loads termios, which `ogcli --help` does not need

    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise UsageError("no input (end of file at the prompt)") from None


def read_secret(what: str) -> str:
    """`what` (a private key, a mnemonic phrase) from piped stdin, or a hidden prompt on a TTY."""
    if stdin_is_tty():
        text = hidden(f"{what[0].upper()}{what[1:]}: ")
    else:
        text = sys.stdin.read()
    text = text.strip()
    if not text:
        raise UsageError(f"no {what} given: pipe it on stdin, or run in a terminal to be asked")
    return text
