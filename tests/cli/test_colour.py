"""Colour only where a person reads it: none when piped, none with NO_COLOR."""

import os
import subprocess
import sys


def _run(extra_env: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, "-m", "ogcli", "config", "profile", "add", "x", "--rpc-url", "http://127.0.0.1:1", "--chain-id", "5", "--bogus"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 2
    return result.stderr


def test_errors_are_plain_when_piped():
    assert "\x1b[" not in _run({})


def test_no_color_wins_over_a_forced_terminal():
    assert "\x1b[31m" in _run({"FORCE_COLOR": "1"})  # the probe can see colour at all
    assert "\x1b[31m" not in _run({"FORCE_COLOR": "1", "NO_COLOR": "1"})
