"""`ogcli wallet ...` through the real entry point: outputs, exit codes, prompts and --json."""

from __future__ import annotations

import io
import json
import sys

import pytest

from ogcli import config, locations
from ogcli.errors import ExitCode

KEY_HEX = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
PHRASE = "test test test test test test test test test test test junk"
ADDRESS_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


pytestmark = pytest.mark.usefixtures("fast_wallets")


@pytest.fixture
def pw(tmp_path):
    path = tmp_path / "pw.txt"
    path.write_text("cli-test-password\n")
    return str(path)


def pipe(monkeypatch, text: str) -> None:
    """Makes `text` the piped stdin of the next invocation."""
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def prompts(monkeypatch, *answers: str) -> list[str]:
    """Answers hidden prompts in order; returns the list the questions are recorded in."""
    pending = list(answers)
    questions: list[str] = []

    def fake_getpass(question: str = "") -> str:
        questions.append(question)
        return pending.pop(0)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return questions


def one_json(stdout: str) -> dict:
    assert stdout.count("\n") == 1, stdout
    return json.loads(stdout)


def keystore_file(name: str):
    return locations.data_dir() / "keystores" / f"{name}.json"


def assert_failed(result, exit_code: int, text: str) -> None:
    assert result.exit_code == exit_code, result
    assert result.stdout == ""
    assert text in result.stderr


# --- new ---------------------------------------------------------------------------------------


def test_new_prints_name_and_address_only(cli, pw):
    result = cli("wallet", "new", "alice", "--password-file", pw)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("wallet 'alice' created: 0x")
    address = result.stdout.split()[-1]
    assert json.loads(keystore_file("alice").read_text())["address"].lower() == address[2:].lower()


def test_new_json(cli, pw):
    result = cli("wallet", "new", "alice", "--password-file", pw, "--json")
    data = one_json(result.stdout)["data"]
    assert result.exit_code == 0
    assert set(data) == {"name", "address", "keystore", "password_in_keyring"}
    assert data["keystore"] == str(keystore_file("alice"))


def test_new_asks_twice_on_a_tty(cli, monkeypatch):
    questions = prompts(monkeypatch, "typed-pw", "typed-pw")
    result = cli("wallet", "new", "alice", stdin_tty=True)
    assert result.exit_code == 0, result.stderr
    assert questions == ["New password for wallet 'alice': ", "Repeat the password: "]


def test_new_mismatched_prompts_write_nothing(cli, monkeypatch):
    prompts(monkeypatch, "typed-pw", "typo-pw")
    result = cli("wallet", "new", "alice", stdin_tty=True)
    assert_failed(result, ExitCode.USAGE, "do not match")
    assert not keystore_file("alice").exists()


def test_new_without_password_source_or_tty_does_not_prompt(cli, monkeypatch):
    questions = prompts(monkeypatch)
    result = cli("wallet", "new", "alice")
    assert_failed(result, ExitCode.USAGE, "no password")
    assert "--password-file" in result.stderr and "OGCLI_PASSWORD" in result.stderr
    assert questions == []
    assert not keystore_file("alice").exists()


def test_new_takes_the_password_from_the_environment(cli, monkeypatch):
    monkeypatch.setenv("OGCLI_PASSWORD", "env-pw")
    assert cli("wallet", "new", "alice").exit_code == 0


@pytest.mark.parametrize("name", ["Alice", "-x", "a" * 41, "a.b"])
def test_new_invalid_name(cli, pw, name):
    result = cli("wallet", "new", name, "--password-file", pw)
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert "invalid wallet name" in result.stderr or "No such option" in result.stderr


def test_new_duplicate_name(cli, pw):
    cli("wallet", "new", "alice", "--password-file", pw)
    result = cli("wallet", "new", "alice", "--password-file", pw)
    assert_failed(result, ExitCode.ERROR, "a wallet named 'alice' already exists")


def test_new_duplicate_name_json(cli, pw):
    cli("wallet", "new", "alice", "--password-file", pw)
    result = cli("wallet", "new", "alice", "--password-file", pw, "--json")
    assert result.exit_code == ExitCode.ERROR
    assert one_json(result.stdout) == {
        "ok": False,
        "error": {"code": "wallet_exists", "message": "a wallet named 'alice' already exists"},
    }


def test_new_save_password_without_keyring_warns_and_succeeds(cli, pw):
    result = cli("wallet", "new", "alice", "--password-file", pw, "--save-password")
    assert result.exit_code == 0
    assert "warning:" in result.stderr and "keyring" in result.stderr
    assert "cli-test-password" not in result.stderr


def test_missing_password_file(cli, tmp_path):
    result = cli("wallet", "new", "alice", "--password-file", str(tmp_path / "nope"))
    assert_failed(result, ExitCode.USAGE, "no password file")


# --- import ------------------------------------------------------------------------------------


def test_import_private_key_from_stdin(cli, pw, monkeypatch):
    pipe(monkeypatch, f"0x{KEY_HEX}\n")
    result = cli("wallet", "import", "bob", "--private-key", "--password-file", pw)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wallet 'bob' imported: {ADDRESS}\n"


def test_import_private_key_hidden_prompt_on_tty(cli, monkeypatch):
    monkeypatch.setenv("OGCLI_PASSWORD", "env-pw")
    questions = prompts(monkeypatch, KEY_HEX)
    result = cli("wallet", "import", "bob", "--private-key", stdin_tty=True)
    assert result.exit_code == 0, result.stderr
    assert questions == ["Private key: "]


def test_import_mnemonic_index(cli, pw, monkeypatch):
    pipe(monkeypatch, PHRASE + "\n")
    result = cli("wallet", "import", "acct1", "--mnemonic", "--index", "1", "--password-file", pw, "--json")
    assert result.exit_code == 0, result.stderr
    assert one_json(result.stdout)["data"]["address"] == ADDRESS_1


def test_import_invalid_mnemonic(cli, pw, monkeypatch):
    pipe(monkeypatch, "zebra " * 12)
    result = cli("wallet", "import", "bob", "--mnemonic", "--password-file", pw)
    assert_failed(result, ExitCode.USAGE, "not a valid BIP-39 mnemonic phrase")
    assert "zebra" not in result.stderr


def test_import_foreign_keystore(cli, tmp_path, monkeypatch):
    from eth_account import Account

    foreign = tmp_path / "UTC--foundry"
    foreign.write_text(json.dumps(Account.encrypt(bytes.fromhex(KEY_HEX), "shared-pw", kdf="pbkdf2", iterations=2)))
    monkeypatch.setenv("OGCLI_PASSWORD", "shared-pw")
    result = cli("wallet", "import", "bob", "--keystore", str(foreign))
    assert result.exit_code == 0, result.stderr
    assert ADDRESS in result.stdout
    assert json.loads(keystore_file("bob").read_text())["crypto"]["kdf"] == "scrypt"


def test_import_foreign_keystore_asks_old_then_new_password_on_tty(cli, tmp_path, monkeypatch):
    from eth_account import Account

    foreign = tmp_path / "geth.json"
    foreign.write_text(json.dumps(Account.encrypt(bytes.fromhex(KEY_HEX), "old-pw", kdf="pbkdf2", iterations=2)))
    questions = prompts(monkeypatch, "old-pw", "new-pw", "new-pw")
    result = cli("wallet", "import", "bob", "--keystore", str(foreign), stdin_tty=True)
    assert result.exit_code == 0, result.stderr
    assert questions == ["Password for keystore geth.json: ", "New password for wallet 'bob': ", "Repeat the password: "]
    monkeypatch.setenv("OGCLI_PASSWORD", "new-pw")
    export = cli("wallet", "export", "bob", "--yes")
    assert export.stdout == f"0x{KEY_HEX}\n"


def test_import_foreign_keystore_wrong_password(cli, tmp_path, monkeypatch):
    from eth_account import Account

    foreign = tmp_path / "k.json"
    foreign.write_text(json.dumps(Account.encrypt(bytes.fromhex(KEY_HEX), "right", kdf="pbkdf2", iterations=2)))
    monkeypatch.setenv("OGCLI_PASSWORD", "wrong")
    result = cli("wallet", "import", "bob", "--keystore", str(foreign), "--json")
    assert result.exit_code == ExitCode.ERROR
    assert one_json(result.stdout)["error"]["code"] == "wrong_password"
    assert not keystore_file("bob").exists()


@pytest.mark.parametrize(
    "flags",
    [[], ["--private-key", "--mnemonic"], ["--private-key", "--keystore", "x.json"]],
)
def test_import_needs_exactly_one_source(cli, pw, flags):
    result = cli("wallet", "import", "bob", *flags, "--password-file", pw)
    assert_failed(result, ExitCode.USAGE, "choose exactly one of --private-key, --mnemonic, --keystore FILE")


def test_import_index_needs_mnemonic(cli, pw):
    result = cli("wallet", "import", "bob", "--private-key", "--index", "2", "--password-file", pw)
    assert_failed(result, ExitCode.USAGE, "--index goes with --mnemonic only")


def test_import_private_key_is_not_accepted_as_an_argument(cli, pw):
    result = cli("wallet", "import", "bob", "--private-key", KEY_HEX, "--password-file", pw)
    assert result.exit_code == ExitCode.USAGE
    assert KEY_HEX not in result.stderr  # a stray key on the command line is not echoed back
    assert not keystore_file("bob").exists()


@pytest.mark.parametrize("text", ["", "0x1234", "not a key"])
def test_import_bad_private_key(cli, pw, monkeypatch, text):
    pipe(monkeypatch, text)
    result = cli("wallet", "import", "bob", "--private-key", "--password-file", pw)
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert ("no private key given" if not text else "not a private key") in result.stderr


def test_import_duplicate_address(cli, pw, monkeypatch):
    pipe(monkeypatch, KEY_HEX)
    cli("wallet", "import", "bob", "--private-key", "--password-file", pw)
    pipe(monkeypatch, PHRASE)
    result = cli("wallet", "import", "carol", "--mnemonic", "--password-file", pw)
    assert_failed(result, ExitCode.ERROR, f"{ADDRESS} is already wallet 'bob'")


# --- list, show, use ---------------------------------------------------------------------------


def test_list_empty(cli):
    result = cli("wallet", "list")
    assert result.exit_code == 0
    assert "no wallets yet" in result.stdout
    assert one_json(cli("wallet", "list", "--json").stdout) == {"ok": True, "data": []}


def _profile(name: str = "local", account: str = "") -> None:
    config.put_profile(name, config.Profile(rpc_url="http://127.0.0.1:1", chain_id=31337, account=account), activate=True)


def test_list_marks_the_profile_account(cli, pw, monkeypatch):
    pipe(monkeypatch, KEY_HEX)
    cli("wallet", "import", "bob", "--private-key", "--password-file", pw)
    cli("wallet", "new", "alice", "--password-file", pw)
    _profile(account="bob")
    data = one_json(cli("wallet", "list", "--json").stdout)["data"]
    assert [(w["name"], w["default"]) for w in data] == [("alice", False), ("bob", True)]
    assert data[1]["address"] == ADDRESS
    human = cli("wallet", "list").stdout.splitlines()
    assert any(line.startswith("*") and "bob" in line and ADDRESS in line for line in human)
    # --account overrides the profile's account
    data = one_json(cli("--account", "alice", "wallet", "list", "--json").stdout)["data"]
    assert [w["name"] for w in data if w["default"]] == ["alice"]


def test_use_sets_the_active_profile_account(cli, pw):
    cli("wallet", "new", "alice", "--password-file", pw)
    _profile()
    result = cli("wallet", "use", "alice")
    assert result.exit_code == 0, result.stderr
    assert "profile 'local' now uses wallet 'alice'" in result.stdout
    assert config.load().profiles["local"].account == "alice"


def test_use_without_profile(cli, pw):
    cli("wallet", "new", "alice", "--password-file", pw)
    assert_failed(cli("wallet", "use", "alice"), ExitCode.USAGE, "no active profile")


def test_use_unknown_wallet(cli):
    _profile()
    assert_failed(cli("wallet", "use", "ghost"), ExitCode.ERROR, "no wallet named 'ghost'")
    assert config.load().profiles["local"].account == ""


def test_show(cli, pw):
    cli("wallet", "new", "alice", "--password-file", pw)
    data = one_json(cli("wallet", "show", "alice", "--json").stdout)["data"]
    assert data["keystore"] == str(keystore_file("alice"))
    assert isinstance(data["created_at"], int)
    assert data["password_in_keyring"] is False
    human = cli("wallet", "show", "alice")
    assert human.exit_code == 0
    assert data["address"] in human.stdout and "no password saved" in human.stdout and "UTC" in human.stdout


def test_show_unknown(cli):
    assert_failed(cli("wallet", "show", "ghost"), ExitCode.ERROR, "no wallet named 'ghost'")
    result = cli("wallet", "show", "ghost", "--json")
    assert one_json(result.stdout)["error"]["code"] == "wallet_not_found"


# --- export, remove ----------------------------------------------------------------------------


@pytest.fixture
def bob(cli, pw, monkeypatch):
    pipe(monkeypatch, KEY_HEX)
    assert cli("wallet", "import", "bob", "--private-key", "--password-file", pw).exit_code == 0
    return "bob"


def test_export_needs_yes_without_tty(cli, bob, pw):
    result = cli("wallet", "export", bob, "--password-file", pw)
    assert_failed(result, ExitCode.NOT_CONFIRMED, "pass --yes")


def test_export_declined_on_tty(cli, bob, pw, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda question: "n")
    result = cli("wallet", "export", bob, "--password-file", pw, stdin_tty=True)
    assert_failed(result, ExitCode.NOT_CONFIRMED, "not confirmed")


def test_export_prints_the_key(cli, bob, pw):
    result = cli("wallet", "export", bob, "--password-file", pw, "--yes")
    assert result.exit_code == 0
    assert result.stdout == f"0x{KEY_HEX}\n"


def test_export_json(cli, bob, pw):
    result = cli("wallet", "export", bob, "--password-file", pw, "--yes", "--json")
    assert one_json(result.stdout)["data"] == {"name": "bob", "address": ADDRESS, "private_key": f"0x{KEY_HEX}"}


def test_export_wrong_password(cli, bob, monkeypatch):
    monkeypatch.setenv("OGCLI_PASSWORD", "wrong-pw")
    result = cli("wallet", "export", bob, "--yes")
    assert_failed(result, ExitCode.ERROR, "wrong password for wallet 'bob'")
    assert "wrong-pw" not in result.stderr


def test_export_unknown(cli, pw):
    assert_failed(cli("wallet", "export", "ghost", "--yes", "--password-file", pw), ExitCode.ERROR, "no wallet named")


def test_remove_needs_yes_without_tty(cli, bob):
    assert_failed(cli("wallet", "remove", bob), ExitCode.NOT_CONFIRMED, "pass --yes")
    assert keystore_file(bob).exists()


def test_remove(cli, bob):
    result = cli("wallet", "remove", bob, "--yes", "--json")
    assert one_json(result.stdout)["data"] == {"name": "bob", "address": ADDRESS, "removed": True}
    assert not keystore_file(bob).exists()
    assert_failed(cli("wallet", "remove", bob, "--yes"), ExitCode.ERROR, "no wallet named 'bob'")


def test_keyring_opt_in_end_to_end(cli, pw):
    import keyring
    import keyring.backends.fail

    from tests.keyring_doubles import InMemoryKeyringForTests

    backend = InMemoryKeyringForTests()
    keyring.set_keyring(backend)
    try:
        assert cli("wallet", "new", "alice", "--password-file", pw, "--save-password").exit_code == 0
        assert backend.entries == {("ogcli", "alice"): "cli-test-password"}
        assert one_json(cli("wallet", "show", "alice", "--json").stdout)["data"]["password_in_keyring"] is True
        export = cli("wallet", "export", "alice", "--yes", "--json")  # no file, env or TTY: the keyring
        assert export.exit_code == 0, export.stderr
        assert cli("wallet", "remove", "alice", "--yes").exit_code == 0
        assert backend.entries == {}
    finally:
        keyring.set_keyring(keyring.backends.fail.Keyring())


# --- balance (without a chain; the chain test is tests/chain/test_wallet_balance.py) -----------


def test_balance_without_profile(cli):
    assert_failed(cli("wallet", "balance", ADDRESS), ExitCode.USAGE, "no profile selected")


def test_balance_bad_address(cli):
    _profile()
    assert_failed(cli("wallet", "balance", "0x1234"), ExitCode.USAGE, "is not an address")


def test_balance_no_default_account(cli):
    _profile()
    assert_failed(cli("wallet", "balance"), ExitCode.USAGE, "no account")


def test_balance_unreachable_rpc(cli):
    _profile()
    result = cli("wallet", "balance", ADDRESS, "--json")
    assert result.exit_code == ExitCode.NETWORK
    assert one_json(result.stdout)["error"]["code"] == "network"


# --- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["new", "import", "list", "show", "export", "remove", "use", "balance"])
def test_every_command_has_an_example(cli, command):
    result = cli("wallet", command, "--help")
    assert result.exit_code == 0
    assert "Example: ogcli wallet " + command in result.stdout


def test_wallet_help_imports_neither_eth_account_nor_keyring():
    import subprocess

    probe = (
        "import sys, io, contextlib\n"
        "from ogcli.main import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        app(args=['wallet', '--help'], prog_name='ogcli', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('@@' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('web3', 'eth_account', 'keyring'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.rsplit("@@", 1)[1].strip() == ""
