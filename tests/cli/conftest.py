"""Runs the CLI in-process through its real entry point (`ogcli.main.run`), as a shell would."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ogcli.main import run


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch):
    def invoke(*args: str, stdin_tty: bool = False) -> Result:
        monkeypatch.setattr("sys.stdin.isatty", lambda: stdin_tty)
        try:
            run(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
