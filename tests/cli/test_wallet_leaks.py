"""Secrets stay secret: after every wallet command, no file ogcli wrote and no output (except the
key that `export` was asked to print) contains the private key, the phrase or a password."""

from __future__ import annotations

import io
import json

import pytest


KEY_HEX = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # Anvil's account 1
PHRASE = "test test test test test test test test test test test junk"
PASSWORD = "Leak-Canary-Pw-7f3a"
OTHER_PASSWORD = "Leak-Canary-Foreign-91c2"
NEW_PASSWORD = "Leak-Canary-Changed-4d0e"


pytestmark = pytest.mark.usefixtures("fast_wallets")


def _secrets() -> list[str]:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    phrase_key = bytes(Account.from_mnemonic(PHRASE, account_path="m/44'/60'/0'/0/2").key).hex()
    secrets = [KEY_HEX, phrase_key, PHRASE, "junk", PASSWORD, OTHER_PASSWORD, NEW_PASSWORD]
    return secrets + [s.upper() for s in (KEY_HEX, phrase_key)] + [PASSWORD.encode().hex(), KEY_HEX[:16]]


def test_no_secret_in_files_or_output(cli, isolated_home, monkeypatch, tmp_path_factory):
    from eth_account import Account

    outside = tmp_path_factory.mktemp("outside-xdg")  # inputs the user owns, not ogcli's files
    password_file = outside / "pw.txt"
    password_file.write_text(PASSWORD + "\n")
    foreign = outside / "foundry.json"
    foreign.write_text(json.dumps(Account.encrypt(bytes.fromhex(KEY_HEX), OTHER_PASSWORD, kdf="pbkdf2", iterations=2)))
    pw = ["--password-file", str(password_file)]

    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None, expect: int = 0):
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        result = cli(*args)
        assert result.exit_code == expect, (args, result)
        return result

    def keep(result) -> None:
        outputs.extend([result.stdout, result.stderr])

    keep(run("wallet", "import", "bob", "--private-key", *pw, "--save-password", stdin=KEY_HEX + "\n"))
    keep(run("wallet", "import", "carol", "--mnemonic", "--index", "2", *pw, stdin=PHRASE))
    keep(run("wallet", "new", "alice", *pw, "--json"))
    keep(run("wallet", "list"))
    keep(run("wallet", "show", "bob", "--json"))
    # failures: wrong password, duplicate address, foreign keystore with a wrong password
    monkeypatch.setenv("OGCLI_PASSWORD", OTHER_PASSWORD)
    keep(run("wallet", "export", "bob", "--yes", expect=1))
    keep(run("wallet", "export", "bob", "--yes", "--json", expect=1))
    keep(run("wallet", "import", "dup", "--private-key", stdin=KEY_HEX, expect=1))
    keep(run("wallet", "import", "dup", "--mnemonic", stdin=PHRASE.replace("junk", "test"), expect=2))
    keep(run("-v", "wallet", "import", "dup", "--keystore", str(foreign), *pw, expect=1))
    keep(run("wallet", "import", "dup", "--private-key", KEY_HEX, *pw, expect=2))
    keep(run("wallet", "import", "x" + KEY_HEX, "--private-key", *pw, stdin=KEY_HEX, expect=2))
    monkeypatch.delenv("OGCLI_PASSWORD")
    # the intended disclosures: their stdout holds the key, their stderr must not
    human_export = run("wallet", "export", "bob", "--yes", *pw)
    json_export = run("wallet", "export", "bob", "--yes", "--json", *pw)
    assert human_export.stdout == f"0x{KEY_HEX}\n"
    assert json.loads(json_export.stdout)["data"]["private_key"] == f"0x{KEY_HEX}"
    outputs.extend([human_export.stderr, json_export.stderr])
    # a password change, a signature and a keystore export (to a file the user owns) leak nothing
    new_password_file = outside / "new-pw.txt"
    new_password_file.write_text(NEW_PASSWORD + "\n")
    keep(run("wallet", "passwd", "alice", *pw, "--new-password-file", str(new_password_file)))
    keep(run("wallet", "passwd", "alice", *pw, "--new-password-file", str(new_password_file), expect=1))  # old one now wrong
    keep(run("wallet", "sign", "hello", "--account", "alice", "--password-file", str(new_password_file), "--json"))
    keep(run("wallet", "export", "bob", "--keystore", str(outside / "bob.json")))
    keep(run("wallet", "remove", "carol", "--yes"))
    keep(run("wallet", "remove", "bob", "--yes", "--json"))

    written = [path for folder in ("config", "data", "cache", "state") for path in (isolated_home / folder).rglob("*") if path.is_file()]
    assert any(path.name == "alice.json" for path in written)  # the check below has files to look at
    for path in written:
        content = path.read_bytes().decode(errors="replace")
        for secret in _secrets():
            assert secret.lower() not in content.lower(), f"{secret[:6]}... found in {path}"
    for text in outputs:
        for secret in _secrets():
            assert secret.lower() not in text.lower(), f"{secret[:6]}... found in output: {text[:200]}"
