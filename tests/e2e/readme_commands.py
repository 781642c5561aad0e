"""The shell commands of README.md's ```sh blocks, in order, as the README test runs them.

A command is one line (or several joined by a trailing backslash). Blank lines and lines that are
only a comment are not commands. Two visible comments change what the test does with a line:

- `# not run by the README test: REASON` (anywhere in the line's comment): the line is shown and
  not run (it needs a real chain, takes the terminal, or would stop the devnet the rest runs on);
- `# fails: REASON`: the line must exit non-zero, with a one-line error and no traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NOT_RUN = "not run by the README test:"
FAILS = "# fails:"


@dataclass(frozen=True)
class Command:
    line: int  # where it starts in the README, for the failure message
    text: str
    run: bool
    must_fail: bool


def readme_commands(readme: Path) -> list[Command]:
    commands: list[Command] = []
    in_block, pending, start = False, "", 0
    for number, raw in enumerate(readme.read_text().splitlines(), start=1):
        if not in_block:
            in_block = raw.strip() == "```sh"
            continue
        if raw.strip() == "```":
            in_block = False
            continue
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        text = (pending + raw).strip()
        pending = ""
        if not text or text.startswith("#"):
            continue
        commands.append(Command(start, text, run=NOT_RUN not in text, must_fail=FAILS in text))
    return commands


SYNOPSIS = re.compile(r"\[[^\]]*\]|(?<![$\w])[A-Z][A-Z_]{2,}\b(?!=)|\S\|\S|<[a-z][a-z ]*>|\w\.\.\.\w")


def looks_like_a_synopsis(text: str) -> bool:
    """A usage line rather than a command: [optional] parts, PLACEHOLDERS, <placeholders>, a|b
    alternatives or 0x12...ab ellipses, outside quotes and comments."""
    code = re.sub(r"'[^']*'|\"[^\"]*\"", "''", text.split(" #", 1)[0])
    return bool(SYNOPSIS.search(code))
