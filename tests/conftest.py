"""Test isolation and the shared chain.

Every test runs with XDG dirs in its own temp folder and a keyring backend that stores nothing,
so no test can read or write the developer's config, keystores or OS keyring.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    for variable, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        path = tmp_path / folder
        path.mkdir()
        monkeypatch.setenv(variable, str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for variable in ("OGCLI_JSON", "OGCLI_QUIET", "OGCLI_VERBOSE", "OGCLI_YES", "OGCLI_PROFILE", "OGCLI_RPC_URL"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path
