"""`ogcli wallet sign | passwd | export --keystore`, checked against Foundry's cast: the same
signature bytes for the same key and input, and keystores cast reads."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from ogcli.errors import ExitCode

KEY_HEX = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # Anvil's account 0
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CAST = Path(__file__).resolve().parents[2] / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"

pytestmark = pytest.mark.usefixtures("fast_wallets")

# EIP-712's own example, with a nested struct and an array, so encoding of both is compared.
MAIL = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person[]"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
               "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
    "message": {
        "from": {"name": "Cow", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"]},
        "to": [{"name": "Bob", "wallets": ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"]}],
        "contents": "Hello, Bob!",
    },
}


def cast(*args: str) -> str:
    return subprocess.run([str(CAST), *args], capture_output=True, text=True, check=True, timeout=60).stdout.strip()


@pytest.fixture
def pw(tmp_path):
    path = tmp_path / "pw.txt"
    path.write_text("sign-test-password\n")
    return str(path)


@pytest.fixture
def alice(cli, pw, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY_HEX))
    assert cli("wallet", "import", "alice", "--private-key", "--password-file", pw).exit_code == 0
    return "alice"


@pytest.mark.parametrize("message", ["I own this address", "0xdeadbeef", "ünïcode ✓", ""])
def test_message_signature_is_cast_s(cli, alice, pw, message):
    result = cli("wallet", "sign", message, "--account", alice, "--password-file", pw)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == cast("wallet", "sign", "--private-key", "0x" + KEY_HEX, message)


def test_message_from_stdin(cli, alice, pw, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a message longer than a line\nand a second line"))
    result = cli("wallet", "sign", "-", "--account", alice, "--password-file", pw, "--json")
    data = json.loads(result.stdout)["data"]
    assert data["kind"] == "eip191" and data["address"] == ADDRESS
    assert data["signature"] == cast("wallet", "sign", "--private-key", "0x" + KEY_HEX,
                                     "a message longer than a line\nand a second line")


def test_typed_data_signature_is_cast_s(cli, alice, pw, tmp_path):
    document = tmp_path / "mail.json"
    document.write_text(json.dumps(MAIL))
    result = cli("wallet", "sign", "--typed-data", str(document), "--account", alice, "--password-file", pw, "--yes")
    assert result.exit_code == 0, result.stderr
    expected = cast("wallet", "sign", "--private-key", "0x" + KEY_HEX, "--data", "--from-file", str(document))
    assert result.stdout.strip() == expected


def test_typed_data_is_confirmed_first(cli, alice, pw, tmp_path, monkeypatch):
    document = tmp_path / "mail.json"
    document.write_text(json.dumps(MAIL))
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    result = cli("wallet", "sign", "--typed-data", str(document), "--account", alice, "--password-file", pw,
                 stdin_tty=True)
    assert result.exit_code == ExitCode.NOT_CONFIRMED
    assert result.stdout == ""
    assert "Mail for 'Ether Mail' (chain id 1, contract 0xCcCC" in result.stderr


@pytest.mark.parametrize("content, words", [
    ("not json", "is not JSON"),
    (json.dumps({"types": {}, "domain": {}, "message": {}}), "no primaryType"),
    (json.dumps({**MAIL, "primaryType": "Letter"}), "'Letter' is not one of its types"),
    (json.dumps({**MAIL, "message": {**MAIL["message"], "to": "Bob"}}), "does not encode under EIP-712"),
])
def test_bad_typed_data_is_one_line(cli, alice, pw, tmp_path, content, words):
    document = tmp_path / "bad.json"
    document.write_text(content)
    result = cli("wallet", "sign", "--typed-data", str(document), "--account", alice, "--password-file", pw, "--yes")
    assert result.exit_code == ExitCode.USAGE, result
    assert result.stdout == ""
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_sign_needs_one_input(cli, alice):
    result = cli("wallet", "sign", "--account", alice)
    assert result.exit_code == ExitCode.USAGE and "give a MESSAGE" in result.stderr


def test_sign_bad_hex(cli, alice, pw):
    result = cli("wallet", "sign", "0xnothex", "--account", alice, "--password-file", pw)
    assert result.exit_code == ExitCode.USAGE and "not hex" in result.stderr


def test_exported_keystore_opens_in_cast(cli, alice, tmp_path):
    target = tmp_path / "alice.json"
    result = cli("wallet", "export", alice, "--keystore", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    assert "ogcli" not in json.loads(target.read_text())
    assert cast("wallet", "address", "--keystore", str(target), "--password", "sign-test-password") == ADDRESS


def test_export_keystore_never_overwrites(cli, alice, tmp_path):
    target = tmp_path / "taken.json"
    target.write_text("another key\n")
    result = cli("wallet", "export", alice, "--keystore", str(target))
    assert result.exit_code == ExitCode.USAGE and "exists; nothing was written" in result.stderr
    assert target.read_text() == "another key\n"


def test_passwd_changes_the_password(cli, alice, pw, tmp_path, monkeypatch):
    new_file = tmp_path / "new.txt"
    new_file.write_text("a-brand-new-password\n")
    result = cli("wallet", "passwd", alice, "--password-file", pw, "--new-password-file", str(new_file))
    assert result.exit_code == 0, result.stderr
    old = cli("wallet", "sign", "hello", "--account", alice, "--password-file", pw)
    assert old.exit_code == ExitCode.ERROR and "wrong password" in old.stderr
    new = cli("wallet", "sign", "hello", "--account", alice, "--password-file", str(new_file))
    assert new.stdout.strip() == cast("wallet", "sign", "--private-key", "0x" + KEY_HEX, "hello")
    # and the keystore stays readable by other tools under the new password
    target = tmp_path / "out.json"
    cli("wallet", "export", alice, "--keystore", str(target))
    assert cast("wallet", "address", "--keystore", str(target), "--password", "a-brand-new-password") == ADDRESS


def test_passwd_prompt_asks_twice_and_ignores_ogcli_password(cli, alice, pw, monkeypatch):
    # OGCLI_PASSWORD is the current password; it must not silently become the new one too.
    monkeypatch.setenv("OGCLI_PASSWORD", "sign-test-password")
    answers = ["typed-new-password", "typed-new-password"]
    monkeypatch.setattr("getpass.getpass", lambda question="": answers.pop(0))
    result = cli("wallet", "passwd", alice, stdin_tty=True)
    assert result.exit_code == 0, result.stderr
    assert answers == []
    monkeypatch.setenv("OGCLI_PASSWORD", "typed-new-password")
    assert cli("wallet", "sign", "x", "--account", alice).exit_code == 0


def test_passwd_wrong_current_password_changes_nothing(cli, alice, tmp_path, monkeypatch):
    from ogcli import locations

    path = locations.data_dir() / "keystores" / "alice.json"
    before = path.read_text()
    wrong, new_file = tmp_path / "wrong.txt", tmp_path / "new.txt"
    wrong.write_text("not-it\n")
    new_file.write_text("whatever-new\n")
    result = cli("wallet", "passwd", alice, "--password-file", str(wrong), "--new-password-file", str(new_file))
    assert result.exit_code == ExitCode.ERROR and "wrong password" in result.stderr
    assert path.read_text() == before


def test_passwd_replaces_the_keyring_entry(cli, pw, tmp_path, monkeypatch):
    import keyring
    import keyring.backends.fail

    from tests.keyring_doubles import InMemoryKeyringForTests

    backend = InMemoryKeyringForTests()
    keyring.set_keyring(backend)
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO(KEY_HEX))
        assert cli("wallet", "import", "kim", "--private-key", "--password-file", pw, "--save-password").exit_code == 0
        new_file = tmp_path / "new.txt"
        new_file.write_text("kim-new-password\n")
        changed = cli("wallet", "passwd", "kim", "--new-password-file", str(new_file))  # current one from the keyring
        assert changed.exit_code == 0, changed.stderr
        assert backend.entries == {("ogcli", "kim"): "kim-new-password"}
        assert cli("wallet", "sign", "x", "--account", "kim").exit_code == 0  # unlocked by the new saved password
    finally:
        keyring.set_keyring(keyring.backends.fail.Keyring())
