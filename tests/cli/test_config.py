"""`ogcli config` and `ogcli config profile`: each command's success and refusal, exit codes,
stdout/stderr discipline, the comment backup, atomic writes, and flag > env > profile."""

from __future__ import annotations

import io
import json
import os

import pytest

from ogcli import config, context, locations

BASE = ("--rpc-url", "https://sepolia.base.org", "--chain-id", "84532")
LOCAL = ("--rpc-url", "http://127.0.0.1:8545", "--chain-id", "31337")


@pytest.fixture
def two_profiles(cli):
    assert cli("config", "profile", "add", "base", *BASE).exit_code == 0
    assert cli("config", "profile", "add", "dev", *LOCAL, "--account", "alice").exit_code == 0
    return locations.config_file()


def _json(result) -> dict:
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # exactly one JSON document
    return json.loads(lines[0])


def _assert_refused(result, exit_code: int, *fragments: str) -> None:
    assert result.exit_code == exit_code, result
    assert result.stdout == ""
    assert result.stderr.startswith("error:")
    for fragment in fragments:
        assert fragment in result.stderr


# -- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [(), ("show",), ("path",), ("set",), ("unset",), ("profile",), ("profile", "list"), ("profile", "add"),
     ("profile", "use"), ("profile", "remove")],
)
def test_every_command_has_an_example(cli, command):
    result = cli("config", *command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout


@pytest.mark.parametrize("command", [("set",), ("unset",), ("profile", "add"), ("profile", "use"), ("profile", "remove")])
def test_writing_commands_document_that_comments_are_dropped(cli, command):
    assert "config.toml.bak" in " ".join(cli("config", *command, "--help").stdout.split())


# -- path and show -----------------------------------------------------------------------------


def test_path_prints_the_path_plainly(cli):
    result = cli("config", "path")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{locations.config_file()}\n", "")
    assert _json(cli("--json", "config", "path"))["data"] == {"path": str(locations.config_file()), "exists": False}


def test_show_without_a_config(cli):
    result = cli("config", "show")
    assert result.exit_code == 0
    assert str(locations.config_file()) in "".join(result.stdout.split())  # folded, never cut short
    assert "…" not in result.stdout
    assert "no profiles yet" in result.stderr
    data = _json(cli("--json", "config", "show"))["data"]
    assert data == {"path": str(locations.config_file()), "active_profile": None, "profiles": {}, "effective": None}


def test_show_lists_every_profile(cli, two_profiles):
    result = cli("config", "show")
    assert result.exit_code == 0
    assert "base" in result.stdout and "dev" in result.stdout and "alice" in result.stdout
    data = _json(cli("--json", "config", "show"))["data"]
    assert data["active_profile"] == "base"
    assert data["profiles"]["dev"] == {
        "rpc_url": "http://127.0.0.1:8545", "chain_id": 31337, "deployment": "", "account": "alice", "explorer_url": "", "storage": "", "routing": "",
        "node_url": "", "default_model": "",
    }
    assert data["effective"]["profile"] == "base"


def test_show_reports_what_flags_and_env_change(cli, two_profiles, monkeypatch):
    monkeypatch.setenv("OGCLI_RPC_URL", "http://env:1")
    data = _json(cli("--json", "--profile", "dev", "config", "show"))["data"]
    assert data["active_profile"] == "base"
    assert data["effective"]["profile"] == "dev" and data["effective"]["rpc_url"] == "http://env:1"
    human = cli("config", "show", "--profile", "dev")
    assert "in use" in human.stdout and "http://env:1" in human.stdout


def test_show_with_an_unknown_profile_selected(cli, two_profiles):
    _assert_refused(cli("config", "show", "--profile", "nope"), 2, "unknown profile 'nope'", "base, dev")


def test_corrupted_config_is_exit_1(cli):
    path = locations.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("profiles = [unterminated")
    _assert_refused(cli("config", "show"), 1, "not valid TOML")
    assert len(cli("config", "show").stderr.strip().splitlines()) == 1
    document = _json(cli("--json", "config", "profile", "list"))
    assert document["ok"] is False and document["error"]["code"] == "config"
    _assert_refused(cli("config", "set", "account", "bob"), 1, "not valid TOML")
    assert path.read_text() == "profiles = [unterminated"


# -- profile add / list / use / remove ------------------------------------------------------------


def test_add_first_profile_becomes_active_later_ones_only_with_use(cli):
    first = cli("config", "profile", "add", "base", *BASE)
    assert first.exit_code == 0 and "added and active" in first.stdout
    second = _json(cli("--json", "config", "profile", "add", "dev", *LOCAL))
    assert second["data"]["active"] is False and second["data"]["replaced"] is False
    assert config.load().active_profile == "base"
    assert cli("config", "profile", "add", "third", *LOCAL, "--use").exit_code == 0
    assert config.load().active_profile == "third"


def test_add_with_every_field(cli, tmp_path):
    deployment = tmp_path / "deployment.json"
    deployment.write_text("{}")
    result = cli(
        "config", "profile", "add", "base", *BASE, "--deployment", str(deployment), "--account", "0x" + "ab" * 20,
        "--explorer-url", "https://sepolia.basescan.org",
    )
    assert result.exit_code == 0, result
    assert config.load().profiles["base"] == config.Profile(
        rpc_url="https://sepolia.base.org", chain_id=84532, deployment=str(deployment), account="0x" + "ab" * 20,
        explorer_url="https://sepolia.basescan.org",
    )
    assert oct(locations.config_file().stat().st_mode & 0o777) == "0o600"


def test_add_existing_name_needs_force(cli, two_profiles):
    before = two_profiles.read_bytes()
    _assert_refused(cli("config", "profile", "add", "dev", *BASE), 2, "exists already", "--force")
    assert two_profiles.read_bytes() == before
    replaced = _json(cli("--json", "config", "profile", "add", "dev", *BASE, "--force"))["data"]
    assert replaced["replaced"] is True
    assert config.load().profiles["dev"] == config.Profile(rpc_url="https://sepolia.base.org", chain_id=84532)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("Bad_Name", *BASE), "invalid profile name"),
        (("x", "--chain-id", "1"), "--rpc-url is required"),
        (("x", "--rpc-url", "http://h:1"), "--chain-id"),
        (("x", "--rpc-url", "http://h:1", "--chain-id", "abc"), "--chain-id"),
        (("x", "--rpc-url", "http://h:1", "--chain-id", "0"), "chain_id must be between 1"),
        (("x", "--rpc-url", "h:1", "--chain-id", "1"), "rpc_url must start with http://"),
        (("x", "--rpc-url", "https://k@h.io", "--chain-id", "1"), "secret"),
        (("x", *BASE, "--explorer-url", "basescan.org"), "explorer_url must start with http://"),
        (("x", *BASE, "--deployment", "/no/such.json"), "does not exist"),
        (("x", *BASE, "--account", "Not A Wallet"), "wallet name or a 0x address"),
    ],
)
def test_add_refuses_bad_input_and_writes_nothing(cli, args, fragment):
    _assert_refused(cli("config", "profile", "add", *args), 2, fragment)
    assert not locations.config_file().exists()


def test_add_ignores_rpc_url_from_the_environment(cli, monkeypatch):
    # --rpc-url is also a global option: only a typed flag may fill the profile, not OGCLI_RPC_URL.
    monkeypatch.setenv("OGCLI_RPC_URL", "http://env:1")
    _assert_refused(cli("config", "profile", "add", "x", "--chain-id", "1"), 2, "--rpc-url is required")
    assert cli("--rpc-url", "http://flag:1", "config", "profile", "add", "x", "--chain-id", "1").exit_code == 0
    assert config.load().profiles["x"].rpc_url == "http://flag:1"


def test_list_marks_the_active_profile(cli, two_profiles):
    result = cli("config", "profile", "list")
    assert result.exit_code == 0
    active_line = next(line for line in result.stdout.splitlines() if " base " in f" {line} ")
    assert active_line.lstrip().startswith("*")
    data = _json(cli("--json", "config", "profile", "list"))["data"]
    assert data["active_profile"] == "base"
    assert [(p["name"], p["active"]) for p in data["profiles"]] == [("base", True), ("dev", False)]


def test_list_when_empty(cli):
    result = cli("config", "profile", "list")
    assert result.exit_code == 0 and result.stdout == "" and "no profiles yet" in result.stderr
    assert _json(cli("--json", "config", "profile", "list"))["data"] == {"active_profile": None, "profiles": []}


def test_use(cli, two_profiles):
    result = cli("config", "profile", "use", "dev")
    assert result.exit_code == 0 and "'dev' is active" in result.stdout
    assert config.load().active_profile == "dev"
    assert _json(cli("--json", "config", "profile", "use", "dev"))["data"]["changed"] is False


def test_use_unknown_profile(cli, two_profiles):
    before = two_profiles.read_bytes()
    _assert_refused(cli("config", "profile", "use", "nope"), 2, "unknown profile 'nope'", "base, dev")
    assert two_profiles.read_bytes() == before


def test_remove_needs_confirmation_without_a_terminal(cli, two_profiles):
    before = two_profiles.read_bytes()
    _assert_refused(cli("config", "profile", "remove", "dev"), 5, "--yes")
    assert two_profiles.read_bytes() == before
    document = _json(cli("--json", "config", "profile", "remove", "dev"))
    assert document["ok"] is False and document["error"]["code"] == "not_confirmed"


def test_remove_declined_at_the_prompt(cli, two_profiles, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    result = cli("config", "profile", "remove", "dev", stdin_tty=True)
    assert result.exit_code == 5 and result.stdout == ""
    assert "not confirmed" in result.stderr
    assert "dev" in config.load().profiles


def test_remove_confirmed_at_the_prompt(cli, two_profiles, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    result = cli("config", "profile", "remove", "dev", stdin_tty=True)
    assert result.exit_code == 0 and result.stdout == "profile 'dev' removed\n"
    assert "Remove profile 'dev' (http://127.0.0.1:8545, chain id 31337)? [y/N]" in result.stderr
    assert set(config.load().profiles) == {"base"}


def test_removing_the_active_profile_clears_it(cli, two_profiles):
    result = _json(cli("--json", "--yes", "config", "profile", "remove", "base"))
    assert result["data"] == {"removed": "base", "was_active": True}
    loaded = config.load()
    assert loaded.active_profile == "" and set(loaded.profiles) == {"dev"}


def test_remove_unknown_profile(cli, two_profiles):
    _assert_refused(cli("config", "profile", "remove", "nope", "--yes"), 2, "unknown profile 'nope'")


# -- set / unset -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, value, stored",
    [
        ("rpc_url", "https://base-sepolia.example.org", "https://base-sepolia.example.org"),
        ("chain_id", "8453", 8453),
        ("account", "bob", "bob"),
        ("explorer_url", "http://localhost:4000", "http://localhost:4000"),
        ("node_url", "https://node.example.org:8700/", "https://node.example.org:8700"),
        ("default_model", "ogcli-tiny-chat", "ogcli-tiny-chat"),
    ],
)
def test_set_a_field_of_the_active_profile(cli, two_profiles, key, value, stored):
    result = cli("config", "set", key, value)
    assert result.exit_code == 0 and f"in profile 'base'" in result.stdout
    assert getattr(config.load().profiles["base"], key) == stored
    assert getattr(config.load().profiles["dev"], key) != stored


def test_set_deployment(cli, two_profiles, tmp_path):
    deployment = tmp_path / "deployment.json"
    deployment.write_text("{}")
    data = _json(cli("--json", "config", "set", "deployment", str(deployment)))["data"]
    assert data == {"profile": "base", "key": "deployment", "value": str(deployment), "previous": None, "changed": True}
    assert config.load().profiles["base"].deployment == str(deployment)


def test_set_with_profile_option_before_or_after(cli, two_profiles):
    assert cli("config", "set", "account", "carol", "--profile", "dev").exit_code == 0
    assert cli("--profile", "base", "config", "set", "account", "dave").exit_code == 0
    profiles = config.load().profiles
    assert (profiles["dev"].account, profiles["base"].account) == ("carol", "dave")


def test_set_with_profile_from_environment(cli, two_profiles, monkeypatch):
    monkeypatch.setenv("OGCLI_PROFILE", "dev")
    assert cli("config", "set", "account", "erin").exit_code == 0
    assert config.load().profiles["dev"].account == "erin"


def test_set_active_profile(cli, two_profiles):
    assert cli("config", "set", "active_profile", "dev").exit_code == 0
    assert config.load().active_profile == "dev"
    _assert_refused(cli("config", "set", "active_profile", "nope"), 2, "unknown profile 'nope'")
    assert config.load().active_profile == "dev"


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("colour", "red", "unknown key 'colour'"),
        ("chain_id", "0", "chain_id must be between 1"),
        ("chain_id", "ten", "whole number"),
        ("rpc_url", "localhost:8545", "must start with http://"),
        ("rpc_url", "https://h.io/?token=abc", "secret"),
        ("explorer_url", "basescan.org", "must start with http://"),
        ("deployment", "/no/such/file.json", "does not exist"),
        ("node_url", "node.example.org", "must start with http://"),
        ("node_url", "http://user:pw@node.example.org", "base URL"),
        ("default_model", "two words", "model id or name"),
    ],
)
def test_set_refuses_bad_input_and_writes_nothing(cli, two_profiles, key, value, fragment):
    before = two_profiles.read_bytes()
    _assert_refused(cli("config", "set", key, value), 2, fragment)
    assert two_profiles.read_bytes() == before


def test_unknown_key_lists_the_valid_ones(cli, two_profiles):
    result = cli("config", "set", "colour", "red")
    for key in ("rpc_url", "chain_id", "deployment", "account", "explorer_url", "active_profile"):
        assert key in result.stderr


def test_set_without_a_selected_profile(cli):
    _assert_refused(cli("config", "set", "account", "bob"), 2, "no profile selected")
    assert not locations.config_file().exists()


def test_set_on_an_unknown_profile(cli, two_profiles):
    _assert_refused(cli("config", "set", "account", "bob", "--profile", "nope"), 2, "unknown profile 'nope'")


def test_set_error_as_one_json_document(cli, two_profiles):
    result = cli("--json", "config", "set", "chain_id", "0")
    assert result.exit_code == 2
    document = _json(result)
    assert document["ok"] is False and document["error"]["code"] == "usage"


def test_unset_resets_to_default(cli, two_profiles):
    result = cli("config", "unset", "account", "--profile", "dev")
    assert result.exit_code == 0 and "account unset in profile 'dev'" in result.stdout
    assert config.load().profiles["dev"].account == ""
    again = _json(cli("--json", "config", "unset", "account", "--profile", "dev"))["data"]
    assert again == {"profile": "dev", "key": "account", "previous": None, "changed": False}


@pytest.mark.parametrize("key", ["rpc_url", "chain_id"])
def test_required_fields_cannot_be_unset(cli, two_profiles, key):
    before = two_profiles.read_bytes()
    _assert_refused(cli("config", "unset", key), 2, f"{key} cannot be unset")
    assert two_profiles.read_bytes() == before


def test_unset_active_profile(cli, two_profiles):
    assert cli("config", "unset", "active_profile").exit_code == 0
    assert config.load().active_profile == ""


def test_unset_unknown_key(cli, two_profiles):
    _assert_refused(cli("config", "unset", "colour"), 2, "unknown key 'colour'", "explorer_url")


# -- comments, atomicity -----------------------------------------------------------------------


COMMENTED = '# my networks\nactive_profile = "dev"\n\n[profiles.dev]\nrpc_url = "http://127.0.0.1:8545"  # anvil\nchain_id = 31337\n'


@pytest.mark.parametrize(
    "command",
    [
        ("config", "set", "account", "bob"),
        ("config", "unset", "active_profile"),
        ("config", "profile", "add", "base", *BASE),
        ("config", "profile", "use", "dev"),
        ("--yes", "config", "profile", "remove", "dev"),
    ],
)
def test_a_rewrite_that_drops_comments_warns_and_keeps_a_backup(cli, command):
    path = locations.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    if command[-2:] == ("use", "dev"):
        path.write_text(COMMENTED.replace('active_profile = "dev"\n', ""))
    original = path.read_text()
    result = cli(*command)
    assert result.exit_code == 0, result
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: comments are not kept; the file with them is now config.toml.bak"]
    assert path.with_name("config.toml.bak").read_text() == original
    assert not config.has_comments(path.read_text())
    # The file has no comments now: the next write says nothing and leaves the backup alone.
    follow_up = cli("config", "profile", "add", "other", *LOCAL)
    assert "warning" not in follow_up.stderr
    assert path.with_name("config.toml.bak").read_text() == original


def test_comment_warning_stays_off_stdout_with_json(cli):
    path = locations.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    result = cli("--json", "config", "set", "account", "bob")
    assert _json(result)["ok"] is True
    assert path.with_name("config.toml.bak").exists()


def test_a_write_that_does_not_change_anything_keeps_the_comments(cli):
    path = locations.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    result = cli("config", "profile", "use", "dev")
    assert result.exit_code == 0 and "unchanged" in result.stdout and result.stderr == ""
    assert path.read_text() == COMMENTED and not path.with_name("config.toml.bak").exists()


def test_a_failing_write_leaves_the_old_file(cli, two_profiles, monkeypatch):
    before = two_profiles.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    result = cli("config", "set", "account", "zed")
    _assert_refused(result, 1, "cannot write", "No space left on device")
    assert len(result.stderr.strip().splitlines()) == 1
    assert two_profiles.read_bytes() == before
    assert sorted(p.name for p in two_profiles.parent.iterdir()) == ["config.toml"]


# -- precedence: flag > env > profile ------------------------------------------------------------


def test_rpc_url_precedence(cli, two_profiles, monkeypatch):
    assert cli("config", "path").exit_code == 0  # runs the root callback: OPTIONS from flags and env
    assert context.resolve_network().rpc_url == "https://sepolia.base.org"  # the profile

    monkeypatch.setenv("OGCLI_RPC_URL", "http://env:1")
    assert cli("config", "path").exit_code == 0
    assert context.resolve_network().rpc_url == "http://env:1"  # env over profile

    assert cli("config", "path", "--rpc-url", "http://flag:1").exit_code == 0
    assert context.resolve_network().rpc_url == "http://flag:1"  # flag over env


def test_resolve_network_directly(cli, two_profiles):
    options = context.GlobalOptions(profile="dev", rpc_url=None, account="zoe")
    network = context.resolve_network(options)
    assert (network.profile, network.rpc_url, network.chain_id, network.account) == ("dev", "http://127.0.0.1:8545", 31337, "zoe")
    assert context.resolve_network(context.GlobalOptions()).profile == "base"


def test_storage_takes_a_directory_url_or_an_ipfs_node(cli, two_profiles):
    assert cli("config", "set", "storage", "file:///var/lib/ogcli/blobs").exit_code == 0
    assert _json(cli("--json", "config", "show"))["data"]["effective"]["storage"] == "file:///var/lib/ogcli/blobs"
    assert cli("config", "set", "storage", "http://127.0.0.1:5001").exit_code == 0
    for bad in ("file://relative/dir", "ftp://host/x", "blobs"):
        result = cli("config", "set", "storage", bad)
        assert result.exit_code == 2 and "storage" in result.stderr
