"""Profiles round-trip through TOML; a broken file is a one-line ConfigError; comments are
detected and backed up before a rewrite drops them; user input is validated before it is stored."""

import os
import stat
import tomllib

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from ogcli import config, locations
from ogcli.errors import ConfigError, UsageError


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


# -- the model beyond put_profile/load ------------------------------------------------------------

LOCAL = config.Profile(rpc_url="http://127.0.0.1:8545", chain_id=31337)


def _write(text: str):
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", False),
        ('a = "x"\n', False),
        ("# top\na = 1\n", True),
        ("   # indented\n", True),
        ("a = 1 # inline\n", True),
        ("a = 1# tight\n", True),
        ('a = "x # not a comment"\n', False),
        ("a = 'x # not a comment'\n", False),
        ('a = "esc \\" # still in string"\n', False),
        ('a = """\n# inside a multi-line string\n"""\n', False),
        ("a = '''\n# inside a literal multi-line string\n'''\n", False),
        ('a = """x""""  # after five quotes\n', True),
        ('"quoted#key" = 1\n', False),
        ('[profiles."a#b"]\nrpc_url = "u"\n', False),
    ],
)
def test_has_comments(text, expected):
    assert config.has_comments(text) is expected


_values = st.one_of(st.text(), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1), st.dictionaries(st.text(min_size=1), _values), max_size=4))
def test_what_tomli_w_writes_never_has_comments(document):
    # Strings full of '#', quotes and backslashes must not look like comments once serialized.
    assert config.has_comments(tomli_w.dumps({"profiles": document})) is False


def test_save_backs_up_a_commented_file_and_says_so():
    path = _write('# my networks\nactive_profile = "dev"\n[profiles.dev]\nrpc_url = "http://h:1"  # local\nchain_id = 1\n')
    original = path.read_text()
    result = config.put_profile("dev", LOCAL, activate=True)
    assert result.comments_dropped and result.backup == path.with_name("config.toml.bak")
    assert result.backup.read_text() == original
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600
    assert not config.has_comments(path.read_text())
    # The next rewrite drops nothing, so it neither warns nor touches the backup.
    again = config.put_profile("other", LOCAL, activate=False)
    assert not again.comments_dropped and again.backup is None
    assert result.backup.read_text() == original


def test_unknown_keys_survive_a_rewrite():
    _write('future = 1\n[profiles.dev]\nrpc_url = "http://h:1"\nchain_id = 1\nfuture_field = "x"\n')
    config.put_profile("new", LOCAL, activate=True)
    raw = tomllib_load()
    assert raw["future"] == 1 and raw["profiles"]["dev"]["future_field"] == "x"
    loaded = config.load()
    config.remove_profile(loaded, "dev")
    config.save(loaded)
    assert "dev" not in tomllib_load()["profiles"]


def tomllib_load():
    return tomllib.loads(locations.config_file().read_text())


def test_a_failed_write_is_a_config_error_and_changes_nothing(monkeypatch):
    path = _write('# keep me\n[profiles.dev]\nrpc_url = "http://h:1"\nchain_id = 1\n')
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ConfigError, match="cannot write .*No space left"):
        config.put_profile("dev", LOCAL, activate=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('active_profile = 3\n', "active_profile .* must be a string"),
        ('profiles = 3\n', "profiles .* must be a table"),
        ('[profiles.dev]\nchain_id = 1\n', "incomplete: missing rpc_url"),
        ('[profiles.dev]\nrpc_url = "u"\nchain_id = "1"\n', "chain_id of profile 'dev' .* must be an integer"),
        ('[profiles.dev]\nrpc_url = 5\nchain_id = 1\n', "rpc_url of profile 'dev' .* must be a string"),
    ],
)
def test_malformed_profiles_are_config_errors(text, message):
    _write(text)
    with pytest.raises(ConfigError, match=message):
        config.load()


def test_unreadable_file_is_a_config_error():
    path = _write("")
    path.unlink()
    path.mkdir()  # a directory where the file should be
    with pytest.raises(ConfigError, match="cannot read"):
        config.load()


@pytest.mark.parametrize(
    "key, text, stored",
    [
        ("rpc_url", "https://sepolia.base.org", "https://sepolia.base.org"),
        ("rpc_url", "http://127.0.0.1:8545/?chain=1", "http://127.0.0.1:8545/?chain=1"),
        ("chain_id", "84532", 84532),
        ("chain_id", str(2**63 - 1), 2**63 - 1),
        ("account", "alice", "alice"),
        ("account", "0x" + "ab" * 20, "0x" + "ab" * 20),
        ("explorer_url", "https://basescan.org", "https://basescan.org"),
    ],
)
def test_parse_field_accepts(key, text, stored):
    assert config.parse_field(key, text) == stored


@pytest.mark.parametrize(
    "key, text, message",
    [
        ("rpc_url", "127.0.0.1:8545", "must start with http:// or https://"),
        ("rpc_url", "ws://h:1", "must start with http:// or https://"),
        ("rpc_url", "https://", "name a host"),
        ("rpc_url", "https://user:pw@h.io", "secret"),
        ("rpc_url", "https://h.io/v2?apiKey=abc", "secret"),
        ("chain_id", "0", "between 1 and"),
        ("chain_id", "-5", "between 1 and"),
        ("chain_id", str(2**63), "between 1 and"),
        ("chain_id", "0x14a34", "whole number"),
        ("chain_id", "1.5", "whole number"),
        ("deployment", "/no/such/file.json", "does not exist"),
        ("account", "Alice Smith", "wallet name or a 0x address"),
        ("explorer_url", "basescan.org", "must start with http:// or https://"),
        ("explorer_url", "ftp://basescan.org", "must start with http:// or https://"),
        ("nonsense", "x", "unknown key 'nonsense' .*rpc_url, chain_id"),
    ],
)
def test_parse_field_refuses(key, text, message):
    with pytest.raises(UsageError, match=message):
        config.parse_field(key, text)


def test_deployment_is_stored_absolute(tmp_path, monkeypatch):
    (tmp_path / "dep.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert config.parse_field("deployment", "dep.json") == str(tmp_path / "dep.json")


@pytest.mark.parametrize("name", ["a", "base-sepolia", "dev_2", "0" * 40])
def test_profile_names_accepted(name):
    assert config.check_profile_name(name) == name


@pytest.mark.parametrize("name", ["", "Base", "-x", "_x", "a b", "a.b", "a" * 41, "é"])
def test_profile_names_refused(name):
    with pytest.raises(UsageError, match="invalid profile name"):
        config.check_profile_name(name)


def test_a_failed_write_after_the_backup_restores_the_old_backup(monkeypatch):
    path = _write('# new comments\n[profiles.dev]\nrpc_url = "http://h:1"\nchain_id = 1\n')
    backup = config.backup_path(path)
    backup.write_text("# an older backup\n")
    before = path.read_bytes()
    real_fsync, calls = os.fsync, []

    def fail_second(fd):
        calls.append(fd)
        if len(calls) == 2:  # the backup is written; the config itself is not
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fail_second)
    with pytest.raises(ConfigError, match="cannot write"):
        config.put_profile("dev", LOCAL, activate=True)
    assert path.read_bytes() == before
    assert backup.read_text() == "# an older backup\n"


def test_config_commands_restate_the_settable_keys():
    # ogcli.commands.config keeps its own copy so `ogcli --help` need not import this model.
    from ogcli.commands import config as config_commands

    assert config_commands.SETTABLE_KEYS == config.SETTABLE_KEYS
