"""Wallet files and operations: names, duplicates, file modes, unlock, remove, keyring opt-in."""

from __future__ import annotations

import json
import stat

import pytest

from ogcli import locations, wallet
from ogcli.errors import UsageError
from ogcli.wallet import keystore, manage, prompt, store
from ogcli.wallet.errors import WalletExistsError, WalletNotFoundError, WrongPasswordError

KEY_HEX = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@pytest.fixture(autouse=True)
def fast_scrypt_no_tty(monkeypatch):
    monkeypatch.setattr(keystore, "SCRYPT_N", 2**4)
    monkeypatch.setattr(prompt, "stdin_is_tty", lambda: False)
    monkeypatch.delenv("OGCLI_PASSWORD", raising=False)


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw.txt"
    path.write_text("pw-for-tests\n")
    return path


def _stdin(monkeypatch, text: str) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(text))


@pytest.mark.parametrize("name", ["a", "alice", "0x", "main-1", "hot_wallet", "a" * 40])
def test_valid_names(name):
    assert store.validate_name(name) == name


@pytest.mark.parametrize("name", ["", "Alice", "-a", "_a", "a b", "a/b", "../x", "a.json", "a" * 41, "é"])
def test_invalid_names(name):
    with pytest.raises(UsageError, match="invalid wallet name"):
        store.validate_name(name)


def test_create_writes_a_private_scrypt_keystore(password_file):
    added = manage.create("alice", password_file=password_file)
    path = locations.data_dir() / "keystores" / "alice.json"
    assert added.record.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    document = json.loads(path.read_text())
    assert document["crypto"]["kdf"] == "scrypt"
    assert document["version"] == 3
    assert isinstance(document["ogcli"]["created_at"], int)
    assert wallet.address_of("alice") == added.record.address
    assert wallet.unlock("alice", password_file=password_file).address == added.record.address


def test_import_private_key_and_unlock_via_env(monkeypatch, password_file):
    _stdin(monkeypatch, "0x" + KEY_HEX + "\n")
    added = manage.import_private_key("bob", password_file=password_file)
    assert added.record.address == ADDRESS
    monkeypatch.setenv("OGCLI_PASSWORD", "pw-for-tests")
    assert bytes(wallet.unlock("bob").key).hex() == KEY_HEX


def test_wrong_password(monkeypatch, password_file):
    manage.create("alice", password_file=password_file)
    monkeypatch.setenv("OGCLI_PASSWORD", "not-it")
    with pytest.raises(WrongPasswordError, match="wrong password for wallet 'alice'"):
        wallet.unlock("alice")


def test_duplicate_name_is_refused_before_reading_the_key(monkeypatch, password_file):
    manage.create("alice", password_file=password_file)
    _stdin(monkeypatch, KEY_HEX)
    with pytest.raises(WalletExistsError, match="named 'alice' already exists"):
        manage.import_private_key("alice", password_file=password_file)
    import sys

    assert sys.stdin.read() == KEY_HEX  # the key was not even read


def test_duplicate_address_is_refused(monkeypatch, password_file):
    _stdin(monkeypatch, KEY_HEX)
    manage.import_private_key("bob", password_file=password_file)
    _stdin(monkeypatch, "test test test test test test test test test test test junk")
    with pytest.raises(WalletExistsError, match=f"{ADDRESS} is already wallet 'bob'"):
        manage.import_mnemonic("carol", index=0, password_file=password_file)
    assert [w.name for w in store.all_records()] == ["bob"]


def test_import_foreign_keystore_re_encrypts_with_scrypt(tmp_path, monkeypatch):
    from eth_account import Account

    foreign = tmp_path / "foundry.json"
    foreign.write_text(json.dumps(Account.encrypt(bytes.fromhex(KEY_HEX), "same-pw", kdf="pbkdf2", iterations=2)))
    monkeypatch.setenv("OGCLI_PASSWORD", "same-pw")
    added = manage.import_keystore("imported", foreign)
    assert added.record.address == ADDRESS
    assert json.loads(added.record.path.read_text())["crypto"]["kdf"] == "scrypt"
    assert bytes(wallet.unlock("imported").key).hex() == KEY_HEX


def test_import_foreign_keystore_wrong_password_writes_nothing(tmp_path, monkeypatch):
    from eth_account import Account

    foreign = tmp_path / "foundry.json"
    foreign.write_text(json.dumps(Account.encrypt(bytes.fromhex(KEY_HEX), "right", kdf="pbkdf2", iterations=2)))
    monkeypatch.setenv("OGCLI_PASSWORD", "wrong")
    with pytest.raises(WrongPasswordError, match="keystore"):
        manage.import_keystore("imported", foreign)
    assert store.all_records() == []


def test_unknown_wallet():
    with pytest.raises(WalletNotFoundError, match="no wallet named 'ghost'"):
        wallet.address_of("ghost")


def test_list_is_sorted_and_remove_deletes(password_file):
    for name in ("zed", "amy"):
        manage.create(name, password_file=password_file)
    assert [w.name for w in store.all_records()] == ["amy", "zed"]
    manage.remove("zed")
    assert [w.name for w in store.all_records()] == ["amy"]
    assert not (locations.data_dir() / "keystores" / "zed.json").exists()


def test_save_password_without_keyring_backend_warns_and_continues(password_file):
    added = manage.create("alice", password_file=password_file, save_password=True)
    assert added.keyring_warning and "keyring" in added.keyring_warning
    assert added.record.password_in_keyring is False


def test_save_password_opt_in_unlocks_from_the_keyring(password_file, memory_keyring):
    added = manage.create("alice", password_file=password_file, save_password=True)
    assert added.keyring_warning is None and added.record.password_in_keyring
    assert memory_keyring.entries == {("ogcli", "alice"): "pw-for-tests"}
    assert manage.password_saved(store.record("alice"))
    assert wallet.unlock("alice").address == added.record.address  # no file, no env, no TTY
    manage.remove("alice")
    assert memory_keyring.entries == {}


def test_failed_keystore_write_takes_the_keyring_entry_back(password_file, memory_keyring, monkeypatch):
    def failing_write(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("ogcli.fsutil.write_atomic", failing_write)
    with pytest.raises(OSError):
        manage.create("alice", password_file=password_file, save_password=True)
    assert memory_keyring.entries == {}


def test_stale_keyring_password_says_so(password_file, memory_keyring):
    manage.create("alice", password_file=password_file, save_password=True)
    memory_keyring.set_password("ogcli", "alice", "changed-elsewhere")
    with pytest.raises(WrongPasswordError) as caught:
        wallet.unlock("alice")
    assert "keyring" in caught.value.hint and "changed-elsewhere" not in caught.value.hint
