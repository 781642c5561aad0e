"""Profiles round-trip through TOML; a broken file is a one-line ConfigError."""

import pytest

from ogcli import config, locations
from ogcli.errors import ConfigError


def test_put_profile_round_trips_and_activates():
    config.put_profile("devnet", config.Profile(rpc_url="http://127.0.0.1:8545", chain_id=31337), activate=True)
    loaded = config.load()
    assert loaded.active_profile == "devnet"
    assert loaded.profiles["devnet"].chain_id == 31337
    assert oct(locations.config_file().stat().st_mode & 0o777) == "0o600"


def test_corrupted_config_is_a_config_error():
    path = locations.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("profiles = [unterminated")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load()
