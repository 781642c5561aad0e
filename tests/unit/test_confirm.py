"""Confirmation: default no, asked on stderr, never without a terminal."""

import io

import pytest

from ogcli.confirm import confirm
from ogcli.errors import NotConfirmedError


@pytest.mark.parametrize("answer, agreed", [("y\n", True), ("yes\n", True), ("\n", False), ("n\n", False), ("maybe\n", False)])
def test_answers(monkeypatch, capsys, answer, agreed):
    stdin = io.StringIO(answer)
    stdin.isatty = lambda: True
    monkeypatch.setattr("sys.stdin", stdin)
    if agreed:
        confirm("Go?", yes=False)
    else:
        with pytest.raises(NotConfirmedError):
            confirm("Go?", yes=False)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Go? [y/N]" in captured.err


def test_no_terminal_needs_yes(monkeypatch):
    stdin = io.StringIO("y\n")
    stdin.isatty = lambda: False
    monkeypatch.setattr("sys.stdin", stdin)
    with pytest.raises(NotConfirmedError, match="--yes"):
        confirm("Go?", yes=False)
    confirm("Go?", yes=True)
