"""The last resort (issue 18): an exception that is not an OgcliError (a bug) reaches the user as
one line and exit 1 (one JSON document under --json), never a traceback; the traceback goes to
the log in the state directory, with no key or password in it."""

from __future__ import annotations

import json

KEY_HEX = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
PASSWORD = "Leak-Canary-Pw-7f3a"


def _broken(monkeypatch):
    """config.load raising what no command expects, its message carrying secrets (a test double)."""
    import ogcli.config

    def load(*_args, **_kwargs):
        raise RuntimeError(f"boom with 0x{KEY_HEX} and {PASSWORD}")

    monkeypatch.setattr(ogcli.config, "load", load)
    monkeypatch.setenv("OGCLI_PASSWORD", PASSWORD)


def test_a_bug_is_one_line_and_its_traceback_is_logged_without_secrets(cli, isolated_home, monkeypatch):
    _broken(monkeypatch)
    result = cli("--account", KEY_HEX, "config", "show")
    assert result.exit_code == 1, result
    assert "Traceback" not in result.stdout + result.stderr and result.stdout == ""
    line, = result.stderr.strip().splitlines()
    assert "internal error (RuntimeError)" in line and "please report" in line
    log = isolated_home / "state" / "ogcli" / "errors.log"
    assert str(log) in line
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: boom with <redacted> and <redacted>" in text
    assert KEY_HEX not in text and PASSWORD not in text
    assert "config show" in text and "--account" not in text  # the command, not its options
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_under_json_a_bug_is_one_error_document(cli, monkeypatch):
    _broken(monkeypatch)
    result = cli("--json", "config", "show")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["error"]["code"] == "internal"
    assert "Traceback" not in result.stdout + result.stderr
