"""Test isolation and the shared chain.

Every test runs with XDG dirs in its own temp folder and a keyring backend that stores nothing,
so no test can read or write the developer's config, keystores or OS keyring.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from ogcli import context
from ogcli.main import run

# One session Anvil (and the seeded one) for every test folder that needs a chain.
pytest_plugins = ("tests.chain.fixtures",)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    for variable, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                             ("XDG_STATE_HOME", "state")):
        path = tmp_path / folder
        path.mkdir()
        monkeypatch.setenv(variable, str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # Each invocation's root callback replaces the global options; no test inherits another's.
    monkeypatch.setattr(context, "OPTIONS", context.GlobalOptions())
    for variable in ("OGCLI_JSON", "OGCLI_QUIET", "OGCLI_VERBOSE", "OGCLI_YES", "OGCLI_PROFILE", "OGCLI_RPC_URL"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """Runs the CLI in-process through its real entry point (`ogcli.main.run`), as a shell would;
    stdin is not a terminal unless a test says so."""

    def invoke(*args: str, stdin_tty: bool = False, input: str | None = None) -> Result:
        if input is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(input))
        monkeypatch.setattr("sys.stdin.isatty", lambda: stdin_tty)
        try:
            run(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def fast_wallets(monkeypatch):
    """Keystores with a tiny scrypt work factor (the default stays 2**18), and no password or
    account inherited from the environment."""
    from ogcli.wallet import keystore

    monkeypatch.setattr(keystore, "SCRYPT_N", 2**4)
    for variable in ("OGCLI_PASSWORD", "OGCLI_PASSWORD_FILE", "OGCLI_ACCOUNT"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def memory_keyring():
    """The in-memory keyring double for one test; the fail backend again afterwards."""
    import keyring
    import keyring.backends.fail

    from tests.keyring_doubles import InMemoryKeyringForTests

    backend = InMemoryKeyringForTests()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(keyring.backends.fail.Keyring())
